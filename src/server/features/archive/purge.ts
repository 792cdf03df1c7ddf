/**
 * Confidential destruction (保密消档), issue 6: once a student has been gone (left or graduated, the
 * roster's `left_at`) for the district's retention period (setting `retention.purge_after_months`),
 * their personal data is destroyed for good, and only a de-identified tombstone stays.
 *
 * Destroyed: the name, student number and its lookup hash, birth date and year, guardian name and
 * phone; every answer except the numeric wellbeing-factor answers the district's factor table counts;
 * free-text answers and page timings; observation answers and notes; override, case and case-step text
 * (notes, hospitals, outcomes, reasons); access codes, sessions, idempotency replies; records received
 * from other schools; the student's own peer-monitor account's name and sign-in.
 *
 * Kept, so that every aggregate of src/server/features/analytics/queries.ts counts the student exactly
 * as before: the student row as a tombstone (school, class, grade, gender, key-population categories,
 * status, left_at), consent statuses, responses (status and the numeric factor answers), results (tier,
 * reasons, scores, validity, policy version), alerts (which items, when, acknowledged), cases and steps
 * (tier, states, dates, flags; no text), notices and feedback rows (no content), the audit log, and the
 * watch list's change log (ids only).
 * An audit row per student records the destruction: when, by whom (the operator named on the command
 * line), under which rule; never the content.
 *
 * A table this file does not know that refers to students stops the purge before anything is written:
 * a new feature must decide here what of its rows is personal.
 */
import { wellbeingFactors } from "../../../../instruments/wellbeing-factors";
import { encrypt, type DataKeys } from "../../crypto/cipher";
import type { Database, Queryable } from "../../db/database";
import { loginAccountKey } from "../../auth/lockout";

export const RETENTION_SETTING = "retention.purge_after_months";
/**
 * The period when the district has set none (no settings row): three years after leaving or
 * graduating, long enough for a transfer or a return to school (复学) to find the record. An admin sets
 * the district's own value, or null to never purge.
 */
export const DEFAULT_RETENTION_MONTHS = 36;
/** What a tombstone's encrypted required columns hold (other features can still decrypt and show it). */
export const PURGED_TEXT = "已消档 · purged";

/** Tables that refer to students, and whether the purge changes them (see the file comment). */
export const STUDENT_TABLES: Readonly<Record<string, "purged" | "kept">> = {
  students: "purged",
  responses: "purged",
  observations: "purged",
  tier_overrides: "purged",
  cases: "purged",
  access_codes: "purged",
  sessions: "purged",
  record_imports: "purged",
  accounts: "purged",
  consents: "kept",
  alerts: "kept",
  checkin_notices: "kept",
  case_feedback: "kept",
  audit_log: "kept",
  // The watch list's change log: internal ids only (which student changed), no personal data.
  watch_changes: "kept",
};

/** The wellbeing-factor items the factor table counts (numeric answers only are kept). */
const FACTOR_ITEMS = wellbeingFactors.items.filter((i) => i.type === "single").map((i) => i.id);

/** A refusal: nothing was written. */
export class PurgeError extends Error {
  constructor(
    readonly code: "bad_setting" | "unknown_table" | "bad_operator",
    message: string,
  ) {
    super(message);
    this.name = "PurgeError";
  }
}

export interface PurgeRule {
  readonly setting: string;
  readonly months: number;
  /** True when the district has not set the period and the default applies. */
  readonly isDefault: boolean;
}

export interface PurgeCandidate {
  readonly studentId: string;
  readonly schoolId: string;
  readonly schoolCode: string;
  readonly status: "left" | "graduated";
  readonly leftAt: Date;
}

export interface PurgePlan {
  readonly now: Date;
  /** null: no retention period is set, nothing is ever due. */
  readonly rule: PurgeRule | null;
  readonly due: readonly PurgeCandidate[];
  /** Due, but with an open case: a counselor must close it first. */
  readonly held: readonly PurgeCandidate[];
}

