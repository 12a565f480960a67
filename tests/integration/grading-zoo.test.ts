// The models students hand in, graded exactly as Keras runs them: every fixture written by
// Keras (the zoo and the earlier ones) is translated to ONNX and must reproduce Keras's own
// outputs on the fixture images (after tf.image.resize to its input size, and
// rgb_to_grayscale for one channel, as Keras was given them), then score accuracy 1.0 on a
// holdout labelled with Keras's argmax: through `npm run score` and through an upload
// scored by the worker.
import * as tf from "@tensorflow/tfjs";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { DEFAULT_ZIP_LIMITS } from "../../src/grading/archive.js";
import { loadModel } from "../../src/grading/models.js";
import { csrfFrom, signedIn, startTestApp, TEST_NOW } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { ModelRefused } from "../../src/grading/errors.js";
import { fixtureHoldout, fixtureInputs, kerasParts, MODELS, tempDir, writeKeras } from "../helpers/grading.js";
import { until } from "../helpers/wait.js";
import { saveLayersModel } from "../../src/grading/train.js";
import fs from "node:fs";

const ROOT = path.resolve(import.meta.dirname, "../..");

interface Expected { probabilities: number[][]; argmax: number[]; params: number; input_size?: [number, number, number] }
const expectedOf = (name: string): Expected => JSON.parse(fs.readFileSync(path.join(MODELS, `${name}.expected.json`), "utf8"));

const FILES: [file: string, expectedName: string][] = [
  ...["activations-modern", "grayscale-40", "leaky-relu-slopes", "logits-dilated-reshape", "merges-and-norms", "nested-functional-blocks", "ops-divide-functional", "transfer-mobilenet-nested"].map((n): [string, string] => [`zoo/${n}.keras`, `zoo/${n}`]),
  ["seq-basic.keras", "seq-basic"], ["seq-basic.h5", "seq-basic"], ["seq-augment-bn.keras", "seq-augment-bn"], ["functional-residual.keras", "functional-residual"],
];

/** The fixture images as Keras got them: resized (bilinear, half-pixel centres) and, for one channel, grayscale. */
function inputsFor(h: number, w: number, c: number): tf.Tensor4D {
  return tf.tidy(() => {
    let x = tf.tensor4d(fixtureInputs(), [16, 32, 32, 3]);
    if (h !== 32 || w !== 32) x = tf.image.resizeBilinear(x, [h, w], false, true);
    if (c === 1) x = tf.image.rgbToGrayscale(x);
    return x;
  });
}

const argmax = (rows: number[][]) => rows.map((r) => r.indexOf(Math.max(...r)));

test.each(FILES)("%s: Keras's own outputs (±1e-4), argmax and parameter count", async (file, name) => {
  const want = expectedOf(name);
  const model = await loadModel(path.join(MODELS, file), { zip: DEFAULT_ZIP_LIMITS });
  const [h, w, c] = want.input_size ?? [32, 32, 3];
  expect(model.input).toMatchObject({ height: h, width: w, channels: c, layout: "NHWC" });
  expect(model.engine).toMatch(/^ONNX Runtime/);
  expect(model.summary.params).toBe(want.params); // Keras's model.count_params()
  const x = inputsFor(h, w, c);
  const out = await model.predict(x);
  x.dispose();
  model.dispose();
  const k = model.summary.outputClasses;
  expect(k).toBe(43);
  const rows = Array.from({ length: 16 }, (_x, r) => Array.from(out.subarray(r * k, (r + 1) * k)));
  const diff = Math.max(...rows.flatMap((row, r) => row.map((v, j) => Math.abs(v - want.probabilities[r]![j]!))));
  expect(diff).toBeLessThanOrEqual(1e-4);
  expect(argmax(rows)).toEqual(want.argmax);
});

test.each(FILES)("npm run score: %s scores accuracy 1.0 on a holdout labelled with Keras's argmax", (file, name) => {
  const holdout = fixtureHoldout(expectedOf(name).argmax);
  try {
    const run = spawnSync(process.execPath, ["--import", "tsx", "scripts/score.ts", "--model", path.join(MODELS, file), "--holdout", holdout.dir, "--split", "all", "--json"], { cwd: ROOT, encoding: "utf8" });
    expect(run.stderr).not.toMatch(/refused|error/i);
    expect(run.status).toBe(0);
    const r = JSON.parse(run.stdout) as { accuracy: number; n: number; macroF1: number };
    expect(r).toMatchObject({ accuracy: 1, n: 16 });
  } finally {
    holdout.remove();
  }
});

