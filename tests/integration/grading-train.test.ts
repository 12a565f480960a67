// The whole pipeline on a small generated dataset: generate, train the reference CNN
// with TF.js (WebAssembly, with our filter-gradient kernel), save it as a TF.js Layers
// model, score it on the holdout in the grading child process.
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { generateDataset } from "../../src/grading/dataset/generator.js";
import { readHoldout } from "../../src/grading/holdout.js";
import { scoreModel } from "../../src/grading/score.js";
import { referenceModel, trainReference } from "../../src/grading/train.js";
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

test("train the reference CNN briefly, save it as TF.js Layers, and score it", async () => {
  const data = path.join(t.dir, "signs");
  generateDataset(data, { seed: 9, trainPerClass: 4, miniHoldout: 43, holdout: 86 });
  const out = path.join(t.dir, "reference");
  const r = await trainReference({ dataDir: data, outDir: out, epochs: 1 });
  expect(r.images).toBe(4 * 43);
  expect(["wasm", "tensorflow"]).toContain(r.backend);
  expect(fs.existsSync(path.join(out, "model.json"))).toBe(true);
  const scored = await scoreModel({ model: out, holdout: path.join(data, "holdout") });
  expect(scored).toMatchObject({ n: 86, kind: "model" });
  expect(scored.model).toMatchObject({ format: "tfjs-layers", params: referenceModel(43).countParams() });
  expect(scored.model!.flopsPerImage).toBeGreaterThan(9e6);
  expect(scored.accuracy).toBeGreaterThanOrEqual(0);
}, 120_000);
