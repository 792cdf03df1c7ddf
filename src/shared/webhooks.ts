/**
 * A school's optional outgoing webhook (issue 6, "Alerts, in time"): when an alert is raised or escalated,
 * XinQing POSTs a short text message to the school's URL, e.g. an enterprise WeChat (企业微信) group bot,
 * whose `{msgtype: "text", text: {content}}` body it uses. The message carries no student's name, class
 * or answer: it only says that an alert is waiting in XinQing. Bodies of `/api/schools/:id/webhook`.
 */
import { z } from "zod";

/** An http(s) URL without credentials in it, at most 2,000 characters. */
export const WebhookUrl = z
  .string()
  .max(2000)
  // The URL is stored as typed: a NUL byte would reach the database (and URL parsers drop tabs and newlines).
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "no control characters")
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "https:" || u.protocol === "http:") && u.username === "" && u.password === "";
    } catch {
      return false;
    }
  }, "an http:// or https:// URL without a user name or password in it");

/** PUT body. `secret` signs every delivery (HMAC-SHA256 in X-XinQing-Signature); null removes it; left out keeps it. */
export const PutWebhookBody = z.strictObject({
  url: WebhookUrl,
  enabled: z.boolean(),
  secret: z.string().min(16).max(256).nullable().optional(),
});
export type PutWebhookBody = z.infer<typeof PutWebhookBody>;

export const WebhookDeliveryView = z.object({
  id: z.string(),
  event: z.enum(["alert", "escalated"]),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number(),
  lastError: z.string().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});
export type WebhookDeliveryView = z.infer<typeof WebhookDeliveryView>;

/** GET reply: the configuration (never the secret) and the last 20 deliveries. */
export const WebhookView = z.object({
  webhook: z.object({ url: z.string(), enabled: z.boolean(), signed: z.boolean(), updatedAt: z.string() }).nullable(),
  deliveries: z.array(WebhookDeliveryView),
});
export type WebhookView = z.infer<typeof WebhookView>;
