import { randomBytes } from "node:crypto";
import Papa from "papaparse";
import { beforeAll, describe, expect, it } from "vitest";
import { deriveKeys, encrypt } from "../../../src/server/crypto/cipher";
import { exportedAnswer, MAX_SHIFT_DAYS, researchColumns, researchKeys, shiftDay } from "../../../src/server/features/analytics/research";
import { instruments } from "../../../instruments/index";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

/**
 * The research export on a small school: two students with names, student numbers, birth dates, notes
 * and free-text answers that must never leave, each with a response in the autumn and the spring wave,
 * and one with a case (encrypted reason and interview notes) interviewed 3 days after it was opened.
 */
describeEachDatabase("research export", (getDb) => {
  let t: TestServer;
  let admin: Record<string, string>;
  let ids: string[];
  const SECRETS = ["王小明", "李小红", "20260001", "20260002", "2012-03-05", "想一个人待着的秘密", "课堂上哭了的观察记录", "开案理由：家里出事", "约谈记录：说了很多", "市精神卫生中心"];

  beforeAll(async () => {
    t = await startTestServer(getDb());
    t.clock.set("2026-04-01T00:00:00Z");
    admin = (await t.signIn(await t.seed.account("admin"))).headers;
    const school = await t.seed.school({ code: "A01", name: "第一中学" });
    const klass = await t.seed.klass(school, 8);
    const counselor = await t.seed.account("counselor", { schoolId: school });
    ids = [await t.seed.student(klass, { name: "王小明", studentNo: "20260001", keyPopulation: ["newStudent", "financialHardship"] }), await t.seed.student(klass, { name: "李小红", studentNo: "20260002" })];
    await t.db.query("UPDATE students SET birth_year = 2012, birth_date_enc = $2, gender = 'male' WHERE id = $1", [ids[0], encrypt(t.deps.keys, "2012-03-05", `students.birth_date_enc:${ids[0]}`)]);
    const waves = [
      ["w-autumn", "autumn", "2025-09-01T00:00:00Z", "2025-11-10T02:00:00Z"],
      ["w-spring", "spring", "2026-03-01T00:00:00Z", "2026-03-10T02:00:00Z"],
    ] as const;
    for (const [waveId, season, opensAt, submittedAt] of waves) {
      await t.db.query(
        `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
         VALUES ($1, $2, '2025-2026', $3, $4, $4::timestamptz + interval '30 days', '[]', 'default-v1', 'open', $4)`,
        [waveId, school, season, opensAt],
      );
      for (const [i, studentId] of ids.entries()) {
        const responseId = `r-${waveId}-${i}`;
        const answers = { phq9: { q1: 2, q9: 1 }, asq: { q1: "yes", "q4-detail": "想一个人待着的秘密" }, who5: { q1: "not an option" } };
        await t.db.query(
          `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, text_enc, started_at, updated_at, submitted_at)
           VALUES ($1, $2, $3, 'secondary', 'submitted', $4, $5, $6::timestamptz - interval '1 day', $6, $6)`,
          [responseId, waveId, studentId, JSON.stringify(answers), encrypt(t.deps.keys, "想一个人待着的秘密", `responses.text_enc:${responseId}`), submittedAt],
        );
        await t.db.query(
          `INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at)
           VALUES ($1, '{"phq9":{"kind":"scored","instrument":"phq9","total":11,"band":"moderate","critical":["q9"]}}', '{"kind":"valid"}', 'red', '[]', 'default-v1', $2)`,
          [responseId, submittedAt],
        );
      }
    }
    await t.db.query(
      `INSERT INTO observations (id, school_id, student_id, author_id, role, instrument, answers, note_enc, created_at)
       VALUES ('o1', $1, $2, $3, 'counselor', 'teacher-checklist', '{}', $4, '2026-03-11T02:00:00Z')`,
      [school, ids[0], counselor, encrypt(t.deps.keys, "课堂上哭了的观察记录", "observations.note_enc:o1")],
    );
    await t.db.query(
      `INSERT INTO cases (id, school_id, student_id, tier, reason_enc, state, assigned_to, opened_by, opened_at, due_at, policy_version, updated_at)
       VALUES ('c1', $1, $2, 'red', $4, 'interviewed', $3, $3, '2026-03-10T03:00:00Z', '2026-03-20T15:59:59Z', 'default-v1', '2026-03-13T03:00:00Z')`,
      [school, ids[0], counselor, encrypt(t.deps.keys, "开案理由：家里出事", "cases.reason_enc:c1")],
    );
    await t.db.query(
      `INSERT INTO case_steps (id, case_id, seq, kind, at, by_account, data, notes_enc) VALUES
         ('cs1', 'c1', 1, 'open', '2026-03-10T03:00:00Z', $1, '{}', NULL),
         ('cs2', 'c1', 2, 'interview', '2026-03-13T03:00:00Z', $1, '{"date":"2026-03-13","dueDate":null}', $2),
         ('cs3', 'c1', 3, 'referral', '2026-03-14T03:00:00Z', $1, '{"date":"2026-03-14","greenChannel":true,"dueDate":null}', $3)`,
      [counselor, encrypt(t.deps.keys, "约谈记录：说了很多", "case_steps.notes_enc:cs2"), encrypt(t.deps.keys, JSON.stringify({ hospital: "市精神卫生中心" }), "case_steps.notes_enc:cs3")],
    );
  });

  const url = "/api/research/export.csv?wave=2025-2026:autumn,2025-2026:spring";
  const exportCsv = async (): Promise<{ text: string; rows: Record<string, string>[] }> => {
    const res = await t.app.inject({ method: "GET", url, headers: admin });
    expect(res.statusCode, res.body).toBe(200);
    const text = res.body.replace(/^\uFEFF/, "");
    const parsed = Papa.parse<string[]>(text.trim(), { newline: "\r\n" });
    const [header, ...body] = parsed.data;
    const keys = researchColumns().map((c) => c.key);
    expect(header).toEqual(researchColumns().map((c) => c.label));
    return { text, rows: body.map((r) => Object.fromEntries(keys.map((k, i) => [k, r[i] ?? ""]))) };
  };

  it("lets only an admin export: 403 to an analyst and a counselor, 401 without a session", async () => {
    const schoolId = (await t.db.query<{ id: string }>("SELECT id FROM schools WHERE code = 'A01'")).rows[0]!.id;
    for (const account of [await t.seed.account("analyst"), await t.seed.account("counselor", { schoolId }), await t.seed.account("school-lead", { schoolId })]) {
      const { headers } = await t.signIn(account);
      expect((await t.app.inject({ method: "GET", url, headers })).statusCode).toBe(403);
    }
    expect((await t.app.inject({ method: "GET", url })).statusCode).toBe(401);
  });

  it("never writes a name, student number, student id, birth date, note or typed answer", async () => {
    const { text, rows } = await exportCsv();
    expect(rows).toHaveLength(4);
    for (const secret of [...SECRETS, ...ids]) expect(text).not.toContain(secret);
    // the answer that is not one of the item's options is dropped too
    expect(text).not.toContain("not an option");
  });

  it("gives one student the same pseudonym in both waves and two students different ones", async () => {
    const { rows } = await exportCsv();
    const byWave = (wave: string) => rows.filter((r) => r.wave === wave).map((r) => r.pseudonym).sort();
    expect(byWave("2025-2026:autumn")).toEqual(byWave("2025-2026:spring"));
    expect(new Set(rows.map((r) => r.pseudonym)).size).toBe(2);
    const keys = researchKeys(t.deps.keys, "default");
    expect(new Set(rows.map((r) => r.pseudonym))).toEqual(new Set(ids.map((id) => keys.pseudonym(id))));
  });

  it("shifts every date of a student by the same whole number of days, so intervals stay true", async () => {
    const { rows } = await exportCsv();
    const keys = researchKeys(t.deps.keys, "default");
    const mine = rows.filter((r) => r.pseudonym === keys.pseudonym(ids[0]!));
    const shift = keys.dayShift(ids[0]!);
    expect(Math.abs(shift)).toBeLessThanOrEqual(MAX_SHIFT_DAYS);
    const days = (a: string, b: string) => (Date.parse(b) - Date.parse(a)) / 86_400_000;
    const autumn = mine.find((r) => r.wave === "2025-2026:autumn")!;
    const spring = mine.find((r) => r.wave === "2025-2026:spring")!;
    expect(spring.submitted).toBe(shiftDay("2026-03-10", shift));
    expect(days(autumn.submitted!, spring.submitted!)).toBe(120);
    expect(days(spring.started!, spring.submitted!)).toBe(1);
    // the case: opened 03-10 (China time), first interview 03-13; the later referral is not the interview
    expect(spring).toMatchObject({ case_tier: "red", case_state: "interviewed", case_opened: shiftDay("2026-03-10", shift), case_closed: "" });
    expect(days(spring.case_opened!, spring.case_interviewed!)).toBe(3);
    expect(autumn).toMatchObject({ case_tier: "", case_opened: "" });
  });

  it("exports the birth year, key-population codes, scores and only option values of the answers", async () => {
    const { rows } = await exportCsv();
    const keys = researchKeys(t.deps.keys, "default");
    const row = rows.find((r) => r.pseudonym === keys.pseudonym(ids[0]!) && r.wave === "2025-2026:spring")!;
    expect(row).toMatchObject({ school_code: "A01", grade: "8", gender: "male", birth_year: "2012", key_population: "financialHardship;newStudent", participation: "completed", tier: "red" });
    expect(row).toMatchObject({ "phq9.total": "11", "phq9.band": "moderate", "phq9.q1": "2", "phq9.q9": "1", "asq.q1": "yes", "who5.q1": "" });
    expect(Object.keys(row)).not.toContain("asq.q4-detail");
    const other = rows.find((r) => r.pseudonym === keys.pseudonym(ids[1]!) && r.wave === "2025-2026:spring")!;
    expect(other).toMatchObject({ birth_year: "", gender: "", key_population: "" });
  });

  it("records every export in the audit log: who, which waves, the study and the row count", async () => {
    const before = (await t.db.query("SELECT 1 FROM audit_log WHERE action = 'research.export'")).rows.length;
    await exportCsv();
    const { rows } = await t.db.query<{ actor_id: string; actor_role: string; at: Date; context: { waves: string[]; study: string; rows: number } }>(
      "SELECT actor_id, actor_role, at, context FROM audit_log WHERE action = 'research.export' ORDER BY id",
    );
    expect(rows).toHaveLength(before + 1);
    const adminId = (await t.db.query<{ id: string }>("SELECT id FROM accounts WHERE role = 'admin' ORDER BY id LIMIT 1")).rows[0]!.id;
    expect(rows.at(-1)).toMatchObject({ actor_id: adminId, actor_role: "admin", at: new Date("2026-04-01T00:00:00Z"), context: { waves: ["2025-2026:autumn", "2025-2026:spring"], study: "default", rows: 4 } });
  });

  it("answers 404 for a wave no school has and 400 for a malformed list", async () => {
    expect((await t.app.inject({ method: "GET", url: "/api/research/export.csv?wave=2030-2031:spring", headers: admin })).statusCode).toBe(404);
    expect((await t.app.inject({ method: "GET", url: "/api/research/export.csv?wave=2025-2026:spring;drop", headers: admin })).statusCode).toBe(400);
  });
});

