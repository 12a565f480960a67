import { Router } from "express";
import { pageContext } from "../platform/page-context.js";
import { z } from "zod";
import { CourseRole } from "../platform/db/prisma.js";
import { Forbidden, NotFound } from "../platform/errors.js";
import { wantsJson } from "../platform/errors.middleware.js";
import { csrfProtection } from "../platform/http.js";
import { safeReturnTo } from "../platform/return-to.js";
import { loadModule } from "../readings/readings.loaders.js";
import type { ReadingsService } from "../readings/readings.service.js";
import { SECTION_LABEL, type ChecklistService } from "./checklist.service.js";
import { isUuid } from "../platform/text.js";

const TickBody = z.object({
  done: z.enum(["1", "0", "true", "false"], { message: "must be 1 (done) or 0 (not done)" }).transform((v) => v === "1" || v === "true"),
  returnTo: z.string().optional(),
});

export function checklistRoutes({ readings, checklist }: { readings: ReadingsService; checklist: ChecklistService }) {
  const router = Router({ mergeParams: true });

  router.post("/modules/:moduleSlug/checklist/:itemId", csrfProtection, loadModule(readings), async (req, res) => {
    const { course, module: mod, user } = pageContext(res, "course", "module", "user");
    if (course.role !== CourseRole.STUDENT) throw new Forbidden("Only students keep a checklist. Staff see everyone's progress on the dashboard.");
    const itemId = String(req.params.itemId);
    const item = isUuid(itemId) ? await checklist.item(mod.id, itemId) : null;
    if (!item) throw new NotFound("That checklist item no longer exists; the reading may have changed. Reload the page.");
    const body = TickBody.parse(req.body ?? {});
    await checklist.setDone(item.id, user.id, body.done);
    if (wantsJson(req)) {
      const items = await checklist.items(mod, user.id);
      const progress = checklist.progress(mod, items);
      // The module page's "Next:" line follows the tick (the same rule as the page: checklist.nextDue).
      const next = checklist.nextDue(items);
      // Each reading's count, as the module page lists them.
      const readingCounts = new Map<string, { reading: string; done: number; total: number }>();
      for (const i of items) {
        const c = readingCounts.get(i.readingSlug) ?? { reading: i.readingSlug, done: 0, total: 0 };
        c.total++;
        if (i.done) c.done++;
        readingCounts.set(i.readingSlug, c);
      }
      res.json({
        itemId: item.id, done: body.done, progress: progress.map(({ section, done, total, percent }) => ({ section, done, total, percent })),
        readings: [...readingCounts.values()],
        next: next && { title: next.title, href: `/courses/${course.slug}/modules/${mod.slug}/readings/${next.readingSlug}#${next.anchor}`, label: SECTION_LABEL[next.section], overdue: next.overdue },
      });
      return;
    }
    res.redirect(303, `${safeReturnTo(body.returnTo)}#${item.anchor}`);
  });

  return router;
}
