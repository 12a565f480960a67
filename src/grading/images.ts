// Holdout images → the tensor a model expects, the way Keras users prepare them:
// decoded to RGB, resized with bilinear interpolation (half-pixel centres, as
// tf.image.resize and image_dataset_from_directory do), float32 values 0–255,
// converted to grayscale when the model takes one channel.
import { createCanvas, loadImage } from "@napi-rs/canvas";
import * as tf from "@tensorflow/tfjs";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const PREPROCESSING_RULE =
  "Images are decoded to RGB, resized to the model's input size with bilinear interpolation (as tf.image.resize / Keras image_dataset_from_directory), and given as float32 values from 0 to 255 (no scaling: put a Rescaling(1/255) layer in the model if it expects 0–1). Models with one input channel get grayscale (tf.image.rgb_to_grayscale).";

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

const GRAY = [0.2989, 0.587, 0.114];

export type DecodedImage = Awaited<ReturnType<typeof decodeRgb>>;

async function decodeFile(dir: string, f: string): Promise<DecodedImage> {
  const bytes = await fs.promises.readFile(path.join(dir, f));
  try {
    return await decodeRgb(bytes);
  } catch {
    throw new Error(`The holdout image ${f} could not be decoded.`);
  }
}

/** Decoded images as one NHWC float32 tensor of the model's input size. */
export function toBatch(images: DecodedImage[], spec: InputSpec): tf.Tensor4D {
  return tf.tidy(() => {
    const tensors = images.map(({ width, height, rgb }) => {
      let t: tf.Tensor3D = tf.tensor3d(rgb, [height, width, 3], "int32").toFloat();
      if (height !== spec.height || width !== spec.width) t = tf.image.resizeBilinear(t, [spec.height, spec.width], false, true);
      // tf.image.rgb_to_grayscale's weights; written out because TF.js's version needs Einsum, which the wasm backend lacks.
      if (spec.channels === 1) t = tf.sum(tf.mul(t, tf.tensor1d(GRAY)), -1, true);
      return t;
    });
    return tf.stack(tensors) as tf.Tensor4D;
  });
}

/** A batch of images as one NHWC float32 tensor of the model's input size. */
export async function loadBatch(dir: string, files: string[], spec: InputSpec): Promise<tf.Tensor4D> {
  return toBatch(await Promise.all(files.map((f) => decodeFile(dir, f))), spec);
}

/**
 * A holdout's images decoded once and kept in one cache file (decoding is most of a score's
 * time; a second model, of any input size, reads them back). The file is named by the
 * folder, the images' names, sizes and modification times, so a changed holdout is decoded
 * anew; the newest few files are kept.
 */
export class DecodedHoldout {
  private readonly cached = new Map<string, DecodedImage>();
  private fromCache = false;

  private constructor(private readonly dir: string, private readonly files: string[], private readonly file: string | null) {}

  static async open(dir: string, files: string[], cacheDir: string | null): Promise<DecodedHoldout> {
    if (!cacheDir || !files.length) return new DecodedHoldout(dir, files, null);
    const hash = crypto.createHash("sha256").update(path.resolve(dir));
    for (const f of files) {
      const st = fs.statSync(path.join(dir, f));
      hash.update(`\0${f}\0${st.size}\0${st.mtimeMs}`);
    }
    const h = new DecodedHoldout(dir, files, path.join(cacheDir, `${hash.digest("hex").slice(0, 32)}.decoded`));
    h.read();
    return h;
  }

  /** The images of `names`, from the cache or decoded now. */
  async images(names: string[]): Promise<DecodedImage[]> {
    return Promise.all(names.map(async (n) => this.cached.get(n) ?? this.remember(n, await decodeFile(this.dir, n))));
  }

  /** Writes the cache file once every image has been decoded (image by image, atomically; old files pruned). */
  save(): void {
    if (!this.file || this.fromCache || this.cached.size !== this.files.length) return;
    const dir = path.dirname(this.file);
    const tmp = `${this.file}.${crypto.randomBytes(8).toString("hex")}.tmp`;
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const images = this.files.map((n) => this.cached.get(n)!);
      const head = Buffer.from(JSON.stringify(this.files.map((n, i) => ({ n, w: images[i]!.width, h: images[i]!.height }))));
      const len = Buffer.alloc(4);
      len.writeUInt32LE(head.length);
      const fd = fs.openSync(tmp, "wx", 0o600);
      try {
        fs.writeSync(fd, len);
        fs.writeSync(fd, head);
        for (const img of images) fs.writeSync(fd, img.rgb);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, this.file);
      const others = fs.readdirSync(dir).filter((f) => f.endsWith(".decoded")).map((f) => path.join(dir, f));
      for (const old of others.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs).slice(CACHED_HOLDOUTS)) fs.rmSync(old, { force: true });
    } catch {
      fs.rmSync(tmp, { force: true }); // a cache that cannot be written only costs the next job its decoding
    }
  }

  private remember(n: string, img: DecodedImage): DecodedImage {
    if (this.file) this.cached.set(n, img);
    return img;
  }

  private read() {
    try {
      const buf = fs.readFileSync(this.file!);
      const len = buf.readUInt32LE(0);
      const index = JSON.parse(buf.subarray(4, 4 + len).toString("utf8")) as { n: string; w: number; h: number }[];
      let offset = 4 + len;
      for (const { n, w, h } of index) {
        this.cached.set(n, { width: w, height: h, rgb: new Uint8Array(buf.buffer, buf.byteOffset + offset, w * h * 3) });
        offset += w * h * 3;
      }
      this.fromCache = this.cached.size === this.files.length;
    } catch {
      this.cached.clear(); // no cache yet (or a damaged one): decode
    }
  }
}

const CACHED_HOLDOUTS = 3;
