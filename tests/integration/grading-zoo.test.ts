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
import { fixtureHoldout, fixtureInputs, MODELS } from "../helpers/grading.js";
import { until } from "../helpers/wait.js";
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
