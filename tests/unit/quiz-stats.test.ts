import { efficiencyOf, median, quizStats, reportByQuiz, type StatAttempt } from "../../src/quiz/quiz.stats.js";

/** Attempts from item scores per question (1 point each). */
function attempts(rows: Record<string, number>[], extra: (q: string, i: number) => Partial<StatAttempt["slots"][number]> = () => ({})): StatAttempt[] {
  return rows.map((r, i) => {
    const score = Object.values(r).reduce((a, b) => a + b, 0);
    return {
      score, maxScore: Object.keys(r).length, seconds: 60 * (i + 1),
      slots: Object.entries(r).map(([q, s]) => ({ questionId: q, variant: "", points: 1, score: s, type: "single", textHtml: q, ...extra(q, i) })),
    };
  });
}

test("facility, SD, discrimination index and discriminative efficiency against hand-computed values", () => {
  const s = quizStats(attempts([
    { q1: 1, q2: 1, q3: 1 },
    { q1: 1, q2: 0, q3: 1 },
    { q1: 0, q2: 1, q3: 0 },
    { q1: 0, q2: 0, q3: 0 },
  ]));
  const q1 = s.questions.find((q) => q.questionId === "q1")!;
  expect(q1.facility).toBeCloseTo(50, 9);
  expect(q1.sd).toBeCloseTo(Math.sqrt(1 / 3) * 100, 9); // 57.735
  // rest = q2 + q3 = [2,1,1,0]; r = (1/3) / (sqrt(1/3)·sqrt(2/3)) = 0.7071
  expect(q1.discrimination).toBeCloseTo(70.7107, 3);
  expect(q1.efficiency).toBeCloseTo(100, 9);
  const q2 = s.questions.find((q) => q.questionId === "q2")!;
  expect(q2.discrimination).toBeCloseTo(0, 9); // rest = [2,2,0,0] against [1,0,1,0]
  expect(q2.flagged).toBe(false);
  // Quiz: 100, 66.7, 33.3, 0 %
  expect(s.mean).toBeCloseTo(50, 9);
  expect(s.median).toBeCloseTo(50, 9);
  expect(s.histogram).toEqual([1, 0, 0, 1, 0, 0, 1, 0, 0, 1]);
  expect(s.averageSeconds).toBe(150);
});

test("a question the weaker students get right has negative discrimination; flagged only from 30 attempts", () => {
  const rows = [
    { q1: 1, q2: 1, q3: 1, q4: 0 },
    { q1: 1, q2: 0, q3: 1, q4: 0 },
    { q1: 0, q2: 1, q3: 0, q4: 1 },
    { q1: 0, q2: 0, q3: 0, q4: 1 },
  ];
  const few = quizStats(attempts(rows)).questions.find((q) => q.questionId === "q4")!;
  // rest = [3,2,1,0] against [0,0,1,1]: r = −(2/3) / (sqrt(1/3)·sqrt(5/3)) = −0.8944
  expect(few.discrimination).toBeCloseTo(-89.4427, 3);
  expect(few.flagged).toBe(false); // 4 attempts: too few to call it
  // The same four attempts eight times over (32): the same correlation, now flagged.
  const many = quizStats(attempts(Array.from({ length: 8 }, () => rows).flat())).questions.find((q) => q.questionId === "q4")!;
  expect(many.n).toBe(32);
  expect(many.discrimination).toBeCloseTo(-89.4427, 3);
  expect(many.flagged).toBe(true);
  // Seven times over (28) is still under the line.
  expect(quizStats(attempts(Array.from({ length: 7 }, () => rows).flat())).questions.find((q) => q.questionId === "q4")!.flagged).toBe(false);
});

test("the report follows the quiz file's order and marks its right choices", () => {
  const s = quizStats(attempts([{ q2: 1, q1: 0 }, { q2: 0, q1: 1 }], (q, i) => (q === "q1" ? { options: ["A", "B"], chosen: [i] } : {})));
  const report = reportByQuiz(s, [{ id: "q1", correct: [false, true] }, { id: "q2" }]);
  expect(report.map((q) => [q.number, q.questionId])).toEqual([[1, "q1"], [2, "q2"]]);
  expect(report[0]!.choices.map((c) => [c.text, c.count, c.correct])).toEqual([["A", 1, false], ["B", 1, true]]);
  // A question no longer in the file goes last, its right answer unknown.
  const gone = reportByQuiz(s, [{ id: "q2" }]);
  expect(gone.map((q) => [q.number, q.questionId])).toEqual([[1, "q2"], [null, "q1"]]);
  expect(gone[1]!.choices.map((c) => c.correct)).toEqual([null, null]);
});

test("choice frequencies (distractor analysis) and facility per variant", () => {
  const s = quizStats(attempts([{ q: 1 }, { q: 0 }, { q: 1 }, { q: 0 }], (_q, i) => ({ options: ["right", "tempting", "silly"], chosen: [[0], [1], [0], [1]][i], variant: i % 2 ? "k=5" : "k=3" })));
  const q = s.questions[0]!;
  expect(q.choices.map((c) => [c.text, c.count, c.share])).toEqual([["right", 2, 0.5], ["tempting", 2, 0.5], ["silly", 0, 0]]);
  expect(q.variants).toEqual([{ variant: "k=5", n: 2, facility: 0 }, { variant: "k=3", n: 2, facility: 100 }]);
  expect(q.discrimination).toBeNull(); // no other question: the rest score does not vary
});

