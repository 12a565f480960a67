// The one-time set-up token: a production server with no administrator prints it in its log at
// start and keeps it in DATA_DIR/setup-token (0600), so only someone who can read the server's
// log or files can create the first administrator, not a stranger who finds the site first.
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

const tokenFile = (dataDir: string) => path.join(dataDir, "setup-token");

function readToken(file: string): string | null {
  try {
    return fs.readFileSync(file, "utf8").trim() || null;
  } catch {
    return null;
  }
}

/** The token in DATA_DIR/setup-token, made there if there is none (so a restart keeps the one already printed). */
export function ensureSetupToken(dataDir: string): { token: string; file: string } {
  const file = tokenFile(dataDir);
  const existing = readToken(file);
  if (existing) return { token: existing, file };
  fs.mkdirSync(dataDir, { recursive: true });
  const token = crypto.randomBytes(24).toString("base64url");
  try {
    fs.writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  } catch (e) {
    // Another process sharing the data folder wrote one first: use that.
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return { token: readToken(file) ?? token, file };
    throw e;
  }
  return { token, file };
}

/** Set-up is done: the token is of no more use. */
export function removeSetupToken(dataDir: string): void {
  fs.rmSync(tokenFile(dataDir), { force: true });
}

/** Compares in constant time (of the digests), so the answer's timing says nothing about the token. */
export function setupTokenMatches(expected: string, given: string): boolean {
  const digest = (s: string) => crypto.createHash("sha256").update(s.trim()).digest();
  return crypto.timingSafeEqual(digest(expected), digest(given));
}
