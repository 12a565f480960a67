import crypto from "node:crypto";
import { Router, type Request, type Response } from "express";
import { DateTime } from "luxon";
import multer from "multer";
import { z } from "zod";
import { requireCourseRole, requireStaff } from "../courses/courses.loaders.js";
import type { CoursesService } from "../courses/courses.service.js";
import { CourseRole } from "../platform/db/prisma.js";
import type { AuthService } from "../auth/auth.service.js";
import { BadRequest, Conflict, NotFound } from "../platform/errors.js";
import { csrfProtection, flash, parseForm, saveSession } from "../platform/http.js";
import type { QuizService } from "../quiz/quiz.service.js";
import type { QuizFile } from "../quiz/quiz.definition.js";
import { MIN_ATTEMPTS_TO_FLAG, quizOrderOf, reportByQuiz } from "../quiz/quiz.stats.js";
import type { ReadingsService } from "../readings/readings.service.js";
import { privateVisible, settingsOf, type SubmissionsService } from "../submissions/submissions.service.js";
import { ROSTER_FILTERS, ROSTER_SORTS, type DashboardService, type RosterFilter, type RosterRow, type RosterSort } from "./dashboard.service.js";
import { parseRosterCsv, type RosterService } from "./roster.service.js";
import type { ReviewsService } from "../reviews/reviews.service.js";
import { barChart, lineChart } from "../platform/charts.js";
import { csvRow, spreadsheetRow } from "../platform/text.js";

const requireInstructor = requireCourseRole(CourseRole.INSTRUCTOR);
/** How long a removal from the course can be undone (by whoever removed them). */
export const UNDO_MINUTES = 10;
const ROLE_WORD: Record<CourseRole, string> = { STUDENT: "student", GRADER: "grader", INSTRUCTOR: "instructor" };
const ConfirmBody = z.object({ confirm: z.literal("1", { error: "This form was not understood. Go back to People and try again." }).optional() });

declare module "express-session" {
  interface SessionData {
    /** People this session removed from a course lately: what Undo puts back. */
    removedPeople?: { token: string; courseId: string; at: number; userId: string; name: string; role: CourseRole; team: { id: string; name: string } | null }[];
  }
}
/** A quiz's attempts in ten bins of score: [0,10), …, [90,100]. */
const quizHistogram = (histogram: number[], description: string) => barChart(
  histogram.map((count, i) => ({ label: i === 9 ? "90–100" : `${i * 10}–${i * 10 + 10}`, count })),
  { xTitle: "Score (%)", yTitle: "Attempts", tableCaption: "attempts per score bin", description },
);
const pct = (done: number, total: number) => (total ? Math.round((done / total) * 100) : 100);

const RosterParams = z.object({
  sort: z.enum(Object.keys(ROSTER_SORTS) as [RosterSort, ...RosterSort[]]).catch("name"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  // Own keys only: `f in` would take "constructor" (from Object.prototype) for a filter.
  filter: z.union([z.string(), z.array(z.string())]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((f): f is RosterFilter => Object.hasOwn(ROSTER_FILTERS, f))),
  q: z.string().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).catch(1),
});

