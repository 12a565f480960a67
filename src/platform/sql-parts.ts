// Several features' reads for one page as one SQL statement: each feature writes its read as a
// part — a scalar expression (a subquery returning JSON, usually) with its own $1, $2… — and
// how to turn the value into what it returns; a page composed of several features runs the
// parts together in one round trip where each would make its own. The features keep their
// SQL; the page knows only which parts it needs.
import crypto from "node:crypto";
import type pg from "pg";

export interface SqlPart<T> {
  /** A scalar SQL expression; parameters $1… are the part's own `values`. */
  sql: string;
  values: unknown[];
  /** What the part returns, from its column's value (JSON arrives parsed). */
  read(value: unknown): T | Promise<T>;
}

type Results<P> = { [K in keyof P]: P[K] extends SqlPart<infer T> ? T : never };

/** The highest parameter ($n) an SQL text uses: how many values it takes. */
export function parameterCount(sql: string): number {
  return Math.max(0, ...[...sql.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}

/** The SQL with each parameter $n written as `to(n)`. Only parameters are rewritten: a part's SQL has no "$"
 *  inside string literals (none of ours do). */
function rewriteParameters(sql: string, to: (n: number) => string): string {
  return sql.replace(/\$(\d+)/g, (_m, n: string) => to(Number(n)));
}

/** The SQL with each parameter $n moved to $(offset + n), to follow `offset` parameters before it. */
export function renumber(sql: string, offset: number): string {
  return rewriteParameters(sql, (n) => `$${offset + n}`);
}

/** The SQL with each parameter $n replaced by the column `${row}.p${offset + n}`: a statement run once over the rows of
 *  `unnest(...)` of arrays, one row per read, takes each read's values from its row. */
export function parametersAsColumns(sql: string, offset: number, row: string): string {
  return rewriteParameters(sql, (n) => `${row}.p${offset + n}`);
}

/** The highest parameter ($n) each part's SQL uses. */
const highest = new Map<string, number>();

/** Prepared-statement names by statement text: the same parts make the same text, prepared once per connection. */
const names = new Map<string, string>();

/**
 * Runs the parts as one statement (`SELECT (part) AS "key", …`) and reads each part's value. A part
 * whose value is `known` already (read with the session's statement: SessionContextPart) is not sent;
 * when every part's is, no statement is.
 */
export async function readParts<P extends Record<string, SqlPart<unknown>>>(pool: pg.Pool, parts: P, known: { [K in keyof P]?: unknown } = {}): Promise<Results<P>> {
  const all = Object.keys(parts);
  const keys = all.filter((key) => known[key] === undefined);
  if (!keys.length) return readAll(parts, all, known as Record<string, unknown>);
  const values: unknown[] = [];
  const columns = keys.map((key) => {
    if (!/^[a-z][a-zA-Z0-9]*$/.test(key)) throw new Error(`SQL part name "${key}" must be an identifier`);
    const part = parts[key]!;
    let used = highest.get(part.sql);
    if (used === undefined) {
      used = parameterCount(part.sql);
      if (highest.size >= 500) highest.clear();
      highest.set(part.sql, used);
    }
    if (used !== part.values.length) throw new Error(`SQL part "${key}" uses $1…$${used} but gives ${part.values.length} value(s)`);
    const offset = values.length;
    values.push(...part.values);
    return `(${renumber(part.sql, offset)}) AS "${key}"`;
  });
  const text = `SELECT ${columns.join(",\n ")}`;
  let name = names.get(text);
  if (!name) {
    name = `parts:${crypto.createHash("sha256").update(text).digest("base64url").slice(0, 24)}`;
    if (names.size >= 500) names.clear();
    names.set(text, name);
  }
  const { rows: [row] } = await pool.query<Record<string, unknown>>({ name, text, values });
  return readAll(parts, all, { ...(known as Record<string, unknown>), ...row });
}

async function readAll<P extends Record<string, SqlPart<unknown>>>(parts: P, keys: string[], values: Record<string, unknown>): Promise<Results<P>> {
  const read = await Promise.all(keys.map((key) => parts[key]!.read(values[key])));
  return Object.fromEntries(keys.map((key, i) => [key, read[i]])) as Results<P>;
}

/** A timestamp column (stored as UTC without a zone, as Prisma stores them) as JSON gives it: "2031-03-12T17:00:00.123". */
export function utc(stamp: string): Date {
  return new Date(`${stamp}Z`);
}
