/**
 * The transfer bundle (档案转接): a student's record sealed for another school.
 *
 * - Confidentiality: AES-256-GCM (NIST SP 800-38D, random 96-bit IV) under a key derived with scrypt
 *   (RFC 7914; N = 2^15, r = 8, p = 1) from a one-time passphrase the exporting server generates, shows
 *   once and never stores. The passphrase travels apart from the bundle (phone, in person): whoever holds
 *   only the file cannot read it. The passphrase carries 150 random bits, so scrypt's cost is a second
 *   line of defence, not the first.
 * - Authenticity: Ed25519 (RFC 8032) by the sending installation (signing.ts) over every field of the
 *   bundle. The receiver checks it against the sender's public key, whose fingerprint is printed on the
 *   paper summary: a bundle changed in transit, or signed by someone else, is refused before decryption.
 *
 * Functions of their arguments only (randomness passed in); errors are values with a code.
 */
import { createCipheriv, createDecipheriv, scrypt, sign, verify, type ScryptOptions } from "node:crypto";
import { TRANSFER_FORMAT, TransferPayload, type TransferBundle, type TransferError } from "../../../shared/archive";
import { fingerprintOf, parsePublicKey, type SigningKey } from "./signing";

const KDF = { N: 2 ** 15, r: 8, p: 1 } as const;
/** scrypt needs 128·N·r bytes; allow the largest N accepted on import. */
const MAX_N = 2 ** 17;
const SCRYPT_MAXMEM = 256 * MAX_N * KDF.r;
const SALT_BYTES = 16;
const IV_BYTES = 12;
const TAG_BYTES = 16;

// Crockford's base32: no I, L, O or U, so a passphrase read over the phone is not misheard.
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const PASSPHRASE_CHARS = 30;

/** A new one-time transfer passphrase: 30 base32 characters (150 bits) in groups of five. */
export function newPassphrase(randomBytes: (n: number) => Buffer): string {
  const bytes = randomBytes(PASSPHRASE_CHARS);
  const chars = [...bytes].map((b) => ALPHABET[b & 31]!);
  const groups: string[] = [];
  for (let i = 0; i < chars.length; i += 5) groups.push(chars.slice(i, i + 5).join(""));
  return groups.join("-");
}

/** The passphrase as typed: case, spaces and hyphens ignored; O read as 0, I and L as 1 (Crockford). */
export function normalizePassphrase(typed: string): string {
  return typed
    .toUpperCase()
    .replace(/[\s-]+/g, "")
    .replace(/O/g, "0")
    .replace(/[IL]/g, "1");
}

/** scrypt off the event loop (it takes a good fraction of a second by design). */
function deriveKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const options: ScryptOptions = { ...params, maxmem: SCRYPT_MAXMEM };
  return new Promise((resolve, reject) => scrypt(normalizePassphrase(passphrase).normalize("NFC"), salt, 32, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** The bytes the signature covers: every field but the signature, in a fixed order. */
function signedBytes(b: Omit<TransferBundle, "signature">): Buffer {
  return Buffer.from(
    `xinqing-transfer-signature-v1\n${JSON.stringify([
      b.format,
      b.version,
      b.exportId,
      b.createdAt,
      b.from.schoolCode,
      b.from.schoolName,
      b.kdf.name,
      b.kdf.salt,
      b.kdf.N,
      b.kdf.r,
      b.kdf.p,
      b.cipher.name,
      b.cipher.iv,
      b.cipher.tag,
      b.payload,
      b.signerFingerprint,
    ])}`,
    "utf8",
  );
}

/** GCM additional data: the header, so a payload cannot be moved under another header even unsigned. */
function headerBytes(b: Pick<TransferBundle, "format" | "version" | "exportId" | "createdAt" | "from" | "signerFingerprint">): Buffer {
  return Buffer.from(JSON.stringify([b.format, b.version, b.exportId, b.createdAt, b.from.schoolCode, b.from.schoolName, b.signerFingerprint]), "utf8");
}

export interface SealInput {
  readonly exportId: string;
  readonly createdAt: Date;
  readonly from: { readonly schoolCode: string; readonly schoolName: string };
  readonly payload: TransferPayload;
  readonly passphrase: string;
  readonly signing: SigningKey;
  readonly randomBytes: (n: number) => Buffer;
}

/** Encrypts and signs a payload into a bundle. */
export async function sealBundle(input: SealInput): Promise<TransferBundle> {
  const salt = input.randomBytes(SALT_BYTES);
  const iv = input.randomBytes(IV_BYTES);
  const header = {
    format: TRANSFER_FORMAT,
    version: 1 as const,
    exportId: input.exportId,
    createdAt: input.createdAt.toISOString(),
    from: { schoolCode: input.from.schoolCode, schoolName: input.from.schoolName },
    signerFingerprint: input.signing.fingerprint,
  };
  const cipher = createCipheriv("aes-256-gcm", await deriveKey(input.passphrase, salt, KDF), iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(headerBytes(header));
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(input.payload), "utf8"), cipher.final()]);
  const unsigned = {
    ...header,
    kdf: { name: "scrypt" as const, salt: salt.toString("base64"), ...KDF },
    cipher: { name: "aes-256-gcm" as const, iv: iv.toString("base64"), tag: cipher.getAuthTag().toString("base64") },
    payload: ciphertext.toString("base64"),
  };
  return { ...unsigned, signature: sign(null, signedBytes(unsigned), input.signing.privateKey).toString("base64") };
}

