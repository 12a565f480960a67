// The student's week: one page (and the course page's to-do list) composed from the
// checklist, quiz, case-study and review-request features, each read through its own
// service. Every time is in words, in the course's time zone (one zone per page).
import { DateTime } from "luxon";
import type { ChecklistService, ItemView } from "../checklist/checklist.service.js";
import { SECTION_LABEL, ticksFromSession } from "../checklist/checklist.service.js";
import { ChecklistSection } from "../platform/db/prisma.js";
import { percentLabel } from "../quiz/quiz.present.js";
import { whenPhrase } from "../platform/time-format.js";
import { percentOf, scoreHiddenNote, scoreShown, type Policy, type QuizRow, type QuizService, type Standing } from "../quiz/quiz.service.js";
import { formatNumber } from "../quiz/variants.js";
import type { ReadingsService } from "../readings/readings.service.js";
import type { ReviewsService } from "../reviews/reviews.service.js";
import { countedSubmissions, privateVisible, settingsOf, type SubmissionsService } from "../casestudy/submissions.service.js";
import type { CoursesService, LoadedCourse, TeamAndAnswers } from "../courses/courses.service.js";
import { readParts } from "../platform/sql-parts.js";
import type pg from "pg";
import type { SessionUser } from "../platform/session-user.js";

export interface WeekDeps {
  sql: pg.Pool;
  courses: CoursesService;
  readings: ReadingsService;
  quizzes: QuizService;
  submissions: SubmissionsService;
  checklist: ChecklistService;
  reviews: ReviewsService;
}

/** One thing still to do: what, where, and by when (in words). */
export interface TodoItem {
  kind: string;
  title: string;
  href: string;
  detail: string | null;
  when: string | null;
  overdue: boolean;
  /** For ordering: the due time, or none (last). */
  dueAt: Date | null;
}

/** Points as people write them: at most two decimals, no trailing zeros ("2.67", "14"). */
const points = (n: number) => formatNumber(Math.round(n * 100) / 100);

/** A moment in the course's time zone, written as whenPhrase writes days and times: "Wed 12 Mar 10:00 MDT". */
export function dayTime(d: Date, timeZone: string, now: Date): string {
  const t = DateTime.fromJSDate(d, { zone: timeZone }).setLocale("en-US");
  const sameYear = t.year === DateTime.fromJSDate(now, { zone: timeZone }).year;
  return `${t.toFormat(sameYear ? "ccc d LLL" : "ccc d LLL yyyy")} ${t.toFormat("HH:mm")} ${t.offsetNameShort ?? ""}`.trim();
}

/** A whole percent unless that would read as 0 or 100 when it is not. */
function percentWords(p: number): string {
  const whole = Math.round(p);
  if ((whole === 0 && p > 0) || (whole === 100 && p < 100)) return percentLabel(p);
  return `${whole}%`;
}

/** When a quiz opens (before it has) or closes, in words, by the rules given: the student's own (exceptions applied) on their pages. */
export function quizWhen(rules: { opensAt: Date | null; closesAt: Date | null }, now: Date, timeZone: string): string | null {
  if (rules.opensAt && rules.opensAt > now) return whenPhrase("opens", rules.opensAt, now, timeZone);
  return rules.closesAt && whenPhrase("closes", rules.closesAt, now, timeZone);
}