test("uploads of nested, grayscale and op-layer models are scored by the worker with accuracy 1.0", async () => {
  // One holdout for all three: the images each model gets are labelled by that model's
  // Keras argmax, so a case study per model would be needed; instead each upload goes to a
  // case study whose holdout matches it, one after another.
  for (const name of ["transfer-mobilenet-nested", "grayscale-40", "ops-divide-functional"]) {
    const holdout = fixtureHoldout(expectedOf(`zoo/${name}`).argmax);
    const content = copyContent();
    content.write("cnn/case-study.yaml", `title: Zoo\ndeadline: 2031-03-20T23:59\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\nlimits: { cooldownMinutes: 0 }\n`);
    const t = await startTestApp({}, { contentDir: content.dir, clock: () => TEST_NOW, queue: { worker: true } });
    try {
      const alice = await signedIn(t, "alice@example.edu");
      const page = await alice.get("/courses/cnn/case-studies/cnn");
      const res = await alice.post("/courses/cnn/case-studies/cnn/submissions").field("_csrf", csrfFrom(page.text)).attach("model", path.join(MODELS, `zoo/${name}.keras`));
      expect(res.status).toBe(303);
      const id = res.headers.location!.split("/").pop()!;
      const s = await until(() => t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } }), (x) => x.status === "SCORED" || x.status === "FAILED", 120_000, `${name} to be scored`);
      expect({ name, status: s.status, error: s.errorMessage }).toEqual({ name, status: "SCORED", error: null });
      expect(s.results[0]).toMatchObject({ accuracy: 1, publicScore: 1, privateScore: 1 });
    } finally {
      await t.close();
      holdout.remove();
      content.remove();
    }
  }
});

// #region refusals: by layer, class and field; at upload, with nothing queued

type Layer = { class_name: string; config: Record<string, unknown> };
const files = tempDir();
afterAll(() => files.remove());

/** seq-basic.keras with one layer changed. */
async function variant(file: string, change: (layers: Layer[]) => void): Promise<string> {
  const parts = await kerasParts("seq-basic.keras");
  change((parts.config as { config: { layers: Layer[] } }).config.layers);
  const out = path.join(files.dir, file);
  await writeKeras(out, parts);
  return out;
}

async function refusal(file: string): Promise<ModelRefused> {
  try {
    await loadModel(file, { zip: DEFAULT_ZIP_LIMITS });
  } catch (e) {
    if (e instanceof ModelRefused) return e;
    throw e;
  }
  throw new Error("the model was accepted");
}

const byClass = (cls: string) => (layers: Layer[]) => layers.find((l) => l.class_name === cls)!;

test("a field the translator does not read, an unknown layer, an activation or data format it lacks: refused naming layer, class and field", async () => {
  const field = await refusal(await variant("field.keras", (ls) => (byClass("Conv2D")(ls).config.kernel_quantizer = "int8")));
  expect(field.message).toBe('Layer "conv2d" (Conv2D): the field "kernel_quantizer" ("int8") is not translated by the grader, so the model cannot be scored faithfully.');
  const unknown = await refusal(await variant("unknown.keras", (ls) => (byClass("Flatten")(ls).class_name = "Flatten3D")));
  expect(unknown.message).toMatch(/^Layer "flatten" \(Flatten3D\): this layer is not supported by the grader/);
  const act = await refusal(await variant("act.keras", (ls) => (ls.filter((l) => l.class_name === "Dense").at(-1)!.config.activation = "sparsemax")));
  expect(act.message).toBe('Layer "dense_1" (Dense): activation "sparsemax" is not supported by the grader.');
  const format = await refusal(await variant("format.keras", (ls) => (byClass("MaxPooling2D")(ls).config.data_format = "channels_first")));
  expect(format.message).toBe('Layer "max_pooling2d" (MaxPooling2D): data_format "channels_first" is not supported; use channels_last (Keras\'s default).');
  const lambda = await refusal(await variant("lambda.keras", (ls) => ls.splice(1, 0, { class_name: "Lambda", config: { name: "scale", function: "gASV..." } })));
  expect(lambda.code).toBe("lambda_layer");
  expect(lambda.message).toContain("Lambda layer (scale)");
  // A registered custom class, even one named like a built-in, is never translated as the built-in.
  const custom = await refusal(await variant("custom.keras", (ls) => Object.assign(byClass("Conv2D")(ls), { module: "my_package.layers", registered_name: "my_package>Conv2D" })));
  expect(custom.code).toBe("custom_layer");
  expect(custom.message).toContain("conv2d (my_package>Conv2D)");
});

