// npm run score -- --model PATH --holdout DIR [--split public|private|all] [--split-seed S] [--json]
// Prints the metrics table (or one JSON object with --json). Exit status: 0 scored,
// 2 when the model or holdout is refused (the reason on stderr), 1 on other errors.
import { parseArgs } from "node:util";
import { HoldoutRefused, ModelRefused } from "../src/grading/errors.js";
import { type Split } from "../src/grading/metrics.js";
import { scoreModel, type ScoreResult } from "../src/grading/score.js";

const USAGE = "usage: npm run score -- --model PATH --holdout DIR [--split public|private|all] [--split-seed SEED] [--json]";
let args;
try {
  args = parseArgs({
    options: { model: { type: "string" }, holdout: { type: "string" }, split: { type: "string", default: "all" }, "split-seed": { type: "string" }, json: { type: "boolean", default: false }, help: { type: "boolean" } },
  }).values;
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
  process.exit(1);
}
if (args.help || !args.model || !args.holdout || !["public", "private", "all"].includes(args.split!)) {
  process.stderr.write(`${USAGE}\n`);
  process.exit(args.help ? 0 : 1);
}

const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
function table(r: ScoreResult): string {
  const lines = [
    `${r.kind === "model" ? `Model: ${r.model!.formatLabel}, ${r.model!.params?.toLocaleString("en") ?? "?"} parameters${r.model!.flopsPerImage ? `, ${(r.model!.flopsPerImage / 1e6).toFixed(1)} MFLOP per image` : ""}` : "Predictions CSV"}`,
    `Engine: ${r.engine}${r.imagesPerSecond ? ` — ${r.n} images in ${r.inferenceSeconds!.toFixed(2)} s (${Math.round(r.imagesPerSecond)} images/s)` : ""}`,
    ...(r.preprocessing ? [`Preprocessing: ${r.preprocessing}`] : []),
    "",
    `Split: ${r.split} (${r.n} images)`,
    `Accuracy: ${pct(r.accuracy)}`,
    `Macro-F1: ${r.macroF1.toFixed(4)}`,
    `Points:   ${r.points} (${r.rule})`,
    "",
    `${"class".padEnd(34)} ${"precision".padStart(9)} ${"recall".padStart(7)} ${"f1".padStart(6)} ${"support".padStart(8)}`,
    ...r.perClass.map((c) => `${`${c.classId} ${c.name}`.slice(0, 34).padEnd(34)} ${c.precision.toFixed(3).padStart(9)} ${c.recall.toFixed(3).padStart(7)} ${c.f1.toFixed(3).padStart(6)} ${String(c.support).padStart(8)}`),
    "",
    "Most confused (true → predicted: count):",
    ...(r.mostConfused.length ? r.mostConfused.map((p) => `  ${p.trueName} → ${p.predictedName}: ${p.count}`) : ["  none"]),
  ];
  return lines.join("\n");
}

try {
  const r = await scoreModel({ model: args.model, holdout: args.holdout, split: args.split as Split, splitSeed: args["split-seed"] });
  process.stdout.write(args.json ? `${JSON.stringify(r)}\n` : `${table(r)}\n`);
  process.exit(0);
} catch (e) {
  if (e instanceof ModelRefused || e instanceof HoldoutRefused) {
    process.stderr.write(`Refused: ${e.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`Error: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
}
