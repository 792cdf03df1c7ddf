/**
 * The waves feature's database reads and writes that several routes share: loading a wave in the
 * caller's scope, the wave view, the audit rows, and the consent counts.
 */
import type { Battery } from "../../../../instruments/batteries";
import type { ConsentSummary, Season, Wave, WaveStatus } from "../../../shared/waves";
import type { Actor, StaffActor } from "../../auth/actor";
import { can, scopeOf, type Action } from "../../auth/can";
import type { Queryable } from "../../db/database";
import { forbidden, notFound } from "../../errors";
import { isUsable } from "./rules";

export interface WaveRow extends Record<string, unknown> {
  id: string;
  school_id: string;
  school_year: string;
  season: Season;
  opens_at: Date;
  closes_at: Date;
  batteries: Battery[];
  policy_version: string;
  status: WaveStatus;
  frozen_at: Date | null;
  created_at: Date;
}

export const WAVE_COLUMNS = "id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at, created_at";

/** The API view of a stored wave; `usable` depends on `now`. */
export function toWave(row: WaveRow, now: Date): Wave {
  return {
    id: row.id,
    schoolId: row.school_id,
    schoolYear: row.school_year,
    season: row.season,
    opensAt: row.opens_at.toISOString(),
    closesAt: row.closes_at.toISOString(),
    batteries: row.batteries,
    policyVersion: row.policy_version,
    status: row.status,
    frozenAt: row.frozen_at ? row.frozen_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    usable: isUsable({ status: row.status, opensAt: row.opens_at, closesAt: row.closes_at }, now),
  };
}

/**
 * Throws unless `actor` may take `action` on something of `schoolId`: 403 when the actor may take
 * that action nowhere (a teacher creating a wave), 404 when only elsewhere (another school's lead: the
 * row's existence is not revealed).
 */
export function authorize(actor: Actor, action: Action, schoolId: string): void {
  if (can(actor, action, { schoolId })) return;
  throw scopeOf(actor, action).kind === "none" ? forbidden(`not allowed: ${action}`) : notFound("no such wave or school");
}

/** The wave `id` if `actor` may take `action` on it (see {@link authorize}); `forUpdate` locks the row. */
export async function loadWave(q: Queryable, actor: Actor, id: string, action: Action, forUpdate = false): Promise<WaveRow> {
  const { rows } = await q.query<WaveRow>(`SELECT ${WAVE_COLUMNS} FROM waves WHERE id = $1${forUpdate ? " FOR UPDATE" : ""}`, [id]);
  const row = rows[0];
  if (!row) {
    if (scopeOf(actor, action).kind === "none") throw forbidden(`not allowed: ${action}`);
    // The same answer as for another school's wave (authorize): nothing tells the two apart.
    throw notFound("no such wave or school");
  }
  authorize(actor, action, row.school_id);
  return row;
}

export interface AuditEntry {
  readonly at: Date;
  readonly actor: StaffActor | { readonly kind: "student"; readonly studentId: string };
  readonly action: string;
  readonly schoolId: string | null;
  readonly studentId?: string | null;
  /** What was acted on, e.g. the wave id. */
  readonly subject?: string | null;
  /** Never a code, a name or an answer: who, what, when and why only. */
  readonly context?: Record<string, unknown>;
  readonly address?: string | null;
}

/** Appends one audit row. */
export async function audit(q: Queryable, e: AuditEntry): Promise<void> {
  await q.query(
    `INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, student_id, subject, context, address)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
    [
      e.at,
      e.actor.kind === "staff" ? e.actor.accountId : e.actor.studentId,
      e.actor.kind === "staff" ? e.actor.role : "student",
      e.action,
      e.schoolId,
      e.studentId ?? null,
      e.subject ?? null,
      JSON.stringify(e.context ?? {}),
      e.address ?? null,
    ],
  );
}

/** Appends one audit row per student of `studentIds`, all with the same action and context. */
export async function auditEach(q: Queryable, e: Omit<AuditEntry, "studentId">, studentIds: readonly string[]): Promise<void> {
  if (studentIds.length === 0) return;
  await q.query(
    `INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, student_id, subject, context, address)
     SELECT $1, $2, $3, $4, $5, x.value, $6, $7, $8 FROM jsonb_array_elements_text($9::jsonb) AS x`,
    [
      e.at,
      e.actor.kind === "staff" ? e.actor.accountId : e.actor.studentId,
      e.actor.kind === "staff" ? e.actor.role : "student",
      e.action,
      e.schoolId,
      e.subject ?? null,
      JSON.stringify(e.context ?? {}),
      e.address ?? null,
      JSON.stringify(studentIds),
    ],
  );
}

interface CountRow extends Record<string, unknown> {
  class_id: string;
  grade: number;
  label: string;
  enrolled: number;
  consented: number;
  opted_out: number;
}

/** Consent counts of a wave over the enrolled students of its school, by class and in total. */
export async function consentSummary(q: Queryable, wave: { id: string; school_id: string }): Promise<ConsentSummary> {
  const { rows } = await q.query<CountRow>(
    `SELECT c.id AS class_id, c.grade, c.label,
            count(*)::int AS enrolled,
            (count(*) FILTER (WHERE k.status = 'consented'))::int AS consented,
            (count(*) FILTER (WHERE k.status = 'opted-out'))::int AS opted_out
       FROM students s
       JOIN classes c ON c.id = s.class_id
       LEFT JOIN consents k ON k.student_id = s.id AND k.wave_id = $2
      WHERE s.school_id = $1 AND s.status = 'enrolled'
      GROUP BY c.id, c.grade, c.label
      ORDER BY c.grade, c.label, c.id`,
    [wave.school_id, wave.id],
  );
  const byClass = rows.map((r) => ({
    classId: r.class_id,
    grade: r.grade,
    label: r.label,
    enrolled: r.enrolled,
    consented: r.consented,
    optedOut: r.opted_out,
    pending: r.enrolled - r.consented - r.opted_out,
  }));
  const sum = (k: "enrolled" | "consented" | "optedOut" | "pending") => byClass.reduce((n, c) => n + c[k], 0);
  return { waveId: wave.id, enrolled: sum("enrolled"), consented: sum("consented"), optedOut: sum("optedOut"), pending: sum("pending"), byClass };
}
