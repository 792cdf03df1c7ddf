import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aSchool, aWave, anOpenWave, get, issueCodes, post, type SchoolFixture } from "./fixtures";

describeEachDatabase("guardian consent", (getDb) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(getDb());
  });
  afterAll(() => t.app.close());

  const put = (waveId: string, body: unknown, headers: Record<string, string>) => t.app.inject({ method: "PUT", url: `/api/waves/${waveId}/consents`, headers, payload: body as object });

  it("counts enrolled, consented, opted-out and pending students, a student without a row as pending", async () => {
    const s: SchoolFixture = await aSchool(t, { grades: [7, 8], perClass: 3 });
    const wave = await aWave(t, s);
    const [a, b] = s.students[7]!;
    const res = await put(wave, { items: [{ studentId: a, status: "consented" }, { studentId: b, status: "opted-out" }] }, s.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ updated: 2, codesRevoked: 0, summary: { enrolled: 6, consented: 1, optedOut: 1, pending: 4 } });
    const summary = await get(t, `/api/waves/${wave}/consents`, s.headers);
    expect(summary.json()).toMatchObject({ waveId: wave, enrolled: 6, consented: 1, optedOut: 1, pending: 4 });
    expect(summary.json().byClass).toEqual([
      { classId: s.classes[7], grade: 7, label: "1", enrolled: 3, consented: 1, optedOut: 1, pending: 1 },
      { classId: s.classes[8], grade: 8, label: "1", enrolled: 3, consented: 0, optedOut: 0, pending: 3 },
    ]);
  });

  it("changes a consent back and forth, counting a left student nowhere", async () => {
    const s = await aSchool(t, { perClass: 2 });
    const wave = await aWave(t, s);
    const [a, b] = s.students[8]!;
    await put(wave, { items: [{ studentId: a, status: "opted-out" }] }, s.headers);
    await put(wave, { items: [{ studentId: a, status: "consented" }] }, s.headers);
    await t.db.query("UPDATE students SET status = 'left' WHERE id = $1", [b]);
    const summary = (await get(t, `/api/waves/${wave}/consents`, s.headers)).json();
    expect(summary).toMatchObject({ enrolled: 1, consented: 1, optedOut: 0, pending: 0 });
  });

  it("writes nothing when one item names another school's student, and says which item", async () => {
    const s = await aSchool(t);
    const other = await aSchool(t);
    const wave = await aWave(t, s);
    const items = [
      { studentId: s.students[8]![0], status: "consented" },
      { studentId: other.students[8]![0], status: "opted-out" },
      { studentId: "no-such-student", status: "consented" },
    ];
    const res = await put(wave, { items }, s.headers);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.details).toEqual([
      { path: "body.items.1.studentId", code: "not_found", message: "no such student in this school" },
      { path: "body.items.2.studentId", code: "not_found", message: "no such student in this school" },
    ]);
    const { rows } = await t.db.query("SELECT count(*)::int AS n FROM consents WHERE wave_id = $1", [wave]);
    expect(rows[0]!.n).toBe(0);
  });

  it("refuses a student listed twice, naming the second item", async () => {
    const s = await aSchool(t);
    const wave = await aWave(t, s);
    const id = s.students[8]![0];
    const res = await put(wave, { items: [{ studentId: id, status: "consented" }, { studentId: id, status: "opted-out" }] }, s.headers);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: "body.items.1.studentId", code: "duplicate", message: "the same student as items.0" }]);
  });

  it.each([
    ["an unknown status", { items: [{ studentId: "x", status: "maybe" }] }, "body.items.0.status"],
    ["an empty list", { items: [] }, "body.items"],
    ["an id with SQL", { items: [{ studentId: "1' OR '1'='1", status: "consented" }] }, "body.items.0.studentId"],
    ["an extra field", { items: [{ studentId: "x", status: "consented", note: "<script>" }] }, "body.items.0"],
    ["a huge id", { items: [{ studentId: "a".repeat(100_000), status: "consented" }] }, "body.items.0.studentId"],
  ])("refuses %s with its path", async (_label, body, path) => {
    const s = await aSchool(t);
    const wave = await aWave(t, s);
    const res = await put(wave, body, s.headers);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("revokes the active code of a student who is opted out", async () => {
    const s = await aSchool(t);
    const wave = await anOpenWave(t, s);
    await issueCodes(t, s, wave);
    const id = s.students[8]![1]!;
    const res = await put(wave, { items: [{ studentId: id, status: "opted-out" }] }, s.headers);
    expect(res.json().codesRevoked).toBe(1);
    const { rows } = await t.db.query("SELECT status FROM access_codes WHERE wave_id = $1 AND student_id = $2", [wave, id]);
    expect(rows.map((r) => r.status)).toEqual(["revoked"]);
  });

  it("lets a counselor set consent but answers another school's staff with 404 and a teacher with 403", async () => {
    const s = await aSchool(t);
    const wave = await aWave(t, s);
    const items = [{ studentId: s.students[8]![0], status: "consented" }];
    const counselor = (await t.signIn(await t.seed.account("counselor", { schoolId: s.schoolId }))).headers;
    expect((await put(wave, { items }, counselor)).statusCode).toBe(200);
    const other = await aSchool(t);
    expect((await put(wave, { items }, other.headers)).statusCode).toBe(404);
    expect((await get(t, `/api/waves/${wave}/consents`, other.headers)).statusCode).toBe(404);
    const teacher = (await t.signIn(await t.seed.account("homeroom", { schoolId: s.schoolId, classes: [{ classId: s.classes[8]!, relation: "homeroom" }] }))).headers;
    expect((await put(wave, { items }, teacher)).statusCode).toBe(403);
  });

  it("refuses consent changes on a closed wave", async () => {
    const s = await aSchool(t);
    const wave = await anOpenWave(t, s);
    await post(t, `/api/waves/${wave}/close`, s.headers);
    const res = await put(wave, { items: [{ studentId: s.students[8]![0], status: "consented" }] }, s.headers);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("wave_closed");
  });

  it("refuses a consent change without the CSRF token", async () => {
    const s = await aSchool(t);
    const wave = await aWave(t, s);
    const res = await put(wave, { items: [{ studentId: s.students[8]![0], status: "consented" }] }, { cookie: s.headers.cookie! });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("csrf");
  });

  it("audits each consent change without content beyond the status", async () => {
    const s = await aSchool(t);
    const wave = await aWave(t, s);
    const id = s.students[8]![0]!;
    await put(wave, { items: [{ studentId: id, status: "opted-out" }] }, s.headers);
    const { rows } = await t.db.query("SELECT actor_id, action, student_id, context FROM audit_log WHERE subject = $1 AND action = 'consent.set'", [wave]);
    expect(rows).toEqual([{ actor_id: s.lead, action: "consent.set", student_id: id, context: { status: "opted-out" } }]);
  });
});
