// The case study's own pages: its page for a team (with the downloads), the leaderboard, and for
// staff every submission, rescoring everything, revealing private scores and the grades export.
// One submission's pages and the upload are in submissions.routes.ts.
import { Router, type Request, type Response } from "express";
import fs from "node:fs";
import path from "node:path";
import type PgBoss from "pg-boss";
import yazl from "yazl";
import { z } from "zod";
import { requireCourseRole, requireStaff } from "../courses/courses.loaders.js";
import type { CoursesService } from "../courses/courses.service.js";
import { HoldoutRefused } from "../grading/errors.js";
import { readHoldout } from "../grading/holdout.js";
import { describeRule } from "../grading/metrics.js";
import { CourseRole, SubmissionStatus } from "../platform/db/prisma.js";
import { HttpError, NotFound } from "../platform/errors.js";
import { csrfProtection, flash, parseForm, saveSession, sendStoredFile } from "../platform/http.js";
import { spreadsheetCsv, spreadsheetRow } from "../platform/text.js";
import { dataPaths, dataReady } from "./casestudy.data.js";
import { caseStudyBase as base, caseStudyLoaders, STATUS_LABEL } from "./casestudy.loaders.js";
import { enqueuer, runningQueue } from "./queue.js";
import { privateVisible, settingsOf, submissionPoints, type SubmissionsService } from "./submissions.service.js";
import { pageContext } from "../platform/page-context.js";
import { caseStudyPage } from "./casestudy.page.js";

/** The "rescore everything" confirmation: sent with the count it showed, so a changed count is shown again. */
const RescoreAllBody = z.object({ confirm: z.literal("1").optional(), shown: z.string().max(100).optional() });

/** The leaderboard's reveal button: 1 shows private scores to everyone now, 0 hides them again until the deadline. */
const RevealBody = z.object({ reveal: z.enum(["0", "1"], { error: "This form was not understood. Go back to the leaderboard and use its button again." }) });

