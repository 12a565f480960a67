// One question as a student gets it: drawn (variant parameters, choice order),
// rendered, and frozen into the attempt so later edits of the file change nothing
// for attempts already started. Also: reading a response from form fields,
// grading it, and the rules stated to students.
import { createHash } from "node:crypto";
import { renderFragment } from "../platform/markdown.js";
import type { Question, QuestionType } from "./quiz.definition.js";
import type { SeededRandom } from "../platform/random.js";
import { evaluateNumber, fillTemplate, formatNumber, isVariant, validCombinations, variantKey, withLets, type Scope } from "./variants.js";
import { escapeHtml as esc } from "../platform/text.js";

export interface Option {
  /** The name in the form: given after shuffling, so it never hints at the answer. */
  key: string;
  /** Position in the quiz file (for statistics per choice). */
  orig?: number;
  html: string;
  correct?: boolean;
  feedbackHtml?: string;
}

/** A question frozen into an attempt slot (stored as JSON; holds the answers, so never sent as is). */
export interface SlotQuestion {
  id: string;
  type: QuestionType;
  points: number;
  pool?: string;
  /** Parameter values of a variant question ("" for a fixed question). */
  variant: string;
  textHtml: string;
  explanationHtml?: string;
  ruleText?: string;
  choices?: Option[];
  scoring?: "partial" | "allOrNothing";
  answer?: boolean;
  feedbackTrueHtml?: string;
  feedbackFalseHtml?: string;
  numeric?: { answer: number; absolute?: number; relative?: number; unit?: string };
  short?: { accepted: string[]; pattern?: string; caseSensitive: boolean; ignoreSpaces: boolean };
  lefts?: Option[];
  rights?: Option[];
  /** matching: left key → right key; ordering: item keys in the right order. */
  matches?: Record<string, string>;
  order?: string[];
  items?: Option[];
}

export type Response =
  | { choice: string }
  | { choices: string[] }
  | { value: boolean }
  | { text: string }
  | { matches: Record<string, string> }
  | { positions: Record<string, number> }
  | Record<string, never>;

export type GradeState = "correct" | "partial" | "wrong" | "unanswered";

export interface Graded {
  fraction: number;
  state: GradeState;
}

const md = (s: string | undefined, scope: Scope) => (s ? renderFragment(fillTemplate(s, scope)) : undefined);
const inline = (s: string, scope: Scope) => renderFragment(fillTemplate(s, scope), { inline: true });

