/**
 * The installation's transfer signing key (档案转接): Ed25519 (RFC 8032), derived with HKDF-SHA256 from
 * the data encryption key, so it is kept exactly like that key (XINQING_KEY or the 0600 key file of
 * src/server/crypto/key.ts, backed up apart from the data), is the same on every app server of one
 * installation, and needs no file of its own. HKDF is one-way: the signing key reveals nothing about
 * the data key. A receiving school pins the public key by its fingerprint, printed on the summary.
 */
import { createHash, createPrivateKey, createPublicKey, hkdfSync, type KeyObject } from "node:crypto";
import type { DataKeys } from "../../crypto/cipher";

export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The public key as SPKI PEM: what a receiver is given. */
  readonly publicPem: string;
  readonly fingerprint: string;
}

// PKCS#8 DER of an Ed25519 private key is this fixed prefix followed by the 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

/** SHA-256 of the public key's SPKI DER, upper-case hex in groups of four ("3F2A 91C0 …"). */
export function fingerprintOf(publicKey: KeyObject): string {
  const hex = createHash("sha256").update(publicKey.export({ type: "spki", format: "der" })).digest("hex").toUpperCase();
  return hex.match(/.{4}/g)!.join(" ");
}

/** The signing key of the installation whose data keys are `keys`. */
export function signingKeyOf(keys: DataKeys): SigningKey {
  const seed = Buffer.from(hkdfSync("sha256", keys.encryption.export(), Buffer.from("xinqing/transfer-signing/v1", "utf8"), Buffer.from("ed25519 seed", "utf8"), 32));
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: "der", type: "pkcs8" });
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(), fingerprint: fingerprintOf(publicKey) };
}

/** An Ed25519 public key from PEM text (or base64 of its SPKI DER), or undefined when it is not one. */
export function parsePublicKey(text: string): KeyObject | undefined {
  const trimmed = text.trim();
  try {
    const key = trimmed.startsWith("-----BEGIN")
      ? createPublicKey({ key: trimmed, format: "pem" })
      : /^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)
        ? createPublicKey({ key: Buffer.from(trimmed, "base64"), format: "der", type: "spki" })
        : undefined;
    return key?.asymmetricKeyType === "ed25519" ? key : undefined;
  } catch {
    return undefined;
  }
}