/** Everything the week page shows for one student (`now` is the app's clock). */
/** `self`: the signed-in user when the student is them, whose own state the session's statement may have read (week.session.ts). */
export async function studentWeek(deps: WeekDeps, course: LoadedCourse, studentId: string, now: Date, self: SessionUser | null = null) {
  const tz = course.timeZone;
  const base = `/courses/${course.slug}`;
  const [team, modules, quizList, caseStudies] = await Promise.all([
    deps.courses.teamRefOf(course.id, studentId),
    deps.readings.modules(course.id),
    deps.quizzes.quizzesOf(course.id),
    deps.submissions.caseStudies(course.id),
  ]);
  // The student's ticks in every module (read with the session's statement when they are the signed-in
  // user: week.session.ts), grades, exceptions and attempts at every quiz: one statement.
  const mine = await readParts(deps.sql, {
    items: deps.checklist.itemsPart(modules, studentId),
    standing: deps.quizzes.standingPart(quizList, studentId),
    attempts: deps.quizzes.attemptsPart(quizList, studentId),
  }, self ? { items: ticksFromSession(self, course.slug) } : {}); // grades and attempts in one snapshot: both from this statement
  const todo: TodoItem[] = [];

  // Checklist: per module and kind (Theory, Practical), x of y done, and the first open item.
  const checklists = modules.map((m) => {
    const items = mine.items.get(m.id)!;
    const link = (i: ItemView) => `${base}/modules/${m.slug}/readings/${i.readingSlug}#${i.anchor}`;
    const sections = [ChecklistSection.THEORY, ChecklistSection.PRACTICAL].flatMap((section) => {
      const mine = items.filter((i) => i.section === section);
      if (!mine.length) return [];
      const done = mine.filter((i) => i.done).length;
      const dueAt = section === ChecklistSection.THEORY ? m.theoryDueAt : m.practicalDueAt;
      const open = mine.find((i) => !i.done);
      const overdue = !!open && dueAt !== null && dueAt <= now;
      const item = checklistTodo(m, section, mine, link, modules.length > 1, now, tz);
      if (item) todo.push(item);
      return [{
        label: SECTION_LABEL[section], done, total: mine.length, complete: done === mine.length,
        percent: Math.round((100 * done) / mine.length), overdue,
        when: dueAt && whenPhrase("due", dueAt, now, tz),
        items: mine.map((i) => ({ title: i.title, href: link(i), done: i.done, completedAt: i.completedAt && dayTime(i.completedAt, tz, now), overdue: i.overdue })),
      }];
    });
    return { title: m.title, href: `${base}/modules/${m.slug}`, sections };
  });

  // Quizzes: the grade as points and percent; one not passed yet and still open is to do. The student
  // sees their grade and scores only when the quiz's review rules show "score" now, as on the quiz page;
  // a staff member's view of their week shows them.
  const quizzes = quizList.map((q) => {
    const { grade, policy, problem, times } = mine.standing.get(q.id)!;
    const hidden = self !== null && policy !== null && !scoreShown(policy, now);
    const attempts = mine.attempts.get(q.id)!;
    const submitted = attempts.filter((a) => a.status === "SUBMITTED");
    const max = submitted.at(-1)?.maxScore ?? null;
    const best = submitted.reduce<number | null>((b, a) => Math.max(b ?? 0, percentOf(a)), null);
    const inProgress = attempts.find((a) => a.status === "IN_PROGRESS");
    const href = `${base}/quizzes/${q.slug}`;
    // A quiz whose stored rules cannot be read is listed with what is known (its page says what to do).
    const item = policy && quizTodo(q, href, grade, policy, inProgress ?? null, now, tz, hidden);
    if (item) todo.push(item);
    return {
      title: q.title, href, unreadable: problem !== null,
      when: quizWhen(times, now, tz),
      gradeHidden: grade && hidden ? scoreHiddenNote(policy!, now) : null,
      grade: grade && !hidden && {
        points: max !== null ? `${points((grade.percent / 100) * max)} / ${points(max)}` : null,
        percent: percentWords(grade.percent), passed: grade.passed, passPercent: policy && formatNumber(policy.passPercent),
        attempts: grade.attempts, attemptsLabel: grade.attempts === 1 ? "1 attempt" : `${grade.attempts} attempts`,
        best: best !== null && Math.abs(best - grade.percent) > 1e-9 ? percentWords(best) : null,
      },
      attempts: attempts.map((a) => ({
        number: a.number, href: `${href}/attempts/${a.id}`, inProgress: a.status === "IN_PROGRESS", autoSubmitted: a.autoSubmitted,
        score: a.status === "SUBMITTED" && !hidden ? `${points(a.score ?? 0)} / ${points(a.maxScore)}` : null,
        percent: a.status === "SUBMITTED" && !hidden ? percentWords(percentOf(a)) : null,
        hidden: a.status === "SUBMITTED" && hidden,
      })),
    };
  });

  // Case studies: the team's points (the points rule) and best score; before the deadline, to do.
  const cases = await Promise.all(caseStudies.map(async (cs) => {
    const href = `${base}/case-studies/${cs.slug}`;
    const settings = settingsOf(cs);
    const showPrivate = privateVisible(cs, now);
    const subs = team ? await deps.submissions.teamSubmissions(cs.id, team.id) : [];
    const counted = countedSubmissions(subs);
    const shown = showPrivate ? counted.private : counted.public;
    const scored = subs.filter((s) => s.status === "SCORED" && s.results[0]);
    const bestPublic = scored.reduce<number | null>((b, s) => Math.max(b ?? -1, s.results[0]!.publicScore), null);
    const open = now < cs.deadlineAt;
    const item = team ? caseTodo(cs, href, scored.length, now, tz) : null;
    if (item) todo.push(item);
    return {
      title: cs.title, href, hasTeam: !!team, showPrivate,
      when: whenPhrase(open ? "due" : "closes", cs.deadlineAt, now, tz),
      metric: settings.points.metric === "accuracy" ? "accuracy" : "macro-F1",
      points: shown && { value: points(shown.points), max: points(settings.points.max), number: shown.submission.number, overridden: shown.overridden, href: `${href}/submissions/${shown.submission.id}` },
      bestScore: bestPublic === null ? null : bestPublic.toFixed(4),
      submissions: subs.filter((s) => !s.refused).length,
    };
  }));

  // Review requests: answers first (they are news), then those still waiting.
  const rows = await deps.reviews.forStudent(course.id, studentId, team?.id ?? null);
  const requests = rows.map((r) => {
    const about = aboutRequest(base, r);
    return {
      ...about, answered: r.resolvedAt !== null, message: r.message, askedBy: r.askedBy.name, askedAt: dayTime(r.createdAt, tz, now),
      response: r.response, answeredBy: r.resolvedBy?.name ?? null, answeredAt: r.resolvedAt && dayTime(r.resolvedAt, tz, now),
      // Not read by the student yet: new on their week page (which shows it in full), on their to-do list until read.
      fresh: r.resolvedAt !== null && !r.readByStudent,
    };
  });
  for (const r of requests.filter((x) => x.fresh)) todo.push(answerTodo(r));
  return { team, checklists, quizzes, caseStudies: cases, requests, todo: sortTodo(todo), unread: rows.filter((r) => r.resolvedAt !== null && !r.readByStudent) };
}