/** Draws a question for one attempt. `rng` decides the variant and, if `shuffleChoices`, the order. */
export function instantiate(q: Question, rng: SeededRandom, shuffleChoices: boolean, pool?: string): SlotQuestion {
  const params = isVariant(q) ? rng.pick(validCombinations(q)) : {};
  const scope = withLets(q, params);
  const base: SlotQuestion = {
    id: q.id, type: q.type, points: q.points, pool, variant: isVariant(q) ? variantKey(params) : "",
    textHtml: md(q.text, scope)!, explanationHtml: md(q.explanation, scope),
  };
  // Keys follow the displayed order, so a form field's value never tells which option is right.
  const order = (items: Omit<Option, "key">[], prefix: string, shuffle: boolean): Option[] =>
    (shuffle ? rng.shuffle(items) : items).map((o, i) => ({ ...o, key: `${prefix}${i}` }));
  switch (q.type) {
    case "single":
    case "multiple": {
      const choices = q.choices.map((c, i) => ({ orig: i, html: inline(c.text, scope), correct: c.correct, feedbackHtml: md(c.feedback, scope) }));
      const nRight = choices.filter((c) => c.correct).length;
      const nWrong = choices.length - nRight;
      return {
        ...base, choices: order(choices, "c", shuffleChoices && q.shuffle !== false),
        ...(q.type === "multiple" ? { scoring: q.scoring, ruleText: multipleRule(q.scoring, nRight, nWrong) } : {}),
      };
    }
    case "truefalse":
      return { ...base, answer: q.answer, feedbackTrueHtml: md(q.feedbackTrue, scope), feedbackFalseHtml: md(q.feedbackFalse, scope) };
    case "numeric": {
      const answer = typeof q.answer === "number" ? q.answer : evaluateNumber(q.answer, scope);
      const tol = "absolute" in q.tolerance ? { absolute: q.tolerance.absolute } : { relative: q.tolerance.relative };
      return { ...base, numeric: { answer, ...tol, unit: q.unit }, ruleText: numericRule(tol) };
    }
    case "short":
      return {
        ...base,
        short: {
          accepted: q.accepted.map((a) => fillTemplate(a, scope)),
          pattern: q.pattern ? fillTemplate(q.pattern, scope) : undefined,
          caseSensitive: q.caseSensitive, ignoreSpaces: q.ignoreSpaces,
        },
        ruleText: `${q.caseSensitive ? "Capitals matter" : "Capitals do not matter"}; extra spaces are ignored.`,
      };
    case "matching": {
      const lefts = order(q.pairs.map((p, i) => ({ orig: i, html: inline(p.left, scope) })), "l", shuffleChoices);
      const rights = order([...q.pairs.map((p) => p.right), ...q.distractors].map((r, i) => ({ orig: i, html: inline(r, scope) })), "r", true);
      const keyOf = (list: Option[], orig: number) => list.find((o) => o.orig === orig)!.key;
      return {
        ...base, lefts, rights,
        matches: Object.fromEntries(q.pairs.map((_p, i) => [keyOf(lefts, i), keyOf(rights, i)])),
        ruleText: `Each right match earns 1/${q.pairs.length} of the marks.`,
      };
    }
    case "ordering": {
      let shuffled = rng.shuffle(q.items.map((t, i) => ({ orig: i, html: inline(t, scope) })));
      // Never show the answer as the starting order.
      if (shuffled.every((it, i) => it.orig === i)) shuffled = [...shuffled.slice(1), shuffled[0]!];
      const items = shuffled.map((o, i) => ({ ...o, key: `i${i}` }));
      const right = [...items].sort((a, b) => a.orig - b.orig).map((i) => i.key);
      return { ...base, items, order: right, ruleText: `Each item in its right place earns 1/${items.length} of the marks.` };
    }
  }
}

function multipleRule(scoring: "partial" | "allOrNothing" | undefined, nRight: number, nWrong: number): string {
  if (scoring === "allOrNothing") return "Full marks only for exactly the right choices; otherwise none.";
  return `Each right choice you tick earns 1/${nRight} of the marks${nWrong ? `; each wrong one you tick takes away 1/${nWrong}` : ""}; never below zero.`;
}

function numericRule(tol: { absolute?: number; relative?: number }): string {
  if (tol.relative) return `Answers within ${formatNumber(tol.relative * 100)}% of the right value count.`;
  if (tol.absolute) return `Answers within ±${formatNumber(tol.absolute)} of the right value count.`;
  return "The exact value is needed.";
}

// #region reading responses

type Fields = Record<string, unknown>;
const str = (v: unknown): string | undefined => (Array.isArray(v) ? str(v[v.length - 1]) : typeof v === "string" ? v : undefined);
const MAX_TEXT = 500;

/**
 * The response to slot `n` from form fields (`s{n}`, `s{n}.{key}`), as sent by the
 * plain form and by autosave alike. Unknown keys are dropped, so a tampered form
 * cannot store anything the question does not offer.
 */
export function readResponse(q: SlotQuestion, n: number, fields: Fields): Response {
  const name = `s${n}`;
  const raw = fields[name];
  switch (q.type) {
    case "single": {
      const v = str(raw);
      return v && q.choices!.some((c) => c.key === v) ? { choice: v } : {};
    }
    case "multiple": {
      const list = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter((v): v is string => typeof v === "string");
      const keys = q.choices!.map((c) => c.key).filter((k) => list.includes(k));
      return keys.length ? { choices: keys } : {};
    }
    case "truefalse": {
      const v = str(raw);
      return v === "true" ? { value: true } : v === "false" ? { value: false } : {};
    }
    case "numeric":
    case "short": {
      const v = str(raw);
      return v && v.trim() ? { text: v.slice(0, MAX_TEXT) } : {};
    }
    case "matching": {
      const rights = new Set(q.rights!.map((r) => r.key));
      const matches = Object.fromEntries(
        q.lefts!.map((l) => [l.key, str(fields[`${name}.${l.key}`])] as const).filter((e): e is [string, string] => !!e[1] && rights.has(e[1])),
      );
      return Object.keys(matches).length ? { matches } : {};
    }
    case "ordering": {
      const n2 = q.items!.length;
      const positions = Object.fromEntries(
        q.items!.map((it) => [it.key, Number(str(fields[`${name}.${it.key}`]))] as const).filter(([, p]) => Number.isInteger(p) && p >= 1 && p <= n2),
      );
      return Object.keys(positions).length ? { positions } : {};
    }
  }
}

