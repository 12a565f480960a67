// Attempts: start (questions, order and variants fixed), autosave, check, submit
// (graded once, however many times it is asked), time kept by the server, grades by
// the quiz's method, review rules, per-student overrides.
import type pg from "pg";
import type { Clock } from "../platform/clock.js";
import { utc, type SqlPart } from "../platform/sql-parts.js";
import { courseScopedPart, courseScopedValue, type SessionContextPart, type SessionUser } from "../platform/session-user.js";
import type { GradeEvents, QuizGradeRelease } from "../platform/grade-events.js";
import { AttemptStatus, CourseRole, Prisma, type Db } from "../platform/db/prisma.js";
import { Conflict, Forbidden } from "../platform/errors.js";
import { grade, instantiate, readResponse, responseDigest, type SlotQuestion } from "./questions.js";
import { isPool, type QuizFile, type ReviewItem } from "./quiz.definition.js";
import { percentOf, type QuizStats } from "./quiz.stats.js";
import { readQuizStats, readQuizSummary } from "./quiz.stats.store.js";
import { readQuizDefinition, readSlotQuestion, readSlotResponse, StoredQuizError } from "./quiz.stored.js";
import { SeededRandom } from "../platform/random.js";

export type QuizRow = NonNullable<Awaited<ReturnType<Db["quiz"]["findFirst"]>>>;
export type AttemptRow = NonNullable<Awaited<ReturnType<Db["quizAttempt"]["findFirst"]>>>;
export type OverrideRow = NonNullable<Awaited<ReturnType<Db["quizOverride"]["findFirst"]>>>;
/** What a list of a student's attempts shows of each (the week page). */
export type AttemptSummary = Pick<AttemptRow, "id" | "number" | "status" | "autoSubmitted" | "score" | "maxScore">;

/** The quiz's rules for one student, overrides applied. */
export interface Policy {
  opensAt: Date | null;
  closesAt: Date | null;
  timeLimitMinutes: number | null;
  graceMinutes: number;
  attemptsAllowed: number | null;
  grading: QuizFile["grading"];
  passPercent: number;
  review: QuizFile["review"];
  override: OverrideRow | null;
}

/** The quiz file as stored with the row, read through its schema (parsed once per row version; see quiz.stored.ts). */
export function definitionOf(quiz: QuizRow): QuizFile {
  return readQuizDefinition(quiz);
}

export function policyFor(quiz: QuizRow, override: OverrideRow | null): Policy {
  const def = definitionOf(quiz);
  return {
    opensAt: quiz.opensAt,
    closesAt: override?.closesAt ?? quiz.closesAt,
    timeLimitMinutes: def.timeLimitMinutes ? def.timeLimitMinutes + (override?.extraMinutes ?? 0) : null,
    graceMinutes: def.graceMinutes,
    attemptsAllowed: def.attempts === "unlimited" ? null : def.attempts + (override?.extraAttempts ?? 0),
    grading: def.grading,
    passPercent: def.passPercent,
    review: def.review,
    override,
  };
}

/** Which review items a student may see for a finished attempt now. */
export function reviewItems(policy: Pick<Policy, "closesAt" | "review">, now: Date): Set<ReviewItem> {
  const closed = policy.closesAt !== null && now >= policy.closesAt;
  return new Set(closed ? policy.review.afterClose : policy.review.afterSubmit);
}

/** Whether a student may see their grade and scores now (the review rules' "score"): every page that shows them asks. */
export function scoreShown(policy: Pick<Policy, "closesAt" | "review">, now: Date): boolean {
  return reviewItems(policy, now).has("score");
}

/**
 * Why a student's grade is not shown now (the review rules leave out "score"), in words: until the
 * quiz closes, or not at all.
 */
export function scoreHiddenNote(policy: Pick<Policy, "closesAt" | "review">, now: Date): string {
  const atClose = policy.closesAt !== null && policy.closesAt > now && policy.review.afterClose.includes("score");
  return atClose ? "Your grade is shown after the quiz closes." : "The grades of this quiz are not shown to students.";
}

/**
 * When a student may see their grade: now if the review rules show the score now, else at the
 * quiz's close (their own) when that is still to come. Rules that never show it, with the close
 * past or none, give now: the tool has nothing to wait for.
 */
