/**
 * Staff passwords: scrypt (RFC 7914, node:crypto) with a random salt per password and the cost
 * parameters stored in the hash, so they can be raised later without breaking existing hashes:
 *
 *   scrypt$<N>$<r>$<p>$<salt base64url>$<hash base64url>
 *
 * Verification compares in constant time. The rules for a new password live in src/shared/accounts.ts
 * (`passwordProblems`) so the SPA shows the same messages.
 */
import { scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";
export { passwordProblems, type PasswordProblem } from "../../shared/accounts";

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** OWASP Password Storage Cheat Sheet (2023): N=2^17, r=8, p=1 is the first choice; 2^15 with r=8 keeps ~32 MiB per hash and ~0.1 s here. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 1 };
const KEY_BYTES = 32;
export const SALT_BYTES = 16;
/** Refuse stored parameters beyond these (a tampered row must not make verification eat the machine). */
const MAX_N = 2 ** 20;
const MAX_R = 32;
const MAX_P = 16;

function derive(password: string, salt: Buffer, params: ScryptParams, keyLength: number): Promise<Buffer> {
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize("NFC"), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Hashes `password` with `salt` (SALT_BYTES random bytes from deps.randomBytes). */
export async function hashPassword(password: string, salt: Buffer, params: ScryptParams = DEFAULT_SCRYPT): Promise<string> {
  if (salt.length < SALT_BYTES) throw new Error(`the salt must be at least ${SALT_BYTES} bytes`);
  const key = await derive(password, salt, params, KEY_BYTES);
  return ["scrypt", params.N, params.r, params.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface ParsedHash {
  readonly params: ScryptParams;
  readonly salt: Buffer;
  readonly key: Buffer;
}

function parseHash(stored: string): ParsedHash | undefined {
  const parts = stored.split("$");
  if (parts.length !== 6 || parts[0] !== "scrypt") return undefined;
  const [N, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const isPowerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
  if (!isPowerOfTwo || N > MAX_N || !Number.isInteger(r) || r < 1 || r > MAX_R || !Number.isInteger(p) || p < 1 || p > MAX_P) return undefined;
  const salt = Buffer.from(parts[4]!, "base64url");
  const key = Buffer.from(parts[5]!, "base64url");
  if (salt.length < SALT_BYTES || key.length < 16 || key.length > 64) return undefined;
  return { params: { N, r, p }, salt, key };
}

/** True when `password` matches `stored`; false for a wrong password or an unreadable hash. Constant-time compare. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (parsed === undefined) return false;
  const key = await derive(password, parsed.salt, parsed.params, parsed.key.length);
  return timingSafeEqual(key, parsed.key);
}

/** True when `stored` was made with weaker parameters than `params` (rehash it at the next sign-in). */
export function needsRehash(stored: string, params: ScryptParams = DEFAULT_SCRYPT): boolean {
  const parsed = parseHash(stored);
  return parsed === undefined || parsed.params.N < params.N || parsed.params.r < params.r || parsed.params.p < params.p;
}

let dummy: Promise<string> | undefined;

/**
 * Spends the time of one verification without an account, so an unknown username answers as slowly
 * as a wrong password (no user enumeration by timing).
 */
export async function verifyAgainstNothing(password: string): Promise<false> {
  dummy ??= hashPassword("xinqing-dummy-password", Buffer.alloc(SALT_BYTES, 7));
  await verifyPassword(password, await dummy);
  return false;
}
