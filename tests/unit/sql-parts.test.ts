import type pg from "pg";
import { readParts, utc } from "../../src/platform/sql-parts.js";

/** A pool that records the statement it is given and answers with one row. */
function fakePool(row: Record<string, unknown>) {
  const sent: { name?: string; text: string; values: unknown[] }[] = [];
  const pool = { query: async (q: { name?: string; text: string; values: unknown[] }) => (sent.push(q), { rows: [row] }) };
  return { pool: pool as unknown as pg.Pool, sent };
}

test("parts run as one statement, each part's parameters renumbered after the ones before it", async () => {
  const { pool, sent } = fakePool({ a: 3, b: [1, 2] });
  const out = await readParts(pool, {
    a: { sql: "SELECT $1::int + $2::int", values: [1, 2], read: (v) => Number(v) * 10 },
    b: { sql: "SELECT array[$1::int, $1::int + 1]", values: [1], read: async (v) => (v as number[]).length },
  });
  expect(sent).toHaveLength(1);
  expect(sent[0]!.text).toBe('SELECT (SELECT $1::int + $2::int) AS "a",\n (SELECT array[$3::int, $3::int + 1]) AS "b"');
  expect(sent[0]!.values).toEqual([1, 2, 1]);
  expect(out).toEqual({ a: 30, b: 2 });
});

test("the same parts make the same statement name; other parts another", async () => {
  const { pool, sent } = fakePool({ a: 1 });
  const part = { sql: "SELECT $1::int", values: [1], read: (v: unknown) => v };
  await readParts(pool, { a: part });
  await readParts(pool, { a: { ...part, values: [2] } });
  await readParts(pool, { a: { ...part, sql: "SELECT $1::bigint" } });
  expect(sent[0]!.name).toBe(sent[1]!.name);
  expect(sent[2]!.name).not.toBe(sent[0]!.name);
});

test("a part whose parameters and values do not match, or a key that is not an identifier, is refused before anything is sent", async () => {
  const { pool, sent } = fakePool({});
  await expect(readParts(pool, { a: { sql: "SELECT $1, $2", values: [1], read: (v) => v } })).rejects.toThrow('SQL part "a" uses $1…$2 but gives 1 value(s)');
  await expect(readParts(pool, { a: { sql: "SELECT 1", values: [1], read: (v) => v } })).rejects.toThrow("uses $1…$0 but gives 1");
  await expect(readParts(pool, { 'a" FROM x; --': { sql: "SELECT 1", values: [], read: (v) => v } })).rejects.toThrow("must be an identifier");
  expect(sent).toHaveLength(0);
});

test("a timestamp column as JSON gives it (UTC, no zone) reads as that UTC moment", () => {
  expect(utc("2031-03-12T17:00:00.123").toISOString()).toBe("2031-03-12T17:00:00.123Z");
});

test("a part of the session's statement may not bring parameters of its own, and its name must be an identifier", async () => {
  const { sessions } = await import("../../src/platform/http.js");
  const config = { NODE_ENV: "test", cookieSecure: false, SESSION_MAX_AGE_HOURS: 1 } as Parameters<typeof sessions>[0];
  const { pool } = fakePool({});
  expect(() => sessions(config, pool, "s".repeat(40), [{ name: "x", sql: "(SELECT $1::text)" }])).toThrow('Session context part "x" must not use parameters');
  expect(() => sessions(config, pool, "s".repeat(40), [{ name: "x y", sql: "(SELECT 1)" }])).toThrow("must be an identifier");
});
