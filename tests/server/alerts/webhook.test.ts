import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildApp } from "../../../src/server/app";
import { escalateOverdue } from "../../../src/server/features/alerts/escalate";
import { raiseAlert } from "../../../src/server/features/alerts/raise";
import { checkDestination, deliverDueWebhooks, MAX_ATTEMPTS, postTo, retryDelayMs, webhookText, type ResolveHost } from "../../../src/server/features/alerts/webhook";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

describe("the webhook message and its retries", () => {
  it("says which school has an alert and when, and nothing about the student", () => {
    const text = webhookText("alert", "第一实验中学", "acute", new Date("2026-03-02T02:05:00Z"));
    expect(text).toBe("【心晴预警】第一实验中学有一条紧急心理危机预警（2026/03/02 10:05），请心理教师立即登录心晴确认处理。（本消息不含学生信息）");
    expect(webhookText("escalated", "第一实验中学", "critical", new Date("2026-03-02T02:05:00Z"))).toContain("已上报学校负责人");
  });

  it("waits 30 s, then twice as long after each further failure", () => {
    expect([1, 2, 3, 4, 7].map(retryDelayMs)).toEqual([30_000, 60_000, 120_000, 240_000, 1_920_000]);
  });
});

/** A resolver with fixed answers that counts its calls. */
function fixedDns(answers: Record<string, string[]>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  return Object.assign(async (host: string) => {
    calls.push(host);
    return answers[host] ?? [];
  }, { calls });
}

