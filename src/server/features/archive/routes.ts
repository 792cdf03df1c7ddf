/**
 * The growth record (心理成长档案) and its transfer between schools (档案转接), issue 6:
 *
 * - GET /api/students/:id/record (`record.read`: counselors and the school lead of the student's
 *   school): the whole record; scores and validity for counselors only. One audit row per read.
 * - POST /api/students/:id/transfer (`record.transfer`: counselors): a signed, encrypted bundle of the
 *   record for the receiving school, its printable summary and the one-time passphrase (shown once,
 *   never stored). Audited.
 * - GET /api/transfer/public-key (`record.transfer`): this installation's signing key and fingerprint.
 * - POST /api/schools/:id/transfer-import (`record.transfer` on that school) {bundle, passphrase,
 *   senderPublicKey, studentId}: verifies, decrypts and attaches the record to the chosen student,
 *   all-or-nothing; audited. Error codes: src/shared/archive.ts TRANSFER_ERRORS.
 *
 * Anyone else — another school's staff, teachers, peer monitors, analysts, admins — gets 404 for a
 * student or school: they must not learn that it exists.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { GrowthRecord, SchoolParams, StudentParams, TransferExportBody, TransferExportReply, TransferImportBody, TransferImportReply, TransferPublicKey } from "../../../shared/archive";
import type { StaffActor } from "../../auth/actor";
import { can, scopeOf, type Action } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import type { Deps } from "../../deps";
import { notFound } from "../../errors";
import { audit } from "../waves/store";
import { findStudent, readHistory, readImports, withoutScores } from "./record";
import { signingKeyOf } from "./signing";
import { exportRecord, importRecord } from "./transfer";

/** A bundle is the record as base64: far larger than the 1 MB of an ordinary body. */
const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

export const archiveRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const signing = signingKeyOf(deps.keys);

  /** The (not purged) student, if the actor may take `action` on them; 404 otherwise, whatever the reason. */
  async function studentFor(actor: StaffActor, action: Action, studentId: string) {
    const s = await findStudent(deps.db, studentId);
    if (s === undefined || !can(actor, action, { schoolId: s.school_id, classId: s.class_id, studentId })) throw notFound("no such student / 无此学生");
    return s;
  }

  app.get("/api/students/:id/record", { schema: { params: StudentParams, response: { 200: GrowthRecord } } }, async (request, reply) => {
    const actor = requireStaff(request);
    const s = await studentFor(actor, "record.read", request.params.id);
    // Scores are the counselor's (ARCHITECTURE.md): whoever may transfer the record may see them.
    const scoresShown = can(actor, "record.transfer", { schoolId: s.school_id, classId: s.class_id, studentId: s.id });
    const now = deps.now();
    const history = await readHistory(deps.db, deps.keys, s, now);
    const imported = await readImports(deps.db, deps.keys, s.id);
    await audit(deps.db, {
      at: now,
      actor,
      action: "record.read",
      schoolId: s.school_id,
      studentId: s.id,
      subject: s.id,
      context: { scores: scoresShown, waves: history.waves.length, cases: history.cases.length, imported: imported.length },
      address: request.ip,
    });
    reply.header("cache-control", "no-store");
    const shown = scoresShown ? history : withoutScores(history);
    return { ...shown, imported: scoresShown ? imported : imported.map((i) => ({ ...i, record: withoutScores(i.record) })), scoresShown, generatedAt: now.toISOString() };
  });

  app.post("/api/students/:id/transfer", { schema: { params: StudentParams, body: TransferExportBody, response: { 200: TransferExportReply } } }, async (request, reply) => {
    const actor = requireStaff(request);
    const s = await studentFor(actor, "record.transfer", request.params.id);
    const out = await exportRecord(deps, s.id);
    await audit(deps.db, {
      at: deps.now(),
      actor,
      action: "record.transfer.export",
      schoolId: s.school_id,
      studentId: s.id,
      subject: out.exportId,
      context: { exportId: out.exportId, signerFingerprint: out.fingerprint },
      address: request.ip,
    });
    // The passphrase is in this reply and nowhere else: no cache may keep it.
    reply.header("cache-control", "no-store");
    return out;
  });

  app.get("/api/transfer/public-key", { schema: { response: { 200: TransferPublicKey } } }, async (request) => {
    const actor = requireStaff(request);
    if (scopeOf(actor, "record.transfer").kind === "none") throw notFound(`no route GET /api/transfer/public-key`);
    return { publicKey: signing.publicPem, fingerprint: signing.fingerprint };
  });

  app.post(
    "/api/schools/:id/transfer-import",
    { bodyLimit: IMPORT_BODY_LIMIT, schema: { params: SchoolParams, body: TransferImportBody, response: { 201: TransferImportReply } } },
    async (request, reply) => {
      const actor = requireStaff(request);
      const schoolId = request.params.id;
      if (!can(actor, "record.transfer", { schoolId })) throw notFound("no such school / 学校不存在");
      const student = await findStudent(deps.db, request.body.studentId);
      if (student === undefined || student.school_id !== schoolId || !can(actor, "record.transfer", { schoolId, classId: student.class_id, studentId: student.id })) {
        throw notFound("no such student / 无此学生");
      }
      const { bundle, passphrase, senderPublicKey } = request.body;
      const out = await importRecord(deps, { schoolId, studentId: student.id, importedBy: actor.accountId, bundle, passphrase, senderPublicKey }, (tx, r) =>
        audit(tx, {
          at: deps.now(),
          actor,
          action: "record.transfer.import",
          schoolId,
          studentId: student.id,
          subject: r.importId,
          context: { exportId: bundle.exportId, fromSchoolCode: r.from.schoolCode, signerFingerprint: r.signerFingerprint },
          address: request.ip,
        }),
      );
      return reply.status(201).send(out);
    },
  );
};
