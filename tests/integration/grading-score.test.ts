// Scoring end to end (inference in a child process) and every refusal, with the
// message a student reads.
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { HoldoutRefused, ModelRefused } from "../../src/grading/errors.js";
import { readHoldout } from "../../src/grading/holdout.js";
import { scoreAllSplits, scoreModel } from "../../src/grading/score.js";
import { expected, fixtureHoldout, graphModel, kerasParts, linearLogitsOnFixtures, linearOnnxNchw, MODELS, tempDir, tfjsModel, writeKeras, writeZip } from "../helpers/grading.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const t = tempDir();
const keras = expected("seq-basic");
const labels = keras.argmax;
const holdout = fixtureHoldout(labels, { repeat: 2 }); // 32 images, seq-basic gets them all right
afterAll(() => {
  t.remove();
  holdout.remove();
});
const file = (name: string) => path.join(t.dir, name);
const argmax = (rows: number[][]) => rows.map((r) => r.indexOf(Math.max(...r)));
// Keras models are translated to ONNX and run by the installed ONNX Runtime.
const ORT_VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules/onnxruntime-node/package.json"), "utf8")) as { version: string }).version;
const ORT_ENGINE = new RegExp(`^ONNX Runtime ${ORT_VERSION.replaceAll(".", "\\.")} \\(CPU`);

async function refusal(model: string, limits = {}): Promise<ModelRefused> {
  try {
    await scoreModel({ model, holdout: holdout.dir, limits });
  } catch (e) {
    if (e instanceof ModelRefused) return e;
    throw e;
  }
  throw new Error("expected the model to be refused");
}

test("a Keras model is scored in a child process: metrics, points, engine, speed, summary, preprocessing rule", async () => {
  const progress: number[] = [];
  const r = await scoreModel({ model: path.join(MODELS, "seq-basic.keras"), holdout: holdout.dir, onProgress: (done) => progress.push(done), limits: { batchSize: 8 } });
  expect(r).toMatchObject({ n: 32, accuracy: 1, macroF1: 1, points: 100, kind: "model", split: "all" });
  expect(r.engine).toMatch(ORT_ENGINE);
  expect(r.imagesPerSecond).toBeGreaterThan(0);
  expect(r.model).toMatchObject({ format: "keras", params: keras.params, outputClasses: 43 });
  expect(r.preprocessing).toContain("0 to 255");
  expect(r.misclassified).toEqual([]);
  // `batchSize` is the least a batch holds: 32×32×3 inputs go in batches of up to 2^21 values (682 images)
  // while a small model's activations fit, so these 32 images are one batch, reported once.
  expect(progress).toEqual([32]);
  expect(r.perClass.filter((c) => c.support > 0).every((c) => c.f1 === 1)).toBe(true);
});

test("ONNX and the predictions CSV score the same as the Keras file", async () => {
  const onnx = await scoreModel({ model: path.join(MODELS, "seq-basic.onnx"), holdout: holdout.dir });
  expect(onnx).toMatchObject({ accuracy: 1, points: 100 });
  expect(onnx.engine).toMatch(ORT_ENGINE);
  fs.writeFileSync(file("pred.csv"), `predictions\n${[...labels, ...labels].join("\n")}\n`);
  const csv = await scoreModel({ model: file("pred.csv"), holdout: holdout.dir });
  expect(csv).toMatchObject({ accuracy: 1, points: 100, kind: "predictions", inferenceSeconds: null });
});

test("an ONNX model with channels-first input [batch, 3, 32, 32] is given the holdout images channels-first", async () => {
  linearOnnxNchw(file("linear-nchw.onnx"));
  // Labelled with the model's logits computed by hand: a channel or height/width swap changes most of them.
  const h = fixtureHoldout(argmax(linearLogitsOnFixtures()));
  try {
    const r = await scoreModel({ model: file("linear-nchw.onnx"), holdout: h.dir });
    expect(r).toMatchObject({ n: 16, accuracy: 1, macroF1: 1, kind: "model", misclassified: [] });
    expect(r.model).toMatchObject({ format: "onnx", inputShape: [null, 3, 32, 32], outputClasses: 43 });
  } finally {
    h.remove();
  }
});

