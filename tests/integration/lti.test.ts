// LTI 1.3 launches against a fake LMS platform (the outside world, tests/helpers/lti-platform.ts: its
// keys and JWKS, token, score and roster endpoints); the id_tokens it signs, in every variation the
// tests need, are made here; the tool is the real app.
import fs from "node:fs";
import path from "node:path";
import { createLocalJWKSet, generateKeyPair, jwtVerify, SignJWT, type CryptoKey, type JSONWebKeySet } from "jose";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, signedIn, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";
/** A page's CSRF token (the sign-out form in the header carries one on every signed-in page). */
const csrfOf = (page: ReturnType<typeof $>) => String(page("input[name=_csrf]").first().val());
import { tempDir } from "../helpers/grading.js";
import { CLAIM as C, INSTRUCTOR, LEARNER, startFakePlatform, writePlatformsFile, type FakePlatform } from "../helpers/lti-platform.js";
import { loadLtiPlatforms } from "../../src/lti/lti.platforms.js";
import { roleFromLti } from "../../src/lti/lti.service.js";
import { LtiGradeSync, MAX_TRIES, queueQuizScore } from "../../src/lti/lti.grades.js";
import { quizGradeRelease } from "../../src/quiz/quiz.service.js";
import { loadToolKey } from "../../src/lti/lti.keys.js";
import type { SlotQuestion } from "../../src/quiz/questions.js";
import { answerFields } from "../helpers/quiz.js";
import { SubmissionsService } from "../../src/casestudy/submissions.service.js";

const ISS = "https://lms.example.edu";
/** A second platform, registered with trustEmail: true. */
const TRUSTING = "https://trusting.example.edu";
const CLIENT = "tool-client-1";
const DEPLOYMENT = "deploy-1";
const TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant";

let t: TestApp;
let platformFile: string;
/** The LMS (tests/helpers/lti-platform.ts): its keys, token endpoint, the score endpoint of column 7, its roster (NRPS); what it saw. */
let lms: FakePlatform;
let base: string;
/** What the score endpoint was sent, and with what token and type. */
const scores = () => lms.requests.filter((r) => r.url.endsWith("/scores")).map((r) => ({ ...r, body: r.body as Record<string, unknown> }));
const rosterRequests = () => lms.requests.filter((r) => r.url.startsWith("/memberships"));
/** The test's time, for the tool and the fake platform alike (its tokens are issued "now"). */
let now = TEST_NOW;
const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
let otherKey: CryptoKey;
const dir = tempDir();

beforeAll(async () => {
  lms = await startFakePlatform({ clientId: CLIENT, now: () => now });
  base = lms.base;
  lms.lineItems.push({ id: `${base}/lineitems/7`, label: "Friday preparation quiz", scoreMaximum: 100 });
  otherKey = (await generateKeyPair("RS256")).privateKey;
  const file = writePlatformsFile(dir.dir, [
    { name: "Example LMS", issuer: ISS, clientId: CLIENT, deployments: [DEPLOYMENT], authLoginUrl: "https://lms.example.edu/auth", keySetUrl: `${base}/jwks`, tokenUrl: `${base}/token` },
    { name: "Trusting LMS", issuer: TRUSTING, clientId: CLIENT, deployments: [DEPLOYMENT], authLoginUrl: "https://trusting.example.edu/auth", keySetUrl: `${base}/jwks`, trustEmail: true },
  ]);
  platformFile = file;
  t = await startTestApp({ LTI_PLATFORMS_FILE: file, PUBLIC_URL: "https://tool.example.org" }, { clock: () => now });
  // The LMS course most tests launch from, connected to the course here by its instructor (the flow itself is tested below).
  const cnn = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
  for (const issuer of [ISS, TRUSTING]) {
    await t.db.ltiContext.create({ data: { issuer, clientId: CLIENT, deploymentId: DEPLOYMENT, contextId: "ctx-1", title: "ML 501", courseId: cnn.id, approvedAt: now } });
  }
});
afterAll(async () => {
  await t.close();
  await lms.close();
  dir.remove();
});

type Agent = ReturnType<TestApp["agent"]>;

const gradeSync = (clock: () => Date) => new LtiGradeSync({
  db: t.db, platforms: loadLtiPlatforms(platformFile), toolKey: () => loadToolKey(t.dataDir), clock,
  submissions: new SubmissionsService({ db: t.db, clock, dataDir: t.dataDir }), quizzes: quizGradeRelease(t.db),
});

/** Step 1 as the platform starts it; returns the state and nonce the tool sent to the platform, and the browser's state cookie. */
async function login(agent: Agent, extra: Record<string, string> = {}) {
  const res = await agent.get("/lti/login").query({ iss: ISS, login_hint: "hint-1", target_link_uri: "https://tool.example.org/courses/cnn/quizzes/cnn-friday", lti_message_hint: "msg-1", client_id: CLIENT, ...extra });
  expect(res.status).toBe(302);
  const url = new URL(res.headers.location!);
  const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("lti-state-"))!;
  // The agent keeps it but, like a browser, sends a Secure cookie only over https: the tests hand it on.
  return { url, state: url.searchParams.get("state")!, nonce: url.searchParams.get("nonce")!, setCookie, cookie: setCookie.split(";")[0]! };
}

/** Step 2 from the browser that began the login (its state cookie sent along). */
function launch(agent: Agent, l: { state: string; cookie: string }, token: string) {
  return agent.post("/lti/launch").set("Cookie", l.cookie).type("form").send({ id_token: token, state: l.state });
}

/** On the "link your LMS sign-in" page: link with the account's password, or make a separate account. */
async function choose(agent: Agent, choice: "link" | "new", password = "") {
  const page = await agent.get("/lti/link");
  expect(page.status).toBe(200);
  return agent.post("/lti/link").type("form").send({ _csrf: $(page.text)("input[name=_csrf]").first().val(), choice, password });
}

function idToken(nonce: string, claims: Record<string, unknown> = {}, opts: { key?: CryptoKey; aud?: string; expMinutes?: number; iss?: string; iat?: number | null } = {}) {
  const jwt = new SignJWT({
    nonce, [`${C}message_type`]: "LtiResourceLinkRequest", [`${C}version`]: "1.3.0", [`${C}deployment_id`]: DEPLOYMENT,
    [`${C}target_link_uri`]: "https://tool.example.org/courses/cnn/quizzes/cnn-friday",
    [`${C}resource_link`]: { id: "link-1" }, [`${C}roles`]: [LEARNER], [`${C}context`]: { id: "ctx-1", title: "ML 501" },
    [`${C}custom`]: { course: "cnn" }, name: "Lena Learner", email: "Lena@Example.edu",
    ...claims,
  })
    .setProtectedHeader({ alg: "RS256", kid: "platform-key-1" })
    .setIssuer(opts.iss ?? ISS).setAudience(opts.aud ?? CLIENT).setSubject((claims.sub as string) ?? "lms-user-42").setExpirationTime(seconds(now) + 60 * (opts.expMinutes ?? 5));
  if (opts.iat !== null) jwt.setIssuedAt(opts.iat ?? seconds(now));
  return jwt.sign(opts.key ?? lms.key);
}

