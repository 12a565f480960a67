// Staff change a question's mark or comment on a submitted attempt (the marks page), and
// the attempt's review page shows the changes: mounted before quizRoutes, the GET below
// adds `markNotes` for the review (what this viewer may see of them) and passes on.
import crypto from "node:crypto";
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { requireStaff } from "../courses/courses.loaders.js";
import type { CoursesService } from "../courses/courses.service.js";
import { AttemptStatus } from "../platform/db/prisma.js";
import { csrfProtection, flash, saveSession } from "../platform/http.js";
import { pageContext } from "../platform/page-context.js";
import { REVIEW_ITEMS, type ReviewItem } from "./quiz.definition.js";
import { loadAttempt, loadQuiz } from "./quiz.loaders.js";
import { COMMENT_MAX, REASON_MAX, type MarkErrors, type MarkField, type MarkForm, type QuizMarkingService } from "./quiz.marking.service.js";
import { percentLabel, pointsLabel, reviewSlotView } from "./quiz.present.js";
import { percentOf, reviewItems, type AttemptRow, type QuizRow, type QuizService } from "./quiz.service.js";
import { formatNumber } from "./variants.js";

// Lengths are checked (and reported beside the field) by the service; these caps only bound the request.
const MarkBody = z.object({
  slot: z.coerce.number().int().min(0),
  formKey: z.uuid(),
  mark: z.string().max(100).default(""),
  reason: z.string().max(REASON_MAX * 4).default(""),
  comment: z.string().max(COMMENT_MAX * 4).default(""),
  restore: z.literal("1").optional(),
});

const markLabel = (v: number) => formatNumber(Math.round(v * 100) / 100);

