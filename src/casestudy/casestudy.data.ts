// Where a case study's images live, whether they are ready, and making them: a
// generated dataset is built once per settings in a child process (so a web process
// keeps serving) and swapped into place when complete.
import { spawn } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "pino";
import { GENERATOR_VERSION } from "../grading/dataset/generator.js";
import { ROOT } from "../platform/views.js";
import type { CaseStudyFile } from "./casestudy.definition.js";

export interface DataPaths {
  generated: boolean;
  root: string | null;
  train: string | null;
  mini: string | null;
  holdout: string;
}

export function dataPaths(settings: CaseStudyFile, dataDir: string): DataPaths {
  if ("holdoutDir" in settings.data) {
    return { generated: false, root: null, train: settings.data.trainDir ?? null, mini: settings.data.miniHoldoutDir ?? null, holdout: path.resolve(settings.data.holdoutDir) };
  }
  const g = settings.data.generate;
  const root = path.resolve(dataDir, "datasets", `signs-seed${g.seed}-t${g.trainPerClass}-m${g.miniHoldout}-h${g.holdout}-v${GENERATOR_VERSION}`);
  return { generated: true, root, train: path.join(root, "train"), mini: path.join(root, "mini-holdout"), holdout: path.join(root, "holdout") };
}

export function dataReady(p: DataPaths): boolean {
  return fs.existsSync(path.join(p.holdout, "labels.csv")) && (!p.generated || fs.existsSync(path.join(p.root!, "dataset.json")));
}

/** Identifies the holdout and rule: results computed under another version are rescored. */
export function holdoutVersion(settings: CaseStudyFile, p: DataPaths): string {
  const h = crypto.createHash("sha256");
  h.update(JSON.stringify([settings.points, settings.splitSeed ?? null]));
  if (p.generated) h.update(path.basename(p.root!));
  else if (fs.existsSync(path.join(p.holdout, "labels.csv"))) h.update(fs.readFileSync(path.join(p.holdout, "labels.csv")));
  return h.digest("hex").slice(0, 16);
}

const preparing = new Map<string, Promise<void>>();

/** Generates the dataset in the background if it is missing; resolves when it is ready. */
export function prepareData(settings: CaseStudyFile, p: DataPaths, logger: Logger): Promise<void> {
  if (!p.generated || dataReady(p)) return Promise.resolve();
  const existing = preparing.get(p.root!);
  if (existing) return existing;
  const g = (settings.data as { generate: { seed: number; trainPerClass: number; miniHoldout: number; holdout: number } }).generate;
  const tmp = `${p.root}.building-${process.pid}`;
  const job = new Promise<void>((resolve, reject) => {
    fs.rmSync(tmp, { recursive: true, force: true });
    logger.info({ dir: p.root }, "generating the case-study dataset (once)");
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/dataset.ts", "--out", tmp, "--seed", String(g.seed), "--train-per-class", String(g.trainPerClass), "--mini", String(g.miniHoldout), "--holdout", String(g.holdout)], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`dataset generation failed (${code}): ${err.trim().split("\n").pop()}`));
      try {
        fs.mkdirSync(path.dirname(p.root!), { recursive: true });
        if (!dataReady(p)) {
          fs.rmSync(p.root!, { recursive: true, force: true });
          fs.renameSync(tmp, p.root!);
        } else fs.rmSync(tmp, { recursive: true, force: true });
        logger.info({ dir: p.root }, "case-study dataset ready");
        resolve();
      } catch (e) {
        reject(e as Error);
      }
    });
  }).finally(() => preparing.delete(p.root!));
  preparing.set(p.root!, job);
  return job;
}
