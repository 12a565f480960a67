import { Router, type RequestHandler } from "express";
import { z } from "zod";
import type { Config } from "../platform/config.js";
import { Forbidden, HttpError } from "../platform/errors.js";
import { csrfProtection, flash, regenerateSession, requireUser, saveSession } from "../platform/http.js";
import { pageContext } from "../platform/page-context.js";
import { readForm, type FormState } from "../platform/forms.js";
import { AdminInput, CourseInput, type AdminService } from "./admin.service.js";
import { removeSetupToken, setupTokenMatches } from "./admin.setup.js";

const SetupBody = z.object({
  name: z.string().max(1000).default(""),
  email: z.string().max(1000).default(""),
  password: z.string().max(2000).default(""),
  confirm: z.string().max(2000).default(""),
  token: z.string().max(1000).default(""),
});

const CourseBody = z.object({
  slug: z.string().max(1000).default(""),
  title: z.string().max(1000).default(""),
  timeZone: z.string().max(1000).default(""),
  startsOn: z.string().max(100).default(""),
});

/** The administrator as the service takes them, typed twice the same. */
const SetupInput = AdminInput.extend({ confirm: z.string() })
  .refine((d) => d.password === d.confirm, { message: "The two passwords differ. Type the same password in both fields.", path: ["confirm"] });

/** A refused form's messages, in the order of its fields, for the message above the form. */
const messagesOf = (form: FormState) => Object.values(form.errors).join(" ");

/**
 * Until the platform has an administrator, every page leads to the set-up (health checks and
 * static files are mounted before this and never get here).
 */
export function setupGate(admin: AdminService): RequestHandler {
  return async (req, res, next) => {
    if (req.path === "/setup" || (await admin.hasAdmin())) return next();
    res.redirect(303, "/setup");
  };
}

export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (!res.locals.user?.isAdmin) throw new Forbidden("This page is for the site administrator. If you need a course created, ask them.");
  next();
};

const TIME_ZONES = Intl.supportedValuesOf("timeZone");

export function adminRoutes({ admin, config, setupToken }: { admin: AdminService; config: Config; setupToken?: string }) {
  const router = Router();
  // On a public server the first visitor could be anyone: in production set-up asks for the token from the server's log.
  const tokenRequired = config.NODE_ENV === "production";

  router.get("/setup", async (_req, res) => {
    if (await admin.hasAdmin()) return res.redirect(303, res.locals.user ? "/" : "/login");
    res.render("setup", { title: "Set up the platform", csrfToken: res.locals.csrfToken, tokenRequired });
  });

  router.post("/setup", csrfProtection, async (req, res) => {
    const body = SetupBody.parse(req.body ?? {});
    const again = (status: number, error: string) =>
      res.status(status).render("setup", { title: "Set up the platform", csrfToken: res.locals.csrfToken, tokenRequired, error, name: body.name, email: body.email });
    if (await admin.hasAdmin()) return again(409, "This platform already has an administrator, so set-up is closed. Sign in instead.");
    if (tokenRequired) {
      if (!setupToken) return again(403, "Set-up needs the one-time token this server prints in its log when it starts with no administrator. Restart the server to get one, or create the administrator on the server with: npm run admin:create -- --email … --name …");
      if (!setupTokenMatches(setupToken, body.token)) return again(403, "That set-up token is not the one this server printed. Copy it from the server's log (or the file setup-token in its data folder) and try again.");
    }
    const input = readForm(SetupInput, body);
    if (!input.ok) return again(400, messagesOf(input));
    let user;
    try {
      user = await admin.createFirstAdmin(input.data);
    } catch (e) {
      if (e instanceof HttpError) return again(e.status, e.message);
      throw e;
    }
    removeSetupToken(config.DATA_DIR);
    await regenerateSession(req); // a new session id on sign-in defeats session fixation
    req.session.userId = user.id;
    flash(req, "success", `Welcome, ${user.name}: you are the site administrator. Create your first course.`);
    await saveSession(req);
    res.redirect(303, "/admin/courses");
  });

  const page = async (res: Parameters<RequestHandler>[1], extra: Record<string, unknown> = {}) => {
    const courses = await admin.courses();
    res.render("admin-courses", {
      title: "Courses",
      csrfToken: res.locals.csrfToken,
      timeZones: TIME_ZONES,
      courses: courses.map((c) => ({ ...c, href: `/courses/${c.slug}` })),
      form: { timeZone: "", ...(extra.form as object | undefined) },
      error: extra.error,
    });
  };

  router.get("/admin/courses", requireUser, requireAdmin, async (_req, res) => {
    await page(res);
  });

  router.post("/admin/courses", requireUser, requireAdmin, csrfProtection, async (req, res) => {
    const body = CourseBody.parse(req.body ?? {});
    const input = readForm(CourseInput, body);
    if (!input.ok) {
      res.status(400);
      return page(res, { form: body, error: messagesOf(input) });
    }
    let created;
    try {
      created = await admin.createCourse(input.data, pageContext(res, "user").user);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      res.status(e.status);
      return page(res, { form: body, error: e.message });
    }
    const modules = (await admin.courses()).find((c) => c.slug === created.slug)?.modules ?? 0;
    flash(req, "success", `Course created; you are its instructor. ${modules === 1 ? "1 module names it" : `${modules} modules name it`} in the content folder.`);
    if (created.syncError) {
      req.log.error({ err: created.syncError }, "content sync after creating a course failed");
      flash(req, "error", "The content could not be synced just now (the server log says why). Restart the server to sync it again.");
    } else if (!modules) {
      flash(req, "info", `To give the course readings and quizzes, write "course: ${created.slug}" in a module.yaml under the content folder (and in its quiz files), then restart the server or run it in development, which syncs on change.`);
    }
    await saveSession(req);
    res.redirect(303, `/courses/${created.slug}`);
  });

  return router;
}