export type OpenResult = { readonly ok: true; readonly payload: TransferPayload } | { readonly ok: false; readonly code: TransferError; readonly message: string };

const fail = (code: TransferError, message: string): OpenResult => ({ ok: false, code, message });

function decoded(text: string, bytes?: number): Buffer | undefined {
  const value = Buffer.from(text, "base64");
  if (value.toString("base64") !== text) return undefined;
  return bytes === undefined || value.length === bytes ? value : undefined;
}

/**
 * Verifies a bundle against the sender's public key and decrypts it with the passphrase. In this order,
 * so each failure has one meaning: the key given is not the one that signed (`transfer_wrong_key`); the
 * signature does not hold (`transfer_tampered`); the passphrase does not open it
 * (`transfer_wrong_passphrase`); the content is not a record of this format (`transfer_malformed`).
 */
export async function openBundle(bundle: TransferBundle, passphrase: string, senderPublicKey: string): Promise<OpenResult> {
  const key = parsePublicKey(senderPublicKey);
  if (key === undefined) return fail("transfer_wrong_key", "the sender's public key is not an Ed25519 public key (PEM) / 发送方公钥格式不正确");
  if (fingerprintOf(key) !== bundle.signerFingerprint) {
    return fail("transfer_wrong_key", "the bundle was not signed with this public key: check the fingerprint printed on the summary / 档案包不是用该公钥签名的，请核对打印摘要上的指纹");
  }
  const signature = decoded(bundle.signature);
  const { signature: _signature, ...unsigned } = bundle;
  if (signature === undefined || !verify(null, signedBytes(unsigned), key, signature)) {
    return fail("transfer_tampered", "the signature does not match: the bundle was changed after it was signed / 签名校验失败：档案包已被改动");
  }
  const salt = decoded(bundle.kdf.salt);
  const iv = decoded(bundle.cipher.iv, IV_BYTES);
  const tag = decoded(bundle.cipher.tag, TAG_BYTES);
  const ciphertext = decoded(bundle.payload);
  const { N, r, p } = bundle.kdf;
  const sane = N >= 2 ** 14 && N <= MAX_N && (N & (N - 1)) === 0 && r === KDF.r && p === KDF.p;
  if (!sane || salt === undefined || salt.length < SALT_BYTES || iv === undefined || tag === undefined || ciphertext === undefined) {
    return fail("transfer_malformed", "the bundle's encryption parameters are not ones this version uses / 档案包加密参数不受支持");
  }
  const key256 = await deriveKey(passphrase, salt, { N, r, p });
  let plain: string;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key256, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(headerBytes(bundle));
    decipher.setAuthTag(tag);
    plain = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString("utf8");
  } catch {
    return fail("transfer_wrong_passphrase", "the passphrase does not open this bundle / 转接口令不正确");
  }
  let data: unknown;
  try {
    data = JSON.parse(plain);
  } catch {
    return fail("transfer_malformed", "the bundle's content is not JSON / 档案包内容无法解析");
  }
  const parsed = TransferPayload.safeParse(data);
  if (!parsed.success || parsed.data.exportId !== bundle.exportId) return fail("transfer_malformed", "the bundle's content is not a growth record of this format / 档案包内容格式不符");
  return { ok: true, payload: parsed.data };
}
