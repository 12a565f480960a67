// A deterministic traffic-sign dataset. The training set and mini holdout come from
// (seed, part, index), so the same seed always gives the same files, which anyone may
// have. The hidden holdout comes from the installation's holdout secret instead
// (HMAC-SHA256 of it, 128 bits of generator state per stream), so nothing public -
// the seed, the code, the public files - says which image is which class.
// Signs are drawn at varied sizes and positions with rotation, perspective, blur,
// lighting, noise, partial occlusion and cluttered backgrounds, on images of varied
// size, as PNG or JPEG.
import { createCanvas, type SKRSContext2D } from "@napi-rs/canvas";
import fs from "node:fs";
import path from "node:path";
import { SeededRandom } from "../../platform/random.js";
import { holdoutSecretBytes, holdoutSecretId } from "./secret.js";
import { SIGN_CLASSES } from "./signs.js";
import { GENERATOR_VERSION } from "./version.js";

export interface DatasetOptions {
  /** Public: the training set and the mini holdout. */
  seed: number;
  trainPerClass: number;
  miniHoldout: number;
  holdout: number;
  /**
   * The installation's holdout secret (hex, at least 128 bits; see secret.ts), from which
   * the holdout alone is drawn. Without it the holdout comes from the public seed, as
   * anyone can compute it: for benchmarks and tests only, never for grading.
   */
  holdoutSecret?: string;
}

export const DEFAULT_DATASET: DatasetOptions = { seed: 2026, trainPerClass: 120, miniHoldout: 215, holdout: 12_630 };

/** The dataset's random streams: a SeededRandom that also draws colours. */
class Rng extends SeededRandom {
  /** A stream anyone can reproduce from the text `seed`. */
  static public(seed: string): Rng {
    return new Rng(seed);
  }

  color(min = 0, max = 255): string {
    return `rgb(${this.int(min, max)},${this.int(min, max)},${this.int(min, max)})`;
  }
}

/** Where a part's class plan and each of its images get their randomness. */
interface Streams {
  plan(): Rng;
  image(i: number): Rng;
}

function publicStreams(seed: number, part: string): Streams {
  return { plan: () => Rng.public(`${seed}:${part}:plan`), image: (i) => Rng.public(`${seed}:${part}:${i}`) };
}

function secretStreams(secret: Buffer, seed: number): Streams {
  return { plan: () => Rng.keyed(secret, `holdout:${seed}:plan`), image: (i) => Rng.keyed(secret, `holdout:${seed}:${i}`) };
}

function background(ctx: SKRSContext2D, w: number, h: number, r: Rng) {
  const palettes = [["#7fa7d6", "#c9d9ea"], ["#6b7a5a", "#a3b18a"], ["#8c8c8c", "#c8c8c8"], ["#5b4636", "#a08670"], ["#2f3b4a", "#6d7b8c"], ["#d9d2c5", "#f2efe9"]];
  const [a, b] = r.pick(palettes);
  const g = ctx.createLinearGradient(r.float(0, w), 0, r.float(0, w), h);
  g.addColorStop(0, a!);
  g.addColorStop(1, b!);
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, w, h);
  // Clutter: buildings, foliage, other signs' edges, wires.
  const clutter = r.int(2, 9);
  for (let i = 0; i < clutter; i++) {
    ctx.globalAlpha = r.float(0.3, 0.95);
    ctx.fillStyle = r.color(20, 235);
    ctx.strokeStyle = r.color(0, 200);
    const kind = r.int(0, 3);
    ctx.beginPath();
    if (kind === 0) ctx.rect(r.float(-w / 2, w), r.float(-h / 2, h), r.float(w * 0.1, w * 0.7), r.float(h * 0.1, h * 0.7));
    else if (kind === 1) ctx.arc(r.float(0, w), r.float(0, h), r.float(w * 0.05, w * 0.35), 0, Math.PI * 2);
    else if (kind === 2) {
      ctx.lineWidth = r.float(0.5, 3);
      ctx.moveTo(r.float(0, w), r.float(0, h));
      ctx.lineTo(r.float(0, w), r.float(0, h));
      ctx.stroke();
      continue;
    } else {
      ctx.moveTo(r.float(0, w), r.float(0, h));
      for (let k = 0; k < 3; k++) ctx.lineTo(r.float(0, w), r.float(0, h));
      ctx.closePath();
    }
    ctx.fill();
  }
  ctx.globalAlpha = 1;
}

