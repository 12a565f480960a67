// The session's statement also reads each feature's part of the signed-in context (platform/http.ts).
// A part that fails must not keep its user off every page.
import http from "node:http";
import type { AddressInfo } from "node:net";
import net from "node:net";
import { jest } from "@jest/globals";
import express from "express";
import pg from "pg";
import request from "supertest";
import { createSqlPool } from "../../src/platform/db/connect.js";
import { currentUser, sessions } from "../../src/platform/http.js";
import type { SessionContextPart } from "../../src/platform/session-user.js";
import { signIn, startTestApp, TEST_SESSION_SECRET, type TestApp } from "../helpers/app.js";

let t: TestApp;
let pool: pg.Pool;
let cookie: string;
beforeAll(async () => {
  t = await startTestApp();
  pool = new pg.Pool({ connectionString: t.url, max: 2 });
  cookie = await cookieOf("alice@example.edu");
});
afterAll(async () => {
  await pool.end();
  await t.close();
});

/** An app with only the session and the signed-in user, whose page shows who is signed in and the context read with them. */
function appWith(parts: SessionContextPart[]) {
  const logged: string[] = [];
  let lookedUp = 0;
  const app = express();
  app.use((req, _res, next) => {
    req.log = { error: (_obj: unknown, msg: string) => logged.push(msg) } as unknown as typeof req.log;
    next();
  });
  app.use(sessions(t.config, pool, TEST_SESSION_SECRET, parts));
  app.use(currentUser({ findUser: async () => (lookedUp++, null) }));
  app.get("/", (_req, res) => {
    res.json({ user: res.locals.user ?? null });
  });
  return { app, logged, lookedUp: () => lookedUp };
}

const name: SessionContextPart = { name: "myName", sql: "(SELECT u.name)" };
// Fails for every name that is not a number: a feature's SQL meeting data it did not expect.
const broken: SessionContextPart = { name: "nameAsNumber", sql: "(SELECT u.name::int)" };

test("with working parts, the user and each part's value come with the session", async () => {
  const { app, logged } = appWith([name]);
  const res = await request(app).get("/").set("Cookie", cookie);
  expect(res.status).toBe(200);
  expect(res.body.user).toEqual({ id: expect.any(String), email: "alice@example.edu", name: "Alice Nguyen", isAdmin: false, context: { myName: "Alice Nguyen" } });
  expect(logged).toEqual([]);
});

test("a part that fails is logged, and the user is still signed in, read again without the parts (no context: pages read their own)", async () => {
  const { app, logged, lookedUp } = appWith([name, broken]);
  const res = await request(app).get("/").set("Cookie", cookie);
  expect(res.status).toBe(200);
  expect(res.body.user).toEqual({ id: expect.any(String), email: "alice@example.edu", name: "Alice Nguyen", isAdmin: false });
  expect(logged).toEqual(["the session's statement failed with the features' context parts; read again without them"]);
  // The user came from that second read of the session, not from a lookup apart from it.
  expect(lookedUp()).toBe(0);
  // A session the cookie does not name is still no one's.
  const stranger = await request(app).get("/").set("Cookie", "cnn.sid=s:nothing.signed");
  expect(stranger.body.user).toBeNull();
});

/** GET / with each cookie, pipelined on one connection (Node parses them in one go); the users the responses name, in order. */
async function pipelined(app: express.Express, cookies: string[]): Promise<(Record<string, unknown> | null)[]> {
  const server = http.createServer(app);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const raw = cookies.map((c) => `GET / HTTP/1.1\r\nHost: x\r\nCookie: ${c}\r\n\r\n`).join("");
  const bodies = await new Promise<string[]>((resolve, reject) => {
    let text = "";
    const socket = net.connect((server.address() as AddressInfo).port, "127.0.0.1", () => socket.write(raw));
    socket.on("data", (chunk) => {
      text += chunk.toString();
      // Responses in order, each a head and a body of its Content-Length (ASCII: the demo's names and emails).
      const found: string[] = [];
      for (let at = 0; ; ) {
        const end = text.indexOf("\r\n\r\n", at);
        if (end < 0) break;
        const length = Number(/content-length: (\d+)/i.exec(text.slice(at, end))?.[1]);
        if (text.length < end + 4 + length) break;
        found.push(text.slice(end + 4, end + 4 + length));
        at = end + 4 + length;
      }
      if (found.length === cookies.length) {
        socket.destroy();
        resolve(found);
      }
    });
    socket.on("error", reject);
  });
  await new Promise((r) => server.close(r));
  return bodies.map((b) => (JSON.parse(b) as { user: Record<string, unknown> | null }).user);
}

/** The session cookie of a demo student signed in on the test app. */
async function cookieOf(email: string) {
  const res = await signIn(t.agent(), email, (await import("../../src/demo/demo.seed.js")).DEMO_PASSWORDS.student);
  return ([] as string[]).concat(res.headers["set-cookie"] ?? []).find((c) => c.startsWith("cnn.sid="))!.split(";")[0]!;
}

