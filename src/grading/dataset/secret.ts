// The holdout secret: 256 random bits, made once per installation and kept server-side
// (DATA_DIR/holdout-secret, owner-only), from which the generated holdout alone is
// drawn (generator.ts). Web and worker processes share DATA_DIR, so they read the same
// one. Losing it means a new holdout (and a rescore); it is never shown, logged or
// written into a dataset, where only its id (a keyed hash, revealing nothing) appears.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const HOLDOUT_SECRET_FILE = "holdout-secret";

/** Refused: what is wrong with a holdout secret, and what to do. */
export class HoldoutSecretInvalid extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HoldoutSecretInvalid";
  }
}

/** The bytes of a secret written as hex: at least 128 bits (32 hex digits). */
export function holdoutSecretBytes(hex: string, where = "the holdout secret"): Buffer {
  const text = hex.trim();
  if (!/^(?:[0-9a-f]{2}){16,}$/i.test(text)) throw new HoldoutSecretInvalid(`${where} must be at least 32 hexadecimal digits (128 bits), an even number of them.`);
  return Buffer.from(text, "hex");
}

/** A short name for a secret, for folder names and dataset.json: a keyed hash, from which the secret cannot be found. */
export function holdoutSecretId(secret: Buffer): string {
  return crypto.createHmac("sha256", secret).update("holdout-secret-id").digest("hex").slice(0, 10);
}

export function newHoldoutSecret(): string {
  return crypto.randomBytes(32).toString("hex");
}

/** Reads a secret file (hex), saying which file is wrong and what to do. */
export function readHoldoutSecret(file: string): string {
  const text = fs.readFileSync(file, "utf8").trim();
  holdoutSecretBytes(text, `${file}`);
  return text;
}

/**
 * Writes `secret` to `file` (mode 0600) unless the file exists, atomically: the secret is
 * written in full beside it, then hard-linked into place, which fails if another process
 * got there first, so every process ends up with the one file's secret. Returns the
 * secret in the file.
 */
export function createHoldoutSecretFile(file: string, secret: string): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}-${crypto.randomBytes(6).toString("hex")}.tmp`;
  const fd = fs.openSync(tmp, "wx", 0o600);
  try {
    fs.writeSync(fd, `${secret}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS" || code === "EOPNOTSUPP") {
      // A file system without hard links: exclusive creation; a reader in the same instant may see it empty and retries.
      try {
        fs.writeFileSync(file, `${secret}\n`, { flag: "wx", mode: 0o600 });
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code !== "EEXIST") throw e2;
      }
    } else if (code !== "EEXIST") throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  return readWithRetry(file);
}

function readWithRetry(file: string): string {
  for (let i = 0; ; i++) {
    try {
      return readHoldoutSecret(file);
    } catch (e) {
      // Only while another process is writing it (no hard links): empty for a moment.
      if (i >= 20 || !(e instanceof HoldoutSecretInvalid) || fs.readFileSync(file, "utf8").trim() !== "") throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    }
  }
}

/**
 * The installation's holdout secret, DATA_DIR/holdout-secret, made at first use. A file
 * readable by others is made owner-only again. A damaged file is not replaced (that would
 * silently change the holdout): the error says what to do.
 */
export function installationHoldoutSecret(dataDir: string): { secret: string; file: string } {
  const file = path.resolve(dataDir, HOLDOUT_SECRET_FILE);
  let secret: string;
  try {
    secret = readHoldoutSecret(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
      if (e instanceof HoldoutSecretInvalid) {
        throw new HoldoutSecretInvalid(`${e.message} Restore it from a backup of DATA_DIR, or delete it to make a new one: the generated holdout then changes and every submission needs a rescore.`);
      }
      throw e;
    }
    secret = createHoldoutSecretFile(file, newHoldoutSecret());
  }
  try {
    if ((fs.statSync(file).mode & 0o077) !== 0) fs.chmodSync(file, 0o600);
  } catch {
    // Not ours to change (another user's file, read-only mount): reading it is enough.
  }
  return { secret, file };
}
