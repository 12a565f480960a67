// The module page and the reading page: a module's readings with the student's checklist
// and the module's quizzes.
import { Router } from "express";
import type { ChecklistService, ItemView } from "../checklist/checklist.service.js";
import { SECTION_LABEL, ticksFromSession } from "../checklist/checklist.service.js";
import { CourseRole } from "../platform/db/prisma.js";
import type pg from "pg";
import { readParts } from "../platform/sql-parts.js";
import { quizWhen } from "./week.view.js";
import { standingFromSession, type QuizService } from "../quiz/quiz.service.js";
import { loadModule, loadReading } from "../readings/readings.loaders.js";
import { minutesLabel, type ReadingsService } from "../readings/readings.service.js";
import { pageContext } from "../platform/page-context.js";

/**
 * The checklist partial's groups, each item with what its markup says worked out here (its state
 * classes; for a student, the tick button's value, pressed state and label) rather than by a
 * template helper per attribute: the partial renders for every item on every module and reading page.
 */
function checklistGroups(items: ItemView[], base: string, isStudent: boolean) {
  return (["THEORY", "PRACTICAL"] as const).map((section) => ({
    section,
    label: SECTION_LABEL[section],
    items: items
      .filter((i) => i.section === section)
      .map((i) => ({
        // What the partial reads, not a copy of all the item's fields: made for every item on every view of the page.
        id: i.id,
        title: i.title,
        done: i.done,
        completedAt: i.completedAt,
        overdue: i.overdue,
        link: `${base}/readings/${i.readingSlug}#${i.anchor}`,
        state: `${i.done ? " is-done" : ""}${i.overdue ? " is-overdue" : ""}`,
        tick: isStudent ? {
          action: `${base}/checklist/${i.id}`,
          value: i.done ? "0" : "1",
          pressed: i.done ? "true" : "false",
          label: i.done ? `Done: ${i.title}. Mark as not done` : `Mark as done: ${i.title}`,
        } : null,
      })),
  })).filter((g) => g.items.length > 0);
}

/** Pages under /courses/:courseSlug/modules (course already loaded and authorised). */
export function modulePages({ sql, readings, checklist, quizzes }: { sql: pg.Pool; readings: ReadingsService; checklist: ChecklistService; quizzes: QuizService }) {
  const router = Router({ mergeParams: true });

  router.get("/modules/:moduleSlug", loadModule(readings), async (_req, res) => {
    const { course, module: mod, user } = pageContext(res, "course", "module", "user");
    const base = `/courses/${course.slug}/modules/${mod.slug}`;
    const isStudent = course.role === CourseRole.STUDENT;
    const [list, quizList] = await Promise.all([readings.readings(mod.id), readings.cached(`module-quizzes:${mod.id}`, () => quizzes.quizzesOfModule(mod.id))]);
    // The student's ticks and their own rules for the module's quizzes (exceptions applied): read with
    // the session's statement (week.session.ts), else in one statement.
    const mine = await readParts(
      sql,
      { items: checklist.itemsPart([mod], user.id), standing: quizzes.standingPart(quizList, user.id) },
      { items: ticksFromSession(user, course.slug), standing: standingFromSession(user, course.slug, quizList) },
    );
    const items = mine.items.get(mod.id)!;
    const next = isStudent ? checklist.nextDue(items) : null;
    res.render("module", {
      title: mod.title,
      course,
      module: mod,
      base,
      isStudent,
      isStaff: !isStudent,
      readings: list.map((r) => {
        const mine = items.filter((i) => i.readingSlug === r.slug);
        return { ...r, href: `${base}/readings/${r.slug}`, minutes: minutesLabel(r.minutesMin, r.minutesMax), done: mine.filter((i) => i.done).length, total: mine.length };
      }),
      progress: checklist.progress(mod, items),
      next: next && { ...next, link: `${base}/readings/${next.readingSlug}#${next.anchor}`, label: SECTION_LABEL[next.section] },
      groups: checklistGroups(items, base, isStudent),
      quizzes: quizList.map((q) => ({ title: q.title, when: quizWhen(isStudent ? mine.standing.get(q.id)!.times : q, quizzes.now(), course.timeZone), href: `/courses/${course.slug}/quizzes/${q.slug}` })),
      returnTo: base,
    });
  });

  router.get("/modules/:moduleSlug/readings/:readingSlug", loadModule(readings), loadReading(readings), async (_req, res) => {
    const { course, module: mod, reading, user } = pageContext(res, "course", "module", "reading", "user");
    const base = `/courses/${course.slug}/modules/${mod.slug}`;
    const isStudent = course.role === CourseRole.STUDENT;
    const [list, all] = await Promise.all([readings.readings(mod.id), checklist.items(mod, user.id, ticksFromSession(user, course.slug))]);
    const items = all.filter((i) => i.readingSlug === reading.slug);
    const at = list.findIndex((r) => r.slug === reading.slug);
    const link = (r: (typeof list)[number] | undefined) => r && { title: r.title, href: `${base}/readings/${r.slug}` };
    res.render("reading", {
      title: reading.title,
      stylesheets: ["/assets/vendor/hljs/github.css"],
      course,
      module: mod,
      base,
      reading: { title: reading.title, html: reading.html, tocHtml: reading.tocHtml, minutes: minutesLabel(reading.minutesMin, reading.minutesMax), updatedAt: reading.updatedAt },
      isStudent,
      isStaff: !isStudent,
      groups: checklistGroups(items, base, isStudent),
      progress: checklist.progress(mod, all),
      previous: link(list[at - 1]),
      next: link(list[at + 1]),
      returnTo: `${base}/readings/${reading.slug}`,
    });
  });

  return router;
}
