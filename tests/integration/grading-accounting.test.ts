// Honest accounting: an ONNX upload's parameters and FLOPs are counted from its graph, so
// the course's limits apply to it as to a Keras model; Conv2DTranspose's FLOPs count in
// Keras models. Every expected count is worked out by hand in the test.
import fs from "node:fs";
import path from "node:path";
import { ModelRefused } from "../../src/grading/errors.js";
import { accountOnnx } from "../../src/grading/onnx/accounting.js";
import { f, i, ints, OnnxGraph, s as str } from "../../src/grading/onnx/graph.js";
import { KerasToOnnx, type LayerConfig } from "../../src/grading/onnx/keras-onnx.js";
import { checkModel, type ModelSummary } from "../../src/grading/models.js";
import { DEFAULT_LIMITS, inspectModel } from "../../src/grading/score.js";
import { stopSpare } from "../../src/grading/runner.js";
import { linearOnnxNchw, tempDir } from "../helpers/grading.js";

const t = tempDir("accounting-");
afterAll(() => {
  stopSpare();
  t.remove();
});

const filled = (n: number, v = 0.01) => new Float32Array(n).fill(v);

/**
 * A small CNN as PyTorch exports one (channels first, input [batch, 3, 8, 8]):
 * Conv 3→4 3×3 pad 1 (bias) → Relu → MaxPool 2×2/2 → ConvTranspose 4→2 2×2/2 (no bias)
 * → flatten through Shape/Gather/Concat/Reshape → Gemm 128→10 (bias) → Softmax.
 */
function tinyCnn(extra?: (g: OnnxGraph, x: string) => string): Uint8Array {
  const g = new OnnxGraph();
  g.name("input");
  let x = g.op("Conv", ["input", g.floats("conv.w", filled(4 * 3 * 3 * 3), [4, 3, 3, 3]), g.floats("conv.b", filled(4), [4])], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]), strides: ints([1, 1]) });
  x = g.op("Relu", [x]);
  x = g.op("MaxPool", [x], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) });
  x = g.op("ConvTranspose", [x, g.floats("up.w", filled(4 * 2 * 2 * 2), [4, 2, 2, 2])], { kernel_shape: ints([2, 2]), strides: ints([2, 2]) });
  if (extra) x = extra(g, x);
  const batch = g.op("Gather", [g.op("Shape", [x]), g.int64s("zero", [0])], { axis: i(0) }); // [batch]
  const shape = g.op("Concat", [batch, g.int64s("rest", [-1])], { axis: i(0) }); // [batch, -1]
  x = g.op("Reshape", [x, shape]);
  x = g.op("Gemm", [x, g.floats("fc.w", filled(128 * 10), [128, 10]), g.floats("fc.b", filled(10), [10])], { alpha: f(1), beta: f(1) });
  const out = g.op("Softmax", [x], { axis: i(1) });
  return g.encode({ input: "input", inputDims: [3, 8, 8], output: out, outputDims: [10] });
}

// Parameters: conv 4·3·3·3 + 4 = 112, up 4·2·2·2 = 32, fc 128·10 + 10 = 1,290 (the int64 shape constants are not weights).
const PARAMS = 112 + 32 + 1290;
// FLOPs (2 per multiply-add; pooling one per window read):
//   Conv: 8×8 outputs × 4 filters × (3·3·3) multiply-adds × 2 = 13,824
//   MaxPool: 4×4 outputs × 4 channels × 2·2 reads = 256
//   ConvTranspose: 4×4 inputs × 4 in-channels × 2 out-channels × 2·2 kernel × 2 = 1,024 (output [2, 8, 8], flattened: 128)
//   Gemm: 128 × 10 × 2 = 2,560
const FLOPS = 13_824 + 256 + 1_024 + 2_560;

test("an ONNX graph's parameters and FLOPs per image, counted through Conv, pooling, ConvTranspose, an exporter's flatten and Gemm", () => {
  expect(accountOnnx(tinyCnn())).toEqual({ params: PARAMS, flopsPerImage: FLOPS });
});

test("a batch size fixed in the graph (64, as torch.onnx.export writes a dummy batch's size) counts the FLOPs of one image, not of 64", () => {
  // linearOnnxNchw: Flatten, MatMul 3072 × 43 (2 FLOPs per multiply-add: 264,192), Add of the 43 biases
  // (no FLOPs here, as a Conv's or Gemm's bias above); weights 3072 × 43 + 43.
  const account = (batch: number | "batch") => {
    const file = path.join(t.dir, `linear-${batch}.onnx`);
    linearOnnxNchw(file, 43, batch);
    return accountOnnx(fs.readFileSync(file));
  };
  const one = { params: 3072 * 43 + 43, flopsPerImage: 3072 * 43 * 2 };
  expect(account("batch")).toEqual(one);
  expect(account(64)).toEqual(one);
  expect(account(1)).toEqual(one);
});

