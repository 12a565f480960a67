// LTI Assignment and Grade Services: quiz grades and case-study points sent to the LMS
// gradebook column of the link students launched the quiz or case study from. A quiz
// grade change writes an outbox row in its own transaction (`queueQuizScore`); case-study
// points — which change with results, overrides, final choices and the deadline itself —
// are compared with what was queued on each round (`reconcileCaseStudies`), once the
// private scores are out; they are the team's grade as the points rule counts it
// (countedSubmissions), sent on the case study's own scale (points.max), not out of 100.
// A sender in every web and worker process claims due rows, gets an access token with a
// client assertion signed by the tool key, posts the score, and records the outcome —
// retrying with backoff, never sending an older grade over a newer one.
import type { Logger } from "pino";
import { Prisma, type Db } from "../platform/db/prisma.js";
import type { CaseStudyPoints, QuizGradeRelease } from "../platform/grade-events.js";
import { toolKeySource, type ToolKey } from "./lti.keys.js";
import type { LtiEgress } from "./lti.egress.js";
import type { LtiPlatform } from "./lti.platforms.js";
import { LtiPlatforms } from "./lti.registry.js";
import { LtiTokens } from "./lti.tokens.js";

export const AGS_SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score";
/** After this many failed tries a score waits for someone to look (the grading view shows it). */
export const MAX_TRIES = 12;
/** How long a sender may hold a claimed row before another may take it. */
const LEASE_MS = 5 * 60_000;

type Tx = Prisma.TransactionClient;

/** A refusal the platform will repeat however often the score is sent (a 4xx other than 401, 408, 409, 429). */
export class PermanentSendError extends Error {}

/**
 * Queues a student's quiz grade for every LMS gradebook column linked to the quiz in an LMS
 * course (deployment and context) the student was launched from — never a column of another
 * LMS course or institution. Call inside the transaction that changed it.
 */
export async function queueQuizScore(tx: Tx, quizId: string, userId: string, percent: number, now: Date): Promise<void> {
  await tx.$executeRaw`
    INSERT INTO "LtiScoreSync" ("lineItemId", "userId", percent, "changedAt", "nextTryAt")
    SELECT li.id, ${userId}::uuid, ${percent}, ${now}, ${now}
    FROM "LtiLineItem" li JOIN "LtiContextMember" m ON m."contextId" = li."contextId" AND m."userId" = ${userId}::uuid
    WHERE li."quizId" = ${quizId}::uuid
    ON CONFLICT ("lineItemId", "userId") DO UPDATE SET percent = EXCLUDED.percent, "changedAt" = EXCLUDED."changedAt",
      "sentAt" = NULL, tries = 0, "nextTryAt" = EXCLUDED."nextTryAt", "lastError" = NULL`;
}

/** Queues every existing grade of the quiz for a line item just linked (grades earned before the link), for its LMS course's members. */
export async function backfillLineItem(db: Db, lineItemId: string, now: Date): Promise<void> {
  await db.$executeRaw`
    INSERT INTO "LtiScoreSync" ("lineItemId", "userId", percent, "changedAt", "nextTryAt")
    SELECT li.id, g."userId", g.percent, ${now}, ${now}
    FROM "LtiLineItem" li JOIN "QuizGrade" g ON g."quizId" = li."quizId"
    JOIN "LtiContextMember" m ON m."contextId" = li."contextId" AND m."userId" = g."userId"
    WHERE li.id = ${lineItemId}::uuid
    ON CONFLICT ("lineItemId", "userId") DO NOTHING`;
}

interface Claimed {
  lineItemId: string;
  userId: string;
  percent: number;
  changedAt: Date;
  tries: number;
  lineitem: string;
  issuer: string;
  clientId: string;
  sub: string;
  /** The case study's maximum points for a case-study column; null for a quiz (a percentage). */
  caseMax: number | null;
  /** The quiz of a quiz column. */
  quizId: string | null;
}

/** How long a held quiz grade waits before its release time is worked out again. */
export const HOLD_RECHECK_MS = 60 * 60_000;

