/**
 * 档案转接 between two installations (two servers, two databases, two keys): the sending school's
 * counselor exports, the receiving school's counselor imports with the passphrase and the sender's
 * public key; then the record travels on, back to the first installation, carrying its history.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { GrowthRecord, TransferExportReply, type TransferBundle } from "../../../src/shared/archive";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aResponse, aSchool, aSubmission, aWave, fillRecord, someTexts, type School } from "./fixtures";

describeEachDatabase("growth record transfer", (getDb, ctx) => {
  let sender: TestServer;
  let receiver: TestServer;
  let from: School;
  let to: School;
  let elsewhere: School;
  let studentId: string;
  let newcomer: string;
  let exported: TransferExportReply;
  let receiverKey: string;
  const texts = someTexts({ interviewNotes: "约谈：</td><script>alert(1)</script>" });

  const as = async (t: TestServer, account: string) => (await t.signIn(account)).headers;
  const exportAs = async (t: TestServer, account: string, id: string) => t.app.inject({ method: "POST", url: `/api/students/${id}/transfer`, headers: await as(t, account), payload: {} });
  const importAs = async (t: TestServer, account: string, schoolId: string, body: Record<string, unknown>) =>
    t.app.inject({ method: "POST", url: `/api/schools/${schoolId}/transfer-import`, headers: await as(t, account), payload: body });
  const imports = async (t: TestServer) => Number((await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM record_imports")).rows[0]!.n);
  const audits = async (t: TestServer, action: string) => (await t.db.query<{ actor_id: string; student_id: string; context: Record<string, unknown> }>("SELECT actor_id, student_id, context FROM audit_log WHERE action = $1 ORDER BY id", [action])).rows;

  beforeAll(async () => {
    sender = await startTestServer(getDb());
    receiver = await startTestServer((await ctx.freshDatabase()).db);
    from = await aSchool(sender, { code: "A01", name: "第一中学" });
    to = await aSchool(receiver, { code: "Z09", name: "实验学校" });
    elsewhere = await aSchool(receiver, { code: "Y08", name: "另一学校" });
    studentId = await sender.seed.student(from.classId, { name: "陈<转学>生", studentNo: "20250007" });
    const wave = await aWave(sender, from.schoolId);
    await aResponse(sender, wave, studentId, aSubmission());
    await fillRecord(sender, from, wave, studentId, texts);
    newcomer = await receiver.seed.student(to.classId, { name: "陈转学生", studentNo: "Z-0001" });
    const res = await exportAs(sender, from.counselor, studentId);
    expect(res.statusCode).toBe(200);
    exported = TransferExportReply.parse(res.json());
    receiverKey = (await receiver.app.inject({ method: "GET", url: "/api/transfer/public-key", headers: await as(receiver, to.counselor) })).json().publicKey;
  });
  afterAll(async () => {
    await sender.app.close();
    await receiver.app.close();
  });

  it("exports a signed, encrypted bundle, a printable summary with the key's fingerprint, and a passphrase shown once", async () => {
    expect(exported.passphrase).toMatch(/^([0-9A-Z]{5}-){5}[0-9A-Z]{5}$/);
    const file = JSON.stringify(exported.bundle);
    for (const secret of ["陈<转学>生", "20250007", texts.interviewNotes, texts.observationNote, exported.passphrase]) expect(file).not.toContain(secret);
    expect(exported.fingerprint).toBe(exported.bundle.signerFingerprint);
    const key = await sender.app.inject({ method: "GET", url: "/api/transfer/public-key", headers: await as(sender, from.counselor) });
    expect(key.json()).toEqual({ publicKey: exported.publicKey, fingerprint: exported.fingerprint });
    expect(exported.summaryHtml).toContain(exported.fingerprint);
    expect(exported.summaryHtml).toContain("陈&lt;转学&gt;生");
    expect(exported.summaryHtml).not.toMatch(/<script/i);
    expect(exported.fileName).toBe(`xinqing-transfer-A01-${exported.exportId}.json`);
    const [row] = await audits(sender, "record.transfer.export");
    expect(row).toMatchObject({ actor_id: from.counselor, student_id: studentId, context: { exportId: exported.exportId, signerFingerprint: exported.fingerprint } });
    expect(JSON.stringify(row)).not.toContain(exported.passphrase);
    expect(JSON.stringify(await sender.db.query("SELECT * FROM audit_log"))).not.toContain(exported.passphrase);
  });

  it("refuses the export to a school lead, a teacher and another school's counselor with 404, writing nothing", async () => {
    const other = await aSchool(sender, { code: "A02" });
    for (const account of [from.lead, from.homeroom, other.counselor]) expect((await exportAs(sender, account, studentId)).statusCode).toBe(404);
    expect((await sender.app.inject({ method: "GET", url: "/api/transfer/public-key", headers: await as(sender, from.homeroom) })).statusCode).toBe(404);
    expect(await audits(sender, "record.transfer.export")).toHaveLength(1);
  });

  const body = (over: Partial<{ bundle: TransferBundle; passphrase: string; senderPublicKey: string; studentId: string }> = {}) => ({
    bundle: exported.bundle,
    passphrase: exported.passphrase,
    senderPublicKey: exported.publicKey,
    studentId: newcomer,
    ...over,
  });

  it.each([
    ["a changed ciphertext", () => body({ bundle: { ...exported.bundle, payload: `${exported.bundle.payload.slice(0, 10)}${exported.bundle.payload[10] === "A" ? "B" : "A"}${exported.bundle.payload.slice(11)}` } }), 422, "transfer_tampered"],
    ["a changed sender", () => body({ bundle: { ...exported.bundle, from: { schoolCode: "A01", schoolName: "冒名学校" } } }), 422, "transfer_tampered"],
    ["a wrong passphrase", () => body({ passphrase: "00000-00000-00000-00000-00000-00000" }), 422, "transfer_wrong_passphrase"],
    ["the receiver's own key instead of the sender's", () => body({ senderPublicKey: receiverKey }), 422, "transfer_wrong_key"],
    ["something that is no key", () => body({ senderPublicKey: "hello" }), 422, "transfer_wrong_key"],
    ["a bundle of another format", () => body({ bundle: { ...exported.bundle, version: 2 } as unknown as TransferBundle }), 400, "invalid_request"],
  ])("refuses %s with a clear code and writes nothing", async (_what, make, status, code) => {
    const res = await importAs(receiver, to.counselor, to.schoolId, make());
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
    expect(await imports(receiver)).toBe(0);
    expect(await audits(receiver, "record.transfer.import")).toHaveLength(0);
  });

  it("refuses an import into another school's student, or by someone who may not transfer, with 404", async () => {
    const stranger = await receiver.seed.student(elsewhere.classId);
    expect((await importAs(receiver, to.counselor, to.schoolId, body({ studentId: stranger }))).statusCode).toBe(404);
    expect((await importAs(receiver, to.counselor, elsewhere.schoolId, body({ studentId: stranger }))).statusCode).toBe(404);
    expect((await importAs(receiver, to.lead, to.schoolId, body())).statusCode).toBe(404);
    expect((await importAs(receiver, to.homeroom, to.schoolId, body())).statusCode).toBe(404);
    expect(await imports(receiver)).toBe(0);
  });

  it("imports at the receiving school: the whole record, read-only, attached to the student the counselor chose; audited", async () => {
    const res = await importAs(receiver, to.counselor, to.schoolId, body({ passphrase: exported.passphrase.toLowerCase() }));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ studentId: newcomer, from: { schoolCode: "A01", schoolName: "第一中学" }, signerFingerprint: exported.fingerprint });
    const record = GrowthRecord.parse((await receiver.app.inject({ method: "GET", url: `/api/students/${newcomer}/record`, headers: await as(receiver, to.counselor) })).json());
    expect(record.student.name).toBe("陈转学生");
    expect(record.waves).toEqual([]);
    expect(record.imported).toHaveLength(1);
    const got = record.imported[0]!;
    expect(got).toMatchObject({ importedBy: { id: to.counselor }, from: { schoolCode: "A01" }, signerFingerprint: exported.fingerprint });
    expect(got.record.student).toMatchObject({ name: "陈<转学>生", studentNo: "20250007", school: { code: "A01" } });
    expect(got.record.cases[0]!.steps.find((s) => s.kind === "interview")!.text.notes).toBe(texts.interviewNotes);
    expect(got.record.observations.map((o) => o.note ?? o.texts.note).sort()).toEqual([texts.observationNote, texts.peerNote].sort());
    expect(got.record.waves[0]!.result!.scores!.length).toBeGreaterThan(0);
    // the school lead sees the imported history without scores, like the school's own
    const lead = GrowthRecord.parse((await receiver.app.inject({ method: "GET", url: `/api/students/${newcomer}/record`, headers: await as(receiver, to.lead) })).json());
    expect(lead.imported[0]!.record.waves[0]!.result!.scores).toBeNull();
    const [row] = await audits(receiver, "record.transfer.import");
    expect(row).toMatchObject({ actor_id: to.counselor, student_id: newcomer, context: { exportId: exported.exportId, fromSchoolCode: "A01" } });
    // at rest, the imported record is encrypted like everything else
    expect(JSON.stringify((await receiver.db.query("SELECT * FROM record_imports")).rows)).not.toContain("陈<转学>生");
  });

  it("imports a bundle once per school: the second time is 409", async () => {
    const res = await importAs(receiver, to.counselor, to.schoolId, body());
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("transfer_already_imported");
    expect(await imports(receiver)).toBe(1);
  });

  it("carries the earlier school's record on when the student moves again", async () => {
    const again = TransferExportReply.parse((await exportAs(receiver, to.counselor, newcomer)).json());
    expect(again.fingerprint).not.toBe(exported.fingerprint);
    const returning = await sender.seed.student(from.classId, { name: "陈回校" });
    const res = await importAs(sender, from.counselor, from.schoolId, { bundle: again.bundle, passphrase: again.passphrase, senderPublicKey: again.publicKey, studentId: returning });
    expect(res.statusCode).toBe(201);
    const record = GrowthRecord.parse((await sender.app.inject({ method: "GET", url: `/api/students/${returning}/record`, headers: await as(sender, from.counselor) })).json());
    expect(record.imported.map((i) => i.from.schoolCode)).toEqual(["Z09", "A01"]);
    expect(record.imported.map((i) => i.record.student.name)).toEqual(["陈转学生", "陈<转学>生"]);
  });
});
