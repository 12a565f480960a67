// `npm start`: config → database (embedded unless DATABASE_URL) → migrations → demo seed → HTTP.
import type { Server } from "node:http";
import { createApp } from "./app.js";
import { ltiEgressFor } from "./lti/lti.egress.js";
import { ltiGradeSync, startLtiGradeSync } from "./lti/lti.grades.js";
import { gradeEventsWithLti } from "./lti/lti.outbox.js";
import { systemClock } from "./platform/clock.js";
import { loadLtiPlatforms, type LtiPlatform } from "./lti/lti.platforms.js";
import { demoLoginsTable, seedDemo } from "./demo/demo.seed.js";
import { ensureSetupToken } from "./admin/admin.setup.js";
import { failStartup, sessionSecret, startRuntime, StartupError } from "./platform/runtime.js";
import { QuizService, quizGradeRelease } from "./quiz/quiz.service.js";
import { SubmissionsService } from "./casestudy/submissions.service.js";
import { reconcileScoring, startScoringWorker } from "./casestudy/scoring.job.js";
import { keepStartingQueue, startQueue } from "./casestudy/queue.js";
import { sweepOverdueAttempts } from "./quiz/quiz.sweeper.js";
import { stopDataPreparation } from "./casestudy/casestudy.data.js";
import { syncContent, watchContent } from "./content/content.sync.js";

const t0 = Date.now();
const rt = await startRuntime("web");
const { config, logger } = rt;
let ltiPlatforms: LtiPlatform[];
try {
  ltiPlatforms = loadLtiPlatforms(config.LTI_PLATFORMS_FILE);
} catch (err) {
  await rt.close();
  failStartup(err, logger); // a bad LTI_PLATFORMS_FILE, with each problem at its line
}

// In production the demo's administrator (a published password) is left out: set-up makes one.
const seeded = config.seedDemo ? await seedDemo(rt.db, logger, new Date(), { admin: config.NODE_ENV !== "production" }) : null;
if (seeded) process.stdout.write(`\n${demoLoginsTable(seeded)}\n\n`);

// No administrator yet: the first visitor sets one up at /setup; in production only with this token.
let setupToken: string | undefined;
if (!(await rt.db.user.count({ where: { isAdmin: true } }))) {
  const url = `${config.PUBLIC_URL ?? `http://localhost:${config.PORT}`}/setup`;
  if (config.NODE_ENV === "production") {
    const { token, file } = ensureSetupToken(config.DATA_DIR);
    setupToken = token;
    logger.warn({ url, tokenFile: file }, `no administrator yet: open ${url} and enter the set-up token ${token} (or run npm run admin:create on the server)`);
  } else {
    logger.warn({ url }, `no administrator yet: open ${url} to create one (or run npm run admin:create)`);
  }
}

const contentDir = config.CONTENT_DIR;
// A sync that changes a quiz's grading rules regrades it: the changed grades go to the LMS like any other.
const sync = { db: rt.db, contentDir, quizDir: config.QUIZ_DIR, dataDir: config.DATA_DIR, prepareData: config.PREPARE_CASE_DATA, dataScale: config.GENERATED_DATA_SCALE, logger, grades: gradeEventsWithLti() };
await syncContent(sync);
const stopWatching = config.watchContent ? watchContent(sync) : () => {};

// The grading queue; with the embedded database the web process also runs a worker. Tried again
// every 30 s until it starts: uploads are refused (503, saying so) until then.
const grading = keepStartingQueue(
  () => startQueue(rt.databaseUrl, logger, { expireInSeconds: config.GRADING_JOB_EXPIRE_SECONDS, maintenanceIntervalSeconds: config.QUEUE_MAINTENANCE_SECONDS }),
  async (boss) => {
    if (!config.runWorker) return;
    await startScoringWorker(boss, { db: rt.db, databaseUrl: rt.databaseUrl, dataDir: config.DATA_DIR, logger, failedRetentionDays: config.FAILED_UPLOAD_RETENTION_DAYS });
    await reconcileScoring(boss, { db: rt.db, databaseUrl: rt.databaseUrl, logger });
  },
  logger,
);
await grading.ready;
// Where requests to LMS platforms connect, for the app's launches and rosters and for the grade sender alike.
const ltiEgress = ltiEgressFor(config.NODE_ENV);
const app = createApp({ config, db: rt.db, pool: rt.pool, logger, sessionSecret: sessionSecret(config), contentDir, boss: () => grading.current(), ltiPlatforms, setupToken, ltiEgress });

const server = await new Promise<Server>((resolve, reject) => {
  const s = app.listen(config.PORT, config.HOST);
  s.once("listening", () => resolve(s));
  s.once("error", reject);
}).catch(async (err: NodeJS.ErrnoException) => {
  await rt.close();
  if (err.code === "EADDRINUSE") {
    failStartup(new StartupError(`Port ${config.PORT} is already in use (another copy of the platform, or another program). Stop it, or start on another port: PORT=3001 npm start`));
  }
  failStartup(err, logger);
});
server.keepAliveTimeout = 5000;
const stopSweeping = sweepOverdueAttempts(new QuizService({ db: rt.db, sql: rt.pool, clock: systemClock, grades: gradeEventsWithLti() }), logger);
// Always running: platforms added by Dynamic Registration (in the database) need no restart.
const stopGradeSync = startLtiGradeSync(ltiGradeSync(rt.db, ltiPlatforms, config.DATA_DIR, new SubmissionsService({ db: rt.db, clock: () => new Date(), dataDir: config.DATA_DIR }), quizGradeRelease(rt.db), ltiEgress), logger);
logger.info({ url: `http://localhost:${config.PORT}`, bootMs: Date.now() - t0 }, "listening");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  stopWatching();
  stopSweeping();
  stopGradeSync();
  stopDataPreparation();
  logger.info({ signal }, "shutting down: no new connections, finishing requests in flight");
  const force = setTimeout(() => {
    logger.warn("requests still running after 10s; closing their connections");
    server.closeAllConnections();
  }, 10_000).unref();
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  clearTimeout(force);
  // express-session writes session touches just after a response ends; let those land before closing the pool.
  await new Promise((r) => setTimeout(r, 250));
  await grading.stop({ graceful: true, timeout: 5000 });
  await rt.close();
  logger.info("stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
