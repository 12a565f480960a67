// The web process runs no model: inference and image preparation happen in child processes
// (grading/runner.ts, grading/predictions.ts). What the server imports when it starts must not load
// the model and image libraries, which would hold most of its heap for nothing and make every full
// garbage collection walk them (a page's slowest responses wait for those pauses).
import fs from "node:fs";
import path from "node:path";

const SRC = path.resolve(import.meta.dirname, "../../src");
const HEAVY = ["@tensorflow/tfjs", "@tensorflow/tfjs-node", "@napi-rs/canvas", "onnxruntime-node", "onnxruntime-web", "h5wasm", "h5wasm/node"];

/** The modules a file imports at load time: static imports and re-exports, not `import type` (erased) nor `import()`. */
function loadTimeImports(file: string): string[] {
  const text = fs.readFileSync(file, "utf8");
  const out: string[] = [];
  for (const m of text.matchAll(/^(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/gms)) {
    if (m[2]) continue; // import type / export type
    const names = /^\{([^}]*)\}$/.exec(m[3]!.trim());
    if (names && names[1]!.split(",").map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith("type "))) continue; // only types
    out.push(m[4]!);
  }
  for (const m of text.matchAll(/^import\s+["']([^"']+)["']/gm)) out.push(m[1]!);
  return out;
}

/** Every package (by its import specifier) reached from `entry` through load-time imports, with a path to it. */
function reachedPackages(entry: string): Map<string, string[]> {
  const packages = new Map<string, string[]>();
  const seen = new Set<string>();
  const visit = (file: string, trail: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of loadTimeImports(file)) {
      if (spec.startsWith(".")) {
        const target = path.resolve(path.dirname(file), spec).replace(/\.js$/, ".ts");
        if (fs.existsSync(target)) visit(target, [...trail, path.relative(SRC, target)]);
      } else if (!packages.has(spec)) packages.set(spec, trail);
    }
  };
  visit(entry, [path.relative(SRC, entry)]);
  return packages;
}

test.each(["app.ts", "server.ts", "worker.ts"])("starting %s loads no model or image library (those run in child processes)", (entry) => {
  const reached = reachedPackages(path.join(SRC, entry));
  expect(reached.has("express") || reached.has("pg-boss") || reached.has("pg")).toBe(true); // the walk follows imports
  expect(HEAVY.filter((p) => reached.has(p)).map((p) => `${p} via ${reached.get(p)!.join(" → ")}`)).toEqual([]);
});

test("the grading code itself does load them (what the walk would find if a page imported it)", () => {
  const reached = reachedPackages(path.join(SRC, "grading/models.ts"));
  expect(HEAVY.filter((p) => reached.has(p))).toEqual(expect.arrayContaining(["@tensorflow/tfjs", "h5wasm/node"]));
});