test("weights stored as integers are weights: an int64 matrix reshaped and cast to float counts every element", () => {
  const g = new OnnxGraph();
  g.name("input");
  const w = g.op("Cast", [g.op("Reshape", [g.int64s("w.int", Array(192 * 10).fill(1)), g.int64s("w.shape", [192, 10])])], { to: i(1) });
  const out = g.op("MatMul", [g.op("Flatten", ["input"], { axis: i(1) }), w]);
  // 192 × 10 weights (the reshape's shape is no weight); MatMul 192 × 10 × 2 FLOPs.
  expect(accountOnnx(g.encode({ input: "input", inputDims: [3, 8, 8], output: out, outputDims: [10] }))).toEqual({ params: 1920, flopsPerImage: 3840 });
});

test("a Resize that names its axes (opset 18) is sized on those axes, so the convolution after it counts in full", () => {
  const g = new OnnxGraph();
  g.name("input");
  let x = g.op("Resize", ["input", "", "", g.int64s("sizes", [16, 16])], { axes: ints([2, 3]), mode: str("linear") });
  x = g.op("Conv", [x, g.floats("w", filled(4 * 3 * 3 * 3), [4, 3, 3, 3])], { kernel_shape: ints([3, 3]), pads: ints([1, 1, 1, 1]) });
  x = g.op("Flatten", [g.op("GlobalAveragePool", [x])], { axis: i(1) });
  const out = g.op("Gemm", [x, g.floats("fc", filled(40), [4, 10])]);
  // Conv on [1, 3, 16, 16]: 16·16 × 4 × 27 × 2 = 55,296; global pool: 16·16·4 = 1,024; Gemm: 4 × 10 × 2 = 80.
  expect(accountOnnx(g.encode({ input: "input", inputDims: [3, 8, 8], output: out, outputDims: [10] }))).toEqual({ params: 108 + 40, flopsPerImage: 55_296 + 1_024 + 80 });
  // Keeping the aspect ratio scales every named axis by one factor: the sizes named are not the output's.
  const k = new OnnxGraph();
  k.name("input");
  const kept = k.op("Resize", ["input", "", "", k.int64s("sizes", [16, 512])], { axes: ints([2, 3]), mode: str("linear"), keep_aspect_ratio_policy: str("not_smaller") }, "aspect");
  expect(() => accountOnnx(k.encode({ input: "input", inputDims: [3, 8, 8], output: kept, outputDims: [10] }))).toThrow(/node "aspect" \(Resize\) keeps the aspect ratio/);
  // A Conv handed a tensor of the wrong rank is not counted as one pixel: refused.
  const h = new OnnxGraph();
  h.name("input");
  const flat = h.op("Flatten", ["input"], { axis: i(1) });
  const bad = h.op("Conv", [flat, h.floats("w", filled(4 * 3 * 3 * 3), [4, 3, 3, 3])], { kernel_shape: ints([3, 3]) }, "bad-conv");
  expect(() => accountOnnx(h.encode({ input: "input", inputDims: [3, 8, 8], output: bad, outputDims: [10] }))).toThrow(/node "bad-conv" \(Conv\) has an input of rank 2/);
});

test("an operator the counter cannot size is refused, naming the node and its op", () => {
  const model = tinyCnn((g, x) => g.op("Mul", [x, g.op("NonZero", [x], {}, "mystery")]));
  expect(() => accountOnnx(model)).toThrow(ModelRefused);
  expect(() => accountOnnx(model)).toThrow(/node "mystery" \(NonZero\) is an operator the grader cannot size/);
});

test("the limits apply to ONNX uploads: inspected at upload with the counted FLOPs and parameters, refused when over", async () => {
  const file = path.join(t.dir, "tiny.onnx");
  fs.writeFileSync(file, tinyCnn());
  const summary = await inspectModel({ model: file, numClasses: 10, limits: { maxFlopsPerImage: FLOPS, maxParams: PARAMS } });
  expect(summary).toMatchObject({ format: "onnx", params: PARAMS, flopsPerImage: FLOPS, outputClasses: 10 });
  await expect(inspectModel({ model: file, numClasses: 10, limits: { maxFlopsPerImage: FLOPS - 1 } })).rejects.toMatchObject({ code: "too_much_compute" });
  await expect(inspectModel({ model: file, numClasses: 10, limits: { maxParams: PARAMS - 1 } })).rejects.toMatchObject({ code: "too_many_params" });
}, 60_000);

