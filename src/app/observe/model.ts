/**
 * Pure helpers of the observer's page (/observe): the class grid's state (rows = students, columns = the
 * screener's items), what is complete, the batch body, the server's problems mapped back to cells, keyboard
 * moves between cells, and the single-student form (teacher checklist, peer report). No React, no fetch.
 *
 * Only types come from src/shared: the SPA bundles neither zod nor the instruments; forms arrive as data
 * from GET /api/observe/forms/:instrument.
 */
import type { ObservationInstrument, ObserveForm, ObserveItem, ObserveOption, ObserveStudent } from "../../shared/observations";

/** An option value as the forms send it. */
export type OptionValue = ObserveOption["value"];

/** Most students in one batch; the server's MAX_BATCH (src/shared/observations.ts), checked by a test. */
export const MAX_BATCH = 100;

/** Longest free text the server keeps (MAX_OBSERVATION_TEXT), checked by a test. */
export const MAX_TEXT = 4000;

/** "中文 · English" */
export function bilingual(text: { readonly "zh-CN": string; readonly en: string }): string {
  return `${text["zh-CN"]} · ${text.en}`;
}

/** How a student is named in a picker: the number first for teachers; a peer monitor gets names only. */
export function studentLabel(s: ObserveStudent): string {
  return s.studentNo === undefined ? s.name : `${s.studentNo} ${s.name}`;
}

/* ---------- The class grid ---------- */

/** Answers by student id, then item id. Cells without an answer are absent. */
export type GridState = Readonly<Record<string, Readonly<Record<string, OptionValue>>>>;

export const emptyGrid: GridState = {};

/** The columns of the grid: the screener's single-choice items, in form order. */
export function gridColumns(form: ObserveForm): ObserveItem[] {
  return form.items.filter((it) => it.type === "single" && it.options.length > 0);
}

/** The grid with one cell set, or cleared with null. */
export function setCell(grid: GridState, studentId: string, itemId: string, value: OptionValue | null): GridState {
  const { [itemId]: _old, ...rest } = grid[studentId] ?? {};
  const row = value === null ? rest : { ...rest, [itemId]: value };
  const { [studentId]: _row, ...others } = grid;
  return Object.keys(row).length === 0 ? others : { ...others, [studentId]: row };
}

/** The grid with a student's blank cells set to `value` (e.g. "never"); answered cells keep their answer. */
export function fillRowBlanks(grid: GridState, studentId: string, columns: readonly ObserveItem[], value: OptionValue): GridState {
  const row = { ...(grid[studentId] ?? {}) };
  for (const col of columns) if (!(col.id in row)) row[col.id] = value;
  return { ...grid, [studentId]: row };
}

/** The option a key stands for in a cell: its value written out ("0"…"3"), or nothing. */
export function optionForKey(item: ObserveItem, key: string): OptionValue | undefined {
  return item.options.find((o) => String(o.value) === key)?.value;
}

/** The option's label for a value, e.g. "从不 · Never". */
export function optionLabel(item: ObserveItem, value: OptionValue | undefined): string {
  const option = item.options.find((o) => o.value === value);
  return option ? bilingual(option.label) : "";
}

/** The legend above the grid, when every column has the same options (the screeners do): "0 = 从不 Never". */
export function gridLegend(columns: readonly ObserveItem[]): string[] {
  const first = columns[0];
  if (!first) return [];
  const same = columns.every((c) => c.options.length === first.options.length && c.options.every((o, i) => o.value === first.options[i]!.value));
  if (!same) return [];
  return first.options.map((o) => `${String(o.value)} = ${o.label["zh-CN"]} ${o.label.en}`);
}

export type RowStatus = { readonly kind: "empty" } | { readonly kind: "complete" } | { readonly kind: "partial"; readonly missing: readonly string[] };

/** A row is empty (not rated: left out of the batch), complete, or partial (blocks the submit). */
export function rowStatus(grid: GridState, studentId: string, columns: readonly ObserveItem[]): RowStatus {
  const row = grid[studentId] ?? {};
  const required = columns.filter((c) => !c.optional);
  const answered = columns.filter((c) => c.id in row);
  if (answered.length === 0) return { kind: "empty" };
  const missing = required.filter((c) => !(c.id in row)).map((c) => c.id);
  return missing.length === 0 ? { kind: "complete" } : { kind: "partial", missing };
}