/** The statements (text and values) the test pool sends until `restore()`. */
function recordStatements() {
  const statements: { text: string; values: unknown[][] }[] = [];
  const original = pool.query;
  const spy = jest.spyOn(pool, "query").mockImplementation(function (this: pg.Pool, ...args: unknown[]) {
    const q = args[0] as { text?: string; values?: unknown[][] } | string;
    if (typeof q !== "string") statements.push({ text: q.text ?? "", values: q.values ?? [] });
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as pg.Pool["query"]);
  return { statements, restore: () => spy.mockRestore() };
}

test("reads that arrive together go to PostgreSQL together, up to eight in a statement, and each request gets its own user and context", async () => {
  const benCookie = await cookieOf("ben@example.edu");
  const { app } = appWith([name]);
  const { statements, restore } = recordStatements();
  // A stranger's cookie (its signature is wrong) reads no session; the nine others wait together and are
  // sent as two statements: eight reads, the most one carries, and one.
  const users = await pipelined(app, [cookie, benCookie, "cnn.sid=s:nothing.signed", cookie, benCookie, benCookie, cookie, benCookie, cookie, benCookie]);
  restore();
  expect(users.map((u) => u && [u.email, (u.context as { myName: string }).myName])).toEqual([
    ["alice@example.edu", "Alice Nguyen"],
    ["ben@example.edu", "Ben Okafor"],
    null,
    ["alice@example.edu", "Alice Nguyen"],
    ["ben@example.edu", "Ben Okafor"],
    ["ben@example.edu", "Ben Okafor"],
    ["alice@example.edu", "Alice Nguyen"],
    ["ben@example.edu", "Ben Okafor"],
    ["alice@example.edu", "Alice Nguyen"],
    ["ben@example.edu", "Ben Okafor"],
  ]);
  // Nine reads in two statements: their parameters are arrays with a value for each read (the session ids first).
  const reads = statements.filter((s) => s.text.includes('FROM "session" s'));
  expect(reads.map((s) => s.values[0]!.length)).toEqual([8, 1]);
});

test("a part that fails for one request of a batch fails only that request's context: the others are read alone with theirs", async () => {
  const benCookie = await cookieOf("ben@example.edu");
  // Fails for Ben's row only (his name is not a number).
  const failsForBen: SessionContextPart = { name: "odd", sql: "(SELECT CASE WHEN u.email LIKE 'ben@%' THEN u.name::int ELSE 7 END)" };
  const { app, logged } = appWith([name, failsForBen]);
  const [alice, ben] = await pipelined(app, [cookie, benCookie]);
  expect(alice).toEqual({ id: expect.any(String), email: "alice@example.edu", name: "Alice Nguyen", isAdmin: false, context: { myName: "Alice Nguyen", odd: 7 } });
  expect(ben).toEqual({ id: expect.any(String), email: "ben@example.edu", name: "Ben Okafor", isAdmin: false });
  expect(logged).toEqual(["the session's statement failed with the features' context parts; read again without them"]);
});

test("the web process's pool plans its prepared statements generically from the first run, keeping options the URL gives", async () => {
  const other = createSqlPool(`${t.url}${t.url.includes("?") ? "&" : "?"}options=${encodeURIComponent("-c TimeZone=America/Denver")}`, 1);
  try {
    const { rows } = await other.query<{ mode: string; zone: string }>("SELECT current_setting('plan_cache_mode') AS mode, current_setting('TimeZone') AS zone");
    expect(rows).toEqual([{ mode: "force_generic_plan", zone: "America/Denver" }]);
  } finally {
    await other.end();
  }
});

test("however many sessions there are, the session's statement looks each read's session up by its key", async () => {
  const { app } = appWith([name]);
  const { statements, restore } = recordStatements();
  await request(app).get("/").set("Cookie", cookie);
  restore();
  const text = statements.find((s) => s.text.includes('FROM "session" s'))!.text;
  const client = await pool.connect();
  try {
    // A term's worth of sessions, which PostgreSQL knows of (ANALYZE), and the plan the web process's pool uses (generic).
    await client.query(`INSERT INTO "session" (sid, sess, expire) SELECT 'many-' || i, '{"cookie":{}}'::json, now() + interval '1 day' FROM generate_series(1, 5000) i`);
    await client.query(`ANALYZE "session"`);
    await client.query("SET plan_cache_mode = force_generic_plan");
    await client.query(`PREPARE probe AS ${text}`);
    const { rows } = await client.query<{ "QUERY PLAN": unknown }>(`EXPLAIN (FORMAT JSON) EXECUTE probe('{many-1,many-2}', '{0,0}')`);
    type PlanNode = { "Node Type": string; "Relation Name"?: string; "Index Name"?: string; Plans?: PlanNode[] };
    const nodes: PlanNode[] = [];
    const walk = (n: PlanNode) => (nodes.push(n), n.Plans?.forEach(walk));
    walk((rows[0]!["QUERY PLAN"] as { Plan: PlanNode }[])[0]!.Plan);
    const onSession = nodes.filter((n) => n["Relation Name"] === "session").map((n) => `${n["Node Type"]} ${n["Index Name"] ?? ""}`.trim());
    expect(onSession).toEqual(["Index Scan session_pkey"]);
  } finally {
    await client.query("DEALLOCATE ALL; RESET plan_cache_mode");
    await client.query(`DELETE FROM "session" WHERE sid LIKE 'many-%'`);
    client.release();
  }
});
