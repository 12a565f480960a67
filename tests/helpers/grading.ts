// Grading fixtures: the shared Keras files, and holdouts written from their inputs.
import { createCanvas } from "@napi-rs/canvas";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as tf from "@tensorflow/tfjs";
import onnxProto from "onnx-proto";
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

// #region a hand-written ONNX model (protobuf through onnx-proto, not the grader's own builder)

const { onnx } = onnxProto;

/** ValueInfoProto: a float tensor named `name`; string dims are symbolic (e.g. "batch"). */
const floatTensorInfo = (name: string, dims: (number | string)[]) => onnx.ValueInfoProto.create({
  name,
  type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })) } } },
});

const floatInitializer = (name: string, dims: number[], data: Float32Array) =>
  onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });

/**
 * The weights of `linearOnnxNchw`: logits[k] = b[k] + Σ x[c,h,w]·W[(c·32 + h)·32 + w, k], with
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
 * "pixels", flattened in (c, h, w) order, times W, plus b (see linearWeights). `batch`: a number
 * fixes the batch size in the graph, as torch.onnx.export does without dynamic_axes (1).
 */
export function linearOnnxNchw(file: string, classes = 43, batch: number | "batch" = "batch"): void {
  const { W, b } = linearWeights(classes);
  const graph = onnx.GraphProto.create({
    name: "linear_nchw",
    node: [
      onnx.NodeProto.create({ opType: "Flatten", input: ["pixels"], output: ["flat"], attribute: [{ name: "axis", type: onnx.AttributeProto.AttributeType.INT, i: 1 }] }),
      onnx.NodeProto.create({ opType: "MatMul", input: ["flat", "W"], output: ["scores"] }),
      onnx.NodeProto.create({ opType: "Add", input: ["scores", "b"], output: ["logits"] }),
    ],
    initializer: [floatInitializer("W", [3072, classes], W), floatInitializer("b", [classes], b)],
    input: [floatTensorInfo("pixels", [batch, 3, 32, 32])],
    output: [floatTensorInfo("logits", [batch, classes])],
  });
  const model = onnx.ModelProto.create({ irVersion: 8, producerName: "test", graph, opsetImport: [{ domain: "", version: 13 }] });
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
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
