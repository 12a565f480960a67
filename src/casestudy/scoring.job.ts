// Scoring one submission: the queue's job handler. Idempotent by submission, holdout
// version and scoring round (a staff rescore of one submission starts a new round) — a
// retried or duplicated job finds the result and stops — and a
// refused model is a result (FAILED with the reason), not a crash to retry.
//
// One run at a time per submission: a run holds a PostgreSQL advisory lock on a
// connection of its own, which the database releases when the run ends or its
// process dies. pg-boss gives a job whose run outlives `expireInSeconds` to the next
// fetch even though the first run is alive (possibly in the same worker); that
// second run finds the lock taken and leaves the work to the live one.
//
// Waiting for data (a first start, while the generated dataset is being made) is done
// in the queue, not in a run: the job puts the submission back as a new job due a few
// seconds later, with the retries it had, until the data is ready. A run never sits
// on a job for the minutes generation takes (past the job's expiry, using up its
// retries), and a restart loses nothing: the waiting job is in the database.
import path from "node:path";
import pg from "pg";
import type { Logger } from "pino";
import type PgBoss from "pg-boss";
import { dataPaths, dataState } from "./casestudy.data.js";
import { readCaseStudySettings } from "./casestudy.definition.js";
import { HoldoutRefused, ModelRefused } from "../grading/errors.js";
import { scoreAllSplits, type GradingLimits } from "../grading/score.js";
import { SubmissionStatus, type Db } from "../platform/db/prisma.js";
import { enqueueScoring, SCORE_QUEUE, type ScoreJob } from "./queue.js";
import { resultDetails } from "./scoring.result.js";
import { DEFAULT_RETENTION_DAYS, sweepFailedUploads, SWEEP_EVERY_MS } from "./retention.js";


/**
 * How a scoring that did not finish leaves the submission. A rescore of a scored submission leaves it
 * scored — its current result keeps counting and its file is kept — with the failure noted for staff;
 * only a submission without a result fails.
 */
async function failedState(db: Db, submissionId: string, now: Date) {
  const keepsResult = (await db.submissionResult.count({ where: { submissionId, current: true } })) > 0;
  return (code: string, message: string) => keepsResult
    ? { status: SubmissionStatus.SCORED, errorCode: `rescore_${code}`, errorMessage: `The last rescore did not finish: ${message}`, finishedAt: now }
    : { status: SubmissionStatus.FAILED, errorCode: code, errorMessage: message, finishedAt: now };
}
export interface ScoringDeps {
  db: Db;
  /** For the run's own connection, which holds its lock. */
  databaseUrl: string;
  dataDir: string;
  logger: Logger;
  /** Overrides of the grading limits (tests, benchmarks). */
  limits?: Partial<GradingLimits>;
  /** How often a submission waiting for its case study's data looks again (default 10 s). */
  dataWaitSeconds?: number;
  /** Days a failed submission's file is kept (FAILED_UPLOAD_RETENTION_DAYS; default 7). */
  failedRetentionDays?: number;
  /** The time stamped on a run's start and end (tests run the app on a clock of their own). */
  clock?: () => Date;
}

/** Shown (status JSON) while a submission waits for its case study's data. */
export const WAITING_FOR_DATA = "The case-study data is still being prepared. This submission will be scored as soon as it is ready; there is no need to upload it again.";

const graderProblem = (problem: string) => `The grader had a problem that is not your model's fault (${problem}). This does not count against your limits; the course staff have been told and can rescore it.`;

/** "done": scored, failed, or left to another run; "waiting": the data is not ready yet, so the job should come back later. */
export type ScoringOutcome = "done" | "waiting";

/** A run of this submission is alive elsewhere; the job is retried later. */
export class ScoringBusy extends Error {
  constructor(submissionId: string) {
    super(`submission ${submissionId} is being scored by another run`);
  }
}

/** Takes the submission's lock, or returns null when another live run holds it. */
async function lockSubmission(databaseUrl: string, submissionId: string): Promise<(() => Promise<void>) | null> {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on("error", () => {}); // a lost connection frees the lock; the result write is still guarded below
  await client.connect();
  try {
    const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [`score-submission:${submissionId}`]);
    if (rows[0]?.ok) return () => client.end().catch(() => {});
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
  await client.end().catch(() => {});
  return null;
}

