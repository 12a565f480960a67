// What the attempt and review pages show of each slot. The attempt view is built
// from an allow-list of fields, so right answers and feedback cannot leak into it;
// the review adds only what the quiz's review rules allow at that moment.
import sanitizeHtml from "sanitize-html";
import { endsWithUnit, feedbackHtml, grade, isAnswered, responseDigest, rightAnswerHtml, type Graded, type Response, type SlotQuestion } from "./questions.js";
import type { ReviewItem } from "./quiz.definition.js";
import { readSlotQuestion, readSlotResponse, storedQuestionId } from "./quiz.stored.js";
import { formatNumber } from "./variants.js";
import { escapeHtml as esc } from "../platform/text.js";

export interface SlotRow {
  slot: number;
  question: unknown;
  response: unknown;
  checkedAt: Date | null;
  score: number | null;
  state: string | null;
  flagged?: boolean;
}

const TYPE_LABEL: Record<SlotQuestion["type"], string> = {
  single: "Choose one", multiple: "Choose all that apply", truefalse: "True or false", numeric: "Number", short: "Short answer", matching: "Matching", ordering: "Ordering",
};
const STATE_LABEL: Record<string, string> = { correct: "Correct", partial: "Partly correct", wrong: "Incorrect", unanswered: "Not answered" };

/** Text for places that cannot hold markup (select options). */
const plain = (html: string) => sanitizeHtml(html, { allowedTags: [], allowedAttributes: {} }).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'");

/** The fields a student needs to answer: text, options in their order, their saved response. */
export function attemptSlotView(row: SlotRow, index: number, during: Set<ReviewItem>) {
  const q = readSlotQuestion(row.question);
  const r = (row.response ?? {}) as Record<string, unknown>;
  const name = `s${row.slot}`;
  const locked = !!row.checkedAt;
  const picked = new Set<string>("choice" in r ? [r.choice as string] : "choices" in r ? (r.choices as string[]) : []);
  const matches = ("matches" in r ? r.matches : {}) as Record<string, string>;
  const positions = ("positions" in r ? r.positions : {}) as Record<string, number>;
  // Ordering: shown in the student's saved order (unplaced items after, as drawn).
  const placed = (key: string) => positions[key] ?? Number.MAX_SAFE_INTEGER;
  const items = q.items && [...q.items].sort((a, b) => placed(a.key) - placed(b.key));
  return {
    n: index + 1,
    slot: row.slot,
    name,
    flagged: !!row.flagged,
    typeLabel: TYPE_LABEL[q.type],
    points: formatNumber(q.points),
    textHtml: q.textHtml,
    ruleText: q.ruleText,
    answered: isAnswered(readSlotResponse(row.response, q.id)),
    // What the page shows, fingerprinted: its form post leaves an answer it did not change (quiz.service saveAll).
    seen: responseDigest(readSlotResponse(row.response, q.id)),
    locked,
    isSingle: q.type === "single", isMultiple: q.type === "multiple", isTrueFalse: q.type === "truefalse",
    isNumeric: q.type === "numeric", isShort: q.type === "short", isMatching: q.type === "matching", isOrdering: q.type === "ordering",
    choices: q.choices?.map((c) => ({ key: c.key, html: c.html, checked: picked.has(c.key) })),
    tf: q.type === "truefalse" ? { isTrue: "value" in r && r.value === true, isFalse: "value" in r && r.value === false } : undefined,
    text: "text" in r ? String(r.text) : "",
    unit: q.numeric?.unit,
    // Matching: one group of radio buttons per prompt, so every answer's whole text shows and wraps.
    lefts: q.lefts?.map((l) => ({
      key: l.key, html: l.html, field: `${name}.${l.key}`,
      options: q.rights!.map((o) => ({ key: o.key, html: o.html, selected: matches[l.key] === o.key })),
    })),
    items: items?.map((it) => {
      const label = plain(it.html);
      return {
        key: it.key, html: it.html, label, field: `${name}.${it.key}`,
        positionLabel: `Position of '${label}'`,
        positions: q.items!.map((_x, i) => ({ value: i + 1, selected: positions[it.key] === i + 1 })),
      };
    }),
    itemCount: q.items?.length,
    checkable: during.size > 0 && !locked,
    checked: locked ? reviewSlotView(row, index, during) : undefined,
  };
}

/** The student's own answer, in words. */
function answerHtml(q: SlotQuestion, r: Response | null): string {
  if (!isAnswered(r)) return "";
  const x = r as Record<string, unknown>;
  switch (q.type) {
    case "single":
      return q.choices!.find((c) => c.key === x.choice)?.html ?? "";
    case "multiple":
      return q.choices!.filter((c) => (x.choices as string[]).includes(c.key)).map((c) => c.html).join("; ");
    case "truefalse":
      return x.value ? "True" : "False";
    case "numeric":
    case "short":
      return `<code>${esc(String(x.text))}</code>${q.numeric?.unit && !endsWithUnit(String(x.text), q.numeric.unit) ? ` ${esc(q.numeric.unit)}` : ""}`;
    case "matching": {
      const m = x.matches as Record<string, string>;
      return q.lefts!.map((l) => `${l.html} → ${q.rights!.find((o) => o.key === m[l.key])?.html ?? "—"}`).join("; ");
    }
    case "ordering": {
      const p = x.positions as Record<string, number>;
      return [...q.items!].sort((a, b) => (p[a.key] ?? 99) - (p[b.key] ?? 99)).map((i) => `${p[i.key] ?? "?"}. ${i.html}`).join(" ");
    }
  }
}

