/**
 * The HTTP contract of alerts (issue 6, "Alerts, in time"), shared by the server and the SPA.
 *
 * An alert tells the counselors and the school lead of one school that a student gave a critical answer
 * (or a teacher filed a critical observation). It names the student and the class; it never carries a
 * score, a tier or an answer.
 */
import { z } from "zod";
import { Id } from "./api";

export const AlertKind = z.enum(["acute", "critical"]);
export type AlertKind = z.infer<typeof AlertKind>;

export const AlertSource = z.enum(["response", "observation"]);
export type AlertSource = z.infer<typeof AlertSource>;

/** Who acknowledged an alert: a named person. */
export const AlertAcknowledger = z.object({ id: z.string(), name: z.string() });

/** One alert as counselors see it, in the list and in the stream. */
export const Alert = z.object({
  id: z.string(),
  studentId: z.string(),
  studentName: z.string(),
  /** e.g. { grade: 8, label: "2" } → 8年级2班 */
  class: z.object({ id: z.string(), grade: z.number(), label: z.string() }),
  kind: AlertKind,
  source: AlertSource,
  createdAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  acknowledgedBy: AlertAcknowledger.nullable(),
  escalatedAt: z.string().nullable(),
  caseId: z.string().nullable(),
});
export type Alert = z.infer<typeof Alert>;

/** GET /api/alerts?status=… — `unacknowledged` (default, the badge), `escalated` (unacknowledged and escalated), `all` (the last 200). */
export const AlertQuery = z.strictObject({
  status: z.enum(["unacknowledged", "escalated", "all"]).default("unacknowledged"),
});

export const AlertList = z.object({ count: z.number(), alerts: z.array(Alert) });
export type AlertList = z.infer<typeof AlertList>;

export const AlertParams = z.strictObject({ id: Id });

/**
 * POST /api/alerts/:id/acknowledge. `openCase` opens a case assigned to the acknowledging counselor
 * (default: yes for an acute alert, no for another critical one); a student with an open case keeps it.
 * The body may be left out.
 */
export const AcknowledgeBody = z.union([z.strictObject({ openCase: z.boolean().optional() }), z.null()]).optional();

export const AcknowledgeReply = z.object({ alert: Alert, caseId: z.string().nullable() });

/**
 * The events of GET /api/alerts/stream (text/event-stream):
 * - `alert`: a new (or, on connect, a still unacknowledged) alert of the school;
 * - `acknowledged`: someone acknowledged an alert (banners elsewhere can close);
 * - `escalated`: an alert went unacknowledged past the escalation time;
 * - `case-escalated`: a case step is overdue (to the school lead and the counselors);
 * plus comment lines (`: heartbeat`) every few seconds.
 */
export const StreamEventName = z.enum(["alert", "acknowledged", "escalated", "case-escalated"]);
export type StreamEventName = z.infer<typeof StreamEventName>;

/** The `data` of a `case-escalated` event. */
export const CaseEscalation = z.object({
  caseId: z.string(),
  studentId: z.string(),
  studentName: z.string(),
  class: z.object({ id: z.string(), grade: z.number(), label: z.string() }),
  dueAt: z.string().nullable(),
  escalatedAt: z.string(),
});
export type CaseEscalation = z.infer<typeof CaseEscalation>;

/** The settings row (table `settings`) holding the minutes after which an unacknowledged alert escalates. */
export const ESCALATION_SETTING = "alerts.escalate_after_minutes";
export const DEFAULT_ESCALATION_MINUTES = 30;
