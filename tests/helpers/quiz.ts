// Quiz test helpers: a temporary quiz folder, a copy of the demo quiz with the test's
// own dates, and form fields that answer a frozen question rightly or wrongly — from a
// hand-written answer key (`keyFields`), or from the slot's own answer data
// (`answerFields`, for tests that only need some graded attempt).
import * as cheerio from "cheerio";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SlotQuestion } from "../../src/quiz/questions.js";

const DEMO_QUIZ = fileURLToPath(new URL("../../quizzes/cnn-friday.yaml", import.meta.url));

export function quizFolder(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quizzes-"));
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, `${name}.yaml`), text);
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { dir, write, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Writes the demo quiz (quizzes/cnn-friday.yaml) into `dir` with the test's own open and
 * close times (local to the course), so the test does not hang on the demo's dates.
 */
export function copyDemoQuiz(dir: string, { opens, closes }: { opens: string; closes: string }) {
  const text = fs.readFileSync(DEMO_QUIZ, "utf8").replace(/^(opens|closes):.*\n/gm, "");
  fs.writeFileSync(path.join(dir, "cnn-friday.yaml"), `opens: ${opens}\ncloses: ${closes}\n${text}`);
}

/** Fields that answer slot `n` fully right (`right = true`) or wrong, from the slot's own answer data. */
export function answerFields(q: SlotQuestion, n: number, right = true): Record<string, string | string[]> {
  const name = `s${n}`;
  switch (q.type) {
    case "single":
      return { [name]: q.choices!.find((c) => c.correct === right)!.key };
    case "multiple":
      return { [name]: q.choices!.filter((c) => c.correct === right).map((c) => c.key) };
    case "truefalse":
      return { [name]: String(right ? q.answer : !q.answer) };
    case "numeric":
      return { [name]: String(right ? q.numeric!.answer : q.numeric!.answer + 1000) };
    case "short":
      return { [name]: right ? q.short!.accepted[0]! : "not this" };
    case "matching": {
      const keys = Object.keys(q.matches!);
      return Object.fromEntries(keys.map((l, i) => [`${name}.${l}`, right ? q.matches![l]! : q.matches![keys[(i + 1) % keys.length]!]!]));
    }
    case "ordering":
      return Object.fromEntries(q.order!.map((k, i) => [`${name}.${k}`, String(right ? i + 1 : ((i + 1) % q.order!.length) + 1)]));
  }
}

// #region hand-written answer keys

/** A variant's drawn parameters, by name. */
export type Params = Record<string, number>;

/**
 * The right answer to one question as a person who knows the material writes it: choices,
 * pairs and items by the text students see; numbers by a formula of the drawn parameters.
 */
export type KeyAnswer =
  | { choice: string }
  | { choices: string[] }
  | { value: boolean }
  | { number: number | ((p: Params) => number) }
  | { text: string | ((p: Params) => string) }
  /** matching: left text → right text */
  | { pairs: Record<string, string> }
  /** ordering: item texts, first to last */
  | { order: string[] };

export type AnswerKey = Record<string, KeyAnswer>;

/**
 * The demo quiz's answers, worked out from each question's meaning (not copied from the
 * file's `correct:` flags or answer expressions), so a wrong key in the file or in the
 * grading code makes a "100%" test fail.
 */
export const CNN_FRIDAY_KEY: AnswerKey = {
  "weight-sharing": { choice: "The same kernel weights (and bias) for each filter" },
  // Each side grows by 2p; the kernel fits at ⌊(H + 2p − k)/s⌋ + 1 positions.
  "conv-output-height": { number: ({ H, k, s, p }) => Math.floor((H! + 2 * p! - k!) / s!) + 1 },
  // Valid padding, stride 1: H − k + 1 positions a side; one channel per filter.
  "conv-output-shape": { text: ({ H, k, F }) => `${H! - k! + 1}x${H! - k! + 1}x${F}` },
  // Per filter: a k×k×C kernel and one bias.
  "conv-params": { number: ({ k, C, F }) => (k! * k! * C! + 1) * F! },
  // 2×2 windows with stride 2 keep ⌊H/2⌋ rows and columns, and every channel.
  "pool-output-size": { number: ({ H, C }) => Math.floor(H! / 2) * Math.floor(H! / 2) * C! },
  "pooling-has-weights": { value: false },
  "augmentation-for-signs": { choices: ["A small rotation (±10°)", "A change of brightness and contrast", "A small zoom or shift"] },
  "layer-roles": {
    pairs: {
      Conv2D: "learns local filters that detect patterns",
      MaxPooling2D: "shrinks height and width, keeping the strongest responses",
      Dropout: "randomly zeroes activations during training",
      'Dense(43, activation="softmax")': "turns features into 43 class probabilities",
    },
  },
  "cnn-order": { order: ["Input(shape=(32, 32, 3))", 'Conv2D(32, 3, activation="relu")', "MaxPooling2D()", "Flatten()", 'Dense(43, activation="softmax")'] },
  "same-padding": { choice: "The same" },
  "stride-halves": { value: true },
  "last-activation": { text: "softmax" },
  // 3 + (3 − 1) pixels.
  "receptive-field": { choice: "5×5" },
  "overfitting-remedies": { choices: ["Dropout", "Data augmentation", "Early stopping on a validation split"] },
  // 32·32·64 outputs, each a sum over 3·3·32 = 288 inputs: 65 536 · 288 = 18 874 368.
  "conv-cost": { number: 18.874368 },
};

/** What a student reads in an option (tags and entities gone, spaces collapsed). */
const shown = (html: string) => cheerio.load(html, null, false).root().text().replace(/\s+/g, " ").trim();

/** A variant's parameters from its stored name ("C=16,F=32,k=3"). */
function paramsOf(q: SlotQuestion): Params {
  return Object.fromEntries(q.variant.split(",").filter(Boolean).map((kv) => {
    const [name, value] = kv.split("=");
    return [name!, Number(value)];
  }));
}

function keyOf(list: { key: string; html: string }[], text: string, q: SlotQuestion): string {
  const found = list.find((o) => shown(o.html) === text);
  if (!found) throw new Error(`Question "${q.id}" shows no option "${text}" (it shows: ${list.map((o) => JSON.stringify(shown(o.html))).join(", ")}); the answer key needs updating.`);
  return found.key;
}

/**
 * Fields that answer slot `n` as `key` says (`right = true`), or wrongly. Options are found
 * by the text the student sees; the slot's correct flags and answers are never read.
 */
export function keyFields(key: AnswerKey, q: SlotQuestion, n: number, right = true): Record<string, string | string[]> {
  const a = key[q.id];
  if (!a) throw new Error(`The answer key has no entry for question "${q.id}".`);
  const name = `s${n}`;
  const params = paramsOf(q);
  if ("choice" in a) {
    const other = q.choices!.find((c) => shown(c.html) !== a.choice)!;
    return { [name]: right ? keyOf(q.choices!, a.choice, q) : other.key };
  }
  if ("choices" in a) {
    const keys = a.choices.map((t) => keyOf(q.choices!, t, q));
    return { [name]: right ? keys : q.choices!.filter((c) => !keys.includes(c.key)).map((c) => c.key) };
  }
  if ("value" in a) return { [name]: String(right ? a.value : !a.value) };
  if ("number" in a) {
    const v = typeof a.number === "number" ? a.number : a.number(params);
    return { [name]: String(right ? v : v + 1000 + Math.abs(v)) };
  }
  if ("text" in a) return { [name]: right ? (typeof a.text === "string" ? a.text : a.text(params)) : "not this" };
  if ("pairs" in a) {
    const lefts = q.lefts!.map((l) => ({ key: l.key, right: keyOf(q.rights!, a.pairs[shown(l.html)] ?? `(no pair for ${shown(l.html)})`, q) }));
    // Wrong: each left gets the next left's partner.
    return Object.fromEntries(lefts.map((l, i) => [`${name}.${l.key}`, right ? l.right : lefts[(i + 1) % lefts.length]!.right]));
  }
  const inOrder = a.order.map((t) => keyOf(q.items!, t, q));
  // Wrong: every item one place further on.
  return Object.fromEntries(inOrder.map((k, i) => [`${name}.${k}`, String(right ? i + 1 : ((i + 1) % inOrder.length) + 1)]));
}
// #endregion
