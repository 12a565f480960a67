// A real course without published passwords (issue 13, item 5): the first-run set-up of an
// empty installation, course creation by the administrator, and the two commands.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import request from "supertest";
import type TestAgent from "supertest/lib/agent.js";
import { createApp } from "../../src/app.js";
import { hashPassword, verifyPassword } from "../../src/auth/password.js";
import { loadConfig } from "../../src/platform/config.js";
import { createLogger } from "../../src/platform/logger.js";
import { $, csrfFrom, signIn, TEST_NOW } from "../helpers/app.js";
import { createTestDb, type TestDb } from "../helpers/db.js";
import { freePort } from "../helpers/test-database.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SESSION_SECRET = "setup-test-secret-setup-test-secret-1234";

/** A content folder with one module, for the course "ml-2031" that does not exist yet. */
function contentFolder(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-setup-content-"));
  fs.mkdirSync(path.join(dir, "ml"));
  fs.writeFileSync(
    path.join(dir, "ml", "module.yaml"),
    "course: ml-2031\ntitle: Machine Learning Basics\nposition: 1\ntimeZone: Europe/Berlin\ntheoryDue: 2031-04-11T09:00\npracticalDue: 2031-04-14T09:00\nreadings:\n  - intro\n",
  );
  fs.writeFileSync(path.join(dir, "ml", "intro.md"), "---\ntitle: Introduction\n---\n\n## Overview\n\nWhat this module is about.\n");
  return dir;
}

interface Bare extends TestDb {
  agent(): TestAgent;
  dataDir: string;
  contentDir: string;
  close(): Promise<void>;
}

/** The app on an empty, migrated database: no demo, no users. */
async function startBare(env: Record<string, string> = {}, setupToken?: string): Promise<Bare> {
  const tdb = await createTestDb();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-setup-data-"));
  const quizDir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-setup-quizzes-"));
  const contentDir = contentFolder();
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: tdb.url, DATA_DIR: dataDir, QUIZ_DIR: quizDir, PREPARE_CASE_DATA: "false", SESSION_SECRET, COOKIE_SECURE: "false", ...env });
  const pool = new pg.Pool({ connectionString: tdb.url, max: 3 });
  pool.on("error", () => {});
  const app = createApp({ config, db: tdb.db, pool, logger: createLogger("silent"), sessionSecret: SESSION_SECRET, contentDir, clock: () => TEST_NOW, setupToken });
  return {
    ...tdb,
    dataDir,
    contentDir,
    agent: () => request.agent(app),
    async close() {
      await new Promise((r) => setTimeout(r, 200)); // express-session's post-response touches
      await pool.end();
      await tdb.drop();
      for (const d of [dataDir, quizDir, contentDir]) fs.rmSync(d, { recursive: true, force: true });
    },
  };
}

const ADA = { name: "Ada Lovelace", email: "ada@university.edu", password: "analytical-engine", confirm: "analytical-engine" };

async function postSetup(agent: TestAgent, form: Record<string, string>) {
  const page = await agent.get("/setup");
  return agent.post("/setup").type("form").send({ _csrf: csrfFrom(page.text), ...form });
}

const admins = (t: TestDb) => t.db.user.findMany({ where: { isAdmin: true } });

