/**
 * Reading a roster (名单) file: bytes → decoded text → cells (papaparse, arrays) → validated rows.
 *
 * Pure: no I/O, no database. The import is all-or-nothing, so this answers either every row, normalised,
 * or every problem it found with its physical line, column and a short Chinese message; it never throws.
 *
 * Rules the task left open, decided here (see also the JSDoc of each export):
 * - Encoding: UTF-16LE with BOM; UTF-8 with or without BOM; otherwise GB18030 (iconv-lite). A file that
 *   is almost valid UTF-8 (at least 4 valid multi-byte sequences per invalid byte) is read as UTF-8 with
 *   the broken cells reported, so one pasted GBK cell does not turn every name into mojibake.
 *   U+FFFD (the replacement character) in a cell is always a `bad_encoding` error.
 * - Line breaks: CRLF, LF and lone CR each end one physical line; inside quoted cells CRLF and CR become LF.
 * - Blank rows (every cell empty after trimming), anywhere in the file, are skipped; lines stay counted.
 * - Trailing empty header cells and empty trailing cells (Excel's ",,,") are ignored.
 * - Required columns: 学号, 姓名, 年级, 班级. 性别 and all others are optional (empty → null / false / pending).
 * - A row with the wrong number of cells gets one `too_many_fields`/`too_few_fields` error and its cells
 *   are not checked further (they are probably shifted).
 * - Rows are built only while the file has no error (nothing is imported otherwise); each row's
 *   `keyPopulation` is a frozen object shared with every row that has the same flags.
 */
import iconv from "iconv-lite";
import Papa from "papaparse";
import {
  KEY_POPULATION_HEADERS,
  KEY_POPULATION_KEYS,
  codePointLength,
  type Consent,
  type KeyPopulation,
  type ParsedRosterRow,
  type RosterDelimiter,
  type RosterEncoding,
  type RosterError,
  type RosterErrorCode,
  type RosterField,
  type RosterParseResult,
} from "../../../shared/roster";

/** Default limits: 20 MB, 100,000 student rows, 1,000 errors listed. */
export const ROSTER_LIMITS = { maxBytes: 20 * 1024 * 1024, maxRows: 100_000, maxErrors: 1_000 } as const;

export interface RosterParseOptions {
  /** Files larger than this many bytes are rejected before decoding (`too_large`). */
  maxBytes?: number;
  /** More non-blank data rows than this are rejected (`too_many_rows`) without reading the rest. */
  maxRows?: number;
  /** At most this many errors are listed, then one `too_many_errors`. */
  maxErrors?: number;
}

// ───────────────────────────── decoding ─────────────────────────────

export interface DecodedRoster {
  encoding: RosterEncoding;
  text: string;
}

const utf8Fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8Lossy = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
const utf16leFatal = new TextDecoder("utf-16le", { fatal: true, ignoreBOM: true });

/**
 * Decodes roster bytes: UTF-16LE with BOM (Excel "Unicode text"), UTF-8 with BOM, valid UTF-8, nearly
 * valid UTF-8 (lossy), else GB18030. Returns null when a UTF-16LE file is not valid UTF-16.
 */
export function decodeRoster(bytes: Uint8Array): DecodedRoster | null {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    try {
      return { encoding: "utf-16le", text: utf16leFatal.decode(bytes.subarray(2)) };
    } catch {
      return null;
    }
  }
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { encoding: "utf-8-bom", text: utf8Lossy.decode(bytes.subarray(3)) };
  }
  try {
    return { encoding: "utf-8", text: utf8Fatal.decode(bytes) };
  } catch {
    if (isMostlyUtf8(bytes)) return { encoding: "utf-8", text: utf8Lossy.decode(bytes) };
    return { encoding: "gb18030", text: iconv.decode(bytes, "gb18030") };
  }
}

/**
 * True when valid UTF-8 multi-byte sequences outnumber invalid bytes at least 4 to 1. GB18030 Chinese
 * text gives the opposite ratio (measured: at most 2 to 1 for 5 random common characters, under 1 to 1
 * from 20 characters on), so the scan stops as soon as 256 invalid bytes are seen.
 */
