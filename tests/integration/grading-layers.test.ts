// Keras layers the translator takes, each checked on a tiny input against values computed
// by hand from Keras's definition (the arithmetic is written out in each test), and the
// settings it refuses, naming the layer, its class and the field.
import * as ort from "onnxruntime-node";
import { ModelRefused } from "../../src/grading/errors.js";
import { KerasToOnnx, type LayerConfig, type WeightArray, type WeightScope } from "../../src/grading/onnx/keras-onnx.js";

type Json = Record<string, unknown>;

/** A Sequential model config: an input of `shape` (height, width, channels), `layers`, then Flatten. */
function sequential(shape: number[], layers: { class_name: string; config: Json }[]): LayerConfig {
  return {
    class_name: "Sequential",
    config: {
      name: "sequential",
      layers: [
        { class_name: "InputLayer", config: { name: "input_layer", batch_shape: [null, ...shape], dtype: "float32" } },
        ...layers.map((l) => ({ module: "keras.layers", registered_name: null, ...l })),
        { module: "keras.layers", class_name: "Flatten", config: { name: "flatten", data_format: "channels_last" } },
      ],
    },
  };
}

/** Weights by layer name (Keras's order), as a file would hold them. */
function scope(weights: Record<string, WeightArray[]> = {}): WeightScope {
  return { id: "/", weights: (l) => weights[l.name] ?? null, enter: () => scope(weights) };
}

/** Translates and runs one image (NHWC values); returns the flattened output. */
async function run(model: LayerConfig, image: number[], weights: Record<string, WeightArray[]> = {}, opts: Parameters<typeof KerasToOnnx.translate>[2] = {}): Promise<number[]> {
  const t = KerasToOnnx.translate(model, scope(weights), opts);
  const session = await ort.InferenceSession.create(t.onnx);
  const dims = [1, ...(t.inputShape.slice(1) as number[])];
  const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor("float32", Float32Array.from(image), dims) });
  await session.release();
  return Array.from(out[session.outputNames[0]!]!.data as Float32Array);
}

function refusal(model: LayerConfig, weights: Record<string, WeightArray[]> = {}, opts: Parameters<typeof KerasToOnnx.translate>[2] = {}): string {
  try {
    KerasToOnnx.translate(model, scope(weights), opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelRefused);
    return (e as Error).message;
  }
  throw new Error("the model was not refused");
}

const close = (got: number[], want: number[]) => {
  expect(got).toHaveLength(want.length);
  got.forEach((v, k) => expect(v).toBeCloseTo(want[k]!, 5));
};

const resizing = (config: Json) => ({ class_name: "Resizing", config: { name: "resize", interpolation: "bilinear", crop_to_aspect_ratio: false, pad_to_aspect_ratio: false, fill_mode: "constant", fill_value: 0, antialias: false, data_format: "channels_last", ...config } });

