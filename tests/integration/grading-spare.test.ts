// The spare inference process: started ahead so a job does not wait for it, but at the lowest CPU
// priority until it is given a job, so that starting it never slows the job that is running.
// (Priorities are read from /proc, as `ps -L -o nice` shows them; nothing here is timed.)
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { scoreModel } from "../../src/grading/score.js";
import { spareReady, stopSpare } from "../../src/grading/runner.js";
import { ModelRefused } from "../../src/grading/errors.js";
import { expected, fixtureHoldout, MODELS } from "../helpers/grading.js";
import { until } from "../helpers/wait.js";

// 1,440 images: three batches of up to 682, so the job's process is still running when the
// first batch's progress arrives.
const holdout = fixtureHoldout(expected("seq-basic").argmax, { repeat: 90 });
afterAll(() => {
  stopSpare();
  holdout.remove();
});

/**
 * This process's inference children that are alive (the spare, or a job's process; not one killed and
 * not yet reaped), leaving out those already there when the test began: Jest runs other test files in
 * this same worker process, and their spares live on as its children.
 */
let earlier = new Set<number>();
function inferenceChildren(): number[] {
  return allInferenceChildren().filter((pid) => !earlier.has(pid));
}

function allInferenceChildren(): number[] {
  return fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const [state, ppidText] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const ppid = Number(ppidText);
      if (state === "Z" || state === "X") return false;
      return ppid === process.pid && fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("inference.child");
    } catch {
      return false;
    }
  });
}

/** The nice value of every thread of a process (field 19 of /proc/PID/task/TID/stat). */
function threadNice(pid: number): number[] {
  return fs.readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  });
}

const canRaisePriority = process.getuid?.() === 0;

test("the spare waits at the lowest priority, and runs its job at normal priority", async () => {
  expect(os.getPriority()).toBe(0);
  earlier = new Set(allInferenceChildren());
  // The first job starts a process for itself and a spare for the next job.
  await scoreModel({ model: path.join(MODELS, "seq-basic.keras"), holdout: holdout.dir });
  expect(await spareReady()).toBe(true);
  // The job's own process is killed when its job ends; the spare stays.
  const [spare, ...others] = await until(inferenceChildren, (pids) => pids.length === 1, 10_000, "the first job's process gone, the spare left");
  expect(others).toEqual([]);
  const idle = threadNice(spare!);
  expect(idle.length).toBeGreaterThan(1);
  expect(new Set(idle)).toEqual(new Set([19]));

  // The next job is given to that spare, which is raised back for it (where the process may raise it).
  const during: number[][] = [];
  const r = await scoreModel({ model: path.join(MODELS, "seq-basic.keras"), holdout: holdout.dir, onProgress: (done, total) => done < total && during.push(threadNice(spare!)) });
  expect(r).toMatchObject({ n: 1440, accuracy: 1 });
  expect(during.length).toBe(2);
  expect(new Set(during.flat())).toEqual(new Set([canRaisePriority ? 0 : 19]));
  // And a new spare waits for the job after it.
  expect(await spareReady()).toBe(true);
  await until(inferenceChildren, (pids) => pids.length === 1 && pids[0] !== spare, 10_000, "the second job's process gone, a new spare left");
});

test("an inference process stopped from outside (SIGTERM, as a service stop sends its whole group) is the grader's problem, not the model's", async () => {
  stopSpare(); // the job then runs in a process of its own, started after `earlier` is taken
  earlier = new Set(allInferenceChildren());
  let stopped = false;
  const run = scoreModel({
    model: path.join(MODELS, "seq-basic.keras"), holdout: holdout.dir,
    onProgress: (done, total) => {
      if (stopped || done >= total) return;
      stopped = true;
      for (const pid of inferenceChildren()) process.kill(pid, "SIGTERM");
    },
  });
  const err = await run.then(() => null, (e: unknown) => e);
  expect(stopped).toBe(true);
  expect(err).toBeInstanceOf(Error);
  expect(err).not.toBeInstanceOf(ModelRefused);
  expect((err as Error).message).toMatch(/^The grading process was stopped from outside \(SIGTERM\) after \d+ of 1440 images; the model was not at fault\.$/);
});
