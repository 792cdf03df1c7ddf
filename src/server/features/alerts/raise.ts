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
import { enqueueWebhooks } from "./webhook";

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

/** {@link notifyAlert} for several alerts in one statement. */
async function notifyAlerts(tx: Queryable, alertIds: readonly string[]): Promise<void> {
  await tx.query("SELECT pg_notify($1, x) FROM jsonb_array_elements_text($2::jsonb) AS x", [ALERT_CHANNEL, JSON.stringify(alertIds)]);
}

/** Tells every app instance (after commit) that case `caseId` was escalated. */
export async function notifyCaseEscalated(tx: Queryable, caseId: string): Promise<void> {
  await tx.query("SELECT pg_notify($1, $2)", [ALERT_CHANNEL, `case:${caseId}`]);
}

/**
 * Inserts the alerts of critical answers or observations inside `tx` and notifies on commit, in four
 * statements however many there are (a lab's burst of submits raises them together). Raising the same
 * source again changes nothing (`raised: false`, the first alert's id). Results are in input order.
 */
export async function raiseAlerts(tx: Queryable, deps: Pick<Deps, "newId" | "now">, inputs: readonly RaiseAlertInput[]): Promise<{ id: string; raised: boolean }[]> {
  if (inputs.length === 0) return [];
  const now = deps.now();
  const rows = inputs.map((input) => ({
    id: deps.newId(),
    school_id: input.schoolId,
    student_id: input.studentId,
    source: input.source,
    source_id: input.sourceId,
    kind: input.kind,
    items: input.items.map((i) => ({ instrument: i.instrument, item: i.item })),
  }));
  const inserted = await tx.query<{ id: string; school_id: string; student_id: string; source: string; source_id: string; kind: string }>(
    `INSERT INTO alerts (id, school_id, student_id, source, source_id, kind, items, created_at)
     SELECT x.id, x.school_id, x.student_id, x.source, x.source_id, x.kind, x.items, $2 FROM jsonb_to_recordset($1::jsonb)
         AS x(id text, school_id text, student_id text, source text, source_id text, kind text, items jsonb)
     ON CONFLICT (source, source_id) DO NOTHING RETURNING id, school_id, student_id, source, source_id, kind`,
    [JSON.stringify(rows), now],
  );
  const raised = new Map(inserted.rows.map((r) => [`${r.source}:${r.source_id}`, r.id]));
  const missing = inputs.filter((i) => !raised.has(`${i.source}:${i.sourceId}`));
  const existing = new Map<string, string>();
  if (missing.length > 0) {
    const found = await tx.query<{ id: string; source: string; source_id: string }>(
      "SELECT a.id, a.source, a.source_id FROM alerts a JOIN jsonb_to_recordset($1::jsonb) AS x(source text, source_id text) ON a.source = x.source AND a.source_id = x.source_id",
      [JSON.stringify(missing.map((i) => ({ source: i.source, source_id: i.sourceId })))],
    );
    for (const r of found.rows) existing.set(`${r.source}:${r.source_id}`, r.id);
  }
  if (inserted.rows.length > 0) {
    await writeAudit(
      tx,
      inserted.rows.map((r) => ({ at: now, actor: { kind: "system" as const }, action: "alert.raise", schoolId: r.school_id, studentId: r.student_id, subject: r.id, context: { source: r.source, kind: r.kind } })),
    );
    await enqueueWebhooks(tx, deps, inserted.rows.map((r) => ({ alertId: r.id, schoolId: r.school_id, event: "alert" as const })));
    await notifyAlerts(tx, inserted.rows.map((r) => r.id));
  }
  return inputs.map((i) => {
    const key = `${i.source}:${i.sourceId}`;
    const id = raised.get(key);
    return id !== undefined ? { id, raised: true } : { id: existing.get(key)!, raised: false };
  });
}

/** {@link raiseAlerts} for one alert. */
export async function raiseAlert(tx: Queryable, deps: Pick<Deps, "newId" | "now">, input: RaiseAlertInput): Promise<{ id: string; raised: boolean }> {
  return (await raiseAlerts(tx, deps, [input]))[0]!;
}

/**
 * The responses feature's `onCritical` hook: critical answers raise alerts in the submissions'
 * transaction. Acute when a matching tier rule is marked acute (ASQ acute positive); otherwise critical
 * (e.g. PHQ-9 item 9 > 0, or a declined response whose saved answers held a critical item).
 */
export function alertOnCritical(deps: Pick<Deps, "newId" | "now">): OnCritical {
  return async (tx, events) => {
    await raiseAlerts(
      tx,
      deps,
      events.map((event) => ({
        schoolId: event.schoolId,
        studentId: event.studentId,
        source: "response" as const,
        sourceId: event.responseId,
        kind: event.tier?.acute === true ? ("acute" as const) : ("critical" as const),
        items: event.items,
      })),
    );
  };
}