test("median and empty input", () => {
  expect(median([3, 1, 2])).toBe(2);
  expect(median([])).toBeNull();
  expect(quizStats([])).toMatchObject({ attempts: 0, mean: null, median: null, questions: [] });
});

test("discriminative efficiency below 100: the covariance over the one of both lists sorted", () => {
  // x = [1,0,1,0], y = [2,2,0,1]: cov = −0.5/3; sorted x [0,0,1,1] with sorted y [0,1,2,2]: 1.5/3 → −33.3 %
  expect(efficiencyOf([1, 0, 1, 0], [2, 2, 0, 1])).toBeCloseTo(-100 / 3, 9);
  expect(efficiencyOf([1, 1, 1], [0, 1, 2])).toBeNull(); // x does not vary
});

test("a grader's new mark counts as the attempt now stands: every item's rest score moves, counts stay", () => {
  const [a, b, c, d] = attempts([
    { q1: 1, q2: 1, q3: 1 },
    { q1: 1, q2: 0, q3: 1 },
    { q1: 0, q2: 1, q3: 0 },
    { q1: 0, q2: 0, q3: 0 },
  ], () => ({ options: ["right", "wrong"], chosen: [1] }));
  // The last attempt's q1 is given full marks by a grader: its score goes from 0 to 1.
  const changed: StatAttempt = { ...d!, score: 1, slots: d!.slots.map((s) => (s.questionId === "q1" ? { ...s, score: 1 } : s)) };
  const s = quizStats([a!, b!, c!, changed]);
  const q = (id: string) => s.questions.find((x) => x.questionId === id)!;
  // q1: x = [1,1,0,1] → facility 75%; rest y = [2,1,1,0]: cov = (0.25·1 + 0.25·0 − 0.75·0 + 0.25·(−1)) / 3 = 0.
  expect(q("q1").n).toBe(4);
  expect(q("q1").facility).toBeCloseTo(75, 9);
  expect(q("q1").discrimination).toBeCloseTo(0, 9);
  // q2: x = [1,0,1,0] unchanged; its rest y = [2,2,0,1] now (the last attempt's q1 counts).
  // cov = (0.5·0.75 − 0.5·0.75 + 0.5·(−1.25) − 0.5·(−0.25)) / 3 = −1/6; var x = 1/3, var y = 2.75/3.
  expect(q("q2").facility).toBeCloseTo(50, 9);
  expect(q("q2").discrimination).toBeCloseTo((-1 / 6 / Math.sqrt((1 / 3) * (2.75 / 3))) * 100, 9);
  // The picks are the same answers as before: counted once each.
  expect(q("q1").choices.map((x) => x.count)).toEqual([0, 4]);
  // Quiz: 100, 66.7, 33.3, 33.3 % → mean 58.3, median 50; the last attempt in the 30–40 bin.
  expect(s.attempts).toBe(4);
  expect(s.mean).toBeCloseTo(175 / 3, 9);
  expect(s.median).toBeCloseTo(50, 9);
  expect(s.histogram).toEqual([0, 0, 0, 2, 0, 0, 1, 0, 0, 1]);
  expect(s.averageSeconds).toBe(150);
});

test("wrong typed answers: scored under the question's points, trimmed, blank ones left out, the five most common (ties by text)", () => {
  const typed = ["12", " 29", "29 ", "", "30", "31", "26", "27", "28", "12"];
  // 30 is right (1 point); the second "12" was given full marks by a grader, so it is not a wrong answer.
  const s = quizStats(typed.map((answer, i) => {
    const score = answer === "30" || i === 9 ? 1 : 0;
    return { score, maxScore: 1, seconds: null, slots: [{ questionId: "n", variant: "", points: 1, score, type: "numeric", answer }] };
  }));
  // Wrong: 29 twice; 12, 26, 27, 28, 31 once each → 29, then 12, 26, 27, 28 (31 is sixth).
  expect(s.questions[0]!.wrongAnswers).toEqual([{ answer: "29", count: 2 }, { answer: "12", count: 1 }, { answer: "26", count: 1 }, { answer: "27", count: 1 }, { answer: "28", count: 1 }]);
  // Choice questions list none.
  expect(quizStats(attempts([{ q: 0 }], () => ({ answer: "x" }))).questions[0]!.wrongAnswers).toEqual([]);
});

test("the question's text and options shown are those of the last attempt that carries them", () => {
  const s = quizStats([
    { score: 1, maxScore: 1, seconds: 60, slots: [{ questionId: "v", variant: "k=3", points: 1, score: 1, type: "single", textHtml: "<p>k = 3</p>", options: ["3", "4"], chosen: [0] }] },
    { score: 0, maxScore: 1, seconds: 60, slots: [{ questionId: "v", variant: "k=5", points: 1, score: 0, type: "single", textHtml: "<p>k = 5</p>", options: ["5", "6"], chosen: [1] }] },
    { score: 0, maxScore: 1, seconds: 60, slots: [{ questionId: "v", variant: "k=5", points: 1, score: 0, type: "single", chosen: [1] }] },
  ]);
  const q = s.questions[0]!;
  expect(q.textHtml).toBe("<p>k = 5</p>");
  expect(q.choices.map((c) => [c.text, c.count])).toEqual([["5", 1], ["6", 2]]);
});