/** One slot of a finished (or checked) attempt, showing only the allowed items. */
export function reviewSlotView(row: SlotRow, index: number, show: Set<ReviewItem>) {
  const q = readSlotQuestion(row.question);
  const r = readSlotResponse(row.response, q.id);
  const g: Graded = row.state ? { fraction: q.points ? (row.score ?? 0) / q.points : 0, state: row.state as Graded["state"] } : grade(q, r);
  return {
    n: index + 1,
    typeLabel: TYPE_LABEL[q.type],
    textHtml: q.textHtml,
    points: formatNumber(q.points),
    variant: q.variant,
    showAnswer: show.has("answers"),
    answerHtml: answerHtml(q, r) || "<em>Not answered</em>",
    showMarks: show.has("marks"),
    score: formatNumber(Math.round(g.fraction * q.points * 100) / 100),
    showCorrectness: show.has("correctness"),
    state: g.state,
    stateLabel: STATE_LABEL[g.state],
    feedback: show.has("feedback") ? feedbackHtml(q, r) : [],
    explanationHtml: show.has("explanation") ? q.explanationHtml : undefined,
    rightAnswerHtml: show.has("rightAnswer") ? rightAnswerHtml(q) : undefined,
  };
}

// #region attempt figures, the same wherever an attempt is listed

/** How long an attempt took, in words ("12 min", "1 h 5 min"); null while in progress. */
/** An attempt's time left, in words for the quiz page: whole minutes rounded up; none left says so. */
export function timeLeftWords(seconds: number): string {
  if (seconds <= 0) return "Its time is up: open it to submit what you saved.";
  if (seconds < 60) return "Less than a minute left.";
  const min = Math.ceil(seconds / 60);
  if (min === 1) return "About a minute left.";
  return min < 120 ? `About ${min} minutes left.` : `About ${Math.floor(min / 60)} h ${min % 60} min left.`;
}

/**
 * How long a new attempt would last, in words: the time limit, or less when the quiz closes first
 * (an attempt ends at the close, whatever its limit).
 */
export function attemptLengthWords(limitMinutes: number | null, closesAt: Date | null, now: Date, closeTime: string | null): string | null {
  if (limitMinutes === null) return null;
  const untilClose = closesAt ? (closesAt.getTime() - now.getTime()) / 60_000 : Infinity;
  if (untilClose >= limitMinutes) return `${formatNumber(limitMinutes)} minutes once you start`;
  const left = Math.max(1, Math.floor(untilClose));
  return `${left} minute${left === 1 ? "" : "s"} once you start, not ${formatNumber(limitMinutes)}: the quiz closes at ${closeTime}`;
}

export function timeTaken(a: { startedAt: Date; submittedAt: Date | null }): string | null {
  if (!a.submittedAt) return null;
  const min = Math.round((a.submittedAt.getTime() - a.startedAt.getTime()) / 60_000);
  if (min < 1) return "under a minute";
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** The average time on a quiz in minutes, one decimal ("0.0" when it was no time at all); null: no timed attempt yet. */
export function averageMinutes(seconds: number | null): string | null {
  return seconds === null ? null : (seconds / 60).toFixed(1);
}

export function percentLabel(p: number): string {
  return `${formatNumber(Math.round(p * 10) / 10)}%`;
}

/** "12.5 / 14" — points of a submitted attempt. */
export function pointsLabel(a: { score: number | null; maxScore: number }): string {
  return `${formatNumber(Math.round((a.score ?? 0) * 100) / 100)} / ${formatNumber(a.maxScore)}`;
}

// #region pages of an attempt, the navigator, dates in words

/** How many pages an attempt of `count` questions has (`perPage` unset: one page). */
export function pageCount(count: number, perPage: number | undefined): number {
  return perPage ? Math.max(1, Math.ceil(count / perPage)) : 1;
}

/** The page (1-based) that shows the question at `index` (0-based, attempt order). */
export function pageOf(index: number, perPage: number | undefined): number {
  return perPage ? Math.floor(index / perPage) + 1 : 1;
}

/** Every question of the attempt with its state, for the navigator and the summary before submitting. */
export function navigatorView(rows: SlotRow[], perPage: number | undefined, currentPage: number | null) {
  const items = rows.map((row, i) => {
    const answered = isAnswered(readSlotResponse(row.response, storedQuestionId(row.question)));
    const flagged = !!row.flagged;
    const page = pageOf(i, perPage);
    const status = `${answered ? "answered" : "not answered"}${flagged ? ", flagged for review" : ""}`;
    return { n: i + 1, slot: row.slot, page, answered, flagged, status, here: page === currentPage };
  });
  const answered = items.filter((i) => i.answered).length;
  return {
    items,
    answered,
    total: items.length,
    unanswered: items.filter((i) => !i.answered),
    flagged: items.filter((i) => i.flagged),
  };
}
