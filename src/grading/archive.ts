// Reading an uploaded zip (a .keras file, or a TF.js model zipped) without trusting
// it: names must stay inside the archive, and the number of entries, their total
// size and their compression ratio are capped before anything is inflated.
import yauzl from "yauzl";
import { ModelRefused } from "./errors.js";

export interface ZipLimits {
  maxEntries: number;
  maxTotalBytes: number;
  /** uncompressed / compressed, per entry: beyond this it is a zip bomb. */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = { maxEntries: 200, maxTotalBytes: 1024 * 1024 * 1024, maxRatio: 200 };

const mb = (n: number) => `${Math.round(n / 1024 / 1024)} MB`;

/** All files of a zip, in memory, after the checks above. */
export function readZip(file: string, limits: ZipLimits = DEFAULT_ZIP_LIMITS): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    const fail = (message: string, code = "bad_archive") => reject(new ModelRefused(message, code));
    yauzl.open(file, { lazyEntries: true, validateEntrySizes: true, strictFileNames: true, autoClose: true }, (err, zip) => {
      if (err || !zip) return fail(`The file is not a readable zip archive (${err?.message ?? "unknown error"}): it may be truncated or damaged. Upload it again.`, "corrupt");
      if (zip.entryCount > limits.maxEntries) {
        zip.close();
        return fail(`The archive has ${zip.entryCount} files; at most ${limits.maxEntries} are accepted. Zip only the model files.`, "archive_too_large");
      }
      const out = new Map<string, Buffer>();
      let total = 0;
      let failed = false;
      const stop = (message: string, code: string) => {
        if (failed) return;
        failed = true;
        zip.close();
        fail(message, code);
      };
      zip.on("error", (e: Error) => {
        const hostile = /invalid relative path|absolute path|invalid characters/i.test(e.message);
        stop(hostile ? `The archive contains a file name that points outside it (${e.message}). Such archives are refused.` : `The archive is damaged (${e.message}). Upload it again.`, hostile ? "path_traversal" : "corrupt");
      });
      zip.on("end", () => {
        if (!failed) resolve(out);
      });
      zip.on("entry", (entry: yauzl.Entry) => {
        if (failed) return;
        const name = entry.fileName;
        if (name.split("/").some((part) => part === "..") || name.startsWith("/") || /^[a-zA-Z]:/.test(name)) return stop(`The archive contains "${name}", a path outside the archive. Such archives are refused.`, "path_traversal");
        if (name.endsWith("/")) return zip.readEntry();
        total += entry.uncompressedSize;
        if (total > limits.maxTotalBytes) return stop(`The archive unpacks to more than ${mb(limits.maxTotalBytes)}. Upload a smaller model.`, "archive_too_large");
        if (entry.compressedSize > 0 && entry.uncompressedSize / entry.compressedSize > limits.maxRatio && entry.uncompressedSize > 1024 * 1024) {
          return stop(`"${name}" in the archive expands ${Math.round(entry.uncompressedSize / entry.compressedSize)}-fold, which looks like a zip bomb. Such archives are refused.`, "zip_bomb");
        }
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return stop(`"${name}" in the archive cannot be read (${e?.message}). Upload it again.`, "corrupt");
          const chunks: Buffer[] = [];
          stream.on("data", (c: Buffer) => chunks.push(c));
          stream.on("error", (se: Error) => stop(`"${name}" in the archive is damaged (${se.message}). Upload it again.`, "corrupt"));
          stream.on("end", () => {
            out.set(name, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}
