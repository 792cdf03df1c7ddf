/**
 * Guardian consent per student per wave (consented | opted-out | pending). A student without a row is
 * pending. Opting a student out revokes their active code at once: opted-out students get no code.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id } from "../../../shared/api";
import { ConsentPut, ConsentPutResult, ConsentSummary } from "../../../shared/waves";
import { requireStaff } from "../../auth/plugin";
import type { Deps } from "../../deps";
import { ApiError, badRequest, conflict, type ErrorDetail } from "../../errors";
import { auditEach, consentSummary, loadWave } from "./store";

const WaveParams = z.strictObject({ id: Id });

export const consentRoutes: FastifyPluginAsyncZod<{ deps: Deps }> = async (app, { deps }) => {
  app.put("/api/waves/:id/consents", { schema: { params: WaveParams, body: ConsentPut, response: { 200: ConsentPutResult } } }, async (request) => {
    const actor = requireStaff(request);
    const { items } = request.body;
    const firstIndex = new Map<string, number>();
    const duplicates: ErrorDetail[] = [];
    items.forEach((item, i) => {
      const first = firstIndex.get(item.studentId);
      if (first === undefined) firstIndex.set(item.studentId, i);
      else duplicates.push({ path: `body.items.${i}.studentId`, code: "duplicate", message: `the same student as items.${first}` });
    });
    if (duplicates.length > 0) throw badRequest("invalid_consents", "a student appears more than once", duplicates);
    const now = deps.now();
    return deps.db.transaction(async (tx) => {
      const wave = await loadWave(tx, actor, request.params.id, "consent.set", true);
      if (wave.status === "closed") throw conflict("wave_closed", "the wave is closed: its consents can no longer change");
      const ids = JSON.stringify(items.map((i) => i.studentId));
      const { rows: known } = await tx.query<{ id: string }>(
        "SELECT s.id FROM students s WHERE s.school_id = $1 AND s.id IN (SELECT value FROM jsonb_array_elements_text($2::jsonb))",
        [wave.school_id, ids],
      );
      const knownIds = new Set(known.map((r) => r.id));
      // Another school's student answers exactly like a student that does not exist.
      const missing = items.flatMap((item, i) => (knownIds.has(item.studentId) ? [] : [{ path: `body.items.${i}.studentId`, code: "not_found", message: "no such student in this school" }]));
      if (missing.length > 0) throw new ApiError(404, "not_found", `${missing.length} student(s) not found; nothing was changed`, missing);
      const records = JSON.stringify(items.map((i) => ({ student_id: i.studentId, status: i.status })));
      const upserted = await tx.query(
        `INSERT INTO consents (wave_id, student_id, status, source, updated_at, updated_by)
         SELECT $1, x.student_id, x.status, 'school', $2, $3 FROM jsonb_to_recordset($4::jsonb) AS x(student_id text, status text)
         ON CONFLICT (wave_id, student_id) DO UPDATE SET status = EXCLUDED.status, source = EXCLUDED.source, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`,
        [wave.id, now, actor.accountId, records],
      );
      const optedOut = items.filter((i) => i.status === "opted-out").map((i) => i.studentId);
      let revoked: string[] = [];
      if (optedOut.length > 0) {
        const { rows } = await tx.query<{ student_id: string }>(
          `UPDATE access_codes SET status = 'revoked', revoked_at = $2
            WHERE wave_id = $1 AND status = 'active' AND student_id IN (SELECT value FROM jsonb_array_elements_text($3::jsonb))
            RETURNING student_id`,
          [wave.id, now, JSON.stringify(optedOut)],
        );
        revoked = rows.map((r) => r.student_id);
        if (revoked.length > 0) {
          await tx.query("DELETE FROM sessions WHERE wave_id = $1 AND student_id IN (SELECT value FROM jsonb_array_elements_text($2::jsonb))", [wave.id, JSON.stringify(revoked)]);
          await auditEach(tx, { at: now, actor, action: "code.revoke", schoolId: wave.school_id, subject: wave.id, context: { reason: "opted-out" }, address: request.ip }, revoked);
        }
      }
      for (const status of ["consented", "opted-out", "pending"] as const) {
        const of = items.filter((i) => i.status === status).map((i) => i.studentId);
        await auditEach(tx, { at: now, actor, action: "consent.set", schoolId: wave.school_id, subject: wave.id, context: { status }, address: request.ip }, of);
      }
      return { updated: upserted.rowCount, codesRevoked: revoked.length, summary: await consentSummary(tx, wave) };
    });
  });

  app.get("/api/waves/:id/consents", { schema: { params: WaveParams, response: { 200: ConsentSummary } } }, async (request) => {
    const actor = requireStaff(request);
    const wave = await loadWave(deps.db, actor, request.params.id, "wave.read");
    return consentSummary(deps.db, wave);
  });
};
