import { Router, type Request, type Response } from "express";
import { whenPhrase } from "../platform/time-format.js";
import { loadStudent } from "../courses/courses.loaders.js";
import { ROLE_LABEL } from "../courses/courses.present.js";
import { teamAndAnswersFromSession, type CoursesService } from "../courses/courses.service.js";
import { CourseRole } from "../platform/db/prisma.js";
import { ticksFromSession, type ChecklistService } from "../checklist/checklist.service.js";
import { scoreShown, standingFromSession, type QuizService, type Standing } from "../quiz/quiz.service.js";
import type pg from "pg";
import { readParts } from "../platform/sql-parts.js";
import { pageContext } from "../platform/page-context.js";
import type { ReviewsService } from "../reviews/reviews.service.js";
import { courseTodo, quizWhen, studentWeek } from "./week.view.js";
import type { SubmissionsService } from "../casestudy/submissions.service.js";
import { minutesLabel, type ReadingsService } from "../readings/readings.service.js";

/** The course page and a student's week page, under /courses/:courseSlug (course already loaded and authorised). */
/**
 * `lmsLinked`: whether LMS launches are set up here (the course page then links an instructor to the
 * course's LMS connections: columns and roster sync). Passed in, so the page needs nothing of LTI.
 */
export function coursePages({ sql, courses, readings, quizzes, submissions, checklist, reviews, lmsLinked = async () => false }: { sql: pg.Pool; courses: CoursesService; readings: ReadingsService; quizzes: QuizService; submissions: SubmissionsService; checklist: ChecklistService; reviews: ReviewsService; lmsLinked?: () => Promise<boolean> }) {
  const course = Router({ mergeParams: true });
  const weekDeps = { sql, courses, readings, quizzes, submissions, checklist, reviews };

  course.get("/", async (_req, res) => {
    const { course: c, user: me } = pageContext(res, "course", "user");
    const isStudent = c.role === CourseRole.STUDENT;
    const now = quizzes.now();
    const [modules, quizList, caseStudies] = await Promise.all([
      readings.modules(c.id),
      readings.cached(`quizzes:${c.id}`, () => quizzes.quizzesOf(c.id)),
      // Only what a sync writes: a case study's other fields (results revealed) change at any time.
      readings.cached(`case-studies:${c.id}`, async () => (await submissions.caseStudies(c.id)).map(({ title, slug, deadlineAt }) => ({ title, slug, deadlineAt }))),
    ]);
    // A student's own state — ticks in every module, quiz grades and exceptions, team, review answers
    // not read yet — read by each feature's part of one statement: one round trip for the most visited page.
    const mine = isStudent ? await readParts(sql, {
      items: checklist.itemsPart(modules, me.id),
      standing: quizzes.standingPart(quizList, me.id),
      home: courses.teamAndAnswersPart(c.id, me.id),
    }, {
      // Read with the session's statement (week.session.ts): then this page sends no statement of its own.
      items: ticksFromSession(me, c.slug),
      standing: standingFromSession(me, c.slug, quizList),
      home: teamAndAnswersFromSession(me, c.slug),
    }) : null;
    const team = mine?.home.team ?? null;
    const standing = mine?.standing ?? new Map<string, Standing>();
    const lmsConnections = c.role === CourseRole.INSTRUCTOR && (await lmsLinked()) ? `/lti/courses/${c.slug}` : null;
    const todo = mine ? courseTodo(c, now, { modules, quizzes: quizList, standing, items: mine.items, caseStudies, team, answers: mine.home.answers }) : null;
    res.render("course", {
      title: c.title,
      course: c,
      roleLabel: ROLE_LABEL[c.role],
      isStaff: c.role !== CourseRole.STUDENT,
      isStudent: c.role === CourseRole.STUDENT,
      team: team && { name: team.name, members: team.members.map((m) => ({ name: m.name, isMe: m.id === me.id })) },
      myPage: `/courses/${c.slug}/week`,
      lmsConnections,
      todo,
      modules: modules.map((m) => ({
        title: m.title,
        href: `/courses/${c.slug}/modules/${m.slug}`,
        readings: m.readings.length,
        minutes: minutesLabel(m.readings.reduce((a, r) => a + r.minutesMin, 0), m.readings.reduce((a, r) => a + r.minutesMax, 0)),
      })),
      quizzes: quizList.map((q) => {
        const mineHere = standing.get(q.id);
        // "passed" only when the quiz's review rules show the student their grade now (as its page does).
        const shown = !!mineHere?.policy && scoreShown(mineHere.policy, now);
        return { title: q.title, href: `/courses/${c.slug}/quizzes/${q.slug}`, when: quizWhen(mineHere?.times ?? q, now, c.timeZone), passed: shown && mineHere.grade?.passed };
      }),
      caseStudies: caseStudies.map((cs) => ({ title: cs.title, href: `/courses/${c.slug}/case-studies/${cs.slug}`, when: whenPhrase("due", cs.deadlineAt, quizzes.now(), c.timeZone) })),
    });
  });

  /** The student's week: theirs, or (read-only) a staff member's view of it. */
  async function renderWeek(req: Request, res: Response, student: { id: string; name: string; email: string; lastSeenAt: Date | null }, own: boolean) {
    const { course: c, user: me } = pageContext(res, "course", "user");
    const week = await studentWeek(weekDeps, c, student.id, quizzes.now(), student.id === me.id ? me : null);
    // Their own week page shows each answer in full: read now (marked "New" this once). A staff view reads nothing
    // for them; a HEAD request shows nothing.
    if (student.id === me.id && req.method !== "HEAD") await reviews.markRead(week.unread, me.id);
    res.render("student", {
      title: own ? `My week — ${c.title}` : `${student.name} — ${c.title}`,
      course: c, student, own,
      isStaff: c.role !== CourseRole.STUDENT,
      ...week,
      answers: week.requests.filter((r) => r.answered),
      waiting: week.requests.filter((r) => !r.answered),
    });
  }

  course.get("/week", async (req, res) => {
    const { course: c, user: me } = pageContext(res, "course", "user");
    if (c.role !== CourseRole.STUDENT) return res.redirect(303, `/courses/${c.slug}/people`);
    await renderWeek(req, res, { id: me.id, name: me.name, email: me.email, lastSeenAt: null }, true);
  });

  course.get("/students/:userId", loadStudent(courses), async (req, res) => {
    const { student: s, user } = pageContext(res, "student", "user");
    await renderWeek(req, res, s, s.id === user.id);
  });

  return course;
}
