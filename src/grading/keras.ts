// Keras files (Keras 3 `.keras`, Keras 2/3 `.h5`) and TF.js Layers models → one ONNX graph
// (onnx/keras-onnx.ts), with the weights read by h5wasm or from the TF.js manifest. Nothing
// in a file is ever run as code: Lambda and custom layers are refused by name.
import h5wasm from "h5wasm/node";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ModelRefused } from "./errors.js";
import { HDF5_MAGIC } from "./sniff.js";
import { KerasToOnnx, type LayerConfig, type Translated, type WeightArray } from "./onnx/keras-onnx.js";
import { keras3Scope, legacyH5Scope, readH5, tfjsScope } from "./onnx/weights.js";

type H5File = InstanceType<typeof h5wasm.File>;


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
  if (!head.equals(HDF5_MAGIC)) throw new ModelRefused("The weights are not an HDF5 file: the upload is damaged or not a Keras file. Save again with model.save(...) and upload the new file.", "corrupt");
  try {
    return new h5wasm.File(file, "r");
  } catch {
    throw new ModelRefused("The HDF5 file could not be read (it may be truncated). Upload it again.", "corrupt");
  }
}

/** Opens an HDF5 file for `read` and always closes it. */
async function withH5<T>(file: string, read: (f: H5File) => T): Promise<T> {
  const f = await openH5(file);
  try {
    return read(f);
  } finally {
    f.close();
  }
}

function parseConfig(json: string, what: string): LayerConfig {
  try {
    return JSON.parse(json) as LayerConfig;
  } catch {
    throw new ModelRefused(`${what} is not valid JSON: the file is damaged. Save the model again.`, "corrupt");
  }
}

/** Keras 3 `.keras` after unzipping: config.json + model.weights.h5. */
export function translateKeras3(configJson: string, weightsFile: string, metadataJson?: string): Promise<Translated> {
  const config = parseConfig(configJson, "config.json inside the .keras file");
  let kerasVersion: string | null = null;
  try {
    const v = (JSON.parse(metadataJson ?? "{}") as { keras_version?: unknown }).keras_version;
    kerasVersion = typeof v === "string" ? v : null;
  } catch {
    // metadata.json is informative only; without it the file is taken as a released Keras 3's.
  }
  return withH5(weightsFile, (f) => KerasToOnnx.translate(config, keras3Scope(f), { kerasVersion }));
}

/** A Keras `.h5` (Keras 2, or Keras 3's legacy format): model_config attribute, weights under model_weights/<layer>. */
export function translateH5(file: string): Promise<Translated> {
  return withH5(file, (f) => {
    const attr = readH5("the .h5 file's model_config", () => f.attrs["model_config"]);
    if (!attr) throw new ModelRefused("This .h5 file holds only weights, not a model (it was saved with save_weights). Save the whole model with model.save(\"model.keras\").", "weights_only");
    const root = f.get("model_weights");
    if (!(root instanceof h5wasm.Group)) throw new ModelRefused("The .h5 file has no model_weights: it is not a complete Keras model file.", "weights_mismatch");
    // Keras 2 wrote these files (Keras 3 only in its legacy format, with keras_version 3.x).
    const kerasVersion = String(readH5("the .h5 file's keras_version", () => f.attrs["keras_version"]?.value) ?? "");
    const legacy = !kerasVersion.startsWith("3.");
    return KerasToOnnx.translate(parseConfig(String(attr.value), "The .h5 file's model_config"), legacyH5Scope(root), { legacy, kerasVersion });
  });
}

export interface TfjsWeightSpec { name: string; shape: number[]; dtype: string; quantization?: unknown }

/** A TF.js Layers model: its topology (Keras's schema) and the weights named in its manifest. */
export function translateTfjsLayers(topology: unknown, specs: TfjsWeightSpec[], data: Buffer): Translated {
  const weights = new Map<string, WeightArray>();
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new ModelRefused("The TF.js model's weights are quantized; save it without quantization (float32) to be graded.", "unsupported_layer");
    const n = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== "float32") throw new ModelRefused(`The TF.js weight "${spec.name}" is ${spec.dtype}; the grader reads float32 weights.`, "unsupported_layer");
    const bytes = data.subarray(offset, offset + 4 * n);
    offset += 4 * n;
    weights.set(spec.name, { data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), shape: spec.shape });
  }
  const topo = topology as { model_config?: unknown };
  return KerasToOnnx.translate((topo.model_config ?? topo) as LayerConfig, tfjsScope(weights), { legacy: true }); // TF.js follows Keras 2
}

/** h5wasm reads from the file system; a temporary copy for bytes that came from a zip. */
export function tempFile(bytes: Uint8Array, name: string): { file: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "model-"));
  const file = path.join(dir, name);
  fs.writeFileSync(file, bytes);
  return { file, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
