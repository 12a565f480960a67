import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const prismaCli = createRequire(import.meta.url).resolve("prisma/build/index.js");
const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/** `prisma migrate deploy` against `url`, with the bundled wasm schema engine (no downloads). */
export function migrateDeploy(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [prismaCli, "migrate", "deploy"],
      {
        cwd: projectRoot,
        env: { ...process.env, DATABASE_URL: url, PRISMA_HIDE_UPDATE_MESSAGE: "1", CHECKPOINT_DISABLE: "1" },
      },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`Database migration failed:\n${stdout}\n${stderr}`.trim()));
        else resolve(stdout);
      },
    );
  });
}
