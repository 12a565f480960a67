import { Router } from "express";
import { requireUser } from "../platform/http.js";
import { pageContext } from "../platform/page-context.js";
import { ROLE_LABEL } from "./courses.present.js";
import type { CoursesService } from "./courses.service.js";

/** GET /: the signed-in user's courses. */
export function homeRoutes({ courses }: { courses: CoursesService }) {
  const router = Router();

  router.get("/", requireUser, async (_req, res) => {
    const { user } = pageContext(res, "user");
    const list = await courses.coursesFor(user);
    if (list.length === 1) return res.redirect(303, `/courses/${list[0]!.slug}`);
    res.render("home", { title: "Your courses", isAdmin: user.isAdmin, courses: list.map((c) => ({ ...c, roleLabel: ROLE_LABEL[c.role] })) });
  });

  return router;
}
