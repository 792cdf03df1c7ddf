/**
 * The de-identified research export (issue 7, "Privacy rules"), for admins only: one row per student
 * and district wave, with nothing that names a student.
 *
 * - Pseudonyms: HMAC-SHA256 of the student id under a research key. The key is derived with HKDF-SHA256
 *   (RFC 5869) from the data key's index key and the study label, so it never exists apart from the
 *   data key, differs from every key that protects stored data, and differs per study: exports of one
 *   study link (a student keeps one pseudonym across waves and exports), exports of two studies do not.
 *   Without the data key a pseudonym cannot be tied back to a student; with it, the district can
 *   re-identify (this is pseudonymisation, not anonymisation: the recipient must not get the key).
 * - Dates: each student's dates move by one offset of −30..+30 days taken from the same HMAC (per
 *   student and study), so every interval within a student (response to case, opening to interview,
 *   wave to wave) stays true while no date is the real one. Dates are calendar days in China time.
 * - Birth: the year only (students.birth_year; the full birth date is never read).
 * - Free text never leaves: names, student numbers, notes, reasons, hospitals and text items are not
 *   selected at all; item answers leave only when they are one of the item's own option values (or a
 *   whole number within a number item's range), so nothing typed can slip through an answer column.
 *
 * Rows are read in keyset batches (wave id, student id), so memory does not grow with the export.
 */
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from "node:crypto";
import { instruments } from "../../../../instruments/index";
import type { Instrument, Item } from "../../../../instruments/schema";
import type { TableCell } from "../../../shared/analytics";
import type { DataKeys } from "../../crypto/cipher";
import type { Queryable } from "../../db/database";
import { chinaDate } from "../cases/school-days";
import { parseWaveKey, waveExists, type WaveRef } from "./queries";
import { UnknownWave } from "./build";

const RESEARCH_SALT = Buffer.from("xinqing/research/v1", "utf8");
/** Largest date shift, in days, either way. */
export const MAX_SHIFT_DAYS = 30;
const DAY_MS = 86_400_000;

/** The pseudonym and date shift of students for one study. */
export interface ResearchKeys {
  /** 32 hex digits (128 bits; hex, so no cell starts with "-" and trips the formula guard), the same for one student in every export of the study. */
  pseudonym(studentId: string): string;
  /** Whole days in [−MAX_SHIFT_DAYS, MAX_SHIFT_DAYS], the same for every date of one student. */
  dayShift(studentId: string): number;
}

/** The research key of a study: HKDF-SHA256 from the index key (a key already derived from the master key). */
function researchKey(keys: DataKeys, study: string): KeyObject {
  const ikm = keys.index.export();
  return createSecretKey(Buffer.from(hkdfSync("sha256", ikm, RESEARCH_SALT, Buffer.from(`xinqing/research-key\u0000${study}`, "utf8"), 32)));
}

export function researchKeys(keys: DataKeys, study: string): ResearchKeys {
  const key = researchKey(keys, study);
  const mac = (domain: string, studentId: string): Buffer => createHmac("sha256", key).update(`${domain}\u0000${studentId}`, "utf8").digest();
  return {
    pseudonym: (studentId) => mac("pseudonym", studentId).subarray(0, 16).toString("hex"),
    // 2^32 mod 61 leaves a bias below 1.5e-8 per value: negligible for a date shift.
    dayShift: (studentId) => (mac("date-shift", studentId).readUInt32BE(0) % (2 * MAX_SHIFT_DAYS + 1)) - MAX_SHIFT_DAYS,
  };
}

