// A transfer-learning model as students build it, written as Keras 3 would save it (there is
// no Keras here): keras.applications.MobileNetV2(input_shape=(size, size, 3), alpha=1.0,
// include_top=False, weights=None) inside a Sequential with GlobalAveragePooling2D, Dropout
// and Dense(classes, softmax). config.json follows Keras 3's serialisation (layer names and
// configs as keras/src/applications/mobilenet_v2.py makes them, nodes as Functional.get_config
// writes them); model.weights.h5 holds random weights of the right shapes in Keras 3's layout
// (layers/<class-based name>/vars/<i>, the base's under layers/functional/…).
// It tests that the translator takes the whole architecture and measures its speed; whether
// its outputs are Keras's can only be checked against a file Keras wrote (a fixture).
import h5wasm from "h5wasm/node";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import yazl from "yazl";

type Json = Record<string, unknown>;
type Shape = (number | null)[];

const DTYPE = { module: "keras", class_name: "DTypePolicy", config: { name: "float32" }, registered_name: null };
const init = (class_name: string, config: Json = {}) => ({ module: "keras.initializers", class_name, config, registered_name: null });
const GLOROT = () => init("GlorotUniform", { seed: null, input_axes: null, output_axes: null });

/** keras/src/applications/mobilenet_v2.py's _make_divisible. */
function makeDivisible(v: number, divisor = 8): number {
  let n = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/** A small deterministic generator (mulberry32), so the model is the same every time. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Weighted { path: string; arrays: { data: Float32Array; shape: number[] }[] }

/** Builds the base's Functional config layer by layer, tracking shapes, Keras's auto names and weights. */
class FunctionalBuilder {
  readonly layers: Json[] = [];
  readonly weights: Weighted[] = [];
  private readonly counters = new Map<string, number>();
  private readonly rnd: () => number;

  constructor(seed: number) {
    this.rnd = random(seed);
  }

  private autoName(className: string): string {
    const base = className.replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
    const n = this.counters.get(base) ?? 0;
    this.counters.set(base, n + 1);
    return n ? `${base}_${n}` : base;
  }

  private tensor(shape: Shape, from: string): Json {
    return { class_name: "__keras_tensor__", config: { shape, dtype: "float32", keras_history: [from, 0, 0] } };
  }

  input(name: string, shape: Shape): { name: string; shape: Shape } {
    this.autoName("InputLayer");
    this.layers.push({
      module: "keras.layers", class_name: "InputLayer",
      config: { batch_shape: shape, dtype: "float32", sparse: false, ragged: false, name, optional: false },
      registered_name: null, name, inbound_nodes: [],
    });
    return { name, shape };
  }

  /** One layer called on `inputs`; `arrays` its weights (Keras's order). */
  add(className: string, name: string, config: Json, inputs: { name: string; shape: Shape }[], outShape: Shape, opts: { arrays?: Weighted["arrays"]; build?: boolean; kwargs?: Json } = {}) {
    const auto = this.autoName(className);
    const arg = inputs.length === 1 ? this.tensor(inputs[0]!.shape, inputs[0]!.name) : inputs.map((t) => this.tensor(t.shape, t.name));
    const layer: Json = { module: "keras.layers", class_name: className, config: { name, trainable: true, dtype: DTYPE, ...config }, registered_name: null };
    if (opts.build !== false) layer.build_config = { input_shape: inputs.length === 1 ? inputs[0]!.shape : inputs.map((t) => t.shape) };
    layer.name = name;
    layer.inbound_nodes = [{ args: [arg], kwargs: opts.kwargs ?? {} }];
    this.layers.push(layer);
    this.weights.push({ path: auto, arrays: opts.arrays ?? [] });
    return { name, shape: outShape };
  }

  uniform(shape: number[], limit: number): { data: Float32Array; shape: number[] } {
    const n = shape.reduce((a, b) => a * b, 1);
    return { data: Float32Array.from({ length: n }, () => (this.rnd() * 2 - 1) * limit), shape };
  }

  conv(name: string, x: { name: string; shape: Shape }, filters: number, kernel: number, stride: number) {
    const [, h, w, cin] = x.shape as [null, number, number, number];
    const out: Shape = [null, Math.ceil(h / stride), Math.ceil(w / stride), filters];
    const limit = Math.sqrt(6 / (kernel * kernel * (cin + filters)));
    return this.add("Conv2D", name, {
      filters, kernel_size: [kernel, kernel], strides: [stride, stride], padding: "same", data_format: "channels_last", dilation_rate: [1, 1], groups: 1,
      activation: "linear", use_bias: false, kernel_initializer: GLOROT(), bias_initializer: init("Zeros"),
      kernel_regularizer: null, bias_regularizer: null, activity_regularizer: null, kernel_constraint: null, bias_constraint: null,
    }, [x], out, { arrays: [this.uniform([kernel, kernel, cin, filters], limit)] });
  }

  depthwise(name: string, x: { name: string; shape: Shape }, stride: number) {
    const [, h, w, c] = x.shape as [null, number, number, number];
    const padding = stride === 1 ? "same" : "valid";
    const out: Shape = stride === 1 ? [null, h, w, c] : [null, Math.floor((h - 3) / 2) + 1, Math.floor((w - 3) / 2) + 1, c];
    return this.add("DepthwiseConv2D", name, {
      depth_multiplier: 1, kernel_size: [3, 3], strides: [stride, stride], padding, data_format: "channels_last", dilation_rate: [1, 1],
      activation: "linear", use_bias: false, depthwise_initializer: GLOROT(), bias_initializer: init("Zeros"),
      depthwise_regularizer: null, bias_regularizer: null, activity_regularizer: null, depthwise_constraint: null, bias_constraint: null,
    }, [x], out, { arrays: [this.uniform([3, 3, c, 1], Math.sqrt(6 / (9 + 9)))] });
  }

  bn(name: string, x: { name: string; shape: Shape }) {
    const c = x.shape[3] as number;
    const gamma = Float32Array.from({ length: c }, () => 0.8 + 0.4 * this.rnd());
    const beta = Float32Array.from({ length: c }, () => 0.1 * (this.rnd() - 0.5));
    const mean = Float32Array.from({ length: c }, () => 0.2 * (this.rnd() - 0.5));
    const variance = Float32Array.from({ length: c }, () => 0.5 + this.rnd());
    return this.add("BatchNormalization", name, {
      axis: -1, momentum: 0.999, epsilon: 0.001, center: true, scale: true,
      beta_initializer: init("Zeros"), gamma_initializer: init("Ones"), moving_mean_initializer: init("Zeros"), moving_variance_initializer: init("Ones"),
      beta_regularizer: null, gamma_regularizer: null, beta_constraint: null, gamma_constraint: null, synchronized: false,
    }, [x], x.shape, { arrays: [gamma, beta, mean, variance].map((data) => ({ data, shape: [c] })), kwargs: { mask: null } });
  }

  relu6(name: string, x: { name: string; shape: Shape }) {
    return this.add("ReLU", name, { max_value: 6.0, negative_slope: 0.0, threshold: 0.0 }, [x], x.shape, { build: false });
  }
}

/** The model: its config.json, its weights (path under layers/ → arrays) and Keras's parameter count. */
export function mobileNetV2Transfer({ size = 96, classes = 43, seed = 1 } = {}): { config: Json; weights: Weighted[]; params: number } {
  const b = new FunctionalBuilder(seed);
  const alpha = 1.0;
  const inp = b.input("input_layer", [null, size, size, 3]);
  let x = b.conv("Conv1", inp, makeDivisible(32 * alpha), 3, 2);
  x = b.bn("bn_Conv1", x);
  x = b.relu6("Conv1_relu", x);
  const blocks: [filters: number, stride: number, expansion: number][] = [
    [16, 1, 1], [24, 2, 6], [24, 1, 6], [32, 2, 6], [32, 1, 6], [32, 1, 6], [64, 2, 6], [64, 1, 6], [64, 1, 6], [64, 1, 6],
    [96, 1, 6], [96, 1, 6], [96, 1, 6], [160, 2, 6], [160, 1, 6], [160, 1, 6], [320, 1, 6],
  ];
  blocks.forEach(([filters, stride, expansion], id) => {
    const inputs = x;
    const inCh = inputs.shape[3] as number;
    const pointwise = makeDivisible(Math.trunc(filters * alpha));
    let prefix = `block_${id}_`;
    if (id) {
      x = b.conv(`${prefix}expand`, x, expansion * inCh, 1, 1);
      x = b.bn(`${prefix}expand_BN`, x);
      x = b.relu6(`${prefix}expand_relu`, x);
    } else prefix = "expanded_conv_";
    if (stride === 2) {
      // imagenet_utils.correct_pad for a 3×3 kernel: ((1 − adjust, 1), (1 − adjust, 1)), adjust = 1 − size % 2.
      const [, h, w, c] = x.shape as [null, number, number, number];
      const pad = [[h % 2, 1], [w % 2, 1]];
      x = b.add("ZeroPadding2D", `${prefix}pad`, { padding: pad, data_format: "channels_last" }, [x], [null, h + pad[0]![0]! + 1, w + pad[1]![0]! + 1, c]);
    }
    x = b.depthwise(`${prefix}depthwise`, x, stride);
    x = b.bn(`${prefix}depthwise_BN`, x);
    x = b.relu6(`${prefix}depthwise_relu`, x);
    x = b.conv(`${prefix}project`, x, pointwise, 1, 1);
    x = b.bn(`${prefix}project_BN`, x);
    if (inCh === pointwise && stride === 1) x = b.add("Add", `${prefix}add`, {}, [inputs, x], x.shape);
  });
  x = b.conv("Conv_1", x, 1280, 1, 1);
  x = b.bn("Conv_1_bn", x);
  x = b.relu6("out_relu", x);

  const base = {
    module: "keras.src.models.functional", class_name: "Functional",
    config: { name: `mobilenetv2_1.00_${size}`, trainable: true, layers: b.layers, input_layers: [inp.name, 0, 0], output_layers: [x.name, 0, 0] },
    registered_name: "Functional", build_config: { input_shape: null },
  };
  const rnd = random(seed + 1);
  const limit = Math.sqrt(6 / (1280 + classes));
  const dense = { data: Float32Array.from({ length: 1280 * classes }, () => (rnd() * 2 - 1) * limit), shape: [1280, classes] };
  const bias = { data: new Float32Array(classes), shape: [classes] };
  const top = (class_name: string, config: Json, inputShape: Shape) => ({ module: "keras.layers", class_name, config: { trainable: true, dtype: DTYPE, ...config }, registered_name: null, build_config: { input_shape: inputShape } });
  const config = {
    module: "keras", class_name: "Sequential",
    config: {
      name: "sequential", trainable: true, dtype: DTYPE,
      layers: [
        { module: "keras.layers", class_name: "InputLayer", config: { batch_shape: [null, size, size, 3], dtype: "float32", sparse: false, ragged: false, name: "input_layer_1", optional: false }, registered_name: null },
        base,
        top("GlobalAveragePooling2D", { name: "global_average_pooling2d", data_format: "channels_last", keepdims: false }, x.shape),
        top("Dropout", { name: "dropout", rate: 0.2, seed: null, noise_shape: null }, [null, 1280]),
        top("Dense", {
          name: "dense", units: classes, activation: "softmax", use_bias: true, kernel_initializer: GLOROT(), bias_initializer: init("Zeros"),
          kernel_regularizer: null, bias_regularizer: null, kernel_constraint: null, bias_constraint: null, quantization_config: null,
        }, [null, 1280]),
      ],
      build_input_shape: [null, size, size, 3],
    },
    registered_name: null, build_config: { input_shape: [null, size, size, 3] },
    compile_config: null,
  };
  const weights: Weighted[] = [
    ...b.weights.map((w) => ({ path: `functional/layers/${w.path}`, arrays: w.arrays })),
    { path: "functional", arrays: [] },
    { path: "global_average_pooling2d", arrays: [] },
    { path: "dropout", arrays: [] },
    { path: "dense", arrays: [dense, bias] },
  ];
  const params = weights.reduce((a, w) => a + w.arrays.reduce((s, arr) => s + arr.data.length, 0), 0);
  return { config, weights, params };
}

/** Writes the model as a Keras 3 `.keras` file (a zip of metadata.json, config.json, model.weights.h5). */
export async function writeMobileNetV2Transfer(file: string, opts: { size?: number; classes?: number; seed?: number } = {}): Promise<{ params: number }> {
  const { config, weights, params } = mobileNetV2Transfer(opts);
  await h5wasm.ready;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mobilenetv2-"));
  try {
    const h5 = path.join(dir, "model.weights.h5");
    const f = new h5wasm.File(h5, "w");
    try {
      const group = (p: string): InstanceType<typeof h5wasm.Group> => {
        const parts = p.split("/");
        let g: InstanceType<typeof h5wasm.Group> = f;
        for (const part of parts) {
          if (!g.keys().includes(part)) g.create_group(part);
          g = g.get(part) as InstanceType<typeof h5wasm.Group>;
        }
        return g;
      };
      for (const w of weights) {
        const vars = group(`layers/${w.path}/vars`);
        w.arrays.forEach((a, k) => vars.create_dataset({ name: String(k), data: a.data, shape: a.shape, dtype: "<f" }));
      }
    } finally {
      f.close();
    }
    const zip = new yazl.ZipFile();
    zip.addBuffer(Buffer.from(JSON.stringify({ keras_version: "3.15.1", date_saved: "2026-12-01@12:00:00" })), "metadata.json");
    zip.addBuffer(Buffer.from(JSON.stringify(config)), "config.json");
    zip.addBuffer(fs.readFileSync(h5), "model.weights.h5");
    zip.end();
    await new Promise<void>((resolve, reject) => zip.outputStream.pipe(fs.createWriteStream(file)).on("close", () => resolve()).on("error", reject));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { params };
}
