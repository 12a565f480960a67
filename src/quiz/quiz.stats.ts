// Quiz item statistics as Moodle's quiz statistics report defines them, over every
// submitted attempt: facility (mean score %), standard deviation, discrimination index
// (correlation of the item's score with the rest of the attempt's score) and
// discriminative efficiency (that covariance over the largest covariance the two
// score distributions allow), choice frequencies for distractor analysis, facility per
// variant. Quiz level: mean, median, distribution, average time.
//
// Everything but the median and the efficiency follows from running sums, which each
// submitted attempt adds to (`attemptSums`, `addSums`) — the store keeps them current at
// every submit, and a grader's change of a mark replaces the attempt's share
// (`changedAttemptSums`). The median and the efficiency need the scores in order, so
// the store computes those two in SQL when the report is read, with the common wrong
// answers to numeric and short-text questions.
//
// A discrimination index from a handful of attempts is mostly noise: below
// MIN_ATTEMPTS_TO_FLAG a question is never flagged, and the report says the sample is small.
import { isPool, type QuizFile } from "./quiz.definition.js";

/** Fewer attempts of a question than this, and its discrimination is too noisy to flag it. */
export const MIN_ATTEMPTS_TO_FLAG = 30;
/** How many of the most common wrong answers the report lists per question. */
export const WRONG_ANSWERS_SHOWN = 5;

export interface StatSlot {
  questionId: string;
  variant: string;
  points: number;
  score: number;
  /** For choice questions: the chosen options' positions in the quiz file, and every option's text. */
  chosen?: number[];
  options?: string[];
  type: string;
  textHtml: string;
}

export interface StatAttempt {
  score: number;
  maxScore: number;
  seconds: number | null;
  slots: StatSlot[];
}

export interface QuestionStats {
  questionId: string;
  type: string;
  textHtml: string;
  n: number;
  facility: number;
  sd: number;
  discrimination: number | null;
  efficiency: number | null;
  /** Negative discrimination over at least MIN_ATTEMPTS_TO_FLAG attempts. */
  flagged: boolean;
  choices: { text: string; count: number; share: number }[];
  variants: { variant: string; n: number; facility: number }[];
  /** Numeric and short-text questions: the most common wrong answers given, most common first. */
  wrongAnswers: { answer: string; count: number }[];
}

export interface QuizStats {
  attempts: number;
  mean: number | null;
  median: number | null;
  sd: number | null;
  averageSeconds: number | null;
  /** Ten bins of the score in percent: [0,10), [10,20), …, [90,100]. */
  histogram: number[];
  questions: QuestionStats[];
}

/** Running sums of one question: x = its score as a fraction of its points, y = the rest of the attempt's score. */
export interface ItemSums {
  n: number;
  sumX: number;
  sumXX: number;
  sumY: number;
  sumYY: number;
  sumXY: number;
  /** Picks per option, by position in the quiz file. */
  choices: number[];
  /** The question as last seen (text of a variant differs per variant). */
  type: string;
  textHtml: string;
  options: string[];
}

export interface TotalSums {
  n: number;
  sumP: number;
  sumPP: number;
  nTimed: number;
  sumSeconds: number;
  histogram: number[];
}

export interface StatSums {
  total: TotalSums;
  items: Map<string, ItemSums>;
  /** questionId → variant → count and sum of x. */
  variants: Map<string, Map<string, { n: number; sumX: number }>>;
}

export const emptySums = (): StatSums => ({
  total: { n: 0, sumP: 0, sumPP: 0, nTimed: 0, sumSeconds: 0, histogram: new Array<number>(10).fill(0) },
  items: new Map(),
  variants: new Map(),
});

/** An attempt's score in percent of its maximum. */
export function percentOf(a: { score: number | null; maxScore: number }): number {
  return a.maxScore > 0 ? ((a.score ?? 0) / a.maxScore) * 100 : 0;
}
export const histogramBin = (percent: number) => Math.max(0, Math.min(9, Math.floor(percent / 10)));

/** What one submitted attempt adds to the running sums. */
export function attemptSums(a: StatAttempt): StatSums {
  const s = emptySums();
  const p = percentOf(a);
  s.total = { n: 1, sumP: p, sumPP: p * p, nTimed: a.seconds === null ? 0 : 1, sumSeconds: a.seconds ?? 0, histogram: s.total.histogram };
  s.total.histogram[histogramBin(p)] = 1;
  for (const slot of a.slots) {
    const x = slot.points ? slot.score / slot.points : 0;
    const y = a.score - slot.score;
    const options = slot.options ?? [];
    const choices = options.map((_o, i) => (slot.chosen?.includes(i) ? 1 : 0));
    addItem(s.items, slot.questionId, { n: 1, sumX: x, sumXX: x * x, sumY: y, sumYY: y * y, sumXY: x * y, choices, type: slot.type, textHtml: slot.textHtml, options });
    if (slot.variant) addVariant(s.variants, slot.questionId, slot.variant, { n: 1, sumX: x });
  }
  return s;
}

