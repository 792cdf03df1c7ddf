/**
 * District analytics (issue 7): aggregate-only endpoints for the analyst role (`analytics.read`).
 * Every other role, the admin included, answers 403; students and anonymous callers 401. The one
 * exception is the research export below, for the admin only (`research.export`).
 *
 *   GET /api/analytics/waves
 *   GET /api/analytics/coverage?wave=2025-2026:spring&by=school|grade|school,grade
 *   GET /api/analytics/tiers?wave=…&by=school|grade|gender|key-population|school,grade
 *   GET /api/analytics/happiness?wave=…&by=school|grade|school,grade
 *   GET /api/analytics/factors?wave=…
 *   GET /api/analytics/high-incidence?wave=…
 *   GET /api/analytics/movement?from=…&to=…
 *   GET /api/analytics/follow-up?wave=…                                         case follow-up per school
 *   GET /api/analytics/<any of the above>.csv?…[&encoding=utf-8|gb18030]  the same table as CSV
 *   GET /api/analytics/aggregates.csv?wave=…&by=…[&encoding=…]              the full aggregate export
 *   GET /api/research/export.csv?wave=a[,b…][&study=…][&encoding=…]           admins only: the de-identified
 *       research export (research.ts), audited before the first row leaves
 *
 * The privacy rule (small-cell and complementary suppression, rates and means only over published
 * counts, no per-student rows) is applied in publish.ts / tables.ts before anything leaves the server;
 * see publish.ts for the rule. Each CSV download is recorded in the audit log (who, which table, which
 * wave; no content).
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { Readable } from "node:stream";
import {
  AnalyticsTable,
  DistrictWaveList,
  FollowUpCsvQuery,
  FollowUpQuery,
  HighIncidence,
  Movement,
  MovementCsvQuery,
  MovementQuery,
  ResearchCsvQuery,
  SchoolGradeCsvQuery,
  SchoolGradeQuery,
  TierCsvQuery,
  TierQuery,
  WaveCsvQuery,
  WaveQuery,
  type AnalyticsTable as Table,
  type CsvEncoding,
} from "../../../shared/analytics";
import type { StaffActor } from "../../auth/actor";
import { can } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import type { Deps } from "../../deps";
import { forbidden, notFound } from "../../errors";
import { buildAggregates, buildCoverage, buildFactors, buildFollowUp, buildHappiness, buildHighIncidence, buildMovement, buildTiers, currentK, UnknownWave } from "./build";
import { contentDisposition, csvChunks, csvContentType, encodeChunks, tableCsv } from "./csv";
import { districtWaves, waveKeyOf } from "./queries";
import { auditResearchExport, checkedWaves, countResearchRows, researchColumns, researchKeys, researchRows } from "./research";

/** The analyst, or 401/403. */
function requireAnalyst(request: FastifyRequest): StaffActor {
  const actor = requireStaff(request);
  if (!can(actor, "analytics.read", { schoolId: null })) throw forbidden("only district analysts see the aggregates / 仅区级分析人员可查看汇总数据");
  return actor;
}

async function orNotFound<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    if (e instanceof UnknownWave) throw notFound(`no school has a wave ${e.wave} / 没有学校有这一轮筛查`);
    throw e;
  }
}

/** File names: Chinese title with the wave, and an ASCII fallback. */
function fileNames(table: Table): { name: string; ascii: string } {
  const wave = table.wave.replace(/[:→]/g, "_");
  const by = table.by.length > 0 ? `_${table.by.join("-")}` : "";
  return { name: `${table.title["zh-CN"]}_${wave}${by}.csv`, ascii: `${table.id}_${wave}${by}.csv` };
}

