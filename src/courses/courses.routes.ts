import { Router } from "express";
import { requireUser } from "../platform/http.js";
import { loadStudent, requireStaff } from "./courses.loaders.js";
import type { CoursesService } from "./courses.service.js";
import { CourseRole } from "../platform/db/prisma.js";
import type { QuizService } from "../quiz/quiz.service.js";
import type { SubmissionsService } from "../submissions/submissions.service.js";
import { minutesLabel, type ReadingsService } from "../readings/readings.service.js";

const ROLE_LABEL: Record<CourseRole, string> = { STUDENT: "Student", INSTRUCTOR: "Instructor", GRADER: "Grader" };

/** GET /: the signed-in user's courses. */
export function homeRoutes({ courses }: { courses: CoursesService }) {
  const router = Router();

  router.get("/", requireUser, async (_req, res) => {
    const list = await courses.coursesFor(res.locals.user!);
    if (list.length === 1) return res.redirect(303, `/courses/${list[0]!.slug}`);
    res.render("home", { title: "Your courses", courses: list.map((c) => ({ ...c, roleLabel: ROLE_LABEL[c.role] })) });
  });

  return router;
}

/** Pages under /courses/:courseSlug (course already loaded and authorised). */
export function coursePages({ courses, readings, quizzes, submissions }: { courses: CoursesService; readings: ReadingsService; quizzes: QuizService; submissions: SubmissionsService }) {
  const course = Router({ mergeParams: true });

  course.get("/", async (_req, res) => {
    const c = res.locals.course!;
    const me = res.locals.user!;
    const [team, modules, quizList, caseStudies] = await Promise.all([courses.teamOf(c.id, me.id), readings.modules(c.id), quizzes.quizzesOf(c.id), submissions.caseStudies(c.id)]);
    const grades = c.role === CourseRole.STUDENT ? await quizzes.gradesOf(quizList.map((q) => q.id), me.id) : new Map();
    res.render("course", {
      title: c.title,
      course: c,
      roleLabel: ROLE_LABEL[c.role],
      isStaff: c.role !== CourseRole.STUDENT,
      isStudent: c.role === CourseRole.STUDENT,
      team: team && { name: team.name, members: team.members.map((m) => ({ name: m.name, isMe: m.id === me.id })) },
      myPage: `/courses/${c.slug}/students/${me.id}`,
      modules: modules.map((m) => ({
        title: m.title,
        href: `/courses/${c.slug}/modules/${m.slug}`,
        readings: m.readings.length,
        minutes: minutesLabel(m.readings.reduce((a, r) => a + r.minutesMin, 0), m.readings.reduce((a, r) => a + r.minutesMax, 0)),
      })),
      quizzes: quizList.map((q) => ({ title: q.title, href: `/courses/${c.slug}/quizzes/${q.slug}`, closesAt: q.closesAt, passed: grades.get(q.id)?.passed })),
      caseStudies: caseStudies.map((cs) => ({ title: cs.title, href: `/courses/${c.slug}/case-studies/${cs.slug}`, deadlineAt: cs.deadlineAt })),
    });
  });

  course.get("/people", requireStaff, async (_req, res) => {
    const c = res.locals.course!;
    const roster = await courses.roster(c.id);
    res.render("people", {
      title: `People — ${c.title}`,
      course: c,
      members: roster.members.map((m) => ({ ...m, roleLabel: ROLE_LABEL[m.role], isStudent: m.role === CourseRole.STUDENT })),
      teams: roster.teams,
      counts: {
        students: roster.members.filter((m) => m.role === CourseRole.STUDENT).length,
        staff: roster.members.filter((m) => m.role !== CourseRole.STUDENT).length,
      },
    });
  });

  course.get("/students/:userId", loadStudent(courses), async (_req, res) => {
    const c = res.locals.course!;
    const s = res.locals.student!;
    const team = await courses.teamOf(c.id, s.id);
    res.render("student", {
      title: `${s.name} — ${c.title}`,
      course: c,
      student: s,
      team,
      isStaff: c.role !== CourseRole.STUDENT,
    });
  });

  return course;
}
