// Grading fixtures: the shared Keras files, and holdouts written from their inputs.
import { createCanvas } from "@napi-rs/canvas";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import yazl from "yazl";
import { saveLayersModel } from "../../src/grading/train.js";

export const MODELS = fileURLToPath(new URL("../fixtures/models/", import.meta.url));

/** Keras's own outputs on the fixture images, its argmax and its parameter count (model.count_params()). */
export function expected(name: string): { probabilities: number[][]; argmax: number[]; params: number } {
  return JSON.parse(fs.readFileSync(path.join(MODELS, `${name}.expected.json`), "utf8"));
}

/** The 16 fixture images (float32 NHWC 0–255) as raw data. */
export function fixtureInputs(): Float32Array {
  const b = fs.readFileSync(path.join(MODELS, "inputs-16x32x32x3.f32"));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function tempDir(prefix = "grading-"): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A holdout of the 16 fixture images as PNGs (lossless, so pixels are exact), labelled `labels`. */
export function fixtureHoldout(labels: number[], { classes = 43, repeat = 1 } = {}): { dir: string; remove(): void } {
  const t = tempDir("holdout-");
  const x = fixtureInputs();
  const lines = ["filename,class_id"];
  for (let r = 0; r < repeat; r++) {
    for (let i = 0; i < 16; i++) {
      const canvas = createCanvas(32, 32);
      const ctx = canvas.getContext("2d");
      const img = ctx.createImageData(32, 32);
      for (let p = 0; p < 32 * 32; p++) {
        img.data[p * 4] = x[i * 3072 + p * 3]!;
        img.data[p * 4 + 1] = x[i * 3072 + p * 3 + 1]!;
        img.data[p * 4 + 2] = x[i * 3072 + p * 3 + 2]!;
        img.data[p * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      const name = `img-${r}-${String(i).padStart(2, "0")}.png`;
      fs.writeFileSync(path.join(t.dir, name), canvas.toBuffer("image/png"));
      lines.push(`${name},${labels[i]}`);
    }
  }
  fs.writeFileSync(path.join(t.dir, "labels.csv"), `${lines.join("\n")}\n`);
  fs.writeFileSync(path.join(t.dir, "classes.csv"), `class_id,name\n${Array.from({ length: classes }, (_x, i) => `${i},sign ${i}`).join("\n")}\n`);
  return t;
}

// #region models the tests build

/** Writes a zip of `entries` (name → bytes); `store` keeps entries uncompressed. */
export function writeZip(file: string, entries: Record<string, Buffer | string>, { store = false } = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const zip = new yazl.ZipFile();
    for (const [name, data] of Object.entries(entries)) zip.addBuffer(Buffer.isBuffer(data) ? data : Buffer.from(data), name, { compress: !store });
    zip.end();
    const out = fs.createWriteStream(file);
    zip.outputStream.pipe(out).on("close", () => resolve()).on("error", reject);
  });
}

/** The parts of a fixture .keras file, to rebuild variants of it. */
export async function kerasParts(name: string): Promise<{ config: Record<string, unknown>; metadata: Buffer; weights: Buffer }> {
  const { readZip } = await import("../../src/grading/archive.js");
  const files = await readZip(path.join(MODELS, name));
  return { config: JSON.parse(files.get("config.json")!.toString("utf8")), metadata: files.get("metadata.json")!, weights: files.get("model.weights.h5")! };
}

export async function writeKeras(file: string, parts: { config: unknown; metadata: Buffer; weights: Buffer }) {
  await writeZip(file, { "metadata.json": parts.metadata, "config.json": JSON.stringify(parts.config), "model.weights.h5": parts.weights });
}

/** A small TF.js Layers model saved in `dir`; `build` may change the layers. */
export async function tfjsModel(dir: string, { inputShape = [32, 32, 3], classes = 43, nan = false, dense = false } = {}): Promise<tf.LayersModel> {
  await tf.setBackend("cpu");
  const layers = dense
    ? [tf.layers.dense({ inputShape, units: classes, activation: "softmax" })]
    : [
        tf.layers.rescaling({ inputShape, scale: 1 / 255 }),
        tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: classes, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
      ];
  const model = tf.sequential({ layers });
  if (nan) model.layers.at(-1)!.setWeights(model.layers.at(-1)!.getWeights().map((w) => tf.fill(w.shape, NaN)));
  await saveLayersModel(model, dir);
  return model;
}

/**
 * A TF.js graph model written by hand (the converter is Python-only): flatten, one
 * matrix multiply, softmax. Its weights are the Const nodes, as the converter stores them.
 */
export function graphModel(dir: string, classes = 43) {
  fs.mkdirSync(dir, { recursive: true });
  const w = new Float32Array(3072 * classes);
  for (let i = 0; i < w.length; i++) w[i] = Math.sin(i) / 3072;
  const shape = new Int32Array([-1, 3072]);
  fs.writeFileSync(path.join(dir, "group1-shard1of1.bin"), Buffer.concat([Buffer.from(shape.buffer), Buffer.from(w.buffer)]));
  const json = {
    format: "graph-model", generatedBy: "test", convertedBy: "hand",
    modelTopology: {
      node: [
        { name: "images", op: "Placeholder", attr: { dtype: { type: "DT_FLOAT" }, shape: { shape: { dim: [{ size: "-1" }, { size: "32" }, { size: "32" }, { size: "3" }] } } } },
        { name: "shape", op: "Const", attr: { dtype: { type: "DT_INT32" }, value: { tensor: { dtype: "DT_INT32", tensorShape: { dim: [{ size: "2" }] } } } } },
        { name: "w", op: "Const", attr: { dtype: { type: "DT_FLOAT" }, value: { tensor: { dtype: "DT_FLOAT", tensorShape: { dim: [{ size: "3072" }, { size: String(classes) }] } } } } },
        { name: "flat", op: "Reshape", input: ["images", "shape"], attr: { T: { type: "DT_FLOAT" }, Tshape: { type: "DT_INT32" } } },
        { name: "logits", op: "MatMul", input: ["flat", "w"], attr: { T: { type: "DT_FLOAT" }, transpose_a: { b: false }, transpose_b: { b: false } } },
        { name: "probabilities", op: "Softmax", input: ["logits"], attr: { T: { type: "DT_FLOAT" } } },
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [{ paths: ["group1-shard1of1.bin"], weights: [{ name: "shape", shape: [2], dtype: "int32" }, { name: "w", shape: [3072, classes], dtype: "float32" }] }],
  };
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(json));
}

// #region a hand-written ONNX model

// Protobuf written field by field (no protobuf library is needed for so little):
// a key is (field number << 3 | wire type), then a varint or length-delimited bytes.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n % 128) | 128);
  out.push(n);
  return Buffer.from(out);
};
const int = (field: number, n: number) => Buffer.concat([varint(field * 8), varint(n)]);
const bytes = (field: number, b: Buffer | string) => {
  const buf = Buffer.from(b);
  return Buffer.concat([varint(field * 8 + 2), varint(buf.length), buf]);
};
const msg = (field: number, ...parts: Buffer[]) => bytes(field, Buffer.concat(parts));

/** ValueInfoProto: a float tensor named `name`; string dims are symbolic (e.g. "batch"). */
const floatTensorInfo = (field: number, name: string, dims: (number | string)[]) =>
  msg(field, bytes(1, name), msg(2, msg(1, int(1, 1), msg(2, ...dims.map((d) => msg(1, typeof d === "number" ? int(1, d) : bytes(2, d)))))));

/** NodeProto; `ints` attributes are INTS (type 7), numbers INT (type 2). */
const node = (op: string, inputs: string[], output: string, attrs: Record<string, number | number[]> = {}) =>
  msg(1, ...inputs.map((i) => bytes(1, i)), bytes(2, output), bytes(3, output), bytes(4, op),
    ...Object.entries(attrs).map(([name, v]) => msg(5, bytes(1, name), ...(Array.isArray(v) ? [...v.map((x) => int(8, x)), int(20, 7)] : [int(3, v), int(20, 2)]))));

/** TensorProto: float32 (data type 1) stored as raw little-endian bytes. */
const initializer = (name: string, dims: number[], data: Float32Array) =>
  msg(5, ...dims.map((d) => int(1, d)), int(2, 1), bytes(8, name), bytes(9, Buffer.from(data.buffer, data.byteOffset, data.byteLength)));

/**
 * The weights of `linearOnnx`: logits[k] = b[k] + Σ x[c,h,w]·W[(c·32 + h)·32 + w, k], with
 * W and b fixed by formula so a test can compute the logits itself. Scaled so logits
 * of 0–255 images are of order 1.
 */
export function linearWeights(classes = 43): { W: Float32Array; b: Float32Array } {
  const W = new Float32Array(3072 * classes);
  for (let i = 0; i < 3072; i++) for (let k = 0; k < classes; k++) W[i * classes + k] = Math.sin(i * 0.37 + k * 1.91 + i * k * 0.013) / 3072;
  const b = Float32Array.from({ length: classes }, (_x, k) => Math.cos(k) / 100);
  return { W, b };
}

/**
 * An ONNX model as PyTorch exports them: channels-first input [batch, 3, 32, 32] named
 * "pixels", flattened in (c, h, w) order, times W, plus b (see linearWeights).
 */
export function linearOnnxNchw(file: string, classes = 43): void {
  const { W, b } = linearWeights(classes);
  const graph = msg(7,
    node("Flatten", ["pixels"], "flat", { axis: 1 }),
    node("MatMul", ["flat", "W"], "scores"),
    node("Add", ["scores", "b"], "logits"),
    bytes(2, "linear_nchw"),
    initializer("W", [3072, classes], W),
    initializer("b", [classes], b),
    floatTensorInfo(11, "pixels", ["batch", 3, 32, 32]),
    floatTensorInfo(12, "logits", ["batch", classes]));
  // ModelProto: ir_version 8, producer "test", the graph, opset 13 of the default domain.
  fs.writeFileSync(file, Buffer.concat([int(1, 8), bytes(2, "test"), graph, msg(8, bytes(1, ""), int(2, 13))]));
}

/**
 * linearOnnxNchw's logits on the 16 fixture images, computed here from the NHWC
 * fixture data: pixel (h, w) channel c of image n is x[n·3072 + (h·32 + w)·3 + c].
 */
export function linearLogitsOnFixtures(classes = 43): number[][] {
  const x = fixtureInputs();
  const { W, b } = linearWeights(classes);
  return Array.from({ length: 16 }, (_r, n) =>
    Array.from({ length: classes }, (_k, k) => {
      let s = b[k]!;
      for (let c = 0; c < 3; c++) for (let h = 0; h < 32; h++) for (let w = 0; w < 32; w++) s += x[n * 3072 + (h * 32 + w) * 3 + c]! * W[((c * 32 + h) * 32 + w) * classes + k]!;
      return s;
    }));
}
