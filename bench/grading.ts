// npm run bench:grading — the reference CNN over the generated holdout (12,630
// images by default) on every engine present: inference images/s, GFLOP/s achieved
// (from the model's FLOPs per image), and the wall time to score the whole holdout
// (decoding, resizing and inference, in the grading child process).
// BENCH_CPU_IMAGES caps the pure-JS engine's run (it is ~40× slower); its full-holdout
// time is then extrapolated and marked so.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEFAULT_DATASET, ensureDataset } from "../src/grading/dataset/generator.js";
import { readHoldout } from "../src/grading/holdout.js";
import { scoreModel } from "../src/grading/score.js";
import { referenceModel, saveLayersModel } from "../src/grading/train.js";

const CPU_IMAGES = Number(process.env.BENCH_CPU_IMAGES ?? 500);
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
const subset = (n: number) => ({ ...holdout, files: holdout.files.slice(0, n), labels: holdout.labels.slice(0, n) });
const engines: { name: string; env: string; images: number }[] = [
  { name: "tfjs-node", env: "node", images: holdout.files.length },
  { name: "wasm", env: "wasm", images: holdout.files.length },
  { name: "cpu (pure JS)", env: "cpu", images: Math.min(CPU_IMAGES, holdout.files.length) },
];
let params = "";
const nodeInstalled = await import("@tensorflow/tfjs-node" as string).then(() => true, () => false);
for (const e of engines) {
  if (e.env === "node" && !nodeInstalled) {
    console.log(`${e.name.padEnd(14)} not installed (an optional dependency whose install downloads TensorFlow; not reachable from this machine)`);
    continue;
  }
  process.env.GRADING_ENGINE = e.env;
  const t0 = performance.now();
  try {
    const r = await scoreModel({ model: modelDir, holdout: subset(e.images), limits: { batchSize: 256, timeoutMs: 60 * 60_000 } });
    const wall = (performance.now() - t0) / 1000;
    const flops = r.model!.flopsPerImage!;
    params ||= `${r.model!.params!.toLocaleString("en")} parameters, ${(flops / 1e6).toFixed(1)} MFLOP per image`;
    const full = e.images === holdout.files.length ? `${wall.toFixed(1)} s` : `~${((wall / e.images) * holdout.files.length).toFixed(0)} s (extrapolated from ${e.images})`;
    console.log(`${e.name.padEnd(14)} ${Math.round(r.imagesPerSecond!).toString().padStart(6)} images/s inference   ${((r.imagesPerSecond! * flops) / 1e9).toFixed(2).padStart(6)} GFLOP/s   ` +
      `score ${holdout.files.length} images: ${full}   accuracy ${(r.accuracy * 100).toFixed(1)}% macro-F1 ${r.macroF1.toFixed(3)} (${r.engine})`);
  } catch (err) {
    console.log(`${e.name.padEnd(14)} not available here (${(err as Error).message.split("\n")[0]})`);
  }
}
console.log(params);
delete process.env.GRADING_ENGINE;
if (modelDir !== trained) fs.rmSync(modelDir, { recursive: true, force: true });
