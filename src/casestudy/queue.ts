// The grading queue: pg-boss on the same PostgreSQL. Any number of worker processes
// on any number of machines take jobs from it; a job whose worker died is taken
// again after it expires, and the job handler makes a second run harmless.
import PgBoss from "pg-boss";
import type { Logger } from "pino";
import { HttpError } from "../platform/errors.js";

export const SCORE_QUEUE = "score-submission";

export interface QueueOptions {
  /** A job running longer than this is considered lost (its worker died) and retried. */
  expireInSeconds?: number;
  retryLimit?: number;
  /** How often expired jobs are looked for. */
  maintenanceIntervalSeconds?: number;
}

export async function startQueue(url: string, logger: Logger, opts: QueueOptions = {}): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: url,
    schema: "pgboss",
    max: 4,
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 30,
  });
  boss.on("error", (err) => logger.error({ err }, "job queue error"));
  try {
    await boss.start();
    const settings = { retryLimit: opts.retryLimit ?? 2, retryDelay: 2, expireInSeconds: opts.expireInSeconds ?? 15 * 60 };
    await boss.createQueue(SCORE_QUEUE, { name: SCORE_QUEUE, ...settings });
    // createQueue leaves an existing queue as it was first made: apply today's settings.
    await boss.updateQueue(SCORE_QUEUE, { name: SCORE_QUEUE, ...settings });
    return boss;
  } catch (err) {
    // What started is stopped (its pool, its timers), so that a failed start, tried again, leaves nothing behind.
    // A start that failed part way counts as stopped to pg-boss: its pool is closed here.
    await boss.stop({ graceful: false, wait: true, timeout: 1000 }).catch(() => {});
    const db = boss.getDb() as unknown as { opened?: boolean; close?: () => Promise<void> };
    if (db.opened) await db.close?.().catch(() => {});
    throw err;
  }
}

/** The grading queue of a process that keeps trying to start it: null until it has started. */
export interface KeptQueue {
  /** Settles when the first try has ended, started or not. */
  ready: Promise<void>;
  current(): PgBoss | null;
  /** Stops trying, and stops the queue if it started. */
  stop(opts?: { graceful?: boolean; timeout?: number }): Promise<void>;
}

/**
 * Starts the queue and what runs on it (`then`: a worker, its reconciliation), and when that fails
 * tries again every `retryMs` — the database may come up after the web process, or be away for a
 * while. Until it has started, `current()` is null and uploads are refused with a 503 that says so.
 */
export function keepStartingQueue(start: () => Promise<PgBoss>, then: (boss: PgBoss) => Promise<void>, logger: Logger, retryMs = 30_000): KeptQueue {
  let boss: PgBoss | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let attempt: Promise<void> = Promise.resolve();
  const tryStart = async (tries: number): Promise<void> => {
    let started: PgBoss | null = null;
    try {
      started = await start();
      await then(started);
      if (stopped) {
        await started.stop({ graceful: false, timeout: 2000 }).catch(() => {});
        return;
      }
      boss = started;
      if (tries > 1) logger.info({ tries }, "the grading queue started; uploads are accepted again");
    } catch (err) {
      await started?.stop({ graceful: false, timeout: 2000 }).catch(() => {});
      if (stopped) return;
      logger.error({ err, tries }, `the grading queue could not start; uploads are refused until it does (trying again in ${Math.round(retryMs / 1000)} s)`);
      timer = setTimeout(() => void (attempt = tryStart(tries + 1)), retryMs);
      timer.unref();
    }
  };
  attempt = tryStart(1);
  return {
    ready: attempt,
    current: () => boss,
    async stop(opts = {}) {
      stopped = true;
      if (timer) clearTimeout(timer);
      // A try under way (connecting to a database that does not answer) is not waited for past 5 s.
      await Promise.race([attempt, new Promise((r) => setTimeout(r, 5000).unref())]);
      await boss?.stop({ graceful: opts.graceful ?? true, timeout: opts.timeout ?? 5000 }).catch(() => {});
      boss = null;
    },
  };
}

export interface ScoreJob {
  submissionId: string;
  /** When the submission began waiting for its case study's data (ISO time), carried by the jobs that wait. */
  waitingSince?: string;
}

export interface EnqueueOptions {
  /** Not before this many seconds from now. */
  afterSeconds?: number;
  /** Retries for this job (default: the queue's). */
  retryLimit?: number;
  waitingSince?: Date;
}

export async function enqueueScoring(boss: PgBoss, submissionId: string, opts: EnqueueOptions = {}): Promise<void> {
  const data: ScoreJob = { submissionId, ...(opts.waitingSince && { waitingSince: opts.waitingSince.toISOString() }) };
  await boss.send(SCORE_QUEUE, data, {
    singletonKey: submissionId,
    ...(opts.afterSeconds !== undefined && { startAfter: opts.afterSeconds }),
    ...(opts.retryLimit !== undefined && { retryLimit: opts.retryLimit }),
  });
}

/** The process's queue; a 503 while it is not running (`what`: what was therefore not done, in words). */
export function runningQueue(boss: () => PgBoss | null, what = "Nothing was queued."): PgBoss {
  const b = boss();
  if (!b) throw new HttpError(503, `The grading queue is not running. ${what} Try again in a minute; if it lasts, tell your instructor.`, "queue_down");
  return b;
}

/** Queues submissions for scoring through the process's queue; a 503 while the queue is not running. */
export function enqueuer(boss: () => PgBoss | null) {
  return async (ids: string[]): Promise<void> => {
    if (!ids.length) return;
    const b = runningQueue(boss);
    for (const id of ids) await enqueueScoring(b, id);
  };
}
