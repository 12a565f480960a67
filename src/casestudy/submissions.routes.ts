import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from "express";
import multer from "multer";
import fs from "node:fs";
import path from "node:path";
import type PgBoss from "pg-boss";
import { DateTime } from "luxon";
import { z } from "zod";
import { dataPaths, dataReady } from "./casestudy.data.js";
import { requireCourseRole, requireStaff } from "../courses/courses.loaders.js";
import type { CoursesService } from "../courses/courses.service.js";
import { readHoldout } from "../grading/holdout.js";
import { ModelRefused } from "../grading/errors.js";
import { sniff } from "../grading/sniff.js";
import { predictionsCaps, readPredictionsInChild } from "../grading/predictions.js";
import { inspectModel } from "../grading/score.js";
import { CourseRole, SubmissionStatus } from "../platform/db/prisma.js";
import { BadRequest, Forbidden, HttpError, NotFound } from "../platform/errors.js";
import { wantsJson } from "../platform/errors.middleware.js";
import { readForm, type FormState } from "../platform/forms.js";
import { csrfProtection, flash, parseForm, saveSession, sendStoredFile } from "../platform/http.js";
import { pageContext } from "../platform/page-context.js";
import { confusionHeatmap, scoreBars } from "../platform/charts.js";
import { enqueuer, runningQueue } from "./queue.js";
import { readResultDetails } from "./scoring.result.js";
import { caseStudyBase as base, caseStudyLoaders, STATUS_LABEL } from "./casestudy.loaders.js";
import { caseStudyPage } from "./casestudy.page.js";
import { privateVisible, settingsOf, type Counted, type OverridePreview, type RuleSubmission, type SubmissionsService } from "./submissions.service.js";
import { viewHelpers } from "../platform/views.js";
import { askForReview, reviewsView } from "../reviews/reviews.routes.js";
import type { ReviewsService } from "../reviews/reviews.service.js";

/** The override form, for a case study whose points go from 0 to `max`. */
const overrideBody = (max: number) => z.object({
  // A decimal comma ("72,5") is read as a quiz mark's is.
  points: z.string().default("").transform((v) => v.trim())
    .refine((v) => /^$|^\d+([.,]\d+)?$/.test(v), `Points must be a number from 0 to ${max}, such as 80 or 72.5 (or leave it empty to clear the override).`)
    .transform((v) => (v === "" ? null : Number(v.replace(",", "."))))
    .refine((v) => v === null || v <= max, `Points can be at most ${max}, this case study's maximum.`),
  reason: z.string({ error: "Give a reason: it is kept in the audit trail." }).trim()
    .min(5, "Give a reason of at least a few words (5 characters or more): it is kept in the audit trail.")
    .max(1000, "Keep the reason under 1,000 characters."),
  /** Sent by the preview's save button, with the preview's key: saving checks the preview still holds. */
  confirm: z.literal("1").optional(),
  shown: z.string().max(200).optional(),
});

/** The final-choice button: 1 marks the submission final, 0 unmarks it. */
const FinalBody = z.object({ final: z.enum(["0", "1"], { error: "This form was not understood. Go back to the submission and use its button again." }) });

type Counts = Counted<RuleSubmission> | null;
type LoadedSubmission = NonNullable<Express.Locals["submission"]>;

/** What a submission's page says when its result's stored details cannot be shown, and what would store them again. */
function detailsProblem(sub: Pick<LoadedSubmission, "fileRemovedAt">, isStudent: boolean): string {
  const what = "This result's details (accuracy, the model's summary, the scores per class and the images it got wrong) were stored by an older version of this site and cannot be shown. The scores and points above are not affected.";
  if (sub.fileRemovedAt) return `${what} The file was not kept, so the submission cannot be rescored to store them again.`;
  return isStudent
    ? `${what} To see them, ask the course staff to rescore this submission.`
    : `${what} To store them again, rescore this submission (Staff tools, above): the new result is shown here when it arrives.`;
}