export interface ScoreOptions {
  /** The job's last try: a failure is final (FAILED), and a busy submission is left to its live run. */
  lastTry?: boolean;
  /** Since when the submission has waited for its data: a failed preparation after this fails it. */
  waitingSince?: Date;
}

export async function scoreSubmission(deps: ScoringDeps, submissionId: string, { lastTry = true, waitingSince = new Date() }: ScoreOptions = {}): Promise<ScoringOutcome> {
  const release = await lockSubmission(deps.databaseUrl, submissionId);
  if (!release) {
    deps.logger.info({ submissionId }, "submission already being scored; leaving it to that run");
    if (lastTry) return "done"; // the live run records the outcome
    throw new ScoringBusy(submissionId); // retried; by then the live run has usually finished
  }
  try {
    return await scoreLocked(deps, submissionId, lastTry, waitingSince);
  } finally {
    await release();
  }
}

async function scoreLocked(deps: ScoringDeps, submissionId: string, lastTry: boolean, waitingSince: Date): Promise<ScoringOutcome> {
  const { db, logger } = deps;
  const clock = deps.clock ?? (() => new Date());
  const sub = await db.submission.findUnique({ where: { id: submissionId }, include: { caseStudy: true } });
  if (!sub) return "done"; // deleted since it was queued
  // Refused or failed for good by an earlier run of this job; a rescore sets QUEUED first.
  if (sub.status === SubmissionStatus.FAILED) return "done";
  if (sub.fileRemovedAt) {
    await db.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.FAILED, errorCode: "file_removed", errorMessage: "This submission's file was deleted after it failed (failed submissions' files are kept for a few days), so it cannot be scored again. Upload the file again to score it.", finishedAt: clock() } });
    return "done";
  }
  const cs = sub.caseStudy;
  const resultKey = { submissionId_holdoutVersion_round: { submissionId, holdoutVersion: cs.holdoutVersion, round: sub.scoringRound } };
  const done = await db.submissionResult.findUnique({ where: resultKey });
  if (done) {
    if (sub.status !== SubmissionStatus.SCORED) await db.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.SCORED, progress: 1 } });
    return "done";
  }
  const settings = readCaseStudySettings(cs.settings);
  const paths = dataPaths(settings, deps.dataDir);
  const data = dataState(settings, paths, logger, waitingSince);
  if (data.state === "preparing") {
    if (sub.status !== SubmissionStatus.QUEUED || sub.errorMessage !== WAITING_FOR_DATA) {
      await db.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.QUEUED, progress: 0, errorMessage: WAITING_FOR_DATA } });
      logger.info({ submissionId, dir: paths.root }, "submission waits for the case-study data");
    }
    return "waiting";
  }
  if (data.state === "failed") {
    logger.error({ err: data.error, submissionId }, "scoring failed: the case-study data could not be prepared");
    await db.submission.update({ where: { id: submissionId }, data: (await failedState(db, submissionId, clock()))("grader_error", graderProblem(`the case-study data could not be prepared: ${data.error.message}`)) });
    return "done";
  }
  await db.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.RUNNING, startedAt: clock(), runs: { increment: 1 }, progress: 0, errorCode: null, errorMessage: null } });
  let lastWrite = 0;
  try {
    const r = await scoreAllSplits({
      model: sub.storedPath, holdout: paths.holdout, splitSeed: settings.splitSeed, rule: settings.points, cacheDir: path.join(deps.dataDir, "cache"),
      limits: { maxUploadBytes: settings.limits.maxUploadMb * 1024 * 1024, ...deps.limits },
      onProgress: (n, total) => {
        if (Date.now() - lastWrite < 500 && n < total) return;
        lastWrite = Date.now();
        void db.submission.update({ where: { id: submissionId }, data: { progress: n / total } }).catch(() => {});
      },
    });
    await db.$transaction(async (tx) => {
      // Locked, so two runs of one job (a worker presumed dead that was not) store one result.
      await tx.$queryRaw`SELECT id FROM "Submission" WHERE id = ${submissionId}::uuid FOR UPDATE`;
      const again = await tx.submissionResult.findUnique({ where: resultKey });
      if (!again) {
        await tx.submissionResult.updateMany({ where: { submissionId }, data: { current: false } });
        await tx.submissionResult.create({
          data: {
            submissionId, holdoutVersion: cs.holdoutVersion, round: sub.scoringRound, current: true,
            publicScore: r.public[settings.points.metric], privateScore: r.private[settings.points.metric],
            publicPoints: r.public.points, privatePoints: r.private.points, accuracy: r.all.accuracy,
            engine: r.all.engine, seconds: r.all.inferenceSeconds,
            details: resultDetails(r),
          },
        });
      }
      await tx.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.SCORED, progress: 1, finishedAt: clock() } });
    });
    logger.info({ submissionId, points: r.public.points }, "submission scored");
    return "done";
  } catch (e) {
    const failed = await failedState(db, submissionId, clock());
    if (e instanceof ModelRefused) {
      await db.submission.update({ where: { id: submissionId }, data: failed(e.code, e.message) });
      logger.info({ submissionId, code: e.code }, "submission refused");
      return "done";
    }
    const problem = e instanceof HoldoutRefused ? `The holdout cannot be read: ${e.message}` : (e as Error).message;
    logger.error({ err: e, submissionId }, "scoring failed");
    await db.submission.update({
      where: { id: submissionId },
      data: lastTry
        ? failed("grader_error", graderProblem(problem))
        : { status: SubmissionStatus.QUEUED, errorMessage: "The grader had a problem and will try again shortly." },
    });
    if (!lastTry) throw e; // the queue retries
    return "done";
  }
}

