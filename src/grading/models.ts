// Every model format students have → one interface: input spec, class count,
// summary (layers, parameters, FLOPs) and predict(). Format is recognised from the
// file's content as well as its name; every refusal says what to do.
import * as tf from "@tensorflow/tfjs";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readZip, type ZipLimits } from "./archive.js";
import { ENGINE_LABEL, useFastestEngine } from "./engine.js";
import { ModelRefused } from "./errors.js";
import { sniff } from "./sniff.js";
import type { InputSpec, Layout } from "./images.js";
import { tempFile, translateH5, translateKeras3, translateTfjsLayers, type TfjsWeightSpec } from "./keras.js";
import { accountOnnx } from "./onnx/accounting.js";
import { largestActivation } from "./batching.js";
import type { Translated, TranslatedLayer } from "./onnx/keras-onnx.js";

export type ModelFormat = "keras" | "keras-h5" | "tfjs-layers" | "tfjs-graph" | "onnx";

/** One layer of a translated model: name, class, output shape, parameters, FLOPs per image. */
export type LayerSummary = TranslatedLayer;

export interface ModelSummary {
  format: ModelFormat;
  formatLabel: string;
  inputShape: (number | null)[];
  outputClasses: number;
  params: number | null;
  flopsPerImage: number | null;
  layers: LayerSummary[] | null;
}

export interface LoadedModel {
  summary: ModelSummary;
  input: InputSpec & { layout: Layout };
  engine: string;
  /**
   * Class probabilities (or scores) for a batch, row-major [n, classes]: an NHWC tensor, or
   * the images as float32 values already in the model's size and layout (input.layout).
   */
  predict(batch: tf.Tensor4D | Float32Array): Promise<Float32Array>;
  dispose(): void;
}

export interface ModelLimits {
  maxParams: number;
  maxFlopsPerImage: number;
  /** Values of the largest layer output per image (merges, upsampling and padding cost no FLOPs, but memory). */
  maxActivationValues?: number;
  zip: ZipLimits;
}

const FORMAT_LABEL: Record<ModelFormat, string> = {
  keras: "Keras 3 (.keras)",
  "keras-h5": "Keras HDF5 (.h5)",
  "tfjs-layers": "TF.js Layers model",
  "tfjs-graph": "TF.js graph model",
  onnx: "ONNX",
};


function prod(xs: (number | null)[]): number {
  return xs.reduce<number>((a, b) => a * (b ?? 1), 1);
}

// #region checks

function inputSpec(shape: (number | null)[], layout: Layout): InputSpec & { layout: Layout } {
  const dims = shape.map((d) => (typeof d === "number" && d > 0 ? d : null));
  const [h, w, c] = layout === "NHWC" ? [dims[1], dims[2], dims[3]] : [dims[2], dims[3], dims[1]];
  const shown = `[${shape.map((d) => (typeof d === "number" && d > 0 ? d : "None")).join(", ")}]`;
  if (shape.length !== 4) throw new ModelRefused(`The model's input shape is ${shown}, which cannot take images: it must be (batch, height, width, channels), e.g. (None, 32, 32, 3).`, "bad_input_shape");
  if (!h || !w) throw new ModelRefused(`The model's input shape ${shown} has no fixed height and width, so the grader cannot know what size to give it. Set one, e.g. keras.Input(shape=(32, 32, 3)).`, "bad_input_shape");
  if (c !== 1 && c !== 3) throw new ModelRefused(`The model's input shape ${shown} has ${c ?? "an unknown number of"} channels; images have 3 (RGB) or 1 (grayscale).`, "bad_input_shape");
  if (h > 1024 || w > 1024) throw new ModelRefused(`The model's input is ${h}×${w}; the grader accepts at most 1024×1024.`, "bad_input_shape");
  return { height: h, width: w, channels: c, layout };
}

