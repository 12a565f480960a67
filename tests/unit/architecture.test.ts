// The allowed directions of imports between the folders of src/ (ARCHITECTURE.md, LAYERS in
// eslint.config.js): the lint rule reports a forbidden import, and the folder graph has no cycles.
import fs from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import { LAYERS } from "../../eslint.config.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const SRC = path.join(ROOT, "src");

/** The top-level folder of src/ a file is in ("" for src/*.ts, the wiring). */
const folderOf = (file: string) => {
  const parts = path.relative(SRC, file).split(path.sep);
  return parts.length > 1 ? parts[0]! : "";
};

/** Every relative import (static, export-from and dynamic) between folders of src/, as "from -> to" with the files behind it. */
function folderGraph(): Map<string, Set<string>> {
  const edges = new Map<string, Set<string>>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "generated") walk(p);
      } else if (p.endsWith(".ts")) {
        const text = fs.readFileSync(p, "utf8");
        for (const m of text.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g)) {
          const target = path.resolve(path.dirname(p), m[1] ?? m[2]!);
          if (!target.startsWith(SRC + path.sep)) continue;
          const a = folderOf(p);
          const b = folderOf(target);
          if (a === b || a === "") continue;
          if (!edges.has(a)) edges.set(a, new Set());
          edges.get(a)!.add(b);
        }
      }
    }
  };
  walk(SRC);
  return edges;
}

/** The folders on a cycle of the graph (depth-first search; an edge back to the current path closes one), or null. */
function findCycle(edges: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    state.set(n, "open");
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === "open") return [...stack.slice(stack.indexOf(m)), m];
      if (!state.has(m)) {
        const found = visit(m);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(n, "done");
    return null;
  };
  for (const n of edges.keys()) {
    if (!state.has(n)) {
      const found = visit(n);
      if (found) return found;
    }
  }
  return null;
}

describe("import boundaries", () => {
  const eslint = new ESLint({ cwd: ROOT });
  const lint = async (file: string, code: string) => (await eslint.lintText(code, { filePath: path.join(ROOT, file) }))[0]!.messages.filter((m) => m.ruleId === "no-restricted-imports");

  test("the lint rule reports grading importing a feature, a feature importing content/, and platform importing a feature", async () => {
    expect(await lint("src/grading/metrics-extra.ts", 'import { percentOf } from "../quiz/quiz.stats.js";\nexport const f = percentOf;\n')).toHaveLength(1);
    // From a subfolder, and as a re-export.
    expect(await lint("src/grading/dataset/extra.ts", 'export { enqueuer } from "../../casestudy/queue.js";\n')).toHaveLength(1);
    expect(await lint("src/quiz/quiz.extra.ts", 'import { syncContent } from "../content/content.sync.js";\nexport const f = syncContent;\n')).toHaveLength(1);
    expect(await lint("src/platform/extra.ts", 'import type { AuthService } from "../auth/auth.service.js";\nexport type A = AuthService;\n')).toHaveLength(1);
    // A lower feature importing a higher one: courses is below quiz.
    expect(await lint("src/courses/courses.extra.ts", 'import { QuizService } from "../quiz/quiz.service.js";\nexport const Q = QuizService;\n')).toHaveLength(1);
  });

  test("the allowed directions pass: a feature importing the kernel and a lower feature, a composed page importing features", async () => {
    expect(await lint("src/grading/extra.ts", 'import { SeededRandom } from "../platform/random.js";\nexport const R = SeededRandom;\n')).toEqual([]);
    expect(await lint("src/quiz/quiz.extra.ts", 'import { loadCourse } from "../courses/courses.loaders.js";\nexport const l = loadCourse;\n')).toEqual([]);
    expect(await lint("src/week/extra.ts", 'import { QuizService } from "../quiz/quiz.service.js";\nimport { SubmissionsService } from "../casestudy/submissions.service.js";\nexport const s = [QuizService, SubmissionsService];\n')).toEqual([]);
  });

  test("lti/ may use accounts and courses, and no feature imports it: quiz, case study, week and dashboard hear of LTI only through grade events", async () => {
    expect(await lint("src/lti/lti.extra.ts", 'import { loadCourse } from "../courses/courses.loaders.js";\nimport type { AuthService } from "../auth/auth.service.js";\nexport const l = loadCourse;\nexport type A = AuthService;\n')).toEqual([]);
    for (const folder of ["quiz", "casestudy", "week", "dashboard", "courses", "auth"]) {
      expect(await lint(`src/${folder}/extra.ts`, 'import { queueQuizScore } from "../lti/lti.grades.js";\nexport const q = queueQuizScore;\n')).toHaveLength(1);
    }
  });

  test("every folder of src/ has its place in the layers (a new folder must be added to LAYERS and ARCHITECTURE.md)", () => {
    const folders = fs.readdirSync(SRC, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== "generated").map((e) => e.name).sort();
    expect(folders).toEqual(Object.keys(LAYERS).sort());
  });

  test("the folder graph of src/ has no cycles, and every import between folders is an allowed direction", () => {
    const edges = folderGraph();
    expect(findCycle(edges)).toBeNull();
    const disallowed = [...edges].flatMap(([a, bs]) => [...bs].filter((b) => !LAYERS[a]?.includes(b)).map((b) => `${a} -> ${b}`));
    expect(disallowed).toEqual([]);
  });

  test("grading/ (a library and CLI) imports nothing from features", () => {
    expect([...(folderGraph().get("grading") ?? [])]).toEqual(["platform"]);
  });

  test("the cycle finder finds a cycle through three folders (so the check above can fail)", () => {
    const edges = new Map([["a", new Set(["b"])], ["b", new Set(["c"])], ["c", new Set(["a"])], ["d", new Set(["a"])]]);
    expect(findCycle(edges)).toEqual(["a", "b", "c", "a"]);
    expect(findCycle(new Map([["a", new Set(["b"])], ["b", new Set(["c"])]]))).toBeNull();
  });
});