function isMostlyUtf8(bytes: Uint8Array): boolean {
  let valid = 0;
  let invalid = 0;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const need = b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : 0;
    let ok = need > 0 && i + need < n;
    for (let k = 1; ok && k <= need; k++) ok = (bytes[i + k]! & 0xc0) === 0x80;
    if (ok) {
      valid++;
      i += need + 1;
    } else {
      invalid++;
      i++;
      if (invalid > 256) return false;
    }
  }
  return valid >= 4 * invalid;
}

// ───────────────────────────── header ─────────────────────────────

const HEADER_NOISE = /[\s_\-*]+/g;

/** Header spellings (after normalisation: NFKC, lower case, no spaces, `_`, `-` or `*`) → field. */
const HEADER_ALIASES: ReadonlyMap<string, RosterField> = (() => {
  const m = new Map<string, RosterField>();
  const add = (field: RosterField, ...names: string[]) => {
    for (const n of names) m.set(normalizeHeader(n), field);
  };
  add("studentNo", "学号", "student_no");
  add("name", "姓名", "name");
  add("gender", "性别", "gender", "sex");
  add("grade", "年级", "grade");
  add("class", "班级", "class");
  for (const key of KEY_POPULATION_KEYS) add(key, KEY_POPULATION_HEADERS[key], key);
  add("leftBehindOrSingleParent", "留守/单亲");
  add("guardianName", "监护人姓名", "guardian_name", "家长姓名");
  add("guardianPhone", "监护人电话", "guardian_phone", "家长电话", "监护人手机", "家长手机");
  add("birthDate", "出生日期", "birth_date", "date_of_birth");
  add("consent", "同意", "consent", "知情同意");
  return m;
})();

/** The header spellings the reader accepts, for documentation and the SPA's import help. */
export const ROSTER_HEADER_ALIASES: ReadonlyMap<string, RosterField> = HEADER_ALIASES;

function normalizeHeader(h: string): string {
  return h.normalize("NFKC").toLowerCase().replace(HEADER_NOISE, "");
}

const REQUIRED: readonly RosterField[] = ["studentNo", "name", "grade", "class"];
const HEADER_ZH: Record<RosterField, string> = {
  studentNo: "学号",
  name: "姓名",
  gender: "性别",
  grade: "年级",
  class: "班级",
  ...KEY_POPULATION_HEADERS,
  guardianName: "监护人姓名",
  guardianPhone: "监护人电话",
  birthDate: "出生日期",
  consent: "同意",
};

// ───────────────────────────── cell readers ─────────────────────────────

const ZH_DIGITS = "一二三四五六七八九";

/** Chinese numerals 1-99 (一, 十二, 二十三) → number. */
const ZH_NUMBERS: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (let n = 1; n <= 99; n++) {
    const tens = Math.floor(n / 10);
    const ones = n % 10;
    const onesZh = ones ? ZH_DIGITS[ones - 1]! : "";
    m.set(tens === 0 ? onesZh : (tens === 1 ? "" : ZH_DIGITS[tens - 1]!) + "十" + onesZh, n);
  }
  return m;
})();

const WHITESPACE = /\s+/g;

/** Every grade spelling this reader accepts → grade 1-12. */
const GRADES: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  const stages = ["小学", "初中", "高中"];
  for (let g = 1; g <= 12; g++) {
    const zh = [...ZH_NUMBERS].find(([, n]) => n === g)![0];
    for (const s of [String(g), String(g).padStart(2, "0"), zh]) {
      m.set(s, g);
      m.set(s + "年级", g);
    }
    m.set(`grade${g}`, g);
    // 初中一年级 = 7, 高中三年级 = 12, 小学六年级 = 6
    const stage = g <= 6 ? 0 : g <= 9 ? 1 : 2;
    const within = g <= 6 ? g : g <= 9 ? g - 6 : g - 9;
    m.set(`${stages[stage]}${ZH_DIGITS[within - 1]}年级`, g);
  }
  for (let k = 1; k <= 3; k++) {
    for (const d of [String(k), ZH_DIGITS[k - 1]!]) {
      m.set("初" + d, 6 + k);
      m.set("高" + d, 9 + k);
    }
  }
  return m;
})();

