import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRosterCommand } from "../../../src/cli/roster";
import { CliError } from "../../../src/cli/commands";
import { blindIndex, decrypt } from "../../../src/server/crypto/cipher";
import type { Queryable } from "../../../src/server/db/database";
import { loadConfig, openStore } from "../../../src/server/main";
import { planRoster, type StoredStudent } from "../../../src/server/features/roster/apply";
import { KEY_POPULATION_KEYS, RosterImportSummary, type KeyPopulation, type ParsedRosterRow } from "../../../src/shared/roster";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

// ───────────────────────────── builders ─────────────────────────────

const HEADER = ["学号", "姓名", "性别", "年级", "班级"];

/** Writes cells as CSV/TSV, quoting a cell only when it needs it (as Excel does). */
function toDelimited(rows: readonly (readonly string[])[], delimiter = ",", eol = "\r\n"): string {
  const quote = (cell: string) => (cell.includes(delimiter) || cell.includes('"') || cell.includes("\n") || cell.includes("\r") ? `"${cell.replaceAll('"', '""')}"` : cell);
  return rows.map((r) => r.map(quote).join(delimiter)).join(eol) + eol;
}

const utf8 = (text: string) => Buffer.from(text, "utf8");

/** `n` students 2026000001…, named 学生N, spread over grades 7-9 and classes 1-10. */
function manyRows(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => [`2026${String(i + 1).padStart(6, "0")}`, `学生${i + 1}`, i % 2 ? "女" : "男", `初${"一二三"[i % 3]}`, `${(i % 10) + 1}班`]);
}

const ALL_TABLES_SQL = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name";

/** Row counts of every table of the schema. */
async function countEveryTable(db: Queryable): Promise<Record<string, number>> {
  const { rows } = await db.query<{ table_name: string }>(ALL_TABLES_SQL);
  const out: Record<string, number> = {};
  for (const { table_name: table } of rows) {
    const c = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
    out[table] = c.rows[0]!.n;
  }
  return out;
}

interface StudentView {
  id: string;
  studentNo: string;
  name: string;
  gender: string | null;
  grade: number;
  classLabel: string;
  classGrade: number;
  status: string;
  leftAt: Date | null;
  birthYear: number | null;
  birthDate: string | null;
  guardianName: string | null;
  guardianPhone: string | null;
  keyPopulation: string[];
}

// ───────────────────────────── the HTTP import ─────────────────────────────