export interface GridSummary {
  readonly complete: number;
  readonly partial: readonly ObserveStudent[];
  readonly empty: readonly ObserveStudent[];
}

export function gridSummary(grid: GridState, students: readonly ObserveStudent[], columns: readonly ObserveItem[]): GridSummary {
  let complete = 0;
  const partial: ObserveStudent[] = [];
  const empty: ObserveStudent[] = [];
  for (const s of students) {
    const status = rowStatus(grid, s.id, columns);
    if (status.kind === "complete") complete += 1;
    else if (status.kind === "partial") partial.push(s);
    else empty.push(s);
  }
  return { complete, partial, empty };
}

/** The body of POST /api/observations/batch. */
export interface BatchBody {
  readonly instrument: ObservationInstrument;
  readonly items: readonly { readonly studentId: string; readonly answers: Readonly<Record<string, OptionValue>> }[];
}

export type BatchBuild =
  | { readonly ok: true; readonly body: BatchBody; readonly skipped: readonly ObserveStudent[] }
  | { readonly ok: false; readonly reason: "nothing-rated" }
  | { readonly ok: false; readonly reason: "incomplete"; readonly students: readonly ObserveStudent[] }
  | { readonly ok: false; readonly reason: "too-many"; readonly count: number };

/**
 * The batch of every complete row, in class-list order; rows left empty are not rated (a student away) and
 * are listed as skipped. Any partly rated row stops the submit: the batch is all or nothing on the server,
 * and a half-rated student is a slip of the hand, not a decision.
 */
export function buildBatchBody(instrument: ObservationInstrument, grid: GridState, students: readonly ObserveStudent[], columns: readonly ObserveItem[]): BatchBuild {
  const summary = gridSummary(grid, students, columns);
  if (summary.partial.length > 0) return { ok: false, reason: "incomplete", students: summary.partial };
  if (summary.complete === 0) return { ok: false, reason: "nothing-rated" };
  if (summary.complete > MAX_BATCH) return { ok: false, reason: "too-many", count: summary.complete };
  const columnIds = new Set(columns.map((c) => c.id));
  const items = students
    .filter((s) => rowStatus(grid, s.id, columns).kind === "complete")
    .map((s) => ({ studentId: s.id, answers: Object.fromEntries(Object.entries(grid[s.id] ?? {}).filter(([id]) => columnIds.has(id))) }));
  return { ok: true, body: { instrument, items }, skipped: summary.empty };
}

/** A problem the server named in a 400/404 (`{path, message}`), e.g. "items.3.answers.steal". */
export interface ProblemDetail {
  readonly path?: string;
  readonly message: string;
}

/** The server's problems with a batch, by student id: the item ids named (empty when the row as a whole is wrong). */
export function problemsByStudent(body: BatchBody, details: readonly ProblemDetail[] | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const d of details ?? []) {
    const m = /^items\.(\d+)\.(?:answers\.(.+)|studentId)$/.exec(d.path ?? "");
    if (!m) continue;
    const row = body.items[Number(m[1])];
    if (!row) continue;
    const items = out.get(row.studentId) ?? [];
    if (m[2] !== undefined) items.push(m[2]);
    out.set(row.studentId, items);
  }
  return out;
}

/** A cell of the grid by row and column index. */
export interface Cell {
  readonly row: number;
  readonly col: number;
}

/**
 * Where the focus goes from `at` on a key: arrows move one cell (stopping at the edges), "next" (after an
 * answer is typed) moves right and wraps to the next row's first cell. null: stay.
 */