describe("Resizing (tf.image.resize: half-pixel centres)", () => {
  // One channel, 2×2: [[0, 4], [8, 12]].
  const image = [0, 4, 8, 12];

  test("bilinear 2×2 → 4×4", async () => {
    // Output index o reads source (o + 0.5)·(2/4) − 0.5 = −0.25, 0.25, 0.75, 1.25; a source below 0
    // or above 1 clamps to the edge pixel, otherwise it mixes pixels 0 and 1 by its fraction.
    // Along a row [0, 4]: 0, 0 + 0.25·4 = 1, 0 + 0.75·4 = 3, 4; along [8, 12]: 8, 9, 11, 12.
    // Down the columns the same weights: row 1 = top + 0.25·(bottom − top) = top + 2, row 2 = top + 6.
    const got = await run(sequential([2, 2, 1], [resizing({ height: 4, width: 4 })]), image);
    close(got, [0, 1, 3, 4, 2, 3, 5, 6, 6, 7, 9, 10, 8, 9, 11, 12]);
  });

  test("bilinear 1×4 → 1×2 (downscaling)", async () => {
    // Sources (o + 0.5)·2 − 0.5 = 0.5 and 2.5: halfway between pixels 0 and 1, and 2 and 3.
    const got = await run(sequential([1, 4, 1], [resizing({ height: 1, width: 2 })]), [0, 1, 2, 3]);
    close(got, [0.5, 2.5]);
  });

  test("nearest 2×2 → 4×4", async () => {
    // TF's half-pixel nearest: source floor((o + 0.5)·2/4) = floor(0.25, 0.75, 1.25, 1.75) = 0, 0, 1, 1.
    const got = await run(sequential([2, 2, 1], [resizing({ height: 4, width: 4, interpolation: "nearest" })]), image);
    close(got, [0, 0, 4, 4, 0, 0, 4, 4, 8, 8, 12, 12, 8, 8, 12, 12]);
  });

  test("RGB keeps its channels apart", async () => {
    // 1×2 → 1×4 of pixels (0, 10, 100) and (4, 20, 200): per channel 0, ¼, ¾ and 1 of the way.
    const got = await run(sequential([1, 2, 3], [resizing({ height: 1, width: 4 })]), [0, 10, 100, 4, 20, 200]);
    close(got, [0, 10, 100, 1, 12.5, 125, 3, 17.5, 175, 4, 20, 200]);
  });

  test.each([
    [{ interpolation: "bicubic" }, 'interpolation "bicubic" is not supported'],
    [{ interpolation: "area" }, 'interpolation "area" is not supported'],
    [{ crop_to_aspect_ratio: true }, 'the field "crop_to_aspect_ratio" (true)'],
    [{ pad_to_aspect_ratio: true }, 'the field "pad_to_aspect_ratio" (true)'],
    [{ antialias: true }, 'the field "antialias" (true)'],
    [{ data_format: "channels_first" }, 'data_format "channels_first" is not supported'],
  ])("refused: %j", (config, why) => {
    const message = refusal(sequential([2, 2, 1], [resizing({ height: 4, width: 4, ...config })]));
    expect(message).toContain('Layer "resize" (Resizing)');
    expect(message).toContain(why);
  });
});

describe("CenterCrop", () => {
  const grid = (h: number, w: number) => Array.from({ length: h * w }, (_x, k) => k); // pixel (r, c) = r·w + c

  test("4×4 → 2×2 starts at (4 − 2) // 2 = 1", async () => {
    // Rows 1–2, columns 1–2 of r·4 + c: 5, 6, 9, 10.
    close(await run(sequential([4, 4, 1], [{ class_name: "CenterCrop", config: { name: "crop", height: 2, width: 2, data_format: "channels_last" } }]), grid(4, 4)), [5, 6, 9, 10]);
  });

  test("5×4 → 2×3: offsets (5 − 2) // 2 = 1 and (4 − 3) // 2 = 0", async () => {
    // Rows 1–2, columns 0–2 of r·4 + c: 4, 5, 6, 8, 9, 10.
    close(await run(sequential([5, 4, 1], [{ class_name: "CenterCrop", config: { name: "crop", height: 2, width: 3 } }]), grid(5, 4)), [4, 5, 6, 8, 9, 10]);
  });

  test("a crop larger than the input is refused (Keras would resize it instead)", () => {
    const message = refusal(sequential([4, 4, 1], [{ class_name: "CenterCrop", config: { name: "crop", height: 6, width: 2 } }]));
    expect(message).toContain('Layer "crop" (CenterCrop)');
    expect(message).toContain("larger than its 4×4 input");
  });
});

