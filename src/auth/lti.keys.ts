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
}

const publicPart = ({ kty, n, e }: JWK): JWK => ({ kty, n, e });

/** Reads the tool key from DATA_DIR, creating it on first use (the first process to write it wins). */
export async function loadToolKey(dataDir: string): Promise<ToolKey> {
  const file = path.join(dataDir, "lti-tool-key.json");
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
  const kid = await calculateJwkThumbprint(publicPart(jwk));
  return { kid, privateKey: (await importJWK(jwk, "RS256")) as CryptoKey, publicJwk: { ...publicPart(jwk), kid, alg: "RS256", use: "sig" } };
}
