import { Question } from "../../src/quiz/quiz.definition.js";
import { grade, instantiate, normaliseText, parseNumber, readResponse, type SlotQuestion } from "../../src/quiz/questions.js";
import { reviewSlotView } from "../../src/quiz/quiz.present.js";
import { gradeByMethod } from "../../src/quiz/quiz.service.js";
import { SeededRandom } from "../../src/platform/random.js";
import { compile, evaluateNumber, ExpressionError, fillTemplate, validCombinations } from "../../src/quiz/variants.js";

/** A question as a student would get it (fixed seed, file order). */
function slot(def: Record<string, unknown>): SlotQuestion {
  return instantiate(Question.parse({ id: "q", text: "Q?", ...def }), new SeededRandom("test"), false);
}
const key = (q: SlotQuestion, text: string) => q.choices!.find((c) => c.html === text)!.key;

describe("single choice", () => {
  const q = slot({ type: "single", choices: [{ text: "A", correct: true }, { text: "B" }, { text: "C" }] });
  test("right, wrong, empty", () => {
    expect(grade(q, { choice: key(q, "A") })).toEqual({ fraction: 1, state: "correct" });
    expect(grade(q, { choice: key(q, "B") })).toEqual({ fraction: 0, state: "wrong" });
    expect(grade(q, {})).toEqual({ fraction: 0, state: "unanswered" });
    expect(grade(q, null)).toEqual({ fraction: 0, state: "unanswered" });
  });
  test("a value that is not one of the choices is not stored", () => {
    expect(readResponse(q, 0, { s0: "c9" })).toEqual({});
    expect(readResponse(q, 0, { s0: key(q, "B") })).toEqual({ choice: key(q, "B") });
  });
  test("keys follow the shown order, so they never hint at the right choice", () => {
    const shuffled = instantiate(Question.parse({ id: "q", text: "Q", type: "single", choices: [{ text: "A", correct: true }, { text: "B" }, { text: "C" }, { text: "D" }] }), new SeededRandom("s2"), true);
    expect(shuffled.choices!.map((c) => c.key)).toEqual(["c0", "c1", "c2", "c3"]);
    expect(shuffled.choices!.map((c) => c.orig)).not.toEqual([0, 1, 2, 3]);
  });
});

describe("multiple answer", () => {
  const def = { type: "multiple", choices: [{ text: "R1", correct: true }, { text: "R2", correct: true }, { text: "R3", correct: true }, { text: "W1" }, { text: "W2" }] };
  const q = slot(def);
  const pick = (...texts: string[]) => ({ choices: texts.map((t) => key(q, t)) });
  test("partial credit: +1/3 per right choice, −1/2 per wrong one, never below zero", () => {
    expect(grade(q, pick("R1", "R2", "R3")).fraction).toBe(1);
    expect(grade(q, pick("R1", "R2")).fraction).toBeCloseTo(2 / 3, 12);
    expect(grade(q, pick("R1", "R2", "R3", "W1")).fraction).toBeCloseTo(0.5, 12);
    expect(grade(q, pick("R1", "W1")).fraction).toBe(0); // 1/3 − 1/2 → 0
    expect(grade(q, pick("R1", "R2", "R3", "W1", "W2"))).toEqual({ fraction: 0, state: "wrong" });
    expect(grade(q, pick("R1")).state).toBe("partial");
    expect(q.ruleText).toBe("Each right choice you tick earns 1/3 of the marks; each wrong one you tick takes away 1/2; never below zero.");
  });
  test("all or nothing", () => {
    const strict = slot({ ...def, scoring: "allOrNothing" });
    const k = (t: string) => key(strict, t);
    expect(grade(strict, { choices: [k("R1"), k("R2"), k("R3")] }).fraction).toBe(1);
    expect(grade(strict, { choices: [k("R1"), k("R2")] }).fraction).toBe(0);
  });
  test("the form's repeated field becomes a list; unknown keys are dropped", () => {
    expect(readResponse(q, 2, { s2: [key(q, "R1"), "zzz", key(q, "W2")] })).toEqual({ choices: [key(q, "R1"), key(q, "W2")].sort() });
    expect(readResponse(q, 2, {})).toEqual({});
  });
});

test("true/false", () => {
  const q = slot({ type: "truefalse", answer: false });
  expect(grade(q, readResponse(q, 0, { s0: "false" })).state).toBe("correct");
  expect(grade(q, readResponse(q, 0, { s0: "true" })).state).toBe("wrong");
  expect(readResponse(q, 0, { s0: "maybe" })).toEqual({});
});

