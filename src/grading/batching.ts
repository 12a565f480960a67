// How many images an inference batch holds. Small inputs go in large batches (ONNX Runtime runs them
// faster), but never so large that a model's activations outgrow the child's memory budget: a legal
// model that fits at the default batch must not fail for the grader's choice of batch.

/** A batch's input values: 2M floats (8 MB) — 682 images of 32×32×3, 75 of 96×96×3. */
export const BATCH_VALUES = 2 ** 21;
/** Activation memory one batch may take, roughly (the child's budget is 3 GB, and holds the model and holdout too). */
export const ACTIVATION_BYTES = 512 * 2 ** 20;

/** Values per image of the largest layer output, from shapes written like "(None, 32, 32, 64)"; null if none are known. */
export function largestActivation(layers: { outputShape: string }[] | null): number | null {
  let largest: number | null = null;
  for (const l of layers ?? []) {
    for (const m of l.outputShape.matchAll(/\(([^()]*)\)/g)) {
      const dims = m[1]!.split(",").map((d) => d.trim()).filter((d) => d !== "" && d !== "None").map(Number);
      if (dims.length && dims.every((d) => Number.isFinite(d) && d > 0)) largest = Math.max(largest ?? 0, dims.reduce((a, b) => a * b, 1));
    }
  }
  return largest;
}

/**
 * The batch: `minimum` (the job's setting) or more, up to BATCH_VALUES input values — but never more
 * than three of the largest activations (4 bytes each) fit in ACTIVATION_BYTES, even if that is fewer
 * than `minimum` (at least one image). Without known layer shapes (ONNX uploads) the job's setting.
 */
export function inferenceBatchSize(inputValues: number, largest: number | null, minimum: number): number {
  const floor = Math.max(1, minimum);
  if (largest === null) return floor;
  const byInput = Math.floor(BATCH_VALUES / inputValues);
  const byMemory = Math.floor(ACTIVATION_BYTES / (3 * 4 * Math.max(largest, inputValues)));
  return Math.max(1, Math.min(Math.max(floor, byInput), byMemory));
}
