// npm run bench:readings — requests/s and latency (p50/p99) of a signed-in student's pages
// (the redirect from /, the course, module and reading pages) and of a checklist toggle
// under concurrent load, each beside /healthz measured in the same run: the machine's
// speed cancels out of the ratio. The real server (NODE_ENV=production) on loopback with a
// throwaway embedded PostgreSQL. Bounded: each run lasts BENCH_SECONDS.
import os from "node:os";
import autocannon from "autocannon";
import { DEMO_PASSWORDS } from "../src/demo/demo.seed.js";
import { signInHttp, startBenchServer } from "./harness.js";
import { countOf } from "../src/platform/text.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Each load is measured in ROUNDS pairs (a /healthz run, then the load): a shared machine's speed drifts by ±30% within a minute, and the median of five pairs moves less than that of three. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
/** Goals of issue 14, as a share of /healthz's requests/s and as p99 at 20 connections. */
const GOAL = { page: 25, toggle: 15, p99Ms: 50 };

const { db, base, close, queries } = await startBenchServer({ countQueries: true });

async function signIn(email: string) {
  const { cookie, csrf, html } = await signInHttp(base, email, DEMO_PASSWORDS.student, "/courses/cnn/modules/cnn");
  return { cookie, csrf, tick: /action="([^"]+\/checklist\/[^"]+)"/.exec(html)![1]! };
}

/** Runs one load and returns its requests/s; a response of another status class than `expect` counts as an error. */
async function run(opts: autocannon.Options, expect: "2xx" | "3xx" = "2xx") {
  const res = await new Promise<autocannon.Result>((resolve, reject) => {
    autocannon({ duration: SECONDS, connections: CONNECTIONS, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  });
  const ok = res[expect];
  return { rps: res.requests.average, p50: res.latency.p50, p99: res.latency.p99, total: res.requests.total, errors: res.errors + res.timeouts + (res.requests.total - ok) };
}

const student = await signIn("alice@example.edu");
const page = { headers: { cookie: student.cookie } };
console.log(`bench:readings — ${CONNECTIONS} connections, ${SECONDS}s each, ${os.cpus().length} cores, Node ${process.version}, NODE_ENV=production`);
const loads: [string, autocannon.Options, "2xx" | "3xx", number | null][] = [
  ["GET / (redirect to the course)", { url: `${base}/`, ...page }, "3xx", null],
  ["GET course page", { url: `${base}/courses/cnn`, ...page }, "2xx", GOAL.page],
  ["GET module page", { url: `${base}/courses/cnn/modules/cnn`, ...page }, "2xx", GOAL.page],
  ["GET reading page (overview)", { url: `${base}/courses/cnn/modules/cnn/readings/overview`, ...page }, "2xx", GOAL.page],
  ["POST checklist toggle (JSON)", {
    url: `${base}${student.tick}`,
    method: "POST",
    headers: { cookie: student.cookie, accept: "application/json", "content-type": "application/x-www-form-urlencoded", "x-csrf-token": student.csrf },
    requests: [{ body: "done=1" }, { body: "done=0" }],
  }, "2xx", GOAL.toggle],
];
/** The middle value (of an odd count; the upper middle of an even one). */
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`Each load: ${ROUNDS} rounds of ${SECONDS}s, each right after a /healthz run; the figures are the medians of the rounds (range in brackets).`);
for (const [title, opts, expect, goal] of loads) {
  const rounds: { health: number; rps: number; share: number; p50: number; p99: number; total: number; errors: number; statements: number }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const health = await run({ url: `${base}/healthz` });
    const q0 = queries();
    const r = await run(opts, expect);
    rounds.push({ health: health.rps, rps: r.rps, share: (100 * r.rps) / health.rps, p50: r.p50, p99: r.p99, total: r.total, errors: r.errors, statements: (queries() - q0) / r.total });
  }
  const m = (k: keyof (typeof rounds)[number]) => median(rounds.map((r) => r[k]));
  const range = (k: keyof (typeof rounds)[number], digits = 0) => `[${Math.min(...rounds.map((r) => r[k])).toFixed(digits)}–${Math.max(...rounds.map((r) => r[k])).toFixed(digits)}]`;
  const share = m("share");
  const p99 = m("p99");
  const total = rounds.reduce((a, r) => a + r.total, 0);
  const errors = rounds.reduce((a, r) => a + r.errors, 0);
  const verdict = goal === null ? "" : `   goal ≥ ${goal}% and p99 < ${GOAL.p99Ms} ms: ${share >= goal && p99 < GOAL.p99Ms ? "met" : "NOT met"}`;
  console.log(`${"GET /healthz".padEnd(32)} ${m("health").toFixed(0).padStart(6)} req/s ${range("health").padEnd(12)}`);
  console.log(`${title.padEnd(32)} ${m("rps").toFixed(0).padStart(6)} req/s ${range("rps").padEnd(12)} ${share.toFixed(1).padStart(5)}% ${range("share", 1).padEnd(12)} p50 ${String(m("p50")).padStart(3)} ms   p99 ${String(p99).padStart(3)} ms ${range("p99").padEnd(9)}  ${total} requests, ${errors} errors, ${m("statements").toFixed(1)} SQL statements each${verdict}`);
}
const ticks = await db.checklistTick.count();
console.log(`after the run: ${countOf(ticks, "tick row")} for the toggled item (0 or 1 expected: toggles are idempotent)`);

await close();
