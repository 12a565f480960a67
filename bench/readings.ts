// npm run bench:readings — requests/s and latency (p50/p99) of a reading page and
// a checklist toggle under concurrent load, against the real server on loopback
// with a throwaway embedded PostgreSQL. Bounded: each run lasts BENCH_SECONDS.
import os from "node:os";
import autocannon from "autocannon";
import { DEMO_PASSWORDS } from "../src/demo/demo.seed.js";
import { signInHttp, startBenchServer } from "./harness.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);

const { db, base, close } = await startBenchServer();

async function signIn(email: string) {
  const { cookie, csrf, html } = await signInHttp(base, email, DEMO_PASSWORDS.student, "/courses/cnn/modules/cnn");
  return { cookie, csrf, tick: /action="([^"]+\/checklist\/[^"]+)"/.exec(html)![1]! };
}

function run(title: string, opts: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ duration: SECONDS, connections: CONNECTIONS, ...opts }, (err, result) => (err ? reject(err) : resolve(result)));
  }).then((r) => {
    const res = r as autocannon.Result;
    const errors = res.errors + res.non2xx;
    console.log(`${title.padEnd(34)} ${res.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(res.latency.p50).padStart(4)} ms   p99 ${String(res.latency.p99).padStart(4)} ms   ${res.requests.total} requests, ${errors} errors`);
    return res;
  });
}

const student = await signIn("alice@example.edu");
console.log(`bench:readings — ${CONNECTIONS} connections, ${SECONDS}s each, ${os.cpus().length} cores, Node ${process.version}`);
await run("GET reading page (overview)", { url: `${base}/courses/cnn/modules/cnn/readings/overview`, headers: { cookie: student.cookie } });
await run("GET module page", { url: `${base}/courses/cnn/modules/cnn`, headers: { cookie: student.cookie } });
await run("POST checklist toggle (JSON)", {
  url: `${base}${student.tick}`,
  method: "POST",
  headers: { cookie: student.cookie, accept: "application/json", "content-type": "application/x-www-form-urlencoded", "x-csrf-token": student.csrf },
  requests: [{ body: "done=1" }, { body: "done=0" }],
});
const ticks = await db.checklistTick.count();
console.log(`after the run: ${ticks} tick row(s) for the toggled item (0 or 1 expected: toggles are idempotent)`);

await close();
