// LTI 1.3 launches against a fake LMS platform (the outside world): its keys, its
// JWKS endpoint and the id_tokens it signs are made here; the tool is the real app.
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from "jose";
import { $, startTestApp, type TestApp } from "../helpers/app.js";
import { tempDir } from "../helpers/grading.js";
import { loadLtiPlatforms } from "../../src/auth/lti.platforms.js";

const ISS = "https://lms.example.edu";
const CLIENT = "tool-client-1";
const DEPLOYMENT = "deploy-1";
const C = "https://purl.imsglobal.org/spec/lti/claim/";
const LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner";
const INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor";
const TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant";

let t: TestApp;
let jwks: http.Server;
let platformKey: CryptoKey;
let otherKey: CryptoKey;
const dir = tempDir();

beforeAll(async () => {
  const pair = await generateKeyPair("RS256");
  platformKey = pair.privateKey;
  otherKey = (await generateKeyPair("RS256")).privateKey;
  const jwk = { ...(await exportJWK(pair.publicKey)), kid: "platform-key-1", alg: "RS256", use: "sig" };
  jwks = http.createServer((_req, res) => res.writeHead(200, { "Content-Type": "application/json" }).end(JSON.stringify({ keys: [jwk] })));
  await new Promise<void>((r) => jwks.listen(0, "127.0.0.1", r));
  const file = path.join(dir.dir, "lti.yaml");
  fs.writeFileSync(file, `platforms:
  - name: Example LMS
    issuer: ${ISS}
    clientId: ${CLIENT}
    deployments: [${DEPLOYMENT}]
    authLoginUrl: https://lms.example.edu/auth
    keySetUrl: http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks
`);
  t = await startTestApp({ LTI_PLATFORMS_FILE: file, PUBLIC_URL: "https://tool.example.org" });
});
afterAll(async () => {
  await t.close();
  await new Promise((r) => jwks.close(r));
  dir.remove();
});

type Agent = ReturnType<TestApp["agent"]>;

/** Step 1 as the platform starts it; returns the state and nonce the tool sent to the platform. */
async function login(agent: Agent, extra: Record<string, string> = {}) {
  const res = await agent.get("/lti/login").query({ iss: ISS, login_hint: "hint-1", target_link_uri: "https://tool.example.org/courses/cnn/quizzes/cnn-friday", lti_message_hint: "msg-1", client_id: CLIENT, ...extra });
  expect(res.status).toBe(302);
  const url = new URL(res.headers.location!);
  return { url, state: url.searchParams.get("state")!, nonce: url.searchParams.get("nonce")! };
}

