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

test("parts whose values are known already are not sent: the others are, renumbered; when all are known, no statement is", async () => {
  const { pool, sent } = fakePool({ b: 5 });
  const a = { sql: "SELECT $1::int", values: [1], read: (v: unknown) => `a:${String(v)}` };
  const b = { sql: "SELECT $1::int + $2::int", values: [2, 3], read: (v: unknown) => `b:${String(v)}` };
  expect(await readParts(pool, { a, b }, { a: 7 })).toEqual({ a: "a:7", b: "b:5" });
  expect(sent).toEqual([expect.objectContaining({ text: 'SELECT (SELECT $1::int + $2::int) AS "b"', values: [2, 3] })]);
  // A known null is a value (an empty part); undefined is not known.
  expect(await readParts(pool, { a, b }, { a: null, b: [] })).toEqual({ a: "a:null", b: "b:" });
  expect(sent).toHaveLength(1);
  expect(await readParts(pool, { a }, { a: undefined })).toEqual({ a: "a:undefined" });
  expect(sent).toHaveLength(2);
});

test("a timestamp column as JSON gives it (UTC, no zone) reads as that UTC moment", () => {
  expect(utc("2031-03-12T17:00:00.123").toISOString()).toBe("2031-03-12T17:00:00.123Z");
});

test("a part of the session's statement may not bring parameters without args, and its name must be an identifier", async () => {
  const { sessions } = await import("../../src/platform/http.js");
  const config = { NODE_ENV: "test", cookieSecure: false, SESSION_MAX_AGE_HOURS: 1 } as Parameters<typeof sessions>[0];
  const { pool } = fakePool({});
  expect(() => sessions(config, pool, "s".repeat(40), [{ name: "x", sql: "(SELECT $1::text)" }])).toThrow('Session context part "x" uses parameters ($1…) but gives no args');
  expect(() => sessions(config, pool, "s".repeat(40), [{ name: "x y", sql: "(SELECT 1)" }])).toThrow("must be an identifier");
});

test("a session part with args: its parameters follow the session's own where the request wants it; elsewhere it is a NULL column of another statement", async () => {
  const { sessions } = await import("../../src/platform/http.js");
  const { sign } = await import("cookie-signature");
  const config = { NODE_ENV: "test", cookieSecure: false, SESSION_MAX_AGE_HOURS: 1 } as Parameters<typeof sessions>[0];
  // No such session: the store answers "none" and the request goes on with a new, empty one.
  const sent: { text: string; values: unknown[] }[] = [];
  const pool = { query: async (q: { text: string; values: unknown[] }) => (sent.push(q), { rows: [] }) } as unknown as pg.Pool;
  const secret = "s".repeat(40);
  const handler = sessions(config, pool, secret, [
    { name: "plain", sql: "(SELECT u.name)" },
    { name: "course", sql: "(SELECT $1::text || $2::text || $1::text)", args: (req) => (req.path.startsWith("/c/") ? [req.path.slice(3), "!"] : null) },
  ]);
  const request = async (path: string) => {
    const req = { method: "GET", url: path, originalUrl: path, path, headers: { cookie: `cnn.sid=s:${encodeURIComponent(sign("sid-1", secret))}` }, connection: {}, socket: {} };
    const res = { writeHead() {}, end() {}, getHeader() {}, setHeader() {}, on() {} };
    await new Promise<void>((resolve, reject) => handler(req as never, res as never, (err?: unknown) => (err ? reject(err) : resolve())));
  };
  await request("/c/cnn");
  await request("/elsewhere");
  expect(sent).toHaveLength(2);
  // The statement runs over arrays, one element per read: a part's $1, $2 are the third and fourth arrays' elements (b.p3, b.p4).
  expect(sent[0]!.text).toContain(', (SELECT u.name) AS "part_plain", (SELECT b.p3::text || b.p4::text || b.p3::text) AS "part_course"');
  expect(sent[0]!.text).toContain("FROM unnest($1::text[], $2::float8[], $3::text[], $4::text[]) WITH ORDINALITY AS b(p1, p2, p3, p4, read)");
  expect(sent[0]!.values).toEqual([["sid-1"], [expect.any(Number)], ["cnn"], ["!"]]);
  expect(sent[1]!.text).toContain(', (SELECT u.name) AS "part_plain", NULL AS "part_course"');
  expect(sent[1]!.values).toEqual([["sid-1"], [expect.any(Number)]]);
  // Each set of parts is its own prepared statement (one text per name).
  expect((sent[0] as { name?: string }).name).not.toBe((sent[1] as { name?: string }).name);
});
