// The process that runs an uploaded model: load, check, preprocess, predict. It is a
// separate process, used for one job only, so a hostile or broken model can only
// crash itself and nothing of it reaches the next job; the parent (runner.ts)
// enforces the time and memory budget and kills it when exceeded.
import { inferenceBatchSize, largestActivation } from "./batching.js";
import * as tf from "@tensorflow/tfjs";
import { ModelRefused } from "./errors.js";
import { DecodedHoldout, type InputTimings } from "./images.js";
import { useFastestEngine } from "./engine.js";
import { checkModel, loadModel, type ModelLimits } from "./models.js";

export interface InferenceJob {
  model: string;
  holdoutDir: string;
  /** The images to score: none to only load and check the model (an upload's inspection). */
  files: string[];
  /** The holdout's classes; null when it is not ready (the output size is checked at scoring). */
  numClasses: number | null;
  /** Where decoded holdout images are cached between jobs (null: no cache). */
  cacheDir: string | null;
  /** Images per inference batch, at least; small inputs go in larger batches (up to BATCH_VALUES floats), which ONNX Runtime runs faster. */
  batchSize: number;
  limits: ModelLimits;
}

/** Where a job's time went (seconds), for the benchmark and the logs. */
export interface JobTimings extends InputTimings {
  /** Loading, translating and checking the model, and creating its session. */
  modelSeconds: number;
  inferenceSeconds: number;
  /** Argmax, confidence and progress messages. */
  resultsSeconds: number;
  saveSeconds: number;
  batchImages: number;
}


export type ChildMessage =
  | { type: "model"; summary: Awaited<ReturnType<typeof loadModel>>["summary"]; engine: string }
  | { type: "progress"; done: number; total: number }
  | { type: "done"; predictions: Int32Array; confidence: Float32Array; seconds: number; timings: JobTimings }
  | { type: "refused"; message: string; code: string }
  | { type: "failed"; message: string }
  /** Sent once, unasked, when the process has loaded everything and waits for its job. */
  | { type: "ready" };

const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

async function run(job: InferenceJob) {
  let t0 = performance.now();
  const model = await loadModel(job.model, job.limits);
  await send({ type: "model", summary: model.summary, engine: model.engine });
  checkModel(model.summary, job.numClasses, job.limits);
  const modelSeconds = (performance.now() - t0) / 1000;
  const n = job.files.length;
  const predictions = new Int32Array(n);
  const confidence = new Float32Array(n);
  let seconds = 0;
  let resultsSeconds = 0;
  const holdout = await DecodedHoldout.open(job.holdoutDir, job.files, job.cacheDir);
  const { height, width, channels, layout } = model.input;
  const batchSize = inferenceBatchSize(height * width * channels, largestActivation(model.summary.layers), job.batchSize);
  for (let start = 0; start < n; start += batchSize) {
    const names = job.files.slice(start, start + batchSize);
    const batch = await holdout.batch(start, names.length, model.input, layout);
    t0 = performance.now();
    const probs = await model.predict(batch);
    seconds += (performance.now() - t0) / 1000;
    t0 = performance.now();
    const k = model.summary.outputClasses;
    for (let i = 0; i < names.length; i++) {
      let best = 0;
      let bestValue = -Infinity;
      for (let c = 0; c < k; c++) {
        const v = probs[i * k + c]!;
        if (!Number.isFinite(v)) throw new ModelRefused(`The model output ${v} (not a number) for image ${names[i]}. Its weights may have diverged during training (check for NaN losses) — retrain or save a checkpoint from before.`, "nan_output");
        if (v > bestValue) {
          bestValue = v;
          best = c;
        }
      }
      predictions[start + i] = best;
      confidence[start + i] = bestValue;
    }
    await send({ type: "progress", done: Math.min(n, start + names.length), total: n });
    resultsSeconds += (performance.now() - t0) / 1000;
  }
  model.dispose();
  t0 = performance.now();
  holdout.save();
  const timings: JobTimings = { ...holdout.timings, modelSeconds, inferenceSeconds: seconds, resultsSeconds, saveSeconds: (performance.now() - t0) / 1000, batchImages: batchSize };
  await send({ type: "done", predictions, confidence, seconds, timings });
}

// A process waits as a spare until it gets its one job: load the engine first, so the
// job does not pay for it. If the parent goes away, so does this process.
process.on("disconnect", () => process.exit(0));
const engineReady = useFastestEngine().catch(() => undefined);
void engineReady.then(() => send({ type: "ready" }));

// Listening at once: a job may arrive while the engine is still starting.
process.once("message", (job: InferenceJob) => {
  engineReady
    .then(() => run(job))
    .catch(async (e: unknown) => {
      if (e instanceof ModelRefused) await send({ type: "refused", message: e.message, code: e.code });
      else await send({ type: "failed", message: (e as Error)?.message ?? String(e) });
    })
    .finally(() => {
      tf.disposeVariables();
      process.exit(0);
    });
});
