// A Keras model (its config and weights) → one ONNX graph, so every accepted model runs on
// ONNX Runtime exactly as Keras runs it at inference. Strict: each layer's config fields
// are translated or the model is refused naming the layer, its class and the field; nothing
// is dropped silently. Nested Sequential/Functional models (a keras.applications base in
// a Sequential) are inlined, a model called twice shares its weights, Keras op layers
// (`x / 255.0`) become ONNX ops. Feature maps run channels-first inside the graph; values
// move between layouts only where a layer's meaning depends on the axis order.
// FLOPs count multiply-adds twice (as papers and the course do) for convolutions, dense
// layers and normalisations, and one per window read for pooling; element-wise layers
// (activations, rescaling, merges) count 0.
import { ModelRefused } from "../errors.js";
import { f, i, ints, OnnxGraph, s, type Attr } from "./graph.js";

type Json = Record<string, unknown>;
export interface LayerConfig { class_name: string; config: Json; name?: string; inbound_nodes?: unknown; module?: string; registered_name?: string | null; build_config?: Json }
export interface WeightArray { data: Float32Array; shape: number[] }
export interface LayerRef { name: string; className: string; autoName: string }

/** Where a layer's weights are found; a nested model's layers have a scope of their own. */
export interface WeightScope {
  id: string;
  /** The layer's weight arrays in Keras's order, or null when the file has none for it. */
  weights(layer: LayerRef): WeightArray[] | null;
  enter(layer: LayerRef): WeightScope;
}

export interface TranslatedLayer { name: string; className: string; outputShape: string; params: number; flops: number }
export interface Translated {
  onnx: Uint8Array;
  /** (None, height, width, channels) */
  inputShape: (number | null)[];
  outputClasses: number;
  params: number;
  flopsPerImage: number;
  layers: TranslatedLayer[];
}

/** A value in the graph: its Keras shape (channels last, no batch) and whether ONNX holds it channels-first. */
interface T { v: string; shape: number[]; nchw: boolean }
/** A constant tensor written into the config (`x + np.array(...)`, preprocess_input's mean): numpy shape, batch included. */
interface ConstArg { constant: Float32Array; dims: number[] }
/** Python's `...` in an index (`x[..., 0]`). */
const ELLIPSIS = "...";
type Arg = T | number | ConstArg | typeof ELLIPSIS | Arg[] | null;
const isT = (a: Arg | undefined): a is T => !!a && typeof a === "object" && !Array.isArray(a) && "v" in a;
const isConst = (a: Arg | undefined): a is ConstArg => !!a && typeof a === "object" && !Array.isArray(a) && "constant" in a;

const MODELS = new Set(["Sequential", "Functional", "Model"]);
/** The identity at inference (augmentation, dropout, noise, regularisers): their settings do not matter. */
const IDENTITY = new Set([
  "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianDropout", "GaussianNoise", "AlphaDropout", "ActivityRegularization", "Identity",
  "RandomFlip", "RandomRotation", "RandomZoom", "RandomTranslation", "RandomContrast", "RandomBrightness", "RandomHeight", "RandomWidth",
  "RandomGrayscale", "RandomHue", "RandomSaturation", "RandomColorJitter", "RandomSharpness", "RandomShear", "RandomPosterization", "RandomInvert",
  "RandomErasing", "RandomGaussianBlur", "RandomPerspective", "RandomElasticTransform", "RandomColorDegeneration", "RandomApply",
]);

export function snakeCase(name: string): string {
  return name.replace(/\W+/g, "").replace(/(.)([A-Z][a-z]+)/g, "$1_$2").replace(/([a-z])([A-Z])/g, "$1_$2").toLowerCase();
}

const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);
const shown = (shape: (number | null)[]) => `(${["None", ...shape.map((d) => (d === null ? "None" : String(d)))].join(", ")})`;
/** Keras's own classes: module `keras` or `keras.…` (none in TF.js topologies), not a registered custom object ("package>Name"). */
const fromKeras = (l: LayerConfig) => (l.module == null || l.module === "keras" || String(l.module).startsWith("keras.")) && !String(l.registered_name ?? "").includes(">");
const isOpLayer = (l: LayerConfig) => String(l.module ?? "").startsWith("keras.src.ops");
/** A layer the translator cannot take as configured; `layer()` adds the layer's name and class. */
class Refusal extends Error {}

const pair = (v: unknown, what: string): [number, number] => {
  if (typeof v === "number") return [v, v];
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "number")) return [v[0] as number, v[1] as number];
  throw new Refusal(what);
};

/** Keras weights → another axis order (kernels to ONNX's layouts). */
function permute(w: WeightArray, perm: number[]): WeightArray {
  const shape = perm.map((p) => w.shape[p]!);
  const inStrides = w.shape.map((_, k) => prod(w.shape.slice(k + 1)));
  const out = new Float32Array(w.data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k]! * inStrides[perm[k]!]!;
    out[o] = w.data[src]!;
    for (let k = shape.length - 1; k >= 0; k--) {
      if (++idx[k]! < shape[k]!) break;
      idx[k] = 0;
    }
  }
  return { data: out, shape };
}

/** TF's "same"/"valid" padding for one spatial axis: output size and (begin, end) pads. */
function spatial(size: number, k: number, stride: number, dilation: number, padding: string): { out: number; pads: [number, number] } {
  const eff = (k - 1) * dilation + 1;
  if (padding === "valid") return { out: Math.floor((size - eff) / stride) + 1, pads: [0, 0] };
  const out = Math.ceil(size / stride);
  const total = Math.max((out - 1) * stride + eff - size, 0);
  return { out, pads: [Math.floor(total / 2), total - Math.floor(total / 2)] };
}

/** Weights that are not what the layer's config describes: Keras itself would not load the file. */
class WeightsMismatch extends Refusal {}

export class KerasToOnnx {
  private readonly g = new OnnxGraph();
  private readonly layout = new Map<string, string>();
  private readonly consts = new Map<string, string>();
  private readonly summaries = new Map<string, TranslatedLayer>();
  private readonly weightValues = new Map<string, string>();

  /** Translates a Keras model config (Keras 3 `.keras`, `.h5` model_config, TF.js Layers topology). */
  /**
   * `legacy`: a Keras 2 or TF.js model, whose built-in hard_sigmoid is max(0, min(1, 0.2·x + 0.5));
   * Keras 3's is relu6(x + 3) / 6.
   */
  static translate(model: LayerConfig, weights: WeightScope, opts: { legacy?: boolean; kerasVersion?: string | null } = {}): Translated {
    const legacy = opts.legacy ?? false;
    return new KerasToOnnx(legacy, legacy || kerasReplaysTraining(opts.kerasVersion ?? null)).run(model, weights);
  }

  /**
   * `replaysTraining`: whether the Keras that wrote the file, predicting, runs a layer called with
   * `training=True` in training mode. Keras 2 (and TF.js, which follows it) does: an explicit flag
   * wins. Keras 3 up to 3.15 does not: `predict` passes training=False to every layer of a
   * functional model, over the flag (keras/src/models/functional.py, `operation_fn`); from 3.16
   * the flag wins again (keras-team/keras#23364).
   */
  private constructor(private readonly legacy: boolean, private readonly replaysTraining: boolean) {}

  private run(model: LayerConfig, weights: WeightScope): Translated {
    if (!model || typeof model !== "object" || !MODELS.has(model.class_name)) {
      throw new ModelRefused(`The file's model is a "${String(model?.class_name)}", not a Keras Sequential or Functional model. Save your model with model.save("model.keras").`, "bad_config");
    }
    this.refuseUnsafe(model);
    const inputShape = this.modelInputShape(model);
    const input: T = { v: "input", shape: inputShape, nchw: false };
    this.g.name("input");
    const [out, ...more] = this.container(model, [input], weights, "");
    if (!out || more.length) throw new ModelRefused(`The model has ${more.length + 1} outputs; the grader needs exactly one (the class scores).`, "bad_config");
    if (out.shape.length !== 1) throw new ModelRefused(`The model's output shape is ${shown(out.shape)}; it must be (None, classes), e.g. a final Dense(43).`, "wrong_output_size");
    const output = this.g.op("Identity", [this.plain(out).v], {}, "probabilities");
    const layers = [...this.summaries.values()];
    return {
      onnx: this.g.encode({ input: "input", inputDims: inputShape, output, outputDims: out.shape }),
      inputShape: [null, ...inputShape], outputClasses: out.shape[0]!,
      params: layers.reduce((a, l) => a + l.params, 0), flopsPerImage: layers.reduce((a, l) => a + l.flops, 0), layers,
    };
  }

