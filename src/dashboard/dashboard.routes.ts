import { Router, type Request } from "express";
import { DateTime } from "luxon";
import { z } from "zod";
import { requireCourseRole, requireStaff } from "../courses/courses.loaders.js";
import type { CoursesService } from "../courses/courses.service.js";
import { CourseRole } from "../platform/db/prisma.js";
import type { QuizService } from "../quiz/quiz.service.js";
import type { ReadingsService } from "../readings/readings.service.js";
import { privateVisible, settingsOf, type SubmissionsService } from "../casestudy/submissions.service.js";
import { ROSTER_FILTERS, ROSTER_SORTS, type DashboardService, type RosterFilter, type RosterRow, type RosterSort } from "./dashboard.service.js";
import type { ReviewsService } from "../reviews/reviews.service.js";
import { barChart, lineChart } from "../platform/charts.js";
import { quizHistogram } from "../quiz/quiz.stats.routes.js";
import { averageMinutes } from "../quiz/quiz.present.js";
import { spreadsheetCsv, spreadsheetRow } from "../platform/text.js";
import { pageContext } from "../platform/page-context.js";

const requireInstructor = requireCourseRole(CourseRole.INSTRUCTOR);
const pct = (done: number, total: number) => (total ? Math.round((done / total) * 100) : 100);

const RosterParams = z.object({
  sort: z.enum(Object.keys(ROSTER_SORTS) as [RosterSort, ...RosterSort[]]).catch("name"),
  dir: z.enum(["asc", "desc"]).catch("asc"),
  // Own keys only: `f in` would take "constructor" (from Object.prototype) for a filter.
  filter: z.union([z.string(), z.array(z.string())]).optional().transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).filter((f): f is RosterFilter => Object.hasOwn(ROSTER_FILTERS, f))),
  q: z.string().max(200).optional().catch(undefined),
  page: z.coerce.number().int().min(1).catch(1),
});

export function dashboardRoutes(deps: { dashboard: DashboardService; courses: CoursesService; quizzes: QuizService; submissions: SubmissionsService; readings: ReadingsService; reviews: ReviewsService }) {
  const { dashboard, quizzes, submissions, readings } = deps;
  const router = Router({ mergeParams: true });
  const courseBase = (req: Request) => `/courses/${String(req.params.courseSlug)}`;

  function rowView(r: RosterRow, base: string) {
    return {
      ...r, href: `${base}/students/${r.id}`,
      theoryPct: pct(r.theoryDone, r.theoryTotal), practicalPct: pct(r.practicalDone, r.practicalTotal),
      quiz: r.quizPercent === null ? null : `${Math.round(r.quizPercent * 10) / 10}%`,
      caseBest: r.caseBest === null ? null : r.caseBest.toFixed(3),
    };
  }

  router.get("/dashboard", requireInstructor, async (req, res) => {
    const { course } = pageContext(res, "course");
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
      // The whole week on the axis, figures only for the days begun so far (today's as it stands): a day to come
      // drawn with today's count would read as the week's outcome. Before the week, its first day shows what is done already.
      const now = submissions.now();
      const begun = days.filter((d, i) => i === 0 || d.toJSDate() <= now);
      const c = await dashboard.completionOverTime(course.id, begun.map((d) => d.endOf("day").toJSDate()));
      const toPoints = (ys: number[]) => ys.map((y, i) => ({ x: i, y: c.students ? y / c.students : 0 }));
      const soFar = days[0]!.toJSDate() > now ? ` so far (the week begins ${days[0]!.toFormat("ccc d")})`
        : begun.length < days.length ? ` so far (to ${begun.at(-1)!.toFormat("ccc d")})` : "";
      completionSvg = await lineChart([{ label: "Theory done", points: toPoints(c.theory) }, { label: "Practical done", points: toPoints(c.practical) }], {
        xLabels: days.map((d) => d.toFormat("ccc d")), xTitle: "Day (end of)", yTitle: `Students done (of ${c.students})`, y: "percent",
        description: `Students, of ${c.students}, who had finished Theory and Practical by the end of each day${soFar}: Theory ${c.theory.join(", ")}; Practical ${c.practical.join(", ")}.`,
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
      quiz, caseStudy, stats: stats && { ...stats, mean: stats.mean?.toFixed(1), median: stats.median?.toFixed(1), minutes: averageMinutes(stats.averageSeconds) },
      completionSvg, quizSvg, caseSvg, caseOverTimeSvg,
    });
  });

  router.get("/dashboard/gradebook.csv", requireInstructor, async (req, res) => {
    const { course } = pageContext(res, "course");
    const { quiz, caseStudy } = await dashboard.focus(course.id);
    const { rows } = await dashboard.roster(course.id, { quizId: quiz?.id ?? null, caseStudyId: caseStudy?.id ?? null }, { perPage: "all" });
    const points = new Map((caseStudy ? await submissions.standings(caseStudy) : []).map((x) => [x.teamId, x.counted.private?.points]));
    const lines = [["email", "name", "team", "theory_percent", "practical_percent", "readings_percent", "quiz_percent", "quiz_passed", "quiz_attempts", "case_study_points", "case_study_submissions"].join(",")];
    for (const r of rows) {
      lines.push(spreadsheetRow([r.email, r.name, r.team, pct(r.theoryDone, r.theoryTotal), pct(r.practicalDone, r.practicalTotal), pct(r.theoryDone + r.practicalDone, r.theoryTotal + r.practicalTotal),
        r.quizPercent === null ? "" : Math.round(r.quizPercent * 100) / 100, r.quizPassed === null ? "" : r.quizPassed ? "yes" : "no", r.quizAttempts,
        r.teamId ? (points.get(r.teamId) ?? "") : "", r.caseSubmissions]));
    }
    res.setHeader("Content-Type", "text/csv; charset=utf-8");
    res.setHeader("Content-Disposition", `attachment; filename="${course.slug}-gradebook.csv"`);
    res.send(spreadsheetCsv(lines));
  });

  router.get("/grading", requireStaff, async (req, res) => {
    const { course } = pageContext(res, "course");
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

  return router;
}