/**
 * Reads a grade: 1-12 as digits ("7", "07", "7年级"), 一年级…十二年级, 初一/初二/初三 (7-9),
 * 高一/高二/高三 (10-12), 小学/初中/高中 + N年级, "Grade 7", full-width digits. 0 when unknown.
 */
export function parseGrade(cell: string): number {
  return GRADES.get(cell) ?? GRADES.get(cell.normalize("NFKC").toLowerCase().replace(WHITESPACE, "")) ?? 0;
}

export type ClassReading = { ok: true; label: string; grade: number } | { ok: false };

/**
 * Reads a class cell into a label within the grade. Rule: an optional grade prefix (初二, 高一,
 * 七年级, 初中二年级 …) is removed and returned as `grade` (0 when absent); of the rest, a trailing 班
 * and wrapping brackets are dropped, and if what remains is a number (digits, full-width digits or
 * 一…九十九) the label is that number in plain decimal ("初二(3)班", "3班", "03", "三班" → "3").
 * Otherwise the label is the rest as written ("实验班", "国际A班"). Class 0 and an empty rest are errors.
 */
export function parseClassLabel(cell: string): ClassReading {
  let rest = cell;
  let grade = 0;
  const c0 = cell.charCodeAt(0);
  if (c0 === 0x521d /* 初 */ || c0 === 0x9ad8 /* 高 */) {
    // 初二(3)班, 高一3班, 初中二年级3班
    const yearIdx = cell.indexOf("年级");
    const prefix = yearIdx > 0 && yearIdx <= 4 ? cell.slice(0, yearIdx + 2) : cell.slice(0, 2);
    const g = GRADES.get(prefix);
    if (g !== undefined) {
      grade = g;
      rest = cell.slice(prefix.length);
    }
  } else {
    const yearIdx = cell.indexOf("年级");
    if (yearIdx > 0 && yearIdx <= 4) {
      const g = GRADES.get(cell.slice(0, yearIdx + 2));
      if (g !== undefined) {
        grade = g;
        rest = cell.slice(yearIdx + 2);
      }
    }
  }
  rest = rest.trim();
  let core = rest.endsWith("班") ? rest.slice(0, -1).trim() : rest;
  const first = core.charCodeAt(0);
  const last = core.charCodeAt(core.length - 1);
  if ((first === 0x28 || first === 0xff08) && (last === 0x29 || last === 0xff09)) core = core.slice(1, -1).trim();
  if (core === "") return { ok: false };
  const n = readSmallNumber(core);
  if (n === 0) return { ok: false };
  if (n > 0) return { ok: true, label: n < NUMBER_LABELS.length ? NUMBER_LABELS[n]! : String(n), grade };
  return { ok: true, label: rest, grade };
}

/** "0".."99", shared so 100,000 rows do not allocate 100,000 copies of "3". */
const NUMBER_LABELS = Array.from({ length: 100 }, (_, i) => String(i));

/** Digits (ASCII or full-width, ≤ 4) or a Chinese numeral → its value; -1 when not a number. */
function readSmallNumber(s: string): number {
  if (s.length <= 4) {
    let n = 0;
    let i = 0;
    for (; i < s.length; i++) {
      let c = s.charCodeAt(i);
      if (c >= 0xff10 && c <= 0xff19) c -= 0xff10 - 0x30;
      if (c < 0x30 || c > 0x39) break;
      n = n * 10 + (c - 0x30);
    }
    if (i === s.length) return n;
  }
  return ZH_NUMBERS.get(s) ?? -1;
}

const GENDERS: ReadonlyMap<string, "male" | "female"> = new Map([
  ["男", "male"],
  ["女", "female"],
  ["男生", "male"],
  ["女生", "female"],
  ["m", "male"],
  ["f", "female"],
  ["male", "male"],
  ["female", "female"],
]);

const FLAGS: ReadonlyMap<string, boolean> = new Map([
  ["是", true],
  ["否", false],
  ["y", true],
  ["n", false],
  ["yes", true],
  ["no", false],
  ["1", true],
  ["0", false],
  ["true", true],
  ["false", false],
  ["√", true],
  ["×", false],
]);