export function moveFrom(at: Cell, key: "ArrowLeft" | "ArrowRight" | "ArrowUp" | "ArrowDown" | "next", rows: number, cols: number): Cell | null {
  const { row, col } = at;
  switch (key) {
    case "ArrowLeft":
      return col > 0 ? { row, col: col - 1 } : null;
    case "ArrowRight":
      return col < cols - 1 ? { row, col: col + 1 } : null;
    case "ArrowUp":
      return row > 0 ? { row: row - 1, col } : null;
    case "ArrowDown":
      return row < rows - 1 ? { row: row + 1, col } : null;
    case "next":
      if (col < cols - 1) return { row, col: col + 1 };
      return row < rows - 1 ? { row: row + 1, col: 0 } : null;
  }
}

/* ---------- One student's form (teacher checklist, peer report) ---------- */

/** Answers of one form: a value (single, number), several values (multi), or text. */
export type FormAnswers = Readonly<Record<string, OptionValue | readonly OptionValue[]>>;

export function setAnswer(answers: FormAnswers, itemId: string, value: OptionValue | readonly OptionValue[] | null): FormAnswers {
  const { [itemId]: _old, ...rest } = answers;
  return value === null ? rest : { ...rest, [itemId]: value };
}

/** A multi item's answer with `value` ticked or unticked, in the form's option order. */
export function toggleOption(answers: FormAnswers, item: ObserveItem, value: OptionValue, on: boolean): FormAnswers {
  const current = answers[item.id];
  const chosen = new Set<OptionValue>(typeof current === "object" ? current : []);
  if (on) chosen.add(value);
  else chosen.delete(value);
  const ordered = item.options.map((o) => o.value).filter((v) => chosen.has(v));
  return setAnswer(answers, item.id, ordered.length === 0 ? null : ordered);
}

type Answer = OptionValue | readonly OptionValue[];

/** The values chosen in an answer (a single value as a list of one). */
function chosenOf(value: Answer | undefined): readonly OptionValue[] {
  if (value === undefined) return [];
  return typeof value === "number" || typeof value === "string" ? [value] : value;
}

function answered(value: Answer | undefined): boolean {
  if (value === undefined) return false;
  if (typeof value === "number") return true;
  if (typeof value === "string") return value.trim() !== "";
  return value.length > 0;
}

/** Required items without an answer, in form order. */
export function missingItems(form: ObserveForm, answers: FormAnswers): ObserveItem[] {
  return form.items.filter((it) => !it.optional && !answered(answers[it.id]));
}

/** Nothing answered at all (a checklist whose items are all optional must still say something). */
export function isBlank(form: ObserveForm, answers: FormAnswers): boolean {
  return form.items.every((it) => !answered(answers[it.id]));
}

/** Is a critical option chosen (self-harm, talk of death)? The page then says a counselor is told at once. */
export function criticalChosen(form: ObserveForm, answers: FormAnswers): boolean {
  return form.items.some((it) => {
    const chosen = chosenOf(answers[it.id]);
    return it.options.some((o) => o.critical && chosen.includes(o.value));
  });
}

/** The body of POST /api/observations: answered items only; text kept verbatim (blank text is no answer). */
export function buildFileBody(studentId: string, form: ObserveForm, answers: FormAnswers): { studentId: string; instrument: ObservationInstrument; answers: Record<string, OptionValue | OptionValue[]> } {
  const out: Record<string, OptionValue | OptionValue[]> = {};
  for (const it of form.items) {
    const value = answers[it.id];
    if (value === undefined || !answered(value)) continue;
    out[it.id] = typeof value === "object" ? [...value] : value;
  }
  return { studentId, instrument: form.id, answers: out };
}

/* ---------- Check-in notices ---------- */

/** The day a notice is due, "2026-03-16", in the school's time zone (China has one). */
export function dueDay(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/** Open notices first (by due date; those without one, like feedback, after), then the recently done ones. */
export function orderNotices<T extends { readonly dueAt: string | null; readonly doneAt: string | null; readonly createdAt: string; readonly id: string }>(notices: readonly T[]): T[] {
  return [...notices].sort(
    (a, b) =>
      Number(a.doneAt !== null) - Number(b.doneAt !== null) ||
      Number(a.dueAt === null) - Number(b.dueAt === null) ||
      (a.dueAt ?? "").localeCompare(b.dueAt ?? "") ||
      a.createdAt.localeCompare(b.createdAt) ||
      a.id.localeCompare(b.id),
  );
}
