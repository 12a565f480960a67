// The LTI security review (issue 16): a Dynamic Registration cannot shadow a registered issuer; only the launch
// pages are framed by every registered LMS (an LMS course's connect page only by the session launched from it);
// nothing is fetched for a registration until an administrator asks, never from this machine or a private network,
// and never more than 64 KB; the new-window ticket is not handed to a page that does not say it is framed, and is
// not written to the request log.
import http from "node:http";
import net from "node:net";
import { Writable } from "node:stream";
import type { JSONWebKeySet } from "jose";
import { pino } from "pino";
import { pinoHttp } from "pino-http";
import { LtiRegistrations } from "../../src/lti/lti.registration.js";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { requestLogSerializer, responseLogSerializer } from "../../src/platform/logger.js";
import { $, signedIn, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";
import { tempDir } from "../helpers/grading.js";
import { CLAIM, endpointsOf, INSTRUCTOR, startFakePlatform, writePlatformsFile, type FakePlatform } from "../helpers/lti-platform.js";

const TOOL = "https://tool.example.org";
const PLATFORM_CONFIG = "https://purl.imsglobal.org/spec/lti-platform-configuration";
let t: TestApp;
/** The LMS registered in the platforms file. */
let real: FakePlatform;
/** Someone else's keys and token endpoint. */
let evil: FakePlatform;
/** An LMS registered earlier through Dynamic Registration (a database row). */
let moodle: FakePlatform;
const now = TEST_NOW;
const dir = tempDir("lti-review-");
type Agent = ReturnType<TestApp["agent"]>;
const csrfOf = (html: string) => String($(html)("input[name=_csrf]").first().val());

beforeAll(async () => {
  real = await startFakePlatform({ clientId: "real-client", now: () => now });
  evil = await startFakePlatform({ clientId: "x", now: () => now });
  moodle = await startFakePlatform({ clientId: "dyn-client-9", now: () => now });
  const file = writePlatformsFile(dir.dir, [{ name: "Real LMS", clientId: "real-client", deployments: ["d1"], ...endpointsOf(real) }]);
  t = await startTestApp({ LTI_PLATFORMS_FILE: file, PUBLIC_URL: TOOL }, { clock: () => now });
  real.toolKeys = (await t.agent().get("/lti/jwks")).body as JSONWebKeySet;
});
afterAll(async () => {
  await t?.close();
  await real?.close();
  await evil?.close();
  await moodle?.close();
  dir.remove();
});

/** The administrator opens the registration, asks to review it, and approves: the last response. */
async function approve(admin: Agent, configUrl: string, token: string) {
  const page = await admin.get(`/lti/register?${new URLSearchParams({ openid_configuration: configUrl, registration_token: token })}`);
  const reviewed = await admin.post("/lti/register/review").type("form").send({ _csrf: csrfOf(page.text), openid_configuration: configUrl, registration_token: token });
  const done = await admin.post("/lti/register").type("form").send({ _csrf: csrfOf(page.text), openid_configuration: configUrl, registration_token: token });
  return { reviewed, done };
}

const platformConfig = (p: FakePlatform, over: Record<string, unknown> = {}) => ({
  issuer: p.base, authorization_endpoint: `${p.base}/auth`, token_endpoint: `${p.base}/token`, jwks_uri: `${p.base}/jwks`,
  registration_endpoint: `${p.base}/register`, [PLATFORM_CONFIG]: { product_family_code: "moodle" }, ...over,
});

describe("finding 1: a registration cannot shadow a registered issuer", () => {
  test("a registration under the file's issuer with other keys (another client id) is refused and cannot sign in a linked account", async () => {
    const irene = await t.db.user.findUniqueOrThrow({ where: { email: "instructor@example.edu" } });
    await t.db.ltiIdentity.create({ data: { issuer: real.base, sub: "irene-sub", userId: irene.id } });
    // A configuration served from the real LMS's host (say, an uploaded file) that names foreign keys.
    real.openidConfig = platformConfig(real, { token_endpoint: `${evil.base}/token`, jwks_uri: `${evil.base}/jwks` });
    const admin = await signedIn(t, "admin@example.edu", DEMO_PASSWORDS.admin);
    const { reviewed, done } = await approve(admin, `${real.base}/.well-known/openid-configuration`, real.registrationToken);
    for (const res of [reviewed, done]) {
      expect(res.status).toBe(400);
      const text = $(res.text)(".error-message").text();
      expect(text).toContain(`The issuer ${real.base} is already registered here`);
      expect(text).toContain("an administrator must first remove or adjust the existing registration");
    }
    expect(real.registrations).toHaveLength(0); // the platform was never asked
    expect(await t.db.ltiRegistration.count({ where: { issuer: real.base } })).toBe(0);

    // The attacker's launch with its own key, as Irene's sub, finds no platform for that client id.
    const agent = t.agent();
    const init = await agent.get("/lti/login").query({ iss: real.base, login_hint: "h", client_id: "dyn-client-9" });
    expect(init.status).not.toBe(302);
    expect($((await agent.get("/")).text)("header").text()).not.toContain("Irene");
  });

  test("a second registration of a registered client adds its deployment and never changes its endpoints; other keys are refused", async () => {
    const adminRow = await t.db.user.findUniqueOrThrow({ where: { email: "admin@example.edu" } });
    const kept = {
      name: "Moodle (first)", issuer: moodle.base, clientId: "dyn-client-9", deployments: ["old-deploy"], authLoginUrl: `${moodle.base}/auth`,
      keySetUrl: `${moodle.base}/jwks`, tokenUrl: `${moodle.base}/token`, authAudience: null, configUrl: `${moodle.base}/.well-known/openid-configuration`, approvedById: adminRow.id,
    };
    await t.db.ltiRegistration.create({ data: kept });
    const admin = await signedIn(t, "admin@example.edu", DEMO_PASSWORDS.admin);
    // Other keys under the same issuer and client: refused, the row as it was.
    moodle.openidConfig = platformConfig(moodle, { jwks_uri: `${evil.base}/jwks` });
    const refused = await approve(admin, `${moodle.base}/.well-known/openid-configuration`, moodle.registrationToken);
    expect(refused.done.status).toBe(400);
    expect($(refused.done.text)(".error-message").text()).toContain(`The issuer ${moodle.base} is already registered here`);
    expect(await t.db.ltiRegistration.findFirstOrThrow({ where: { issuer: moodle.base } })).toMatchObject(kept);
    // The same keys and sign-in endpoint, another token endpoint and audience: only the deployment is added.
    moodle.openidConfig = platformConfig(moodle, { token_endpoint: `${evil.base}/token`, authorization_server: "https://evil.example/aud" });
    const ok = await approve(admin, `${moodle.base}/.well-known/openid-configuration`, moodle.registrationToken);
    expect(ok.done.status).toBe(200);
    expect(await t.db.ltiRegistration.findFirstOrThrow({ where: { issuer: moodle.base } })).toMatchObject({ ...kept, deployments: ["old-deploy", "dyn-deploy-1"] });
    await t.db.ltiRegistration.deleteMany({ where: { issuer: moodle.base } });
  });
});

describe("finding 2: framing", () => {
  const realOrigin = () => new URL(real.base).origin;

  test("an LMS course's connect page and the other /lti pages of a password session are not framed by the platforms; a framed connect is refused", async () => {
    const ctx = await t.db.ltiContext.create({ data: { issuer: real.base, clientId: "real-client", deploymentId: "d1", contextId: "attacker-sandbox", title: "Sandbox" } });
    const irene = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
    for (const url of [`/lti/contexts/${ctx.id}`, "/lti/courses/cnn", "/lti/link"]) {
      const page = await irene.get(url);
      expect(page.headers["content-security-policy"]).toMatch(/frame-ancestors 'self'(;|$)/);
      expect(page.headers["x-frame-options"]).toBe("SAMEORIGIN");
    }
    const page = await irene.get(`/lti/contexts/${ctx.id}`);
    // A click inside another site's frame does not connect the course.
    const framed = await irene.post(`/lti/contexts/${ctx.id}`).set("Sec-Fetch-Dest", "iframe").type("form").send({ _csrf: csrfOf(page.text), course: "cnn" });
    expect(framed.status).toBe(403);
    expect($(framed.text)(".error-message").text()).toContain("open this page in a new window");
    expect((await t.db.ltiContext.findUniqueOrThrow({ where: { id: ctx.id } })).courseId).toBeNull();
    // The launch pages stay framable by the registered platform.
    const login = await t.agent().get("/lti/login").query({ iss: real.base, login_hint: "h", client_id: "real-client" });
    expect(login.headers["content-security-policy"]).toContain(realOrigin());
  });

  test("a session launched from an LMS course may show that course's connect page in the LMS frame; no other", async () => {
    const agent = t.agent();
    const init = await agent.get("/lti/login").query({ iss: real.base, login_hint: "h", client_id: "real-client" });
    const url = new URL(init.headers.location!);
    const cookie = ([] as string[]).concat(init.headers["set-cookie"] ?? []).find((c) => c.startsWith("lti-state-"))!.split(";")[0]!;
    const id_token = await real.idToken(url.searchParams.get("nonce")!, { [`${CLAIM}deployment_id`]: "d1", [`${CLAIM}context`]: { id: "own-course", title: "Own" }, [`${CLAIM}roles`]: [INSTRUCTOR], name: "Lars LMS" }, { iss: real.base, aud: "real-client", now, sub: "lars" });
    const launched = await agent.post("/lti/launch").set("Sec-Fetch-Dest", "iframe").set("Cookie", cookie).type("form").send({ id_token, state: url.searchParams.get("state") });
    expect(launched.headers.location).toMatch(/^\/lti\/opened\?ticket=/);
    const opened = await agent.get(launched.headers.location!).set("Sec-Fetch-Dest", "iframe");
    const own = await t.db.ltiContext.findFirstOrThrow({ where: { contextId: "own-course" } });
    expect(opened.headers.location).toBe(`/lti/contexts/${own.id}`);
    const page = await agent.get(`/lti/contexts/${own.id}`).set("Sec-Fetch-Dest", "iframe");
    expect(page.headers["content-security-policy"]).toMatch(new RegExp(`frame-ancestors 'self' ${realOrigin()}(;|$)`));
    expect(page.headers["x-frame-options"]).toBeUndefined();
    const other = await t.db.ltiContext.create({ data: { issuer: real.base, clientId: "real-client", deploymentId: "d1", contextId: "someone-elses", title: "Other" } });
    expect((await agent.get(`/lti/contexts/${other.id}`)).headers["content-security-policy"]).toMatch(/frame-ancestors 'self'(;|$)/);
  });

  test("the register page: framable by anyone with nothing to approve in it; the administrator's review only in a window of its own", async () => {
    real.openidConfig = platformConfig(real);
    const q = `/lti/register?${new URLSearchParams({ openid_configuration: `${real.base}/.well-known/openid-configuration` })}`;
    const anon = await t.agent().get(q);
    expect(anon.headers["content-security-policy"]).toMatch(/frame-ancestors \*(;|$)/);
    expect(anon.headers["x-frame-options"]).toBeUndefined();
    expect($(anon.text)("main form").length).toBe(0);
    expect($(anon.text)("#lti-register-approve").attr("target")).toBe("_blank");
    const admin = await signedIn(t, "admin@example.edu", DEMO_PASSWORDS.admin);
    // Framed, even an administrator gets only the link to a new window.
    const framed = await admin.get(q).set("Sec-Fetch-Dest", "iframe");
    expect($(framed.text)("main form").length).toBe(0);
    expect($(framed.text)("#lti-register-approve").length).toBe(1);
    const top = await admin.get(q).set("Sec-Fetch-Dest", "document");
    expect(top.headers["content-security-policy"]).toMatch(/frame-ancestors 'self'(;|$)/);
    expect(top.headers["x-frame-options"]).toBe("SAMEORIGIN");
    const body = { _csrf: csrfOf(top.text), openid_configuration: `${real.base}/.well-known/openid-configuration` };
    const reviewed = await admin.post("/lti/register/review").type("form").send(body);
    expect(reviewed.headers["content-security-policy"]).toMatch(/frame-ancestors 'self'(;|$)/);
    expect((await admin.post("/lti/register").set("Sec-Fetch-Dest", "iframe").type("form").send(body)).status).toBe(403);
  });
});

describe("finding 3: what a registration makes this server fetch", () => {
  let hits: string[];
  let srv: http.Server;
  let local: string;
  let big = false;
  beforeAll(async () => {
    hits = [];
    srv = http.createServer((req, res) => {
      hits.push(`${req.method} ${req.url}`);
      res.setHeader("Content-Type", "application/json");
      res.end(big ? JSON.stringify({ ...platformConfig(real), filler: "x".repeat(100 * 1024) }) : "{}");
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
    local = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => srv.close(() => r())));

  test("an administrator's GET (a link is enough) fetches nothing: only the review button's POST does", async () => {
    const admin = await signedIn(t, "admin@example.edu", DEMO_PASSWORDS.admin);
    const page = await admin.get(`/lti/register?openid_configuration=${encodeURIComponent(`${local}/internal/admin?x=1`)}`);
    expect(page.status).toBe(200);
    expect($(page.text)("#lti-register-review").text()).toContain("Review this registration");
    expect(hits).toEqual([]);
    // Without the form's token, still nothing.
    expect((await admin.post("/lti/register/review").type("form").send({ openid_configuration: `${local}/internal/admin?x=1` })).status).toBe(403);
    expect(hits).toEqual([]);
  });

  test("addresses on this machine or a private network are refused before any request", async () => {
    const regs = new LtiRegistrations({ db: t.db, publicOrigin: TOOL, platforms: { all: async () => [] } as never, lookup: async () => ["10.1.2.3"] });
    await expect(regs.readConfiguration(`${local}/.well-known/openid-configuration`)).rejects.toThrow("on this server or a private network");
    await expect(regs.readConfiguration("https://lms.internal.example/.well-known/openid-configuration")).rejects.toThrow("on this server or a private network");
    const mapped = new LtiRegistrations({ db: t.db, publicOrigin: TOOL, platforms: { all: async () => [] } as never, lookup: async () => ["93.184.216.34", "::ffff:169.254.169.254"] });
    await expect(mapped.readConfiguration("https://lms.example.com/.well-known/openid-configuration")).rejects.toThrow("on this server or a private network");
    expect(hits).toEqual([]);
  });

  test("a name that resolves to a public address for the check and to this machine for the connection (DNS rebinding) reaches nothing", async () => {
    const connections: string[] = [];
    const trap = net.createServer((socket) => {
      connections.push(String(socket.remoteAddress));
      socket.destroy();
    });
    await new Promise<void>((r) => trap.listen(0, "127.0.0.1", () => r()));
    const port = (trap.address() as net.AddressInfo).port;
    const asked: string[] = [];
    const rebinding = async (host: string) => {
      asked.push(host);
      return asked.length === 1 ? ["93.184.216.34"] : ["127.0.0.1"];
    };
    try {
      const regs = new LtiRegistrations({ db: t.db, publicOrigin: TOOL, platforms: { all: async () => [] } as never, lookup: rebinding });
      await expect(regs.readConfiguration(`https://lms.rebind.example:${port}/.well-known/openid-configuration`)).rejects.toThrow("is on this server or a private network");
      // Checked before the request, then by the connection itself, which refused the address it got.
      expect(asked).toEqual(["lms.rebind.example", "lms.rebind.example"]);
      expect(connections).toEqual([]);
    } finally {
      await new Promise<void>((r) => trap.close(() => r()));
    }
  });

  test("a configuration naming keys, a token endpoint or a registration endpoint on a private network is refused at review, before anything is posted", async () => {
    const posted: string[] = [];
    let config: Record<string, unknown> = {};
    const lms = http.createServer((req, res) => {
      if (req.method !== "GET") posted.push(`${req.method} ${req.url}`);
      res.setHeader("Content-Type", "application/json");
      res.end(JSON.stringify(config));
    });
    await new Promise<void>((r) => lms.listen(0, "127.0.0.1", () => r()));
    const base = `http://127.0.0.1:${(lms.address() as net.AddressInfo).port}`;
    const names: Record<string, string> = { "lms.example.com": "93.184.216.34", "keys.internal.example": "10.0.0.5", "metadata.example.com": "169.254.169.254" };
    // The fake LMS itself is on this machine: only its address is let through.
    const regs = new LtiRegistrations({ db: t.db, publicOrigin: TOOL, platforms: { all: async () => [] } as never, allowPrivateHosts: ["127.0.0.1"], lookup: async (h) => (names[h] ? [names[h]] : []) });
    const good = { issuer: base, authorization_endpoint: "https://lms.example.com/auth", token_endpoint: "https://lms.example.com/token", jwks_uri: "https://lms.example.com/jwks", registration_endpoint: `${base}/register`, [PLATFORM_CONFIG]: { product_family_code: "moodle" } };
    try {
      for (const [over, refused] of [
        [{ jwks_uri: "https://keys.internal.example/jwks" }, "The keys (jwks_uri) address https://keys.internal.example/jwks is on this server or a private network"],
        [{ token_endpoint: "https://metadata.example.com/token" }, "The token endpoint address https://metadata.example.com/token is on this server or a private network"],
        [{ registration_endpoint: "http://[::1]:9/register" }, "The registration endpoint address http://[::1]:9/register is on this server or a private network"],
        [{ jwks_uri: "https://nowhere.example/jwks" }, "The keys (jwks_uri) address https://nowhere.example/jwks names a host that could not be found"],
      ] as const) {
        config = { ...good, ...over };
        await expect(regs.register(`${base}/.well-known/openid-configuration`, "tok", "no-one")).rejects.toThrow(refused);
      }
      expect(posted).toEqual([]);
      // The same configuration with public addresses passes review.
      config = good;
      await expect(regs.readConfiguration(`${base}/.well-known/openid-configuration`)).resolves.toMatchObject({ jwks_uri: "https://lms.example.com/jwks" });
    } finally {
      await new Promise<void>((r) => lms.close(() => r()));
    }
  });

  test("an answer larger than 64 KB is cut off and refused", async () => {
    big = true;
    const regs = new LtiRegistrations({ db: t.db, publicOrigin: TOOL, platforms: { all: async () => [] } as never, allowPrivateHosts: true });
    await expect(regs.readConfiguration(`${local}/.well-known/openid-configuration`)).rejects.toThrow("larger than 64 KB");
    big = false;
  });
});

describe("finding 4: the new-window ticket", () => {
  async function framedLaunch() {
    const agent = t.agent();
    const init = await agent.get("/lti/login").query({ iss: real.base, login_hint: "h", client_id: "real-client" });
    const url = new URL(init.headers.location!);
    const cookie = ([] as string[]).concat(init.headers["set-cookie"] ?? []).find((c) => c.startsWith("lti-state-"))!.split(";")[0]!;
    const cnn = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
    await t.db.ltiContext.upsert({ where: { issuer_clientId_deploymentId_contextId: { issuer: real.base, clientId: "real-client", deploymentId: "d1", contextId: "connected" } }, update: {}, create: { issuer: real.base, clientId: "real-client", deploymentId: "d1", contextId: "connected", title: "Connected", courseId: cnn.id, approvedAt: now } });
    const id_token = await real.idToken(url.searchParams.get("nonce")!, { [`${CLAIM}deployment_id`]: "d1", [`${CLAIM}context`]: { id: "connected" }, name: "Sam Student" }, { iss: real.base, aud: "real-client", now, sub: "sam" });
    const launched = await agent.post("/lti/launch").set("Sec-Fetch-Dest", "iframe").set("Cookie", cookie).type("form").send({ id_token, state: url.searchParams.get("state") });
    expect(launched.headers.location).toMatch(/^\/lti\/opened\?ticket=/);
    return launched.headers.location!;
  }

  test("a request without Sec-Fetch-Dest is a whole page: no ticket form (410); a frame gets it, framable only by the launching LMS", async () => {
    const opened = await framedLaunch();
    const bare = await t.agent().get(opened); // no Sec-Fetch-Dest, no cookie: another site's page fetching it
    expect(bare.status).toBe(410);
    expect($(bare.text)("input[name=ticket]").length).toBe(0);
    // Another registered platform's origin may not frame it.
    await t.db.ltiRegistration.create({ data: { name: "Other", issuer: "https://other-lms.example", clientId: "o", deployments: ["o"], authLoginUrl: "https://other-lms.example/auth", keySetUrl: "https://other-lms.example/jwks", configUrl: "https://other-lms.example/cfg" } });
    const framed = await t.agent().get(opened).set("Sec-Fetch-Dest", "iframe");
    expect(framed.status).toBe(200);
    expect($(framed.text)("input[name=ticket]").length).toBe(1);
    expect(framed.headers["content-security-policy"]).not.toContain("other-lms.example");
    expect(framed.headers["content-security-policy"]).toMatch(new RegExp(`frame-ancestors 'self' ${new URL(real.base).origin}(;|$)`));
    await t.db.ltiRegistration.deleteMany({ where: { clientId: "o" } });
  });

  test("over https the session cookie is SameSite=None; Partitioned for a framed launch, also after the account choice in that frame", async () => {
    const agent = t.agent();
    const init = await agent.get("/lti/login").query({ iss: real.base, login_hint: "h", client_id: "real-client" });
    const url = new URL(init.headers.location!);
    const state = ([] as string[]).concat(init.headers["set-cookie"] ?? []).find((c) => c.startsWith("lti-state-"))!.split(";")[0]!;
    const id_token = await real.idToken(url.searchParams.get("nonce")!, { [`${CLAIM}deployment_id`]: "d1", [`${CLAIM}context`]: { id: "connected" }, name: "Irene I", email: "instructor@example.edu" }, { iss: real.base, aud: "real-client", now, sub: "irene-2" });
    const https = (r: ReturnType<Agent["get"]>, cookie: string) => r.set("X-Forwarded-Proto", "https").set("Sec-Fetch-Dest", "iframe").set("Cookie", cookie);
    const launched = await https(t.agent().post("/lti/launch"), state).type("form").send({ id_token, state: url.searchParams.get("state") });
    const sid = ([] as string[]).concat(launched.headers["set-cookie"] ?? []).find((c) => c.startsWith("cnn.sid="))!;
    expect(sid.split("; ")).toEqual(expect.arrayContaining(["SameSite=None", "Partitioned", "Secure"]));
    const opened = await https(t.agent().get(launched.headers.location!), sid.split(";")[0]!);
    expect(opened.headers.location).toBe("/lti/link");
    const page = await https(t.agent().get("/lti/link"), sid.split(";")[0]!);
    const linked = await https(t.agent().post("/lti/link"), sid.split(";")[0]!).type("form").send({ _csrf: csrfOf(page.text), choice: "new" });
    expect(linked.status).toBe(303);
    const after = ([] as string[]).concat(linked.headers["set-cookie"] ?? []).find((c) => c.startsWith("cnn.sid="))!;
    expect(after.split("; ")).toEqual(expect.arrayContaining(["SameSite=None", "Partitioned", "Secure"]));
  });

  test("the ticket (in a URL or a redirect) and the registration token are not written to the request log", async () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk: Buffer, _enc, cb) { lines.push(chunk.toString()); cb(); } });
    const log = pinoHttp({ logger: pino({ level: "info" }, sink), serializers: { req: requestLogSerializer, res: responseLogSerializer } });
    await new Promise<void>((resolve) => {
      const server = http.createServer((req, res) => {
        log(req, res);
        if (req.url === "/lti/launch") {
          res.statusCode = 303; // as Express's res.redirect does
          res.setHeader("Location", "/lti/opened?ticket=SECRET-TICKET-3");
        }
        res.end("ok");
      });
      server.listen(0, "127.0.0.1", async () => {
        const port = (server.address() as { port: number }).port;
        await fetch(`http://127.0.0.1:${port}/lti/opened?ticket=SECRET-TICKET-1`);
        await fetch(`http://127.0.0.1:${port}/lti/register?openid_configuration=x&registration_token=SECRET-REG-2`);
        await fetch(`http://127.0.0.1:${port}/lti/launch`, { redirect: "manual" });
        server.close(() => resolve());
      });
    });
    const text = lines.join("");
    expect(text).toContain("/lti/opened?ticket=");
    expect(text).not.toContain("SECRET-TICKET-1");
    expect(text).not.toContain("SECRET-REG-2");
    expect(text).not.toContain("SECRET-TICKET-3");
    expect(text).toContain('"statusCode":303');
    expect(text).toContain("openid_configuration=x");
  });
});
