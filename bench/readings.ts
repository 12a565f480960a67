// npm run bench:readings — requests/s and latency (p50/p99) of a reading page and
// a checklist toggle under concurrent load, against the real server on loopback
// with a throwaway embedded PostgreSQL. Bounded: each run lasts BENCH_SECONDS.
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { createApp } from "../src/app.js";
import { DEMO_PASSWORDS, seedDemo } from "../src/demo/demo.seed.js";
import { loadConfig } from "../src/platform/config.js";
import { startEmbeddedPostgres } from "../src/platform/db/embedded.js";
import { migrateDeploy } from "../src/platform/db/migrate.js";
import { createPrisma } from "../src/platform/db/prisma.js";
import { createLogger } from "../src/platform/logger.js";
import { syncContent } from "../src/readings/readings.sync.js";
import { freePort } from "../tests/helpers/test-database.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

const logger = createLogger("warn", "bench");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-bench-"));
fs.chmodSync(dir, 0o755);
const pgServer = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), port: await freePort(), database: "bench", logger });
await migrateDeploy(pgServer.url);
const db = createPrisma(pgServer.url);
await seedDemo(db, logger);
await syncContent({ db, contentDir: "content", logger });
const pool = new pg.Pool({ connectionString: pgServer.url, max: 10 });
pool.on("error", (err) => logger.debug({ err }, "session pool connection closed at teardown"));
const config = loadConfig({ NODE_ENV: "production", SESSION_SECRET: "b".repeat(40), DATABASE_URL: pgServer.url, LOG_LEVEL: "warn", COOKIE_SECURE: "false" });
const app = createApp({ config, db, pool, logger, sessionSecret: "b".repeat(40), contentDir: "content" });
const server = app.listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function signIn(email: string) {
  const login = await fetch(`${base}/login`);
  let cookie = login.headers.get("set-cookie")!.split(";")[0]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await login.text())![1]!;
  const res = await fetch(`${base}/login`, {
    method: "POST", redirect: "manual", headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: csrf, email, password: DEMO_PASSWORDS.student }),
  });
  cookie = res.headers.get("set-cookie")!.split(";")[0]!;
  const page = await (await fetch(`${base}/courses/cnn/modules/cnn`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)![1]!, tick: /action="([^"]+\/checklist\/[^"]+)"/.exec(page)![1]! };
}

function run(title: string, opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ duration: SECONDS, connections: CONNECTIONS, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  }).then((r) => {
    const res = r as autocannon.Result;
    const errors = res.errors + res.non2xx;
    console.log(`${title.padEnd(34)} ${res.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(res.latency.p50).padStart(4)} ms   p99 ${String(res.latency.p99).padStart(4)} ms   ${res.requests.total} requests, ${errors} errors`);
    return res;
  });
}

const student = await signIn("alice@example.edu");
console.log(`bench:readings — ${CONNECTIONS} connections, ${SECONDS}s each, ${os.cpus().length} cores, Node ${process.version}`);
await run("GET reading page (overview)", { url: `${base}/courses/cnn/modules/cnn/readings/overview`, headers: { cookie: student.cookie } });
await run("GET module page", { url: `${base}/courses/cnn/modules/cnn`, headers: { cookie: student.cookie } });
await run("POST checklist toggle (JSON)", {
  url: `${base}${student.tick}`,
  method: "POST",
  headers: { cookie: student.cookie, accept: "application/json", "content-type": "application/x-www-form-urlencoded", "x-csrf-token": student.csrf },
  requests: [{ body: "done=1" }, { body: "done=0" }],
});
const ticks = await db.checklistTick.count();
console.log(`after the run: ${ticks} tick row(s) for the toggled item (0 or 1 expected: toggles are idempotent)`);

await new Promise<void>((resolve) => {
  server.close(() => resolve()); // waits for requests still in flight
  server.closeIdleConnections();
});
await new Promise((r) => setTimeout(r, 500)); // express-session writes its last session touches after responding
await db.$disconnect();
await pool.end();
await pgServer.stop();
fs.rmSync(dir, { recursive: true, force: true });