test("login initiation sends the browser to the platform with a fresh state and nonce, as OIDC form_post, and binds it to the browser", async () => {
  const { url, state, nonce, setCookie } = await login(t.agent());
  expect(url.origin + url.pathname).toBe("https://lms.example.edu/auth");
  expect(Object.fromEntries(url.searchParams)).toMatchObject({
    scope: "openid", response_type: "id_token", response_mode: "form_post", prompt: "none", client_id: CLIENT,
    redirect_uri: "https://tool.example.org/lti/launch", login_hint: "hint-1", lti_message_hint: "msg-1",
  });
  expect(state).toMatch(/^[\w-]{32}$/);
  expect(nonce).not.toBe(state);
  // A cookie that survives the cross-site form post and an LMS frame: SameSite=None; Secure; Partitioned; HttpOnly, for /lti only.
  expect(setCookie).toMatch(new RegExp(`^lti-state-${state.slice(0, 12).replace(/[-]/g, "\\-")}=${state.replace(/[-]/g, "\\-")};`));
  expect(setCookie).toMatch(/; Path=\/lti/);
  for (const attr of ["Secure", "HttpOnly", "SameSite=None", "Partitioned"]) expect(setCookie.split("; ")).toContain(attr);
  // POST works too; an unknown platform or deployment is refused with what to do.
  expect((await t.agent().post("/lti/login").type("form").send({ iss: ISS, login_hint: "x" })).status).toBe(302);
  const unknown = await t.agent().get("/lti/login").query({ iss: "https://other.example", login_hint: "x" });
  expect(unknown.status).toBe(400);
  expect(unknown.text).toContain("no LTI registration for the platform");
  expect((await t.agent().get("/lti/login").query({ iss: ISS, login_hint: "x", lti_deployment_id: "nope" })).status).toBe(403);
});

test("a learner's launch creates the account, signs it in, makes it a student of the course the LMS course is connected to, and opens the linked page", async () => {
  const agent = t.agent();
  const l = await login(agent);
  // custom.course names another course: launch parameters never choose the course.
  const res = await launch(agent, l, await idToken(l.nonce, { [`${C}custom`]: { course: "elsewhere" } }));
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
  const page = await agent.get(res.headers.location!);
  expect(page.status).toBe(200);
  expect($(page.text)("header").text()).toContain("Lena Learner");
  const user = await t.db.user.findUniqueOrThrow({ where: { email: "lena@example.edu" }, include: { memberships: true, ltiIdentities: true, ltiContexts: true } });
  expect(user.passwordHash).toBeNull();
  expect(user.ltiIdentities).toEqual([expect.objectContaining({ issuer: ISS, sub: "lms-user-42" })]);
  expect(user.memberships.map((m) => m.role)).toEqual(["STUDENT"]);
  expect(user.ltiContexts).toEqual([expect.objectContaining({ sub: "lms-user-42" })]);

  // The same state cannot be used twice (a replayed launch).
  const replay = await launch(t.agent(), l, await idToken(l.nonce));
  expect(replay.status).toBe(401);
  expect(replay.text).toContain("expired or was already used");

  // The next launch finds the same account; the LMS's role wins (now a teaching assistant → grader).
  const again = t.agent();
  const l2 = await login(again);
  expect((await launch(again, l2, await idToken(l2.nonce, { [`${C}roles`]: [TA, INSTRUCTOR], name: "Lena L. Learner" }))).status).toBe(303);
  const after = await t.db.user.findUniqueOrThrow({ where: { id: user.id }, include: { memberships: true } });
  expect(after.name).toBe("Lena L. Learner");
  expect(after.memberships.map((m) => m.role)).toEqual(["GRADER"]);
  expect(await t.db.user.count({ where: { email: "lena@example.edu" } })).toBe(1);
});

test("two launches racing on one state: exactly one signs in, the other is refused", async () => {
  const agent = t.agent();
  const l = await login(agent);
  const token = await idToken(l.nonce, { sub: "lms-racer", email: "racer@example.edu", name: "Rae Racer" });
  const results = await Promise.all(Array.from({ length: 4 }, () => launch(t.agent(), l, token)));
  expect(results.map((r) => r.status).sort()).toEqual([303, 401, 401, 401]);
  expect(await t.db.ltiIdentity.count({ where: { sub: "lms-racer" } })).toBe(1);
  expect(await t.db.user.count({ where: { email: "racer@example.edu" } })).toBe(1);
});

test("an id_token posted from a browser that did not begin the login signs nobody in (login CSRF)", async () => {
  // The attacker begins a login in their own browser and gets a valid token for their own LMS account…
  const attacker = await login(t.agent());
  const token = await idToken(attacker.nonce, { sub: "lms-attacker", email: "mallory@example.edu", name: "Mallory" });
  // …and makes the victim's browser post it: the victim's browser has no cookie for that login.
  const victim = t.agent();
  const res = await victim.post("/lti/launch").type("form").send({ id_token: token, state: attacker.state });
  expect(res.status).toBe(401);
  expect(res.text).toContain("did not start in this browser");
  expect((await victim.get("/courses/cnn")).status).not.toBe(200);
  // Another login's cookie does not do either.
  const other = await login(victim);
  expect((await victim.post("/lti/launch").set("Cookie", other.cookie).type("form").send({ id_token: token, state: attacker.state })).status).toBe(401);
  expect(await t.db.ltiIdentity.count({ where: { sub: "lms-attacker" } })).toBe(0);
});

