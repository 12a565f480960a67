// Grading fixtures: the shared Keras files, and holdouts written from their inputs.
import { createCanvas } from "@napi-rs/canvas";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const MODELS = fileURLToPath(new URL("../../../shared/fixtures/models/", import.meta.url));

export function expected(name: string): { probabilities: number[][]; argmax: number[] } {
  return JSON.parse(fs.readFileSync(path.join(MODELS, `${name}.expected.json`), "utf8"));
}

/** The 16 fixture images (float32 NHWC 0–255) as raw data. */
export function fixtureInputs(): Float32Array {
  const b = fs.readFileSync(path.join(MODELS, "inputs-16x32x32x3.f32"));
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function tempDir(prefix = "grading-"): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A holdout of the 16 fixture images as PNGs (lossless, so pixels are exact), labelled `labels`. */
export function fixtureHoldout(labels: number[], { classes = 43, repeat = 1 } = {}): { dir: string; remove(): void } {
  const t = tempDir("holdout-");
  const x = fixtureInputs();
  const lines = ["filename,class_id"];
  for (let r = 0; r < repeat; r++) {
    for (let i = 0; i < 16; i++) {
      const canvas = createCanvas(32, 32);
      const ctx = canvas.getContext("2d");
      const img = ctx.createImageData(32, 32);
      for (let p = 0; p < 32 * 32; p++) {
        img.data[p * 4] = x[i * 3072 + p * 3]!;
        img.data[p * 4 + 1] = x[i * 3072 + p * 3 + 1]!;
        img.data[p * 4 + 2] = x[i * 3072 + p * 3 + 2]!;
        img.data[p * 4 + 3] = 255;
      }
      ctx.putImageData(img, 0, 0);
      const name = `img-${r}-${String(i).padStart(2, "0")}.png`;
      fs.writeFileSync(path.join(t.dir, name), canvas.toBuffer("image/png"));
      lines.push(`${name},${labels[i]}`);
    }
  }
  fs.writeFileSync(path.join(t.dir, "labels.csv"), `${lines.join("\n")}\n`);
  fs.writeFileSync(path.join(t.dir, "classes.csv"), `class_id,name\n${Array.from({ length: classes }, (_x, i) => `${i},sign ${i}`).join("\n")}\n`);
  return t;
}
