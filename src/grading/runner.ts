// Runs inference in a child process with a time and memory budget. The child's
// resident memory is read from /proc while it runs; over budget or over time, it is
// killed and the student is told exactly which limit was hit.
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ModelRefused } from "./errors.js";
import type { ChildMessage, InferenceJob, JobTimings } from "./inference.child.js";
import type { ModelSummary } from "./models.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const CHILD = path.join(HERE, "inference.child.ts");

export interface Budget {
  timeoutMs: number;
  memoryMb: number;
}

export const DEFAULT_BUDGET: Budget = { timeoutMs: 10 * 60_000, memoryMb: 3072 };

export interface InferenceResult {
  summary: ModelSummary;
  engine: string;
  predictions: Int32Array;
  confidence: Float32Array;
  seconds: number;
  /** Where the time went: the child's steps, and the wait for the child (a spare's is near 0). */
  timings: JobTimings & { childStartSeconds: number };
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function spawnChild(memoryMb: number): ChildProcess {
  return fork(CHILD, [], {
    cwd: ROOT,
    execArgv: ["--import", "tsx", `--max-old-space-size=${memoryMb}`],
    serialization: "advanced",
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
  });
}

// One spare process, started ahead and idle, so a job does not wait for TypeScript, ONNX
// Runtime, TF.js and HDF5 to start (about 2 s of CPU). Every job still gets a fresh process
// of its own. The spare starts at the lowest CPU priority: started while a job runs, it takes
// only the CPU the job leaves idle instead of slowing the job's inference (it halved it).
let spare: { child: ChildProcess; memoryMb: number; engine: string; ready: Promise<boolean> } | null = null;
const forcedEngine = () => process.env.GRADING_ENGINE ?? "";
const IDLE_PRIORITY = 19;

/** Sets a process's CPU priority: on Linux every thread's (priorities are per thread there). */
function setPriority(pid: number | undefined, priority: number): void {
  if (!pid) return;
  let threads: number[] = [pid];
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    // Not Linux, or the process is gone: the process alone.
  }
  for (const tid of threads) {
    try {
      os.setPriority(tid, priority);
    } catch {
      // Raising a priority back needs CAP_SYS_NICE (or RLIMIT_NICE): without it the job runs at the
      // spare's priority, which only yields to other processes — it is never slower alone.
    }
  }
}

function keepSpare(memoryMb: number) {
  if (process.env.GRADING_SPARE === "0") return;
  const child = spawnChild(memoryMb);
  setPriority(child.pid, IDLE_PRIORITY);
  child.stderr?.resume();
  const ready = new Promise<boolean>((resolve) => {
    child.once("message", (m: ChildMessage) => resolve(m.type === "ready"));
    child.once("exit", () => resolve(false));
  });
  // Threads the process made before it was lowered keep their priority: lower them all once it is up.
  void ready.then((up) => up && spare?.child === child && setPriority(child.pid, IDLE_PRIORITY));
  child.on("exit", () => {
    if (spare?.child === child) spare = null;
  });
  // An idle spare must not keep this process alive: neither the process, its IPC channel nor its stderr pipe.
  child.unref();
  (child as unknown as { channel?: { unref(): void } }).channel?.unref();
  (child.stderr as unknown as { unref?(): void } | null)?.unref?.();
  spare = { child, memoryMb, engine: forcedEngine(), ready };
}

function takeChild(memoryMb: number): ChildProcess {
  const s = spare;
  spare = null;
  let child: ChildProcess;
  if (s && s.memoryMb === memoryMb && s.engine === forcedEngine() && s.child.exitCode === null && s.child.connected) {
    child = s.child;
    setPriority(child.pid, 0);
    child.ref();
    (child as unknown as { channel?: { ref(): void } }).channel?.ref();
    (child.stderr as unknown as { ref?(): void } | null)?.ref?.();
    child.stderr?.removeAllListeners("data");
    child.stderr?.pause();
  } else {
    s?.child.kill("SIGKILL");
    child = spawnChild(memoryMb);
  }
  keepSpare(memoryMb);
  return child;
}

