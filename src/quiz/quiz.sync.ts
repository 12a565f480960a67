// Quiz files → database, called by the content sync (content/content.sync.ts). A file with errors keeps its last
// good version; a removed file archives its quiz (attempts and grades stay). A new grading method or pass
// mark regrades every student with a grade (and each changed grade is published, for the LMS).
import type { Logger } from "pino";
import { resolveCourseDate } from "../platform/course-dates.js";
import type { Db } from "../platform/db/prisma.js";
import { GradeEvents } from "../platform/grade-events.js";
import type { FileIssue } from "../platform/yaml-file.js";
import { loadQuizzes } from "./quiz.files.js";
import { regradeStudent } from "./quiz.service.js";
import type { QuizFile } from "./quiz.definition.js";
import { readQuizDefinition } from "./quiz.stored.js";

/** How a quiz turns attempts into a grade: its grading method and pass mark. */
const gradingRules = (def: Pick<QuizFile, "grading" | "passPercent">) => `${def.grading} ${def.passPercent}`;

/** A stored quiz's grading rules (null: its definition cannot be read). */
function storedGradingRules(quiz: Parameters<typeof readQuizDefinition>[0]): string | null {
  try {
    return gradingRules(readQuizDefinition(quiz));
  } catch {
    return null;
  }
}

export async function syncQuizzes({ db, quizDir, logger, grades = new GradeEvents() }: { db: Db; quizDir: string; logger: Logger; grades?: GradeEvents }): Promise<{ quizzes: number; issues: FileIssue[] }> {
  const { quizzes, issues } = loadQuizzes(quizDir);
  const courses = new Map((await db.course.findMany()).map((c) => [c.slug, c]));
  const seen = new Set<string>();
  let count = 0;
  for (const q of quizzes) {
    const course = courses.get(q.def.course);
    if (!course) {
      issues.push({ path: q.path, line: 1, severity: "error", message: `course: there is no course "${q.def.course}", so this quiz is not shown.` });
      continue;
    }
    seen.add(`${course.id}/${q.slug}`);
    if (q.broken) {
      const old = await db.quiz.findUnique({ where: { courseId_slug: { courseId: course.id, slug: q.slug } } });
      if (old) issues.push({ path: q.path, severity: "warning", message: "Students still get the last version of this quiz that loaded without errors." });
      continue;
    }
    const mod = q.def.module ? await db.module.findUnique({ where: { courseId_slug: { courseId: course.id, slug: q.def.module } } }) : null;
    if (q.def.module && !mod) issues.push({ path: q.path, line: 1, severity: "warning", message: `module: there is no module "${q.def.module}" in ${course.slug}; the quiz is listed on the course page only.` });
    const at = (s?: string) => (s ? resolveCourseDate(s, course) : null);
    const opensAt = at(q.def.opens);
    const closesAt = at(q.def.closes);
    if (opensAt && closesAt && closesAt <= opensAt) {
      issues.push({ path: q.path, line: 1, severity: "error", message: `closes (${closesAt.toISOString()}) must be after opens (${opensAt.toISOString()}); students keep the last version that loaded.` });
      continue;
    }
    const data = {
      title: q.def.title, sourcePath: q.path, contentHash: q.hash, definition: q.def as object,
      opensAt, closesAt, moduleId: mod?.id ?? null, archivedAt: null,
    };
    const before = await db.quiz.findUnique({ where: { courseId_slug: { courseId: course.id, slug: q.slug } } });
    const saved = await db.quiz.upsert({ where: { courseId_slug: { courseId: course.id, slug: q.slug } }, create: { courseId: course.id, slug: q.slug, ...data }, update: data });
    count++;
    // Grades follow the file's grading method and pass mark: changed, every student's grade is worked out again.
    if (before && storedGradingRules(before) !== gradingRules(q.def)) {
      const graded = await db.quizGrade.findMany({ where: { quizId: saved.id }, select: { userId: true } });
      const now = new Date();
      for (const { userId } of graded) await db.$transaction((tx) => regradeStudent(tx, grades, saved.id, userId, now));
      if (graded.length) logger.info({ quiz: q.slug, students: graded.length }, "grading rules changed: grades worked out again");
    }
  }
  const archived = (await db.quiz.findMany({ where: { archivedAt: null }, select: { id: true, courseId: true, slug: true } })).filter((q) => !seen.has(`${q.courseId}/${q.slug}`));
  if (archived.length) await db.quiz.updateMany({ where: { id: { in: archived.map((q) => q.id) } }, data: { archivedAt: new Date() } });
  logger.info({ quizzes: count, problems: issues.length }, "quizzes synced");
  return { quizzes: count, issues };
}
