/**
 * Encryption at rest for names, free-text notes and case notes (ARCHITECTURE.md, "Storage"):
 * AES-256-GCM with a random 96-bit IV per value (NIST SP 800-38D), and a keyed HMAC-SHA256
 * "blind index" to look up an encrypted column by equality without storing the value in clear.
 *
 * One master key (key.ts) never touches data: HKDF-SHA256 (RFC 5869) derives a separate
 * encryption key, index key and public key id from it, so an index value says nothing about the
 * ciphertexts and the key id can be stored in every token.
 *
 * Token: `v1.<key id>.<iv>.<tag>.<ciphertext>`, every part base64url. The version and key id are
 * authenticated (GCM additional data), as is an optional context (e.g. "students.name:<id>") that
 * ties a value to where it is stored, so a ciphertext copied to another row does not decrypt.
 */
import { createCipheriv, createDecipheriv, createHmac, createSecretKey, hkdfSync, randomBytes, type KeyObject } from "node:crypto";

/** Bytes of the master key. */
export const MASTER_KEY_BYTES = 32;
const VERSION = "v1";
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID_BYTES = 6;
const HKDF_SALT = Buffer.from("xinqing/at-rest/v1", "utf8");

/** The working keys derived from one master key. */
export interface DataKeys {
  /** Public identifier of the master key (base64url); stored in every token. */
  readonly keyId: string;
  readonly encryption: KeyObject;
  readonly index: KeyObject;
}

/** Why a token could not be decrypted. */
export type DecryptErrorCode = "malformed" | "unsupported_version" | "wrong_key" | "tampered";

/** Thrown by {@link decrypt}; the message never contains the plaintext or key. */
export class DecryptError extends Error {
  readonly code: DecryptErrorCode;

  constructor(code: DecryptErrorCode, message: string) {
    super(message);
    this.name = "DecryptError";
    this.code = code;
  }
}

function derive(master: Uint8Array, info: string, bytes: number): Buffer {
  return Buffer.from(hkdfSync("sha256", master, HKDF_SALT, Buffer.from(info, "utf8"), bytes));
}

/** Derives the encryption key, index key and key id from a 32-byte master key (HKDF-SHA256). */
export function deriveKeys(masterKey: Uint8Array): DataKeys {
  if (masterKey.length !== MASTER_KEY_BYTES) {
    throw new Error(`the master key must be ${MASTER_KEY_BYTES} bytes, not ${masterKey.length}`);
  }
  return {
    keyId: derive(masterKey, "xinqing/key-id", KEY_ID_BYTES).toString("base64url"),
    encryption: createSecretKey(derive(masterKey, "xinqing/aes-256-gcm", 32)),
    index: createSecretKey(derive(masterKey, "xinqing/blind-index", 32)),
  };
}

// A lone UTF-16 surrogate has no UTF-8 form: it would come back as U+FFFD, so refuse it.
const LONE_SURROGATE = /\p{Cs}/u;

function checkWellFormed(text: string, what: string): void {
  if (LONE_SURROGATE.test(text)) throw new TypeError(`${what} contains a lone UTF-16 surrogate, which cannot be stored exactly`);
}

function additionalData(keyId: string, context: string | undefined): Buffer {
  return Buffer.from(context === undefined ? `${VERSION}.${keyId}` : `${VERSION}.${keyId}\u0000${context}`, "utf8");
}

/**
 * Encrypts `plaintext` (any well-formed string, empty included) into a self-describing token.
 * The same `context`, if any, must be given to {@link decrypt}. Throws a TypeError on a lone
 * surrogate (it has no UTF-8 form and would not come back unchanged).
 */
export function encrypt(keys: DataKeys, plaintext: string, context?: string): string {
  checkWellFormed(plaintext, "the text to encrypt");
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", keys.encryption, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(keys.keyId, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, keys.keyId, iv.toString("base64url"), tag.toString("base64url"), ciphertext.toString("base64url")].join(".");
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

function decodePart(part: string, what: string, bytes?: number): Buffer {
  const value = BASE64URL.test(part) ? Buffer.from(part, "base64url") : undefined;
  // Re-encoding catches non-canonical text that Buffer.from would quietly accept.
  if (value === undefined || value.toString("base64url") !== part || (bytes !== undefined && value.length !== bytes)) {
    throw new DecryptError("malformed", `not an encrypted value: bad ${what}`);
  }
  return value;
}

/**
 * Decrypts a token made by {@link encrypt}. Throws a {@link DecryptError}: `malformed` (not a
 * token), `unsupported_version`, `wrong_key` (made under another master key), or `tampered`
 * (changed, or decrypted with another context).
 */
export function decrypt(keys: DataKeys, token: string, context?: string): string {
  const parts = token.split(".");
  if (parts.length !== 5) throw new DecryptError("malformed", "not an encrypted value: expected 5 dot-separated parts");
  const [version, keyId, ivText, tagText, ciphertextText] = parts as [string, string, string, string, string];
  if (version !== VERSION) throw new DecryptError("unsupported_version", `unsupported encrypted value version ${JSON.stringify(version.slice(0, 8))}`);
  if (keyId !== keys.keyId) {
    throw new DecryptError("wrong_key", `the value was encrypted with another key (key id ${keyId.slice(0, 8)}, this server's key id is ${keys.keyId}); check XINQING_KEY or the key file`);
  }
  const iv = decodePart(ivText, "IV", IV_BYTES);
  const tag = decodePart(tagText, "tag", TAG_BYTES);
  const ciphertext = decodePart(ciphertextText, "ciphertext");
  const decipher = createDecipheriv("aes-256-gcm", keys.encryption, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(keyId, context));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    throw new DecryptError("tampered", "the encrypted value failed authentication: it was modified, or belongs to another record (context)");
  }
}

/**
 * A deterministic keyed HMAC-SHA256 of `value` (NFC-normalised, otherwise exact: trim or
 * case-fold before calling if lookups should ignore those), for equality lookups on an encrypted
 * column. `domain` separates uses ("student_no", "phone"): equal values in different domains give
 * unrelated indexes. Returns 43 base64url characters. Throws a TypeError on a lone surrogate.
 */
export function blindIndex(keys: DataKeys, value: string, domain = ""): string {
  checkWellFormed(value, "the value to index");
  // The domain is a constant of the code; NUL separates it from the value.
  if (domain.includes("\u0000")) throw new TypeError("a blind-index domain cannot contain NUL");
  return createHmac("sha256", keys.index).update(`${domain}\u0000${value.normalize("NFC")}`, "utf8").digest("base64url");
}
