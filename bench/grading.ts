// npm run bench:grading — the reference CNN over the generated holdout (12,630 images by
// default). Scoring: the whole holdout through the grader (child process: decoding,
// resizing, the model translated to ONNX and run on ONNX Runtime), cold (decoding every
// image) and warm (images from the decoded-holdout cache, as a worker's second model).
// Inference alone, on the same decoded batch, for each engine present: ONNX Runtime (the
// grader's), TF.js on tfjs-node, WebAssembly and pure JS (BENCH_CPU_IMAGES caps the slow one).
import * as tf from "@tensorflow/tfjs";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_DATASET, ensureDataset } from "../src/grading/dataset/generator.js";
import { readHoldout } from "../src/grading/holdout.js";
import { loadBatch } from "../src/grading/images.js";
import { loadModel } from "../src/grading/models.js";
import { computeMetrics } from "../src/grading/metrics.js";
import { runInference, spareReady } from "../src/grading/runner.js";
import { DEFAULT_LIMITS, scoreModel } from "../src/grading/score.js";
import { referenceModel, saveLayersModel } from "../src/grading/train.js";
import { writeMobileNetV2Transfer } from "../tests/helpers/mobilenet-v2.js";
import { DEFAULT_ZIP_LIMITS } from "../src/grading/archive.js";

const CPU_IMAGES = Number(process.env.BENCH_CPU_IMAGES ?? 500);
const INFER_IMAGES = Number(process.env.BENCH_INFER_IMAGES ?? 4096);
const dataDir = path.resolve(process.env.BENCH_DATASET ?? ".data/datasets/signs");
const trained = path.resolve(".data/reference-cnn");

process.stderr.write(`dataset: ${dataDir}\n`);
ensureDataset(dataDir, DEFAULT_DATASET, (part, done, total) => process.stderr.write(`\rgenerating ${part}: ${done}/${total}   `));
const holdout = readHoldout(path.join(dataDir, "holdout"));

let modelDir = trained;
let note = "trained by npm run train:reference";
if (!fs.existsSync(path.join(trained, "model.json"))) {
  // Speed does not depend on the weights: an untrained copy of the same architecture.
  modelDir = fs.mkdtempSync(path.join(os.tmpdir(), "reference-"));
  await saveLayersModel(referenceModel(holdout.numClasses), modelDir);
  note = "untrained weights (run npm run train:reference for a score)";
}

console.log(`bench:grading — reference CNN (${note}), holdout of ${holdout.files.length} images, ${os.cpus().length} cores, Node ${process.version}`);

// Scoring through the grader, as a submission is scored.
let flops = 0;
// Cold: decoded on the way (the first run may wait for its process to start); then once more to fill the decoded-holdout cache, and warm from it.
await scoreModel({ model: modelDir, holdout, limits: { batchSize: 256, timeoutMs: 60 * 60_000 }, cacheDir: path.resolve(".data/cache") });
for (const run of ["cold", "warm"]) {
  // Warm: as a worker's next job, the holdout decoded in the cache and the spare process up.
  if (run === "warm") await spareReady();
  const t0 = performance.now();
  const r = await scoreModel({ model: modelDir, holdout, limits: { batchSize: 256, timeoutMs: 60 * 60_000 }, cacheDir: run === "cold" ? null : path.resolve(".data/cache") });
  const wall = (performance.now() - t0) / 1000;
  flops = r.model!.flopsPerImage!;
  console.log(`score ${holdout.files.length} images (${run}): ${wall.toFixed(2)} s wall${run === "warm" ? " (goal ≤ 1.5 s)" : ""}   inference ${Math.round(r.imagesPerSecond!)} images/s, ${((r.imagesPerSecond! * flops) / 1e9).toFixed(1)} GFLOP/s   accuracy ${(r.accuracy * 100).toFixed(1)}% macro-F1 ${r.macroF1.toFixed(3)}   (${r.engine})`);
  if (run === "cold") console.log(`model: ${r.model!.params!.toLocaleString("en")} parameters, ${(flops / 1e6).toFixed(1)} MFLOP per image`);
}

