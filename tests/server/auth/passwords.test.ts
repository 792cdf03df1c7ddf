import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_SCRYPT, hashPassword, needsRehash, passwordProblems, verifyAgainstNothing, verifyPassword } from "../../../src/server/auth/passwords";

/** Cheap parameters where the cost is not what is being tested. */
const FAST = { N: 1024, r: 8, p: 1 };
const salt = () => randomBytes(16);

describe("hashPassword and verifyPassword", () => {
  it("stores the algorithm, parameters, salt and hash in one string", async () => {
    const hash = await hashPassword("correct horse battery", salt());
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
  });

  it("verifies the right password and refuses a wrong one", async () => {
    const hash = await hashPassword("correct horse battery", salt(), FAST);
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await verifyPassword("", hash)).toBe(false);
  });

  it("gives the same password a different hash with each salt", async () => {
    const [a, b] = await Promise.all([hashPassword("same password!", salt(), FAST), hashPassword("same password!", salt(), FAST)]);
    expect(a).not.toBe(b);
  });

  it("verifies with the parameters stored in the hash, not the current defaults", async () => {
    const hash = await hashPassword("an older hash 123", salt(), { N: 2048, r: 4, p: 2 });
    expect(hash.startsWith("scrypt$2048$4$2$")).toBe(true);
    expect(await verifyPassword("an older hash 123", hash)).toBe(true);
  });

  it("treats Chinese, emoji and composed/decomposed forms as the same password", async () => {
    const hash = await hashPassword("心晴😀密码é安全测试", salt(), FAST);
    expect(await verifyPassword("心晴😀密码é安全测试", hash)).toBe(true);
    expect(await verifyPassword("心晴😀密码e\u0301安全测试", hash)).toBe(true);
  });

  it.each([
    ["empty", ""],
    ["another algorithm", "argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"],
    ["too few parts", "scrypt$1024$8$1$c2FsdHNhbHRzYWx0c2FsdA"],
    ["N not a power of two", `scrypt$1000$8$1$${"A".repeat(22)}$${"A".repeat(43)}`],
    ["N absurdly large", `scrypt$${2 ** 30}$8$1$${"A".repeat(22)}$${"A".repeat(43)}`],
    ["p zero", `scrypt$1024$8$0$${"A".repeat(22)}$${"A".repeat(43)}`],
    ["short salt", `scrypt$1024$8$1$AAAA$${"A".repeat(43)}`],
    ["short hash", `scrypt$1024$8$1$${"A".repeat(22)}$AAAA`],
  ])("refuses a malformed stored hash (%s) without throwing", async (_name, stored) => {
    expect(await verifyPassword("whatever password", stored)).toBe(false);
  });

  it("refuses a salt shorter than 16 bytes", async () => {
    await expect(hashPassword("a long password", Buffer.alloc(8), FAST)).rejects.toThrow(/salt/);
  });

  it("asks for a rehash of weaker parameters only", async () => {
    expect(needsRehash(await hashPassword("a long password", salt(), FAST))).toBe(true);
    expect(needsRehash(`scrypt$${DEFAULT_SCRYPT.N}$8$1$${"A".repeat(22)}$${"A".repeat(43)}`)).toBe(false);
    expect(needsRehash("garbage")).toBe(true);
  });

  it("spends a verification on an unknown account and always says no", async () => {
    expect(await verifyAgainstNothing("xinqing-dummy-password")).toBe(false);
  });
});

describe("passwordProblems: the rules for a new password", () => {
  it.each([
    ["123456789", ["too_short"]],
    ["1234567890", []],
    ["心晴心晴心晴心晴心", ["too_short"]],
    ["心晴心晴心晴心晴心晴", []],
    // nine emoji are nine characters (code points), not eighteen UTF-16 units
    ["😀".repeat(9), ["too_short"]],
    ["😀".repeat(10), []],
    ["x".repeat(256), []],
    ["x".repeat(257), ["too_long"]],
  ])("judges %j: %j", (password, codes) => {
    expect(passwordProblems(password, "wang.li").map((p) => p.code)).toEqual(codes);
  });

  it.each(["my wang.li password", "WANG.LI-2026-spring", "xxwang.lixx99"])("refuses a password containing the username without case: %s", (password) => {
    expect(passwordProblems(password, "wang.li").map((p) => p.code)).toEqual(["contains_username"]);
  });

  it.each(["tab\there1234", "nul\u0000here1234", "newline\nhere12", "del\u007fhere1234"])("refuses control characters: %j", (password) => {
    expect(passwordProblems(password, "wang.li").map((p) => p.code)).toContain("control_character");
  });

  it("reports every problem at once, each with a Chinese and English message and the path", () => {
    expect(passwordProblems("wang.li\t", "wang.li")).toEqual([
      { code: "too_short", path: "password", message: "密码至少 10 个字符 / at least 10 characters" },
      { code: "control_character", path: "password", message: "密码不能包含控制字符 / no control characters" },
      { code: "contains_username", path: "password", message: "密码不能包含用户名 / must not contain the username" },
    ]);
  });

  it("never throws, whatever the password and username", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 300 }), fc.string({ maxLength: 70 }), (password, username) => {
        expect(Array.isArray(passwordProblems(password, username))).toBe(true);
      }),
    );
  });
});
