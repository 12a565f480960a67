// Classification metrics as scikit-learn's classification_report computes them
// (precision/recall/F1 are 0 where undefined), the course's points rule, and a
// seeded, stratified public/private split of the holdout.
import { SeededRandom } from "../platform/random.js";

export interface ClassMetrics {
  classId: number;
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  predicted: number;
}

export interface Metrics {
  n: number;
  accuracy: number;
  /** Mean F1 over the classes present in the truth or the predictions (as sklearn's macro average). */
  macroF1: number;
  macroPrecision: number;
  macroRecall: number;
  perClass: ClassMetrics[];
  /** confusion[true][predicted] = count, over all numClasses. */
  confusion: number[][];
  mostConfused: { trueClass: number; predicted: number; count: number; trueName: string; predictedName: string }[];
}

export function computeMetrics(truth: ArrayLike<number>, predicted: ArrayLike<number>, numClasses: number, names: string[] = []): Metrics {
  if (truth.length !== predicted.length) throw new Error(`truth has ${truth.length} labels but there are ${predicted.length} predictions`);
  const n = truth.length;
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const t = truth[i]!;
    const p = predicted[i]!;
    if (p >= 0 && p < numClasses) confusion[t]![p]!++;
    if (t === p) correct++;
  }
  const name = (c: number) => names[c] ?? `class ${c}`;
  const perClass: ClassMetrics[] = [];
  for (let c = 0; c < numClasses; c++) {
    const tp = confusion[c]![c]!;
    const support = confusion[c]!.reduce((a, b) => a + b, 0);
    let predictedCount = 0;
    for (let r = 0; r < numClasses; r++) predictedCount += confusion[r]![c]!;
    const precision = predictedCount ? tp / predictedCount : 0;
    const recall = support ? tp / support : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    perClass.push({ classId: c, name: name(c), precision, recall, f1, support, predicted: predictedCount });
  }
  // Like sklearn with labels=None: average over classes that occur in the truth or the predictions.
  const present = perClass.filter((c) => c.support > 0 || c.predicted > 0);
  const mean = (f: (c: ClassMetrics) => number) => (present.length ? present.reduce((a, c) => a + f(c), 0) / present.length : 0);
  const pairs: Metrics["mostConfused"] = [];
  for (let t = 0; t < numClasses; t++) {
    for (let p = 0; p < numClasses; p++) {
      if (t !== p && confusion[t]![p]! > 0) pairs.push({ trueClass: t, predicted: p, count: confusion[t]![p]!, trueName: name(t), predictedName: name(p) });
    }
  }
  pairs.sort((a, b) => b.count - a.count || a.trueClass - b.trueClass || a.predicted - b.predicted);
  return {
    n,
    accuracy: n ? correct / n : 0,
    macroF1: mean((c) => c.f1),
    macroPrecision: mean((c) => c.precision),
    macroRecall: mean((c) => c.recall),
    perClass,
    confusion,
    mostConfused: pairs.slice(0, 10),
  };
}

export interface PointsRule {
  metric: "macroF1" | "accuracy";
  /** The metric value worth 0 points and the one worth `max` points; linear between, clamped. */
  zeroAt: number;
  fullAt: number;
  max: number;
}

/** The course's rule: macro-F1 0.79 → 0 points, 0.91 → 100 points, linear, clamped. */
export const COURSE_RULE: PointsRule = { metric: "macroF1", zeroAt: 0.79, fullAt: 0.91, max: 100 };

export function points(metrics: Pick<Metrics, "macroF1" | "accuracy">, rule: PointsRule = COURSE_RULE): number {
  const v = metrics[rule.metric];
  const raw = ((v - rule.zeroAt) / (rule.fullAt - rule.zeroAt)) * rule.max;
  return Math.round(Math.min(rule.max, Math.max(0, raw)) * 100) / 100;
}

export function describeRule(rule: PointsRule = COURSE_RULE): string {
  const label = rule.metric === "macroF1" ? "macro-F1" : "accuracy";
  return `${label} scaled linearly from ${rule.zeroAt} (0 points) to ${rule.fullAt} (${rule.max} points), clamped`;
}

export type Split = "public" | "private" | "all";

/**
 * Which holdout images are public: per class, a seeded shuffle puts `publicShare` of
 * them (rounded) in the public part, so both parts keep the class balance. The same
 * seed and labels always give the same split.
 */
export function publicMask(labels: ArrayLike<number>, seed: string, publicShare = 0.5): boolean[] {
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const list = byClass.get(labels[i]!) ?? [];
    list.push(i);
    byClass.set(labels[i]!, list);
  }
  const mask = new Array<boolean>(labels.length).fill(false);
  for (const [c, idx] of [...byClass.entries()].sort((a, b) => a[0] - b[0])) {
    const rng = new SeededRandom(`${seed}:split:${c}`);
    const chosen = rng.shuffle(idx).slice(0, Math.round(idx.length * publicShare));
    for (const i of chosen) mask[i] = true;
  }
  return mask;
}

export function splitIndices(labels: ArrayLike<number>, split: Split, seed: string, publicShare = 0.5): number[] {
  if (split === "all") return Array.from({ length: labels.length }, (_x, i) => i);
  const mask = publicMask(labels, seed, publicShare);
  const want = split === "public";
  return mask.flatMap((m, i) => (m === want ? [i] : []));
}
