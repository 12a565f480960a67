import { Router, type Request, type Response } from "express";
import { DateTime } from "luxon";
import { z } from "zod";
import { requireCourseRole } from "../courses/courses.loaders.js";
import type { CoursesService } from "../courses/courses.service.js";
import { AttemptStatus, CourseRole } from "../platform/db/prisma.js";
import { BadRequest, Conflict, Forbidden, NotFound } from "../platform/errors.js";
import { wantsJson } from "../platform/errors.middleware.js";
import { readForm, type FormState } from "../platform/forms.js";
import { csrfProtection, flash, saveSession } from "../platform/http.js";
import { renderFragment } from "../platform/markdown.js";
import { pageContext } from "../platform/page-context.js";
import { REVIEW_ITEMS, type ReviewItem } from "./quiz.definition.js";
import { loadAttempt, loadQuiz, requireOwnAttempt } from "./quiz.loaders.js";
import { attemptSlotView, navigatorView, pageCount, pageOf, percentLabel, pointsLabel, reviewSlotView, attemptLengthWords, timeLeftWords, timeTaken } from "./quiz.present.js";
import { timeOfDay, whenPhrase } from "../platform/time-format.js";
import { definitionOf, percentOf, policyFor, reviewItems, scoreHiddenNote, type AttemptRow, type Policy, type QuizRow, type QuizService } from "./quiz.service.js";
import { formatNumber } from "./variants.js";
import { askForReview, reviewsView } from "../reviews/reviews.routes.js";
import type { ReviewsService } from "../reviews/reviews.service.js";

const GRADING_LABEL = { highest: "your highest score counts", latest: "your latest attempt counts", average: "the average of your attempts counts", first: "your first attempt counts" };

// Save numbers come from the page (see QuizService.latestRev), never from a clock.
const Rev = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const AutosaveBody = z.object({
  slot: z.number().int().min(0),
  rev: Rev,
  fields: z.record(z.string(), z.union([z.string().max(1000), z.array(z.string().max(1000)).max(50)])),
});

/** The page's last save number, sent with a plain form post (missing or odd: 0, so the post still comes after every save). */
const FormRev = z.coerce.number().pipe(Rev).catch(0);

// Buttons of the attempt form: every one saves the page's answers first, then does what it says.
const FormAction = z.union([
  z.literal("save"), z.literal("submit"),
  z.string().regex(/^check:\d+$/),
  z.string().regex(/^(un)?flag:\d+$/),
  z.string().regex(/^page:(summary|\d+(:\d+)?)$/),
], { message: "unknown action" });

/** The page of an attempt asked for: a number (out of range: the nearest page) or the summary before submitting. */
const PageParam = z.union([z.literal("summary"), z.coerce.number().int().min(1).max(10_000)]).catch(1);

/** The slots a paged form showed ("0,1,2"; "" on the summary): only those are saved. Missing (older pages): all. */
const ShownSlots = z.string().regex(/^(\d+(,\d+)*)?$/).optional().catch(undefined)
  .transform((v) => (v === undefined ? undefined : new Set(v ? v.split(",").map(Number) : [])));

/** The attempt form's own fields; the answers are its other fields (QuizService.saveAll reads them). */
const AttemptForm = z.object({
  action: FormAction.default("save"),
  // The page the form was on; absent in forms of older pages (then the first, with no summary step).
  page: PageParam.optional(),
  rev: FormRev,
  shown: ShownSlots,
  // Set by the page's script once the student confirmed submitting in its dialog.
  confirmed: z.literal("1").optional().catch(undefined),
});

const FlagBody = z.object({ slot: z.number().int().min(0), flagged: z.boolean() });

