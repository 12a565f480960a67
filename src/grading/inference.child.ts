// The process that runs an uploaded model: load, check, preprocess, predict. It is a
// separate process, used for one job only, so a hostile or broken model can only
// crash itself and nothing of it reaches the next job; the parent (runner.ts)
// enforces the time and memory budget and kills it when exceeded.
import * as tf from "@tensorflow/tfjs";
import { ModelRefused } from "./errors.js";
import { DecodedHoldout, toBatch } from "./images.js";
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
  batchSize: number;
  limits: ModelLimits;
}

export type ChildMessage =
  | { type: "model"; summary: Awaited<ReturnType<typeof loadModel>>["summary"]; engine: string }
  | { type: "progress"; done: number; total: number }
  | { type: "done"; predictions: Int32Array; confidence: Float32Array; seconds: number }
  | { type: "refused"; message: string; code: string }
  | { type: "failed"; message: string };

const send = (m: ChildMessage) => new Promise<void>((resolve) => process.send!(m, () => resolve()));

async function run(job: InferenceJob) {
  const model = await loadModel(job.model, job.limits);
  await send({ type: "model", summary: model.summary, engine: model.engine });
  checkModel(model.summary, job.numClasses, job.limits);
  const n = job.files.length;
  const predictions = new Int32Array(n);
  const confidence = new Float32Array(n);
  let seconds = 0;
  const holdout = await DecodedHoldout.open(job.holdoutDir, job.files, job.cacheDir);
  for (let start = 0; start < n; start += job.batchSize) {
    const names = job.files.slice(start, start + job.batchSize);
    const batch = toBatch(await holdout.images(names), model.input);
    const t0 = performance.now();
    const probs = await model.predict(batch);
    seconds += (performance.now() - t0) / 1000;
    batch.dispose();
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
  }
  model.dispose();
  holdout.save();
  await send({ type: "done", predictions, confidence, seconds });
}

// A process waits as a spare until it gets its one job: load the engine first, so the
// job does not pay for it. If the parent goes away, so does this process.
process.on("disconnect", () => process.exit(0));
const engineReady = useFastestEngine().catch(() => undefined);

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