/** Refuses a model that cannot be scored; `numClasses` null while the holdout is not ready yet. */
export function checkModel(summary: ModelSummary, numClasses: number | null, limits: ModelLimits) {
  if (numClasses !== null && summary.outputClasses !== numClasses) {
    throw new ModelRefused(`The model gives ${summary.outputClasses} outputs per image, but the holdout has ${numClasses} classes. The last layer must be Dense(${numClasses}) (with softmax).`, "wrong_output_size");
  }
  if (summary.params !== null && summary.params > limits.maxParams) {
    throw new ModelRefused(`The model has ${summary.params.toLocaleString("en")} parameters; the limit is ${limits.maxParams.toLocaleString("en")}. Use fewer or smaller layers (a Dense layer after Flatten is usually the biggest).`, "too_many_params");
  }
  if (summary.flopsPerImage !== null && summary.flopsPerImage > limits.maxFlopsPerImage) {
    throw new ModelRefused(`The model needs ${(summary.flopsPerImage / 1e9).toFixed(2)} GFLOP per image; the limit is ${(limits.maxFlopsPerImage / 1e9).toFixed(2)}. Downsample earlier (pooling, strides) or use fewer filters.`, "too_much_compute");
  }
  const largest = largestActivation(summary.layers);
  if (limits.maxActivationValues !== undefined && largest !== null && largest > limits.maxActivationValues) {
    const layer = summary.layers!.find((l) => largestActivation([l]) === largest);
    throw new ModelRefused(`Layer "${layer?.name ?? "?"}" outputs ${largest.toLocaleString("en")} values per image (${layer?.outputShape ?? ""}); the limit is ${limits.maxActivationValues.toLocaleString("en")} (${Math.round((limits.maxActivationValues * 4) / 2 ** 20)} MB of floats). Downsample earlier or use smaller layers.`, "too_much_memory");
  }
}

// #region loaders

interface TfjsJson {
  format?: string;
  modelTopology?: Record<string, unknown>;
  weightsManifest?: { paths: string[]; weights: TfjsWeightSpec[] }[];
  [k: string]: unknown;
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, int16: 2, float16: 2, string: 0, complex64: 8 };

async function loadTfjs(modelJson: Buffer, readShard: (p: string) => Buffer | null): Promise<LoadedModel> {
  let json: TfjsJson;
  try {
    json = JSON.parse(modelJson.toString("utf8")) as TfjsJson;
  } catch {
    throw new ModelRefused("model.json is not valid JSON: the file is damaged. Save the model again with model.save(...).", "corrupt");
  }
  if (!json.modelTopology || !Array.isArray(json.weightsManifest)) throw new ModelRefused("model.json is not a TF.js model (it needs modelTopology and weightsManifest). Save with model.save(\"file://…\") or the tensorflowjs converter.", "corrupt");
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const shards: Buffer[] = [];
  for (const p of json.weightsManifest.flatMap((g) => g.paths)) {
    const shard = readShard(p);
    if (!shard) throw new ModelRefused(`The weight file "${p}" named in model.json is missing. Upload model.json together with all its .bin files (for example zipped).`, "weights_mismatch");
    shards.push(shard);
  }
  const weightData = Buffer.concat(shards);
  const quantized = specs.some((s) => s.quantization);
  const expected = specs.reduce((a, s) => a + prod(s.shape) * (DTYPE_BYTES[s.dtype] ?? 4), 0);
  if (!quantized && expected !== weightData.length) {
    throw new ModelRefused(`The weight files hold ${weightData.length.toLocaleString("en")} bytes but model.json describes ${expected.toLocaleString("en")}: the weights do not match the model. Upload the .bin files saved with this model.json.`, "weights_mismatch");
  }
  const artifacts = { ...json, weightSpecs: specs, weightData: weightData.buffer.slice(weightData.byteOffset, weightData.byteOffset + weightData.byteLength) } as tf.io.ModelArtifacts;
  const isGraph = json.format === "graph-model" || "node" in (json.modelTopology ?? {});
  if (isGraph) {
    // Graph models (tensorflowjs_converter output) are TensorFlow ops, not Keras layers: they stay on TF.js.
    const backend = await useFastestEngine();
    const engine = ENGINE_LABEL[backend] ?? backend;
    let model: tf.GraphModel;
    try {
      model = await tf.loadGraphModel(tf.io.fromMemory(artifacts));
    } catch (e) {
      throw new ModelRefused(`The TF.js graph model could not be loaded: ${(e as Error).message}.`, "bad_config");
    }
    const inShape = (model.inputs[0]?.shape ?? []) as number[];
    const input = inputSpec(inShape, "NHWC");
    // Graph models often carry no output shape: run one blank image to learn it.
    const probe = (await model.executeAsync(tf.zeros([1, input.height, input.width, input.channels]))) as tf.Tensor | tf.Tensor[];
    const probeShape = (Array.isArray(probe) ? probe[0]! : probe).shape;
    tf.dispose(probe);
    const summary: ModelSummary = {
      format: "tfjs-graph", formatLabel: FORMAT_LABEL["tfjs-graph"], inputShape: inShape, outputClasses: probeShape[probeShape.length - 1] ?? 0,
      params: specs.reduce((a, s) => a + prod(s.shape), 0), flopsPerImage: null, layers: null,
    };
    return {
      summary, engine, input,
      async predict(batch) {
        const x = batch instanceof Float32Array ? tf.tensor4d(batch, [batch.length / (input.height * input.width * input.channels), input.height, input.width, input.channels]) : batch;
        const out = (await model.executeAsync(x)) as tf.Tensor | tf.Tensor[];
        if (x !== batch) x.dispose();
        const t = Array.isArray(out) ? out[0]! : out;
        const data = (await t.data()) as Float32Array;
        tf.dispose(out);
        return data;
      },
      dispose: () => model.dispose(),
    };
  }
  return fromOnnx(translateTfjsLayers(json.modelTopology, specs, weightData), "tfjs-layers");
}

