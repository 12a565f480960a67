// Passwords are hashed with scrypt (memory-hard; in Node's standard library).
// Format: scrypt$N$r$p$salt$hash, so the cost can be raised later and old hashes still verify
// (and are re-hashed at the current cost on the next successful sign-in).
import crypto from "node:crypto";
import { promisify } from "node:util";

const scrypt = promisify(crypto.scrypt) as (pw: string, salt: Buffer, len: number, opts: crypto.ScryptOptions) => Promise<Buffer>;

export interface ScryptParams { N: number; r: number; p: number }

/** OWASP Password Storage Cheat Sheet: scrypt N=2^17, r=8, p=1 — 128 MiB and about 0.5 s of one core per hash. */
export const OWASP_SCRYPT: ScryptParams = { N: 2 ** 17, r: 8, p: 1 };

/** Test runs (jest sets NODE_ENV=test) hash at Node's default cost: the suites sign in hundreds of times. */
const TEST_SCRYPT: ScryptParams = { N: 2 ** 14, r: 8, p: 1 };

/** The cost new hashes get. Outside tests always OWASP's; a test-cost hash is upgraded by a real server's first sign-in. */
export const CURRENT_SCRYPT: ScryptParams = process.env.NODE_ENV === "test" ? TEST_SCRYPT : OWASP_SCRYPT;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 1024;

const KEYLEN = 32;
const memoryFor = (s: ScryptParams) => 128 * s.N * s.r * s.p + 32 * 1024 * 1024;
/** Stored costs above this are refused rather than run: a tampered row must not exhaust memory. */
const MAX_N = 2 ** 20;

export async function hashPassword(password: string, params: ScryptParams = CURRENT_SCRYPT): Promise<string> {
  const salt = crypto.randomBytes(16);
  const hash = await scrypt(password.normalize("NFKC"), salt, KEYLEN, { ...params, maxmem: memoryFor(params) });
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64"), hash.toString("base64")].join("$");
}

function parse(stored: string): (ScryptParams & { salt: Buffer; hash: Buffer }) | null {
  const [alg, n, r, p, salt, hash] = stored.split("$");
  const params = { N: Number(n), r: Number(r), p: Number(p) };
  if (alg !== "scrypt" || !salt || !hash || ![params.N, params.r, params.p].every((x) => Number.isInteger(x) && x > 0) || params.N > MAX_N || params.r * params.p > 64) return null;
  return { ...params, salt: Buffer.from(salt, "base64"), hash: Buffer.from(hash, "base64") };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const s = parse(stored);
  if (!s) return false;
  const actual = await scrypt(password.normalize("NFKC"), s.salt, s.hash.length, { N: s.N, r: s.r, p: s.p, maxmem: memoryFor(s) });
  return crypto.timingSafeEqual(actual, s.hash);
}

/** True when a stored hash is cheaper than `params` in any of its factors (then re-hash it after a successful check). */
export function needsRehash(stored: string, params: ScryptParams = CURRENT_SCRYPT): boolean {
  const s = parse(stored);
  return !s || s.N < params.N || s.r < params.r || s.p < params.p;
}

let dummy: Promise<string> | undefined;
/** A hash of a random password, verified against when the email is unknown so both paths take as long. */
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(crypto.randomBytes(16).toString("hex")));
}

/** A password for a new account that its owner must replace at first sign-in: 72 bits, easy to read out. */
export function temporaryPassword(): string {
  return crypto.randomBytes(9).toString("base64url");
}
