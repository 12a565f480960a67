// Quiz test helpers: a temporary quiz folder, and the form fields that answer a
// frozen question rightly (or wrongly), read from the database as a grader would.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SlotQuestion } from "../../src/quiz/questions.js";

export function quizFolder(files: Record<string, string>) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quizzes-"));
  const write = (name: string, text: string) => fs.writeFileSync(path.join(dir, `${name}.yaml`), text);
  for (const [name, text] of Object.entries(files)) write(name, text);
  return { dir, write, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Fields that answer slot `n` fully right (`right = true`) or wrong. */
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