let ortModule: Promise<typeof import("onnxruntime-node")> | null = null;

/** An ONNX Runtime session on this process's cores, with one images input (NHWC or NCHW). */
async function onnxSession(bytes: Uint8Array, format: ModelFormat, translated: Translated | null, limits?: Partial<ModelLimits>): Promise<LoadedModel> {
  // An ONNX upload's parameters and FLOPs, counted from its graph (refused when it cannot be sized) —
  // and over the limits, refused before ONNX Runtime loads or runs any of it.
  const account = translated ?? accountOnnx(bytes);
  if (limits?.maxParams !== undefined && limits.maxFlopsPerImage !== undefined) {
    checkModel({ params: account.params, flopsPerImage: account.flopsPerImage } as ModelSummary, null, limits as ModelLimits);
  }
  ortModule ??= import("onnxruntime-node");
  const ort = await ortModule;
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  const threads = Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  try {
    session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: "all" });
  } catch (e) {
    const why = (e as Error).message.split("\n")[0];
    // The translator's graph not loading is the grader's fault, not the student's: a grader error staff see.
    if (translated) throw new Error(`ONNX Runtime could not load the graph translated from this ${FORMAT_LABEL[format]} model: ${why}`, { cause: e });
    throw new ModelRefused(`The ONNX model could not be loaded: ${why}. Export it again (opset 13 or later).`, "corrupt");
  }
  if (session.inputNames.length !== 1) throw new ModelRefused(`The ONNX model has ${session.inputNames.length} inputs; it must take exactly one (the images).`, "bad_input_shape");
  const meta = session.inputMetadata[0] as { shape?: (number | string)[]; type?: string } | undefined;
  const raw = translated ? translated.inputShape : (meta?.shape ?? []).map((d) => (typeof d === "number" ? d : null));
  const layout = !translated && raw.length === 4 && (raw[1] === 3 || raw[1] === 1) && raw[3] !== 3 && raw[3] !== 1 ? "NCHW" : "NHWC";
  const input = inputSpec(raw, layout);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const perImage = input.height * input.width * input.channels;
  const dims = (n: number) => (layout === "NCHW" ? [n, input.channels, input.height, input.width] : [n, input.height, input.width, input.channels]);
  // A batch size fixed in the graph (PyTorch's torch.onnx.export without dynamic_axes writes 1): the
  // images go in runs of exactly that many, the last padded with zeros whose outputs are dropped.
  const fixedBatch = !translated && typeof raw[0] === "number" && raw[0] > 0 ? raw[0] : null;
  const runOnce = async (data: Float32Array) => {
    const result = await session.run({ [inputName]: new ort.Tensor("float32", data, dims(data.length / perImage)) });
    const out = result[outputName]!;
    return { data: out.data as Float32Array, dims: out.dims as number[] };
  };
  const run = async (batch: tf.Tensor4D | Float32Array) => {
    let data: Float32Array;
    if (batch instanceof Float32Array) data = batch;
    else {
      const x = layout === "NCHW" ? tf.transpose(batch, [0, 3, 1, 2]) : batch;
      data = (await x.data()) as Float32Array;
      if (x !== batch) x.dispose();
    }
    const n = data.length / perImage;
    if (fixedBatch === null || n === fixedBatch) return runOnce(data);
    const parts: Float32Array[] = [];
    let outDims: number[] = [];
    for (let i = 0; i < n; i += fixedBatch) {
      const take = Math.min(fixedBatch, n - i);
      let chunk = data.subarray(i * perImage, (i + take) * perImage);
      if (take < fixedBatch) {
        const padded = new Float32Array(fixedBatch * perImage);
        padded.set(chunk);
        chunk = padded;
      }
      const out = await runOnce(chunk);
      outDims = out.dims;
      parts.push(out.data.slice(0, (out.data.length / fixedBatch) * take));
    }
    const joined = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    return { data: joined, dims: [n, ...outDims.slice(1)] };
  };
  let outputClasses = translated?.outputClasses;
  if (outputClasses === undefined) {
    const probe = await run(new Float32Array(perImage));
    outputClasses = probe.dims[probe.dims.length - 1] ?? 0;
  }
  const summary: ModelSummary = {
    format, formatLabel: FORMAT_LABEL[format], inputShape: raw, outputClasses,
    params: account.params, flopsPerImage: account.flopsPerImage, layers: translated?.layers ?? null,
  };
  return {
    summary, input, engine: `ONNX Runtime ${ort.env.versions?.common ?? ""} (CPU, ${threads} threads)`.replace("  ", " "),
    predict: async (batch) => (await run(batch)).data,
    dispose: () => void session.release(),
  };
}

