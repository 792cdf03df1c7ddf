/**
 * Schools and their classes.
 *
 * - POST /api/schools (school.manage: admin) creates a school {code, name}.
 * - GET /api/schools lists the schools the caller works with: every school for district roles (admin;
 *   the analyst too, by name only, since aggregates are labelled by school), the caller's own school for
 *   school staff (school lead, counselor, and teachers and peer monitors through their classes).
 * - GET /api/schools/:id/classes (class.read) lists classes with their head counts: a whole school for
 *   the school lead and counselor, only their own classes for homeroom and subject teachers. Another
 *   school answers 404; a role that may read no class at all answers 403.
 * Classes are created by the roster import (features/roster), never here.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { ClassList, CreateSchoolBody, School, SchoolList, SchoolParams } from "../../../shared/schools";
import type { Actor } from "../../auth/actor";
import { can, inScope, scopeOf, type Action, type Scope } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import { isUniqueViolation } from "../../db/database";
import type { Deps } from "../../deps";
import { conflict, forbidden, notFound } from "../../errors";

/** Actions whose scope makes a school "one the caller works with" for the list of schools. */
const LISTING_ACTIONS: readonly Action[] = ["school.read", "analytics.read", "class.read", "observation.file"];

/** Does `scope` reach school `schoolId` at all (a class scope reaches its school)? */
function reachesSchool(scope: Scope, schoolId: string): boolean {
  return scope.kind === "classes" ? scope.schoolId === schoolId : inScope(scope, { schoolId });
}

/** The schools an actor may see in the list, as a predicate over school ids. */
function schoolVisibility(actor: Actor): (schoolId: string) => boolean {
  const scopes = LISTING_ACTIONS.map((a) => scopeOf(actor, a)).filter((s) => s.kind !== "none");
  return (schoolId) => scopes.some((s) => reachesSchool(s, schoolId));
}

interface ClassRow extends Record<string, unknown> {
  id: string;
  grade: number;
  label: string;
  enrolled: number;
  left: number;
}

export const schoolRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  app.post("/api/schools", { schema: { body: CreateSchoolBody, response: { 201: School } } }, async (request, reply) => {
    const actor = requireStaff(request);
    if (!can(actor, "school.manage", { schoolId: null })) throw forbidden("only the district administrator creates schools / 仅区管理员可创建学校");
    const id = deps.newId();
    const { code, name } = request.body;
    const now = deps.now();
    try {
      await deps.db.transaction(async (tx) => {
        await tx.query("INSERT INTO schools (id, code, name, created_at) VALUES ($1, $2, $3, $4)", [id, code, name, now]);
        await tx.query(
          `INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, subject, address)
           VALUES ($1, $2, $3, 'school.create', $4, $4, $5)`,
          [now, actor.accountId, actor.role, id, request.ip],
        );
      });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict("school_code_taken", `a school with code ${code} already exists / 学校代码 ${code} 已存在`);
      throw e;
    }
    return reply.status(201).send({ id, code, name });
  });

  app.get("/api/schools", { schema: { response: { 200: SchoolList } } }, async (request) => {
    const actor = requireStaff(request);
    const visible = schoolVisibility(actor);
    const { rows } = await deps.db.query<{ id: string; code: string; name: string }>("SELECT id, code, name FROM schools ORDER BY code, id");
    return { schools: rows.filter((s) => visible(s.id)).map((s) => ({ id: s.id, code: s.code, name: s.name })) };
  });

  app.get("/api/schools/:id/classes", { schema: { params: SchoolParams, response: { 200: ClassList } } }, async (request) => {
    const actor = requireStaff(request);
    const scope = scopeOf(actor, "class.read");
    if (scope.kind === "none") throw forbidden("this role reads no class lists / 该角色无权查看班级");
    const schoolId = request.params.id;
    if (!reachesSchool(scope, schoolId)) throw notFound("no such school / 学校不存在");
    const school = await deps.db.query("SELECT 1 FROM schools WHERE id = $1", [schoolId]);
    if (school.rowCount === 0) throw notFound("no such school / 学校不存在");
    const { rows } = await deps.db.query<ClassRow>(
      `SELECT c.id, c.grade, c.label,
              count(s.id) FILTER (WHERE s.status = 'enrolled')::int AS enrolled,
              count(s.id) FILTER (WHERE s.status = 'left')::int AS left
         FROM classes c
         LEFT JOIN students s ON s.class_id = c.id
        WHERE c.school_id = $1
        GROUP BY c.id, c.grade, c.label
        -- 2班 before 10班: numeric labels by number, then named classes (实验班) by name
        ORDER BY c.grade, CASE WHEN c.label ~ '^[0-9]{1,9}$' THEN c.label::int END NULLS LAST, c.label, c.id`,
      [schoolId],
    );
    return {
      classes: rows
        .filter((c) => can(actor, "class.read", { schoolId, classId: c.id }))
        .map((c) => ({ id: c.id, grade: c.grade, label: c.label, enrolled: c.enrolled, left: c.left })),
    };
  });
};
