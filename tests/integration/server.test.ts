// The real `npm start` entry point as a process: start-up, shutdown and every
// start-up failure a newcomer can meet, each with its message.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { freePort } from "../helpers/test-database.js";
import { createTestDb, type TestDb } from "../helpers/db.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Proc { child: ChildProcess; out: () => string; exited: Promise<number | null> }

const started: Proc[] = [];

function startServer(env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ["--import", "tsx", "src/server.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "info", NODE_ENV: "development", PREPARE_CASE_DATA: "false", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (c) => (out += c));
  child.stderr!.on("data", (c) => (out += c));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const p = { child, out: () => out, exited };
  started.push(p);
  return p;
}

/** A PostgreSQL that a data folder's postmaster.pid names, stopped (a failed test must not leave one running). */
function stopLeftoverPostgres(dataDir: string) {
  const pidFile = path.join(dataDir, "pg", "postmaster.pid");
  if (!fs.existsSync(pidFile)) return;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    process.kill(pid, "SIGQUIT");
  } catch {
    // already gone
  }
}

// A test that failed half-way must not leave its server behind.
afterEach(async () => {
  for (const p of started.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill("SIGKILL");
      await p.exited;
    }
  }
});

async function until(p: Proc, pattern: RegExp, ms = 150_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pattern.test(p.out())) {
    if (p.child.exitCode !== null) throw new Error(`server exited (${p.child.exitCode}) before ${pattern}:\n${p.out()}`);
    if (Date.now() > deadline) throw new Error(`no ${pattern} in:\n${p.out()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let tdb: TestDb;
beforeAll(async () => {
  tdb = await createTestDb();
});
afterAll(() => tdb.drop());

test("starts on DATABASE_URL, answers, and stops cleanly on SIGTERM", async () => {
  const port = await freePort();
  const p = startServer({ DATABASE_URL: tdb.url, PORT: String(port), SEED_DEMO: "true", DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "cnn-srv-")) });
  await until(p, /"msg":"listening"/);
  expect(p.out()).toContain("Demo sign-ins (role, email, password):");
  expect(p.out()).not.toContain("embedded PostgreSQL ready");
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  expect(ready.status).toBe(200);
  p.child.kill("SIGTERM");
  expect(await p.exited).toBe(0);
  expect(p.out()).toContain('"msg":"stopped"');
});

test("a port already in use: a clear message and exit status 1", async () => {
  const blocker = net.createServer();
  const port = await freePort();
  await new Promise<void>((r) => blocker.listen(port, "0.0.0.0", () => r()));
  const p = startServer({ DATABASE_URL: tdb.url, PORT: String(port) });
  expect(await p.exited).toBe(1);
  expect(p.out()).toContain(`Could not start: Port ${port} is already in use`);
  expect(p.out()).toContain("PORT=3001 npm start");
  blocker.close();
});

test("a database that is down: a clear message and exit status 1", async () => {
  const p = startServer({ DATABASE_URL: "postgresql://postgres:password@127.0.0.1:9/app", DB_WAIT_SECONDS: "1" });
  expect(await p.exited).toBe(1);
  expect(p.out()).toContain("Could not start: Cannot reach PostgreSQL at 127.0.0.1:9/app (ECONNREFUSED) after 1s.");
  expect(p.out()).not.toMatch(/\n\s+at /); // no stack trace for an expected failure
});

test("bad configuration: every bad value named, exit status 1", async () => {
  const p = startServer({ PORT: "abc", LOG_LEVEL: "chatty" });
  expect(await p.exited).toBe(1);
  expect(p.out()).toContain('PORT="abc": must be a number');
  expect(p.out()).toContain('LOG_LEVEL="chatty"');
});

test("embedded PostgreSQL: data survives restarts, and a SIGKILLed run does not block the next start", async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-embedded-"));
  fs.chmodSync(dataDir, 0o755);
  const env = { DATA_DIR: dataDir, PG_PORT: String(await freePort()), PORT: String(await freePort()) };
  try {
    await restarts(env);
  } finally {
    stopLeftoverPostgres(dataDir);
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
});

async function restarts(env: Record<string, string>) {
  const first = startServer(env);
  await until(first, /"msg":"listening"/);
  expect(first.out()).toContain("Demo sign-ins");
  first.child.kill("SIGKILL"); // postgres, a separate process, is left running
  await first.exited;

  const second = startServer(env);
  await until(second, /"msg":"listening"/);
  expect(second.out()).toContain("stopping the PostgreSQL left running by a previous run");
  expect(second.out()).not.toContain("Demo sign-ins"); // seeded once, the data survived
  const login = await fetch(`http://127.0.0.1:${env.PORT}/login`);
  expect(login.status).toBe(200);
  second.child.kill("SIGINT");
  expect(await second.exited).toBe(0);
  expect(fs.existsSync(path.join(env.DATA_DIR!, "pg", "postmaster.pid"))).toBe(false); // postgres shut down cleanly with the app
}
