// Runs inference in a child process with a time and memory budget. The child's
// resident memory is read from /proc while it runs; over budget or over time, it is
// killed and the student is told exactly which limit was hit.
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
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

// One spare process, started ahead and idle, so a job does not wait for TypeScript
// and TF.js to start. Every job still gets a fresh process of its own.
let spare: { child: ChildProcess; memoryMb: number; engine: string } | null = null;
const forcedEngine = () => process.env.GRADING_ENGINE ?? "";

function keepSpare(memoryMb: number) {
  if (process.env.GRADING_SPARE === "0") return;
  const child = spawnChild(memoryMb);
  child.stderr?.resume();
  child.on("exit", () => {
    if (spare?.child === child) spare = null;
  });
  // An idle spare must not keep this process alive: neither the process, its IPC channel nor its stderr pipe.
  child.unref();
  (child as unknown as { channel?: { unref(): void } }).channel?.unref();
  (child.stderr as unknown as { unref?(): void } | null)?.unref?.();
  spare = { child, memoryMb, engine: forcedEngine() };
}

function takeChild(memoryMb: number): ChildProcess {
  const s = spare;
  spare = null;
  let child: ChildProcess;
  if (s && s.memoryMb === memoryMb && s.engine === forcedEngine() && s.child.exitCode === null && s.child.connected) {
    child = s.child;
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
      const tail = stderr.trim().split("\n").slice(-3).join(" | ");
      finish(new ModelRefused(`The model crashed the grading process (${signal ?? `exit code ${code}`}) after ${progress.done} of ${progress.total} images. This usually means the model is too large or malformed.${tail ? ` Details: ${tail}` : ""}`, "crashed"));
    });
    child.send(job);
  });
}
