import { readFileSync } from "node:fs";
import fc from "fast-check";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import {
  normalizePhone,
  parseBirthDate,
  parseClassLabel,
  parseGrade,
  parseRoster,
} from "../../../src/server/features/roster/parse";
import {
  KEY_POPULATION_KEYS,
  RosterErrorCode,
  RosterParseResult,
  type KeyPopulation,
  type ParsedRosterRow,
  type RosterEncoding,
  type RosterError,
  type RosterField,
  type RosterParseOk,
} from "../../../src/shared/roster";

// ───────────────────────────── builders ─────────────────────────────

type Encoding = RosterEncoding;

/** Encodes text as Excel would save it. */
function encode(text: string, encoding: Encoding = "utf-8"): Uint8Array {
  switch (encoding) {
    case "utf-8":
      return Buffer.from(text, "utf8");
    case "utf-8-bom":
      return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);
    case "gb18030":
      return iconv.encode(text, "gb18030");
    case "utf-16le":
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
  }
}

/** Writes cells as CSV/TSV, quoting a cell only when it needs it (as Excel does). */
function toDelimited(rows: readonly (readonly string[])[], delimiter = ",", eol = "\r\n"): string {
  const quote = (cell: string) =>
    cell.includes(delimiter) || cell.includes('"') || cell.includes("\n") || cell.includes("\r")
      ? `"${cell.replaceAll('"', '""')}"`
      : cell;
  return rows.map((r) => r.map(quote).join(delimiter)).join(eol) + eol;
}

const HEADER = ["学号", "姓名", "性别", "年级", "班级"];

/** A small valid roster (Chinese headers, comma, CRLF), with extra rows appended. */
function roster(...rows: string[][]): string {
  return toDelimited([HEADER, ["1001", "张三", "男", "初二", "3班"], ...rows]);
}

function read(text: string, encoding: Encoding = "utf-8", options = {}) {
  return parseRoster(encode(text, encoding), options);
}

