// The course's people: the roster page, roster import, adding someone, roles, password links,
// and removal (asked first, undoable for a few minutes by whoever removed them).
import crypto from "node:crypto";
import { Router, type Request, type Response } from "express";
import multer from "multer";
import { z } from "zod";
import type { Clock } from "../platform/clock.js";
import { CourseRole } from "../platform/db/prisma.js";
import { BadRequest, Conflict } from "../platform/errors.js";
import { readForm, type FormState } from "../platform/forms.js";
import { csrfProtection, flash, parseForm, refuseNul, saveSession } from "../platform/http.js";
import { csvRow, spreadsheetCsv, spreadsheetRow } from "../platform/text.js";
import type { AuthService } from "../auth/auth.service.js";
import { requireCourseRole, requireStaff } from "./courses.loaders.js";
import { ROLE_LABEL } from "./courses.present.js";
import type { CoursesService } from "./courses.service.js";
import { parseRosterCsv, type RosterService } from "./roster.service.js";
import { pageContext } from "../platform/page-context.js";

const requireInstructor = requireCourseRole(CourseRole.INSTRUCTOR);
/** How long a removal from the course can be undone (by whoever removed them). */
export const UNDO_MINUTES = 10;
const ROLE_WORD: Record<CourseRole, string> = { STUDENT: "student", GRADER: "grader", INSTRUCTOR: "instructor" };
const ConfirmBody = z.object({ confirm: z.literal("1", { error: "This form was not understood. Go back to People and try again." }).optional() });
/** The import: CSV text pasted (or a file, read apart); apply=1 once the preview was checked. */
const ImportBody = z.object({
  csv: z.string({ error: "Paste CSV text or choose a CSV file." }).default(""),
  apply: z.string().optional(),
  /** The SHA-256 of the text the preview showed: "Apply" applies only that text. */
  checked: z.string().optional(),
});
/**
 * What the import's preview was of: applying needs the same text. Line ends do not count: a browser
 * posts a textarea's lines with CRLF, whatever the file it came from had.
 */
const digestOf = (text: string) => crypto.createHash("sha256").update(text.replace(/\r\n?/g, "\n")).digest("base64url");
/** Add someone: the fields as typed. The checks are a roster row's (the same as an import's), so only their shape is checked here. */
const AddBody = z.object({
  email: z.string().max(1000, "The email is too long.").default(""),
  name: z.string().max(1000, "The name is too long: at most 120 characters.").default(""),
  role: z.string().max(100, "Pick a role: student, grader or instructor.").default("student"),
  team: z.string().max(1000, "The team name is too long: at most 80 characters.").default(""),
});
const RoleBody = z.object({ role: z.enum(["STUDENT", "INSTRUCTOR", "GRADER"], { error: "Pick a role: student, instructor or grader." }) });
const ADD_ROLES = [{ value: "student", label: "Student" }, { value: "grader", label: "Grader" }, { value: "instructor", label: "Instructor" }];

