import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { CONTENT_DIR } from "./app.js";

/** A private copy of the repo's content/ that a test may edit. */
export function copyContent(): { dir: string; file(rel: string): string; write(rel: string, text: string): void; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cnn-content-"));
  fs.cpSync(CONTENT_DIR, dir, { recursive: true });
  return {
    dir,
    file: (rel) => fs.readFileSync(path.join(dir, rel), "utf8"),
    write: (rel, text) => fs.writeFileSync(path.join(dir, rel), text),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
