// Transfer-learning models on keras.applications backbones, graded exactly as Keras runs them.
// Each fixture in tests/fixtures/models/applications/ was written by Keras 3 (see the README
// there): a backbone (weights=None, random BatchNormalization statistics) inside a Sequential,
// saved as .keras or .h5, with Keras's own predictions for the first 8 fixture images (and a
// small model with InceptionResNetV2's CustomScaleLayer and one with keras.applications'
// preprocess_input in "caffe" and "torch" modes, on all 16). The
// translated ONNX graph must reproduce them (±1e-4 on probabilities, argmax identical).
import fs from "node:fs";
import path from "node:path";
import { DEFAULT_ZIP_LIMITS } from "../../src/grading/archive.js";
import { loadModel } from "../../src/grading/models.js";
import { fixtureInputs, MODELS } from "../helpers/grading.js";

const DIR = path.join(MODELS, "applications");

interface Expected { model: string; count: number; input_size: [number, number, number]; params: number; probabilities: number[][]; argmax: number[] }

const FIXTURES = fs.readdirSync(DIR).filter((f) => f.endsWith(".expected.json")).sort();

test("the fixtures are there (MobileNet V1 and V3, .keras and .h5; InceptionResNetV2's CustomScaleLayer; preprocess_input)", () => {
  expect(FIXTURES).toEqual([
    "custom-scale-layer.keras.expected.json",
    "mobilenet-a025-32.h5.expected.json",
    "mobilenet-a025-32.keras.expected.json",
    "mobilenetv3small-a035-32.keras.expected.json",
    "mobilenetv3small-min-a075-32.h5.expected.json",
    "preprocess-input.keras.expected.json",
  ]);
});

test.each(FIXTURES)("%s: Keras's own outputs (±1e-4), argmax and parameter count", async (json) => {
  const want = JSON.parse(fs.readFileSync(path.join(DIR, json), "utf8")) as Expected;
  const model = await loadModel(path.join(DIR, want.model), { zip: DEFAULT_ZIP_LIMITS });
  try {
    const [h, w, c] = want.input_size;
    expect(model.input).toMatchObject({ height: h, width: w, channels: c, layout: "NHWC" });
    expect(model.engine).toMatch(/^ONNX Runtime/);
    expect(model.summary.params).toBe(want.params); // Keras's model.count_params()
    const x = fixtureInputs().subarray(0, want.count * h * w * c); // the first `count` fixture images, 32×32 RGB 0–255
    const out = await model.predict(x);
    const k = model.summary.outputClasses;
    expect(k).toBe(43);
    const rows = Array.from({ length: want.count }, (_x, r) => Array.from(out.subarray(r * k, (r + 1) * k)));
    const diff = Math.max(...rows.flatMap((row, r) => row.map((v, j) => Math.abs(v - want.probabilities[r]![j]!))));
    expect(diff).toBeLessThanOrEqual(1e-4);
    expect(rows.map((r) => r.indexOf(Math.max(...r)))).toEqual(want.argmax);
  } finally {
    model.dispose();
  }
}, 60_000);