describe("UnitNormalization (Keras 3.15: x · min(1/‖x‖, 1e12))", () => {
  test("per pixel over the channels (axis −1)", async () => {
    // Pixels (3, 4) → ‖x‖ = 5 → (0.6, 0.8); (1, 2) → ‖x‖ = √5 → (1/√5, 2/√5); (0, 0) stays 0 (1/‖x‖ capped at 1e12).
    const got = await run(sequential([1, 3, 2], [{ class_name: "UnitNormalization", config: { name: "unit", axis: -1 } }]), [3, 4, 1, 2, 0, 0]);
    close(got, [0.6, 0.8, 1 / Math.sqrt(5), 2 / Math.sqrt(5), 0, 0]);
  });

  test("over the whole image (axis [1, 2, 3])", async () => {
    // (1, 2, 2, 4): ‖x‖ = √(1 + 4 + 4 + 16) = 5.
    const got = await run(sequential([1, 2, 2], [{ class_name: "UnitNormalization", config: { name: "unit", axis: [1, 2, 3] } }]), [1, 2, 2, 4]);
    close(got, [0.2, 0.4, 0.4, 0.8]);
  });

  test("the batch axis is refused", () => {
    expect(refusal(sequential([1, 2, 2], [{ class_name: "UnitNormalization", config: { name: "unit", axis: 0 } }]))).toContain('Layer "unit" (UnitNormalization): axis 0 is not supported');
  });
});

describe("GroupNormalization", () => {
  const f32 = (...v: number[]) => ({ data: Float32Array.from(v), shape: [v.length] });
  const gn = (config: Json) => ({ class_name: "GroupNormalization", config: { name: "gn", groups: 2, axis: -1, epsilon: 0.75, center: true, scale: true, ...config } });
  // 1×2 pixels, 4 channels: pixel 0 = (1, 2, 3, 4), pixel 1 = (5, 6, 7, 8). Two groups: channels 0–1 and 2–3.
  const image = [1, 2, 3, 4, 5, 6, 7, 8];

  test("two groups of two channels, γ and β per channel", async () => {
    // Group 0 holds 1, 2, 5, 6: mean 3.5, variance (2.5² + 1.5² + 1.5² + 2.5²) / 4 = 17/4 = 4.25;
    // group 1 holds 3, 4, 7, 8: mean 5.5, variance 4.25. With ε = 0.75 the divisor is √5.
    // Then ·γ = (1, 2, 3, 4) and +β = (0, 0, 1, −1) per channel.
    const d = Math.sqrt(5);
    const want = [
      ((1 - 3.5) / d) * 1 + 0, ((2 - 3.5) / d) * 2 + 0, ((3 - 5.5) / d) * 3 + 1, ((4 - 5.5) / d) * 4 - 1,
      ((5 - 3.5) / d) * 1 + 0, ((6 - 3.5) / d) * 2 + 0, ((7 - 5.5) / d) * 3 + 1, ((8 - 5.5) / d) * 4 - 1,
    ];
    close(await run(sequential([1, 2, 4], [gn({})]), image, { gn: [f32(1, 2, 3, 4), f32(0, 0, 1, -1)] }), want);
  });

  test("groups −1 is instance normalisation (one group per channel); no γ, β when scale and center are off", async () => {
    // Channel 0 holds 1 and 5: mean 3, variance 4, + ε 0.75 → divisor √4.75; every channel likewise (±2 around its mean).
    const d = Math.sqrt(4.75);
    const got = await run(sequential([1, 2, 4], [gn({ groups: -1, center: false, scale: false })]), image);
    close(got, [-2 / d, -2 / d, -2 / d, -2 / d, 2 / d, 2 / d, 2 / d, 2 / d]);
  });

  test("refused: groups that do not divide the channels, a channel axis other than the last", () => {
    expect(refusal(sequential([1, 2, 4], [gn({ groups: 3 })]), { gn: [f32(1, 1, 1, 1), f32(0, 0, 0, 0)] })).toContain('Layer "gn" (GroupNormalization): groups 3 does not divide its 4 channels');
    expect(refusal(sequential([1, 2, 4], [gn({ axis: 1 })]), { gn: [f32(1, 1, 1, 1), f32(0, 0, 0, 0)] })).toContain('Layer "gn" (GroupNormalization): axis 1 is not supported');
  });
});

