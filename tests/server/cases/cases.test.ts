import { afterAll, beforeAll, expect, it } from "vitest";
import { escalateOverdue } from "../../../src/server/features/alerts/escalate";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

const HOSTILE = "'; DROP TABLE cases; -- <script>alert(1)</script> 𠀀𪚥䶵 😀👨‍👩‍👧 \u0000 \\n\r\n end";

describeEachDatabase("cases and check-in notices", (getDb) => {
  let t: TestServer;
  let schoolId: string;
  let classId: string;
  let otherClass: string;
  let counselor: string;
  let counselor2: string;
  let lead: string;
  let homeroom: string;
  let subject: string;
  let otherHomeroom: string;
  let peer: string;
  let strangerCounselor: string;
  let n = 0;

  const as = async (account: string) => (await t.signIn(account)).headers;
  const aStudent = async (name = `学生甲${++n}`) => t.seed.student(classId, { name });

  async function open(account: string, body: Record<string, unknown>) {
    return t.app.inject({ method: "POST", url: "/api/cases", headers: await as(account), payload: body });
  }
  async function step(account: string, caseId: string, body: Record<string, unknown>) {
    return t.app.inject({ method: "POST", url: `/api/cases/${caseId}/steps`, headers: await as(account), payload: body });
  }

  beforeAll(async () => {
    t = await startTestServer(getDb());
    schoolId = await t.seed.school();
    classId = await t.seed.klass(schoolId, 7, "3");
    otherClass = await t.seed.klass(schoolId, 7, "4");
    counselor = await t.seed.account("counselor", { schoolId });
    counselor2 = await t.seed.account("counselor", { schoolId });
    lead = await t.seed.account("school-lead", { schoolId });
    homeroom = await t.seed.account("homeroom", { schoolId, classes: [{ classId, relation: "homeroom" }] });
    subject = await t.seed.account("subject", { schoolId, classes: [{ classId, relation: "subject" }] });
    otherHomeroom = await t.seed.account("homeroom", { schoolId, classes: [{ classId: otherClass, relation: "homeroom" }] });
    peer = await t.seed.account("peer", { schoolId, classes: [{ classId, relation: "peer" }] });
    const otherSchool = await t.seed.school();
    strangerCounselor = await t.seed.account("counselor", { schoolId: otherSchool });
  });
  afterAll(() => t.app.close());

  it("opens a red case due the same day and an orange one due three school days later, across the weekend", async () => {
    t.clock.set("2026-03-06T10:00:00+08:00"); // a Friday
    const red = await open(counselor, { studentId: await aStudent(), tier: "red", reason: "ASQ 阳性" });
    expect(red.statusCode).toBe(201);
    expect(red.json()).toMatchObject({ tier: "red", state: "opened", dueAt: "2026-03-06T15:59:59.999Z", overdue: false, assignee: { id: counselor }, allowed: ["acknowledge"], policyVersion: "default-v1" });
    const orange = await open(counselor, { studentId: await aStudent(), tier: "orange", reason: "PHQ-9 中重度" });
    expect(orange.json().dueAt).toBe("2026-03-11T15:59:59.999Z"); // Wednesday
  });

  it("walks a case from acknowledgement through interview, plan, referral and follow-up to closing; a step out of order is 409 with the allowed ones", async () => {
    t.clock.set("2026-03-09T09:00:00+08:00");
    const id = (await open(counselor, { studentId: await aStudent(), tier: "red", reason: "危机" })).json().id as string;
    const early = await step(counselor, id, { kind: "interview", date: "2026-03-09", notes: "x" });
    expect(early.statusCode).toBe(409);
    expect(early.json()).toMatchObject({ error: { code: "invalid_transition" }, allowed: ["acknowledge"] });
    expect((await step(counselor, id, { kind: "acknowledge" })).json()).toMatchObject({ state: "acknowledged", allowed: ["interview"] });
    expect((await step(counselor, id, { kind: "interview", date: "2026-03-09", notes: "约谈记录" })).json()).toMatchObject({ state: "interviewed" });
    expect((await step(counselor, id, { kind: "plan", plan: "referral" })).json()).toMatchObject({ state: "planned", plan: "referral", allowed: ["referral"] });
    const skip = await step(counselor, id, { kind: "follow-up", date: "2026-03-12" });
    expect(skip.statusCode).toBe(409);
    expect(skip.json().allowed).toEqual(["referral"]);
    const referred = (await step(counselor, id, { kind: "referral", hospital: "市精神卫生中心", date: "2026-03-10", greenChannel: true })).json();
    expect(referred).toMatchObject({ state: "referred", dueAt: "2026-03-10T15:59:59.999Z" });
    expect((await step(counselor, id, { kind: "referral", hospital: "市精神卫生中心", date: "2026-03-10", greenChannel: true, outcome: "门诊随访" })).json().state).toBe("referred");
    expect((await step(counselor2, id, { kind: "follow-up", date: "2026-03-17", notes: "复诊" })).json()).toMatchObject({ state: "following-up", dueAt: "2026-03-17T15:59:59.999Z" });
    expect((await step(counselor, id, { kind: "return", date: "2026-03-20", plan: "复学后每周约谈一次" })).json()).toMatchObject({ state: "returned" });
    const closed = (await step(counselor, id, { kind: "close", reason: "稳定" })).json();
    expect(closed).toMatchObject({ state: "closed", dueAt: null, allowed: [] });
    expect(closed.steps.map((s: { kind: string }) => s.kind)).toEqual(["open", "acknowledge", "interview", "plan", "referral", "referral", "follow-up", "return", "close"]);
    expect(closed.steps[4]).toMatchObject({ greenChannel: true, date: "2026-03-10", text: { hospital: "市精神卫生中心" } });
    expect(closed.steps[6].by.id).toBe(counselor2);
    const after = await step(counselor, id, { kind: "follow-up", date: "2026-03-30" });
    expect(after.statusCode).toBe(409);
    expect(after.json().allowed).toEqual([]);
  });

  it("keeps notes and reasons encrypted at rest and gives hostile text back verbatim", async () => {
    const reason = `理由 ${HOSTILE}`;
    const id = (await open(counselor, { studentId: await aStudent(), tier: "orange", reason })).json().id as string;
    await step(counselor, id, { kind: "acknowledge" });
    const res = await step(counselor, id, { kind: "interview", date: "2026-03-09", notes: HOSTILE });
    expect(res.statusCode).toBe(200);
    const detail = (await t.app.inject({ method: "GET", url: `/api/cases/${id}`, headers: await as(counselor) })).json();
    expect(detail.reason).toBe(reason);
    expect(detail.steps.at(-1).text).toEqual({ notes: HOSTILE });
    for (const table of ["cases", "case_steps", "audit_log"]) {
      const { rows } = await t.db.query<{ t: string }>(`SELECT row_to_json(x)::text AS t FROM ${table} x`);
      const all = rows.map((r) => r.t).join("\n");
      expect(all).not.toContain("DROP TABLE");
      expect(all).not.toContain("𪚥");
      expect(all).not.toContain("约谈记录");
    }
    const { rows } = await t.db.query<{ name: string }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = 'cases'");
    expect(rows).toHaveLength(1);
  });

  it("audits every read of a case and of the list", async () => {
    const studentId = await aStudent();
    const id = (await open(counselor, { studentId, tier: "orange", reason: "r" })).json().id as string;
    await t.app.inject({ method: "GET", url: `/api/cases/${id}`, headers: await as(lead) });
    await t.app.inject({ method: "GET", url: "/api/cases", headers: await as(counselor2) });
    const { rows } = await t.db.query<{ action: string; actor_id: string }>("SELECT action, actor_id FROM audit_log WHERE subject = $1 AND action IN ('case.read', 'case.list') ORDER BY id", [id]);
    expect(rows).toEqual([
      { action: "case.read", actor_id: lead },
      { action: "case.list", actor_id: counselor2 },
    ]);
  });

  it("lists my open cases by due date with the overdue ones first, and the whole school's without mine", async () => {
    t.clock.set("2026-03-16T09:00:00+08:00"); // Monday
    const orange = (await open(counselor, { studentId: await aStudent(), tier: "orange", reason: "r" })).json().id as string; // due Thursday
    const notMine = (await open(counselor, { studentId: await aStudent(), tier: "red", reason: "r", assignee: counselor2 })).json().id as string;
    t.clock.set("2026-03-20T09:00:00+08:00"); // Friday: the orange case is overdue
    const red = (await open(counselor, { studentId: await aStudent(), tier: "red", reason: "r" })).json().id as string; // due today
    const mine = (await t.app.inject({ method: "GET", url: "/api/cases?mine=1", headers: await as(counselor) })).json().cases as { id: string; overdue: boolean; dueAt: string }[];
    const ids = mine.map((c) => c.id);
    expect(ids).not.toContain(notMine);
    expect(ids.indexOf(orange)).toBeLessThan(ids.indexOf(red));
    expect(mine.find((c) => c.id === orange)!.overdue).toBe(true);
    expect(mine.find((c) => c.id === red)!.overdue).toBe(false);
    const overdueFlags = mine.map((c) => c.overdue);
    expect(overdueFlags).toEqual([...overdueFlags].sort((x, y) => Number(y) - Number(x)));
    const school = (await t.app.inject({ method: "GET", url: "/api/cases", headers: await as(lead) })).json().cases as { id: string }[];
    expect(school.map((c) => c.id)).toContain(notMine);
  });

  it("escalates an overdue case to the school lead once, and again only after a new due date passes", async () => {
    t.clock.set("2026-03-23T09:00:00+08:00"); // Monday
    const id = (await open(counselor, { studentId: await aStudent(), tier: "red", reason: "r" })).json().id as string;
    expect((await escalateOverdue(t.deps)).cases).not.toContain(id);
    t.clock.set("2026-03-24T00:00:01+08:00");
    expect((await escalateOverdue(t.deps)).cases).toContain(id);
    expect((await escalateOverdue(t.deps)).cases).not.toContain(id);
    const seen = (await t.app.inject({ method: "GET", url: `/api/cases/${id}`, headers: await as(lead) })).json();
    expect(seen).toMatchObject({ overdue: true, escalatedAt: "2026-03-23T16:00:01.000Z" });
    const { rows } = await t.db.query("SELECT actor_role FROM audit_log WHERE action = 'case.escalate' AND subject = $1", [id]);
    expect(rows).toEqual([{ actor_role: "system" }]);
    // Acknowledging keeps the (passed) due date: still escalated, not escalated twice.
    await step(counselor, id, { kind: "acknowledge" });
    expect((await escalateOverdue(t.deps)).cases).not.toContain(id);
    const next = (await step(counselor, id, { kind: "interview", date: "2026-03-24", notes: "n", dueDate: "2026-03-25" })).json();
    expect(next).toMatchObject({ escalatedAt: null, dueAt: "2026-03-25T15:59:59.999Z" });
    t.clock.set("2026-03-26T08:00:00+08:00");
    expect((await escalateOverdue(t.deps)).cases).toContain(id);
  });

  it("refuses a second open case for a student, and an assignee who is not a counselor of the school", async () => {
    const studentId = await aStudent();
    expect((await open(counselor, { studentId, tier: "red", reason: "r" })).statusCode).toBe(201);
    const again = await open(counselor2, { studentId, tier: "orange", reason: "r" });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("case_open");
    for (const assignee of [homeroom, strangerCounselor, lead]) {
      const res = await open(counselor, { studentId: await aStudent(), tier: "red", reason: "r", assignee });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe("body.assignee");
    }
    const byLead = await open(lead, { studentId: await aStudent(), tier: "red", reason: "r" });
    expect(byLead.statusCode).toBe(400);
    expect((await open(lead, { studentId: await aStudent(), tier: "red", reason: "r", assignee: counselor })).statusCode).toBe(201);
  });

  it("answers teachers and peer monitors with 403 or 404 everywhere, and another school's counselor with 404", async () => {
    const studentId = await aStudent();
    const id = (await open(counselor, { studentId, tier: "red", reason: "秘密理由" })).json().id as string;
    const calls = [
      { method: "GET" as const, url: "/api/cases" },
      { method: "GET" as const, url: `/api/cases/${id}` },
      { method: "POST" as const, url: "/api/cases", payload: { studentId, tier: "red", reason: "r" } },
      { method: "POST" as const, url: `/api/cases/${id}/steps`, payload: { kind: "acknowledge" } },
      { method: "POST" as const, url: `/api/students/${studentId}/checkin-notice`, payload: {} },
    ];
    for (const who of [peer, homeroom, subject]) {
      for (const call of calls) {
        const res = await t.app.inject({ ...call, headers: await as(who) });
        expect([403, 404], `${call.method} ${call.url}`).toContain(res.statusCode);
        expect(res.body).not.toContain("秘密理由");
      }
    }
    expect((await t.app.inject({ method: "GET", url: "/api/notices", headers: await as(peer) })).statusCode).toBe(403);
    for (const call of calls.slice(1)) {
      expect((await t.app.inject({ ...call, headers: await as(strangerCounselor) })).statusCode, `${call.method} ${call.url}`).toBe(404);
    }
  });

  it("refuses a step without the CSRF token and writes nothing", async () => {
    const id = (await open(counselor, { studentId: await aStudent(), tier: "orange", reason: "r" })).json().id as string;
    const { cookie } = await t.signIn(counselor);
    const res = await t.app.inject({ method: "POST", url: `/api/cases/${id}/steps`, headers: { cookie }, payload: { kind: "acknowledge" } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("csrf");
    const { rows } = await t.db.query("SELECT kind FROM case_steps WHERE case_id = $1", [id]);
    expect(rows).toEqual([{ kind: "open" }]);
  });

  it.each([
    ["an unknown step", { kind: "sedate" }, "body.kind"],
    ["an impossible date", { kind: "interview", date: "2026-02-30", notes: "n" }, "body.date"],
    ["notes of 20,001 characters", { kind: "interview", date: "2026-03-02", notes: "字".repeat(20_001) }, "body.notes"],
    ["an unknown field", { kind: "acknowledge", tier: "red" }, "body"],
    ["a wrong type", { kind: "referral", hospital: "h", date: "2026-03-02", greenChannel: "yes" }, "body.greenChannel"],
  ])("answers %s with a 400 naming the place", async (_what, payload, path) => {
    const id = (await open(counselor, { studentId: await aStudent(), tier: "orange", reason: "r" })).json().id as string;
    const res = await step(counselor, id, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("answers a body over 1 MB with 413 and a yellow case with 400", async () => {
    const studentId = await aStudent();
    const huge = await open(counselor, { studentId, tier: "red", reason: "x".repeat(1_100_000) });
    expect(huge.statusCode).toBe(413);
    const yellow = await open(counselor, { studentId, tier: "yellow", reason: "r" });
    expect(yellow.statusCode).toBe(400);
    expect(yellow.json().error.details[0].path).toBe("body.tier");
    const { rows } = await t.db.query("SELECT 1 FROM cases WHERE student_id = $1", [studentId]);
    expect(rows).toEqual([]);
  });

  it("shows the homeroom teacher a check-in notice with the name and 'please check in' only — no tier, score or reason", async () => {
    t.clock.set("2026-03-02T10:00:00+08:00");
    const studentId = await aStudent("周小雨");
    await open(counselor, { studentId, tier: "orange", reason: "PHQ-9 总分 18，自伤意念" });
    const released = await t.app.inject({ method: "POST", url: `/api/students/${studentId}/checkin-notice`, headers: await as(counselor) });
    expect(released.statusCode).toBe(201);
    expect(released.json()).toMatchObject({ created: true, dueAt: "2026-03-16T15:59:59.999Z" }); // yellow: 10 school days
    const again = await t.app.inject({ method: "POST", url: `/api/students/${studentId}/checkin-notice`, headers: await as(counselor), payload: {} });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id: released.json().id, created: false });

    const res = await t.app.inject({ method: "GET", url: "/api/notices", headers: await as(homeroom) });
    expect(res.statusCode).toBe(200);
    const notice = res.json().notices.find((x: { studentId: string }) => x.studentId === studentId);
    expect(notice).toMatchObject({ studentName: "周小雨", class: { id: classId }, message: { "zh-CN": expect.stringContaining("谈心"), en: "Please check in with this student." } });
    expect(Object.keys(notice).sort()).toEqual(["class", "createdAt", "doneAt", "dueAt", "id", "kind", "message", "studentId", "studentName"]);
    expect(res.body.replace(/"id\w+"/g, '"<id>"')).not.toMatch(/tier|score|reason|yellow|orange|red\b|PHQ|自伤|总分|18/i);
    expect((await t.app.inject({ method: "GET", url: "/api/notices", headers: await as(subject) })).json().notices).toEqual([]);
    expect((await t.app.inject({ method: "GET", url: "/api/notices", headers: await as(otherHomeroom) })).json().notices).toEqual([]);
    const done = await t.app.inject({ method: "POST", url: `/api/notices/${notice.id}/done`, headers: await as(homeroom) });
    expect(done.statusCode).toBe(200);
    expect((await t.app.inject({ method: "POST", url: `/api/notices/${notice.id}/done`, headers: await as(otherHomeroom) })).statusCode).toBe(404);
    const after = (await t.app.inject({ method: "GET", url: "/api/notices", headers: await as(homeroom) })).json().notices.find((x: { id: string }) => x.id === notice.id);
    expect(after.doneAt).toBe("2026-03-02T02:00:00.000Z");
  });

  it("refuses a check-in notice for a student of another school with 404 and a notice body with content with 400", async () => {
    const studentId = await aStudent();
    expect((await t.app.inject({ method: "POST", url: `/api/students/${studentId}/checkin-notice`, headers: await as(strangerCounselor), payload: {} })).statusCode).toBe(404);
    const withText = await t.app.inject({ method: "POST", url: `/api/students/${studentId}/checkin-notice`, headers: await as(counselor), payload: { note: "PHQ-9 高分" } });
    expect(withText.statusCode).toBe(400);
  });
});