/**
 * Resolves when the spare process has started (true), or at once with false when there is none.
 * A worker between jobs is in this state; the benchmark waits for it to measure a warm score.
 */
export async function spareReady(): Promise<boolean> {
  const s = spare;
  if (!s) return false;
  // The idle spare does not keep this process alive; while someone waits for it, it must.
  const channel = (s.child as unknown as { channel?: { ref(): void; unref(): void } }).channel;
  channel?.ref();
  try {
    return await s.ready;
  } finally {
    if (spare === s) channel?.unref();
  }
}

/** Stops the spare process (shutdown, tests). */
export function stopSpare(): void {
  spare?.child.kill("SIGKILL");
  spare = null;
}
process.once("exit", stopSpare);

export function runInference(job: InferenceJob, budget: Budget = DEFAULT_BUDGET, onProgress?: (done: number, total: number) => void): Promise<InferenceResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let childStartSeconds = 0;
    const child = takeChild(budget.memoryMb);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let summary: ModelSummary | null = null;
    let engine = "";
    let progress = { done: 0, total: job.files.length };
    let settled = false;
    let killedFor: string | null = null;
    const finish = (err: Error | null, value?: InferenceResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(watch);
      if (child.exitCode === null) child.kill("SIGKILL");
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => {
      killedFor = `The model took longer than ${Math.round(budget.timeoutMs / 1000)} seconds to score the holdout (it had done ${progress.done} of ${progress.total} images). Make it smaller or faster — fewer filters, earlier pooling — and upload again.`;
      child.kill("SIGKILL");
    }, budget.timeoutMs);
    const watch = setInterval(() => {
      const mb = child.pid ? rssMb(child.pid) : null;
      if (mb !== null && mb > budget.memoryMb) {
        killedFor = `The model needed more than ${budget.memoryMb} MB of memory while running (it had done ${progress.done} of ${progress.total} images). Make it smaller and upload again.`;
        child.kill("SIGKILL");
      }
    }, 100);
    child.on("message", (m: ChildMessage) => {
      if (m.type === "model") {
        childStartSeconds = (performance.now() - started) / 1000;
        summary = m.summary;
        engine = m.engine;
      } else if (m.type === "progress") {
        progress = { done: m.done, total: m.total };
        onProgress?.(m.done, m.total);
      } else if (m.type === "refused") finish(new ModelRefused(m.message, m.code));
      else if (m.type === "failed") finish(new Error(`Inference failed: ${m.message}`));
      else if (m.type === "done") finish(null, { summary: summary!, engine, predictions: m.predictions, confidence: m.confidence, seconds: m.seconds, timings: { ...m.timings, childStartSeconds: Math.max(0, childStartSeconds - m.timings.modelSeconds) } });
    });
    child.on("error", (e) => finish(e));
    child.on("exit", (code, signal) => {
      if (settled) return;
      if (killedFor) return finish(new ModelRefused(killedFor, killedFor.includes("memory") ? "memory_limit" : "time_limit"));
      // Stopped from outside — Ctrl-C in the worker's terminal, a service stop signalling the whole group —
      // is no fault of the model: a grader error, which the job retries.
      if (signal === "SIGINT" || signal === "SIGTERM" || signal === "SIGHUP") {
        return finish(new Error(`The grading process was stopped from outside (${signal}) after ${progress.done} of ${progress.total} images; the model was not at fault.`));
      }
      const tail = stderr.trim().split("\n").slice(-3).join(" | ");
      finish(new ModelRefused(`The model crashed the grading process (${signal ?? `exit code ${code}`}) after ${progress.done} of ${progress.total} images. This usually means the model is too large or malformed.${tail ? ` Details: ${tail}` : ""}`, "crashed"));
    });
    child.send(job);
  });
}
