/**
 * Alerts, in time (issue 6):
 * - GET /api/alerts/stream — server-sent events for the counselors and the school lead of one school
 *   (case.manage on the school): on connect the school's unacknowledged alerts, then every new,
 *   acknowledged or escalated alert and every escalated case of that school within seconds (LISTEN/NOTIFY,
 *   so across app instances on PostgreSQL), heartbeats every 15 s. No score in any event.
 * - GET /api/alerts?status=unacknowledged|escalated|all — the list and the badge count.
 * - POST /api/alerts/:id/acknowledge — by a named account (audited); an acute alert opens a case
 *   assigned to the acknowledging counselor (body `openCase` to choose).
 * Escalation runs every minute from this plugin (started when the app is ready, stopped on close);
 * see escalate.ts. Every list or stream that shows a student's name writes an audit row per student.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { AcknowledgeBody, AcknowledgeReply, AlertList, AlertParams, AlertQuery } from "../../../shared/alerts";
import type { StaffActor } from "../../auth/actor";
import { scopeOf } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import type { Deps } from "../../deps";
import { ApiError, forbidden, notFound } from "../../errors";
import { CaseOpenError, openCase } from "../cases/store";
import { writeAudit } from "./audit";
import { escalateOverdue } from "./escalate";
import { AlertHub } from "./hub";
import { notifyAlert } from "./raise";
import { ALERT_SELECT, readAlert, toAlert, type AlertRow } from "./store";

export interface AlertRoutesOptions {
  readonly deps: Deps;
  /** Milliseconds between heartbeats on a stream (default 15 s). */
  readonly heartbeatMs?: number;
  /** Milliseconds between escalation runs (default 60 s); 0 starts no timer. */
  readonly escalateEveryMs?: number;
  /** The stream hub to use (tests watch its connections); default: a new one. */
  readonly hub?: AlertHub;
}

/** The school whose alerts `actor` receives (counselors and the school lead), else 403. */
export function alertSchoolOf(actor: StaffActor): string {
  const scope = scopeOf(actor, "case.manage");
  if (scope.kind !== "school") throw forbidden("only counselors and the school lead receive alerts / 仅心理教师和学校负责人接收预警");
  return scope.schoolId;
}

const AUTO_CASE_REASON = {
  response: "危机预警：筛查作答中有危机条目（预警已确认）/ Acute alert: a critical answer in the screening (alert acknowledged)",
  observation: "危机预警：教师或心理委员的危机观察（预警已确认）/ Acute alert: a critical observation (alert acknowledged)",
} as const;

export const alertRoutes: FastifyPluginAsync<AlertRoutesOptions> = async (base, { deps, heartbeatMs, escalateEveryMs = 60_000, hub = new AlertHub(deps, { heartbeatMs }) }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  let timer: NodeJS.Timeout | null = null;
  let running = false;

  app.addHook("onReady", async () => {
    if (escalateEveryMs <= 0) return;
    timer = setInterval(() => {
      if (running) return;
      running = true;
      escalateOverdue(deps)
        .catch((err: unknown) => app.log.error({ err }, "escalation run failed"))
        .finally(() => (running = false));
    }, escalateEveryMs);
    timer.unref();
  });
  // Open streams would keep the server from closing: end them first.
  app.addHook("preClose", async () => {
    if (timer) clearInterval(timer);
    await hub.close();
  });

  app.get("/api/alerts/stream", { schema: { hide: true } }, async (request, reply) => {
    const actor = requireStaff(request);
    const schoolId = alertSchoolOf(actor);
    // Listening before the headers go out: a client that has the headers misses no alert.
    await hub.ready();
    reply.hijack();
    const res = reply.raw;
    // A hijacked reply sends only what is written here: the security headers set on the reply come along.
    for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) res.setHeader(name, value);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-store",
      connection: "keep-alive",
      "x-accel-buffering": "no",
      "x-content-type-options": "nosniff",
    });
    res.write("retry: 3000\n\n");
    const id = deps.newId();
    let open = true;
    res.on("close", () => {
      open = false;
      hub.remove(id);
    });
    try {
      await hub.add({
        id,
        actor,
        schoolId,
        write: (chunk) => {
          if (open) res.write(chunk);
        },
        end: () => {
          if (open) res.end();
          open = false;
        },
      });
      if (!open) hub.remove(id);
    } catch (err) {
      request.log.error({ err }, "alert stream failed");
      hub.remove(id);
      if (open) res.end();
    }
  });

  app.get("/api/alerts", { schema: { querystring: AlertQuery, response: { 200: AlertList } } }, async (request) => {
    const actor = requireStaff(request);
    const schoolId = alertSchoolOf(actor);
    const where = {
      unacknowledged: "AND al.acknowledged_at IS NULL",
      escalated: "AND al.acknowledged_at IS NULL AND al.escalated_at IS NOT NULL",
      all: "",
    }[request.query.status];
    const { rows } = await deps.db.query<AlertRow>(`${ALERT_SELECT} WHERE al.school_id = $1 ${where} ORDER BY al.created_at DESC, al.id LIMIT 200`, [schoolId]);
    const now = deps.now();
    await writeAudit(
      deps.db,
      rows.map((r) => ({ at: now, actor, action: "alert.list", schoolId, studentId: r.student_id, subject: r.id, address: request.ip })),
    );
    return { count: rows.length, alerts: rows.map((r) => toAlert(deps.keys, r)) };
  });

  app.post("/api/alerts/:id/acknowledge", { schema: { params: AlertParams, body: AcknowledgeBody, response: { 200: AcknowledgeReply } } }, async (request) => {
    const actor = requireStaff(request);
    const schoolId = alertSchoolOf(actor);
    const now = deps.now();
    const caseId = await deps.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ id: string; school_id: string; student_id: string; kind: "acute" | "critical"; source: "response" | "observation"; created_at: Date; acknowledged_at: Date | null }>(
        "SELECT id, school_id, student_id, kind, source, created_at, acknowledged_at FROM alerts WHERE id = $1 FOR UPDATE",
        [request.params.id],
      );
      const alert = rows[0];
      if (!alert || alert.school_id !== schoolId) throw notFound("no such alert / 无此预警");
      if (alert.acknowledged_at !== null) throw new ApiError(409, "already_acknowledged", "this alert was acknowledged already / 该预警已被确认");
      await tx.query("UPDATE alerts SET acknowledged_at = $2, acknowledged_by = $3 WHERE id = $1", [alert.id, now, actor.accountId]);
      let opened: string | null = null;
      if (request.body?.openCase ?? alert.kind === "acute") {
        try {
          opened = await openCase(tx, deps, {
            schoolId,
            studentId: alert.student_id,
            tier: alert.kind === "acute" ? "red" : "orange",
            reason: AUTO_CASE_REASON[alert.source],
            assignee: actor.accountId,
            openedBy: actor.accountId,
            flaggedAt: alert.created_at,
            alertId: alert.id,
            acknowledged: true,
          });
        } catch (e) {
          if (!(e instanceof CaseOpenError) || e.caseId === null) throw e;
          opened = e.caseId;
        }
        await tx.query("UPDATE alerts SET case_id = $2 WHERE id = $1", [alert.id, opened]);
      }
      await writeAudit(tx, [
        { at: now, actor, action: "alert.acknowledge", schoolId, studentId: alert.student_id, subject: alert.id, context: opened === null ? {} : { caseId: opened }, address: request.ip },
      ]);
      await notifyAlert(tx, alert.id);
      return opened;
    });
    const row = await readAlert(deps.db, request.params.id);
    return { alert: toAlert(deps.keys, row!), caseId };
  });
};
