import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { copyContent } from "../helpers/content.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const run = (script: string, ...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], { cwd: ROOT, encoding: "utf8" });

test("content:check passes on the repo's content", () => {
  const r = run("content-check");
  expect(r.stdout).toContain("1 module, 3 readings, 1 quiz: 0 errors, 0 warnings");
  expect(r.status).toBe(0);
});

test("content:check prints each problem with file and line, and exits 1 on errors", () => {
  const c = copyContent();
  c.write("cnn/broken.md", "---\ntitle: Broken\n---\n# Broken\n\nSee [x](./missing.html) and {{WHO}}.\n");
  c.write("cnn/module.yaml", c.file("cnn/module.yaml").replace(/^theoryDue: .*$/m, "theoryDue: tomorrow"));
  const r = run("content-check", c.dir);
  const name = path.basename(c.dir);
  expect(r.stdout).toContain(`${name}/cnn/broken.md:6: error: Unknown placeholder {{WHO}}.`);
  expect(r.stdout).toContain(`${name}/cnn/broken.md:6: warning: The link to ./missing.html points to a reading that does not exist in this module.`);
  expect(r.stdout).toContain(`${name}/cnn/module.yaml:10: error: theoryDue: must be a local date and time`);
  expect(r.status).toBe(1);
  c.remove();
});

test("content:check also checks quiz files, with file and line", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "quizzes-"));
  fs.writeFileSync(path.join(dir, "bad.yaml"), "title: T\ncourse: cnn\nquestions:\n  - id: a\n    type: single\n    text: X\n    choices: [{text: A}, {text: B}]\n    answer: C\n");
  const r = run("content-check", "content", dir);
  expect(r.stdout).toContain(`${path.basename(dir)}/bad.yaml:8: error: Question "a": the answer "C" is not one of its choices ("A", "B").`);
  expect(r.stdout).toContain("1 quiz: 2 errors"); // also: no right choice left
  expect(r.status).toBe(1);
  fs.rmSync(dir, { recursive: true, force: true });
});

test("render prints the page as the server renders it; problems go to stderr", () => {
  const ok = run("render", "tests/fixtures/readings/module-06-cnn.seed.md");
  expect(ok.status).toBe(0);
  expect(ok.stdout).toContain("<h1>Module 06 — Convolutional Neural Networks</h1>");
  expect(ok.stdout).toContain('src="https://www.youtube-nocookie.com/embed/iaSUYvmCekI"');
  expect(ok.stderr).toContain("module-06-cnn.seed.md:47: warning: The link to ./keras-cnn.html");

  const c = copyContent();
  c.write("cnn/bad.md", "No title {{X}}");
  const bad = run("render", path.join(c.dir, "cnn/bad.md"));
  expect(bad.status).toBe(1);
  expect(bad.stderr).toMatch(/bad\.md:1: error: Unknown placeholder \{\{X\}\}/);
  c.remove();

  const missing = run("render", "nope.md");
  expect(missing.status).toBe(2);
  expect(missing.stderr).toContain("No such file: nope.md");
});
