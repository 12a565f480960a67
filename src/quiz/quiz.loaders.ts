import type { RequestHandler } from "express";
import { CourseRole } from "../platform/db/prisma.js";
import { Forbidden, NotFound } from "../platform/errors.js";
import type { AttemptRow, QuizRow, QuizService } from "./quiz.service.js";
import { isUuid } from "../platform/text.js";
import { pageContext } from "../platform/page-context.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      quiz?: QuizRow;
      attempt?: AttemptRow;
      /** True when the attempt belongs to the signed-in user (staff may read others' attempts, never write). */
      ownAttempt?: boolean;
    }
  }
}

export function loadQuiz(quizzes: QuizService): RequestHandler {
  return async (req, res, next) => {
    const quiz = await quizzes.quiz(pageContext(res, "course").course.id, String(req.params.quizSlug));
    if (!quiz) throw new NotFound("There is no such quiz in this course. Pick one from the course page.");
    res.locals.quiz = quiz;
    next();
  };
}

/** An attempt of the loaded quiz: its student may use it; course staff may read it; nobody else. */
export function loadAttempt(quizzes: QuizService): RequestHandler {
  return async (req, res, next) => {
    const { course, quiz, user } = pageContext(res, "course", "quiz", "user");
    const id = String(req.params.attemptId);
    const attempt = isUuid(id) ? await quizzes.attempt(id) : null;
    if (!attempt || attempt.quizId !== quiz.id) throw new NotFound("There is no such attempt. Open the quiz page to see your attempts.");
    const own = attempt.userId === user.id;
    if (!own && course.role === CourseRole.STUDENT) throw new Forbidden("This attempt is another student's. You can only open your own attempts.");
    res.locals.attempt = attempt;
    res.locals.ownAttempt = own;
    next();
  };
}

/** Only the attempt's own student may change it. */
export const requireOwnAttempt: RequestHandler = (_req, res, next) => {
  if (!pageContext(res, "ownAttempt").ownAttempt) throw new Forbidden("Only the student taking this attempt can change it. Staff see it read-only.");
  next();
};
