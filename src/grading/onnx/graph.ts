// A small ONNX graph builder: named values, nodes, float/int64 initializers, and the
// encoded ModelProto (protobuf through the onnx-proto package). Opset 17: Softmax on one
// axis, HardSwish, LayerNormalization, and Reduce* with axes as attributes.
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;
export const OPSET = 17;

export type Attr = { f: number } | { i: number } | { ints: number[] } | { floats: number[] } | { s: string };
export const f = (v: number): Attr => ({ f: v });
export const i = (v: number): Attr => ({ i: v });
export const ints = (v: number[]): Attr => ({ ints: v });
export const s = (v: string): Attr => ({ s: v });

function attribute(name: string, a: Attr): InstanceType<typeof onnx.AttributeProto> {
  const T = onnx.AttributeProto.AttributeType;
  if ("f" in a) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.f });
  if ("i" in a) return onnx.AttributeProto.create({ name, type: T.INT, i: a.i });
  if ("ints" in a) return onnx.AttributeProto.create({ name, type: T.INTS, ints: a.ints });
  if ("floats" in a) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: a.floats });
  return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(a.s) });
}

export class OnnxGraph {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly used = new Set<string>();

  /** A fresh value name from a hint (Keras layer names are kept, so the graph reads like the model). */
  name(hint: string): string {
    const base = hint.replace(/[^\w./-]/g, "_") || "v";
    let n = base;
    for (let k = 1; this.used.has(n); k++) n = `${base}_${k}`;
    this.used.add(n);
    return n;
  }

  /** A float32 constant (weights, scales) as an initializer. */
  floats(hint: string, data: Float32Array | number[], dims: number[]): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    const name = this.name(hint);
    this.initializers.push(onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength) }));
    return name;
  }

  /** An int64 constant (shapes, pads, slice bounds). */
  int64s(hint: string, data: number[]): string {
    const arr = BigInt64Array.from(data.map((v) => BigInt(v)));
    const name = this.name(hint);
    this.initializers.push(onnx.TensorProto.create({ name, dims: [data.length], dataType: onnx.TensorProto.DataType.INT64, rawData: new Uint8Array(arr.buffer) }));
    return name;
  }

  /** Adds one node; returns its (first) output's name. */
  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}, hint = type): string {
    const out = this.name(hint);
    this.nodes.push(onnx.NodeProto.create({ opType: type, input: inputs, output: [out], name: out, attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)) }));
    return out;
  }

  /** The encoded model: one float32 input [batch, ...inputDims] and one output [batch, ...outputDims]. */
  encode(io: { input: string; inputDims: number[]; output: string; outputDims: number[] }): Uint8Array {
    const valueInfo = (name: string, dims: number[]) => onnx.ValueInfoProto.create({
      name,
      type: onnx.TypeProto.create({
        tensorType: onnx.TypeProto.Tensor.create({
          elemType: onnx.TensorProto.DataType.FLOAT,
          shape: onnx.TensorShapeProto.create({ dim: [onnx.TensorShapeProto.Dimension.create({ dimParam: "batch" }), ...dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d }))] }),
        }),
      }),
    });
    const graph = onnx.GraphProto.create({
      name: "keras_model", node: this.nodes, initializer: this.initializers,
      input: [valueInfo(io.input, io.inputDims)], output: [valueInfo(io.output, io.outputDims)],
    });
    const model = onnx.ModelProto.create({ irVersion: 8, producerName: "cnn-course-platform", graph, opsetImport: [onnx.OperatorSetIdProto.create({ domain: "", version: OPSET })] });
    return onnx.ModelProto.encode(model).finish();
  }
}
