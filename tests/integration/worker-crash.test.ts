// A worker killed in the middle of scoring: the queue gives the job to another
// worker once it expires, and the submission is scored exactly once.
import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { DEMO_PASSWORDS } from "../../src/demo/demo.seed.js";
import { csrfFrom, signIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { expected, fixtureHoldout, MODELS } from "../helpers/grading.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const holdout = fixtureHoldout(expected("seq-basic").argmax, { repeat: 8 });
const content = copyContent();
content.write("cnn/case-study.yaml", `title: Crash test\ndeadline: 2030-01-01T00:00\ndata: { holdoutDir: ${JSON.stringify(holdout.dir)} }\nlimits: { cooldownMinutes: 0 }\n`);
const QUEUE_ENV = { GRADING_JOB_EXPIRE_SECONDS: "3", QUEUE_MAINTENANCE_SECONDS: "1" };
let t: TestApp;
const workers: ChildProcess[] = [];

beforeAll(async () => {
  t = await startTestApp(QUEUE_ENV, { contentDir: content.dir, queue: {} });
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

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await read();
    if (ok(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last value ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("a worker killed mid-job: another worker takes the job after it expires, and it is scored once", async () => {
  const agent = t.agent();
  await signIn(agent, "alice@example.edu", DEMO_PASSWORDS.student);
  const page = await agent.get("/courses/cnn/case-studies/cnn");
  const res = await agent.post("/courses/cnn/case-studies/cnn/submissions").field("_csrf", csrfFrom(page.text)).attach("model", path.join(MODELS, "seq-basic.keras"));
  expect(res.status).toBe(303);
  const id = res.headers.location!.split("/").pop()!;
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
