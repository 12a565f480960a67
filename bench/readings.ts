// npm run bench:readings — requests/s and latency (p50/p99) of a signed-in student's pages
// (the redirect from /, the course, module and reading pages) and of a checklist toggle
// under concurrent load, each beside /healthz measured in the same run: the machine's
// speed cancels out of the ratio. The real server (NODE_ENV=production) on loopback with a
// throwaway embedded PostgreSQL. Bounded: each run lasts BENCH_SECONDS.
import os from "node:os";
import autocannon from "autocannon";
import { DEMO_PASSWORDS } from "../src/demo/demo.seed.js";
import { signInHttp, startBenchServer } from "./harness.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
/** Goals of issue 14, as a share of /healthz's requests/s and as p99 at 20 connections. */
const GOAL = { page: 25, toggle: 15, p99Ms: 50 };

const { db, base, close } = await startBenchServer();

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
const health = await run({ url: `${base}/healthz` });
const rows: [string, Awaited<ReturnType<typeof run>>, number | null][] = [["GET /healthz", health, null]];
rows.push(["GET / (redirect to the course)", await run({ url: `${base}/`, ...page }, "3xx"), null]);
rows.push(["GET course page", await run({ url: `${base}/courses/cnn`, ...page }), GOAL.page]);
rows.push(["GET module page", await run({ url: `${base}/courses/cnn/modules/cnn`, ...page }), GOAL.page]);
rows.push(["GET reading page (overview)", await run({ url: `${base}/courses/cnn/modules/cnn/readings/overview`, ...page }), GOAL.page]);
rows.push(["POST checklist toggle (JSON)", await run({
  url: `${base}${student.tick}`,
  method: "POST",
  headers: { cookie: student.cookie, accept: "application/json", "content-type": "application/x-www-form-urlencoded", "x-csrf-token": student.csrf },
  requests: [{ body: "done=1" }, { body: "done=0" }],
}), GOAL.toggle]);
// /healthz once more at the end: when the two differ much, the machine was busy with something else.
const healthAfter = await run({ url: `${base}/healthz` });

for (const [title, r, goal] of rows) {
  const share = (100 * r.rps) / health.rps;
  const verdict = goal === null ? "" : `   goal ≥ ${goal}% and p99 < ${GOAL.p99Ms} ms: ${share >= goal && r.p99 < GOAL.p99Ms ? "met" : "NOT met"}`;
  console.log(`${title.padEnd(32)} ${r.rps.toFixed(0).padStart(6)} req/s ${share.toFixed(1).padStart(6)}% of /healthz   p50 ${String(r.p50).padStart(3)} ms   p99 ${String(r.p99).padStart(4)} ms   ${r.total} requests, ${r.errors} errors${verdict}`);
}
console.log(`GET /healthz again at the end      ${healthAfter.rps.toFixed(0).padStart(6)} req/s (the first run's share figures use ${health.rps.toFixed(0)})`);
const ticks = await db.checklistTick.count();
console.log(`after the run: ${ticks} tick row(s) for the toggled item (0 or 1 expected: toggles are idempotent)`);

await close();