const addArrays = (a: number[], b: number[]) => Array.from({ length: Math.max(a.length, b.length) }, (_v, i) => (a[i] ?? 0) + (b[i] ?? 0));

function addItem(items: Map<string, ItemSums>, id: string, add: ItemSums) {
  const cur = items.get(id);
  if (!cur) return void items.set(id, { ...add, choices: [...add.choices] });
  items.set(id, {
    n: cur.n + add.n, sumX: cur.sumX + add.sumX, sumXX: cur.sumXX + add.sumXX, sumY: cur.sumY + add.sumY, sumYY: cur.sumYY + add.sumYY, sumXY: cur.sumXY + add.sumXY,
    choices: addArrays(cur.choices, add.choices), type: add.type, textHtml: add.textHtml, options: add.options,
  });
}

export function addVariant(variants: StatSums["variants"], id: string, variant: string, add: { n: number; sumX: number }) {
  const m = variants.get(id) ?? new Map<string, { n: number; sumX: number }>();
  const cur = m.get(variant) ?? { n: 0, sumX: 0 };
  m.set(variant, { n: cur.n + add.n, sumX: cur.sumX + add.sumX });
  variants.set(id, m);
}

/** Adds `add` into `into` (the later attempt's question text wins). */
export function addSums(into: StatSums, add: StatSums): StatSums {
  const t = into.total;
  const a = add.total;
  into.total = { n: t.n + a.n, sumP: t.sumP + a.sumP, sumPP: t.sumPP + a.sumPP, nTimed: t.nTimed + a.nTimed, sumSeconds: t.sumSeconds + a.sumSeconds, histogram: addArrays(t.histogram, a.histogram) };
  for (const [id, item] of add.items) addItem(into.items, id, item);
  for (const [id, m] of add.variants) for (const [v, x] of m) addVariant(into.variants, id, v, x);
  return into;
}

/** Every count and sum of `s` negated (question texts kept): adding it takes `s` back out. */
function negated(s: StatSums): StatSums {
  const t = s.total;
  const out: StatSums = {
    total: { n: -t.n, sumP: -t.sumP, sumPP: -t.sumPP, nTimed: -t.nTimed, sumSeconds: -t.sumSeconds, histogram: t.histogram.map((v) => -v) },
    items: new Map(),
    variants: new Map(),
  };
  for (const [id, it] of s.items) out.items.set(id, { ...it, n: -it.n, sumX: -it.sumX, sumXX: -it.sumXX, sumY: -it.sumY, sumYY: -it.sumYY, sumXY: -it.sumXY, choices: it.choices.map((v) => -v) });
  for (const [id, m] of s.variants) for (const [v, x] of m) addVariant(out.variants, id, v, { n: -x.n, sumX: -x.sumX });
  return out;
}

/**
 * What the running sums change by when a graded attempt's marks change (a grader's
 * override): the attempt as it was taken out, as it is now put in. Every item moves,
 * not only the changed one: the rest of the attempt's score (y) changed for the others.
 */
export function changedAttemptSums(before: StatAttempt, after: StatAttempt): StatSums {
  return addSums(negated(attemptSums(before)), attemptSums(after));
}

/** Sample variance from running sums; 0 when the values do not vary (up to rounding). */
function variance(n: number, sum: number, sumSq: number): number {
  if (n < 2) return 0;
  const v = (sumSq - (sum * sum) / n) / (n - 1);
  return v > 1e-12 * Math.max(1, sumSq / n) ? v : 0;
}

/**
 * Discriminative efficiency (%): the covariance of x and y over the largest covariance
 * any pairing of the same two sets of values reaches (both sorted the same way).
 */
