// Prints a model's probabilities on the 16 fixture images as JSON. Used for ONNX from
// tests: under Jest's module sandbox, ONNX Runtime rejects typed arrays from another realm.
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_ZIP_LIMITS } from "../../src/grading/archive.js";
import { loadModel } from "../../src/grading/models.js";
import { fixtureInputs } from "./grading.js";

const model = await loadModel(process.argv[2]!, { zip: DEFAULT_ZIP_LIMITS });
const out = await model.predict(tf.tensor4d(fixtureInputs(), [16, 32, 32, 3]));
const k = model.summary.outputClasses;
process.stdout.write(JSON.stringify({ format: model.summary.format, input: model.input, outputClasses: k, rows: Array.from({ length: 16 }, (_x, i) => Array.from(out.subarray(i * k, (i + 1) * k))) }));
