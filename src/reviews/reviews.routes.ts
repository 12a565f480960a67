// Review requests over HTTP: the two "ask" routes sit with the attempt and submission
// routes (their loaders decide who may ask); staff answer here.
import { Router, type Request, type RequestHandler, type Response } from "express";
import { z } from "zod";
import { requireStaff } from "../courses/courses.loaders.js";
import { NotFound } from "../platform/errors.js";
import { readForm, type FormState } from "../platform/forms.js";
import { csrfProtection, flash, saveSession } from "../platform/http.js";
import { pageContext } from "../platform/page-context.js";
import { isUuid } from "../platform/text.js";
import type { ReviewsService, ReviewTarget } from "./reviews.service.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      reviewRequest?: NonNullable<Awaited<ReturnType<ReviewsService["requestWithTarget"]>>>;
      /** A review request the student sent that was refused: what they typed and why, for the page shown again. */
      reviewForm?: FormState;
    }
  }
}

const AskBody = z.object({
  message: z.string().trim().min(10, "Say in a sentence or two what you would like the staff to look at (at least 10 characters).").max(2000, "Keep the request under 2,000 characters."),
});
const AnswerBody = z.object({
  response: z.string().trim().min(3, "Write an answer for the student (it is shown to them and kept).").max(2000, "Keep the answer under 2,000 characters."),
  back: z.string().optional(),
});

/**
 * A handler for "ask for a review" on a loaded, authorised attempt or submission; `back` is where
 * the student returns. A refused request shows the page again (`render`, status 400) with the
 * text as typed and the message beside the field (the page's reviewsView reads res.locals.reviewForm).
 */
export function askForReview(reviews: ReviewsService, target: (res: Response) => ReviewTarget, back: (req: Request, res: Response) => string, render: (req: Request, res: Response) => unknown): RequestHandler {
  return async (req, res) => {
    const input = readForm(AskBody, req.body);
    if (!input.ok) {
      res.locals.reviewForm = input;
      res.status(400);
      return render(req, res);
    }
    const { message } = input.data;
    const { course, user } = pageContext(res, "course", "user");
    const { created } = await reviews.ask(course.id, target(res), user.id, message);
    flash(req, created ? "success" : "info", created ? "Your request was sent to the course staff. Their answer will appear here." : "You already have an open request about this; the staff will answer it.");
    await saveSession(req);
    res.redirect(303, back(req, res));
  };
}

/**
 * The requests about one thing as its page shows them (the review-requests partial):
 * each with an answer form for staff while open, and the ask form (`askAction`, when
 * the viewer may ask) unless a request is already open.
 */
export function reviewsView(requests: Awaited<ReturnType<ReviewsService["forTarget"]>>, courseSlug: string, back: string, askAction: string | null, form: FormState | null = null) {
  return {
    reviews: requests.map((r) => ({ ...r, open: r.resolvedAt === null, answerAction: `/courses/${courseSlug}/review-requests/${r.id}/answer`, back })),
    askAction: requests.some((r) => r.resolvedAt === null) ? null : askAction,
    askForm: { message: form?.values.message ?? "", error: form?.errors.message ?? form?.errors.form ?? null },
  };
}

export function reviewsRoutes({ reviews }: { reviews: ReviewsService }) {
  const router = Router({ mergeParams: true });

  const loadRequest: RequestHandler = async (req, res, next) => {
    const id = String(req.params.requestId);
    const r = isUuid(id) ? await reviews.requestWithTarget(pageContext(res, "course").course.id, id) : null;
    if (!r) throw new NotFound("There is no such review request in this course.");
    res.locals.reviewRequest = r;
    next();
  };

  router.post("/review-requests/:requestId/answer", csrfProtection, requireStaff, loadRequest, async (req, res) => {
    const { course, user, reviewRequest: r } = pageContext(res, "course", "user", "reviewRequest");
    const input = readForm(AnswerBody, req.body);
    if (!input.ok) {
      // The answer form again on a page of its own, with the text as typed and the message beside it.
      const about = r.attempt
        ? { what: `${r.attempt.quiz.title}, attempt ${r.attempt.number} by ${r.attempt.user.name}`, href: `/courses/${course.slug}/quizzes/${r.attempt.quiz.slug}/attempts/${r.attempt.id}#review-h` }
        : { what: `${r.submission!.caseStudy.title}, submission #${r.submission!.number} of ${r.submission!.team.name}`, href: `/courses/${course.slug}/case-studies/${r.submission!.caseStudy.slug}/submissions/${r.submission!.id}#review-h` };
      res.status(400).render("review-answer", {
        title: `Answer a review request — ${course.title}`, course, isStaff: true, request: r, about,
        action: `/courses/${course.slug}/review-requests/${r.id}/answer`, values: input.values, errors: input.errors,
      });
      return;
    }
    const { response, back } = input.data;
    const first = await reviews.resolve(r, user.id, response);
    flash(req, first ? "success" : "info", first ? "Answered; the student sees your answer on the page they asked from." : "Someone had already answered this request; their answer is kept.");
    await saveSession(req);
    // Back to the page the answer was given on, if it is one of this course's pages.
    res.redirect(303, back?.startsWith(`/courses/${course.slug}/`) && !back.includes("//", 1) ? back : `/courses/${course.slug}/grading`);
  });

  return router;
}
