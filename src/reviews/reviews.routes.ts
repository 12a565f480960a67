// Review requests over HTTP: the two "ask" routes sit with the attempt and submission
// routes (their loaders decide who may ask); staff answer here.
import { Router, type Request, type RequestHandler, type Response } from "express";
import { z } from "zod";
import { requireStaff } from "../courses/courses.loaders.js";
import { NotFound } from "../platform/errors.js";
import { csrfProtection, flash, parseForm, saveSession } from "../platform/http.js";
import { isUuid } from "../platform/text.js";
import type { ReviewsService, ReviewTarget } from "./reviews.service.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      reviewRequest?: NonNullable<Awaited<ReturnType<ReviewsService["request"]>>>;
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

const KEPT = "Go back: your text is still in the form.";

/** A handler for "ask for a review" on a loaded, authorised attempt or submission; `back` is where the student returns. */
export function askForReview(reviews: ReviewsService, target: (res: Response) => ReviewTarget, back: (req: Request, res: Response) => string): RequestHandler {
  return async (req, res) => {
    const { message } = parseForm(AskBody, req.body, KEPT);
    const { created } = await reviews.ask(res.locals.course!.id, target(res), res.locals.user!.id, message);
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
export function reviewsView(requests: Awaited<ReturnType<ReviewsService["forTarget"]>>, courseSlug: string, back: string, askAction: string | null) {
  return {
    reviews: requests.map((r) => ({ ...r, open: r.resolvedAt === null, answerAction: `/courses/${courseSlug}/review-requests/${r.id}/answer`, back })),
    askAction: requests.some((r) => r.resolvedAt === null) ? null : askAction,
  };
}

export function reviewsRoutes({ reviews }: { reviews: ReviewsService }) {
  const router = Router({ mergeParams: true });

  const loadRequest: RequestHandler = async (req, res, next) => {
    const id = String(req.params.requestId);
    const r = isUuid(id) ? await reviews.request(res.locals.course!.id, id) : null;
    if (!r) throw new NotFound("There is no such review request in this course.");
    res.locals.reviewRequest = r;
    next();
  };

  router.post("/review-requests/:requestId/answer", csrfProtection, requireStaff, loadRequest, async (req, res) => {
    const { response, back } = parseForm(AnswerBody, req.body, KEPT);
    const first = await reviews.resolve(res.locals.reviewRequest!, res.locals.user!.id, response);
    flash(req, first ? "success" : "info", first ? "Answered; the student sees your answer on the page they asked from." : "Someone had already answered this request; their answer is kept.");
    await saveSession(req);
    const course = res.locals.course!;
    // Back to the page the answer was given on, if it is one of this course's pages.
    res.redirect(303, back?.startsWith(`/courses/${course.slug}/`) && !back.includes("//", 1) ? back : `/courses/${course.slug}/grading`);
  });

  return router;
}