export function dashboardRoutes(deps: { dashboard: DashboardService; courses: CoursesService; quizzes: QuizService; submissions: SubmissionsService; readings: ReadingsService; roster: RosterService; reviews: ReviewsService; auth: AuthService; publicUrl?: string }) {
  const { dashboard, quizzes, submissions, readings, roster, auth } = deps;
  const router = Router({ mergeParams: true });
  const courseBase = (req: Request) => `/courses/${String(req.params.courseSlug)}`;
  const linkUrl = (req: Request, token: string) => `${(deps.publicUrl ?? `${req.protocol}://${req.get("host")}`).replace(/\/+$/, "")}/password-link/${token}`;

  /**
   * The import's result with each new account's one-time link to choose a password, shown on this
   * response only (never stored, never flashed into the session) and as a CSV download made in the page.
   */
  async function importResult(req: Request, res: Response, result: Awaited<ReturnType<RosterService["apply"]>>, title: string) {
    const links = (await auth.inviteLinks(res.locals.user!, result.newAccounts)).map((l) => ({ ...l, url: linkUrl(req, l.token) }));
    const csv = [["email", "name", "password_link", "expires"].join(","), ...links.map((l) => spreadsheetRow([l.email, l.name, l.url, l.expiresAt.toISOString()]))].join("\n");
    res.render("people-import", {
      title, course: res.locals.course, base: courseBase(req), isStaff: true,
      result: { ...result, links, csvHref: `data:text/csv;charset=utf-8,${encodeURIComponent(`${csv}\n`)}` },
    });
  }

  function rowView(r: RosterRow, base: string) {
    return {
      ...r, href: `${base}/students/${r.id}`,
      theoryPct: pct(r.theoryDone, r.theoryTotal), practicalPct: pct(r.practicalDone, r.practicalTotal),
      quiz: r.quizPercent === null ? null : `${Math.round(r.quizPercent * 10) / 10}%`,
      caseBest: r.caseBest === null ? null : r.caseBest.toFixed(3),
    };
  }

  router.get("/dashboard", requireInstructor, async (req, res) => {
    const course = res.locals.course!;
    const base = courseBase(req);
    const p = RosterParams.parse(req.query);
    const { quiz, caseStudy } = await dashboard.focus(course.id);
    const focus = { quizId: quiz?.id ?? null, caseStudyId: caseStudy?.id ?? null };
    const perPage = 50;
    const { rows, total } = await dashboard.roster(course.id, focus, { sort: p.sort, desc: p.dir === "desc", filters: p.filter, search: p.q, page: p.page, perPage });
    const pages = Math.max(1, Math.ceil(total / perPage));
    const link = (over: Partial<{ sort: string; dir: string; page: number }>) => {
      const qs = new URLSearchParams();
      qs.set("sort", over.sort ?? p.sort);
      qs.set("dir", over.dir ?? p.dir);
      for (const f of p.filter) qs.append("filter", f);
      if (p.q) qs.set("q", p.q);
      if ((over.page ?? p.page) > 1) qs.set("page", String(over.page ?? p.page));
      return `${base}/dashboard?${qs.toString()}`;
    };

    // Charts: completion over the week, the quiz's scores, the case study's scores and their progress.
    const mods = await readings.modules(course.id);
    const mod = mods[0];
    let completionSvg = "";
    if (mod?.theoryDueAt && mod.practicalDueAt) {
      const start = DateTime.fromJSDate(mod.theoryDueAt, { zone: course.timeZone }).minus({ days: 6 }).startOf("day");
      const end = DateTime.fromJSDate(mod.practicalDueAt, { zone: course.timeZone }).endOf("day");
      const days: DateTime[] = [];
      for (let d = start; d <= end; d = d.plus({ days: 1 })) days.push(d);
      const c = await dashboard.completionOverTime(course.id, days.map((d) => d.endOf("day").toJSDate()));
      const toPoints = (ys: number[]) => ys.map((y, i) => ({ x: i, y: c.students ? y / c.students : 0 }));
      completionSvg = await lineChart([{ label: "Theory done", points: toPoints(c.theory) }, { label: "Practical done", points: toPoints(c.practical) }], {
        xLabels: days.map((d) => d.toFormat("ccc d")), xTitle: "Day (end of)", yTitle: `Students done (of ${c.students})`, y: "percent",
        description: `Students, of ${c.students}, who had finished Theory and Practical by the end of each day: Theory ${c.theory.join(", ")}; Practical ${c.practical.join(", ")}.`,
        tableCaption: "students done by the end of each day",
      });
    }
    const stats = quiz ? await quizzes.statisticsSummary(quiz.id) : null;
    const quizSvg = stats ? await quizHistogram(stats.histogram, `Quiz attempt scores in 10-point bins: ${stats.histogram.join(", ")}.`) : "";
    let caseSvg = "";
    let caseOverTimeSvg = "";
    if (caseStudy) {
      const board = await submissions.leaderboard(caseStudy, true);
      const bins = new Array<number>(10).fill(0);
      for (const r of board) if (r.publicScore !== null) bins[Math.min(9, Math.floor(r.publicScore * 10))]!++;
      caseSvg = await barChart(bins.map((count, i) => ({ label: `${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)}`, count })), {
        xTitle: "Best public macro-F1", yTitle: "Teams", tableCaption: "teams per score bin",
        description: `Teams' best public macro-F1 in bins of 0.1: ${bins.join(", ")}.`,
      });
      const over = await dashboard.leaderboardOverTime(caseStudy);
      if (over.size) {
        const top = [...over.entries()].sort((a, b) => b[1].at(-1)!.best - a[1].at(-1)!.best).slice(0, 6);
        caseOverTimeSvg = await lineChart(top.map(([team, pts]) => ({ label: team, points: pts.map((x) => ({ x: x.at.getTime(), y: x.best })) })), {
          xTitle: `Time (${course.timeZone})`, yTitle: "Best public macro-F1", y: "score", tableCaption: "each team's best public macro-F1 after each submission",
          xTime: { zoneOffsetMinutes: (ms) => DateTime.fromMillis(ms, { zone: course.timeZone }).offset, format: (ms) => DateTime.fromMillis(ms, { zone: course.timeZone }).toFormat("ccc d LLL HH:mm") },
          description: `Best public macro-F1 of the top ${top.length} teams over time: ${top.map(([team, pts]) => `${team} ${pts.at(-1)!.best.toFixed(3)}`).join(", ")}.`,
        });
      }
    }
    res.render("dashboard", {
      title: `Dashboard — ${course.title}`, course, base, isStaff: true,
      rows: rows.map((r) => rowView(r, base)), total, page: p.page, pages,
      prev: p.page > 1 ? link({ page: p.page - 1 }) : null, next: p.page < pages ? link({ page: p.page + 1 }) : null,
      sorts: Object.keys(ROSTER_SORTS).map((s) => ({ key: s, href: link({ sort: s, dir: p.sort === s && p.dir === "asc" ? "desc" : "asc", page: 1 }), active: p.sort === s, dir: p.sort === s ? p.dir : null })),
      filters: Object.entries(ROSTER_FILTERS).map(([key, f]) => ({ key, label: f.label, checked: p.filter.includes(key as RosterFilter) })),
      q: p.q ?? "", sort: p.sort, dir: p.dir,
      quiz, caseStudy, stats: stats && { ...stats, mean: stats.mean?.toFixed(1), median: stats.median?.toFixed(1), minutes: stats.averageSeconds ? (stats.averageSeconds / 60).toFixed(1) : null },
      completionSvg, quizSvg, caseSvg, caseOverTimeSvg,
    });
  });

  router.get("/dashboard/gradebook.csv", requireInstructor, async (req, res) => {
    const course = res.locals.course!;
    const { quiz, caseStudy } = await dashboard.focus(course.id);
    const { rows } = await dashboard.roster(course.id, { quizId: quiz?.id ?? null, caseStudyId: caseStudy?.id ?? null }, { perPage: 100_000 });
    const points = new Map((caseStudy ? await submissions.standings(caseStudy) : []).map((x) => [x.teamId, x.counted.private?.points]));
    const lines = [["email", "name", "team", "theory_percent", "practical_percent", "readings_percent", "quiz_percent", "quiz_passed", "quiz_attempts", "case_study_points", "case_study_submissions"].join(",")];
    for (const r of rows) {
      lines.push(spreadsheetRow([r.email, r.name, r.team, pct(r.theoryDone, r.theoryTotal), pct(r.practicalDone, r.practicalTotal), pct(r.theoryDone + r.practicalDone, r.theoryTotal + r.practicalTotal),
        r.quizPercent === null ? "" : Math.round(r.quizPercent * 100) / 100, r.quizPassed === null ? "" : r.quizPassed ? "yes" : "no", r.quizAttempts,
        r.teamId ? (points.get(r.teamId) ?? "") : "", r.caseSubmissions]));
    }
    res.setHeader("Content-Type", "text/csv; charset=utf-8");
    res.setHeader("Content-Disposition", `attachment; filename="${course.slug}-gradebook.csv"`);
    res.send(`${lines.join("\n")}\n`);
  });

  router.get("/quizzes/:quizSlug/statistics", requireInstructor, async (req, res) => {
    const course = res.locals.course!;
    const quiz = await quizzes.quiz(course.id, String(req.params.quizSlug));
    if (!quiz) throw new NotFound("There is no such quiz in this course.");
    const s = await quizzes.statistics(quiz.id);
    const f = (v: number | null) => (v === null ? "—" : v.toFixed(1));
    const questions = reportByQuiz(s, quizOrderOf(quiz.definition as unknown as QuizFile));
    res.render("quiz-statistics", {
      title: `Statistics — ${quiz.title}`, course, quiz, base: courseBase(req), isStaff: true,
      s: { ...s, mean: f(s.mean), median: f(s.median), sd: f(s.sd), minutes: s.averageSeconds ? (s.averageSeconds / 60).toFixed(1) : "—" },
      histogramSvg: await quizHistogram(s.histogram, `Attempt scores in 10-point bins: ${s.histogram.join(", ")}.`),
      smallSample: s.attempts < MIN_ATTEMPTS_TO_FLAG, minAttempts: MIN_ATTEMPTS_TO_FLAG,
      questions: questions.map((qs) => ({
        ...qs, label: qs.number === null ? `${qs.questionId} (no longer in the quiz)` : `${qs.number}. ${qs.questionId}`,
        facility: f(qs.facility), sd: f(qs.sd), discrimination: f(qs.discrimination), efficiency: f(qs.efficiency),
        choices: qs.choices.map((c) => ({ ...c, percent: Math.round(c.share * 100) })),
        variants: qs.variants.map((v) => ({ ...v, facility: f(v.facility) })),
      })),
      flagged: questions.filter((qs) => qs.flagged).length,
    });
  });

  router.get("/grading", requireStaff, async (req, res) => {
    const course = res.locals.course!;
    const [a, requests] = await Promise.all([dashboard.attention(course.id), deps.reviews.queue(course.id)]);
    const base = courseBase(req);
    const sub = (x: { id: string; caseStudy: { slug: string } }) => `${base}/case-studies/${x.caseStudy.slug}/submissions/${x.id}`;
    const { caseStudy: cs } = await dashboard.focus(course.id);
    const requestView = (r: (typeof requests.open)[number]) => ({
      ...r,
      href: r.attempt ? `${base}/quizzes/${r.attempt.quiz.slug}/attempts/${r.attempt.id}` : r.submission ? sub({ id: r.submission.id, caseStudy: r.submission.caseStudy }) : null,
      what: r.attempt ? `${r.attempt.quiz.title}, attempt ${r.attempt.number} of ${r.attempt.user.name}` : r.submission ? `${r.submission.caseStudy.title}: ${r.submission.team.name} #${r.submission.number}` : "",
    });
    res.render("grading", {
      title: `Grading — ${course.title}`, course, base, isStaff: true,
      failed: a.failed.map((x) => ({ ...x, href: sub(x) })), stuck: a.stuck.map((x) => ({ ...x, href: sub(x) })),
      overrides: a.overrides.map((o) => ({ ...o, href: sub(o.submission), cleared: o.points === null, scored: o.submission.results[0]?.privatePoints ?? null, hasScored: !!o.submission.results[0] })),
      lmsFailing: a.lmsFailing.map((x) => ({ ...x, what: x.lineItem.quiz?.title ?? x.lineItem.caseStudy?.title, valueLabel: x.lineItem.caseStudy ? `${x.percent} of ${settingsOf(x.lineItem.caseStudy).points.max} points` : `${x.percent.toFixed(1)}%` })),
      openRequests: requests.open.map(requestView), answeredRequests: requests.answered.map(requestView),
      autoSubmitted: a.autoSubmitted.map((x) => ({ ...x, href: `${base}/quizzes/${x.quiz.slug}/attempts/${x.id}` })),
      caseStudy: cs && { href: `${base}/case-studies/${cs.slug}/submissions`, privateShown: privateVisible(cs, submissions.now()) },
    });
  });

  // Roster management (instructors).
  const csvUpload = multer({ storage: multer.memoryStorage(), limits: { fileSize: 2 * 1024 * 1024, files: 1 } }).single("file");
  router.get("/people/import", requireInstructor, (req, res) => {
    res.render("people-import", { title: "Import students and teams", course: res.locals.course, base: courseBase(req), isStaff: true });
  });
  router.post("/people/import", requireInstructor, (req, res, next) => csvUpload(req, res, (err: unknown) => (err ? next(new BadRequest("The file could not be read (at most 2 MB of CSV).")) : next())), csrfProtection, async (req, res) => {
    const course = res.locals.course!;
    const body = req.body as { csv?: string; apply?: string };
    const text = req.file ? req.file.buffer.toString("utf8") : (body.csv ?? "");
    if (!text.trim()) throw new BadRequest("Paste CSV text or choose a CSV file.");
    const parsed = parseRosterCsv(text);
    const preview = await roster.preview(course.id, parsed);
    if (body.apply === "1" && !preview.errors) {
      await importResult(req, res, await roster.apply(course.id, preview), "Import done");
      return;
    }
    res.render("people-import", { title: "Check the import", course, base: courseBase(req), isStaff: true, preview, csv: text });
  });
  router.post("/people/add", csrfProtection, requireInstructor, async (req, res) => {
    const course = res.locals.course!;
    // One person is a one-row import: the same checks and the same code path.
    const body = req.body as Record<string, unknown>;
    const parsed = parseRosterCsv(`email,name,role,team\n${csvRow([body.email, body.name, body.role, body.team])}`);
    const preview = await roster.preview(course.id, parsed);
    if (preview.errors) throw new BadRequest(preview.rows[0]!.errors.join(" "));
    const result = await roster.apply(course.id, preview);
    if (result.newAccounts.length) return importResult(req, res, result, `Added ${preview.rows[0]!.email}`);
    flash(req, "success", `Updated ${preview.rows[0]!.email}.`);
    await saveSession(req);
    res.redirect(303, `${courseBase(req)}/people`);
  });
  router.post("/people/:userId/password-link", csrfProtection, requireInstructor, async (req, res) => {
    const course = res.locals.course!;
    const link = await auth.createPasswordLink(res.locals.user!, course.id, String(req.params.userId));
    res.render("password-link-made", { title: `Password link for ${link.name}`, course, base: courseBase(req), isStaff: true, link: { ...link, url: linkUrl(req, link.token) } });
  });
  router.post("/people/:userId/role", csrfProtection, requireInstructor, async (req, res) => {
    const role = z.enum(["STUDENT", "INSTRUCTOR", "GRADER"]).safeParse(req.body.role);
    if (!role.success) throw new BadRequest("Pick a role: student, instructor or grader.");
    await roster.setRole(res.locals.course!.id, String(req.params.userId), role.data, res.locals.user!.id);
    flash(req, "success", "Role changed.");
    await saveSession(req);
    res.redirect(303, `${courseBase(req)}/people`);
  });
  // Removing someone asks first (a page, no script needed); only its Confirm button (confirm=1)
  // removes. The result page offers Undo for UNDO_MINUTES, from what this session removed.
  async function renderRemoval(req: Request, res: Response) {
    const course = res.locals.course!;
    const r = await roster.removal(course.id, String(req.params.userId), res.locals.user!.id);
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
    const course = res.locals.course!;
    const r = await roster.remove(course.id, String(req.params.userId), res.locals.user!.id);
    const token = crypto.randomBytes(12).toString("base64url");
    const now = submissions.now().getTime();
    // Kept in this session only (so only the instructor who removed them can undo), for a few minutes.
    req.session.removedPeople = [...(req.session.removedPeople ?? []).filter((x) => x.at > now - UNDO_MINUTES * 60_000), { token, courseId: course.id, at: now, userId: r.userId, name: r.name, role: r.role, team: r.team }];
    await saveSession(req);
    res.redirect(303, `${courseBase(req)}/people/removed/${token}`);
  });
  /** A removal of this session's, still undoable (same course, within UNDO_MINUTES), or null. */
  const undoable = (req: Request, res: Response) => {
    const x = (req.session.removedPeople ?? []).find((r) => r.token === String(req.params.token) && r.courseId === res.locals.course!.id);
    return x && x.at > submissions.now().getTime() - UNDO_MINUTES * 60_000 ? x : null;
  };
  router.get("/people/removed/:token", requireInstructor, (req, res) => {
    const course = res.locals.course!;
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
    await roster.restore(res.locals.course!.id, r);
    req.session.removedPeople = (req.session.removedPeople ?? []).filter((x) => x.token !== r.token);
    flash(req, "success", `${r.name} is back in the course as ${r.role === CourseRole.STUDENT ? `a student${r.team ? ` in team ${r.team.name}` : ""}` : `a ${ROLE_WORD[r.role]}`}.`);
    await saveSession(req);
    res.redirect(303, `${courseBase(req)}/people`);
  });

  return router;
}