test("course roles come from context roles only, long or short; sub-roles count as their principal; institution roles and LTI 1.1 URNs are not course roles", () => {
  expect(roleFromLti([LEARNER, "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"])).toBe("STUDENT");
  expect(roleFromLti([TA, INSTRUCTOR])).toBe("GRADER");
  expect(roleFromLti([TA])).toBe("GRADER");
  expect(roleFromLti(["Instructor"])).toBe("INSTRUCTOR");
  expect(roleFromLti(["Learner"])).toBe("STUDENT");
  expect(roleFromLti(["http://purl.imsglobal.org/vocab/lis/v2/membership#Administrator"])).toBe("INSTRUCTOR");
  // A learner's sub-role is a learner, whatever it is called.
  expect(roleFromLti(["http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#Instructor"])).toBe("STUDENT");
  // Any other sub-role is its principal role.
  expect(roleFromLti(["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#PrimaryInstructor"])).toBe("INSTRUCTOR");
  expect(roleFromLti(["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#Lecturer"])).toBe("INSTRUCTOR");
  expect(roleFromLti(["http://purl.imsglobal.org/vocab/lis/v2/membership/Mentor#Advisor"])).toBeNull();
  // Every teaching-assistant sub-role of Instructor, and its Grader sub-role, grade — never instruct.
  for (const sub of ["TeachingAssistantSection", "TeachingAssistantOffering", "TeachingAssistantGroup", "TeachingAssistantTemplate", "TeachingAssistantSectionAssociation", "Grader"]) {
    expect(roleFromLti([`http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#${sub}`])).toBe("GRADER");
  }
  // Not course roles at all.
  expect(roleFromLti(["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"])).toBeNull();
  expect(roleFromLti(["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"])).toBeNull();
  expect(roleFromLti(["urn:lti:instrole:ims/lis/Instructor", "urn:lti:sysrole:ims/lis/Administrator"])).toBeNull();
  expect(roleFromLti(["http://example.com/roles#Instructor", "Teacher"])).toBeNull();
  expect(roleFromLti("Learner")).toBeNull();
});

