// npm run dataset -- --out DIR [--seed N] [--train-per-class N] [--mini N] [--holdout N] [--holdout-secret-file FILE | --holdout-secret HEX]
// Writes a traffic-sign dataset: DIR/train (class folders + labels.csv), DIR/mini-holdout
// and DIR/holdout (images + labels.csv + classes.csv), DIR/dataset.json. The training set
// and mini holdout come from the (public) seed; the holdout from a holdout secret: the
// one given, or a new random one written to DIR/holdout-secret (owner-only) - keep it
// private, and pass it again to make the same holdout.
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_DATASET, generateDataset } from "../src/grading/dataset/generator.js";
import { createHoldoutSecretFile, HOLDOUT_SECRET_FILE, holdoutSecretBytes, HoldoutSecretInvalid, newHoldoutSecret, readHoldoutSecret } from "../src/grading/dataset/secret.js";

const { values } = parseArgs({
  options: {
    out: { type: "string" }, seed: { type: "string" }, "train-per-class": { type: "string" }, mini: { type: "string" }, holdout: { type: "string" },
    "holdout-secret-file": { type: "string" }, "holdout-secret": { type: "string" },
  },
});
const fail = (message: string): never => {
  process.stderr.write(`${message}\n`);
  process.exit(1);
};
const num = (v: string | undefined, d: number, name: string, { negative = false } = {}) => {
  if (v === undefined) return d;
  if (!(negative ? /^-?\d+$/ : /^\d+$/).test(v)) {
    process.stderr.write(`--${name} must be a whole number${negative ? "" : " (0 or more)"}\n`);
    process.exit(1);
  }
  return Number(v);
};
if (!values.out) {
  process.stderr.write("usage: npm run dataset -- --out DIR [--seed N] [--train-per-class N] [--mini N] [--holdout N] [--holdout-secret-file FILE | --holdout-secret HEX]\n");
  process.exit(1);
}
const opts = {
  seed: num(values.seed, DEFAULT_DATASET.seed, "seed", { negative: true }), // any integer, as case-study.yaml allows
  trainPerClass: num(values["train-per-class"], DEFAULT_DATASET.trainPerClass, "train-per-class"),
  miniHoldout: num(values.mini, DEFAULT_DATASET.miniHoldout, "mini"),
  holdout: num(values.holdout, DEFAULT_DATASET.holdout, "holdout"),
};
// The holdout secret: from a file (as the server passes it: never on the command line,
// where other users could read it), given, or made now and written beside the data.
if (values["holdout-secret-file"] && values["holdout-secret"]) fail("give --holdout-secret-file or --holdout-secret, not both");
function givenSecret(): string | null {
  try {
    if (values["holdout-secret-file"]) return readHoldoutSecret(values["holdout-secret-file"]);
    if (values["holdout-secret"]) return holdoutSecretBytes(values["holdout-secret"], "--holdout-secret").toString("hex");
    return null;
  } catch (e) {
    if (e instanceof HoldoutSecretInvalid) fail(e.message);
    if ((e as NodeJS.ErrnoException).code === "ENOENT") fail(`--holdout-secret-file: ${values["holdout-secret-file"]} does not exist`);
    throw e;
  }
}
const given = givenSecret();
const made = given === null;
const secret = given ?? newHoldoutSecret();
// Started by the server: stop when it goes away (a killed server must not leave a generator
// running). Generation is synchronous, so the IPC "disconnect" event would only arrive at the
// end; the parent's pid (passed in, since the server may die before this process has started)
// compared with our live parent at each progress step tells sooner.
// The half-written folder goes too: nobody is left to finish or remove it.
const parent = process.env.DATASET_PARENT_PID ? Number(process.env.DATASET_PARENT_PID) : null;
const abandon = () => {
  fs.rmSync(values.out!, { recursive: true, force: true });
  process.exit(1);
};
if (parent !== null && process.ppid !== parent) abandon();
process.on("disconnect", abandon);
const t0 = Date.now();
const info = generateDataset(values.out, { ...opts, holdoutSecret: secret }, (part, done, total) => {
  if (parent !== null && process.ppid !== parent) abandon();
  process.stderr.write(`\r${part}: ${done}/${total}   `);
});
if (parent !== null && process.ppid !== parent) abandon();
// Done: the channel (held open by the "disconnect" listener) must not keep this process
// alive, or the server, waiting for it to exit, never moves the folder into place.
process.off("disconnect", abandon);
if (process.connected) process.disconnect();
process.stderr.write("\n");
const secretFile = path.join(values.out, HOLDOUT_SECRET_FILE);
if (made) createHoldoutSecretFile(secretFile, secret);
process.stdout.write(`Wrote ${info.parts.train} training, ${info.parts["mini-holdout"]} mini-holdout and ${info.parts.holdout} holdout images (${info.classes} classes, seed ${info.seed}) to ${values.out} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
if (made) process.stdout.write(`The holdout was drawn from a new random holdout secret, written to ${secretFile} (owner-only). Keep it private: with it anyone can recompute the holdout. Pass it again with --holdout-secret-file to make the same holdout.\n`);
