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
  /** Every key platforms should accept (the current one first): during a rotation, the previous one too. */
  publishedJwks: JWK[];
}

const CURRENT = "lti-tool-key.json";
/** The key before the last rotation: still published (not used to sign) until the rotation is finished. */
const PREVIOUS = "lti-tool-key.previous.json";

async function published(jwk: JWK): Promise<JWK> {
  const kid = await calculateJwkThumbprint(publicPart(jwk));
  return { ...publicPart(jwk), kid, alg: "RS256", use: "sig" };
}

/**
 * Rotates the tool key: a new key signs from the next start of each process, and the old one stays
 * published at /lti/jwks so platforms that cached it keep accepting what was signed with it.
 * `finish` drops the old key once every process has restarted and platforms have refetched (their caches
 * last up to a day). Returns the kids.
 */
export async function rotateToolKey(dataDir: string, opts: { finish?: boolean } = {}): Promise<{ current: string; previous: string | null }> {
  const current = path.join(dataDir, CURRENT);
  const previous = path.join(dataDir, PREVIOUS);
  if (opts.finish) {
    fs.rmSync(previous, { force: true });
  } else {
    await loadToolKey(dataDir); // make sure there is a current key to keep
    const { privateKey } = await generateKeyPair("RS256", { extractable: true });
    const fresh = `${current}.${process.pid}.new`;
    fs.writeFileSync(fresh, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
    fs.copyFileSync(current, `${previous}.${process.pid}`);
    fs.chmodSync(`${previous}.${process.pid}`, 0o600);
    fs.renameSync(`${previous}.${process.pid}`, previous);
    fs.renameSync(fresh, current);
  }
  const key = await loadToolKey(dataDir);
  return { current: key.kid, previous: key.publishedJwks[1]?.kid ?? null };
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
  const previousFile = path.join(dataDir, PREVIOUS);
  const previous = fs.existsSync(previousFile) ? await published(JSON.parse(fs.readFileSync(previousFile, "utf8")) as JWK) : null;
  return { kid: publicJwk.kid!, privateKey: (await importJWK(jwk, "RS256")) as CryptoKey, publicJwk, publishedJwks: previous && previous.kid !== publicJwk.kid ? [publicJwk, previous] : [publicJwk] };
}
