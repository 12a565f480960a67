// Predictions CSVs: read as a stream with a row cap and a byte cap, in a child process of
// their own (predictions.child.ts) so that neither a web process checking an upload nor a
// worker scoring it ever holds the file: a 200 MB CSV costs the child, which is killed over
// its memory or time budget, and is refused by its size before a byte is parsed.
import { fork } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse";
import { ModelRefused } from "./errors.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const CHILD = path.join(HERE, "predictions.child.ts");

export interface PredictionsJob {
  file: string;
  /** The holdout's images (one row each), or null when it is not known yet (data being prepared). */
  rows: number | null;
  /** The holdout's classes, or null when not known yet. */
  numClasses: number | null;
  /** Reading stops after this many rows: the file is refused without being read further. */
  maxRows: number;
  /** A larger file is refused by its size, unread. */
  maxBytes: number;
}

export type PredictionsMessage = { type: "done"; predictions: Int32Array } | { type: "refused"; message: string; code: string } | { type: "failed"; message: string };

/** Rows beyond the holdout's still read, so a file a few rows off is told its exact count. */
const ROW_SLACK = 16;
/** Without a holdout (data being prepared): generous caps, still far below an upload's size. */
const UNKNOWN_MAX_ROWS = 200_000;
/** A row is a class id, perhaps beside a file name or an index column. */
const BYTES_PER_ROW = 64;
const HEADER_BYTES = 64 * 1024;
/** The longest line read; a predictions row is a few characters. */
const MAX_LINE = 4096;

/** The caps for a holdout of `rows` images (null: not known yet). */
export function predictionsCaps(rows: number | null): Pick<PredictionsJob, "maxRows" | "maxBytes"> {
  const maxRows = rows === null ? UNKNOWN_MAX_ROWS : rows + ROW_SLACK;
  return { maxRows, maxBytes: HEADER_BYTES + BYTES_PER_ROW * maxRows };
}

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);
const HEADER_NEEDED = 'The predictions CSV needs a column headed "predictions" (one class id per holdout image, in order).';

/**
 * A predictions CSV — a `predictions` column, one class id per holdout image, in labels.csv
 * order — read as a stream: at most `maxRows` rows are parsed, and a file over `maxBytes`
 * is refused unread. Run it in the child (readPredictionsInChild), not in a web process.
 */
export async function readPredictionsCsv(job: PredictionsJob): Promise<Int32Array> {
  const bytes = fs.statSync(job.file).size;
  const images = job.rows === null ? "" : ` for ${job.rows} images`;
  if (bytes > job.maxBytes) {
    throw new ModelRefused(`The predictions CSV is ${size(bytes)}; a predictions CSV${images} is at most ${size(job.maxBytes)}. Upload one column headed "predictions" with one class id per holdout image, in order.`, "csv_too_large");
  }
  let header: string[] | null = null;
  const input = fs.createReadStream(job.file);
  const parser = parse({ bom: true, columns: (h: string[]) => (header = h.map((x) => x.trim().toLowerCase())), skip_empty_lines: true, trim: true, info: true, max_record_size: MAX_LINE });
  input.on("error", (e) => parser.destroy(e));
  input.pipe(parser);
  const out = new Int32Array(job.maxRows);
  let n = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      if (n === 0 && !header!.includes("predictions")) throw new ModelRefused(HEADER_NEEDED, "bad_csv");
      if (n === job.maxRows) {
        const holdout = job.rows === null ? "" : `, but the holdout has ${job.rows} images`;
        throw new ModelRefused(`The predictions CSV has more than ${job.maxRows} rows${holdout}; it was not read further. Predict every holdout image once, in the order of images.csv in the holdout images download.`, "csv_too_many_rows");
      }
      const v = record.predictions ?? "";
      if (!/^\d+$/.test(v) || (job.numClasses !== null && Number(v) >= job.numClasses)) {
        const range = job.numClasses === null ? "a class id (a whole number from 0)" : `a class id from 0 to ${job.numClasses - 1}`;
        throw new ModelRefused(`Line ${info.lines} of the predictions CSV: "${v.slice(0, 40)}" is not ${range}.`, "bad_csv");
      }
      out[n++] = Number(v);
    }
  } catch (e) {
    if (e instanceof ModelRefused) throw e;
    throw new ModelRefused(`The predictions file is not a valid CSV (${(e as Error).message}).`, "bad_csv");
  } finally {
    input.destroy();
  }
  if (!header || !(header as string[]).includes("predictions")) throw new ModelRefused(HEADER_NEEDED, "bad_csv");
  if (job.rows !== null && n !== job.rows) throw new ModelRefused(`The predictions CSV has ${n} rows but the holdout has ${job.rows} images. Predict every holdout image, in the order of images.csv in the holdout images download.`, "bad_csv");
  return out.slice(0, n);
}

export interface PredictionsBudget {
  timeoutMs: number;
  memoryMb: number;
}

/**
 * readPredictionsCsv in a child process of its own, within a time and memory budget.
 * A refusal is a ModelRefused; the child failing or running out of its budget is an Error
 * (the grader's problem: the file is at most a few MB by then).
 */
export function readPredictionsInChild(job: PredictionsJob, budget: PredictionsBudget = { timeoutMs: 60_000, memoryMb: 256 }): Promise<Int32Array> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      cwd: ROOT,
      execArgv: ["--import", "tsx", `--max-old-space-size=${budget.memoryMb}`],
      serialization: "advanced",
      stdio: ["ignore", "ignore", "pipe", "ipc"],
    });
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    let settled = false;
    const finish = (err: Error | null, value?: Int32Array) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (child.exitCode === null) child.kill("SIGKILL");
      if (err) reject(err);
      else resolve(value!);
    };
    const timer = setTimeout(() => finish(new Error(`reading the predictions CSV took longer than ${Math.round(budget.timeoutMs / 1000)} s`)), budget.timeoutMs);
    child.on("message", (m: PredictionsMessage) => {
      if (m.type === "done") finish(null, m.predictions);
      else if (m.type === "refused") finish(new ModelRefused(m.message, m.code));
      else finish(new Error(`reading the predictions CSV failed: ${m.message}`));
    });
    child.on("error", (e) => finish(e));
    child.on("exit", (code, signal) => finish(new Error(`the predictions reader stopped (${signal ?? `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim().split("\n").slice(-2).join(" | ")}` : ""}`)));
    child.send(job);
  });
}