  /** Lambda and custom layers carry Python code: refused before anything else, naming each. */
  private refuseUnsafe(model: LayerConfig) {
    const lambdas: string[] = [];
    const custom: string[] = [];
    const walk = (m: LayerConfig) => {
      for (const l of (m.config.layers ?? []) as LayerConfig[]) {
        const name = String(l.config?.name ?? l.name ?? "?");
        if (l.class_name === "Lambda") lambdas.push(name);
        else if (!fromKeras(l)) custom.push(`${name} (${l.registered_name ?? `${String(l.module)}.${l.class_name}`})`);
        if (MODELS.has(l.class_name)) walk(l);
      }
    };
    walk(model);
    if (lambdas.length) throw new ModelRefused(`The model has a Lambda layer (${lambdas.join(", ")}). Lambda layers carry Python code, which the grader never runs. Replace it with built-in Keras layers (for example Rescaling instead of a Lambda that divides by 255) and save again.`, "lambda_layer");
    if (custom.length) throw new ModelRefused(`The model uses custom layers (${custom.join(", ")}). Only built-in Keras layers can be graded; rebuild the model from built-in layers.`, "custom_layer");
  }

  private modelInputShape(model: LayerConfig): number[] {
    const layers = (model.config.layers ?? []) as LayerConfig[];
    let shape: unknown;
    if (model.class_name === "Sequential") {
      const first = layers[0];
      shape = first?.config.batch_shape ?? first?.config.batch_input_shape ?? model.build_config?.input_shape ?? (first?.build_config as Json | undefined)?.input_shape;
    } else {
      const inputs = refs(model.config.input_layers);
      if (inputs.length !== 1) throw new ModelRefused(`The model has ${inputs.length} inputs; the grader gives it exactly one (the images).`, "bad_input_shape");
      const layer = layers.find((l) => layerName(l) === inputs[0]![0]);
      shape = layer?.config.batch_shape ?? layer?.config.batch_input_shape;
    }
    const dims = Array.isArray(shape) ? (shape as (number | null)[]).slice(1) : [];
    if (dims.length !== 3 || dims.some((d) => typeof d !== "number" || d <= 0)) {
      throw new ModelRefused(`The model's input shape ${Array.isArray(shape) ? shown((shape as (number | null)[]).slice(1)) : "is not set"}: the grader needs (None, height, width, channels) with a fixed size, e.g. keras.Input(shape=(32, 32, 3)).`, "bad_input_shape");
    }
    return dims as number[];
  }

  // #region containers

  private container(model: LayerConfig, inputs: T[], scope: WeightScope, path: string): T[] {
    const layers = ((model.config.layers ?? []) as LayerConfig[]);
    const autoNames = new Map<LayerConfig, string>();
    const counters = new Map<string, number>();
    for (const l of layers) {
      if (isOpLayer(l)) continue; // ops are not layers: they take no part in weight names
      const base = snakeCase(l.class_name);
      const n = counters.get(base) ?? 0;
      counters.set(base, n + 1);
      autoNames.set(l, n ? `${base}_${n}` : base);
    }
    const ref = (l: LayerConfig): LayerRef => ({ name: layerName(l), className: l.class_name, autoName: autoNames.get(l) ?? snakeCase(l.class_name) });

    if (model.class_name === "Sequential") {
      let x = inputs;
      for (const l of layers) {
        if (l.class_name === "InputLayer") continue;
        x = this.layer(l, ref(l), x, [], scope, path);
      }
      return x;
    }

    // Functional: run each layer's calls once their inputs exist.
    const values = new Map<string, T[]>();
    refs(model.config.input_layers).forEach(([name], k) => values.set(`${name}@0`, [inputs[k]!]));
    const pending: { l: LayerConfig; node: number; args: unknown[]; kwargs: Json }[] = [];
    for (const l of layers) {
      if (l.class_name === "InputLayer") continue;
      const nodes = Array.isArray(l.inbound_nodes) ? l.inbound_nodes : [];
      nodes.forEach((n, node) => pending.push({ l, node, ...nodeArgs(n) }));
    }
    while (pending.length) {
      const k = pending.findIndex((p) => ready(p.args, values));
      if (k < 0) throw new ModelRefused(`The model's graph could not be followed: layer "${layerName(pending[0]!.l)}" waits for an input that no layer makes.`, "bad_config");
      const { l, node, args, kwargs } = pending.splice(k, 1)[0]!;
      // `base(x, training=True)`: where Keras replays the flag when predicting (batch statistics, dropout on).
      if (this.replaysTraining && kwargs.training === true && (MODELS.has(l.class_name) || IDENTITY.has(l.class_name) || l.class_name === "BatchNormalization")) {
        throw new ModelRefused(`Layer "${layerName(l)}" (${l.class_name}) is called with training=True, so Keras runs it in training mode even when predicting (BatchNormalization on batch statistics, dropout and augmentation active), which the grader does not reproduce. Call it with training=False, e.g. x = base(x, training=False), and save again.`, "unsupported_layer");
      }
      const resolved = resolve(args, values);
      const tensors = isOpLayer(l) ? [] : flatTensors(resolved[0] ?? null);
      values.set(`${layerName(l)}@${node}`, this.layer(l, ref(l), tensors, resolved, scope, path));
    }
    return refs(model.config.output_layers).map(([name, node, tensor]) => {
      const v = values.get(`${name}@${node}`)?.[tensor];
      if (!v) throw new ModelRefused(`The model's output "${name}" is not made by any layer.`, "bad_config");
      return v;
    });
  }

  private layer(l: LayerConfig, ref: LayerRef, inputs: T[], args: Arg[], scope: WeightScope, path: string): T[] {
    const full = `${path}${ref.name}`;
    if (MODELS.has(l.class_name)) return this.container(l, inputs, scope.enter(ref), `${full}/`);
    if (isOpLayer(l)) return [this.opLayer(l, ref, args, full)];
    if (IDENTITY.has(l.class_name)) {
      if (inputs[0]) this.summarise(full, l.class_name, inputs[0], 0);
      return inputs;
    }
    const x = inputs[0];
    if (!x) throw new ModelRefused(`Layer "${ref.name}" (${l.class_name}) has no input.`, "bad_config");
    try {
      const out = this.translateLayer(l, ref, inputs, scope, full);
      return [out];
    } catch (e) {
      if (e instanceof Refusal) throw new ModelRefused(`Layer "${ref.name}" (${l.class_name}): ${e.message}`, e instanceof WeightsMismatch ? "weights_mismatch" : "unsupported_layer");
      throw e;
    }
  }

  // #region layers