function fromOnnx(t: Translated, format: ModelFormat): Promise<LoadedModel> {
  return onnxSession(t.onnx, format, t);
}

/** Loads any supported model file or folder. Throws ModelRefused for anything it cannot grade. */
export async function loadModel(file: string, limits: Pick<ModelLimits, "zip"> & Partial<ModelLimits>): Promise<LoadedModel> {
  const kind = sniff(file);
  if (kind === "csv") throw new ModelRefused("This is a predictions CSV, not a model.", "is_csv");
  if (kind === "onnx") return onnxSession(fs.readFileSync(file), "onnx", null, limits);
  if (kind === "hdf5") return fromOnnx(await translateH5(file), "keras-h5");
  if (kind === "dir" || kind === "json") {
    const modelJson = kind === "dir" ? path.join(file, "model.json") : file;
    if (!fs.existsSync(modelJson)) throw new ModelRefused("The folder has no model.json. Upload a TF.js model (model.json and its .bin files).", "unknown_format");
    const base = path.dirname(modelJson);
    return loadTfjs(fs.readFileSync(modelJson), (p) => {
      const full = path.resolve(base, p);
      if (!full.startsWith(path.resolve(base) + path.sep) || !fs.existsSync(full)) return null;
      return fs.readFileSync(full);
    });
  }
  if (kind === "zip") {
    const files = await readZip(file, limits.zip);
    const names = [...files.keys()];
    if (files.has("config.json") && files.has("model.weights.h5")) {
      const weights = tempFile(files.get("model.weights.h5")!, "model.weights.h5");
      try {
        return await fromOnnx(await translateKeras3(files.get("config.json")!.toString("utf8"), weights.file, files.get("metadata.json")?.toString("utf8")), "keras");
      } finally {
        weights.remove();
      }
    }
    const jsonName = names.find((n) => n === "model.json" || n.endsWith("/model.json"));
    if (jsonName) {
      const dir = jsonName.slice(0, -"model.json".length);
      return loadTfjs(files.get(jsonName)!, (p) => files.get(path.posix.normalize(dir + p)) ?? null);
    }
    const inner = names.find((n) => /\.(h5|hdf5|onnx)$/i.test(n));
    if (inner) {
      const t = tempFile(files.get(inner)!, path.basename(inner));
      try {
        return await loadModel(t.file, limits);
      } finally {
        t.remove();
      }
    }
    throw new ModelRefused(`The zip holds ${names.slice(0, 5).join(", ")}${names.length > 5 ? ", …" : ""} but no model: expected a .keras file's config.json + model.weights.h5, or model.json with .bin files.`, "unknown_format");
  }
  throw new ModelRefused("The file is not a model the grader knows: upload a Keras .keras or .h5 file, a TF.js model (model.json + .bin files, zipped), an ONNX file, or a predictions CSV.", "unknown_format");
}