function expectOk(result: RosterParseResult): RosterParseOk {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.errors.slice(0, 5))}`);
  return result;
}

function errorsOf(result: RosterParseResult): RosterError[] {
  if (result.ok) throw new Error("expected errors, got ok");
  return result.errors;
}

const NO_FLAGS: KeyPopulation = {
  financialHardship: false,
  learningDifficulty: false,
  majorChange: false,
  leftBehindOrSingleParent: false,
  migrantWorkerChild: false,
  familyCrisis: false,
  disability: false,
  newStudent: false,
  transferStudent: false,
};

function aRow(overrides: Partial<ParsedRosterRow> = {}): ParsedRosterRow {
  return {
    studentNo: "1001",
    name: "张三",
    gender: "male",
    grade: 8,
    classLabel: "3",
    keyPopulation: NO_FLAGS,
    guardianName: null,
    guardianPhone: null,
    birthDate: null,
    consent: "pending",
    line: 2,
    ...overrides,
  };
}

// ───────────────────────────── decoding and shape ─────────────────────────────

describe("parseRoster: encodings and delimiters", () => {
  const text = roster(["1002", "阿依古丽·买买提", "女", "初二", "3班"]);
  const expected = [aRow(), aRow({ studentNo: "1002", name: "阿依古丽·买买提", gender: "female", line: 3 })];

  it.each<[Encoding]>([["utf-8"], ["utf-8-bom"], ["gb18030"], ["utf-16le"]])(
    "reads the same rows from a %s file and reports the encoding",
    (encoding) => {
      const result = expectOk(read(text, encoding));
      expect(result.encoding).toBe(encoding);
      expect(result.delimiter).toBe("comma");
      expect(result.rows).toEqual(expected);
    },
  );

  it("reads tab-separated text pasted from a spreadsheet", () => {
    const result = expectOk(read(toDelimited([HEADER, ["1001", "张三", "男", "初二", "3班"]], "\t", "\n")));
    expect(result.delimiter).toBe("tab");
    expect(result.rows).toEqual([aRow()]);
  });

  it("keeps GB18030 four-byte characters and the middle dot of minority names", () => {
    const result = expectOk(read(roster(["1002", "𠮷𪚥𠀀", "女", "初二", "3班"], ["1003", "买买提·艾力", "男", "初二", "3班"]), "gb18030"));
    expect(result.rows.map((r) => r.name)).toEqual(["张三", "𠮷𪚥𠀀", "买买提·艾力"]);
  });

  it("reads an Excel CSV saved as GB18030 by another encoder (glibc iconv fixture)", () => {
    const result = expectOk(parseRoster(readFileSync(new URL("../../fixtures/roster/excel-gb18030.csv", import.meta.url))));
    expect(result.encoding).toBe("gb18030");
    expect(result.rows).toEqual(FIXTURE_ROWS);
  });

  it("reads an Excel 'Unicode text' export (UTF-16LE with BOM, tabs)", () => {
    const result = expectOk(parseRoster(readFileSync(new URL("../../fixtures/roster/excel-unicode.txt", import.meta.url))));
    expect(result.encoding).toBe("utf-16le");
    expect(result.delimiter).toBe("tab");
    expect(result.rows).toEqual(FIXTURE_ROWS);
  });

  it("accepts English headers in any order, ignoring case, spaces and underscores", () => {
    const text = toDelimited([
      ["Class", " NAME ", "Student No", "grade", "Guardian_Phone", "LEFT_BEHIND_OR_SINGLE_PARENT"],
      ["3班", "张三", "1001", "8", "138 1234 5678", "Y"],
    ]);
    const result = expectOk(read(text));
    expect(result.columns).toEqual(["class", "name", "studentNo", "grade", "guardianPhone", "leftBehindOrSingleParent"]);
    expect(result.rows).toEqual([
      aRow({ gender: null, guardianPhone: "13812345678", keyPopulation: { ...NO_FLAGS, leftBehindOrSingleParent: true } }),
    ]);
  });

  it("reads quoted cells with commas, doubled quotes and line breaks, and counts lines across them", () => {
    const text =
      "学号,姓名,性别,年级,班级,监护人姓名\r\n" +
      '1001,张三,男,初二,3班,"王芳, 母亲"\r\n' +
      '1002,"李""四""",男,初二,3班,"第一行\r\n第二行\r\n第三行"\r\n' +
      "1003,王五,男,初二,()班,\r\n" + // bad class at physical line 6
      '1004,赵六,男,初二,3班,"a\nb"\r\n' +
      "1005,钱七,X,初二,3班,\r\n"; // bad gender at physical line 9
    expect(errorsOf(read(text))).toEqual([
      { line: 6, column: "班级", code: "bad_class", message: expect.stringContaining("()班") },
      { line: 9, column: "性别", code: "bad_gender", message: expect.stringContaining("X") },
    ]);
    const fixed = expectOk(read(text.replace("()班", "3班").replace(",X,", ",男,")));
    expect(fixed.rows.map((r) => [r.line, r.name, r.guardianName])).toEqual([
      [2, "张三", "王芳, 母亲"],
      [3, '李"四"', "第一行\n第二行\n第三行"],
      [6, "王五", null],
      [7, "赵六", "a\nb"],
      [9, "钱七", null],
    ]);
  });

  it("ignores blank trailing lines, blank rows and Excel's empty trailing cells", () => {
    const text = "学号,姓名,性别,年级,班级,,\r\n1001,张三,男,初二,3班,,\r\n,,,,,,\r\n\r\n1002,李四,女,初二,3班,,\r\n\r\n  \r\n,,,,,,\r\n";
    const result = expectOk(read(text));
    expect(result.rows.map((r) => [r.line, r.studentNo])).toEqual([
      [2, "1001"],
      [5, "1002"],
    ]);
  });

  it("counts lone CR and LF line endings as physical lines", () => {
    const result = expectOk(read("学号,姓名,性别,年级,班级\r1001,张三,男,初二,3班\n\n1002,李四,女,初二,3班\r"));
    expect(result.rows.map((r) => r.line)).toEqual([2, 4]);
  });
});

const FIXTURE_ROWS: ParsedRosterRow[] = [
  aRow({
    studentNo: "20230101",
    name: "阿依古丽·买买提",
    gender: "female",
    keyPopulation: { ...NO_FLAGS, leftBehindOrSingleParent: true },
    guardianName: "买买提·艾力",
    guardianPhone: "13812345678",
    birthDate: "2011-05-03",
    consent: "consented",
  }),
  aRow({
    studentNo: "20230102",
    name: "𠮷𪚥",
    guardianName: "王芳, 母亲",
    guardianPhone: "010-62751234",
    birthDate: "2011-05-03",
    line: 3,
  }),
  aRow({
    studentNo: "20230103",
    name: "欧阳子𠀀",
    keyPopulation: { ...NO_FLAGS, financialHardship: true },
    guardianPhone: "0755-86001234",
    birthDate: "2011-05-03",
    consent: "opted_out",
    line: 4,
  }),
];

// ───────────────────────────── cell rules ─────────────────────────────

describe("cell rules", () => {
  it.each<[string, number]>([
    ["1", 1], ["01", 1], ["一年级", 1], ["小学一年级", 1], ["六年级", 6], ["6", 6],
    ["7", 7], ["七年级", 7], ["初一", 7], ["初中一年级", 7], ["初三", 9], ["九年级", 9],
    ["10", 10], ["高一", 10], ["十年级", 10], ["高中一年级", 10], ["高三", 12], ["十二年级", 12], ["12", 12],
    ["１２", 12], ["Grade 8", 8], ["8年级", 8], ["八", 8],
  ])("reads grade %s as %i", (cell, grade) => {
    expect(parseGrade(cell)).toBe(grade);
  });

  it.each([["0"], ["13"], ["十三年级"], ["初四"], ["高四"], ["二年"], ["十三"], [""]])("does not know grade %j", (cell) => {
    expect(parseGrade(cell)).toBe(0);
  });

  it.each<[string, string, number]>([
    ["3", "3", 0], ["03", "3", 0], ["3班", "3", 0], ["(3)班", "3", 0], ["（3）班", "3", 0], ["三班", "3", 0],
    ["１２班", "12", 0], ["初二(3)班", "3", 8], ["初二（3）班", "3", 8], ["高一3班", "3", 10], ["七年级12班", "12", 7],
    ["初中二年级3班", "3", 8], ["实验班", "实验班", 0], ["初二实验班", "实验班", 8], ["国际A班", "国际A班", 0], ["1903", "1903", 0],
  ])("reads class %j as label %j (grade prefix %i)", (cell, label, grade) => {
    expect(parseClassLabel(cell)).toEqual({ ok: true, label, grade });
  });

  it.each([["班"], ["初二"], ["0班"], ["()班"], ["初二()班"]])("rejects class %j", (cell) => {
    expect(parseClassLabel(cell)).toEqual({ ok: false });
  });

  it.each<[string, string]>([
    ["13812345678", "13812345678"], ["138 1234 5678", "13812345678"], ["138-1234-5678", "13812345678"],
    ["+86 138 1234 5678", "13812345678"], ["008613812345678", "13812345678"], ["8613812345678", "13812345678"],
    ["19912345678", "19912345678"], ["010-62751234", "010-62751234"], ["(010)62751234", "010-62751234"],
    ["021 5555 1234", "021-55551234"], ["0755-86001234", "0755-86001234"], ["0851-5551234", "0851-5551234"],
    ["+86 10 6275 1234", "010-62751234"], ["１３８１２３４５６７８", "13812345678"],
  ])("normalises phone %j to %j", (cell, phone) => {
    expect(normalizePhone(cell)).toBe(phone);
  });

  it.each([
    ["1381234567"], ["138123456789"], ["12812345678"], ["62751234"], ["010-1234567"], ["010-123456789"],
    ["011-62751234"], ["0755-0123456"], ["138/139"], ["1.38123E+10"], ["tel:13812345678"], ["+"],
  ])("rejects phone %j", (cell) => {
    expect(normalizePhone(cell)).toBeNull();
  });

  it.each<[string, string]>([
    ["2011-05-03", "2011-05-03"], ["2011/5/3", "2011-05-03"], ["2011年5月3日", "2011-05-03"], ["2011.5.3", "2011-05-03"],
    ["2011/5/3 0:00", "2011-05-03"], ["2012-02-29", "2012-02-29"], ["2000-02-29", "2000-02-29"], ["2011/12/31", "2011-12-31"],
  ])("reads birth date %j as %s", (cell, date) => {
    expect(parseBirthDate(cell)).toBe(date);
  });

  it.each([
    ["2011-02-29"], ["1900-02-29"], ["2011-13-01"], ["2011-04-31"], ["2011-00-10"], ["2011/5-3"], ["11/5/3"],
    ["2011年5月3"], ["40668"], ["1899-12-31"], ["2011-5-3 12:30"],
  ])("rejects birth date %j", (cell) => {
    expect(parseBirthDate(cell)).toBeNull();
  });

  it("reads gender, yes/no flags and consent in their accepted spellings", () => {
    const header = [...HEADER, "残疾", "新生", "转学生", "学习困难", "同意"];
    const text = toDelimited([
      header,
      ["1", "甲", "男", "7", "1", "是", "Y", "1", "yes", "同意"],
      ["2", "乙", "女", "7", "1", "否", "n", "0", "", "拒绝"],
      ["3", "丙", "M", "7", "1", "", "", "", "No", ""],
      ["4", "丁", "f", "7", "1", "√", "×", "TRUE", "false", "opted-out"],
      ["5", "戊", "Female", "7", "1", "", "", "", "", "consented"],
      ["6", "己", "", "7", "1", "", "", "", "", ""],
    ]);
    const rows = expectOk(read(text)).rows;
    expect(rows.map((r) => [r.gender, r.keyPopulation.disability, r.keyPopulation.newStudent, r.keyPopulation.transferStudent, r.keyPopulation.learningDifficulty, r.consent])).toEqual([
      ["male", true, true, true, true, "consented"],
      ["female", false, false, false, false, "opted_out"],
      ["male", false, false, false, false, "pending"],
      ["female", true, false, true, false, "opted_out"],
      ["female", false, false, false, false, "consented"],
      [null, false, false, false, false, "pending"],
    ]);
  });

  it("checks the 1-32 and 1-64 character limits in code points, so four-byte characters count once", () => {
    const name64 = "𠮷".repeat(64);
    const ok = expectOk(read(roster(["x".repeat(32), name64, "男", "初二", "3"])));
    expect(ok.rows[1]).toMatchObject({ studentNo: "x".repeat(32), name: name64 });
    expect(errorsOf(read(roster(["x".repeat(33), name64 + "𠮷", "男", "初二", "3"])))).toEqual([
      { line: 3, column: "学号", code: "too_long", message: expect.any(String) },
      { line: 3, column: "姓名", code: "too_long", message: expect.any(String) },
    ]);
  });
});

// ───────────────────────────── errors ─────────────────────────────

type ErrorCase = [code: RosterErrorCode, input: string | Uint8Array, expected: Partial<RosterError>[], options?: object];

const ERROR_CASES: ErrorCase[] = [
  ["empty_file", "", [{ line: null, code: "empty_file" }]],
  ["empty_file", "\r\n  \r\n", [{ line: null, code: "empty_file" }]],
  ["no_rows", "学号,姓名,性别,年级,班级\r\n\r\n", [{ line: null, code: "no_rows" }]],
  ["too_large", roster(), [{ line: null, code: "too_large" }], { maxBytes: 10 }],
  ["too_many_rows", roster(["1002", "李四", "女", "初二", "3班"], ["1003", "", "?", "?", "?"]), [{ line: null, code: "too_many_rows" }], { maxRows: 2 }],
  ["bad_encoding", Buffer.concat([Buffer.from("学号,姓名,性别,年级,班级\n1001,", "utf8"), iconv.encode("张三", "gbk"), Buffer.from(",男,初二,3班\n1002,李四,女,初二,3班\n1003,王五,女,初二,3班\n", "utf8")]), [{ line: 2, column: "姓名", code: "bad_encoding" }]],
  ["bad_encoding", Buffer.concat([iconv.encode("学号,姓名,性别,年级,班级\r\n1001,张三,男,初二,3班\r\n1002,", "gb18030"), Buffer.from([0x81, 0x20]), iconv.encode(",男,初二,3班\r\n", "gb18030")]), [{ line: 3, column: "姓名", code: "bad_encoding" }]],
  ["bad_encoding", Buffer.from([0xff, 0xfe, 0x41]), [{ line: null, code: "bad_encoding" }]],
  ["bad_quote", roster(["1002", '"李四"x', "女", "初二", "3班"], ["1003", "王五", "女", "初二", "3班"]).replace('"""李四""x"', '"李四"x'), [{ line: 3, column: null, code: "bad_quote" }]],
  ["unknown_column", "学号,姓名,性别,年级,班级,爱好\n1001,张三,男,初二,3班,篮球\n", [{ line: 1, column: "爱好", code: "unknown_column" }]],
  ["unknown_column", "学号,姓名,,年级,班级\n1001,张三,,初二,3班\n", [{ line: 1, column: "", code: "unknown_column" }]],
  ["missing_column", "学号,姓名,性别,年级\n1001,张三,男,初二\n", [{ line: 1, column: null, code: "missing_column", message: expect.stringContaining("班级") }]],
  ["duplicate_column", "学号,姓名,性别,年级,班级,Name\n1001,张三,男,初二,3班,张三\n", [{ line: 1, column: "Name", code: "duplicate_column" }]],
  ["too_many_fields", roster(["1002", "李四", "女", "初二", "3班", "多余"]), [{ line: 3, column: null, code: "too_many_fields" }]],
  ["too_few_fields", roster(["1002", "李四", "女", "初二"]), [{ line: 3, column: null, code: "too_few_fields" }]],
  ["missing_required", roster(["", "李四", "女", "初二", "3班"], ["1003", " ", "女", "", ""]), [
    { line: 3, column: "学号", code: "missing_required" },
    { line: 4, column: "姓名", code: "missing_required" },
    { line: 4, column: "年级", code: "missing_required" },
    { line: 4, column: "班级", code: "missing_required" },
  ]],
  ["too_long", roster(["1002", "李".repeat(65), "女", "初二", "3班"]), [{ line: 3, column: "姓名", code: "too_long" }]],
  ["nul_character", roster(["1002", "李\u0000四", "女", "初二", "3班"]), [{ line: 3, column: "姓名", code: "nul_character" }]],
  ["scientific_notation", roster(["2.02301E+17", "李四", "女", "初二", "3班"]), [{ line: 3, column: "学号", code: "scientific_notation" }]],
  ["duplicate_student_no", roster(["1002", "李四", "女", "初二", "3班"], ["1001", "王五", "女", "初二", "3班"]), [{ line: 4, column: "学号", code: "duplicate_student_no", message: expect.stringContaining("第 2 行") }]],
  ["bad_gender", roster(["1002", "李四", "未知", "初二", "3班"]), [{ line: 3, column: "性别", code: "bad_gender" }]],
  ["unknown_grade", roster(["1002", "李四", "女", "初四", "3班"]), [{ line: 3, column: "年级", code: "unknown_grade", message: expect.stringContaining("初四") }]],
  ["bad_class", roster(["1002", "李四", "女", "初二", "初二"]), [{ line: 3, column: "班级", code: "bad_class" }]],
  ["class_grade_mismatch", roster(["1002", "李四", "女", "初二", "初三(3)班"]), [{ line: 3, column: "班级", code: "class_grade_mismatch" }]],
  ["bad_flag", "学号,姓名,性别,年级,班级,残疾\n1001,张三,男,初二,3班,也许\n", [{ line: 2, column: "残疾", code: "bad_flag" }]],
  ["bad_phone", "学号,姓名,性别,年级,班级,监护人电话\n1001,张三,男,初二,3班,62751234\n", [{ line: 2, column: "监护人电话", code: "bad_phone" }]],
  ["scientific_notation", "学号,姓名,性别,年级,班级,监护人电话\n1001,张三,男,初二,3班,1.38123E+10\n", [{ line: 2, column: "监护人电话", code: "scientific_notation" }]],
  ["bad_date", "学号,姓名,性别,年级,班级,出生日期\n1001,张三,男,初二,3班,2011-02-30\n", [{ line: 2, column: "出生日期", code: "bad_date" }]],
  ["bad_consent", "学号,姓名,性别,年级,班级,同意\n1001,张三,男,初二,3班,也许\n", [{ line: 2, column: "同意", code: "bad_consent" }]],
  ["too_many_errors", roster(...Array.from({ length: 5 }, (_, i) => [`2${i}`, "李四", "?", "初二", "3班"])), [
    { line: 3, column: "性别", code: "bad_gender" },
    { line: 4, column: "性别", code: "bad_gender" },
    { line: 5, column: "性别", code: "bad_gender" },
    { line: 6, code: "too_many_errors", column: null },
  ], { maxErrors: 3 }],
];

describe("parseRoster: errors", () => {
  it.each(ERROR_CASES)("answers %s with the line and column of the problem", (_code, input, expected, options) => {
    const bytes = typeof input === "string" ? encode(input) : input;
    const result = parseRoster(bytes, options);
    expect(errorsOf(result)).toEqual(expected.map((e) => ({ column: null, message: expect.any(String), ...e })));
    expect(RosterParseResult.safeParse(result).success).toBe(true);
  });

  it("has an example for every error code", () => {
    expect(new Set(ERROR_CASES.map(([code]) => code))).toEqual(new Set(RosterErrorCode.options));
  });

  it("reports every problem of every row, not only the first", () => {
    const errors = errorsOf(read(roster(["1002", "", "?", "初九", "班"], ["1001", "李四", "女", "初二", "3班"])));
    expect(errors.map((e) => [e.line, e.column, e.code])).toEqual([
      [3, "姓名", "missing_required"],
      [3, "性别", "bad_gender"],
      [3, "年级", "unknown_grade"],
      [3, "班级", "bad_class"],
      [4, "学号", "duplicate_student_no"],
    ]);
  });

  it("puts the offending value into the Chinese message", () => {
    expect(errorsOf(read(roster(["1002", "李四", "女", "初四", "3班"])))[0]!.message).toBe("年级无法识别：“初四”");
  });

  it("stops at the row limit without checking the rows after it", () => {
    const rows = Array.from({ length: 50 }, (_, i) => [`${2000 + i}`, "", "?", "?", "?"]);
    const errors = errorsOf(read(roster(["1002", "李四", "女", "初二", "3班"], ...rows), "utf-8", { maxRows: 2 }));
    expect(errors.map((e) => e.code)).toEqual(["too_many_rows"]);
  });

  it("accepts exactly the row limit even when many blank rows follow", () => {
    const text = roster(["1002", "李四", "女", "初二", "3班"]) + ",,,,\r\n".repeat(20);
    expect(expectOk(read(text, "utf-8", { maxRows: 2 })).rows).toHaveLength(2);
  });

  it("finds the one bad row in the middle of 10,000 rows, with its exact line and column", () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => [String(100000 + i), `学生${i}`, i % 2 ? "男" : "女", "初二", `${(i % 12) + 1}班`, i === 10 ? "王芳\n(母亲)" : ""]);
    rows[5_000]![3] = "初四";
    const text = toDelimited([[...HEADER, "监护人姓名"], ...rows]);
    // Row i is on line i + 2; the two-line guardian name of row 10 pushes later rows down by one.
    expect(errorsOf(read(text, "gb18030"))).toEqual([
      { line: 5_000 + 2 + 1, column: "年级", code: "unknown_grade", message: "年级无法识别：“初四”" },
    ]);
    rows[5_000]![3] = "初二";
    const ok = expectOk(read(toDelimited([[...HEADER, "监护人姓名"], ...rows]), "gb18030"));
    expect(ok.rows).toHaveLength(10_000);
    expect(ok.rows[9_999]!.line).toBe(10_002);
  });
});

// ───────────────────────────── hostile data ─────────────────────────────

describe("hostile data is data", () => {
  const hostile = [
    "<script>alert(1)</script>",
    "'; DROP TABLE students;--",
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "@import",
    "\u202Egnp.exe",
    "Robert\"); --",
  ];

  it.each(hostile.map((h) => [h]))("keeps the name %j verbatim", (name) => {
    const result = expectOk(read(roster(["1002", name, "女", "初二", "3班"])));
    expect(result.rows[1]!.name).toBe(name);
  });

  it("trims whitespace around a right-to-left override but keeps the override", () => {
    const result = expectOk(read(roster(["1002", " \u3000\u202E李四\u202C\t ", "女", "初二", "3班"]), "gb18030"));
    expect(result.rows[1]!.name).toBe("\u202E李四\u202C");
  });

  it("keeps hostile student numbers and guardian names verbatim too", () => {
    const text = toDelimited([
      [...HEADER, "监护人姓名"],
      ["=1+1", "张三", "男", "初二", "3班", "<img src=x onerror=alert(1)>"],
    ]);
    expect(expectOk(read(text)).rows[0]).toMatchObject({ studentNo: "=1+1", guardianName: "<img src=x onerror=alert(1)>" });
  });
});

// ───────────────────────────── properties ─────────────────────────────

describe("properties", () => {
  it("never throws on arbitrary bytes, and always answers a valid result", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), fc.boolean(), (bytes, bom) => {
        const input = bom ? Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes]) : bytes;
        expect(RosterParseResult.safeParse(parseRoster(input)).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on arbitrary strings, in any encoding", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 400 }), fc.constantFrom<Encoding>("utf-8", "gb18030", "utf-16le"), (s, enc) => {
        expect(RosterParseResult.safeParse(parseRoster(encode(s, enc))).success).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  const csvPiece = fc.constantFrom(
    ",", ",", "\t", '"', '""', "\n", "\r\n", "\r", " ", "学号", "姓名", "性别", "年级", "班级", "同意", "残疾", "监护人电话",
    "出生日期", "男", "女", "初二", "十三年级", "3班", "初一(2)班", "是", "x", "1001", "1001", "\u0000", "\uFFFD", "𠮷",
    "13812345678", "2011/5/3", "1.2E+5",
  );

  it("never throws on CSV-like text with any limits, and every error carries a known code", () => {
    const header = "学号,姓名,性别,年级,班级\n";
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.array(csvPiece, { maxLength: 200 }),
        fc.constantFrom<Encoding>("utf-8", "gb18030"),
        fc.record({ maxRows: fc.integer({ min: 1, max: 5 }), maxErrors: fc.integer({ min: 1, max: 5 }) }),
        (withHeader, pieces, enc, limits) => {
          const result = parseRoster(encode((withHeader ? header : "") + pieces.join(""), enc), limits);
          expect(RosterParseResult.safeParse(result).success).toBe(true);
          if (!result.ok) expect(result.errors.length).toBeLessThanOrEqual(limits.maxErrors + 1);
          else expect(result.rows.length).toBeLessThanOrEqual(limits.maxRows);
        },
      ),
      { numRuns: 1000 },
    );
  });

  // A valid roster: each cell written in one of its accepted spellings, columns in any order.
  const NAME_CHARS = [
    "张", "王", "李", "欧", "阳", "阿", "依", "古", "丽", "买", "提", "·", "𠮷", "𪚥", "𠀀", "😀", "A", "b", "é", "1",
    " ", "<", ">", "'", '"', ",", "\t", "\n", ";", "=", "|", "\u202E",
  ];
  const nameArb = fc
    .array(fc.constantFrom(...NAME_CHARS), { minLength: 1, maxLength: 64 })
    .map((cs) => cs.join(""))
    .filter((s) => s.trim() === s && s !== "");
  const grades = new Map<number, string[]>();
  for (const [spelling, g] of [
    ["一年级", 1], ["二年级", 2], ["三年级", 3], ["四年级", 4], ["五年级", 5], ["六年级", 6], ["初一", 7], ["初二", 8], ["初三", 9],
    ["七年级", 7], ["八年级", 8], ["九年级", 9], ["高一", 10], ["高二", 11], ["高三", 12], ["十年级", 10], ["十一年级", 11], ["十二年级", 12],
  ] as const) grades.set(g, [...(grades.get(g) ?? [String(g)]), spelling]);

  const dateArb = fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2020-12-31T00:00:00Z"), noInvalidDate: true });
  const rowArb = fc.record({
    studentNo: fc.stringMatching(/^[0-9A-Za-z]{1,12}$/),
    name: nameArb,
    gender: fc.constantFrom<["male" | "female" | null, string]>(["male", "男"], ["female", "女"], ["male", "M"], ["female", "f"], [null, ""]),
    grade: fc.integer({ min: 1, max: 12 }),
    gradeSpelling: fc.nat(),
    classNo: fc.integer({ min: 1, max: 30 }),
    classStyle: fc.constantFrom("n", "n班", "(n)班", "0n", "prefix", "实验班"),
    flags: fc.array(fc.constantFrom<[boolean, string]>([true, "是"], [false, "否"], [true, "Y"], [false, "N"], [true, "1"], [false, "0"], [false, ""]), { minLength: 9, maxLength: 9 }),
    guardianName: fc.option(nameArb, { nil: null }),
    phone: fc.option(fc.tuple(fc.integer({ min: 3, max: 9 }), fc.integer({ min: 0, max: 999_999_999 }), fc.constantFrom("plain", "spaced", "+86")), { nil: null }),
    birth: fc.option(fc.tuple(dateArb, fc.constantFrom("iso", "slash", "zh")), { nil: null }),
    consent: fc.constantFrom<["consented" | "opted_out" | "pending", string]>(["consented", "同意"], ["opted_out", "拒绝"], ["pending", ""]),
  });

  type GeneratedRow = typeof rowArb extends fc.Arbitrary<infer T> ? T : never;
  type Column = { field: RosterField; header: string; cell: (r: GeneratedRow) => string };
  const flagHeaders = ["家庭经济困难", "学习困难", "思想行为成绩重大变化", "留守或单亲", "进城务工人员子女", "家庭重大变故", "残疾", "新生", "转学生"];
  const ALL_COLUMNS = (english: boolean): Column[] => [
    { field: "studentNo", header: english ? "Student_No" : "学号", cell: (r) => r.studentNo },
    { field: "name", header: english ? "name" : "姓名", cell: (r) => r.name },
    { field: "gender", header: english ? "Gender" : "性别", cell: (r) => r.gender[1] },
    { field: "grade", header: english ? "GRADE" : "年级", cell: (r) => { const s = grades.get(r.grade)!; return s[r.gradeSpelling % s.length]!; } },
    {
      field: "class",
      header: english ? "class" : "班级",
      cell: (r) => {
        const n = String(r.classNo);
        switch (r.classStyle) {
          case "n": return n;
          case "n班": return `${n}班`;
          case "(n)班": return `(${n})班`;
          case "0n": return `0${n}`;
          case "prefix": return r.grade >= 7 && r.grade <= 9 ? `初${"一二三"[r.grade - 7]}(${n})班` : `${n}班`;
          default: return "实验班";
        }
      },
    },
    ...KEY_POPULATION_KEYS.map((key, i): Column => ({ field: key, header: english ? key.replace(/[A-Z]/g, (c) => "_" + c.toLowerCase()) : flagHeaders[i]!, cell: (r) => r.flags[i]![1] })),
    { field: "guardianName", header: english ? "guardian_name" : "监护人姓名", cell: (r) => r.guardianName ?? "" },
    {
      field: "guardianPhone",
      header: english ? "guardian_phone" : "监护人电话",
      cell: (r) => {
        if (!r.phone) return "";
        const digits = `1${r.phone[0]}${String(r.phone[1]).padStart(9, "0")}`;
        return r.phone[2] === "plain" ? digits : r.phone[2] === "spaced" ? `${digits.slice(0, 3)} ${digits.slice(3, 7)} ${digits.slice(7)}` : `+86 ${digits}`;
      },
    },
    {
      field: "birthDate",
      header: english ? "birth_date" : "出生日期",
      cell: (r) => {
        if (!r.birth) return "";
        const [d, style] = r.birth;
        const [y, m, day] = [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()];
        return style === "iso" ? d.toISOString().slice(0, 10) : style === "slash" ? `${y}/${m}/${day}` : `${y}年${m}月${day}日`;
      },
    },
    { field: "consent", header: english ? "Consent" : "同意", cell: (r) => r.consent[1] },
  ];

  function expectedRow(r: GeneratedRow, present: Set<RosterField>, line: number): ParsedRosterRow {
    const has = (f: RosterField) => present.has(f);
    const keyPopulation = { ...NO_FLAGS };
    KEY_POPULATION_KEYS.forEach((k, i) => {
      if (has(k)) keyPopulation[k] = r.flags[i]![0];
    });
    return {
      studentNo: r.studentNo,
      name: r.name,
      gender: has("gender") ? r.gender[0] : null,
      grade: r.grade,
      classLabel: r.classStyle === "实验班" ? "实验班" : String(r.classNo),
      keyPopulation,
      guardianName: has("guardianName") ? r.guardianName : null,
      guardianPhone: has("guardianPhone") && r.phone ? `1${r.phone[0]}${String(r.phone[1]).padStart(9, "0")}` : null,
      birthDate: has("birthDate") && r.birth ? r.birth[0].toISOString().slice(0, 10) : null,
      consent: has("consent") ? r.consent[0] : "pending",
      line,
    };
  }

  it("round-trips any valid roster in any encoding, delimiter, header language and column order", () => {
    const REQUIRED: RosterField[] = ["studentNo", "name", "grade", "class"];
    fc.assert(
      fc.property(
        fc.uniqueArray(rowArb, { minLength: 1, maxLength: 40, selector: (r) => r.studentNo }),
        fc.constantFrom<Encoding>("utf-8", "utf-8-bom", "gb18030", "utf-16le"),
        fc.constantFrom(",", "\t"),
        fc.constantFrom("\r\n", "\n"),
        fc.boolean(),
        fc.func(fc.integer()),
        fc.array(fc.boolean(), { minLength: 18, maxLength: 18 }),
        (rows, encoding, delimiter, eol, english, order, keepOptional) => {
          const columns = ALL_COLUMNS(english)
            .filter((c, i) => REQUIRED.includes(c.field) || keepOptional[i])
            .map((c, i) => ({ c, k: order(i) }))
            .sort((a, b) => a.k - b.k)
            .map(({ c }) => c);
          const cells = rows.map((r) => columns.map((c) => c.cell(r)));
          const bytes = encode(toDelimited([columns.map((c) => c.header), ...cells], delimiter, eol), encoding);
          // Valid UTF-8 is read as UTF-8 by rule; skip the rare GB18030 byte string that happens to be one.
          if (encoding === "gb18030") fc.pre(!isValidUtf8(bytes));

          const result = expectOk(parseRoster(bytes));
          const present = new Set(columns.map((c) => c.field));
          let line = 2;
          const expected = rows.map((r, i) => {
            const row = expectedRow(r, present, line);
            line += 1 + cells[i]!.join("").split("\n").length - 1;
            return row;
          });
          expect(result.encoding).toBe(encoding);
          expect(result.delimiter).toBe(delimiter === "," ? "comma" : "tab");
          expect(result.columns).toEqual(columns.map((c) => c.field));
          expect(result.rows).toEqual(expected);
          expect(RosterParseResult.safeParse(result).success).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}