  private translateLayer(l: LayerConfig, ref: LayerRef, inputs: T[], scope: WeightScope, full: string): T {
    const c = l.config;
    const x = inputs[0]!;
    const w = () => scope.weights(ref);
    const known = (...fields: string[]) => checkFields(c, fields);
    const summary = (out: T, flops: number, params?: WeightArray[]) => this.summarise(full, l.class_name, out, flops, params);
    switch (l.class_name) {
      case "Conv2D": {
        known("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "groups", "activation", "use_bias", "lora_rank", "lora_alpha");
        channelsLast(c);
        const [kernel, bias] = expectWeights(w(), c.use_bias !== false ? 2 : 1, "a kernel and a bias", [[...kernelSize(c), null, filters(c)], [filters(c)]]);
        const groups = Number(c.groups ?? 1);
        const { out, y } = this.conv(x, kernel!, bias, c, groups, full);
        return summary(this.activation(y, c.activation, full), 2 * kernel!.shape[0]! * kernel!.shape[1]! * kernel!.shape[2]! * kernel!.shape[3]! * out[0]! * out[1]!, [kernel!, ...(bias ? [bias] : [])]);
      }
      case "DepthwiseConv2D": {
        known("kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias");
        channelsLast(c);
        const [dk, bias] = expectWeights(w(), c.use_bias !== false ? 2 : 1, "a depthwise kernel and a bias", [[...kernelSize(c), null, Number(c.depth_multiplier ?? 1)]]);
        const [kh, kw, cin, mult] = dk!.shape as [number, number, number, number];
        // [kh, kw, cin, mult] is, row-major, a grouped kernel [kh, kw, 1, cin·mult]: output channel c·mult + m.
        const { out, y } = this.conv(x, { data: dk!.data, shape: [kh, kw, 1, cin * mult] }, bias, c, cin, full, true);
        return summary(this.activation(y, c.activation, full), 2 * kh * kw * cin * mult * out[0]! * out[1]!, [dk!, ...(bias ? [bias] : [])]);
      }
      case "SeparableConv2D": {
        known("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier", "activation", "use_bias");
        channelsLast(c);
        const [dk, pk, bias] = expectWeights(w(), c.use_bias !== false ? 3 : 2, "depthwise and pointwise kernels and a bias", [[...kernelSize(c), null, Number(c.depth_multiplier ?? 1)], [1, 1, null, filters(c)], [filters(c)]]);
        const [kh, kw, cin, mult] = dk!.shape as [number, number, number, number];
        const dw = this.conv(x, { data: dk!.data, shape: [kh, kw, 1, cin * mult] }, undefined, c, cin, `${full}/depthwise`, true);
        const pw = this.conv(dw.y, pk!, bias, { strides: [1, 1], padding: "valid", dilation_rate: [1, 1] }, 1, `${full}/pointwise`);
        const cout = pk!.shape[3]!;
        return summary(this.activation(pw.y, c.activation, full), 2 * kh * kw * cin * mult * dw.out[0]! * dw.out[1]! + 2 * cin * mult * cout * pw.out[0]! * pw.out[1]!, [dk!, pk!, ...(bias ? [bias] : [])]);
      }
      case "Conv2DTranspose": {
        known("filters", "kernel_size", "strides", "padding", "output_padding", "data_format", "dilation_rate", "activation", "use_bias");
        channelsLast(c);
        if (c.output_padding != null) throw new Refusal("output_padding is not supported; leave it unset.");
        const [kernel, bias] = expectWeights(w(), c.use_bias !== false ? 2 : 1, "a kernel and a bias", [[...kernelSize(c), filters(c), null], [filters(c)]]);
        const [kh, kw, cout, cin] = kernel!.shape as [number, number, number, number];
        const [sh, sw] = pair(c.strides ?? 1, "strides must be one or two numbers");
        const [dh, dw] = pair(c.dilation_rate ?? 1, "dilation_rate must be one or two numbers");
        if (dh !== 1 || dw !== 1) throw new Refusal("dilation_rate other than 1 is not supported for Conv2DTranspose.");
        const padding = String(c.padding ?? "valid");
        if (padding !== "valid" && padding !== "same") throw new Refusal(`padding "${padding}" is not supported (valid or same).`);
        const [h, wd] = x.shape as [number, number, number];
        // TF: valid → (in−1)·s + k; same → in·s, cropping the total (k − s) with the larger half at the end.
        const outH = padding === "same" ? h * sh : (h - 1) * sh + kh;
        const outW = padding === "same" ? wd * sw : (wd - 1) * sw + kw;
        const totH = (h - 1) * sh + kh - outH;
        const totW = (wd - 1) * sw + kw - outW;
        const pads = [Math.floor(totH / 2), Math.floor(totW / 2), totH - Math.floor(totH / 2), totW - Math.floor(totW / 2)];
        const W = permute(kernel!, [3, 2, 0, 1]);
        const inputs2 = [this.nchw(x).v, this.weight(`${full}/kernel`, W.data, W.shape)];
        if (bias) inputs2.push(this.weight(`${full}/bias`, bias.data, bias.shape));
        const y = this.g.op("ConvTranspose", inputs2, { kernel_shape: ints([kh, kw]), strides: ints([sh, sw]), pads: ints(pads) }, full);
        const out: T = { v: y, shape: [outH, outW, cout], nchw: true };
        return summary(this.activation(out, c.activation, full), 2 * kh * kw * cin * cout * h * wd, [kernel!, ...(bias ? [bias] : [])]);
      }
      case "Dense": {
        known("units", "activation", "use_bias", "lora_rank", "lora_alpha", "quantization_config");
        if (c.quantization_config != null) throw new Refusal("quantized Dense layers are not supported.");
        const [kernel, bias] = expectWeights(w(), c.use_bias !== false ? 2 : 1, "a kernel and a bias", [[null, c.units == null ? null : Number(c.units)], [c.units == null ? null : Number(c.units)]]);
        const p = this.plain(x);
        const [nin, nout] = kernel!.shape as [number, number];
        if (p.shape.at(-1) !== nin) throw new ModelRefused(`Layer "${ref.name}" (Dense): its kernel takes ${nin} inputs but gets ${p.shape.at(-1)}: the weights do not match the model's config.`, "weights_mismatch");
        let y = this.g.op("MatMul", [p.v, this.weight(`${full}/kernel`, kernel!.data, kernel!.shape)], {}, full);
        if (bias) y = this.g.op("Add", [y, this.weight(`${full}/bias`, bias.data, bias.shape)], {}, full);
        const out: T = { v: y, shape: [...p.shape.slice(0, -1), nout], nchw: false };
        return summary(this.activation(out, c.activation, full), 2 * nin * nout * prod(p.shape.slice(0, -1)), [kernel!, ...(bias ? [bias] : [])]);
      }
      case "BatchNormalization": {
        known("axis", "momentum", "epsilon", "center", "scale", "synchronized", "renorm", "renorm_clipping", "renorm_momentum", "fused", "virtual_batch_size", "adjustment");
        if (c.renorm === true) throw new Refusal("renorm=True is not supported.");
        if (c.virtual_batch_size != null) throw new Refusal("virtual_batch_size is not supported.");
        if (c.adjustment != null) throw new Refusal("adjustment is not supported.");
        lastAxis(c.axis, x.shape.length, "axis");
        const ws = w() ?? [];
        const n = (c.scale !== false ? 1 : 0) + (c.center !== false ? 1 : 0) + 2;
        const arrays = expectWeights(ws, n, "gamma, beta, moving mean and moving variance");
        const rest = [...arrays];
        const gamma = c.scale !== false ? rest.shift()! : null;
        const beta = c.center !== false ? rest.shift()! : null;
        const [mean, variance] = rest as [WeightArray, WeightArray];
        const eps = Number(c.epsilon ?? 1e-3);
        const ch = mean.data.length;
        const a = new Float32Array(ch);
        const b = new Float32Array(ch);
        for (let j = 0; j < ch; j++) {
          const sc = (gamma ? gamma.data[j]! : 1) / Math.sqrt(variance.data[j]! + eps);
          a[j] = sc;
          b[j] = (beta ? beta.data[j]! : 0) - mean.data[j]! * sc;
        }
        const out = this.affine(x, a, b, full);
        return summary(out, 2 * prod(x.shape), arrays);
      }
      case "LayerNormalization": {
        known("axis", "epsilon", "center", "scale", "rms_scaling");
        if (c.rms_scaling === true) throw new Refusal("rms_scaling=True is not supported.");
        lastAxis(c.axis, x.shape.length, "axis");
        const arrays = expectWeights(w() ?? [], (c.scale !== false ? 1 : 0) + (c.center !== false ? 1 : 0), "gamma and beta");
        const ch = x.shape.at(-1)!;
        const rest = [...arrays];
        const gamma = c.scale !== false ? rest.shift()!.data : new Float32Array(ch).fill(1);
        const beta = c.center !== false ? rest.shift()!.data : new Float32Array(ch);
        const p = this.plain(x);
        const y = this.g.op("LayerNormalization", [p.v, this.weight(`${full}/gamma`, gamma, [ch]), this.weight(`${full}/beta`, beta, [ch])], { axis: i(-1), epsilon: f(Number(c.epsilon ?? 1e-3)) }, full);
        return summary({ v: y, shape: p.shape, nchw: false }, 8 * prod(x.shape), arrays);
      }
      case "Normalization": {
        known("axis", "invert", "mean", "variance");
        const axes = Array.isArray(c.axis) ? (c.axis as number[]) : c.axis == null ? [] : [c.axis as number];
        if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== x.shape.length)) throw new Refusal(`axis ${JSON.stringify(c.axis)} is not supported (only the last axis, -1).`);
        let mean: number[];
        let variance: number[];
        const arrays = w();
        if (c.mean != null && c.variance != null) {
          mean = ([] as number[]).concat(c.mean as number[]);
          variance = ([] as number[]).concat(c.variance as number[]);
        } else {
          const [m, v] = expectWeights(arrays ?? [], 3, "the adapted mean, variance and count");
          mean = [...m!.data];
          variance = [...v!.data];
        }
        const ch = x.shape.at(-1)!;
        const pick = (vals: number[], j: number) => (vals.length === 1 ? vals[0]! : vals[j]!);
        const a = new Float32Array(ch);
        const b = new Float32Array(ch);
        for (let j = 0; j < ch; j++) {
          // Keras: (x − mean) / max(√variance, ε), ε = 1e-7; inverted: x · max(√variance, ε) + mean.
          const sd = Math.max(Math.sqrt(pick(variance, j)), 1e-7);
          if (c.invert === true) {
            a[j] = sd;
            b[j] = pick(mean, j);
          } else {
            a[j] = 1 / sd;
            b[j] = -pick(mean, j) / sd;
          }
        }
        return summary(this.affine(x, a, b, full), 2 * prod(x.shape), arrays ?? []);
      }
      case "Rescaling": {
        known("scale", "offset");
        const scale = ([] as number[]).concat(c.scale as number[] ?? 1);
        const offset = ([] as number[]).concat(c.offset as number[] ?? 0);
        const ch = x.shape.at(-1)!;
        const full1 = (vals: number[]) => Float32Array.from({ length: ch }, (_, j) => (vals.length === 1 ? vals[0]! : vals[j]!));
        if (scale.length > 1 && scale.length !== ch) throw new Refusal(`scale has ${scale.length} values for ${ch} channels.`);
        if (offset.length > 1 && offset.length !== ch) throw new Refusal(`offset has ${offset.length} values for ${ch} channels.`);
        return summary(this.affine(x, full1(scale), full1(offset), full), 0);
      }
      case "Activation":
        known("activation");
        return summary(this.activation(x, c.activation, full), 0);
      case "ReLU": {
        known("max_value", "negative_slope", "threshold");
        const max = c.max_value == null ? null : Number(c.max_value);
        const slope = Number(c.negative_slope ?? 0);
        const threshold = Number(c.threshold ?? 0);
        return summary(this.relu(x, max, slope, threshold, full), 0);
      }
      case "LeakyReLU":
        known("negative_slope", "alpha");
        return summary(this.unary(x, "LeakyRelu", { alpha: f(Number(c.negative_slope ?? c.alpha ?? 0.3)) }, full), 0);
      case "ELU":
        known("alpha");
        return summary(this.unary(x, "Elu", { alpha: f(Number(c.alpha ?? 1)) }, full), 0);
      case "PReLU": {
        known("shared_axes");
        const [alpha] = expectWeights(w(), 1, "alpha");
        const p = this.plain(x);
        const y = this.g.op("PRelu", [p.v, this.weight(`${full}/alpha`, alpha!.data, alpha!.shape)], {}, full);
        return summary({ v: y, shape: p.shape, nchw: false }, 0, [alpha!]);
      }
      case "Softmax": {
        known("axis");
        const axis = Array.isArray(c.axis) ? (c.axis as number[]) : [Number(c.axis ?? -1)];
        if (axis.length !== 1) throw new Refusal(`softmax over several axes (${JSON.stringify(c.axis)}) is not supported.`);
        const p = this.plain(x);
        return summary({ v: this.g.op("Softmax", [p.v], { axis: i(axis[0]!) }, full), shape: p.shape, nchw: false }, 0);
      }
      case "MaxPooling2D":
      case "AveragePooling2D": {
        known("pool_size", "strides", "padding", "data_format");
        channelsLast(c);
        const [ph, pw] = pair(c.pool_size ?? 2, "pool_size must be one or two numbers");
        const [sh, sw] = pair(c.strides ?? [ph, pw], "strides must be one or two numbers");
        const padding = String(c.padding ?? "valid");
        if (padding !== "valid" && padding !== "same") throw new Refusal(`padding "${padding}" is not supported (valid or same).`);
        const [h, wd, ch] = x.shape as [number, number, number];
        const a = spatial(h, ph, sh, 1, padding);
        const b = spatial(wd, pw, sw, 1, padding);
        const attrs: Record<string, Attr> = { kernel_shape: ints([ph, pw]), strides: ints([sh, sw]), pads: ints([a.pads[0], b.pads[0], a.pads[1], b.pads[1]]) };
        const y = this.g.op(l.class_name === "MaxPooling2D" ? "MaxPool" : "AveragePool", [this.nchw(x).v], attrs, full);
        return summary({ v: y, shape: [a.out, b.out, ch], nchw: true }, ph * pw * a.out * b.out * ch);
      }
      case "GlobalAveragePooling2D":
      case "GlobalMaxPooling2D": {
        known("data_format", "keepdims");
        channelsLast(c);
        const ch = x.shape[2]!;
        const y = this.g.op(l.class_name === "GlobalMaxPooling2D" ? "ReduceMax" : "ReduceMean", [this.nchw(x).v], { axes: ints([2, 3]), keepdims: i(1) }, full);
        const out: T = c.keepdims === true ? { v: y, shape: [1, 1, ch], nchw: true } : { v: this.g.op("Flatten", [y], { axis: i(1) }, full), shape: [ch], nchw: false };
        return summary(out, prod(x.shape));
      }
      case "GlobalAveragePooling1D":
      case "GlobalMaxPooling1D": {
        known("data_format", "keepdims");
        channelsLast(c);
        const p = this.plain(x);
        if (p.shape.length !== 2) throw new Refusal(`it needs (steps, channels) inputs, not ${shown(p.shape)}.`);
        const keep = c.keepdims === true;
        const y = this.g.op(l.class_name === "GlobalMaxPooling1D" ? "ReduceMax" : "ReduceMean", [p.v], { axes: ints([1]), keepdims: i(keep ? 1 : 0) }, full);
        return summary({ v: y, shape: keep ? [1, p.shape[1]!] : [p.shape[1]!], nchw: false }, prod(x.shape));
      }
      case "Flatten": {
        known("data_format");
        channelsLast(c);
        const p = this.plain(x);
        return summary({ v: this.g.op("Flatten", [p.v], { axis: i(1) }, full), shape: [prod(p.shape)], nchw: false }, 0);
      }
      case "Reshape": {
        known("target_shape");
        const target = (c.target_shape as number[]).map(Number);
        const known1 = prod(target.filter((d) => d !== -1));
        const resolved = target.map((d) => (d === -1 ? prod(x.shape) / known1 : d));
        if (prod(resolved) !== prod(x.shape) || !resolved.every(Number.isInteger)) throw new Refusal(`target_shape ${JSON.stringify(target)} does not fit an input of ${shown(x.shape)}.`);
        const p = this.plain(x);
        const y = this.g.op("Reshape", [p.v, this.int64(`${full}/shape`, [0, ...resolved])], {}, full);
        return summary({ v: y, shape: resolved, nchw: false }, 0);
      }
      case "Permute": {
        known("dims");
        const dims = (c.dims as number[]).map(Number);
        const p = this.plain(x);
        const y = this.g.op("Transpose", [p.v], { perm: ints([0, ...dims]) }, full);
        return summary({ v: y, shape: dims.map((d) => p.shape[d - 1]!), nchw: false }, 0);
      }
      case "ZeroPadding2D":
      case "Cropping2D": {
        const field = l.class_name === "ZeroPadding2D" ? "padding" : "cropping";
        known(field, "data_format");
        channelsLast(c);
        const v = c[field] ?? (field === "padding" ? 1 : 0);
        let tb: [number, number];
        let lr: [number, number];
        if (typeof v === "number") tb = lr = [v, v];
        else if (Array.isArray(v) && v.every((e) => typeof e === "number")) {
          tb = [v[0] as number, v[0] as number];
          lr = [v[1] as number, v[1] as number];
        } else {
          tb = pair((v as unknown[])[0], `${field} must be numbers`);
          lr = pair((v as unknown[])[1], `${field} must be numbers`);
        }
        const [h, wd, ch] = x.shape as [number, number, number];
        if (field === "padding") {
          const y = this.g.op("Pad", [this.nchw(x).v, this.int64(`${full}/pads`, [0, 0, tb[0], lr[0], 0, 0, tb[1], lr[1]])], { mode: s("constant") }, full);
          return summary({ v: y, shape: [h + tb[0] + tb[1], wd + lr[0] + lr[1], ch], nchw: true }, 0);
        }
        const y = this.g.op("Slice", [this.nchw(x).v, this.int64(`${full}/starts`, [tb[0], lr[0]]), this.int64(`${full}/ends`, [h - tb[1], wd - lr[1]]), this.int64(`${full}/axes`, [2, 3])], {}, full);
        return summary({ v: y, shape: [h - tb[0] - tb[1], wd - lr[0] - lr[1], ch], nchw: true }, 0);
      }
      case "UpSampling2D": {
        known("size", "data_format", "interpolation");
        channelsLast(c);
        const [sh, sw] = pair(c.size ?? 2, "size must be one or two numbers");
        const interpolation = String(c.interpolation ?? "nearest");
        if (interpolation !== "nearest" && interpolation !== "bilinear") throw new Refusal(`interpolation "${interpolation}" is not supported (nearest or bilinear).`);
        const [h, wd, ch] = x.shape as [number, number, number];
        const attrs: Record<string, Attr> = interpolation === "nearest"
          ? { mode: s("nearest"), coordinate_transformation_mode: s("asymmetric"), nearest_mode: s("floor") }
          : { mode: s("linear"), coordinate_transformation_mode: s("half_pixel") };
        const y = this.g.op("Resize", [this.nchw(x).v, "", this.floatConst(`${full}/scales`, [1, 1, sh, sw])], attrs, full);
        return summary({ v: y, shape: [h * sh, wd * sw, ch], nchw: true }, 0);
      }
      case "Resizing": {
        // crop_to_aspect_ratio, pad_to_aspect_ratio and antialias are not known: refused when on. fill_mode and fill_value only act with pad_to_aspect_ratio.
        known("height", "width", "interpolation", "fill_mode", "fill_value", "data_format", "bounding_box_format");
        channelsLast(c);
        const interpolation = String(c.interpolation ?? "bilinear");
        if (interpolation !== "bilinear" && interpolation !== "nearest") throw new Refusal(`interpolation "${interpolation}" is not supported (bilinear or nearest).`);
        const [h, wd] = [Number(c.height), Number(c.width)];
        if (!(Number.isInteger(h) && h > 0 && Number.isInteger(wd) && wd > 0)) throw new Refusal(`height and width must be whole numbers above 0 (found ${JSON.stringify(c.height)}, ${JSON.stringify(c.width)}).`);
        if (x.shape.length !== 3) throw new Refusal(`it needs (height, width, channels) inputs, not ${shown(x.shape)}.`);
        return summary(this.resize(x, h, wd, interpolation, full), 0);
      }
      case "CenterCrop": {
        known("height", "width", "data_format", "bounding_box_format");
        channelsLast(c);
        const [th, tw] = [Number(c.height), Number(c.width)];
        if (x.shape.length !== 3) throw new Refusal(`it needs (height, width, channels) inputs, not ${shown(x.shape)}.`);
        const [h, wd, ch] = x.shape as [number, number, number];
        if (!(Number.isInteger(th) && th > 0 && Number.isInteger(tw) && tw > 0)) throw new Refusal(`height and width must be whole numbers above 0 (found ${JSON.stringify(c.height)}, ${JSON.stringify(c.width)}).`);
        // Keras crops from (diff // 2); an input smaller than the crop is resized instead (smart_resize), which is not translated.
        if (th > h || tw > wd) throw new Refusal(`its ${th}×${tw} crop is larger than its ${h}×${wd} input (Keras then resizes with smart_resize, which the grader does not translate); crop at most the input size.`);
        const [top, left] = [Math.floor((h - th) / 2), Math.floor((wd - tw) / 2)];
        const y = this.g.op("Slice", [this.nchw(x).v, this.int64(`${full}/starts`, [top, left]), this.int64(`${full}/ends`, [top + th, left + tw]), this.int64(`${full}/axes`, [2, 3])], {}, full);
        return summary({ v: y, shape: [th, tw, ch], nchw: true }, 0);
      }
      case "UnitNormalization": {
        known("axis");
        const rank = x.shape.length;
        const axes = (Array.isArray(c.axis) ? (c.axis as unknown[]) : [c.axis ?? -1]).map((a) => {
          const k = Number(a);
          if (!Number.isInteger(k) || k === 0 || k < -rank || k > rank) throw new Refusal(`axis ${JSON.stringify(c.axis)} is not supported (axes of the image, not the batch).`);
          return k < 0 ? k + rank + 1 : k;
        });
        // Keras 3.15 (ops.normalize, order 2): x · min(1/√Σx², 1/ε), ε = 1e-12.
        const p = this.plain(x);
        const sumSq = this.g.op("ReduceSumSquare", [p.v], { axes: ints(axes), keepdims: i(1) }, full);
        const inv = this.g.op("Min", [this.g.op("Reciprocal", [this.g.op("Sqrt", [sumSq], {}, full)], {}, full), this.floatConst(`${full}/max`, [1e12])], {}, full);
        return summary({ v: this.g.op("Mul", [p.v, inv], {}, full), shape: p.shape, nchw: false }, 3 * prod(x.shape));
      }
      case "GroupNormalization": {
        known("groups", "axis", "epsilon", "center", "scale");
        lastAxis(c.axis, x.shape.length, "axis");
        const ch = x.shape.at(-1)!;
        const groups = c.groups == null ? 32 : Number(c.groups) === -1 ? ch : Number(c.groups);
        if (!Number.isInteger(groups) || groups <= 0 || ch % groups !== 0) throw new Refusal(`groups ${JSON.stringify(c.groups)} does not divide its ${ch} channels.`);
        if (x.shape.length !== 3 && x.shape.length !== 1) throw new Refusal(`it takes (height, width, channels) or (channels) inputs, not ${shown(x.shape)}.`);
        const arrays = expectWeights(w() ?? [], (c.scale !== false ? 1 : 0) + (c.center !== false ? 1 : 0), "gamma and beta", [[ch], [ch]]);
        const rest = [...arrays];
        const gamma = c.scale !== false ? rest.shift()!.data : new Float32Array(ch).fill(1);
        const beta = c.center !== false ? rest.shift()!.data : new Float32Array(ch);
        // Channels-first, a group's channels are contiguous: [N, groups, rest]; Keras: (x − mean) / √(variance + ε) per group, then γ, β per channel.
        const xin = x.shape.length === 3 ? this.nchw(x) : this.plain(x);
        const grouped = this.g.op("Reshape", [xin.v, this.int64(`${full}/groups`, [0, groups, -1])], {}, full);
        const mean = this.g.op("ReduceMean", [grouped], { axes: ints([2]), keepdims: i(1) }, full);
        const centred = this.g.op("Sub", [grouped, mean], {}, full);
        const variance = this.g.op("ReduceMean", [this.g.op("Mul", [centred, centred], {}, full)], { axes: ints([2]), keepdims: i(1) }, full);
        const normed = this.g.op("Div", [centred, this.g.op("Sqrt", [this.g.op("Add", [variance, this.floatConst(`${full}/epsilon`, [Number(c.epsilon ?? 1e-3)])], {}, full)], {}, full)], {}, full);
        const back = this.g.op("Reshape", [normed, this.g.op("Shape", [xin.v], {}, full)], {}, full);
        const out = this.affine({ ...xin, v: back }, gamma, beta, full);
        return summary(out, 8 * prod(x.shape), arrays);
      }
      case "LayerScale": {
        // keras.applications.convnext's LayerScale: x · γ over the last axis.
        known("init_values", "projection_dim");
        const [gamma] = expectWeights(w(), 1, "gamma", [[c.projection_dim == null ? null : Number(c.projection_dim)]]);
        if (gamma!.data.length !== x.shape.at(-1)) throw new WeightsMismatch(`its gamma has ${gamma!.data.length} values but its input has ${x.shape.at(-1)} channels: the weights do not match the model's config.`);
        return summary(this.affine(x, gamma!.data, new Float32Array(gamma!.data.length), full), 0, [gamma!]);
      }
      case "CustomScaleLayer": {
        // keras.applications.inception_resnet_v2's residual step: inputs[0] + inputs[1] · scale.
        known("scale");
        if (l.module != null && l.module !== "keras.src.applications.inception_resnet_v2") throw new Refusal(`only keras.applications' InceptionResNetV2 CustomScaleLayer is supported, not one from ${String(l.module)}.`);
        if (inputs.length !== 2) throw new Refusal(`it takes two inputs (shortcut and residual), not ${inputs.length}.`);
        const scale = c.scale;
        if (typeof scale !== "number" || !Number.isFinite(scale)) throw new Refusal(`scale ${JSON.stringify(scale)} is not a number.`);
        const residual = inputs[1]!;
        const scaled: T = { ...residual, v: this.g.op("Mul", [residual.v, this.floatConst(`${full}/scale`, [scale])], {}, full) };
        const out = this.merge("Add", [inputs[0]!, scaled], {}, full);
        return summary(out, 2 * prod(out.shape));
      }
      case "Add":
      case "Subtract":
      case "Multiply":
      case "Average":
      case "Maximum":
      case "Minimum":
      case "Concatenate":
        known("axis");
        return summary(this.merge(l.class_name, inputs, c, full), 0);
      default:
        throw new Refusal(`this layer is not supported by the grader. Use built-in layers such as Conv2D, pooling, Dense, BatchNormalization and Dropout, or upload predictions as a CSV instead.`);
    }
  }

  // #region building blocks

  private conv(x: T, kernel: WeightArray, bias: WeightArray | undefined, c: Json, groups: number, name: string, depthwise = false): { out: [number, number]; y: T } {
    const [kh, kw, cinPerGroup, cout] = kernel.shape as [number, number, number, number];
    const [sh, sw] = pair(c.strides ?? 1, "strides must be one or two numbers");
    const [dh, dw] = pair(c.dilation_rate ?? 1, "dilation_rate must be one or two numbers");
    const padding = String(c.padding ?? "valid");
    if (padding !== "valid" && padding !== "same") throw new Refusal(`padding "${padding}" is not supported (valid or same).`);
    const [h, wd, cin] = x.shape as [number, number, number];
    if (!depthwise && cinPerGroup * groups !== cin) throw new ModelRefused(`Layer "${name}": its kernel takes ${cinPerGroup * groups} channels but gets ${cin}: the weights do not match the model's config.`, "weights_mismatch");
    const a = spatial(h, kh, sh, dh, padding);
    const b = spatial(wd, kw, sw, dw, padding);
    if (a.out <= 0 || b.out <= 0) throw new Refusal(`its ${kh}×${kw} kernel does not fit its ${h}×${wd} input.`);
    const W = permute(kernel, [3, 2, 0, 1]);
    const inputs = [this.nchw(x).v, this.weight(`${name}/kernel`, W.data, W.shape)];
    if (bias) inputs.push(this.weight(`${name}/bias`, bias.data, bias.shape));
    const y = this.g.op("Conv", inputs, {
      kernel_shape: ints([kh, kw]), strides: ints([sh, sw]), dilations: ints([dh, dw]), pads: ints([a.pads[0], b.pads[0], a.pads[1], b.pads[1]]), group: i(groups),
    }, name);
    return { out: [a.out, b.out], y: { v: y, shape: [a.out, b.out, cout], nchw: true } };
  }

  /** tf.image.resize to h×w: bilinear with half-pixel centres, or nearest (TF's half-pixel nearest). */
  private resize(x: T, h: number, w: number, interpolation: string, name: string): T {
    const xin = this.nchw(x);
    const batchAndChannels = this.g.op("Slice", [this.g.op("Shape", [xin.v], {}, name), this.int64(`${name}/from`, [0]), this.int64(`${name}/to`, [2]), this.int64(`${name}/axis`, [0])], {}, name);
    const sizes = this.g.op("Concat", [batchAndChannels, this.int64(`${name}/size`, [h, w])], { axis: i(0) }, name);
    const attrs: Record<string, Attr> = interpolation === "bilinear"
      ? { mode: s("linear"), coordinate_transformation_mode: s("half_pixel") }
      // TF: floor((o + 0.5)·in/out); ONNX half_pixel gives (o + 0.5)·in/out − 0.5, rounded half up: the same pixel.
      : { mode: s("nearest"), coordinate_transformation_mode: s("half_pixel"), nearest_mode: s("round_prefer_ceil") };
    return { v: this.g.op("Resize", [xin.v, "", "", sizes], attrs, name), shape: [h, w, x.shape[2]!], nchw: true };
  }

  /** y = x·a + b per channel (the last Keras axis). */
  private affine(x: T, a: Float32Array, b: Float32Array, name: string): T {
    const ch = a.length;
    const dims = x.nchw ? [ch, 1, 1] : [ch];
    let y = a.every((v) => v === 1) ? x.v : this.g.op("Mul", [x.v, this.g.floats(`${name}/scale`, a, dims)], {}, name);
    if (!b.every((v) => v === 0)) y = this.g.op("Add", [y, this.g.floats(`${name}/offset`, b, dims)], {}, name);
    return { ...x, v: y === x.v ? this.g.op("Identity", [x.v], {}, name) : y };
  }

  private unary(x: T, op: string, attrs: Record<string, Attr>, name: string): T {
    return { ...x, v: this.g.op(op, [x.v], attrs, name) };
  }

  private relu(x: T, max: number | null, slope: number, threshold: number, name: string): T {
    let y: string;
    if (slope === 0 && threshold === 0) y = this.g.op("Relu", [x.v], {}, name);
    else {
      // Keras: x ≥ threshold → x, else negative_slope · (x − threshold).
      const t = this.floatConst(`${name}/threshold`, [threshold]);
      const below = this.g.op("Mul", [this.g.op("Sub", [x.v, t], {}, name), this.floatConst(`${name}/slope`, [slope])], {}, name);
      y = this.g.op("Where", [this.g.op("GreaterOrEqual", [x.v, t], {}, name), x.v, below], {}, name);
    }
    if (max !== null) y = this.g.op("Min", [y, this.floatConst(`${name}/max`, [max])], {}, name);
    return { ...x, v: y };
  }

  private activation(x: T, spec: unknown, name: string): T {
    const act = typeof spec === "string" ? spec : spec && typeof spec === "object" && typeof (spec as Json).config === "string" ? String((spec as Json).config) : spec == null ? "linear" : null;
    if (act === null) throw new Refusal(`its activation ${JSON.stringify(spec)} is not a built-in Keras activation.`);
    const g = this.g;
    const one = (op: string, attrs: Record<string, Attr> = {}) => ({ ...x, v: g.op(op, [x.v], attrs, `${name}/${act}`) });
    const c = (v: number) => this.floatConst(`${name}/c`, [v]);
    switch (act) {
      case "linear":
        return x;
      case "relu":
        return one("Relu");
      case "relu6":
        return { ...x, v: g.op("Clip", [x.v, c(0), c(6)], {}, `${name}/relu6`) };
      case "sigmoid":
        return one("Sigmoid");
      case "tanh":
        return one("Tanh");
      case "softsign":
        return one("Softsign");
      case "softplus":
        return one("Softplus");
      case "exponential":
        return one("Exp");
      case "elu":
        return one("Elu", { alpha: f(1) });
      case "selu":
        return one("Selu", { alpha: f(1.6732632423543772), gamma: f(1.0507009873554805) });
      case "celu":
        return one("Celu", { alpha: f(1) });
      case "leaky_relu":
        return one("LeakyRelu", { alpha: f(0.2) });
      case "hard_sigmoid":
        return one("HardSigmoid", { alpha: f(this.legacy ? 0.2 : 1 / 6), beta: f(0.5) });
      case "hard_silu":
      case "hard_swish":
        return one("HardSwish");
      case "hard_tanh":
        return { ...x, v: g.op("Clip", [x.v, c(-1), c(1)], {}, `${name}/hard_tanh`) };
      case "silu":
      case "swish":
        return { ...x, v: g.op("Mul", [x.v, g.op("Sigmoid", [x.v], {}, `${name}/silu`)], {}, `${name}/silu`) };
      case "gelu": {
        // Keras's default gelu is exact: x · Φ(x) = 0.5 · x · (1 + erf(x / √2)).
        const erf = g.op("Erf", [g.op("Mul", [x.v, c(Math.SQRT1_2)], {}, `${name}/gelu`)], {}, `${name}/gelu`);
        return { ...x, v: g.op("Mul", [g.op("Mul", [x.v, c(0.5)], {}, `${name}/gelu`), g.op("Add", [erf, c(1)], {}, `${name}/gelu`)], {}, `${name}/gelu`) };
      }
      case "mish":
        return { ...x, v: g.op("Mul", [x.v, g.op("Tanh", [g.op("Softplus", [x.v], {}, `${name}/mish`)], {}, `${name}/mish`)], {}, `${name}/mish`) };
      case "log_sigmoid":
        return { ...x, v: g.op("Neg", [g.op("Softplus", [g.op("Neg", [x.v], {}, name)], {}, name)], {}, `${name}/log_sigmoid`) };
      case "tanh_shrink":
        return { ...x, v: g.op("Sub", [x.v, g.op("Tanh", [x.v], {}, name)], {}, `${name}/tanh_shrink`) };
      case "hard_shrink":
        return one("Shrink", { lambd: f(0.5), bias: f(0) });
      case "soft_shrink":
        return one("Shrink", { lambd: f(0.5), bias: f(0.5) });
      case "squareplus": {
        const root = g.op("Sqrt", [g.op("Add", [g.op("Mul", [x.v, x.v], {}, name), c(4)], {}, name)], {}, name);
        return { ...x, v: g.op("Mul", [g.op("Add", [x.v, root], {}, name), c(0.5)], {}, `${name}/squareplus`) };
      }
      case "softmax":
      case "log_softmax": {
        const p = this.plain(x);
        return { v: g.op(act === "softmax" ? "Softmax" : "LogSoftmax", [p.v], { axis: i(-1) }, `${name}/${act}`), shape: p.shape, nchw: false };
      }
      default:
        throw new Refusal(`activation "${act}" is not supported by the grader.`);
    }
  }

  private merge(kind: string, inputs: T[], c: Json, name: string): T {
    if (inputs.length < 2) throw new Refusal("it needs at least two inputs.");
    const rank = inputs[0]!.shape.length + 1;
    const spatialInputs = inputs.every((t) => t.shape.length === 3);
    const useNchw = spatialInputs && inputs.some((t) => t.nchw);
    const xs = inputs.map((t) => (useNchw ? this.nchw(t) : this.plain(t)));
    if (kind === "Concatenate") {
      let axis = Number(c.axis ?? -1);
      if (axis < 0) axis += rank;
      if (axis <= 0 || axis >= rank) throw new Refusal(`axis ${String(c.axis)} is not supported.`);
      const onnxAxis = useNchw ? [0, 2, 3, 1][axis]! : axis;
      const shape = [...xs[0]!.shape];
      shape[axis - 1] = xs.reduce((a, t) => a + t.shape[axis - 1]!, 0);
      return { v: this.g.op("Concat", xs.map((t) => t.v), { axis: i(onnxAxis) }, name), shape, nchw: useNchw };
    }
    // Keras 3 merges broadcast inputs of one rank where a dimension is 1 (squeeze-and-excite's
    // Multiply of (h, w, c) by (1, 1, c)); ONNX's element-wise ops broadcast the same way.
    const shape = [...xs[0]!.shape];
    for (const t of xs.slice(1)) {
      if (t.shape.length !== shape.length) throw new Refusal(`its inputs have different ranks (${xs.map((u) => shown(u.shape)).join(", ")}).`);
      t.shape.forEach((d, k) => {
        if (d === shape[k] || d === 1 || d === null) return;
        if (shape[k] === 1 || shape[k] === null) shape[k] = d;
        else throw new Refusal(`its inputs have shapes that do not broadcast (${xs.map((u) => shown(u.shape)).join(", ")}).`);
      });
    }
    const chain = (op: string) => xs.slice(1).reduce((acc, t) => this.g.op(op, [acc, t.v], {}, name), xs[0]!.v);
    let v: string;
    if (kind === "Add") v = chain("Add");
    else if (kind === "Multiply") v = chain("Mul");
    else if (kind === "Maximum") v = this.g.op("Max", xs.map((t) => t.v), {}, name);
    else if (kind === "Minimum") v = this.g.op("Min", xs.map((t) => t.v), {}, name);
    else if (kind === "Average") v = this.g.op("Mul", [this.g.op("Sum", xs.map((t) => t.v), {}, name), this.floatConst(`${name}/n`, [1 / xs.length])], {}, name);
    else {
      if (xs.length !== 2) throw new Refusal("Subtract takes exactly two inputs.");
      v = this.g.op("Sub", [xs[0]!.v, xs[1]!.v], {}, name);
    }
    return { v, shape, nchw: useNchw };
  }

  /** Keras op layers (`x / 255.0`, `x - 0.5`, keras.ops.*): element-wise ONNX ops. */
  private opLayer(l: LayerConfig, ref: LayerRef, args: Arg[], full: string): T {
    const BINARY: Record<string, string> = { TrueDivide: "Div", Divide: "Div", Add: "Add", Subtract: "Sub", Multiply: "Mul", Maximum: "Max", Minimum: "Min", Power: "Pow" };
    const UNARY: Record<string, string> = { Negative: "Neg", Abs: "Abs", Absolute: "Abs", Sqrt: "Sqrt", Exp: "Exp", Log: "Log", Tanh: "Tanh", Sigmoid: "Sigmoid", Relu: "Relu", Floor: "Floor", Ceil: "Ceil" };
    const name = ref.name;
    const refuse = (why: string) => new ModelRefused(`Op layer "${name}" (${l.class_name}) ${why}`, "unsupported_layer");
    const fields = (...known: string[]) => {
      for (const k of Object.keys(l.config ?? {})) {
        if (k !== "name" && !known.includes(k) && l.config[k] != null) throw refuse(`has the setting "${k}" (${JSON.stringify(l.config[k])}), which the grader does not translate.`);
      }
    };
    const first = args.find(isT) ?? flatTensors(args)[0] ?? null;
    if (!first) throw new ModelRefused(`Op layer "${name}" (${l.class_name}) has no tensor input.`, "unsupported_layer");
    if (l.class_name in BINARY) {
      fields();
      if (args.length !== 2) throw new ModelRefused(`Op layer "${name}" (${l.class_name}) takes two arguments, not ${args.length}.`, "unsupported_layer");
      for (const a of args) if (!isT(a) && !isConst(a) && typeof a !== "number") throw new ModelRefused(`Op layer "${name}" (${l.class_name}) has an argument the grader cannot translate (${JSON.stringify(a)}).`, "unsupported_layer");
      const tensors = args.filter(isT);
      // numpy broadcasting (Keras's layout, batch first): a tensor against a number keeps its layout;
      // tensors of one rank keep a shared layout; constants and mixed ranks are taken channels-last.
      const plain = args.some(isConst) || tensors.some((t) => t.shape.length !== first.shape.length) || tensors.some((t) => t.nchw !== first.nchw);
      const ts = args.map((a) => (isT(a) && plain ? this.plain(a) : a));
      const dimsOf = (a: Arg) => (isT(a) ? [-1, ...a.shape] : isConst(a) ? a.dims : []);
      const shape = broadcast(ts.map(dimsOf));
      if (!shape) throw refuse(`has arguments whose shapes do not broadcast over the images (${ts.map((a) => `(${dimsOf(a).map((d) => (d === -1 ? "None" : String(d))).join(", ")})`).join(", ")}).`);
      const value = (a: Arg) => (isT(a) ? a.v : isConst(a) ? this.g.floats(`${name}/c`, a.constant, a.dims) : this.floatConst(`${name}/c`, [a as number]));
      const out: T = { v: this.g.op(BINARY[l.class_name]!, ts.map(value), {}, name), shape: shape.slice(1), nchw: !plain && first.nchw && shape.length === first.shape.length + 1 };
      this.summarise(full, l.class_name, out, 0);
      return out;
    }
    if (l.class_name === "GetItem") {
      // x[..., k], x[:, :, :, k]: an integer picks one entry of an axis (and drops the axis).
      fields();
      if (args.length !== 2) throw refuse(`takes a tensor and an index, not ${args.length} arguments.`);
      const x = this.plain(first);
      const key = Array.isArray(args[1]) ? args[1] : [args[1]!];
      const rank = x.shape.length + 1;
      const dots = key.filter((k) => k === ELLIPSIS).length;
      if (dots > 1 || key.some((k) => k !== ELLIPSIS && typeof k !== "number") || key.length - dots > rank) throw refuse(`has an index the grader cannot translate (${JSON.stringify(key)}); only integers and "..." are supported.`);
      const at = key.indexOf(ELLIPSIS);
      const perAxis: (number | null)[] = at < 0 ? [...key as number[], ...Array<null>(rank - key.length).fill(null)] : [...key.slice(0, at) as number[], ...Array<null>(rank - key.length + 1).fill(null), ...key.slice(at + 1) as number[]];
      if (perAxis[0] !== null) throw refuse("indexes the batch axis, which the grader cannot translate.");
      let v = x.v;
      const shape = [...x.shape];
      for (let axis = rank - 1; axis >= 1; axis--) {
        const k = perAxis[axis];
        if (k === null || k === undefined) continue;
        const dim = shape[axis - 1]!;
        const idx = k < 0 ? k + dim : k;
        if (!Number.isInteger(k) || idx < 0 || idx >= dim) throw refuse(`has index ${k} for an axis of size ${dim}.`);
        v = this.g.op("Gather", [v, this.int64(`${name}/index`, [idx])], { axis: i(axis) }, name);
        v = this.g.op("Squeeze", [v, this.int64(`${name}/axis`, [axis])], {}, name);
        shape.splice(axis - 1, 1);
      }
      const out: T = { v, shape, nchw: false };
      this.summarise(full, l.class_name, out, 0);
      return out;
    }
    if (l.class_name === "Stack") {
      fields("axis");
      const list = Array.isArray(args[0]) ? args[0] : [];
      if (args.length !== 1 || !list.length || !list.every(isT)) throw refuse("takes one list of tensors.");
      const xs = (list as T[]).map((t) => this.plain(t));
      if (xs.some((t) => t.shape.join() !== xs[0]!.shape.join())) throw refuse(`stacks tensors of different shapes (${xs.map((t) => shown(t.shape)).join(", ")}).`);
      const rank = xs[0]!.shape.length + 2;
      let axis = Number(l.config.axis ?? 0);
      if (axis < 0) axis += rank;
      if (!Number.isInteger(axis) || axis < 1 || axis >= rank) throw refuse(`stacks along axis ${JSON.stringify(l.config.axis)}; only axes after the batch are supported.`);
      const axes = this.int64(`${name}/axis`, [axis]);
      const v = this.g.op("Concat", xs.map((t) => this.g.op("Unsqueeze", [t.v, axes], {}, name)), { axis: i(axis) }, name);
      const shape = [...xs[0]!.shape];
      shape.splice(axis - 1, 0, xs.length);
      const out: T = { v, shape, nchw: false };
      this.summarise(full, l.class_name, out, 0);
      return out;
    }
    if (l.class_name === "Square") {
      const out = { ...first, v: this.g.op("Mul", [first.v, first.v], {}, name) };
      this.summarise(full, l.class_name, out, 0);
      return out;
    }
    if (l.class_name in UNARY && args.length === 1) {
      const out = { ...first, v: this.g.op(UNARY[l.class_name]!, [first.v], {}, name) };
      this.summarise(full, l.class_name, out, 0);
      return out;
    }
    throw new ModelRefused(`Op layer "${name}" (${l.class_name}, from ${String(l.module)}) is not supported by the grader. Use a built-in layer instead (for example Rescaling for arithmetic on the input).`, "unsupported_layer");
  }

  // #region layouts, constants, weights, accounting

  private nchw(t: T): T {
    return t.nchw || t.shape.length !== 3 ? t : this.relayout(t, true);
  }

  private plain(t: T): T {
    return t.nchw ? this.relayout(t, false) : t;
  }

  /** One Transpose per value and direction; the way back is remembered too. */
  private relayout(t: T, nchw: boolean): T {
    const [to, from] = nchw ? ["nchw", "plain"] : ["plain", "nchw"];
    let v = this.layout.get(`${to}:${t.v}`);
    if (!v) {
      v = this.g.op("Transpose", [t.v], { perm: ints(nchw ? [0, 3, 1, 2] : [0, 2, 3, 1]) }, `${t.v}/${nchw ? "nchw" : "nhwc"}`);
      this.layout.set(`${to}:${t.v}`, v);
      this.layout.set(`${from}:${v}`, t.v);
    }
    return { v, shape: t.shape, nchw };
  }

  private floatConst(hint: string, values: number[]): string {
    const key = `f:${values.join(",")}`;
    let v = this.consts.get(key);
    if (!v) this.consts.set(key, (v = this.g.floats(hint, values, values.length === 1 ? [] : [values.length])));
    return v;
  }

  private int64(hint: string, values: number[]): string {
    return this.g.int64s(hint, values);
  }

  /** A weight as an initializer; a model called twice reuses its weights' initializers. */
  private weight(key: string, data: Float32Array, dims: number[]): string {
    let v = this.weightValues.get(key);
    if (!v) this.weightValues.set(key, (v = this.g.floats(key, data, dims)));
    return v;
  }

  private summarise(full: string, className: string, out: T, flops: number, params: WeightArray[] = []): T {
    const existing = this.summaries.get(full);
    if (existing) existing.flops += flops; // a shared layer: its weights count once, its work each call
    else this.summaries.set(full, { name: full, className, outputShape: shown(out.shape), params: params.reduce((a, w) => a + w.data.length, 0), flops });
    return out;
  }
}

