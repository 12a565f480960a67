import { whenPhrase } from "../quiz/quiz.present.js";
import { Router } from "express";
import { requireUser } from "../platform/http.js";
import { loadStudent, requireStaff } from "./courses.loaders.js";
import type { CoursesService } from "./courses.service.js";
import { CourseRole } from "../platform/db/prisma.js";
import type { ChecklistService } from "../checklist/checklist.service.js";
import { percentLabel, timeTaken } from "../quiz/quiz.present.js";
import { percentOf, type QuizService } from "../quiz/quiz.service.js";
import type { SubmissionsService } from "../submissions/submissions.service.js";
import { minutesLabel, type ReadingsService } from "../readings/readings.service.js";

const ROLE_LABEL: Record<CourseRole, string> = { STUDENT: "Student", INSTRUCTOR: "Instructor", GRADER: "Grader" };

/** GET /: the signed-in user's courses. */
export function homeRoutes({ courses }: { courses: CoursesService }) {
  const router = Router();

  router.get("/", requireUser, async (_req, res) => {
    const list = await courses.coursesFor(res.locals.user!);
    if (list.length === 1) return res.redirect(303, `/courses/${list[0]!.slug}`);
    res.render("home", { title: "Your courses", isAdmin: res.locals.user!.isAdmin, courses: list.map((c) => ({ ...c, roleLabel: ROLE_LABEL[c.role] })) });
  });

  return router;
}

/** Pages under /courses/:courseSlug (course already loaded and authorised). */
export function coursePages({ courses, readings, quizzes, submissions, checklist }: { courses: CoursesService; readings: ReadingsService; quizzes: QuizService; submissions: SubmissionsService; checklist: ChecklistService }) {
  const course = Router({ mergeParams: true });

  course.get("/", async (_req, res) => {
    const c = res.locals.course!;
    const me = res.locals.user!;
    const [team, modules, quizList, caseStudies] = await Promise.all([
      courses.teamOf(c.id, me.id),
      readings.modules(c.id),
      readings.cached(`quizzes:${c.id}`, () => quizzes.quizzesOf(c.id)),
      // Only what a sync writes: a case study's other fields (results revealed) change at any time.
      readings.cached(`case-studies:${c.id}`, async () => (await submissions.caseStudies(c.id)).map(({ title, slug, deadlineAt }) => ({ title, slug, deadlineAt }))),
    ]);
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
      quizzes: quizList.map((q) => ({ title: q.title, href: `/courses/${c.slug}/quizzes/${q.slug}`, when: q.closesAt && whenPhrase("closes", q.closesAt, quizzes.now(), c.timeZone), passed: grades.get(q.id)?.passed })),
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
      canManage: c.role === CourseRole.INSTRUCTOR,
      isStaff: true,
      roles: Object.values(CourseRole).map((r) => ({ value: r, label: ROLE_LABEL[r] })),
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
    const base = `/courses/${c.slug}`;
    const [team, modules, quizList, caseStudies] = await Promise.all([courses.teamOf(c.id, s.id), readings.modules(c.id), quizzes.quizzesOf(c.id), submissions.caseStudies(c.id)]);
    const checklists = await Promise.all(modules.map(async (m) => {
      const mod = await readings.module(c.id, m.slug);
      const items = mod ? await checklist.items(mod, s.id) : [];
      return { title: m.title, progress: mod ? checklist.progress(mod, items) : [], items: items.map((i) => ({ ...i, link: `${base}/modules/${m.slug}/readings/${i.readingSlug}#${i.anchor}` })) };
    }));
    const attempts = await Promise.all(quizList.map(async (q) => ({
      title: q.title,
      attempts: (await quizzes.attemptsOf(q.id, s.id)).map((a) => ({
        ...a, href: `${base}/quizzes/${q.slug}/attempts/${a.id}`, inProgress: a.status === "IN_PROGRESS",
        percent: a.status === "SUBMITTED" ? percentLabel(percentOf(a)) : null,
        took: timeTaken(a),
      })),
      grade: await quizzes.grade(q.id, s.id),
    })));
    const subs = team ? await Promise.all(caseStudies.map(async (cs) => ({
      title: cs.title,
      rows: (await submissions.teamSubmissions(cs.id, team.id)).map((x) => ({ ...x, href: `${base}/case-studies/${cs.slug}/submissions/${x.id}`, score: x.results[0]?.publicScore.toFixed(4) })),
    }))) : [];
    res.render("student", {
      title: `${s.name} — ${c.title}`,
      course: c,
      student: s,
      team,
      isStaff: c.role !== CourseRole.STUDENT,
      checklists, attempts, submissions: subs,
    });
  });

  return course;
}
