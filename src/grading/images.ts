// Holdout images → the tensor a model expects, the way Keras users prepare them:
// decoded to RGB, resized with bilinear interpolation (half-pixel centres, as
// tf.image.resize and image_dataset_from_directory do), float32 values 0–255,
// converted to grayscale when the model takes one channel.
import { createCanvas, loadImage } from "@napi-rs/canvas";
import * as tf from "@tensorflow/tfjs";
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

/** A batch of images as one NHWC float32 tensor of the model's input size. */
export async function loadBatch(dir: string, files: string[], spec: InputSpec): Promise<tf.Tensor4D> {
  const images = await Promise.all(files.map(async (f) => {
    const bytes = await fs.promises.readFile(path.join(dir, f));
    try {
      return await decodeRgb(bytes);
    } catch {
      throw new Error(`The holdout image ${f} could not be decoded.`);
    }
  }));
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