// #region config helpers

function layerName(l: LayerConfig): string {
  return String(l.config?.name ?? l.name ?? "?");
}

/** input_layers/output_layers: [name, node, tensor] or a list of them. */
function refs(v: unknown): [string, number, number][] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === "string") return [v as [string, number, number]];
  return v as [string, number, number][];
}

const COMMON = new Set(["name", "trainable", "dtype", "seed", "activity_regularizer", "input_dim", "input_shape", "batch_input_shape", "batch_shape", "batch_size", "sparse", "ragged"]);

/** Every config field is one the translator reads, or settings with no effect at inference. */
function checkFields(c: Json, fields: string[]) {
  for (const k of Object.keys(c)) {
    if (COMMON.has(k) || fields.includes(k) || /_(initializer|regularizer|constraint)$/.test(k)) continue;
    if (c[k] === null || c[k] === false) continue; // an optional feature left off
    throw new Refusal(`the field "${k}" (${JSON.stringify(c[k])}) is not translated by the grader, so the model cannot be scored faithfully.`);
  }
}

function channelsLast(c: Json) {
  if (c.data_format != null && c.data_format !== "channels_last") throw new Refusal(`data_format "${String(c.data_format)}" is not supported; use channels_last (Keras's default).`);
}

function lastAxis(axis: unknown, rank: number, field: string) {
  const list = Array.isArray(axis) ? axis : [axis ?? -1];
  if (list.length !== 1 || (list[0] !== -1 && list[0] !== rank)) throw new Refusal(`${field} ${JSON.stringify(axis)} is not supported (only the last axis, -1).`);
}