/**
 * A short fingerprint of a response: equal for equal responses whatever the order of their keys
 * (PostgreSQL's jsonb reorders them), none the same as an empty one. The attempt page carries the
 * fingerprint of each answer it shows (and of each its script saved since), so its form post
 * can tell an answer the page changed from one it only carried along.
 */
export function responseDigest(r: Response | null | undefined): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(canonical)
      : v && typeof v === "object" ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash("sha256").update(JSON.stringify(canonical(r ?? {}))).digest("base64url").slice(0, 22);
}

export function isAnswered(r: Response | null | undefined): boolean {
  return !!r && Object.keys(r).length > 0;
}

// #region grading

/** Normalises short text the way the rule states: Unicode NFKC, trimmed, spaces collapsed, case folded unless it matters. */
export function normaliseText(s: string, { caseSensitive = false, ignoreSpaces = false } = {}): string {
  let t = s.normalize("NFKC").trim().replace(/\s+/g, " ");
  if (ignoreSpaces) t = t.replace(/ /g, "");
  return caseSensitive ? t : t.toLocaleLowerCase("en");
}

/**
 * A number as students type it: spaces, underscores and thin spaces between digits
 * are ignored; "1,234,567" is thousands; a single comma otherwise is a decimal
 * comma ("2,5"); exponents ("1e-3") and a leading + are fine. Anything else: null.
 */
