// What the page-speed work (issue 14) must not break: content cached per process is dropped as
// soon as any process syncs; a membership or an account is never served from a cache; sessions
// are renewed less often but still expire.
import pg from "pg";
import request from "supertest";
import { createApp } from "../../src/app.js";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { createPrisma } from "../../src/platform/db/prisma.js";
import { createLogger } from "../../src/platform/logger.js";
import { syncContent } from "../../src/content/content.sync.js";
import { $, csrfFrom, signIn, startTestApp, TEST_NOW, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";

const content = copyContent();
const logger = createLogger("silent");
let t: TestApp;
const READING = "/courses/cnn/modules/cnn/readings/overview";
const MODULE = "/courses/cnn/modules/cnn";

beforeAll(async () => {
  t = await startTestApp({}, { contentDir: content.dir });
});
afterAll(async () => {
  await t.close();
  content.remove();
});

/** A second web process on the same database: its own app, Prisma client, session pool and caches. */
async function secondProcess({ timeZone }: { timeZone?: string } = {}) {
  const db = createPrisma(t.url);
  const pool = new pg.Pool({ connectionString: t.url, max: 2, ...(timeZone ? { options: `-c TimeZone=${timeZone}` } : {}) });
  pool.on("error", () => {});
  const app = createApp({ config: t.config, db, pool, logger, sessionSecret: "test-secret-test-secret-test-secret-123", contentDir: content.dir, clock: () => TEST_NOW });
  return { agent: () => request.agent(app), close: async () => { await new Promise((r) => setTimeout(r, 100)); await pool.end(); await db.$disconnect(); } };
}

test("a sync run by another process shows on the next page view, in every web process", async () => {
  const other = await secondProcess();
  try {
    const here = t.agent();
    const there = other.agent();
    await signIn(here, "alice@example.edu", DEMO_PASSWORDS.student);
    await signIn(there, "ben@example.edu", DEMO_PASSWORDS.student);
    for (const agent of [here, there]) {
      // Each process fills its cache with the current text.
      expect($((await agent.get(READING)).text)("h1").text()).toBe("Module 6 — Convolutional Neural Networks");
      expect($((await agent.get(MODULE)).text)(".reading-list li a").first().text()).toBe("Module 6 — Convolutional Neural Networks");
    }

    content.write("cnn/overview.md", content.file("cnn/overview.md")
      .replace("title: Module 6 — Convolutional Neural Networks", "title: Module 6 — CNNs, revised")
      .replace("This week you learn how", "This week, revised, you learn how"));
    // The worker (or a third web process) syncs: a process of its own, sharing only the database.
    const syncer = createPrisma(t.url);
    try {
      await syncContent({ db: syncer, contentDir: content.dir, logger });
    } finally {
      await syncer.$disconnect();
    }

    for (const agent of [here, there]) {
      const reading = $((await agent.get(READING)).text);
      expect(reading("h1").text()).toBe("Module 6 — CNNs, revised");
      expect(reading(".reading-body").text()).toContain("This week, revised, you learn how");
      expect($((await agent.get(MODULE)).text)(".reading-list li a").first().text()).toBe("Module 6 — CNNs, revised");
    }
  } finally {
    await other.close();
  }
});

test("a removed membership is refused at once, in every web process", async () => {
  const other = await secondProcess();
  try {
    const here = t.agent();
    const there = other.agent();
    await signIn(here, "chloe@example.edu", DEMO_PASSWORDS.student);
    await signIn(there, "chloe@example.edu", DEMO_PASSWORDS.student);
    for (const agent of [here, there]) {
      expect((await agent.get("/courses/cnn")).status).toBe(200);
      expect((await agent.get(READING)).status).toBe(200);
    }

    const chloe = await t.db.user.findUniqueOrThrow({ where: { email: "chloe@example.edu" } });
    await t.db.membership.deleteMany({ where: { userId: chloe.id } });

    for (const agent of [here, there]) {
      for (const url of ["/courses/cnn", MODULE, READING]) {
        const res = await agent.get(url);
        expect(res.status).toBe(403);
        expect($(res.text)(".error-message").text()).toBe("You are not enrolled in this course. If you should be, ask your instructor to add you.");
      }
    }
  } finally {
    await other.close();
  }
});

test("a tick keeps its time when the database session of the process runs in another time zone", async () => {
  const other = await secondProcess({ timeZone: "America/Denver" });
  try {
    const agent = other.agent();
    await signIn(agent, "ben@example.edu", DEMO_PASSWORDS.student);
    const page = await agent.get(MODULE);
    const action = $(page.text)("form[action*='/checklist/']").first().attr("action")!;
    const res = await agent.post(action).set("Accept", "application/json").type("form").send({ _csrf: csrfFrom(page.text), done: "1" });
    expect(res.status).toBe(200);
    const ben = await t.db.user.findUniqueOrThrow({ where: { email: "ben@example.edu" } });
    const tick = await t.db.checklistTick.findFirstOrThrow({ where: { userId: ben.id } });
    expect(tick.completedAt).toEqual(TEST_NOW);
    // Read back through that process too: done, at 17:00 UTC, which is 11:00 in Denver (daylight time from 9 March 2031).
    const item = $((await agent.get(MODULE)).text)(`form[action="${action}"]`).closest(".checklist-item");
    expect(item.find("input[name=done]").val()).toBe("0");
    expect(item.find(".item-meta").text()).toBe("done Mar 12, 2031, 11:00 AM MDT");
  } finally {
    await other.close();
  }
});

test("an account deleted while signed in is signed out on its next request", async () => {
  const agent = t.agent();
  await signIn(agent, "emma@example.edu", DEMO_PASSWORDS.student);
  expect((await agent.get("/courses/cnn")).status).toBe(200);
  await t.db.user.delete({ where: { email: "emma@example.edu" } });
  const res = await agent.get("/courses/cnn");
  expect(res.status).toBe(303);
  expect(res.headers.location).toMatch(/^\/login/);
});

describe("sessions: renewed only when the stored expiry lags, still expiring", () => {
  type Row = { sid: string; expire: Date; sess: { cookie: { expires: string } } };
  async function sessionOf(email: string): Promise<Row> {
    const user = await t.db.user.findUniqueOrThrow({ where: { email } });
    const rows = await t.db.$queryRaw<Row[]>`SELECT sid, expire, sess FROM "session" WHERE sess->>'userId' = ${user.id}`;
    expect(rows).toHaveLength(1);
    return rows[0]!;
  }
  /** What `ms` of idle time does to a stored session: its expiry, column and JSON, that much earlier. */
  async function age(row: Row, ms: number) {
    const sess = { ...row.sess, cookie: { ...row.sess.cookie, expires: new Date(new Date(row.sess.cookie.expires).getTime() - ms).toISOString() } };
    await t.db.$executeRaw`UPDATE "session" SET expire = expire - make_interval(secs => ${ms / 1000}), sess = ${JSON.stringify(sess)}::json WHERE sid = ${row.sid}`;
    return sessionOf("felix@example.edu");
  }

  test("a page view writes nothing while the stored expiry is within five minutes of a full renewal; then it is moved", async () => {
    const agent = t.agent();
    const login = ([] as string[]).concat((await signIn(agent, "felix@example.edu", DEMO_PASSWORDS.student)).headers["set-cookie"] ?? []).find((c) => c.startsWith("cnn.sid="))!;
    expect((await agent.get("/courses/cnn")).status).toBe(200);
    const fresh = await sessionOf("felix@example.edu");

    const sidCookie = (res: { headers: Record<string, unknown> }) => ([] as string[]).concat((res.headers["set-cookie"] as string[] | undefined) ?? []).find((c) => c.startsWith("cnn.sid="));
    const view = await agent.get(READING);
    expect(view.status).toBe(200);
    expect(await sessionOf("felix@example.edu")).toEqual(fresh);
    expect(sidCookie(view)).toBeUndefined(); // nothing moved: the browser's cookie is not sent again either

    // Two minutes idle: still within the five, so the row is left as it is.
    const twoMinutes = await age(fresh, 2 * 60_000);
    const idle = await agent.get(READING);
    expect(idle.status).toBe(200);
    expect(await sessionOf("felix@example.edu")).toEqual(twoMinutes);
    expect(sidCookie(idle)).toBeUndefined();

    // Ten minutes idle: the next view moves the expiry forward, column and JSON alike, and keeps the rest.
    const tenMinutes = await age(twoMinutes, 8 * 60_000);
    const res = await agent.get(READING);
    expect(res.status).toBe(200);
    const renewed = await sessionOf("felix@example.edu");
    // The browser's cookie moves with the stored expiry: the same signed session id, expiring when the row does.
    const cookie = sidCookie(res)!;
    expect(cookie.split(";")[0]).toBe(login.split(";")[0]);
    expect(new Date(/Expires=([^;]+)/.exec(cookie)![1]!).getTime()).toBe(Math.floor(new Date(renewed.sess.cookie.expires).getTime() / 1000) * 1000);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(renewed.expire.getTime()).toBeGreaterThanOrEqual(fresh.expire.getTime() - 1000);
    expect(new Date(renewed.sess.cookie.expires).getTime()).toBeGreaterThanOrEqual(new Date(fresh.sess.cookie.expires).getTime());
    expect({ ...renewed.sess, cookie: undefined }).toEqual({ ...tenMinutes.sess, cookie: undefined });
    expect((await agent.get(READING)).status).toBe(200);
    expect(await sessionOf("felix@example.edu")).toEqual(renewed);

    // A request that changes and saves the session itself while a renewal is due: one cookie, not two.
    const account = await agent.get("/account");
    await age(await sessionOf("felix@example.edu"), 10 * 60_000);
    const changed = await agent.post("/account/password").type("form").send({ _csrf: csrfFrom(account.text), current: DEMO_PASSWORDS.student, password: "felix's new phrase", confirm: "felix's new phrase" });
    expect(changed.status).toBe(303);
    expect(([] as string[]).concat(changed.headers["set-cookie"] ?? []).filter((c) => c.startsWith("cnn.sid="))).toHaveLength(1);
    expect($((await agent.get("/account")).text)(".flash").text()).toContain("Your password is changed"); // shown, so gone from the session

    // A session an LMS launched in its frame keeps its cross-site cookie when renewed (over https, as
    // the launch was: a Secure cookie is not sent on a plain-http request, as express-session does not).
    const framed = { ...(await sessionOf("felix@example.edu")).sess };
    framed.cookie = { ...framed.cookie, sameSite: "none", secure: true, partitioned: true } as typeof framed.cookie;
    await t.db.$executeRaw`UPDATE "session" SET sess = ${JSON.stringify(framed)}::json WHERE sess->>'userId' = ${(await t.db.user.findUniqueOrThrow({ where: { email: "felix@example.edu" } })).id}`;
    const aged = await age(await sessionOf("felix@example.edu"), 10 * 60_000);
    const overHttp = await agent.get(READING);
    expect(overHttp.status).toBe(200);
    expect(sidCookie(overHttp)).toBeUndefined();
    expect(await sessionOf("felix@example.edu")).toEqual(aged); // nor the row: they move together
    const inFrame = sidCookie(await agent.get(READING).set("X-Forwarded-Proto", "https"))!;
    expect(inFrame).toMatch(/SameSite=None/);
    expect(inFrame).toMatch(/; Secure/);
    expect(inFrame).toMatch(/; Partitioned/);
  });

  test("a session whose stored expiry has passed is expired: GETs go to sign-in, POSTs say so", async () => {
    const agent = t.agent();
    await signIn(agent, "dev@example.edu", DEMO_PASSWORDS.student);
    const page = await agent.get(MODULE);
    expect(page.status).toBe(200);
    const dev = await t.db.user.findUniqueOrThrow({ where: { email: "dev@example.edu" } });
    // The database's own clock decides (as connect-pg-simple's read does): a second ago.
    await t.db.$executeRaw`UPDATE "session" SET expire = LOCALTIMESTAMP - interval '1 second' WHERE sess->>'userId' = ${dev.id}`;

    const get = await agent.get(READING);
    expect(get.status).toBe(303);
    expect(get.headers.location).toBe("/login?expired=1");
    const post = await agent.post("/logout").type("form").send({ _csrf: csrfFrom(page.text) });
    expect(post.status).toBe(401);
    expect($(post.text)(".error-message").text()).toBe("Your session has expired. Sign in again, then repeat what you were doing.");
  });
});