test("an ONNX model whose graph fixes the batch size (1, as torch.onnx.export writes without dynamic_axes; 5, which 16 images do not fill) is run in batches of that size", async () => {
  const h = fixtureHoldout(argmax(linearLogitsOnFixtures()));
  try {
    for (const batch of [1, 5]) {
      linearOnnxNchw(file(`linear-batch-${batch}.onnx`), 43, batch);
      const r = await scoreModel({ model: file(`linear-batch-${batch}.onnx`), holdout: h.dir });
      expect(r).toMatchObject({ n: 16, accuracy: 1, macroF1: 1, kind: "model", misclassified: [] });
      expect(r.model).toMatchObject({ format: "onnx", inputShape: [batch, 3, 32, 32], outputClasses: 43 });
    }
  } finally {
    h.remove();
  }
});

test("wrong predictions: metrics, confusion and misclassified samples follow; the split scores part of the holdout", async () => {
  const wrong = [...labels, ...labels].map((c, i) => (i < 4 ? (c + 1) % 43 : c));
  fs.writeFileSync(file("wrong.csv"), `predictions\n${wrong.join("\n")}\n`);
  const r = await scoreModel({ model: file("wrong.csv"), holdout: holdout.dir });
  expect(r.accuracy).toBeCloseTo(28 / 32, 12);
  expect(r.misclassified.map((m) => m.filename)).toEqual(["img-0-00.png", "img-0-01.png", "img-0-02.png", "img-0-03.png"]);
  expect(r.confusion[labels[0]!]![(labels[0]! + 1) % 43]).toBe(1);
  const pub = await scoreModel({ model: file("wrong.csv"), holdout: holdout.dir, split: "public", splitSeed: "s" });
  const priv = await scoreModel({ model: file("wrong.csv"), holdout: holdout.dir, split: "private", splitSeed: "s" });
  expect(pub.n + priv.n).toBe(32);
  expect(pub.n).toBe(16); // two of each image: one to each side
  // One run scored three ways gives the same numbers as three runs.
  const splits = await scoreAllSplits({ model: file("wrong.csv"), holdout: holdout.dir, splitSeed: "s" });
  expect([splits.public.accuracy, splits.private.accuracy, splits.all.accuracy]).toEqual([pub.accuracy, priv.accuracy, r.accuracy]);
  expect(splits.public.macroF1).toBe(pub.macroF1);
});

