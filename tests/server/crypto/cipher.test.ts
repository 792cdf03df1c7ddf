import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DecryptError, blindIndex, decrypt, deriveKeys, encrypt } from "../../../src/server/crypto/cipher";

const keys = deriveKeys(Buffer.alloc(32, 7));
const otherKeys = deriveKeys(Buffer.alloc(32, 8));

/** Replaces the character at `index` of token part `part` with a different base64url character. */
function tamper(token: string, part: number, index = 0): string {
  const parts = token.split(".");
  const text = parts[part] ?? "";
  const replacement = text[index] === "A" ? "B" : "A";
  parts[part] = text.slice(0, index) + replacement + text.slice(index + 1);
  return parts.join(".");
}

function decryptError(fn: () => unknown): DecryptError {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecryptError) return e;
    throw e;
  }
  throw new Error("expected a DecryptError");
}

describe("encrypt and decrypt", () => {
  it.each([
    ["a Chinese name", "张三"],
    ["a 4-byte CJK name", "𠮷野𪚥"],
    ["an emoji note", "今天很开心 😀👍🏽"],
    ["the empty string", ""],
    ["text with NUL and newlines", "line 1\nline\u00002\r\n"],
    ["a long case note", "约谈记录。".repeat(5_000)],
  ])("round-trips %s", (_label, text) => {
    expect(decrypt(keys, encrypt(keys, text))).toBe(text);
  });

  it("round-trips any well-formed string (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.option(fc.string({ maxLength: 40 }), { nil: undefined }), (text, context) => {
        expect(decrypt(keys, encrypt(keys, text, context), context)).toBe(text);
      }),
    );
  });

  it("writes a versioned token: v1, key id, 12-byte IV, 16-byte tag, ciphertext, all base64url", () => {
    const token = encrypt(keys, "心晴");
    const parts = token.split(".");
    expect(parts).toHaveLength(5);
    expect(parts[0]).toBe("v1");
    expect(parts[1]).toBe(keys.keyId);
    expect(Buffer.from(parts[2] ?? "", "base64url")).toHaveLength(12);
    expect(Buffer.from(parts[3] ?? "", "base64url")).toHaveLength(16);
    expect(Buffer.from(parts[4] ?? "", "base64url")).toHaveLength(Buffer.byteLength("心晴"));
    for (const part of parts) expect(part).toMatch(/^[A-Za-z0-9_-]*$/);
    expect(token).not.toContain("心晴");
  });

  it("uses a fresh IV every time, so equal texts give unrelated tokens", () => {
    const tokens = Array.from({ length: 2_000 }, () => encrypt(keys, "same text"));
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(new Set(tokens.map((t) => t.split(".")[2])).size).toBe(tokens.length);
  });

  it.each([
    ["IV", 2],
    ["tag", 3],
    ["ciphertext", 4],
  ])("rejects a token whose %s was changed", (_label, part) => {
    const token = encrypt(keys, "班主任观察：情绪低落");
    const error = decryptError(() => decrypt(keys, tamper(token, part)));
    expect(error.code).toBe("tampered");
    expect(error.message).not.toContain("情绪");
  });

  it("rejects a ciphertext cut short or extended by whole bytes", () => {
    // 12 bytes = 16 base64url characters; 4 characters are 3 whole bytes.
    const token = encrypt(keys, "abcdefghijkl");
    expect(decryptError(() => decrypt(keys, token.slice(0, -4))).code).toBe("tampered");
    expect(decryptError(() => decrypt(keys, `${token}AAAA`)).code).toBe("tampered");
  });

  it("rejects a ciphertext whose base64url is not canonical as malformed", () => {
    const token = encrypt(keys, "abcdefgh");
    expect(decryptError(() => decrypt(keys, `${token}AA`)).code).toBe("malformed");
  });

  it("rejects a token made with another key, saying so", () => {
    const error = decryptError(() => decrypt(otherKeys, encrypt(keys, "张三")));
    expect(error.code).toBe("wrong_key");
    expect(error.message).toContain("encrypted with another key");
  });

  it("rejects a token whose key id was forged to this server's", () => {
    const token = encrypt(otherKeys, "张三").split(".");
    token[1] = keys.keyId;
    expect(decryptError(() => decrypt(keys, token.join("."))).code).toBe("tampered");
  });

  it("rejects a value moved to another record (a different context)", () => {
    const token = encrypt(keys, "李四", "students.name:1001");
    expect(decrypt(keys, token, "students.name:1001")).toBe("李四");
    expect(decryptError(() => decrypt(keys, token, "students.name:1002")).code).toBe("tampered");
    expect(decryptError(() => decrypt(keys, token)).code).toBe("tampered");
  });

  it.each([
    ["empty", "", "malformed"],
    ["plain text", "张三", "malformed"],
    ["too few parts", "v1.abc.def", "malformed"],
    ["a future version", "v9.a.b.c.d", "unsupported_version"],
    ["a short IV", `v1.${keys.keyId}.AAAA.${"A".repeat(22)}.AAAA`, "malformed"],
    ["non-base64url characters", `v1.${keys.keyId}.${"A".repeat(16)}.${"A".repeat(22)}.ab+/`, "malformed"],
  ])("rejects a malformed token (%s)", (_label, token, code) => {
    expect(decryptError(() => decrypt(keys, token)).code).toBe(code);
  });

  it("refuses a lone surrogate instead of storing U+FFFD", () => {
    expect(() => encrypt(keys, "a\uD800b")).toThrow(/lone UTF-16 surrogate/);
  });

  it("refuses a master key that is not 32 bytes", () => {
    expect(() => deriveKeys(randomBytes(16))).toThrow(/32 bytes/);
  });

  it("derives the same key id from the same master key, and different ones from different keys", () => {
    expect(deriveKeys(Buffer.alloc(32, 7)).keyId).toBe(keys.keyId);
    expect(otherKeys.keyId).not.toBe(keys.keyId);
  });
});

describe("blindIndex", () => {
  it("gives the same index for the same value, so an encrypted column can be searched by equality", () => {
    expect(blindIndex(keys, "20260101", "student_no")).toBe(blindIndex(deriveKeys(Buffer.alloc(32, 7)), "20260101", "student_no"));
    expect(blindIndex(keys, "20260101", "student_no")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("gives different indexes for different values, keys and domains", () => {
    const base = blindIndex(keys, "20260101", "student_no");
    expect(blindIndex(keys, "20260102", "student_no")).not.toBe(base);
    expect(blindIndex(otherKeys, "20260101", "student_no")).not.toBe(base);
    expect(blindIndex(keys, "20260101", "phone")).not.toBe(base);
    expect(blindIndex(keys, "20260101")).not.toBe(base);
  });

  it("treats canonically equal Unicode (NFC and NFD) as the same value", () => {
    expect(blindIndex(keys, "Zoe\u0301")).toBe(blindIndex(keys, "Zoé"));
  });

  it("is not the plain hash of the value, and does not depend on the encryption key alone", () => {
    const value = "20260101";
    const index = blindIndex(keys, value);
    expect(index).not.toContain(value);
    expect(index).not.toBe(blindIndex(otherKeys, value));
  });

  it("refuses a domain containing NUL, which would blur the domain and value boundary", () => {
    expect(() => blindIndex(keys, "x", "a\u0000b")).toThrow(/cannot contain NUL/);
  });
});