/** The layer's weights, n of them, each of the shape the config gives (null: any size, checked where it is used). */
function expectWeights(arrays: WeightArray[] | null, n: number, what: string, shapes: (number | null)[][] = []): WeightArray[] {
  if (!arrays) throw new WeightsMismatch(`its weights are missing from the file: the weights do not match the model's config.`);
  if (arrays.length !== n) throw new WeightsMismatch(`the file has ${arrays.length} weight arrays for it but it needs ${n} (${what}): the weights do not match the model's config.`);
  arrays.forEach((a, k) => {
    const want = shapes[k];
    if (want && (want.length !== a.shape.length || want.some((d, j) => d !== null && d !== a.shape[j]))) {
      throw new WeightsMismatch(`weight ${k} has shape [${a.shape.join(", ")}] in the file but the config needs [${want.map((d, j) => d ?? a.shape[j]).join(", ")}]: the weights do not match the model's config.`);
    }
  });
  return arrays;
}

/** kernel_size and filters as the config states them (null where it does not). */
const kernelSize = (c: Json): [number | null, number | null] => (c.kernel_size == null ? [null, null] : pair(c.kernel_size, "kernel_size must be one or two numbers"));
const filters = (c: Json): number | null => (c.filters == null ? null : Number(c.filters));

/** A Keras 3 node `{args, kwargs}` or a Keras 2 / TF.js node `[[layer, node, tensor, kwargs], …]`. */
/** Keras 3 versions from which an explicit `training=True` wins over predict's training=False. */
function kerasReplaysTraining(version: string | null): boolean {
  const m = /^(\d+)\.(\d+)/.exec(version ?? "");
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 3 || (major === 3 && minor >= 16);
}