const CONSENTS: ReadonlyMap<string, Consent> = new Map([
  ["同意", "consented"],
  ["consented", "consented"],
  ["拒绝", "opted_out"],
  ["不同意", "opted_out"],
  ["opted-out", "opted_out"],
  ["opted_out", "opted_out"],
  ["待定", "pending"],
  ["pending", "pending"],
]);

/**
 * The 512 possible key-population objects, frozen and shared between rows (bit i = KEY_POPULATION_KEYS[i]),
 * so 100,000 rows allocate no flag objects.
 */
const KEY_POPULATIONS: readonly KeyPopulation[] = Array.from({ length: 1 << KEY_POPULATION_KEYS.length }, (_, bits) =>
  Object.freeze(Object.fromEntries(KEY_POPULATION_KEYS.map((k, i) => [k, (bits & (1 << i)) !== 0])) as KeyPopulation),
);

function lookup<T>(map: ReadonlyMap<string, T>, cell: string): T | undefined {
  return map.get(cell) ?? map.get(cell.toLowerCase());
}

/** 是/否 and the other one-character spellings without hashing (they are 1M cells in 100,000 rows). */
function readFlag(cell: string): boolean | undefined {
  if (cell.length === 1) {
    switch (cell.charCodeAt(0)) {
      case 0x5426: // 否
      case 0x30: // 0
      case 0x4e: // N
      case 0x6e: // n
      case 0xd7: // ×
        return false;
      case 0x662f: // 是
      case 0x31: // 1
      case 0x59: // Y
      case 0x79: // y
      case 0x221a: // √
        return true;
    }
  }
  return lookup(FLAGS, cell);
}

function readGender(cell: string): "male" | "female" | undefined {
  if (cell === "男") return "male";
  if (cell === "女") return "female";
  return lookup(GENDERS, cell);
}

/**
 * Normalises a guardian phone number, or returns null. Mainland mobile: 11 digits starting 1[3-9]
 * → "13812345678". Landline with area code: 0 + 2-digit (010, 02x) or 3-digit area code and a 7-8 digit
 * number not starting 0/1 → "010-12345678". Spaces, hyphens, brackets and a +86/0086 prefix are allowed.
 */
export function normalizePhone(cell: string): string | null {
  if (cell.length === 11 && isMobile(cell)) return cell; // the common case, without a copy
  let digits = "";
  for (let i = 0; i < cell.length; i++) {
    const c = cell.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digits += cell[i];
    else if (c >= 0xff10 && c <= 0xff19) digits += String.fromCharCode(c - 0xff10 + 0x30);
    else if (c === 0x20 || c === 0x2d || c === 0x28 || c === 0x29 || c === 0x3000 || c === 0xff08 || c === 0xff09 || c === 0xff0d) continue;
    else if (c === 0x2b /* + */ && i === 0) continue;
    else return null;
  }
  let international = false;
  if (cell.startsWith("+86") || digits.startsWith("0086")) {
    digits = digits.slice(cell.startsWith("+86") ? 2 : 4);
    international = true;
  } else if (digits.length === 13 && digits.startsWith("861")) {
    digits = digits.slice(2);
    international = true;
  }
  if (digits.length === 11 && isMobile(digits)) return digits;
  if (international && !digits.startsWith("0")) digits = "0" + digits;
  if (!digits.startsWith("0")) return null;
  const area = digits[1] === "1" || digits[1] === "2" ? 3 : 4;
  const local = digits.slice(area);
  if ((local.length !== 7 && local.length !== 8) || local[0] === "0" || local[0] === "1") return null;
  if (area === 3 && digits[1] === "1" && digits[2] !== "0") return null; // 010 is the only 01x area code
  return digits.slice(0, area) + "-" + local;
}

