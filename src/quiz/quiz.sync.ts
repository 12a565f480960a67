// Quiz files → database, called by the content sync (content/content.sync.ts). A file with errors keeps its last
// good version; a removed file archives its quiz (attempts and grades stay).
import type { Logger } from "pino";
import { resolveCourseDate } from "../platform/course-dates.js";
import type { Db } from "../platform/db/prisma.js";
import type { FileIssue } from "../platform/yaml-file.js";
import { loadQuizzes } from "./quiz.files.js";

export async function syncQuizzes({ db, quizDir, logger }: { db: Db; quizDir: string; logger: Logger }): Promise<{ quizzes: number; issues: FileIssue[] }> {
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
    await db.quiz.upsert({ where: { courseId_slug: { courseId: course.id, slug: q.slug } }, create: { courseId: course.id, slug: q.slug, ...data }, update: data });
    count++;
  }
  const archived = (await db.quiz.findMany({ where: { archivedAt: null }, select: { id: true, courseId: true, slug: true } })).filter((q) => !seen.has(`${q.courseId}/${q.slug}`));
  if (archived.length) await db.quiz.updateMany({ where: { id: { in: archived.map((q) => q.id) } }, data: { archivedAt: new Date() } });
  logger.info({ quizzes: count, problems: issues.length }, "quizzes synced");
  return { quizzes: count, issues };
}