function nodeArgs(n: unknown): { args: unknown[]; kwargs: Json } {
  if (Array.isArray(n)) {
    // Keras 2: [[layer, node, tensor, kwargs], ...]; the call's keyword arguments ride on each input.
    const kwargs = Object.assign({}, ...n.map((r) => (Array.isArray(r) && r[3] && typeof r[3] === "object" ? (r[3] as Json) : {}))) as Json;
    return { args: [n.length === 1 ? keras2Ref(n[0]) : n.map(keras2Ref)], kwargs };
  }
  const node = n as { args?: unknown[]; kwargs?: Json };
  return { args: node.args ?? [], kwargs: node.kwargs ?? {} };
}

function keras2Ref(r: unknown): unknown {
  const [layer, node, tensor] = r as [string, number, number];
  return { class_name: "__keras_tensor__", config: { keras_history: [layer, node, tensor] } };
}

function isTensorRef(a: unknown): a is { config: { keras_history: [string, number, number] } } {
  return !!a && typeof a === "object" && (a as Json).class_name === "__keras_tensor__";
}

function ready(args: unknown[], values: Map<string, T[]>): boolean {
  const ok = (a: unknown): boolean => {
    if (isTensorRef(a)) {
      const [layer, node, tensor] = a.config.keras_history;
      return !!values.get(`${layer}@${node}`)?.[tensor];
    }
    return Array.isArray(a) ? a.every(ok) : true;
  };
  return args.every(ok);
}

