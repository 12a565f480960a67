// Grade changes, published by the features that make grades and taken by whoever sends
// grades elsewhere (LTI passback, lti/lti.grades.ts). A publisher never imports its
// subscribers: app.ts, server.ts and worker.ts wire them (lti/lti.outbox.ts).
import type { Db, Prisma } from "./db/prisma.js";

export interface QuizGradeChanged {
  quizId: string;
  userId: string;
  /** The student's grade on the quiz now, 0–100. */
  percent: number;
  at: Date;
}

/** Runs inside the transaction that changed the grade: an outbox row it writes commits or rolls back with the grade. */
export type QuizGradeSubscriber = (tx: Prisma.TransactionClient, change: QuizGradeChanged) => Promise<void>;

export class GradeEvents {
  private readonly quizSubscribers: QuizGradeSubscriber[] = [];

  onQuizGrade(subscriber: QuizGradeSubscriber): this {
    this.quizSubscribers.push(subscriber);
    return this;
  }

  /** Publishes a quiz grade change; call inside the transaction that changed it. */
  async quizGradeChanged(tx: Prisma.TransactionClient, change: QuizGradeChanged): Promise<void> {
    for (const subscriber of this.quizSubscribers) await subscriber(tx, change);
  }
}

/**
 * When a student may see their quiz grade, by the quiz's review rules: a gradebook elsewhere (the LMS)
 * is sent it no sooner, since students may see it there.
 */
export interface QuizGradeRelease {
  /** The moment (`now` when they may see it now, or when the rules never show it and there is no close to wait for). */
  gradeReleaseAt(quizId: string, userId: string, now: Date): Promise<Date>;
}

export type CaseStudyRecord = NonNullable<Awaited<ReturnType<Db["caseStudy"]["findFirst"]>>>;

/**
 * Case-study points change with results, overrides, final choices and the deadline itself, so a
 * subscriber reads them (and compares with what it sent) rather than being told each change.
 */
export interface CaseStudyPoints {
  /** Each team's points as the points rule counts them (by team id; null or missing: none yet), or null while private scores are hidden. */
  teamPoints(caseStudy: CaseStudyRecord, now: Date): Promise<Map<string, number | null | undefined> | null>;
}
