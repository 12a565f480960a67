// The real app over HTTP against a real database, plus a browser-like agent
// that keeps cookies and sends the CSRF token from the page it last loaded.
import * as cheerio from "cheerio";
import request from "supertest";
import { createHttpServer } from "../../src/platform/http-server.js";
import type TestAgent from "supertest/lib/agent.js";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import type PgBoss from "pg-boss";
import type { GradingLimits } from "../../src/grading/score.js";
import { startScoringWorker } from "../../src/casestudy/scoring.job.js";
import { startQueue } from "../../src/casestudy/queue.js";
import { stopSpare } from "../../src/grading/runner.js";
import { createApp } from "../../src/app.js";
import type { Clock } from "../../src/platform/clock.js";
import type { LtiEgress } from "../../src/lti/lti.egress.js";
import { syncContent } from "../../src/content/content.sync.js";
import { DEMO_PASSWORDS, seedDemo } from "../../src/demo/demo.seed.js";
import { createSqlPool } from "../../src/platform/db/connect.js";
import { loadConfig } from "../../src/platform/config.js";
import { createLogger } from "../../src/platform/logger.js";
import { createTestDb, type TestDb } from "./db.js";

export interface TestApp extends TestDb {
  app: ReturnType<typeof createApp>;
  config: ReturnType<typeof loadConfig>;
  dataDir: string;
  /** The grading queue (when started with `queue`). */
  boss: PgBoss | null;
  agent(): TestAgent;
  close(): Promise<void>;
}

export const CONTENT_DIR = fileURLToPath(new URL("../../content", import.meta.url));
export const QUIZ_DIR = fileURLToPath(new URL("../../quizzes", import.meta.url));

/**
 * The app's time in tests that set none: a fixed Wednesday far from any real date, so a test
 * that mixed it with the real clock (or with dates written in the repo's content) would fail
 * on every run, not only on some date. Tests that move time pass their own clock.
 */
export const TEST_NOW = new Date("2031-03-12T17:00:00Z");

/** The session secret of the app startTestApp makes. */
export const TEST_SESSION_SECRET = "test-secret-test-secret-test-secret-123";

export interface TestAppOptions {
  /** A content folder to sync (default: the repo's content/). */
  contentDir?: string;
  /** A quiz folder to sync (default: the repo's quizzes/). */
  quizDir?: string;
  /** The app's clock (default: fixed at TEST_NOW). The demo course starts at its first reading. */
  clock?: Clock;
  /** Start the grading queue; `worker` also runs a scoring worker in this process. */
  queue?: { worker?: boolean; limits?: Partial<GradingLimits> };
  /** Where requests to LMS platforms may connect (default: anywhere, as the fake platforms run on this machine). */
  ltiEgress?: LtiEgress;
  /** Where the app writes its log (with LOG_LEVEL set in env; default: nowhere, as LOG_LEVEL is silent). */
  logTo?: Writable;
}

export async function startTestApp(env: Record<string, string> = {}, opts: TestAppOptions = {}): Promise<TestApp> {
  const tdb = await createTestDb();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-data-"));
  const config = loadConfig({ NODE_ENV: "test", LOG_LEVEL: "silent", DATABASE_URL: tdb.url, SEED_DEMO: "true", DATA_DIR: dataDir, ...env });
  const logger = createLogger(config.LOG_LEVEL, "web", opts.logTo);
  const clock = opts.clock ?? (() => TEST_NOW);
  await seedDemo(tdb.db, logger, clock());
  const contentDir = opts.contentDir ?? CONTENT_DIR;
  await syncContent({ db: tdb.db, contentDir, quizDir: opts.quizDir ?? QUIZ_DIR, dataDir: config.DATA_DIR, prepareData: false, logger });
  let boss: PgBoss | null = null;
  if (opts.queue) {
    boss = await startQueue(tdb.url, logger, { expireInSeconds: config.GRADING_JOB_EXPIRE_SECONDS, maintenanceIntervalSeconds: config.QUEUE_MAINTENANCE_SECONDS });
    if (opts.queue.worker) await startScoringWorker(boss, { db: tdb.db, databaseUrl: tdb.url, dataDir: config.DATA_DIR, logger, limits: opts.queue.limits, clock }, { pollingIntervalSeconds: 0.5 });
  }
  const pool = createSqlPool(tdb.url, 3);
  pool.on("error", () => {}); // connections cut by the database's drop at teardown
  const app = createApp({ config, db: tdb.db, pool, logger, sessionSecret: TEST_SESSION_SECRET, contentDir, clock, boss: () => boss, ltiEgress: opts.ltiEgress });
  return {
    ...tdb,
    app,
    config,
    dataDir,
    boss,
    // On the server npm start runs (platform/http-server.ts), not the plain one supertest would make.
    agent: () => request.agent(createHttpServer(app)),
    async close() {
      await boss?.stop({ graceful: false, wait: true, timeout: 2000 }).catch(() => {});
      stopSpare(); // the idle inference process a scoring run left ready
      await new Promise((r) => setTimeout(r, 200)); // express-session's post-response touches
      await pool.end();
      await tdb.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function csrfFrom(html: string): string {
  const token = cheerio.load(html)('input[name="_csrf"]').first().val();
  if (typeof token !== "string" || !token) throw new Error("no CSRF token on the page");
  return token;
}

export async function signIn(agent: TestAgent, email: string, password: string) {
  const page = await agent.get("/login");
  return agent.post("/login").type("form").send({ _csrf: csrfFrom(page.text), email, password });
}

/** A new agent signed in as a demo account (students' password by default). */
export async function signedIn(t: Pick<TestApp, "agent">, email: string, password: string = DEMO_PASSWORDS.student) {
  const agent = t.agent();
  await signIn(agent, email, password);
  return agent;
}

export function $(html: string) {
  return cheerio.load(html);
}
