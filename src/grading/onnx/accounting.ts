// Parameters and FLOPs of an uploaded ONNX model, so the course's compute limits apply to
// ONNX uploads as to Keras models. Parameters: the elements of its initializers and Constant
// nodes of every numeric type (weights stored as int8 and Cast are weights), except those used
// only as shape arguments (a Reshape's shape, a Slice's starts, …). FLOPs per image: shapes are followed from the input (batch 1) through
// every node, with small integer tensors (Shape → Gather → Concat → Reshape, as exporters
// write a flatten) computed on the way; counted as the translator counts Keras layers:
// 2 per multiply-add for Conv, ConvTranspose, Gemm and MatMul, 2 per element for
// normalisations, one per window read for pooling, one per element read for reductions,
// 0 for element-wise ops and layout changes.
// A node whose output cannot be sized (an op not listed here, shapes that depend on the
// data, control flow) makes the model refused, naming the node and its op: a compute
// limit that could be bypassed by an unusual op would not be a limit.
import onnxProto from "onnx-proto";
import { ModelRefused } from "../errors.js";

const { onnx } = onnxProto;
type Tensor = onnxProto.onnx.ITensorProto;

export interface OnnxAccount {
  params: number;
  flopsPerImage: number;
}

/** A value: its shape, and its contents when it is a small integer (or float) constant. */
interface Info {
  shape: number[];
  value?: number[];
}

const DT = onnx.TensorProto.DataType;
/** Inputs (by position) that are shapes, axes or indices of a shape, not weights. */
const SHAPE_ARGUMENTS: Record<string, number[]> = {
  Reshape: [1], Slice: [1, 2, 3, 4], Pad: [1, 3], Resize: [1, 2, 3], Upsample: [1], Expand: [1], Tile: [1], ConstantOfShape: [0],
  Split: [1], Squeeze: [1], Unsqueeze: [1], TopK: [1], Range: [0, 1, 2], OneHot: [1],
  ReduceMean: [1], ReduceMax: [1], ReduceMin: [1], ReduceSum: [1], ReduceSumSquare: [1], ReduceProd: [1], ReduceL1: [1], ReduceL2: [1], ReduceLogSum: [1], ReduceLogSumExp: [1],
};
const NOT_NUMERIC = new Set<number>([DT.UNDEFINED, DT.STRING]);
/** Ops through which a shape is computed: a constant feeding only these, into shape arguments, is no weight. */
const SHAPE_ARITHMETIC = new Set(["Gather", "Concat", "Unsqueeze", "Squeeze", "Cast", "Slice", "Identity", "Add", "Sub", "Mul", "Div", "Neg", "Abs", "Max", "Min", "Floor", "Ceil", "ReduceProd", "Equal", "Where"]);
const num = (v: unknown): number => (typeof v === "number" ? v : Number(String(v)));
const prod = (xs: number[]) => xs.reduce((a, b) => a * b, 1);

/** The contents of a small tensor (shape arguments, constants), or undefined. */
function tensorValue(t: Tensor): number[] | undefined {
  const n = prod((t.dims ?? []).map(num));
  if (n > 1024) return undefined;
  const raw = t.rawData && t.rawData.length ? Buffer.from(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength) : null;
  switch (t.dataType) {
    case DT.INT64:
      return raw ? Array.from({ length: n }, (_x, k) => Number(raw.readBigInt64LE(k * 8))) : (t.int64Data ?? []).map(num);
    case DT.INT32:
      return raw ? Array.from({ length: n }, (_x, k) => raw.readInt32LE(k * 4)) : (t.int32Data ?? []).map(num);
    case DT.FLOAT:
      return raw ? Array.from({ length: n }, (_x, k) => raw.readFloatLE(k * 4)) : (t.floatData ?? []).map(num);
    default:
      return undefined;
  }
}

