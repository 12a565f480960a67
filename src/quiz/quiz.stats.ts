// Quiz item statistics as Moodle's quiz statistics report defines them, over every
// submitted attempt: facility (mean score %), standard deviation, discrimination index
// (correlation of the item's score with the rest of the attempt's score) and
// discriminative efficiency (that covariance over the largest covariance the two
// score distributions allow), choice frequencies for distractor analysis, facility per
// variant, the most common wrong answers to numeric and short-text questions. Quiz
// level: mean, median, distribution, average time.
//
// One source: `quizStats` computes every figure from the attempts as they stand when
// the report is read (the store reads them in one statement), so a submit, a late
// submit, a grader's mark change or a deleted student shows at once, with nothing kept
// in step at write time.
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
  type: string;
  /** Choice questions: the chosen options' positions in the quiz file. */
  chosen?: number[];
  /** Numeric and short-text questions: the answer as typed. */
  answer?: string;
  /**
   * The question as this attempt shows it (a variant's text differs per variant): its text and,
   * for choice questions, every option's text by position in the file. The report shows the
   * last attempt's; earlier attempts may leave them out.
   */
  textHtml?: string;
  options?: string[];
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

/** Sums of one question over the attempts: x = its score as a fraction of its points, y = the rest of the attempt's score. */
interface ItemSums {
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

interface TotalSums {
  n: number;
  sumP: number;
  sumPP: number;
  nTimed: number;
  sumSeconds: number;
  histogram: number[];
}

interface StatSums {
  total: TotalSums;
  items: Map<string, ItemSums>;
  /** questionId → variant → count and sum of x. */
  variants: Map<string, Map<string, { n: number; sumX: number }>>;
}

const emptySums = (): StatSums => ({
  total: { n: 0, sumP: 0, sumPP: 0, nTimed: 0, sumSeconds: 0, histogram: new Array<number>(10).fill(0) },
  items: new Map(),
  variants: new Map(),
});

/** An attempt's score in percent of its maximum. */
export function percentOf(a: { score: number | null; maxScore: number }): number {
  return a.maxScore > 0 ? ((a.score ?? 0) / a.maxScore) * 100 : 0;
}
export const histogramBin = (percent: number) => Math.max(0, Math.min(9, Math.floor(percent / 10)));

/** Adds one slot of an attempt (score `attemptScore`) to its question's sums. */
function addSlot(sums: StatSums, slot: StatSlot, attemptScore: number) {
  const x = slot.points ? slot.score / slot.points : 0;
  const y = attemptScore - slot.score;
  let it = sums.items.get(slot.questionId);
  if (!it) sums.items.set(slot.questionId, (it = { n: 0, sumX: 0, sumXX: 0, sumY: 0, sumYY: 0, sumXY: 0, choices: [], type: slot.type, textHtml: "", options: [] }));
  it.n++;
  it.sumX += x;
  it.sumXX += x * x;
  it.sumY += y;
  it.sumYY += y * y;
  it.sumXY += x * y;
  for (const i of slot.chosen ?? []) it.choices[i] = (it.choices[i] ?? 0) + 1;
  it.type = slot.type;
  if (slot.textHtml !== undefined) {
    it.textHtml = slot.textHtml;
    it.options = slot.options ?? [];
  }
  if (slot.variant) {
    const m = sums.variants.get(slot.questionId) ?? new Map<string, { n: number; sumX: number }>();
    const v = m.get(slot.variant) ?? { n: 0, sumX: 0 };
    m.set(slot.variant, { n: v.n + 1, sumX: v.sumX + x });
    sums.variants.set(slot.questionId, m);
  }
}

/** Sample variance from sums; 0 when the values do not vary (up to rounding). */
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

/** The report from the sums, plus the figures that need the values themselves. */
function statsFromSums(sums: StatSums, ordered: { median: number | null; efficiency: Map<string, number | null>; wrongAnswers: Map<string, QuestionStats["wrongAnswers"]> }): QuizStats {
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
      wrongAnswers: ordered.wrongAnswers.get(questionId) ?? [],
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

/** Question types whose wrong answers the report lists. */
const TYPED_ANSWERS = new Set(["numeric", "short"]);

/**
 * The whole report from the submitted attempts, in the order they were submitted (the
 * question's text and options shown are the last attempt's that carries them).
 */
export function quizStats(attempts: StatAttempt[]): QuizStats {
  const sums = emptySums();
  const t = sums.total;
  // Per question: the (x, y) pairs for the efficiency, and each wrong typed answer with how often it was given.
  const pairs = new Map<string, { x: number[]; y: number[] }>();
  const wrong = new Map<string, Map<string, number>>();
  for (const a of attempts) {
    const p = percentOf(a);
    t.n++;
    t.sumP += p;
    t.sumPP += p * p;
    if (a.seconds !== null) {
      t.nTimed++;
      t.sumSeconds += a.seconds;
    }
    t.histogram[histogramBin(p)]!++;
    for (const slot of a.slots) {
      addSlot(sums, slot, a.score);
      const xy = pairs.get(slot.questionId) ?? { x: [], y: [] };
      xy.x.push(slot.points ? slot.score / slot.points : 0);
      xy.y.push(a.score - slot.score);
      pairs.set(slot.questionId, xy);
      // A wrong answer scored less than the question's points (a grader's changed mark counts); blank ones are left out.
      const answer = slot.answer?.trim();
      if (answer && TYPED_ANSWERS.has(slot.type) && slot.score < slot.points) {
        const m = wrong.get(slot.questionId) ?? new Map<string, number>();
        m.set(answer, (m.get(answer) ?? 0) + 1);
        wrong.set(slot.questionId, m);
      }
    }
  }
  const efficiency = new Map([...pairs].map(([id, xy]) => [id, efficiencyOf(xy.x, xy.y)]));
  const wrongAnswers = new Map([...wrong].map(([id, m]) => [id, [...m]
    .map(([answer, count]) => ({ answer, count }))
    .sort((a, b) => b.count - a.count || (a.answer < b.answer ? -1 : a.answer > b.answer ? 1 : 0))
    .slice(0, WRONG_ANSWERS_SHOWN)]));
  return statsFromSums(sums, { median: median(attempts.map(percentOf)), efficiency, wrongAnswers });
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