describe("an empty installation (development)", () => {
  let t: Bare;
  /** A set-up form opened before anyone finished set-up, sent after. */
  let stale: { agent: TestAgent; csrf: string };
  beforeAll(async () => {
    t = await startBare();
    const agent = t.agent();
    stale = { agent, csrf: csrfFrom((await agent.get("/setup")).text) };
  });
  afterAll(() => t.close());

  test("every page leads to /setup, except health checks and static files", async () => {
    const agent = t.agent();
    for (const url of ["/", "/login", "/courses/cnn", "/admin/courses"]) {
      const res = await agent.get(url);
      expect([url, res.status, res.headers.location]).toEqual([url, 303, "/setup"]);
    }
    expect((await agent.get("/healthz")).status).toBe(200);
    expect((await agent.get("/assets/css/app.css")).status).toBe(200);
    const page = $((await agent.get("/setup")).text);
    expect(page("h1").text()).toBe("Set up the platform");
    expect(page('input[name="name"], input[name="email"], input[name="password"], input[name="confirm"]').length).toBe(4);
    expect(page('input[name="token"]').length).toBe(0); // no token outside production
  });

  test("a short password or two different passwords: refused, with the name and email kept", async () => {
    const short = await postSetup(t.agent(), { ...ADA, password: "seven77", confirm: "seven77" });
    expect(short.status).toBe(400);
    expect($(short.text)("#setup-error").text()).toBe("The password must have at least 8 characters.");
    expect($(short.text)('input[name="email"]').val()).toBe(ADA.email);
    const differ = await postSetup(t.agent(), { ...ADA, confirm: "analytical-engine!" });
    expect(differ.status).toBe(400);
    expect($(differ.text)("#setup-error").text()).toContain("The two passwords differ.");
    expect(await admins(t)).toHaveLength(0);
  });

  test("set-ups at once make exactly one administrator; the winner is signed in on course creation", async () => {
    const agents = Array.from({ length: 6 }, () => t.agent());
    const pages = await Promise.all(agents.map((a) => a.get("/setup")));
    const results = await Promise.all(agents.map((a, i) => a.post("/setup").type("form").send({ _csrf: csrfFrom(pages[i]!.text), ...ADA, name: `Admin ${i}`, email: `admin${i}@university.edu` })));
    expect(results.map((r) => r.status).sort()).toEqual([303, 409, 409, 409, 409, 409]);
    expect(await admins(t)).toHaveLength(1);
    expect(await t.db.user.count()).toBe(1);
    const w = results.findIndex((r) => r.status === 303);
    expect(results[w]!.headers.location).toBe("/admin/courses");
    expect($(results[(w + 1) % 6]!.text)("#setup-error").text()).toContain("already has an administrator");
    const page = await agents[w]!.get("/admin/courses");
    expect(page.status).toBe(200);
    expect($(page.text)("h2").text()).toContain("Create a course");
    expect($(page.text)('header a[href="/admin/courses"]').text()).toBe("Admin");
  });

  test("once an administrator exists, set-up is closed and pages no longer lead to it", async () => {
    const agent = t.agent();
    const get = await agent.get("/setup");
    expect([get.status, get.headers.location]).toEqual([303, "/login"]);
    expect((await agent.get("/login")).status).toBe(200);
    const post = await stale.agent.post("/setup").type("form").send({ _csrf: stale.csrf, ...ADA, email: "eve@example.org" });
    expect(post.status).toBe(409);
    expect($(post.text)("#setup-error").text()).toBe("This platform already has an administrator, so set-up is closed. Sign in instead.");
    expect(await admins(t)).toHaveLength(1);
    expect(await t.db.user.count({ where: { email: "eve@example.org" } })).toBe(0);
  });
});

describe("set-up in production asks for the token from the server's log", () => {
  const TOKEN = "z6W0d0Yw5b1nF1tq2d8dQ3pCq1rKp7xA";
  let t: Bare;
  beforeAll(async () => {
    t = await startBare({ NODE_ENV: "production" }, TOKEN);
  });
  afterAll(() => t.close());

  test("no token or a wrong one: refused, nobody created; the right one: the administrator", async () => {
    const page = $((await t.agent().get("/setup")).text);
    expect(page('input[name="token"]').length).toBe(1);
    const none = await postSetup(t.agent(), ADA);
    expect(none.status).toBe(403);
    const wrong = await postSetup(t.agent(), { ...ADA, token: `${TOKEN.slice(0, -1)}B` });
    expect(wrong.status).toBe(403);
    expect($(wrong.text)("#setup-error").text()).toContain("not the one this server printed");
    expect(await t.db.user.count()).toBe(0);
    const right = await postSetup(t.agent(), { ...ADA, token: ` ${TOKEN} ` });
    expect([right.status, right.headers.location]).toEqual([303, "/admin/courses"]);
    expect((await admins(t)).map((u) => u.email)).toEqual([ADA.email]);
  });
});