describe("numeric", () => {
  test("absolute tolerance: the bounds count, just outside does not", () => {
    const q = slot({ type: "numeric", answer: 10, tolerance: { absolute: 0.5 } });
    for (const v of ["10", "9.5", "10.5", " 10.25 ", "+10", "1e1"]) expect([v, grade(q, { text: v }).state]).toEqual([v, "correct"]);
    for (const v of ["9.49", "10.51", "-10", "ten", "10 apples", ""]) expect([v, grade(q, { text: v }).fraction]).toEqual([v, 0]);
  });
  test("relative tolerance, including floating-point bounds", () => {
    const q = slot({ type: "numeric", answer: 18.874368, tolerance: { relative: 0.02 } });
    expect(grade(q, { text: "18.5" }).state).toBe("correct");
    expect(grade(q, { text: "19.25" }).state).toBe("correct");
    expect(grade(q, { text: "19.3" }).state).toBe("wrong");
    const exact = slot({ type: "numeric", answer: 0.3, tolerance: { absolute: 0 } });
    expect(grade(exact, { text: "0.30000000000000004" }).state).toBe("correct");
    expect(grade(exact, { text: "0.31" }).state).toBe("wrong");
  });
  test("the question's unit may follow the number (the page shows it beside the box); another word may not", () => {
    const q = slot({ type: "numeric", answer: 18.874368, tolerance: { relative: 0.02 }, unit: "million" });
    for (const v of ["18.9", "18.9 million", "18.9million", " 18,9 Million ", "18.9\u00a0million"]) expect([v, grade(q, { text: v }).state]).toEqual([v, "correct"]);
    for (const v of ["18.9 millions", "18.9 billion", "million", "18.9 m", "about 18.9 million"]) expect([v, grade(q, { text: v }).state]).toEqual([v, "wrong"]);
    // The review shows the answer with the unit once.
    const review = (text: string) => reviewSlotView({ slot: 0, question: q, response: { text }, checkedAt: null, score: null, state: null }, 0, new Set(["answers"])).answerHtml;
    expect(review("18.9 million")).toBe("<code>18.9 million</code>");
    expect(review("18.9")).toBe("<code>18.9</code> million");
    // Without a unit in the question, a word after the number is not read.
    expect(grade(slot({ type: "numeric", answer: 18.9, tolerance: { absolute: 0 } }), { text: "18.9 million" }).state).toBe("wrong");
  });
  test("numbers as people type them", () => {
    expect(parseNumber("1,234,567")).toBe(1234567);
    expect(parseNumber("2,5")).toBe(2.5);
    expect(parseNumber("1 024")).toBe(1024);
    expect(parseNumber("−3")).toBe(-3);
    expect(parseNumber(".5")).toBe(0.5);
    expect(parseNumber("1,2,3")).toBeNull();
    expect(parseNumber("0x10")).toBeNull();
    expect(parseNumber("Infinity")).toBeNull();
    expect(parseNumber("")).toBeNull();
  });
  test("an expression answer is computed from the variant's parameters", () => {
    const q = instantiate(Question.parse({ id: "p", type: "numeric", text: "{{k}}x{{k}}, {{C}} in, {{F}} out?", params: { k: { choose: [3] }, C: { choose: [16] }, F: { choose: [32] } }, answer: "k*k*C*F + F" }), new SeededRandom("x"), false);
    expect(q.numeric!.answer).toBe(4640);
    expect(q.textHtml).toContain("3x3, 16 in, 32 out?");
    expect(q.variant).toBe("C=16,F=32,k=3");
  });
});

