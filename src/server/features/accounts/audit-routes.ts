/**
 * GET /api/audit: the audit log for the district administrator (`audit.read`), newest first, in pages
 * of at most 500 entries with a cursor (`before` = the previous page's `next`), filtered by action or a
 * family of actions ("code."), by time [from, to) and by school.
 *
 * The log stays append-only: this route only reads it, and each read is itself appended (action
 * `audit.read` with the filters), so who looked at the log is in the log.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { AuditPage, AuditQuery, type AuditEntry } from "../../../shared/audit";
import { can } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import type { Deps } from "../../deps";
import { badRequest, forbidden } from "../../errors";
import { writeAudit } from "./store";

const DEFAULT_LIMIT = 100;

interface AuditRow extends Record<string, unknown> {
  id: string;
  at: Date;
  actor_id: string | null;
  actor_role: string;
  username: string | null;
  action: string;
  school_id: string | null;
  student_id: string | null;
  subject: string | null;
  context: Record<string, unknown> | null;
  address: string | null;
}

/** The WHERE clause and its parameters for the filters of a query. */
function whereOf(query: AuditQuery): { sql: string; params: unknown[] } {
  const conditions: string[] = [];
  const params: unknown[] = [];
  const add = (condition: (placeholder: string) => string, value: unknown) => {
    params.push(value);
    conditions.push(condition(`$${params.length}`));
  };
  if (query.action !== undefined) {
    // "code." is a family of actions; starts_with has no wildcards to escape (unlike LIKE and its "_").
    if (query.action.endsWith(".")) add((p) => `starts_with(l.action, ${p})`, query.action);
    else add((p) => `l.action = ${p}`, query.action);
  }
  if (query.from !== undefined) add((p) => `l.at >= ${p}`, new Date(query.from));
  if (query.to !== undefined) add((p) => `l.at < ${p}`, new Date(query.to));
  if (query.schoolId !== undefined) add((p) => `l.school_id = ${p}`, query.schoolId);
  if (query.before !== undefined) add((p) => `l.id < ${p}::bigint`, query.before);
  return { sql: conditions.length === 0 ? "" : `WHERE ${conditions.join(" AND ")}`, params };
}

function toEntry(row: AuditRow): AuditEntry {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actorId: row.actor_id,
    actorRole: row.actor_role,
    actorUsername: row.username,
    action: row.action,
    schoolId: row.school_id,
    studentId: row.student_id,
    subject: row.subject,
    context: row.context ?? {},
    address: row.address,
  };
}

export const auditRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  app.get("/api/audit", { schema: { querystring: AuditQuery, response: { 200: AuditPage } } }, async (request) => {
    const actor = requireStaff(request);
    // The log is a district-level resource: it belongs to no school.
    if (!can(actor, "audit.read", { schoolId: null })) throw forbidden("only the district administrator reads the audit log / 仅区管理员可查看审计日志");
    const query = request.query;
    if (query.from !== undefined && query.to !== undefined && new Date(query.to).getTime() <= new Date(query.from).getTime()) {
      throw badRequest("invalid_request", "invalid querystring", [{ path: "querystring.to", code: "before_from", message: "to must be after from / 结束时间须晚于开始时间" }]);
    }
    const limit = query.limit ?? DEFAULT_LIMIT;
    const where = whereOf(query);
    const { rows } = await deps.db.query<AuditRow>(
      `SELECT l.id::text AS id, l.at, l.actor_id, l.actor_role, a.username, l.action, l.school_id, l.student_id, l.subject, l.context, l.address
         FROM audit_log l
         LEFT JOIN accounts a ON a.id = l.actor_id AND l.actor_role <> 'student'
         ${where.sql}
        ORDER BY l.id DESC
        LIMIT ${limit + 1}`,
      where.params,
    );
    const page = rows.slice(0, limit);
    const filters = Object.fromEntries(Object.entries(query).filter(([key, value]) => value !== undefined && key !== "limit"));
    await writeAudit(deps.db, deps.now(), { actorId: actor.accountId, actorRole: actor.role, action: "audit.read", context: { filters, entries: page.length }, address: request.ip });
    return { entries: page.map(toEntry), next: rows.length > limit ? page[page.length - 1]!.id : null };
  });
};
