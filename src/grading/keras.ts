// Keras models (Keras 3 `.keras`, legacy `.h5`) → TF.js Layers models. The config
// becomes a tfjs-layers topology after small rewrites (DESIGN.md: InputLayer
// batch_shape, Keras 3 inbound nodes, input/output lists); the weights are read with
// h5wasm and set layer by layer. Nothing in the file is ever run as code: Lambda and
// custom layers are refused by name.
import * as tf from "@tensorflow/tfjs";
import h5wasm from "h5wasm/node";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ModelRefused } from "./errors.js";

type Json = Record<string, unknown>;
type LayerConfig = { class_name: string; config: Json; name?: string; inbound_nodes?: unknown; registered_name?: string | null; module?: string };

/** Augmentation layers are the identity at inference; they become linear activations. */
const IDENTITY_AT_INFERENCE = new Set(["RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness", "GaussianNoise", "GaussianDropout", "AlphaDropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "ActivityRegularization"]);
const MODEL_CLASSES = new Set(["Sequential", "Functional", "Model"]);

export function snakeCase(name: string): string {
  return name.replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

function tfjsLayerClasses(): Set<string> {
  return new Set(Object.keys(tf.serialization.SerializationMap.getMap().classNameMap));
}

/** Keras 3 node `{args: [{class_name: "__keras_tensor__", config: {keras_history: [l, n, t]}}], kwargs}` → `[[l, n, t, kwargs]]`. */
function convertInboundNodes(nodes: unknown): unknown {
  if (!Array.isArray(nodes)) return nodes;
  return nodes.map((node) => {
    if (Array.isArray(node)) return node; // already Keras 2 / tfjs style
    const n = node as { args?: unknown[]; kwargs?: Json };
    const tensors: unknown[] = [];
    const collect = (a: unknown) => {
      if (Array.isArray(a)) a.forEach(collect);
      else if (a && typeof a === "object" && (a as Json).class_name === "__keras_tensor__") {
        const h = ((a as Json).config as Json).keras_history as [string, number, number];
        tensors.push([h[0], h[1], h[2], {}]);
      }
    };
    (n.args ?? []).forEach(collect);
    return tensors;
  });
}

const wrapList = (v: unknown) => (Array.isArray(v) && typeof v[0] === "string" ? [v] : v);

export interface ConvertedConfig {
  topology: Json;
  /** Layers in config order, with their class names (for weight lookup). */
  layers: { name: string; className: string }[];
}

/**
 * Checks and rewrites a Keras model config for tfjs-layers. Throws ModelRefused
 * naming every Lambda, custom or unsupported layer.
 */
export function convertKerasConfig(raw: unknown): ConvertedConfig {
  const model = raw as LayerConfig;
  if (!model || typeof model !== "object" || !MODEL_CLASSES.has(model.class_name)) {
    throw new ModelRefused(`The file's model is a "${String(model?.class_name)}", not a Keras Sequential or Functional model. Save your model with model.save("model.keras").`);
  }
  const known = tfjsLayerClasses();
  const layers = (model.config.layers ?? []) as LayerConfig[];
  const lambdas: string[] = [];
  const custom: string[] = [];
  const unsupported: string[] = [];
  const nested: string[] = [];
  const out: { name: string; className: string }[] = [];
  const converted = layers.map((l) => {
    const name = String(l.config?.name ?? l.name ?? "?");
    out.push({ name, className: l.class_name });
    if (l.class_name === "Lambda") lambdas.push(name);
    else if (MODEL_CLASSES.has(l.class_name)) nested.push(name);
    else if (l.registered_name && !String(l.module ?? "").startsWith("keras")) custom.push(`${name} (${l.registered_name})`);
    else if (!IDENTITY_AT_INFERENCE.has(l.class_name) && l.class_name !== "InputLayer" && !known.has(l.class_name)) unsupported.push(`${name} (${l.class_name})`);
    const config: Json = { ...l.config };
    let className = l.class_name;
    if (className === "InputLayer" && config.batch_shape && !config.batch_input_shape) {
      config.batch_input_shape = config.batch_shape;
      delete config.batch_shape;
    }
    if (IDENTITY_AT_INFERENCE.has(className)) {
      className = "Activation";
      for (const k of Object.keys(config)) if (!["name", "trainable", "dtype"].includes(k)) delete config[k];
      config.activation = "linear";
    }
    if (typeof config.dtype === "object" && config.dtype) config.dtype = "float32";
    const layer: Json = { class_name: className, config };
    if (l.name) layer.name = l.name;
    if (l.inbound_nodes !== undefined) layer.inbound_nodes = convertInboundNodes(l.inbound_nodes);
    return layer;
  });
  if (lambdas.length) throw new ModelRefused(`The model has a Lambda layer (${lambdas.join(", ")}). Lambda layers carry Python code, which the grader never runs. Replace it with built-in Keras layers (for example Rescaling instead of a Lambda that divides by 255) and save again.`, "lambda_layer");
  if (custom.length) throw new ModelRefused(`The model uses custom layers (${custom.join(", ")}). Only built-in Keras layers can be graded; rebuild the model from built-in layers.`, "custom_layer");
  if (nested.length) throw new ModelRefused(`The model contains another model as a layer (${nested.join(", ")}). Flatten it into one Sequential or Functional model before saving.`, "nested_model");
  if (unsupported.length) throw new ModelRefused(`The model uses layers the grader does not support: ${unsupported.join(", ")}. Use common layers (Conv2D, pooling, Dense, BatchNormalization, Dropout, …) or upload predictions as a CSV instead.`, "unsupported_layer");

  const config: Json = { ...model.config, layers: converted };
  if (typeof config.dtype === "object") delete config.dtype;
  if (model.class_name !== "Sequential") {
    config.input_layers = wrapList(config.input_layers);
    config.output_layers = wrapList(config.output_layers);
  }
  return { topology: { class_name: model.class_name === "Functional" ? "Model" : model.class_name, config, keras_version: "2.15.0", backend: "tensorflow" }, layers: out };
}

type H5File = InstanceType<typeof h5wasm.File>;
type H5Group = InstanceType<typeof h5wasm.Group>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

let h5Ready: Promise<unknown> | null = null;
async function openH5(file: string): Promise<H5File> {
  h5Ready ??= h5wasm.ready;
  await h5Ready;
  const head = Buffer.alloc(8);
  const fd = fs.openSync(file, "r");
  try {
    fs.readSync(fd, head, 0, 8, 0);
  } finally {
    fs.closeSync(fd);
  }
  if (!head.equals(Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new ModelRefused("The weights are not an HDF5 file: the upload is damaged or not a Keras file. Save again with model.save(...) and upload the new file.", "corrupt");
  try {
    return new h5wasm.File(file, "r");
  } catch {
    throw new ModelRefused("The HDF5 file could not be read (it may be truncated). Upload it again.", "corrupt");
  }
}

function dataset(g: H5Group | H5File, p: string): H5Dataset | null {
  const x = g.get(p);
  return x instanceof h5wasm.Dataset ? x : null;
}

function toTensor(d: H5Dataset): tf.Tensor {
  const v = d.value as unknown;
  if (!(v instanceof Float32Array || v instanceof Float64Array)) throw new ModelRefused(`A weight (${d.path}) is not a float array; the file is damaged or not a Keras model.`, "corrupt");
  return tf.tensor(Float32Array.from(v as Float32Array), d.shape as number[]);
}

function assign(model: tf.LayersModel, weightsFor: (layer: { name: string; className: string }, i: number) => tf.Tensor[] | null, configLayers: { name: string; className: string }[]) {
  const byName = new Map(model.layers.map((l) => [l.name, l]));
  for (const [i, cl] of configLayers.entries()) {
    const layer = byName.get(cl.name);
    if (!layer || layer.weights.length === 0) continue;
    const tensors = weightsFor(cl, i);
    if (!tensors) throw new ModelRefused(`The weights for layer "${cl.name}" are missing from the file: the weights do not match the model's config.`, "weights_mismatch");
    if (tensors.length !== layer.weights.length) {
      throw new ModelRefused(`Layer "${cl.name}" has ${tensors.length} weight arrays in the file but needs ${layer.weights.length}: the weights do not match the model's config.`, "weights_mismatch");
    }
    layer.weights.forEach((w, k) => {
      const got = tensors[k]!.shape;
      if (got.join("x") !== w.shape.join("x")) {
        throw new ModelRefused(`Layer "${cl.name}": weight ${k} has shape [${got.join(", ")}] in the file but the config needs [${w.shape.join(", ")}]: the weights do not match the model's config.`, "weights_mismatch");
      }
    });
    // Layer by layer: a model-level setWeights reorders trainable/non-trainable and breaks BatchNormalization.
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
}

async function buildModel(topology: Json): Promise<tf.LayersModel> {
  try {
    return await tf.models.modelFromJSON(topology as never);
  } catch (e) {
    throw new ModelRefused(`The model's config could not be rebuilt: ${(e as Error).message}. Check that it uses standard Keras layers.`, "bad_config");
  }
}

/** HDF5 files are read lazily, so a truncated file fails part-way: any such failure is a damaged upload. */
async function readingH5<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (e) {
    if (e instanceof ModelRefused) throw e;
    throw new ModelRefused(`The ${what} could not be read (${(e as Error).message}): the file is damaged or truncated. Save the model again and upload the new file.`, "corrupt");
  }
}

/** Keras 3 `.keras` after unzipping: config.json + model.weights.h5. */
export async function loadKeras3(configJson: string, weightsFile: string): Promise<tf.LayersModel> {
  let raw: unknown;
  try {
    raw = JSON.parse(configJson);
  } catch {
    throw new ModelRefused("config.json inside the .keras file is not valid JSON: the file is damaged. Save the model again.", "corrupt");
  }
  const { topology, layers } = convertKerasConfig(raw);
  const model = await buildModel(topology);
  const f = await openH5(weightsFile);
  return readingH5("weights file (model.weights.h5)", async () => {
    try {
      // Weights sit under class-based names in layer order: layers/conv2d, layers/conv2d_1, …
      const counters = new Map<string, number>();
      const paths = layers.map((l) => {
        const base = snakeCase(l.className);
        const n = counters.get(base) ?? 0;
        counters.set(base, n + 1);
        return `layers/${n ? `${base}_${n}` : base}/vars`;
      });
      assign(model, (_l, i) => {
        const vars = f.get(paths[i]!);
        if (!(vars instanceof h5wasm.Group)) return null;
        return vars.keys().sort((a, b) => Number(a) - Number(b)).map((k) => toTensor(dataset(vars, k)!));
      }, layers);
    } finally {
      f.close();
    }
    return model;
  });
}

/** A Keras `.h5` (Keras 2, or Keras 3's legacy format): model_config attribute, weights under model_weights/<layer>. */
export async function loadLegacyH5(file: string): Promise<tf.LayersModel> {
  const f = await openH5(file);
  return readingH5(".h5 file", async () => {
    try {
      const attr = f.attrs["model_config"];
      if (!attr) throw new ModelRefused("This .h5 file holds only weights, not a model (it was saved with save_weights). Save the whole model with model.save(\"model.keras\").", "weights_only");
      const { topology, layers } = convertKerasConfig(JSON.parse(String(attr.value)));
      const model = await buildModel(topology);
      const root = f.get("model_weights");
      if (!(root instanceof h5wasm.Group)) throw new ModelRefused("The .h5 file has no model_weights: it is not a complete Keras model file.", "weights_mismatch");
      assign(model, (l) => {
        const g = root.get(l.name);
        if (!(g instanceof h5wasm.Group)) return null;
        const names = g.attrs["weight_names"]?.value;
        const list = (Array.isArray(names) ? names : []) as string[];
        return list.map((n) => {
          const d = dataset(g, n);
          if (!d) throw new ModelRefused(`Weight "${n}" of layer "${l.name}" is missing: the file is damaged.`, "corrupt");
          return toTensor(d);
        });
      }, layers);
      return model;
    } finally {
      f.close();
    }
  });
}

/** h5wasm reads from the file system; a temporary copy for bytes that came from a zip. */
export function tempFile(bytes: Uint8Array, name: string): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "model-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