/** The override preview as the submission page shows it: the team's points before → after, and why when surprising. */
function overridePreviewView(p: OverridePreview, input: { points: number | null; reason: string }, changed: boolean) {
  const pts = (c: Counts) => (c ? String(c.points) : "none");
  const from = (b: Counts, a: Counts) => {
    const n = (c: Counts) => (c ? `#${c.submission.number}` : "none");
    return n(b) === n(a) ? n(a) : `${n(b)} → ${n(a)}`;
  };
  const own = (x: OverridePreview["submission"]["before"]) => (!x ? "not scored" : x.public === x.private ? viewHelpers.plural(x.private, "point") : `public ${x.public}, private ${viewHelpers.plural(x.private, "point")}`);
  const n = p.submission.number;
  let note: string | null = null;
  if (!p.submission.after) note = `Submission #${n} is not scored, so its points do not count: only scored submissions have points.`;
  else if (p.after.private?.submission.number !== n) {
    note = p.finals.length && !p.submission.final
      ? `Submission #${n} is not one of the team's final submissions (${p.finals.map((f) => `#${f}`).join(", ")}), so it does not give the grade.`
      : `Submission #${p.after.private?.submission.number} gives the grade instead: it has more points (ties go to the higher score, then the earlier submission).`;
  }
  return {
    points: input.points === null ? "" : String(input.points), reason: input.reason, key: p.key, changed, note,
    saveLabel: input.points === null ? "Save: clear the override" : `Save: set ${input.points} points`,
    own: { before: own(p.submission.before), after: own(p.submission.after) },
    grade: { before: pts(p.before.private), after: pts(p.after.private), from: from(p.before.private, p.after.private) },
    public: { before: pts(p.before.public), after: pts(p.after.public), from: from(p.before.public, p.after.public) },
  };
}

/** Upload inspections run one at a time per web process (each loads a model in a child process). */
let inspectionQueue: Promise<unknown> = Promise.resolve();
function inspecting<T>(run: () => Promise<T>): Promise<T> {
  const next = inspectionQueue.then(run, run);
  inspectionQueue = next.catch(() => undefined);
  return next;
}

/** A holdout's class and image counts, read once per holdout folder and labels file (not for every upload). */
const holdoutCounts = new Map<string, { numClasses: number; rows: number }>();
function holdoutInfo(dir: string): { numClasses: number; rows: number } {
  const key = `${dir}:${fs.statSync(path.join(dir, "labels.csv")).mtimeMs}`;
  let n = holdoutCounts.get(key);
  if (n === undefined) {
    const h = readHoldout(dir);
    holdoutCounts.set(key, (n = { numClasses: h.numClasses, rows: h.files.length }));
  }
  return n;
}

/** Reads a request's body to its end without keeping any of it. */
function discardBody(req: Request, maxBytes = DISCARD_LIMIT_BYTES): Promise<void> {
  return new Promise((resolve) => {
    if (req.complete) return resolve();
    let seen = 0;
    // Read and dropped so the client gets the answer, not a broken connection — up to a bound: past it
    // the connection is closed rather than read for as long as a client cares to send.
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > maxBytes) {
        req.off("data", onData);
        req.socket.destroy();
        resolve();
      }
    };
    req.on("data", onData).once("end", resolve).once("close", resolve).once("error", () => resolve());
  });
}

/** How much of a refused request's body is read (and dropped) before its connection is closed. */
const DISCARD_LIMIT_BYTES = 8 * 1024 * 1024;

/** The name an upload is stored and shown under. */
const safeName = (original: string | undefined) => path.basename(original || "model").replace(/[^\w.-]+/g, "_").slice(-120) || "model";

/** What a refused upload's message adds: nothing kept, and where the team stands in its budget. */
const refusalNote = (r: { failedToday: number; failuresPerDay: number }) =>
  `Nothing of the file was kept. This counts as ${r.failedToday} of the ${r.failuresPerDay} failed or refused uploads your team may have today.`;