/** 11 ASCII digits starting 1[3-9]. */
function isMobile(s: string): boolean {
  if (s.charCodeAt(0) !== 0x31) return false;
  const second = s.charCodeAt(1);
  if (second < 0x33 || second > 0x39) return false;
  for (let i = 2; i < 11; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

const DATE_SEPARATED = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:\s+0?0:00(?::00)?)?$/;
const DATE_ZH = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/;

/** Reads YYYY-MM-DD, YYYY/M/D, YYYY.M.D or YYYY年M月D日 (a real calendar day, 1900-2100) → "YYYY-MM-DD". */
export function parseBirthDate(cell: string): string | null {
  // Already YYYY-MM-DD: validate in place and return the cell itself.
  if (cell.length === 10 && cell.charCodeAt(4) === 0x2d && cell.charCodeAt(7) === 0x2d) {
    const year = digitsAt(cell, 0, 4);
    const month = digitsAt(cell, 5, 2);
    const day = digitsAt(cell, 8, 2);
    if (year >= 0 && month >= 0 && day >= 0) return isCalendarDay(year, month, day) ? cell : null;
  }
  let y: string;
  let mo: string;
  let d: string;
  const a = DATE_SEPARATED.exec(cell);
  if (a) [y, mo, d] = [a[1]!, a[3]!, a[4]!];
  else {
    const b = DATE_ZH.exec(cell);
    if (!b) return null;
    [y, mo, d] = [b[1]!, b[2]!, b[3]!];
  }
  const month = Number(mo);
  const day = Number(d);
  if (!isCalendarDay(Number(y), month, day)) return null;
  return `${y}-${month < 10 ? "0" : ""}${month}-${day < 10 ? "0" : ""}${day}`;
}

/** The number written by `length` ASCII digits at `from`, or -1. */
function digitsAt(s: string, from: number, length: number): number {
  let n = 0;
  for (let i = from; i < from + length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    n = n * 10 + (c - 0x30);
  }
  return n;
}

function isCalendarDay(year: number, month: number, day: number): boolean {
  if (year < 1900 || year > 2100 || month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
  return day <= days;
}

const SCIENTIFIC = /^\d+(?:\.\d+)?[eE]\+\d+$/;

function isScientific(cell: string): boolean {
  return (cell.includes("E+") || cell.includes("e+")) && SCIENTIFIC.test(cell);
}

// ───────────────────────────── the reader ─────────────────────────────

function show(value: string): string {
  return `“${value.length > 40 ? value.slice(0, 40) + "…" : value}”`;
}

function fail(encoding: RosterEncoding | undefined, line: number | null, code: RosterErrorCode, message: string): RosterParseResult {
  const error: RosterError = { line, column: null, code, message };
  return encoding === undefined ? { ok: false, errors: [error] } : { ok: false, encoding, errors: [error] };
}

function isBlankRow(row: readonly string[]): boolean {
  for (let c = 0; c < row.length; c++) if (row[c]!.trim() !== "") return false;
  return true;
}

/** Tab when the first line with content has more tabs than commas, else comma. */
function detectDelimiter(text: string): RosterDelimiter {
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf("\n", start);
    const end = nl < 0 ? text.length : nl;
    let tabs = 0;
    let commas = 0;
    let content = false;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x09) tabs++;
      else if (c === 0x2c) commas++;
      else if (c !== 0x20 && c !== 0x3000) content = true;
    }
    if (content) return tabs > commas ? "tab" : "comma";
    start = end + 1;
  }
  return "comma";
}

/**
 * Reads a roster file. Never throws: every problem comes back as a `RosterError` with its line and
 * column, at most `maxErrors` of them plus one `too_many_errors`.
 *
 * Rows are validated as papaparse produces them (its `step` callback), so a file with too many rows or
 * too many errors is abandoned where that becomes certain, and papaparse's row arrays die young.
 */