const UNARY = new Set([
  "Relu", "LeakyRelu", "PRelu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Elu", "Selu", "Celu", "Softplus", "Softsign", "Gelu", "Mish",
  "Exp", "Log", "Neg", "Abs", "Sqrt", "Reciprocal", "Erf", "Floor", "Ceil", "Round", "Sign", "Not", "Clip", "Shrink", "ThresholdedRelu",
  "Sin", "Cos", "Softmax", "LogSoftmax", "Hardmax", "Identity", "Dropout", "Cast", "CastLike", "IsNaN", "IsInf",
]);
const BROADCAST = new Set(["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "Mod", "BitShift"]);
const REDUCE = new Set(["ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum", "ReduceSumSquare", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ArgMax", "ArgMin"]);

function broadcast(shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_x, k) => Math.max(...shapes.map((s) => s[s.length - rank + k] ?? 1)));
}

/** Counts an ONNX model's parameters and FLOPs per image; refuses a graph it cannot size. */
export function accountOnnx(bytes: Uint8Array): OnnxAccount {
  let model: InstanceType<typeof onnx.ModelProto>;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch {
    throw new ModelRefused("The ONNX file could not be read: it is damaged or not an ONNX model. Export it again.", "corrupt");
  }
  const graph = model.graph;
  if (!graph) throw new ModelRefused("The ONNX file has no graph. Export the model again.", "corrupt");
  const infos = new Map<string, Info>();
  // A constant is a weight unless it only ever ends up in shape arguments — directly, or through
  // the small integer arithmetic exporters write (Shape → Gather → Concat → Reshape's shape).
  const uses = new Map<string, { op: string; k: number; outputs: string[] }[]>();
  for (const node of graph.node ?? []) {
    (node.input ?? []).forEach((name, k) => {
      if (name) uses.set(name, [...(uses.get(name) ?? []), { op: node.opType ?? "", k, outputs: (node.output ?? []).filter(Boolean) }]);
    });
  }
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ""));
  const shapeOnly = new Set<string>();
  const isShapeOnly = (name: string) => {
    const u = uses.get(name) ?? [];
    return u.length > 0 && !graphOutputs.has(name) && u.every(({ op, k, outputs }) =>
      (SHAPE_ARGUMENTS[op] ?? []).includes(k) || (SHAPE_ARITHMETIC.has(op) && outputs.length > 0 && outputs.every((o) => shapeOnly.has(o))));
  };
  // Nodes are in topological order: walking back, a node's consumers are decided before it.
  for (const node of [...(graph.node ?? [])].reverse()) for (const o of node.output ?? []) if (o && isShapeOnly(o)) shapeOnly.add(o);
  for (const t of graph.initializer ?? []) if (t.name && isShapeOnly(t.name)) shapeOnly.add(t.name);
  let params = 0;
  const countConstant = (name: string, elements: number, dataType: number) => {
    if (!NOT_NUMERIC.has(dataType) && !shapeOnly.has(name)) params += elements;
  };
  for (const t of graph.initializer ?? []) {
    const shape = (t.dims ?? []).map(num);
    countConstant(t.name ?? "", prod(shape), t.dataType ?? DT.UNDEFINED);
    infos.set(t.name ?? "", { shape, value: tensorValue(t) });
  }
  // A batch size fixed in the graph (torch.onnx.export without dynamic_axes): shapes are propagated
  // with it, and the FLOPs counted for the whole batch are divided by it — per image, as for a free batch.
  let batch = 1;
  for (const input of graph.input ?? []) {
    if (infos.has(input.name ?? "")) continue; // an initializer listed as an input (older exporters)
    const dims = input.type?.tensorType?.shape?.dim ?? [];
    if (dims[0]?.dimValue != null && num(dims[0].dimValue) > 1) batch = Math.max(batch, num(dims[0].dimValue));
    const shape = dims.map((d, k) => {
      if (d.dimValue != null && num(d.dimValue) > 0) return num(d.dimValue);
      if (k === 0) return 1; // the batch: one image
      throw new ModelRefused(`The ONNX model's input "${input.name}" has a size that is not fixed (dimension ${k}: "${d.dimParam ?? "?"}"). Export it with a fixed image size (only the batch may vary), so its compute can be counted.`, "bad_input_shape");
    });
    infos.set(input.name ?? "", { shape });
  }
  let flops = 0;
  for (const node of graph.node ?? []) {
    const what = `node "${node.name || node.output?.[0] || "?"}" (${node.opType})`;
    const cannot = (why: string): never => {
      throw new ModelRefused(`The ONNX model's compute cannot be counted: ${what} ${why}. The grader counts the FLOPs of every ONNX upload to apply the course's limits; export with a fixed input size and constant folding (e.g. torch.onnx.export(..., do_constant_folding=True), or tf2onnx), use common CNN operators, or upload a predictions CSV instead.`, "uncountable");
    };
    if (node.domain && node.domain !== "ai.onnx") cannot(`is from the operator set "${node.domain}", which the grader does not know`);
    const ins = (node.input ?? []).map((name) => (name ? infos.get(name) ?? cannot(`reads "${name}", which no earlier node makes`) : undefined));
    const x = ins[0];
    const attr = (name: string) => (node.attribute ?? []).find((a) => a.name === name);
    const ints = (name: string, fallback: number[]) => {
      const a = attr(name);
      return a ? (a.ints ?? []).map(num) : fallback;
    };
    const int = (name: string, fallback: number) => {
      const a = attr(name);
      return a && a.i != null ? num(a.i) : fallback;
    };
    const valueOf = (k: number, why: string): number[] => ins[k]?.value ?? cannot(`needs its input ${k + 1} (${why}) to be a constant`);
    const axis = (a: number, rank: number) => (a < 0 ? a + rank : a);
    const outs: Info[] = [];
    const op = node.opType ?? "";

    if (op === "Constant") {
      const a = node.attribute?.[0];
      const name = node.output?.[0] ?? "";
      if (a?.t) {
        const shape = (a.t.dims ?? []).map(num);
        countConstant(name, prod(shape), a.t.dataType ?? DT.UNDEFINED);
        outs.push({ shape, value: tensorValue(a.t) });
      } else if (a?.ints?.length) {
        countConstant(name, a.ints.length, DT.INT64);
        outs.push({ shape: [a.ints.length], value: a.ints.length <= 1024 ? a.ints.map(num) : undefined });
      } else if (a?.floats?.length) {
        countConstant(name, a.floats.length, DT.FLOAT);
        outs.push({ shape: [a.floats.length], value: a.floats.length <= 1024 ? a.floats.map(num) : undefined });
      }
      else if (a && a.name === "value_int") outs.push({ shape: [], value: [num(a.i)] });
      else if (a && a.name === "value_float") outs.push({ shape: [], value: [num(a.f)] });
      else cannot("holds a kind of constant the grader does not read");
    } else if (!x) {
      cannot("has no input");
    } else if (op === "Conv" || op === "ConvTranspose") {
      const w = ins[1] ?? cannot("has no weights");
      if (x.shape.length < 3 || w.shape.length !== x.shape.length) cannot(`has an input of rank ${x.shape.length} for weights of rank ${w.shape.length}`);
      const spatial = x.shape.length - 2;
      const k = ints("kernel_shape", w.shape.slice(2));
      const strides = ints("strides", Array(spatial).fill(1));
      const dil = ints("dilations", Array(spatial).fill(1));
      const group = int("group", 1);
      const autoPad = String(attr("auto_pad")?.s ? Buffer.from(attr("auto_pad")!.s!).toString() : "NOTSET");
      const pads = ints("pads", Array(2 * spatial).fill(0));
      const inSp = x.shape.slice(2);
      const cin = x.shape[1]!;
      let outSp: number[];
      let cout: number;
      if (op === "Conv") {
        cout = w.shape[0]!;
        outSp = inSp.map((n, d) => {
          const eff = (k[d]! - 1) * dil[d]! + 1;
          if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return Math.ceil(n / strides[d]!);
          if (autoPad === "VALID") return Math.floor((n - eff) / strides[d]!) + 1;
          return Math.floor((n + pads[d]! + pads[d + spatial]! - eff) / strides[d]!) + 1;
        });
        flops += 2 * (cin / group) * prod(k) * cout * prod(outSp);
      } else {
        cout = w.shape[1]! * group;
        const given = ints("output_shape", []);
        const outPad = ints("output_padding", Array(spatial).fill(0));
        outSp = given.length ? given.slice(-spatial) : inSp.map((n, d) => {
          if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return n * strides[d]!;
          return strides[d]! * (n - 1) + outPad[d]! + (k[d]! - 1) * dil[d]! + 1 - pads[d]! - pads[d + spatial]!;
        });
        flops += 2 * cin * (cout / group) * prod(k) * prod(inSp);
      }
      if (outSp.some((d) => !(d > 0))) cannot("has an output of no size");
      outs.push({ shape: [x.shape[0]!, cout, ...outSp] });
    } else if (op === "Gemm") {
      const b = ins[1] ?? cannot("has no second input");
      const [m, kA] = int("transA", 0) ? [x.shape[1]!, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
      const n = int("transB", 0) ? b.shape[0]! : b.shape[1]!;
      flops += 2 * m * kA * n;
      outs.push({ shape: [m, n] });
    } else if (op === "MatMul") {
      const b = ins[1] ?? cannot("has no second input");
      const a2 = x.shape.length === 1 ? [1, x.shape[0]!] : x.shape;
      const b2 = b.shape.length === 1 ? [b.shape[0]!, 1] : b.shape;
      const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)]);
      const [m, kk, n] = [a2.at(-2)!, a2.at(-1)!, b2.at(-1)!];
      flops += 2 * prod(batch) * m * kk * n;
      const shape = [...batch, ...(x.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
      outs.push({ shape });
    } else if (op === "MaxPool" || op === "AveragePool" || op === "LpPool") {
      const spatial = x.shape.length - 2;
      const k = ints("kernel_shape", []);
      if (spatial < 1 || k.length !== spatial) cannot(`has an input of rank ${x.shape.length} for a ${k.length}-D window`);
      const strides = ints("strides", Array(spatial).fill(1));
      const dil = ints("dilations", Array(spatial).fill(1));
      const pads = ints("pads", Array(2 * spatial).fill(0));
      const ceil = int("ceil_mode", 0);
      const autoPad = String(attr("auto_pad")?.s ? Buffer.from(attr("auto_pad")!.s!).toString() : "NOTSET");
      const outSp = x.shape.slice(2).map((n, d) => {
        const eff = (k[d]! - 1) * dil[d]! + 1;
        if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") return Math.ceil(n / strides[d]!);
        if (autoPad === "VALID") return Math.floor((n - eff) / strides[d]!) + 1;
        const r = (n + pads[d]! + pads[d + spatial]! - eff) / strides[d]!;
        return (ceil ? Math.ceil(r) : Math.floor(r)) + 1;
      });
      const shape = [x.shape[0]!, x.shape[1]!, ...outSp];
      flops += prod(k) * prod(shape);
      outs.push({ shape });
      if ((node.output ?? []).length > 1) outs.push({ shape }); // MaxPool's indices
    } else if (op === "GlobalAveragePool" || op === "GlobalMaxPool") {
      if (x.shape.length < 3) cannot(`has an input of rank ${x.shape.length}`);
      flops += prod(x.shape);
      outs.push({ shape: [x.shape[0]!, x.shape[1]!, ...x.shape.slice(2).map(() => 1)] });
    } else if (op === "BatchNormalization" || op === "InstanceNormalization" || op === "LayerNormalization" || op === "GroupNormalization" || op === "LpNormalization") {
      flops += (op === "BatchNormalization" ? 2 : 8) * prod(x.shape);
      outs.push({ shape: x.shape });
    } else if (REDUCE.has(op)) {
      const rank = x.shape.length;
      const given = attr("axes") ? ints("axes", []) : ins[1] ? valueOf(1, "the axes") : op.startsWith("Arg") ? [int("axis", 0)] : x.shape.map((_d, k) => k);
      const axes = given.map((a) => axis(a, rank));
      const keep = int("keepdims", 1);
      flops += prod(x.shape);
      outs.push({ shape: x.shape.flatMap((d, k) => (axes.includes(k) ? (keep ? [1] : []) : [d])) });
    } else if (UNARY.has(op)) {
      outs.push({ shape: x.shape, value: op === "Cast" || op === "Identity" ? x.value : undefined });
      if (op === "Dropout" && (node.output ?? []).length > 1) outs.push({ shape: x.shape });
    } else if (BROADCAST.has(op)) {
      const present = ins.filter((t): t is Info => !!t);
      const shape = broadcast(present.map((t) => t.shape));
      let value: number[] | undefined;
      const [a, b] = present;
      if (["Add", "Sub", "Mul", "Div"].includes(op) && present.length === 2 && a!.value && b!.value && prod(shape) <= 1024) {
        const f = { Add: (p: number, q: number) => p + q, Sub: (p: number, q: number) => p - q, Mul: (p: number, q: number) => p * q, Div: (p: number, q: number) => Math.trunc(p / q) }[op as "Add"];
        value = Array.from({ length: prod(shape) }, (_x, k) => f(a!.value![a!.value!.length === 1 ? 0 : k]!, b!.value![b!.value!.length === 1 ? 0 : k]!));
      }
      outs.push({ shape, value });
    } else if (op === "Shape") {
      const start = axis(int("start", 0), x.shape.length);
      const endAttr = attr("end");
      const end = endAttr ? axis(num(endAttr.i), x.shape.length) : x.shape.length;
      const value = x.shape.slice(start, end);
      outs.push({ shape: [value.length], value });
    } else if (op === "Size") {
      outs.push({ shape: [], value: [prod(x.shape)] });
    } else if (op === "Flatten") {
      const a = axis(int("axis", 1), x.shape.length);
      outs.push({ shape: [prod(x.shape.slice(0, a)), prod(x.shape.slice(a))] });
    } else if (op === "Reshape") {
      const target = valueOf(1, "the new shape");
      const allowZero = int("allowzero", 0);
      const shape = target.map((d, k) => (d === 0 && !allowZero ? x.shape[k]! : d));
      const known = prod(shape.filter((d) => d !== -1));
      const resolved = shape.map((d) => (d === -1 ? prod(x.shape) / known : d));
      if (prod(resolved) !== prod(x.shape) || !resolved.every(Number.isInteger)) cannot(`reshapes [${x.shape.join(", ")}] to [${target.join(", ")}]`);
      outs.push({ shape: resolved, value: x.value });
    } else if (op === "Transpose") {
      const perm = ints("perm", x.shape.map((_d, k) => x.shape.length - 1 - k));
      outs.push({ shape: perm.map((p) => x.shape[p]!) });
    } else if (op === "Squeeze" || op === "Unsqueeze") {
      const given = attr("axes") ? ints("axes", []) : ins[1] ? valueOf(1, "the axes") : null;
      if (op === "Squeeze") {
        const axes = (given ?? x.shape.flatMap((d, k) => (d === 1 ? [k] : []))).map((a) => axis(a, x.shape.length));
        outs.push({ shape: x.shape.filter((_d, k) => !axes.includes(k)), value: x.value });
      } else {
        if (!given) cannot("has no axes");
        const rank = x.shape.length + given!.length;
        const axes = given!.map((a) => axis(a, rank));
        const shape: number[] = [];
        let from = 0;
        for (let k = 0; k < rank; k++) shape.push(axes.includes(k) ? 1 : x.shape[from++]!);
        outs.push({ shape, value: x.value });
      }
    } else if (op === "Concat") {
      const present = ins.filter((t): t is Info => !!t);
      const a = axis(int("axis", 0), x.shape.length);
      const shape = [...x.shape];
      shape[a] = present.reduce((s, t) => s + t.shape[a]!, 0);
      const value = present.every((t) => t.value) && shape.length === 1 ? present.flatMap((t) => t.value!) : undefined;
      outs.push({ shape, value });
    } else if (op === "Gather") {
      const idx = ins[1] ?? cannot("has no indices");
      const a = axis(int("axis", 0), x.shape.length);
      const shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
      const value = x.value && idx.value && x.shape.length === 1 ? idx.value.map((k) => x.value![k < 0 ? k + x.value!.length : k]!) : undefined;
      outs.push({ shape, value });
    } else if (op === "Slice") {
      const starts = valueOf(1, "the starts");
      const ends = valueOf(2, "the ends");
      const axes = ins[3] ? valueOf(3, "the axes") : starts.map((_v, k) => k);
      const steps = ins[4] ? valueOf(4, "the steps") : starts.map(() => 1);
      const shape = [...x.shape];
      const ranges: [number, number, number][] = [];
      axes.forEach((a0, k) => {
        const a = axis(a0, x.shape.length);
        const n = x.shape[a]!;
        const step = steps[k]!;
        const clamp = (v: number) => (v < 0 ? Math.max(v + n, step > 0 ? 0 : -1) : Math.min(v, step > 0 ? n : n - 1));
        const [s, e] = [clamp(starts[k]!), clamp(ends[k]!)];
        shape[a] = Math.max(0, Math.ceil((e - s) / step));
        ranges[a] = [s, e, step];
      });
      let value: number[] | undefined;
      if (x.value && x.shape.length === 1) {
        const [s, e, step] = ranges[0] ?? [0, x.shape[0]!, 1];
        value = [];
        for (let v = s; step > 0 ? v < e : v > e; v += step) value.push(x.value[v]!);
      }
      outs.push({ shape, value });
    } else if (op === "Pad") {
      const pads = attr("pads") ? ints("pads", []) : valueOf(1, "the pads");
      const rank = x.shape.length;
      const axes = ins[3] ? valueOf(3, "the axes").map((a) => axis(a, rank)) : x.shape.map((_d, k) => k);
      const shape = [...x.shape];
      axes.forEach((a, k) => (shape[a] = shape[a]! + pads[k]! + pads[k + axes.length]!));
      outs.push({ shape });
    } else if (op === "Resize" || op === "Upsample") {
      const sizes = op === "Resize" && ins[3] ? valueOf(3, "the sizes") : null;
      const scales = sizes ? null : op === "Resize" ? valueOf(2, "the scales") : attr("scales") ? (attr("scales")!.floats ?? []).map(num) : valueOf(1, "the scales");
      // keep_aspect_ratio_policy (opset 18) other than stretch scales every named axis by one factor, not by `sizes`.
      const policy = attr("keep_aspect_ratio_policy")?.s ? Buffer.from(attr("keep_aspect_ratio_policy")!.s!).toString() : "stretch";
      if (policy !== "stretch") cannot(`keeps the aspect ratio ("${policy}"), so its output size is not the sizes it names`);
      // Since opset 18 sizes/scales may name only some axes (`axes`); the others keep their size.
      const rank = x.shape.length;
      const axes = attr("axes") ? ints("axes", []).map((a) => axis(a, rank)) : x.shape.map((_d, k) => k);
      const given = sizes ?? scales!;
      if (given.length !== axes.length || axes.some((a) => a < 0 || a >= rank)) cannot(`gives ${given.length} sizes or scales for ${axes.length} axes`);
      const shape = [...x.shape];
      axes.forEach((a, k) => (shape[a] = sizes ? sizes[k]! : Math.floor(x.shape[a]! * scales![k]!)));
      outs.push({ shape });
    } else if (op === "Expand") {
      outs.push({ shape: broadcast([x.shape, valueOf(1, "the shape")]) });
    } else if (op === "Tile") {
      const reps = valueOf(1, "the repeats");
      outs.push({ shape: x.shape.map((d, k) => d * reps[k]!) });
    } else if (op === "ConstantOfShape") {
      const shape = valueOf(0, "the shape");
      outs.push({ shape, value: prod(shape) <= 1024 && attr("value")?.t ? Array(prod(shape)).fill(tensorValue(attr("value")!.t!)?.[0] ?? 0) : undefined });
    } else if (op === "DepthToSpace" || op === "SpaceToDepth") {
      const b = int("blocksize", 1);
      const [n, c, h, w] = x.shape as [number, number, number, number];
      outs.push({ shape: op === "DepthToSpace" ? [n, c / (b * b), h * b, w * b] : [n, c * b * b, h / b, w / b] });
    } else if (op === "Split") {
      const a = axis(int("axis", 0), x.shape.length);
      const parts = (node.output ?? []).length;
      const split = attr("split") ? ints("split", []) : ins[1] ? valueOf(1, "the split sizes") : Array(parts).fill(x.shape[a]! / parts);
      for (const size of split) outs.push({ shape: x.shape.map((d, k) => (k === a ? size : d)) });
    } else {
      cannot("is an operator the grader cannot size");
    }
    // Every size worked out must be a whole number: anything else means the graph was not understood.
    if (outs.some((o) => o.shape.some((d) => !Number.isInteger(d) || d < 0))) cannot("has an output whose size cannot be worked out");
    (node.output ?? []).forEach((name, k) => {
      if (name && outs[k]) infos.set(name, outs[k]!);
    });
  }
  return { params, flopsPerImage: Math.round(flops / batch) };
}
