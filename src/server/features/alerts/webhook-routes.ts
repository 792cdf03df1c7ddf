/**
 * A school's outgoing webhook (issue 6), managed by the admin or the school's lead (webhook.manage):
 * - GET    /api/schools/:id/webhook — the URL, whether it is enabled and signed (never the secret), and
 *   the last 20 deliveries with their status;
 * - PUT    /api/schools/:id/webhook — set {url, enabled, secret?}; audited; 400 for a host outside
 *   XINQING_WEBHOOK_HOSTS or an internal IP address it does not list (names are checked at delivery);
 * - DELETE /api/schools/:id/webhook — remove it; queued deliveries are dropped; audited.
 * The plugin also sends due deliveries every few seconds (started when the app is ready, stopped on close).
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { SchoolParams } from "../../../shared/schools";
import { PutWebhookBody, WebhookView } from "../../../shared/webhooks";
import type { StaffActor } from "../../auth/actor";
import { can, scopeOf } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import { encrypt } from "../../crypto/cipher";
import type { Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { badRequest, forbidden, notFound } from "../../errors";
import { writeAudit } from "./audit";
import { deliverDueWebhooks, hostRefusal } from "./webhook";

export interface WebhookRoutesOptions {
  readonly deps: Deps;
  /** Milliseconds between delivery runs (default 5 s); 0 starts no timer (tests call deliverDueWebhooks). */
  readonly deliverEveryMs?: number;
}

/** 403 for a role that manages no webhook; 404 for a school that does not exist or is not the actor's (no existence leak). */
async function checkSchool(db: Queryable, actor: StaffActor, schoolId: string): Promise<void> {
  if (scopeOf(actor, "webhook.manage").kind === "none") throw forbidden("only the administrator or the school lead manages the webhook / 仅管理员或学校负责人可设置推送");
  if (!can(actor, "webhook.manage", { schoolId })) throw notFound("no such school");
  const { rows } = await db.query("SELECT 1 FROM schools WHERE id = $1", [schoolId]);
  if (rows.length === 0) throw notFound("no such school");
}

export const webhookRoutes: FastifyPluginAsync<WebhookRoutesOptions> = async (base, { deps, deliverEveryMs = 5_000 }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();
  let timer: NodeJS.Timeout | null = null;
  let running = false;

  app.addHook("onReady", async () => {
    if (deliverEveryMs <= 0) return;
    timer = setInterval(() => {
      if (running) return;
      running = true;
      deliverDueWebhooks(deps)
        .catch((err: unknown) => app.log.error({ err }, "webhook delivery run failed"))
        .finally(() => (running = false));
    }, deliverEveryMs);
    timer.unref();
  });
  app.addHook("preClose", async () => {
    if (timer) clearInterval(timer);
  });

  app.get("/api/schools/:id/webhook", { schema: { params: SchoolParams, response: { 200: WebhookView } } }, async (request) => {
    const actor = requireStaff(request);
    const schoolId = request.params.id;
    await checkSchool(deps.db, actor, schoolId);
    const hook = await deps.db.query<{ url: string; enabled: boolean; secret_enc: string | null; updated_at: Date }>("SELECT url, enabled, secret_enc, updated_at FROM school_webhooks WHERE school_id = $1", [schoolId]);
    const deliveries = await deps.db.query<{ id: string; event: "alert" | "escalated"; status: "pending" | "delivered" | "failed"; attempts: number; last_error: string | null; created_at: Date; delivered_at: Date | null }>(
      "SELECT id, event, status, attempts, last_error, created_at, delivered_at FROM webhook_deliveries WHERE school_id = $1 ORDER BY created_at DESC, id DESC LIMIT 20",
      [schoolId],
    );
    const h = hook.rows[0];
    return {
      webhook: h === undefined ? null : { url: h.url, enabled: h.enabled, signed: h.secret_enc !== null, updatedAt: h.updated_at.toISOString() },
      deliveries: deliveries.rows.map((d) => ({
        id: d.id,
        event: d.event,
        status: d.status,
        attempts: d.attempts,
        lastError: d.last_error,
        createdAt: d.created_at.toISOString(),
        deliveredAt: d.delivered_at?.toISOString() ?? null,
      })),
    };
  });

  app.put("/api/schools/:id/webhook", { schema: { params: SchoolParams, body: PutWebhookBody } }, async (request, reply) => {
    const actor = requireStaff(request);
    const schoolId = request.params.id;
    await checkSchool(deps.db, actor, schoolId);
    const { url, enabled, secret } = request.body;
    // Only what is known without DNS; a host name is checked against its addresses at each delivery.
    const refusal = hostRefusal(url, deps.config.webhookHosts);
    if (refusal === "not_listed") {
      const message = `this server may only post to ${deps.config.webhookHosts!.join(", ")} / 本系统只允许向这些地址推送`;
      throw badRequest("webhook_host_not_allowed", message, [{ path: "body.url", code: "webhook_host_not_allowed", message }]);
    }
    if (refusal === "internal") {
      const message = `${new URL(url).hostname} is an internal address; only the administrator can allow one (XINQING_WEBHOOK_HOSTS) / 不能向内部网络地址推送`;
      throw badRequest("webhook_host_internal", message, [{ path: "body.url", code: "webhook_host_internal", message }]);
    }
    const now = deps.now();
    const secretEnc = secret === undefined || secret === null ? null : encrypt(deps.keys, secret, `school_webhooks.secret_enc:${schoolId}`);
    await deps.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO school_webhooks (school_id, url, secret_enc, enabled, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (school_id) DO UPDATE SET url = EXCLUDED.url, enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by,
           secret_enc = CASE WHEN $7 THEN school_webhooks.secret_enc ELSE EXCLUDED.secret_enc END`,
        [schoolId, url, secretEnc, enabled, now, actor.accountId, secret === undefined],
      );
      // The URL is configuration, not personal data; the secret never reaches the audit log.
      await writeAudit(tx, [{ at: now, actor, action: "webhook.set", schoolId, studentId: null, subject: schoolId, context: { url, enabled, secret: secret === undefined ? "kept" : secret === null ? "removed" : "set" }, address: request.ip }]);
    });
    return reply.status(204).send();
  });

  app.delete("/api/schools/:id/webhook", { schema: { params: SchoolParams } }, async (request, reply) => {
    const actor = requireStaff(request);
    const schoolId = request.params.id;
    await checkSchool(deps.db, actor, schoolId);
    const now = deps.now();
    await deps.db.transaction(async (tx) => {
      await tx.query("DELETE FROM webhook_deliveries WHERE school_id = $1 AND status = 'pending'", [schoolId]);
      await tx.query("DELETE FROM school_webhooks WHERE school_id = $1", [schoolId]);
      await writeAudit(tx, [{ at: now, actor, action: "webhook.remove", schoolId, studentId: null, subject: schoolId, address: request.ip }]);
    });
    return reply.status(204).send();
  });
};
