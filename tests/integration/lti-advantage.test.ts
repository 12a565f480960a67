// LTI inside the LMS frame (frame-ancestors, partitioned cookies, Platform Storage, the new-window handoff),
// AGS line items (find, create, update, results; the token audience option) and Dynamic Registration,
// driven by a fake platform (tests/helpers/lti-platform.ts); the tool is the real app.
import crypto from "node:crypto";
import type { JSONWebKeySet } from "jose";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, signedIn, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";
import { tempDir } from "../helpers/grading.js";
import { AGS, CLAIM, INSTRUCTOR, SCOPES, startFakePlatform, writePlatformsFile, type FakePlatform } from "../helpers/lti-platform.js";

const ISS = "https://lms.example.edu";
const CLIENT = "tool-client-1";
const DEPLOYMENT = "deploy-1";
const TOOL = "https://tool.example.org";
/** Where the LMS's pages (which frame the tool) are served: not the issuer's host, as with Canvas. */
const SCHOOL = "https://school.example.edu";
/** Brightspace-style: the token endpoint wants this audience in the tool's assertion, not its own URL. */
const AUTH_AUDIENCE = "https://auth.example.edu/core/connect/token";

let t: TestApp;
let lms: FakePlatform;
let now = TEST_NOW;
const dir = tempDir("lti-advantage-");
type Agent = ReturnType<TestApp["agent"]>;
const csrfOf = (html: string) => String($(html)("input[name=_csrf]").first().val());

beforeAll(async () => {
  lms = await startFakePlatform({ clientId: CLIENT, now: () => now });
  lms.tokenAudience = AUTH_AUDIENCE;
  const file = writePlatformsFile(dir.dir, [{
    name: "Example LMS", issuer: ISS, clientId: CLIENT, deployments: [DEPLOYMENT], authLoginUrl: "https://lms.example.edu/auth",
    keySetUrl: `${lms.base}/jwks`, tokenUrl: `${lms.base}/token`, authAudience: AUTH_AUDIENCE, frameOrigins: [SCHOOL],
  }]);
  t = await startTestApp({ LTI_PLATFORMS_FILE: file, PUBLIC_URL: TOOL }, { clock: () => now });
  const cnn = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
  await t.db.ltiContext.create({ data: { issuer: ISS, clientId: CLIENT, deploymentId: DEPLOYMENT, contextId: "ctx-1", title: "ML 501", courseId: cnn.id, approvedAt: now } });
  lms.toolKeys = (await t.agent().get("/lti/jwks")).body as JSONWebKeySet;
});
afterAll(async () => {
  await t?.close();
  await lms?.close();
  dir.remove();
});

async function login(agent: Agent, extra: Record<string, string> = {}) {
  const res = await agent.get("/lti/login").query({ iss: ISS, login_hint: "hint", client_id: CLIENT, ...extra });
  const setCookie = ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("lti-state-"))!;
  const url = res.status === 302 ? new URL(res.headers.location!) : new URL(String($(res.text)("#lti-storage").attr("data-next")));
  return { res, state: url.searchParams.get("state")!, nonce: url.searchParams.get("nonce")!, cookie: setCookie.split(";")[0]! };
}
const token = (nonce: string, claims: Record<string, unknown> = {}, sub = "lms-lena") => lms.idToken(nonce, {
  [`${CLAIM}deployment_id`]: DEPLOYMENT, [`${CLAIM}context`]: { id: "ctx-1", title: "ML 501" },
  [`${CLAIM}target_link_uri`]: `${TOOL}/courses/cnn/quizzes/cnn-friday`, name: "Lena Learner", ...claims,
}, { iss: ISS, aud: CLIENT, now, sub });
const cookieOf = (res: { headers: Record<string, unknown> }, name: string) => ([] as string[]).concat((res.headers["set-cookie"] as string[] | undefined) ?? []).find((c) => c.startsWith(`${name}=`));

