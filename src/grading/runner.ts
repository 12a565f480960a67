// Runs inference in a child process with a time and memory budget. The child's
// resident memory is read from /proc while it runs; over budget or over time, it is
// killed and the student is told exactly which limit was hit.
import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ModelRefused } from "./errors.js";
import type { ChildMessage, InferenceJob } from "./inference.child.js";
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
}

function rssMb(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

export function runInference(job: InferenceJob, budget: Budget = DEFAULT_BUDGET, onProgress?: (done: number, total: number) => void): Promise<InferenceResult> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      cwd: ROOT,
      execArgv: ["--import", "tsx", `--max-old-space-size=${budget.memoryMb}`],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: "2" },
    });
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
        summary = m.summary;
        engine = m.engine;
      } else if (m.type === "progress") {
        progress = { done: m.done, total: m.total };
        onProgress?.(m.done, m.total);
      } else if (m.type === "refused") finish(new ModelRefused(m.message, m.code));
      else if (m.type === "failed") finish(new Error(`Inference failed: ${m.message}`));
      else if (m.type === "done") finish(null, { summary: summary!, engine, predictions: m.predictions, confidence: m.confidence, seconds: m.seconds });
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
