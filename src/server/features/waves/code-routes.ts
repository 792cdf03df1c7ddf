/**
 * Access codes of a wave: issue (one per eligible student without an active code), revoke, reissue,
 * and the slip list.
 *
 * The database keeps only a keyed hash of each code (codes.ts), so a plain code exists in exactly one
 * place: the response of the issue or reissue call that made it. The school prints the slips from that
 * response; GET …/slips lists who has which kind of code (without codes), and a lost slip means a
 * reissue (the old code is revoked). Every issue and revoke writes an audit row, never the code.
 *
 * Who gets a code: enrolled students of the wave's school (optionally of one class) whose guardian
 * did not opt out (pending counts as not opted out: the guardian was informed and may still opt out,
 * which revokes the code), who have no active code, have not submitted, and whose grade band answers
 * self-report pages in this wave's season (grades 1-3 answer none by default).
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id } from "../../../shared/api";
import { CodeIssueRequest, CodeIssueResult, CodeReissueResult, CodeRevokeResult, SlipList, type CodeSlip } from "../../../shared/waves";
import type { StaffActor } from "../../auth/actor";
import { requireStaff } from "../../auth/plugin";
import { decrypt, type DataKeys } from "../../crypto/cipher";
import { isUniqueViolation, type Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { ApiError, conflict, notFound } from "../../errors";
import { generateCode, hashCode, maskName } from "./codes";
import { studentBattery } from "./rules";
import { audit, auditEach, loadWave, type WaveRow } from "./store";

const WaveParams = z.strictObject({ id: Id });
const StudentParams = z.strictObject({ id: Id, studentId: Id });
const SlipQuery = z.strictObject({ classId: Id.optional() });

/** A new code colliding with an existing hash is ~10^-7 likely; the whole issue is retried a few times. */
const ISSUE_ATTEMPTS = 4;

interface CandidateRow extends Record<string, unknown> {
  id: string;
  class_id: string;
  grade: number;
  label: string;
  student_no_enc: string;
  name_enc: string;
  consent: string | null;
  has_active: boolean;
  submitted: boolean;
}

const CANDIDATES = `
  SELECT s.id, s.class_id, s.grade, c.label, s.student_no_enc, s.name_enc, k.status AS consent,
         EXISTS (SELECT 1 FROM access_codes a WHERE a.wave_id = $2 AND a.student_id = s.id AND a.status = 'active') AS has_active,
         EXISTS (SELECT 1 FROM responses r WHERE r.wave_id = $2 AND r.student_id = s.id AND r.status = 'submitted') AS submitted
    FROM students s
    JOIN classes c ON c.id = s.class_id
    LEFT JOIN consents k ON k.wave_id = $2 AND k.student_id = s.id
   WHERE s.school_id = $1 AND s.status = 'enrolled'`;

function slipOf(keys: DataKeys, s: CandidateRow, code: string): CodeSlip {
  return {
    studentId: s.id,
    classId: s.class_id,
    grade: s.grade,
    classLabel: s.label,
    studentNo: decrypt(keys, s.student_no_enc, `students.student_no_enc:${s.id}`),
    maskedName: maskName(decrypt(keys, s.name_enc, `students.name_enc:${s.id}`)),
    code,
  };
}

const bySlipOrder = <T extends { grade: number; classLabel: string; studentNo: string }>(a: T, b: T): number =>
  a.grade - b.grade || a.classLabel.localeCompare(b.classLabel, "zh-CN", { numeric: true }) || a.studentNo.localeCompare(b.studentNo, "en", { numeric: true });

/** Makes `n` distinct fresh codes. */
function freshCodes(deps: Deps, n: number): string[] {
  const codes = new Set<string>();
  while (codes.size < n) codes.add(generateCode(deps.randomBytes));
  return [...codes];
}

async function insertCodes(tx: Queryable, deps: Deps, waveId: string, pairs: readonly { studentId: string; code: string }[], now: Date): Promise<void> {
  if (pairs.length === 0) return;
  await tx.query(
    `INSERT INTO access_codes (id, wave_id, student_id, code_hash, status, issued_at)
     SELECT x.id, $1, x.student_id, x.code_hash, 'active', $2 FROM jsonb_to_recordset($3::jsonb) AS x(id text, student_id text, code_hash text)`,
    [waveId, now, JSON.stringify(pairs.map((p) => ({ id: deps.newId(), student_id: p.studentId, code_hash: hashCode(deps.keys, p.code) })))],
  );
}

