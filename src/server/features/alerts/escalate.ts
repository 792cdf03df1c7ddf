/**
 * Escalation (issue 6): an alert nobody acknowledged within N minutes (setting
 * `alerts.escalate_after_minutes`, default 30), and a case whose next step is overdue, go to the school
 * lead: `escalated_at` is set, an audit row written, and a notification sent so the lead's open page
 * shows it. `dueEscalations` / `dueCaseEscalations` decide (pure); `escalateOverdue` does it, and is
 * safe to run on several app instances at once (each row escalates once: the UPDATE re-checks).
 *
 * The server runs `escalateOverdue` every minute: the alerts plugin starts the timer when the app is
 * ready and stops it on close (see routes.ts); tests call it directly with the injected clock.
 */
import { DEFAULT_ESCALATION_MINUTES, ESCALATION_SETTING } from "../../../shared/alerts";
import type { Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { writeAudit } from "./audit";
import { notifyAlert, notifyCaseEscalated } from "./raise";
import { enqueueWebhooks } from "./webhook";

export interface AlertTiming {
  readonly id: string;
  readonly createdAt: Date;
  readonly acknowledgedAt: Date | null;
  readonly escalatedAt: Date | null;
}

/** The alerts to escalate at `now`: unacknowledged, not yet escalated, raised `minutes` or more ago. */
export function dueEscalations(alerts: readonly AlertTiming[], now: Date, minutes: number): string[] {
  const limit = now.getTime() - minutes * 60_000;
  return alerts.filter((a) => a.acknowledgedAt === null && a.escalatedAt === null && a.createdAt.getTime() <= limit).map((a) => a.id);
}

export interface CaseTiming {
  readonly id: string;
  readonly closed: boolean;
  readonly dueAt: Date | null;
  readonly escalatedAt: Date | null;
}

/** The cases to escalate at `now`: open, with a due date that has passed, not escalated since their last step. */
export function dueCaseEscalations(cases: readonly CaseTiming[], now: Date): string[] {
  return cases.filter((c) => !c.closed && c.dueAt !== null && c.escalatedAt === null && c.dueAt.getTime() < now.getTime()).map((c) => c.id);
}

/** A sane number of minutes from the settings table, else the default (a bad setting never stops escalation). */
export async function escalationMinutes(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ value: unknown }>("SELECT value FROM settings WHERE key = $1", [ESCALATION_SETTING]);
  const v = rows[0]?.value;
  return typeof v === "number" && Number.isFinite(v) && v >= 1 && v <= 7 * 24 * 60 ? v : DEFAULT_ESCALATION_MINUTES;
}

/** Escalates what is overdue now; returns the ids this call escalated. */
export async function escalateOverdue(deps: Pick<Deps, "db" | "now">): Promise<{ alerts: string[]; cases: string[] }> {
  const now = deps.now();
  const minutes = await escalationMinutes(deps.db);
  const open = await deps.db.query<{ id: string; created_at: Date; escalated_at: Date | null }>("SELECT id, created_at, escalated_at FROM alerts WHERE acknowledged_at IS NULL AND escalated_at IS NULL");
  const alertIds = dueEscalations(
    open.rows.map((r) => ({ id: r.id, createdAt: r.created_at, acknowledgedAt: null, escalatedAt: r.escalated_at })),
    now,
    minutes,
  );
  const overdue = await deps.db.query<{ id: string; due_at: Date | null; escalated_at: Date | null }>(
    "SELECT id, due_at, escalated_at FROM cases WHERE state <> 'closed' AND escalated_at IS NULL AND due_at < $1",
    [now],
  );
  const caseIds = dueCaseEscalations(
    overdue.rows.map((r) => ({ id: r.id, closed: false, dueAt: r.due_at, escalatedAt: r.escalated_at })),
    now,
  );
  if (alertIds.length === 0 && caseIds.length === 0) return { alerts: [], cases: [] };
  return deps.db.transaction(async (tx) => {
    const alerts = alertIds.length === 0 ? [] : (
      await tx.query<{ id: string; school_id: string; student_id: string }>(
        `UPDATE alerts SET escalated_at = $1
          WHERE id IN (SELECT jsonb_array_elements_text($2::jsonb)) AND acknowledged_at IS NULL AND escalated_at IS NULL
          RETURNING id, school_id, student_id`,
        [now, JSON.stringify(alertIds)],
      )
    ).rows;
    const cases = caseIds.length === 0 ? [] : (
      await tx.query<{ id: string; school_id: string; student_id: string; due_at: Date }>(
        `UPDATE cases SET escalated_at = $1
          WHERE id IN (SELECT jsonb_array_elements_text($2::jsonb)) AND state <> 'closed' AND escalated_at IS NULL AND due_at < $1
          RETURNING id, school_id, student_id, due_at`,
        [now, JSON.stringify(caseIds)],
      )
    ).rows;
    await writeAudit(tx, [
      ...alerts.map((a) => ({ at: now, actor: { kind: "system" as const }, action: "alert.escalate", schoolId: a.school_id, studentId: a.student_id, subject: a.id, context: { afterMinutes: minutes } })),
      ...cases.map((c) => ({ at: now, actor: { kind: "system" as const }, action: "case.escalate", schoolId: c.school_id, studentId: c.student_id, subject: c.id, context: { dueAt: c.due_at.toISOString() } })),
    ]);
    await enqueueWebhooks(tx, deps, alerts.map((a) => ({ alertId: a.id, schoolId: a.school_id, event: "escalated" as const })));
    for (const a of alerts) await notifyAlert(tx, a.id);
    for (const c of cases) await notifyCaseEscalated(tx, c.id);
    return { alerts: alerts.map((a) => a.id), cases: cases.map((c) => c.id) };
  });
}