export function parseNumber(input: string): number | null {
  let s = input.normalize("NFKC").trim().replace(/[\s_\u2009\u202f]/g, "").replace(/^\+/, "").replace(/^−/, "-");
  if (/^-?\d{1,3}(,\d{3})+(\.\d+)?$/.test(s)) s = s.replace(/,/g, "");
  else if (/^-?\d*,\d+$/.test(s)) s = s.replace(",", ".");
  if (!/^-?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/**
 * The number of a numeric answer, typed with or without the question's unit after it (the page
 * shows the unit beside the box, so "18.9 million" where the unit is "million" is 18.9, as in
 * Moodle's numerical questions with units). Another word after the number is not read.
 */
export function parseNumberWithUnit(input: string, unit?: string): number | null {
  if (unit) {
    const text = input.normalize("NFKC").trim();
    const u = unit.normalize("NFKC").trim();
    if (u && text.length > u.length && text.slice(-u.length).toLocaleLowerCase("en") === u.toLocaleLowerCase("en")) {
      const number = parseNumber(text.slice(0, -u.length));
      if (number !== null) return number;
    }
  }
  return parseNumber(input);
}

/** Whether a numeric answer already ends with the question's unit (so a review does not add it twice). */
export function endsWithUnit(input: string, unit?: string): boolean {
  return !!unit && parseNumber(input) === null && parseNumberWithUnit(input, unit) !== null;
}

const state = (fraction: number): GradeState => (fraction >= 1 - 1e-9 ? "correct" : fraction > 0 ? "partial" : "wrong");

export function grade(q: SlotQuestion, r: Response | null | undefined): Graded {
  if (!isAnswered(r)) return { fraction: 0, state: "unanswered" };
  const f = gradeFraction(q, r!);
  const fraction = Math.min(1, Math.max(0, f));
  return { fraction, state: state(fraction) };
}

function gradeFraction(q: SlotQuestion, r: Response): number {
  switch (q.type) {
    case "single":
      return q.choices!.find((c) => c.key === (r as { choice: string }).choice)?.correct ? 1 : 0;
    case "multiple": {
      const picked = new Set((r as { choices: string[] }).choices);
      const right = q.choices!.filter((c) => c.correct);
      const wrong = q.choices!.filter((c) => !c.correct);
      if (q.scoring === "allOrNothing") return right.every((c) => picked.has(c.key)) && wrong.every((c) => !picked.has(c.key)) ? 1 : 0;
      const gained = right.filter((c) => picked.has(c.key)).length / right.length;
      const lost = wrong.length ? wrong.filter((c) => picked.has(c.key)).length / wrong.length : 0;
      return gained - lost;
    }
    case "truefalse":
      return (r as { value: boolean }).value === q.answer ? 1 : 0;
    case "numeric": {
      const { answer, absolute, relative, unit } = q.numeric!;
      const v = parseNumberWithUnit((r as { text: string }).text, unit);
      if (v === null) return 0;
      const allowed = relative ? Math.abs(answer) * relative : (absolute ?? 0);
      // A little slack for binary floating point, so 0.1 + 0.2 style bounds still hold.
      return Math.abs(v - answer) <= allowed + 1e-9 * Math.max(1, Math.abs(answer)) ? 1 : 0;
    }
    case "short": {
      const { accepted, pattern, caseSensitive, ignoreSpaces } = q.short!;
      const given = normaliseText((r as { text: string }).text, { caseSensitive, ignoreSpaces });
      if (accepted.some((a) => normaliseText(a, { caseSensitive, ignoreSpaces }) === given)) return 1;
      if (pattern && new RegExp(`^(?:${pattern})$`, caseSensitive ? "u" : "iu").test(given)) return 1;
      return 0;
    }
    case "matching": {
      const m = (r as { matches: Record<string, string> }).matches;
      const lefts = Object.keys(q.matches!);
      return lefts.filter((l) => m[l] === q.matches![l]).length / lefts.length;
    }
    case "ordering": {
      const p = (r as { positions: Record<string, number> }).positions;
      return q.order!.filter((key, i) => p[key] === i + 1).length / q.order!.length;
    }
  }
}

// #region what students see

/** The right answer in words, for the review (only when the review rules allow). */
export function rightAnswerHtml(q: SlotQuestion): string {
  switch (q.type) {
    case "single":
    case "multiple":
      return q.choices!.filter((c) => c.correct).map((c) => c.html).join("; ");
    case "truefalse":
      return q.answer ? "True" : "False";
    case "numeric": {
      const n = q.numeric!;
      const tol = n.relative ? ` (±${formatNumber(n.relative * 100)}%)` : n.absolute ? ` (±${formatNumber(n.absolute)})` : "";
      return `${formatNumber(n.answer)}${n.unit ? ` ${esc(n.unit)}` : ""}${tol}`;
    }
    case "short":
      return q.short!.accepted.length ? q.short!.accepted.map(esc).join(" or ") : `text matching <code>${esc(q.short!.pattern ?? "")}</code>`;
    case "matching":
      return q.lefts!.map((l) => `${l.html} → ${q.rights!.find((r) => r.key === q.matches![l.key])?.html ?? ""}`).join("; ");
    case "ordering":
      return q.order!.map((k) => q.items!.find((i) => i.key === k)?.html ?? "").join(" → ");
  }
}

/** The feedback written for what the student answered. */
export function feedbackHtml(q: SlotQuestion, r: Response | null | undefined): string[] {
  if (!isAnswered(r)) return [];
  if (q.type === "single") return [q.choices!.find((c) => c.key === (r as { choice: string }).choice)?.feedbackHtml].filter((s): s is string => !!s);
  if (q.type === "multiple") {
    const picked = new Set((r as { choices: string[] }).choices);
    return q.choices!.filter((c) => picked.has(c.key) && c.feedbackHtml).map((c) => c.feedbackHtml!);
  }
  if (q.type === "truefalse") return [(r as { value: boolean }).value ? q.feedbackTrueHtml : q.feedbackFalseHtml].filter((s): s is string => !!s);
  return [];
}