// #region the to-do rules, one per kind: the week page and the course page's list share them

/** A checklist kind with items left: its first open item, with how many are done and when they are due. */
function checklistTodo(m: { title: string; theoryDueAt: Date | null; practicalDueAt: Date | null }, section: ChecklistSection, mine: ItemView[], link: (i: ItemView) => string, nameModule: boolean, now: Date, tz: string): TodoItem | null {
  const open = mine.find((i) => !i.done);
  if (!open) return null;
  const done = mine.length - mine.filter((i) => !i.done).length;
  const dueAt = section === ChecklistSection.THEORY ? m.theoryDueAt : m.practicalDueAt;
  return {
    kind: SECTION_LABEL[section], title: open.title, href: link(open), dueAt, overdue: dueAt !== null && dueAt <= now,
    detail: `${nameModule ? `${m.title}: ` : ""}${done} of ${mine.length} ${SECTION_LABEL[section]} items done`,
    when: dueAt && whenPhrase("due", dueAt, now, tz),
  };
}

/**
 * A quiz that is open and not passed yet (the student's own close time, exceptions applied). With its
 * grade hidden from the student (`gradeHidden`: the review rules), a submitted quiz is not on the list,
 * passed or not: the list would tell them what the rules keep back, and they have nothing to act on.
 */
function quizTodo(q: { title: string }, href: string, grade: { passed: boolean; percent: number; attempts?: number } | null, policy: Pick<Policy, "opensAt" | "closesAt" | "passPercent" | "attemptsAllowed">, inProgress: { id: string } | null | undefined, now: Date, tz: string, gradeHidden: boolean): TodoItem | null {
  const closed = policy.closesAt !== null && policy.closesAt <= now;
  if ((grade?.passed && !gradeHidden) || closed || (policy.opensAt !== null && policy.opensAt > now)) return null;
  if (grade && gradeHidden && !inProgress) return null;
  // Every attempt used and none running: nothing left to do (the quiz page says so).
  if (!inProgress && grade?.attempts !== undefined && policy.attemptsAllowed !== null && grade.attempts >= policy.attemptsAllowed) return null;
  return {
    kind: "Quiz", title: q.title, href: inProgress ? `${href}/attempts/${inProgress.id}` : href, dueAt: policy.closesAt, overdue: false,
    // inProgress undefined: not read (the course page), so "no grade yet" rather than "not attempted yet".
    detail: inProgress ? "an attempt is in progress" : grade ? `not passed yet: ${percentWords(grade.percent)}, ${formatNumber(policy.passPercent)}% needed` : inProgress === undefined ? "no grade yet" : "not attempted yet",
    when: policy.closesAt && whenPhrase("closes", policy.closesAt, now, tz),
  };
}