export function scoreReleaseAt(policy: Pick<Policy, "closesAt" | "review">, now: Date): Date {
  if (scoreShown(policy, now)) return now;
  return policy.closesAt && policy.closesAt > now ? policy.closesAt : now;
}

/** When each student may see their grade in a quiz, for a gradebook elsewhere (LTI passback). Rules that cannot be read: now. */
export function quizGradeRelease(db: Db): QuizGradeRelease {
  return {
    async gradeReleaseAt(quizId, userId, now) {
      const [quiz, override] = await Promise.all([db.quiz.findUnique({ where: { id: quizId } }), db.quizOverride.findUnique({ where: { quizId_userId: { quizId, userId } } })]);
      if (!quiz) return now;
      try {
        return scoreReleaseAt(policyFor(quiz, override), now);
      } catch {
        return now;
      }
    },
  };
}

export { percentOf };

/** The quiz grade from submitted attempts (ordered by number) by the grading method. */
export function gradeByMethod(method: QuizFile["grading"], percents: number[]): number | null {
  if (!percents.length) return null;
  switch (method) {
    case "highest":
      return Math.max(...percents);
    case "latest":
      return percents[percents.length - 1]!;
    case "first":
      return percents[0]!;
    case "average":
      return percents.reduce((a, b) => a + b, 0) / percents.length;
  }
}

/** When an attempt started at `startedAt` must end: the time limit or the close, whichever is first; then the grace. */
export function deadlines(startedAt: Date, policy: Policy): { deadlineAt: Date | null; acceptUntil: Date | null } {
  const limitEnd = policy.timeLimitMinutes ? new Date(startedAt.getTime() + policy.timeLimitMinutes * 60_000) : null;
  const deadlineAt = [limitEnd, policy.closesAt].filter((d): d is Date => !!d).sort((a, b) => a.getTime() - b.getTime())[0] ?? null;
  return { deadlineAt, acceptUntil: deadlineAt ? new Date(deadlineAt.getTime() + policy.graceMinutes * 60_000) : null };
}

/**
 * Sets a student's quiz grade by the grading method from every submitted attempt (as
 * their scores stand, graders' mark changes included) and publishes the change (the LMS
 * gradebook subscribes: an outbox row, lti/lti.outbox.ts). Call inside the transaction that changed a score.
 */
