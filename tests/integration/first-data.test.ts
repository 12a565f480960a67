// A first start: the case study's generated dataset does not exist yet. A model
// uploaded while it is being prepared waits in the queue (without using up a try,
// without sitting in a run at 0 %) and is scored once the data is ready, with no
// staff action.
import fs from "node:fs";
import path from "node:path";
import { stopDataPreparation } from "../../src/casestudy/casestudy.data.js";
import { $, csrfFrom, signedIn, startTestApp, type TestApp } from "../helpers/app.js";
import { copyContent } from "../helpers/content.js";
import { MODELS } from "../helpers/grading.js";
import { until } from "../helpers/wait.js";

const now = new Date("2026-12-01T19:00:00Z");
const CASE = "/courses/cnn/case-studies/cnn";
const content = copyContent();
content.write("cnn/case-study.yaml", `title: First start
opens: 2026-11-30T09:00
deadline: 2026-12-04T23:59
data: { generate: { seed: 11, trainPerClass: 1, miniHoldout: 2, holdout: 200 } }
limits: { cooldownMinutes: 0 }
`);
let t: TestApp;
let generator: number | undefined;

beforeAll(async () => {
  t = await startTestApp({}, { contentDir: content.dir, clock: () => now, queue: { worker: true } });
});
afterAll(async () => {
  if (generator !== undefined && alive(generator)) {
    process.kill(generator, "SIGCONT");
    process.kill(generator, "SIGKILL");
  }
  stopDataPreparation();
  await t.close();
  content.remove();
});

function alive(pid: number) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The dataset generator writing under this test's data folder, if one runs. */
function findGenerator(): number | undefined {
  const datasets = path.join(t.dataDir, "datasets");
  return fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).find((pid) => {
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      return cmd.includes("scripts/dataset.ts") && cmd.includes(datasets);
    } catch {
      return false;
    }
  });
}

const jobsOf = (id: string) => t.db.$queryRaw<{ state: string; retry_count: number }[]>`SELECT state::text AS state, retry_count FROM pgboss.job WHERE data->>'submissionId' = ${id}`;

test("a model uploaded while the data is being prepared waits, then is scored once it is ready", async () => {
  const alice = await signedIn(t, "alice@example.edu");
  const before = await alice.get(CASE);
  expect($(before.text)("main").text()).toContain("The data is being prepared");

  const res = await alice.post(`${CASE}/submissions`).field("_csrf", csrfFrom(before.text)).attach("model", path.join(MODELS, "seq-basic.keras"));
  expect(res.status).toBe(303);
  const id = res.headers.location!.split("/").pop()!;
  const sub = () => t.db.submission.findUniqueOrThrow({ where: { id }, include: { results: true } });

  // The job starts the generator; it is held still so the wait can be seen.
  generator = await until(findGenerator, (pid) => pid !== undefined, 60_000, "the job to start the dataset generator");
  process.kill(generator!, "SIGSTOP");

  const waitingMessage = /data is still being prepared\. This submission will be scored as soon as it is ready/;
  const waiting = await until(sub, (s) => waitingMessage.test(s.errorMessage ?? ""), 60_000, "the submission to wait for the data");
  expect(waiting).toMatchObject({ status: "QUEUED", runs: 0, progress: 0 });
  const status = await alice.get(`${CASE}/submissions/${id}/status`).set("Accept", "application/json");
  expect(status.body).toMatchObject({ status: "QUEUED", label: "Queued", error: expect.stringMatching(waitingMessage) });
  // The submission's page says so too (and its script shows the status's `error` while it waits).
  expect($((await alice.get(`${CASE}/submissions/${id}`)).text)("[data-live]").text()).toMatch(waitingMessage);
  // It comes back to look again, as new jobs that finish normally: no try is used.
  const jobs = await until(() => jobsOf(id), (js) => js.filter((j) => j.state === "completed").length >= 2, 60_000, "the waiting job to look again");
  expect(jobs.every((j) => j.retry_count === 0 && j.state !== "failed")).toBe(true);
  expect(jobs.filter((j) => j.state === "created")).toHaveLength(1); // the next look, due later
  expect((await sub()).status).toBe("QUEUED");

  process.kill(generator!, "SIGCONT");
  const done = await until(sub, (s) => s.status === "SCORED" || s.status === "FAILED", 90_000, "the submission to be scored");
  expect(done).toMatchObject({ status: "SCORED", runs: 1, errorMessage: null });
  expect(done.results).toHaveLength(1);
  expect((await jobsOf(id)).filter((j) => j.state === "failed" || j.retry_count > 0)).toEqual([]);

  // The dataset is in place under its name (its settings and the id of the installation's
  // holdout secret, made at first start), and the page offers the downloads.
  const datasets = fs.readdirSync(path.join(t.dataDir, "datasets"));
  expect(datasets).toEqual([expect.stringMatching(/^signs-seed11-t1-m2-h200-v\d+-k[0-9a-f]{10}$/)]);
  expect(fs.statSync(path.join(t.dataDir, "holdout-secret")).mode & 0o777).toBe(0o600);
  const after = $((await alice.get(CASE)).text);
  expect(after("main").text()).not.toContain("The data is being prepared");
  expect(after(`a[href="${CASE}/downloads/mini-holdout.zip"]`)).toHaveLength(1);
  const page = $((await alice.get(`${CASE}/submissions/${id}`)).text);
  expect(page("[data-status]").text()).toBe("Scored");
}, 240_000);
