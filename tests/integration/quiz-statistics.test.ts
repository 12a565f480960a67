// Quiz statistics as an instructor reads them: questions in the quiz's order with their
// text, right choices marked, the common wrong answers to numeric and short questions,
// and a small-sample warning instead of "negative discrimination" flags. Eight attempts
// made here; every expected figure below is counted by hand from them.
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { $, signedIn, startTestApp, type TestApp } from "../helpers/app.js";

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({}, { clock: () => new Date("2026-12-01T19:00:00Z") });
});
afterAll(async () => {
  await t.close();
});

const ws = { id: "weight-sharing", type: "single", points: 1, variant: "", textHtml: "<p>What does a convolutional layer reuse?</p>", choices: [
  { key: "c0", orig: 0, html: "The same kernel weights (and bias) for each filter", correct: true },
  { key: "c1", orig: 1, html: "The same activation values" },
  { key: "c2", orig: 2, html: "A separate set of weights per pixel" },
  { key: "c3", orig: 3, html: "The labels of neighbouring images" },
] };
const coh = { id: "conv-output-height", type: "numeric", points: 1, variant: "H=32", textHtml: "<p>What is the <strong>height</strong> of its output?</p>", numeric: { answer: 30 } };
const la = { id: "last-activation", type: "short", points: 1, variant: "", textHtml: "<p>Which activation function does the last layer use?</p>", short: { accepted: ["softmax"], caseSensitive: false, ignoreSpaces: true } };
// Per attempt: the weight-sharing choice, the numeric answer (30 is right), the short answer (softmax is right).
const picks = ["c1", "c0", "c0", "c0", "c1", "c0", "c2", "c0"];
const numbers = ["30", "29", "29", "31", "12", "28", "27", "26"];
const words = ["softmax", "sigmoid", "sigmoid", "relu", "softmax", " sigmoid", "", "tanh"];

test("questions in the quiz's order with their text, right choices marked, common wrong answers, and a small-sample warning", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  const students = await t.db.user.findMany({ where: { email: { in: ["alice@example.edu", "ben@example.edu", "chloe@example.edu", "dev@example.edu"] } } });
  for (let i = 0; i < 8; i++) {
    const scores = [picks[i] === "c0" ? 1 : 0, numbers[i] === "30" ? 1 : 0, words[i]!.trim() === "softmax" ? 1 : 0];
    await t.db.quizAttempt.create({ data: {
      quizId: quiz.id, userId: students[i % 4]!.id, number: 1 + Math.floor(i / 4), status: "SUBMITTED", seed: "stats", contentHash: "h",
      startedAt: new Date("2026-11-26T10:00:00Z"), submittedAt: new Date("2026-11-26T10:20:00Z"), score: scores[0]! + scores[1]! + scores[2]!, maxScore: 3,
      // Stored in an order unlike the quiz's (the report must not follow it).
      slots: { create: [
        { slot: 0, questionId: la.id, variant: "", question: la, response: words[i] ? { text: words[i]! } : {}, score: scores[2]!, state: scores[2] ? "correct" : "wrong" },
        { slot: 1, questionId: coh.id, variant: coh.variant, question: coh, response: { text: numbers[i]! }, score: scores[1]!, state: scores[1] ? "correct" : "wrong" },
        { slot: 2, questionId: ws.id, variant: "", question: ws, response: { choice: picks[i]! }, score: scores[0]!, state: scores[0] ? "correct" : "wrong" },
      ] },
    } });
  }
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const page = $((await instructor.get("/courses/cnn/quizzes/cnn-friday/statistics")).text);

  // The quiz file's order: weight-sharing 1st, conv-output-height 2nd, last-activation 12th
  // (after nine questions and the two of the stride-padding pool), each with its text.
  const rows = page("table.question-stats tbody tr th").map((_i, th) => page(th).find("a").text()).get();
  expect(rows).toEqual(["1. weight-sharing", "2. conv-output-height", "12. last-activation"]);
  expect(page("table.question-stats tbody tr th").eq(1).find(".muted").text()).toBe("What is the height of its output?");
  expect(page("section.card h2").map((_i, h) => page(h).text().split(" · ")[0]!.trim()).get()).toEqual(["1. weight-sharing", "2. conv-output-height", "12. last-activation"]);

  // Picks of weight-sharing: c0 five times of eight (62.5% → 63%), c1 twice, c2 once; c0 is the right one.
  const choiceRows = page("#stat-weight-sharing table.choice-stats tbody tr").map((_i, tr) => [page(tr).find("td").map((_j, td) => page(td).text()).get()]).get();
  expect(choiceRows).toEqual([
    ["The same kernel weights (and bias) for each filter", "✓ right", "5 (63%)"],
    ["The same activation values", "wrong", "2 (25%)"],
    ["A separate set of weights per pixel", "wrong", "1 (13%)"],
    ["The labels of neighbouring images", "wrong", "0 (0%)"],
  ]);
  expect(page("#stat-weight-sharing tr.is-right")).toHaveLength(1);

  // Wrong numeric answers: 29 twice, then 12, 26, 27, 28 and 31 once each: the top five, most common first (ties by text), 31 left out.
  const wrong = (id: string) => page(`#stat-${id} table.wrong-answers tbody tr`).map((_i, tr) => [page(tr).find("td").map((_j, td) => page(td).text()).get()]).get();
  expect(wrong("conv-output-height")).toEqual([["29", "2"], ["12", "1"], ["26", "1"], ["27", "1"], ["28", "1"]]);
  // Wrong short answers: "sigmoid" three times (one with a leading space), relu and tanh once; the blank one is not an answer.
  expect(wrong("last-activation")).toEqual([["sigmoid", "3"], ["relu", "1"], ["tanh", "1"]]);
  expect(page("#stat-weight-sharing table.wrong-answers")).toHaveLength(0);

  // weight-sharing is right in exactly the weaker attempts (rest scores 2,0,0,0,1,0,0,0 against 0,1,1,1,0,1,0,1):
  // negative discrimination, but from 8 attempts: a warning, no flag.
  expect(page("table.question-stats tbody tr").eq(0).find("td").eq(4).text()).toMatch(/^-\d/);
  expect(page(".small-sample").text()).toContain("Only 8 attempts so far.");
  expect(page(".small-sample").text()).toContain("not reliable below 30 attempts");
  expect(page("tr.is-flagged")).toHaveLength(0);
  expect(page(".flash-error")).toHaveLength(0);
  expect(page("body").text()).not.toContain("⚠ negative");
});

