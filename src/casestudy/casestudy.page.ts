// The case study's page for a team (upload form, the team's submissions, the downloads) or for
// staff. Shown by its GET route, and again by the upload route when an upload sent without the
// page's script is refused: then with the status of the refusal and its message above the form.
import type { Request, Response } from "express";
import { describeRule } from "../grading/metrics.js";
import { CourseRole, SubmissionStatus } from "../platform/db/prisma.js";
import { pageContext } from "../platform/page-context.js";
import { dataPaths, dataReady } from "./casestudy.data.js";
import { caseStudyBase as base, STATUS_LABEL } from "./casestudy.loaders.js";
import { countedSubmissions, privateVisible, settingsOf, submissionPoints, type SubmissionsService } from "./submissions.service.js";

export function caseStudyPage({ submissions, dataDir }: { submissions: SubmissionsService; dataDir: string }) {
  return async function render(req: Request, res: Response, { refusal = null }: { refusal?: string | null } = {}) {
    const { course, caseStudy: cs } = pageContext(res, "course", "caseStudy");
    const myTeam = res.locals.myTeam ?? null;
    const s = settingsOf(cs);
    const isStudent = course.role === CourseRole.STUDENT;
    const paths = dataPaths(s, dataDir);
    const limits = myTeam ? await submissions.limits(cs, myTeam.id, course.timeZone) : null;
    const policy = submissions.failurePolicy();
    const subs = myTeam ? await submissions.teamSubmissions(cs.id, myTeam.id) : [];
    const showPrivate = privateVisible(cs, submissions.now());
    const counted = countedSubmissions(subs);
    const teamShown = showPrivate ? counted.private : counted.public;
    res.render("case-study", {
      title: cs.title, course, cs, base: base(req, cs), isStudent, isStaff: !isStudent, team: myTeam, limits, settings: s, policy,
      blocked: limits && (limits.blocked ?? limits.failuresBlocked),
      rule: describeRule(s.points), dataReady: dataReady(paths), hasTrain: !!paths.train, hasMini: !!paths.mini,
      brief: s.brief ? `/courses/${course.slug}/modules/${cs.slug}/readings/${s.brief}` : null,
      teamPoints: teamShown && { points: teamShown.points, max: s.points.max, number: teamShown.submission.number, overridden: teamShown.overridden },
      submissions: subs.map((x) => {
        const p = submissionPoints(x);
        return {
          ...x, statusLabel: x.refused ? "Refused" : STATUS_LABEL[x.status], href: `${base(req, cs)}/submissions/${x.id}`,
          publicScore: x.results[0]?.publicScore.toFixed(4), privateScore: showPrivate ? x.results[0]?.privateScore.toFixed(4) : null,
          points: p && (showPrivate ? p.private : p.public), overridden: p?.overridden, counts: x.id === teamShown?.submission.id,
          isScored: !!p, isFailed: x.status === SubmissionStatus.FAILED,
        };
      }),
      refusal, showPrivate, maxMb: s.limits.maxUploadMb, scripts: ["/assets/js/case-study.js"],
    });
  };
}