export function parseRoster(bytes: Uint8Array, options: RosterParseOptions = {}): RosterParseResult {
  const maxBytes = options.maxBytes ?? ROSTER_LIMITS.maxBytes;
  const maxRows = options.maxRows ?? ROSTER_LIMITS.maxRows;
  const maxErrors = Math.max(1, options.maxErrors ?? ROSTER_LIMITS.maxErrors);

  if (bytes.length > maxBytes) {
    return fail(undefined, null, "too_large", `文件过大：${bytes.length} 字节，上限 ${maxBytes} 字节`);
  }
  const decoded = decodeRoster(bytes);
  if (decoded === null) return fail("utf-16le", null, "bad_encoding", "文件以 UTF-16 标记开头，但内容不是有效的 UTF-16");
  const { encoding } = decoded;
  let text = decoded.text;
  // One line-break convention for papaparse; CRLF and CR inside quoted cells become LF too.
  if (text.includes("\r")) text = text.replace(/\r\n?/g, "\n");
  if (text.trim() === "") return fail(encoding, null, "empty_file", "文件为空");
  const delimiter = detectDelimiter(text);

  // Cheap whole-text checks decide which per-cell checks are needed at all.
  const hasQuotes = text.includes('"');
  const hasNul = text.includes("\u0000");
  const hasReplacement = text.includes("\uFFFD");

  const errors: RosterError[] = [];
  let errorsFull = false;
  const push = (line: number | null, column: string | null, code: RosterErrorCode, message: string) => {
    if (errorsFull) return;
    if (errors.length >= maxErrors) {
      errors.push({ line, column: null, code: "too_many_errors", message: `错误超过 ${maxErrors} 条，其余未列出` });
      errorsFull = true;
      return;
    }
    errors.push({ line, column, code, message });
  };

  // ── header state, set when the first non-blank row arrives ──
  let headerRead = false;
  let width = 0;
  const headers: string[] = [];
  const fieldAt: (RosterField | null)[] = [];
  let cStudentNo = -1;
  let cName = -1;
  let cGender = -1;
  let cGrade = -1;
  let cClass = -1;
  let cGuardianName = -1;
  let cGuardianPhone = -1;
  let cBirthDate = -1;
  let cConsent = -1;
  /** Columns of the key-population flags, and each one's bit in KEY_POPULATIONS. */
  const flagCols: number[] = [];
  const flagBit: number[] = [];

  const readHeader = (headerRow: readonly string[], headerLine: number) => {
    width = headerRow.length;
    while (width > 1 && headerRow[width - 1]!.trim() === "") width--;
    const colOf = new Map<RosterField, number>();
    for (let c = 0; c < width; c++) {
      const raw = headerRow[c]!.trim();
      headers.push(raw);
      fieldAt.push(null);
      const field = HEADER_ALIASES.get(normalizeHeader(raw)) ?? null;
      if (raw === "") {
        push(headerLine, raw, "unknown_column", `第 ${c + 1} 列没有列名`);
      } else if (field === null) {
        if (raw.includes("\uFFFD")) push(headerLine, raw, "bad_encoding", `列名含无法识别的字符：${show(raw)}`);
        else push(headerLine, raw, "unknown_column", `无法识别的列名：${show(raw)}`);
      } else if (colOf.has(field)) {
        push(headerLine, raw, "duplicate_column", `列名重复：${show(raw)}（与第 ${colOf.get(field)! + 1} 列相同）`);
      } else {
        colOf.set(field, c);
        fieldAt[c] = field;
      }
    }
    for (const f of REQUIRED) {
      if (!colOf.has(f)) push(headerLine, null, "missing_column", `缺少必需的列：${HEADER_ZH[f]}`);
    }
    const col = (f: RosterField) => colOf.get(f) ?? -1;
    cStudentNo = col("studentNo");
    cName = col("name");
    cGender = col("gender");
    cGrade = col("grade");
    cClass = col("class");
    cGuardianName = col("guardianName");
    cGuardianPhone = col("guardianPhone");
    cBirthDate = col("birthDate");
    cConsent = col("consent");
    KEY_POPULATION_KEYS.forEach((k, bit) => {
      if (colOf.has(k)) {
        flagCols.push(colOf.get(k)!);
        flagBit.push(1 << bit);
      }
    });
  };

  // ── per-row state shared by the cell helpers (declared once, not per row) ──
  const rowsOut: ParsedRosterRow[] = [];
  const seen = new Map<string, number>();
  let dataRows = 0;
  let row: string[] = [];
  let rowLine = 0;
  let rowOk: boolean;
  /** Trimmed cell, or null after reporting NUL / undecodable characters. */
  const cell = (c: number): string | null => {
    const v = row[c]!.trim();
    if (hasNul && v.includes("\u0000")) {
      push(rowLine, headers[c]!, "nul_character", `含空字符（NUL）：${show(v.replaceAll("\u0000", "\\0"))}`);
      rowOk = false;
      return null;
    }
    if (hasReplacement && v.includes("\uFFFD")) {
      push(rowLine, headers[c]!, "bad_encoding", `含无法识别的字符，请检查文件编码：${show(v)}`);
      rowOk = false;
      return null;
    }
    return v;
  };
  const bad = (c: number, code: RosterErrorCode, message: string) => {
    push(rowLine, headers[c]!, code, message);
    rowOk = false;
  };
  const required = (c: number, label: string, max: number): string => {
    if (c < 0) {
      rowOk = false;
      return "";
    }
    const v = cell(c);
    if (v === null) return "";
    if (v === "") bad(c, "missing_required", `${label}为空`);
    else if (v.length > max && codePointLength(v) > max) bad(c, "too_long", `${label}超过 ${max} 个字：${show(v)}`);
    return v;
  };

  const validateRow = () => {
    rowOk = true;
    if (row.length < width) {
      push(rowLine, null, "too_few_fields", `该行有 ${row.length} 格，表头有 ${width} 列`);
      return;
    }
    for (let c = width; c < row.length; c++) {
      if (row[c]!.trim() !== "") {
        push(rowLine, null, "too_many_fields", `该行有 ${row.length} 格，表头只有 ${width} 列`);
        return;
      }
    }

    const studentNo = required(cStudentNo, "学号", 32);
    if (studentNo !== "" && rowOk) {
      if (isScientific(studentNo)) {
        bad(cStudentNo, "scientific_notation", `学号被 Excel 转成了科学计数法：${show(studentNo)}，请把该列设为文本后重新导出`);
      } else {
        const firstLine = seen.get(studentNo);
        if (firstLine !== undefined) {
          bad(cStudentNo, "duplicate_student_no", `学号重复：${show(studentNo)}（第 ${firstLine} 行已有）`);
        } else seen.set(studentNo, rowLine);
      }
    }
    const name = required(cName, "姓名", 64);

    let gender: "male" | "female" | null = null;
    if (cGender >= 0) {
      const v = cell(cGender);
      if (v !== null && v !== "") {
        const g = readGender(v);
        if (g === undefined) bad(cGender, "bad_gender", `性别应为 男/女：${show(v)}`);
        else gender = g;
      }
    }

    let grade = 0;
    if (cGrade >= 0) {
      const v = cell(cGrade);
      if (v === "") bad(cGrade, "missing_required", "年级为空");
      else if (v !== null) {
        grade = parseGrade(v);
        if (grade === 0) bad(cGrade, "unknown_grade", `年级无法识别：${show(v)}`);
      }
    } else rowOk = false;

    let classLabel = "";
    if (cClass >= 0) {
      const v = cell(cClass);
      if (v === "") bad(cClass, "missing_required", "班级为空");
      else if (v !== null) {
        const k = parseClassLabel(v);
        if (!k.ok) bad(cClass, "bad_class", `班级无法识别：${show(v)}`);
        else if (k.label.length > 32 && codePointLength(k.label) > 32) bad(cClass, "too_long", `班级超过 32 个字：${show(v)}`);
        else if (k.grade !== 0 && grade !== 0 && k.grade !== grade) {
          bad(cClass, "class_grade_mismatch", `班级${show(v)}属于 ${k.grade} 年级，但年级列是 ${grade} 年级`);
        } else classLabel = k.label;
      }
    } else rowOk = false;

    let flagBits = 0;
    for (let i = 0; i < flagCols.length; i++) {
      const c = flagCols[i]!;
      const v = cell(c);
      if (v === null || v === "") continue;
      const f = readFlag(v);
      if (f === undefined) bad(c, "bad_flag", `应填 是/否：${show(v)}`);
      else if (f) flagBits |= flagBit[i]!;
    }

    let guardianName: string | null = null;
    if (cGuardianName >= 0) {
      const v = cell(cGuardianName);
      if (v !== null && v !== "") {
        if (v.length > 64 && codePointLength(v) > 64) bad(cGuardianName, "too_long", `监护人姓名超过 64 个字：${show(v)}`);
        else guardianName = v;
      }
    }

    let guardianPhone: string | null = null;
    if (cGuardianPhone >= 0) {
      const v = cell(cGuardianPhone);
      if (v !== null && v !== "") {
        guardianPhone = normalizePhone(v);
        if (guardianPhone === null) {
          if (isScientific(v)) bad(cGuardianPhone, "scientific_notation", `电话被 Excel 转成了科学计数法：${show(v)}`);
          else bad(cGuardianPhone, "bad_phone", `电话应为 11 位手机号或带区号的座机：${show(v)}`);
        }
      }
    }

    let birthDate: string | null = null;
    if (cBirthDate >= 0) {
      const v = cell(cBirthDate);
      if (v !== null && v !== "") {
        birthDate = parseBirthDate(v);
        if (birthDate === null) bad(cBirthDate, "bad_date", `出生日期应为 2012-03-05、2012/3/5 或 2012年3月5日：${show(v)}`);
      }
    }

    let consent: Consent = "pending";
    if (cConsent >= 0) {
      const v = cell(cConsent);
      if (v !== null && v !== "") {
        const k = lookup(CONSENTS, v);
        if (k === undefined) bad(cConsent, "bad_consent", `知情同意应填 同意/拒绝/空：${show(v)}`);
        else consent = k;
      }
    }

    // Once the file has an error nothing will be imported: stop building rows.
    if (rowOk && errors.length === 0) {
      rowsOut.push({
        studentNo,
        name,
        gender,
        grade,
        classLabel,
        keyPopulation: KEY_POPULATIONS[flagBits]!,
        guardianName,
        guardianPhone,
        birthDate,
        consent,
        line: rowLine,
      });
    }
  };

  // ── the parse: one step per row ──
  let line = 1; // physical line where the next row starts
  let cursor = 0; // character offset where the next row starts
  let tooManyRowsAt = 0;
  Papa.parse<string[]>(text, {
    header: false,
    delimiter: delimiter === "tab" ? "\t" : ",",
    newline: "\n",
    quoteChar: '"',
    skipEmptyLines: false,
    step: (step, parser) => {
      row = step.data;
      rowLine = line;
      // The row covers text[cursor, step.meta.cursor): its line breaks (after a quoted cell with line
      // breaks, or a broken quote, there are several) move the line count. Without quotes: exactly one.
      const end = step.meta.cursor;
      if (hasQuotes) {
        for (let i = text.indexOf("\n", cursor); i >= 0 && i < end; i = text.indexOf("\n", i + 1)) line++;
      } else line++;
      cursor = end;

      if (step.errors.length > 0) {
        push(rowLine, null, "bad_quote", "引号不配对：以引号开头的格子必须以引号结束，格内的引号写成两个（\"\"）");
        if (headerRead) dataRows++;
      } else if (isBlankRow(row)) {
        // Blank rows are skipped wherever they are; their lines still count.
      } else if (!headerRead) {
        headerRead = true;
        readHeader(row, rowLine);
      } else if (++dataRows > maxRows) {
        tooManyRowsAt = rowLine;
      } else {
        validateRow();
      }
      if (errorsFull || tooManyRowsAt > 0) parser.abort();
    },
  });

  if (tooManyRowsAt > 0) {
    return fail(encoding, null, "too_many_rows", `学生行数超过上限 ${maxRows}（从第 ${tooManyRowsAt} 行起超出）`);
  }
  if (!headerRead && errors.length === 0) return fail(encoding, null, "empty_file", "文件没有表头，也没有数据");
  if (dataRows === 0 && errors.length === 0) return fail(encoding, null, "no_rows", "文件只有表头，没有学生数据");
  if (errors.length > 0) return { ok: false, encoding, errors };
  const columns = fieldAt.filter((f): f is RosterField => f !== null);
  return { ok: true, encoding, delimiter, columns, rows: rowsOut };
}