export class LtiGradeSync {
  private readonly tokens: LtiTokens;
  private readonly registry: LtiPlatforms;

  constructor(private readonly deps: { db: Db; platforms: LtiPlatform[]; toolKey: () => Promise<ToolKey>; clock: () => Date; /** Each linked case study's team points (SubmissionsService). */ submissions: CaseStudyPoints; /** When each student may see a quiz grade (quiz/'s quizGradeRelease): not sent before. */ quizzes: QuizGradeRelease; /** Where requests to platforms may connect (default: the checks production makes). */ egress?: LtiEgress }) {
    this.tokens = new LtiTokens(deps);
    this.registry = new LtiPlatforms({ db: deps.db, file: deps.platforms });
  }

  /**
   * Queues each linked case study's points (the team's grade by the points rule, overrides
   * included) for students who launched from the column's platform, when they differ from
   * what was queued last — only once private scores are shown (deadline or reveal).
   * Returns how many rows were queued.
   */
  async reconcileCaseStudies(): Promise<number> {
    const { db, clock, submissions } = this.deps;
    const now = clock();
    let queued = 0;
    for (const li of await db.ltiLineItem.findMany({ where: { caseStudyId: { not: null }, contextId: { not: null } }, include: { caseStudy: true } })) {
      const cs = li.caseStudy!;
      const points = await submissions.teamPoints(cs, now);
      if (!points) continue;
      const members = await db.teamMember.findMany({ where: { courseId: cs.courseId, user: { ltiContexts: { some: { contextId: li.contextId! } } } } });
      const rows = members.flatMap((m) => {
        const p = points.get(m.teamId);
        return p === null || p === undefined ? [] : [Prisma.sql`(${li.id}::uuid, ${m.userId}::uuid, ${p}::float8, ${now}, ${now})`];
      });
      if (!rows.length) continue;
      queued += await db.$executeRaw`
        INSERT INTO "LtiScoreSync" AS s ("lineItemId", "userId", percent, "changedAt", "nextTryAt") VALUES ${Prisma.join(rows)}
        ON CONFLICT ("lineItemId", "userId") DO UPDATE SET percent = EXCLUDED.percent, "changedAt" = EXCLUDED."changedAt",
          "sentAt" = NULL, tries = 0, "nextTryAt" = EXCLUDED."nextTryAt", "lastError" = NULL
        WHERE s.percent IS DISTINCT FROM EXCLUDED.percent`;
    }
    return queued;
  }

  /** Sends the scores that are due. Returns how many were sent and how many failed. */
  async sendDue(limit = 50): Promise<{ sent: number; failed: number }> {
    const { db, clock } = this.deps;
    const now = clock();
    const rows = await db.$queryRaw<Claimed[]>`
      WITH due AS (
        SELECT "lineItemId", "userId" FROM "LtiScoreSync"
        WHERE "sentAt" IS NULL AND "nextTryAt" <= ${now} AND tries < ${MAX_TRIES}
        ORDER BY "nextTryAt" LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      UPDATE "LtiScoreSync" s SET "nextTryAt" = ${new Date(now.getTime() + LEASE_MS)}
      FROM due, "LtiLineItem" li, "LtiContextMember" m
      WHERE s."lineItemId" = due."lineItemId" AND s."userId" = due."userId"
        AND li.id = s."lineItemId" AND m."contextId" = li."contextId" AND m."userId" = s."userId"
      RETURNING s."lineItemId", s."userId", s.percent, s."changedAt", s.tries, li.lineitem, li.issuer, li."clientId", m.sub, li."quizId",
        (SELECT (c.settings #>> '{points,max}')::float8 FROM "CaseStudy" c WHERE c.id = li."caseStudyId") AS "caseMax"`;
    let sent = 0;
    let failed = 0;
    for (const r of rows) {
      // A quiz grade the student may not see yet (the review rules hold the score until the close) waits, no try
      // used: looked at again at that moment, or within the hour (an exception or a sync may move the close or the rules).
      const releaseAt = r.quizId ? await this.deps.quizzes.gradeReleaseAt(r.quizId, r.userId, now) : now;
      if (releaseAt > now) {
        const lookAgain = new Date(Math.min(releaseAt.getTime(), now.getTime() + HOLD_RECHECK_MS));
        await db.ltiScoreSync.updateMany({ where: { lineItemId: r.lineItemId, userId: r.userId, changedAt: r.changedAt }, data: { nextTryAt: lookAgain } });
        continue;
      }
      const failure = await this.post(r).then(() => null, (e: Error) => e);
      const problem = failure && (failure instanceof PermanentSendError ? `${failure.message} — not retried: the platform refuses this score as sent; check the column and the student in the LMS, then rescore to send again` : failure.message);
      if (problem === null) {
        // Only the grade that was sent is marked: a newer one queued meanwhile still goes.
        await db.ltiScoreSync.updateMany({ where: { lineItemId: r.lineItemId, userId: r.userId, changedAt: r.changedAt }, data: { sentAt: clock(), lastError: null } });
        sent++;
      } else {
        const backoffMin = Math.min(360, 2 ** r.tries);
        // A permanent refusal uses up the tries at once: the grading view shows it with the reason.
        const tries = failure instanceof PermanentSendError ? { set: MAX_TRIES } : { increment: 1 };
        await db.ltiScoreSync.updateMany({ where: { lineItemId: r.lineItemId, userId: r.userId, changedAt: r.changedAt }, data: { tries, lastError: problem.slice(0, 500), nextTryAt: new Date(clock().getTime() + backoffMin * 60_000) } });
        failed++;
      }
    }
    return { sent, failed };
  }