/** A case study before its deadline (for a student in a team); `scored` is null where the count is not read. */
function caseTodo(cs: { title: string; deadlineAt: Date }, href: string, scored: number | null, now: Date, tz: string): TodoItem | null {
  if (now >= cs.deadlineAt) return null;
  return {
    kind: "Case study", title: cs.title, href, dueAt: cs.deadlineAt, overdue: false,
    detail: scored === null ? null : scored ? `your team has ${scored} scored submission${scored === 1 ? "" : "s"}` : "no scored submission yet",
    when: whenPhrase("due", cs.deadlineAt, now, tz),
  };
}

/** An answer from the staff that the student has not read yet. */
function answerTodo(r: { what: string; href: string; answeredBy: string | null }): TodoItem {
  return { kind: "Review answered", title: `Read the staff's answer about ${r.what}`, href: r.href, detail: r.answeredBy && `answered by ${r.answeredBy}`, when: null, overdue: false, dueAt: null };
}

/** Answers first (they are news), then overdue items, then by due time (none last). */
function sortTodo(todo: TodoItem[]): TodoItem[] {
  const rank = (t: TodoItem) => (t.kind === "Review answered" ? 0 : t.overdue ? 1 : 2);
  return todo.sort((a, b) => rank(a) - rank(b) || (a.dueAt?.getTime() ?? Infinity) - (b.dueAt?.getTime() ?? Infinity));
}

/** What a review request is about, and where it is answered, in words and a link. */
function aboutRequest(base: string, r: { attempt: { id: string; number: number; quiz: { slug: string; title: string } } | null; submission: { id: string; number: number; caseStudy: { slug: string; title: string } } | null }) {
  return r.attempt
    ? { what: `${r.attempt.quiz.title}, attempt ${r.attempt.number}`, href: `${base}/quizzes/${r.attempt.quiz.slug}/attempts/${r.attempt.id}#review-h` }
    : { what: `${r.submission!.caseStudy.title}, submission #${r.submission!.number}`, href: `${base}/case-studies/${r.submission!.caseStudy.slug}/submissions/${r.submission!.id}#review-h` };
}

// #endregion

/**
 * The course page's to-do list: the week page's rules on what the course page has already read
 * (modules, quizzes with the student's grades and exceptions, every module's items with the
 * student's ticks, case studies, team, answers not read yet). It leaves out what only the week page shows
 * (an attempt in progress, the team's submission count).
 */
export function courseTodo(course: LoadedCourse, now: Date, seen: {
  modules: Awaited<ReturnType<ReadingsService["modules"]>>;
  quizzes: QuizRow[];
  standing: Map<string, Standing>;
  items: Map<string, ItemView[]>;
  caseStudies: { title: string; slug: string; deadlineAt: Date }[];
  team: { id: string } | null;
  answers: TeamAndAnswers["answers"];
}, limit = 5) {
  const tz = course.timeZone;
  const base = `/courses/${course.slug}`;
  const todo: TodoItem[] = [];
  for (const m of seen.modules) {
    const items = seen.items.get(m.id)!;
    const link = (i: ItemView) => `${base}/modules/${m.slug}/readings/${i.readingSlug}#${i.anchor}`;
    for (const section of [ChecklistSection.THEORY, ChecklistSection.PRACTICAL]) {
      const item = checklistTodo(m, section, items.filter((i) => i.section === section), link, seen.modules.length > 1, now, tz);
      if (item) todo.push(item);
    }
  }
  for (const q of seen.quizzes) {
    const { grade, policy } = seen.standing.get(q.id)!;
    const item = policy && quizTodo(q, `${base}/quizzes/${q.slug}`, grade, policy, undefined, now, tz, !scoreShown(policy, now));
    if (item) todo.push(item);
  }
  for (const cs of seen.caseStudies) {
    const item = seen.team ? caseTodo(cs, `${base}/case-studies/${cs.slug}`, null, now, tz) : null;
    if (item) todo.push(item);
  }
  for (const r of seen.answers) todo.push(answerTodo({ ...aboutRequest(base, r), answeredBy: r.resolvedBy }));
  const sorted = sortTodo(todo);
  return { items: sorted.slice(0, limit), more: Math.max(0, sorted.length - limit) };
}