describe("the administrator creates a course", () => {
  let t: Bare;
  let ada: TestAgent;
  beforeAll(async () => {
    t = await startBare();
    ada = t.agent();
    expect((await postSetup(ada, ADA)).status).toBe(303);
  });
  afterAll(() => t.close());

  async function create(agent: TestAgent, form: Record<string, string>) {
    const page = await agent.get("/admin/courses");
    return agent.post("/admin/courses").type("form").send({ _csrf: csrfFrom(page.text), ...form });
  }

  test("with no course yet, the home page says what to do", async () => {
    const home = await ada.get("/");
    expect(home.status).toBe(200);
    const page = $(home.text);
    expect(page('main a[href="/admin/courses"]').text()).toBe("create the first course");
  });

  test("through the page: the module naming it is synced, its start is midnight in its time zone, the administrator is its instructor", async () => {
    const res = await create(ada, { slug: "ml-2031", title: "Machine Learning 2031", timeZone: "Europe/Berlin", startsOn: "2031-04-07" });
    expect([res.status, res.headers.location]).toEqual([303, "/courses/ml-2031"]);
    const course = await t.db.course.findUniqueOrThrow({ where: { slug: "ml-2031" }, include: { memberships: { include: { user: true } }, modules: true } });
    expect(course).toMatchObject({ title: "Machine Learning 2031", timeZone: "Europe/Berlin" });
    expect(course.startsAt.toISOString()).toBe("2031-04-06T22:00:00.000Z"); // Berlin is on summer time (UTC+2) from 30 March 2031
    expect(course.memberships.map((m) => [m.user.email, m.role])).toEqual([[ADA.email, "INSTRUCTOR"]]);
    expect(course.modules.map((m) => m.slug)).toEqual(["ml"]);
    const coursePage = $((await ada.get("/courses/ml-2031")).text);
    expect(coursePage('a[href="/courses/ml-2031/modules/ml"]').text()).toBe("Machine Learning Basics");
    const list = $((await ada.get("/admin/courses")).text);
    expect(list('tr[data-course="ml-2031"] td').map((_i, el) => list(el).text()).get()).toEqual(["Machine Learning 2031", "ml-2031", "Europe/Berlin", "Apr 7, 2031, 12:00 AM GMT+2", "1", "1"]);
  });

  test("a taken short name, an unknown time zone or a bad short name: refused with what to do, the form kept", async () => {
    const dup = await create(ada, { slug: "ml-2031", title: "Another", timeZone: "UTC", startsOn: "2031-05-01" });
    expect(dup.status).toBe(409);
    expect($(dup.text)("#course-error").text()).toContain('A course with the short name "ml-2031" already exists.');
    expect($(dup.text)('input[name="title"]').val()).toBe("Another");
    const tz = await create(ada, { slug: "mars-101", title: "Mars", timeZone: "Mars/Olympus_Mons", startsOn: "2031-05-01" });
    expect(tz.status).toBe(400);
    expect($(tz.text)("#course-error").text()).toContain("That is not a time zone name.");
    const slug = await create(ada, { slug: "ML 101", title: "ML", timeZone: "UTC", startsOn: "2031-02-30" });
    expect(slug.status).toBe(400);
    expect($(slug.text)("#course-error").text()).toContain("The short name may only have lowercase letters, digits and dashes");
    expect($(slug.text)("#course-error").text()).toContain("The start date is not a real date.");
    expect(await t.db.course.count()).toBe(1);
  });

  test("someone who is not the administrator: 403 on the page and on the form, and no Admin link", async () => {
    await t.db.user.create({ data: { email: "ivan@university.edu", name: "Ivan Instructor", passwordHash: await hashPassword("instructor-pass") } });
    const ivan = t.agent();
    expect((await signIn(ivan, "ivan@university.edu", "instructor-pass")).status).toBe(303);
    const home = await ivan.get("/");
    expect($(home.text)('a[href="/admin/courses"]').length).toBe(0);
    expect((await ivan.get("/admin/courses")).status).toBe(403);
    const post = await ivan.post("/admin/courses").type("form").send({ _csrf: csrfFrom(home.text), slug: "ivan-101", title: "Mine", timeZone: "UTC", startsOn: "2031-05-01" });
    expect(post.status).toBe(403);
    expect(await t.db.course.count({ where: { slug: "ivan-101" } })).toBe(0);
  });
});

