import type { AddressInfo } from "node:net";
import Fastify from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultBatteries } from "../../../instruments/batteries";
import { buildApp, type App } from "../../../src/server/app";
import { authPlugin } from "../../../src/server/auth/plugin";
import { createSession } from "../../../src/server/auth/sessions";
import { openDatabase } from "../../../src/server/db/database";
import { dueEscalations, escalateOverdue } from "../../../src/server/features/alerts/escalate";
import { AlertHub } from "../../../src/server/features/alerts/hub";
import { raiseAlert } from "../../../src/server/features/alerts/raise";
import { alertRoutes } from "../../../src/server/features/alerts/routes";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { openStream, until, type SseStream } from "./sse";

const items = (values: number[]) => Object.fromEntries(values.map((v, i) => [`q${i + 1}`, v]));
const MIN = 60_000;

describe("which alerts are due for escalation", () => {
  const now = new Date("2026-03-02T10:00:00Z");
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * MIN);
  it.each([
    [29, false],
    [29.99, false],
    [30, true],
    [31, true],
  ])("escalates an unacknowledged alert raised %f minutes ago under a 30-minute setting: %s", (ago, due) => {
    expect(dueEscalations([{ id: "a", createdAt: at(ago), acknowledgedAt: null, escalatedAt: null }], now, 30)).toEqual(due ? ["a"] : []);
  });

  it("never escalates an acknowledged or an already escalated alert", () => {
    expect(
      dueEscalations(
        [
          { id: "ack", createdAt: at(90), acknowledgedAt: at(80), escalatedAt: null },
          { id: "esc", createdAt: at(90), acknowledgedAt: null, escalatedAt: at(60) },
        ],
        now,
        30,
      ),
    ).toEqual([]);
  });

  it("follows the configured number of minutes", () => {
    const alert = { id: "a", createdAt: at(40), acknowledgedAt: null, escalatedAt: null };
    expect(dueEscalations([alert], now, 45)).toEqual([]);
    expect(dueEscalations([alert], now, 40)).toEqual(["a"]);
  });
});

interface School {
  schoolId: string;
  classId: string;
  studentId: string;
  studentName: string;
  counselor: string;
  lead: string;
}

