import { computeMetrics, COURSE_RULE, describeRule, points, publicMask, splitIndices } from "../../src/grading/metrics.js";

test("accuracy, per-class precision/recall/F1, macro-F1 and the confusion matrix, against hand-computed values", () => {
  // truth:     0 0 0 1 1 2 2 2 2 3
  // predicted: 0 0 1 1 2 2 2 2 0 3
  const m = computeMetrics([0, 0, 0, 1, 1, 2, 2, 2, 2, 3], [0, 0, 1, 1, 2, 2, 2, 2, 0, 3], 4, ["a", "b", "c", "d"]);
  expect(m.n).toBe(10);
  expect(m.accuracy).toBeCloseTo(7 / 10, 12);
  // class 0: TP 2, predicted 3, support 3 → P 2/3, R 2/3, F1 2/3
  // class 1: TP 1, predicted 2, support 2 → P 1/2, R 1/2, F1 1/2
  // class 2: TP 3, predicted 4, support 4 → P 3/4, R 3/4, F1 3/4
  // class 3: TP 1, predicted 1, support 1 → 1, 1, 1
  const f1 = m.perClass.map((c) => c.f1);
  [2 / 3, 1 / 2, 3 / 4, 1].forEach((v, i) => expect(f1[i]).toBeCloseTo(v, 12));
  expect(m.perClass.map((c) => c.support)).toEqual([3, 2, 4, 1]);
  expect(m.macroF1).toBeCloseTo((2 / 3 + 1 / 2 + 3 / 4 + 1) / 4, 12);
  expect(m.confusion).toEqual([
    [2, 1, 0, 0],
    [0, 1, 1, 0],
    [1, 0, 3, 0],
    [0, 0, 0, 1],
  ]);
  expect(m.mostConfused.map((p) => `${p.trueName}→${p.predictedName}:${p.count}`)).toEqual(["a→b:1", "b→c:1", "c→a:1"]);
});

test("precision and recall are 0 where undefined; macro-F1 averages classes present in truth or predictions (as sklearn)", () => {
  // Class 2 never predicted (recall 0), class 3 only predicted (precision 0), class 4 absent entirely.
  const m = computeMetrics([0, 1, 2, 2], [0, 1, 3, 3], 5);
  expect(m.perClass[2]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 2 });
  expect(m.perClass[3]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0, predicted: 2 });
  expect(m.macroF1).toBeCloseTo((1 + 1 + 0 + 0) / 4, 12);
  expect(m.accuracy).toBe(0.5);
});

test("the course's points rule: 0.79 → 0, 0.91 → 100, linear, clamped", () => {
  const p = (macroF1: number) => points({ macroF1, accuracy: 0 });
  expect(p(0.5)).toBe(0);
  expect(p(0.79)).toBe(0);
  expect(p(0.85)).toBe(50);
  expect(p(0.88)).toBe(75);
  expect(p(0.91)).toBe(100);
  expect(p(0.99)).toBe(100);
  expect(points({ macroF1: 0, accuracy: 0.6 }, { metric: "accuracy", zeroAt: 0.5, fullAt: 0.7, max: 10 })).toBe(5);
  expect(describeRule(COURSE_RULE)).toBe("macro-F1 scaled linearly from 0.79 (0 points) to 0.91 (100 points), clamped");
});

test("the public/private split is stratified, disjoint, covers everything and is stable for a seed", () => {
  const labels = Array.from({ length: 1000 }, (_x, i) => (i * 7) % 43);
  const pub = splitIndices(labels, "public", "seed-a");
  const priv = splitIndices(labels, "private", "seed-a");
  expect(pub.length + priv.length).toBe(1000);
  expect(new Set([...pub, ...priv]).size).toBe(1000);
  // Each class split within one image of half.
  for (let c = 0; c < 43; c++) {
    const total = labels.filter((l) => l === c).length;
    const inPub = pub.filter((i) => labels[i] === c).length;
    expect(Math.abs(inPub - total / 2)).toBeLessThanOrEqual(0.5);
  }
  expect(splitIndices(labels, "public", "seed-a")).toEqual(pub);
  expect(splitIndices(labels, "public", "seed-b")).not.toEqual(pub);
  // Another share, rounded per class: 1000 = 43·23 + 11, so 11 classes have 24 images and
  // 32 have 23; round(24·0.3) = round(23·0.3) = 7 public each, 43·7 = 301 in all.
  expect(publicMask(labels, "seed-a", 0.3).filter(Boolean).length).toBe(301);
  expect(splitIndices(labels, "all", "x")).toHaveLength(1000);
});
