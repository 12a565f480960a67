// npm run train:reference -- [--data DIR] [--out DIR] [--epochs N] [--per-class N]
// Trains the reference CNN on DIR/train (generated first if missing) and saves it
// in TF.js Layers format (default: .data/reference-cnn).
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DATASET, ensureDataset } from "../src/grading/dataset/generator.js";
import { trainReference } from "../src/grading/train.js";

const { values } = parseArgs({ options: { data: { type: "string" }, out: { type: "string" }, epochs: { type: "string", default: "6" }, "per-class": { type: "string" } } });
const dataDir = path.resolve(values.data ?? ".data/datasets/signs");
const outDir = path.resolve(values.out ?? ".data/reference-cnn");
// A folder given with --data is used as it is; the default one is generated (once) if missing.
if (!values.data) {
  const info = ensureDataset(dataDir, DEFAULT_DATASET, (part, done, total) => process.stderr.write(`\rgenerating ${part}: ${done}/${total}   `));
  process.stderr.write(`\ndataset: ${dataDir} (${info.parts.train} training images)\n`);
}
const r = await trainReference({
  dataDir, outDir, epochs: Number(values.epochs), perClass: values["per-class"] ? Number(values["per-class"]) : undefined,
  log: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`Trained on ${r.images} images in ${r.seconds.toFixed(0)} s (${r.backend}): accuracy ${r.accuracy.toFixed(3)}, validation ${r.valAccuracy.toFixed(3)}. Saved to ${outDir}/model.json\n`);
