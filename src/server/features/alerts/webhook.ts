/**
 * The optional outgoing webhook of a school (issue 6): an outbox. `enqueueWebhook` queues a delivery in
 * the transaction that raises or escalates an alert; `deliverDueWebhooks` (every few seconds, from
 * webhook-routes.ts) claims due deliveries, POSTs them and records the outcome, retrying with back-off
 * until MAX_ATTEMPTS. Claims expire, so a delivery whose sender died is picked up again; two app
 * instances never claim the same delivery (FOR UPDATE SKIP LOCKED).
 *
 * The body is an enterprise WeChat (企业微信) group-bot text message. It names the school and says an
 * alert is waiting; never a student, a class or an answer (a chat app is outside XinQing's protection).
 *
 * Where a delivery may go (server-side request forgery): a host in XINQING_WEBHOOK_HOSTS when the
 * deployment lists hosts, and never an internal address (address.ts) unless the administrator listed
 * that very address. A host name is resolved once per delivery, every address it has is checked, and the
 * connection goes to the checked address: a second DNS answer (DNS rebinding) is never asked for.
 */
import { createHmac } from "node:crypto";
import { lookup } from "node:dns/promises";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { isIP, type LookupFunction } from "node:net";
import type { AlertKind } from "../../../shared/alerts";
import { decrypt } from "../../crypto/cipher";
import type { Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { ipLiteral, isInternalAddress } from "./address";
import { writeAudit } from "./audit";

export type WebhookEvent = "alert" | "escalated";

/** After this many failed attempts a delivery is marked failed (and the failure audited). */
export const MAX_ATTEMPTS = 8;
/** How long a sender owns a claimed delivery. */
const CLAIM_MS = 60_000;
/** The receiver must answer within this. */
const SEND_TIMEOUT_MS = 5_000;
/** Longest error text kept per delivery. */
const ERROR_MAX = 300;
/** The most of a receiver's answer that is read (a WeChat bot answers a few dozen bytes). */
const REPLY_MAX = 64 * 1024;

/** Every address of a host name, as the system resolver gives them. */
export type ResolveHost = (hostname: string) => Promise<readonly string[]>;

const lookupAll: ResolveHost = async (hostname) => (await lookup(hostname, { all: true })).map((a) => a.address);

/** Wait before the next attempt after `failed` failed attempts: 30 s, 1, 2, 4, 8, 16, 32 min. */
export function retryDelayMs(failed: number): number {
  return 30_000 * 2 ** Math.max(0, failed - 1);
}

/** Time as the school reads it (the districts XinQing serves are all on China Standard Time). */
function beijingTime(at: Date): string {
  return at.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" });
}

/** The text of a delivery: the school, what happened and when; nothing about the student. */
export function webhookText(event: WebhookEvent, schoolName: string, kind: AlertKind, raisedAt: Date): string {
  const what = kind === "acute" ? "一条紧急心理危机预警" : "一条危机条目预警";
  const head = event === "alert" ? `【心晴预警】${schoolName}有${what}（${beijingTime(raisedAt)}），请心理教师立即登录心晴确认处理。` : `【心晴预警升级】${schoolName}${beijingTime(raisedAt)}的${what}仍未确认，已上报学校负责人，请立即登录心晴处理。`;
  return `${head}（本消息不含学生信息）`;
}

/** The HMAC-SHA256 signature of a body, as sent in X-XinQing-Signature. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

/** Queues the deliveries of these events, for the schools with an enabled webhook (inside the caller's transaction). */
export async function enqueueWebhooks(tx: Queryable, deps: Pick<Deps, "now">, events: readonly { alertId: string; schoolId: string; event: WebhookEvent }[]): Promise<void> {
  if (events.length === 0) return;
  // One delivery per alert and event: its id is made from them, so a retry cannot queue it twice.
  await tx.query(
    `INSERT INTO webhook_deliveries (id, school_id, alert_id, event, status, next_attempt_at, created_at)
     SELECT x.alert_id || ':' || x.event, w.school_id, x.alert_id, x.event, 'pending', $2, $2
       FROM jsonb_to_recordset($1::jsonb) AS x(alert_id text, school_id text, event text)
       JOIN school_webhooks w ON w.school_id = x.school_id AND w.enabled
     ON CONFLICT (alert_id, event) DO NOTHING`,
    [JSON.stringify(events.map((e) => ({ alert_id: e.alertId, school_id: e.schoolId, event: e.event }))), deps.now()],
  );
}

interface Claimed extends Record<string, unknown> {
  id: string;
  school_id: string;
  alert_id: string;
  event: WebhookEvent;
  attempts: number;
  url: string;
  secret_enc: string | null;
  school_name: string;
  kind: AlertKind;
  raised_at: Date;
}

export interface DeliveryRun {
  readonly delivered: number;
  readonly retrying: number;
  readonly failed: number;
}

export interface DeliverOptions {
  /** At most this many deliveries per run (default 20). */
  readonly limit?: number;
  /** How host names are resolved (default: the system resolver); tests give fixed answers. */
  readonly resolve?: ResolveHost;
}

/** Sends what is due now and records each outcome. */
export async function deliverDueWebhooks(deps: Pick<Deps, "db" | "now" | "keys" | "config">, { limit = 20, resolve = lookupAll }: DeliverOptions = {}): Promise<DeliveryRun> {
  const now = deps.now();
  const claimed = await deps.db.transaction(async (tx) => {
    const { rows } = await tx.query<{ id: string }>(
      `UPDATE webhook_deliveries SET claimed_until = $2
        WHERE id IN (SELECT id FROM webhook_deliveries
                      WHERE status = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until < $1)
                      ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING id`,
      [now, new Date(now.getTime() + CLAIM_MS), limit],
    );
    if (rows.length === 0) return [];
    const full = await tx.query<Claimed>(
      `SELECT d.id, d.school_id, d.alert_id, d.event, d.attempts, w.url, w.secret_enc, s.name AS school_name, a.kind, a.created_at AS raised_at
         FROM webhook_deliveries d
         JOIN school_webhooks w ON w.school_id = d.school_id
         JOIN schools s ON s.id = d.school_id
         JOIN alerts a ON a.id = d.alert_id
        WHERE d.id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify(rows.map((r) => r.id))],
    );
    return full.rows;
  });
  let delivered = 0;
  let retrying = 0;
  let failed = 0;
  for (const d of claimed) {
    const error = await send(deps, resolve, d);
    const attempts = d.attempts + 1;
    const at = deps.now();
    if (error === null) {
      delivered++;
      await deps.db.query("UPDATE webhook_deliveries SET status = 'delivered', attempts = $2, delivered_at = $3, claimed_until = NULL, last_error = NULL WHERE id = $1", [d.id, attempts, at]);
    } else if (attempts >= MAX_ATTEMPTS) {
      failed++;
      await deps.db.transaction(async (tx) => {
        await tx.query("UPDATE webhook_deliveries SET status = 'failed', attempts = $2, claimed_until = NULL, last_error = $3 WHERE id = $1", [d.id, attempts, error]);
        await writeAudit(tx, [{ at, actor: { kind: "system" }, action: "webhook.failed", schoolId: d.school_id, studentId: null, subject: d.alert_id, context: { delivery: d.id, event: d.event, attempts, error } }]);
      });
    } else {
      retrying++;
      await deps.db.query("UPDATE webhook_deliveries SET attempts = $2, next_attempt_at = $3, claimed_until = NULL, last_error = $4 WHERE id = $1", [d.id, attempts, new Date(at.getTime() + retryDelayMs(attempts)), error]);
    }
  }
  return { delivered, retrying, failed };
}

/**
 * Why a webhook may not post to this URL's host, as far as can be told without DNS, or null:
 * - "not_listed": the deployment lists the hosts it allows (XINQING_WEBHOOK_HOSTS) and this is not one;
 * - "internal": the host is an internal IP address the administrator did not list.
 * A host name is checked at delivery, against what it resolves to then (`checkDestination`).
 */
export function hostRefusal(url: string, hosts: readonly string[] | null): "not_listed" | "internal" | null {
  const host = new URL(url).hostname.toLowerCase();
  if (hosts !== null) return hosts.includes(host) ? null : "not_listed";
  const ip = ipLiteral(host);
  return ip !== null && isInternalAddress(ip) ? "internal" : null;
}

export type Destination = { readonly kind: "allowed"; readonly address: string } | { readonly kind: "refused"; readonly error: string };

/**
 * The one address a delivery to `url` connects to, or why it may not be sent. A host name is resolved
 * once; if any of its addresses is internal the delivery is refused, even when the name is listed (the
 * administrator lists names to trust their owners, not whatever their DNS answers).
 */
export async function checkDestination(url: string, hosts: readonly string[] | null, resolve: ResolveHost): Promise<Destination> {
  const host = new URL(url).hostname.toLowerCase();
  const refusal = hostRefusal(url, hosts);
  if (refusal === "not_listed") return { kind: "refused", error: `host ${host} is not in XINQING_WEBHOOK_HOSTS` };
  if (refusal === "internal") return { kind: "refused", error: `host ${host} is an internal address` };
  const ip = ipLiteral(host);
  if (ip !== null) return { kind: "allowed", address: ip };
  const addresses = await resolve(host);
  const internal = addresses.find(isInternalAddress);
  if (internal !== undefined) return { kind: "refused", error: `host ${host} resolves to ${internal}, an internal address` };
  if (addresses[0] === undefined) return { kind: "refused", error: `host ${host} has no address` };
  return { kind: "allowed", address: addresses[0] };
}

/** POSTs one delivery; null when the receiver took it, else why not (one line). */
async function send(deps: Pick<Deps, "keys" | "config">, resolve: ResolveHost, d: Claimed): Promise<string | null> {
  const body = JSON.stringify({ msgtype: "text", text: { content: webhookText(d.event, d.school_name, d.kind, d.raised_at) } });
  const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", "x-xinqing-delivery": d.id, "x-xinqing-event": d.event };
  try {
    // Checked at each delivery: the list may have changed since the URL was set, and DNS answers do.
    const destination = await checkDestination(d.url, deps.config.webhookHosts, resolve);
    if (destination.kind === "refused") return destination.error;
    if (d.secret_enc !== null) headers["x-xinqing-signature"] = signBody(decrypt(deps.keys, d.secret_enc, `school_webhooks.secret_enc:${d.school_id}`), body);
    const res = await postTo(d.url, destination.address, headers, body);
    if (res.status < 200 || res.status >= 300) return clip(`HTTP ${res.status} ${res.text}`);
    // A WeChat bot answers 200 with {errcode, errmsg}: errcode 0 is success.
    const errcode = parseErrcode(res.text);
    return errcode === null || errcode.code === 0 ? null : clip(`errcode ${errcode.code} ${errcode.message}`);
  } catch (e) {
    return clip((e as Error).message);
  }
}

/**
 * POSTs `body` to `url`, connecting to `address` whatever DNS says by then. The Host header and the TLS
 * server name (so the certificate check) stay those of the URL's host. No redirects are followed (a 3xx
 * is a failure): the configured URL is the only place a message goes. Exported for its test.
 */
export function postTo(url: string, address: string, headers: Readonly<Record<string, string>>, body: string): Promise<{ status: number; text: string }> {
  const pinned: LookupFunction = (_hostname, options, callback) => {
    const family = isIP(address);
    if (options.all === true) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    // A fresh connection each time (agent: false): a pooled socket could have been opened to another address.
    const req = (target.protocol === "https:" ? httpsRequest : httpRequest)(target, { method: "POST", headers: { ...headers, "content-length": Buffer.byteLength(body) }, lookup: pinned, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${SEND_TIMEOUT_MS / 1000} s`)), SEND_TIMEOUT_MS);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    req.on("error", fail);
    req.on("response", (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (size < REPLY_MAX) chunks.push(c);
        size += c.length;
      });
      res.on("error", fail);
      res.on("close", () => {
        if (!res.complete) fail(new Error("the answer was cut off"));
      });
      res.on("end", () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8").slice(0, REPLY_MAX) });
      });
    });
    req.end(body);
  });
}

function parseErrcode(text: string): { code: number; message: string } | null {
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === "object" && body !== null && "errcode" in body && typeof body.errcode === "number") {
      return { code: body.errcode, message: "errmsg" in body ? String(body.errmsg) : "" };
    }
  } catch {
    // Not JSON: a 2xx from a plain receiver is success.
  }
  return null;
}

const clip = (s: string): string => (s.length > ERROR_MAX ? `${s.slice(0, ERROR_MAX)}…` : s);