describeEachDatabase("alerts in time", (getDb, context) => {
  let t: TestServer;
  let base: string;
  let a: School;
  let b: School;
  let peer: string;
  let homeroom: string;
  const streams: SseStream[] = [];

  async function aSchool(name: string): Promise<School> {
    const schoolId = await t.seed.school();
    const classId = await t.seed.klass(schoolId, 8, "2");
    const studentId = await t.seed.student(classId, { name });
    return { schoolId, classId, studentId, studentName: name, counselor: await t.seed.account("counselor", { schoolId }), lead: await t.seed.account("school-lead", { schoolId }) };
  }

  async function stream(accountId: string, server = base): Promise<SseStream> {
    const { cookie } = await t.signIn(accountId);
    const s = await openStream(`${server}/api/alerts/stream`, cookie);
    streams.push(s);
    return s;
  }

  /** An open wave of the school and a student session on it (a new student of the class). */
  async function aStudentSession(school: School, name: string) {
    const wave = t.deps.newId();
    const now = t.clock.now().getTime();
    await t.db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       VALUES ($1, $2, $5, 'spring', $3, $4, $6, 'default-v1', 'open', $3)
       ON CONFLICT (school_id, school_year, season) DO NOTHING`,
      [wave, school.schoolId, new Date(now - 3_600_000), new Date(now + 3_600_000), "2025-2026", JSON.stringify(defaultBatteries)],
    );
    const { rows } = await t.db.query<{ id: string }>("SELECT id FROM waves WHERE school_id = $1", [school.schoolId]);
    const studentId = await t.seed.student(school.classId, { name });
    const s = await createSession(t.deps, { studentId, waveId: rows[0]!.id });
    return { studentId, headers: { cookie: `xq_session=${s.token}`, "x-csrf-token": s.csrfToken } };
  }

  async function raise(school: School, studentId = school.studentId, kind: "acute" | "critical" = "critical") {
    return t.db.transaction((tx) => raiseAlert(tx, t.deps, { schoolId: school.schoolId, studentId, source: "response", sourceId: t.deps.newId(), kind, items: [{ instrument: "phq9", item: "q9" }] }));
  }

  beforeAll(async () => {
    t = await startTestServer(getDb());
    await t.app.listen({ host: "127.0.0.1", port: 0 });
    base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    a = await aSchool("张三");
    b = await aSchool("李四");
    peer = await t.seed.account("peer", { schoolId: a.schoolId, classes: [{ classId: a.classId, relation: "peer" }] });
    homeroom = await t.seed.account("homeroom", { schoolId: a.schoolId, classes: [{ classId: a.classId, relation: "homeroom" }] });
  });
  afterAll(async () => {
    for (const s of streams) s.close();
    await t.app.close();
  });

  it("streams a student's critical answer to a counselor of the school within 5 s, and never to another school", async () => {
    const mine = await stream(a.counselor);
    const theirs = await stream(b.counselor);
    expect(mine.status).toBe(200);
    expect(mine.contentType).toMatch(/^text\/event-stream/);
    const student = await aStudentSession(a, "王小明");
    const started = Date.now();
    const res = await t.app.inject({ method: "POST", url: "/api/student/response/submit", headers: student.headers, payload: { idempotencyKey: "alert-submit-000001", answers: { phq9: items([0, 0, 0, 0, 0, 0, 0, 0, 3]) } } });
    expect(res.statusCode).toBe(200);
    const e = await mine.next((x) => x.event === "alert" && (x.data as { studentId: string }).studentId === student.studentId);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(e.data).toMatchObject({ studentName: "王小明", class: { id: a.classId, grade: 8, label: "2" }, kind: "critical", acknowledgedAt: null });
    expect(JSON.stringify(e.data)).not.toMatch(/score|tier|total|band|"q9"|phq9/i);
    // Notifications arrive in commit order: once school B's counselor has B's later alert, A's went by.
    const later = await raise(b);
    await theirs.next((x) => x.id === later.id);
    expect(theirs.events.map((x) => (x.data as { studentId: string }).studentId)).not.toContain(student.studentId);
    expect(JSON.stringify(theirs.events)).not.toContain("王小明");
  });

  it("raises an acute alert for an ASQ acute positive answer, once per response", async () => {
    const student = await aStudentSession(a, "赵六");
    const payload = { idempotencyKey: "alert-submit-000002", answers: { asq: { q1: "yes", q2: "no", q3: "no", q4: "no", q5: "yes" } } };
    await t.app.inject({ method: "POST", url: "/api/student/response/submit", headers: student.headers, payload });
    await t.app.inject({ method: "POST", url: "/api/student/response/submit", headers: student.headers, payload });
    const { rows } = await t.db.query<{ kind: string; source: string }>("SELECT kind, source FROM alerts WHERE student_id = $1", [student.studentId]);
    expect(rows).toEqual([{ kind: "acute", source: "response" }]);
  });

  it("rolls the alert back with a transaction that fails", async () => {
    const sourceId = t.deps.newId();
    await expect(
      t.db.transaction(async (tx) => {
        await raiseAlert(tx, t.deps, { schoolId: a.schoolId, studentId: a.studentId, source: "observation", sourceId, kind: "acute", items: [] });
        throw new Error("the observation could not be stored");
      }),
    ).rejects.toThrow();
    const { rows } = await t.db.query("SELECT 1 FROM alerts WHERE source_id = $1", [sourceId]);
    expect(rows).toEqual([]);
  });

  it("sends the unacknowledged alerts of the school on connect, with heartbeats and clean-up on disconnect", async () => {
    const raised = await raise(a);
    // A separate app with fast heartbeats and a hub the test can watch.
    const hub = new AlertHub(t.deps, { heartbeatMs: 50 });
    const app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(authPlugin, { deps: t.deps });
    await app.register(alertRoutes, { deps: t.deps, hub, escalateEveryMs: 0 });
    await app.listen({ host: "127.0.0.1", port: 0 });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
      const s = await stream(a.lead, url);
      const e = await s.next((x) => x.id === raised.id);
      expect(e.event).toBe("alert");
      await until(() => s.comments.includes("heartbeat"));
      expect(hub.size).toBe(1);
      s.close();
      await until(() => hub.size === 0);
      // A stream whose session ends is closed at the next heartbeat.
      const other = await stream(a.counselor, url);
      await until(() => hub.size === 1);
      await t.db.query("DELETE FROM sessions WHERE account_id = $1", [a.counselor]);
      await until(() => other.ended());
      expect(hub.size).toBe(0);
    } finally {
      await app.close();
    }
  });

  it("refuses the stream, the list and acknowledging to teachers, peer monitors and the district admin", async () => {
    const admin = await t.seed.account("admin");
    const raised = await raise(a);
    for (const who of [peer, homeroom, admin]) {
      const { cookie, headers } = await t.signIn(who);
      const s = await openStream(`${base}/api/alerts/stream`, cookie);
      expect(s.status).toBe(403);
      expect((await t.app.inject({ method: "GET", url: "/api/alerts", headers })).statusCode).toBe(403);
      expect((await t.app.inject({ method: "POST", url: `/api/alerts/${raised.id}/acknowledge`, headers, payload: {} })).statusCode).toBe(403);
    }
    const anonymous = await fetch(`${base}/api/alerts/stream`);
    expect(anonymous.status).toBe(401);
  });

  it("lets a named counselor acknowledge an alert once, audited, and tells the open pages", async () => {
    const raised = await raise(a, a.studentId, "critical");
    const watching = await stream(a.lead);
    await watching.next((x) => x.id === raised.id);
    const { headers } = await t.signIn(a.counselor);
    const badge = async () => (await t.app.inject({ method: "GET", url: "/api/alerts?status=unacknowledged", headers })).json() as { count: number; alerts: { id: string }[] };
    const before = await badge();
    expect(before.alerts.map((x) => x.id)).toContain(raised.id);
    const res = await t.app.inject({ method: "POST", url: `/api/alerts/${raised.id}/acknowledge`, headers, payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ alert: { id: raised.id, acknowledgedBy: { id: a.counselor } }, caseId: null });
    expect((await badge()).count).toBe(before.count - 1);
    await watching.next((x) => x.id === raised.id && x.event === "acknowledged");
    const again = await t.app.inject({ method: "POST", url: `/api/alerts/${raised.id}/acknowledge`, headers, payload: {} });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("already_acknowledged");
    const { rows } = await t.db.query("SELECT actor_id, actor_role, student_id FROM audit_log WHERE action = 'alert.acknowledge' AND subject = $1", [raised.id]);
    expect(rows).toEqual([{ actor_id: a.counselor, actor_role: "counselor", student_id: a.studentId }]);
  });

  it("opens a case assigned to the counselor when an acute alert is acknowledged", async () => {
    const studentId = await t.seed.student(a.classId, { name: "钱七" });
    const raised = await raise(a, studentId, "acute");
    const { headers } = await t.signIn(a.counselor);
    const res = await t.app.inject({ method: "POST", url: `/api/alerts/${raised.id}/acknowledge`, headers });
    expect(res.statusCode).toBe(200);
    const caseId = res.json().caseId as string;
    expect(caseId).toBeTruthy();
    const detail = await t.app.inject({ method: "GET", url: `/api/cases/${caseId}`, headers });
    expect(detail.json()).toMatchObject({ studentId, tier: "red", state: "acknowledged", assignee: { id: a.counselor }, alertId: raised.id, allowed: ["interview"] });
  });

  it("answers another school's alert with 404, and refuses a call without the CSRF token", async () => {
    const raised = await raise(a);
    const other = await t.signIn(b.counselor);
    expect((await t.app.inject({ method: "POST", url: `/api/alerts/${raised.id}/acknowledge`, headers: other.headers, payload: {} })).statusCode).toBe(404);
    const mine = await t.signIn(a.counselor);
    const noCsrf = await t.app.inject({ method: "POST", url: `/api/alerts/${raised.id}/acknowledge`, headers: { cookie: mine.cookie }, payload: {} });
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json().error.code).toBe("csrf");
    const { rows } = await t.db.query<{ acknowledged_at: Date | null }>("SELECT acknowledged_at FROM alerts WHERE id = $1", [raised.id]);
    expect(rows[0]!.acknowledged_at).toBeNull();
  });

  it.each([
    ["an SQL fragment as id", "/api/alerts/x';DROP%20TABLE%20alerts;--/acknowledge", {}],
    ["an unknown field", "/api/alerts/abc/acknowledge", { openCase: true, force: true }],
    ["a wrong type", "/api/alerts/abc/acknowledge", { openCase: "yes" }],
  ])("answers %s with a 400 naming the place", async (_what, url, payload) => {
    const { headers } = await t.signIn(a.counselor);
    const res = await t.app.inject({ method: "POST", url, headers, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toMatch(/^(params|body)/);
  });

  it("answers a 5000-character id with a client error, never a 500", async () => {
    const { headers } = await t.signIn(a.counselor);
    const res = await t.app.inject({ method: "POST", url: `/api/alerts/${"a".repeat(5000)}/acknowledge`, headers, payload: {} });
    // Fastify's router refuses an over-long parameter with 414 before any handler runs.
    expect(res.statusCode).toBe(414);
  });

  it("answers an unknown status filter with 400", async () => {
    const { headers } = await t.signIn(a.counselor);
    const res = await t.app.inject({ method: "GET", url: "/api/alerts?status=<script>", headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe("querystring.status");
  });

  it("escalates an alert left unacknowledged for 30 minutes to the school lead, once, audited", async () => {
    const lead = await stream(a.lead);
    const raised = await raise(a);
    t.clock.advance(29 * MIN);
    expect((await escalateOverdue(t.deps)).alerts).not.toContain(raised.id);
    t.clock.advance(1 * MIN);
    expect((await escalateOverdue(t.deps)).alerts).toContain(raised.id);
    expect((await escalateOverdue(t.deps)).alerts).not.toContain(raised.id);
    const e = await lead.next((x) => x.id === raised.id && x.event === "escalated");
    expect(e.data).toMatchObject({ escalatedAt: t.clock.now().toISOString(), acknowledgedAt: null });
    const { rows } = await t.db.query("SELECT actor_role, student_id FROM audit_log WHERE action = 'alert.escalate' AND subject = $1", [raised.id]);
    expect(rows).toEqual([{ actor_role: "system", student_id: a.studentId }]);
    const { headers } = await t.signIn(a.lead);
    const escalated = (await t.app.inject({ method: "GET", url: "/api/alerts?status=escalated", headers })).json() as { alerts: { id: string }[] };
    expect(escalated.alerts.map((x) => x.id)).toContain(raised.id);
  });

  it("tells the school lead's open page when a case step is overdue, and no other school", async () => {
    const lead = await stream(a.lead);
    const other = await stream(b.lead);
    const studentId = await t.seed.student(a.classId, { name: "吴九" });
    const { headers } = await t.signIn(a.counselor);
    const opened = await t.app.inject({ method: "POST", url: "/api/cases", headers, payload: { studentId, tier: "red", reason: "r" } });
    const caseId = opened.json().id as string;
    t.clock.set(new Date(new Date(opened.json().dueAt as string).getTime() + 1000));
    expect((await escalateOverdue(t.deps)).cases).toContain(caseId);
    const e = await lead.next((x) => x.event === "case-escalated" && x.id === caseId);
    expect(e.data).toMatchObject({ caseId, studentId, studentName: "吴九", dueAt: opened.json().dueAt });
    expect(JSON.stringify(e.data)).not.toMatch(/reason|tier|score/);
    const later = await raise(b);
    await other.next((x) => x.id === later.id);
    expect(other.events.map((x) => x.id)).not.toContain(caseId);
  });

  it("takes the escalation time from the settings", async () => {
    await t.db.query("INSERT INTO settings (key, value) VALUES ('alerts.escalate_after_minutes', '45') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value");
    try {
      const raised = await raise(a);
      t.clock.advance(44 * MIN);
      expect((await escalateOverdue(t.deps)).alerts).not.toContain(raised.id);
      t.clock.advance(1 * MIN);
      expect((await escalateOverdue(t.deps)).alerts).toContain(raised.id);
    } finally {
      await t.db.query("DELETE FROM settings WHERE key = 'alerts.escalate_after_minutes'");
    }
  });

  it.runIf(context.kind === "postgres")("reaches a counselor connected to a second app instance on the same database", async () => {
    const fresh = await context.freshDatabase();
    const one = await startTestServer(fresh.db);
    const db2 = await openDatabase({ url: fresh.url!, poolSize: 2 });
    let two: App | undefined;
    try {
      two = await buildApp({ ...one.deps, db: db2 });
      await two.listen({ host: "127.0.0.1", port: 0 });
      const school = await one.seed.school();
      const studentId = await one.seed.student(await one.seed.klass(school, 9, "1"), { name: "孙八" });
      const counselor = await one.seed.account("counselor", { schoolId: school });
      const { cookie } = await one.signIn(counselor);
      const s = await openStream(`http://127.0.0.1:${(two.server.address() as AddressInfo).port}/api/alerts/stream`, cookie);
      streams.push(s);
      expect(s.status).toBe(200); // the headers come once the instance listens
      const raised = await one.db.transaction((tx) => raiseAlert(tx, one.deps, { schoolId: school, studentId, source: "response", sourceId: "r1", kind: "acute", items: [] }));
      const e = await s.next((x) => x.id === raised.id);
      expect(e.data).toMatchObject({ studentName: "孙八", kind: "acute" });
    } finally {
      await two?.close();
      await db2.close();
      await one.app.close();
    }
  });
});
