// Variant questions: parameters drawn from a seeded generator, values computed by
// math.js expressions in a locked-down instance (no assignment, no function
// definitions, no import): quiz files are data, never code.
import { all, create, type EvalFunction, type SymbolNode } from "mathjs";
import type { Param, Question } from "./quiz.definition.js";

const math = create(all!);
const compileRaw = math.compile.bind(math);
const parse = math.parse.bind(math);
// The math.js security guide: take away what can change the instance or reach outside.
math.import(
  {
    import: () => { throw new Error("import is disabled"); },
    createUnit: () => { throw new Error("createUnit is disabled"); },
    evaluate: () => { throw new Error("evaluate is disabled"); },
    parse: () => { throw new Error("parse is disabled"); },
    simplify: () => { throw new Error("simplify is disabled"); },
    derivative: () => { throw new Error("derivative is disabled"); },
    resolve: () => { throw new Error("resolve is disabled"); },
    reviver: () => { throw new Error("reviver is disabled"); },
  },
  { override: true },
);

const FORBIDDEN_NODES = new Set(["AssignmentNode", "FunctionAssignmentNode", "BlockNode"]);
// `config` cannot be overridden like the functions above, and a call of it from one quiz
// file would change the shared instance (its number type) for every expression after it.
const FORBIDDEN_NAMES = new Set(["config"]);
const cache = new Map<string, EvalFunction>();

export class ExpressionError extends Error {}

/** Compiles an expression once; refuses assignments, function definitions and `config`. */
export function compile(expr: string): EvalFunction {
  let fn = cache.get(expr);
  if (fn) return fn;
  let node;
  try {
    node = parse(expr);
  } catch (e) {
    throw new ExpressionError(`cannot read the expression "${expr}": ${(e as Error).message}`);
  }
  node.traverse((n) => {
    if (FORBIDDEN_NODES.has(n.type)) throw new ExpressionError(`"${expr}" may only compute a value (no assignments, definitions or several statements)`);
    if (n.type === "SymbolNode" && FORBIDDEN_NAMES.has((n as SymbolNode).name)) throw new ExpressionError(`"${expr}" uses ${(n as SymbolNode).name}, which quiz expressions may not use`);
  });
  fn = compileRaw(expr);
  cache.set(expr, fn);
  return fn;
}

export type Scope = Record<string, number>;

/** Evaluates an expression to a finite number, or throws ExpressionError saying why. */
export function evaluateNumber(expr: string, scope: Scope): number {
  let v: unknown;
  try {
    v = compile(expr).evaluate({ ...scope });
  } catch (e) {
    if (e instanceof ExpressionError) throw e;
    const unknown = /^Undefined symbol (\w+)$/.exec((e as Error).message);
    if (unknown) throw new ExpressionError(`it uses ${unknown[1]}, which is not a parameter or let value`);
    throw new ExpressionError(`"${expr}" fails: ${(e as Error).message}`);
  }
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v !== "number") throw new ExpressionError(`"${expr}" does not give a number (math.js reads some names, such as N or m, as units or functions: pick another parameter name)`);
  if (!Number.isFinite(v)) throw new ExpressionError(`"${expr}" gives ${v}`);
  return v;
}

/** Numbers as a person would write them: integers plainly, others to 6 significant digits. */
export function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

const TEMPLATE = /\{\{\s*([^{}]+?)\s*\}\}/g;

/** Replaces each `{{ expression }}` with its value. */
export function fillTemplate(text: string, scope: Scope): string {
  return text.replace(TEMPLATE, (_m, expr: string) => formatNumber(evaluateNumber(expr, scope)));
}

export function hasTemplates(text: string): boolean {
  return new RegExp(TEMPLATE.source).test(text);
}

function values(p: Param): number[] {
  if ("choose" in p) return p.choose;
  const out: number[] = [];
  for (let v = p.from; v <= p.to + 1e-9 && out.length <= MAX_COMBINATIONS; v += p.step) out.push(Number(v.toFixed(10)));
  return out;
}

export const MAX_COMBINATIONS = 20_000;

export function isVariant(q: Question): boolean {
  return !!q.params && Object.keys(q.params).length > 0;
}

/** Every combination of a question's parameters (before `where`), or an error when there are too many. */
export function combinations(q: Question): Scope[] {
  const entries = Object.entries(q.params ?? {}).map(([name, p]) => [name, values(p)] as const);
  const count = entries.reduce((n, [, vs]) => n * vs.length, 1);
  if (count > MAX_COMBINATIONS) throw new ExpressionError(`the parameters make ${count} combinations; narrow them to at most ${MAX_COMBINATIONS}`);
  let out: Scope[] = [{}];
  for (const [name, vs] of entries) out = out.flatMap((s) => vs.map((v) => ({ ...s, [name]: v })));
  return out;
}

/** Adds the question's `let` values to a parameter combination, in order. */
export function withLets(q: Question, params: Scope): Scope {
  const scope = { ...params };
  for (const [name, expr] of Object.entries(q.let ?? {})) scope[name] = evaluateNumber(expr, scope);
  return scope;
}

const validCache = new Map<string, Scope[]>();

/** The combinations students can get: those for which `where` holds (computed once per question definition). */
export function validCombinations(q: Question): Scope[] {
  const key = JSON.stringify([q.params, q.let, q.where]);
  let out = validCache.get(key);
  if (out) return out;
  const every = combinations(q);
  out = !q.where
    ? every
    : every.filter((s) => {
        try {
          return evaluateNumber(q.where!, withLets(q, s)) !== 0;
        } catch {
          return false;
        }
      });
  if (validCache.size > 500) validCache.clear();
  validCache.set(key, out);
  return out;
}

/** A stable name for a variant, for statistics per variant. */
export function variantKey(params: Scope): string {
  return Object.keys(params).sort().map((k) => `${k}=${formatNumber(params[k]!)}`).join(",");
}