declare module "express-session" {
  interface SessionData {
    /** People this session removed from a course lately: what Undo puts back. */
    removedPeople?: { token: string; courseId: string; at: number; userId: string; name: string; role: CourseRole; team: { id: string; name: string } | null }[];
  }
}
/** Pages under /courses/:courseSlug/people (course already loaded and authorised). */
export function peopleRoutes(deps: { courses: CoursesService; roster: RosterService; auth: AuthService; clock: Clock; publicUrl?: string }) {
  const { courses, roster, auth, clock } = deps;
  const router = Router({ mergeParams: true });
  const courseBase = (req: Request) => `/courses/${String(req.params.courseSlug)}`;
  const linkUrl = (req: Request, token: string) => `${(deps.publicUrl ?? `${req.protocol}://${req.get("host")}`).replace(/\/+$/, "")}/password-link/${token}`;

  /**
   * The import's result with each new account's one-time link to choose a password, shown on this
   * response only (never stored, never flashed into the session) and as a CSV download made in the page.
   */
  async function importResult(req: Request, res: Response, result: Awaited<ReturnType<RosterService["apply"]>>, title: string) {
    const links = (await auth.inviteLinks(pageContext(res, "user").user, result.newAccounts)).map((l) => ({ ...l, url: linkUrl(req, l.token) }));
    const csv = spreadsheetCsv([["email", "name", "password_link", "expires"].join(","), ...links.map((l) => spreadsheetRow([l.email, l.name, l.url, l.expiresAt.toISOString()]))]);
    res.render("people-import", {
      title, course: pageContext(res, "course").course, base: courseBase(req), isStaff: true,
      result: { ...result, links, csvHref: `data:text/csv;charset=utf-8,${encodeURIComponent(csv)}` },
    });
  }

  /** The People page; `add` shows the add form again (status 400) with what was typed and why it was refused. */
  async function peoplePage(res: Response, add?: FormState) {
    const { course: c } = pageContext(res, "course");
    const roster = await courses.roster(c.id);
    const addValues = { email: "", name: "", role: "student", team: "", ...add?.values };
    if (add) res.status(400);
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
      add: {
        values: addValues,
        roles: ADD_ROLES.map((r) => ({ ...r, selected: r.value === addValues.role.trim().toLowerCase() })),
        error: add ? Object.values(add.errors).join(" ") : null,
      },
    });
  }

  router.get("/people", requireStaff, async (_req, res) => {
    await peoplePage(res);
  });


  // Roster management (instructors).
  const csvUpload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 2 * 1024 * 1024, files: 1 } }).single("file");
  router.get("/people/import", requireInstructor, (req, res) => {
    res.render("people-import", { title: "Import students and teams", course: pageContext(res, "course").course, base: courseBase(req), isStaff: true });
  });
  // The form is multipart (it has a file field): its fields are parsed here, after refuseNul ran on the request, so it runs again on them.
  router.post("/people/import", requireInstructor, (req, res, next) => csvUpload(req, res, (err: unknown) => (err ? next(new BadRequest("The file could not be read (at most 2 MB of CSV).")) : next())), refuseNul, csrfProtection, async (req, res) => {
    const { course } = pageContext(res, "course");
    const body = parseForm(ImportBody, req.body);
    const text = req.file ? req.file.buffer.toString("utf8") : body.csv;
    if (text.includes("\0")) throw new BadRequest("The file is not CSV text: it holds NUL characters (a spreadsheet file, perhaps). Save it as CSV (UTF-8) and choose it again.");
    if (!text.trim()) throw new BadRequest("Paste CSV text or choose a CSV file.");
    const parsed = parseRosterCsv(text);
    const preview = await roster.preview(course.id, parsed, pageContext(res, "user").user.id);
    const checked = digestOf(text);
    // Applied only as previewed: text edited after the check is checked again, not saved unseen.
    const changedSinceCheck = body.apply === "1" && body.checked !== checked;
    if (body.apply === "1" && !changedSinceCheck && !preview.errors) {
      await importResult(req, res, await roster.apply(course.id, preview), "Import done");
      return;
    }
    res.render("people-import", { title: "Check the import", course, base: courseBase(req), isStaff: true, preview: { ...preview, rows: preview.rows.map((r) => ({ ...r, roleLabel: ROLE_LABEL[r.role] })) }, csv: text, checked, changedSinceCheck });
  });
  router.post("/people/add", csrfProtection, requireInstructor, async (req, res) => {
    const { course } = pageContext(res, "course");
    // One person is a one-row import: the same checks and the same code path. Refused: the page again, as typed.
    const input = readForm(AddBody, req.body);
    if (!input.ok) return peoplePage(res, input);
    const body = input.data;
    const parsed = parseRosterCsv(`email,name,role,team\n${csvRow([body.email, body.name, body.role, body.team])}`);
    // Add renames no one (an import does, with a preview): a name typed shorter here is not a correction.
    const preview = await roster.preview(course.id, parsed, pageContext(res, "user").user.id, { renames: false });
    const row = preview.rows[0]!;
    // Adding someone already here does not change their role (that is the list's Role control, with its own checks).
    if (row.currentRole && row.currentRole !== row.role) {
      row.errors = [...parsed.rows[0]!.errors, `${row.email} is already in this course as ${ROLE_LABEL[row.currentRole].toLowerCase()}. To change their role, use Role in the list above.`];
    }
    if (row.errors.length) return peoplePage(res, { values: { ...body }, errors: { form: row.errors.join(" ") } });
    const result = await roster.apply(course.id, preview);
    if (result.newAccounts.length) return importResult(req, res, result, `Added ${preview.rows[0]!.email}`);
    flash(req, "success", `Updated ${preview.rows[0]!.email}.`);
    await saveSession(req);
    res.redirect(303, `${courseBase(req)}/people`);
  });
  router.post("/people/:userId/password-link", csrfProtection, requireInstructor, async (req, res) => {
    const { course } = pageContext(res, "course");
    const link = await auth.createPasswordLink(pageContext(res, "user").user, course.id, String(req.params.userId));
    res.render("password-link-made", { title: `Password link for ${link.name}`, course, base: courseBase(req), isStaff: true, link: { ...link, url: linkUrl(req, link.token) } });
  });
  router.post("/people/:userId/role", csrfProtection, requireInstructor, async (req, res) => {
    const { role } = parseForm(RoleBody, req.body);
    const { course, user } = pageContext(res, "course", "user");
    try {
      if (await roster.setRole(course.id, String(req.params.userId), role, user.id)) flash(req, "success", "Role changed.");
      else flash(req, "info", "That is their role already; nothing changed.");
    } catch (e) {
      // Refused (the course's only instructor, one's own role): said on People, where the roster is.
      if (!(e instanceof Conflict)) throw e;
      flash(req, "error", `The role was not changed: ${e.message}`);
    }
    await saveSession(req);
    res.redirect(303, `${courseBase(req)}/people`);
  });
  // Removing someone asks first (a page, no script needed); only its Confirm button (confirm=1)
  // removes. The result page offers Undo for UNDO_MINUTES, from what this session removed.
  async function renderRemoval(req: Request, res: Response) {
    const { course } = pageContext(res, "course");
    const r = await roster.removal(course.id, String(req.params.userId), pageContext(res, "user").user.id);
    const who = `${r.name} (${r.email})`;
    const as = r.role === CourseRole.STUDENT ? `a student${r.team ? ` in team ${r.team.name}` : " in no team"}` : `a ${ROLE_WORD[r.role]}`;
    res.render("confirm", {
      title: `Remove ${r.name} — ${course.title}`, course, isStaff: true,
      breadcrumb: [{ href: courseBase(req), label: course.title }, { href: `${courseBase(req)}/people`, label: "People" }],
      heading: r.problem ? `${r.name} cannot be removed` : `Remove ${r.name} from ${course.title}?`,
      problem: r.problem,
      lines: r.problem ? [] : [
        `${who} is ${as}. Once removed, they can no longer open this course's pages${r.role === CourseRole.STUDENT ? " or submit for a team" : r.role === CourseRole.GRADER ? " or grade" : ""}${r.team ? `, and ${r.team.name} no longer lists them` : ""}.`,
        `Their work stays in the records: checklist ticks, quiz attempts and grades${r.team ? ", and their team's submissions" : ""}. Their account is kept.`,
        `For ${UNDO_MINUTES} minutes afterwards you can undo this: they are added back as ${as}.`,
      ],
      action: r.problem ? null : `${courseBase(req)}/people/${r.userId}/remove`, hidden: [], confirmLabel: `Remove ${r.name}`,
      cancelHref: `${courseBase(req)}/people`, cancelLabel: r.problem ? "Back to People" : "Cancel: keep them",
    });
  }
  router.get("/people/:userId/remove", requireInstructor, renderRemoval);
  router.post("/people/:userId/remove", csrfProtection, requireInstructor, async (req, res) => {
    if (parseForm(ConfirmBody, req.body).confirm !== "1") return renderRemoval(req, res);
    const { course } = pageContext(res, "course");
    const r = await roster.remove(course.id, String(req.params.userId), pageContext(res, "user").user.id);
    const token = crypto.randomBytes(12).toString("base64url");
    const now = clock().getTime();
    // Kept in this session only (so only the instructor who removed them can undo), for a few minutes.
    req.session.removedPeople = [...(req.session.removedPeople ?? []).filter((x) => x.at > now - UNDO_MINUTES * 60_000), { token, courseId: course.id, at: now, userId: r.userId, name: r.name, role: r.role, team: r.team }];
    await saveSession(req);
    res.redirect(303, `${courseBase(req)}/people/removed/${token}`);
  });
  /** A removal of this session's, still undoable (same course, within UNDO_MINUTES), or null. */
  const undoable = (req: Request, res: Response) => {
    const x = (req.session.removedPeople ?? []).find((r) => r.token === String(req.params.token) && r.courseId === pageContext(res, "course").course.id);
    return x && x.at > clock().getTime() - UNDO_MINUTES * 60_000 ? x : null;
  };
  router.get("/people/removed/:token", requireInstructor, (req, res) => {
    const { course } = pageContext(res, "course");
    const r = undoable(req, res);
    res.render("people-removed", {
      title: r ? `${r.name} removed — ${course.title}` : `Removed — ${course.title}`, course, base: courseBase(req), isStaff: true,
      removed: r && {
        ...r, roleWord: ROLE_WORD[r.role], until: new Date(r.at + UNDO_MINUTES * 60_000),
        as: r.role === CourseRole.STUDENT ? `a student${r.team ? ` in team ${r.team.name}` : ""}` : `a ${ROLE_WORD[r.role]}`,
      },
      undoMinutes: UNDO_MINUTES,
    });
  });
  router.post("/people/removed/:token/undo", csrfProtection, requireInstructor, async (req, res) => {
    const r = undoable(req, res);
    if (!r) throw new Conflict(`This removal can no longer be undone (undo is offered for ${UNDO_MINUTES} minutes, to whoever removed them). Add them again on People, with their role and team.`);
    await roster.restore(pageContext(res, "course").course.id, r);
    req.session.removedPeople = (req.session.removedPeople ?? []).filter((x) => x.token !== r.token);
    flash(req, "success", `${r.name} is back in the course as ${r.role === CourseRole.STUDENT ? `a student${r.team ? ` in team ${r.team.name}` : ""}` : `a ${ROLE_WORD[r.role]}`}.`);
    await saveSession(req);
    res.redirect(303, `${courseBase(req)}/people`);
  });

  return router;
}