describe("refusals, each with a message a student can act on", () => {
  test("a Lambda layer (Python code is never run)", async () => {
    const parts = await kerasParts("seq-basic.keras");
    const layers = (parts.config.config as { layers: unknown[] }).layers;
    layers.splice(2, 0, { module: "keras.layers", class_name: "Lambda", config: { name: "scale", function: { class_name: "__lambda__", config: { code: "4wEAAAA=" } } }, registered_name: null });
    await writeKeras(file("lambda.keras"), parts);
    const e = await refusal(file("lambda.keras"));
    expect(e.code).toBe("lambda_layer");
    expect(e.message).toContain('Lambda layer (scale)');
    expect(e.message).toContain("never runs");
  });

  test("custom and unsupported layers are named", async () => {
    const parts = await kerasParts("seq-basic.keras");
    const layers = (parts.config.config as { layers: Record<string, unknown>[] }).layers;
    layers[3] = { module: "my_project.layers", class_name: "FancyConv", config: { name: "fancy" }, registered_name: "MyProject>FancyConv" };
    await writeKeras(file("custom.keras"), parts);
    expect((await refusal(file("custom.keras"))).message).toContain("custom layers (fancy (MyProject>FancyConv))");
    const p2 = await kerasParts("seq-basic.keras");
    (p2.config.config as { layers: Record<string, unknown>[] }).layers[3] = { module: "keras.layers", class_name: "MultiHeadAttention", config: { name: "attn" }, registered_name: null };
    await writeKeras(file("unsupported.keras"), p2);
    const e = await refusal(file("unsupported.keras"));
    expect(e.code).toBe("unsupported_layer");
    expect(e.message).toContain('Layer "attn" (MultiHeadAttention): this layer is not supported');
  });

  test("weights that do not match the config", async () => {
    const parts = await kerasParts("seq-basic.keras");
    const conv = (parts.config.config as { layers: { class_name: string; config: Record<string, unknown> }[] }).layers.find((l) => l.class_name === "Conv2D")!;
    conv.config.filters = 8;
    await writeKeras(file("mismatch.keras"), parts);
    const e = await refusal(file("mismatch.keras"));
    expect(e.code).toBe("weights_mismatch");
    expect(e.message).toContain('Layer "conv2d" (Conv2D): weight 0 has shape [3, 3, 3, 16] in the file but the config needs [3, 3, 3, 8]');
  });

  test("input shapes that cannot take images, and outputs that are not one per class", async () => {
    await tfjsModel(file("flat"), { inputShape: [3072], dense: true });
    expect((await refusal(file("flat"))).message).toContain("The model's input shape (None, 3072): the grader needs (None, height, width, channels)");
    await tfjsModel(file("ten"), { classes: 10 });
    const e = await refusal(file("ten"));
    expect(e.code).toBe("wrong_output_size");
    expect(e.message).toContain("gives 10 outputs per image, but the holdout has 43 classes");
  });

  test("corrupt, truncated and unknown files", async () => {
    const keras = fs.readFileSync(path.join(MODELS, "seq-basic.keras"));
    fs.writeFileSync(file("truncated.keras"), keras.subarray(0, keras.length >> 1));
    expect((await refusal(file("truncated.keras"))).code).toBe("corrupt");
    const h5 = fs.readFileSync(path.join(MODELS, "seq-basic.h5"));
    fs.writeFileSync(file("truncated.h5"), h5.subarray(0, 4000));
    expect((await refusal(file("truncated.h5"))).message).toMatch(/could not be read|damaged|truncated/);
    fs.writeFileSync(file("noise.bin"), Buffer.from(Array.from({ length: 5000 }, (_x, i) => (i * 7919) % 251)));
    expect((await refusal(file("noise.bin"))).code).toBe("unknown_format");
    fs.writeFileSync(file("empty.keras"), "");
    expect((await refusal(file("empty.keras"))).message).toContain("The file is empty");
  });

  test("a zip bomb and a path that climbs out of the archive", async () => {
    await writeZip(file("bomb.zip"), { "model.json": Buffer.alloc(40 * 1024 * 1024) });
    const bomb = await refusal(file("bomb.zip"));
    expect(bomb.code).toBe("zip_bomb");
    expect(bomb.message).toContain("looks like a zip bomb");
    // yazl refuses to write "../" names, so write a same-length name and patch both headers.
    await writeZip(file("climb.zip"), { "xx/evil.json": "{}", "model.json": "{}" });
    const bytes = fs.readFileSync(file("climb.zip"));
    fs.writeFileSync(file("climb.zip"), Buffer.from(bytes.toString("latin1").replaceAll("xx/evil.json", "../evil.json"), "latin1"));
    const climb = await refusal(file("climb.zip"));
    expect(climb.code).toBe("path_traversal");
  });

  test("TF.js: a missing weight file, and weight files of the wrong size", async () => {
    await tfjsModel(file("shardless"));
    fs.rmSync(file("shardless/weights.bin"));
    expect((await refusal(file("shardless"))).message).toContain('The weight file "weights.bin" named in model.json is missing');
    await tfjsModel(file("short"));
    fs.writeFileSync(file("short/weights.bin"), Buffer.alloc(100));
    expect((await refusal(file("short"))).message).toMatch(/The weight files hold 100 bytes but model.json describes [\d,]+/);
  });

  test("limits: file size, parameters, compute per image", async () => {
    expect((await refusal(path.join(MODELS, "seq-basic.keras"), { maxUploadBytes: 1000 })).code).toBe("too_large");
    const params = await refusal(path.join(MODELS, "seq-basic.keras"), { maxParams: 100_000 });
    expect(params.message).toContain("The model has 108,299 parameters; the limit is 100,000");
    const flops = await refusal(path.join(MODELS, "seq-basic.keras"), { maxFlopsPerImage: 1e6 });
    expect(flops.code).toBe("too_much_compute");
  });

  test("NaN outputs", async () => {
    await tfjsModel(file("nan"), { nan: true });
    const e = await refusal(file("nan"));
    expect(e.code).toBe("nan_output");
    expect(e.message).toContain("NaN");
  });

  test("the time and memory budget: the process is killed and the student told which limit", async () => {
    const slow = await refusal(path.join(MODELS, "seq-basic.keras"), { timeoutMs: 20 });
    expect(slow.code).toBe("time_limit");
    expect(slow.message).toMatch(/took longer than 0 seconds|took longer than/);
    const big = await refusal(path.join(MODELS, "seq-basic.keras"), { memoryMb: 30 });
    expect(big.code).toBe("memory_limit");
    expect(big.message).toContain("more than 30 MB of memory");
  });

  test("a predictions CSV with the wrong number of rows or a bad class id", async () => {
    fs.writeFileSync(file("short.csv"), "predictions\n1\n2\n");
    expect((await refusal(file("short.csv"))).message).toContain("has 2 rows but the holdout has 32 images");
    fs.writeFileSync(file("bad.csv"), `predictions\n${Array(31).fill(1).join("\n")}\n99\n`);
    expect((await refusal(file("bad.csv"))).message).toContain('Line 33 of the predictions CSV: "99" is not a class id from 0 to 42');
  });
});

