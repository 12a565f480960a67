// A worker killed in the middle of scoring: the queue gives the job to another
// worker once it expires, and the submission is scored exactly once. And a run that
// outlives its job's expiry while alive: the job handed out again waits for it.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { pino } from "pino";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { ScoringBusy, scoreSubmission } from "../../src/casestudy/scoring.job.js";
import { csrfFrom, signIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { expected, fixtureHoldout, MODELS } from "../helpers/grading.js";
import { until } from "../helpers/wait.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const holdout = fixtureHoldout(expected("seq-basic").argmax, { repeat: 8 });
const content = copyContent();
content.write("cnn/case-study.yaml", `title: Crash test\ndeadline: 2026-12-04T23:59\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\nlimits: { cooldownMinutes: 0 }\n`);
const now = new Date("2026-12-01T19:00:00Z"); // the app's clock, before the deadline
const QUEUE_ENV = { GRADING_JOB_EXPIRE_SECONDS: "3", QUEUE_MAINTENANCE_SECONDS: "1" };
let t: TestApp;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  t = await startTestApp(QUEUE_ENV, { contentDir: content.dir, clock: () => now, queue: {} });
});
afterAll(async () => {
  for (const w of workers) if (w.exitCode === null) w.kill("SIGKILL");
  await t.close();
  holdout.remove();
  content.remove();
});

function worker(): ChildProcess {
  const w = spawn(process.execPath, ["--import", "tsx", "src/worker.ts"], {
    cwd: ROOT, stdio: "ignore",
    env: { ...process.env, NODE_OPTIONS: "", DATABASE_URL: t.url, DATA_DIR: t.dataDir, LOG_LEVEL: "silent", NODE_ENV: "test", ...QUEUE_ENV },
  });
  workers.push(w);
  return w;
}

async function upload(email: string): Promise<string> {
  const agent = t.agent();
  await signIn(agent, email, DEMO_PASSWORDS.student);
  const page = await agent.get("/courses/cnn/case-studies/cnn");
  const res = await agent.post("/courses/cnn/case-studies/cnn/submissions").field("_csrf", csrfFrom(page.text)).attach("model", path.join(MODELS, "seq-basic.keras"));
  expect(res.status).toBe(303);
  return res.headers.location!.split("/").pop()!;
}

test("a worker killed mid-job: another worker takes the job after it expires, and it is scored once", async () => {
  const id = await upload("alice@example.edu");
  const sub = () => t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } });

  const first = worker();
  await until(sub, (s) => s.status === "RUNNING", 30_000);
  first.kill("SIGKILL");
  await new Promise((r) => first.once("exit", r));
  expect((await sub()).status).toBe("RUNNING"); // the dead worker's job is still marked running

  worker();
  const done = await until(sub, (s) => s.status === "SCORED", 60_000);
  expect(done.runs).toBe(2);
  expect(done.results).toHaveLength(1);
  expect(done.results[0]!.publicScore).toBe(1);
});

test("a job handed out again while its first run is alive does not score a second time", async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) { w.kill("SIGKILL"); await new Promise((r) => w.once("exit", r)); }
  const id = await upload("dev@example.edu");
  await t.db.$executeRaw`DELETE FROM pgboss.job WHERE data->>'submissionId' = ${id}`; // no worker runs here; the test plays the queue
  const sub = () => t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } });
  const deps = { db: t.db, databaseUrl: t.url, dataDir: t.dataDir, logger: pino({ level: "silent" }) };

  const live = scoreSubmission(deps, id, { lastTry: false });
  await until(sub, (s) => s.status === "RUNNING", 30_000);
  // pg-boss expired the job while the run went on and gave it out again: the retry backs off…
  await expect(scoreSubmission(deps, id, { lastTry: false })).rejects.toBeInstanceOf(ScoringBusy);
  // …and on its last try leaves the outcome to the live run.
  await scoreSubmission(deps, id, { lastTry: true });
  await live;
  const done = await sub();
  expect(done.status).toBe("SCORED");
  expect(done.runs).toBe(1);
  expect(done.results).toHaveLength(1);

  // A retry after the live run finished finds the result and stops.
  await scoreSubmission(deps, id, { lastTry: false });
  expect((await sub()).runs).toBe(1);

  // A refused or failed-for-good submission is not run again by a leftover retry.
  await t.db.submission.update({ where: { id }, data: { status: "FAILED" } });
  await t.db.submissionResult.deleteMany({ where: { submissionId: id } });
  await scoreSubmission(deps, id, { lastTry: false });
  expect((await sub()).runs).toBe(1);
});
