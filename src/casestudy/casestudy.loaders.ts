// Loaders of the case-study pages: the case study named in the URL (with the caller's team),
// and a submission only its team and course staff may see. They type res.locals for the routes after them.
import type { Request, RequestHandler, Response } from "express";
import type { CoursesService } from "../courses/courses.service.js";
import { CourseRole, type SubmissionStatus } from "../platform/db/prisma.js";
import { Forbidden, NotFound } from "../platform/errors.js";
import { pageContext } from "../platform/page-context.js";
import { isUuid } from "../platform/text.js";
import type { CaseStudyRow, SubmissionsService } from "./submissions.service.js";

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      caseStudy?: CaseStudyRow;
      submission?: NonNullable<Awaited<ReturnType<SubmissionsService["submission"]>>>;
      submissionStatus?: NonNullable<Awaited<ReturnType<SubmissionsService["submissionStatus"]>>>;
      myTeam?: { id: string; name: string } | null;
      /** The upload's place in its team's budget of failed or refused uploads (reserveUpload). */
      uploadSlot?: string;
    }
  }
}

export const STATUS_LABEL: Record<SubmissionStatus, string> = { QUEUED: "Queued", RUNNING: "Running", SCORED: "Scored", FAILED: "Failed" };

/** The case study's pages start here. */
export const caseStudyBase = (req: Request, cs: CaseStudyRow) => `/courses/${String(req.params.courseSlug)}/case-studies/${cs.slug}`;

export function caseStudyLoaders({ submissions, courses }: { submissions: SubmissionsService; courses: CoursesService }) {
  const loadCaseStudy: RequestHandler = async (req, res, next) => {
    const { course, user } = pageContext(res, "course", "user");
    const cs = await submissions.caseStudy(course.id, String(req.params.caseSlug));
    if (!cs) throw new NotFound("There is no such case study in this course.");
    res.locals.caseStudy = cs;
    res.locals.myTeam = course.role === CourseRole.STUDENT ? await courses.teamRefOf(course.id, user.id) : null;
    next();
  };

  /** A submission of the loaded case study: its team's members and course staff may see it; nobody else. */
  async function authorisedSubmission<S extends { caseStudyId: string; teamId: string }>(req: Request, res: Response, fetch: (id: string) => Promise<S | null>): Promise<S> {
    const { course, caseStudy } = pageContext(res, "course", "caseStudy");
    const id = String(req.params.submissionId);
    const sub = isUuid(id) ? await fetch(id) : null;
    if (!sub || sub.caseStudyId !== caseStudy.id) throw new NotFound("There is no such submission.");
    if (course.role === CourseRole.STUDENT && sub.teamId !== res.locals.myTeam?.id) throw new Forbidden("This submission belongs to another team.");
    return sub;
  }
  const loadSubmission: RequestHandler = async (req, res, next) => {
    res.locals.submission = await authorisedSubmission(req, res, (id) => submissions.submission(id));
    next();
  };
  /** The same check for the status poll (every second while scoring), reading only what it answers with. */
  const loadSubmissionStatus: RequestHandler = async (req, res, next) => {
    res.locals.submissionStatus = await authorisedSubmission(req, res, (id) => submissions.submissionStatus(id));
    next();
  };


  return { loadCaseStudy, loadSubmission, loadSubmissionStatus };
}
