// Where a Keras file keeps each layer's weights, as WeightScopes for the translator:
// - Keras 3 `.keras` (model.weights.h5): `layers/<class-based name>/vars/0..n`, a nested
//   model's layers under its own `layers/<name>/layers/…`;
// - `.h5` (Keras 2, and Keras 3's legacy format): `model_weights/<layer name>/` with a
//   `weight_names` attribute; a nested model's weights under its group, named `<layer>/<w>`;
// - TF.js Layers: the weights manifest, named `<layer>/<w>` (a nested model's `<model>/<layer>/<w>`).
import h5wasm from "h5wasm/node";
import { ModelRefused } from "../errors.js";
import type { LayerRef, WeightArray, WeightScope } from "./keras-onnx.js";

type H5Group = InstanceType<typeof h5wasm.Group>;
type H5File = InstanceType<typeof h5wasm.File>;
type H5Dataset = InstanceType<typeof h5wasm.Dataset>;

function toArray(d: H5Dataset): WeightArray {
  const v = readH5(`The weight ${d.path}`, () => d.value as unknown);
  const shape = (d.shape ?? []) as number[];
  if (v instanceof Float32Array) return { data: v, shape };
  // float64, and integer counters (an adapted Normalization's sample count)
  if (v instanceof Float64Array || v instanceof Int32Array || v instanceof Uint32Array) return { data: Float32Array.from(v), shape };
  if (v instanceof BigInt64Array || v instanceof BigUint64Array) return { data: Float32Array.from(v, Number), shape };
  if (typeof v === "number" || typeof v === "bigint") return { data: Float32Array.of(Number(v)), shape };
  throw new ModelRefused(`A weight (${d.path}) is not a float32 or float64 array (mixed-precision float16 weights are not supported; save the model in float32).`, "corrupt");
}

/**
 * HDF5 files are read lazily, so a truncated or damaged file fails part-way: such a failure
 * is the upload's, said so; anything else (the translator's own errors) passes through.
 */
export function readH5<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof ModelRefused) throw e;
    throw new ModelRefused(`${what} could not be read (${(e as Error).message}): the file is damaged or truncated. Save the model again and upload the new file.`, "corrupt");
  }
}

function dataset(g: H5Group | H5File, p: string): H5Dataset | null {
  return readH5(`The weight ${p}`, () => {
    const x = g.get(p);
    return x instanceof h5wasm.Dataset ? x : null;
  });
}

function group(g: H5Group | H5File, p: string): H5Group | null {
  return readH5(`The weights of ${p}`, () => {
    const x = g.get(p);
    return x instanceof h5wasm.Group ? x : null;
  });
}

/** Keras 3's model.weights.h5. */
export function keras3Scope(file: H5File, prefix = ""): WeightScope {
  return {
    id: prefix || "/",
    weights(layer: LayerRef) {
      const vars = group(file, `${prefix}layers/${layer.autoName}/vars`);
      if (!vars) return null;
      return vars.keys().sort((a, b) => Number(a) - Number(b)).map((k) => toArray(dataset(vars, k)!));
    },
    enter: (layer: LayerRef) => keras3Scope(file, `${prefix}layers/${layer.autoName}/`),
  };
}

/** A legacy `.h5` file's model_weights group (or a nested model's group inside it). */
export function legacyH5Scope(parent: H5Group, id = "model_weights"): WeightScope {
  const names = (g: H5Group): string[] => {
    const v = readH5(`The weight names of ${g.path}`, () => g.attrs["weight_names"]?.value);
    return (Array.isArray(v) ? v : typeof v === "string" ? [v] : []).map(String);
  };
  const read = (g: H5Group, list: string[]) => list.map((n) => {
    const d = dataset(g, n);
    if (!d) throw new ModelRefused(`Weight "${n}" is missing: the file is damaged.`, "corrupt");
    return toArray(d);
  });
  return {
    id,
    weights(layer: LayerRef) {
      const own = group(parent, layer.name);
      if (own && readH5(`The weights of ${layer.name}`, () => own.attrs["weight_names"])) {
        const list = names(own);
        return list.length ? read(own, list) : null;
      }
      // Inside a nested model's group: its weight_names list every inner layer's weights as <layer>/<weight>.
      const inner = names(parent).filter((n) => n.startsWith(`${layer.name}/`));
      return inner.length ? read(parent, inner) : null;
    },
    enter(layer: LayerRef) {
      const g = group(parent, layer.name);
      if (!g) throw new ModelRefused(`The weights of the nested model "${layer.name}" are missing from the file.`, "weights_mismatch");
      return legacyH5Scope(g, `${id}/${layer.name}`);
    },
  };
}

/** TF.js Layers weights, already split by the manifest into named arrays (in manifest order). */
export function tfjsScope(weights: Map<string, WeightArray>, prefix = ""): WeightScope {
  return {
    id: prefix || "/",
    weights(layer: LayerRef) {
      const own = [...weights.entries()].filter(([n]) => n.startsWith(`${prefix}${layer.name}/`) && !n.slice(`${prefix}${layer.name}/`.length).includes("/"));
      return own.length ? own.map(([, w]) => w) : null;
    },
    enter: (layer: LayerRef) => tfjsScope(weights, `${prefix}${layer.name}/`),
  };
}