test("Keras Conv2DTranspose counts its FLOPs", () => {
  // Input 2×2×3, Conv2DTranspose(filters 2, kernel 3, strides 2, same) → 4×4×2: each of the 2·2 input
  // pixels' 3 channels scatters a 3×3×2 kernel: 2·2 · 3 · 3·3·2 multiply-adds = 216, × 2 = 432 FLOPs.
  // Parameters: kernel 3·3·2·3 = 54 + bias 2 = 56.
  const model: LayerConfig = {
    class_name: "Sequential",
    config: {
      name: "s",
      layers: [
        { class_name: "InputLayer", config: { name: "in", batch_shape: [null, 2, 2, 3] } },
        { class_name: "Conv2DTranspose", config: { name: "up", filters: 2, kernel_size: [3, 3], strides: [2, 2], padding: "same", data_format: "channels_last", dilation_rate: [1, 1], activation: "linear", use_bias: true } },
        { class_name: "Flatten", config: { name: "flat" } },
      ],
    },
  };
  const weights = [{ data: filled(54), shape: [3, 3, 2, 3] }, { data: filled(2), shape: [2] }];
  const translated = KerasToOnnx.translate(model, { id: "/", weights: (l) => (l.name === "up" ? weights : null), enter: () => { throw new Error("no nested models"); } });
  expect(translated.layers.find((l) => l.name === "up")).toMatchObject({ className: "Conv2DTranspose", outputShape: "(None, 4, 4, 2)", params: 56, flops: 432 });
  expect(translated.flopsPerImage).toBe(432);
});

test("a layer output too large for memory is refused, though it costs no FLOPs or parameters (an outer product by broadcasting merges)", () => {
  // Input 8×8×3 = 192 values → Reshape (192, 1, 1) × Reshape (1, 192, 1) = (192, 192, 1): 36,864 values;
  // → Reshape (36864, 1, 1) × Reshape (1, 36864, 1) = (36864, 36864, 1): 1,358,954,496 values an image
  // (5.4 GB of floats), four parameters (no Dense weights: Flatten of a pooled 1 value → 1 output).
  const kt = (from: string, shape: number[]) => ({ class_name: "__keras_tensor__", config: { shape: [null, ...shape], dtype: "float32", keras_history: [from, 0, 0] } });
  const reshape = (name: string, from: string, fromShape: number[], target: number[]) => ({ module: "keras.layers", class_name: "Reshape", config: { name, target_shape: target }, name, inbound_nodes: [{ args: [kt(from, fromShape)], kwargs: {} }] });
  const multiply = (name: string, a: [string, number[]], b: [string, number[]]) => ({ module: "keras.layers", class_name: "Multiply", config: { name }, name, inbound_nodes: [{ args: [[kt(...a), kt(...b)]], kwargs: {} }] });
  const model: LayerConfig = {
    class_name: "Functional",
    config: {
      name: "outer",
      layers: [
        { module: "keras.layers", class_name: "InputLayer", config: { name: "input_layer", batch_shape: [null, 8, 8, 3], dtype: "float32" }, name: "input_layer", inbound_nodes: [] },
        reshape("col", "input_layer", [8, 8, 3], [192, 1, 1]),
        reshape("row", "input_layer", [8, 8, 3], [1, 192, 1]),
        multiply("outer1", ["col", [192, 1, 1]], ["row", [1, 192, 1]]),
        reshape("col2", "outer1", [192, 192, 1], [36864, 1, 1]),
        reshape("row2", "outer1", [192, 192, 1], [1, 36864, 1]),
        multiply("outer2", ["col2", [36864, 1, 1]], ["row2", [1, 36864, 1]]),
        { module: "keras.layers", class_name: "GlobalAveragePooling2D", config: { name: "gap", data_format: "channels_last", keepdims: false }, name: "gap", inbound_nodes: [{ args: [kt("outer2", [36864, 36864, 1])], kwargs: {} }] },
      ],
      input_layers: [["input_layer", 0, 0]],
      output_layers: [["gap", 0, 0]],
    },
  };
  const translated = KerasToOnnx.translate(model, { id: "/", weights: () => null, enter: () => { throw new Error("no nested models"); } });
  expect(translated.layers.find((l) => l.name === "outer2")?.outputShape).toBe("(None, 36864, 36864, 1)");
  const summary = { ...translated, format: "keras", formatLabel: "Keras 3 (.keras)" } as unknown as ModelSummary;
  // Within the parameter and FLOP limits…
  expect(() => checkModel(summary, null, { ...DEFAULT_LIMITS, maxActivationValues: undefined })).not.toThrow();
  // …but 1,358,954,496 values against the limit of 16,777,216.
  let refused: unknown;
  try {
    checkModel(summary, null, DEFAULT_LIMITS);
  } catch (e) {
    refused = e;
  }
  expect(refused).toBeInstanceOf(ModelRefused);
  expect(refused).toMatchObject({ code: "too_much_memory" });
  expect((refused as Error).message).toContain('Layer "outer2" outputs 1,358,954,496 values per image');
});
