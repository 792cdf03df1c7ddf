import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deriveKeys } from "../../../src/server/crypto/cipher";
import { CODE_ALPHABET, CODE_ENTROPY_BITS, CODE_LENGTH, generateCode, hashCode, maskName, normalizeCode } from "../../../src/server/features/waves/codes";

describe("access code alphabet", () => {
  it("has no look-alike characters (0/O, 1/I/L) and no repeats", () => {
    for (const c of ["0", "O", "1", "I", "L"]) expect(CODE_ALPHABET).not.toContain(c);
    expect(new Set(CODE_ALPHABET).size).toBe(CODE_ALPHABET.length);
    expect(CODE_ALPHABET).toBe("23456789ABCDEFGHJKMNPQRSTUVWXYZ");
  });

  it("gives 8 characters of about 39.6 bits", () => {
    expect(CODE_LENGTH).toBe(8);
    expect(CODE_ENTROPY_BITS).toBeCloseTo(39.63, 2);
  });
});

describe("generateCode", () => {
  it("makes codes of 8 alphabet characters", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (bytes) => {
        let offset = 0;
        // A byte source that replays the arbitrary bytes, then real randomness.
        const source = (n: number) => {
          const chunk = Buffer.from(bytes.slice(offset, offset + n));
          offset += n;
          return chunk.length === n ? chunk : Buffer.concat([chunk, randomBytes(n - chunk.length)]);
        };
        const code = generateCode(source);
        expect(code).toMatch(/^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
      }),
    );
  });

  it("throws away bytes of 248 and above instead of folding them onto the first characters (no modulo bias)", () => {
    const queue = [Buffer.from([248, 249, 255, 0, 30, 247, 31, 62, 100, 200, 10, 11, 12, 13, 14, 15])];
    const code = generateCode((n) => queue.shift()!.subarray(0, n));
    // 248, 249 and 255 are skipped; 0→'2', 30→'Z', 247→247%31=30→'Z', 31→'2', 62→'2', 100→7→'9', 200→14→'G'
    expect(code).toBe("2ZZ229G" + CODE_ALPHABET[10 % 31]);
  });

  it("uses every character about equally often", () => {
    const counts = new Map<string, number>();
    const n = 4000;
    for (let i = 0; i < n; i++) for (const c of generateCode(randomBytes)) counts.set(c, (counts.get(c) ?? 0) + 1);
    const expected = (n * CODE_LENGTH) / CODE_ALPHABET.length;
    expect(counts.size).toBe(CODE_ALPHABET.length);
    // chi-square with 30 degrees of freedom: p = 0.0001 at about 66
    const chi2 = [...counts.values()].reduce((s, o) => s + (o - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(66);
  });

  it("does not repeat over 20,000 codes", () => {
    const codes = new Set(Array.from({ length: 20_000 }, () => generateCode(randomBytes)));
    expect(codes.size).toBe(20_000);
  });
});

describe("normalizeCode", () => {
  it.each([
    ["abcd2345", "ABCD2345"],
    ["ABCD-2345", "ABCD2345"],
    [" abcd 2345 ", "ABCD2345"],
    ["ＡＢＣＤ－２３４５", "ABCD2345"],
    ["ab cd\u300023 45", "ABCD2345"],
    ["ABCD—2345", "ABCD2345"],
  ])("reads %j as %s", (typed, code) => {
    expect(normalizeCode(typed)).toBe(code);
  });

  it.each([
    ["ABCD234", "7 characters"],
    ["ABCD23456", "9 characters"],
    ["ABCD0345", "a zero"],
    ["ABCDO345", "the letter O"],
    ["ABCD1345", "a one"],
    ["ABCDI345", "the letter I"],
    ["ABCDL345", "the letter L"],
    ["'; DROP TABLE access_codes; --", "SQL"],
    ["<script>", "HTML"],
    ["ABCD\u00002345", "a NUL"],
    ["", "nothing"],
    ["心晴心晴心晴心晴", "Chinese characters"],
  ])("refuses %j (%s)", (typed) => {
    expect(normalizeCode(typed)).toBeNull();
  });

  it("accepts every generated code however it is cased and spaced", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.boolean(), fc.boolean(), (bytes, lower, dashed) => {
        const code = generateCode((n) => (n <= bytes.length ? Buffer.from(bytes.slice(0, n)) : randomBytes(n)));
        let typed = lower ? code.toLowerCase() : code;
        if (dashed) typed = `${typed.slice(0, 4)}-${typed.slice(4)}`;
        expect(normalizeCode(typed)).toBe(code);
      }),
    );
  });
});

describe("hashCode", () => {
  it("is a keyed hash: the same code hashes alike under one key and differently under another", () => {
    const k1 = deriveKeys(randomBytes(32));
    const k2 = deriveKeys(randomBytes(32));
    expect(hashCode(k1, "ABCD2345")).toBe(hashCode(k1, "ABCD2345"));
    expect(hashCode(k1, "ABCD2345")).not.toBe(hashCode(k2, "ABCD2345"));
    expect(hashCode(k1, "ABCD2345")).not.toContain("ABCD2345");
  });
});

describe("maskName", () => {
  it.each([
    ["张小明", "张*明"],
    ["欧阳明月", "欧**月"],
    ["张明", "张*"],
    ["明", "*"],
    ["", "*"],
    ["阿依古丽·买买提", "阿******提"],
    ["𠮷野家", "𠮷*家"],
    ["Li Lei", "L****i"],
  ])("prints %j as %j", (name, masked) => {
    expect(maskName(name)).toBe(masked);
  });
});
