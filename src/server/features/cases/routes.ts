/**
 * The counselor's closed loop (issue 6, "Cases"), for counselors and the school lead (case.manage):
 * - POST /api/cases {studentId, tier: red|orange, reason, assignee?} opens a case assigned to a counselor,
 *   due by the policy's `dueSchoolDays` (red: the same day; orange: 3 school days, Mon-Fri).
 * - GET /api/cases?mine=1 — open cases by due date, overdue first (mine: assigned to me).
 * - GET /api/cases/:id — the case with every step decrypted; audited.
 * - POST /api/cases/:id/steps — one step; a step the machine (steps.ts) does not allow answers 409 with
 *   the allowed ones.
 * And the yellow tier's "please check in with" notice:
 * - POST /api/students/:id/checkin-notice (case.manage) releases a notice to the homeroom teacher, due in
 *   the policy's yellow school days;
 * - GET /api/notices — the notices of the caller's homeroom classes (the whole school for counselors and
 *   the lead): name, class and the fixed text; never a score, tier or reason.
 * - POST /api/notices/:id/done — the homeroom teacher checked in (or read a feedback message).
 * Feedback on case steps (the teacher's notices include homeroom feedback) is in feedback-routes.ts.
 * Another school's case or student answers 404; a role without the action answers 403.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { CaseCreate, CaseDetail, CaseList, CaseParams, CaseQuery, CHECKIN_TEXT, CheckinNoticeBody, InvalidTransition, NoticeCreated, NoticeList, StepBody, StudentParams } from "../../../shared/cases";
import type { StaffActor } from "../../auth/actor";
import { can, scopeOf } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import { isUniqueViolation } from "../../db/database";
import type { Deps } from "../../deps";
import { ApiError, badRequest, forbidden, notFound } from "../../errors";
import { FEEDBACK_TEMPLATES } from "../../../shared/feedback";
import { writeAudit } from "../alerts/audit";
import { studentName } from "../alerts/store";
import { dueAfterSchoolDays } from "./school-days";
import { applyStep } from "./steps";
import { CASE_SELECT, openCase, readCaseDetail, readCaseRow, schoolPolicy, toSummary, writeStep, type CaseRow } from "./store";

/** The words of each feedback template, by id. */
const FEEDBACK_TEXT = new Map(FEEDBACK_TEMPLATES.map((t) => [t.id, t.text]));

/** The school whose cases `actor` manages, else 403. */
export function caseSchoolOf(actor: StaffActor): string {
  const scope = scopeOf(actor, "case.manage");
  if (scope.kind !== "school") throw forbidden("only counselors and the school lead manage cases / 仅心理教师和学校负责人可管理个案");
  return scope.schoolId;
}

interface StudentRow extends Record<string, unknown> {
  id: string;
  school_id: string;
  class_id: string;
  status: string;
}

async function studentInScope(deps: Deps, actor: StaffActor, id: string): Promise<StudentRow> {
  const { rows } = await deps.db.query<StudentRow>("SELECT id, school_id, class_id, status FROM students WHERE id = $1", [id]);
  const s = rows[0];
  if (!s || !can(actor, "case.manage", { schoolId: s.school_id, classId: s.class_id, studentId: s.id })) throw notFound("no such student / 无此学生");
  return s;
}