test("an LMS user whose email has an account here is not linked by email: they link it with its password, or get a separate account", async () => {
  // A learner's launch carrying the grader's email (any LMS user may set any email).
  const agent = t.agent();
  const l = await login(agent);
  const res = await launch(agent, l, await idToken(l.nonce, { sub: "lms-impostor", email: "grader@example.edu", name: "Not Gus" }));
  expect(res.headers.location).toBe("/lti/link");
  expect((await agent.get("/courses/cnn")).status).not.toBe(200); // nobody signed in yet
  const wrong = await choose(agent, "link", "guess");
  expect(wrong.status).toBe(401);
  expect($(wrong.text)(".error-text").text()).toContain("not the password of this account");
  const separate = await choose(agent, "new");
  expect(separate.headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
  const gus = await t.db.user.findUniqueOrThrow({ where: { email: "grader@example.edu" }, include: { ltiIdentities: true, memberships: true } });
  expect(gus.ltiIdentities).toEqual([]);
  expect(gus.name).toBe("Gus Grader");
  expect(gus.memberships.map((m) => m.role)).toEqual(["GRADER"]);
  const impostor = await t.db.ltiIdentity.findUniqueOrThrow({ where: { issuer_sub: { issuer: ISS, sub: "lms-impostor" } }, include: { user: { include: { memberships: true } } } });
  expect(impostor.user.email).toMatch(/@lti\.invalid$/);
  expect(impostor.user.memberships.map((m) => m.role)).toEqual(["STUDENT"]);

  // The real instructor proves her account with its password; an off-site target opens the course page.
  const irene = t.agent();
  const l2 = await login(irene);
  const r2 = await launch(irene, l2, await idToken(l2.nonce, { sub: "lms-instructor-7", email: "instructor@example.edu", name: "Irene Instructor", [`${C}roles`]: [INSTRUCTOR], [`${C}target_link_uri`]: "https://evil.example/phish" }));
  expect(r2.headers.location).toBe("/lti/link");
  expect((await choose(irene, "link", DEMO_PASSWORDS.instructor)).headers.location).toBe("/courses/cnn");
  const account = await t.db.user.findUniqueOrThrow({ where: { email: "instructor@example.edu" }, include: { ltiIdentities: true } });
  expect(account.passwordHash).not.toBeNull(); // her password still works
  expect(account.ltiIdentities.map((x) => x.sub)).toEqual(["lms-instructor-7"]);
  expect((await irene.get("/courses/cnn/dashboard")).status).toBe(200);
  // Next time the LMS signs her straight in.
  const l3 = await login(irene);
  expect((await launch(irene, l3, await idToken(l3.nonce, { sub: "lms-instructor-7", email: "instructor@example.edu", [`${C}roles`]: [INSTRUCTOR] }))).headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
});

test("a platform registered with trustEmail links a first launch to a student's account by email, but never a staff account", async () => {
  const loginAt = async (agent: Agent) => login(agent, { iss: TRUSTING });
  const ben = t.agent();
  const l = await loginAt(ben);
  const res = await launch(ben, l, await idToken(l.nonce, { sub: "trust-ben", email: "ben@example.edu", name: "Ben Okafor" }, { iss: TRUSTING }));
  expect(res.headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
  expect((await t.db.ltiIdentity.findUniqueOrThrow({ where: { issuer_sub: { issuer: TRUSTING, sub: "trust-ben" } }, include: { user: true } })).user.email).toBe("ben@example.edu");
  // The grader's email from the same trusted platform: not linked, the person chooses.
  const gus = t.agent();
  const l2 = await loginAt(gus);
  expect((await launch(gus, l2, await idToken(l2.nonce, { sub: "trust-gus", email: "grader@example.edu" }, { iss: TRUSTING }))).headers.location).toBe("/lti/link");
  expect(await t.db.ltiIdentity.count({ where: { sub: "trust-gus" } })).toBe(0);
});

test("an LMS course opens nothing until an instructor of the course here, or an administrator, connects it", async () => {
  const ctx3 = { [`${C}context`]: { id: "ctx-3", title: "ML 502 (spring)" }, [`${C}custom`]: { course: "cnn" } };
  // A learner of the unconnected LMS course: refused, and no account is made.
  const learner = t.agent();
  const l = await login(learner);
  const refused = await launch(learner, l, await idToken(l.nonce, { sub: "lms-early", email: "early@example.edu", ...ctx3 }));
  expect(refused.status).toBe(403);
  expect($(refused.text)(".error-message").text()).toContain(`"ML 502 (spring)" is not connected to a course on this site yet`);
  expect(await t.db.user.count({ where: { email: "early@example.edu" } })).toBe(0);

  // Its LMS instructor, new here: signed in, and sent to the connect page, which cannot connect for them.
  const lmsInstructor = t.agent();
  const l2 = await login(lmsInstructor);
  const r2 = await launch(lmsInstructor, l2, await idToken(l2.nonce, { sub: "lms-prof", email: "prof@example.edu", name: "Pat Prof", [`${C}roles`]: [INSTRUCTOR], ...ctx3 }));
  expect(r2.headers.location).toMatch(/^\/lti\/contexts\/[\w-]+$/);
  const connectUrl = r2.headers.location!;
  const page = $((await lmsInstructor.get(connectUrl)).text);
  expect(page("h1").text()).toBe("Connect an LMS course");
  expect(page("main").text()).toContain("ML 502 (spring)");
  expect(page("main").text()).toContain("You are not an instructor of a course on this site");
  expect(page("form select").length).toBe(0);
  const pat = await t.db.user.findUniqueOrThrow({ where: { email: "prof@example.edu" }, include: { memberships: true } });
  expect(pat.memberships).toEqual([]); // the LMS's "Instructor" gave no role here
  // Posting the form anyway is refused.
  const forged = await lmsInstructor.post(connectUrl).type("form").send({ _csrf: csrfOf(page), course: "cnn" });
  expect(forged.status).toBe(403);
  // A student here cannot either.
  const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
  const alicePage = $((await alice.get(connectUrl)).text);
  expect((await alice.post(connectUrl).type("form").send({ _csrf: csrfOf(alicePage), course: "cnn" })).status).toBe(403);
  expect((await t.db.ltiContext.findFirstOrThrow({ where: { contextId: "ctx-3" } })).courseId).toBeNull();

  // The course's instructor here connects it (the platform's suggestion preselected).
  const irene = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const ipage = $((await irene.get(connectUrl)).text);
  expect(ipage("select[name=course] option").map((_i, o) => ipage(o).attr("value")).get()).toEqual(["cnn"]);
  const done = await irene.post(connectUrl).type("form").send({ _csrf: csrfOf(ipage), course: "cnn" });
  expect(done.headers.location).toBe("/courses/cnn");
  expect(await t.db.ltiContext.findFirstOrThrow({ where: { contextId: "ctx-3" } })).toMatchObject({ approvedById: (await t.db.user.findUniqueOrThrow({ where: { email: "instructor@example.edu" } })).id });

  // Now the learner gets in as a student, and the LMS instructor as an instructor.
  const l3 = await login(learner);
  expect((await launch(learner, l3, await idToken(l3.nonce, { sub: "lms-early", email: "early@example.edu", ...ctx3 }))).status).toBe(303);
  const l4 = await login(lmsInstructor);
  expect((await launch(lmsInstructor, l4, await idToken(l4.nonce, { sub: "lms-prof", email: "prof@example.edu", [`${C}roles`]: [INSTRUCTOR], ...ctx3 }))).headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
  expect((await t.db.user.findUniqueOrThrow({ where: { email: "prof@example.edu" }, include: { memberships: true } })).memberships.map((m) => m.role)).toEqual(["INSTRUCTOR"]);
});

test.each([
  ["signed with another key", async (nonce: string) => idToken(nonce, {}, { key: otherKey }), 401, "not signed by the platform's keys"],
  ["meant for another tool", async (nonce: string) => idToken(nonce, {}, { aud: "someone-else" }), 401, `"aud" does not match`],
  ["authorised for another tool (azp)", async (nonce: string) => idToken(nonce, { azp: "someone-else" }), 401, "meant for another tool"],
  ["expired", async (nonce: string) => idToken(nonce, {}, { expMinutes: -10 }), 401, "has expired"],
  ["without an issue time (iat)", async (nonce: string) => idToken(nonce, {}, { iat: null }), 401, `has no "iat"`],
  ["issued long ago though not expired", async (nonce: string) => idToken(nonce, {}, { iat: seconds(now) - 3600, expMinutes: 60 }), 401, "issued too long ago"],
  ["with another login's nonce", async () => idToken("not-the-nonce"), 401, "does not belong to the login"],
  ["from an unregistered deployment", async (nonce: string) => idToken(nonce, { [`${C}deployment_id`]: "deploy-9" }), 403, `"deploy-9"`],
  ["without a role that has access", async (nonce: string) => idToken(nonce, { [`${C}roles`]: ["http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"] }), 403, "has no access"],
  ["with only an institution role", async (nonce: string) => idToken(nonce, { [`${C}roles`]: ["http://purl.imsglobal.org/vocab/lis/v2/institution/person#Instructor"] }), 403, "has no access"],
  ["from outside an LMS course (no context)", async (nonce: string) => idToken(nonce, { [`${C}context`]: undefined }), 400, "has no context"],
  ["without a resource link id", async (nonce: string) => idToken(nonce, { [`${C}resource_link`]: {} }), 400, "resource_link.id"],
  ["as an LMS instructor without a context, with a sub-role that is not Instructor", async (nonce: string) => idToken(nonce, { [`${C}context`]: undefined, [`${C}roles`]: ["http://purl.imsglobal.org/vocab/lis/v2/membership/Learner#Instructor"] }), 400, "has no context"],
  ["not LTI 1.3", async (nonce: string) => idToken(nonce, { [`${C}version`]: "1.1" }), 401, "not LTI 1.3"],
])("a launch %s is refused with a message, and nobody is signed in", async (_name, make, status, message) => {
  const agent = t.agent();
  const l = await login(agent);
  const res = await launch(agent, l, await make(l.nonce));
  expect(res.status).toBe(status);
  expect($(res.text)(".error-message").text()).toContain(message);
  expect((await agent.get("/courses/cnn")).status).not.toBe(200);
});

test("garbage and missing fields get a 400; a site administrator's email is never linked", async () => {
  expect((await t.agent().post("/lti/launch").type("form").send({ state: "x" })).status).toBe(400);
  const agent = t.agent();
  const l = await login(agent);
  expect((await launch(agent, l, "not.a.jwt")).status).toBe(401);
  await t.db.user.create({ data: { email: "root@example.edu", name: "Root", isAdmin: true } });
  const l2 = await login(agent);
  const res = await launch(agent, l2, await idToken(l2.nonce, { sub: "lms-root", email: "root@example.edu" }));
  expect(res.status).toBe(403);
  expect(await t.db.ltiIdentity.count({ where: { sub: "lms-root" } })).toBe(0);
});

test("the platforms file is checked: each problem at its line", () => {
  const file = path.join(dir.dir, "bad.yaml");
  fs.writeFileSync(file, "platforms:\n  - name: X\n    issuer: https://x\n    clientId: c\n    deployments: []\n    authLoginUrl: http://lms.example.edu/auth\n    keySetUrl: https://x/jwks\n    colour: blue\n");
  expect(() => loadLtiPlatforms(file)).toThrow(/bad\.yaml:5: platforms\.0\.deployments: list at least one deployment id[\s\S]*bad\.yaml:6: .*https:\/\/[\s\S]*bad\.yaml:8: .*Unknown field "colour"/);
});

test("the registration page lists the URLs to give the LMS; without registered platforms, or without PUBLIC_URL, LTI says it is off", async () => {
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
  // Registered platforms but no PUBLIC_URL: the redirect_uri would come from the Host header, so no launches.
  const noOrigin = await startTestApp({ LTI_PLATFORMS_FILE: platformFile });
  try {
    // The registration page lists no half-made address ("null/lti/login"): it says what to set.
    const registration = await noOrigin.agent().get("/lti").set("Host", "evil.example");
    expect(registration.status).toBe(200);
    expect(registration.text).not.toMatch(/null\/lti|undefined\/lti|evil\.example/);
    expect($(registration.text)("dl.facts").length).toBe(0);
    expect($(registration.text)("[role=status]").text()).toContain("PUBLIC_URL is not set");
    const res = await noOrigin.agent().get("/lti/login").set("Host", "evil.example").query({ iss: ISS, login_hint: "x" });
    expect(res.status).toBe(404);
    expect($(res.text)(".error-message").text()).toContain("PUBLIC_URL");
    expect(await noOrigin.db.ltiLaunchState.count()).toBe(0);
  } finally {
    await noOrigin.close();
  }
});

test("Deep Linking: an LMS instructor picks a quiz and the case study; the answer is resource links with gradebook columns, signed by the tool's key", async () => {
  const DL = "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings";
  const settings = { deep_link_return_url: `${base}/deep-link-return`, accept_types: ["ltiResourceLink"], accept_presentation_document_targets: ["window"], accept_multiple: true, data: "opaque-123" };
  const dlToken = (nonce: string, claims: Record<string, unknown> = {}) => idToken(nonce, {
    sub: "lms-dl-prof", email: "dl.prof@example.edu", name: "Dee Linker", [`${C}roles`]: [INSTRUCTOR],
    [`${C}message_type`]: "LtiDeepLinkingRequest", [`${C}resource_link`]: undefined, [DL]: settings, ...claims,
  });
  // A learner may not choose content; a request for kinds of content the tool does not make is refused.
  const learner = t.agent();
  const l0 = await login(learner);
  expect((await launch(learner, l0, await dlToken(l0.nonce, { sub: "lms-dl-student", [`${C}roles`]: [LEARNER] }))).status).toBe(403);
  const l1 = await login(learner);
  const files = await launch(learner, l1, await dlToken(l1.nonce, { [DL]: { ...settings, accept_types: ["file"] } }));
  expect(files.status).toBe(400);
  expect($(files.text)(".error-message").text()).toContain("ltiResourceLink");

  const agent = t.agent();
  const l = await login(agent);
  expect((await launch(agent, l, await dlToken(l.nonce))).headers.location).toBe("/lti/deep-link");
  const page = $((await agent.get("/lti/deep-link")).text);
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  const options = page("input[name=item]").map((_i, el) => page(el).attr("value")).get();
  expect(options).toEqual(expect.arrayContaining(["quiz:cnn-friday", `case:${cs.slug}`, "module:cnn", "reading:cnn/overview"]));
  expect(page("input[name=item]").first().attr("type")).toBe("checkbox"); // accept_multiple

  const form = new URLSearchParams([["_csrf", csrfOf(page)], ["item", "quiz:cnn-friday"], ["item", `case:${cs.slug}`]]);
  const back = await agent.post("/lti/deep-link").type("form").send(form.toString());
  expect(back.status).toBe(200);
  const ret = $(back.text);
  expect(ret("form[data-autosubmit]").attr("action")).toBe(settings.deep_link_return_url);
  expect(back.headers["content-security-policy"]).toContain(`form-action 'self' ${base}`);
  const toolKeys = (await t.agent().get("/lti/jwks")).body as JSONWebKeySet;
  const { payload, protectedHeader } = await jwtVerify(String(ret("input[name=JWT]").val()), createLocalJWKSet(toolKeys), { issuer: CLIENT, audience: ISS, currentDate: now });
  expect(protectedHeader.alg).toBe("RS256");
  expect(payload.nonce).toEqual(expect.any(String));
  expect(payload).toMatchObject({
    [`${C}message_type`]: "LtiDeepLinkingResponse", [`${C}version`]: "1.3.0", [`${C}deployment_id`]: DEPLOYMENT,
    "https://purl.imsglobal.org/spec/lti-dl/claim/data": "opaque-123",
  });
  const points = (cs.settings as { points: { max: number } }).points.max;
  expect(payload["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]).toEqual([
    { type: "ltiResourceLink", title: quiz.title, url: "https://tool.example.org/courses/cnn/quizzes/cnn-friday", lineItem: { scoreMaximum: 100, label: quiz.title, resourceId: "quiz:cnn-friday", tag: "quiz" } },
    { type: "ltiResourceLink", title: cs.title, url: `https://tool.example.org/courses/cnn/case-studies/${cs.slug}`, lineItem: { scoreMaximum: points, label: cs.title, resourceId: `case:${cs.slug}`, tag: "case-study" } },
  ]);
  // Answered once: the request is gone from the session.
  expect((await agent.get("/lti/deep-link")).status).toBe(404);

  // From an LMS course not yet connected: connect it first (he now teaches cnn here), then choose.
  const l2 = await login(agent);
  const r2 = await launch(agent, l2, await dlToken(l2.nonce, { [`${C}context`]: { id: "ctx-dl", title: "ML 503" } }));
  expect(r2.headers.location).toMatch(/^\/lti\/contexts\//);
  const connect = $((await agent.get(r2.headers.location!)).text);
  expect((await agent.post(r2.headers.location!).type("form").send({ _csrf: csrfOf(connect), course: "cnn" })).headers.location).toBe("/lti/deep-link");
  expect($((await agent.get("/lti/deep-link")).text)("h1").text()).toBe("Add to your LMS course");
});

test("quiz grades go to the LMS gradebook column of the link the quiz was opened from (AGS), once per change, retried on failure", async () => {
  lms.toolKeys = (await t.agent().get("/lti/jwks")).body as JSONWebKeySet;
  expect(lms.toolKeys.keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig" });
  expect(lms.toolKeys.keys[0]).not.toHaveProperty("d"); // never the private part

  // A learner opens the quiz from an LMS link that has a gradebook column.
  const agent = t.agent();
  const l = await login(agent);
  const ags = { scope: ["https://purl.imsglobal.org/spec/lti-ags/scope/score"], lineitem: `${base}/lineitems/7` };
  const token = await idToken(l.nonce, { sub: "lms-grade-1", email: "gina@example.edu", name: "Gina Grade", [`${C}resource_link`]: { id: "quiz-link" }, "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": ags });
  const launched = await launch(agent, l, token);
  expect(launched.headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
  const item = await t.db.ltiLineItem.findFirstOrThrow({ where: { resourceLinkId: "quiz-link" } });
  expect(item.lineitem).toBe(`${base}/lineitems/7`);

  // She takes the quiz and gets everything right.
  const quizPage = await agent.get("/courses/cnn/quizzes/cnn-friday");
  const started = await agent.post("/courses/cnn/quizzes/cnn-friday/attempts").type("form").send({ _csrf: $(quizPage.text)("input[name=_csrf]").val() });
  const url = started.headers.location as string;
  const slots = await t.db.quizSlot.findMany({ where: { attemptId: url.split("/").pop()! } });
  const fields = Object.assign({}, ...slots.map((sl) => answerFields(sl.question as unknown as SlotQuestion, sl.slot, true)));
  const attemptPage = await agent.get(url);
  expect((await agent.post(url).type("form").send({ _csrf: $(attemptPage.text)("input[name=_csrf]").val(), action: "submit", ...fields })).status).toBe(303);
  const gina = await t.db.user.findUniqueOrThrow({ where: { email: "gina@example.edu" } });
  expect(await t.db.ltiScoreSync.findUniqueOrThrow({ where: { lineItemId_userId: { lineItemId: item.id, userId: gina.id } } })).toMatchObject({ percent: 100, sentAt: null });

  const sync = gradeSync(() => now);
  expect(await sync.sendDue()).toEqual({ sent: 1, failed: 0 });
  expect(lms.tokens).toHaveLength(1);
  expect(lms.tokens[0]).toMatchObject({ grant_type: "client_credentials", client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", scope: "https://purl.imsglobal.org/spec/lti-ags/scope/score" });
  expect(scores()).toHaveLength(1);
  expect(scores()[0]!.auth).toBe("Bearer token-for-https://purl.imsglobal.org/spec/lti-ags/scope/score");
  expect(scores()[0]!.type).toBe("application/vnd.ims.lis.v1.score+json");
  expect(scores()[0]!.body).toMatchObject({ userId: "lms-grade-1", scoreGiven: 100, scoreMaximum: 100, activityProgress: "Completed", gradingProgress: "FullyGraded" });
  expect(await sync.sendDue()).toEqual({ sent: 0, failed: 0 }); // sent once

  // The LMS fails: the score stays queued with the reason, and is tried again later, not at once.
  lms.scoreStatus = 503;
  await t.db.$transaction((tx) => tx.$executeRaw`UPDATE "LtiScoreSync" SET percent = 90, "sentAt" = NULL, "changedAt" = ${now}, "nextTryAt" = ${now}`);
  expect(await sync.sendDue()).toEqual({ sent: 0, failed: 1 });
  const failing = await t.db.ltiScoreSync.findFirstOrThrow({ where: { userId: gina.id } });
  expect(failing).toMatchObject({ sentAt: null, tries: 1 });
  expect(failing.lastError).toContain("HTTP 503");
  expect(await sync.sendDue()).toEqual({ sent: 0, failed: 0 });
  // Staff see it in the grading view, with the reason.
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  expect($((await instructor.get("/courses/cnn/grading")).text)("#lms-h").parent().text()).toMatch(/Gina Grade, Friday preparation quiz: convolutional networks: 90\.0% — tried 1×[\s\S]*HTTP 503/);
  lms.scoreStatus = 204;
  now = new Date(now.getTime() + 3 * 60_000);
  expect(await sync.sendDue()).toEqual({ sent: 1, failed: 0 });
  expect(scores().at(-1)!.body.scoreGiven).toBe(90);
  expect(lms.tokens).toHaveLength(1); // the access token was reused
});

test("a quiz grade the review rules keep from the student until the close reaches the LMS gradebook at the close, not before", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  const item = await t.db.ltiLineItem.findFirstOrThrow({ where: { resourceLinkId: "quiz-link" } });
  const gina = await t.db.user.findUniqueOrThrow({ where: { email: "gina@example.edu" } });
  const def = quiz.definition as { review: Record<string, unknown> };
  const closesAt = new Date(now.getTime() + 2 * 3600_000);
  // The score is shown after the close only; the quiz closes in two hours.
  await t.db.quiz.update({ where: { id: quiz.id }, data: { definition: { ...def, review: { ...def.review, afterSubmit: ["answers"] } }, closesAt } });
  try {
    await t.db.ltiScoreSync.deleteMany({});
    await t.db.$transaction((tx) => queueQuizScore(tx, quiz.id, gina.id, 64, now));
    const posted = scores().length;
    expect(await gradeSync(() => now).sendDue()).toEqual({ sent: 0, failed: 0 });
    expect(scores().length).toBe(posted);
    // Held, with no try used and no error to show; looked at again within the hour (the close is two hours off).
    expect(await t.db.ltiScoreSync.findUniqueOrThrow({ where: { lineItemId_userId: { lineItemId: item.id, userId: gina.id } } })).toMatchObject({ sentAt: null, tries: 0, lastError: null, nextTryAt: new Date(now.getTime() + 3600_000) });
    const hourOn = new Date(now.getTime() + 3600_000);
    expect(await gradeSync(() => hourOn).sendDue()).toEqual({ sent: 0, failed: 0 });
    expect(await t.db.ltiScoreSync.findUniqueOrThrow({ where: { lineItemId_userId: { lineItemId: item.id, userId: gina.id } } })).toMatchObject({ sentAt: null, tries: 0, nextTryAt: closesAt });
    // An exception moving her close earlier (now) releases it at the next look.
    await t.db.quizOverride.create({ data: { quizId: quiz.id, userId: gina.id, closesAt: new Date(hourOn.getTime() - 60_000), setById: gina.id } });
    await t.db.ltiScoreSync.updateMany({ where: { userId: gina.id }, data: { nextTryAt: hourOn } });
    expect(await gradeSync(() => hourOn).sendDue()).toEqual({ sent: 1, failed: 0 });
    expect(scores().at(-1)!.body).toMatchObject({ userId: "lms-grade-1", scoreGiven: 64 });
    await t.db.quizOverride.deleteMany({ where: { userId: gina.id } });
    // Without the exception, a minute after the close.
    await t.db.$transaction((tx) => queueQuizScore(tx, quiz.id, gina.id, 65, now));
    const later = new Date(closesAt.getTime() + 60_000);
    expect(await gradeSync(() => later).sendDue()).toEqual({ sent: 1, failed: 0 });
    expect(scores().at(-1)!.body).toMatchObject({ userId: "lms-grade-1", scoreGiven: 65 });
  } finally {
    await t.db.quiz.update({ where: { id: quiz.id }, data: { definition: quiz.definition as object, closesAt: quiz.closesAt } });
  }
});

test("a grade goes only to columns of the LMS course the student was launched from; a platform's permanent refusal stops the retries with its reason", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  const item = await t.db.ltiLineItem.findFirstOrThrow({ where: { resourceLinkId: "quiz-link" } });
  expect(item.contextId).toBe((await t.db.ltiContext.findFirstOrThrow({ where: { issuer: ISS, contextId: "ctx-1" } })).id);
  // Otto studies the same course here but was launched from another LMS course (another section, same issuer).
  const cnn = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
  await t.db.ltiContext.create({ data: { issuer: ISS, clientId: CLIENT, deploymentId: DEPLOYMENT, contextId: "ctx-2", title: "ML 501 section B", courseId: cnn.id, approvedAt: now } });
  const agent = t.agent();
  const l = await login(agent);
  expect((await launch(agent, l, await idToken(l.nonce, { sub: "lms-otto", email: "otto@example.edu", name: "Otto", [`${C}context`]: { id: "ctx-2" } }))).status).toBe(303);
  const otto = await t.db.user.findUniqueOrThrow({ where: { email: "otto@example.edu" } });
  await t.db.$transaction((tx) => queueQuizScore(tx, quiz.id, otto.id, 80, now));
  expect(await t.db.ltiScoreSync.count({ where: { userId: otto.id } })).toBe(0); // not to section A's column

  // Section A's column refuses Gina's score for good (the line item was deleted in the LMS): tried once, not again.
  const gina = await t.db.user.findUniqueOrThrow({ where: { email: "gina@example.edu" } });
  await t.db.$transaction((tx) => queueQuizScore(tx, quiz.id, gina.id, 75, now));
  lms.scoreStatus = 404;
  const sync = gradeSync(() => now);
  const posted = scores().length;
  expect(await sync.sendDue()).toEqual({ sent: 0, failed: 1 });
  const row = await t.db.ltiScoreSync.findUniqueOrThrow({ where: { lineItemId_userId: { lineItemId: item.id, userId: gina.id } } });
  expect(row.tries).toBe(MAX_TRIES);
  expect(row.lastError).toContain("HTTP 404");
  expect(row.lastError).toContain("not retried");
  now = new Date(now.getTime() + 24 * 3600_000);
  expect(await gradeSync(() => now).sendDue()).toEqual({ sent: 0, failed: 0 });
  expect(scores().length).toBe(posted + 1);
  lms.scoreStatus = 200;
});

test("case-study points go to the case study's LMS column once private scores are out, and again whenever they change", async () => {
  lms.toolKeys = (await t.agent().get("/lti/jwks")).body as JSONWebKeySet;
  lms.scoreStatus = 200;
  // Alice (team Stop Signs) opens the case study from an LMS link with a gradebook column.
  const agent = t.agent();
  const l = await login(agent);
  const token = await idToken(l.nonce, {
    sub: "lms-alice", email: "alice@example.edu", name: "Alice Nguyen", [`${C}resource_link`]: { id: "case-link" },
    [`${C}target_link_uri`]: "https://tool.example.org/courses/cnn/case-studies/cnn",
    "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint": { scope: ["https://purl.imsglobal.org/spec/lti-ags/scope/score"], lineitem: `${base}/lineitems/7` },
  });
  expect((await launch(agent, l, token)).headers.location).toBe("/lti/link"); // her account exists: she links it with its password
  expect((await choose(agent, "link", DEMO_PASSWORDS.student)).headers.location).toBe("/courses/cnn/case-studies/cnn");
  const cs = await t.db.caseStudy.findFirstOrThrow({});
  const item = await t.db.ltiLineItem.findFirstOrThrow({ where: { resourceLinkId: "case-link" } });
  expect(item).toMatchObject({ caseStudyId: cs.id, quizId: null });

  // Her team has a scored submission: 62.5 private points.
  const team = await t.db.team.findFirstOrThrow({ where: { name: "Stop Signs" } });
  const alice = await t.db.user.findUniqueOrThrow({ where: { email: "alice@example.edu" } });
  const sub = await t.db.submission.create({ data: { caseStudyId: cs.id, teamId: team.id, userId: alice.id, number: 1, filename: "m.keras", storedPath: "/nowhere", bytes: 1, status: "SCORED" } });
  await t.db.submissionResult.create({ data: { submissionId: sub.id, holdoutVersion: cs.holdoutVersion, publicScore: 0.86, privateScore: 0.865, publicPoints: 58, privatePoints: 62.5, accuracy: 0.9, engine: "test", details: {} } });

  const sync = gradeSync(() => now);
  expect(await sync.reconcileCaseStudies()).toBe(0); // before the deadline, private points stay private
  await t.db.caseStudy.update({ where: { id: cs.id }, data: { revealedAt: now } });
  expect(await sync.reconcileCaseStudies()).toBe(1);
  const sent = scores().length;
  expect(await sync.sendDue()).toEqual({ sent: 1, failed: 0 });
  expect(scores().at(-1)!.body).toMatchObject({ userId: "lms-alice", scoreGiven: 62.5, scoreMaximum: 100 });
  expect(await sync.reconcileCaseStudies()).toBe(0); // unchanged: nothing new to send

  // A grader overrides the points: the new value goes, once.
  const grader = await t.db.user.findUniqueOrThrow({ where: { email: "grader@example.edu" } });
  await t.db.pointsOverride.create({ data: { submissionId: sub.id, points: 70, reason: "Regraded after review", byId: grader.id } });
  expect(await sync.reconcileCaseStudies()).toBe(1);
  expect(await sync.sendDue()).toEqual({ sent: 1, failed: 0 });
  expect(scores().slice(sent).map((x) => x.body.scoreGiven)).toEqual([62.5, 70]);
});

test("roster sync (NRPS): the LMS course's members join with their roles, page by page; students it no longer lists leave; accounts are never linked by email", async () => {
  lms.toolKeys = (await t.agent().get("/lti/jwks")).body as JSONWebKeySet;
  // An LMS course of its own (connected to cnn), so its members are exactly the ones below.
  await t.db.ltiContext.create({ data: { issuer: ISS, clientId: CLIENT, deploymentId: DEPLOYMENT, contextId: "ctx-roster", title: "ML 501 (roster)", courseId: (await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } })).id, approvedAt: now } });
  const NRPS = {
    "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice": { context_memberships_url: `${base}/memberships`, service_versions: ["2.0"] },
    [`${C}context`]: { id: "ctx-roster", title: "ML 501 (roster)" },
  };
  // A student who launched once and has since left the LMS course.
  const gone = t.agent();
  const lg = await login(gone);
  expect((await launch(gone, lg, await idToken(lg.nonce, { sub: "nrps-gone", email: "gone@example.edu", name: "Gone Student", ...NRPS }))).status).toBe(303);
  // The instructor launches (the launch offers the roster service) and opens the LMS course's page.
  const prof = t.agent();
  const lp = await login(prof);
  expect((await launch(prof, lp, await idToken(lp.nonce, { sub: "nrps-prof", email: "nrps.prof@example.edu", name: "Rosa Roster", [`${C}roles`]: [INSTRUCTOR], ...NRPS }))).status).toBe(303);
  const ctx = await t.db.ltiContext.findFirstOrThrow({ where: { issuer: ISS, contextId: "ctx-roster" } });
  expect(ctx.membershipsUrl).toBe(`${base}/memberships`);
  const page = $((await prof.get(`/lti/contexts/${ctx.id}`)).text);
  expect(page("main").text()).toContain("Not synced yet.");

  lms.roster = [
    [
      { user_id: "nrps-prof", roles: [INSTRUCTOR], status: "Active", name: "Rosa Roster", email: "nrps.prof@example.edu" },
      { user_id: "nrps-nina", roles: [LEARNER], status: "Active", name: "Nina Newcomer", email: "nina@example.edu" },
      { user_id: "nrps-ted", roles: [TA, INSTRUCTOR], status: "Active", name: "Ted Assistant", email: "ted@example.edu" },
      { user_id: "nrps-alice", roles: [LEARNER], status: "Active", name: "Alice?", email: "alice@example.edu" },
      { user_id: "nrps-idle", roles: [LEARNER], status: "Inactive", name: "Ida Idle", email: "ida@example.edu" },
      { user_id: "nrps-irene", roles: [TA, INSTRUCTOR], status: "Active", name: "Irene Instructor", email: "instructor@example.edu" },
    ],
    [{ user_id: "nrps-mo", roles: ["Learner"], given_name: "Mo", family_name: "Member", email: "mo@example.edu" }],
  ];
  // Irene teaches the course here; the LMS lists her as a teaching assistant.
  const irene = await t.db.user.findUniqueOrThrow({ where: { email: "instructor@example.edu" } });
  await t.db.ltiIdentity.create({ data: { issuer: ISS, sub: "nrps-irene", userId: irene.id } });
  // A student here cannot sync.
  const alice = await signedIn(t, "alice@example.edu", DEMO_PASSWORDS.student);
  const alicePage = $((await alice.get(`/lti/contexts/${ctx.id}`)).text);
  expect((await alice.post(`/lti/contexts/${ctx.id}/roster`).type("form").send({ _csrf: csrfOf(alicePage) })).status).toBe(403);
  expect(rosterRequests()).toHaveLength(0);

  const synced = await prof.post(`/lti/contexts/${ctx.id}/roster`).type("form").send({ _csrf: csrfOf(page) });
  expect(synced.headers.location).toBe(`/lti/contexts/${ctx.id}`);
  // Two pages, with an NRPS-scoped token, asking for the membership container.
  expect(rosterRequests().map((r) => r.url)).toEqual(["/memberships", "/memberships?page=1"]);
  expect(rosterRequests()[0]!.accept).toBe("application/vnd.ims.lti-nrps.v2.membershipcontainer+json");
  expect(lms.tokens.at(-1)!.scope).toBe("https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly");
  const cnn = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
  const roleOf = async (email: string) => (await t.db.membership.findFirst({ where: { courseId: cnn.id, user: { email } } }))?.role ?? null;
  expect(await roleOf("nina@example.edu")).toBe("STUDENT");
  expect(await roleOf("ted@example.edu")).toBe("GRADER");
  expect(await roleOf("mo@example.edu")).toBe("STUDENT");
  expect((await t.db.user.findUniqueOrThrow({ where: { email: "mo@example.edu" } })).name).toBe("Mo Member");
  expect(await roleOf("ida@example.edu")).toBeNull(); // inactive in the LMS
  expect(await roleOf("gone@example.edu")).toBeNull(); // no longer listed: left the course …
  expect(await t.db.user.count({ where: { email: "gone@example.edu" } })).toBe(1); // … but the account and its work stay
  // Alice's account is not linked by the roster's email claim; she links it herself at her first launch.
  expect(await t.db.ltiIdentity.count({ where: { sub: "nrps-alice" } })).toBe(0);
  expect(await roleOf("alice@example.edu")).toBe("STUDENT");
  expect(await roleOf("instructor@example.edu")).toBe("INSTRUCTOR"); // a sync never demotes
  // The new members are this LMS course's members: their grades go to its columns.
  const nina = await t.db.user.findUniqueOrThrow({ where: { email: "nina@example.edu" } });
  expect(await t.db.ltiContextMember.findUnique({ where: { contextId_userId: { contextId: ctx.id, userId: nina.id } } })).toMatchObject({ sub: "nrps-nina" });
  const after = $((await prof.get(`/lti/contexts/${ctx.id}`)).text);
  expect(after("main").text()).toContain("6 listed: 3 added, 0 role changes, 1 removed, 1 not added.");
  // Nina's first launch finds the account the roster made.
  const ninaAgent = t.agent();
  const ln = await login(ninaAgent);
  expect((await launch(ninaAgent, ln, await idToken(ln.nonce, { sub: "nrps-nina", email: "nina@example.edu", name: "Nina Newcomer", ...NRPS }))).status).toBe(303);
  expect(await t.db.user.count({ where: { email: "nina@example.edu" } })).toBe(1);

  // Again with nothing changed: nothing to do. A failing LMS changes nothing and says why.
  await prof.post(`/lti/contexts/${ctx.id}/roster`).type("form").send({ _csrf: csrfOf(after) });
  expect((await t.db.ltiContext.findUniqueOrThrow({ where: { id: ctx.id } })).rosterSummary).toBe("6 listed: 0 added, 0 role changes, 0 removed, 1 not added.");
  lms.roster = [[{ user_id: "x" }]];
  const broken = await t.db.ltiContext.update({ where: { id: ctx.id }, data: { membershipsUrl: `${base}/nowhere` } });
  const failed = await prof.post(`/lti/contexts/${broken.id}/roster`).type("form").send({ _csrf: csrfOf(after) });
  expect(failed.status).toBe(400);
  expect($(failed.text)(".error-message").text()).toContain("HTTP 404");
  expect(await roleOf("nina@example.edu")).toBe("STUDENT");
});