export async function regradeStudent(tx: Prisma.TransactionClient, grades: GradeEvents, quizId: string, userId: string, now: Date): Promise<{ percent: number; passed: boolean }> {
  // One regrade of a student's quiz at a time (a submit and a grader's mark change racing): the second
  // reads the attempts only after the first has committed, so neither grade leaves the other's change out.
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtextextended(${`quiz-grade:${quizId}:${userId}`}, 0))`;
  const quiz = (await tx.quiz.findUnique({ where: { id: quizId } }))!;
  const override = await tx.quizOverride.findUnique({ where: { quizId_userId: { quizId, userId } } });
  const policy = policyFor(quiz, override);
  const all = await tx.quizAttempt.findMany({ where: { quizId, userId, status: AttemptStatus.SUBMITTED }, orderBy: { number: "asc" } });
  const percent = gradeByMethod(policy.grading, all.map(percentOf))!;
  const passed = percent >= policy.passPercent - 1e-9;
  await tx.$executeRaw`
    INSERT INTO "QuizGrade" ("quizId", "userId", percent, passed, attempts, "updatedAt")
    VALUES (${quizId}::uuid, ${userId}::uuid, ${percent}, ${passed}, ${all.length}, ${now})
    ON CONFLICT ("quizId", "userId") DO UPDATE SET percent = EXCLUDED.percent, passed = EXCLUDED.passed, attempts = EXCLUDED.attempts, "updatedAt" = EXCLUDED."updatedAt"`;
  await grades.quizGradeChanged(tx, { quizId, userId, percent, at: now });
  return { percent, passed };
}

/**
 * A student's grade in a quiz (null before their first submitted attempt) and the quiz's rules for
 * them — null, with the reason in `problem`, when the quiz's stored definition cannot be read: a
 * page listing quizzes still shows the others (the quiz's own page says what to do).
 */
export type Standing = {
  grade: { percent: number; passed: boolean; attempts: number } | null;
  /** When the quiz opens and closes for the student (their exception applied): known even when `policy` is not. */
  times: Pick<Policy, "opensAt" | "closesAt">;
} & ({ policy: Policy; problem: null } | { policy: null; problem: string });

/** `seen`: the saved answer's fingerprint (responseDigest), which the page keeps as what it last saved. */
export type SaveOutcome = { saved: true; seen: string } | { saved: false; reason: "stale" };

const STANDING_PART = "quizStanding";

/** A quiz's row of standingPart: the grade and the exception of the user `user` (an SQL expression) at quiz `q`, joined as g and o. */
const STANDING_ROW = `json_build_object('quizId', q.id, 'percent', g.percent, 'passed', g.passed, 'attempts', g.attempts,
  'override', CASE WHEN o."quizId" IS NULL THEN NULL ELSE json_build_object('extraMinutes', o."extraMinutes", 'extraAttempts', o."extraAttempts",
    'closesAt', o."closesAt", 'note', o.note, 'setById', o."setById", 'updatedAt', o."updatedAt") END)`;
const standingJoins = (user: string) => `LEFT JOIN "QuizGrade" g ON g."quizId" = q.id AND g."userId" = ${user}
  LEFT JOIN "QuizOverride" o ON o."quizId" = q.id AND o."userId" = ${user}`;

/**
 * The signed-in user's grade and exception at every quiz of the course whose slug `args` gives, read
 * with the session's statement (a page that shows them then needs no statement of its own: standingFromSession).
 */
export function quizStandingInSession(args: NonNullable<SessionContextPart["args"]>): SessionContextPart {
  return courseScopedPart(STANDING_PART, `(SELECT COALESCE(json_agg(${STANDING_ROW}), '[]'::json)
       FROM "Quiz" q JOIN "Course" c ON c.id = q."courseId" ${standingJoins("u.id")}
       WHERE c.slug = $1::text)`, args);
}

/** The value of standingPart for `quizzes` of the course, when the session's statement read a row for each of them (else undefined). */
export function standingFromSession(user: SessionUser, courseSlug: string, quizzes: Pick<QuizRow, "id">[]): unknown {
  const rows = courseScopedValue(user, STANDING_PART, courseSlug) as { quizId: string }[] | undefined;
  if (!rows) return undefined;
  const ids = new Set(rows.map((r) => r.quizId));
  return quizzes.every((q) => ids.has(q.id)) ? rows : undefined;
}

export class QuizService {
  constructor(private readonly deps: { db: Db; sql: pg.Pool; clock: Clock; grades: GradeEvents }) {}

  now() {
    return this.deps.clock();
  }

  /** How many questions an attempt gets (pools count what they draw). */
  questionCount(quiz: QuizRow): number {
    return definitionOf(quiz).questions.reduce((n, e) => n + (isPool(e) ? e.draw : 1), 0);
  }

  /** The quiz's grades and attempt counts for the staff, of the course's students now (a removed student's are kept, not counted). */
  async staffSummary(quiz: QuizRow) {
    const { db } = this.deps;
    const student = { memberships: { some: { courseId: quiz.courseId, role: CourseRole.STUDENT } } };
    const [grades, attempts, inProgress, former] = await Promise.all([
      db.quizGrade.findMany({ where: { quizId: quiz.id, user: student }, include: { user: { select: { id: true, name: true, email: true } } }, orderBy: { user: { name: "asc" } } }),
      db.quizAttempt.count({ where: { quizId: quiz.id, status: AttemptStatus.SUBMITTED, user: student } }),
      db.quizAttempt.count({ where: { quizId: quiz.id, status: AttemptStatus.IN_PROGRESS, user: student } }),
      db.quizGrade.count({ where: { quizId: quiz.id, NOT: { user: student } } }),
    ]);
    return {
      former,
      graded: grades.length,
      passed: grades.filter((g) => g.passed).length,
      attempts,
      inProgress,
      grades: grades.map((g) => ({ ...g.user, percent: Math.round(g.percent * 10) / 10, passed: g.passed, attempts: g.attempts })),
    };
  }

  quizzesOf(courseId: string) {
    return this.deps.db.quiz.findMany({ where: { courseId, archivedAt: null }, orderBy: [{ closesAt: "asc" }, { title: "asc" }] });
  }

  quizzesOfModule(moduleId: string) {
    return this.deps.db.quiz.findMany({ where: { moduleId, archivedAt: null }, orderBy: [{ closesAt: "asc" }, { title: "asc" }] });
  }

  quiz(courseId: string, slug: string) {
    return this.deps.db.quiz.findFirst({ where: { courseId, slug, archivedAt: null } });
  }

  override(quizId: string, userId: string) {
    return this.deps.db.quizOverride.findUnique({ where: { quizId_userId: { quizId, userId } } });
  }

  async policy(quiz: QuizRow, userId: string): Promise<Policy> {
    return policyFor(quiz, await this.override(quiz.id, userId));
  }

  attempt(id: string) {
    return this.deps.db.quizAttempt.findUnique({ where: { id } });
  }

  attemptsOf(quizId: string, userId: string) {
    return this.deps.db.quizAttempt.findMany({ where: { quizId, userId }, orderBy: { number: "asc" } });
  }

  slots(attemptId: string) {
    return this.deps.db.quizSlot.findMany({ where: { attemptId }, orderBy: { slot: "asc" } });
  }

  /**
   * A student's grade and rules (exceptions applied) for each quiz, as a part of a page's one
   * statement (platform/sql-parts.ts): the course page reads it on every visit. Times are stored
   * as UTC timestamps, as Prisma stores them.
   */
  standingPart(quizzes: QuizRow[], userId: string): SqlPart<Map<string, Standing>> {
    return {
      sql: `SELECT COALESCE(json_agg(${STANDING_ROW}), '[]'::json)
       FROM unnest($1::uuid[]) AS q(id) ${standingJoins("$2")}`,
      values: [quizzes.map((q) => q.id), userId],
      read: (value) => {
        type Row = { quizId: string; percent: number | null; passed: boolean | null; attempts: number | null; override: { extraMinutes: number; extraAttempts: number; closesAt: string | null; note: string | null; setById: string; updatedAt: string } | null };
        const byQuiz = new Map((value as Row[]).map((r) => [r.quizId, r]));
        return new Map(quizzes.map((quiz): [string, Standing] => {
          const r = byQuiz.get(quiz.id)!;
          const o = r.override;
          const override: OverrideRow | null = o && { ...o, quizId: quiz.id, userId, closesAt: o.closesAt === null ? null : utc(o.closesAt), updatedAt: utc(o.updatedAt) };
          const grade = r.percent === null ? null : { percent: r.percent, passed: r.passed!, attempts: r.attempts! };
          const times = { opensAt: quiz.opensAt, closesAt: override?.closesAt ?? quiz.closesAt };
          try {
            return [quiz.id, { grade, times, policy: policyFor(quiz, override), problem: null }];
          } catch (err) {
            if (!(err instanceof StoredQuizError)) throw err;
            return [quiz.id, { grade, times, policy: null, problem: err.message }];
          }
        }));
      },
    };
  }

  /** A student's attempts at each quiz, in order (the week page), as a part of a page's one statement. */
  attemptsPart(quizzes: Pick<QuizRow, "id">[], userId: string): SqlPart<Map<string, AttemptSummary[]>> {
    return {
      sql: `SELECT COALESCE(json_agg(json_build_object('id', a.id, 'quizId', a."quizId", 'number', a.number, 'status', a.status,
         'autoSubmitted', a."autoSubmitted", 'score', a.score, 'maxScore', a."maxScore") ORDER BY a."quizId", a.number), '[]'::json)
       FROM "QuizAttempt" a WHERE a."userId" = $1 AND a."quizId" = ANY($2::uuid[])`,
      values: [userId, quizzes.map((q) => q.id)],
      read: (value) => {
        const byQuiz = new Map<string, AttemptSummary[]>(quizzes.map((q) => [q.id, []]));
        for (const a of value as (AttemptSummary & { quizId: string })[]) {
          const { quizId, ...attempt } = a;
          byQuiz.get(quizId)?.push(attempt);
        }
        return byQuiz;
      },
    };
  }

  grade(quizId: string, userId: string) {
    return this.deps.db.quizGrade.findUnique({ where: { quizId_userId: { quizId, userId } } });
  }

  /** Why a student cannot start an attempt now, or null when they can. */
  async cannotStart(quiz: QuizRow, userId: string, policy: Policy, db: Pick<Db, "quizAttempt"> = this.deps.db): Promise<string | null> {
    const now = this.now();
    if (policy.opensAt && now < policy.opensAt) return "This quiz has not opened yet.";
    if (policy.closesAt && now >= policy.closesAt) return "This quiz has closed.";
    if (policy.attemptsAllowed !== null) {
      const used = await db.quizAttempt.count({ where: { quizId: quiz.id, userId, status: AttemptStatus.SUBMITTED } });
      if (used >= policy.attemptsAllowed) return `You have used all ${policy.attemptsAllowed} attempt${policy.attemptsAllowed === 1 ? "" : "s"}.`;
    }
    return null;
  }

  /**
   * Starts an attempt, or returns the one already in progress (a second click, a second
   * tab). The questions, their order and their variants are drawn here and frozen.
   */
  async start(quiz: QuizRow, userId: string): Promise<AttemptRow> {
    await this.finishOverdue({ quizId: quiz.id, userId });
    const policy = await this.policy(quiz, userId);
    const def = definitionOf(quiz);
    // One student's starts are serialised (a lock per quiz and student), so two clicks make one attempt.
    return this.deps.db.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`quiz-start:${quiz.id}:${userId}`}))`;
      const open = await tx.quizAttempt.findFirst({ where: { quizId: quiz.id, userId, status: AttemptStatus.IN_PROGRESS } });
      if (open) return open;
      const reason = await this.cannotStart(quiz, userId, policy, tx);
      if (reason) throw new Forbidden(`${reason} Your saved attempts and grade are on the quiz page.`);

      const now = this.now();
      const last = await tx.quizAttempt.findFirst({ where: { quizId: quiz.id, userId }, orderBy: { number: "desc" }, select: { number: true } });
      const number = (last?.number ?? 0) + 1;
      const seed = `${quiz.id}:${userId}:${number}`;
      const rng = new SeededRandom(seed);
      let drawn: SlotQuestion[] = def.questions.flatMap((e) =>
        isPool(e) ? rng.sample(e.questions, e.draw).map((q) => instantiate(q, rng, def.shuffleChoices, e.pool)) : [instantiate(e, rng, def.shuffleChoices)],
      );
      if (def.shuffleQuestions) drawn = rng.shuffle(drawn);
      const { deadlineAt, acceptUntil } = deadlines(now, policy);
      return tx.quizAttempt.create({
        data: {
          quizId: quiz.id, userId, number, seed, contentHash: quiz.contentHash, startedAt: now, deadlineAt, acceptUntil,
          maxScore: drawn.reduce((sum, q) => sum + q.points, 0),
          slots: { create: drawn.map((q, slot) => ({ slot, questionId: q.id, variant: q.variant, question: q as object })) },
        },
      });
    });
  }

  /** Seconds left to answer (null: no limit). Negative once time is up. */
  secondsLeft(attempt: AttemptRow): number | null {
    return attempt.deadlineAt ? Math.floor((attempt.deadlineAt.getTime() - this.now().getTime()) / 1000) : null;
  }

  /** True when saves are no longer accepted for this attempt (time and grace are over). */
  expired(attempt: AttemptRow): boolean {
    return attempt.acceptUntil !== null && this.now() > attempt.acceptUntil;
  }

  /**
   * The number of the attempt's newest save (0 before any). Saves are numbered, never
   * timed: a page numbers its autosaves on from this figure as it was when the page
   * loaded, and a form post comes after everything before it. A browser's clock can be
   * hours off the server's, so ordering by the two clocks dropped answers.
   */
  async latestRev(attemptId: string): Promise<number> {
    const { _max } = await this.deps.db.quizSlot.aggregate({ where: { attemptId }, _max: { rev: true } });
    return Number(_max.rev ?? 0n);
  }

  /**
   * Saves one question's response (autosave). `rev` orders the saves of a question: one
   * that arrives after a higher-numbered one is ignored. A checked question is final.
   */
  async save(attempt: AttemptRow, slotNo: number, fields: Record<string, unknown>, rev: number): Promise<SaveOutcome> {
    const slot = await this.deps.db.quizSlot.findUnique({ where: { attemptId_slot: { attemptId: attempt.id, slot: slotNo } } });
    if (!slot) throw new Conflict("That question is not part of this attempt. Reload the page.");
    if (slot.checkedAt) throw new Conflict("This question was checked, so its answer is final.");
    const response = readResponse(readSlotQuestion(slot.question), slotNo, fields);
    const now = this.now();
    // One statement: the attempt must still be open and in time, and this save newer than the stored one.
    // The attempt's row is read FOR SHARE: a submit (which locks it FOR UPDATE, then grades the slots)
    // waits for this save, or this save waits for the submit and then finds the attempt submitted —
    // never an answer stored after its slot was graded without it.
    const updated = await this.deps.db.$executeRaw`
      UPDATE "QuizSlot" s SET response = ${JSON.stringify(response)}::jsonb, rev = ${BigInt(rev)}, "savedAt" = ${now}
      WHERE s."attemptId" = ${attempt.id}::uuid AND s.slot = ${slotNo} AND s."checkedAt" IS NULL AND s.rev < ${BigInt(rev)}
        AND EXISTS (
          SELECT 1 FROM "QuizAttempt" a
          WHERE a.id = ${attempt.id}::uuid AND a.status = 'IN_PROGRESS' AND (a."acceptUntil" IS NULL OR a."acceptUntil" >= ${now})
          FOR SHARE)`;
    if (updated === 1) return { saved: true, seen: responseDigest(response) };
    const fresh = await this.attempt(attempt.id);
    if (fresh?.status === AttemptStatus.SUBMITTED) throw new Conflict("This attempt has already been submitted; answers can no longer change. Open the review from the quiz page.");
    if (fresh && this.expired(fresh)) {
      await this.submit(fresh, { auto: true });
      throw new Conflict("Time is up: this attempt was submitted with the answers saved before the deadline.");
    }
    return { saved: false, reason: "stale" };
  }

  /**
   * Saves the questions a plain form post changed. The post holds the page's latest answers,
   * so it is numbered after everything stored and after the page's own autosaves
   * (`pageRev`: the page's last number; 0 from a page without JavaScript). `only`: the
   * slots the page showed (a page of a paged attempt), so the others keep their answers.
   * An answer the page did not change (its field `seen<slot>`, the fingerprint of what the page
   * showed or last saved, still matches) is not written: another window may have saved a newer
   * one, which an old page's post must not wipe.
   */
  async saveAll(attempt: AttemptRow, fields: Record<string, unknown>, pageRev: number, only?: ReadonlySet<number>): Promise<void> {
    const rev = Math.max(pageRev, await this.latestRev(attempt.id)) + 1;
    const slots = await this.slots(attempt.id);
    for (const s of slots) {
      if (s.checkedAt || (only && !only.has(s.slot))) continue;
      const seen = fields[`seen${s.slot}`];
      if (typeof seen === "string" && seen === responseDigest(readResponse(readSlotQuestion(s.question), s.slot, fields))) continue;
      await this.save(attempt, s.slot, fields, rev);
    }
  }

  /** Flags a question for the student's own review, or clears the flag (navigation only; grading ignores it). */
  async setFlag(attempt: AttemptRow, slotNo: number, flagged: boolean): Promise<void> {
    const { count } = await this.deps.db.quizSlot.updateMany({ where: { attemptId: attempt.id, slot: slotNo, attempt: { status: AttemptStatus.IN_PROGRESS } }, data: { flagged } });
    if (count !== 1) throw new Conflict("That question is not part of an attempt in progress. Reload the page.");
  }

  /** Checks one question during the attempt (only when the quiz's review rules allow): graded now and final. */
  async check(attempt: AttemptRow, slotNo: number) {
    const { db } = this.deps;
    return db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ status: AttemptStatus }[]>`SELECT status FROM "QuizAttempt" WHERE id = ${attempt.id}::uuid FOR UPDATE`;
      if (rows[0]?.status !== AttemptStatus.IN_PROGRESS) throw new Conflict("This attempt has already been submitted.");
      const slot = await tx.quizSlot.findUnique({ where: { attemptId_slot: { attemptId: attempt.id, slot: slotNo } } });
      if (!slot) throw new Conflict("That question is not part of this attempt. Reload the page.");
      if (slot.checkedAt) return slot;
      const q = readSlotQuestion(slot.question);
      const g = grade(q, readSlotResponse(slot.response, q.id));
      return tx.quizSlot.update({ where: { attemptId_slot: { attemptId: attempt.id, slot: slotNo } }, data: { checkedAt: this.now(), score: g.fraction * q.points, state: g.state } });
    });
  }

  /**
   * Submits and grades an attempt exactly once: the row is locked, so a second submit
   * (another tab, a double click, the deadline sweep) waits and then finds it done.
   */
  async submit(attempt: AttemptRow, { auto = false } = {}): Promise<AttemptRow> {
    const { db } = this.deps;
    const now = this.now();
    return db.$transaction(async (tx) => {
      const rows = await tx.$queryRaw<{ status: AttemptStatus }[]>`SELECT status FROM "QuizAttempt" WHERE id = ${attempt.id}::uuid FOR UPDATE`;
      if (rows[0]?.status !== AttemptStatus.IN_PROGRESS) return (await tx.quizAttempt.findUnique({ where: { id: attempt.id } }))!;
      const slots = await tx.quizSlot.findMany({ where: { attemptId: attempt.id }, orderBy: { slot: "asc" } });
      const graded = slots.map((s) => {
        const q = readSlotQuestion(s.question);
        const g = grade(q, readSlotResponse(s.response, q.id));
        return { slot: s.slot, points: g.fraction * q.points, state: g.state };
      });
      const score = graded.reduce((sum, g) => sum + g.points, 0);
      // Every slot's score in one statement.
      await tx.$executeRaw`
        UPDATE "QuizSlot" s SET score = v.score, state = v.state
        FROM (VALUES ${Prisma.join(graded.map((g) => Prisma.sql`(${g.slot}::int, ${g.points}::float8, ${g.state}::text)`))}) AS v(slot, score, state)
        WHERE s."attemptId" = ${attempt.id}::uuid AND s.slot = v.slot`;
      const late = attempt.acceptUntil !== null && now > attempt.acceptUntil;
      // Submitted at or after the end (in the grace period: the page submits when its timer runs out): time ran out.
      const timeUp = attempt.deadlineAt !== null && now >= attempt.deadlineAt;
      const done = await tx.quizAttempt.update({
        where: { id: attempt.id },
        data: { status: AttemptStatus.SUBMITTED, submittedAt: late ? attempt.acceptUntil : now, autoSubmitted: auto || late || timeUp, score },
      });
      await regradeStudent(tx, this.deps.grades, attempt.quizId, attempt.userId, now);
      return done;
    });
  }

  /** Item statistics over every submitted attempt as it stands now (one statement). */
  statistics(quiz: QuizRow): Promise<QuizStats> {
    return readQuizStats(this.deps.sql, quiz);
  }

  /** The quiz-level figures only (mean, median, time, distribution). */
  statisticsSummary(quizId: string): Promise<QuizStats> {
    return readQuizSummary(this.deps.sql, quizId);
  }

  /** Submits attempts whose time (and grace) ran out, with what was saved. Returns how many. */
  async finishOverdue(where: { quizId?: string; userId?: string } = {}): Promise<number> {
    const overdue = await this.deps.db.quizAttempt.findMany({
      where: { ...where, status: AttemptStatus.IN_PROGRESS, acceptUntil: { lt: this.now() } },
      take: 500,
    });
    for (const a of overdue) await this.submit(a, { auto: true });
    return overdue.length;
  }

  /** Sets a student's exceptions; an attempt they have in progress gets the new time at once. */
  async setOverride(quiz: QuizRow, userId: string, setById: string, o: { extraMinutes: number; extraAttempts: number; closesAt: Date | null; note: string | null }) {
    const row = await this.deps.db.quizOverride.upsert({
      where: { quizId_userId: { quizId: quiz.id, userId } },
      create: { quizId: quiz.id, userId, setById, ...o },
      update: { setById, ...o },
    });
    await this.retime(quiz, userId, policyFor(quiz, row));
    return row;
  }

  async removeOverride(quiz: QuizRow, userId: string) {
    await this.deps.db.quizOverride.deleteMany({ where: { quizId: quiz.id, userId } });
    await this.retime(quiz, userId, policyFor(quiz, null));
  }

  private async retime(quiz: QuizRow, userId: string, policy: Policy) {
    const open = await this.deps.db.quizAttempt.findFirst({ where: { quizId: quiz.id, userId, status: AttemptStatus.IN_PROGRESS } });
    if (!open) return;
    const { deadlineAt, acceptUntil } = deadlines(open.startedAt, policy);
    await this.deps.db.quizAttempt.update({ where: { id: open.id }, data: { deadlineAt, acceptUntil } });
  }

  overrides(quizId: string) {
    return this.deps.db.quizOverride.findMany({ where: { quizId }, include: { user: { select: { name: true, email: true } }, setBy: { select: { name: true } } }, orderBy: { user: { name: "asc" } } });
  }
}