describe("where a delivery may connect", () => {
  it("resolves a name once and connects to the address it checked", async () => {
    const dns = fixedDns({ "hooks.example": ["8.8.8.8", "2001:4860:4860::8888"] });
    expect(await checkDestination("https://hooks.example/send", null, dns)).toEqual({ kind: "allowed", address: "8.8.8.8" });
    expect(dns.calls).toEqual(["hooks.example"]);
  });

  it.each([
    ["one of its addresses is internal", ["8.8.8.8", "10.0.0.5"], "host hooks.example resolves to 10.0.0.5, an internal address"],
    ["it resolves to an IPv4-mapped loopback", ["::ffff:7f00:1"], "host hooks.example resolves to ::ffff:7f00:1, an internal address"],
    ["it has no address", [], "host hooks.example has no address"],
  ])("refuses a name when %s, listed or not", async (_what, addresses, error) => {
    for (const hosts of [null, ["hooks.example"]]) {
      expect(await checkDestination("https://hooks.example/send", hosts, fixedDns({ "hooks.example": addresses }))).toEqual({ kind: "refused", error });
    }
  });

  it("allows an internal IP address only when the administrator lists it, without asking DNS", async () => {
    const dns = fixedDns({});
    expect(await checkDestination("http://10.0.0.5:8080/hook", null, dns)).toEqual({ kind: "refused", error: "host 10.0.0.5 is an internal address" });
    expect(await checkDestination("http://[::1]/hook", null, dns)).toEqual({ kind: "refused", error: "host [::1] is an internal address" });
    expect(await checkDestination("http://10.0.0.5:8080/hook", ["10.0.0.5"], dns)).toEqual({ kind: "allowed", address: "10.0.0.5" });
    expect(await checkDestination("http://8.8.8.8/hook", null, dns)).toEqual({ kind: "allowed", address: "8.8.8.8" });
    expect(dns.calls).toEqual([]);
  });

  it("posts to the pinned address with the name in the Host header (a .example name has no DNS answer)", async () => {
    const receiver = await startReceiver();
    try {
      const port = (receiver.server.address() as AddressInfo).port;
      const res = await postTo(`http://hooks.example:${port}/cgi-bin/webhook/send`, "127.0.0.1", { "x-xinqing-event": "alert" }, '{"msgtype":"text"}');
      expect(res).toEqual({ status: 200, text: '{"errcode":0,"errmsg":"ok"}' });
      expect(receiver.received).toMatchObject([{ headers: { host: `hooks.example:${port}`, "x-xinqing-event": "alert" }, body: '{"msgtype":"text"}' }]);
    } finally {
      await new Promise((r) => receiver.server.close(r));
    }
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local receiver: answers with the queued replies in turn (then 200 {"errcode":0}) and keeps what it got. */
function startReceiver(): Promise<{ server: Server; url: string; received: Received[]; replies: { status: number; body: string }[] }> {
  const received: Received[] = [];
  const replies: { status: number; body: string }[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      const reply = replies.shift() ?? { status: 200, body: '{"errcode":0,"errmsg":"ok"}' };
      res.writeHead(reply.status, { "content-type": "application/json" }).end(reply.body);
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cgi-bin/webhook/send?key=test`, received, replies })));
}

const SECRET = "a-secret-of-sixteen-plus";

describeEachDatabase("the school webhook", (getDb) => {
  let t: TestServer;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let schoolId: string;
  let otherSchool: string;
  let studentId: string;
  let leadId: string;
  let adminId: string;
  let lead: Record<string, string>;
  let admin: Record<string, string>;
  let sources = 0;

  beforeAll(async () => {
    // The local receiver listens on 127.0.0.1, an internal address: only a listed IP address may be one.
    t = await startTestServer(getDb(), { webhookHosts: ["127.0.0.1"] });
    receiver = await startReceiver();
    schoolId = await t.seed.school({ name: "第一实验中学" });
    otherSchool = await t.seed.school({ name: "第二中学" });
    const classId = await t.seed.klass(schoolId, 8, "3");
    studentId = await t.seed.student(classId, { name: "王小明" });
    leadId = await t.seed.account("school-lead", { schoolId });
    adminId = await t.seed.account("admin");
  });
  afterAll(async () => {
    await t.app.close();
    await new Promise((r) => receiver.server.close(r));
  });
  beforeEach(async () => {
    receiver.received.length = 0;
    receiver.replies.length = 0;
    await t.db.query("DELETE FROM webhook_deliveries");
    // Sessions end after 30 idle minutes, and the tests move the clock by hours.
    lead = (await t.signIn(leadId)).headers;
    admin = (await t.signIn(adminId)).headers;
  });

  const setHook = (body: unknown, headers = lead, school = schoolId) => t.app.inject({ method: "PUT", url: `/api/schools/${school}/webhook`, headers, payload: body as object });
  const raise = () => t.db.transaction((tx) => raiseAlert(tx, t.deps, { schoolId, studentId, source: "response", sourceId: `resp-${++sources}`, kind: "acute", items: [{ instrument: "asq", item: "q5" }] }));
  const allowing = (hosts: string[] | null) => ({ ...t.deps, config: { ...t.deps.config, webhookHosts: hosts } });
  const deliveries = async () => (await t.db.query<{ status: string; attempts: number; event: string; last_error: string | null }>("SELECT status, attempts, event, last_error FROM webhook_deliveries ORDER BY created_at")).rows;

  it("posts a signed WeChat-bot text message for a raised alert, once, without the student's name", async () => {
    expect((await setHook({ url: receiver.url, enabled: true, secret: SECRET })).statusCode).toBe(204);
    await raise();
    expect(await deliverDueWebhooks(t.deps)).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    const body = JSON.parse(got!.body) as { msgtype: string; text: { content: string } };
    expect(body.msgtype).toBe("text");
    expect(body.text.content).toContain("第一实验中学");
    expect(got!.body).not.toContain("王小明");
    expect(got!.body).not.toContain(studentId);
    expect(got!.headers["x-xinqing-signature"]).toBe(`sha256=${createHmac("sha256", SECRET).update(got!.body).digest("hex")}`);
    expect(await deliverDueWebhooks(t.deps)).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    expect(await deliveries()).toMatchObject([{ status: "delivered", attempts: 1, event: "alert" }]);
  });

  it("retries a refused delivery after the back-off, and only then", async () => {
    await setHook({ url: receiver.url, enabled: true });
    receiver.replies.push({ status: 502, body: "bad gateway" }, { status: 200, body: '{"errcode":93000,"errmsg":"invalid webhook url"}' });
    await raise();
    expect(await deliverDueWebhooks(t.deps)).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect((await deliveries())[0]).toMatchObject({ status: "pending", attempts: 1, last_error: "HTTP 502 bad gateway" });
    t.clock.advance(retryDelayMs(1) - 1000);
    expect(await deliverDueWebhooks(t.deps)).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    t.clock.advance(1000);
    expect(await deliverDueWebhooks(t.deps)).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect((await deliveries())[0]!.last_error).toBe("errcode 93000 invalid webhook url");
    t.clock.advance(retryDelayMs(2));
    expect(await deliverDueWebhooks(t.deps)).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(receiver.received).toHaveLength(3);
    expect(new Set(receiver.received.map((r) => r.headers["x-xinqing-delivery"])).size).toBe(1);
  });

  it("gives up after the last attempt and writes it in the audit log", async () => {
    await setHook({ url: receiver.url, enabled: true });
    for (let i = 0; i < MAX_ATTEMPTS; i++) receiver.replies.push({ status: 500, body: "down" });
    const { id } = await raise();
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      expect((await deliverDueWebhooks(t.deps)).retrying).toBe(1);
      t.clock.advance(retryDelayMs(i));
    }
    expect(await deliverDueWebhooks(t.deps)).toEqual({ delivered: 0, retrying: 0, failed: 1 });
    expect((await deliveries())[0]).toMatchObject({ status: "failed", attempts: MAX_ATTEMPTS });
    const audit = await t.db.query("SELECT 1 FROM audit_log WHERE action = 'webhook.failed' AND subject = $1", [id]);
    expect(audit.rows).toHaveLength(1);
  });

  it("sends the escalation of an alert nobody acknowledged", async () => {
    await setHook({ url: receiver.url, enabled: true });
    // Earlier tests' alerts are still unacknowledged: settle them so only this one escalates.
    await t.db.query("UPDATE alerts SET escalated_at = $1 WHERE escalated_at IS NULL", [t.clock.now()]);
    const { id } = await raise();
    await deliverDueWebhooks(t.deps);
    t.clock.advance(31 * 60_000);
    expect((await escalateOverdue(t.deps)).alerts).toEqual([id]);
    await deliverDueWebhooks(t.deps);
    expect(receiver.received.map((r) => (JSON.parse(r.body) as { text: { content: string } }).text.content.slice(0, 8))).toEqual(["【心晴预警】第一", "【心晴预警升级】"]);
    expect((await t.db.query("SELECT event, status FROM webhook_deliveries WHERE alert_id = $1 ORDER BY event", [id])).rows).toEqual([
      { event: "alert", status: "delivered" },
      { event: "escalated", status: "delivered" },
    ]);
  });

  it("queues nothing while the webhook is disabled or after it is removed", async () => {
    await setHook({ url: receiver.url, enabled: false });
    await raise();
    expect(await deliveries()).toEqual([]);
    await setHook({ url: receiver.url, enabled: true });
    expect((await t.app.inject({ method: "DELETE", url: `/api/schools/${schoolId}/webhook`, headers: lead })).statusCode).toBe(204);
    await raise();
    expect(await deliveries()).toEqual([]);
    expect((await t.app.inject({ method: "GET", url: `/api/schools/${schoolId}/webhook`, headers: lead })).json()).toMatchObject({ webhook: null });
  });

  it("shows the configuration and deliveries but never the secret", async () => {
    await setHook({ url: receiver.url, enabled: true, secret: SECRET });
    await setHook({ url: receiver.url, enabled: true });
    const res = await t.app.inject({ method: "GET", url: `/api/schools/${schoolId}/webhook`, headers: admin });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ webhook: { url: receiver.url, enabled: true, signed: true } });
    expect(res.body).not.toContain(SECRET);
    const stored = await t.db.query<{ secret_enc: string }>("SELECT secret_enc FROM school_webhooks WHERE school_id = $1", [schoolId]);
    expect(stored.rows[0]!.secret_enc).not.toContain(SECRET);
  });

  it.each([
    ["a javascript: URL", "javascript:alert(1)"],
    ["an ftp: URL", "ftp://example.com/x"],
    ["a URL with credentials", "http://user:pw@127.0.0.1/x"],
    ["text that is no URL", "not a url"],
    ["a URL over 2,000 characters", `http://127.0.0.1/${"x".repeat(2000)}`],
  ])("refuses %s with a 400 that names the field", async (_label, url) => {
    const res = await setHook({ url, enabled: true });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: "invalid_request", details: [{ path: "body.url" }] } });
  });

  it("answers 403 to a counselor, 404 for another school's lead and for a school that does not exist", async () => {
    const counselor = (await t.signIn(await t.seed.account("counselor", { schoolId }))).headers;
    expect((await setHook({ url: receiver.url, enabled: true }, counselor)).statusCode).toBe(403);
    const otherLead = (await t.signIn(await t.seed.account("school-lead", { schoolId: otherSchool }))).headers;
    expect((await setHook({ url: receiver.url, enabled: true }, otherLead)).statusCode).toBe(404);
    expect((await t.app.inject({ method: "GET", url: `/api/schools/${schoolId}/webhook`, headers: otherLead })).statusCode).toBe(404);
    expect((await setHook({ url: receiver.url, enabled: true }, admin, "no-such-school")).statusCode).toBe(404);
  });

  it("posts only to the hosts the deployment allows (XINQING_WEBHOOK_HOSTS), when it lists them", async () => {
    const restricted = await buildApp(allowing(["qyapi.weixin.qq.com"]));
    try {
      const res = await restricted.inject({ method: "PUT", url: `/api/schools/${schoolId}/webhook`, headers: lead, payload: { url: receiver.url, enabled: true } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: "webhook_host_not_allowed", details: [{ path: "body.url", code: "webhook_host_not_allowed" }] } });
      expect((await restricted.inject({ method: "PUT", url: `/api/schools/${schoolId}/webhook`, headers: lead, payload: { url: "https://QYAPI.weixin.qq.com/cgi-bin/webhook/send?key=k", enabled: false } })).statusCode).toBe(204);
    } finally {
      await restricted.close();
    }
    // A URL set before the list was narrowed is not posted to either.
    await setHook({ url: receiver.url, enabled: true });
    await raise();
    expect(await deliverDueWebhooks(allowing(["qyapi.weixin.qq.com"]))).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect(receiver.received).toHaveLength(0);
    expect((await deliveries())[0]!.last_error).toBe("host 127.0.0.1 is not in XINQING_WEBHOOK_HOSTS");
    expect(await deliverDueWebhooks(allowing(["127.0.0.1"]))).toEqual({ delivered: 0, retrying: 0, failed: 0 });
    t.clock.advance(retryDelayMs(1));
    expect(await deliverDueWebhooks(allowing(["127.0.0.1"]))).toEqual({ delivered: 1, retrying: 0, failed: 0 });
  });

  it.each([
    ["a private IPv4 address", "http://10.0.0.5/hook", "10.0.0.5"],
    ["the cloud metadata address", "http://169.254.169.254/latest/meta-data", "169.254.169.254"],
    ["an IPv4-mapped loopback", "http://[::ffff:7f00:1]:8080/hook", "[::ffff:7f00:1]"],
    ["loopback written as one number", "http://2130706433/hook", "127.0.0.1"],
  ])("refuses %s that is not listed with a 400 naming the field", async (_what, url, host) => {
    const open = await buildApp(allowing(null));
    try {
      const res = await open.inject({ method: "PUT", url: `/api/schools/${schoolId}/webhook`, headers: lead, payload: { url, enabled: true } });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: "webhook_host_internal", details: [{ path: "body.url", code: "webhook_host_internal" }] } });
      expect(res.json<{ error: { message: string } }>().error.message).toContain(host);
    } finally {
      await open.close();
    }
  });

  it("does not post to a name that resolves to an internal address, and records why", async () => {
    await setHook({ url: receiver.url, enabled: true });
    // A name is not checked when it is set (its DNS answer then proves nothing): set it directly.
    await t.db.query("UPDATE school_webhooks SET url = 'https://hooks.example/send?key=k' WHERE school_id = $1", [schoolId]);
    await raise();
    const dns = fixedDns({ "hooks.example": ["10.0.0.5"] });
    // Listed or not, a name never reaches an internal address.
    expect(await deliverDueWebhooks(allowing(["hooks.example"]), { resolve: dns })).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect(dns.calls).toEqual(["hooks.example"]);
    expect((await deliveries())[0]).toMatchObject({ status: "pending", attempts: 1, last_error: "host hooks.example resolves to 10.0.0.5, an internal address" });
    t.clock.advance(retryDelayMs(1));
    // localhost, with the system resolver.
    await t.db.query("UPDATE school_webhooks SET url = $1 WHERE school_id = $2", [receiver.url.replace("127.0.0.1", "localhost"), schoolId]);
    expect(await deliverDueWebhooks(allowing(null))).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect((await deliveries())[0]!.last_error).toMatch(/^host localhost resolves to (127\.0\.0\.1|::1), an internal address$/);
    expect(receiver.received).toHaveLength(0);
  });

  it("posts to an internal IP address only while the administrator lists it", async () => {
    await setHook({ url: receiver.url, enabled: true });
    await raise();
    expect(await deliverDueWebhooks(allowing(null))).toEqual({ delivered: 0, retrying: 1, failed: 0 });
    expect((await deliveries())[0]!.last_error).toBe("host 127.0.0.1 is an internal address");
    t.clock.advance(retryDelayMs(1));
    expect(await deliverDueWebhooks(allowing(["127.0.0.1"]), { resolve: fixedDns({}) })).toEqual({ delivered: 1, retrying: 0, failed: 0 });
    expect(receiver.received).toHaveLength(1);
  });
});
