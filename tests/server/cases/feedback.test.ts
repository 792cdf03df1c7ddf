import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FEEDBACK_TEMPLATES } from "../../../src/shared/feedback";
import { availableTemplates } from "../../../src/server/features/cases/feedback-routes";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

describe("the feedback templates", () => {
  it("offer only the messages of steps the case has taken, each once", () => {
    expect(availableTemplates(new Set(["open", "acknowledge"]), new Set())).toEqual([]);
    expect(availableTemplates(new Set(["open", "acknowledge", "interview"]), new Set(["interview-guardian"])).map((t) => t.id)).toEqual(["interview-homeroom"]);
  });

  it("never speak of scores, tiers or diagnoses", () => {
    for (const t of FEEDBACK_TEMPLATES) {
      expect(t.text["zh-CN"]).not.toMatch(/分|PHQ|GAD|预警|红|橙|黄|抑郁|焦虑|诊断/);
      expect(t.text.en).not.toMatch(/score|tier|red|orange|yellow|depress|anxi|diagnos/i);
    }
  });
});

describeEachDatabase("feedback on case steps", (getDb) => {
  let t: TestServer;
  let schoolId: string;
  let classId: string;
  let counselor: string;
  let homeroom: string;
  let otherHomeroom: string;
  let subject: string;
  let stranger: string;
  const as = async (account: string) => (await t.signIn(account)).headers;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    schoolId = await t.seed.school();
    classId = await t.seed.klass(schoolId, 8, "2");
    const otherClass = await t.seed.klass(schoolId, 8, "5");
    counselor = await t.seed.account("counselor", { schoolId });
    homeroom = await t.seed.account("homeroom", { schoolId, classes: [{ classId, relation: "homeroom" }] });
    otherHomeroom = await t.seed.account("homeroom", { schoolId, classes: [{ classId: otherClass, relation: "homeroom" }] });
    subject = await t.seed.account("subject", { schoolId, classes: [{ classId, relation: "subject" }] });
    stranger = await t.seed.account("counselor", { schoolId: await t.seed.school() });
  });
  afterAll(() => t.app.close());

  async function interviewedCase(name: string): Promise<{ caseId: string; studentId: string }> {
    const studentId = await t.seed.student(classId, { name });
    const headers = await as(counselor);
    const caseId = (await t.app.inject({ method: "POST", url: "/api/cases", headers, payload: { studentId, tier: "orange", reason: "PHQ-9 15 分" } })).json().id as string;
    await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/steps`, headers, payload: { kind: "acknowledge" } });
    await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/steps`, headers, payload: { kind: "interview", date: "2026-03-02", notes: "谈话记录：家庭矛盾" } });
    return { caseId, studentId };
  }

  it("sends the interview message to the homeroom teacher, who reads it among the notices with no score or note, and marks it read", async () => {
    const { caseId, studentId } = await interviewedCase("李小红");
    const headers = await as(counselor);
    const before = (await t.app.inject({ method: "GET", url: `/api/cases/${caseId}/feedback`, headers })).json();
    expect(before.available.map((a: { id: string }) => a.id)).toEqual(["interview-homeroom", "interview-guardian"]);
    expect(before.sent).toEqual([]);

    const sent = await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/feedback`, headers, payload: { template: "interview-homeroom" } });
    expect(sent.statusCode).toBe(201);
    expect(sent.json()).toMatchObject({ template: "interview-homeroom", audience: "homeroom", sentBy: { id: counselor }, readAt: null });

    const teacher = await as(homeroom);
    const notices = (await t.app.inject({ method: "GET", url: "/api/notices", headers: teacher })).json().notices as { id: string; kind: string; studentId: string; message: { "zh-CN": string }; dueAt: string | null }[];
    const mine = notices.filter((n) => n.studentId === studentId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ kind: "feedback", dueAt: null, message: { "zh-CN": FEEDBACK_TEMPLATES[0]!.text["zh-CN"] } });
    const body = (await t.app.inject({ method: "GET", url: "/api/notices", headers: teacher })).body;
    expect(body).not.toContain("PHQ");
    expect(body).not.toContain("家庭矛盾");
    expect(body).not.toContain("orange");

    expect((await t.app.inject({ method: "POST", url: `/api/notices/${mine[0]!.id}/done`, headers: teacher })).statusCode).toBe(200);
    const after = (await t.app.inject({ method: "GET", url: `/api/cases/${caseId}/feedback`, headers })).json();
    expect(after.sent[0].readAt).not.toBeNull();
    expect(after.available.map((a: { id: string }) => a.id)).toEqual(["interview-guardian"]);
    const audit = await t.db.query("SELECT action FROM audit_log WHERE subject IN ($1, $2) AND action IN ('case.feedback', 'feedback.read') ORDER BY id", [caseId, mine[0]!.id]);
    expect(audit.rows.map((r) => r.action)).toEqual(["case.feedback", "feedback.read"]);
  });

  it("records guardian feedback as sent without putting it in any teacher's notices", async () => {
    const { caseId, studentId } = await interviewedCase("张小兰");
    const res = await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/feedback`, headers: await as(counselor), payload: { template: "interview-guardian" } });
    expect(res.statusCode).toBe(201);
    const notices = (await t.app.inject({ method: "GET", url: "/api/notices", headers: await as(homeroom) })).json().notices as { studentId: string }[];
    expect(notices.filter((n) => n.studentId === studentId)).toEqual([]);
  });

  it("refuses a message whose step the case has not taken, a second sending, and an unknown template", async () => {
    const { caseId } = await interviewedCase("王小刚");
    const headers = await as(counselor);
    const early = await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/feedback`, headers, payload: { template: "referral-guardian" } });
    expect(early.statusCode).toBe(409);
    expect(early.json().error.code).toBe("feedback_step_not_reached");
    await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/feedback`, headers, payload: { template: "interview-homeroom" } });
    const again = await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/feedback`, headers, payload: { template: "interview-homeroom" } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("feedback_already_sent");
    const unknown = await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/feedback`, headers, payload: { template: "<script>", extra: 1 } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.code).toBe("invalid_request");
  });

  it("keeps feedback from other classes' teachers, subject teachers and other schools", async () => {
    const { caseId, studentId } = await interviewedCase("赵小明");
    await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/feedback`, headers: await as(counselor), payload: { template: "interview-homeroom" } });
    const other = (await t.app.inject({ method: "GET", url: "/api/notices", headers: await as(otherHomeroom) })).json().notices as { studentId: string }[];
    expect(other.filter((n) => n.studentId === studentId)).toEqual([]);
    expect((await t.app.inject({ method: "GET", url: "/api/notices", headers: await as(subject) })).json().notices).toEqual([]);
    expect((await t.app.inject({ method: "GET", url: `/api/cases/${caseId}/feedback`, headers: await as(stranger) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: "POST", url: `/api/cases/${caseId}/feedback`, headers: await as(homeroom), payload: { template: "interview-homeroom" } })).statusCode).toBe(403);
  });
});
