// Holdout images → the tensor a model expects, the way Keras users prepare them:
// decoded to RGB, resized with bilinear interpolation (half-pixel centres, as
// tf.image.resize and image_dataset_from_directory do), float32 values 0–255,
// converted to grayscale when the model takes one channel.
import { createCanvas, loadImage } from "@napi-rs/canvas";
import * as tf from "@tensorflow/tfjs";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** Decodes one PNG/JPEG into RGB bytes. */
export async function decodeRgb(bytes: Buffer): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const img = await loadImage(bytes);
  const canvas = createCanvas(img.width, img.height);
  const ctx = canvas.getContext("2d");
  ctx.drawImage(img, 0, 0);
  const rgba = ctx.getImageData(0, 0, img.width, img.height).data;
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return { width: img.width, height: img.height, rgb };
}

export interface InputSpec {
  height: number;
  width: number;
  channels: 1 | 3;
}

/** How a model takes its images: channels last (Keras) or first (some ONNX exports). */
export type Layout = "NHWC" | "NCHW";

/** tf.image.rgb_to_grayscale's weights. */
const GRAY = [0.2989, 0.587, 0.114] as const;

export type DecodedImage = Awaited<ReturnType<typeof decodeRgb>>;

async function decodeFile(dir: string, f: string): Promise<DecodedImage> {
  const bytes = await fs.promises.readFile(path.join(dir, f));
  try {
    return await decodeRgb(bytes);
  } catch {
    throw new Error(`The holdout image ${f} could not be decoded.`);
  }
}

/**
 * One image resized into `out` at `offset` (the model's layout): bilinear with half-pixel
 * centres exactly as tf.image.resize (source = (dest + 0.5) · in/out − 0.5, the lower
 * neighbour clamped at 0, the upper at the last pixel), then grayscale for one channel.
 */
export function preprocessInto(img: DecodedImage, spec: InputSpec, layout: Layout, out: Float32Array, offset: number): void {
  const { width: iw, height: ih, rgb } = img;
  const { height: H, width: W, channels: C } = spec;
  const pixelStep = layout === "NHWC" ? C : 1;
  const channelStep = layout === "NHWC" ? 1 : H * W;
  const sx = iw / W;
  const sy = ih / H;
  const left = new Int32Array(W);
  const right = new Int32Array(W);
  const fx = new Float64Array(W);
  for (let x = 0; x < W; x++) {
    const s = (x + 0.5) * sx - 0.5;
    const fl = Math.floor(s);
    left[x] = Math.max(0, fl) * 3;
    right[x] = Math.min(iw - 1, Math.ceil(s)) * 3;
    fx[x] = s - fl;
  }
  const [gr, gg, gb] = GRAY;
  let o = offset;
  for (let y = 0; y < H; y++) {
    const s = (y + 0.5) * sy - 0.5;
    const fl = Math.floor(s);
    const fy = s - fl;
    const top = Math.max(0, fl) * iw * 3;
    const bottom = Math.min(ih - 1, Math.ceil(s)) * iw * 3;
    for (let x = 0; x < W; x++) {
      const a = top + left[x]!;
      const b = top + right[x]!;
      const c = bottom + left[x]!;
      const d = bottom + right[x]!;
      const f = fx[x]!;
      let t = rgb[a]! + (rgb[b]! - rgb[a]!) * f;
      const r = t + (rgb[c]! + (rgb[d]! - rgb[c]!) * f - t) * fy;
      t = rgb[a + 1]! + (rgb[b + 1]! - rgb[a + 1]!) * f;
      const g = t + (rgb[c + 1]! + (rgb[d + 1]! - rgb[c + 1]!) * f - t) * fy;
      t = rgb[a + 2]! + (rgb[b + 2]! - rgb[a + 2]!) * f;
      const bl = t + (rgb[c + 2]! + (rgb[d + 2]! - rgb[c + 2]!) * f - t) * fy;
      if (C === 3) {
        out[o] = r;
        out[o + channelStep] = g;
        out[o + 2 * channelStep] = bl;
      } else out[o] = r * gr + g * gg + bl * gb;
      o += pixelStep;
    }
  }
}

/** Decoded images as one float32 array of the model's input size, in its layout. */
export function preprocess(images: DecodedImage[], spec: InputSpec, layout: Layout = "NHWC", out?: Float32Array): Float32Array {
  const size = spec.height * spec.width * spec.channels;
  const data = out ?? new Float32Array(images.length * size);
  images.forEach((img, k) => preprocessInto(img, spec, layout, data, k * size));
  return data;
}