export const analyticsRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  const sendCsv = async (request: FastifyRequest, reply: FastifyReply, actor: StaffActor, table: Table, encoding: CsvEncoding): Promise<FastifyReply> => {
    await deps.db.query(
      `INSERT INTO audit_log (at, actor_id, actor_role, action, subject, context, address) VALUES ($1, $2, $3, 'analytics.export', $4, $5, $6)`,
      [deps.now(), actor.accountId, actor.role, table.id, JSON.stringify({ wave: table.wave, by: table.by, encoding, k: table.k, rows: table.rows.length }), request.ip],
    );
    const { name, ascii } = fileNames(table);
    return reply
      .header("content-type", csvContentType(encoding))
      .header("content-disposition", contentDisposition(name, ascii))
      .header("cache-control", "no-store")
      .send(Readable.from(tableCsv(table, encoding)));
  };

  app.get("/api/analytics/waves", { schema: { response: { 200: DistrictWaveList } } }, async (request) => {
    requireAnalyst(request);
    const waves = await districtWaves(deps.db);
    return { waves: waves.map((w) => ({ key: waveKeyOf(w), schoolYear: w.schoolYear, season: w.season, schools: w.schools })) };
  });

  app.get("/api/analytics/coverage", { schema: { querystring: SchoolGradeQuery, response: { 200: AnalyticsTable } } }, async (request) => {
    requireAnalyst(request);
    return orNotFound(buildCoverage(deps.db, request.query.wave, request.query.by, await currentK(deps.db)));
  });
  app.get("/api/analytics/coverage.csv", { schema: { querystring: SchoolGradeCsvQuery } }, async (request, reply) => {
    const actor = requireAnalyst(request);
    const table = await orNotFound(buildCoverage(deps.db, request.query.wave, request.query.by, await currentK(deps.db)));
    return sendCsv(request, reply, actor, table, request.query.encoding);
  });

  app.get("/api/analytics/tiers", { schema: { querystring: TierQuery, response: { 200: AnalyticsTable } } }, async (request) => {
    requireAnalyst(request);
    return orNotFound(buildTiers(deps.db, request.query.wave, request.query.by, await currentK(deps.db)));
  });
  app.get("/api/analytics/tiers.csv", { schema: { querystring: TierCsvQuery } }, async (request, reply) => {
    const actor = requireAnalyst(request);
    const table = await orNotFound(buildTiers(deps.db, request.query.wave, request.query.by, await currentK(deps.db)));
    return sendCsv(request, reply, actor, table, request.query.encoding);
  });

  app.get("/api/analytics/happiness", { schema: { querystring: SchoolGradeQuery, response: { 200: AnalyticsTable } } }, async (request) => {
    requireAnalyst(request);
    return orNotFound(buildHappiness(deps.db, request.query.wave, request.query.by, await currentK(deps.db)));
  });
  app.get("/api/analytics/happiness.csv", { schema: { querystring: SchoolGradeCsvQuery } }, async (request, reply) => {
    const actor = requireAnalyst(request);
    const table = await orNotFound(buildHappiness(deps.db, request.query.wave, request.query.by, await currentK(deps.db)));
    return sendCsv(request, reply, actor, table, request.query.encoding);
  });

  app.get("/api/analytics/factors", { schema: { querystring: WaveQuery, response: { 200: AnalyticsTable } } }, async (request) => {
    requireAnalyst(request);
    return orNotFound(buildFactors(deps.db, request.query.wave, await currentK(deps.db)));
  });
  app.get("/api/analytics/factors.csv", { schema: { querystring: WaveCsvQuery } }, async (request, reply) => {
    const actor = requireAnalyst(request);
    const table = await orNotFound(buildFactors(deps.db, request.query.wave, await currentK(deps.db)));
    return sendCsv(request, reply, actor, table, request.query.encoding);
  });

  app.get("/api/analytics/high-incidence", { schema: { querystring: WaveQuery, response: { 200: HighIncidence } } }, async (request) => {
    requireAnalyst(request);
    return orNotFound(buildHighIncidence(deps.db, request.query.wave, await currentK(deps.db)));
  });
  app.get("/api/analytics/high-incidence.csv", { schema: { querystring: WaveCsvQuery } }, async (request, reply) => {
    const actor = requireAnalyst(request);
    const table = await orNotFound(buildHighIncidence(deps.db, request.query.wave, await currentK(deps.db)));
    return sendCsv(request, reply, actor, table, request.query.encoding);
  });

  app.get("/api/analytics/movement", { schema: { querystring: MovementQuery, response: { 200: Movement } } }, async (request) => {
    requireAnalyst(request);
    return orNotFound(buildMovement(deps.db, request.query.from, request.query.to, await currentK(deps.db)));
  });
  app.get("/api/analytics/movement.csv", { schema: { querystring: MovementCsvQuery } }, async (request, reply) => {
    const actor = requireAnalyst(request);
    const table = await orNotFound(buildMovement(deps.db, request.query.from, request.query.to, await currentK(deps.db)));
    return sendCsv(request, reply, actor, table, request.query.encoding);
  });

  app.get("/api/analytics/follow-up", { schema: { querystring: FollowUpQuery, response: { 200: AnalyticsTable } } }, async (request) => {
    requireAnalyst(request);
    return orNotFound(buildFollowUp(deps.db, request.query.wave, deps.now(), await currentK(deps.db)));
  });
  app.get("/api/analytics/follow-up.csv", { schema: { querystring: FollowUpCsvQuery } }, async (request, reply) => {
    const actor = requireAnalyst(request);
    const table = await orNotFound(buildFollowUp(deps.db, request.query.wave, deps.now(), await currentK(deps.db)));
    return sendCsv(request, reply, actor, table, request.query.encoding);
  });

  app.get("/api/analytics/aggregates.csv", { schema: { querystring: SchoolGradeCsvQuery } }, async (request, reply) => {
    const actor = requireAnalyst(request);
    const table = await orNotFound(buildAggregates(deps.db, request.query.wave, request.query.by, await currentK(deps.db)));
    return sendCsv(request, reply, actor, table, request.query.encoding);
  });

  app.get("/api/research/export.csv", { schema: { querystring: ResearchCsvQuery } }, async (request, reply) => {
    const actor = requireStaff(request);
    if (!can(actor, "research.export", { schoolId: null })) throw forbidden("only an administrator makes the research export / 仅管理员可导出科研数据");
    const { study, encoding } = request.query;
    const waves = await orNotFound(checkedWaves(deps.db, request.query.wave));
    const rows = await countResearchRows(deps.db, waves);
    await auditResearchExport(deps.db, deps.now(), { accountId: actor.accountId, role: actor.role, address: request.ip }, { waves, study, encoding, rows });
    const label = waves.map((w) => w.replace(":", "_")).join("+");
    const header = researchColumns().map((c) => c.label);
    return reply
      .header("content-type", csvContentType(encoding))
      .header("content-disposition", contentDisposition(`科研数据_${study}_${label}.csv`, `research_${study}_${label}.csv`))
      .header("cache-control", "no-store")
      .send(Readable.from(encodeChunks(csvChunks(header, researchRows(deps.db, waves, researchKeys(deps.keys, study))), encoding)));
  });
};