describe("short text", () => {
  test("case, extra whitespace and Unicode width do not matter unless asked", () => {
    const q = slot({ type: "short", accepted: ["Softmax", "soft max"] });
    for (const v of ["softmax", "  SOFTMAX ", "soft   max", "ｓｏｆｔｍａｘ"]) expect([v, grade(q, { text: v }).state]).toEqual([v, "correct"]);
    expect(grade(q, { text: "sigmoid" }).state).toBe("wrong");
    expect(grade(q, { text: "   " }).state).toBe("wrong");
    expect(readResponse(q, 0, { s0: "   " })).toEqual({});
  });
  test("case-sensitive answers", () => {
    const q = slot({ type: "short", accepted: ["ReLU"], caseSensitive: true });
    expect(grade(q, { text: "ReLU" }).state).toBe("correct");
    expect(grade(q, { text: "relu" }).state).toBe("wrong");
  });
  test("a pattern, with variant values inside, and spaces ignored", () => {
    const q = instantiate(Question.parse({
      id: "s", type: "short", text: "shape?", params: { o: { choose: [30] }, F: { choose: [64] } }, ignoreSpaces: true,
      accepted: ["{{o}}x{{o}}x{{F}}"], pattern: "\\(?{{o}}[x×,*]{{o}}[x×,*]{{F}}\\)?",
    }), new SeededRandom("x"), false);
    for (const v of ["30x30x64", "30 × 30 × 64", "(30, 30, 64)", "30X30X64"]) expect([v, grade(q, { text: v }).state]).toEqual([v, "correct"]);
    expect(grade(q, { text: "30x30x32" }).state).toBe("wrong");
    expect(normaliseText(" A  b ", { ignoreSpaces: true })).toBe("ab");
  });
});

/** The form key of the option showing `text` (what a student picks by reading). */
const keyOfText = (list: { key: string; html: string }[], text: string) => list.find((o) => o.html === text)!.key;

test("matching: each right pair earns its share; distractors are offered", () => {
  const q = slot({ type: "matching", pairs: [{ left: "a", right: "1" }, { left: "b", right: "2" }, { left: "c", right: "3" }], distractors: ["4"] });
  expect(q.rights!.map((r) => r.html).sort()).toEqual(["1", "2", "3", "4"]);
  const [a, b, c] = ["a", "b", "c"].map((t) => keyOfText(q.lefts!, t));
  const [r1, r2, r3, r4] = ["1", "2", "3", "4"].map((t) => keyOfText(q.rights!, t));
  const right = { [a!]: r1!, [b!]: r2!, [c!]: r3! };
  expect(grade(q, { matches: right }).fraction).toBe(1);
  expect(grade(q, { matches: { [a!]: r1!, [b!]: r3! } }).fraction).toBeCloseTo(1 / 3, 12);
  expect(grade(q, { matches: { [a!]: r4!, [b!]: r1!, [c!]: r2! } })).toEqual({ fraction: 0, state: "wrong" });
  const fields = Object.fromEntries(Object.entries(right).map(([l, r]) => [`s1.${l}`, r]));
  expect(readResponse(q, 1, { ...fields, "s1.zz": "r0" })).toEqual({ matches: right });
});

test("ordering: each item in its place earns its share; the starting order is never the answer", () => {
  const items = ["first", "second", "third", "fourth"];
  const def = { type: "ordering", items };
  for (let i = 0; i < 30; i++) {
    const q = instantiate(Question.parse({ id: "o", text: "order", ...def }), new SeededRandom(`seed-${i}`), true);
    expect(q.items!.map((it) => it.html)).not.toEqual(items);
  }
  const q = slot(def);
  const [k1, k2, k3, k4] = items.map((t) => keyOfText(q.items!, t));
  const all = { [k1!]: 1, [k2!]: 2, [k3!]: 3, [k4!]: 4 };
  expect(grade(q, { positions: all }).fraction).toBe(1);
  expect(grade(q, { positions: { ...all, [k1!]: 2, [k2!]: 1 } }).fraction).toBe(0.5);
  expect(grade(q, { positions: { [k1!]: 4, [k2!]: 3, [k3!]: 2, [k4!]: 1 } })).toEqual({ fraction: 0, state: "wrong" });
  expect(readResponse(q, 0, { [`s0.${k1}`]: "9" })).toEqual({});
});