/** A calendar day ("2026-03-02") moved by `days`. */
export function shiftDay(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

/** An instant's China calendar day moved by `days`; null stays null. */
const shiftedDay = (at: Date | null, days: number): string | null => (at === null ? null : shiftDay(chinaDate(at), days));

const CALENDAR_DAY = /^\d{4}-\d{2}-\d{2}$/;

/** One column of the export. */
export interface ResearchColumn {
  readonly key: string;
  readonly label: string;
}

interface ItemColumn {
  readonly instrument: string;
  readonly item: Item;
  readonly options: ReadonlySet<number | string> | null;
}

/** Student self-report instruments, in registry order. */
const studentInstruments = (): Instrument[] => [...instruments.values()].filter((i) => i.respondent === "student");

function itemColumns(): ItemColumn[] {
  return studentInstruments().flatMap((inst) =>
    inst.items
      .filter((item) => item.type !== "text")
      .map((item) => {
        const opts = item.options ?? inst.options;
        return { instrument: inst.id, item, options: item.type === "number" ? null : new Set((opts ?? []).map((o) => o.value)) };
      }),
  );
}

const scoredInstruments = (): string[] => studentInstruments().filter((i) => i.scoring.method !== "none").map((i) => i.id);

const FIXED_COLUMNS: readonly ResearchColumn[] = [
  { key: "pseudonym", label: "假名编号 pseudonym" },
  { key: "wave", label: "筛查轮次 wave" },
  { key: "school_code", label: "学校代码 school code" },
  { key: "grade", label: "年级 grade" },
  { key: "gender", label: "性别 gender" },
  { key: "birth_year", label: "出生年份 birth year" },
  { key: "key_population", label: "重点类别 key-population categories" },
  { key: "consent", label: "监护人意见 consent" },
  { key: "participation", label: "参与情况 participation" },
  { key: "battery", label: "量表组合 battery" },
  { key: "started", label: "开始日期（偏移）started (shifted)" },
  { key: "submitted", label: "提交日期（偏移）submitted (shifted)" },
  { key: "validity", label: "作答质量 validity" },
  { key: "tier", label: "预警等级 tier" },
  { key: "policy_version", label: "分级规则版本 policy version" },
];

const CASE_COLUMNS: readonly ResearchColumn[] = [
  { key: "case_tier", label: "个案等级 case tier" },
  { key: "case_state", label: "个案状态 case state" },
  { key: "case_opened", label: "开案日期（偏移）case opened (shifted)" },
  { key: "case_interviewed", label: "首次约谈日期（偏移）first interview (shifted)" },
  { key: "case_closed", label: "结案日期（偏移）case closed (shifted)" },
];

/** Every column of the export, in order: fixed, scores, item answers, the case of the wave's period. */
export function researchColumns(): ResearchColumn[] {
  return [
    ...FIXED_COLUMNS,
    ...scoredInstruments().flatMap((id) => [
      { key: `${id}.total`, label: `${id} 总分 total` },
      { key: `${id}.band`, label: `${id} 分段 band` },
    ]),
    ...itemColumns().map((c) => ({ key: `${c.instrument}.${c.item.id}`, label: `${c.instrument}.${c.item.id}` })),
    ...CASE_COLUMNS,
  ];
}

/** An answer as exported: only an option value of the item (or a whole number in range); else empty. */
export function exportedAnswer(column: Pick<ItemColumn, "item" | "options">, value: unknown): TableCell {
  const { item, options } = column;
  if (item.type === "number") {
    const ok = typeof value === "number" && Number.isInteger(value) && (item.min === undefined || value >= item.min) && (item.max === undefined || value <= item.max);
    return ok ? value : null;
  }
  const allowed = (v: unknown): v is number | string => (typeof v === "number" || typeof v === "string") && options !== null && options.has(v);
  if (item.type === "multi") return Array.isArray(value) && value.every(allowed) ? value.join(";") : null;
  return allowed(value) ? value : null;
}

/** One row as the database gives it (no name, number, note or free-text column is selected). */
interface ResearchRow extends Record<string, unknown> {
  student_id: string;
  grade: number;
  gender: string | null;
  birth_year: number | null;
  key_population: unknown;
  consent: string | null;
  response_status: string | null;
  battery_id: string | null;
  answers: Record<string, Record<string, unknown>> | null;
  started_at: Date | null;
  submitted_at: Date | null;
  scores: Record<string, { kind?: string; total?: unknown; band?: unknown }> | null;
  validity: string | null;
  tier: string | null;
  policy_version: string | null;
  case_tier: string | null;
  case_state: string | null;
  case_opened_at: Date | null;
  case_interview: string | null;
  case_closed_at: Date | null;
}

/** Rows per database read. */
export const RESEARCH_BATCH_ROWS = 1000;

const participationOf = (r: ResearchRow): string => {
  if (r.response_status === "submitted") return r.validity === "questionable" ? "questionable" : "completed";
  if (r.response_status === "declined") return "declined";
  if (r.response_status === "in-progress") return "started";
  return r.consent === "opted-out" ? "opted-out" : r.consent === "consented" ? "consented" : "pending";
};

/** A database row → the exported cells (pure, given the study's keys). */
export function researchCells(r: ResearchRow, wave: string, schoolCode: string, keys: ResearchKeys, scored: readonly string[], items: readonly ItemColumn[]): TableCell[] {
  const shift = keys.dayShift(r.student_id);
  const categories = Array.isArray(r.key_population) ? r.key_population.filter((c): c is string => typeof c === "string" && /^[A-Za-z-]{1,40}$/.test(c)).sort().join(";") : "";
  const score = (id: string) => (r.scores?.[id]?.kind === "scored" ? r.scores[id] : undefined);
  const interview = r.case_interview !== null && CALENDAR_DAY.test(r.case_interview) ? shiftDay(r.case_interview, shift) : null;
  return [
    keys.pseudonym(r.student_id),
    wave,
    schoolCode,
    r.grade,
    r.gender ?? "",
    r.birth_year,
    categories,
    r.consent ?? "",
    participationOf(r),
    r.battery_id ?? "",
    shiftedDay(r.started_at, shift),
    shiftedDay(r.submitted_at, shift),
    r.validity ?? "",
    r.tier ?? "",
    r.policy_version ?? "",
    ...scored.flatMap((id) => {
      const s = score(id);
      return [typeof s?.total === "number" ? s.total : null, typeof s?.band === "string" && /^[a-z0-9-]{1,40}$/.test(s.band) ? s.band : null];
    }),
    ...items.map((c) => exportedAnswer(c, r.answers?.[c.instrument]?.[c.item.id])),
    r.case_tier ?? "",
    r.case_state ?? "",
    shiftedDay(r.case_opened_at, shift),
    interview,
    shiftedDay(r.case_closed_at, shift),
  ];
}

/** The school waves of a district wave, each with its period (see followUpStats) and school code. */
const SCHOOL_WAVES_SQL = `
  SELECT w.id, w.school_id, sc.code AS school_code, w.opens_at,
         (SELECT n.opens_at FROM waves n
           WHERE n.school_id = w.school_id AND (n.opens_at > w.opens_at OR (n.opens_at = w.opens_at AND n.id > w.id))
           ORDER BY n.opens_at, n.id LIMIT 1) AS until
    FROM waves w JOIN schools sc ON sc.id = w.school_id
   WHERE w.school_year = $1 AND w.season = $2
   ORDER BY w.id`;

/**
 * One batch of a school wave's population (as in the aggregates: enrolled students, plus anyone with a
 * response) after the keyset position, in student id order (index students_school_id), with the first
 * case each student had opened in the wave's period.
 */
const BATCH_SQL = `
  SELECT s.id AS student_id, s.grade, s.gender, s.birth_year, s.key_population,
         k.status AS consent, r.status AS response_status, r.battery_id, r.answers, r.started_at, r.submitted_at,
         x.scores, x.validity->>'kind' AS validity, x.tier, x.policy_version,
         c.tier AS case_tier, c.state AS case_state, c.opened_at AS case_opened_at, c.interview AS case_interview, c.closed_at AS case_closed_at
    FROM students s
    LEFT JOIN consents k ON k.wave_id = $1 AND k.student_id = s.id
    LEFT JOIN responses r ON r.wave_id = $1 AND r.student_id = s.id
    LEFT JOIN results x ON x.response_id = r.id AND r.status = 'submitted'
    LEFT JOIN LATERAL (
      SELECT cs.tier, cs.state, cs.opened_at, cs.closed_at,
             (SELECT st.data->>'date' FROM case_steps st WHERE st.case_id = cs.id AND st.kind = 'interview' ORDER BY st.seq LIMIT 1) AS interview
        FROM cases cs
       WHERE cs.student_id = s.id AND cs.opened_at >= $3 AND ($4::timestamptz IS NULL OR cs.opened_at < $4)
       ORDER BY cs.opened_at, cs.id LIMIT 1) AS c ON true
   WHERE s.school_id = $2 AND s.id > $5 AND (s.status = 'enrolled' OR r.id IS NOT NULL)
   ORDER BY s.id
   LIMIT $6`;

interface SchoolWave extends Record<string, unknown> {
  id: string;
  school_id: string;
  school_code: string;
  opens_at: Date;
  until: Date | null;
}

/**
 * The export's rows, district wave after district wave and school wave after school wave, read in
 * keyset batches of `batchRows` students: at most one batch is held at a time, whatever the size.
 */
export async function* researchRows(q: Queryable, waves: readonly string[], keys: ResearchKeys, batchRows = RESEARCH_BATCH_ROWS): AsyncGenerator<TableCell[]> {
  const scored = scoredInstruments();
  const items = itemColumns();
  for (const wave of waves) {
    const ref = parseWaveKey(wave);
    const { rows: schoolWaves } = await q.query<SchoolWave>(SCHOOL_WAVES_SQL, [ref.schoolYear, ref.season]);
    for (const w of schoolWaves) {
      let after = "";
      for (;;) {
        const { rows } = await q.query<ResearchRow>(BATCH_SQL, [w.id, w.school_id, w.opens_at, w.until, after, batchRows]);
        for (const r of rows) yield researchCells(r, wave, w.school_code, keys, scored, items);
        const last = rows[rows.length - 1];
        if (last === undefined || rows.length < batchRows) break;
        after = last.student_id;
      }
    }
  }
}

/** How many rows the export of these waves has (for the audit row written before anything leaves). */
export async function countResearchRows(q: Queryable, waves: readonly string[]): Promise<number> {
  let n = 0;
  for (const wave of waves) {
    const ref: WaveRef = parseWaveKey(wave);
    const { rows } = await q.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM waves w JOIN students s ON s.school_id = w.school_id
         LEFT JOIN responses r ON r.wave_id = w.id AND r.student_id = s.id
        WHERE w.school_year = $1 AND w.season = $2 AND (s.status = 'enrolled' OR r.id IS NOT NULL)`,
      [ref.schoolYear, ref.season],
    );
    n += rows[0]?.n ?? 0;
  }
  return n;
}

/** The waves of a comma-separated list, each checked to exist (UnknownWave otherwise), duplicates dropped. */
export async function checkedWaves(q: Queryable, list: string): Promise<string[]> {
  const waves = [...new Set(list.split(","))];
  for (const wave of waves) if (!(await waveExists(q, parseWaveKey(wave)))) throw new UnknownWave(wave);
  return waves;
}

/** Who asked for an export, for the audit row. */
export interface ExportActor {
  readonly accountId: string | null;
  readonly role: string;
  readonly address?: string;
}

/**
 * Writes the audit row of a research export (who, when, which waves, which study, how many rows)
 * before any row leaves. The audit log is append-only, so the row states what was asked and counted
 * at that moment.
 */
export async function auditResearchExport(q: Queryable, at: Date, actor: ExportActor, detail: { waves: readonly string[]; study: string; encoding: string; rows: number }): Promise<void> {
  await q.query(`INSERT INTO audit_log (at, actor_id, actor_role, action, subject, context, address) VALUES ($1, $2, $3, 'research.export', $4, $5, $6)`, [
    at,
    actor.accountId,
    actor.role,
    detail.study,
    JSON.stringify({ waves: detail.waves, study: detail.study, encoding: detail.encoding, rows: detail.rows }),
    actor.address ?? null,
  ]);
}
