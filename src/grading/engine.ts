// The fastest TF.js engine present: tfjs-node (TensorFlow C++, an optional
// dependency that cannot install everywhere), else WebAssembly with SIMD, else the
// pure-JavaScript CPU backend. GRADING_ENGINE=node|wasm|cpu forces one (benchmarks).
import * as tf from "@tensorflow/tfjs";

export const ENGINE_LABEL: Record<string, string> = {
  tensorflow: "TF.js on TensorFlow C++ (tfjs-node)",
  wasm: "TF.js WebAssembly (SIMD, 1 thread)",
  cpu: "TF.js pure JavaScript (cpu)",
};

let chosen: Promise<string> | null = null;

async function tryNode(): Promise<boolean> {
  try {
    // An optional dependency: absent where its install could not download TensorFlow.
    const name = "@tensorflow/tfjs-node";
    await import(/* webpackIgnore: true */ name);
    return tf.setBackend("tensorflow");
  } catch {
    return false;
  }
}

async function tryWasm(): Promise<boolean> {
  try {
    await import("@tensorflow/tfjs-backend-wasm");
    return await tf.setBackend("wasm");
  } catch {
    return false;
  }
}

async function choose(forced?: string): Promise<string> {
  const order = forced ? [forced] : ["node", "wasm", "cpu"];
  for (const e of order) {
    if (e === "node" && (await tryNode())) break;
    if (e === "wasm" && (await tryWasm())) break;
    if (e === "cpu" && (await tf.setBackend("cpu"))) break;
  }
  await tf.ready();
  if (forced && tf.getBackend() !== { node: "tensorflow", wasm: "wasm", cpu: "cpu" }[forced]) throw new Error(`The engine ${forced} is not available here.`);
  return tf.getBackend();
}

/** Selects the engine once per process; returns the backend name (tensorflow, wasm or cpu). */
export function useFastestEngine(forced = process.env.GRADING_ENGINE): Promise<string> {
  chosen ??= choose(forced || undefined);
  return chosen;
}
