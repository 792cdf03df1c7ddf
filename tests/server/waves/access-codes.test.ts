import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aSchool, aWave, anOpenWave, get, issueCodes, post } from "./fixtures";

const CODE = /^[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/;

describeEachDatabase("access codes", (getDb) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(getDb());
  });
  afterAll(() => t.app.close());

  const putConsent = (waveId: string, items: unknown[], headers: Record<string, string>) => t.app.inject({ method: "PUT", url: `/api/waves/${waveId}/consents`, headers, payload: { items } });

  it("issues one code per eligible student, printed with class, student number and masked name", async () => {
    const s = await aSchool(t, { grades: [7], perClass: 3 });
    const wave = await aWave(t, s);
    const res = await post(t, `/api/waves/${wave}/codes`, s.headers, {});
    expect(res.statusCode).toBe(200);
    const { issued, skipped } = res.json();
    expect(skipped).toEqual({ optedOut: 0, alreadyActive: 0, submitted: 0, noSelfReport: 0 });
    expect(issued).toHaveLength(3);
    for (const slip of issued) expect(slip.code).toMatch(CODE);
    expect(issued[0]).toMatchObject({ classId: s.classes[7], grade: 7, classLabel: "1", maskedName: "张*明", studentNo: expect.stringMatching(/^2026\d{4}$/) });
    expect(new Set(issued.map((x: { studentId: string }) => x.studentId))).toEqual(new Set(s.students[7]));
  });

  it("gives each student one code: issuing again skips students with an active code", async () => {
    const s = await aSchool(t, { perClass: 2 });
    const wave = await aWave(t, s);
    await issueCodes(t, s, wave);
    const again = (await post(t, `/api/waves/${wave}/codes`, s.headers, {})).json();
    expect(again.issued).toEqual([]);
    expect(again.skipped.alreadyActive).toBe(2);
  });

  it("issues without a body too", async () => {
    const s = await aSchool(t, { perClass: 1 });
    const wave = await aWave(t, s);
    const res = await post(t, `/api/waves/${wave}/codes`, s.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json().issued).toHaveLength(1);
  });

  it("issues codes for one class only", async () => {
    const s = await aSchool(t, { grades: [7, 8], perClass: 2 });
    const wave = await aWave(t, s);
    const issued = await issueCodes(t, s, wave, { classId: s.classes[8] });
    expect(issued.map((x) => x.classId)).toEqual([s.classes[8], s.classes[8]]);
    const other = await aSchool(t);
    const res = await post(t, `/api/waves/${wave}/codes`, s.headers, { classId: other.classes[8] });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.details).toEqual([{ path: "body.classId", code: "not_found", message: "no such class in this school" }]);
  });

  it("gives no code to an opted-out student or to grades that answer no self-report pages, and counts them", async () => {
    const s = await aSchool(t, { grades: [2, 8], perClass: 2 });
    const wave = await aWave(t, s);
    const [out, stays] = s.students[8]!;
    await putConsent(wave, [{ studentId: out, status: "opted-out" }], s.headers);
    const res = (await post(t, `/api/waves/${wave}/codes`, s.headers, {})).json();
    expect(res.issued.map((x: { studentId: string }) => x.studentId)).toEqual([stays]);
    expect(res.skipped).toEqual({ optedOut: 1, alreadyActive: 0, submitted: 0, noSelfReport: 2 });
    const { rows } = await t.db.query("SELECT count(*)::int AS n FROM access_codes WHERE student_id = $1", [out]);
    expect(rows[0]!.n).toBe(0);
  });

  it("makes distinct codes over a large school, and stores none of them in clear", async () => {
    const s = await aSchool(t, { grades: [7, 8, 9, 10], perClass: 60 });
    const wave = await aWave(t, s);
    const issued = await issueCodes(t, s, wave);
    expect(issued).toHaveLength(240);
    expect(new Set(issued.map((x) => x.code)).size).toBe(240);
    const codes = await t.db.query<{ row: string }>("SELECT row_to_json(a)::text AS row FROM access_codes a WHERE wave_id = $1", [wave]);
    const audits = await t.db.query<{ row: string }>("SELECT row_to_json(l)::text AS row FROM audit_log l");
    const stored = [...codes.rows, ...audits.rows].map((r) => r.row).join("\n");
    expect(codes.rows).toHaveLength(240);
    for (const { code } of issued) {
      expect(stored).not.toContain(code);
      expect(stored.toLowerCase()).not.toContain(code.toLowerCase());
    }
    const { rows } = await t.db.query("SELECT count(*)::int AS n FROM audit_log WHERE subject = $1 AND action = 'code.issue'", [wave]);
    expect(rows[0]!.n).toBe(240);
  });

  it("revokes a code: the student then has none active, and a second revoke changes nothing", async () => {
    const s = await aSchool(t, { perClass: 1 });
    const wave = await anOpenWave(t, s);
    const [slip] = await issueCodes(t, s, wave);
    const res = await post(t, `/api/waves/${wave}/codes/${slip!.studentId}/revoke`, s.headers);
    expect(res.json()).toEqual({ studentId: slip!.studentId, revoked: true });
    expect((await post(t, `/api/waves/${wave}/codes/${slip!.studentId}/revoke`, s.headers)).json().revoked).toBe(false);
    const { rows } = await t.db.query("SELECT action FROM audit_log WHERE student_id = $1 ORDER BY id", [slip!.studentId]);
    expect(rows.map((r) => r.action)).toEqual(["code.issue", "code.revoke"]);
  });

  it("reissues a code: the old one is revoked and a new one returned once", async () => {
    const s = await aSchool(t, { perClass: 1 });
    const wave = await anOpenWave(t, s);
    const [slip] = await issueCodes(t, s, wave);
    const res = await post(t, `/api/waves/${wave}/codes/${slip!.studentId}/reissue`, s.headers);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.revoked).toBe(true);
    expect(body.slip).toMatchObject({ studentId: slip!.studentId, maskedName: "张*明", code: expect.stringMatching(CODE) });
    expect(body.slip.code).not.toBe(slip!.code);
    const { rows } = await t.db.query("SELECT status FROM access_codes WHERE student_id = $1 ORDER BY issued_at, status", [slip!.studentId]);
    expect(rows.map((r) => r.status).sort()).toEqual(["active", "revoked"]);
    const old = await t.app.inject({ method: "POST", url: "/api/student/session", payload: { code: slip!.code }, remoteAddress: "10.1.0.1" });
    expect(old.json().error.code).toBe("code_invalid");
    const fresh = await t.app.inject({ method: "POST", url: "/api/student/session", payload: { code: body.slip.code }, remoteAddress: "10.1.0.1" });
    expect(fresh.statusCode).toBe(200);
  });

  it("refuses to reissue for an opted-out student, a student who submitted, or another school's student", async () => {
    const s = await aSchool(t, { perClass: 3 });
    const wave = await anOpenWave(t, s);
    const [out, done] = s.students[8]!;
    await putConsent(wave, [{ studentId: out, status: "opted-out" }], s.headers);
    await t.db.query(
      "INSERT INTO responses (id, wave_id, student_id, battery_id, status, started_at, updated_at, submitted_at) VALUES ('r-done', $1, $2, 'spring-grades-7-12', 'submitted', $3, $3, $3)",
      [wave, done, t.clock.now()],
    );
    expect((await post(t, `/api/waves/${wave}/codes/${out}/reissue`, s.headers)).json().error.code).toBe("opted_out");
    expect((await post(t, `/api/waves/${wave}/codes/${done}/reissue`, s.headers)).json().error.code).toBe("code_used");
    const other = await aSchool(t);
    expect((await post(t, `/api/waves/${wave}/codes/${other.students[8]![0]}/reissue`, s.headers)).statusCode).toBe(404);
    expect((await post(t, `/api/waves/${wave}/codes/${other.students[8]![0]}/revoke`, s.headers)).statusCode).toBe(404);
    const issue = (await post(t, `/api/waves/${wave}/codes`, s.headers, {})).json();
    expect(issue.skipped).toMatchObject({ optedOut: 1, submitted: 1 });
  });

  it("issues no codes on a closed wave", async () => {
    const s = await aSchool(t, { perClass: 1 });
    const wave = await anOpenWave(t, s);
    await post(t, `/api/waves/${wave}/close`, s.headers);
    const res = await post(t, `/api/waves/${wave}/codes`, s.headers, {});
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("wave_closed");
  });

  it("lists slips without codes, with each student's code state", async () => {
    const s = await aSchool(t, { perClass: 3 });
    const wave = await anOpenWave(t, s);
    const [a, b, c] = s.students[8]!;
    await putConsent(wave, [{ studentId: c, status: "opted-out" }], s.headers);
    await issueCodes(t, s, wave);
    await post(t, `/api/waves/${wave}/codes/${b}/revoke`, s.headers);
    const res = await get(t, `/api/waves/${wave}/slips?classId=${s.classes[8]}`, s.headers);
    expect(res.statusCode).toBe(200);
    const slips = res.json().slips as { studentId: string; codeState: string; consent: string; code?: string }[];
    expect(Object.fromEntries(slips.map((x) => [x.studentId, [x.codeState, x.consent]]))).toEqual({ [a!]: ["active", "pending"], [b!]: ["revoked", "pending"], [c!]: ["none", "opted-out"] });
    expect(slips.every((x) => x.code === undefined)).toBe(true);
    expect(res.body).not.toMatch(/"code"/);
  });

  it("lets only the school lead manage codes: a counselor gets 403, another school 404", async () => {
    const s = await aSchool(t, { perClass: 1 });
    const wave = await aWave(t, s);
    const counselor = (await t.signIn(await t.seed.account("counselor", { schoolId: s.schoolId }))).headers;
    expect((await post(t, `/api/waves/${wave}/codes`, counselor, {})).statusCode).toBe(403);
    expect((await get(t, `/api/waves/${wave}/slips`, counselor)).statusCode).toBe(403);
    const other = await aSchool(t);
    expect((await post(t, `/api/waves/${wave}/codes`, other.headers, {})).statusCode).toBe(404);
    expect((await get(t, `/api/waves/${wave}/slips`, other.headers)).statusCode).toBe(404);
  });

  it("refuses every code call without the CSRF token", async () => {
    const s = await aSchool(t, { perClass: 1 });
    const wave = await anOpenWave(t, s);
    const student = s.students[8]![0];
    const noCsrf = { cookie: s.headers.cookie! };
    for (const url of [`/api/waves/${wave}/codes`, `/api/waves/${wave}/codes/${student}/revoke`, `/api/waves/${wave}/codes/${student}/reissue`]) {
      const res = await post(t, url, noCsrf, {});
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("csrf");
    }
    const { rows } = await t.db.query("SELECT count(*)::int AS n FROM access_codes WHERE wave_id = $1", [wave]);
    expect(rows[0]!.n).toBe(0);
  });

  it.each([
    ["an unknown field", { classId: "x", all: true }],
    ["a class id with SQL", { classId: "x'; DELETE FROM access_codes; --" }],
    ["a class id of 100,000 characters", { classId: "a".repeat(100_000) }],
    ["an array", [1, 2]],
  ])("refuses %s in an issue request with 400", async (_label, body) => {
    const s = await aSchool(t, { perClass: 1 });
    const wave = await aWave(t, s);
    const res = await post(t, `/api/waves/${wave}/codes`, s.headers, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.length).toBeGreaterThan(0);
  });
});
