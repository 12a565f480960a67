// The reference CNN: a small Keras-style network trained with TF.js on the generated
// training set and saved in TF.js Layers format (model.json + weights.bin), on the
// fastest engine present (WebAssembly here, with the one gradient kernel it lacks
// added by wasm-conv-grad.ts).
import * as tf from "@tensorflow/tfjs";
import fs from "node:fs";
import path from "node:path";
import { readHoldout } from "./holdout.js";
import { useFastestEngine } from "./engine.js";
import { loadBatch } from "./images.js";
import { registerWasmConvGrad } from "./wasm-conv-grad.js";

export interface TrainOptions {
  dataDir: string;
  outDir: string;
  epochs: number;
  /** At most this many training images per class (all when undefined). */
  perClass?: number;
  batchSize?: number;
  seed?: number;
  log?: (line: string) => void;
}

/** The reference architecture: the course's first Keras CNN, on 32×32 RGB, values 0–255. */
export function referenceModel(numClasses: number, seed = 1): tf.Sequential {
  const init = (s: number) => tf.initializers.glorotUniform({ seed: seed + s });
  return tf.sequential({
    name: "reference_cnn",
    layers: [
      tf.layers.rescaling({ inputShape: [32, 32, 3], scale: 1 / 255, name: "rescaling" }),
      tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu", kernelInitializer: init(1), name: "conv1" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool1" }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu", kernelInitializer: init(2), name: "conv2" }),
      tf.layers.maxPooling2d({ poolSize: 2, name: "pool2" }),
      tf.layers.conv2d({ filters: 64, kernelSize: 3, activation: "relu", kernelInitializer: init(3), name: "conv3" }),
      tf.layers.flatten({ name: "flatten" }),
      tf.layers.dropout({ rate: 0.3, seed: seed + 4, name: "dropout" }),
      tf.layers.dense({ units: 128, activation: "relu", kernelInitializer: init(5), name: "dense" }),
      tf.layers.dense({ units: numClasses, activation: "softmax", kernelInitializer: init(6), name: "probabilities" }),
    ],
  });
}

/** Saves a Layers model as model.json + weights.bin in `dir` (no tfjs-node needed). */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<void> {
  fs.mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weightData = Buffer.from(artifacts.weightData as ArrayBuffer);
    fs.writeFileSync(path.join(dir, "weights.bin"), weightData);
    const json = {
      modelTopology: artifacts.modelTopology, format: "layers-model", generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`, convertedBy: null,
      weightsManifest: [{ paths: ["weights.bin"], weights: artifacts.weightSpecs }],
    };
    fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(json));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON", weightDataBytes: weightData.length } };
  }));
}

async function trainingBackend(): Promise<string> {
  const backend = await useFastestEngine();
  if (backend === "wasm") registerWasmConvGrad();
  return backend;
}

export async function trainReference(opts: TrainOptions): Promise<{ accuracy: number; valAccuracy: number; images: number; backend: string; seconds: number }> {
  const log = opts.log ?? (() => {});
  const backend = await trainingBackend();
  const train = readHoldout(path.join(opts.dataDir, "train"));
  let idx = Array.from(train.labels.keys());
  if (opts.perClass) {
    const seen = new Map<number, number>();
    idx = idx.filter((i) => {
      const c = train.labels[i]!;
      seen.set(c, (seen.get(c) ?? 0) + 1);
      return seen.get(c)! <= opts.perClass!;
    });
  }
  log(`Loading ${idx.length} training images (32×32) on the ${backend} backend…`);
  const spec = { height: 32, width: 32, channels: 3 as const };
  const parts: tf.Tensor4D[] = [];
  for (let i = 0; i < idx.length; i += 256) parts.push(await loadBatch(train.dir, idx.slice(i, i + 256).map((k) => train.files[k]!), spec));
  const x = tf.concat(parts);
  tf.dispose(parts);
  const y = tf.tensor1d(idx.map((i) => train.labels[i]!), "float32");
  const model = referenceModel(train.numClasses, opts.seed);
  model.compile({ optimizer: tf.train.adam(0.002), loss: "sparseCategoricalCrossentropy", metrics: ["accuracy"] });
  const t0 = performance.now();
  const history = await model.fit(x, y, {
    epochs: opts.epochs, batchSize: opts.batchSize ?? 64, shuffle: true, validationSplit: 0.1,
    callbacks: { onEpochEnd: (epoch, logs) => log(`epoch ${epoch + 1}/${opts.epochs}: loss ${logs?.loss?.toFixed(3)} accuracy ${logs?.acc?.toFixed(3)} val_accuracy ${logs?.val_acc?.toFixed(3)}`) },
  });
  const seconds = (performance.now() - t0) / 1000;
  tf.dispose([x, y]);
  await saveLayersModel(model, opts.outDir);
  const last = (k: string) => Number((history.history[k] as number[] | undefined)?.at(-1) ?? 0);
  return { accuracy: last("acc"), valAccuracy: last("val_acc"), images: idx.length, backend, seconds };
}