/** One image of class `classId`, encoded; the randomness comes only from `r`. */
export function renderSign(classId: number, r: Rng): { bytes: Buffer; ext: "png" | "jpg" } {
  const size = r.int(26, 72);
  const w = Math.max(20, Math.round(size * r.float(0.85, 1.18)));
  const h = size;
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext("2d");
  background(ctx, w, h, r);

  const radius = Math.min(w, h) * r.float(0.3, 0.47);
  const cx = w / 2 + r.float(-0.12, 0.12) * w;
  const cy = h / 2 + r.float(-0.12, 0.12) * h;
  if (r.chance(0.5)) {
    // A pole below the sign.
    ctx.fillStyle = r.color(90, 160);
    ctx.fillRect(cx - radius * 0.08, cy, radius * 0.16, h);
  }
  ctx.save();
  ctx.translate(cx, cy);
  ctx.rotate(r.float(-0.22, 0.22));
  // Perspective, as an affine approximation: foreshortening and shear.
  ctx.transform(r.float(0.72, 1.0), r.float(-0.12, 0.12), r.float(-0.18, 0.18), r.float(0.85, 1.0), 0, 0);
  ctx.scale(radius, radius);
  SIGN_CLASSES[classId]!.draw(ctx);
  ctx.restore();

  // Partial occlusion: a branch, a leaf cluster or another object in front.
  if (r.chance(0.25)) {
    ctx.fillStyle = r.pick(["#2e4d23", "#4a6b2a", "#5a3e2b", "#777", "#222"]);
    ctx.globalAlpha = r.float(0.7, 1);
    ctx.beginPath();
    const ox = cx + r.float(-1, 1) * radius;
    const oy = cy + r.float(-1, 1) * radius;
    if (r.chance(0.5)) ctx.ellipse(ox, oy, radius * r.float(0.2, 0.45), radius * r.float(0.15, 0.35), r.float(0, Math.PI), 0, Math.PI * 2);
    else ctx.rect(ox - radius * 0.6, oy - radius * 0.08, radius * r.float(0.6, 1.3), radius * r.float(0.1, 0.25));
    ctx.fill();
    ctx.globalAlpha = 1;
  }

  // Lighting: a shadow or glare gradient, then brightness/contrast and noise per pixel.
  const shade = ctx.createLinearGradient(r.float(0, w), r.float(0, h), r.float(0, w), r.float(0, h));
  shade.addColorStop(0, `rgba(0,0,0,${r.float(0, 0.45)})`);
  shade.addColorStop(1, `rgba(255,255,255,${r.float(0, 0.3)})`);
  ctx.fillStyle = shade;
  ctx.fillRect(0, 0, w, h);

  let out = canvas;
  const blur = r.chance(0.6) ? r.float(0.2, 1.3) : 0;
  if (blur > 0) {
    out = createCanvas(w, h);
    const octx = out.getContext("2d");
    octx.filter = `blur(${blur.toFixed(2)}px)`;
    octx.drawImage(canvas, 0, 0);
  }
  const octx = out.getContext("2d");
  const img = octx.getImageData(0, 0, w, h);
  const brightness = r.float(0.45, 1.35);
  const contrast = r.float(0.65, 1.2);
  const sigma = r.float(0, 14);
  const cast = [r.float(0.9, 1.1), r.float(0.9, 1.1), r.float(0.9, 1.1)];
  const d = img.data;
  for (let i = 0; i < d.length; i += 4) {
    for (let c = 0; c < 3; c++) {
      // Sum of uniforms ≈ Gaussian noise, from the same seeded stream.
      const noise = sigma ? (r.float() + r.float() + r.float() - 1.5) * sigma * 1.15 : 0;
      d[i + c] = Math.max(0, Math.min(255, ((d[i + c]! - 128) * contrast + 128) * brightness * cast[c]! + noise));
    }
  }
  octx.putImageData(img, 0, 0);
  const jpeg = r.chance(0.5);
  return jpeg ? { bytes: out.toBuffer("image/jpeg", r.int(55, 95)), ext: "jpg" } : { bytes: out.toBuffer("image/png"), ext: "png" };
}

function writeClasses(dir: string) {
  fs.writeFileSync(path.join(dir, "classes.csv"), `class_id,name\n${SIGN_CLASSES.map((c) => `${c.id},"${c.name}"`).join("\n")}\n`);
}

