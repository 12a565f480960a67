// What kind of file an upload is, from its first bytes and name: no model library needed, so the
// web process can tell at once without loading one (the upload route; the grading code loads them).
import fs from "node:fs";

/** The first bytes of every HDF5 file (Keras's .h5 and a .keras file's model.weights.h5). */
export const HDF5_MAGIC = Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * A CSV's header line with a column headed "predictions" anywhere in it (quoted or not, any case):
 * `predictions`, `id,predictions`, pandas' `,predictions` (its index column has no name).
 */
const PREDICTIONS_HEADER = /^[^\r\n]*?(?:^|,)\s*"?predictions"?\s*(?:,|\r|\n|$)/i;

/**
 * What kind of upload this is, from its first bytes and name. `name`: the file's name as uploaded,
 * when `file` is a temporary path without it (the upload route): its extension counts.
 */
export function sniff(file: string, name: string = file): "zip" | "hdf5" | "json" | "csv" | "onnx" | "dir" | "unknown" {
  if (fs.statSync(file).isDirectory()) return "dir";
  const fd = fs.openSync(file, "r");
  const head = Buffer.alloc(64);
  const n = fs.readSync(fd, head, 0, 64, 0);
  fs.closeSync(fd);
  const start = head.subarray(0, n);
  if (start.subarray(0, 4).equals(Buffer.from("PK\x03\x04", "latin1"))) return "zip";
  if (start.subarray(0, 8).equals(HDF5_MAGIC)) return "hdf5";
  const text = start.toString("utf8").replace(/^\uFEFF/, "").trimStart();
  if (text.startsWith("{")) return "json";
  if (/\.onnx$/i.test(name)) return "onnx";
  if (PREDICTIONS_HEADER.test(text) || /\.csv$/i.test(name)) return "csv";
  if (start[0] === 0x08) return "onnx"; // a ModelProto's first field, ir_version
  return "unknown";
}
