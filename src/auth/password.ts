// Passwords are hashed with scrypt (memory-hard; in Node's standard library).
// Format: scrypt$N$r$p$salt$hash, so the cost can be raised later and old hashes still verify.
import crypto from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

const N = 2 ** 15; // 32 MiB per hash with r = 8
const R = 8;
const P = 1;
const KEYLEN = 32;
const maxmem = 64 * 1024 * 1024;

export async function hashPassword(password: string): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize("NFKC"), salt, KEYLEN, { N, r: R, p: P, maxmem });
  return ["scrypt", N, R, P, salt.toString("base64"), hash.toString("base64")].join("$");
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [alg, n, r, p, salt, hash] = stored.split("$");
  if (alg !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const actual = await scrypt(password.normalize("NFKC"), Buffer.from(salt, "base64"), expected.length, {
    N: Number(n), r: Number(r), p: Number(p), maxmem,
  });
  return crypto.timingSafeEqual(actual, expected);
}

/** A hash of a random password, verified against when the email is unknown so both paths take as long. */
export const dummyHash = hashPassword(crypto.randomBytes(16).toString("hex"));
