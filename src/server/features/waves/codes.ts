/**
 * Access codes: generation, normalisation of what a student types, the keyed hash that is all the
 * database keeps, and the masked name printed on a slip.
 *
 * Alphabet: the digits 2-9 and the capital letters without I, L and O — 31 characters, none of
 * which looks like another in the common print and screen fonts (no 0/O, 1/I/L).
 * 8 characters give 31^8 ≈ 8.5 × 10^11 codes, log2(31) × 8 ≈ 39.6 bits. With 100,000 active codes
 * in a district a blind guess hits one with probability ≈ 1.2 × 10^-7; the lockout (10 wrong codes per
 * address per 10 minutes) caps a lab address at 1,440 guesses a day, ≈ 1.7 × 10^-4 chance a day.
 */
import type { DataKeys } from "../../crypto/cipher";
import { blindIndex } from "../../crypto/cipher";

export const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
export const CODE_LENGTH = 8;
/** ≈ 39.6 bits. */
export const CODE_ENTROPY_BITS = CODE_LENGTH * Math.log2(CODE_ALPHABET.length);
/** The blind-index domain of access codes (crypto/cipher.ts). */
export const CODE_HASH_DOMAIN = "access_code";

// The largest multiple of the alphabet size that fits in a byte: bytes at or above it are thrown away
// (rejection sampling), so every character is equally likely (no modulo bias).
const ACCEPT_BELOW = 256 - (256 % CODE_ALPHABET.length);

/** A fresh code of CODE_LENGTH characters from CODE_ALPHABET, drawn from `randomBytes` without bias. */
export function generateCode(randomBytes: (n: number) => Buffer): string {
  let code = "";
  while (code.length < CODE_LENGTH) {
    for (const byte of randomBytes(CODE_LENGTH * 2)) {
      if (byte >= ACCEPT_BELOW) continue;
      code += CODE_ALPHABET[byte % CODE_ALPHABET.length];
      if (code.length === CODE_LENGTH) break;
    }
  }
  return code;
}

const IGNORED = /[\s\-‐‑‒–—―_·.]/gu;
const VALID = new RegExp(`^[${CODE_ALPHABET}]{${CODE_LENGTH}}$`);

/**
 * What a student typed, as a code: full-width characters folded (NFKC, a Chinese IME types Ａ and
 * full-width spaces), case ignored, spaces, dashes and dots dropped. Null when the result cannot be a
 * code (wrong length, a character outside the alphabet).
 */
export function normalizeCode(typed: string): string | null {
  const folded = typed.normalize("NFKC").replace(IGNORED, "").toUpperCase();
  return VALID.test(folded) ? folded : null;
}

/** The keyed hash stored in access_codes.code_hash for a normalised code. */
export function hashCode(keys: DataKeys, code: string): string {
  return blindIndex(keys, code, CODE_HASH_DOMAIN);
}

/**
 * A name as printed on a slip: first and last character kept, the rest starred (张小明 → 张*明,
 * 欧阳明月 → 欧**月, 张明 → 张*, 明 → *). Counts characters, not UTF-16 units.
 */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return "*";
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${"*".repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}
