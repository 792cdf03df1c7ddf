/**
 * The master key for encryption at rest: 32 random bytes, from `XINQING_KEY` (base64) or from a
 * key file created with mode 0600 on first start (ARCHITECTURE.md, "Storage").
 *
 * Losing the key loses every encrypted name and note: back up the key file apart from the
 * database backups. Nothing here ever logs or puts the key into an error message.
 */
import { randomBytes } from "node:crypto";
import { closeSync, fchmodSync, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { MASTER_KEY_BYTES } from "./cipher";

/** Where the key came from; `created` means a new key file was written: tell the operator to back it up. */
export type KeySource = "env" | "file" | "created";

/** Why no key could be loaded. */
export type KeyErrorCode = "env_malformed" | "file_corrupt" | "file_permissions" | "file_not_regular" | "file_unreadable";

/** A refused key; the message names the variable or file, never the key. */
export class KeyError extends Error {
  readonly code: KeyErrorCode;

  constructor(code: KeyErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "KeyError";
    this.code = code;
  }
}

export interface LoadKeyOptions {
  /** The value of `XINQING_KEY`; used when defined (even empty, which is refused). */
  env?: string | undefined;
  /** Used when `env` is undefined: read, or created on first start. */
  keyFile: string;
}

export interface LoadedKey {
  readonly key: Buffer;
  readonly source: KeySource;
}

// Standard or URL-safe alphabet, optional padding; Buffer.from alone skips bad characters.
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

function decodeKey(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const key = Buffer.from(text.replace(/-/g, "+").replace(/_/g, "/"), "base64");
  return key.length === MASTER_KEY_BYTES ? key : undefined;
}

/** A new key as the text stored in a key file or put in `XINQING_KEY`. */
export function generateKeyText(): string {
  return randomBytes(MASTER_KEY_BYTES).toString("base64");
}

function readKeyFile(keyFile: string): Buffer {
  let fd: number;
  try {
    fd = openSync(keyFile, "r");
  } catch (e) {
    throw new KeyError("file_unreadable", `cannot read the key file ${keyFile}: ${(e as Error).message}`, e);
  }
  try {
    // Check the opened file itself, not the path again.
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new KeyError("file_not_regular", `the key file ${keyFile} is not a regular file`);
    if (process.platform !== "win32" && (stat.mode & 0o077) !== 0) {
      const mode = (stat.mode & 0o777).toString(8).padStart(4, "0");
      throw new KeyError("file_permissions", `the key file ${keyFile} can be read or written by group or others (mode ${mode}); run: chmod 600 ${keyFile}`);
    }
    const key = decodeKey(readFileSync(fd, "utf8").trim());
    if (key === undefined) {
      throw new KeyError("file_corrupt", `the key file ${keyFile} is corrupt: it must hold ${MASTER_KEY_BYTES} bytes in base64; restore it from your backup (a new key cannot read existing data)`);
    }
    return key;
  } finally {
    closeSync(fd);
  }
}

/** Writes a new key file without ever replacing one; false when another process got there first. */
function createKeyFile(keyFile: string): boolean {
  const dir = dirname(keyFile);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  // Write a complete temporary file, then hard-link it into place: link() fails with EEXIST
  // instead of overwriting, and readers never see a half-written key.
  const temporary = join(dir, `.${basename(keyFile)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fd = openSync(temporary, "wx", 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, `${generateKeyText()}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, keyFile);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw new KeyError("file_unreadable", `cannot create the key file ${keyFile}: ${(e as Error).message}`, e);
  } finally {
    unlinkSync(temporary);
  }
}

/**
 * Loads the master key: from `env` (XINQING_KEY) when it is defined, else from `keyFile`, which is
 * created with mode 0600 when it does not exist (never overwritten). Throws a {@link KeyError} when
 * XINQING_KEY is not 32 bytes of base64, or the file is corrupt, not a regular file, or open to
 * group or others.
 */
export function loadKey(options: LoadKeyOptions): LoadedKey {
  if (options.env !== undefined) {
    const key = decodeKey(options.env.trim());
    if (key === undefined) {
      throw new KeyError("env_malformed", `XINQING_KEY must be ${MASTER_KEY_BYTES} random bytes in base64 (e.g. the output of: openssl rand -base64 32); the value set is not`);
    }
    return { key, source: "env" };
  }
  try {
    return { key: readKeyFile(options.keyFile), source: "file" };
  } catch (e) {
    const missing = e instanceof KeyError && e.code === "file_unreadable" && (e.cause as NodeJS.ErrnoException | undefined)?.code === "ENOENT";
    if (!missing) throw e;
  }
  const created = createKeyFile(options.keyFile);
  return { key: readKeyFile(options.keyFile), source: created ? "created" : "file" };
}
