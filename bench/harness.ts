// What every benchmark needs: a throwaway embedded PostgreSQL with the demo course,
// its content and quizzes, and the real app on a loopback port.
import fs from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createApp } from "../src/app.js";
import type { Clock } from "../src/platform/clock.js";
import { seedDemo } from "../src/demo/demo.seed.js";
import { loadConfig } from "../src/platform/config.js";
import { startEmbeddedPostgres } from "../src/platform/db/embedded.js";
import { createSqlPool } from "../src/platform/db/connect.js";
import { migrateDeploy } from "../src/platform/db/migrate.js";
import { createPrisma } from "../src/platform/db/prisma.js";
import { createLogger } from "../src/platform/logger.js";
import { syncContent } from "../src/content/content.sync.js";
import { startQueue } from "../src/casestudy/queue.js";
import { freePort } from "../tests/helpers/test-database.js";

export async function startBenchServer({ clock, queue = false, countQueries = false }: { clock?: Clock; queue?: boolean; countQueries?: boolean } = {}) {
  const logger = createLogger("warn", "bench");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-bench-"));
  fs.chmodSync(dir, 0o755);
  const pgServer = await startEmbeddedPostgres({ dataDir: path.join(dir, "pg"), port: await freePort(), database: "bench", logger });
  await migrateDeploy(pgServer.url);
  // Optionally count every SQL statement sent to PostgreSQL, by any pool (Prisma's adapter and the app's own pg pool).
  let queries = 0;
  if (countQueries) {
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
      queries++;
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
  }
  const db = createPrisma(pgServer.url);
  await seedDemo(db, logger);
  const dataDir = path.join(dir, "data");
  await syncContent({ db, contentDir: "content", quizDir: "quizzes", dataDir, prepareData: false, logger });
  const pool = createSqlPool(pgServer.url, 10);
  pool.on("error", (err) => logger.debug({ err }, "session pool connection closed at teardown"));
  const config = loadConfig({ NODE_ENV: "production", SESSION_SECRET: "b".repeat(40), DATABASE_URL: pgServer.url, LOG_LEVEL: "warn", COOKIE_SECURE: "false", DATA_DIR: dataDir });
  const boss = queue ? await startQueue(pgServer.url, logger, { maintenanceIntervalSeconds: 5 }) : null;
  const app = createApp({ config, db, pool, logger, sessionSecret: "b".repeat(40), contentDir: "content", clock, boss: () => boss });
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  return {
    db: db as ReturnType<typeof createPrisma>,
    sql: pool,
    logger,
    queries: () => queries,
    url: pgServer.url,
    dataDir,
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve()); // waits for requests still in flight
        server.closeIdleConnections();
      });
      await new Promise((r) => setTimeout(r, 500)); // express-session writes its last session touches after responding
      await boss?.stop({ graceful: false, timeout: 2000 }).catch(() => {});
      await db.$disconnect();
      await pool.end();
      await pgServer.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Signs in over HTTP as a person would, then opens `page`; returns the session cookie,
 * the CSRF token from that page, and the page's HTML.
 */
export async function signInHttp(base: string, email: string, password: string, page: string): Promise<{ cookie: string; csrf: string; html: string }> {
  const token = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;
  const login = await fetch(`${base}/login`);
  const anon = login.headers.get("set-cookie")!.split(";")[0]!;
  const res = await fetch(`${base}/login`, {
    method: "POST", redirect: "manual", headers: { cookie: anon, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ _csrf: token(await login.text()), email, password }),
  });
  if (res.status !== 303) throw new Error(`sign-in of ${email}: HTTP ${res.status}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]!).find((c) => c.startsWith("cnn.sid="));
  if (!cookie) throw new Error(`sign-in of ${email}: no session cookie`);
  const html = await (await fetch(`${base}${page}`, { headers: { cookie } })).text();
  return { cookie, csrf: token(html), html };
}
