/**
 * Transfer of a growth record between schools (档案转接): the export (record → sealed bundle, printable
 * summary, one-time passphrase) and the import (bundle → verified, decrypted → a read-only history
 * attached to a student of the receiving school). The routes check access and audit; these functions
 * build and write.
 */
import type { TransferBundle, TransferExportReply, TransferImportReply, TransferPayload } from "../../../shared/archive";
import { encrypt } from "../../crypto/cipher";
import { isUniqueViolation, type Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { ApiError } from "../../errors";
import { newPassphrase, openBundle, sealBundle } from "./bundle";
import { findStudent, importPayloadContext, readHistory, readImports, type StoredImport } from "./record";
import { signingKeyOf } from "./signing";
import { transferSummaryHtml } from "./summary";

/** Builds the export of one (existing, not purged) student's record. Writes nothing. */
export async function exportRecord(deps: Pick<Deps, "db" | "keys" | "newId" | "now" | "randomBytes">, studentId: string): Promise<TransferExportReply> {
  const s = await findStudent(deps.db, studentId);
  if (s === undefined) throw new ApiError(404, "not_found", "no such student / 无此学生");
  const now = deps.now();
  const record = await readHistory(deps.db, deps.keys, s, now);
  const earlier = await readImports(deps.db, deps.keys, studentId);
  const signing = signingKeyOf(deps.keys);
  const exportId = deps.newId();
  const from = { schoolCode: record.student.school.code, schoolName: record.student.school.name };
  const summaryHtml = transferSummaryHtml({ exportId, exportedAt: now, record, earlier, fingerprint: signing.fingerprint });
  const payload: TransferPayload = { exportId, exportedAt: now.toISOString(), from, record, earlier, summaryHtml };
  const passphrase = newPassphrase(deps.randomBytes);
  const bundle = await sealBundle({ exportId, createdAt: now, from, payload, passphrase, signing, randomBytes: deps.randomBytes });
  const safeCode = from.schoolCode.replace(/[^A-Za-z0-9_-]/g, "_");
  return { exportId, fileName: `xinqing-transfer-${safeCode}-${exportId}.json`, bundle, passphrase, publicKey: signing.publicPem, fingerprint: signing.fingerprint, summaryHtml };
}

const STATUS: Record<string, number> = {
  transfer_malformed: 400,
  transfer_wrong_key: 422,
  transfer_tampered: 422,
  transfer_wrong_passphrase: 422,
};

/**
 * Verifies and decrypts a bundle and attaches it to `studentId` of `schoolId` in one transaction with
 * `afterWrite` (the audit row). Any failure writes nothing.
 */
export async function importRecord(
  deps: Pick<Deps, "db" | "keys" | "newId" | "now">,
  input: { schoolId: string; studentId: string; importedBy: string; bundle: TransferBundle; passphrase: string; senderPublicKey: string },
  afterWrite: (tx: Queryable, reply: TransferImportReply) => Promise<void>,
): Promise<TransferImportReply> {
  const opened = await openBundle(input.bundle, input.passphrase, input.senderPublicKey);
  if (!opened.ok) throw new ApiError(STATUS[opened.code] ?? 422, opened.code, opened.message);
  const p = opened.payload;
  const id = deps.newId();
  const now = deps.now();
  const stored: StoredImport = { record: p.record, earlier: p.earlier };
  const reply: TransferImportReply = { importId: id, studentId: input.studentId, from: p.from, exportedAt: p.exportedAt, signerFingerprint: input.bundle.signerFingerprint };
  try {
    await deps.db.transaction(async (tx) => {
      const target = await tx.query("SELECT 1 FROM students WHERE id = $1 AND school_id = $2 AND purged_at IS NULL FOR UPDATE", [input.studentId, input.schoolId]);
      if (target.rowCount === 0) throw new ApiError(404, "not_found", "no such student / 无此学生");
      await tx.query(
        `INSERT INTO record_imports (id, school_id, student_id, export_id, from_school_code, from_school_name, exported_at, signer_fingerprint, payload_enc, imported_by, imported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [id, input.schoolId, input.studentId, p.exportId, p.from.schoolCode, p.from.schoolName, new Date(p.exportedAt), input.bundle.signerFingerprint, encrypt(deps.keys, JSON.stringify(stored), importPayloadContext(id)), input.importedBy, now],
      );
      await afterWrite(tx, reply);
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new ApiError(409, "transfer_already_imported", "this bundle was already imported at this school / 该档案包已导入本校");
    throw e;
  }
  return reply;
}
