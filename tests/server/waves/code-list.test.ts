/**
 * The code list of a wave as the school lead's page reads it (GET /api/waves/:id/slips, per class): each
 * student's code state through a whole wave, never a plain code, and each read in the audit log.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { SlipList } from "../../../src/shared/waves";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aSchool, anOpenWave, get, issueCodes, post, type SchoolFixture } from "./fixtures";

let lab = 0;
const aLab = () => `10.30.${Math.floor(++lab / 250)}.${lab % 250}`;

/** A full spring battery of grades 7-12, every page visited for 30 s. */
function springBattery() {
  const items = (values: number[]) => Object.fromEntries(values.map((v, i) => [`q${i + 1}`, v]));
  const answers = {
    phq9: items([1, 1, 1, 1, 1, 1, 1, 1, 0]),
    gad7: items([1, 1, 1, 1, 1, 1, 1]),
    who5: items([3, 3, 3, 3, 3]),
    asq: { q1: "no", q2: "no", q3: "no", q4: "no" },
    "wellbeing-factors": { sleep: 1, exercise: 1, "screen-time": 1, attention: 1, friends: 1, pressure: 1, family: 1 },
  };
  const start = Date.parse("2026-03-02T00:10:00Z");
  const pages = Object.keys(answers).map((instrument, i) => ({ instrument, startedAt: start + i * 60_000, endedAt: start + i * 60_000 + 30_000 }));
  return { answers, pages };
}

describeEachDatabase("the code list of a wave", (getDb) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(getDb());
  });
  afterAll(() => t.app.close());

  const list = async (s: SchoolFixture, wave: string, classId?: string) => {
    const res = await get(t, `/api/waves/${wave}/slips${classId === undefined ? "" : `?classId=${classId}`}`, s.headers);
    expect(res.statusCode).toBe(200);
    return { body: res.body, slips: SlipList.parse(res.json()).slips };
  };
  const states = (slips: readonly { studentId: string; codeState: string }[]) => Object.fromEntries(slips.map((x) => [x.studentId, x.codeState]));

  /** The student enters with `code` and submits the whole battery. */
  async function submitWith(code: string): Promise<void> {
    const entered = await t.app.inject({ method: "POST", url: "/api/student/session", payload: { code }, remoteAddress: aLab() });
    expect(entered.statusCode).toBe(200);
    const cookie = String(entered.headers["set-cookie"]).split(";")[0]!;
    const headers = { cookie, "x-csrf-token": (entered.json() as { csrfToken: string }).csrfToken };
    const submitted = await t.app.inject({ method: "POST", url: "/api/student/response/submit", headers, payload: { idempotencyKey: `code-list-${code}-0123456789`, ...springBattery() } });
    expect(submitted.statusCode).toBe(200);
  }

  it("follows each student's code through none, active, revoked, reissued and used, and never shows a code", async () => {
    const s = await aSchool(t, { perClass: 4 });
    const wave = await anOpenWave(t, s);
    const classId = s.classes[8]!;
    const [a, b, c, d] = s.students[8]!;
    expect(Object.values(states((await list(s, wave, classId)).slips))).toEqual(["none", "none", "none", "none"]);

    const issued = await issueCodes(t, s, wave, { classId });
    const codeOf = new Map(issued.map((x) => [x.studentId, x.code]));
    expect((await post(t, `/api/waves/${wave}/codes/${b}/revoke`, s.headers)).json()).toEqual({ studentId: b, revoked: true });
    const reissued = await post(t, `/api/waves/${wave}/codes/${c}/reissue`, s.headers);
    expect(reissued.json().revoked).toBe(true);
    await submitWith(codeOf.get(d!)!);
    const late = await t.seed.student(classId, { name: "新同学" });

    const { slips, body } = await list(s, wave, classId);
    expect(states(slips)).toEqual({ [a!]: "active", [b!]: "revoked", [c!]: "active", [d!]: "used", [late]: "none" });
    for (const code of [...codeOf.values(), reissued.json().slip.code as string]) expect(body).not.toContain(code);
    expect(slips.find((x) => x.studentId === late)!.issuedAt).toBeNull();
    expect(slips.find((x) => x.studentId === a)!.issuedAt).toEqual(expect.any(String));
    expect(body).not.toContain("张小明");
    expect(slips.find((x) => x.studentId === a)!.maskedName).toBe("张*明");

    // A revoked code can be reissued from the list: the student is active again.
    await post(t, `/api/waves/${wave}/codes/${b}/reissue`, s.headers);
    expect(states((await list(s, wave, classId)).slips)[b!]).toBe("active");
  });

  it("lists one class only, and a class of another school lists nobody", async () => {
    const s = await aSchool(t, { grades: [7, 8], perClass: 2 });
    const wave = await anOpenWave(t, s);
    const seventh = await list(s, wave, s.classes[7]);
    expect(seventh.slips.map((x) => x.studentId).sort()).toEqual([...s.students[7]!].sort());
    expect(new Set(seventh.slips.map((x) => x.classId))).toEqual(new Set([s.classes[7]]));
    const other = await aSchool(t);
    expect((await list(s, wave, other.classes[8])).slips).toEqual([]);
  });

  it("leaves out students who have left the school", async () => {
    const s = await aSchool(t, { perClass: 3 });
    const wave = await anOpenWave(t, s);
    const [gone] = s.students[8]!;
    await t.db.query("UPDATE students SET status = 'left' WHERE id = $1", [gone]);
    const { slips } = await list(s, wave, s.classes[8]);
    expect(slips.map((x) => x.studentId)).not.toContain(gone);
    expect(slips).toHaveLength(2);
  });

  it("shows an opted-out student's code as revoked, with the guardian's answer", async () => {
    const s = await aSchool(t, { perClass: 2 });
    const wave = await anOpenWave(t, s);
    await issueCodes(t, s, wave);
    const [out, stays] = s.students[8]!;
    const consent = await t.app.inject({ method: "PUT", url: `/api/waves/${wave}/consents`, headers: s.headers, payload: { items: [{ studentId: out, status: "opted-out" }, { studentId: stays, status: "consented" }] } });
    expect(consent.json().codesRevoked).toBe(1);
    const { slips } = await list(s, wave, s.classes[8]);
    expect(Object.fromEntries(slips.map((x) => [x.studentId, [x.codeState, x.consent]]))).toEqual({ [out!]: ["revoked", "opted-out"], [stays!]: ["active", "consented"] });
  });

  it("writes one audit row per read, with the class and the head count and no student data", async () => {
    const s = await aSchool(t, { perClass: 3 });
    const wave = await anOpenWave(t, s);
    await list(s, wave, s.classes[8]);
    const { rows } = await t.db.query<{ actor_id: string; action: string; school_id: string; student_id: string | null; subject: string; context: unknown }>(
      "SELECT actor_id, action, school_id, student_id, subject, context FROM audit_log WHERE action = 'slips.read' AND subject = $1",
      [wave],
    );
    expect(rows).toEqual([{ actor_id: s.lead, action: "slips.read", school_id: s.schoolId, student_id: null, subject: wave, context: { classId: s.classes[8], students: 3 } }]);
  });
});
