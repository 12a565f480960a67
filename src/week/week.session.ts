// What a student's course, week, module and reading pages read of their own state, read with the
// session's statement instead of a statement of the page's own: the most visited pages then make one
// round trip to PostgreSQL, not two. Each part reads only the signed-in user's own rows in the course
// the URL names; the page uses them after its loaders have authorised it, and reads them itself
// (one statement, as before) when they are not there (a cold start, a quiz added since).
import { checklistTicksInSession } from "../checklist/checklist.service.js";
import { teamAndAnswersInSession } from "../courses/courses.service.js";
import type { SessionContextPart } from "../platform/session-user.js";
import { quizStandingInSession } from "../quiz/quiz.service.js";

/**
 * The pages, by path: the course slug is the first group. A course slug is lowercase letters, digits
 * and dashes (admin/admin.service.ts, content/content.files.ts), so it needs no decoding, and a path
 * naming anything else (`%00`, say, which PostgreSQL would refuse as text) reads nothing here.
 */
const SLUG = "([a-z0-9-]+)";
const COURSE_PAGE = new RegExp(`^/courses/${SLUG}/?$`);
const MODULE_PAGE = new RegExp(`^/courses/${SLUG}/modules/[^/]+/?$`);
/** Quiz standing: the course and module pages (the week page reads it with the attempts, in one snapshot). */
const STANDING_PAGES = [COURSE_PAGE, MODULE_PAGE];
const CHECKLIST_PAGES = [COURSE_PAGE, MODULE_PAGE, new RegExp(`^/courses/${SLUG}/week/?$`), new RegExp(`^/courses/${SLUG}/modules/[^/]+/readings/[^/]+/?$`)];

/** The course slug when `req` is a GET of one of `pages`; else null. */
export function courseOf(req: { method: string; path: string }, pages: RegExp[]): string | null {
  if (req.method !== "GET") return null;
  for (const page of pages) {
    const m = page.exec(req.path);
    if (m) return m[1]!;
  }
  return null;
}

export function weekPagesInSession(): SessionContextPart[] {
  const slug = (pages: RegExp[]) => (req: { method: string; path: string }) => {
    const course = courseOf(req, pages);
    return course === null ? null : [course];
  };
  return [
    checklistTicksInSession(slug(CHECKLIST_PAGES)),
    quizStandingInSession(slug(STANDING_PAGES)),
    teamAndAnswersInSession(slug([COURSE_PAGE])),
  ];
}