describeEachDatabase("the roster import", (getDb) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(getDb());
  });
  afterAll(() => t.app.close());

  /** A school and its signed-in school lead. */
  async function aSchool() {
    const schoolId = await t.seed.school();
    const lead = await t.seed.account("school-lead", { schoolId });
    const { headers } = await t.signIn(lead);
    return { schoolId, lead, headers };
  }

  function post(schoolId: string, headers: Record<string, string>, payload: Buffer | string, contentType = "text/csv", query = "") {
    return t.app.inject({ method: "POST", url: `/api/schools/${schoolId}/roster${query}`, headers: { ...headers, "content-type": contentType }, payload });
  }

  async function importOk(schoolId: string, headers: Record<string, string>, payload: Buffer | string, query = ""): Promise<RosterImportSummary> {
    const res = await post(schoolId, headers, payload, "text/csv", query);
    expect(res.statusCode, res.body.slice(0, 2000)).toBe(200);
    return RosterImportSummary.parse(res.json());
  }

  /** Every student of a school, decrypted, by student number. */
  async function studentsOf(schoolId: string): Promise<Map<string, StudentView>> {
    const { rows } = await t.db.query<Record<string, unknown> & { id: string }>(
      `SELECT s.*, c.label AS class_label, c.grade AS class_grade FROM students s JOIN classes c ON c.id = s.class_id WHERE s.school_id = $1`,
      [schoolId],
    );
    const keys = t.deps.keys;
    const open = (v: unknown, column: string, id: string) => (v === null ? null : decrypt(keys, v as string, `students.${column}:${id}`));
    const out = new Map<string, StudentView>();
    for (const r of rows) {
      const studentNo = decrypt(keys, r.student_no_enc as string, `students.student_no_enc:${r.id}`);
      expect(r.student_no_hash).toBe(blindIndex(keys, studentNo, `student_no:${schoolId}`));
      out.set(studentNo, {
        id: r.id,
        studentNo,
        name: decrypt(keys, r.name_enc as string, `students.name_enc:${r.id}`),
        gender: r.gender as string | null,
        grade: r.grade as number,
        classLabel: r.class_label as string,
        classGrade: r.class_grade as number,
        status: r.status as string,
        leftAt: r.left_at as Date | null,
        birthYear: r.birth_year as number | null,
        birthDate: open(r.birth_date_enc, "birth_date_enc", r.id),
        guardianName: open(r.guardian_name_enc, "guardian_name_enc", r.id),
        guardianPhone: open(r.guardian_phone_enc, "guardian_phone_enc", r.id),
        keyPopulation: r.key_population as string[],
      });
    }
    return out;
  }

  const FULL_ROWS = [
    ["学号", "姓名", "性别", "年级", "班级", "家庭经济困难", "留守或单亲", "监护人姓名", "监护人电话", "出生日期"],
    ["20230101", "阿依古丽·买买提", "女", "初二", "初二(3)班", "否", "是", "买买提·艾力", "13812345678", "2011年5月3日"],
    ["20230102", "𠮷𪚥", "男", "八年级", "3班", "", "否", "王芳, 母亲", "010-62751234", "2011/5/3"],
    ["20230103", "欧阳子𠀀", "男", "8", "04", "是", "", "", "0755 8600 1234", "2011-05-03"],
  ];

  it("creates the classes and the students of a new school, every value encrypted as the convention says", async () => {
    const { schoolId, headers } = await aSchool();
    const summary = await importOk(schoolId, headers, utf8(toDelimited(FULL_ROWS)));
    expect(summary).toEqual({
      dryRun: false,
      encoding: "utf-8",
      delimiter: "comma",
      rows: 3,
      created: 3,
      updated: 0,
      unchanged: 0,
      rejoined: 0,
      left: 0,
      classesCreated: 2,
      consent: null,
    });
    const students = await studentsOf(schoolId);
    expect(students.get("20230101")).toMatchObject({
      name: "阿依古丽·买买提",
      gender: "female",
      grade: 8,
      classLabel: "3",
      classGrade: 8,
      status: "enrolled",
      leftAt: null,
      birthYear: 2011,
      birthDate: "2011-05-03",
      guardianName: "买买提·艾力",
      guardianPhone: "13812345678",
      keyPopulation: ["leftBehindOrSingleParent"],
    });
    expect(students.get("20230102")).toMatchObject({ name: "𠮷𪚥", gender: "male", classLabel: "3", guardianName: "王芳, 母亲", guardianPhone: "010-62751234", keyPopulation: [] });
    expect(students.get("20230103")).toMatchObject({ name: "欧阳子𠀀", classLabel: "4", guardianName: null, guardianPhone: "0755-86001234", keyPopulation: ["financialHardship"] });
    const { rows: classes } = await t.db.query("SELECT grade, label FROM classes WHERE school_id = $1 ORDER BY label", [schoolId]);
    expect(classes).toEqual([
      { grade: 8, label: "3" },
      { grade: 8, label: "4" },
    ]);
  });

  const SAME_ROSTER = [HEADER, ["S001", "张三", "男", "初一", "1班"], ["S002", "李四, 小名\"四儿\"", "女", "初一", "2班"], ["S003", "王𠀀五", "", "高一", "实验班"]];
  it.each([
    ["UTF-8", () => utf8(toDelimited(SAME_ROSTER)), "utf-8", "comma"],
    ["UTF-8 with a BOM", () => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(toDelimited(SAME_ROSTER))]), "utf-8-bom", "comma"],
    ["GB18030 as Excel in China saves it", () => iconv.encode(toDelimited(SAME_ROSTER), "gb18030"), "gb18030", "comma"],
    ["tab-separated", () => utf8(toDelimited(SAME_ROSTER, "\t", "\n")), "utf-8", "tab"],
    ["every field quoted", () => utf8(SAME_ROSTER.map((r) => r.map((c) => `"${c.replaceAll('"', '""')}"`).join(",")).join("\r\n")), "utf-8", "comma"],
  ] as const)("reads a roster in %s into the same students", async (_what, bytes, encoding, delimiter) => {
    const { schoolId, headers } = await aSchool();
    const summary = await importOk(schoolId, headers, bytes());
    expect(summary).toMatchObject({ encoding, delimiter, rows: 3, created: 3, classesCreated: 3 });
    const students = await studentsOf(schoolId);
    expect([...students.values()].map((s) => [s.studentNo, s.name, s.gender, s.grade, s.classLabel]).sort()).toEqual([
      ["S001", "张三", "male", 7, "1"],
      ["S002", '李四, 小名"四儿"', "female", 7, "2"],
      ["S003", "王𠀀五", null, 10, "实验班"],
    ]);
  });

  it("accepts application/octet-stream and a charset parameter on text/csv", async () => {
    const { schoolId, headers } = await aSchool();
    const bytes = iconv.encode(toDelimited(SAME_ROSTER), "gb18030");
    const first = await post(schoolId, headers, bytes, "application/octet-stream");
    expect(first.statusCode).toBe(200);
    const second = await post(schoolId, headers, bytes, "text/csv; charset=gbk");
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({ encoding: "gb18030", created: 0, unchanged: 3 });
  });

  it("imports 10,000 students in seconds, and re-imports them unchanged", async () => {
    const { schoolId, headers } = await aSchool();
    const bytes = utf8(toDelimited([HEADER, ...manyRows(10_000)]));
    let started = performance.now();
    const first = await importOk(schoolId, headers, bytes);
    const firstMs = performance.now() - started;
    expect(first).toMatchObject({ rows: 10_000, created: 10_000, classesCreated: 30 });
    started = performance.now();
    const again = await importOk(schoolId, headers, bytes);
    const againMs = performance.now() - started;
    expect(again).toMatchObject({ rows: 10_000, created: 0, updated: 0, unchanged: 10_000, left: 0 });
    const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM students WHERE school_id = $1", [schoolId]);
    expect(rows[0]!.n).toBe(10_000);
    // "seconds, not minutes": generous for a loaded 2-core machine, far below one statement per row
    expect(firstMs).toBeLessThan(20_000);
    expect(againMs).toBeLessThan(20_000);
  }, 120_000);

  it("refuses 10,000 rows with one bad row, naming its line and column, and writes nothing anywhere", async () => {
    const { schoolId, headers } = await aSchool();
    await importOk(schoolId, headers, utf8(toDelimited([HEADER, ["OLD1", "旧生", "男", "初一", "1班"]])));
    const rows = manyRows(10_000);
    rows[7_776]![3] = "九年级半"; // data row 7,777 → line 7,778 (the header is line 1)
    const before = await countEveryTable(t.db);
    const res = await post(schoolId, headers, utf8(toDelimited([HEADER, ...rows])));
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe("roster_invalid");
    expect(body.error.details).toEqual([{ line: 7_778, column: "年级", code: "unknown_grade", message: expect.stringContaining("九年级半") }]);
    expect(await countEveryTable(t.db)).toEqual(before);
    const students = await studentsOf(schoolId);
    expect([...students.keys()]).toEqual(["OLD1"]);
    expect(students.get("OLD1")!.status).toBe("enrolled");
  });

  it("lists every problem of a file with its line and column", async () => {
    const { schoolId, headers } = await aSchool();
    const text = toDelimited([HEADER, ["1", "甲", "男", "初一", "1班"], ["1", "乙", "x", "初一", "1班"], ["3", "", "女", "初四", "1班"]]);
    const res = await post(schoolId, headers, utf8(text));
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { line: number; column: string; code: string }) => [d.line, d.column, d.code])).toEqual([
      [3, "学号", "duplicate_student_no"],
      [3, "性别", "bad_gender"],
      [4, "姓名", "missing_required"],
      [4, "年级", "unknown_grade"],
    ]);
  });

  it("updates students in place on a re-import, marks the missing ones as left, and re-enrols those who return", async () => {
    const { schoolId, lead, headers } = await aSchool();
    await importOk(schoolId, headers, utf8(toDelimited([HEADER, ["A1", "甲", "男", "初一", "1班"], ["A2", "乙", "女", "初一", "1班"], ["A3", "丙", "男", "初一", "2班"]])));
    const before = await studentsOf(schoolId);
    // history attached to A1 and A3 must survive the re-imports
    const author = await t.seed.account("counselor", { schoolId });
    for (const no of ["A1", "A3"]) {
      await t.db.query("INSERT INTO observations (id, school_id, student_id, author_id, role, instrument, answers, created_at) VALUES ($1, $2, $3, $4, 'counselor', 'teacher-checklist', '{}', $5)", [
        t.deps.newId(),
        schoolId,
        before.get(no)!.id,
        author,
        t.clock.now(),
      ]);
    }
    t.clock.advance(86_400_000); // a day later: a new session
    const second = await importOk(schoolId, (await t.signIn(lead)).headers, utf8(toDelimited([HEADER, ["A1", "甲改名", "男", "初二", "5班"], ["A2", "乙", "女", "初一", "1班"], ["A4", "丁", "女", "初一", "1班"]])));
    expect(second).toMatchObject({ created: 1, updated: 1, unchanged: 1, left: 1, rejoined: 0, classesCreated: 1 });
    const after = await studentsOf(schoolId);
    expect(after.get("A1")).toMatchObject({ id: before.get("A1")!.id, name: "甲改名", grade: 8, classGrade: 8, classLabel: "5", status: "enrolled" });
    expect(after.get("A2")).toMatchObject({ id: before.get("A2")!.id, name: "乙", status: "enrolled", leftAt: null });
    expect(after.get("A3")).toMatchObject({ id: before.get("A3")!.id, name: "丙", status: "left", leftAt: t.clock.now() });
    expect(after.get("A4")).toMatchObject({ status: "enrolled" });

    t.clock.advance(86_400_000);
    const third = await importOk(schoolId, (await t.signIn(lead)).headers, utf8(toDelimited([HEADER, ["A1", "甲改名", "男", "初二", "5班"], ["A2", "乙", "女", "初一", "1班"], ["A3", "丙", "男", "初二", "2班"], ["A4", "丁", "女", "初一", "1班"]])));
    expect(third).toMatchObject({ created: 0, updated: 0, unchanged: 3, rejoined: 1, left: 0, classesCreated: 1 });
    const last = await studentsOf(schoolId);
    expect(last.get("A3")).toMatchObject({ id: before.get("A3")!.id, status: "enrolled", leftAt: null, grade: 8 });
    const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM observations WHERE student_id IN ($1, $2)", [before.get("A1")!.id, before.get("A3")!.id]);
    expect(rows[0]!.n).toBe(2);
    const { rows: total } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM students WHERE school_id = $1", [schoolId]);
    expect(total[0]!.n).toBe(4);
  });

  it("keeps stored values of columns the new file does not have, and clears those it has empty", async () => {
    const { schoolId, headers } = await aSchool();
    await importOk(schoolId, headers, utf8(toDelimited(FULL_ROWS)));
    // No guardian, birth date or flag columns: those stay; gender present and empty: cleared
    const res = await importOk(schoolId, headers, utf8(toDelimited([HEADER, ["20230101", "阿依古丽·买买提", "", "初二", "3班"], ["20230102", "𠮷𪚥", "男", "初二", "3班"], ["20230103", "欧阳子𠀀", "男", "初二", "4班"]])));
    expect(res).toMatchObject({ updated: 1, unchanged: 2 });
    const s = await studentsOf(schoolId);
    expect(s.get("20230101")).toMatchObject({ gender: null, guardianName: "买买提·艾力", guardianPhone: "13812345678", birthDate: "2011-05-03", birthYear: 2011, keyPopulation: ["leftBehindOrSingleParent"] });
    // One flag column present: that flag follows the file, the other stays
    await importOk(schoolId, headers, utf8(toDelimited([[...HEADER, "留守或单亲", "监护人电话"], ["20230101", "阿依古丽·买买提", "", "初二", "3班", "否", ""], ["20230103", "欧阳子𠀀", "男", "初二", "4班", "是", ""]])));
    const t2 = await studentsOf(schoolId);
    expect(t2.get("20230101")).toMatchObject({ keyPopulation: [], guardianPhone: null, guardianName: "买买提·艾力" });
    expect(t2.get("20230103")).toMatchObject({ keyPopulation: ["financialHardship", "leftBehindOrSingleParent"], guardianPhone: null });
    expect(t2.get("20230102")).toMatchObject({ status: "left" });
  });

  const HOSTILE = [
    "Robert'); DROP TABLE students;--",
    "<script>alert('xss')</script>",
    "\"><img src=x onerror=alert(1)>",
    "1' OR '1'='1",
    "$1::jsonb",
    "😀 emoji 同学",
    "𪚥𠮷 龘",
    "=HYPERLINK(\"http://x\")",
  ];

  it("stores SQL and HTML in names verbatim as data, encrypted, never in clear", async () => {
    const { schoolId, headers } = await aSchool();
    const rows = HOSTILE.map((name, i) => [`H${i}`, name, "女", "初三", "1班"]);
    await importOk(schoolId, headers, utf8(toDelimited([[...HEADER, "监护人姓名"], ...rows.map((r) => [...r, `${r[1]} 家长`])])));
    const students = await studentsOf(schoolId);
    for (const [i, name] of HOSTILE.entries()) {
      expect(students.get(`H${i}`)).toMatchObject({ name, guardianName: `${name} 家长` });
    }
    const { rows: dump } = await t.db.query<{ t: string }>("SELECT s::text AS t FROM students s WHERE s.school_id = $1", [schoolId]);
    const text = dump.map((r) => r.t).join("\n");
    for (const name of HOSTILE) expect(text).not.toContain(name);
    for (const no of HOSTILE.map((_, i) => `H${i}`)) expect(text).not.toMatch(new RegExp(`[^A-Za-z0-9_-]${no}[^A-Za-z0-9_-]`));
    const { rows: audit } = await t.db.query<{ t: string }>("SELECT a::text AS t FROM audit_log a WHERE school_id = $1", [schoolId]);
    for (const name of HOSTILE) expect(audit.map((r) => r.t).join("\n")).not.toContain(name);
    const { rowCount } = await t.db.query("SELECT 1 FROM information_schema.tables WHERE table_name = 'students'");
    expect(rowCount).toBe(1);
  });

  it("writes one audit row with who and the counts, and no names or student numbers", async () => {
    const { schoolId, lead, headers } = await aSchool();
    await importOk(schoolId, headers, utf8(toDelimited(FULL_ROWS)));
    const { rows } = await t.db.query<{ actor_id: string; actor_role: string; action: string; context: Record<string, unknown>; student_id: string | null }>(
      "SELECT actor_id, actor_role, action, context, student_id FROM audit_log WHERE school_id = $1 AND action = 'roster.import'",
      [schoolId],
    );
    expect(rows).toEqual([
      {
        actor_id: lead,
        actor_role: "school-lead",
        action: "roster.import",
        student_id: null,
        context: { encoding: "utf-8", delimiter: "comma", rows: 3, created: 3, updated: 0, unchanged: 0, rejoined: 0, left: 0, classesCreated: 2, consent: null },
      },
    ]);
  });

  it("validates and reports a dry run without writing anything", async () => {
    const { schoolId, headers } = await aSchool();
    await importOk(schoolId, headers, utf8(toDelimited([HEADER, ["D1", "甲", "男", "初一", "1班"]])));
    const before = await countEveryTable(t.db);
    const summary = await importOk(schoolId, headers, utf8(toDelimited([HEADER, ["D2", "乙", "男", "初一", "2班"]])), "?dryRun=true");
    expect(summary).toMatchObject({ dryRun: true, created: 1, left: 1, classesCreated: 1 });
    expect(await countEveryTable(t.db)).toEqual(before);
    expect((await studentsOf(schoolId)).get("D1")!.status).toBe("enrolled");
  });

  it("counts the consent column, and writes it to the consents of an open wave only", async () => {
    const { schoolId, headers } = await aSchool();
    const withConsent = (a: string, b: string, c: string) =>
      utf8(toDelimited([[...HEADER, "同意"], ["C1", "甲", "男", "初一", "1班", a], ["C2", "乙", "女", "初一", "1班", b], ["C3", "丙", "女", "初一", "1班", c]]));
    const first = await importOk(schoolId, headers, withConsent("同意", "拒绝", ""));
    expect(first.consent).toEqual({ consented: 1, optedOut: 1, pending: 1, waveIds: [], written: 0, codesRevoked: 0 });
    expect((await t.db.query("SELECT 1 FROM consents")).rowCount).toBe(0);

    const waveId = t.deps.newId();
    await t.db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status)
       VALUES ($1, $2, '2025-2026', 'spring', $3, $4, '{}', 'default-v1', 'open')`,
      [waveId, schoolId, new Date("2026-03-01T00:00:00Z"), new Date("2026-04-01T00:00:00Z")],
    );
    const students = await studentsOf(schoolId);
    // C3 already has a code and a school-set consent; C2 has an active code that opting out must revoke
    const codeOf = async (no: string) => {
      const id = t.deps.newId();
      await t.db.query("INSERT INTO access_codes (id, wave_id, student_id, code_hash, issued_at) VALUES ($1, $2, $3, $4, $5)", [id, waveId, students.get(no)!.id, `h-${id}`, t.clock.now()]);
      return id;
    };
    const c2Code = await codeOf("C2");
    const c1Code = await codeOf("C1");
    await t.db.query("INSERT INTO consents (wave_id, student_id, status, source, updated_at) VALUES ($1, $2, 'consented', 'school', $3)", [waveId, students.get("C3")!.id, t.clock.now()]);

    const second = await importOk(schoolId, headers, withConsent("同意", "拒绝", "待定"));
    expect(second.consent).toEqual({ consented: 1, optedOut: 1, pending: 1, waveIds: [waveId], written: 2, codesRevoked: 1 });
    const { rows } = await t.db.query<{ student_id: string; status: string; source: string }>("SELECT student_id, status, source FROM consents WHERE wave_id = $1", [waveId]);
    const byNo = new Map([...students.values()].map((s) => [s.id, s.studentNo]));
    expect(rows.map((r) => [byNo.get(r.student_id), r.status, r.source]).sort()).toEqual([
      ["C1", "consented", "roster"],
      ["C2", "opted-out", "roster"],
      ["C3", "consented", "school"], // a pending cell never overwrites a recorded consent
    ]);
    const { rows: codes } = await t.db.query<{ id: string; status: string }>("SELECT id, status FROM access_codes WHERE wave_id = $1 ORDER BY id", [waveId]);
    expect(Object.fromEntries(codes.map((c) => [c.id, c.status]))).toEqual({ [c2Code]: "revoked", [c1Code]: "active" });

    const third = await importOk(schoolId, headers, withConsent("同意", "拒绝", "待定"));
    expect(third.consent).toMatchObject({ written: 0, codesRevoked: 0 });
  });

  describe("who may import", () => {
    it("answers 404 to the school lead of another school, and to a school that does not exist, writing nothing", async () => {
      const { schoolId } = await aSchool();
      const other = await aSchool();
      const before = await countEveryTable(t.db);
      const res = await post(schoolId, other.headers, utf8(toDelimited(SAME_ROSTER)));
      expect(res.statusCode).toBe(404);
      expect(res.json().error.code).toBe("not_found");
      const none = await post("no-such-school", other.headers, utf8(toDelimited(SAME_ROSTER)));
      expect(none.statusCode).toBe(404);
      expect(none.json()).toEqual(res.json());
      expect(await countEveryTable(t.db)).toEqual(before);
    });

    it.each(["homeroom", "subject", "counselor", "admin", "analyst"] as const)("refuses a %s with 403", async (role) => {
      const { schoolId } = await aSchool();
      const classId = await t.seed.klass(schoolId, 7);
      const relation = role === "subject" ? "subject" : "homeroom";
      const account = await t.seed.account(role, { schoolId: role === "admin" || role === "analyst" ? null : schoolId, classes: role === "homeroom" || role === "subject" ? [{ classId, relation }] : [] });
      const { headers } = await t.signIn(account);
      const res = await post(schoolId, headers, utf8(toDelimited(SAME_ROSTER)));
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("forbidden");
      expect((await t.db.query("SELECT 1 FROM students WHERE school_id = $1", [schoolId])).rowCount).toBe(0);
    });

    it("answers 401 without a session", async () => {
      const { schoolId } = await aSchool();
      const res = await post(schoolId, {}, utf8(toDelimited(SAME_ROSTER)));
      expect(res.statusCode).toBe(401);
    });

    it("refuses a call without the CSRF header with 403", async () => {
      const { schoolId, headers } = await aSchool();
      const res = await post(schoolId, { cookie: headers.cookie! }, utf8(toDelimited(SAME_ROSTER)));
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("csrf");
      expect((await t.db.query("SELECT 1 FROM students WHERE school_id = $1", [schoolId])).rowCount).toBe(0);
    });
  });

  describe("bad bodies", () => {
    it("refuses an empty body", async () => {
      const { schoolId, headers } = await aSchool();
      const res = await post(schoolId, headers, Buffer.alloc(0));
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe("empty_body");
      const none = await t.app.inject({ method: "POST", url: `/api/schools/${schoolId}/roster`, headers });
      expect(none.statusCode).toBe(400);
      expect(none.json().error.code).toBe("empty_body");
    });

    it("refuses a file of only a header or only blank lines, naming the problem", async () => {
      const { schoolId, headers } = await aSchool();
      const headerOnly = await post(schoolId, headers, utf8("学号,姓名,性别,年级,班级\r\n"));
      expect(headerOnly.statusCode).toBe(400);
      expect(headerOnly.json().error).toMatchObject({ code: "roster_invalid", details: [{ line: null, column: null, code: "no_rows" }] });
      const blank = await post(schoolId, headers, utf8("\r\n\r\n"));
      expect(blank.json().error).toMatchObject({ code: "roster_invalid", details: [{ code: "empty_file" }] });
    });

    it("refuses a 21 MB body with 413 without reading it all", async () => {
      const { schoolId, headers } = await aSchool();
      const res = await post(schoolId, headers, Buffer.alloc(21 * 1024 * 1024, 0x41));
      expect(res.statusCode).toBe(413);
      expect(res.json().error.code).toBe("body_too_large");
    });

    it("accepts a roster over the 1 MB JSON limit", async () => {
      const { schoolId, headers } = await aSchool();
      const bytes = utf8(toDelimited([HEADER, ...manyRows(40_000)]));
      expect(bytes.length).toBeGreaterThan(1024 * 1024);
      const res = await post(schoolId, headers, bytes, "text/csv", "?dryRun=true");
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ rows: 40_000, created: 40_000 });
    });

    it.each([
      ["application/json", JSON.stringify({ rows: [{ 学号: "1" }] })],
      ["text/plain", toDelimited(SAME_ROSTER)],
      ["multipart/form-data; boundary=x", "--x\r\n\r\n--x--"],
    ])("refuses a %s body with 415", async (contentType, payload) => {
      const { schoolId, headers } = await aSchool();
      const res = await post(schoolId, headers, payload, contentType);
      expect(res.statusCode).toBe(415);
      expect(res.json().error.code).toBe("unsupported_media_type");
    });

    it("refuses unknown query parameters and a malformed school id", async () => {
      const { schoolId, headers } = await aSchool();
      const res = await post(schoolId, headers, utf8(toDelimited(SAME_ROSTER)), "text/csv", "?dryRun=yes");
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe("querystring.dryRun");
      const bad = await post("x'%20OR%201=1", headers, utf8(toDelimited(SAME_ROSTER)));
      expect(bad.statusCode).toBe(404);
    });

    it("refuses binary noise and NUL bytes with the place of the problem", async () => {
      const { schoolId, headers } = await aSchool();
      const nul = await post(schoolId, headers, utf8(toDelimited([HEADER, ["N1", "甲\u0000乙", "男", "初一", "1班"]])));
      expect(nul.statusCode).toBe(400);
      expect(nul.json().error.details[0]).toMatchObject({ line: 2, column: "姓名" });
      const noise = await post(schoolId, headers, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)));
      expect(noise.statusCode).toBe(400);
      expect(noise.json().error.code).toBe("roster_invalid");
    });
  });
});

// ───────────────────────────── the plan (pure) ─────────────────────────────

describe("planRoster", () => {
  const noFlags = Object.fromEntries(KEY_POPULATION_KEYS.map((k) => [k, false])) as KeyPopulation;
  const aRow = (studentNo: string, over: Partial<ParsedRosterRow> = {}): ParsedRosterRow => ({
    studentNo,
    name: `名${studentNo}`,
    gender: null,
    grade: 7,
    classLabel: "1",
    keyPopulation: noFlags,
    guardianName: null,
    guardianPhone: null,
    birthDate: null,
    consent: "pending",
    line: 2,
    ...over,
  });
  const aStored = (studentNo: string, status: StoredStudent["status"], over: Partial<StoredStudent> = {}): StoredStudent => ({
    id: `id-${studentNo}`,
    studentNoHash: `h-${studentNo}`,
    classId: "class-7-1",
    status,
    name: `名${studentNo}`,
    gender: null,
    grade: 7,
    birthYear: null,
    birthDate: null,
    guardianName: null,
    guardianPhone: null,
    keyPopulation: [],
    ...over,
  });
  const plan = (rows: ParsedRosterRow[], students: StoredStudent[]) => {
    let n = 0;
    return planRoster({
      roster: { ok: true, encoding: "utf-8", delimiter: "comma", columns: ["studentNo", "name", "grade", "class"], rows },
      classes: [{ id: "class-7-1", grade: 7, label: "1" }],
      students,
      hashStudentNo: (no) => `h-${no}`,
      newId: () => `new-${++n}`,
    });
  };

  it("accounts for every row and every enrolled student exactly once, whatever the roster and the stored school", () => {
    const statuses = fc.constantFrom<StoredStudent["status"]>("enrolled", "left", "graduated");
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), statuses, fc.boolean(), fc.integer({ min: 1, max: 3 })), { maxLength: 40 }),
        (onRoster, storedSpec) => {
          const stored = [...new Map(storedSpec.map(([no, status, renamed]) => [no, aStored(String(no), status, renamed ? { name: "旧名" } : {})])).values()];
          const rows = onRoster.map((no) => aRow(String(no), { classLabel: String((no % 3) + 1) }));
          const p = plan(rows, stored);
          const c = p.counts;
          expect(c.created + c.updated + c.unchanged + c.rejoined).toBe(rows.length);
          const storedNos = new Set(stored.map((s) => s.studentNoHash));
          expect(c.created).toBe(rows.filter((r) => !storedNos.has(`h-${r.studentNo}`)).length);
          const rosterNos = new Set(onRoster.map(String));
          expect([...p.leaves].sort()).toEqual(stored.filter((s) => s.status === "enrolled" && !rosterNos.has(s.id.slice(3))).map((s) => s.id).sort());
          const written = [...p.inserts, ...p.updates].map((s) => s.id);
          expect(new Set([...written, ...p.leaves]).size).toBe(written.length + p.leaves.length);
          expect(p.newClasses.map((k) => k.label).sort()).toEqual([...new Set(rows.map((r) => r.classLabel))].filter((l) => l !== "1").sort());
        },
      ),
    );
  });

  it.each([
    ["the same data", {}, "unchanged"],
    ["another name", { name: "新名" }, "updated"],
    ["another class", { classLabel: "2" }, "updated"],
    ["another grade", { grade: 8 }, "updated"],
  ] as const)("counts a known student with %s as %s", (_what, over, counted) => {
    const p = plan([aRow("1", over)], [aStored("1", "enrolled")]);
    expect(p.counts).toMatchObject({ [counted]: 1, created: 0, left: 0 });
  });
});

// ───────────────────────────── the CLI ─────────────────────────────

describe("xinqing roster import", () => {
  const temp = mkdtempSync(join(tmpdir(), "xinqing-roster-cli-"));
  const dataDir = join(temp, "data");
  const env = { XINQING_DATA: dataDir };
  const file = (name: string, content: string | Buffer) => {
    const path = join(temp, name);
    writeFileSync(path, content);
    return path;
  };

  beforeAll(async () => {
    const store = await openStore(loadConfig(env, temp), { purpose: "test" });
    try {
      await store.db.query("INSERT INTO schools (id, code, name) VALUES ('school-cli', 'CLI-1', '命令行中学')");
    } finally {
      await store.close();
    }
  }, 60_000);
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it("imports a GB18030 file by school code, then dry-runs another by id, opening the data directory like the server", async () => {
    const path = file("roster.csv", iconv.encode(toDelimited([HEADER, ["K1", "甲", "男", "初一", "1班"], ["K2", "乙", "女", "初一", "2班"]]), "gb18030"));
    const out = JSON.parse(await runRosterCommand(["import", path, "--school", "CLI-1"], { env, cwd: temp }));
    expect(out).toMatchObject({ school: { id: "school-cli", code: "CLI-1" }, dryRun: false, encoding: "gb18030", created: 2, classesCreated: 2 });
    const next = file("next.csv", toDelimited([HEADER, ["K1", "甲", "男", "初一", "1班"]]));
    const dry = JSON.parse(await runRosterCommand(["import", "next.csv", "--school", "school-cli", "--dry-run"], { env, cwd: temp }));
    expect(dry).toMatchObject({ dryRun: true, unchanged: 1, left: 1 });
    expect(next).toBe(join(temp, "next.csv"));

    const store = await openStore(loadConfig(env, temp), { purpose: "test" });
    try {
      const { rows } = await store.db.query<{ id: string; name_enc: string; status: string }>("SELECT id, name_enc, status FROM students ORDER BY status");
      expect(rows.map((r) => [decrypt(store.keys, r.name_enc, `students.name_enc:${r.id}`), r.status])).toEqual([
        ["甲", "enrolled"],
        ["乙", "enrolled"],
      ]);
      const { rows: audit } = await store.db.query("SELECT actor_id, actor_role FROM audit_log WHERE action = 'roster.import'");
      expect(audit).toEqual([{ actor_id: null, actor_role: "cli" }]);
    } finally {
      await store.close();
    }
  });

  it.each([
    [["import", "bad.csv", "--school", "CLI-1"], /line 3, column 年级: .*unknown_grade/],
    [["import", "missing.csv", "--school", "CLI-1"], /cannot read missing\.csv \(ENOENT\)/],
    [["import", "roster.csv", "--school", "NOPE"], /no school with code or id "NOPE"/],
    [["import", "roster.csv"], /--school <code\|id> is required/],
    [["import"], /name the CSV file/],
    [["import", "roster.csv", "--school", "CLI-1", "--force"], /Unknown option '--force'/],
    [["export"], /unknown subcommand "export"/],
  ])("refuses %j with one line", async (argv, message) => {
    file("bad.csv", toDelimited([HEADER, ["B1", "甲", "男", "初一", "1班"], ["B2", "乙", "女", "初十", "1班"]]));
    const error = await runRosterCommand(argv, { env, cwd: temp }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CliError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  it("refuses a data directory without a database instead of creating one", async () => {
    const empty = join(temp, "empty");
    const path = file("ok.csv", toDelimited([HEADER, ["K1", "甲", "男", "初一", "1班"]]));
    const error = await runRosterCommand(["import", path, "--school", "CLI-1"], { env: { XINQING_DATA: empty }, cwd: temp }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/no XinQing database in .*empty/);
  });

  // The command is wired into src/cli/commands.ts by the lead; until then this test has nothing to run.
  it("exits with code 2 and one line naming the line and column, no stack trace, as a real process", async () => {
    const bad = file("bad-process.csv", toDelimited([HEADER, ["B1", "甲", "男", "初一", "1班"], ["B2", "乙", "女", "初十", "1班"]]));
    const root = new URL("../../../", import.meta.url).pathname;
    const result = await promisify(execFile)(join(root, "node_modules/.bin/tsx"), [join(root, "src/cli/main.ts"), "roster", "import", bad, "--school", "CLI-1"], {
      env: { ...process.env, ...env },
      cwd: temp,
    }).then(
      () => ({ code: 0, stderr: "" }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^xinqing: roster import: .*line 3, column 年级: /);
    expect(result.stderr).not.toMatch(/\bat .*\.ts:\d+/);
  }, 60_000);
});