describe("LayerScale (ConvNeXt's)", () => {
  test("multiplies each channel by its γ", async () => {
    // Pixels (3, 4) and (−1, 2) times γ = (2, 0.5): (6, 2) and (−2, 1).
    const model = sequential([1, 2, 2], [{ class_name: "LayerScale", config: { name: "scale", init_values: 1e-6, projection_dim: 2 } }]);
    close(await run(model, [3, 4, -1, 2], { scale: [{ data: Float32Array.of(2, 0.5), shape: [2] }] }), [6, 2, -2, 1]);
  });

  test("a γ of another size than projection_dim is refused as weights that do not match", () => {
    const model = sequential([1, 2, 2], [{ class_name: "LayerScale", config: { name: "scale", init_values: 1e-6, projection_dim: 2 } }]);
    expect(refusal(model, { scale: [{ data: Float32Array.of(1, 2, 3), shape: [3] }] })).toContain('Layer "scale" (LayerScale): weight 0 has shape [3]');
  });
});

test("LayerNormalization with rms_scaling is refused naming the field", () => {
  const model = sequential([1, 2, 2], [{ class_name: "LayerNormalization", config: { name: "ln", axis: -1, epsilon: 1e-3, center: true, scale: true, rms_scaling: true } }]);
  expect(refusal(model, { ln: [{ data: Float32Array.of(1, 1), shape: [2] }, { data: Float32Array.of(0, 0), shape: [2] }] })).toContain('Layer "ln" (LayerNormalization): rms_scaling=True is not supported');
});

test("a MobileNetV2 transfer model (keras.applications, alpha 1.0, 96 px, inside a Sequential) translates and runs", async () => {
  // Built as Keras 3 saves it, with random weights: this checks the translator takes the whole
  // architecture (inverted residual blocks, correct_pad, ReLU(6), Add); that its outputs are
  // Keras's can only be checked against a file Keras wrote (a fixture), which this is not.
  const { writeMobileNetV2Transfer } = await import("../helpers/mobilenet-v2.js");
  const { loadModel } = await import("../../src/grading/models.js");
  const { DEFAULT_ZIP_LIMITS } = await import("../../src/grading/archive.js");
  const tf = await import("@tensorflow/tfjs");
  const { tempDir } = await import("../helpers/grading.js");
  const t = tempDir("mobilenetv2-");
  try {
    const file = `${t.dir}/mobilenetv2.keras`;
    await writeMobileNetV2Transfer(file, { size: 96, classes: 43 });
    const model = await loadModel(file, { zip: DEFAULT_ZIP_LIMITS });
    // Keras's published count for MobileNetV2(include_top=False, alpha=1.0): 2,257,984; plus Dense(43) on 1,280 features.
    expect(model.summary.params).toBe(2_257_984 + 1280 * 43 + 43);
    expect(model.input).toMatchObject({ height: 96, width: 96, channels: 3, layout: "NHWC" });
    expect(model.summary.layers!.filter((l) => l.className === "Add")).toHaveLength(10); // blocks 2, 4, 5, 7, 8, 9, 11, 12, 14, 15
    const x = tf.randomUniform([2, 96, 96, 3], 0, 255, "float32", 1) as import("@tensorflow/tfjs").Tensor4D;
    const out = await model.predict(x);
    x.dispose();
    model.dispose();
    expect(out).toHaveLength(2 * 43);
    for (const row of [out.subarray(0, 43), out.subarray(43)]) {
      expect(row.every(Number.isFinite)).toBe(true);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5); // softmax
    }
  } finally {
    t.remove();
  }
}, 120_000);