test("a TF.js Layers model gets TF.js's (Keras 2's) hard_sigmoid, 0.2·x + 0.5, not Keras 3's", async () => {
  tf.setBackend("cpu");
  const model = tf.sequential({ layers: [tf.layers.flatten({ inputShape: [32, 32, 3] }), tf.layers.dense({ units: 43, activation: "hardSigmoid", kernelInitializer: "randomNormal" })] });
  model.layers[1]!.setWeights([tf.randomNormal([3072, 43], 0, 0.002, "float32", 7), tf.zeros([43])]);
  const dir = path.join(files.dir, "hard-sigmoid");
  await saveLayersModel(model, dir);
  const x = tf.tensor4d(fixtureInputs(), [16, 32, 32, 3]);
  const want = (model.predict(x) as tf.Tensor).arraySync() as number[][];
  const loaded = await loadModel(dir, { zip: DEFAULT_ZIP_LIMITS });
  const got = await loaded.predict(x);
  loaded.dispose();
  // Inputs up to 255 with weights of σ 0.002 put many values inside (−2.5, 2.5), where the two rules differ.
  const inside = want.flat().filter((v) => v > 0 && v < 1).length;
  expect(inside).toBeGreaterThan(50);
  want.forEach((row, r) => row.forEach((v, k) => expect(Math.abs(got[r * 43 + k]! - v)).toBeLessThan(1e-5)));
});

test("an upload that cannot be scored is refused at once with the reason; no file is kept and nothing is queued", async () => {
  const holdout = fixtureHoldout(expectedOf("seq-basic").argmax);
  const content = copyContent();
  content.write("cnn/case-study.yaml", `title: Zoo\ndeadline: 2031-03-20T23:59\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\nlimits: { cooldownMinutes: 0 }\n`);
  const t = await startTestApp({}, { contentDir: content.dir, clock: () => TEST_NOW, queue: {} });
  try {
    const alice = await signedIn(t, "alice@example.edu");
    const bad = await variant("upload.keras", (ls) => (byClass("Conv2D")(ls).config.kernel_quantizer = "int8"));
    const page = await alice.get("/courses/cnn/case-studies/cnn");
    const res = await alice.post("/courses/cnn/case-studies/cnn/submissions").field("_csrf", csrfFrom(page.text)).attach("model", bad);
    expect(res.status).toBe(400);
    expect(res.text).toContain("This model cannot be scored: Layer &quot;conv2d&quot; (Conv2D): the field &quot;kernel_quantizer&quot;");
    // Recorded as refused (it counts against the failed-upload budget), with no file and no scoring.
    expect(await t.db.submission.findMany({ select: { status: true, refused: true, errorCode: true } })).toEqual([{ status: "FAILED", refused: true, errorCode: "unsupported_layer" }]);
    expect(fs.readdirSync(t.dataDir, { recursive: true }).filter((f) => String(f).endsWith(".keras"))).toEqual([]);
    // A model whose output does not fit the holdout's 43 classes, likewise.
    const wrongSize = await variant("classes.keras", () => {});
    const h10 = fixtureHoldout(expectedOf("seq-basic").argmax.map((c) => c % 10), { classes: 10 });
    content.write("cnn/case-study.yaml", `title: Zoo\ndeadline: 2031-03-20T23:59\ndata: { holdoutDir: ${JSON.stringify(h10.dir)} }\nlimits: { cooldownMinutes: 0 }\n`);
    const { syncContent } = await import("../../src/content/content.sync.js");
    const { createLogger } = await import("../../src/platform/logger.js");
    await syncContent({ db: t.db, contentDir: content.dir, dataDir: t.dataDir, prepareData: false, logger: createLogger("silent") });
    const again = await alice.post("/courses/cnn/case-studies/cnn/submissions").field("_csrf", csrfFrom((await alice.get("/courses/cnn/case-studies/cnn")).text)).attach("model", wrongSize);
    expect(again.status).toBe(400);
    expect(again.text).toContain("The model gives 43 outputs per image, but the holdout has 10 classes.");
    expect(await t.db.submission.count({ where: { refused: false } })).toBe(0);
    expect(await t.db.submission.count({ where: { refused: true } })).toBe(2);
    h10.remove();
  } finally {
    await t.close();
    holdout.remove();
    content.remove();
  }
});