/** The district's retention period in months (the default when the setting is absent), or null: never purge. */
export async function readRetention(q: Queryable): Promise<PurgeRule | null> {
  const { rows } = await q.query<{ value: unknown }>("SELECT value FROM settings WHERE key = $1", [RETENTION_SETTING]);
  if (rows[0] === undefined) return { setting: RETENTION_SETTING, months: DEFAULT_RETENTION_MONTHS, isDefault: true };
  const value = rows[0].value;
  if (value === null) return null;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 1200) {
    throw new PurgeError("bad_setting", `the setting ${RETENTION_SETTING} must be a whole number of months from 1 to 1200, or null; it is ${JSON.stringify(value).slice(0, 40)}`);
  }
  return { setting: RETENTION_SETTING, months: value, isDefault: false };
}

interface CandidateRow extends Record<string, unknown> {
  id: string;
  school_id: string;
  code: string;
  status: "left" | "graduated";
  left_at: Date;
  open_case: boolean;
}

async function candidates(q: Queryable, rule: PurgeRule, now: Date, lock: boolean): Promise<CandidateRow[]> {
  const { rows } = await q.query<CandidateRow>(
    `SELECT s.id, s.school_id, sc.code, s.status, coalesce(s.left_at, s.updated_at) AS left_at,
            EXISTS (SELECT 1 FROM cases c WHERE c.student_id = s.id AND c.state <> 'closed') AS open_case
       FROM students s JOIN schools sc ON sc.id = s.school_id
      WHERE s.purged_at IS NULL AND s.status IN ('left', 'graduated')
        AND coalesce(s.left_at, s.updated_at) + make_interval(months => $1::int) <= $2::timestamptz
      ORDER BY sc.code, coalesce(s.left_at, s.updated_at), s.id${lock ? " FOR UPDATE OF s" : ""}`,
    [rule.months, now],
  );
  return rows;
}

const toCandidate = (r: CandidateRow): PurgeCandidate => ({ studentId: r.id, schoolId: r.school_id, schoolCode: r.code, status: r.status, leftAt: r.left_at });

/** What a purge at `now` would destroy (and what it holds back); refuses as the purge would. Reads only. */
export async function planPurge(q: Queryable, now: Date): Promise<PurgePlan> {
  await checkKnownTables(q);
  const rule = await readRetention(q);
  if (rule === null) return { now, rule, due: [], held: [] };
  const rows = await candidates(q, rule, now, false);
  return { now, rule, due: rows.filter((r) => !r.open_case).map(toCandidate), held: rows.filter((r) => r.open_case).map(toCandidate) };
}

/** Refuses when a table refers to students that this file does not know (a column student_id or a foreign key). */
async function checkKnownTables(q: Queryable): Promise<void> {
  const { rows } = await q.query<{ table_name: string }>(
    `SELECT DISTINCT c.table_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = current_schema() AND c.column_name = 'student_id'
     UNION
     SELECT DISTINCT cl.relname::text FROM pg_constraint k JOIN pg_class cl ON cl.oid = k.conrelid
      WHERE k.contype = 'f' AND k.confrelid = 'students'::regclass`,
  );
  const unknown = rows.map((r) => r.table_name).filter((t) => !(t in STUDENT_TABLES));
  if (unknown.length > 0) {
    throw new PurgeError("unknown_table", `nothing was destroyed: the table(s) ${unknown.sort().join(", ")} refer to students but the purge does not know what of them is personal; extend src/server/features/archive/purge.ts first`);
  }
}

/** One operator name as it goes into the audit log: one line, 1-100 characters. */
export function checkOperator(name: string | undefined): string {
  const trimmed = (name ?? "").trim();
  if (trimmed.length === 0 || trimmed.length > 100 || /\p{Cc}/u.test(trimmed)) {
    throw new PurgeError("bad_operator", "name the operator who runs the purge (--operator \"姓名\", one line, at most 100 characters)");
  }
  return trimmed;
}