export function quizMarkingRoutes({ marking, quizzes, courses }: { marking: QuizMarkingService; quizzes: QuizService; courses: CoursesService }) {
  const router = Router({ mergeParams: true });
  const attemptUrl = (req: Request, quiz: QuizRow, attempt: AttemptRow) => `/courses/${String(req.params.courseSlug)}/quizzes/${quiz.slug}/attempts/${attempt.id}`;

  /** The marks page; `failed` re-renders one question's form with what was typed and the errors. */
  async function marksPage(req: Request, res: Response, failed?: { form: MarkForm; errors: MarkErrors }) {
    const { course, quiz, attempt } = pageContext(res, "course", "quiz", "attempt");
    const [slots, student, open] = await Promise.all([marking.marks(attempt), courses.member(course.id, attempt.userId), marking.openRequest(attempt)]);
    const url = attemptUrl(req, quiz, attempt);
    const all = new Set<ReviewItem>(REVIEW_ITEMS);
    if (failed) res.status(400);
    res.render("quiz-marks", {
      title: `Marks — ${quiz.title}, attempt ${attempt.number}`,
      course, quiz, quizBase: url.slice(0, url.indexOf("/attempts/")), attemptHref: url, action: `${url}/marks`, isStaff: true,
      studentName: student?.user.name ?? "A former student",
      attempt: { number: attempt.number, score: pointsLabel(attempt), percent: percentLabel(percentOf(attempt)) },
      openRequest: open && { askedBy: open.askedBy.name, createdAt: open.createdAt, message: open.message },
      hasErrors: !!failed,
      slots: slots.map((m, i) => {
        const review = reviewSlotView({ ...m, checkedAt: null, state: null, score: m.mark }, i, all);
        const mine = failed?.form.slot === m.slot ? failed : undefined;
        const errors = mine?.errors ?? {};
        const described = (f: MarkField) => (errors[f] ? `${f}-${m.slot}-error` : null);
        return {
          n: i + 1, slot: m.slot, typeLabel: review.typeLabel, textHtml: review.textHtml, answerHtml: review.answerHtml, rightAnswerHtml: review.rightAnswerHtml,
          points: formatNumber(m.points), mark: markLabel(m.mark), automatic: markLabel(m.automatic), overridden: m.overridden,
          markChange: m.markChange, comment: m.comment,
          formKey: mine?.form.formKey ?? crypto.randomUUID(),
          form: mine ? { mark: mine.form.mark, reason: mine.form.reason, comment: mine.form.comment, restore: mine.form.restore } : { mark: markLabel(m.mark), reason: "", comment: m.comment ?? "", restore: false },
          errors, described: { mark: described("mark"), reason: described("reason"), comment: described("comment"), form: described("form") },
          history: m.history.map((h) => ({
            ...h, oldMark: markLabel(h.oldMark), newMark: markLabel(h.newMark),
            fromRequest: h.reviewRequestId !== null,
          })),
        };
      }),
    });
  }

  router.get("/quizzes/:quizSlug/attempts/:attemptId/marks", requireStaff, loadQuiz(quizzes), loadAttempt(quizzes), async (req, res) => {
    const { quiz, attempt } = pageContext(res, "quiz", "attempt");
    if (attempt.status !== AttemptStatus.SUBMITTED) {
      flash(req, "info", "Marks can be changed once the attempt is submitted; this one is still in progress.");
      await saveSession(req);
      return res.redirect(303, attemptUrl(req, quiz, attempt));
    }
    await marksPage(req, res);
  });

  router.post("/quizzes/:quizSlug/attempts/:attemptId/marks", csrfProtection, requireStaff, loadQuiz(quizzes), loadAttempt(quizzes), async (req, res) => {
    const { quiz, attempt, user } = pageContext(res, "quiz", "attempt", "user");
    const parsed = MarkBody.safeParse(req.body);
    const url = attemptUrl(req, quiz, attempt);
    if (!parsed.success) {
      // Only a form not made by the marks page gets here (its fields are always there): start again from the page.
      flash(req, "error", "The form could not be read, so nothing was changed. Enter the mark or comment again below.");
      await saveSession(req);
      return res.redirect(303, `${url}/marks`);
    }
    const form: MarkForm = { ...parsed.data, restore: parsed.data.restore === "1" };
    const out = await marking.change(attempt, user, form);
    if (!out.ok) return marksPage(req, res, { form, errors: out.errors });
    const n = (await quizzes.slots(attempt.id)).findIndex((s) => s.slot === form.slot) + 1;
    flash(req, out.repeated ? "info" : "success", out.repeated
      ? `That change to question ${n} was already saved (the form was sent twice); it was kept once.`
      : out.markChanged ? `Question ${n} now has ${markLabel(out.mark)} points; the attempt's score, the grade and the statistics are updated.` : `Saved the comment on question ${n}.`);
    await saveSession(req);
    res.redirect(303, `${url}/marks#mark-${form.slot}`);
  });

  // The review page (quizRoutes renders it): what this viewer may see of the staff's changes.
  router.get("/quizzes/:quizSlug/attempts/:attemptId", loadQuiz(quizzes), loadAttempt(quizzes), async (req, res, next) => {
    const { quiz, attempt, ownAttempt } = pageContext(res, "quiz", "attempt", "ownAttempt");
    if (attempt.status !== AttemptStatus.SUBMITTED) return next();
    const slots = await marking.marks(attempt);
    const showMarks = ownAttempt ? reviewItems(await quizzes.policy(quiz, attempt.userId), quizzes.now()).has("marks") : true;
    const url = attemptUrl(req, quiz, attempt);
    const notes = slots.map((m, i) => {
      const changed = showMarks && m.markChange
        ? { mark: markLabel(m.mark), automatic: markLabel(m.automatic), reason: m.markChange.reason, by: ownAttempt ? null : m.markChange.by, at: m.markChange.at }
        : null;
      const comment = m.comment ? { text: m.comment, by: ownAttempt ? null : m.commentChange?.by ?? null } : null;
      return { n: i + 1, changed, comment, editHref: ownAttempt ? null : `${url}/marks#mark-${m.slot}`, any: !!(changed || comment) };
    });
    res.locals.markNotes = {
      slots: notes,
      /** Comments, for a review that shows no questions (the quiz's review rules hide them for now). */
      comments: notes.filter((x) => x.comment),
      panel: ownAttempt ? null : { href: `${url}/marks`, changes: slots.reduce((k, m) => k + m.history.length, 0) },
    };
    next();
  });

  return router;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** The staff's mark changes and comments as the attempt's review page shows them (see quizMarkingRoutes). */
      markNotes?: {
        slots: { n: number; changed: { mark: string; automatic: string; reason: string | null; by: string | null; at: Date } | null; comment: { text: string; by: string | null } | null; editHref: string | null; any: boolean }[];
        comments: { n: number; comment: { text: string; by: string | null } | null }[];
        panel: { href: string; changes: number } | null;
      };
    }
  }
}
