// Start-up reconciliation: submissions whose state disagrees with the queue, as a
// process that died between the two leaves them, are put right when a worker starts
// (src/worker.ts): queued again and scored, or failed with a reason a student can read.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { SCORE_QUEUE } from "../../src/casestudy/queue.js";
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { expected, fixtureHoldout, MODELS } from "../helpers/grading.js";
import { until } from "../helpers/wait.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const CASE = "/courses/cnn/case-studies/cnn";
const now = new Date("2026-12-01T19:00:00Z"); // the app's clock, before the deadline
const holdout = fixtureHoldout(expected("seq-basic").argmax, { repeat: 2 });
const content = copyContent();
content.write("cnn/case-study.yaml", `title: Reconcile test\ndeadline: 2026-12-04T23:59\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\nlimits: { perDay: 20, total: 50, cooldownMinutes: 0 }\n`);
const QUEUE_ENV = { GRADING_JOB_EXPIRE_SECONDS: "60" };
let t: TestApp;
let worker: ChildProcess | null = null;
let lockHolder: pg.Client | null = null;

beforeAll(async () => {
  t = await startTestApp(QUEUE_ENV, { contentDir: content.dir, clock: () => now, queue: {} });
});
afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
  await lockHolder?.end().catch(() => {});
  await t.close();
  holdout.remove();
  content.remove();
});

async function upload(): Promise<string> {
  const alice = await signedIn(t, "alice@example.edu");
  const page = await alice.get(CASE);
  const res = await alice.post(`${CASE}/submissions`).field("_csrf", csrfFrom(page.text)).attach("model", path.join(MODELS, "seq-basic.keras"));
  expect(res.status).toBe(303);
  return res.headers.location!.split("/").pop()!;
}

const jobsOf = (id: string) => t.db.$queryRaw<{ id: string; state: string }[]>`SELECT id::text AS id, state::text AS state FROM pgboss.job WHERE data->>'submissionId' = ${id} ORDER BY created_on`;
const sub = (id: string) => t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } });
/** Takes this submission's job from the queue, as a worker would. */
async function take(id: string): Promise<string> {
  const [job] = await t.boss!.fetch<{ submissionId: string }>(SCORE_QUEUE);
  expect(job?.data.submissionId).toBe(id);
  return job!.id;
}
/** The submission as a worker that died mid-run an hour ago left it. */
const diedRunning = (id: string) => t.db.submission.update({ where: { id }, data: { status: "RUNNING", startedAt: new Date(Date.now() - 3600_000), runs: { increment: 1 }, progress: 0.4 } });

test("a starting worker requeues what the queue lost, fails what has no tries left, and leaves live work alone", async () => {
  // QUEUED, but its job completed (a try that said "will try again shortly" while its job was finished).
  const queuedCompleted = await upload();
  await t.boss!.complete(SCORE_QUEUE, await take(queuedCompleted));
  await t.db.submission.update({ where: { id: queuedCompleted }, data: { errorMessage: "The grader had a problem and will try again shortly." } });
  // QUEUED with no job at all.
  const queuedMissing = await upload();
  await t.db.$executeRaw`DELETE FROM pgboss.job WHERE data->>'submissionId' = ${queuedMissing}`;
  // RUNNING past the expiry; its job is gone; tries left.
  const runningLost = await upload();
  await take(runningLost);
  await t.db.$executeRaw`DELETE FROM pgboss.job WHERE data->>'submissionId' = ${runningLost}`;
  await diedRunning(runningLost);
  // RUNNING past the expiry; its job failed on its last try.
  const runningSpent = await upload();
  await take(runningSpent);
  await t.db.$executeRaw`UPDATE pgboss.job SET state = 'failed', retry_count = retry_limit, completed_on = now() WHERE data->>'submissionId' = ${runningSpent}`;
  await diedRunning(runningSpent);
  // Left alone: RUNNING past the expiry whose run is still alive (it holds the lock), and QUEUED with a live job.
  const runningAlive = await upload();
  await t.boss!.complete(SCORE_QUEUE, await take(runningAlive));
  await diedRunning(runningAlive);
  lockHolder = new pg.Client({ connectionString: t.url });
  await lockHolder.connect();
  await lockHolder.query("SELECT pg_advisory_lock(hashtextextended($1, 0))", [`score-submission:${runningAlive}`]);
  const queuedLive = await upload();

  worker = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    cwd: ROOT, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: t.url, DATA_DIR: t.dataDir, LOG_LEVEL: "info", NODE_ENV: "test", ...QUEUE_ENV },
  });
  let log = "";
  worker.stdout!.on("data", (d: Buffer) => (log += d.toString()));
  worker.stderr!.resume();
  const line = await until(() => log.split("\n").find((l) => l.includes("reconciled with the grading queue")), (l) => l !== undefined, 60_000, "the worker to log what it reconciled");
  const entry = JSON.parse(line!) as { msg: string; requeued: { submissionId: string; was: string; job: string }[]; failed: { submissionId: string; job: string }[] };
  expect(entry.msg).toContain("3 queued again, 1 failed");
  expect(entry.requeued).toEqual(expect.arrayContaining([
    { submissionId: queuedCompleted, was: "QUEUED", job: "completed" },
    { submissionId: queuedMissing, was: "QUEUED", job: "missing" },
    { submissionId: runningLost, was: "RUNNING", job: "missing" },
  ]));
  expect(entry.failed).toEqual([{ submissionId: runningSpent, job: "failed" }]);

  for (const id of [queuedCompleted, queuedMissing, runningLost, queuedLive]) {
    const s = await until(() => sub(id), (x) => x.status === "SCORED" || x.status === "FAILED", 90_000, `submission ${id} to be scored`);
    expect(s.status).toBe("SCORED");
    expect(s.results).toHaveLength(1);
  }
  expect(await jobsOf(queuedLive)).toHaveLength(1); // not queued twice

  const spent = await sub(runningSpent);
  expect(spent).toMatchObject({ status: "FAILED", errorCode: "grader_error" });
  const alice = await signedIn(t, "alice@example.edu");
  const alert = $((await alice.get(`${CASE}/submissions/${runningSpent}`)).text)("[role=alert]").text();
  expect(alert).toContain("The grader stopped while scoring this model");
  expect(alert).toContain("can rescore it");
  expect(alert).toContain("does not count against your team's limits");

  const alive = await sub(runningAlive);
  expect(alive.status).toBe("RUNNING");
  expect((await jobsOf(runningAlive)).map((j) => j.state)).toEqual(["completed"]);
}, 240_000);
