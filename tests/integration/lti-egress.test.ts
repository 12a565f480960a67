// A platform registered through Dynamic Registration had its addresses checked at review. Later requests for it
// (its keys at a launch, tokens, and any address a redirect names) are checked again as each connection is
// made: a name that moved to this machine, an IP written in a URL or a redirect reaches nothing. A platform in
// LTI_PLATFORMS_FILE (the operator's own, perhaps on the campus network) is not checked.
import http from "node:http";
import net from "node:net";
import { generateKeyPair, type JSONWebKeySet } from "jose";
import { LtiEgress } from "../../src/lti/lti.egress.js";
import { LtiGradeSync } from "../../src/lti/lti.grades.js";
import { quizGradeRelease } from "../../src/quiz/quiz.service.js";
import { AGS_LINEITEM_SCOPE, LtiLineItems } from "../../src/lti/lti.lineitems.js";
import { BadRequest } from "../../src/platform/errors.js";
import { loadToolKey } from "../../src/lti/lti.keys.js";
import { loadLtiPlatforms } from "../../src/lti/lti.platforms.js";
import { LtiPlatforms } from "../../src/lti/lti.registry.js";
import { LtiRoster } from "../../src/lti/lti.roster.js";
import { LtiTokens } from "../../src/lti/lti.tokens.js";
import { $, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";
import { tempDir } from "../helpers/grading.js";
import { CLAIM, endpointsOf, startFakePlatform, writePlatformsFile, type FakePlatform } from "../helpers/lti-platform.js";

const TOOL = "https://tool.example.org";
const now = TEST_NOW;
const dir = tempDir("lti-egress-");
/** Stands in for the public internet: the only private address the checked connections may reach. */
const PUBLIC = "127.0.0.2";
/** Names as this test's resolver answers them: keys.moved.example has moved to this machine. */
const NAMES: Record<string, string> = { "lms.example.com": PUBLIC, "keys.moved.example": "127.0.0.1" };
const egress = new LtiEgress({ allowPrivateHosts: [PUBLIC], lookup: async (h) => (NAMES[h] ? [NAMES[h]] : []) });

let t: TestApp;
/** In the platforms file, on this machine. */
let campus: FakePlatform;
/** Registered through Dynamic Registration (a database row), at a "public" address. */
let dyn: FakePlatform;
/** Connections anything made to this machine's trap. */
const trapped: string[] = [];
let trap: net.Server;
let trapPort = 0;

beforeAll(async () => {
  campus = await startFakePlatform({ clientId: "campus-client", now: () => now });
  dyn = await startFakePlatform({ clientId: "dyn-client", now: () => now, host: PUBLIC });
  trap = net.createServer((socket) => {
    trapped.push(String(socket.remoteAddress));
    socket.destroy();
  });
  await new Promise<void>((r) => trap.listen(0, "127.0.0.1", () => r()));
  trapPort = (trap.address() as net.AddressInfo).port;
  const file = writePlatformsFile(dir.dir, [{ name: "Campus LMS", clientId: "campus-client", deployments: ["d1"], ...endpointsOf(campus) }]);
  t = await startTestApp({ LTI_PLATFORMS_FILE: file, PUBLIC_URL: TOOL }, { clock: () => now, ltiEgress: egress });
  const admin = await t.db.user.findUniqueOrThrow({ where: { email: "admin@example.edu" } });
  await t.db.ltiRegistration.create({ data: {
    name: "Moodle (lms.example.com)", issuer: dyn.base, clientId: "dyn-client", deployments: ["dep-1"], authLoginUrl: `${dyn.base}/auth`,
    keySetUrl: `${dyn.base}/jwks`, tokenUrl: `${dyn.base}/token`, authAudience: null, configUrl: `${dyn.base}/.well-known/openid-configuration`, approvedById: admin.id,
  } });
  dyn.toolKeys = (await t.agent().get("/lti/jwks")).body as JSONWebKeySet; // its token endpoint checks the tool's assertions
  // Each platform's LMS course, connected to the demo course: a launch whose token is verified signs in.
  const cnn = await t.db.course.findUniqueOrThrow({ where: { slug: "cnn" } });
  for (const [issuer, clientId, deploymentId] of [[campus.base, "campus-client", "d1"], [dyn.base, "dyn-client", "dep-1"]] as const) {
    await t.db.ltiContext.create({ data: { issuer, clientId, deploymentId, contextId: "ctx-1", title: "ML", courseId: cnn.id, approvedAt: now } });
  }
});
afterAll(async () => {
  await t?.close();
  await campus?.close();
  await dyn?.close();
  await new Promise<void>((r) => (trap ? trap.close(() => r()) : r()));
  await egress.dispatcher.close();
  dir.remove();
});
beforeEach(() => {
  trapped.length = 0;
});

/** A launch from `p` (issuer, client, deployment) through the tool's login and launch endpoints: the launch's response. */
async function launch(p: FakePlatform, clientId: string, deployment: string) {
  const agent = t.agent();
  const init = await agent.get("/lti/login").query({ iss: p.base, login_hint: "h", client_id: clientId, lti_deployment_id: deployment });
  expect(init.status).toBe(302);
  const url = new URL(init.headers.location!);
  const cookie = ([] as string[]).concat(init.headers["set-cookie"] ?? []).find((c) => c.startsWith("lti-state-"))!.split(";")[0]!;
  const id_token = await p.idToken(url.searchParams.get("nonce")!, { [`${CLAIM}deployment_id`]: deployment, [`${CLAIM}context`]: { id: "ctx-1", title: "ML" }, name: "Lena LMS" }, { iss: p.base, aud: clientId, now, sub: "lms-lena" });
  return agent.post("/lti/launch").set("Cookie", cookie).type("form").send({ id_token, state: url.searchParams.get("state") });
}

describe("launches: the platform's keys", () => {
  test("a registered platform's launch is checked against keys fetched from its public address; the file's platform on this machine launches too", async () => {
    const ok = await launch(dyn, "dyn-client", "dep-1");
    expect(ok.status).toBe(303);
    const campusOk = await launch(campus, "campus-client", "d1");
    expect(campusOk.status).toBe(303);
  });

  test.each([
    ["a name that now resolves to this machine", () => `http://keys.moved.example:${trapPort}/jwks`],
    ["an address on this machine", () => `http://127.0.0.1:${trapPort}/jwks`],
    ["this machine's address written as IPv6", () => `http://[::ffff:127.0.0.1]:${trapPort}/jwks`],
  ])("keys at %s are not fetched, and the launch is refused saying why", async (_what, keys) => {
    await t.db.ltiRegistration.updateMany({ where: { clientId: "dyn-client" }, data: { keySetUrl: keys() } });
    try {
      const res = await launch(dyn, "dyn-client", "dep-1");
      expect(res.status).toBe(401);
      expect($(res.text)(".error-message").text()).toContain("its keys are at an address on this server or a private network");
      expect(trapped).toEqual([]);
    } finally {
      await t.db.ltiRegistration.updateMany({ where: { clientId: "dyn-client" }, data: { keySetUrl: `${dyn.base}/jwks` } });
    }
  });
});

describe("tokens, grades, rosters and gradebook columns: every request for a registered platform", () => {
  const toolKey = async () => {
    const { privateKey } = await generateKeyPair("RS256");
    return { kid: "k1", privateKey } as never;
  };
  const tokens = () => new LtiTokens({ toolKey, clock: () => now, egress });
  const platform = (tokenUrl: string, publicOnly: boolean) => ({
    name: "Some LMS", issuer: "https://lms.example.com", clientId: "c", deployments: ["d"], authLoginUrl: "https://lms.example.com/auth",
    keySetUrl: "https://lms.example.com/jwks", tokenUrl, trustEmail: false, publicOnly,
  });

  test("a token endpoint whose name moved to this machine is not connected to; the same address for the file's platform is", async () => {
    await expect(tokens().token(platform(`http://keys.moved.example:${trapPort}/token`, true), "scope")).rejects.toThrow("keys.moved.example is on this server or a private network");
    expect(trapped).toEqual([]);
    // Not checked for the operator's own platform: it connects (and fails, as the trap hangs up).
    await expect(tokens().token(platform(`http://127.0.0.1:${trapPort}/token`, false), "scope")).rejects.toThrow();
    expect(trapped).toEqual(["127.0.0.1"]);
  });

  test("a redirect from the platform's public address to this machine is not followed there", async () => {
    const redirecting = http.createServer((_req, res) => res.writeHead(307, { Location: `http://127.0.0.1:${trapPort}/token` }).end());
    await new Promise<void>((r) => redirecting.listen(0, PUBLIC, () => r()));
    try {
      const port = (redirecting.address() as net.AddressInfo).port;
      await expect(tokens().token(platform(`http://lms.example.com:${port}/token`, true), "scope")).rejects.toThrow("127.0.0.1 is on this server or a private network");
      expect(trapped).toEqual([]);
    } finally {
      await new Promise<void>((r) => redirecting.close(() => r()));
    }
  });

  test("a grade for a registered platform is not posted to a gradebook whose name moved to this machine: the send fails, saying why, and is tried again later", async () => {
    const ctx = await t.db.ltiContext.findFirstOrThrow({ where: { clientId: "dyn-client" } });
    const ben = await t.db.user.findUniqueOrThrow({ where: { email: "ben@example.edu" } });
    const member = await t.db.ltiContextMember.upsert({ where: { contextId_userId: { contextId: ctx.id, userId: ben.id } }, create: { contextId: ctx.id, userId: ben.id, sub: "lms-ben", seenAt: now }, update: {} });
    const sync = new LtiGradeSync({ db: t.db, platforms: loadLtiPlatforms(t.config.LTI_PLATFORMS_FILE), toolKey: () => loadToolKey(t.dataDir), clock: () => now, submissions: { pointsByTeam: async () => new Map() } as never, quizzes: quizGradeRelease(t.db), egress });
    const quiz = await t.db.quiz.findFirstOrThrow({});
    const send = async (lineitem: string) => {
      const item = await t.db.ltiLineItem.create({ data: { issuer: dyn.base, clientId: "dyn-client", resourceLinkId: lineitem, lineitem, contextId: ctx.id, quizId: quiz.id } });
      await t.db.ltiScoreSync.create({ data: { lineItemId: item.id, userId: member.userId, percent: 80, changedAt: now, nextTryAt: now } });
      const result = await sync.sendDue();
      return { result, row: await t.db.ltiScoreSync.findUniqueOrThrow({ where: { lineItemId_userId: { lineItemId: item.id, userId: member.userId } } }) };
    };
    const moved = await send(`http://keys.moved.example:${trapPort}/lineitems/7`);
    expect(moved.result).toEqual({ sent: 0, failed: 1 });
    expect(moved.row).toMatchObject({ sentAt: null, tries: 1 });
    expect(moved.row.lastError).toContain("keys.moved.example is on this server or a private network");
    expect(trapped).toEqual([]);
    // The same grade to the platform's own gradebook (its public address) is sent.
    dyn.lineItems.push({ id: `${dyn.base}/lineitems/8`, label: "Quiz", scoreMaximum: 100 });
    await t.db.ltiScoreSync.deleteMany({ where: { lineItemId: moved.row.lineItemId } });
    const sent = await send(`${dyn.base}/lineitems/8`);
    expect(sent.result).toEqual({ sent: 1, failed: 0 });
    expect(dyn.requests.filter((r) => r.url === "/lineitems/8/scores")).toHaveLength(1);
  });

  test("a roster at an address on this machine is not read: the sync stops, saying why", async () => {
    const ctx = await t.db.ltiContext.update({ where: { id: (await t.db.ltiContext.findFirstOrThrow({ where: { clientId: "dyn-client" } })).id }, data: { membershipsUrl: `http://127.0.0.1:${trapPort}/memberships` } });
    const admin = await t.db.user.findUniqueOrThrow({ where: { email: "admin@example.edu" } });
    const roster = new LtiRoster({ db: t.db, platforms: loadLtiPlatforms(t.config.LTI_PLATFORMS_FILE), toolKey: () => loadToolKey(t.dataDir), clock: () => now, egress });
    const refused = await roster.sync(ctx.id, admin.id).then(() => null, (e: Error) => e);
    expect(refused?.message).toContain("The roster sync stopped: 127.0.0.1 is on this server or a private network");
    expect(refused?.message).not.toContain("run it again"); // it would stop again
    expect(trapped).toEqual([]);
  });

  test("gradebook columns at an address on this machine are not read: the instructor is told why", async () => {
    const items = new LtiLineItems({ db: t.db, platforms: loadLtiPlatforms(t.config.LTI_PLATFORMS_FILE), toolKey: () => loadToolKey(t.dataDir), clock: () => now, egress });
    const ctx = { id: "ctx", courseId: null, issuer: dyn.base, clientId: "dyn-client", lineitemsUrl: `http://127.0.0.1:${trapPort}/lineitems`, agsScopes: [AGS_LINEITEM_SCOPE] };
    const refused = await items.find(ctx).then(() => null, (e: Error) => e);
    expect(refused).toBeInstanceOf(BadRequest);
    expect(refused?.message).toContain("Moodle (lms.example.com) named an address on this server or a private network (127.0.0.1)");
    expect(trapped).toEqual([]);
  });

  test("the registry marks the database's platforms, not the file's, for checked connections", async () => {
    const registry = new LtiPlatforms({ db: t.db, file: loadLtiPlatforms(t.config.LTI_PLATFORMS_FILE) });
    expect((await registry.find(dyn.base, "dyn-client"))?.publicOnly).toBe(true);
    expect((await registry.find(campus.base, "campus-client"))?.publicOnly).toBeUndefined();
  });
});
