/**
 * Audit rows of the alerts and cases features: who (a staff account, or the system for a raised or
 * escalated alert), what, when; never a name, a note or an answer (ARCHITECTURE.md, "Storage").
 */
import type { StaffActor } from "../../auth/actor";
import type { Queryable } from "../../db/database";

export type AuditActor = StaffActor | { readonly kind: "system" };

export interface AuditRow {
  readonly at: Date;
  readonly actor: AuditActor;
  readonly action: string;
  readonly schoolId: string;
  readonly studentId: string | null;
  /** The alert, case or notice id. */
  readonly subject: string | null;
  readonly context?: Record<string, unknown>;
  readonly address?: string | null;
}

/** Appends audit rows (one statement for any number of rows). */
export async function writeAudit(q: Queryable, rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  const data = rows.map((r) => ({
    at: r.at.toISOString(),
    actor_id: r.actor.kind === "staff" ? r.actor.accountId : null,
    actor_role: r.actor.kind === "staff" ? r.actor.role : "system",
    action: r.action,
    school_id: r.schoolId,
    student_id: r.studentId,
    subject: r.subject,
    context: r.context ?? {},
    address: r.address ?? null,
  }));
  await q.query(
    `INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, student_id, subject, context, address)
     SELECT (x->>'at')::timestamptz, x->>'actor_id', x->>'actor_role', x->>'action', x->>'school_id', x->>'student_id',
            x->>'subject', x->'context', x->>'address'
       FROM jsonb_array_elements($1::jsonb) AS x`,
    [JSON.stringify(data)],
  );
}