/** Pages under /courses/:courseSlug/case-studies/:caseSlug (course already loaded and authorised). */
export function caseStudyRoutes({ submissions, courses, boss, dataDir }: { submissions: SubmissionsService; courses: CoursesService; boss: () => PgBoss | null; dataDir: string }) {
  const router = Router({ mergeParams: true });
  const { loadCaseStudy } = caseStudyLoaders({ submissions, courses });
  const enqueue = enqueuer(boss);

  const renderPage = caseStudyPage({ submissions, dataDir });
  router.get("/case-studies/:caseSlug", loadCaseStudy, (req, res) => renderPage(req, res));

  // Downloads for students: the training set, the mini holdout and the holdout's images without
  // their answers (zipped on the fly), the class map.
  router.get("/case-studies/:caseSlug/downloads/:what", loadCaseStudy, async (req, res, next) => {
    const { caseStudy: cs } = pageContext(res, "caseStudy");
    const paths = dataPaths(settingsOf(cs), dataDir);
    if (!dataReady(paths)) throw new HttpError(503, "The case-study data is still being prepared. Try again in a minute.", "data_not_ready");
    const what = String(req.params.what);
    const folder = what === "train.zip" ? paths.train : what === "mini-holdout.zip" ? paths.mini : null;
    if (what === "classes.csv") return sendStoredFile(res, next, path.join(paths.holdout, "classes.csv"), { downloadName: "classes.csv" });
    const zip = new yazl.ZipFile();
    const root = what.replace(".zip", "");
    const compress = (name: string) => !/\.(png|jpe?g)$/i.test(name);
    if (what === "holdout-images.zip") {
      // The holdout's images without their answers, for a predictions CSV: renamed by their row
      // (00001.png is row 1), so neither a name nor a sub-folder in the instructor's labels.csv
      // tells a class, and images.csv lists them in the order the predictions follow.
      let holdout: ReturnType<typeof readHoldout>;
      try {
        holdout = readHoldout(paths.holdout);
      } catch (err) {
        if (!(err instanceof HoldoutRefused)) throw err;
        throw new HttpError(503, "The holdout's images cannot be listed now: its folder on the server has a problem. Tell your course staff; they see it when they score a submission.", "holdout_refused");
      }
      const { dir, files } = holdout;
      const width = Math.max(5, String(files.length).length);
      const names = files.map((f, i) => `${String(i + 1).padStart(width, "0")}${path.extname(f).toLowerCase()}`);
      zip.addBuffer(Buffer.from(`filename\n${names.join("\n")}\n`), `${root}/images.csv`);
      files.forEach((f, i) => zip.addFile(path.join(dir, f), `${root}/${names[i]}`, { compress: false }));
    } else {
      if (!folder || !fs.existsSync(folder)) throw new NotFound("There is no such download for this case study.");
      const walk = (dir: string, rel: string) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
          if (e.isDirectory()) walk(path.join(dir, e.name), `${rel}${e.name}/`);
          else zip.addFile(path.join(dir, e.name), `${root}/${rel}${e.name}`, { compress: compress(e.name) });
        }
      };
      walk(folder, "");
    }
    zip.end();
    res.setHeader("Content-Type", "application/zip");
    res.setHeader("Content-Disposition", `attachment; filename="${what}"`);
    zip.outputStream.pipe(res);
  });

  router.get("/case-studies/:caseSlug/leaderboard", loadCaseStudy, async (req, res) => {
    const { course, caseStudy: cs } = pageContext(res, "course", "caseStudy");
    const myTeam = res.locals.myTeam ?? null;
    const showPrivate = privateVisible(cs, submissions.now());
    const rows = await submissions.leaderboard(cs, showPrivate);
    res.render("leaderboard", {
      title: `Leaderboard — ${cs.title}`, course, cs, base: base(req, cs), showPrivate, isStaff: course.role !== CourseRole.STUDENT,
      isInstructor: course.role === CourseRole.INSTRUCTOR, revealed: cs.revealedAt !== null, beforeDeadline: submissions.now() < cs.deadlineAt,
      rows: rows.map((r) => ({ ...r, mine: r.teamId === myTeam?.id, publicScore: r.publicScore?.toFixed(4), privateScore: r.privateScore?.toFixed(4) })),
    });
  });

  // Staff: all submissions, download, override, rescore, reveal, export.
  router.get("/case-studies/:caseSlug/submissions", loadCaseStudy, requireStaff, async (req, res) => {
    const { course, caseStudy: cs } = pageContext(res, "course", "caseStudy");
    const status = [...Object.values(SubmissionStatus), "REFUSED" as const].find((x) => x === req.query.status);
    const teams = await courses.roster(course.id);
    const teamId = teams.teams.find((t) => t.id === req.query.team)?.id;
    const { rows: list, total } = await submissions.allSubmissions(cs, { status, teamId });
    res.render("case-study-staff", {
      title: `Submissions — ${cs.title}`, course, cs, base: base(req, cs), isStaff: true, status, teamId,
      shownOf: total > list.length ? { shown: list.length, total } : null,
      statuses: [...Object.values(SubmissionStatus).map((x) => ({ value: x, label: STATUS_LABEL[x] })), { value: "REFUSED", label: "Refused" }].map((x) => ({ ...x, selected: x.value === status })),
      teams: teams.teams.map((t) => ({ ...t, selected: t.id === teamId })),
      rows: list.map((x) => ({
        ...x, statusLabel: x.refused ? "Refused" : STATUS_LABEL[x.status], href: `${base(req, cs)}/submissions/${x.id}`,
        publicScore: x.results[0]?.publicScore.toFixed(4), privateScore: x.results[0]?.privateScore.toFixed(4), points: submissionPoints(x)?.private, overridden: submissionPoints(x)?.overridden,
      })),
    });
  });

  /** "Rescore everything" asks first, saying what will be rescored and what happens to points. */
  async function renderRescoreConfirmation(req: Request, res: Response, changed: boolean) {
    const { course, caseStudy: cs } = pageContext(res, "course", "caseStudy");
    const plan = await submissions.rescorePlan(cs);
    const n = plan.ids.length;
    const subs = (k: number) => `${k} submission${k === 1 ? "" : "s"}`;
    const under = `under holdout version ${plan.holdoutVersion} and the rule “${describeRule(plan.rule)}”`;
    res.render("confirm", {
      title: `Rescore — ${cs.title}`, course, isStaff: true,
      breadcrumb: [{ href: `/courses/${course.slug}`, label: course.title }, { href: base(req, cs), label: cs.title }, { href: `${base(req, cs)}/submissions`, label: "All submissions" }],
      heading: n ? `Rescore ${subs(n)} of ${plan.teams} team${plan.teams === 1 ? "" : "s"}?` : "Nothing to rescore",
      changed: changed ? "The number of submissions to rescore changed since you opened this page. Here is what would happen now." : null,
      lines: n
        ? [
          `${subs(n)} of ${plan.teams} team${plan.teams === 1 ? "" : "s"} have no result ${under}. They go back to the grading queue and are scored again.`,
          plan.scored
            ? `${plan.scored} of them ${plan.scored === 1 ? "is" : "are"} scored now: their current points change when the new results arrive (until then they keep counting), and may change the teams' grades, the leaderboard and what is sent to the LMS.`
            : "None of them has points now: the teams' points can only be added to when the results arrive.",
          "Results so far and the submitted files are kept; points set by staff (overrides) still apply.",
        ]
        : [`Every submission whose file is kept already has a result ${under}. To score one submission again anyway, use “Rescore this submission” on its page.`],
      action: n ? `${base(req, cs)}/rescore` : null, hidden: [{ name: "shown", value: String(n) }], confirmLabel: `Rescore ${subs(n)}`,
      cancelHref: `${base(req, cs)}/submissions`, cancelLabel: n ? "Cancel: rescore nothing" : "Back to all submissions",
    });
  }

  router.get("/case-studies/:caseSlug/rescore", loadCaseStudy, requireStaff, (req, res) => renderRescoreConfirmation(req, res, false));

  // Acts only when confirmed on the page above, for the count it showed; otherwise shows that page.
  router.post("/case-studies/:caseSlug/rescore", csrfProtection, loadCaseStudy, requireStaff, async (req, res) => {
    const { caseStudy: cs } = pageContext(res, "caseStudy");
    const { confirm, shown } = parseForm(RescoreAllBody, req.body);
    if (confirm !== "1") return renderRescoreConfirmation(req, res, false);
    if (shown !== String((await submissions.rescorePlan(cs)).ids.length)) return renderRescoreConfirmation(req, res, true);
    runningQueue(boss, "Nothing was rescored.");
    const ids = await submissions.rescore(cs);
    await enqueue(ids);
    flash(req, "success", ids.length ? `${ids.length} submission${ids.length === 1 ? "" : "s"} queued for rescoring. Their current points count until their new results arrive.` : "Nothing to rescore: every submission already has a result for the current holdout and rule.");
    await saveSession(req);
    res.redirect(303, `${base(req, cs)}/submissions`);
  });

  router.post("/case-studies/:caseSlug/reveal", csrfProtection, loadCaseStudy, requireCourseRole(CourseRole.INSTRUCTOR), async (req, res) => {
    const { caseStudy: cs } = pageContext(res, "caseStudy");
    const reveal = parseForm(RevealBody, req.body).reveal === "1";
    await submissions.reveal(cs, reveal);
    flash(req, "success", reveal ? "Private scores are now shown to everyone." : "Private scores are hidden again until the deadline.");
    await saveSession(req);
    res.redirect(303, `${base(req, cs)}/leaderboard`);
  });

  router.get("/case-studies/:caseSlug/grades.csv", loadCaseStudy, requireStaff, async (req, res) => {
    const { course, caseStudy: cs } = pageContext(res, "course", "caseStudy");
    const teams = new Map((await submissions.standings(cs)).map((x) => [x.team, x]));
    const roster = await courses.roster(course.id);
    const lines = [["email", "name", "team", "points", "private_score", "public_score", "submissions", "overridden"].join(",")];
    for (const m of roster.members.filter((x) => x.role === CourseRole.STUDENT)) {
      const r = m.team === null ? undefined : teams.get(m.team);
      const grade = r?.counted.private;
      lines.push(spreadsheetRow([m.email, m.name, m.team, grade?.points ?? "", grade?.score ?? "", r?.counted.public?.score ?? "", r?.submissions ?? 0, grade?.overridden ? "yes" : ""]));
    }
    res.setHeader("Content-Type", "text/csv; charset=utf-8");
    res.setHeader("Content-Disposition", `attachment; filename="${cs.slug}-case-study-grades.csv"`);
    res.send(spreadsheetCsv(lines));
  });

  return router;
}
