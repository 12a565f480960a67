// `npm run worker`: a process that runs background jobs and serves no HTTP: it
// scores case-study submissions from the queue and submits quiz attempts whose
// time ran out. Start as many as the machines allow; they share the queue.
import { ltiEgressFor } from "./lti/lti.egress.js";
import { ltiGradeSync, startLtiGradeSync } from "./lti/lti.grades.js";
import { gradeEventsWithLti } from "./lti/lti.outbox.js";
import { systemClock } from "./platform/clock.js";
import { loadLtiPlatforms, type LtiPlatform } from "./lti/lti.platforms.js";
import { failStartup, startRuntime } from "./platform/runtime.js";
import { QuizService, quizGradeRelease } from "./quiz/quiz.service.js";
import { SubmissionsService } from "./casestudy/submissions.service.js";
import { sweepOverdueAttempts } from "./quiz/quiz.sweeper.js";
import { reconcileScoring, startScoringWorker } from "./casestudy/scoring.job.js";
import { startQueue } from "./casestudy/queue.js";

const rt = await startRuntime("worker");
let ltiPlatforms: LtiPlatform[];
try {
  ltiPlatforms = loadLtiPlatforms(rt.config.LTI_PLATFORMS_FILE);
} catch (err) {
  await rt.close();
  failStartup(err, rt.logger);
}
const stopSweeping = sweepOverdueAttempts(new QuizService({ db: rt.db, sql: rt.pool, clock: systemClock, grades: gradeEventsWithLti() }), rt.logger);
// Quiz grades to LMS gradebooks (LTI AGS), shared with the web processes.
// Always running: platforms added by Dynamic Registration (in the database) need no restart.
const stopGradeSync = startLtiGradeSync(ltiGradeSync(rt.db, ltiPlatforms, rt.config.DATA_DIR, new SubmissionsService({ db: rt.db, clock: () => new Date(), dataDir: rt.config.DATA_DIR }), quizGradeRelease(rt.db), ltiEgressFor(rt.config.NODE_ENV)), rt.logger);
const boss = await startQueue(rt.databaseUrl, rt.logger, { expireInSeconds: rt.config.GRADING_JOB_EXPIRE_SECONDS, maintenanceIntervalSeconds: rt.config.QUEUE_MAINTENANCE_SECONDS });
await startScoringWorker(boss, { db: rt.db, databaseUrl: rt.databaseUrl, dataDir: rt.config.DATA_DIR, logger: rt.logger, failedRetentionDays: rt.config.FAILED_UPLOAD_RETENTION_DAYS });
await reconcileScoring(boss, { db: rt.db, databaseUrl: rt.databaseUrl, logger: rt.logger });
rt.logger.info("worker started; scoring case-study submissions from the queue");

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  rt.logger.info({ signal }, "worker shutting down");
  stopSweeping();
  stopGradeSync();
  // Lets the job in progress finish; if it cannot in time, the queue gives it to another worker later.
  await boss.stop({ graceful: true, timeout: 30_000 }).catch(() => {});
  await rt.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
// Keep the event loop alive while there is nothing to do.
setInterval(() => {}, 1 << 30);
