import fc from "fast-check";
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { RecordHistory, TransferBundle, TransferPayload } from "../../../src/shared/archive";
import { deriveKeys } from "../../../src/server/crypto/cipher";
import { newPassphrase, normalizePassphrase, openBundle, sealBundle } from "../../../src/server/features/archive/bundle";
import { fingerprintOf, parsePublicKey, signingKeyOf } from "../../../src/server/features/archive/signing";
import { escapeHtml, transferSummaryHtml } from "../../../src/server/features/archive/summary";

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)> & ' " 𠀀 😀`;

const record: RecordHistory = {
  student: {
    id: "st1",
    name: HOSTILE,
    studentNo: "2026<01>",
    gender: "female",
    grade: 8,
    class: { id: "c1", grade: 8, label: "2</td>" },
    school: { id: "s1", code: "A01", name: "第一中学" },
    keyPopulation: ["<b>x</b>"],
    status: "enrolled",
    leftAt: null,
  },
  waves: [
    {
      waveId: "w1",
      schoolYear: "2025-2026",
      season: "spring",
      opensAt: "2026-03-01T00:00:00.000Z",
      closesAt: "2026-03-21T00:00:00.000Z",
      response: { status: "submitted", startedAt: "2026-03-02T00:00:00.000Z", submittedAt: "2026-03-02T00:10:00.000Z" },
      result: {
        scores: [{ instrument: "phq9", kind: "scored", total: 12, band: "moderate", percent: null, subscales: {}, critical: [], remarks: [] }],
        validity: { kind: "valid", reasons: [] },
        tier: "orange",
        reasons: [{ rule: "phq9-moderate", tier: "orange", label: { "zh-CN": HOSTILE, en: "x" }, evidence: "phq9 12" }],
        policyVersion: "default-v1",
        computedAt: "2026-03-02T00:10:00.000Z",
      },
    },
  ],
  overrides: [],
  observations: [{ id: "o1", role: "homeroom", at: "2026-03-02T00:00:00.000Z", instrument: "teacher-checklist", answers: {}, note: "SECRET-NOTE", texts: {}, critical: [], concerns: [] }],
  cases: [],
  consents: [],
  checkinNotices: [],
};

const signing = signingKeyOf(deriveKeys(randomBytes(32)));
const other = signingKeyOf(deriveKeys(randomBytes(32)));
const payload = (exportId = "exp1"): TransferPayload => ({ exportId, exportedAt: "2026-03-05T00:00:00.000Z", from: { schoolCode: "A01", schoolName: "第一中学" }, record, earlier: [], summaryHtml: "<p>x</p>" });
const seal = (passphrase: string) =>
  sealBundle({ exportId: "exp1", createdAt: new Date("2026-03-05T00:00:00Z"), from: { schoolCode: "A01", schoolName: "第一中学" }, payload: payload(), passphrase, signing, randomBytes });

/** The bundle with one base64 character of `field` changed (still valid base64). */
function flip(b: TransferBundle, field: "payload" | "tag" | "iv" | "salt", at = 5): TransferBundle {
  const change = (s: string) => s.slice(0, at) + (s[at] === "A" ? "B" : "A") + s.slice(at + 1);
  if (field === "payload") return { ...b, payload: change(b.payload) };
  if (field === "tag") return { ...b, cipher: { ...b.cipher, tag: change(b.cipher.tag) } };
  if (field === "iv") return { ...b, cipher: { ...b.cipher, iv: change(b.cipher.iv) } };
  return { ...b, kdf: { ...b.kdf, salt: change(b.kdf.salt) } };
}

describe("the transfer bundle", () => {
  it("derives one stable signing key per data key, and a fingerprint of 16 groups of four hex digits", () => {
    const keys = deriveKeys(Buffer.alloc(32, 7));
    expect(signingKeyOf(keys).fingerprint).toBe(signingKeyOf(deriveKeys(Buffer.alloc(32, 7))).fingerprint);
    expect(signing.fingerprint).toMatch(/^([0-9A-F]{4} ){15}[0-9A-F]{4}$/);
    expect(signing.fingerprint).not.toBe(other.fingerprint);
    expect(fingerprintOf(parsePublicKey(signing.publicPem)!)).toBe(signing.fingerprint);
    expect(parsePublicKey("not a key")).toBeUndefined();
  });

  it("makes passphrases of six groups of five Crockford base32 characters, read back whatever the case, spacing or O/I/L", () => {
    const p = newPassphrase(randomBytes);
    expect(p).toMatch(/^([0-9A-HJKMNP-TV-Z]{5}-){5}[0-9A-HJKMNP-TV-Z]{5}$/);
    expect(newPassphrase(randomBytes)).not.toBe(p);
    expect(normalizePassphrase(" ab0o1-iL z ")).toBe("AB00111Z");
  });

  it("opens with the passphrase and the sender's key, whatever case or spacing the passphrase is typed in", async () => {
    const passphrase = newPassphrase(randomBytes);
    const b = await seal(passphrase);
    expect(b.payload).not.toContain("SECRET");
    expect(Buffer.from(b.payload, "base64").toString("utf8")).not.toContain("SECRET-NOTE");
    const opened = await openBundle(b, passphrase.toLowerCase().replace(/-/g, " "), signing.publicPem);
    expect(opened).toEqual({ ok: true, payload: payload() });
  });

  it("names a wrong key, a changed bundle and a wrong passphrase apart", async () => {
    const passphrase = newPassphrase(randomBytes);
    const b = await seal(passphrase);
    expect(await openBundle(b, passphrase, other.publicPem)).toMatchObject({ ok: false, code: "transfer_wrong_key" });
    expect(await openBundle(b, passphrase, "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")).toMatchObject({ ok: false, code: "transfer_wrong_key" });
    for (const field of ["payload", "tag", "iv", "salt"] as const) expect(await openBundle(flip(b, field), passphrase, signing.publicPem)).toMatchObject({ ok: false, code: "transfer_tampered" });
    expect(await openBundle({ ...b, from: { ...b.from, schoolName: "别的学校" } }, passphrase, signing.publicPem)).toMatchObject({ ok: false, code: "transfer_tampered" });
    expect(await openBundle({ ...b, createdAt: "2030-01-01T00:00:00.000Z" }, passphrase, signing.publicPem)).toMatchObject({ ok: false, code: "transfer_tampered" });
    // the signer's fingerprint swapped for the other key's: that key does not verify it either
    expect(await openBundle({ ...b, signerFingerprint: other.fingerprint }, passphrase, other.publicPem)).toMatchObject({ ok: false, code: "transfer_tampered" });
    expect(await openBundle(b, newPassphrase(randomBytes), signing.publicPem)).toMatchObject({ ok: false, code: "transfer_wrong_passphrase" });
  });

  it("refuses any change of any character of the ciphertext", async () => {
    const passphrase = newPassphrase(randomBytes);
    const b = await seal(passphrase);
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: b.payload.length - 3 }), async (at) => {
        const r = await openBundle(flip(b, "payload", at), passphrase, signing.publicPem);
        expect(r.ok).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it("escapes every value of the printable summary and carries no script", () => {
    const html = transferSummaryHtml({ exportId: "e<1>", exportedAt: new Date("2026-03-05T00:00:00Z"), record, earlier: [], fingerprint: signing.fingerprint });
    expect(html).not.toMatch(/<script|<img|<b>x/i);
    expect(html).toContain(escapeHtml(HOSTILE));
    expect(html).toContain(signing.fingerprint);
    expect(html).toContain("Content-Security-Policy");
    expect(html).not.toContain("SECRET-NOTE");
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  });
});
