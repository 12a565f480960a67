// Inference batches: large for small inputs, but within the activation budget (hand-computed figures).
import { ACTIVATION_BYTES, inferenceBatchSize, largestActivation } from "../../src/grading/batching.js";

test("the largest layer output is read from the summary's shapes", () => {
  expect(largestActivation([{ outputShape: "(None, 32, 32, 3)" }, { outputShape: "(None, 30, 30, 256)" }, { outputShape: "(None, 43)" }])).toBe(30 * 30 * 256);
  expect(largestActivation([{ outputShape: "[(None, 8, 8, 4), (None, 16, 16, 2)]" }])).toBe(512);
  expect(largestActivation(null)).toBeNull();
  expect(largestActivation([])).toBeNull();
});

test("a small model on 32×32 images gets 682 images a batch (2^21 input values)", () => {
  // The reference CNN's largest output is 30×30×32 = 28,800 values: 3 × 4 B × 28,800 × 682 ≈ 236 MB < 512 MB.
  expect(inferenceBatchSize(32 * 32 * 3, 30 * 30 * 32, 64)).toBe(682);
});

test("a wide model gets a batch its activations fit, below the job's own batch if need be, never below one image", () => {
  // 256 channels at 32×32: 262,144 values an image; 512 MiB / (12 B × 262,144) = 170.67 → 170.
  expect(ACTIVATION_BYTES).toBe(536_870_912);
  expect(inferenceBatchSize(32 * 32 * 3, 32 * 32 * 256, 64)).toBe(170);
  // Even wider: 512 MiB / (12 B × 2,097,152) = 21.33 → 21 images, fewer than the job's 64 (1.6 GB of activations).
  expect(inferenceBatchSize(32 * 32 * 3, 32 * 32 * 2048, 64)).toBe(21);
  // 64 M values an image (past the grader's limit, but here the batch alone): 512 MiB / (12 B × 2^26) < 1 → 1.
  expect(inferenceBatchSize(32 * 32 * 3, 2 ** 26, 64)).toBe(1);
  // Unknown activations (an ONNX upload): the job's batch.
  expect(inferenceBatchSize(32 * 32 * 3, null, 64)).toBe(64);
});