export const caseRoutes: FastifyPluginAsync<{ deps: Deps }> = async (base, { deps }) => {
  const app = base.withTypeProvider<ZodTypeProvider>();

  async function caseInScope(actor: StaffActor, id: string): Promise<CaseRow> {
    const schoolId = caseSchoolOf(actor);
    const row = await readCaseRow(deps.db, id);
    if (!row || row.school_id !== schoolId) throw notFound("no such case / 无此个案");
    return row;
  }

  app.post("/api/cases", { schema: { body: CaseCreate, response: { 201: CaseDetail } } }, async (request, reply) => {
    const actor = requireStaff(request);
    const schoolId = caseSchoolOf(actor);
    const body = request.body;
    const student = await studentInScope(deps, actor, body.studentId);
    const assignee = body.assignee ?? actor.accountId;
    const { rows } = await deps.db.query<{ role: string; school_id: string | null; disabled: boolean }>("SELECT role, school_id, disabled FROM accounts WHERE id = $1", [assignee]);
    const a = rows[0];
    if (!a || a.role !== "counselor" || a.school_id !== schoolId || a.disabled) {
      throw badRequest("invalid_assignee", "a case is assigned to an active counselor of the school / 个案须分配给本校在职心理教师", [
        { path: body.assignee === undefined ? "body" : "body.assignee", code: "invalid_assignee", message: body.assignee === undefined ? "name an assignee: you are not a counselor" : "not a counselor of this school" },
      ]);
    }
    const now = deps.now();
    const id = await deps.db.transaction(async (tx) => {
      const caseId = await openCase(tx, deps, { schoolId, studentId: student.id, tier: body.tier, reason: body.reason, assignee, openedBy: actor.accountId, flaggedAt: now, alertId: null, acknowledged: false });
      await writeAudit(tx, [{ at: now, actor, action: "case.open", schoolId, studentId: student.id, subject: caseId, context: { tier: body.tier, assignee }, address: request.ip }]);
      return caseId;
    });
    const row = await readCaseRow(deps.db, id);
    return reply.status(201).send(await readCaseDetail(deps.db, deps.keys, row!, now));
  });

  app.get("/api/cases", { schema: { querystring: CaseQuery, response: { 200: CaseList } } }, async (request) => {
    const actor = requireStaff(request);
    const schoolId = caseSchoolOf(actor);
    const mine = request.query.mine === "1" || request.query.mine === "true";
    const now = deps.now();
    const state = { open: "AND cs.state <> 'closed'", closed: "AND cs.state = 'closed'", all: "" }[request.query.state];
    const { rows } = await deps.db.query<CaseRow>(
      `${CASE_SELECT} WHERE cs.school_id = $1 ${state} ${mine ? "AND cs.assigned_to = $3" : "AND $3::text IS NOT NULL"}
        ORDER BY COALESCE(cs.state <> 'closed' AND cs.due_at < $2, false) DESC, cs.due_at ASC NULLS LAST, cs.opened_at, cs.id LIMIT 500`,
      [schoolId, now, actor.accountId],
    );
    await writeAudit(
      deps.db,
      rows.map((r) => ({ at: now, actor, action: "case.list", schoolId, studentId: r.student_id, subject: r.id, address: request.ip })),
    );
    return { cases: rows.map((r) => toSummary(deps.keys, r, now)) };
  });

  app.get("/api/cases/:id", { schema: { params: CaseParams, response: { 200: CaseDetail } } }, async (request) => {
    const actor = requireStaff(request);
    const row = await caseInScope(actor, request.params.id);
    const now = deps.now();
    await writeAudit(deps.db, [{ at: now, actor, action: "case.read", schoolId: row.school_id, studentId: row.student_id, subject: row.id, address: request.ip }]);
    return readCaseDetail(deps.db, deps.keys, row, now);
  });

  app.post("/api/cases/:id/steps", { schema: { params: CaseParams, body: StepBody, response: { 200: CaseDetail, 409: InvalidTransition } } }, async (request, reply) => {
    const actor = requireStaff(request);
    const schoolId = caseSchoolOf(actor);
    const step = request.body;
    const now = deps.now();
    const outcome = await deps.db.transaction(async (tx) => {
      const row = await readCaseRow(tx, request.params.id, true);
      if (!row || row.school_id !== schoolId) throw notFound("no such case / 无此个案");
      const next = applyStep({ state: row.state, plan: row.plan, dueAt: row.due_at }, step, now);
      if (next.kind === "invalid") return next;
      await writeStep(tx, deps, { id: row.id, by: actor.accountId, at: now }, step, next);
      await writeAudit(tx, [{ at: now, actor, action: "case.step", schoolId, studentId: row.student_id, subject: row.id, context: { step: step.kind, from: row.state, to: next.state }, address: request.ip }]);
      return next;
    });
    if (outcome.kind === "invalid") {
      const allowed = [...outcome.allowed];
      const list = allowed.length === 0 ? "none (the case is closed)" : allowed.join(", ");
      return reply.status(409).send({
        error: {
          code: "invalid_transition",
          message: `a case in state ${outcome.from} cannot take the step ${outcome.step}; allowed: ${list} / 当前状态不允许此步骤`,
          details: [{ path: "body.kind", code: "invalid_transition", message: `allowed: ${list}` }],
        },
        allowed,
      });
    }
    const row = await readCaseRow(deps.db, request.params.id);
    return readCaseDetail(deps.db, deps.keys, row!, now);
  });

  app.post("/api/students/:id/checkin-notice", { schema: { params: StudentParams, body: CheckinNoticeBody, response: { 200: NoticeCreated, 201: NoticeCreated } } }, async (request, reply) => {
    const actor = requireStaff(request);
    caseSchoolOf(actor);
    const student = await studentInScope(deps, actor, request.params.id);
    if (student.status !== "enrolled") throw new ApiError(409, "not_enrolled", "this student is no longer enrolled / 该生已不在籍");
    const now = deps.now();
    const policy = await schoolPolicy(deps.db, student.school_id);
    const dueAt = dueAfterSchoolDays(now, policy.dueSchoolDays.yellow);
    const id = deps.newId();
    try {
      await deps.db.transaction(async (tx) => {
        await tx.query(
          "INSERT INTO checkin_notices (id, school_id, student_id, class_id, created_by, created_at, due_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
          [id, student.school_id, student.id, student.class_id, actor.accountId, now, dueAt],
        );
        await writeAudit(tx, [{ at: now, actor, action: "notice.create", schoolId: student.school_id, studentId: student.id, subject: id, address: request.ip }]);
      });
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      const { rows } = await deps.db.query<{ id: string; due_at: Date }>("SELECT id, due_at FROM checkin_notices WHERE student_id = $1 AND done_at IS NULL", [student.id]);
      if (!rows[0]) throw e;
      return reply.status(200).send({ id: rows[0].id, dueAt: rows[0].due_at.toISOString(), created: false });
    }
    return reply.status(201).send({ id, dueAt: dueAt.toISOString(), created: true });
  });

  /** The notices `actor` may see: the whole school (case.manage), or the classes they are homeroom teacher of. */
  function noticeScope(actor: StaffActor): { schoolId: string; classIds: readonly string[] | null } {
    const manage = scopeOf(actor, "case.manage");
    if (manage.kind === "school") return { schoolId: manage.schoolId, classIds: null };
    const read = scopeOf(actor, "class.read");
    if (read.kind !== "classes") throw forbidden("notices go to homeroom teachers / 关注提示仅发给班主任");
    return { schoolId: read.schoolId, classIds: read.classIds.filter((c) => actor.classes.homeroom.includes(c)) };
  }

  app.get("/api/notices", { schema: { response: { 200: NoticeList } } }, async (request) => {
    const actor = requireStaff(request);
    const scope = noticeScope(actor);
    // Check-in notices and homeroom feedback, open ones first; done ones stay visible for 14 days.
    const { rows } = await deps.db.query<{ id: string; kind: "checkin" | "feedback"; template: string | null; student_id: string; name_enc: string; class_id: string; grade: number; label: string; created_at: Date; due_at: Date | null; done_at: Date | null }>(
      `SELECT n.id, n.kind, n.template, n.student_id, st.name_enc, c.id AS class_id, c.grade, c.label, n.created_at, n.due_at, n.done_at
         FROM (SELECT id, 'checkin' AS kind, NULL::text AS template, school_id, student_id, class_id, created_at, due_at, done_at FROM checkin_notices
               UNION ALL
               SELECT id, 'feedback', template, school_id, student_id, class_id, sent_at, NULL::timestamptz, read_at FROM case_feedback WHERE audience = 'homeroom') n
         JOIN students st ON st.id = n.student_id JOIN classes c ON c.id = n.class_id
        WHERE n.school_id = $1 AND ($2::jsonb IS NULL OR n.class_id IN (SELECT jsonb_array_elements_text($2::jsonb)))
          AND (n.done_at IS NULL OR n.done_at > $3)
        ORDER BY n.done_at IS NOT NULL, n.due_at NULLS LAST, n.created_at, n.id LIMIT 500`,
      [scope.schoolId, scope.classIds === null ? null : JSON.stringify(scope.classIds), new Date(deps.now().getTime() - 14 * 86_400_000)],
    );
    const now = deps.now();
    await writeAudit(
      deps.db,
      rows.map((r) => ({ at: now, actor, action: "notice.read", schoolId: scope.schoolId, studentId: r.student_id, subject: r.id, address: request.ip })),
    );
    return {
      notices: rows.map((r) => ({
        id: r.id,
        kind: r.kind,
        studentId: r.student_id,
        studentName: studentName(deps.keys, r.student_id, r.name_enc),
        class: { id: r.class_id, grade: r.grade, label: r.label },
        message: { ...(r.kind === "checkin" ? CHECKIN_TEXT : (FEEDBACK_TEXT.get(r.template ?? "") ?? CHECKIN_TEXT)) },
        createdAt: r.created_at.toISOString(),
        dueAt: r.due_at?.toISOString() ?? null,
        doneAt: r.done_at?.toISOString() ?? null,
      })),
    };
  });

  app.post("/api/notices/:id/done", { schema: { params: CaseParams, body: CheckinNoticeBody, response: { 200: NoticeCreated } } }, async (request) => {
    const actor = requireStaff(request);
    const scope = noticeScope(actor);
    const { rows } = await deps.db.query<{ id: string; kind: "checkin" | "feedback"; school_id: string; class_id: string; student_id: string; due_at: Date | null; done_at: Date | null }>(
      `SELECT id, 'checkin' AS kind, school_id, class_id, student_id, due_at, done_at FROM checkin_notices WHERE id = $1
       UNION ALL
       SELECT id, 'feedback', school_id, class_id, student_id, NULL::timestamptz, read_at FROM case_feedback WHERE id = $1 AND audience = 'homeroom'`,
      [request.params.id],
    );
    const n = rows[0];
    if (!n || n.school_id !== scope.schoolId || (scope.classIds !== null && !scope.classIds.includes(n.class_id))) throw notFound("no such notice / 无此提示");
    const now = deps.now();
    if (n.done_at === null) {
      await deps.db.transaction(async (tx) => {
        if (n.kind === "checkin") await tx.query("UPDATE checkin_notices SET done_at = $2 WHERE id = $1 AND done_at IS NULL", [n.id, now]);
        else await tx.query("UPDATE case_feedback SET read_at = $2 WHERE id = $1 AND read_at IS NULL", [n.id, now]);
        await writeAudit(tx, [{ at: now, actor, action: n.kind === "checkin" ? "notice.done" : "feedback.read", schoolId: n.school_id, studentId: n.student_id, subject: n.id, address: request.ip }]);
      });
    }
    return { id: n.id, dueAt: n.due_at?.toISOString() ?? null, created: false };
  });
};