describe("merge layers broadcast like Keras 3 (squeeze-and-excite: EfficientNet, MobileNetV3)", () => {
  const kt = (from: string, shape: (number | null)[]) => ({ class_name: "__keras_tensor__", config: { shape: [null, ...shape], dtype: "float32", keras_history: [from, 0, 0] } });
  /** Functional: x (h, w, c) → GlobalAveragePooling2D(keepdims) → <merge>([x, pooled]) → Flatten. */
  function squeezeExcite(merge: string, shape: number[], swap = false): LayerConfig {
    const pooled = [1, 1, shape[2]!];
    const pair = swap ? [kt("gap", pooled), kt("input_layer", shape)] : [kt("input_layer", shape), kt("gap", pooled)];
    return {
      class_name: "Functional",
      config: {
        name: "se",
        layers: [
          { module: "keras.layers", class_name: "InputLayer", config: { name: "input_layer", batch_shape: [null, ...shape], dtype: "float32" }, name: "input_layer", inbound_nodes: [] },
          { module: "keras.layers", class_name: "GlobalAveragePooling2D", config: { name: "gap", data_format: "channels_last", keepdims: true }, name: "gap", inbound_nodes: [{ args: [kt("input_layer", shape)], kwargs: {} }] },
          { module: "keras.layers", class_name: merge, config: { name: "merge" }, name: "merge", inbound_nodes: [{ args: [pair], kwargs: {} }] },
          { module: "keras.layers", class_name: "Flatten", config: { name: "flatten", data_format: "channels_last" }, name: "flatten", inbound_nodes: [{ args: [kt("merge", shape)], kwargs: {} }] },
        ],
        input_layers: [["input_layer", 0, 0]],
        output_layers: [["flatten", 0, 0]],
      },
    };
  }
  // One image 1×2 with 2 channels: pixels (1, 2) and (3, 6); channel means (2, 4).
  const image = [1, 2, 3, 6];

  test("Multiply of (1, 2, 2) by (1, 1, 2) scales each channel by its mean", async () => {
    // (1·2, 2·4, 3·2, 6·4) = (2, 8, 6, 24)
    close(await run(squeezeExcite("Multiply", [1, 2, 2]), image), [2, 8, 6, 24]);
  });

  test("the broadcast input may come first; Add and Subtract broadcast too", async () => {
    close(await run(squeezeExcite("Multiply", [1, 2, 2], true), image), [2, 8, 6, 24]);
    close(await run(squeezeExcite("Add", [1, 2, 2]), image), [3, 6, 5, 10]); // (1+2, 2+4, 3+2, 6+4)
    close(await run(squeezeExcite("Subtract", [1, 2, 2], true), image), [1, 2, -1, -2]); // (2−1, 4−2, 2−3, 4−6)
    close(await run(squeezeExcite("Maximum", [1, 2, 2]), image), [2, 4, 3, 6]);
  });

  test("shapes that do not broadcast are refused naming the layer and the shapes", () => {
    // 2 channels against 3 (a 1×1 Conv2D of 3 filters on the pooled pixel): Keras refuses it too.
    const bad: LayerConfig = JSON.parse(JSON.stringify(squeezeExcite("Multiply", [1, 2, 2])));
    const badLayers = (bad.config as { layers: Json[] }).layers;
    badLayers.splice(2, 0, { module: "keras.layers", class_name: "Conv2D", config: { name: "conv", filters: 3, kernel_size: [1, 1], strides: [1, 1], padding: "valid", data_format: "channels_last", dilation_rate: [1, 1], groups: 1, activation: "linear", use_bias: false }, name: "conv", inbound_nodes: [{ args: [kt("gap", [1, 1, 2])], kwargs: {} }] });
    (badLayers[3]!.inbound_nodes as { args: unknown[] }[])[0]!.args = [[kt("input_layer", [1, 2, 2]), kt("conv", [1, 1, 3])]];
    expect(refusal(bad, { conv: [{ data: new Float32Array(6), shape: [1, 1, 2, 3] }] })).toMatch(/Layer "merge" \(Multiply\): its inputs have shapes that do not broadcast \(\(None, 1, 2, 2\), \(None, 1, 1, 3\)\)/);
  });
});