/** Destroys one student's personal data inside `tx` (see the file comment for what goes and what stays). */
async function purgeStudent(tx: Queryable, keys: DataKeys, id: string, now: Date): Promise<void> {
  const placeholder = (context: string): string => encrypt(keys, PURGED_TEXT, context);
  await tx.query(
    `UPDATE students SET name_enc = $2, student_no_enc = $3, student_no_hash = 'purged:' || id, birth_year = NULL, birth_date_enc = NULL,
            guardian_name_enc = NULL, guardian_phone_enc = NULL, purged_at = $4, updated_at = $4
      WHERE id = $1`,
    [id, placeholder(`students.name_enc:${id}`), placeholder(`students.student_no_enc:${id}`), now],
  );
  await tx.query(
    `UPDATE responses SET text_enc = NULL, pages = '[]',
            answers = CASE WHEN jsonb_typeof(answers->'wellbeing-factors') = 'object'
              THEN jsonb_build_object('wellbeing-factors', coalesce((SELECT jsonb_object_agg(e.key, e.value) FROM jsonb_each(answers->'wellbeing-factors') AS e
                                                                    WHERE e.key IN (SELECT jsonb_array_elements_text($2::jsonb)) AND jsonb_typeof(e.value) = 'number'), '{}'::jsonb))
              ELSE '{}'::jsonb END
      WHERE student_id = $1`,
    [id, JSON.stringify(FACTOR_ITEMS)],
  );
  await tx.query("UPDATE observations SET answers = '{}', note_enc = NULL WHERE student_id = $1", [id]);
  const overrides = await tx.query<{ id: string }>("SELECT id FROM tier_overrides WHERE student_id = $1", [id]);
  for (const o of overrides.rows) await tx.query("UPDATE tier_overrides SET reason_enc = $2 WHERE id = $1", [o.id, placeholder(`tier_overrides.reason_enc:${o.id}`)]);
  const cases = await tx.query<{ id: string }>("SELECT id FROM cases WHERE student_id = $1", [id]);
  for (const c of cases.rows) await tx.query("UPDATE cases SET reason_enc = $2 WHERE id = $1", [c.id, placeholder(`cases.reason_enc:${c.id}`)]);
  await tx.query("UPDATE case_steps SET notes_enc = NULL WHERE case_id IN (SELECT id FROM cases WHERE student_id = $1)", [id]);
  await tx.query("DELETE FROM access_codes WHERE student_id = $1", [id]);
  await tx.query("DELETE FROM idempotency_keys WHERE scope = $1", [id]);
  await tx.query("DELETE FROM record_imports WHERE student_id = $1", [id]);
  // The student's own peer-monitor account (心理委员): its name and sign-in go; the row stays for the
  // observations it filed about classmates (they belong to those classmates' records).
  const own = await tx.query<{ id: string; username: string }>("SELECT id, username FROM accounts WHERE student_id = $1", [id]);
  for (const a of own.rows) {
    await tx.query("DELETE FROM lockouts WHERE key = $1", [loginAccountKey(a.username)]);
    await tx.query("DELETE FROM setup_tokens WHERE account_id = $1", [a.id]);
    await tx.query("DELETE FROM account_classes WHERE account_id = $1", [a.id]);
    await tx.query("DELETE FROM sessions WHERE account_id = $1", [a.id]);
    await tx.query("UPDATE accounts SET username = 'purged-' || id, display_name_enc = NULL, password_hash = NULL, disabled = true WHERE id = $1", [a.id]);
  }
  await tx.query("DELETE FROM sessions WHERE student_id = $1", [id]);
}

export interface PurgeResult {
  readonly plan: PurgePlan;
  readonly purged: readonly PurgeCandidate[];
}

/**
 * Destroys every record due at `now`, all in one transaction (all or nothing), with one audit row per
 * student naming `operator` and the rule. Students with an open case are held back (in `plan.held`).
 */
export async function runPurge(db: Database, keys: DataKeys, now: Date, operator: string): Promise<PurgeResult> {
  const who = checkOperator(operator);
  return db.transaction(async (tx) => {
    await checkKnownTables(tx);
    const rule = await readRetention(tx);
    if (rule === null) return { plan: { now, rule, due: [], held: [] }, purged: [] };
    const rows = await candidates(tx, rule, now, true);
    const due = rows.filter((r) => !r.open_case).map(toCandidate);
    const held = rows.filter((r) => r.open_case).map(toCandidate);
    for (const c of due) {
      await purgeStudent(tx, keys, c.studentId, now);
      await tx.query(
        `INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, student_id, subject, context)
         VALUES ($1, NULL, 'cli', 'record.purge', $2, $3, $3, $4)`,
        [now, c.schoolId, c.studentId, JSON.stringify({ operator: who, rule: { setting: rule.setting, months: rule.months, isDefault: rule.isDefault }, status: c.status, leftAt: c.leftAt.toISOString() })],
      );
    }
    return { plan: { now, rule, due, held }, purged: due };
  });
}
