/**
 * Raising an alert (issue 6, "Alerts, in time"): in the SAME transaction as the critical answer or
 * observation, so the alert commits with it or not at all, then `pg_notify` on {@link ALERT_CHANNEL}
 * (delivered at commit) so the server-sent-event connections of every app instance learn of it.
 *
 * A notification carries only an id ("look in the database"): `<alert id>` for an alert whose state
 * changed (raised, acknowledged, escalated), `case:<case id>` for an escalated case.
 */
import type { AlertKind, AlertSource } from "../../../shared/alerts";
import type { Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import type { CriticalItem, OnCritical } from "../responses/submit";
import { writeAudit } from "./audit";
import { enqueueWebhook } from "./webhook";

/** The LISTEN/NOTIFY channel of alerts and escalations. */
export const ALERT_CHANNEL = "xinqing_alerts";

export interface RaiseAlertInput {
  readonly schoolId: string;
  readonly studentId: string;
  readonly source: AlertSource;
  /** The response or observation id: one alert per source, however often it is raised. */
  readonly sourceId: string;
  readonly kind: AlertKind;
  /** Which items were critical (ids only, never answers). */
  readonly items: readonly CriticalItem[];
}

/** Tells every app instance (after commit) that alert `alertId` changed. */
export async function notifyAlert(tx: Queryable, alertId: string): Promise<void> {
  await tx.query("SELECT pg_notify($1, $2)", [ALERT_CHANNEL, alertId]);
}

/** Tells every app instance (after commit) that case `caseId` was escalated. */
export async function notifyCaseEscalated(tx: Queryable, caseId: string): Promise<void> {
  await tx.query("SELECT pg_notify($1, $2)", [ALERT_CHANNEL, `case:${caseId}`]);
}

/**
 * Inserts the alert of a critical answer or observation inside `tx` and notifies on commit. Raising the
 * same source again changes nothing (`raised: false`, the first alert's id).
 */
export async function raiseAlert(tx: Queryable, deps: Pick<Deps, "newId" | "now">, input: RaiseAlertInput): Promise<{ id: string; raised: boolean }> {
  const id = deps.newId();
  const now = deps.now();
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO alerts (id, school_id, student_id, source, source_id, kind, items, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (source, source_id) DO NOTHING RETURNING id`,
    [id, input.schoolId, input.studentId, input.source, input.sourceId, input.kind, JSON.stringify(input.items.map((i) => ({ instrument: i.instrument, item: i.item }))), now],
  );
  if (rows.length === 0) {
    const existing = await tx.query<{ id: string }>("SELECT id FROM alerts WHERE source = $1 AND source_id = $2", [input.source, input.sourceId]);
    return { id: existing.rows[0]!.id, raised: false };
  }
  await writeAudit(tx, [{ at: now, actor: { kind: "system" }, action: "alert.raise", schoolId: input.schoolId, studentId: input.studentId, subject: id, context: { source: input.source, kind: input.kind } }]);
  await enqueueWebhook(tx, deps, { alertId: id, schoolId: input.schoolId, event: "alert" });
  await notifyAlert(tx, id);
  return { id, raised: true };
}

/**
 * The responses feature's `onCritical` hook: a critical answer raises an alert in the submission's
 * transaction. Acute when a matching tier rule is marked acute (ASQ acute positive); otherwise critical
 * (e.g. PHQ-9 item 9 > 0, or a declined response whose saved answers held a critical item).
 */
export function alertOnCritical(deps: Pick<Deps, "newId" | "now">): OnCritical {
  return async (tx, event) => {
    await raiseAlert(tx, deps, {
      schoolId: event.schoolId,
      studentId: event.studentId,
      source: "response",
      sourceId: event.responseId,
      kind: event.tier?.acute === true ? "acute" : "critical",
      items: event.items,
    });
  };
}