test("a TF.js graph model is scored", async () => {
  graphModel(file("graph"));
  const r = await scoreModel({ model: file("graph"), holdout: holdout.dir });
  expect(r.model).toMatchObject({ format: "tfjs-graph", flopsPerImage: null });
  expect(r.n).toBe(32);
});

test("holdout refusals: no labels.csv, a bad header, a missing image, a name outside the folder", () => {
  const h = tempDir();
  expect(() => readHoldout(h.dir)).toThrow(HoldoutRefused);
  fs.writeFileSync(path.join(h.dir, "labels.csv"), "file,label\na.png,1\n");
  expect(() => readHoldout(h.dir)).toThrow('the first line must be the header "filename,class_id"');
  fs.writeFileSync(path.join(h.dir, "labels.csv"), "filename,class_id\na.png,1\n");
  expect(() => readHoldout(h.dir)).toThrow('labels.csv line 2: the image "a.png" is missing.');
  fs.writeFileSync(path.join(h.dir, "labels.csv"), "filename,class_id\n../x.png,1\n");
  expect(() => readHoldout(h.dir)).toThrow("must be a file name inside the holdout folder");
  h.remove();
});


test("npm run score: a table, --json with the metrics' values, exit 2 with the reason on stderr when refused", () => {
  const run = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "scripts/score.ts", ...args], { cwd: ROOT, encoding: "utf8" });
  const table = run("--model", path.join(MODELS, "seq-basic.keras"), "--holdout", holdout.dir);
  expect(table.status).toBe(0);
  expect(table.stdout).toContain("Macro-F1: 1.0000");
  expect(table.stdout).toContain("Points:   100 (macro-F1 scaled linearly from 0.79 (0 points) to 0.91 (100 points), clamped)");

  // The holdout is labelled with Keras's argmax, each image twice; the stratified public
  // half has each of its 16 classes once.
  const json = run("--model", path.join(MODELS, "seq-basic.keras"), "--holdout", holdout.dir, "--json", "--split", "public");
  expect(json.status).toBe(0);
  const r = JSON.parse(json.stdout);
  expect(r).toMatchObject({ split: "public", n: 16, accuracy: 1, macroF1: 1, points: 100, kind: "model", misclassified: [], model: { format: "keras", params: keras.params } });
  expect(r.engine).toMatch(ORT_ENGINE);
  expect(r.perClass.map((c: { support: number }) => c.support)).toEqual(Array.from({ length: 43 }, (_x, c) => (labels.includes(c) ? 1 : 0)));
  expect(r.confusion).toEqual(Array.from({ length: 43 }, (_x, i) => Array.from({ length: 43 }, (_y, j) => (i === j && labels.includes(i) ? 1 : 0))));

  // Two labels changed. Keras predicts 14, 2, 0, 5, 10, … for images 0–4; truth is now
  // 2, 2, 0, 10, 10, …, so 14 of 16 are right. Classes in truth or predictions: 16.
  // F1: class 2 (support 2, predicted once, right) 2/3; class 10 likewise 2/3;
  // classes 14 and 5 (predicted, never true) 0; the other 12 classes 1.
  // Macro-F1 (12 + 4/3) / 16 = 5/6; points (5/6 − 0.79) / 0.12 · 100 = 36.11.
  const changed = [2, labels[1]!, labels[2]!, 10, ...labels.slice(4)];
  const relabelled = fixtureHoldout(changed);
  try {
    const w = run("--model", path.join(MODELS, "seq-basic.keras"), "--holdout", relabelled.dir, "--json");
    expect(w.status).toBe(0);
    const s = JSON.parse(w.stdout);
    expect(s).toMatchObject({ split: "all", n: 16 });
    expect(s.accuracy).toBeCloseTo(14 / 16, 12);
    expect(s.macroF1).toBeCloseTo(5 / 6, 12);
    expect(s.macroPrecision).toBeCloseTo(14 / 16, 12); // classes 14 and 5 have precision 0, the rest 1
    expect(s.macroRecall).toBeCloseTo(13 / 16, 12); // 2 and 10: 1/2; 14 and 5: 0 (no support); the rest 1
    expect(s.points).toBe(36.11);
    expect(s.perClass[2]).toMatchObject({ precision: 1, recall: 0.5, support: 2, predicted: 1 });
    expect(s.perClass[2].f1).toBeCloseTo(2 / 3, 12);
    expect(s.perClass[14]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 1 });
    expect(s.confusion[2][14]).toBe(1);
    expect(s.confusion[10][5]).toBe(1);
    expect(s.mostConfused.map((p: { trueClass: number; predicted: number; count: number }) => [p.trueClass, p.predicted, p.count])).toEqual([[2, 14, 1], [10, 5, 1]]);
    expect(s.misclassified).toEqual([
      { filename: "img-0-00.png", trueClass: 2, predicted: 14, confidence: expect.closeTo(keras.probabilities[0]![14]!, 3) },
      { filename: "img-0-03.png", trueClass: 10, predicted: 5, confidence: expect.closeTo(keras.probabilities[3]![5]!, 3) },
    ]);
  } finally {
    relabelled.remove();
  }

  const refused = run("--model", path.join(MODELS, "seq-basic.keras"), "--holdout", t.dir);
  expect(refused.status).toBe(2);
  expect(refused.stderr).toContain("Refused: The holdout folder has no labels.csv");
}, 120_000);