/** Retries `fn` (a whole transaction) when a fresh code collided with a stored one. */
async function withFreshCodes<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (attempt < ISSUE_ATTEMPTS && isUniqueViolation(e)) continue;
      if (isUniqueViolation(e)) throw conflict("code_conflict", "codes were being issued at the same time; try again");
      throw e;
    }
  }
}

function openForCodes(wave: WaveRow, now: Date): void {
  if (wave.status === "closed" || wave.closes_at.getTime() <= now.getTime()) throw conflict("wave_closed", "the wave is closed: no codes can be issued");
}

async function loadStudent(tx: Queryable, wave: WaveRow, studentId: string): Promise<CandidateRow> {
  const { rows } = await tx.query<CandidateRow>(`${CANDIDATES} AND s.id = $3`, [wave.school_id, wave.id, studentId]);
  if (!rows[0]) throw notFound("no such student in this school");
  return rows[0];
}

async function revokeActive(tx: Queryable, actor: StaffActor, wave: WaveRow, studentId: string, now: Date, reason: string, address: string): Promise<boolean> {
  const { rowCount } = await tx.query("UPDATE access_codes SET status = 'revoked', revoked_at = $3 WHERE wave_id = $1 AND student_id = $2 AND status = 'active'", [wave.id, studentId, now]);
  if (rowCount === 0) return false;
  // Whoever holds the old code is signed out at once.
  await tx.query("DELETE FROM sessions WHERE wave_id = $1 AND student_id = $2", [wave.id, studentId]);
  await audit(tx, { at: now, actor, action: "code.revoke", schoolId: wave.school_id, studentId, subject: wave.id, context: { reason }, address });
  return true;
}

