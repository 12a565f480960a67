// The session's statement also reads each feature's part of the signed-in context (platform/http.ts).
// A part that fails must not keep its user off every page.
import express from "express";
import pg from "pg";
import request from "supertest";
import { currentUser, sessions } from "../../src/platform/http.js";
import type { SessionContextPart } from "../../src/platform/session-user.js";
import { signIn, startTestApp, TEST_SESSION_SECRET, type TestApp } from "../helpers/app.js";

let t: TestApp;
let pool: pg.Pool;
let cookie: string;
beforeAll(async () => {
  t = await startTestApp();
  pool = new pg.Pool({ connectionString: t.url, max: 2 });
  const signedIn = await signIn(t.agent(), "alice@example.edu", (await import("../../src/demo/demo.seed.js")).DEMO_PASSWORDS.student);
  cookie = ([] as string[]).concat(signedIn.headers["set-cookie"] ?? []).find((c) => c.startsWith("cnn.sid="))!.split(";")[0]!;
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