describe("the commands, on a fresh database", () => {
  let t: TestDb;
  let work: string;
  beforeAll(async () => {
    t = await createTestDb();
    work = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-setup-cli-"));
  });
  afterAll(async () => {
    await t.drop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  function run(script: string, args: string[], stdin = ""): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, DATABASE_URL: t.url, DATA_DIR: path.join(work, "data"), CONTENT_DIR: contentDir, QUIZ_DIR: path.join(work, "no-quizzes"), LOG_LEVEL: "silent" },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (c) => (stdout += c));
      child.stderr.on("data", (c) => (stderr += c));
      child.on("exit", (status) => resolve({ status, stdout, stderr }));
      child.stdin.end(stdin);
    });
  }
  let contentDir: string;
  beforeAll(() => {
    contentDir = contentFolder();
  });
  afterAll(() => fs.rmSync(contentDir, { recursive: true, force: true }));

  test("admin:create makes an administrator whose password (read from standard input) signs in; again without --promote is refused", async () => {
    const r = await run("admin-create", ["--email", "Grace@University.edu", "--name", "Grace Hopper"], "compiler-1952\n");
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Created the administrator grace@university.edu.");
    const grace = await t.db.user.findUniqueOrThrow({ where: { email: "grace@university.edu" } });
    expect(grace).toMatchObject({ name: "Grace Hopper", isAdmin: true });
    expect(await verifyPassword("compiler-1952", grace.passwordHash!)).toBe(true);

    const again = await run("admin-create", ["--email", "grace@university.edu", "--name", "Grace"], "another-password\n");
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("already exists. To make it an administrator, run the command again with --promote.");
    expect(await verifyPassword("compiler-1952", (await t.db.user.findUniqueOrThrow({ where: { email: "grace@university.edu" } })).passwordHash!)).toBe(true);
  });

  test("admin:create: a short password is refused; --password-file and --promote work", async () => {
    const short = await run("admin-create", ["--email", "short@university.edu", "--name", "Short"], "1234567\n");
    expect(short.status).toBe(1);
    expect(short.stderr).toContain("The password must have at least 8 characters.");
    expect(await t.db.user.count({ where: { email: "short@university.edu" } })).toBe(0);

    await t.db.user.create({ data: { email: "alan@university.edu", name: "Alan Turing", passwordHash: await hashPassword("old-password") } });
    const file = path.join(work, "pw");
    fs.writeFileSync(file, "enigma-machine\n", { mode: 0o600 });
    const promoted = await run("admin-create", ["--email", "alan@university.edu", "--promote", "--password-file", file]);
    expect(promoted.status).toBe(0);
    const alan = await t.db.user.findUniqueOrThrow({ where: { email: "alan@university.edu" } });
    expect(alan).toMatchObject({ name: "Alan Turing", isAdmin: true });
    expect(await verifyPassword("enigma-machine", alan.passwordHash!)).toBe(true);
  });

  test("course:create makes the course with its instructor and syncs the module naming it; a taken name or bad time zone is refused", async () => {
    const r = await run("course-create", ["--slug", "ml-2031", "--title", "Machine Learning 2031", "--time-zone", "America/Denver", "--starts", "2031-01-13", "--instructor", "grace@university.edu"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("Created the course ml-2031");
    expect(r.stdout).toContain("1 module in ");
    const course = await t.db.course.findUniqueOrThrow({ where: { slug: "ml-2031" }, include: { modules: true, memberships: { include: { user: true } } } });
    expect(course.startsAt.toISOString()).toBe("2031-01-13T07:00:00.000Z"); // midnight in Denver (UTC−7 in January)
    expect(course.modules.map((m) => m.title)).toEqual(["Machine Learning Basics"]);
    expect(course.memberships.map((m) => [m.user.email, m.role])).toEqual([["grace@university.edu", "INSTRUCTOR"]]);

    const dup = await run("course-create", ["--slug", "ml-2031", "--title", "Again", "--time-zone", "UTC", "--starts", "2031-02-01"]);
    expect(dup.status).toBe(1);
    expect(dup.stderr).toContain('A course with the short name "ml-2031" already exists.');
    const tz = await run("course-create", ["--slug", "ml-2032", "--title", "Next", "--time-zone", "Denver", "--starts", "2032-01-12"]);
    expect(tz.status).toBe(1);
    expect(tz.stderr).toContain("That is not a time zone name.");
    expect(await t.db.course.count()).toBe(1);
  });
});

test("a production server with no administrator logs the set-up token and keeps it in DATA_DIR/setup-token (owner-only); no demo", async () => {
  const t = await createTestDb();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-setup-server-"));
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", SESSION_SECRET, DATABASE_URL: t.url, DATA_DIR: dataDir, PORT: String(port), PREPARE_CASE_DATA: "false", RUN_WORKER: "false", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.on("data", (c) => (out += c));
  child.stderr.on("data", (c) => (out += c));
  const exited = new Promise((resolve) => child.on("exit", resolve));
  try {
    const deadline = Date.now() + 120_000;
    while (!out.includes('"msg":"listening"')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const file = path.join(dataDir, "setup-token");
    const token = fs.readFileSync(file, "utf8").trim();
    expect(token).toMatch(/^[\w-]{32}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(out).toContain(`enter the set-up token ${token}`);
    expect(out).not.toContain("Demo sign-ins");
    expect(await t.db.course.count()).toBe(0);
    const home = await fetch(`http://127.0.0.1:${port}/`, { redirect: "manual" });
    expect([home.status, home.headers.get("location")]).toEqual([303, "/setup"]);
  } finally {
    child.kill("SIGTERM");
    await exited;
    await t.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}, 180_000);
