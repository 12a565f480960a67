// The web process runs no model: inference and image preparation happen in child processes
// (grading/runner.ts, grading/predictions.ts). What the server imports when it starts must not load
// the model and image libraries, which would hold most of its heap for nothing and make every full
// garbage collection walk them (a page's slowest responses wait for those pauses).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import ts from "typescript";

const SRC = path.resolve(import.meta.dirname, "../../src");
/** Packages (and anything under them) that only the child processes may load. */
const HEAVY = ["@tensorflow", "@napi-rs/canvas", "onnxruntime-node", "onnxruntime-web", "onnxruntime-common", "h5wasm"];
const heavy = (spec: string) => HEAVY.some((p) => spec === p || spec.startsWith(`${p}/`));

/**
 * The modules a file loads when it loads, read from its syntax tree: imports and re-exports but those
 * of types only (erased), `import x = require()`, and a dynamic import() or require() at the top level
 * (not inside a function, where it runs only when called).
 */
function loadTimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const out: string[] = [];
  const typesOnly = (clause: ts.ImportClause | undefined) =>
    !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
  const calls = (node: ts.Node) => {
    if (ts.isFunctionLike(node)) return; // runs when called, not when loaded
    if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require")) && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) out.push(node.arguments[0].text);
    ts.forEachChild(node, calls);
  };
  for (const st of source.statements) {
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      if (!typesOnly(st.importClause)) out.push(st.moduleSpecifier.text);
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      if (!st.isTypeOnly) out.push(st.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(st) && ts.isExternalModuleReference(st.moduleReference) && ts.isStringLiteral(st.moduleReference.expression)) {
      if (!st.isTypeOnly) out.push(st.moduleReference.expression.text);
    } else calls(st);
  }
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
        // A relative import this walk cannot follow fails the test rather than hiding what it loads.
        if (!fs.existsSync(target)) throw new Error(`${path.relative(SRC, file)} imports ${spec}, which is not a .ts file here`);
        visit(target, [...trail, path.relative(SRC, target)]);
      } else if (!packages.has(spec)) packages.set(spec, trail);
    }
  };
  visit(entry, [path.relative(SRC, entry)]);
  return packages;
}

test.each(["app.ts", "server.ts", "worker.ts"])("starting %s loads no model or image library (those run in child processes)", (entry) => {
  const reached = reachedPackages(path.join(SRC, entry));
  expect(reached.has("express") || reached.has("pg-boss") || reached.has("pg")).toBe(true); // the walk follows imports
  expect([...reached].filter(([spec]) => heavy(spec)).map(([spec, trail]) => `${spec} via ${trail.join(" → ")}`)).toEqual([]);
});

test("the grading code itself does load them (what the walk would find if a page imported it)", () => {
  const reached = reachedPackages(path.join(SRC, "grading/models.ts"));
  expect([...reached.keys()].filter(heavy)).toEqual(expect.arrayContaining(["@tensorflow/tfjs", "h5wasm/node"]));
});

test("the walk reads what loads and skips what does not: types, code inside functions", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "web-imports-"));
  try {
    const file = path.join(dir, "a.ts");
    fs.writeFileSync(file, [
      'import type { X } from "type-only";', 'import { type Y, type Z } from "types-only";', 'export type { W } from "type-reexport";',
      'import {', '  a,', '  type B,', '} from "multi-line";', 'export * from "star";', 'import "side-effect";', 'import fs = require("eq-require");',
      'const later = () => import("lazy");', 'await import("top-level");', 'const s = "x from \\"not-an-import\\"";',
    ].join("\n"));
    expect(loadTimeImports(file).sort()).toEqual(["eq-require", "multi-line", "side-effect", "star", "top-level"]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