/** Decoded images as one NHWC float32 tensor of the model's input size. */
export function toBatch(images: DecodedImage[], spec: InputSpec): tf.Tensor4D {
  return tf.tensor4d(preprocess(images, spec), [images.length, spec.height, spec.width, spec.channels]);
}

/** A batch of images as one NHWC float32 tensor of the model's input size. */
export async function loadBatch(dir: string, files: string[], spec: InputSpec): Promise<tf.Tensor4D> {
  return toBatch(await Promise.all(files.map((f) => decodeFile(dir, f))), spec);
}

/** Where a scoring's input images came from, and what each step cost (seconds). */
export interface InputTimings {
  source: "resized cache" | "decoded cache" | "decoded now";
  openSeconds: number;
  readSeconds: number;
  preprocessSeconds: number;
}

/**
 * A holdout's images, cached in two steps between scorings (decoding and resizing are most
 * of a score's time otherwise):
 * - `<key>.decoded`: every image decoded to RGB, any model's starting point;
 * - `<key>.<h>x<w>x<c>.<layout>.resized`: the float32 tensor for one input size, channels
 *   and layout, read back in one go (up to RESIZED_MAX_BYTES; larger inputs are resized
 *   from the decoded images each time). It names the decoded file's version it was made
 *   from and is ignored when that file changed.
 * The key is the folder, the images' names, sizes and modification times, so a changed
 * holdout is decoded anew; the newest few files of each kind are kept.
 */
export class DecodedHoldout {
  private readonly cached = new Map<string, DecodedImage>();
  private decodedRead = false;
  private fromCache = false;
  private resized: { spec: InputSpec; layout: Layout; data: Float32Array; done: number; fromCache: boolean } | null = null;
  readonly timings: InputTimings = { source: "decoded now", openSeconds: 0, readSeconds: 0, preprocessSeconds: 0 };

  private constructor(private readonly dir: string, private readonly files: string[], private readonly file: string | null) {}

  static async open(dir: string, files: string[], cacheDir: string | null): Promise<DecodedHoldout> {
    const t0 = performance.now();
    if (!cacheDir || !files.length) return new DecodedHoldout(dir, files, null);
    const hash = crypto.createHash("sha256").update(path.resolve(dir));
    for (const f of files) {
      const st = fs.statSync(path.join(dir, f));
      hash.update(`\0${f}\0${st.size}\0${st.mtimeMs}`);
    }
    const h = new DecodedHoldout(dir, files, path.join(cacheDir, `${hash.digest("hex").slice(0, 32)}.decoded`));
    h.timings.openSeconds = (performance.now() - t0) / 1000;
    return h;
  }

  /** The images of `names`, from the cache or decoded now. */
  async images(names: string[]): Promise<DecodedImage[]> {
    this.readDecoded();
    return Promise.all(names.map(async (n) => this.cached.get(n) ?? this.remember(n, await decodeFile(this.dir, n))));
  }

  /**
   * The model's inputs for images start … start+count (of the files given to open), in its
   * size and layout: a view of the resized cache, or preprocessed now. Call with the same
   * spec and layout throughout, batches in order.
   */
  async batch(start: number, count: number, spec: InputSpec, layout: Layout): Promise<Float32Array> {
    const size = spec.height * spec.width * spec.channels;
    if (!this.resized) this.openResized(spec, layout);
    const r = this.resized!;
    if (r.fromCache) return r.data.subarray(start * size, (start + count) * size);
    const images = await this.images(this.files.slice(start, start + count));
    const t0 = performance.now();
    const out = r.data.length === this.files.length * size ? r.data.subarray(start * size, (start + count) * size) : new Float32Array(count * size);
    preprocess(images, spec, layout, out);
    if (start === r.done) r.done += count;
    this.timings.preprocessSeconds += (performance.now() - t0) / 1000;
    return out;
  }