  private async post(r: Claimed): Promise<void> {
    const p = LtiTokens.usable(await this.registry.find(r.issuer, r.clientId), r.issuer, r.clientId, "grades cannot be sent");
    const url = new URL(r.lineitem);
    url.pathname = `${url.pathname.replace(/\/$/, "")}/scores`;
    const res = await this.tokens.egress.fetch(p, url, {
      method: "POST",
      headers: { Authorization: `Bearer ${await this.tokens.token(p, AGS_SCORE_SCOPE)}`, "Content-Type": "application/vnd.ims.lis.v1.score+json" },
      // A quiz grade is a percentage; case-study points are on the case study's own scale.
      body: JSON.stringify({ userId: r.sub, scoreGiven: Math.round(r.percent * 100) / 100, scoreMaximum: r.caseMax ?? 100, activityProgress: "Completed", gradingProgress: "FullyGraded", timestamp: r.changedAt.toISOString() }),
      signal: AbortSignal.timeout(15_000),
    });
    if (res.status === 401) this.tokens.forget(p, AGS_SCORE_SCOPE);
    if (!res.ok) {
      const message = `${p.name} did not take the score (HTTP ${res.status} ${res.statusText})`;
      // 4xx other than an expired token (401), a timeout (408), a conflict (409) or a rate limit (429) will not change on retry.
      throw res.status >= 400 && res.status < 500 && ![401, 408, 409, 429].includes(res.status) ? new PermanentSendError(message) : new Error(message);
    }
  }
}

/** The sender a web or worker process runs, with the tool key from DATA_DIR. */
export function ltiGradeSync(db: Db, platforms: LtiPlatform[], dataDir: string, submissions: CaseStudyPoints, quizzes: QuizGradeRelease, egress: LtiEgress): LtiGradeSync {
  return new LtiGradeSync({ db, platforms, toolKey: toolKeySource(dataDir), clock: () => new Date(), submissions, quizzes, egress });
}

/** Sends due scores every `everyMs` in the background (web and worker processes alike; rows are claimed, so they share the work). */
export function startLtiGradeSync(sync: LtiGradeSync, logger: Logger, everyMs = 15_000): () => void {
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    sync.reconcileCaseStudies()
      .then(() => sync.sendDue())
      .then((r) => (r.sent || r.failed) && logger.info(r, "LMS grade sync"))
      .catch((err) => logger.error({ err }, "LMS grade sync failed; will retry"))
      .finally(() => (running = false));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