describe("inside the LMS frame", () => {
  test("LTI pages may be framed by the registered platform's origins (no X-Frame-Options there); other pages only by this site", async () => {
    const l = await login(t.agent());
    // The platform's frameOrigins (its issuer's and login endpoint's origins when it names none).
    expect(l.res.headers["content-security-policy"]).toMatch(new RegExp(`frame-ancestors 'self' ${SCHOOL}(;|$)`));
    expect(l.res.headers["x-frame-options"]).toBeUndefined();
    const other = await t.agent().get("/login");
    expect(other.headers["content-security-policy"]).toMatch(/frame-ancestors 'self'(;|$)/);
    expect(other.headers["x-frame-options"]).toBe("SAMEORIGIN");
  });

  test("over https, the session a launch makes has a SameSite=None; Secure; Partitioned cookie, and its pages may be framed by the LMS", async () => {
    const agent = t.agent();
    const l = await login(agent);
    // The launch names the LMS site (tool_platform.url, signed): its pages may frame this session too.
    const site = { [`${CLAIM}tool_platform`]: { guid: "lms-1", url: "https://branch.example.edu/home" } };
    const res = await agent.post("/lti/launch").set("X-Forwarded-Proto", "https").set("Sec-Fetch-Dest", "iframe").set("Cookie", l.cookie).type("form").send({ id_token: await token(l.nonce, site), state: l.state });
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/lti\/opened\?ticket=/);
    const session = cookieOf(res, "cnn.sid")!;
    for (const attr of ["Secure", "HttpOnly", "SameSite=None", "Partitioned"]) expect(session.split("; ")).toContain(attr);
    // A launch in a whole page (not framed) keeps the site's SameSite=Lax cookie: no cross-site cookie where none is needed.
    const top = t.agent();
    const lt = await login(top);
    const whole = await top.post("/lti/launch").set("X-Forwarded-Proto", "https").set("Sec-Fetch-Dest", "document").set("Cookie", lt.cookie).type("form").send({ id_token: await token(lt.nonce, site), state: lt.state });
    expect(whole.headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
    expect(cookieOf(whole, "cnn.sid")!.split("; ")).toContain("SameSite=Lax");
    expect(cookieOf(whole, "cnn.sid")!.split("; ")).not.toContain("Partitioned");
    // The course page of that session, framed by the school's LMS pages.
    const page = await t.agent().get("/courses/cnn").set("X-Forwarded-Proto", "https").set("Cookie", session.split(";")[0]!);
    expect(page.status).toBe(200);
    expect(page.headers["content-security-policy"]).toMatch(new RegExp(`frame-ancestors 'self' ${SCHOOL} https://branch.example.edu(;|$)`));
    expect(page.headers["x-frame-options"]).toBeUndefined();
    // A password session's pages are not framed by anyone else.
    const irene = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
    const own = await irene.get("/courses/cnn");
    expect(own.headers["content-security-policy"]).toMatch(/frame-ancestors 'self'(;|$)/);
  });

  test("a launch in a frame checks that the session cookie arrived; where the browser dropped it, a button opens the launch once in a new window", async () => {
    // The cookie arrives: straight on to the page, and the ticket is used up.
    const agent = t.agent();
    const l = await login(agent);
    const res = await agent.post("/lti/launch").set("Sec-Fetch-Dest", "iframe").set("Cookie", l.cookie).type("form").send({ id_token: await token(l.nonce), state: l.state });
    expect(res.headers.location).toMatch(/^\/lti\/opened\?ticket=[\w-]+$/);
    const on = await agent.get(res.headers.location!).set("Sec-Fetch-Dest", "iframe");
    expect(on.status).toBe(303);
    expect(on.headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
    const used = new URL(res.headers.location!, TOOL).searchParams.get("ticket")!;
    expect((await t.agent().post("/lti/continue").set("Origin", TOOL).type("form").send({ ticket: used })).status).toBe(403);

    // The browser drops the cookie in the frame: the page says so, with a button.
    const launcher = t.agent();
    const l2 = await login(launcher);
    const r2 = await launcher.post("/lti/launch").set("Sec-Fetch-Dest", "iframe").set("Cookie", l2.cookie).type("form").send({ id_token: await token(l2.nonce), state: l2.state });
    const framed = t.agent(); // no cookie reaches the frame
    const page = await framed.get(r2.headers.location!).set("Sec-Fetch-Dest", "iframe");
    expect(page.status).toBe(200);
    const p = $(page.text);
    expect(p("main").text()).toContain("signed you in as Lena Learner");
    expect(p("main").text()).toContain("does not keep this site's sign-in inside the LMS page");
    expect(p("form").attr("action")).toBe("/lti/continue");
    expect(p("form").attr("target")).toBe("_blank");
    const ticket = String(p("input[name=ticket]").val());
    // Opened as a whole page (not in a frame), a ticket is not offered: cookies work there.
    expect((await t.agent().get(r2.headers.location!).set("Sec-Fetch-Dest", "document")).status).toBe(410);
    // Another site cannot use the ticket to sign a browser in (login CSRF): only this tool's own page can.
    const forged = await t.agent().post("/lti/continue").set("Origin", "https://evil.example").set("Sec-Fetch-Site", "cross-site").type("form").send({ ticket });
    expect(forged.status).toBe(403);
    // The new window: signed in, at the activity.
    const win = t.agent();
    const opened = await win.post("/lti/continue").set("Origin", TOOL).set("Sec-Fetch-Site", "same-origin").type("form").send({ ticket });
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
    expect($((await win.get("/courses/cnn")).text)("header").text()).toContain("Lena Learner");
    // Once only.
    const again = await t.agent().post("/lti/continue").set("Origin", TOOL).type("form").send({ ticket });
    expect(again.status).toBe(403);
    expect($(again.text)(".error-message").text()).toContain("expired");
  });

  test("a new-window ticket lasts five minutes", async () => {
    const agent = t.agent();
    const l = await login(agent);
    const r = await agent.post("/lti/launch").set("Sec-Fetch-Dest", "iframe").set("Cookie", l.cookie).type("form").send({ id_token: await token(l.nonce), state: l.state });
    const ticket = new URL(r.headers.location!, TOOL).searchParams.get("ticket")!;
    const start = now;
    now = new Date(start.getTime() + 5 * 60_000 + 1000);
    try {
      expect((await t.agent().post("/lti/continue").set("Origin", TOOL).type("form").send({ ticket })).status).toBe(403);
    } finally {
      now = start;
    }
  });

  test("a new-window ticket whose stored plan does not read back is refused like an expired one (the page says so; nobody is signed in), not a crash", async () => {
    const launcher = t.agent();
    const l = await login(launcher);
    const r = await launcher.post("/lti/launch").set("Sec-Fetch-Dest", "iframe").set("Cookie", l.cookie).type("form").send({ id_token: await token(l.nonce), state: l.state });
    const ticket = new URL(r.headers.location!, TOOL).searchParams.get("ticket")!;
    // Only the ticket's SHA-256 is stored (base64url); its row now holds JSON of another shape.
    const id = crypto.createHash("sha256").update(ticket).digest("base64url");
    await t.db.ltiHandoff.update({ where: { id }, data: { payload: { who: "Lena Learner", dest: 42, frameOrigins: "all" } } });
    const page = await t.agent().get(r.headers.location!).set("Sec-Fetch-Dest", "iframe");
    expect(page.status).toBe(410);
    expect($(page.text)("main").text()).toContain("This sign-in from your LMS has expired or was already used");
    expect($(page.text)("form[action='/lti/continue']")).toHaveLength(0);
    const win = t.agent();
    const opened = await win.post("/lti/continue").set("Origin", TOOL).set("Sec-Fetch-Site", "same-origin").type("form").send({ ticket });
    expect(opened.status).toBe(403);
    expect($(opened.text)(".error-message").text()).toContain("expired");
    expect($((await win.get("/courses/cnn")).text)("header").text()).not.toContain("Lena Learner");
    // Used up all the same.
    expect(await t.db.ltiHandoff.findUnique({ where: { id } })).toBeNull();
  });

  test("Platform Storage: the state goes to the platform's frame at login; a launch without the cookie is checked by the tool's page and only then signs in", async () => {
    const agent = t.agent();
    const l = await login(agent, { lti_storage_target: "_parent" });
    expect(l.res.status).toBe(200);
    const put = $(l.res.text)("#lti-storage");
    expect(put.attr("data-mode")).toBe("put");
    expect(put.attr("data-target")).toBe("_parent");
    expect(put.attr("data-origin")).toBe("https://lms.example.edu"); // the OIDC endpoint's origin: messages go only there
    expect(put.attr("data-key")).toBe(`lti-state-${l.state}`);
    expect(put.attr("data-value")).toBe(l.state);
    expect($(l.res.text)("script[src='/assets/js/lti-storage.js']").length).toBe(1);
    expect(l.cookie).toMatch(/^lti-state-/); // the cookie is still set, for browsers that keep it
    const id_token = await token(l.nonce);

    // The launch arrives without the cookie: a page reads the state back; nothing is used up or signed in yet.
    const check = await agent.post("/lti/launch").type("form").send({ id_token, state: l.state });
    expect(check.status).toBe(200);
    const get = $(check.text)("#lti-storage");
    expect(get.attr("data-mode")).toBe("get");
    expect(get.attr("data-key")).toBe(`lti-state-${l.state}`);
    expect(get.attr("data-token")).toBe(id_token);
    expect(await t.db.ltiLaunchState.count({ where: { state: l.state } })).toBe(1);
    expect((await agent.get("/courses/cnn")).status).not.toBe(200);

    // Another site posting the "checked" launch is refused (its request is cross-site).
    const forged = await t.agent().post("/lti/launch").set("X-LTI-Storage-Checked", "1").set("Sec-Fetch-Site", "cross-site").set("Origin", "https://evil.example").type("form").send({ id_token, state: l.state });
    expect(forged.status).toBe(403);

    // The tool's page, having read the state from the platform, posts the launch again.
    const done = await agent.post("/lti/launch").set("X-LTI-Storage-Checked", "1").set("Sec-Fetch-Site", "same-origin").set("Origin", TOOL).set("Accept", "application/json")
      .type("form").send({ id_token, state: l.state });
    expect(done.status).toBe(200);
    expect(done.body.location).toMatch(/^\/lti\/opened\?ticket=/);
    expect((await agent.get(done.body.location as string).set("Sec-Fetch-Dest", "iframe")).headers.location).toBe("/courses/cnn/quizzes/cnn-friday");
    expect(await t.db.ltiLaunchState.count({ where: { state: l.state } })).toBe(0);
  });

  test("a login that did not use Platform Storage cannot be completed by claiming the storage check", async () => {
    const agent = t.agent();
    const l = await login(agent);
    const res = await agent.post("/lti/launch").set("X-LTI-Storage-Checked", "1").set("Sec-Fetch-Site", "same-origin").set("Accept", "application/json").type("form").send({ id_token: await token(l.nonce), state: l.state });
    expect(res.status).toBe(401);
    expect(res.body.error.message).toContain("did not start in this browser");
  });
});

describe("AGS line items", () => {
  let prof: Agent;
  let ctxId: string;
  const ags = () => ({ [AGS]: { scope: [SCOPES.lineitem, SCOPES.result, SCOPES.score], lineitems: `${lms.base}/lineitems` } });

  beforeAll(async () => {
    prof = t.agent();
    const l = await login(prof);
    const res = await prof.post("/lti/launch").set("Cookie", l.cookie).type("form").send({ id_token: await token(l.nonce, { [`${CLAIM}roles`]: [INSTRUCTOR], name: "Pia Prof", ...ags() }, "lms-pia"), state: l.state });
    expect(res.status).toBe(303);
    // Pia is an instructor of cnn here (connected by an administrator's approval).
    const pia = await t.db.ltiIdentity.findUniqueOrThrow({ where: { issuer_sub: { issuer: ISS, sub: "lms-pia" } } });
    expect((await t.db.membership.findFirstOrThrow({ where: { userId: pia.userId } })).role).toBe("INSTRUCTOR");
    ctxId = (await t.db.ltiContext.findFirstOrThrow({ where: { contextId: "ctx-1" } })).id;
  });

  test("a launch keeps the LMS course's lineitems URL and the scopes it grants", async () => {
    expect(await t.db.ltiContext.findUniqueOrThrow({ where: { id: ctxId } })).toMatchObject({ lineitemsUrl: `${lms.base}/lineitems`, agsScopes: [SCOPES.lineitem, SCOPES.result, SCOPES.score] });
  });

  test("an instructor makes the quiz's column, finds it again (no duplicate), and brings the case study's existing column up to date; tokens carry the platform's audience", async () => {
    const cs = await t.db.caseStudy.findFirstOrThrow({});
    const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
    const max = (cs.settings as { points: { max: number } }).points.max;
    // The LMS already has columns: someone else's, and the case study's with an old title and scale.
    lms.lineItems.push({ id: `${lms.base}/lineitems/1`, label: "Attendance", scoreMaximum: 10, resourceId: "attendance", tag: "other" });
    lms.lineItems.push({ id: `${lms.base}/lineitems/2`, label: "Old case study", scoreMaximum: 50, resourceId: `case:${cs.slug}`, tag: "case-study" });

    const page = await prof.get(`/lti/contexts/${ctxId}`);
    const p = $(page.text);
    expect(p(`li[data-item="quiz:cnn-friday"] button`).text()).toBe("Make the LMS column");
    const made = await prof.post(`/lti/contexts/${ctxId}/columns`).type("form").send({ _csrf: csrfOf(page.text), item: "quiz:cnn-friday" });
    expect(made.status).toBe(303);
    const created = lms.lineItems.filter((li) => li.resourceId === "quiz:cnn-friday");
    expect(created).toEqual([{ id: expect.stringMatching(/\/lineitems\/\d+$/), label: quiz.title, scoreMaximum: 100, resourceId: "quiz:cnn-friday", tag: "quiz" }]);
    const post = lms.requests.find((r) => r.method === "POST" && r.url === "/lineitems")!;
    expect(post.type).toBe("application/vnd.ims.lis.v2.lineitem+json");
    // Found by resource id through the AGS filter, following the container's pages.
    expect(lms.requests.some((r) => r.method === "GET" && r.url === `/lineitems?resource_id=${encodeURIComponent("quiz:cnn-friday")}` && r.accept === "application/vnd.ims.lis.v2.lineitemcontainer+json")).toBe(true);
    const after = await prof.get(`/lti/contexts/${ctxId}`);
    expect($(after.text)(".flash, [role=status]").text()).toContain(`The column for ${quiz.title} was made in the LMS gradebook`);
    expect(await t.db.ltiLineItem.findFirstOrThrow({ where: { quizId: quiz.id, contextId: ctxId } })).toMatchObject({ lineitem: created[0]!.id });

    // Again: found, unchanged, not duplicated.
    await prof.post(`/lti/contexts/${ctxId}/columns`).type("form").send({ _csrf: csrfOf(after.text), item: "quiz:cnn-friday" });
    expect(lms.lineItems.filter((li) => li.resourceId === "quiz:cnn-friday")).toHaveLength(1);
    expect($((await prof.get(`/lti/contexts/${ctxId}`)).text)("main").text()).toContain("already in the LMS gradebook, up to date");

    // The case study's column exists: updated in place (PUT to the line item's own URL).
    await prof.post(`/lti/contexts/${ctxId}/columns`).type("form").send({ _csrf: csrfOf(after.text), item: `case:${cs.slug}` });
    expect(lms.lineItems.find((li) => li.id === `${lms.base}/lineitems/2`)).toMatchObject({ label: cs.title, scoreMaximum: max, resourceId: `case:${cs.slug}` });
    expect(lms.requests.filter((r) => r.method === "PUT").map((r) => r.url)).toEqual(["/lineitems/2"]);
    expect(lms.lineItems).toHaveLength(3);
    // Every token request carried the platform's audience (the token endpoint refuses any other).
    expect(lms.tokens.length).toBeGreaterThan(0);
    expect(lms.requests.filter((r) => r.url.startsWith("/lineitems")).every((r) => r.auth.startsWith("Bearer token-for-"))).toBe(true);
  });

  test("the LMS's results for a column are shown beside the grades sent from here", async () => {
    const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
    const li = await t.db.ltiLineItem.findFirstOrThrow({ where: { quizId: quiz.id, contextId: ctxId, resourceLinkId: { startsWith: "column:" } } });
    // Lena launched from ctx-1 (a member); her 80% was sent here, the LMS shows 72/90 (= 80%), and someone unknown has a result.
    const lena = await t.db.ltiIdentity.findUniqueOrThrow({ where: { issuer_sub: { issuer: ISS, sub: "lms-lena" } } });
    await t.db.ltiScoreSync.upsert({ where: { lineItemId_userId: { lineItemId: li.id, userId: lena.userId } }, create: { lineItemId: li.id, userId: lena.userId, percent: 80, changedAt: now, sentAt: now }, update: { percent: 80, sentAt: now } });
    lms.results[li.lineitem] = [{ userId: "lms-lena", resultScore: 72, resultMaximum: 90 }, { userId: "lms-stranger", resultScore: 5, resultMaximum: 100 }];
    const page = await prof.get(`/lti/contexts/${ctxId}/columns/${li.id}`);
    expect(page.status).toBe(200);
    const rows = $(page.text)("tbody tr").map((_i, tr) => $(page.text)(tr).find("td").map((_j, td) => $(page.text)(td).text()).get().join(" | ")).get();
    expect(rows).toEqual(["Lena Learner | 80 | 80 | same", "LMS user lms-stranger | 5 | — | only in the LMS"]);
    expect(lms.requests.at(-1)).toMatchObject({ url: new URL(li.lineitem).pathname + "/results", accept: "application/vnd.ims.lis.v2.resultcontainer+json" });
    // The LMS changes her grade by hand: shown as different.
    lms.results[li.lineitem] = [{ userId: "lms-lena", resultScore: 60, resultMaximum: 100 }];
    const changed = $((await prof.get(`/lti/contexts/${ctxId}/columns/${li.id}`)).text);
    expect(changed("tbody tr").text()).toContain("different");
    expect(changed("[role=status]").text()).toContain("1 of 1 differ");
  });

  test("students cannot manage columns or read the gradebook; instructors see the course's LMS connections", async () => {
    const alice = await signedIn(t, "alice@example.edu");
    const page = await alice.get(`/lti/contexts/${ctxId}`);
    expect((await alice.post(`/lti/contexts/${ctxId}/columns`).type("form").send({ _csrf: csrfOf(page.text), item: "quiz:cnn-friday" })).status).toBe(403);
    const li = await t.db.ltiLineItem.findFirstOrThrow({ where: { contextId: ctxId } });
    expect((await alice.get(`/lti/contexts/${ctxId}/columns/${li.id}`)).status).toBe(403);
    expect((await alice.get("/lti/courses/cnn")).status).toBe(403);
    const list = $((await prof.get("/lti/courses/cnn")).text);
    const row = list("tbody tr").filter((_i, tr) => list(tr).text().includes("ML 501")).first();
    expect(row.find("td").eq(4).text()).toBe("2"); // the quiz's and the case study's columns
    expect(row.text()).toContain("The LMS offers no roster service.");
    // The course page links an instructor there; a student sees no such link.
    expect($((await prof.get("/courses/cnn")).text)("a[href='/lti/courses/cnn']").text()).toBe("LMS connections");
    expect($((await alice.get("/courses/cnn")).text)("a[href='/lti/courses/cnn']")).toHaveLength(0);
  });

  test("without the line-item scope the page says the LMS has not allowed it, and a forced request is refused with why", async () => {
    await t.db.ltiContext.update({ where: { id: ctxId }, data: { agsScopes: [SCOPES.score] } });
    try {
      const page = await prof.get(`/lti/contexts/${ctxId}`);
      expect($(page.text)("main").text()).toContain("has not allowed this tool to manage gradebook columns");
      expect($(page.text)(`li[data-item="quiz:cnn-friday"] button`).length).toBe(0);
      const res = await prof.post(`/lti/contexts/${ctxId}/columns`).type("form").send({ _csrf: csrfOf(page.text), item: "quiz:cnn-friday" });
      expect(res.status).toBe(400);
      expect($(res.text)(".error-message").text()).toContain("has not allowed this tool");
    } finally {
      await t.db.ltiContext.update({ where: { id: ctxId }, data: { agsScopes: [SCOPES.lineitem, SCOPES.result, SCOPES.score] } });
    }
  });
});

describe("Dynamic Registration", () => {
  const configUrl = () => `${lms.base}/.well-known/openid-configuration`;
  const registerUrl = () => `/lti/register?${new URLSearchParams({ openid_configuration: configUrl(), registration_token: lms.registrationToken })}`;
  /** The administrator opens the registration (nothing is fetched) and asks to review it (now the configuration is read). */
  async function review(admin: Agent) {
    const page = await admin.get(registerUrl());
    expect(page.status).toBe(200);
    expect($(page.text)("#lti-register-review").length).toBe(1);
    return admin.post("/lti/register/review").type("form").send({ _csrf: csrfOf(page.text), openid_configuration: configUrl(), registration_token: lms.registrationToken });
  }
  beforeAll(() => {
    lms.openidConfig = {
      issuer: lms.base, authorization_endpoint: `${lms.base}/auth`, token_endpoint: `${lms.base}/token`, jwks_uri: `${lms.base}/jwks`,
      registration_endpoint: `${lms.base}/register`, scopes_supported: ["openid", SCOPES.lineitem, SCOPES.result, SCOPES.score],
      "https://purl.imsglobal.org/spec/lti-platform-configuration": { product_family_code: "moodle", version: "4.3", messages_supported: [{ type: "LtiResourceLinkRequest" }, { type: "LtiDeepLinkingRequest" }] },
    };
  });

  test("only a signed-in administrator can approve; others are told so, and the platform is not contacted", async () => {
    const before = lms.requests.length;
    const anon = await t.agent().get(registerUrl());
    expect(anon.status).toBe(200);
    const a = $(anon.text);
    expect(a("main").text()).toContain("Only a site administrator of this tool can approve it");
    expect(a("#lti-register-approve").attr("target")).toBe("_blank");
    expect(a("#lti-register-approve").attr("href")).toContain("approve=1");
    // The approval window asks to sign in first.
    const approve = await t.agent().get(String(a("#lti-register-approve").attr("href")));
    expect(approve.status).toBe(303);
    expect(approve.headers.location).toBe("/login");
    const irene = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
    const page = await irene.get(registerUrl());
    expect(page.status).toBe(403);
    expect($(page.text)("main").text()).toContain("Irene Instructor is not one");
    const post = await irene.post("/lti/register").type("form").send({ _csrf: csrfOf(page.text), openid_configuration: configUrl(), registration_token: lms.registrationToken });
    expect(post.status).toBe(403);
    expect(lms.requests.length).toBe(before);
    expect(await t.db.ltiRegistration.count()).toBe(0);
  });

  test("an administrator approves: the tool registers itself with the platform, and its launches work at once (no restart)", async () => {
    const admin = await signedIn(t, "admin@example.edu", DEMO_PASSWORDS.admin);
    const page = await review(admin);
    expect(page.status).toBe(200);
    const p = $(page.text);
    expect(p("dl.facts").text()).toContain("Moodle (127.0.0.1:");
    expect(p("dl.facts").text()).toContain(`${lms.base}/auth`);
    expect(lms.registrations).toHaveLength(0); // nothing registered before the approval
    const done = await admin.post("/lti/register").type("form").send({ _csrf: csrfOf(page.text), openid_configuration: configUrl(), registration_token: lms.registrationToken });
    expect(done.status).toBe(200);
    expect($(done.text)("#lti-registered").text()).toContain("dyn-client-9");
    expect($(done.text)("script[src='/assets/js/lti-register.js']").length).toBe(1);
    // What the platform received (Dynamic Registration §3.5): the tool's endpoints, keys, scopes it offers, Deep Linking.
    expect(lms.registrations).toHaveLength(1);
    const reg = lms.registrations[0]!;
    expect(reg.auth).toBe(`Bearer ${lms.registrationToken}`);
    expect(reg.body).toMatchObject({
      application_type: "web", response_types: ["id_token"], grant_types: ["implicit", "client_credentials"],
      initiate_login_uri: `${TOOL}/lti/login`, redirect_uris: [`${TOOL}/lti/launch`], jwks_uri: `${TOOL}/lti/jwks`, token_endpoint_auth_method: "private_key_jwt",
      "https://purl.imsglobal.org/spec/lti-tool-configuration": { domain: "tool.example.org", target_link_uri: `${TOOL}/lti/launch`, messages: [{ type: "LtiDeepLinkingRequest", target_link_uri: `${TOOL}/lti/launch` }] },
    });
    // Only the scopes the platform supports (it offers no NRPS).
    expect(String(reg.body.scope).split(" ").sort()).toEqual([SCOPES.lineitem, SCOPES.result, SCOPES.score].sort());
    const admRow = await t.db.user.findUniqueOrThrow({ where: { email: "admin@example.edu" } });
    expect(await t.db.ltiRegistration.findFirstOrThrow({})).toMatchObject({ issuer: lms.base, clientId: "dyn-client-9", deployments: ["dyn-deploy-1"], authLoginUrl: `${lms.base}/auth`, keySetUrl: `${lms.base}/jwks`, tokenUrl: `${lms.base}/token`, approvedById: admRow.id });

    // A launch from the newly registered platform, in the same running app.
    const cnn = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
    await t.db.ltiContext.create({ data: { issuer: lms.base, clientId: "dyn-client-9", deploymentId: "dyn-deploy-1", contextId: "m-1", title: "Moodle ML", courseId: cnn.id, approvedAt: now } });
    const agent = t.agent();
    const init = await agent.get("/lti/login").query({ iss: lms.base, login_hint: "h", client_id: "dyn-client-9", lti_deployment_id: "dyn-deploy-1" });
    expect(init.status).toBe(302);
    expect(init.headers.location).toMatch(new RegExp(`^${lms.base}/auth\\?`));
    expect(init.headers["content-security-policy"]).toContain(lms.base); // its pages may frame the tool too
    const url = new URL(init.headers.location!);
    const cookie = ([] as string[]).concat(init.headers["set-cookie"] ?? []).find((c) => c.startsWith("lti-state-"))!.split(";")[0]!;
    const id_token = await lms.idToken(url.searchParams.get("nonce")!, { [`${CLAIM}deployment_id`]: "dyn-deploy-1", [`${CLAIM}context`]: { id: "m-1" }, name: "Mo Moodle" }, { iss: lms.base, aud: "dyn-client-9", now, sub: "moodle-7" });
    const launched = await agent.post("/lti/launch").set("Cookie", cookie).type("form").send({ id_token, state: url.searchParams.get("state") });
    expect(launched.status).toBe(303);
    expect(launched.headers.location).toBe("/courses/cnn");
    expect($((await agent.get("/courses/cnn")).text)("header").text()).toContain("Mo Moodle");
  });

  test("a configuration whose issuer is on another host, or a refused registration, registers nothing and says why", async () => {
    const admin = await signedIn(t, "admin@example.edu", DEMO_PASSWORDS.admin);
    const count = await t.db.ltiRegistration.count();
    lms.openidConfig = { ...lms.openidConfig, issuer: "https://elsewhere.example" };
    const bad = await review(admin);
    expect(bad.status).toBe(400);
    expect($(bad.text)(".error-message").text()).toContain("not on the host it was read from");
    lms.openidConfig = { ...lms.openidConfig, issuer: lms.base };
    const page = await review(admin);
    const refused = await admin.post("/lti/register").type("form").send({ _csrf: csrfOf(page.text), openid_configuration: configUrl(), registration_token: "stale-token" });
    expect(refused.status).toBe(400);
    expect($(refused.text)(".error-message").text()).toContain("refused the registration (HTTP 401: registration token expired)");
    expect(await t.db.ltiRegistration.count()).toBe(count);
  });
});
