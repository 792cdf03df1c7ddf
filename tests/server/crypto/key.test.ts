import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { KeyError, generateKeyText, loadKey } from "../../../src/server/crypto/key";

const temp = mkdtempSync(join(tmpdir(), "xinqing-key-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

let n = 0;
/** A fresh directory for one test's key file. */
function freshDir(): string {
  n += 1;
  const dir = join(temp, `t${n}`);
  mkdirSync(dir);
  return dir;
}

function keyError(fn: () => unknown): KeyError {
  try {
    fn();
  } catch (e) {
    if (e instanceof KeyError) return e;
    throw e;
  }
  throw new Error("expected a KeyError");
}

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe.skipIf(process.platform === "win32")("loadKey", () => {
  it("creates a 0600 key file of 32 random bytes on first start, and reads the same key afterwards", () => {
    const keyFile = join(freshDir(), "xinqing.key");
    const first = loadKey({ keyFile });
    expect(first.source).toBe("created");
    expect(first.key).toHaveLength(32);
    expect(modeOf(keyFile)).toBe(0o600);
    expect(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64")).toEqual(first.key);
    const again = loadKey({ keyFile });
    expect(again).toEqual({ key: first.key, source: "file" });
  });

  it("creates missing parent directories and leaves no temporary file behind", () => {
    const dir = join(freshDir(), "a", "b");
    const keyFile = join(dir, "xinqing.key");
    loadKey({ keyFile });
    expect(readdirSync(dir)).toEqual(["xinqing.key"]);
  });

  it("gives a different key to each new installation", () => {
    const a = loadKey({ keyFile: join(freshDir(), "k") }).key;
    const b = loadKey({ keyFile: join(freshDir(), "k") }).key;
    expect(a.equals(b)).toBe(false);
  });

  it("uses XINQING_KEY when it is set, without touching the key file", () => {
    const dir = freshDir();
    const text = generateKeyText();
    const loaded = loadKey({ env: text, keyFile: join(dir, "xinqing.key") });
    expect(loaded).toEqual({ key: Buffer.from(text, "base64"), source: "env" });
    expect(readdirSync(dir)).toEqual([]);
  });

  it("accepts XINQING_KEY in base64url and with surrounding whitespace", () => {
    const key = randomBytes(32);
    expect(loadKey({ env: key.toString("base64url"), keyFile: "/nonexistent/k" }).key).toEqual(key);
    expect(loadKey({ env: ` ${key.toString("base64")}\n`, keyFile: "/nonexistent/k" }).key).toEqual(key);
  });

  it.each([
    ["empty", ""],
    ["too short (31 bytes)", randomBytes(31).toString("base64")],
    ["too long (33 bytes)", randomBytes(33).toString("base64")],
    ["not base64", "this is not a key at all, not even close!!!!"],
    ["hex instead of base64", randomBytes(32).toString("hex")],
    ["base64 with a stray character", `${randomBytes(32).toString("base64").slice(0, 20)}*${randomBytes(32).toString("base64").slice(21)}`],
  ])("refuses a malformed XINQING_KEY (%s) without echoing it", (_label, value) => {
    const error = keyError(() => loadKey({ env: value, keyFile: join(freshDir(), "k") }));
    expect(error.code).toBe("env_malformed");
    expect(error.message).toContain("XINQING_KEY");
    if (value.length > 3) expect(error.message).not.toContain(value.trim());
  });

  it.each([
    ["group-readable", 0o640],
    ["world-readable", 0o604],
    ["group-writable", 0o620],
    ["open to everyone", 0o666],
  ])("refuses a %s key file, telling how to fix it", (_label, mode) => {
    const keyFile = join(freshDir(), "xinqing.key");
    const text = generateKeyText();
    writeFileSync(keyFile, `${text}\n`);
    chmodSync(keyFile, mode);
    const error = keyError(() => loadKey({ keyFile }));
    expect(error.code).toBe("file_permissions");
    expect(error.message).toContain(`chmod 600 ${keyFile}`);
    expect(error.message).not.toContain(text);
  });

  it("accepts a read-only 0400 key file", () => {
    const keyFile = join(freshDir(), "xinqing.key");
    const text = generateKeyText();
    writeFileSync(keyFile, text);
    chmodSync(keyFile, 0o400);
    expect(loadKey({ keyFile })).toEqual({ key: Buffer.from(text, "base64"), source: "file" });
  });

  it.each([
    ["empty", ""],
    ["too short", `${randomBytes(16).toString("base64")}\n`],
    ["not base64", "correct horse battery staple, which is not base64\n"],
  ])("refuses a corrupt (%s) key file and never replaces it", (_label, content) => {
    const keyFile = join(freshDir(), "xinqing.key");
    writeFileSync(keyFile, content, { mode: 0o600 });
    const error = keyError(() => loadKey({ keyFile }));
    expect(error.code).toBe("file_corrupt");
    expect(readFileSync(keyFile, "utf8")).toBe(content);
  });

  it("refuses a key file path that is a directory", () => {
    const keyFile = join(freshDir(), "xinqing.key");
    mkdirSync(keyFile, { mode: 0o700 });
    expect(keyError(() => loadKey({ keyFile })).code).toBe("file_not_regular");
  });

  it("gives every process starting at once the same key: the file is created once, never overwritten", async () => {
    const keyFile = join(freshDir(), "xinqing.key");
    const script = `import { loadKey } from ${JSON.stringify(join(process.cwd(), "src/server/crypto/key.ts"))};
const { key, source } = loadKey({ keyFile: ${JSON.stringify(keyFile)} });
process.stdout.write(key.toString("hex") + " " + source);`;
    const run = promisify(execFile);
    const outputs = await Promise.all(
      Array.from({ length: 4 }, () => run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd() }).then((r) => r.stdout.split(" "))),
    );
    const keysSeen = new Set(outputs.map(([hex]) => hex));
    expect(keysSeen.size).toBe(1);
    expect(outputs.filter(([, source]) => source === "created")).toHaveLength(1);
    expect([...keysSeen][0]).toBe(Buffer.from(readFileSync(keyFile, "utf8").trim(), "base64").toString("hex"));
  });
});