describe("CustomScaleLayer (InceptionResNetV2's residual step: inputs[0] + inputs[1] · scale)", () => {
  const kt = (from: string, shape: number[]) => ({ class_name: "__keras_tensor__", config: { shape: [null, ...shape], dtype: "float32", keras_history: [from, 0, 0] } });
  /** Functional: x (1, 2, 2) → ReLU → CustomScaleLayer([x, relu(x)]) → Flatten. */
  function scaled(config: Json, module = "keras.src.applications.inception_resnet_v2"): LayerConfig {
    return {
      class_name: "Functional",
      config: {
        name: "irv2",
        layers: [
          { module: "keras.layers", class_name: "InputLayer", config: { name: "input_layer", batch_shape: [null, 1, 2, 2], dtype: "float32" }, name: "input_layer", inbound_nodes: [] },
          { module: "keras.layers", class_name: "ReLU", config: { name: "relu" }, name: "relu", inbound_nodes: [{ args: [kt("input_layer", [1, 2, 2])], kwargs: {} }] },
          { module, class_name: "CustomScaleLayer", registered_name: "CustomScaleLayer", config: { name: "custom_scale_layer", ...config }, name: "custom_scale_layer", inbound_nodes: [{ args: [[kt("input_layer", [1, 2, 2]), kt("relu", [1, 2, 2])]], kwargs: {} }] },
          { module: "keras.layers", class_name: "Flatten", config: { name: "flatten", data_format: "channels_last" }, name: "flatten", inbound_nodes: [{ args: [kt("custom_scale_layer", [1, 2, 2])], kwargs: {} }] },
        ],
        input_layers: [["input_layer", 0, 0]],
        output_layers: [["flatten", 0, 0]],
      },
    };
  }

  test("x + relu(x) · 0.17", async () => {
    // (1, −2, 3, −4) + 0.17 · (1, 0, 3, 0) = (1.17, −2, 3.51, −4)
    close(await run(scaled({ scale: 0.17 }), [1, -2, 3, -4]), [1.17, -2, 3.51, -4]);
  });

  test("refused: a scale that is not a number, another field, a CustomScaleLayer from elsewhere", () => {
    expect(refusal(scaled({ scale: "0.17" }))).toContain('Layer "custom_scale_layer" (CustomScaleLayer): scale "0.17" is not a number');
    expect(refusal(scaled({ scale: 0.17, axis: 1 }))).toContain('Layer "custom_scale_layer" (CustomScaleLayer): the field "axis" (1) is not translated');
    expect(refusal(scaled({ scale: 0.17 }, "keras.src.layers.other"))).toContain('Layer "custom_scale_layer" (CustomScaleLayer): only keras.applications\' InceptionResNetV2 CustomScaleLayer is supported');
  });
});