/** Class of each image of a part: every class at least `min` times, the rest drawn with uneven weights (as in real sign data). */
function classPlan(total: number, r: Rng, min: number): number[] {
  const k = SIGN_CLASSES.length;
  const weights = SIGN_CLASSES.map(() => r.float(0.4, 1.6));
  const sum = weights.reduce((a, b) => a + b, 0);
  const plan: number[] = [];
  for (let c = 0; c < k; c++) for (let i = 0; i < Math.min(min, Math.floor(total / k)); i++) plan.push(c);
  while (plan.length < total) {
    let x = r.float(0, sum);
    let c = 0;
    while (c < k - 1 && (x -= weights[c]!) > 0) c++;
    plan.push(c);
  }
  return r.shuffle(plan);
}

function writePart(dir: string, part: string, count: number, streams: Streams, byClassFolders: boolean, onProgress?: (part: string, done: number, total: number) => void) {
  const out = path.join(dir, part);
  fs.mkdirSync(out, { recursive: true });
  const plan = classPlan(count, streams.plan(), byClassFolders ? 20 : 3);
  const lines = ["filename,class_id"];
  plan.forEach((classId, i) => {
    const { bytes, ext } = renderSign(classId, streams.image(i));
    const name = byClassFolders ? `${String(classId).padStart(2, "0")}/${String(i).padStart(5, "0")}.${ext}` : `${String(i).padStart(5, "0")}.${ext}`;
    if (byClassFolders) fs.mkdirSync(path.join(out, path.dirname(name)), { recursive: true });
    fs.writeFileSync(path.join(out, name), bytes);
    lines.push(`${name},${classId}`);
    if (onProgress && (i + 1) % 500 === 0) onProgress(part, i + 1, count);
  });
  fs.writeFileSync(path.join(out, "labels.csv"), `${lines.join("\n")}\n`);
  writeClasses(out);
}

export interface DatasetInfo extends Omit<DatasetOptions, "holdoutSecret"> {
  version: number;
  /** Names the holdout secret the holdout was drawn from (secret.ts), without revealing it; null: drawn from the public seed. */
  holdoutSecretId: string | null;
  classes: number;
  parts: { train: number; "mini-holdout": number; holdout: number };
}

/**
 * Writes OUT/train (class folders + labels.csv), OUT/mini-holdout and OUT/holdout
 * (flat, labels.csv, classes.csv) and OUT/dataset.json.
 */
export function generateDataset(outDir: string, opts: DatasetOptions = DEFAULT_DATASET, onProgress?: (part: string, done: number, total: number) => void): DatasetInfo {
  fs.mkdirSync(outDir, { recursive: true });
  const train = opts.trainPerClass * SIGN_CLASSES.length;
  const secret = opts.holdoutSecret === undefined ? null : holdoutSecretBytes(opts.holdoutSecret);
  writePart(outDir, "train", train, publicStreams(opts.seed, "train"), true, onProgress);
  writePart(outDir, "mini-holdout", opts.miniHoldout, publicStreams(opts.seed, "mini-holdout"), false, onProgress);
  writePart(outDir, "holdout", opts.holdout, secret ? secretStreams(secret, opts.seed) : publicStreams(opts.seed, "holdout"), false, onProgress);
  writeClasses(outDir);
  // The secret itself is never written here: only its id.
  const { seed, trainPerClass, miniHoldout, holdout } = opts;
  const info: DatasetInfo = {
    seed, trainPerClass, miniHoldout, holdout, holdoutSecretId: secret ? holdoutSecretId(secret) : null,
    version: GENERATOR_VERSION, classes: SIGN_CLASSES.length, parts: { train, "mini-holdout": miniHoldout, holdout },
  };
  fs.writeFileSync(path.join(outDir, "dataset.json"), `${JSON.stringify(info, null, 2)}\n`);
  return info;
}

/** The dataset in `dir` if it was made with these options (and holdout secret) by this generator version; else makes it. */
export function ensureDataset(dir: string, opts: DatasetOptions = DEFAULT_DATASET, onProgress?: (part: string, done: number, total: number) => void): DatasetInfo {
  const infoFile = path.join(dir, "dataset.json");
  if (fs.existsSync(infoFile)) {
    const info = JSON.parse(fs.readFileSync(infoFile, "utf8")) as DatasetInfo;
    if (info.version === GENERATOR_VERSION && info.seed === opts.seed && info.trainPerClass === opts.trainPerClass && info.miniHoldout === opts.miniHoldout && info.holdout === opts.holdout && (info.holdoutSecretId ?? null) === (opts.holdoutSecret === undefined ? null : holdoutSecretId(holdoutSecretBytes(opts.holdoutSecret)))) return info;
  }
  // Build beside, then swap in, so a crash never leaves a half-written dataset in place.
  const tmp = `${dir}.building-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const info = generateDataset(tmp, opts, onProgress);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  fs.renameSync(tmp, dir);
  return info;
}