test("a question's text and options are those its last submitted attempt shows, whatever order the attempts were stored in", async () => {
  const quiz = await t.db.quiz.findFirstOrThrow({ where: { slug: "cnn-friday" } });
  await t.db.quizAttempt.deleteMany({ where: { quizId: quiz.id } });
  const [alice, ben] = await t.db.user.findMany({ where: { email: { in: ["alice@example.edu", "ben@example.edu"] } }, orderBy: { email: "asc" } });
  const variant = (h: number) => ({ ...coh, variant: `H=${h}`, textHtml: `<p>What is the <strong>height</strong> for H=${h}?</p>` });
  const options = (first: string) => ({ ...ws, choices: [{ ...ws.choices[0]!, html: first }, ...ws.choices.slice(1)] });
  // Ben's attempt is stored first but submitted last (10:30): its texts are the ones shown.
  for (const [user, at, h, first] of [[ben!, "10:30", 64, "<em>Shared</em> kernel weights"], [alice!, "10:20", 32, "Old wording"]] as const) {
    await t.db.quizAttempt.create({ data: {
      quizId: quiz.id, userId: user.id, number: 1, status: "SUBMITTED", seed: "order", contentHash: "h",
      startedAt: new Date("2026-11-26T10:00:00Z"), submittedAt: new Date(`2026-11-26T${at}:00Z`), score: 0, maxScore: 2,
      slots: { create: [
        { slot: 0, questionId: coh.id, variant: `H=${h}`, question: variant(h), response: { text: "1" }, score: 0, state: "wrong" },
        { slot: 1, questionId: ws.id, variant: "", question: options(first), response: { choice: "c1" }, score: 0, state: "wrong" },
      ] },
    } });
  }
  const instructor = await signedIn(t, "instructor@example.edu", DEMO_PASSWORDS.instructor);
  const page = $((await instructor.get("/courses/cnn/quizzes/cnn-friday/statistics")).text);
  expect(page("table.question-stats tbody tr th").eq(1).find(".muted").text()).toBe("What is the height for H=64?");
  expect(page("#stat-weight-sharing table.choice-stats tbody tr td").first().text()).toBe("Shared kernel weights");
});
