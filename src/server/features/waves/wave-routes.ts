/**
 * Waves: create (school lead), list and read, change while draft, open (freezes battery and policy),
 * close.
 */
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { Id } from "../../../shared/api";
import { Wave, WaveCreate, WaveList, WavePatch } from "../../../shared/waves";
import { requireStaff } from "../../auth/plugin";
import { isUniqueViolation, type Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { badRequest, conflict, notFound } from "../../errors";
import { checkWaveSettings, DEFAULT_POLICY_VERSION, defaultWaveBatteries, type WaveSettings } from "./rules";
import { audit, authorize, loadWave, toWave, WAVE_COLUMNS, type WaveRow } from "./store";

const SchoolParams = z.strictObject({ id: Id });
const WaveParams = z.strictObject({ id: Id });

/** Fields that are frozen when a wave opens. */
const FROZEN_FIELDS = ["batteries", "policyVersion", "season", "schoolYear"] as const;

function settingsOrThrow(input: Parameters<typeof checkWaveSettings>[0]): WaveSettings {
  const checked = checkWaveSettings(input);
  if (!checked.ok) throw badRequest("invalid_wave", "the wave's settings are not valid", checked.details);
  return checked.settings;
}

async function saveSettings(q: Queryable, sql: string, params: unknown[]): Promise<WaveRow> {
  try {
    const { rows } = await q.query<WaveRow>(sql, params);
    return rows[0]!;
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict("wave_exists", "this school already has a wave for that school year and season");
    throw e;
  }
}

export const waveCrudRoutes: FastifyPluginAsyncZod<{ deps: Deps }> = async (app, { deps }) => {
  app.post(
    "/api/schools/:id/waves",
    { schema: { params: SchoolParams, body: WaveCreate, response: { 201: Wave } } },
    async (request, reply) => {
      const actor = requireStaff(request);
      const schoolId = request.params.id;
      authorize(actor, "wave.manage", schoolId);
      const body = request.body;
      const settings = settingsOrThrow({
        schoolYear: body.schoolYear,
        season: body.season,
        opensAt: body.opensAt,
        closesAt: body.closesAt,
        batteries: body.batteries ?? defaultWaveBatteries(),
        policyVersion: body.policyVersion ?? DEFAULT_POLICY_VERSION,
      });
      const now = deps.now();
      const row = await deps.db.transaction(async (tx) => {
        const school = await tx.query("SELECT 1 FROM schools WHERE id = $1", [schoolId]);
        if (school.rowCount === 0) throw notFound("no such school");
        const created = await saveSettings(
          tx,
          `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9) RETURNING ${WAVE_COLUMNS}`,
          [deps.newId(), schoolId, settings.schoolYear, settings.season, settings.opensAt, settings.closesAt, JSON.stringify(settings.batteries), settings.policyVersion, now],
        );
        await audit(tx, { at: now, actor, action: "wave.create", schoolId, subject: created.id, context: { schoolYear: settings.schoolYear, season: settings.season, policyVersion: settings.policyVersion }, address: request.ip });
        return created;
      });
      return reply.status(201).send(toWave(row, now));
    },
  );

  app.get("/api/schools/:id/waves", { schema: { params: SchoolParams, response: { 200: WaveList } } }, async (request) => {
    const actor = requireStaff(request);
    authorize(actor, "wave.read", request.params.id);
    const { rows } = await deps.db.query<WaveRow>(
      `SELECT ${WAVE_COLUMNS} FROM waves WHERE school_id = $1 ORDER BY school_year DESC, season DESC, created_at DESC`,
      [request.params.id],
    );
    const now = deps.now();
    return { waves: rows.map((r) => toWave(r, now)) };
  });

  app.get("/api/waves/:id", { schema: { params: WaveParams, response: { 200: Wave } } }, async (request) => {
    const actor = requireStaff(request);
    return toWave(await loadWave(deps.db, actor, request.params.id, "wave.read"), deps.now());
  });

  app.patch("/api/waves/:id", { schema: { params: WaveParams, body: WavePatch, response: { 200: Wave } } }, async (request) => {
    const actor = requireStaff(request);
    const patch = request.body;
    const now = deps.now();
    const row = await deps.db.transaction(async (tx) => {
      const wave = await loadWave(tx, actor, request.params.id, "wave.manage", true);
      if (wave.status === "closed") throw conflict("wave_closed", "a closed wave cannot change");
      const frozen = FROZEN_FIELDS.filter((f) => patch[f] !== undefined);
      if (wave.frozen_at !== null && frozen.length > 0) {
        throw conflict("wave_frozen", `the wave is open: its ${frozen.join(", ")} can no longer change (only its dates can)`);
      }
      const settings = settingsOrThrow({
        schoolYear: patch.schoolYear ?? wave.school_year,
        season: patch.season ?? wave.season,
        opensAt: patch.opensAt ?? wave.opens_at,
        closesAt: patch.closesAt ?? wave.closes_at,
        batteries: patch.batteries ?? wave.batteries,
        policyVersion: patch.policyVersion ?? wave.policy_version,
      });
      const updated = await saveSettings(
        tx,
        wave.frozen_at === null
          ? `UPDATE waves SET school_year = $2, season = $3, opens_at = $4, closes_at = $5, batteries = $6, policy_version = $7 WHERE id = $1 RETURNING ${WAVE_COLUMNS}`
          : `UPDATE waves SET opens_at = $2, closes_at = $3 WHERE id = $1 RETURNING ${WAVE_COLUMNS}`,
        wave.frozen_at === null
          ? [wave.id, settings.schoolYear, settings.season, settings.opensAt, settings.closesAt, JSON.stringify(settings.batteries), settings.policyVersion]
          : [wave.id, settings.opensAt, settings.closesAt],
      );
      await audit(tx, { at: now, actor, action: "wave.update", schoolId: wave.school_id, subject: wave.id, context: { fields: Object.keys(patch).sort() }, address: request.ip });
      return updated;
    });
    return toWave(row, now);
  });

  app.post("/api/waves/:id/open", { schema: { params: WaveParams, response: { 200: Wave } } }, async (request) => {
    const actor = requireStaff(request);
    const now = deps.now();
    const row = await deps.db.transaction(async (tx) => {
      const wave = await loadWave(tx, actor, request.params.id, "wave.manage", true);
      if (wave.status !== "draft") throw conflict("wave_not_draft", `the wave is already ${wave.status}`);
      if (wave.closes_at.getTime() <= now.getTime()) throw conflict("wave_ended", "the wave's close date has passed: change closesAt first");
      // The battery and policy are checked again: they are frozen from now on.
      settingsOrThrow({ schoolYear: wave.school_year, season: wave.season, opensAt: wave.opens_at, closesAt: wave.closes_at, batteries: wave.batteries, policyVersion: wave.policy_version });
      const { rows } = await tx.query<WaveRow>(`UPDATE waves SET status = 'open', frozen_at = $2 WHERE id = $1 RETURNING ${WAVE_COLUMNS}`, [wave.id, now]);
      await audit(tx, { at: now, actor, action: "wave.open", schoolId: wave.school_id, subject: wave.id, context: { policyVersion: wave.policy_version }, address: request.ip });
      return rows[0]!;
    });
    return toWave(row, now);
  });

  app.post("/api/waves/:id/close", { schema: { params: WaveParams, response: { 200: Wave } } }, async (request) => {
    const actor = requireStaff(request);
    const now = deps.now();
    const row = await deps.db.transaction(async (tx) => {
      const wave = await loadWave(tx, actor, request.params.id, "wave.manage", true);
      if (wave.status !== "open") throw conflict("wave_not_open", `only an open wave can be closed; this one is ${wave.status}`);
      const { rows } = await tx.query<WaveRow>(`UPDATE waves SET status = 'closed' WHERE id = $1 RETURNING ${WAVE_COLUMNS}`, [wave.id]);
      await audit(tx, { at: now, actor, action: "wave.close", schoolId: wave.school_id, subject: wave.id, address: request.ip });
      return rows[0]!;
    });
    return toWave(row, now);
  });
};