/**
 * Registers the handler on a queue: one job at a time per worker process (scoring uses the
 * CPU). The worker also deletes failed submissions' files past their retention, at start-up
 * and hourly.
 */
export async function startScoringWorker(boss: PgBoss, deps: ScoringDeps, { pollingIntervalSeconds = 1 } = {}): Promise<string> {
  const sweep = () => sweepFailedUploads(deps, { now: deps.clock?.(), retentionDays: deps.failedRetentionDays ?? DEFAULT_RETENTION_DAYS }).catch((err: unknown) => deps.logger.error({ err }, "could not delete failed submissions' files past their retention; trying again in an hour"));
  await sweep();
  const timer = setInterval(() => void sweep(), SWEEP_EVERY_MS);
  timer.unref();
  boss.once("stopped", () => clearInterval(timer));
  return boss.work<ScoreJob>(SCORE_QUEUE, { batchSize: 1, pollingIntervalSeconds, includeMetadata: true }, async ([job]) => {
    if (!job) return;
    const meta = job as unknown as { retryCount?: number; retryLimit?: number };
    const retriesLeft = (meta.retryLimit ?? 0) - (meta.retryCount ?? 0);
    const waitingSince = job.data.waitingSince ? new Date(job.data.waitingSince) : new Date();
    const outcome = await scoreSubmission(deps, job.data.submissionId, { lastTry: retriesLeft <= 0, waitingSince });
    // Back in the queue as a new job with the retries this one had: waiting used none.
    if (outcome === "waiting") await enqueueScoring(boss, job.data.submissionId, { afterSeconds: deps.dataWaitSeconds ?? 10, retryLimit: retriesLeft, waitingSince });
  });
}

export interface Reconciled {
  requeued: { submissionId: string; was: SubmissionStatus; job: string }[];
  failed: { submissionId: string; job: string }[];
}

interface QueueJob {
  submissionId: string;
  id: string;
  state: string;
  retryCount: number;
  retryLimit: number;
  /** Waiting, or running within its expiry. */
  live: boolean;
}

const STOPPED_FOR_GOOD = "The grader stopped while scoring this model (its process ended or lost contact) and has no tries left for it. This is not your model's fault and does not count against your limits; the course staff have been told and can rescore it.";

/**
 * Start-up repair of submissions whose state disagrees with the queue, left by a
 * process that died between writing one and the other:
 * - QUEUED with no live job (completed, failed or missing): queued again;
 * - RUNNING past the job expiry with no live job and no live run (its lock is free):
 *   queued again with the retries its last job had left, or FAILED as a grader
 *   problem (rescorable, not counted) when it had none.
 * Live means waiting (created, retry) or active within its expiry; an active job past
 * its expiry is cancelled, so pg-boss does not retry it as well. A duplicate job is
 * harmless (scoring is idempotent), so no grace period is kept for uploads in flight.
 * One process at a time. Never throws: start-up goes on and the problem is logged.
 */
