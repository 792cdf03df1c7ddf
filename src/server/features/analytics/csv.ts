/**
 * CSV downloads of the analytics tables: papaparse writes the text, rows go out in chunks (a table is
 * never turned into one big string), UTF-8 with a BOM by default so Excel in China opens it right,
 * GB18030 through iconv-lite on request, and every text cell passes the formula-injection guard.
 */
import iconv from "iconv-lite";
import Papa from "papaparse";
import type { AnalyticsTable, CsvEncoding, TableCell } from "../../../shared/analytics";

/**
 * Neutralises a cell a spreadsheet would run as a formula: text starting with `=`, `+`, `-`, `@`, a
 * tab or a carriage return gets a leading single quote (OWASP "CSV injection"). Numbers are left as
 * they are: the server writes them itself (a mean difference of -2.5 stays a number), so they cannot
 * carry a formula. `null` (a suppressed cell) becomes an empty cell.
 */
export function neutraliseCell(value: TableCell): string | number {
  if (value === null) return "";
  if (typeof value === "number") return value;
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

const UTF8_BOM = "\uFEFF";

/** Rows per chunk written to the stream. */
export const CSV_CHUNK_ROWS = 500;

/**
 * The CSV text of a header and rows, chunk by chunk (CRLF line ends, as Excel writes them). The first
 * chunk is the header; each later one holds up to `chunkRows` rows and ends with a line break.
 */
export async function* csvChunks(header: readonly string[], rows: Iterable<readonly TableCell[]> | AsyncIterable<readonly TableCell[]>, chunkRows = CSV_CHUNK_ROWS): AsyncGenerator<string> {
  const unparse = (data: (string | number)[][]): string => `${Papa.unparse(data, { newline: "\r\n", quotes: false })}\r\n`;
  yield unparse([header.map((h) => neutraliseCell(h))]);
  let batch: (string | number)[][] = [];
  for await (const row of rows) {
    batch.push(row.map(neutraliseCell));
    if (batch.length >= chunkRows) {
      yield unparse(batch);
      batch = [];
    }
  }
  if (batch.length > 0) yield unparse(batch);
}

/** Encodes text chunks: UTF-8 with a BOM before the first, or GB18030 (no BOM). */
export async function* encodeChunks(chunks: AsyncIterable<string>, encoding: CsvEncoding): AsyncGenerator<Buffer> {
  let first = true;
  for await (const chunk of chunks) {
    if (encoding === "gb18030") yield iconv.encode(chunk, "gb18030");
    else yield Buffer.from(first ? UTF8_BOM + chunk : chunk, "utf8");
    first = false;
  }
}

/** The header of a table's CSV: the Chinese and English column labels. */
export function csvHeader(table: Pick<AnalyticsTable, "columns">): string[] {
  return table.columns.map((c) => `${c.label["zh-CN"]} ${c.label.en}`);
}

/** A whole table as encoded CSV chunks. */
export function tableCsv(table: AnalyticsTable, encoding: CsvEncoding): AsyncGenerator<Buffer> {
  return encodeChunks(csvChunks(csvHeader(table), table.rows), encoding);
}

/** RFC 5987 ext-value characters: attr-char is ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else is %-encoded UTF-8. */
function encodeRfc5987(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `Content-Disposition: attachment` for a file name that may be Chinese: an ASCII `filename="…"`
 * fallback (anything outside letters, digits, `.`, `_` and `-` becomes `_`) for old clients, and the
 * real name as `filename*=UTF-8''…` (RFC 6266 § 4.3 with RFC 5987 encoding), which browsers prefer.
 */
export function contentDisposition(fileName: string, asciiFallback: string): string {
  const fallback = asciiFallback.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 120) || "download.csv";
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encodeRfc5987(fileName)}`;
}

/** Content-Type for an encoding. */
export function csvContentType(encoding: CsvEncoding): string {
  return encoding === "gb18030" ? "text/csv; charset=gb18030" : "text/csv; charset=utf-8";
}
