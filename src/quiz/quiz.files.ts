// Reads quizzes/<slug>.yaml into checked quiz definitions, without the database:
// used by the sync at start-up and by `npm run content:check`. Beyond the schema it
// checks what only the whole file shows: duplicated ids, right answers that are not
// among the choices, and variant expressions for every parameter combination.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseYamlFile, type FileIssue } from "../platform/yaml-file.js";
import { instantiate } from "./questions.js";
import { isPool, QUIZ_FIELDS, QuizFile, type Question } from "./quiz.definition.js";
import { SeededRandom } from "../platform/random.js";
import { combinations, ExpressionError, validCombinations, variantKey, withLets, fillTemplate, evaluateNumber } from "./variants.js";

export interface LoadedQuiz {
  slug: string;
  path: string;
  hash: string;
  def: QuizFile;
  broken: boolean;
}

/** Combinations checked per variant question: all of them up to this many, else an even spread. */
const CHECK_LIMIT = 2000;

export function loadQuizFile(source: string, file: string, slug: string): { quiz?: QuizFile; issues: FileIssue[] } {
  const { data, issues, lineOf } = parseYamlFile(QuizFile, source, file, { knownKeys: (p) => (p.length === 0 ? QUIZ_FIELDS : undefined) });
  if (!/^[a-z0-9][a-z0-9-]*$/.test(slug)) issues.push({ path: file, severity: "error", message: "A quiz file's name must be lowercase letters, digits and dashes (it becomes the address)." });
  if (!data) return { issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
  const err = (where: PropertyKey[], message: string) => issues.push({ path: file, line: lineOf(where), severity: "error", message });

  const ids = new Map<string, PropertyKey[]>();
  const visit = (q: Question, where: PropertyKey[]) => {
    if (ids.has(q.id)) err([...where, "id"], `Question id "${q.id}" is used twice (also at line ${lineOf([...ids.get(q.id)!, "id"])}); ids must be unique so scores stay attached to the right question.`);
    else ids.set(q.id, where);
    checkQuestion(q, where, err);
  };
  data.questions.forEach((e, i) => {
    if (isPool(e)) {
      if (ids.has(e.pool)) err([ "questions", i, "pool"], `Pool id "${e.pool}" is also used by a question or another pool.`);
      ids.set(e.pool, ["questions", i]);
      e.questions.forEach((q, j) => visit(q, ["questions", i, "questions", j]));
    } else visit(e, ["questions", i]);
  });
  return { quiz: data, issues: issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)) };
}

function checkQuestion(q: Question, where: PropertyKey[], err: (where: PropertyKey[], message: string) => void) {
  const label = `Question "${q.id}"`;
  if (q.type === "single" || q.type === "multiple") {
    const texts = q.choices.map((c) => c.text.trim());
    if (q.answer !== undefined) {
      if (q.choices.some((c) => c.correct)) return err([...where, "answer"], `${label}: mark the right choice either with answer: or with correct: true, not both.`);
      const named = Array.isArray(q.answer) ? q.answer : [q.answer];
      for (const a of named) {
        if (!texts.includes(a.trim())) err([...where, "answer"], `${label}: the answer "${a}" is not one of its choices (${texts.map((t) => `"${t}"`).join(", ")}).`);
      }
      q.choices.forEach((c) => (c.correct = named.some((a) => a.trim() === c.text.trim())));
      delete q.answer;
    }
    const right = q.choices.filter((c) => c.correct).length;
    if (q.type === "single" && right !== 1) err([...where, "choices"], `${label}: a single-choice question needs exactly one right choice (it has ${right}).`);
    if (q.type === "multiple" && right === 0) err([...where, "choices"], `${label}: a multiple-answer question needs at least one right choice.`);
    const dup = texts.find((t, i) => texts.indexOf(t) !== i);
    if (dup) err([...where, "choices"], `${label}: the choice "${dup}" appears twice.`);
  }
  if (q.type === "short" && q.pattern) {
    try {
      new RegExp(q.pattern.replace(/\{\{[^{}]*\}\}/g, "0"), "u");
    } catch (e) {
      err([...where, "pattern"], `${label}: the pattern is not a valid regular expression: ${(e as Error).message}`);
    }
  }

  // Every combination students can get must produce a question: evaluate everything once per combination.
  let combos;
  try {
    combos = validCombinations(q);
  } catch (e) {
    return err([...where, "params"], `${label}: ${(e as Error).message}.`);
  }
  if (combos.length === 0) {
    try {
      evaluateNumber(q.where!, withLets(q, combinations(q)[0] ?? {}));
    } catch (e) {
      return err([...where, "where"], `${label}: where: ${(e as Error).message}.`);
    }
    return err([...where, "where"], `${label}: no combination of its parameters satisfies where: ${q.where}.`);
  }
  const step = Math.max(1, Math.floor(combos.length / CHECK_LIMIT));
  for (let i = 0; i < combos.length; i += step) {
    const params = combos[i]!;
    try {
      const scope = withLets(q, params);
      if (q.type === "numeric" && typeof q.answer === "string") evaluateNumber(q.answer, scope);
      const texts = [q.text, q.explanation ?? ""];
      if (q.type === "single" || q.type === "multiple") {
        const shown = q.choices.map((c) => fillTemplate(c.text, scope).trim());
        const twice = shown.find((t, k) => shown.indexOf(t) !== k);
        if (twice) throw new ExpressionError(`two choices both read "${twice}"`);
        texts.push(...q.choices.map((c) => c.feedback ?? ""));
      }
      if (q.type === "short") texts.push(...q.accepted, q.pattern ?? "");
      for (const t of texts) fillTemplate(t, scope);
      // The real thing, once: what a student would be given.
      if (i === 0) instantiate(q, new SeededRandom("check"), false);
    } catch (e) {
      const at = Object.keys(params).length ? ` when ${variantKey(params).replace(/,/g, ", ")}` : "";
      return err(where, `${label}${at}: ${(e as Error).message}.`);
    }
  }
}

/** Every quiz in `dir` (one .yaml file each); the slug is the file name. */
export function loadQuizzes(dir: string): { quizzes: LoadedQuiz[]; issues: FileIssue[] } {
  const issues: FileIssue[] = [];
  const quizzes: LoadedQuiz[] = [];
  if (!fs.existsSync(dir)) return { quizzes, issues };
  const rel = (p: string) => path.relative(path.dirname(path.resolve(dir)), p);
  for (const name of fs.readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(name)) continue;
    const file = path.join(dir, name);
    const source = fs.readFileSync(file, "utf8");
    const slug = name.replace(/\.ya?ml$/, "");
    const { quiz, issues: fileIssues } = loadQuizFile(source, rel(file), slug);
    issues.push(...fileIssues);
    if (!quiz) continue;
    const hash = crypto.createHash("sha256").update(source).digest("hex");
    quizzes.push({ slug, path: rel(file), hash, def: quiz, broken: fileIssues.some((i) => i.severity === "error") });
  }
  return { quizzes, issues };
}