export function submissionsRoutes({ submissions, courses, reviews, boss, dataDir }: { submissions: SubmissionsService; courses: CoursesService; reviews: ReviewsService; boss: () => PgBoss | null; dataDir: string }) {
  const router = Router({ mergeParams: true });
  const { loadCaseStudy, loadSubmission, loadSubmissionStatus } = caseStudyLoaders({ submissions, courses });
  const enqueue = enqueuer(boss);

  /**
   * A result as its page shows it: the scores and points from the row, and the run's details
   * (accuracy, the model, the charts, the images it got wrong) when they fit their schema; a row
   * that does not fit says so instead, and what would store them again.
   */
  async function resultView(req: Request, sub: LoadedSubmission, subHref: string, { showPrivate, isStudent }: { showPrivate: boolean; isStudent: boolean }) {
    const r = sub.results[0];
    if (!r) return null;
    const scores = {
      publicScore: r.publicScore.toFixed(4), publicPoints: r.publicPoints,
      privateScore: showPrivate ? r.privateScore.toFixed(4) : null, privatePoints: showPrivate ? r.privatePoints : null,
      override: sub.overrides[0] ? { points: sub.overrides[0].points, cleared: sub.overrides[0].points === null, reason: sub.overrides[0].reason } : null,
      engine: r.engine, seconds: r.seconds?.toFixed(2), version: r.holdoutVersion,
    };
    const details = readResultDetails(r.details);
    if (!details) {
      req.log.warn({ submissionId: sub.id, resultId: r.id }, "a result's stored details do not fit their schema; the page shows its scores without them");
      return { ...scores, detailsProblem: detailsProblem(sub, isStudent) };
    }
    const pub = details.public;
    const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
    return {
      ...scores, accuracy: pct(pub.accuracy), macroF1: pub.macroF1.toFixed(4),
      n: pub.n, imagesPerSecond: pub.imagesPerSecond ? Math.round(pub.imagesPerSecond) : null,
      preprocessing: pub.preprocessing,
      model: pub.model && {
        ...pub.model, paramsLabel: pub.model.params?.toLocaleString("en") ?? "an unknown number of", mflops: pub.model.flopsPerImage ? (pub.model.flopsPerImage / 1e6).toFixed(1) : null,
        inputLabel: `(${pub.model.inputShape.map((d) => (typeof d === "number" && d > 0 ? d : "None")).join(", ")})`,
      },
      mostConfused: pub.mostConfused,
      misclassifiedOutputs: pub.misclassified.some((m) => m.confidence !== null),
      // The model's output for the class it chose, two decimals for every image (a logit can be 0 or above 1).
      misclassified: pub.misclassified.map((m, i) => ({ ...m, output: m.confidence === null ? null : m.confidence.toFixed(2), trueName: details.classNames[m.trueClass], predictedName: details.classNames[m.predicted], href: `${subHref}/misclassified/${i}` })),
      confusionSvg: await confusionHeatmap(pub.confusion, details.classNames, {
        description: `Confusion matrix of ${pub.confusion.length} classes: rows are the true classes, columns the predicted ones; ${pub.n ? `${(pub.accuracy * 100).toFixed(1)}% of the images are on the diagonal (predicted right)` : "no images"}.`,
      }),
      barsSvg: await scoreBars(pub.perClass.filter((c) => c.support > 0).map((c) => ({ label: `${c.classId} ${c.name}`, score: c.f1 })), {
        xTitle: "F1 score", bands: [{ min: 0.9, label: "F1 0.9 or more" }, { min: 0.7, label: "F1 0.7 to 0.9" }, { min: 0, label: "F1 below 0.7" }],
        description: `F1 score per class, from 0 to 1, for ${pub.perClass.filter((c) => c.support > 0).length} classes: ${pub.perClass.filter((c) => c.support > 0 && c.f1 >= 0.9).length} at 0.9 or more, ${pub.perClass.filter((c) => c.support > 0 && c.f1 < 0.7).length} below 0.7.`,
        table: {
          caption: "precision, recall, F1 and images per class",
          columns: ["Class", "Precision", "Recall", "F1", "Images"],
          rows: pub.perClass.map((c) => [`${c.classId} ${c.name}`, c.precision.toFixed(3), c.recall.toFixed(3), c.f1.toFixed(3), c.support]),
        },
      }),
      detailsProblem: null,
    };
  }

  // Upload: a place in the team's budget of failed or refused uploads is reserved before
  // the file is read (over a limit or the budget, nothing is stored); then multipart
  // (size-limited by the case study), checked at once, then queued — or refused, its file
  // deleted and the refusal recorded against the budget.
  const reserveUpload: RequestHandler = async (req, res, next) => {
    const { course, caseStudy: cs } = pageContext(res, "course", "caseStudy");
    const myTeam = res.locals.myTeam ?? null;
    let slot: string;
    try {
      if (!myTeam) throw new Forbidden("You are not in a team yet. Submissions are per team: ask your instructor to place you in one.");
      slot = await submissions.reserveUpload(cs, myTeam, course.timeZone);
    } catch (e) {
      // The body is read and discarded, never stored, so that the browser gets the answer rather than a broken connection.
      await discardBody(req);
      throw e;
    }
    res.locals.uploadSlot = slot;
    // Freed however the request ends (recording the upload or its refusal frees it before).
    res.once("close", () => void submissions.releaseUpload(slot).catch((err: unknown) => req.log.warn({ err }, "an upload's reservation could not be freed; it lapses by itself")));
    next();
  };

  /** Records a refusal (the file already deleted) and returns the error that tells the team. */
  async function refusal(req: Request, res: Response, upload: { filename: string; bytes: number }, status: number, code: string, message: string): Promise<HttpError> {
    const { course, caseStudy: cs, myTeam, user, uploadSlot } = pageContext(res, "course", "caseStudy", "myTeam", "user", "uploadSlot");
    const r = await submissions.refuse(cs, myTeam, user.id, uploadSlot, upload, { code, message }, course.timeZone);
    req.log.info({ submissionId: r.submission.id, code }, "upload refused");
    // `recorded`: the refusal is in the team's list and counts (case-study.js shows the page again, with them).
    return new HttpError(status, `${message} ${refusalNote(r)}`, code, { recorded: true, submission: r.submission.id });
  }

  const upload: RequestHandler = (req, res, next) => {
    const { caseStudy: cs } = pageContext(res, "caseStudy");
    const maxMb = settingsOf(cs).limits.maxUploadMb;
    // Inside DATA_DIR, so moving a finished upload into place is a rename on the same file system.
    const dir = path.join(dataDir, "uploads-tmp");
    fs.mkdirSync(dir, { recursive: true });
    const disk = multer.diskStorage({ destination: dir });
    let originalName: string | undefined;
    const storage: multer.StorageEngine = {
      _handleFile: (r, file, cb) => {
        originalName = file.originalname; // kept for a refusal over the size limit, when multer gives no file
        disk._handleFile(r, file, cb);
      },
      _removeFile: (r, file, cb) => disk._removeFile(r, file, cb),
    };
    multer({ storage, limits: { fileSize: maxMb * 1024 * 1024, files: 1, fields: 10 } }).single("model")(req, res, (err: unknown) => {
      if (!err) return next();
      const e = err as { code?: string; message?: string };
      if (e.code !== "LIMIT_FILE_SIZE") return next(new BadRequest(`The upload could not be read (${e.message}). Try again.`));
      // multer has deleted the part it stored. Recorded as a refusal only for the team's own form (its token came before the file).
      csrfProtection(req, res, (csrfErr?: unknown) => {
        if (csrfErr) return next(csrfErr);
        refusal(req, res, { filename: safeName(originalName), bytes: maxMb * 1024 * 1024 }, 413, "too_large", `The file is larger than ${maxMb} MB. Upload a smaller model (or predictions as a CSV).`).then(next, next);
      });
    });
  };

  // The form's token arrives inside the multipart body, so it is checked after the upload; a rejected upload is deleted.
  const csrfAfterUpload: RequestHandler = (req, res, next) =>
    csrfProtection(req, res, (err?: unknown) => {
      if (err && req.file) fs.rmSync(req.file.path, { force: true });
      next(err);
    });

  router.post("/case-studies/:caseSlug/submissions", loadCaseStudy, requireCourseRole(CourseRole.STUDENT), reserveUpload, upload, csrfAfterUpload, async (req, res) => {
    const { course, caseStudy: cs, myTeam, user, uploadSlot } = pageContext(res, "course", "caseStudy", "myTeam", "user", "uploadSlot");
    // The file has arrived: an upload received before the deadline counts, however long its check then waits.
    const receivedAt = submissions.now();
    const file = req.file;
    const discard = () => file && fs.rmSync(file.path, { force: true });
    const name = safeName(file?.originalname);
    /** Refuses the upload for what is in its file: deleted now, recorded with its name, size and reason. */
    const refuse = async (code: string, message: string): Promise<never> => {
      discard();
      throw await refusal(req, res, { filename: name, bytes: file?.size ?? 0 }, 400, code, message);
    };
    try {
      if (!file) throw new BadRequest("Choose a file to upload: a Keras .keras or .h5 file, a zipped TF.js model, an ONNX file or a predictions CSV.");
      if (file.size === 0) await refuse("empty", "The file is empty. Choose the model file again.");
      const kind = sniff(file.path, file.originalname);
      if (kind === "unknown") await refuse("unknown_format", "This is not a model the grader knows. Upload a Keras .keras or .h5 file, a TF.js model (model.json and .bin files, zipped), an ONNX file or a predictions CSV.");
      if (kind === "json") await refuse("model_json_alone", "This is a TF.js model.json on its own. Zip it together with its .bin weight files and upload the zip.");
      const paths = dataPaths(settingsOf(cs), dataDir);
      const holdout = dataReady(paths) ? holdoutInfo(paths.holdout) : null;
      // Checked at once in a child process, one upload at a time: a predictions CSV streamed with
      // a row and a byte cap (never read here), a model loaded in the inference process. What
      // cannot be scored is refused with its reason and no job is queued for it. A check that is
      // slow or fails on the grader's side is left to the job.
      try {
        if (kind === "csv") {
          const rows = holdout?.rows ?? null;
          await inspecting(() => readPredictionsInChild({ file: path.resolve(file.path), rows, numClasses: holdout?.numClasses ?? null, ...predictionsCaps(rows) }));
        } else {
          await inspecting(() => inspectModel({ model: file.path, numClasses: holdout?.numClasses ?? null, limits: { maxUploadBytes: settingsOf(cs).limits.maxUploadMb * 1024 * 1024, timeoutMs: 120_000 } }));
        }
      } catch (e) {
        if (e instanceof ModelRefused && e.code !== "time_limit") await refuse(e.code, kind === "csv" ? e.message : `This model cannot be scored: ${e.message}`);
        req.log.warn({ err: e }, "the upload could not be checked at once; its scoring job will");
      }
      // A good file with no queue to score it is not kept: the team uploads it again, nothing counted.
      runningQueue(boss, "Your upload was not kept and does not count.");
      const sub = await submissions.create(cs, myTeam, user.id, { tempFile: file.path, filename: name, bytes: file.size, receivedAt }, course.timeZone, uploadSlot);
      try {
        await enqueue([sub.id]);
      } catch (e) {
        // Not queued: not kept either (a submission no job will score would wait as "queued" for good).
        await submissions.withdraw(sub);
        req.log.error({ err: e, submissionId: sub.id }, "an upload could not be queued for scoring; it was withdrawn");
        throw new HttpError(503, "Your upload could not be queued for scoring, so it was not kept and does not count. Try again in a minute; if it lasts, tell your instructor.", "queue_down");
      }
      const href = `${base(req, cs)}/submissions/${sub.id}`;
      if (wantsJson(req)) return res.status(201).json({ id: sub.id, href });
      res.redirect(303, href);
    } catch (e) {
      discard();
      await submissions.releaseUpload(uploadSlot);
      throw e;
    }
  });

  // An upload sent by the form without its script (no JavaScript, or the script failed) that is
  // refused gets the case-study page again, with the refusal's status and message above the form
  // and the team's list and counts as they now are (a refusal is in the list) — not an error page
  // with no way back. The script's uploads ask for JSON and get the error as JSON.
  const renderCaseStudy = caseStudyPage({ submissions, dataDir });
  router.use("/case-studies/:caseSlug/submissions", ((err, req, res, next) => {
    const shownAgain = req.method === "POST" && req.path === "/" && !wantsJson(req) && err instanceof HttpError && !res.headersSent
      && ((err.status >= 400 && err.status < 500 && err.status !== 401) || err.status === 503)
      && res.locals.caseStudy && res.locals.course?.role === CourseRole.STUDENT;
    if (!shownAgain) return next(err);
    req.log.info({ status: err.status, code: err.code }, "upload refused; the case-study page is shown again");
    res.status(err.status);
    renderCaseStudy(req, res, { refusal: err.message }).catch(next);
  }) as ErrorRequestHandler);

  /**
   * The submission page; staff may be shown an override's preview, or the override form again
   * with what they typed and each field's message (status 400).
   */
  async function renderSubmission(req: Request, res: Response, { override = null, form = null }: { override?: ReturnType<typeof overridePreviewView> | null; form?: FormState | null } = {}) {
    const { course, caseStudy: cs, submission: sub, user } = pageContext(res, "course", "caseStudy", "submission", "user");
    const isStudent = course.role === CourseRole.STUDENT;
    const showPrivate = !isStudent || privateVisible(cs, submissions.now());
    const subHref = `${base(req, cs)}/submissions/${sub.id}`;
    const requests = await reviews.forTarget({ submission: sub });
    const decided = sub.status === SubmissionStatus.SCORED || sub.status === SubmissionStatus.FAILED;
    // A student sees the staff's answers in full once the submission is decided (not while it is rescored):
    // this member of the team has then read them (they leave their to-do list). A HEAD request shows nothing.
    if (isStudent && decided && req.method !== "HEAD") await reviews.markRead(requests, user.id);
    const overrideForm = isStudent ? null : {
      points: form ? (form.values.points ?? "") : (override?.points ?? ""), reason: form ? (form.values.reason ?? "") : (override?.reason ?? ""),
      errors: form?.errors ?? {}, invalid: !!form,
    };
    if (form) res.status(400);
    res.render("submission", {
      failure: sub.status === SubmissionStatus.FAILED ? failureView(sub, course.timeZone) : null,
      rescoreProblem: sub.status === SubmissionStatus.SCORED && sub.errorCode?.startsWith("rescore_") ? sub.errorMessage : null,
      title: `Submission ${sub.number} — ${sub.team.name}`, course, cs, base: base(req, cs), sub, isStudent, isStaff: !isStudent,
      sizeLabel: sub.bytes >= 1024 * 1024 ? `${(sub.bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(sub.bytes / 1024))} KB`,
      statusLabel: sub.refused ? "Refused" : STATUS_LABEL[sub.status], running: sub.status === SubmissionStatus.QUEUED || sub.status === SubmissionStatus.RUNNING,
      // Why a queued submission waits, when the job said (the case-study data being prepared, a retry after a grader problem).
      waitingNote: sub.status === SubmissionStatus.QUEUED ? sub.errorMessage : null,
      percent: Math.round(sub.progress * 100),
      result: await resultView(req, sub, subHref, { showPrivate, isStudent }), canFinal: isStudent && sub.status === SubmissionStatus.SCORED && submissions.now() < cs.deadlineAt,
      overrides: !isStudent ? sub.overrides.map((o) => ({ ...o, cleared: o.points === null })) : [], scripts: ["/assets/js/submission.js"],
      maxPoints: settingsOf(cs).points.max, override, overrideForm,
      canRescore: !isStudent && !sub.fileRemovedAt, busy: sub.status === SubmissionStatus.QUEUED ? "Waiting to be scored: it can be rescored once that run ends." : sub.status === SubmissionStatus.RUNNING ? "Being scored now: it can be rescored once this run ends." : null,
      decided, ...reviewsView(requests, course.slug, subHref, isStudent && decided ? `${subHref}/review-request` : null, res.locals.reviewForm),
      reviewRemedy: isStudent ? null : { text: "To change the points, use", href: "#override-h", label: "Set points (in the staff tools above)" },
    });
  }

  /** What a failed or refused submission's page says about it: what happened to its file, and what it counts against. */
  function failureView(sub: { refused: boolean; errorCode: string | null; finishedAt: Date | null; createdAt: Date; fileRemovedAt: Date | null }, timeZone: string) {
    const { failuresPerDay, retentionDays } = submissions.failurePolicy();
    const when = (d: Date) => DateTime.fromJSDate(d, { zone: timeZone }).toFormat("ccc d LLL yyyy, HH:mm ZZZZ");
    if (sub.errorCode === "grader_error") return { heading: "This submission could not be scored.", counts: "It does not count against your team's limits: neither its submissions nor its daily budget of failed uploads.", file: null };
    const counts = `It does not use up one of your team's submissions, but it counts towards the ${failuresPerDay} failed or refused uploads your team may have in a day (on the day it was uploaded).`;
    if (sub.refused) return { heading: "This upload was refused when it arrived.", counts, file: "Its file was not kept. Fix what is described above, then upload the file again." };
    const file = sub.fileRemovedAt
      ? `Its file was deleted on ${when(sub.fileRemovedAt)} (failed submissions' files are kept ${retentionDays} days). Upload the file again, fixed, to have it scored.`
      : `Its file is kept until ${when(new Date((sub.finishedAt ?? sub.createdAt).getTime() + retentionDays * 24 * 60 * 60_000))} (failed submissions' files are kept ${retentionDays} days), then deleted; scored submissions' files are kept.`;
    return { heading: "This submission could not be scored.", counts, file };
  }

  router.get("/case-studies/:caseSlug/submissions/:submissionId", loadCaseStudy, loadSubmission, (req, res) => renderSubmission(req, res));

  router.post("/case-studies/:caseSlug/submissions/:submissionId/review-request", csrfProtection, loadCaseStudy, requireCourseRole(CourseRole.STUDENT), loadSubmission,
    askForReview(reviews, (res) => ({ submission: pageContext(res, "submission").submission }), (req, res) => {
      const { caseStudy: cs, submission: sub } = pageContext(res, "caseStudy", "submission");
      return `${base(req, cs)}/submissions/${sub.id}`;
    }, (req, res) => renderSubmission(req, res)));

  router.get("/case-studies/:caseSlug/submissions/:submissionId/status", loadCaseStudy, loadSubmissionStatus, (_req, res) => {
    const { submissionStatus: sub } = pageContext(res, "submissionStatus");
    res.json({ status: sub.status, label: STATUS_LABEL[sub.status], progress: sub.progress, error: sub.errorMessage });
  });

  // A result page shows dozens: each reads the submission's place (the access check) and its one image, not the result.
  router.get("/case-studies/:caseSlug/submissions/:submissionId/misclassified/:n", loadCaseStudy, loadSubmissionStatus, async (req, res, next) => {
    const { caseStudy: cs, submissionStatus: sub } = pageContext(res, "caseStudy", "submissionStatus");
    // Only an image the stored result names.
    const n = String(req.params.n);
    const item = /^\d{1,4}$/.test(n) ? await submissions.misclassifiedImage(sub.id, Number(n)) : null;
    if (!item) throw new NotFound("There is no such image.");
    const holdout = dataPaths(settingsOf(cs), dataDir).holdout;
    const file = path.resolve(holdout, item.filename);
    if (!file.startsWith(holdout + path.sep)) throw new NotFound("There is no such image.");
    sendStoredFile(res, next, file, { headers: { "Cache-Control": "private, max-age=3600" } });
  });

  router.post("/case-studies/:caseSlug/submissions/:submissionId/final", csrfProtection, loadCaseStudy, requireCourseRole(CourseRole.STUDENT), loadSubmission, async (req, res) => {
    const { caseStudy: cs, submission: sub } = pageContext(res, "caseStudy", "submission");
    const final = parseForm(FinalBody, req.body).final === "1";
    await submissions.setFinal(cs, sub, final);
    flash(req, "success", final ? `Submission ${sub.number} is now one of your final submissions.` : `Submission ${sub.number} is no longer final.`);
    await saveSession(req);
    res.redirect(303, `${base(req, cs)}/submissions/${sub.id}`);
  });

  router.get("/case-studies/:caseSlug/submissions/:submissionId/download", loadCaseStudy, requireStaff, loadSubmission, (_req, res, next) => {
    const { submission: sub } = pageContext(res, "submission");
    if (sub.fileRemovedAt) throw new NotFound(sub.refused ? "This upload was refused when it arrived, so its file was not kept." : `This submission's file was deleted after it failed (failed submissions' files are kept ${submissions.failurePolicy().retentionDays} days).`);
    sendStoredFile(res, next, sub.storedPath, { downloadName: sub.filename });
  });

  // Two steps, no script needed: the form shows what the team's points become (the points
  // rule run with the change); only its save button, carrying what it showed, saves.
  router.post("/case-studies/:caseSlug/submissions/:submissionId/override", csrfProtection, loadCaseStudy, requireStaff, loadSubmission, async (req, res) => {
    const { caseStudy: cs, submission: sub, user } = pageContext(res, "caseStudy", "submission", "user");
    const input = readForm(overrideBody(settingsOf(cs).points.max), req.body);
    if (!input.ok) return renderSubmission(req, res, { form: input });
    const { points, reason, confirm, shown } = input.data;
    const preview = await submissions.previewOverride(cs, sub, points);
    const view = overridePreviewView(preview, { points, reason }, confirm === "1");
    if (confirm !== "1" || shown !== preview.key) return renderSubmission(req, res, { override: view });
    await submissions.override(cs, sub, user, points, reason);
    const team = `Team points: ${view.grade.before} → ${view.grade.after}.`;
    flash(req, "success", points === null ? `The override was cleared (recorded with your reason). ${team}` : `Points set to ${points} (recorded with your reason). ${team}`);
    await saveSession(req);
    res.redirect(303, `${base(req, cs)}/submissions/${sub.id}`);
  });

  // This one submission, scored again under the current holdout and rule even when it has a
  // result for them (a new round; its results so far are kept).
  router.post("/case-studies/:caseSlug/submissions/:submissionId/rescore", csrfProtection, loadCaseStudy, requireStaff, loadSubmission, async (req, res) => {
    const { caseStudy: cs, submission: sub } = pageContext(res, "caseStudy", "submission");
    // A file that is gone is refused first (409, why); else no queue, nothing marked.
    if (!sub.fileRemovedAt) runningQueue(boss, "Nothing was rescored.");
    const outcome = await submissions.rescoreOne(sub);
    if (outcome === "queued") await enqueue([sub.id]);
    flash(req, outcome === "running" ? "info" : "success", {
      queued: `Submission #${sub.number} queued for rescoring under the current holdout and rule. Its current points count until the new result arrives; its earlier results are kept.`,
      // A double submit lands here: the first request queued it.
      "already queued": `Submission #${sub.number} queued for rescoring (it was queued already, so not twice). Its current points count until the new result arrives.`,
      running: `Submission #${sub.number} is being scored right now, so it was not queued again. This page shows its progress; rescore it once the run ends if you still need to.`,
    }[outcome]);
    await saveSession(req);
    res.redirect(303, `${base(req, cs)}/submissions/${sub.id}`);
  });

  return router;
}