/** The exceptions form (and each row's Remove button: userId and remove=1); the later close is read in the course's time zone. */
const overrideBody = (timeZone: string) => z.object({
  userId: z.uuid({ message: "Pick a student." }),
  extraMinutes: z.coerce.number({ error: "Enter the extra time as a whole number of minutes." }).int("Enter the extra time as a whole number of minutes.")
    .min(0, "Extra time cannot be negative.").max(10_000, "Extra time is at most 10,000 minutes.").default(0),
  extraAttempts: z.coerce.number({ error: "Enter the extra attempts as a whole number." }).int("Enter the extra attempts as a whole number.")
    .min(0, "Extra attempts cannot be negative.").max(100, "At most 100 extra attempts.").default(0),
  closes: z.string().trim().optional().transform((v, ctx) => {
    if (!v) return null;
    const dt = DateTime.fromISO(v, { zone: timeZone });
    if (dt.isValid) return dt.toJSDate();
    ctx.addIssue({ code: "custom", message: "The later close must be a date and time such as 2026-11-28T09:00." });
    return z.NEVER;
  }),
  note: z.string().trim().max(500, "Keep the note under 500 characters.").optional(),
  remove: z.string().optional(),
  /** The student whose exceptions the form was filled with (their row's Change), or empty: a new exception. */
  editing: z.string().optional(),
});

