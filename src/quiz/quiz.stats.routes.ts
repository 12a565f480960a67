// The quiz statistics page (instructors): facility, discrimination and answer shares per question.
import { Router } from "express";
import { requireCourseRole } from "../courses/courses.loaders.js";
import { CourseRole } from "../platform/db/prisma.js";
import { NotFound } from "../platform/errors.js";
import { barChart } from "../platform/charts.js";
import { definitionOf, type QuizService } from "./quiz.service.js";
import { MIN_ATTEMPTS_TO_FLAG, quizOrderOf, reportByQuiz } from "./quiz.stats.js";
import { averageMinutes } from "./quiz.present.js";
import { pageContext } from "../platform/page-context.js";

const requireInstructor = requireCourseRole(CourseRole.INSTRUCTOR);

/** A quiz's attempts in ten bins of score: [0,10), …, [90,100]. */
export const quizHistogram = (histogram: number[], description: string) => barChart(
  histogram.map((count, i) => ({ label: i === 9 ? "90–100" : `${i * 10}–${i * 10 + 10}`, count })),
  { xTitle: "Score (%)", yTitle: "Attempts", tableCaption: "attempts per score bin", description },
);

/** Pages under /courses/:courseSlug (course already loaded and authorised). */
export function quizStatsRoutes({ quizzes }: { quizzes: QuizService }) {
  const router = Router({ mergeParams: true });

  router.get("/quizzes/:quizSlug/statistics", requireInstructor, async (req, res) => {
    const { course } = pageContext(res, "course");
    const quiz = await quizzes.quiz(course.id, String(req.params.quizSlug));
    if (!quiz) throw new NotFound("There is no such quiz in this course.");
    const s = await quizzes.statistics(quiz);
    const f = (v: number | null) => (v === null ? "—" : v.toFixed(1));
    const questions = reportByQuiz(s, quizOrderOf(definitionOf(quiz)));
    res.render("quiz-statistics", {
      title: `Statistics — ${quiz.title}`, course, quiz, base: `/courses/${course.slug}`, isStaff: true,
      s: { ...s, mean: f(s.mean), median: f(s.median), sd: f(s.sd), minutes: averageMinutes(s.averageSeconds) },
      histogramSvg: await quizHistogram(s.histogram, `Attempt scores in 10-point bins: ${s.histogram.join(", ")}.`),
      smallSample: s.attempts < MIN_ATTEMPTS_TO_FLAG, minAttempts: MIN_ATTEMPTS_TO_FLAG,
      questions: questions.map((qs) => ({
        ...qs, label: qs.number === null ? `${qs.questionId} (no longer in the quiz)` : `${qs.number}. ${qs.questionId}`,
        facility: f(qs.facility), sd: f(qs.sd), discrimination: f(qs.discrimination), efficiency: f(qs.efficiency),
        choices: qs.choices.map((c) => ({ ...c, percent: Math.round(c.share * 100) })),
        variants: qs.variants.map((v) => ({ ...v, facility: f(v.facility) })),
      })),
      flagged: questions.filter((qs) => qs.flagged).length,
    });
  });

  return router;
}