export async function reconcileScoring(boss: PgBoss, deps: Pick<ScoringDeps, "db" | "databaseUrl" | "logger">, { now = new Date() } = {}): Promise<Reconciled> {
  const { db, logger } = deps;
  const done: Reconciled = { requeued: [], failed: [] };
  const client = new pg.Client({ connectionString: deps.databaseUrl });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT pg_advisory_lock(hashtextextended('reconcile-scoring', 0))"); // released when the connection ends
    const queue = await boss.getQueue(SCORE_QUEUE);
    const expiredBefore = new Date(now.getTime() - (queue?.expireInSeconds ?? 15 * 60) * 1000);
    const subs = await db.submission.findMany({
      where: { OR: [{ status: SubmissionStatus.QUEUED }, { status: SubmissionStatus.RUNNING, OR: [{ startedAt: null }, { startedAt: { lt: expiredBefore } }] }] },
      select: { id: true, status: true },
      orderBy: { createdAt: "asc" },
    });
    if (!subs.length) return done;
    const ids = subs.map((s) => s.id);
    // Every job of these submissions, newest first; finished ones may have been archived.
    const jobs = await db.$queryRaw<QueueJob[]>`
      SELECT data->>'submissionId' AS "submissionId", id::text AS id, state::text AS state, retry_count AS "retryCount", retry_limit AS "retryLimit",
             (state IN ('created', 'retry') OR (state = 'active' AND started_on + expire_in > ${now}::timestamptz)) AS live, created_on
        FROM pgboss.job WHERE name = ${SCORE_QUEUE} AND data->>'submissionId' = ANY(${ids}::text[])
      UNION ALL
      SELECT data->>'submissionId', id::text, state::text, retry_count, retry_limit, false, created_on
        FROM pgboss.archive WHERE name = ${SCORE_QUEUE} AND data->>'submissionId' = ANY(${ids}::text[])
      ORDER BY created_on DESC`;
    for (const sub of subs) {
      const mine = jobs.filter((j) => j.submissionId === sub.id);
      if (mine.some((j) => j.live)) continue;
      const last = mine[0];
      const job = last?.state ?? "missing";
      let retryLimit: number | undefined; // the queue's, unless a run of the last job was used up
      if (sub.status === SubmissionStatus.RUNNING) {
        const release = await lockSubmission(deps.databaseUrl, sub.id);
        if (!release) continue; // a run is alive after all (on a worker that lost its job)
        await release();
        const left = last ? last.retryLimit - last.retryCount : null;
        if (left !== null && left <= 0) {
          await cancelStale(boss, mine);
          const n = await db.submission.updateMany({ where: { id: sub.id, status: SubmissionStatus.RUNNING }, data: (await failedState(db, sub.id, now))("grader_error", STOPPED_FOR_GOOD) });
          if (n.count) done.failed.push({ submissionId: sub.id, job });
          continue;
        }
        if (left !== null) retryLimit = left - 1;
      }
      await cancelStale(boss, mine);
      const n = await db.submission.updateMany({ where: { id: sub.id, status: sub.status }, data: { status: SubmissionStatus.QUEUED, progress: 0 } });
      if (!n.count) continue; // changed meanwhile by someone who queues it
      await enqueueScoring(boss, sub.id, { retryLimit });
      done.requeued.push({ submissionId: sub.id, was: sub.status, job });
    }
    if (done.requeued.length || done.failed.length) {
      logger.info(done, `submissions reconciled with the grading queue: ${done.requeued.length} queued again, ${done.failed.length} failed (no tries left)`);
    }
  } catch (err) {
    logger.error({ err, ...done }, "could not reconcile submissions with the grading queue; stuck submissions need a rescore");
  } finally {
    await client.end().catch(() => {});
  }
  return done;
}

/** Active jobs past their expiry: their worker is gone; cancelled so pg-boss does not run them again. */
async function cancelStale(boss: PgBoss, jobs: QueueJob[]) {
  const stale = jobs.filter((j) => j.state === "active").map((j) => j.id);
  if (stale.length) await boss.cancel(SCORE_QUEUE, stale);
}