function resolve(args: unknown[], values: Map<string, T[]>): Arg[] {
  const one = (a: unknown): Arg => {
    if (isTensorRef(a)) {
      const [layer, node, tensor] = a.config.keras_history;
      return values.get(`${layer}@${node}`)![tensor]!;
    }
    if (Array.isArray(a)) return a.map(one);
    if (a && typeof a === "object") {
      const o = a as Json;
      if (o.class_name === "__ellipsis__") return ELLIPSIS;
      if (o.class_name === "__tensor__") return constArg((o.config ?? {}) as Json);
    }
    return typeof a === "number" ? a : null;
  };
  return args.map(one);
}

/** Constant tensors in a config are small in practice (preprocess_input's mean: 3 values); they are not weights, so not counted as parameters. */
const MAX_CONST_VALUES = 65_536;
const MAX_CONST_RANK = 8;

/** A `__tensor__` argument's nested lists as a float32 constant; null (refused where used) when not a numeric array. */
function constArg(c: Json): ConstArg | null {
  if (c.dtype != null && !/^(float|int|uint)\d+$/.test(String(c.dtype))) return null;
  const dims: number[] = [];
  for (let v: unknown = c.value; Array.isArray(v) && dims.length <= MAX_CONST_RANK; v = v[0]) dims.push(v.length);
  const size = dims.reduce((a, b) => a * b, 1);
  if (dims.length > MAX_CONST_RANK || size > MAX_CONST_VALUES) {
    throw new ModelRefused(`The model's config holds a constant tensor of ${dims.length > MAX_CONST_RANK ? `more than ${MAX_CONST_RANK} dimensions` : `${size.toLocaleString("en")} values`} (an array written into the model, as \`x - np.array(...)\`); the grader takes constants of up to ${MAX_CONST_VALUES.toLocaleString("en")} values and ${MAX_CONST_RANK} dimensions (preprocess_input's means have 3 values). Use a layer with weights instead (Normalization, Rescaling) and save again.`, "unsupported_layer");
  }
  const flat: number[] = [];
  const walk = (v: unknown, depth: number): boolean => {
    if (depth === dims.length) return typeof v === "number" && flat.push(v) > 0;
    return Array.isArray(v) && v.length === dims[depth] && v.every((u) => walk(u, depth + 1));
  };
  return walk(c.value, 0) ? { constant: Float32Array.from(flat), dims } : null;
}

/**
 * numpy broadcasting of full shapes (batch first; the batch is -1, unknown): the result, or null
 * when they do not broadcast or a constant would stretch the batch axis.
 */
function broadcast(shapes: number[][]): number[] | null {
  const rank = Math.max(...shapes.map((sh) => sh.length));
  const out: number[] = [];
  for (let k = 1; k <= rank; k++) {
    let d = 1;
    for (const sh of shapes) {
      const e = sh.length - k >= 0 ? sh[sh.length - k]! : 1;
      if (e === 1 || e === d) continue;
      if (d === 1) d = e;
      else return null;
    }
    out.unshift(d);
  }
  // The batch axis only against the batch axis: a batch lined up with another axis would let one
  // image's output depend on the others in its batch (and the grader batches as it likes).
  if (out.slice(1).includes(-1)) return null;
  return shapes.some((sh) => sh[0] === -1 && sh.length === rank) && out[0] === -1 ? out : null;
}

function flatTensors(a: Arg): T[] {
  if (Array.isArray(a)) return a.flatMap(flatTensors);
  return isT(a) ? [a] : [];
}
