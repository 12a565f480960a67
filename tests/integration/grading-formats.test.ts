// Every model format loads and predicts; the real Keras files give Keras's own probabilities.
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_ZIP_LIMITS } from "../../src/grading/archive.js";
import { useFastestEngine } from "../../src/grading/engine.js";
import { loadModel, type LoadedModel } from "../../src/grading/models.js";
import { expected, fixtureInputs, graphModel, linearLogitsOnFixtures, linearOnnxNchw, MODELS, tempDir, tfjsModel, writeZip } from "../helpers/grading.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const limits = { zip: DEFAULT_ZIP_LIMITS };
const t = tempDir();
afterAll(() => t.remove());

async function predictFixture(model: LoadedModel): Promise<number[][]> {
  const x = tf.tensor4d(fixtureInputs(), [16, 32, 32, 3]);
  const out = await model.predict(x);
  x.dispose();
  const k = model.summary.outputClasses;
  return Array.from({ length: 16 }, (_x, i) => Array.from(out.subarray(i * k, (i + 1) * k)));
}

/** A model's outputs on the fixture images, in a plain Node process: ONNX Runtime rejects typed arrays from Jest's module sandbox. */
function predictInChild(file: string): { format: string; input: object; outputClasses: number; rows: number[][] } {
  const run = spawnSync(process.execPath, ["--import", "tsx", "tests/helpers/predict-fixture.ts", file], { cwd: ROOT, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`predict-fixture failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const argmax = (rows: number[][]) => rows.map((r) => r.indexOf(Math.max(...r)));
const maxAbsDiff = (got: number[][], want: number[][]) => Math.max(...got.flatMap((row, i) => row.map((v, j) => Math.abs(v - want[i]![j]!))));

test("the engine is the fastest present: tfjs-node where it installed, else WebAssembly", async () => {
  const installed = (name: string) => fs.existsSync(path.join(ROOT, "node_modules", name, "package.json"));
  expect(installed("@tensorflow/tfjs-backend-wasm")).toBe(true); // a dependency: always there
  // tfjs-node is optional (its install downloads TensorFlow, which fails on machines without internet access).
  expect(await useFastestEngine("")).toBe(installed("@tensorflow/tfjs-node") ? "tensorflow" : "wasm");
});

test.each([
  ["seq-basic.keras", "seq-basic", "keras"],
  ["seq-basic.h5", "seq-basic", "keras-h5"],
  ["seq-augment-bn.keras", "seq-augment-bn", "keras"],
  ["functional-residual.keras", "functional-residual", "keras"],
  ["seq-basic.onnx", "seq-basic", "onnx"],
])("%s gives Keras's own probabilities (±1e-4), argmax and parameter count", async (file, name, format) => {
  const want = expected(name);
  let got: number[][];
  if (format === "onnx") {
    const out = predictInChild(path.join(MODELS, file));
    expect(out).toMatchObject({ format, outputClasses: 43, input: { height: 32, width: 32, channels: 3, layout: "NHWC" } });
    got = out.rows;
  } else {
    const model = await loadModel(path.join(MODELS, file), limits);
    expect(model.summary.format).toBe(format);
    expect(model.summary.outputClasses).toBe(43);
    expect(model.input).toMatchObject({ height: 32, width: 32, channels: 3, layout: "NHWC" });
    // Keras's own count (model.count_params(), non-trainable BatchNorm statistics included).
    expect(model.summary.params).toBe(want.params);
    got = await predictFixture(model);
    model.dispose();
  }
  expect(maxAbsDiff(got, want.probabilities)).toBeLessThan(1e-4);
  expect(argmax(got)).toEqual(want.argmax);
});

test("an ONNX model with channels-first input [batch, 3, 32, 32] (as PyTorch exports) gets each pixel's channels in the right place", () => {
  const file = path.join(t.dir, "linear-nchw.onnx");
  linearOnnxNchw(file);
  const out = predictInChild(file);
  expect(out).toMatchObject({ format: "onnx", outputClasses: 43, input: { height: 32, width: 32, channels: 3, layout: "NCHW" } });
  // Image 1 is an asymmetric gradient: swapping channels, or height and width, changes its logits.
  const want = linearLogitsOnFixtures();
  expect(maxAbsDiff(out.rows, want)).toBeLessThan(1e-4);
  expect(argmax(out.rows)).toEqual(argmax(want));
});

test("the Keras model summary: layers, parameters and FLOPs per image (2 per multiply-add)", async () => {
  const model = await loadModel(path.join(MODELS, "seq-basic.keras"), limits);
  const s = model.summary;
  expect(s.layers!.map((l) => l.className)).toEqual(["Rescaling", "Conv2D", "MaxPooling2D", "Conv2D", "MaxPooling2D", "Flatten", "Dense", "Dropout", "Dense"]);
  // conv 3×3×3→16 on 30×30, conv 3×3×16→32 on 15×15 (same), dense 1568→64, dense 64→43, plus pooling reads.
  const conv = 2 * (30 * 30 * 16 * 27 + 15 * 15 * 32 * 144);
  const dense = 2 * (1568 * 64 + 64 * 43);
  const pool = 15 * 15 * 16 * 4 + 7 * 7 * 32 * 4;
  expect(s.flopsPerImage).toBe(conv + dense + pool);
  expect(s.layers!.find((l) => l.name === "dense")!.params).toBe(1568 * 64 + 64);
  model.dispose();
});

test("TF.js Layers: a folder, a model.json path and a zip give the same predictions as the model in memory", async () => {
  const dir = path.join(t.dir, "tfjs");
  const original = await tfjsModel(dir);
  const want = (original.predict(tf.tensor4d(fixtureInputs(), [16, 32, 32, 3])) as tf.Tensor).arraySync() as number[][];
  const zip = path.join(t.dir, "tfjs.zip");
  await writeZip(zip, { "my-model/model.json": fs.readFileSync(path.join(dir, "model.json")), "my-model/weights.bin": fs.readFileSync(path.join(dir, "weights.bin")) });
  for (const source of [dir, path.join(dir, "model.json"), zip]) {
    const model = await loadModel(source, limits);
    expect(model.summary.format).toBe("tfjs-layers");
    const got = await predictFixture(model);
    got.forEach((row, i) => row.forEach((v, j) => expect(Math.abs(v - want[i]![j]!)).toBeLessThan(1e-5)));
    model.dispose();
  }
});

test("a TF.js graph model loads and predicts", async () => {
  const dir = path.join(t.dir, "graph");
  graphModel(dir);
  const model = await loadModel(dir, limits);
  expect(model.summary).toMatchObject({ format: "tfjs-graph", outputClasses: 43, params: 2 + 3072 * 43 });
  const rows = await predictFixture(model);
  // By hand: logits[k] = Σ x[i]·w[i][k] over the image flattened in (h, w, c) order, with the
  // helper's weights w[i][k] = sin(43·i + k) / 3072; then softmax. Image 0 is all zeros:
  // every class equally likely.
  const x = fixtureInputs();
  const want = Array.from({ length: 16 }, (_r, n) => {
    const logits = Array.from({ length: 43 }, (_k, k) => {
      let s = 0;
      for (let i = 0; i < 3072; i++) s += x[n * 3072 + i]! * Math.fround(Math.sin(i * 43 + k) / 3072);
      return s;
    });
    const top = Math.max(...logits);
    const e = logits.map((v) => Math.exp(v - top));
    const sum = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / sum);
  });
  expect(want[0]!.every((v) => Math.abs(v - 1 / 43) < 1e-12)).toBe(true);
  expect(maxAbsDiff(rows, want)).toBeLessThan(1e-5);
  model.dispose();
});

test("a .keras file renamed or zipped again is recognised by content, not name", async () => {
  const renamed = path.join(t.dir, "model.bin");
  fs.copyFileSync(path.join(MODELS, "seq-basic.keras"), renamed);
  const model = await loadModel(renamed, limits);
  expect(model.summary.format).toBe("keras");
  model.dispose();
  const wrapped = path.join(t.dir, "wrapped.zip");
  await writeZip(wrapped, { "submission/seq-basic.h5": fs.readFileSync(path.join(MODELS, "seq-basic.h5")) });
  const inner = await loadModel(wrapped, limits);
  expect(inner.summary.format).toBe("keras-h5");
  inner.dispose();
});
