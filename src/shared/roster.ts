/**
 * The roster (名单) import contract shared by the server and the SPA: the fields of one student row,
 * the error values an import answers with, and the result of reading a roster file.
 *
 * The server's reader (`src/server/features/roster/parse.ts`) builds these objects directly for speed;
 * these schemas describe and validate the same shapes at the API edge and in tests.
 */
import { z } from "zod";

/** Counts Unicode code points, so a GB18030 four-byte character (a surrogate pair) counts as one. */
export function codePointLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low surrogate is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

const text = (min: number, max: number) =>
  z
    .string()
    .refine((s) => s === s.trim(), "surrounding whitespace is trimmed")
    .refine((s) => !s.includes("\u0000"), "no NUL characters (PostgreSQL text cannot store them)")
    .refine((s) => {
      const n = codePointLength(s);
      return n >= min && n <= max;
    }, `between ${min} and ${max} characters`);

/**
 * The key-population attributes (七类重点学生) of the district's screening guidance, plus 新生 (new
 * student) and 转学生 (transfer student). Keys are the API names; the values are the Chinese headers.
 */
export const KEY_POPULATION_HEADERS = {
  financialHardship: "家庭经济困难",
  learningDifficulty: "学习困难",
  majorChange: "思想行为成绩重大变化",
  leftBehindOrSingleParent: "留守或单亲",
  migrantWorkerChild: "进城务工人员子女",
  familyCrisis: "家庭重大变故",
  disability: "残疾",
  newStudent: "新生",
  transferStudent: "转学生",
} as const;
export type KeyPopulationKey = keyof typeof KEY_POPULATION_HEADERS;
export const KEY_POPULATION_KEYS = Object.keys(KEY_POPULATION_HEADERS) as KeyPopulationKey[];

/** Every key-population flag; `false` when the cell is empty, 否/N/0, or the column is absent. */
export const KeyPopulation = z.strictObject({
  financialHardship: z.boolean(),
  learningDifficulty: z.boolean(),
  majorChange: z.boolean(),
  leftBehindOrSingleParent: z.boolean(),
  migrantWorkerChild: z.boolean(),
  familyCrisis: z.boolean(),
  disability: z.boolean(),
  newStudent: z.boolean(),
  transferStudent: z.boolean(),
});
export type KeyPopulation = z.infer<typeof KeyPopulation>;

export const Consent = z.enum(["consented", "opted_out", "pending"]);
export type Consent = z.infer<typeof Consent>;

/**
 * One student of a roster after normalisation. Optional columns that are absent or empty are `null`
 * (consent: "pending"; key-population flags: false); `RosterParseOk.columns` says which were present.
 */
export const RosterRow = z.strictObject({
  /** 学号: unique within the file, 1-32 characters, kept as text (leading zeros matter). */
  studentNo: text(1, 32),
  /** 姓名: kept verbatim apart from trimming (rare CJK, 阿依古丽·买买提, even hostile-looking text). */
  name: text(1, 64),
  gender: z.enum(["male", "female"]).nullable(),
  /** 年级 1-12: 1-6 primary (一年级…六年级), 7-9 junior (初一…初三), 10-12 senior (高一…高三). */
  grade: z.number().int().min(1).max(12),
  /**
   * 班级 within the grade: a class number as plain decimal ("3" from "3班", "03", "(3)班", "初二(3)班",
   * "三班"), otherwise the cell's text with any grade prefix removed ("实验班").
   */
  classLabel: text(1, 32),
  keyPopulation: KeyPopulation,
  guardianName: text(1, 64).nullable(),
  /** Mobile "13812345678" or landline "010-12345678" / "0755-1234567". */
  guardianPhone: z
    .string()
    .regex(/^(?:1[3-9]\d{9}|0(?:[12]\d|[3-9]\d{2})-[2-9]\d{6,7})$/)
    .nullable(),
  /** ISO date YYYY-MM-DD. */
  birthDate: z.iso.date().nullable(),
  consent: Consent,
});
export type RosterRow = z.infer<typeof RosterRow>;