describe("variants", () => {
  const def = Question.parse({
    id: "v", type: "numeric", text: "H={{H}} k={{k}} s={{s}}", answer: "floor((H - k) / s) + 1",
    params: { H: { from: 20, to: 40 }, k: { choose: [3, 5, 7] }, s: { from: 1, to: 3 } }, where: "(H - k) % s == 0",
  });
  test("the same seed draws the same variant; different students draw different ones", () => {
    const draw = (seed: string) => instantiate(def, new SeededRandom(seed), true).variant;
    expect(draw("quiz:alice:1")).toBe(draw("quiz:alice:1"));
    const seen = new Set(Array.from({ length: 50 }, (_x, i) => draw(`quiz:student-${i}:1`)));
    expect(seen.size).toBeGreaterThan(25);
  });
  test("only combinations satisfying where are drawn", () => {
    const combos = validCombinations(def);
    expect(combos.length).toBeGreaterThan(0);
    for (const c of combos) expect((c.H! - c.k!) % c.s!).toBe(0);
    for (let i = 0; i < 40; i++) {
      const q = instantiate(def, new SeededRandom(`w${i}`), false);
      const [, H, k, s] = /H=(\d+) k=(\d+) s=(\d+)/.exec(q.textHtml)!.map(Number);
      expect((H! - k!) % s!).toBe(0);
      expect(q.numeric!.answer).toBe(Math.floor((H! - k!) / s!) + 1);
    }
  });
  test("expressions compute values", () => {
    expect(evaluateNumber("k*k*C*F + F", { k: 3, C: 3, F: 16 })).toBe(448);
    expect(fillTemplate("{{ 1/3 }} and {{2*k}}", { k: 4 })).toBe("0.333333 and 8");
  });
});

describe("the expression sandbox: quiz files are data, never code", () => {
  /** The ExpressionError `run` is refused with; any other error (a crash) fails the test. */
  function refusal(run: () => unknown): string {
    try {
      run();
    } catch (e) {
      if (e instanceof ExpressionError) return e.message;
      throw e;
    }
    throw new Error("the expression was accepted");
  }
  const VALUE_ONLY = "may only compute a value (no assignments, definitions or several statements)";

  test.each([
    ["an assignment", "x = 5"],
    ["an assignment of a function", "f = cos"],
    ["a property assignment", "a.b = 1"],
    ["an index assignment", "x[1] = 2"],
    ["a function definition", "f(x) = x"],
    ["several statements", "1; 2"],
  ])("refused before it runs: %s", (_what, expr) => {
    expect(refusal(() => compile(expr))).toBe(`"${expr}" ${VALUE_ONLY}`);
  });

  test.each([
    ["import", 'import({evil: 1}, {override: true})'],
    ["evaluate", 'evaluate("1+1")'],
    ["parse", 'parse("1+1")'],
    ["createUnit", 'createUnit("widget")'],
    ["simplify", 'simplify("x+x")'],
    ["derivative", 'derivative("x^2", "x")'],
    ["resolve", 'resolve("x", {})'],
    ["reviver", "reviver()"],
  ])("%s is disabled", (name, expr) => {
    expect(refusal(() => evaluateNumber(expr, {}))).toBe(`"${expr}" fails: ${name} is disabled`);
  });

  test("an import that was refused defined nothing", () => {
    refusal(() => evaluateNumber('import({evil: 1}, {override: true})', {}));
    expect(refusal(() => evaluateNumber("evil", {}))).toBe("it uses evil, which is not a parameter or let value");
  });

  test("config cannot be called, so one quiz file cannot change how every later expression computes", () => {
    for (const expr of ['config({number: "BigNumber"})', '(config)({number: "BigNumber"})']) {
      expect(refusal(() => evaluateNumber(expr, {}))).toBe(`"${expr}" uses config, which quiz expressions may not use`);
    }
    // An expression compiled after the attempt still computes with plain numbers.
    expect(evaluateNumber("k / 8", { k: 1 })).toBe(0.125);
  });

  test("JavaScript behind a function cannot be reached", () => {
    expect(refusal(() => evaluateNumber("cos.constructor", {}))).toBe('"cos.constructor" fails: No access to property "constructor"');
    expect(refusal(() => evaluateNumber('cos["constructor"]', {}))).toBe('"cos["constructor"]" fails: No access to property "constructor"');
  });

  test("values that are not finite numbers, and unknown names, are refused with the reason", () => {
    expect(refusal(() => evaluateNumber("1/0", {}))).toBe('"1/0" gives Infinity');
    expect(refusal(() => evaluateNumber("[1, 2]", {}))).toMatch(/^"\[1, 2\]" does not give a number/);
    expect(refusal(() => evaluateNumber("unknownThing + 1", {}))).toBe("it uses unknownThing, which is not a parameter or let value");
  });
});

test("grading methods", () => {
  expect(gradeByMethod("highest", [50, 90, 70])).toBe(90);
  expect(gradeByMethod("latest", [50, 90, 70])).toBe(70);
  expect(gradeByMethod("first", [50, 90, 70])).toBe(50);
  expect(gradeByMethod("average", [50, 90, 70])).toBe(70);
  expect(gradeByMethod("highest", [])).toBeNull();
});
