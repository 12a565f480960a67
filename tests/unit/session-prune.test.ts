// Expired sessions are deleted on a timer of the session middleware (platform/http.ts), which stops
// once its pool is ending: it must not outlive the app (a test's app, or the process shutting down).
import { jest } from "@jest/globals";
import type pg from "pg";
import { sessions } from "../../src/platform/http.js";

afterEach(() => jest.useRealTimers());

/** A pool that records what it is sent, ends as pg's does (ending: true), and fails a statement when told to. */
function fakePool() {
  const sent: string[] = [];
  const pool = {
    ending: false,
    fail: false,
    query(text: string | { text: string }, values?: unknown, cb?: (err: Error | null, res?: unknown) => void) {
      sent.push(typeof text === "string" ? text : text.text);
      const done = typeof values === "function" ? (values as typeof cb) : cb;
      const result = pool.fail ? Promise.reject(new Error("connection lost")) : Promise.resolve({ rows: [] });
      if (done) result.then((r) => done(null, r), (e: Error) => done(e));
      return result;
    },
  };
  return { pool, sent };
}

const config = (NODE_ENV: string) => ({ NODE_ENV, cookieSecure: false, SESSION_MAX_AGE_HOURS: 1 }) as Parameters<typeof sessions>[0];
const FIFTEEN_MINUTES = 15 * 60 * 1000;

test("every 15 minutes expired sessions are deleted; a failure is logged and the next interval tries again; once the pool is ending, nothing more", async () => {
  jest.useFakeTimers();
  const { pool, sent } = fakePool();
  const errors: string[] = [];
  sessions(config("production"), pool as unknown as pg.Pool, "s".repeat(40), [], { error: (_o: unknown, msg?: string) => void errors.push(String(msg)) } as never);
  await jest.advanceTimersByTimeAsync(FIFTEEN_MINUTES - 1000);
  expect(sent).toEqual([]);
  await jest.advanceTimersByTimeAsync(1000);
  expect(sent).toEqual([expect.stringMatching(/^DELETE FROM "session" WHERE expire < to_timestamp\(\$1\)$/)]);
  pool.fail = true;
  await jest.advanceTimersByTimeAsync(FIFTEEN_MINUTES);
  expect(sent).toHaveLength(2);
  expect(errors).toEqual(["expired sessions could not be deleted; trying again at the next interval"]);
  pool.fail = false;
  await jest.advanceTimersByTimeAsync(FIFTEEN_MINUTES);
  expect(sent).toHaveLength(3);
  pool.ending = true;
  await jest.advanceTimersByTimeAsync(3 * FIFTEEN_MINUTES);
  expect(sent).toHaveLength(3);
  expect(jest.getTimerCount()).toBe(0);
});

test("under NODE_ENV=test nothing is pruned on a timer", async () => {
  jest.useFakeTimers();
  const { pool, sent } = fakePool();
  sessions(config("test"), pool as unknown as pg.Pool, "s".repeat(40));
  await jest.advanceTimersByTimeAsync(4 * FIFTEEN_MINUTES);
  expect(sent).toEqual([]);
  expect(jest.getTimerCount()).toBe(0);
});