/** A row as the reader returns it: with the physical line of the file it came from (header = line 1). */
export const ParsedRosterRow = RosterRow.extend({ line: z.number().int().min(2) });
export type ParsedRosterRow = z.infer<typeof ParsedRosterRow>;

/** The roster fields a column can map to. */
export const ROSTER_FIELDS = [
  "studentNo",
  "name",
  "gender",
  "grade",
  "class",
  ...KEY_POPULATION_KEYS,
  "guardianName",
  "guardianPhone",
  "birthDate",
  "consent",
] as const;
export type RosterField = (typeof ROSTER_FIELDS)[number];

/** Stable machine codes of roster problems; the SPA may translate by code (see ROSTER_ERROR_TEXT). */
export const RosterErrorCode = z.enum([
  // whole file
  "empty_file",
  "no_rows",
  "too_large",
  "too_many_rows",
  "too_many_errors",
  "bad_encoding",
  "bad_quote",
  // header
  "unknown_column",
  "missing_column",
  "duplicate_column",
  // row shape
  "too_many_fields",
  "too_few_fields",
  // cells
  "missing_required",
  "too_long",
  "nul_character",
  "scientific_notation",
  "duplicate_student_no",
  "bad_gender",
  "unknown_grade",
  "bad_class",
  "class_grade_mismatch",
  "bad_flag",
  "bad_phone",
  "bad_date",
  "bad_consent",
]);
export type RosterErrorCode = z.infer<typeof RosterErrorCode>;

/** Short bilingual descriptions of each code, for UIs that show the code next to `message`. */
export const ROSTER_ERROR_TEXT: Record<RosterErrorCode, { "zh-CN": string; en: string }> = {
  empty_file: { "zh-CN": "文件为空", en: "The file is empty" },
  no_rows: { "zh-CN": "只有表头，没有学生", en: "Header only, no students" },
  too_large: { "zh-CN": "文件过大", en: "File too large" },
  too_many_rows: { "zh-CN": "行数过多", en: "Too many rows" },
  too_many_errors: { "zh-CN": "错误过多，仅列出前面的错误", en: "Too many errors; only the first are listed" },
  bad_encoding: { "zh-CN": "无法识别的字符编码", en: "Characters that cannot be decoded" },
  bad_quote: { "zh-CN": "引号不配对", en: "Unbalanced quotes" },
  unknown_column: { "zh-CN": "无法识别的列名", en: "Unknown column" },
  missing_column: { "zh-CN": "缺少必需的列", en: "Required column missing" },
  duplicate_column: { "zh-CN": "列名重复", en: "Duplicate column" },
  too_many_fields: { "zh-CN": "该行的格子比表头多", en: "More fields than the header" },
  too_few_fields: { "zh-CN": "该行的格子比表头少", en: "Fewer fields than the header" },
  missing_required: { "zh-CN": "必填项为空", en: "Required value missing" },
  too_long: { "zh-CN": "内容过长", en: "Value too long" },
  nul_character: { "zh-CN": "包含空字符（NUL）", en: "Contains a NUL character" },
  scientific_notation: {
    "zh-CN": "被 Excel 转成了科学计数法，请把该列设为文本后重新导出",
    en: "Excel turned the value into scientific notation; format the column as text and export again",
  },
  duplicate_student_no: { "zh-CN": "学号重复", en: "Duplicate student number" },
  bad_gender: { "zh-CN": "性别无法识别", en: "Unknown gender" },
  unknown_grade: { "zh-CN": "年级无法识别", en: "Unknown grade" },
  bad_class: { "zh-CN": "班级无法识别", en: "Unknown class" },
  class_grade_mismatch: { "zh-CN": "班级中的年级与年级列不一致", en: "The class names another grade than the grade column" },
  bad_flag: { "zh-CN": "应填 是/否", en: "Expected yes/no" },
  bad_phone: { "zh-CN": "电话号码无效", en: "Invalid phone number" },
  bad_date: { "zh-CN": "日期无效", en: "Invalid date" },
  bad_consent: { "zh-CN": "知情同意应填 同意/拒绝/空", en: "Consent must be 同意 (consented), 拒绝 (opted out) or empty" },
};

