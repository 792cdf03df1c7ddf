import { afterAll, beforeAll, expect, it } from "vitest";
import { GrowthRecord } from "../../../src/shared/archive";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aResponse, aSchool, aSubmission, aWave, fillRecord, someTexts, type School } from "./fixtures";

describeEachDatabase("the growth record", (getDb) => {
  let t: TestServer;
  let a: School;
  let b: School;
  let studentId: string;
  let caseId: string;
  let analyst: string;
  let admin: string;
  const texts = someTexts({ observationNote: "<b>趴桌</b> & \"沉默\"" });

  const read = async (account: string | null, id = studentId) =>
    t.app.inject({ method: "GET", url: `/api/students/${id}/record`, headers: account === null ? {} : (await t.signIn(account)).headers });
  const auditRows = async (action: string) =>
    (await t.db.query<{ actor_id: string | null; actor_role: string; student_id: string | null; context: Record<string, unknown> }>("SELECT actor_id, actor_role, student_id, context FROM audit_log WHERE action = $1 ORDER BY id", [action])).rows;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    a = await aSchool(t, { code: "A01", name: "第一中学" });
    b = await aSchool(t, { code: "B02", name: "第二中学" });
    analyst = await t.seed.account("analyst");
    admin = await t.seed.account("admin");
    studentId = await t.seed.student(a.classId, { name: "李小明", studentNo: "20260042", keyPopulation: ["leftBehindOrSingleParent"] });
    const wave = await aWave(t, a.schoolId);
    await aResponse(t, wave, studentId, aSubmission({ phq9: [3, 3, 3, 3, 2, 2, 1, 1, 0] }));
    caseId = await fillRecord(t, a, wave, studentId, texts);
  });
  afterAll(() => t.app.close());

  it("gives a counselor the whole record: student, waves with scores and tiers, overrides, observations, cases with steps, consent and notices", async () => {
    const res = await read(a.counselor);
    expect(res.statusCode).toBe(200);
    expect(res.headers["cache-control"]).toBe("no-store");
    const r = GrowthRecord.parse(res.json());
    expect(r.scoresShown).toBe(true);
    expect(r.student).toMatchObject({ id: studentId, name: "李小明", studentNo: "20260042", grade: 8, class: { label: "2" }, school: { code: "A01" }, keyPopulation: ["leftBehindOrSingleParent"], status: "enrolled", leftAt: null });
    expect(r.waves).toHaveLength(1);
    const result = r.waves[0]!.result!;
    expect(result.scores!.find((s) => s.instrument === "phq9")).toMatchObject({ kind: "scored", total: 18, band: "moderately-severe" });
    expect(result.validity).toEqual({ kind: "valid", reasons: [] });
    expect(result.policyVersion).toBe("default-v1");
    expect(result.tier).toBe("red");
    expect(result.reasons.length).toBeGreaterThan(0);
    expect(result.reasons[0]!.label["zh-CN"]).not.toBe(result.reasons[0]!.rule);
    expect(r.overrides).toEqual([expect.objectContaining({ tier: "orange", reason: texts.overrideReason, by: expect.objectContaining({ id: a.counselor }) })]);
    const roles = r.observations.map((o) => o.role).sort();
    expect(roles).toEqual(["homeroom", "peer"]);
    expect(r.observations.find((o) => o.role === "homeroom")).toMatchObject({ instrument: "teacher-checklist", note: texts.observationNote, concerns: ["signs"] });
    expect(r.observations.find((o) => o.role === "peer")!.texts).toEqual({ note: texts.peerNote });
    expect(r.cases).toHaveLength(1);
    expect(r.cases[0]).toMatchObject({ id: caseId, tier: "red", state: "closed", reason: texts.caseReason, plan: "referral" });
    expect(r.cases[0]!.steps.map((s) => s.kind)).toEqual(["open", "acknowledge", "interview", "plan", "referral", "close"]);
    expect(r.cases[0]!.steps[2]!.text).toEqual({ notes: texts.interviewNotes });
    expect(r.cases[0]!.steps[4]).toMatchObject({ greenChannel: true, text: { hospital: texts.hospital } });
    expect(r.consents).toEqual([expect.objectContaining({ status: "consented", source: "school", changes: [expect.objectContaining({ status: "consented", by: expect.objectContaining({ id: a.counselor }) })] })]);
    expect(r.checkinNotices).toEqual([expect.objectContaining({ doneAt: null, by: expect.objectContaining({ id: a.counselor }) })]);
    expect(r.imported).toEqual([]);
  });

  it("writes one audit row per read, with no content", async () => {
    const before = (await auditRows("record.read")).length;
    await read(a.counselor);
    const rows = await auditRows("record.read");
    expect(rows).toHaveLength(before + 1);
    const last = rows.at(-1)!;
    expect(last).toMatchObject({ actor_id: a.counselor, actor_role: "counselor", student_id: studentId, context: { scores: true, waves: 1, cases: 1, imported: 0 } });
    expect(JSON.stringify(last)).not.toContain("李小明");
  });

  it("gives the school lead tiers and the reasons' labels but no scores, validity or evidence quoting scores, and audits that read too", async () => {
    const res = await read(a.lead);
    expect(res.statusCode).toBe(200);
    const r = GrowthRecord.parse(res.json());
    expect(r.scoresShown).toBe(false);
    expect(r.waves[0]!.result).toMatchObject({ scores: null, validity: null, tier: "red" });
    expect(r.waves[0]!.result!.reasons.map((x) => x.evidence)).toEqual(r.waves[0]!.result!.reasons.map(() => ""));
    // the rules' ids and labels name bands (as on the watch list), never a number
    expect(res.body).not.toMatch(/phq9 \d|who5 \d|"total"/);
    expect((await auditRows("record.read")).at(-1)).toMatchObject({ actor_id: a.lead, context: { scores: false } });
  });

  it.each([
    ["another school's counselor", () => b.counselor],
    ["another school's lead", () => b.lead],
    ["the student's homeroom teacher", () => a.homeroom],
    ["the student's subject teacher", () => a.subject],
    ["the class's peer monitor", () => a.peer],
    ["a district analyst", () => analyst],
    ["the admin", () => admin],
  ])("answers 404 to %s, as for no student at all, and audits nothing", async (_who, account) => {
    const before = (await auditRows("record.read")).length;
    const res = await read(account());
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("not_found");
    expect(res.body).not.toContain("李小明");
    expect((await read(account(), "no-such-student")).json()).toEqual(res.json());
    expect(await auditRows("record.read")).toHaveLength(before);
  });

  it("answers 401 without a session", async () => {
    expect((await read(null)).statusCode).toBe(401);
  });

  it("keeps the record of a student who has left, and shows when they left", async () => {
    const left = await t.seed.student(a.classId, { name: "王已转" });
    await t.db.query("UPDATE students SET status = 'left', left_at = '2026-01-20T00:00:00Z' WHERE id = $1", [left]);
    const r = GrowthRecord.parse((await read(a.counselor, left)).json());
    expect(r.student).toMatchObject({ status: "left", leftAt: "2026-01-20T00:00:00.000Z" });
  });

  it("has no record for a purged student (the tombstone answers 404)", async () => {
    const gone = await t.seed.student(a.classId, { name: "赵已消" });
    await t.db.query("UPDATE students SET status = 'left', left_at = '2020-01-01Z', purged_at = '2026-01-01Z' WHERE id = $1", [gone]);
    expect((await read(a.counselor, gone)).statusCode).toBe(404);
  });
});
