/**
 * What the observer's page (/observe) reads before filing (issue 6, "Observations"):
 *
 * - GET /api/observe/classes — the classes the signed-in teacher or peer monitor files observations about
 *   (their account_classes that `can(actor, "observation.file", class)` allows), with the relation, grade
 *   and label. School-wide roles get the classes they are tied to, usually none.
 * - GET /api/observe/classes/:id/students — the enrolled students of one of those classes: id, name and,
 *   for teachers, the student number. A peer monitor gets classmates' names only, never themselves. A
 *   class the caller may not file about answers 404, like one that does not exist. One audit row per read.
 * - GET /api/observe/forms/:instrument?grade= — a form as plain data (./form.ts) and the teacher screener
 *   of the grade. Peer monitors get the peer report only; a form that does not fit the role or the grade
 *   answers 403, as filing it would.
 *
 * A role that files no observations at all answers 403. Nothing here returns a score, a band, a tier or
 * anything about earlier reports.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { getInstrument } from "../../../../instruments/index";
import {
  ObserveClassList,
  ObserveClassParams,
  ObserveFormParams,
  ObserveFormQuery,
  ObserveFormReply,
  ObserveStudentList,
  type ObserverRelation,
  type ObserveStudent,
} from "../../../shared/observations";
import type { StaffActor } from "../../auth/actor";
import { can, scopeOf } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import { decrypt } from "../../crypto/cipher";
import type { Deps } from "../../deps";
import { forbidden, notFound } from "../../errors";
import type { InformantRole } from "../../../../scoring/index";
import { writeAudit } from "../alerts/audit";
import { allowedInstruments, informantRoleOf, isObservationInstrument, teacherScreenerFor } from "./check";
import { formView } from "./form";
import { classStudents, findClasses, ownStudentId } from "./store";

const RELATIONS: readonly ObserverRelation[] = ["homeroom", "subject", "peer"];

/** The informant role of an actor who may file observations, else 403. */
function observerRole(actor: StaffActor): InformantRole {
  const role = informantRoleOf(actor);
  if (role === null || scopeOf(actor, "observation.file").kind === "none") throw forbidden("this role files no observations / 该角色不能提交观察记录");
  return role;
}

/** The relation to show for a class: the account's own role's relation first, when it has several. */
function relationOf(actor: StaffActor, classId: string): ObserverRelation | null {
  const ordered = [...RELATIONS].sort((a, b) => Number(b === actor.role) - Number(a === actor.role));
  return ordered.find((r) => actor.classes[r].includes(classId)) ?? null;
}

const byNumber = (a: ObserveStudent, b: ObserveStudent) => (a.studentNo ?? "").localeCompare(b.studentNo ?? "", "en", { numeric: true }) || a.id.localeCompare(b.id);
const byName = (a: ObserveStudent, b: ObserveStudent) => a.name.localeCompare(b.name, "zh-CN") || a.id.localeCompare(b.id);

export const observeRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  app.get("/api/observe/classes", { schema: { response: { 200: ObserveClassList } } }, async (request) => {
    const actor = requireStaff(request);
    observerRole(actor);
    const ids = [...new Set(RELATIONS.flatMap((r) => actor.classes[r]))];
    const classes = (await findClasses(deps.db, ids)).filter((c) => can(actor, "observation.file", { schoolId: c.schoolId, classId: c.id }));
    return {
      classes: classes.flatMap((c) => {
        const relation = relationOf(actor, c.id);
        return relation === null ? [] : [{ id: c.id, relation, grade: c.grade, label: c.label }];
      }),
    };
  });

  app.get("/api/observe/classes/:id/students", { schema: { params: ObserveClassParams, response: { 200: ObserveStudentList } } }, async (request) => {
    const actor = requireStaff(request);
    const role = observerRole(actor);
    const [klass] = await findClasses(deps.db, [request.params.id]);
    if (!klass || !can(actor, "observation.file", { schoolId: klass.schoolId, classId: klass.id })) throw notFound("no such class / 班级不存在");
    const rows = await classStudents(deps.db, klass.id);
    const peer = role === "peer";
    // A peer monitor reports on classmates: their own name is left out, and they get names only.
    const self = peer ? await ownStudentId(deps.db, actor.accountId) : null;
    const students: ObserveStudent[] = rows
      .filter((s) => s.id !== self)
      .map((s) => {
        const name = decrypt(deps.keys, s.nameEnc, `students.name_enc:${s.id}`);
        return peer ? { id: s.id, name } : { id: s.id, name, studentNo: decrypt(deps.keys, s.studentNoEnc, `students.student_no_enc:${s.id}`) };
      })
      .sort(peer ? byName : byNumber);
    await writeAudit(deps.db, [
      { at: deps.now(), actor, action: "observe.class-list", schoolId: klass.schoolId, studentId: null, subject: klass.id, context: { students: students.length }, address: request.ip },
    ]);
    return { class: { id: klass.id, grade: klass.grade, label: klass.label }, students };
  });

  app.get("/api/observe/forms/:instrument", { schema: { params: ObserveFormParams, querystring: ObserveFormQuery, response: { 200: ObserveFormReply } } }, async (request) => {
    const actor = requireStaff(request);
    const role = observerRole(actor);
    const id = request.params.instrument;
    const inst = getInstrument(id);
    if (!inst || !isObservationInstrument(inst.id)) throw notFound("no such form / 没有这个表单");
    const { grade } = request.query;
    const allowed = role === "peer" ? ["peer-concern"] : grade === undefined ? ["teacher-checklist", "psc17-teacher", "srss-ie"] : allowedInstruments(role, grade);
    if (!allowed.includes(inst.id)) {
      throw forbidden(role === "peer" ? "peer monitors file the peer report only / 心理委员只能提交同伴关心报告" : `this form is not for grade ${grade} / 该量表不适用于本年级`);
    }
    const screener = role === "peer" || grade === undefined ? null : teacherScreenerFor(grade);
    return { form: formView({ ...inst, id: inst.id }), screener: screener !== null && isObservationInstrument(screener) ? screener : null };
  });
};
