// SubmissionResult.details (a JSON column) is written by the scoring job with its version and read
// back through its versioned schema: what the job stores reads back as it was, a row from before
// the version was stored is version 1, and a row that does not fit is null (the page says so), never cast.
import type { ScoreResult } from "../../src/grading/score.js";
import { readResultDetails, resultDetails } from "../../src/casestudy/scoring.result.js";

const classNames = ["stop", "yield", "speed limit 30"];
/** One split's result, by hand: 4 images, one "yield" taken for "stop". */
const split = (name: ScoreResult["split"]): ScoreResult => ({
  split: name, n: 4, accuracy: 0.75, macroF1: 0.7778, macroPrecision: 0.8333, macroRecall: 0.8333,
  perClass: [
    { classId: 0, name: "stop", precision: 0.5, recall: 1, f1: 0.6667, support: 1, predicted: 2 },
    { classId: 1, name: "yield", precision: 1, recall: 0.5, f1: 0.6667, support: 2, predicted: 1 },
    { classId: 2, name: "speed limit 30", precision: 1, recall: 1, f1: 1, support: 1, predicted: 1 },
  ],
  confusion: [[1, 0, 0], [1, 1, 0], [0, 0, 1]],
  mostConfused: [{ trueClass: 1, predicted: 0, count: 1, trueName: "yield", predictedName: "stop" }],
  points: 0, rule: "macro-F1 scaled linearly from 0.79 (0 points) to 0.91 (100 points), clamped", engine: "ONNX Runtime (CPU)",
  inferenceSeconds: 0.02, imagesPerSecond: 200,
  model: { format: "onnx", formatLabel: "ONNX", inputShape: [null, 32, 32, 3], outputClasses: 3, params: 1234, flopsPerImage: null, layers: null },
  kind: "model", preprocessing: "RGB, 32×32, values 0 to 1", misclassified: [{ filename: "img-1-02.png", trueClass: 1, predicted: 0, confidence: null }],
  classNames,
});
const run = { public: split("public"), private: split("private"), all: split("all") };
/** Through the database: a JSON column keeps what JSON keeps. */
const stored = (json: unknown) => JSON.parse(JSON.stringify(json)) as unknown;
const withoutNames = ({ classNames: _names, ...rest }: ScoreResult) => rest;

test("what the scoring job stores says its version (1), keeps the class names once, and reads back as it was", () => {
  const json = stored(resultDetails(run)) as Record<string, unknown>;
  expect(json.version).toBe(1);
  expect((json.public as Record<string, unknown>).classNames).toBeUndefined();
  expect(readResultDetails(json)).toEqual({ classNames, public: withoutNames(run.public), private: withoutNames(run.private), all: withoutNames(run.all) });
});

test("a row stored before the version was (no version field, each split with its class names) is version 1", () => {
  const old = stored({ classNames, public: run.public, private: run.private, all: run.all });
  expect(readResultDetails(old)?.public.misclassified).toEqual([{ filename: "img-1-02.png", trueClass: 1, predicted: 0, confidence: null }]);
});

test("a row that does not fit is null: empty, another shape, a field of the wrong type, a split missing, a later version", () => {
  const good = stored(resultDetails(run)) as Record<string, Record<string, unknown>>;
  const rows: unknown[] = [
    {}, null, "details", [],
    { classNames, public: { accuracy: "90%" } },
    { ...good, public: { ...good.public, confusion: "[[1]]" } },
    { ...good, public: { ...good.public, misclassified: [{ filename: 7, trueClass: 1, predicted: 0, confidence: null }] } },
    { ...good, private: undefined },
    { ...good, version: 2 },
  ];
  expect(rows.map((r) => readResultDetails(stored(r)))).toEqual(rows.map(() => null));
});