test("decoded holdout images are cached between scorings: same results from the cache, a changed image is decoded anew, a damaged cache is ignored", async () => {
  const cacheDir = file("decoded-cache");
  const h = fixtureHoldout(labels);
  try {
    const model = path.join(MODELS, "seq-basic.keras");
    const first = await scoreModel({ model, holdout: h.dir, split: "all", cacheDir });
    const cached = fs.readdirSync(cacheDir).filter((f) => f.endsWith(".decoded"));
    expect(cached).toHaveLength(1);
    // 16 images of 32×32 RGB after a length and an index.
    expect(fs.statSync(path.join(cacheDir, cached[0]!)).size).toBeGreaterThan(16 * 32 * 32 * 3);
    const again = await scoreModel({ model, holdout: h.dir, split: "all", cacheDir });
    expect(again.accuracy).toBe(1);
    expect(again.confusion).toEqual(first.confusion);
    expect(again.misclassified).toEqual(first.misclassified);

    // The cache is what is read: its pixels blacked out (index kept), every image looks like image 0.
    const cacheFile = path.join(cacheDir, cached[0]!);
    const bytes = fs.readFileSync(cacheFile);
    const pixelsFrom = 4 + bytes.readUInt32LE(0);
    const saved = Buffer.from(bytes);
    bytes.fill(0, pixelsFrom);
    fs.writeFileSync(cacheFile, bytes);
    const black = await scoreModel({ model, holdout: h.dir, split: "all", cacheDir });
    expect(black.accuracy).toBe(labels.filter((c) => c === labels[0]).length / 16);
    fs.writeFileSync(cacheFile, saved);

    // One image replaced by a black one: a new cache entry, and that image is now misclassified.
    const victim = path.join(h.dir, "img-0-05.png");
    fs.copyFileSync(path.join(h.dir, "img-0-00.png"), victim); // image 0 is all zeros
    fs.utimesSync(victim, new Date(), new Date(Date.now() + 5000));
    const changed = await scoreModel({ model, holdout: h.dir, split: "all", cacheDir });
    expect(fs.readdirSync(cacheDir).filter((f) => f.endsWith(".decoded"))).toHaveLength(2);
    expect(changed.accuracy).toBe(keras.argmax[0] === keras.argmax[5] ? 1 : 15 / 16);

    // A damaged cache file is not trusted: the images are decoded again.
    for (const f of fs.readdirSync(cacheDir)) fs.writeFileSync(path.join(cacheDir, f), "not a cache");
    const repaired = await scoreModel({ model, holdout: h.dir, split: "all", cacheDir });
    expect(repaired.accuracy).toBe(changed.accuracy);
  } finally {
    h.remove();
  }
});