export function efficiencyOf(x: number[], y: number[]): number | null {
  if (x.length < 2) return null;
  const cov = (a: number[], b: number[]) => {
    const ma = a.reduce((s, v) => s + v, 0) / a.length;
    const mb = b.reduce((s, v) => s + v, 0) / b.length;
    return a.reduce((s, v, i) => s + (v - ma) * (b[i]! - mb), 0) / (a.length - 1);
  };
  const max = cov([...x].sort((a, b) => a - b), [...y].sort((a, b) => a - b));
  return max > 1e-12 ? (cov(x, y) / max) * 100 : null;
}

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The report from the running sums, plus the two figures that need ordered scores. */
export function statsFromSums(sums: StatSums, ordered: { median: number | null; efficiency: Map<string, number | null> }): QuizStats {
  const t = sums.total;
  const questions = [...sums.items.entries()].map(([questionId, it]): QuestionStats => {
    const vx = variance(it.n, it.sumX, it.sumXX);
    const vy = variance(it.n, it.sumY, it.sumYY);
    const cov = it.n >= 2 ? (it.sumXY - (it.sumX * it.sumY) / it.n) / (it.n - 1) : 0;
    const discrimination = vx > 0 && vy > 0 ? (cov / Math.sqrt(vx * vy)) * 100 : null;
    const variants = [...(sums.variants.get(questionId) ?? new Map<string, { n: number; sumX: number }>()).entries()];
    return {
      questionId, type: it.type, textHtml: it.textHtml, n: it.n,
      facility: (it.sumX / it.n) * 100, sd: Math.sqrt(vx) * 100,
      discrimination, efficiency: discrimination === null ? null : (ordered.efficiency.get(questionId) ?? null),
      flagged: discrimination !== null && discrimination < 0 && it.n >= MIN_ATTEMPTS_TO_FLAG,
      choices: it.options.map((text, i) => ({ text, count: it.choices[i] ?? 0, share: it.n ? (it.choices[i] ?? 0) / it.n : 0 })),
      variants: variants.map(([variant, v]) => ({ variant, n: v.n, facility: (v.sumX / v.n) * 100 })).sort((a, b) => a.facility - b.facility),
      wrongAnswers: [],
    };
  });
  questions.sort((a, b) => a.questionId.localeCompare(b.questionId));
  return {
    attempts: t.n,
    mean: t.n ? t.sumP / t.n : null,
    median: ordered.median,
    sd: t.n >= 2 ? Math.sqrt(variance(t.n, t.sumP, t.sumPP)) : null,
    averageSeconds: t.nTimed ? t.sumSeconds / t.nTimed : null,
    histogram: t.histogram,
    questions,
  };
}

/** The whole report from a list of attempts (what the store's running sums must agree with). */
export function quizStats(attempts: StatAttempt[]): QuizStats {
  const sums = attempts.reduce((acc, a) => addSums(acc, attemptSums(a)), emptySums());
  const efficiency = new Map<string, number | null>();
  for (const id of sums.items.keys()) {
    const rows = attempts.flatMap((a) => a.slots.filter((s) => s.questionId === id).map((s) => ({ x: s.points ? s.score / s.points : 0, y: a.score - s.score })));
    efficiency.set(id, efficiencyOf(rows.map((r) => r.x), rows.map((r) => r.y)));
  }
  return statsFromSums(sums, { median: median(attempts.map(percentOf)), efficiency });
}

/** A question of the report as the quiz has it: its place, its right choices, its text in brief. */
export interface QuestionReport extends Omit<QuestionStats, "choices"> {
  /** 1-based place in the quiz file (pools' questions in file order); null for a question no longer in it. */
  number: number | null;
  /** The question's text without markup, cut to about 90 characters. */
  excerpt: string;
  /** correct: from the quiz file's flags; null when the question is no longer in the file. */
  choices: { text: string; count: number; share: number; correct: boolean | null }[];
}

/** The questions of a quiz file in order, with the right-choice flags of choice questions (by position). */
export function quizOrderOf(definition: QuizFile): { id: string; correct?: boolean[] }[] {
  return definition.questions.flatMap((e) => (isPool(e) ? e.questions : [e])).map((q) => ({
    id: q.id, correct: q.type === "single" || q.type === "multiple" ? q.choices.map((c) => c.correct) : undefined,
  }));
}

const plain = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/&nbsp;/g, " ").replace(/&amp;/g, "&").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/\s+/g, " ").trim();
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1).trimEnd()}…` : s);

/**
 * The report's questions in the quiz's order (questions since removed from the file last,
 * by id), the right choices marked from the file's flags (a choice's position is kept in
 * every attempt, whatever order the student saw).
 */
export function reportByQuiz(stats: QuizStats, order: { id: string; correct?: boolean[] }[]): QuestionReport[] {
  const place = new Map(order.map((q, i) => [q.id, i]));
  return [...stats.questions]
    .sort((a, b) => (place.get(a.questionId) ?? Infinity) - (place.get(b.questionId) ?? Infinity) || a.questionId.localeCompare(b.questionId))
    .map((q) => {
      const i = place.get(q.questionId);
      const correct = i === undefined ? undefined : order[i]!.correct;
      return { ...q, number: i === undefined ? null : i + 1, excerpt: cut(plain(q.textHtml), 90), choices: q.choices.map((c, k) => ({ ...c, correct: i === undefined ? null : (correct?.[k] ?? false) })) };
    });
}
