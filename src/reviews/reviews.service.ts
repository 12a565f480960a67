// Review requests: a student asks the course staff to look again at a graded quiz
// attempt or at one of their team's case-study submissions; staff answer, and change
// points with each feature's own tools (point overrides, quiz exceptions). One open
// request per thing at a time; answered ones are kept as the record.
import type { Clock } from "../platform/clock.js";
import { AttemptStatus, SubmissionStatus, type Db } from "../platform/db/prisma.js";
import { Conflict } from "../platform/errors.js";

export type ReviewTarget = { attempt: { id: string; status: AttemptStatus } } | { submission: { id: string; status: SubmissionStatus } };

const who = { select: { id: true, name: true } } as const;

export class ReviewsService {
  constructor(private readonly deps: { db: Db; clock: Clock }) {}

  private where(target: ReviewTarget) {
    return "attempt" in target ? { attemptId: target.attempt.id } : { submissionId: target.submission.id };
  }

  /** Every request about one attempt or submission, the newest first. */
  forTarget(target: ReviewTarget) {
    return this.deps.db.reviewRequest.findMany({ where: this.where(target), orderBy: { createdAt: "desc" }, include: { askedBy: who, resolvedBy: who } });
  }

  /**
   * Opens a request about a loaded (and authorised) attempt or submission. Asking again
   * while one is open — a second tab, a double click — returns the open one.
   */
  async ask(courseId: string, target: ReviewTarget, askedById: string, message: string) {
    if ("attempt" in target && target.attempt.status !== AttemptStatus.SUBMITTED) throw new Conflict("Submit the attempt first; a review is for a graded attempt.");
    if ("submission" in target && target.submission.status !== SubmissionStatus.SCORED && target.submission.status !== SubmissionStatus.FAILED) {
      throw new Conflict("This submission is still being scored. Ask for a review once it has a result.");
    }
    return this.deps.db.$transaction(async (tx) => {
      // Requests about one thing are made one at a time: the thing's row is the lock.
      if ("attempt" in target) await tx.$queryRaw`SELECT id FROM "QuizAttempt" WHERE id = ${target.attempt.id}::uuid FOR UPDATE`;
      else await tx.$queryRaw`SELECT id FROM "Submission" WHERE id = ${target.submission.id}::uuid FOR UPDATE`;
      const open = await tx.reviewRequest.findFirst({ where: { ...this.where(target), resolvedAt: null } });
      if (open) return { request: open, created: false };
      return { request: await tx.reviewRequest.create({ data: { courseId, ...this.where(target), askedById, message, createdAt: this.deps.clock() } }), created: true };
    });
  }

  /** A request of this course, for staff. */
  request(courseId: string, id: string) {
    return this.deps.db.reviewRequest.findFirst({ where: { id, courseId } });
  }

  /** A request of this course with who asked and what it is about (the answer form, shown again). */
  requestWithTarget(courseId: string, id: string) {
    return this.deps.db.reviewRequest.findFirst({
      where: { id, courseId },
      include: {
        askedBy: who, resolvedBy: who,
        attempt: { select: { id: true, number: true, quiz: { select: { slug: true, title: true } }, user: who } },
        submission: { select: { id: true, number: true, team: { select: { name: true } }, caseStudy: { select: { slug: true, title: true } } } },
      },
    });
  }

  /** Staff answer a request; answering twice keeps the first answer. */
  async resolve(request: { id: string }, resolvedById: string, response: string): Promise<boolean> {
    const done = await this.deps.db.reviewRequest.updateMany({ where: { id: request.id, resolvedAt: null }, data: { resolvedAt: this.deps.clock(), resolvedById, response } });
    return done.count === 1;
  }

  /**
   * A student's requests in a course, for their week page: those about their own quiz attempts
   * and those about their team's submissions (a teammate may have asked), each with whether this
   * student has read its answer. Answered ones first, the newest answer first, then the open ones,
   * the oldest first.
   */
  async forStudent(courseId: string, userId: string, teamId: string | null) {
    const rows = await this.deps.db.reviewRequest.findMany({
      where: { courseId, OR: [{ attempt: { userId } }, ...(teamId ? [{ submission: { teamId } }] : [])] },
      include: {
        askedBy: who, resolvedBy: who,
        attempt: { select: { id: true, number: true, quiz: { select: { slug: true, title: true } } } },
        submission: { select: { id: true, number: true, caseStudy: { select: { slug: true, title: true } } } },
        reads: { where: { userId }, select: { readAt: true } },
      },
    });
    const t = (d: Date | null) => d?.getTime() ?? 0;
    return rows.map(({ reads, ...r }) => ({ ...r, readByStudent: reads.length > 0 })).sort((a, b) => (a.resolvedAt ? 0 : 1) - (b.resolvedAt ? 0 : 1) || (a.resolvedAt ? t(b.resolvedAt) - t(a.resolvedAt) : t(a.createdAt) - t(b.createdAt)));
  }

  /**
   * The answers among `requests` are read by the student who was shown them (their attempt's or their team's
   * submission's page, their week page): they leave that student's to-do list. Reading again changes nothing.
   */
  async markRead(requests: { id: string; resolvedAt: Date | null }[], userId: string): Promise<void> {
    const answered = requests.filter((r) => r.resolvedAt !== null);
    if (!answered.length) return;
    const readAt = this.deps.clock();
    await this.deps.db.reviewAnswerRead.createMany({ data: answered.map((r) => ({ reviewRequestId: r.id, userId, readAt })), skipDuplicates: true });
  }

  /** Open requests first (oldest first: they have waited longest), then the latest answered ones. */
  async queue(courseId: string) {
    const include = {
      askedBy: who, resolvedBy: who,
      attempt: { select: { id: true, number: true, quiz: { select: { slug: true, title: true } }, user: who } },
      submission: { select: { id: true, number: true, team: { select: { name: true } }, caseStudy: { select: { slug: true, title: true } } } },
    } as const;
    const [open, answered] = await Promise.all([
      this.deps.db.reviewRequest.findMany({ where: { courseId, resolvedAt: null }, orderBy: { createdAt: "asc" }, include }),
      this.deps.db.reviewRequest.findMany({ where: { courseId, resolvedAt: { not: null } }, orderBy: { resolvedAt: "desc" }, take: 20, include }),
    ]);
    return { open, answered };
  }
}