export function quizRoutes({ quizzes, courses, reviews }: { quizzes: QuizService; courses: CoursesService; reviews: ReviewsService }) {
  const router = Router({ mergeParams: true });
  const base = (req: Request, quiz: QuizRow) => `/courses/${String(req.params.courseSlug)}/quizzes/${quiz.slug}`;

  function policyView(policy: Policy, tz: string, usedAttempts: number) {
    const now = quizzes.now();
    return {
      opens: policy.opensAt, closes: policy.closesAt, timeZone: tz,
      opensText: policy.opensAt && whenPhrase("opens", policy.opensAt, now, tz),
      closesText: policy.closesAt && whenPhrase("closes", policy.closesAt, now, tz),
      timeLimit: policy.timeLimitMinutes ? `${formatNumber(policy.timeLimitMinutes)} minutes` : null,
      attempts: policy.attemptsAllowed === null ? "unlimited" : `${policy.attemptsAllowed} (${Math.max(0, policy.attemptsAllowed - usedAttempts)} left)`,
      grading: GRADING_LABEL[policy.grading],
      passPercent: formatNumber(policy.passPercent),
      override: policy.override,
    };
  }

  router.get("/quizzes/:quizSlug", loadQuiz(quizzes), async (req, res) => {
    const { course, quiz, user } = pageContext(res, "course", "quiz", "user");
    const def = definitionOf(quiz);
    const isStudent = course.role === CourseRole.STUDENT;
    const common = { title: quiz.title, course, quiz, base: base(req, quiz), isStaff: !isStudent, isStudent, descriptionHtml: def.description ? renderFragment(def.description) : "" };
    if (!isStudent) {
      await quizzes.finishOverdue({ quizId: quiz.id });
      const [summary, overrides] = await Promise.all([quizzes.staffSummary(quiz), quizzes.overrides(quiz.id)]);
      res.render("quiz-staff", {
        ...common, policy: policyView(policyFor(quiz, null), course.timeZone, 0), summary, overrides: overrides.length,
        isInstructor: course.role === CourseRole.INSTRUCTOR,
      });
      return;
    }
    await quizzes.finishOverdue({ quizId: quiz.id, userId: user.id });
    const policy = await quizzes.policy(quiz, user.id);
    const [attempts, grade] = await Promise.all([quizzes.attemptsOf(quiz.id, user.id), quizzes.grade(quiz.id, user.id)]);
    const now = quizzes.now();
    const show = reviewItems(policy, now);
    const submitted = attempts.filter((a) => a.status === AttemptStatus.SUBMITTED);
    const open = attempts.find((a) => a.status === AttemptStatus.IN_PROGRESS);
    const reason = open ? null : await quizzes.cannotStart(quiz, user.id, policy);
    res.render("quiz", {
      ...common,
      policy: policyView(policy, course.timeZone, submitted.length),
      questionCount: quizzes.questionCount(quiz),
      grade: grade && show.has("score") ? { percent: percentLabel(grade.percent), passed: grade.passed } : null,
      gradeHidden: grade && !show.has("score") ? scoreHiddenNote(policy, now) : null,
      attempts: attempts.map((a) => ({
        number: a.number,
        startedAt: a.startedAt,
        inProgress: a.status === AttemptStatus.IN_PROGRESS,
        submittedAt: a.submittedAt,
        autoSubmitted: a.autoSubmitted,
        took: timeTaken(a),
        score: a.status === AttemptStatus.SUBMITTED && show.has("score") ? `${pointsLabel(a)} (${percentLabel(percentOf(a))})` : null,
        href: `${base(req, quiz)}/attempts/${a.id}`,
      })),
      open: open && { href: `${base(req, quiz)}/attempts/${open.id}`, timeLeft: ((s) => (s === null ? null : timeLeftWords(s)))(quizzes.secondsLeft(open)) },
      attemptLength: attemptLengthWords(policy.timeLimitMinutes, policy.closesAt, now, policy.closesAt && DateTime.fromJSDate(policy.closesAt, { zone: course.timeZone }).toFormat("HH:mm ZZZZ")),
      canStart: !reason,
      reason,
      startLabel: submitted.length ? "Start a new attempt" : "Start the quiz",
    });
  });

  router.post("/quizzes/:quizSlug/attempts", csrfProtection, loadQuiz(quizzes), requireCourseRole(CourseRole.STUDENT), async (req, res) => {
    const { quiz, user } = pageContext(res, "quiz", "user");
    const attempt = await quizzes.start(quiz, user.id);
    res.redirect(303, `${base(req, quiz)}/attempts/${attempt.id}`);
  });

  function attemptPage(req: Request, quiz: QuizRow, attempt: AttemptRow, policy: Policy, slots: Awaited<ReturnType<QuizService["slots"]>>, rev: number) {
    const during = new Set<ReviewItem>(policy.review.during);
    const secondsLeft = quizzes.secondsLeft(attempt);
    const perPage = definitionOf(quiz).questionsPerPage;
    const pages = pageCount(slots.length, perPage);
    const asked = PageParam.parse(req.query.page);
    const summary = asked === "summary";
    const page = summary ? null : Math.min(asked, pages);
    const onPage = slots.map((s, i) => ({ s, i })).filter(({ i }) => !summary && pageOf(i, perPage) === page);
    const nav = navigatorView(slots, perPage, page);
    return {
      title: `${quiz.title} — attempt ${attempt.number}${summary ? " — summary" : pages > 1 ? ` — page ${page} of ${pages}` : ""}`,
      quiz,
      quizBase: base(req, quiz),
      attempt,
      action: `${base(req, quiz)}/attempts/${attempt.id}`,
      nav,
      summary,
      page: page ?? "summary",
      pages: pages > 1 ? { current: page, count: pages, prev: page && page > 1 ? page - 1 : null, next: page && page < pages ? page + 1 : null } : null,
      shown: onPage.map(({ s }) => s.slot).join(","),
      slots: onPage.map(({ s, i }) => attemptSlotView(s, i, during)),
      secondsLeft: secondsLeft === null ? null : Math.max(0, secondsLeft),
      deadlineAt: attempt.deadlineAt,
      rev,
      scripts: ["/assets/js/quiz.js"],
    };
  }

  /** An attempt's page: the attempt itself while in progress, else its review (also shown again, status 400, after a refused review request). */
  async function showAttempt(req: Request, res: Response) {
    const { course, quiz, ownAttempt, attempt: loaded } = pageContext(res, "course", "quiz", "ownAttempt", "attempt");
    let attempt = loaded;
    if (attempt.status === AttemptStatus.IN_PROGRESS && quizzes.expired(attempt)) {
      attempt = await quizzes.submit(attempt, { auto: true });
      if (ownAttempt) flash(req, "info", "Time ran out, so this attempt was submitted with the answers you had saved.");
    }
    const slots = await quizzes.slots(attempt.id);
    const policy = await quizzes.policy(quiz, attempt.userId);
    if (attempt.status === AttemptStatus.IN_PROGRESS && ownAttempt) {
      // ownerId: whose attempt it is, so the page can tell its student signing in again from another account.
      res.render("attempt", { ...attemptPage(req, quiz, attempt, policy, slots, await quizzes.latestRev(attempt.id)), ownerId: attempt.userId, course, timeZone: course.timeZone });
      return;
    }
    // The review: staff see everything; the student what the review rules allow now.
    const show = ownAttempt ? reviewItems(policy, quizzes.now()) : new Set<ReviewItem>(REVIEW_ITEMS);
    const student = ownAttempt ? null : await courses.member(course.id, attempt.userId);
    const requests = await reviews.forTarget({ attempt });
    // The page shows the staff's answers in full: the student has read them (they leave the to-do list). A HEAD request shows nothing.
    if (ownAttempt && req.method !== "HEAD") await reviews.markRead(requests, attempt.userId);
    const attemptHref = `${base(req, quiz)}/attempts/${attempt.id}`;
    res.render("attempt-review", {
      title: `${quiz.title} — attempt ${attempt.number}`,
      course, quiz, quizBase: base(req, quiz), isStaff: !ownAttempt,
      student: student && { name: student.user.name, href: `/courses/${course.slug}/students/${student.user.id}` },
      attempt: {
        ...attempt, inProgress: attempt.status === AttemptStatus.IN_PROGRESS,
        took: timeTaken(attempt),
      },
      showScore: show.has("score"),
      score: pointsLabel(attempt),
      percent: percentLabel(percentOf(attempt)),
      passed: percentOf(attempt) >= policy.passPercent - 1e-9,
      passPercent: formatNumber(policy.passPercent),
      slots: show.size > (show.has("score") ? 1 : 0) ? slots.map((s, i) => reviewSlotView(s, i, show)) : [],
      nothingYet: show.size === 0,
      ...reviewsView(requests, course.slug, attemptHref, ownAttempt && attempt.status === AttemptStatus.SUBMITTED ? `${attemptHref}/review-request` : null, res.locals.reviewForm),
      reviewRemedy: course.role === CourseRole.INSTRUCTOR ? { text: "To give this student another attempt, more time or a later close:", href: `${base(req, quiz)}/overrides`, label: "quiz exceptions" } : null,
      laterNote: ownAttempt && policy.closesAt && quizzes.now() < policy.closesAt && policy.review.afterClose.length > policy.review.afterSubmit.length
        ? { closes: policy.closesAt } : null,
    });
  }

  router.get("/quizzes/:quizSlug/attempts/:attemptId", loadQuiz(quizzes), loadAttempt(quizzes), showAttempt);

  router.post("/quizzes/:quizSlug/attempts/:attemptId/review-request", csrfProtection, loadQuiz(quizzes), loadAttempt(quizzes), requireOwnAttempt,
    askForReview(reviews, (res) => ({ attempt: pageContext(res, "attempt").attempt }), (req, res) => {
      const { quiz, attempt } = pageContext(res, "quiz", "attempt");
      return `${base(req, quiz)}/attempts/${attempt.id}`;
    }, showAttempt));

  // Plain form post: save every answer, then save / submit / check as the button said.
  router.post("/quizzes/:quizSlug/attempts/:attemptId", csrfProtection, loadQuiz(quizzes), loadAttempt(quizzes), requireOwnAttempt, async (req, res) => {
    const { quiz, attempt } = pageContext(res, "quiz", "attempt");
    const form = AttemptForm.parse(req.body ?? {});
    const action = form.action;
    const url = `${base(req, quiz)}/attempts/${attempt.id}`;
    // Back to the page the form was on (the first page needs no query).
    const from = form.page ?? 1;
    const here = from === 1 ? url : `${url}?page=${from}`;
    if (attempt.status !== AttemptStatus.IN_PROGRESS) {
      flash(req, "info", "This attempt had already been submitted; nothing was changed.");
      await saveSession(req);
      return res.redirect(303, url);
    }
    try {
      await quizzes.saveAll(attempt, req.body as Record<string, unknown>, form.rev, form.shown);
    } catch (e) {
      if (!(e instanceof Conflict)) throw e;
      flash(req, "info", e.message);
      await saveSession(req);
      return res.redirect(303, url);
    }
    if (action === "submit" && form.page !== undefined && from !== "summary" && !form.confirmed) {
      // From a question page without the script's dialog: the summary first, when something is left open.
      const nav = navigatorView(await quizzes.slots(attempt.id), undefined, null);
      if (nav.unanswered.length || nav.flagged.length) {
        flash(req, "info", "Before you submit: check the questions below. Submit from this page when you are ready.");
        await saveSession(req);
        return res.redirect(303, `${url}?page=summary`);
      }
    }
    if (action === "submit") {
      await quizzes.submit(attempt);
      flash(req, "success", "Your attempt was submitted.");
    } else if (action.startsWith("check:")) {
      const slotNo = Number(action.slice(6));
      if (definitionOf(quiz).review.during.length === 0) throw new Forbidden("This quiz does not let you check answers during the attempt.");
      await quizzes.check(attempt, slotNo);
      await saveSession(req);
      return res.redirect(303, `${here}#q-${slotNo}`);
    } else if (/^(un)?flag:/.test(action)) {
      const slotNo = Number(action.split(":")[1]);
      await quizzes.setFlag(attempt, slotNo, action.startsWith("flag:"));
      await saveSession(req);
      return res.redirect(303, `${here}#q-${slotNo}`);
    } else if (action.startsWith("page:")) {
      const [, page, slotNo] = action.split(":");
      await saveSession(req);
      return res.redirect(303, `${page === "1" ? url : `${url}?page=${page}`}${slotNo ? `#q-${slotNo}` : ""}`);
    } else {
      flash(req, "success", "Your answers are saved. You can come back to this attempt until time runs out.");
      await saveSession(req);
      return res.redirect(303, here);
    }
    await saveSession(req);
    res.redirect(303, url);
  });

  // Flag for review from the page's script (JSON); without JavaScript the flag button posts the form.
  router.post("/quizzes/:quizSlug/attempts/:attemptId/flag", csrfProtection, loadQuiz(quizzes), loadAttempt(quizzes), requireOwnAttempt, async (req, res) => {
    const parsed = FlagBody.safeParse(req.body);
    if (!parsed.success) throw new BadRequest("The flag could not be read. Reload the page; your answers are saved.");
    await quizzes.setFlag(pageContext(res, "attempt").attempt, parsed.data.slot, parsed.data.flagged);
    res.json({ slot: parsed.data.slot, flagged: parsed.data.flagged });
  });

  // Autosave of one question (JSON), as the student types or clicks.
  router.post("/quizzes/:quizSlug/attempts/:attemptId/autosave", csrfProtection, loadQuiz(quizzes), loadAttempt(quizzes), requireOwnAttempt, async (req, res) => {
    const parsed = AutosaveBody.safeParse(req.body);
    if (!parsed.success) throw new BadRequest("The answer could not be read. Reload the page; your other answers are saved.");
    const { course, attempt } = pageContext(res, "course", "attempt");
    let out;
    try {
      if (attempt.status !== AttemptStatus.IN_PROGRESS) throw new Conflict("This attempt has already been submitted; answers can no longer change.");
      out = await quizzes.save(attempt, parsed.data.slot, parsed.data.fields, parsed.data.rev);
    } catch (err) {
      // The page says why and then reloads the attempt (quiz.js): the reloaded page says it again.
      // Not for a save sent as the page is left (X-Page-Leaving): the next page is another one.
      if (err instanceof Conflict && !req.get("X-Page-Leaving")) {
        flash(req, "info", err.message);
        await saveSession(req);
      }
      throw err;
    }
    // The attempt's newest number, so a page behind another window's saves numbers on from it.
    // The time of the save in the course's time zone, as every other time on the page.
    const now = quizzes.now();
    res.json({ ...out, rev: await quizzes.latestRev(attempt.id), savedAt: now.toISOString(), savedAtText: timeOfDay(now, course.timeZone), secondsLeft: quizzes.secondsLeft(attempt) });
  });

  router.post("/quizzes/:quizSlug/attempts/:attemptId/submit", csrfProtection, loadQuiz(quizzes), loadAttempt(quizzes), requireOwnAttempt, async (req, res) => {
    const { quiz, attempt } = pageContext(res, "quiz", "attempt");
    const done = await quizzes.submit(attempt);
    if (wantsJson(req)) return res.json({ status: done.status, href: `${base(req, quiz)}/attempts/${done.id}` });
    res.redirect(303, `${base(req, quiz)}/attempts/${done.id}`);
  });

  // Per-student exceptions (instructors).
  /**
   * The exceptions page. `editing`: the student whose saved exceptions fill the form (their row's
   * Change; saving replaces them all). `form` shows the form again (status 400) with its values and
   * each message beside its field; `summary` says what happened above it.
   */
  async function overridesPage(req: Request, res: Response, opts: { form?: FormState; editing?: string; summary?: string } = {}) {
    const { course, quiz } = pageContext(res, "course", "quiz");
    const { form } = opts;
    const [overrides, students] = await Promise.all([quizzes.overrides(quiz.id), courses.students(course.id)]);
    const closesLocal = (d: Date | null) => (d ? DateTime.fromJSDate(d, { zone: course.timeZone }).toFormat("yyyy-MM-dd'T'HH:mm") : "");
    const editing = overrides.find((o) => o.userId === opts.editing);
    const saved = editing && { userId: editing.userId, extraMinutes: String(editing.extraMinutes), extraAttempts: String(editing.extraAttempts), closes: closesLocal(editing.closesAt), note: editing.note ?? "" };
    const values = { userId: "", extraMinutes: "0", extraAttempts: "0", closes: "", note: "", ...saved, ...form?.values, editing: editing?.userId ?? form?.values.editing ?? "" };
    if (form) res.status(400);
    res.render("quiz-overrides", {
      title: `Exceptions — ${quiz.title}`, course, quiz, base: base(req, quiz), isStaff: true,
      overrides: overrides.map((o) => ({ ...o, closesLocal: closesLocal(o.closesAt) })),
      students: students.map((s) => ({ id: s.id, label: `${s.name} (${s.email})`, selected: s.id === values.userId })),
      editingName: editing?.user.name,
      timeZone: course.timeZone,
      values, errors: form?.errors ?? {}, hasErrors: !!form, summary: opts.summary ?? "Nothing was saved: correct the fields marked below. What you typed is kept.",
    });
  }

  router.get("/quizzes/:quizSlug/overrides", loadQuiz(quizzes), requireCourseRole(CourseRole.INSTRUCTOR), async (req, res) => {
    await overridesPage(req, res, { editing: typeof req.query.student === "string" ? req.query.student : undefined });
  });

  router.post("/quizzes/:quizSlug/overrides", csrfProtection, loadQuiz(quizzes), requireCourseRole(CourseRole.INSTRUCTOR), async (req, res) => {
    const { course, quiz, user } = pageContext(res, "course", "quiz", "user");
    const url = `${base(req, quiz)}/overrides`;
    const input = readForm(overrideBody(course.timeZone), req.body);
    if (!input.ok) return overridesPage(req, res, { form: input, editing: input.values.editing });
    const body = input.data;
    const member = await courses.member(course.id, body.userId);
    if (!member || member.role !== CourseRole.STUDENT) throw new NotFound("That student is not in this course.");
    // Saving replaces every field: a form not filled with this student's saved exceptions would wipe
    // those left at their defaults (a longer time limit lost by adding an attempt). Show them instead.
    if (!body.remove && body.editing !== body.userId && (await quizzes.overrides(quiz.id)).some((o) => o.userId === body.userId)) {
      return overridesPage(req, res, {
        editing: body.userId,
        form: { values: {}, errors: { userId: `${member.user.name} already has exceptions; the form now shows them. Change what you need and save again: saving replaces them all.` } },
        summary: `Nothing was saved: ${member.user.name} already has exceptions.`,
      });
    }
    if (body.remove) {
      await quizzes.removeOverride(quiz, body.userId);
      flash(req, "success", `Removed the exceptions for ${member.user.name}.`);
    } else {
      await quizzes.setOverride(quiz, body.userId, user.id, { extraMinutes: body.extraMinutes, extraAttempts: body.extraAttempts, closesAt: body.closes, note: body.note || null });
      flash(req, "success", `Saved the exceptions for ${member.user.name}.`);
    }
    await saveSession(req);
    res.redirect(303, url);
  });

  return router;
}