describe("op layers of keras.applications' preprocess_input (x[..., k], ops.stack, a constant tensor)", () => {
  const kt = (from: string, shape: number[]) => ({ class_name: "__keras_tensor__", config: { shape: [null, ...shape], dtype: "float32", keras_history: [from, 0, 0] } });
  const op = (class_name: string, name: string, args: unknown[], config: Json = {}) => ({ module: "keras.src.ops.numpy", class_name, registered_name: class_name, config: { name, ...config }, name, inbound_nodes: [{ args, kwargs: {} }] });
  const dots = { class_name: "__ellipsis__", config: {} };
  /** Functional over a (1, 2, 2) image: `body` op layers, the last one flattened. */
  function functional(body: Json[], last: string, lastShape: number[]): LayerConfig {
    return {
      class_name: "Functional",
      config: {
        name: "ops",
        layers: [
          { module: "keras.layers", class_name: "InputLayer", config: { name: "input_layer", batch_shape: [null, 1, 2, 2], dtype: "float32" }, name: "input_layer", inbound_nodes: [] },
          ...body,
          { module: "keras.layers", class_name: "Flatten", config: { name: "flatten", data_format: "channels_last" }, name: "flatten", inbound_nodes: [{ args: [kt(last, lastShape)], kwargs: {} }] },
        ],
        input_layers: [["input_layer", 0, 0]],
        output_layers: [["flatten", 0, 0]],
      },
    };
  }
  // One image of two pixels with channels (1, 2) and (3, 4).
  const image = [1, 2, 3, 4];
  const swapChannels = [
    op("GetItem", "get_item", [kt("input_layer", [1, 2, 2]), [dots, 1]]),
    op("GetItem", "get_item_1", [kt("input_layer", [1, 2, 2]), [dots, 0]]),
    op("Stack", "stack", [[kt("get_item", [1, 2]), kt("get_item_1", [1, 2])]], { axis: -1 }),
  ];

  test("a tensor whose batch axis would line up with another tensor's image axis is refused (one image's output would depend on the others in its batch)", () => {
    // (None, 1, 2, 2) + (None, 1, 1, 2, 2): numpy lines the first's batch up with the second's first image axis.
    const reshape = { module: "keras.layers", class_name: "Reshape", config: { name: "reshape", target_shape: [1, 1, 2, 2] }, name: "reshape", inbound_nodes: [{ args: [kt("input_layer", [1, 2, 2])], kwargs: {} }] };
    const add = op("Add", "add", [kt("input_layer", [1, 2, 2]), kt("reshape", [1, 1, 2, 2])]);
    expect(refusal(functional([reshape, add], "add", [1, 1, 2, 2]))).toContain('Op layer "add" (Add) has arguments whose shapes do not broadcast over the images');
  });

  test("x[..., ::-1] as Keras stores it (GetItem per channel, Stack on the last axis) swaps the channels", async () => {
    close(await run(functional(swapChannels, "stack", [1, 2, 2]), image), [2, 1, 4, 3]);
  });

  test("+ a constant tensor of shape (1, 1, 1, 2) adds per channel; a (2,) one too", async () => {
    const mean = { class_name: "__tensor__", config: { value: [[[[-10, -20]]]], dtype: "float32" } };
    close(await run(functional([...swapChannels, op("Add", "add", [kt("stack", [1, 2, 2]), mean])], "add", [1, 2, 2]), image), [2 - 10, 1 - 20, 4 - 10, 3 - 20]);
    const std = { class_name: "__tensor__", config: { value: [2, 4], dtype: "float32" } };
    close(await run(functional([op("TrueDivide", "true_divide", [kt("input_layer", [1, 2, 2]), std])], "true_divide", [1, 2, 2]), image), [0.5, 0.5, 1.5, 1]);
  });

  test("x[..., 1, 0] (integers on two axes): the second pixel's first channel", async () => {
    close(await run(functional([op("GetItem", "get_item", [kt("input_layer", [1, 2, 2]), [dots, 1, 0]])], "get_item", [1]), image), [3]);
  });

  test("refused by name: a slice in the index, a constant that would stretch the batch, an unknown setting", () => {
    const slice = { class_name: "__slice__", config: { start: null, stop: null, step: -1 } };
    expect(refusal(functional([op("GetItem", "get_item", [kt("input_layer", [1, 2, 2]), [dots, slice]])], "get_item", [1, 2, 2]))).toContain('Op layer "get_item" (GetItem) has an index the grader cannot translate');
    const batch = { class_name: "__tensor__", config: { value: [[[[1, 2]]], [[[3, 4]]]], dtype: "float32" } };
    expect(refusal(functional([op("Add", "add", [kt("input_layer", [1, 2, 2]), batch])], "add", [1, 2, 2]))).toContain('Op layer "add" (Add) has arguments whose shapes do not broadcast over the images ((None, 1, 2, 2), (2, 1, 1, 2))');
    expect(refusal(functional([op("Stack", "stack", [[kt("input_layer", [1, 2, 2]), kt("input_layer", [1, 2, 2])]], { axis: -1, dtype: "int8" })], "stack", [1, 2, 2, 2]))).toContain('Op layer "stack" (Stack) has the setting "dtype" ("int8")');
  });

  test("a constant tensor over 65,536 values is refused (it would be a weight that no limit counts)", () => {
    // (1, 1, 1, 65,537) values: one over the cap; (1, 1, 1, 2) as above is fine.
    const big = { class_name: "__tensor__", config: { value: [[[Array.from({ length: 65_537 }, () => 0)]]], dtype: "float32" } };
    expect(refusal(functional([op("Add", "add", [kt("input_layer", [1, 2, 2]), big])], "add", [1, 2, 2]))).toContain("constant tensor of 65,537 values");
  });
});