export const codeRoutes: FastifyPluginAsyncZod<{ deps: Deps }> = async (app, { deps }) => {
  app.post("/api/waves/:id/codes", { schema: { params: WaveParams, body: CodeIssueRequest.nullish(), response: { 200: CodeIssueResult } } }, async (request) => {
    const actor = requireStaff(request);
    const classId = request.body?.classId ?? null;
    const now = deps.now();
    const result = await withFreshCodes(() =>
      deps.db.transaction(async (tx) => {
        const wave = await loadWave(tx, actor, request.params.id, "code.manage", true);
        openForCodes(wave, now);
        if (classId !== null) {
          const { rowCount } = await tx.query("SELECT 1 FROM classes WHERE id = $1 AND school_id = $2", [classId, wave.school_id]);
          if (rowCount === 0) throw new ApiError(404, "not_found", "no such class in this school", [{ path: "body.classId", code: "not_found", message: "no such class in this school" }]);
        }
        const { rows } = await tx.query<CandidateRow>(classId === null ? CANDIDATES : `${CANDIDATES} AND s.class_id = $3`, classId === null ? [wave.school_id, wave.id] : [wave.school_id, wave.id, classId]);
        const skipped = { optedOut: 0, alreadyActive: 0, submitted: 0, noSelfReport: 0 };
        const eligible: CandidateRow[] = [];
        for (const s of rows) {
          if (s.consent === "opted-out") skipped.optedOut++;
          else if (s.submitted) skipped.submitted++;
          else if (s.has_active) skipped.alreadyActive++;
          else if ((studentBattery(wave.batteries, wave.season, s.grade)?.instruments.length ?? 0) === 0) skipped.noSelfReport++;
          else eligible.push(s);
        }
        const codes = freshCodes(deps, eligible.length);
        const pairs = eligible.map((s, i) => ({ student: s, code: codes[i]! }));
        await insertCodes(tx, deps, wave.id, pairs.map((p) => ({ studentId: p.student.id, code: p.code })), now);
        await auditEach(tx, { at: now, actor, action: "code.issue", schoolId: wave.school_id, subject: wave.id, context: classId === null ? {} : { classId }, address: request.ip }, eligible.map((s) => s.id));
        return { wave, pairs, skipped };
      }),
    );
    const issued = result.pairs.map((p) => slipOf(deps.keys, p.student, p.code)).sort(bySlipOrder);
    return { waveId: result.wave.id, issued, skipped: result.skipped };
  });

  app.post("/api/waves/:id/codes/:studentId/revoke", { schema: { params: StudentParams, response: { 200: CodeRevokeResult } } }, async (request) => {
    const actor = requireStaff(request);
    const now = deps.now();
    return deps.db.transaction(async (tx) => {
      const wave = await loadWave(tx, actor, request.params.id, "code.manage", true);
      const student = await loadStudentAnyStatus(tx, wave, request.params.studentId);
      return { studentId: student, revoked: await revokeActive(tx, actor, wave, student, now, "revoked", request.ip) };
    });
  });

  app.post("/api/waves/:id/codes/:studentId/reissue", { schema: { params: StudentParams, response: { 200: CodeReissueResult } } }, async (request) => {
    const actor = requireStaff(request);
    const now = deps.now();
    const result = await withFreshCodes(() =>
      deps.db.transaction(async (tx) => {
        const wave = await loadWave(tx, actor, request.params.id, "code.manage", true);
        openForCodes(wave, now);
        const student = await loadStudent(tx, wave, request.params.studentId);
        if (student.consent === "opted-out") throw conflict("opted_out", "the guardian opted this student out of the wave: no code");
        if (student.submitted) throw conflict("code_used", "the student has already submitted this wave");
        if ((studentBattery(wave.batteries, wave.season, student.grade)?.instruments.length ?? 0) === 0) {
          throw conflict("no_self_report", "the student's grade answers no self-report pages in this wave");
        }
        const revoked = await revokeActive(tx, actor, wave, student.id, now, "reissue", request.ip);
        const [code] = freshCodes(deps, 1);
        await insertCodes(tx, deps, wave.id, [{ studentId: student.id, code: code! }], now);
        await audit(tx, { at: now, actor, action: "code.issue", schoolId: wave.school_id, studentId: student.id, subject: wave.id, context: { reissue: true }, address: request.ip });
        return { revoked, student, code: code! };
      }),
    );
    return { revoked: result.revoked, slip: slipOf(deps.keys, result.student, result.code) };
  });

  app.get("/api/waves/:id/slips", { schema: { params: WaveParams, querystring: SlipQuery, response: { 200: SlipList } } }, async (request) => {
    const actor = requireStaff(request);
    const classId = request.query.classId ?? null;
    const now = deps.now();
    return deps.db.transaction(async (tx) => {
      const wave = await loadWave(tx, actor, request.params.id, "code.manage");
      const { rows } = await tx.query<CandidateRow & { code_status: string | null; issued_at: Date | null }>(
        `SELECT q.*, last.status AS code_status, last.issued_at FROM (${CANDIDATES} ${classId === null ? "" : "AND s.class_id = $3"}) q
           LEFT JOIN LATERAL (SELECT a.status, a.issued_at FROM access_codes a WHERE a.wave_id = $2 AND a.student_id = q.id
                               ORDER BY (a.status = 'active') DESC, a.issued_at DESC LIMIT 1) last ON true`,
        classId === null ? [wave.school_id, wave.id] : [wave.school_id, wave.id, classId],
      );
      await audit(tx, { at: now, actor, action: "slips.read", schoolId: wave.school_id, subject: wave.id, context: { classId, students: rows.length }, address: request.ip });
      const slips = rows
        .map((r) => {
          const { code: _none, ...slip } = slipOf(deps.keys, r, "");
          const codeState: "active" | "used" | "revoked" | "none" = r.submitted ? "used" : r.code_status === "active" || r.code_status === "used" || r.code_status === "revoked" ? r.code_status : "none";
          return { ...slip, consent: (r.consent ?? "pending") as "consented" | "opted-out" | "pending", codeState, issuedAt: r.issued_at ? r.issued_at.toISOString() : null };
        })
        .sort(bySlipOrder);
      return { waveId: wave.id, slips };
    });
  });
};

/** The id of a student of the wave's school (enrolled or not: a left student's code can still be revoked). */
async function loadStudentAnyStatus(tx: Queryable, wave: WaveRow, studentId: string): Promise<string> {
  const { rows } = await tx.query<{ id: string }>("SELECT id FROM students WHERE id = $1 AND school_id = $2", [studentId, wave.school_id]);
  if (!rows[0]) throw notFound("no such student in this school");
  return rows[0].id;
}
