import { Router } from "express";
import { requireStaff } from "../courses/courses.loaders.js";
import type { ReadingsService } from "./readings.service.js";
import { pageContext } from "../platform/page-context.js";

/** The content status page under /courses/:courseSlug (course already loaded and authorised); the module and reading pages are in week/. */
export function readingsRoutes({ readings }: { readings: ReadingsService }) {
  const router = Router({ mergeParams: true });

  router.get("/content", requireStaff, async (_req, res) => {
    const { course } = pageContext(res, "course");
    const [issues, mods] = await Promise.all([readings.contentIssues(), readings.modules(course.id)]);
    res.render("content-status", {
      title: `Content status — ${course.title}`,
      course,
      isStaff: true,
      errors: issues.filter((i) => i.severity === "error"),
      warnings: issues.filter((i) => i.severity === "warning"),
      modules: mods.map((m) => ({ title: m.title, slug: m.slug, syncedAt: m.syncedAt, readings: m.readings.length })),
    });
  });

  return router;
}