/**
 * One problem of a roster file. `line` is the 1-based physical line (header = 1; a quoted cell spanning
 * lines is counted correctly), `null` for whole-file problems. `column` is the header as written in the
 * file, `null` for whole-row and whole-file problems (and for a missing column, named in `message`).
 */
export const RosterError = z.strictObject({
  line: z.number().int().min(1).nullable(),
  column: z.string().nullable(),
  code: RosterErrorCode,
  message: z.string(),
});
export type RosterError = z.infer<typeof RosterError>;

export const RosterEncoding = z.enum(["utf-8", "utf-8-bom", "gb18030", "utf-16le"]);
export type RosterEncoding = z.infer<typeof RosterEncoding>;

export const RosterDelimiter = z.enum(["comma", "tab"]);
export type RosterDelimiter = z.infer<typeof RosterDelimiter>;

export const RosterParseOk = z.strictObject({
  ok: z.literal(true),
  encoding: RosterEncoding,
  delimiter: RosterDelimiter,
  /** The fields whose columns the file has, in file order. */
  columns: z.array(z.enum(ROSTER_FIELDS)),
  rows: z.array(ParsedRosterRow),
});
export type RosterParseOk = z.infer<typeof RosterParseOk>;

export const RosterParseFailed = z.strictObject({
  ok: z.literal(false),
  encoding: RosterEncoding.optional(),
  errors: z.array(RosterError).min(1),
});
export type RosterParseFailed = z.infer<typeof RosterParseFailed>;

export const RosterParseResult = z.discriminatedUnion("ok", [RosterParseOk, RosterParseFailed]);
export type RosterParseResult = z.infer<typeof RosterParseResult>;

// ───────────────────────────── the import (POST /api/schools/:id/roster) ─────────────────────────────

/** `?dryRun=true` validates and reports what the import would do, writing nothing. */
export const RosterImportQuery = z.strictObject({ dryRun: z.enum(["true", "false"]).optional() });
export type RosterImportQuery = z.infer<typeof RosterImportQuery>;

/** The consent column's values, counted; written to the consents of the school's open waves, if any. */
export const RosterConsentSummary = z.strictObject({
  consented: z.number().int().min(0),
  optedOut: z.number().int().min(0),
  /** Empty cells and 待定: never overwrite a consent already recorded. */
  pending: z.number().int().min(0),
  /** The open waves whose consents were (or, in a dry run, would be) written; empty when none is open. */
  waveIds: z.array(z.string()),
  /** Consent rows inserted or changed (0 in a dry run). */
  written: z.number().int().min(0),
  /** Active access codes of opted-out students revoked (0 in a dry run). */
  codesRevoked: z.number().int().min(0),
});
export type RosterConsentSummary = z.infer<typeof RosterConsentSummary>;

/**
 * What an import did (or, with `dryRun`, would do). Counts are of students: `created` are new student
 * numbers, `updated` known students whose data changed, `unchanged` known students with nothing new,
 * `rejoined` students marked left (or graduated) who are on the roster again, `left` enrolled students
 * missing from the roster (marked left, never deleted).
 */
export const RosterImportSummary = z.strictObject({
  dryRun: z.boolean(),
  encoding: RosterEncoding,
  delimiter: RosterDelimiter,
  /** Student rows read from the file. */
  rows: z.number().int().min(0),
  created: z.number().int().min(0),
  updated: z.number().int().min(0),
  unchanged: z.number().int().min(0),
  rejoined: z.number().int().min(0),
  left: z.number().int().min(0),
  classesCreated: z.number().int().min(0),
  /** null when the file has no consent column. */
  consent: RosterConsentSummary.nullable(),
});
export type RosterImportSummary = z.infer<typeof RosterImportSummary>;
