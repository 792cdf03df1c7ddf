/**
 * POST /api/schools/:id/roster: the roster (名单) import. The body is the CSV file itself (text/csv or
 * application/octet-stream, up to the reader's 20 MB; the app's 1 MB JSON limit does not apply), in
 * UTF-8, UTF-8 with BOM, GB18030 or UTF-16; `?dryRun=true` reports what would happen without writing.
 *
 * All-or-nothing: parse.ts reads every row first; any problem answers 400 `roster_invalid` with every
 * problem as {line, column, code, message} and nothing written. Otherwise apply.ts writes everything in
 * one transaction and the answer is the summary.
 *
 * Who: `roster.import` (the school lead of that school). Permission is checked before the body is read,
 * so nobody without it can make the server buffer 20 MB; a role that imports no roster anywhere gets
 * 403, another school (or none) 404.
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { RosterImportQuery, RosterImportSummary } from "../../../shared/roster";
import { SchoolParams } from "../../../shared/schools";
import { scopeOf } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import type { Deps } from "../../deps";
import { ApiError, badRequest, forbidden, notFound } from "../../errors";
import { importRoster } from "./apply";
import { ROSTER_LIMITS, parseRoster } from "./parse";

/** The content types a roster file may be sent as; both give the handler the raw bytes. */
export const ROSTER_CONTENT_TYPES = ["text/csv", "application/octet-stream"] as const;

/** 403 / 404 unless the caller may import the roster of school `schoolId`, which must exist. */
async function authorizeImport(deps: Deps, request: FastifyRequest): Promise<void> {
  const actor = requireStaff(request);
  const scope = scopeOf(actor, "roster.import");
  if (scope.kind === "none") throw forbidden("this role does not import rosters / 该角色无权导入名单");
  const params = SchoolParams.safeParse(request.params);
  if (!params.success) throw notFound("no such school / 学校不存在");
  const schoolId = params.data.id;
  if (scope.kind !== "all" && scope.schoolId !== schoolId) throw notFound("no such school / 学校不存在");
  const { rowCount } = await deps.db.query("SELECT 1 FROM schools WHERE id = $1", [schoolId]);
  if (rowCount === 0) throw notFound("no such school / 学校不存在");
}

export const rosterRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  // Encapsulated in this plugin: only the roster route reads these types, with the reader's own limit.
  app.addContentTypeParser([...ROSTER_CONTENT_TYPES], { parseAs: "buffer", bodyLimit: ROSTER_LIMITS.maxBytes }, (_request, body, done) => {
    done(null, body);
  });

  app.post(
    "/api/schools/:id/roster",
    {
      schema: { params: SchoolParams, querystring: RosterImportQuery, response: { 200: RosterImportSummary } },
      bodyLimit: ROSTER_LIMITS.maxBytes,
      // Before the body is read: the permission check must not wait for (or pay for) a 20 MB upload.
      onRequest: async (request) => authorizeImport(deps, request),
    },
    async (request) => {
      const actor = requireStaff(request);
      const body: unknown = request.body;
      if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) {
        throw badRequest("empty_body", "send the roster file as the request body / 请上传名单文件（请求体为空）");
      }
      if (!Buffer.isBuffer(body)) {
        throw new ApiError(415, "unsupported_media_type", `send the CSV file itself as ${ROSTER_CONTENT_TYPES.join(" or ")} / 请直接上传 CSV 文件`);
      }
      const parsed = parseRoster(body);
      if (!parsed.ok) {
        const n = parsed.errors.length;
        throw badRequest("roster_invalid", `名单有 ${n} 处问题，未导入任何数据 / the roster has ${n} problem(s); nothing was imported`, parsed.errors);
      }
      return importRoster(deps, {
        schoolId: request.params.id,
        roster: parsed,
        importer: { accountId: actor.accountId, role: actor.role, address: request.ip },
        dryRun: request.query.dryRun === "true",
      });
    },
  );
};