function idToken(nonce: string, claims: Record<string, unknown> = {}, opts: { key?: CryptoKey; aud?: string; exp?: string } = {}) {
  return new SignJWT({
    nonce, [`${C}message_type`]: "LtiResourceLinkRequest", [`${C}version`]: "1.3.0", [`${C}deployment_id`]: DEPLOYMENT,
    [`${C}target_link_uri`]: "https://tool.example.org/courses/cnn/quizzes/cnn-friday",
    [`${C}resource_link`]: { id: "link-1" }, [`${C}roles`]: [LEARNER], [`${C}context`]: { id: "ctx-1", title: "ML 501" },
    [`${C}custom`]: { course: "cnn" }, name: "Lena Learner", email: "Lena@Example.edu",
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", kid: "platform-key-1" })
    .setIssuer(ISS).setAudience(opts.aud ?? CLIENT).setSubject((claims.sub as string) ?? "lms-user-42").setIssuedAt().setExpirationTime(opts.exp ?? "5m")
    .sign(opts.key ?? platformKey);
}

test("login initiation sends the browser to the platform with a fresh state and nonce, as OIDC form_post", async () => {
  const { url, state, nonce } = await login(t.agent());
  expect(url.origin + url.pathname).toBe("https://lms.example.edu/auth");
  expect(Object.fromEntries(url.searchParams)).toMatchObject({
    scope: "openid", response_type: "id_token", response_mode: "form_post", prompt: "none", client_id: CLIENT,
    redirect_uri: "https://tool.example.org/lti/launch", login_hint: "hint-1", lti_message_hint: "msg-1",
  });
  expect(state).toMatch(/^[\w-]{32}$/);
  expect(nonce).not.toBe(state);
  // POST works too; an unknown platform or deployment is refused with what to do.
  expect((await t.agent().post("/lti/login").type("form").send({ iss: ISS, login_hint: "x" })).status).toBe(302);
  const unknown = await t.agent().get("/lti/login").query({ iss: "https://other.example", login_hint: "x" });
  expect(unknown.status).toBe(400);
  expect(unknown.text).toContain("no LTI registration for the platform");
  expect((await t.agent().get("/lti/login").query({ iss: ISS, login_hint: "x", lti_deployment_id: "nope" })).status).toBe(403);
});

test("a learner's launch creates the account, signs it in, makes it a student of the course named by the link, and opens the linked page", async () => {
  const agent = t.agent();
  const { state, nonce } = await login(agent);
  const res = await agent.post("/lti/launch").type("form").send({ id_token: await idToken(nonce), state });
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
  const page = await agent.get(res.headers.location!);
  expect(page.status).toBe(200);
  expect($(page.text)("header").text()).toContain("Lena Learner");
  const user = await t.db.user.findUniqueOrThrow({ where: { email: "lena@example.edu" }, include: { memberships: true, ltiIdentities: true } });
  expect(user.passwordHash).toBeNull();
  expect(user.ltiIdentities).toEqual([expect.objectContaining({ issuer: ISS, sub: "lms-user-42" })]);
  expect(user.memberships.map((m) => m.role)).toEqual(["STUDENT"]);

  // The same state cannot be used twice (a replayed launch).
  const replay = await t.agent().post("/lti/launch").type("form").send({ id_token: await idToken(nonce), state });
  expect(replay.status).toBe(401);
  expect(replay.text).toContain("expired or was already used");

  // The next launch finds the same account; the LMS's role wins (now a teaching assistant → grader).
  const again = t.agent();
  const l2 = await login(again);
  expect((await again.post("/lti/launch").type("form").send({ id_token: await idToken(l2.nonce, { [`${C}roles`]: [TA], name: "Lena L. Learner" }), state: l2.state })).status).toBe(303);
  const after = await t.db.user.findUniqueOrThrow({ where: { id: user.id }, include: { memberships: true } });
  expect(after.name).toBe("Lena L. Learner");
  expect(after.memberships.map((m) => m.role)).toEqual(["GRADER"]);
  expect(await t.db.user.count({ where: { email: "lena@example.edu" } })).toBe(1);
});

test("an instructor whose email has an account is linked to it; an off-site target opens the course page", async () => {
  const agent = t.agent();
  const { state, nonce } = await login(agent);
  const token = await idToken(nonce, { sub: "lms-instructor-7", email: "instructor@example.edu", name: "Irene Instructor", [`${C}roles`]: [INSTRUCTOR], [`${C}target_link_uri`]: "https://evil.example/phish" });
  const res = await agent.post("/lti/launch").type("form").send({ id_token: token, state });
  expect(res.headers.location).toBe("/courses/cnn");
  const irene = await t.db.user.findUniqueOrThrow({ where: { email: "instructor@example.edu" }, include: { ltiIdentities: true } });
  expect(irene.passwordHash).not.toBeNull(); // her password still works
  expect(irene.ltiIdentities.map((l) => l.sub)).toEqual(["lms-instructor-7"]);
  expect((await agent.get("/courses/cnn/dashboard")).status).toBe(200);
});

test.each([
  ["signed with another key", async (nonce: string) => idToken(nonce, {}, { key: otherKey }), 401, "not signed by the platform's keys"],
  ["meant for another tool", async (nonce: string) => idToken(nonce, {}, { aud: "someone-else" }), 401, `"aud" does not match`],
  ["expired", async (nonce: string) => idToken(nonce, {}, { exp: "-10m" }), 401, "has expired"],
  ["with another login's nonce", async () => idToken("not-the-nonce"), 401, "does not belong to the login"],
  ["from an unregistered deployment", async (nonce: string) => idToken(nonce, { [`${C}deployment_id`]: "deploy-9" }), 403, `"deploy-9"`],
  ["without a role that has access", async (nonce: string) => idToken(nonce, { [`${C}roles`]: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"] }), 403, "has no access"],
  ["for a course that does not exist", async (nonce: string) => idToken(nonce, { [`${C}custom`]: { course: "nope" } }), 404, `"nope"`],
  ["not naming a course", async (nonce: string) => idToken(nonce, { [`${C}custom`]: {} }), 400, "course=<course id>"],
  ["not LTI 1.3", async (nonce: string) => idToken(nonce, { [`${C}version`]: "1.1" }), 401, "not LTI 1.3"],
])("a launch %s is refused with a message, and nobody is signed in", async (_name, make, status, message) => {
  const agent = t.agent();
  const { state, nonce } = await login(agent);
  const res = await agent.post("/lti/launch").type("form").send({ id_token: await make(nonce), state });
  expect(res.status).toBe(status);
  expect($(res.text)(".error-message").text()).toContain(message);
  expect((await agent.get("/courses/cnn")).status).not.toBe(200);
});

test("garbage and missing fields get a 400; a site administrator's email is never linked", async () => {
  expect((await t.agent().post("/lti/launch").type("form").send({ state: "x" })).status).toBe(400);
  const agent = t.agent();
  const { state } = await login(agent);
  expect((await agent.post("/lti/launch").type("form").send({ id_token: "not.a.jwt", state })).status).toBe(401);
  await t.db.user.create({ data: { email: "root@example.edu", name: "Root", isAdmin: true } });
  const l = await login(agent);
  const res = await agent.post("/lti/launch").type("form").send({ id_token: await idToken(l.nonce, { sub: "lms-root", email: "root@example.edu" }), state: l.state });
  expect(res.status).toBe(403);
  expect(await t.db.ltiIdentity.count({ where: { sub: "lms-root" } })).toBe(0);
});

test("the platforms file is checked: each problem at its line", () => {
  const file = path.join(dir.dir, "bad.yaml");
  fs.writeFileSync(file, "platforms:\n  - name: X\n    issuer: https://x\n    clientId: c\n    deployments: []\n    authLoginUrl: http://lms.example.edu/auth\n    keySetUrl: https://x/jwks\n    colour: blue\n");
  expect(() => loadLtiPlatforms(file)).toThrow(/bad\.yaml:5: platforms\.0\.deployments: list at least one deployment id[\s\S]*bad\.yaml:6: .*https:\/\/[\s\S]*bad\.yaml:8: .*Unknown field "colour"/);
});

test("the registration page lists the URLs to give the LMS; without registered platforms, LTI says it is off", async () => {
  const page = $((await t.agent().get("/lti")).text);
  expect(page("dl.facts").text()).toContain("https://tool.example.org/lti/login");
  expect(page("dl.facts").text()).toContain("https://tool.example.org/lti/launch");
  const off = await startTestApp({});
  try {
    const res = await off.agent().get("/lti/login").query({ iss: ISS, login_hint: "x" });
    expect(res.status).toBe(404);
    expect($(res.text)(".error-message").text()).toContain("LTI is not set up on this server");
  } finally {
    await off.close();
  }
});
