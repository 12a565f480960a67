// Scoring a submission against a holdout: a model (run in a child process within a
// budget) or a predictions CSV (streamed in a child process too), then metrics, points
// and the public/private split.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_ZIP_LIMITS } from "./archive.js";
import { ModelRefused } from "./errors.js";
import { readHoldout, type Holdout } from "./holdout.js";
import { PREPROCESSING_RULE } from "./preprocessing.js";
import { predictionsCaps, readPredictionsInChild } from "./predictions.js";
import { computeMetrics, COURSE_RULE, describeRule, points, splitIndices, type Metrics, type PointsRule, type Split } from "./metrics.js";
import type { ModelLimits, ModelSummary } from "./models.js";
import { sniff } from "./sniff.js";
import { DEFAULT_BUDGET, runInference, type Budget } from "./runner.js";

export interface GradingLimits extends ModelLimits, Budget {
  maxUploadBytes: number;
  batchSize: number;
}

export const DEFAULT_LIMITS: GradingLimits = {
  maxUploadBytes: 200 * 1024 * 1024,
  maxParams: 50_000_000,
  maxFlopsPerImage: 5e9,
  // 64 MB of floats for one layer's output per image: VGG16 at 224 px needs 3.2 M, ResNet50 0.8 M.
  maxActivationValues: 16 * 2 ** 20,
  zip: DEFAULT_ZIP_LIMITS,
  ...DEFAULT_BUDGET,
  batchSize: 64,
};

export interface ScoreOptions {
  model: string;
  holdout: string | Holdout;
  split?: Split;
  /** Seeds the public/private split; default: derived from labels.csv, so stable per holdout. */
  splitSeed?: string;
  rule?: PointsRule;
  limits?: Partial<GradingLimits>;
  onProgress?: (done: number, total: number) => void;
  /** Where decoded holdout images are kept between scorings (a folder of the server's own; default: none). */
  cacheDir?: string | null;
}

export interface Misclassified {
  filename: string;
  trueClass: number;
  predicted: number;
  confidence: number | null;
}

export interface ScoreResult extends Metrics {
  split: Split;
  points: number;
  rule: string;
  engine: string;
  inferenceSeconds: number | null;
  imagesPerSecond: number | null;
  model: ModelSummary | null;
  kind: "model" | "predictions";
  preprocessing: string | null;
  misclassified: Misclassified[];
  classNames: string[];
}

export function defaultSplitSeed(h: Holdout): string {
  return crypto.createHash("sha256").update(fs.readFileSync(path.join(h.dir, "labels.csv"))).digest("hex").slice(0, 16);
}

function sampleMisclassified(h: Holdout, idx: number[], predicted: ArrayLike<number>, confidence: ArrayLike<number> | null, max = 24): Misclassified[] {
  // idx[k] is the holdout index of predicted[k].
  const wrong = idx.map((holdoutIndex, k) => ({ holdoutIndex, k })).filter(({ holdoutIndex, k }) => predicted[k] !== h.labels[holdoutIndex]);
  const step = Math.max(1, wrong.length / max);
  const picked: typeof wrong = [];
  for (let i = 0; i < wrong.length && picked.length < max; i += step) picked.push(wrong[Math.floor(i)]!);
  return picked.map(({ holdoutIndex, k }) => ({
    filename: h.files[holdoutIndex]!, trueClass: h.labels[holdoutIndex]!, predicted: predicted[k]!,
    confidence: confidence ? Math.round(confidence[k]! * 10_000) / 10_000 : null,
  }));
}

interface Predicted {
  kind: "model" | "predictions";
  /** Predicted class per image of `idx` (holdout indices), and the model's confidence when it has one. */
  idx: number[];
  predictions: Int32Array;
  confidence: Float32Array | null;
  engine: string;
  seconds: number | null;
  summary: ModelSummary | null;
}

