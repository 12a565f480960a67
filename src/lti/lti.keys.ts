// The tool's own signing key for LTI services: generated once per deployment and kept
// in DATA_DIR (shared by web and worker processes), published at /lti/jwks so
// platforms can check the assertions this tool signs when it asks for an access token.
import fs from "node:fs";
import path from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from "jose";

export interface ToolKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** Every key platforms should accept (the signing one first): during a rotation the staged next one, after it the retired one. */
  publishedJwks: JWK[];
}

const CURRENT = "lti-tool-key.json";
/** A rotation's new key: published first (not signing), so platforms learn it before it signs. */
const NEXT = "lti-tool-key.next.json";
/** The key a finished rotation retired: still published (not signing) until the next rotation, so assertions it signed just before stay valid. */
const RETIRED = "lti-tool-key.retired.json";

async function published(jwk: JWK): Promise<JWK> {
  const kid = await calculateJwkThumbprint(publicPart(jwk));
  return { ...publicPart(jwk), kid, alg: "RS256", use: "sig" };
}

export class KeyRotationError extends Error {}

/**
 * Rotates the tool key in two steps, so no platform ever sees a signature from a key it has not fetched:
 * `rotateToolKey(dir)` makes a new key and publishes it at /lti/jwks beside the signing one; a day later
 * (platforms cache key sets up to a day) `rotateToolKey(dir, { finish: true })` makes it the signing key,
 * in every process at once (they read the key files when they change), and keeps the old one published,
 * retired, until the next rotation. Returns the kids.
 */
export async function rotateToolKey(dataDir: string, opts: { finish?: boolean } = {}): Promise<{ current: string; next: string | null; retired: string | null }> {
  const file = (name: string) => path.join(dataDir, name);
  await loadToolKey(dataDir); // make sure there is a current key
  if (opts.finish) {
    if (!fs.existsSync(file(NEXT))) throw new KeyRotationError("No rotation is staged: run `npm run lti:rotate-key` first, then finish it a day later.");
    fs.copyFileSync(file(CURRENT), `${file(RETIRED)}.${process.pid}`);
    fs.chmodSync(`${file(RETIRED)}.${process.pid}`, 0o600);
    fs.renameSync(`${file(RETIRED)}.${process.pid}`, file(RETIRED));
    fs.renameSync(file(NEXT), file(CURRENT));
  } else {
    if (fs.existsSync(file(NEXT))) throw new KeyRotationError("A rotation is already staged: finish it with `npm run lti:rotate-key -- --finish` (a day after staging it) before starting another.");
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    fs.rmSync(file(RETIRED), { force: true });
    fs.writeFileSync(`${file(NEXT)}.${process.pid}`, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
    fs.renameSync(`${file(NEXT)}.${process.pid}`, file(NEXT));
  }
  const key = await loadToolKey(dataDir);
  const kidOf = async (name: string) => (fs.existsSync(file(name)) ? (await published(JSON.parse(fs.readFileSync(file(name), "utf8")) as JWK)).kid! : null);
  return { current: key.kid, next: await kidOf(NEXT), retired: await kidOf(RETIRED) };
}

const publicPart = ({ kty, n, e }: JWK): JWK => ({ kty, n, e });

/** Reads the tool key from DATA_DIR, creating it on first use (the first process to write it wins). */
export async function loadToolKey(dataDir: string): Promise<ToolKey> {
  const file = path.join(dataDir, CURRENT);
  if (!fs.existsSync(file)) {
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const jwk = await exportJWK(privateKey);
    fs.mkdirSync(dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, JSON.stringify(jwk), { flag: "wx", mode: 0o600 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  const jwk = JSON.parse(fs.readFileSync(file, "utf8")) as JWK;
  const publicJwk = await published(jwk);
  const others: JWK[] = [];
  for (const name of [NEXT, RETIRED]) {
    const f = path.join(dataDir, name);
    if (!fs.existsSync(f)) continue;
    const k = await published(JSON.parse(fs.readFileSync(f, "utf8")) as JWK);
    if (k.kid !== publicJwk.kid) others.push(k);
  }
  return { kid: publicJwk.kid!, privateKey: (await importJWK(jwk, "RS256")) as CryptoKey, publicJwk, publishedJwks: [publicJwk, ...others] };
}

/**
 * The tool key as a process should use it: read again whenever a key file changes (a rotation step by
 * `npm run lti:rotate-key` reaches running web and worker processes without a restart).
 */
export function toolKeySource(dataDir: string): () => Promise<ToolKey> {
  let cached: { stamp: string; key: Promise<ToolKey> } | null = null;
  return () => {
    const stamp = [CURRENT, NEXT, RETIRED].map((name) => {
      try {
        const st = fs.statSync(path.join(dataDir, name));
        return `${st.ino}:${st.mtimeMs}:${st.size}`;
      } catch {
        return "-";
      }
    }).join("|");
    if (cached?.stamp !== stamp) {
      const key = loadToolKey(dataDir);
      cached = { stamp, key };
      key.catch(() => (cached = null));
    }
    return cached.key;
  };
}
