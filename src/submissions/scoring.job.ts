// Scoring one submission: the queue's job handler. Idempotent by submission and
// holdout version — a retried or duplicated job finds the result and stops — and a
// refused model is a result (FAILED with the reason), not a crash to retry.
//
// One run at a time per submission: a run holds a PostgreSQL advisory lock on a
// connection of its own, which the database releases when the run ends or its
// process dies. pg-boss gives a job whose run outlives `expireInSeconds` to the next
// fetch even though the first run is alive (possibly in the same worker); that
// second run finds the lock taken and leaves the work to the live one.
import pg from "pg";
import type { Logger } from "pino";
import type PgBoss from "pg-boss";
import { dataPaths, prepareData } from "../casestudy/casestudy.data.js";
import type { CaseStudyFile } from "../casestudy/casestudy.definition.js";
import { HoldoutRefused, ModelRefused } from "../grading/errors.js";
import { scoreAllSplits, type GradingLimits, type ScoreResult } from "../grading/score.js";
import { SubmissionStatus, type Db } from "../platform/db/prisma.js";
import { SCORE_QUEUE } from "./queue.js";

export interface ScoringDeps {
  db: Db;
  /** For the run's own connection, which holds its lock. */
  databaseUrl: string;
  dataDir: string;
  logger: Logger;
  /** Overrides of the grading limits (tests, benchmarks). */
  limits?: Partial<GradingLimits>;
}

/** What is kept of a split's result: everything but the bulky class names (kept once). */
function compact(r: ScoreResult) {
  const { classNames: _names, ...rest } = r;
  return rest;
}

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

export async function scoreSubmission(deps: ScoringDeps, submissionId: string, { lastTry = true } = {}): Promise<void> {
  const release = await lockSubmission(deps.databaseUrl, submissionId);
  if (!release) {
    deps.logger.info({ submissionId }, "submission already being scored; leaving it to that run");
    if (lastTry) return; // the live run records the outcome
    throw new ScoringBusy(submissionId); // retried; by then the live run has usually finished
  }
  try {
    await scoreLocked(deps, submissionId, lastTry);
  } finally {
    await release();
  }
}

async function scoreLocked(deps: ScoringDeps, submissionId: string, lastTry: boolean): Promise<void> {
  const { db, logger } = deps;
  const sub = await db.submission.findUnique({ where: { id: submissionId }, include: { caseStudy: true } });
  if (!sub) return; // deleted since it was queued
  // Refused or failed for good by an earlier run of this job; a rescore sets QUEUED first.
  if (sub.status === SubmissionStatus.FAILED) return;
  const cs = sub.caseStudy;
  const done = await db.submissionResult.findUnique({ where: { submissionId_holdoutVersion: { submissionId, holdoutVersion: cs.holdoutVersion } } });
  if (done) {
    if (sub.status !== SubmissionStatus.SCORED) await db.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.SCORED, progress: 1 } });
    return;
  }
  const settings = cs.settings as unknown as CaseStudyFile;
  await db.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.RUNNING, startedAt: new Date(), runs: { increment: 1 }, progress: 0, errorCode: null, errorMessage: null } });
  const paths = dataPaths(settings, deps.dataDir);
  let lastWrite = 0;
  try {
    await prepareData(settings, paths, logger);
    const r = await scoreAllSplits({
      model: sub.storedPath, holdout: paths.holdout, splitSeed: settings.splitSeed, rule: settings.points,
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
      const again = await tx.submissionResult.findUnique({ where: { submissionId_holdoutVersion: { submissionId, holdoutVersion: cs.holdoutVersion } } });
      if (!again) {
        await tx.submissionResult.updateMany({ where: { submissionId }, data: { current: false } });
        await tx.submissionResult.create({
          data: {
            submissionId, holdoutVersion: cs.holdoutVersion, current: true,
            publicScore: r.public[settings.points.metric], privateScore: r.private[settings.points.metric],
            publicPoints: r.public.points, privatePoints: r.private.points, accuracy: r.all.accuracy,
            engine: r.all.engine, seconds: r.all.inferenceSeconds,
            details: { classNames: r.all.classNames, public: compact(r.public), private: compact(r.private), all: compact(r.all) } as object,
          },
        });
      }
      await tx.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.SCORED, progress: 1, finishedAt: new Date() } });
    });
    logger.info({ submissionId, points: r.public.points }, "submission scored");
  } catch (e) {
    if (e instanceof ModelRefused) {
      await db.submission.update({ where: { id: submissionId }, data: { status: SubmissionStatus.FAILED, errorCode: e.code, errorMessage: e.message, finishedAt: new Date() } });
      logger.info({ submissionId, code: e.code }, "submission refused");
      return;
    }
    const problem = e instanceof HoldoutRefused ? `The holdout cannot be read: ${e.message}` : (e as Error).message;
    logger.error({ err: e, submissionId }, "scoring failed");
    await db.submission.update({
      where: { id: submissionId },
      data: lastTry
        ? { status: SubmissionStatus.FAILED, errorCode: "grader_error", errorMessage: `The grader had a problem that is not your model's fault (${problem}). This does not count against your limits; the course staff have been told and can rescore it.`, finishedAt: new Date() }
        : { status: SubmissionStatus.QUEUED, errorMessage: "The grader had a problem and will try again shortly." },
    });
    if (!lastTry) throw e; // the queue retries
  }
}

/** Registers the handler on a queue: one job at a time per worker process (scoring uses the CPU). */
export async function startScoringWorker(boss: PgBoss, deps: ScoringDeps, { pollingIntervalSeconds = 1 } = {}): Promise<string> {
  return boss.work<{ submissionId: string }>(SCORE_QUEUE, { batchSize: 1, pollingIntervalSeconds, includeMetadata: true }, async ([job]) => {
    if (!job) return;
    const meta = job as unknown as { retryCount?: number; retryLimit?: number };
    await scoreSubmission(deps, job.data.submissionId, { lastTry: (meta.retryCount ?? 0) >= (meta.retryLimit ?? 0) });
  });
}