// Which mode `predict` runs a layer called with training=True in depends on the Keras that wrote the file
// (read from Keras's source): Keras 2 and TF.js honour the explicit flag; Keras 3.0–3.15's Functional.call
// passes predict's training=False to every layer over it (functional.py, operation_fn); from Keras 3.16
// the explicit flag wins again (keras-team/keras#23364, layer.py _resolve_and_populate_arg).
test("training=True: refused where Keras predicts in training mode (Keras 2, TF.js, Keras ≥ 3.16), translated for inference where Keras 3.0–3.15 predicts in inference mode; training=False is fine", async () => {
  const kt = (from: string) => ({ class_name: "__keras_tensor__", config: { shape: [null, 1, 1, 2], dtype: "float32", keras_history: [from, 0, 0] } });
  const model = (training: boolean): LayerConfig => ({
    class_name: "Functional",
    config: {
      name: "outer",
      layers: [
        { module: "keras.layers", class_name: "InputLayer", config: { name: "input_layer", batch_shape: [null, 1, 1, 2], dtype: "float32" }, name: "input_layer", inbound_nodes: [] },
        { module: "keras.layers", class_name: "BatchNormalization", config: { name: "bn", axis: -1, epsilon: 0, center: true, scale: true }, name: "bn", inbound_nodes: [{ args: [kt("input_layer")], kwargs: { training } }] },
        { module: "keras.layers", class_name: "Flatten", config: { name: "flatten", data_format: "channels_last" }, name: "flatten", inbound_nodes: [{ args: [kt("bn")], kwargs: {} }] },
      ],
      input_layers: [["input_layer", 0, 0]],
      output_layers: [["flatten", 0, 0]],
    },
  });
  // γ (1, 1), β (0, 0), moving mean (1, 2), moving variance (4, 16), ε 0: ((3 − 1)/2, (6 − 2)/4) = (1, 1).
  const weights = { bn: [Float32Array.of(1, 1), Float32Array.of(0, 0), Float32Array.of(1, 2), Float32Array.of(4, 16)].map((data) => ({ data, shape: [2] })) };
  close(await run(model(false), [3, 6], weights), [1, 1]);
  // Keras 3.15 (and a .keras file without metadata): predict runs bn on its moving statistics.
  close(await run(model(true), [3, 6], weights, { kerasVersion: "3.15.1" }), [1, 1]);
  close(await run(model(true), [3, 6], weights), [1, 1]);
  expect(refusal(model(true), weights, { kerasVersion: "3.16.0" })).toContain('Layer "bn" (BatchNormalization) is called with training=True');
  // Keras 2's node form: [[layer, node, tensor, kwargs]].
  const keras2 = model(true);
  const layers = (keras2.config as { layers: LayerConfig[] }).layers;
  layers[1]!.inbound_nodes = [[["input_layer", 0, 0, { training: true }]]];
  layers[2]!.inbound_nodes = [[["bn", 0, 0, {}]]];
  expect(refusal(keras2, weights, { legacy: true })).toContain('Layer "bn" (BatchNormalization) is called with training=True');
  layers[1]!.inbound_nodes = [[["input_layer", 0, 0, { training: false }]]];
  close(await run(keras2, [3, 6], weights, { legacy: true }), [1, 1]);
});