/** Runs the model (or reads the CSV) on the holdout images `idx`. */
async function predict(opts: ScoreOptions, h: Holdout, idx: number[]): Promise<Predicted> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  if (!fs.existsSync(opts.model)) throw new ModelRefused(`There is no file at ${opts.model}.`, "missing");
  const stat = fs.statSync(opts.model);
  if (stat.isFile() && stat.size > limits.maxUploadBytes) {
    throw new ModelRefused(`The file is ${(stat.size / 1024 / 1024).toFixed(1)} MB; the limit is ${Math.round(limits.maxUploadBytes / 1024 / 1024)} MB. Upload a smaller model.`, "too_large");
  }
  if (stat.isFile() && stat.size === 0) throw new ModelRefused("The file is empty. Upload the model file again.", "corrupt");
  if (sniff(opts.model) === "csv") {
    // Streamed in a child process, never read whole here (this may be a web process's worker).
    const all = await readPredictionsInChild({ file: path.resolve(opts.model), rows: h.files.length, numClasses: h.numClasses, ...predictionsCaps(h.files.length) });
    return { kind: "predictions", idx, predictions: Int32Array.from(idx, (i) => all[i]!), confidence: null, engine: "predictions CSV (no inference)", seconds: null, summary: null };
  }
  const r = await runInference(
    { model: path.resolve(opts.model), holdoutDir: h.dir, files: idx.map((i) => h.files[i]!), numClasses: h.numClasses, batchSize: limits.batchSize, limits, cacheDir: opts.cacheDir ?? null },
    limits,
    opts.onProgress,
  );
  return { kind: "model", idx, predictions: r.predictions, confidence: r.confidence, engine: r.engine, seconds: r.seconds, summary: r.summary };
}

/** The result on the images `subset` (holdout indices, all of which are in `p.idx`). */
function resultOf(h: Holdout, p: Predicted, subset: number[], split: Split, rule: PointsRule): ScoreResult {
  const pos = new Map(p.idx.map((holdoutIndex, k) => [holdoutIndex, k]));
  const ks = subset.map((i) => pos.get(i)!);
  const predicted = ks.map((k) => p.predictions[k]!);
  const confidence = p.confidence ? ks.map((k) => p.confidence![k]!) : null;
  const m = computeMetrics(subset.map((i) => h.labels[i]!), predicted, h.numClasses, h.classNames);
  // Inference time is for all images run; images/s is the same for any part of them.
  const perImage = p.seconds !== null && p.idx.length ? p.seconds / p.idx.length : null;
  return {
    ...m, split, rule: describeRule(rule), classNames: h.classNames, points: points(m, rule), engine: p.engine,
    inferenceSeconds: perImage === null ? null : perImage * subset.length, imagesPerSecond: perImage ? 1 / perImage : null,
    model: p.summary, kind: p.kind, preprocessing: p.kind === "model" ? PREPROCESSING_RULE : null,
    misclassified: sampleMisclassified(h, subset, predicted, confidence),
  };
}

/**
 * Loads and checks a model in the inference process without scoring it: what an upload is
 * refused for (an untranslatable layer, the wrong output size, over the limits), in seconds.
 */
export async function inspectModel(opts: { model: string; numClasses: number | null; limits?: Partial<GradingLimits> }): Promise<ModelSummary> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const r = await runInference({ model: path.resolve(opts.model), holdoutDir: path.dirname(path.resolve(opts.model)), files: [], numClasses: opts.numClasses, batchSize: limits.batchSize, limits, cacheDir: null }, limits);
  return r.summary;
}

/** Scores one split of the holdout (only its images are run). */
export async function scoreModel(opts: ScoreOptions): Promise<ScoreResult> {
  const h = typeof opts.holdout === "string" ? readHoldout(opts.holdout) : opts.holdout;
  const split = opts.split ?? "all";
  const idx = splitIndices(h.labels, split, opts.splitSeed ?? defaultSplitSeed(h));
  return resultOf(h, await predict(opts, h, idx), idx, split, opts.rule ?? COURSE_RULE);
}

/** One run over the whole holdout, scored three ways: public, private and all (for a leaderboard). */
export async function scoreAllSplits(opts: Omit<ScoreOptions, "split">): Promise<Record<Split, ScoreResult>> {
  const h = typeof opts.holdout === "string" ? readHoldout(opts.holdout) : opts.holdout;
  const seed = opts.splitSeed ?? defaultSplitSeed(h);
  const all = splitIndices(h.labels, "all", seed);
  const p = await predict(opts, h, all);
  const rule = opts.rule ?? COURSE_RULE;
  return {
    public: resultOf(h, p, splitIndices(h.labels, "public", seed), "public", rule),
    private: resultOf(h, p, splitIndices(h.labels, "private", seed), "private", rule),
    all: resultOf(h, p, all, "all", rule),
  };
}
