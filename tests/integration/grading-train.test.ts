// The whole pipeline on a small generated dataset: generate, train the reference CNN
// with TF.js (WebAssembly, with our filter-gradient kernel), save it as a TF.js Layers
// model, score it in the grading child process.
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { generateDataset } from "../../src/grading/dataset/generator.js";
import { readHoldout } from "../../src/grading/holdout.js";
import { scoreModel } from "../../src/grading/score.js";
import { trainReference } from "../../src/grading/train.js";
import { registerWasmConvGrad } from "../../src/grading/wasm-conv-grad.js";
import { tempDir } from "../helpers/grading.js";

const t = tempDir();
afterAll(() => t.remove());

test("the dataset is deterministic: the same seed gives the same files, another seed different ones", () => {
  const a = path.join(t.dir, "a");
  const b = path.join(t.dir, "b");
  const c = path.join(t.dir, "c");
  const opts = { seed: 5, trainPerClass: 1, miniHoldout: 43, holdout: 60 };
  generateDataset(a, opts);
  generateDataset(b, opts);
  generateDataset(c, { ...opts, seed: 6 });
  const h = readHoldout(path.join(a, "holdout"));
  expect(h.files).toHaveLength(60);
  expect(h.numClasses).toBe(43);
  expect(h.classNames[14]).toBe("Stop");
  expect(fs.readFileSync(path.join(a, "holdout/labels.csv"), "utf8")).toBe(fs.readFileSync(path.join(b, "holdout/labels.csv"), "utf8"));
  const first = (d: string) => fs.readFileSync(path.join(d, "holdout", readHoldout(path.join(d, "holdout")).files[0]!));
  expect(first(a).equals(first(b))).toBe(true);
  expect(first(a).equals(first(c))).toBe(false);
  // Training data in one folder per class, as Keras's image_dataset_from_directory expects.
  expect(fs.readdirSync(path.join(a, "train")).filter((d) => /^\d\d$/.test(d))).toHaveLength(43);
  expect(fs.readdirSync(path.join(a, "holdout")).some((f) => f.endsWith(".jpg"))).toBe(true);
  expect(fs.readdirSync(path.join(a, "holdout")).some((f) => f.endsWith(".png"))).toBe(true);
});

test("the WebAssembly filter gradient matches the pure-JS backend's", async () => {
  const x = tf.tidy(() => tf.randomUniform([2, 9, 11, 3], -1, 1, "float32", 1).arraySync());
  const w = tf.tidy(() => tf.randomNormal([3, 3, 3, 4], 0, 1, "float32", 2).arraySync());
  const grad = async (backend: string, stride: number, pad: "valid" | "same") => {
    await tf.setBackend(backend);
    if (backend === "wasm") registerWasmConvGrad();
    const wv = tf.variable(tf.tensor4d(w as number[][][][]));
    const { grads } = tf.variableGrads(() => tf.conv2d(tf.tensor4d(x as number[][][][]), wv, stride, pad).square().sum() as tf.Scalar, [wv]);
    const out = Array.from(await grads[wv.name]!.data());
    tf.dispose([wv, grads[wv.name]!]);
    return out;
  };
  await import("@tensorflow/tfjs-backend-wasm");
  for (const [s, p] of [[1, "valid"], [2, "same"]] as const) {
    const cpu = await grad("cpu", s, p);
    const wasm = await grad("wasm", s, p);
    cpu.forEach((v, i) => expect(Math.abs(v - wasm[i]!)).toBeLessThan(1e-3 * Math.max(1, Math.abs(v))));
  }
});

test("train the reference CNN, save it as TF.js Layers, and score it: it has learnt its training images", async () => {
  // One image per class: few enough to train for many epochs here, so a working
  // trainer fits them; generalising to new images would take far more data and time.
  const data = path.join(t.dir, "signs");
  generateDataset(data, { seed: 9, trainPerClass: 1, miniHoldout: 43, holdout: 43 });
  const out = path.join(t.dir, "reference");
  const r = await trainReference({ dataDir: data, outDir: out, epochs: 40, batchSize: 8 });
  expect(r.images).toBe(43);
  expect(r.backend).toBe(fs.existsSync(path.resolve(import.meta.dirname, "../../node_modules/@tensorflow/tfjs-node")) ? "tensorflow" : "wasm");
  expect(fs.existsSync(path.join(out, "model.json"))).toBe(true);
  // Scored in the grading child process on the training folder (its labels.csv written by the generator).
  const scored = await scoreModel({ model: out, holdout: path.join(data, "train") });
  expect(scored).toMatchObject({ n: 43, kind: "model" });
  // Parameters, (k·k·c_in + 1)·c_out per convolution and (in + 1)·out per dense layer:
  // conv1 (3·3·3+1)·32 = 896, conv2 (3·3·32+1)·64 = 18,496, conv3 (3·3·64+1)·64 = 36,928,
  // dense (4·4·64+1)·128 = 131,200, probabilities (128+1)·43 = 5,547.
  // FLOPs, 2 per multiply-add plus one per pooling read: conv1 2·30·30·32·27 = 1,555,200,
  // pool1 15·15·32·4 = 28,800, conv2 2·13·13·64·288 = 6,230,016, pool2 6·6·64·4 = 9,216,
  // conv3 2·4·4·64·576 = 1,179,648, dense 2·1024·128 = 262,144, probabilities 2·128·43 = 11,008.
  expect(scored.model).toMatchObject({
    format: "tfjs-layers",
    params: 896 + 18_496 + 36_928 + 131_200 + 5_547,
    flopsPerImage: 1_555_200 + 28_800 + 6_230_016 + 9_216 + 1_179_648 + 262_144 + 11_008,
  });
  // Chance is 1 image in 43. validationSplit holds out the last 10% (5 images), so a
  // trained model gets the other 38 right (as measured here) and about 1 of those 5.
  expect(scored.accuracy).toBeGreaterThanOrEqual(0.5);
}, 300_000);
