import { grade, instantiate, readResponse } from "../../src/quiz/questions.js";
import { loadQuizFile, loadQuizzes } from "../../src/quiz/quiz.files.js";
import { isPool, type Question } from "../../src/quiz/quiz.definition.js";
import { SeededRandom } from "../../src/platform/random.js";
import { isVariant, validCombinations } from "../../src/quiz/variants.js";
import { CNN_FRIDAY_KEY, keyFields } from "../helpers/quiz.js";

const HEAD = "title: T\ncourse: cnn\nquestions:\n";
const check = (body: string) => loadQuizFile(HEAD + body, "quizzes/t.yaml", "t").issues.map((i) => `${i.line}: ${i.message}`);

test("the demo quiz loads without problems and uses every question type, with variants and a pool", () => {
  const { quizzes, issues } = loadQuizzes("quizzes");
  expect(issues).toEqual([]);
  const quiz = quizzes.find((q) => q.slug === "cnn-friday")!.def;
  const all: Question[] = quiz.questions.flatMap((e) => (isPool(e) ? e.questions : [e]));
  expect(new Set(all.map((q) => q.type))).toEqual(new Set(["single", "multiple", "truefalse", "numeric", "short", "matching", "ordering"]));
  expect(all.filter(isVariant).length).toBeGreaterThanOrEqual(2);
  expect(quiz.questions.some(isPool)).toBe(true);
  expect(quiz.passPercent).toBe(90);
  expect(quiz.grading).toBe("highest");
});

test("every draw of the demo quiz, answered from the hand-written key, is right; answered otherwise, it is not", () => {
  const quiz = loadQuizzes("quizzes").quizzes.find((q) => q.slug === "cnn-friday")!.def;
  const all: Question[] = quiz.questions.flatMap((e) => (isPool(e) ? e.questions : [e]));
  expect(new Set(all.map((q) => q.id))).toEqual(new Set(Object.keys(CNN_FRIDAY_KEY)));
  let draws = 0;
  for (const q of all) {
    // Every parameter combination students can get, each drawn on its own; choices shuffled.
    const combos = isVariant(q) ? validCombinations(q) : [{}];
    for (const [i, combo] of combos.entries()) {
      const only = isVariant(q) ? { ...q, params: Object.fromEntries(Object.entries(combo).map(([name, v]) => [name, { choose: [v] }])) } : q;
      const s = instantiate(only, new SeededRandom(`key:${q.id}:${i}`), true);
      const as = (right: boolean) => grade(s, readResponse(s, 0, keyFields(CNN_FRIDAY_KEY, s, 0, right))).state;
      expect([q.id, s.variant, as(true)]).toEqual([q.id, s.variant, "correct"]);
      expect([q.id, s.variant, as(false)]).not.toEqual([q.id, s.variant, "correct"]);
      draws++;
    }
  }
  expect(draws).toBeGreaterThan(200);
});

test("a duplicated question id, with both lines", () => {
  const issues = check(`  - id: a
    type: truefalse
    text: X
    answer: true
  - id: a
    type: truefalse
    text: Y
    answer: false
`);
  expect(issues).toEqual([expect.stringMatching(/^8: Question id "a" is used twice \(also at line 4\)/)]);
});

test("a choice question without choices, and one with a single choice", () => {
  expect(check("  - id: a\n    type: single\n    text: X\n")).toEqual([expect.stringMatching(/^4: questions\.0\.choices: /)]);
  expect(check("  - id: a\n    type: multiple\n    text: X\n    choices:\n      - text: only\n        correct: true\n")).toEqual([expect.stringContaining("at least two choices")]);
});

test("an answer outside its own choices, and no right choice", () => {
  const issues = check(`  - id: a
    type: single
    text: X
    choices:
      - text: Red
      - text: Blue
    answer: Green
`);
  expect(issues).toEqual([
    '8: Question "a": a single-choice question needs exactly one right choice (it has 0).',
    '10: Question "a": the answer "Green" is not one of its choices ("Red", "Blue").',
  ]);
  expect(check("  - id: a\n    type: single\n    text: X\n    choices: [{text: A}, {text: B}]\n    answer: B\n")).toEqual([]);
});

test("a variant expression that fails for some parameters names them", () => {
  const issues = check(`  - id: v
    type: numeric
    text: "{{H}} / {{s}}"
    params:
      H: { from: 10, to: 12 }
      s: { from: 0, to: 2 }
    answer: H / s
`);
  expect(issues).toEqual(['4: Question "v" when H=10, s=0: "H / s" gives Infinity.']);
});

test("an unknown name in a template, an impossible where, a bad pattern", () => {
  expect(check('  - id: v\n    type: truefalse\n    text: "{{widgets}} items"\n    answer: true\n')).toEqual(['4: Question "v": it uses widgets, which is not a parameter or let value.']);
  expect(check('  - id: v\n    type: truefalse\n    text: "{{N}} items"\n    answer: true\n')).toEqual([expect.stringContaining("math.js reads some names, such as N or m, as units")]);
  expect(check("  - id: v\n    type: numeric\n    text: x\n    params: { a: { from: 1, to: 3 } }\n    where: a > 5\n    answer: a\n")).toEqual([expect.stringContaining("no combination of its parameters satisfies where: a > 5")]);
  expect(check('  - id: v\n    type: short\n    text: x\n    pattern: "(unclosed"\n')).toEqual([expect.stringMatching(/^7: .*not a valid regular expression/)]);
});

test("unknown fields, at the top and in a question", () => {
  const issues = loadQuizFile("title: T\ncourse: cnn\ncolour: red\nquestions:\n  - id: a\n    type: truefalse\n    text: X\n    answer: true\n    hint: no\n", "q.yaml", "q").issues;
  expect(issues.map((i) => [i.line, i.message])).toEqual([
    [3, expect.stringMatching(/^Unknown field "colour"\. Known fields: title, course/)],
    [9, 'questions.0: Unknown field "hint".'],
  ]);
});

test("a wrong type, bad YAML, and a bad policy value", () => {
  expect(check("  - id: a\n    type: essay\n    text: X\n")).toEqual([expect.stringContaining("type must be one of single, multiple, truefalse, numeric, short, matching, ordering")]);
  expect(loadQuizFile("title: [unclosed\n", "q.yaml", "q").issues[0]!.message).toMatch(/^Not valid YAML/);
  expect(loadQuizFile(`grading: best\n${HEAD}  - id: a\n    type: truefalse\n    text: X\n    answer: true\n`, "q.yaml", "q").issues.map((i) => [i.line, i.message])).toEqual([[1, "grading: grading must be highest, latest, average or first"]]);
});