  /** Writes the cache files once every image has been decoded (atomically; old files pruned). */
  save(): void {
    if (!this.file) return;
    if (!this.fromCache && this.cached.size === this.files.length) {
      const images = this.files.map((n) => this.cached.get(n)!);
      const head = Buffer.from(JSON.stringify(this.files.map((n, i) => ({ n, w: images[i]!.width, h: images[i]!.height }))));
      writeAtomically(this.file, (fd) => {
        fs.writeSync(fd, u32(head.length));
        fs.writeSync(fd, head);
        for (const img of images) fs.writeSync(fd, img.rgb);
      });
    }
    const r = this.resized;
    if (r && !r.fromCache && r.done === this.files.length && r.data.length) {
      const version = this.decodedVersion();
      if (version) {
        // The floats start at a multiple of 4 bytes, so they are read back as a view, not copied.
        const json = JSON.stringify({ decoded: version, n: this.files.length });
        const head = Buffer.from(json.padEnd(Math.ceil((4 + json.length) / 4) * 4 - 4, " "));
        writeAtomically(this.resizedFile(r.spec, r.layout), (fd) => {
          fs.writeSync(fd, u32(head.length));
          fs.writeSync(fd, head);
          fs.writeSync(fd, new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength));
        });
      }
    }
    prune(path.dirname(this.file), ".decoded", CACHED_HOLDOUTS);
    prune(path.dirname(this.file), ".resized", CACHED_RESIZED);
  }

  private resizedFile(spec: InputSpec, layout: Layout): string {
    return this.file!.replace(/\.decoded$/, `.${spec.height}x${spec.width}x${spec.channels}.${layout}.resized`);
  }

  /** The decoded cache file's identity (the resized cache is valid only for the version it was made from). */
  private decodedVersion(): string | null {
    try {
      const st = fs.statSync(this.file!);
      return `${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch {
      return null;
    }
  }

  /** Reads the resized cache for this input, or prepares to fill it (when it is small enough to keep). */
  private openResized(spec: InputSpec, layout: Layout) {
    const t0 = performance.now();
    const size = spec.height * spec.width * spec.channels;
    const bytes = this.files.length * size * 4;
    const keep = !!this.file && bytes <= RESIZED_MAX_BYTES;
    if (keep) {
      try {
        const buf = fs.readFileSync(this.resizedFile(spec, layout));
        const len = buf.readUInt32LE(0);
        const head = JSON.parse(buf.subarray(4, 4 + len).toString("utf8")) as { decoded: string; n: number };
        if (head.decoded === this.decodedVersion() && head.n === this.files.length && buf.length - 4 - len === bytes) {
          const from = buf.byteOffset + 4 + len;
          const data = from % 4 === 0 ? new Float32Array(buf.buffer, from, bytes / 4) : new Float32Array(buf.buffer.slice(from, from + bytes));
          this.resized = { spec, layout, data, done: this.files.length, fromCache: true };
          fs.utimesSync(this.resizedFile(spec, layout), new Date(), new Date()); // in use: pruned last
          this.timings.source = "resized cache";
          this.timings.readSeconds += (performance.now() - t0) / 1000;
          return;
        }
      } catch {
        // no resized cache yet (or a damaged one): resize
      }
    }
    this.resized = { spec, layout, data: new Float32Array(keep ? bytes / 4 : 0), done: 0, fromCache: false };
  }

  private remember(n: string, img: DecodedImage): DecodedImage {
    if (this.file) this.cached.set(n, img);
    return img;
  }

  private readDecoded() {
    if (this.decodedRead || !this.file) return;
    this.decodedRead = true;
    const t0 = performance.now();
    try {
      const buf = fs.readFileSync(this.file);
      const len = buf.readUInt32LE(0);
      const index = JSON.parse(buf.subarray(4, 4 + len).toString("utf8")) as { n: string; w: number; h: number }[];
      let offset = 4 + len;
      for (const { n, w, h } of index) {
        this.cached.set(n, { width: w, height: h, rgb: new Uint8Array(buf.buffer, buf.byteOffset + offset, w * h * 3) });
        offset += w * h * 3;
      }
      this.fromCache = this.cached.size === this.files.length;
      if (this.fromCache) this.timings.source = "decoded cache";
    } catch {
      this.cached.clear(); // no cache yet (or a damaged one): decode
    }
    this.timings.readSeconds += (performance.now() - t0) / 1000;
  }
}

const CACHED_HOLDOUTS = 3;
const CACHED_RESIZED = 4;
/** The largest resized holdout kept (12,630 images: 32×32 RGB is 155 MB; 40×40 RGB 242 MB). */
const RESIZED_MAX_BYTES = 256 * 1024 * 1024;

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};

/** Writes through an unpredictable owner-only temp file, then renames: a reader sees all of it or nothing. */
function writeAtomically(file: string, write: (fd: number) => void) {
  const tmp = `${file}.${crypto.randomBytes(8).toString("hex")}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const fd = fs.openSync(tmp, "wx", 0o600);
    try {
      write(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch {
    fs.rmSync(tmp, { force: true }); // a cache that cannot be written only costs the next job its decoding
  }
}

/** Keeps the newest `keep` files ending in `ext`. */
function prune(dir: string, ext: string, keep: number) {
  try {
    const files = fs.readdirSync(dir).filter((f) => f.endsWith(ext)).map((f) => path.join(dir, f));
    const time = (f: string) => fs.statSync(f, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    for (const old of files.sort((a, b) => time(b) - time(a)).slice(keep)) fs.rmSync(old, { force: true });
  } catch {
    // nothing to prune
  }
}