describe("research keys", () => {
  it("give another pseudonym and shift under another data key or another study", () => {
    const a = researchKeys(deriveKeys(randomBytes(32)), "default");
    const b = researchKeys(deriveKeys(randomBytes(32)), "default");
    const master = deriveKeys(randomBytes(32));
    expect(a.pseudonym("student-1")).not.toBe(b.pseudonym("student-1"));
    expect(researchKeys(master, "default").pseudonym("student-1")).toBe(researchKeys(master, "default").pseudonym("student-1"));
    expect(researchKeys(master, "study-2").pseudonym("student-1")).not.toBe(researchKeys(master, "default").pseudonym("student-1"));
    expect(a.pseudonym("student-1")).toMatch(/^[0-9a-f]{32}$/);
  });

  it("shift within ±30 days and use the whole range", () => {
    const keys = researchKeys(deriveKeys(randomBytes(32)), "default");
    const shifts = Array.from({ length: 3000 }, (_, i) => keys.dayShift(`s${i}`));
    expect(Math.min(...shifts)).toBe(-MAX_SHIFT_DAYS);
    expect(Math.max(...shifts)).toBe(MAX_SHIFT_DAYS);
  });

  it("moves a calendar day across month and year ends", () => {
    expect(shiftDay("2025-12-20", 15)).toBe("2026-01-04");
    expect(shiftDay("2024-03-01", -1)).toBe("2024-02-29");
  });

  it("export only an item's own option values, and whole numbers in range", () => {
    const phq9 = instruments.get("phq9")!;
    const item = phq9.items[0]!;
    const column = { item, options: new Set((item.options ?? phq9.options ?? []).map((o) => o.value)) };
    expect(exportedAnswer(column, 2)).toBe(2);
    expect(exportedAnswer(column, 7)).toBeNull();
    expect(exportedAnswer(column, "=cmd|' /C calc'!A0")).toBeNull();
  });
});
