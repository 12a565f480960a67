// SubmissionResult.details: what a scoring run keeps beyond the scores in the row's columns — per
// split (public, private, all) the metrics, the model's summary and a sample of the images it got
// wrong, and the class names once. Written by the scoring job (resultDetails) and read back by the
// submission pages through its versioned schema (readResultDetails), checked, never cast.
import { z } from "zod";
import type { ScoreResult } from "../grading/score.js";
import type { Prisma } from "../platform/db/prisma.js";

const count = z.number().int().min(0);

/** A holdout image the model got wrong, as a split's result keeps it. */
const MisclassifiedImage = z.object({ filename: z.string(), trueClass: count, predicted: z.number().int(), confidence: z.number().nullable() });
export type MisclassifiedImage = z.infer<typeof MisclassifiedImage>;

/** One split's result as scoring gives it (grading's ScoreResult), without the class names. */
const SplitResult = z.object({
  split: z.enum(["public", "private", "all"]),
  n: count,
  accuracy: z.number(),
  macroF1: z.number(),
  macroPrecision: z.number(),
  macroRecall: z.number(),
  perClass: z.array(z.object({ classId: count, name: z.string(), precision: z.number(), recall: z.number(), f1: z.number(), support: count, predicted: count })),
  confusion: z.array(z.array(count)),
  mostConfused: z.array(z.object({ trueClass: count, predicted: count, count, trueName: z.string(), predictedName: z.string() })),
  points: z.number(),
  rule: z.string(),
  engine: z.string(),
  inferenceSeconds: z.number().nullable(),
  imagesPerSecond: z.number().nullable(),
  model: z.object({
    format: z.enum(["keras", "keras-h5", "tfjs-layers", "tfjs-graph", "onnx"]),
    formatLabel: z.string(),
    inputShape: z.array(z.number().nullable()),
    outputClasses: z.number().int(),
    params: z.number().nullable(),
    flopsPerImage: z.number().nullable(),
    layers: z.array(z.object({ name: z.string(), className: z.string(), outputShape: z.string(), params: z.number(), flops: z.number() })).nullable(),
  }).nullable(),
  kind: z.enum(["model", "predictions"]),
  preprocessing: z.string().nullable(),
  misclassified: z.array(MisclassifiedImage),
});
export type SplitResult = z.infer<typeof SplitResult>;

// The schema and grading's ScoreResult describe the same thing: a change to one that the other
// does not follow fails to compile here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameAsScoreResult: Same<SplitResult, Omit<ScoreResult, "classNames">> = true;
void sameAsScoreResult;

const Details = z.object({ classNames: z.array(z.string()), public: SplitResult, private: SplitResult, all: SplitResult });
export type ResultDetails = z.infer<typeof Details>;

/**
 * SubmissionResult.details as stored, by version: version 1 is the three splits and the class
 * names with `version: 1` beside them (a row written before the version was stored has this
 * shape, so it is version 1 too). A change of shape adds a version here with an upgrade from the
 * one before, read by readResultDetails.
 */
export const StoredResultDetails = {
  v1: Details.extend({ version: z.literal(1).default(1) }),
} as const;

/** What the scoring job stores of a run's three splits (the newest version). */
export function resultDetails(r: Record<"public" | "private" | "all", ScoreResult>): Prisma.InputJsonValue {
  const split = ({ classNames: _names, ...rest }: ScoreResult): SplitResult => rest;
  const details: ResultDetails & { version: 1 } = { version: 1, classNames: r.all.classNames, public: split(r.public), private: split(r.private), all: split(r.all) };
  return details;
}

/**
 * Where the stored details (every version) keep the public half's misclassified images, for reading one image without
 * the rest (its route serves dozens per page): a version that moves them changes this path with its schema.
 */
export const PUBLIC_MISCLASSIFIED_PATH = ["public", "misclassified"] as const;

/** One stored misclassified image (read at PUBLIC_MISCLASSIFIED_PATH), checked; null when there is none or it does not fit. */
export function readMisclassifiedImage(json: unknown): MisclassifiedImage | null {
  const parsed = MisclassifiedImage.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** The stored details checked against their schema, or null when they do not fit (a row this version cannot show). */
export function readResultDetails(json: unknown): ResultDetails | null {
  const parsed = StoredResultDetails.v1.safeParse(json);
  if (!parsed.success) return null;
  const { version: _version, ...details } = parsed.data;
  return details;
}
