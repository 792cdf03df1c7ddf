/**
 * Observations (issue 6).
 *
 * - POST /api/observations {studentId, instrument, answers, note?}: homeroom and subject teachers about
 *   students of their own classes, peer monitors about classmates of their own class, counselors and
 *   school leads about any student of their school (`can(actor, "observation.file", …)` on the stored row;
 *   anything else answers 404). The form must fit the role: teachers, counselors and leads file the
 *   teacher checklist and the screener of the student's grade (PSC-17 teacher in 1-6, SRSS-IE in 7-12),
 *   peer monitors the peer report only (403 otherwise).
 * - POST /api/observations/batch {instrument, items: [{studentId, answers, note?}]}: a whole class in one
 *   grid, all rows filed or none.
 *
 * Answers are checked by the scoring library (400 with every bad item's path). Free text (the note and any
 * text item) is stored encrypted (`observations.note_enc:<id>`), verbatim. The reply is `{ok: true}` for
 * everyone: no score, no tier, nothing about earlier reports. A critical answer calls the alerts hook
 * (./alert-hook.ts) in the same transaction. A peer monitor filing about themselves answers 404.
 *
 * The reads of the observer's page (classes, class lists, forms) are in ./observe-routes.ts.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { getInstrument } from "../../../../instruments/index";
import type { Answers } from "../../../../scoring/index";
import { BatchObservationBody, FileObservationBody, ObservationReply, type ObservationAnswers } from "../../../shared/observations";
import type { StaffActor } from "../../auth/actor";
import { can, scopeOf } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import { encrypt } from "../../crypto/cipher";
import type { Deps } from "../../deps";
import { ApiError, badRequest, forbidden, type ErrorDetail } from "../../errors";
import { raiseCriticalObservationAlert } from "./alert-hook";
import { allowedInstruments, checkObservation, informantRoleOf } from "./check";
import { observeRoutes } from "./observe-routes";
import { findStudents, insertObservations, ownStudentId, type ObservationRow } from "./store";

/** At most this many problems are listed in one 400 (a hostile grid could have thousands). */
const MAX_PROBLEMS = 100;

interface Filing {
  readonly studentId: string;
  readonly answers: ObservationAnswers;
  readonly note?: string | undefined;
  /** Where this row sits in the body, for error paths: "" or "items.3.". */
  readonly at: string;
}

export const observationRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  // What the observer's page reads before filing: classes, class lists, forms.
  await plain.register(observeRoutes, { deps });

  /** Checks and files every row, or throws before writing anything. */
  async function fileAll(actor: StaffActor, instrumentId: string, filings: readonly Filing[], address: string): Promise<void> {
    const role = informantRoleOf(actor);
    if (role === null || scopeOf(actor, "observation.file").kind === "none") throw forbidden("this role files no observations / 该角色不能提交观察记录");
    const inst = getInstrument(instrumentId);
    if (!inst) throw badRequest("invalid_request", "unknown form", [{ path: "instrument", message: "unknown form" }]);
    const seen = new Set<string>();
    for (const f of filings) {
      if (seen.has(f.studentId)) throw badRequest("duplicate_student", "a student appears twice in the batch / 同一学生出现了两次", [{ path: `${f.at}studentId`, code: "duplicate", message: "this student appears twice" }]);
      seen.add(f.studentId);
    }
    const students = await findStudents(deps.db, filings.map((f) => f.studentId));
    // A peer monitor reports on classmates, not on themselves (their class list leaves them out too).
    const self = role === "peer" ? await ownStudentId(deps.db, actor.accountId) : null;
    for (const f of filings) {
      const s = students.get(f.studentId);
      // Another school's or another class's student answers the same as no student at all.
      if (!s || s.id === self || !can(actor, "observation.file", { schoolId: s.schoolId, classId: s.classId, studentId: s.id })) {
        throw new ApiError(404, "not_found", "no such student / 学生不存在", [{ path: `${f.at}studentId`, message: "no such student" }]);
      }
    }
    const now = deps.now();
    const problems: ErrorDetail[] = [];
    const rows: (ObservationRow & { classId: string; critical: readonly string[] })[] = [];
    for (const f of filings) {
      const s = students.get(f.studentId)!;
      if (!allowedInstruments(role, s.grade).includes(inst.id)) {
        throw forbidden(role === "peer" ? "peer monitors file the peer report only / 心理委员只能提交同伴关心报告" : `this form is not for grade ${s.grade} / 该量表不适用于本年级`);
      }
      const checked = checkObservation(inst, f.answers as Answers, s.grade, `${f.at}answers`, { role, id: actor.accountId }, now);
      if (!checked.ok) {
        problems.push(...checked.problems);
        continue;
      }
      const id = deps.newId();
      const { answers, texts, score, evidence } = checked.value;
      const secret = f.note !== undefined && f.note !== "" ? { note: f.note, texts } : Object.keys(texts).length > 0 ? { texts } : null;
      rows.push({
        id,
        schoolId: s.schoolId,
        studentId: s.id,
        classId: s.classId,
        authorId: actor.accountId,
        role,
        instrument: inst.id,
        answers,
        noteEnc: secret === null ? null : encrypt(deps.keys, JSON.stringify(secret), `observations.note_enc:${id}`),
        score,
        evidence,
        at: now,
        critical: evidence.critical,
      });
    }
    if (problems.length > 0) {
      const shown = problems.slice(0, MAX_PROBLEMS);
      throw badRequest("invalid_answers", shown.length < problems.length ? `${problems.length} answers do not fit the form (the first ${MAX_PROBLEMS} are listed)` : "some answers do not fit the form / 部分作答不符合量表", shown);
    }
    await deps.db.transaction(async (tx) => {
      await insertObservations(tx, rows, { actorId: actor.accountId, actorRole: actor.role, address });
      for (const r of rows) {
        if (r.critical.length === 0) continue;
        await raiseCriticalObservationAlert(tx, deps, {
          observationId: r.id,
          studentId: r.studentId,
          schoolId: r.schoolId,
          classId: r.classId,
          instrument: r.instrument,
          items: r.critical,
          informantRole: r.role,
          authorId: r.authorId,
          at: now,
        });
      }
    });
  }

  app.post("/api/observations", { schema: { body: FileObservationBody, response: { 200: ObservationReply } } }, async (request) => {
    const actor = requireStaff(request);
    const { studentId, instrument, answers, note } = request.body;
    await fileAll(actor, instrument, [{ studentId, answers, note, at: "" }], request.ip);
    return { ok: true as const };
  });

  app.post("/api/observations/batch", { schema: { body: BatchObservationBody, response: { 200: ObservationReply } } }, async (request) => {
    const actor = requireStaff(request);
    const { instrument, items } = request.body;
    await fileAll(actor, instrument, items.map((it, i) => ({ studentId: it.studentId, answers: it.answers, note: it.note, at: `items.${i}.` })), request.ip);
    return { ok: true as const };
  });
};