// Where a warm score's time goes: the same run through the runner, step by step.
{
  await spareReady();
  const t0 = performance.now();
  const limits = { ...DEFAULT_LIMITS, batchSize: 256, timeoutMs: 60 * 60_000 };
  const r = await runInference({ model: path.resolve(modelDir), holdoutDir: holdout.dir, files: holdout.files, numClasses: holdout.numClasses, batchSize: limits.batchSize, limits, cacheDir: path.resolve(".data/cache") }, limits);
  const wall = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  computeMetrics(holdout.labels, r.predictions, holdout.numClasses, holdout.classNames);
  const metrics = (performance.now() - t1) / 1000;
  const t = r.timings;
  const known = t.childStartSeconds + t.modelSeconds + t.openSeconds + t.readSeconds + t.preprocessSeconds + t.inferenceSeconds + t.resultsSeconds + t.saveSeconds;
  const ms = (v: number) => `${Math.round(v * 1000)} ms`;
  console.log(`warm breakdown (${ms(wall + metrics)}): waiting for the child ${ms(t.childStartSeconds)}, model load + ONNX session ${ms(t.modelSeconds)}, cache key (stat images) ${ms(t.openSeconds)}, ` +
    `cache read ${ms(t.readSeconds)} (${t.source}), resize ${ms(t.preprocessSeconds)}, inference ${ms(t.inferenceSeconds)} (batches of ${t.batchImages}), results ${ms(t.resultsSeconds)}, cache write ${ms(t.saveSeconds)}, ` +
    `messages and exit ${ms(Math.max(0, wall - known))}, metrics ${ms(metrics)}`);
}

// A transfer-learning model: MobileNetV2 (alpha 1.0) at 96 px inside a Sequential, written
// here as Keras 3 saves it (random weights: speed does not depend on them), scored from the
// decoded-holdout cache like a worker's second model.
{
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mobilenetv2-"));
  const file = path.join(dir, "mobilenetv2-96.keras");
  await writeMobileNetV2Transfer(file, { size: 96, classes: holdout.numClasses });
  const t0 = performance.now();
  const r = await scoreModel({ model: file, holdout, limits: { batchSize: 64, timeoutMs: 60 * 60_000 }, cacheDir: path.resolve(".data/cache") });
  const wall = (performance.now() - t0) / 1000;
  const mflops = r.model!.flopsPerImage! / 1e6;
  console.log(`MobileNetV2 transfer model at 96 px (${r.model!.params!.toLocaleString("en")} parameters, ${mflops.toFixed(0)} MFLOP per image): ${holdout.files.length} images scored in ${wall.toFixed(2)} s wall (goal ≤ 30 s)   inference ${Math.round(r.imagesPerSecond!)} images/s, ${((r.imagesPerSecond! * mflops) / 1e3).toFixed(1)} GFLOP/s`);
  fs.rmSync(dir, { recursive: true, force: true });
}

// Inference alone on one decoded batch, engine by engine.
const n = Math.min(INFER_IMAGES, holdout.files.length);
const batch = await loadBatch(holdout.dir, holdout.files.slice(0, n), { height: 32, width: 32, channels: 3 });
const report = (name: string, images: number, seconds: number) =>
  console.log(`${name.padEnd(26)} ${Math.round(images / seconds).toString().padStart(7)} images/s   ${((images / seconds) * flops / 1e9).toFixed(1).padStart(6)} GFLOP/s   (${images} images)`);
const chunks = (x: tf.Tensor4D, size: number) => Array.from({ length: Math.ceil(x.shape[0] / size) }, (_v, k) => x.slice(k * size, Math.min(size, x.shape[0] - k * size)));

const onnx = await loadModel(modelDir, { zip: DEFAULT_ZIP_LIMITS });
const parts = chunks(batch, 256);
await onnx.predict(parts[0]!); // warm-up
let t0 = performance.now();
for (const p of parts) await onnx.predict(p);
report(`ONNX Runtime (grader)`, n, (performance.now() - t0) / 1000);
onnx.dispose();

for (const [name, backend, images] of [["TF.js tfjs-node", "tensorflow", n], ["TF.js WebAssembly", "wasm", n], ["TF.js pure JS (cpu)", "cpu", Math.min(CPU_IMAGES, n)]] as const) {
  try {
    if (backend === "tensorflow") await import("@tensorflow/tfjs-node" as string);
    if (backend === "wasm") await import("@tensorflow/tfjs-backend-wasm");
    if (!(await tf.setBackend(backend))) throw new Error("not available");
  } catch {
    console.log(`${name.padEnd(26)} not installed here`);
    continue;
  }
  const model = await tf.loadLayersModel(`file://${modelDir}/model.json`).catch(async () => {
    const json = JSON.parse(fs.readFileSync(path.join(modelDir, "model.json"), "utf8"));
    const weightData = fs.readFileSync(path.join(modelDir, json.weightsManifest[0].paths[0]));
    return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) }));
  });
  const sub = images === n ? parts : chunks(batch.slice(0, images) as tf.Tensor4D, 256);
  (model.predict(sub[0]!) as tf.Tensor).dispose();
  t0 = performance.now();
  for (const p of sub) {
    const out = model.predict(p) as tf.Tensor;
    await out.data();
    out.dispose();
  }
  report(name, images, (performance.now() - t0) / 1000);
  model.dispose();
}
if (modelDir !== trained) fs.rmSync(modelDir, { recursive: true, force: true });
