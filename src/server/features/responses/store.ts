/**
 * The SQL of the responses feature. Each write is two statements in one transaction (PGlite runs every
 * statement one after the other, and a lab submits 40-60 responses at once): one that reads the call's
 * context and the recorded reply of its key and creates-or-locks the response row, and one that writes
 * everything the call changes, the reply under its key included. Submits come in batches (routes.ts):
 * the two statements then serve every submission of the batch.
 */
import type { Battery } from "../../../../instruments/batteries";
import { batteryFor, parseBatteries, Season } from "../../../../instruments/batteries";
import { getInstrument } from "../../../../instruments/index";
import type { Instrument } from "../../../../instruments/schema";
import type { PageVisit } from "../../../shared/responses";
import type { Queryable } from "../../db/database";
import { ApiError } from "../../errors";
import type { Outcome } from "./idempotency";

/** What a student's call needs to know about the student and the wave, read in one query. */
export interface CallContext {
  readonly grade: number;
  readonly keyPopulation: readonly string[];
  readonly schoolId: string;
  readonly season: Season;
  readonly waveStatus: "draft" | "open" | "closed";
  readonly opensAt: Date;
  readonly closesAt: Date;
  readonly batteries: readonly Battery[];
  readonly policyVersion: string;
  readonly consent: "consented" | "opted-out" | "pending" | null;
  /** The reply already recorded under the call's idempotency key, if one was asked for. */
  readonly prior: Outcome<unknown> | null;
}

interface ContextRow extends Record<string, unknown> {
  wave_id: string;
  frozen: boolean;
  grade: number;
  key_population: string[];
  school_id: string;
  season: string;
  wave_status: "draft" | "open" | "closed";
  opens_at: Date;
  closes_at: Date;
  batteries: string | null;
  policy_version: string;
  consent: "consented" | "opted-out" | "pending" | null;
  prior: { statusCode: number; body: unknown } | null;
}

// A frozen wave's batteries never change (the 004_waves trigger refuses it): parse them once per wave,
// and stop reading them from the database (about 1.5 KB per call) once they are cached.
const frozenBatteries = new Map<string, readonly Battery[]>();
const MAX_CACHED = 256;

function batteriesOf(waveId: string, frozen: boolean, json: string | null): readonly Battery[] {
  const cached = frozenBatteries.get(waveId);
  if (cached && frozen) return cached;
  if (json === null) throw new Error(`wave ${waveId}: batteries were not read`);
  const parsed = parseBatteries(JSON.parse(json));
  if (!parsed.ok) throw new ApiError(500, "wave_batteries_invalid", "this wave's survey set-up is damaged; please tell the school");
  if (frozen) {
    if (frozenBatteries.size >= MAX_CACHED) frozenBatteries.clear();
    frozenBatteries.set(waveId, parsed.batteries);
  }
  return parsed.batteries;
}

/** True when the call may skip reading the wave's batteries. */
const cachedWave = (waveId: string): boolean => frozenBatteries.has(waveId);

/**
 * The student, the wave and the consent; with `idempotency`, also the reply recorded under that key
 * (one query instead of two on the hot path). Undefined when the student or the wave is gone.
 */
export async function loadContext(q: Queryable, studentId: string, waveId: string, idempotency?: { scope: string; key: string }): Promise<CallContext | undefined> {
  const { rows } = await q.query<ContextRow>(
    `SELECT w.id AS wave_id, w.frozen_at IS NOT NULL AS frozen, st.grade, st.key_population, st.school_id, w.season,
            w.status AS wave_status, w.opens_at, w.closes_at, CASE WHEN $5 THEN NULL ELSE w.batteries::text END AS batteries,
            w.policy_version, c.status AS consent,
            (SELECT json_build_object('statusCode', k.status_code, 'body', k.body) FROM idempotency_keys k
              WHERE k.scope = $3 AND k.key = $4) AS prior
       FROM students st
       JOIN waves w ON w.id = $2 AND w.school_id = st.school_id
       LEFT JOIN consents c ON c.wave_id = w.id AND c.student_id = st.id
      WHERE st.id = $1`,
    [studentId, waveId, idempotency?.scope ?? null, idempotency?.key ?? null, cachedWave(waveId)],
  );
  const row = rows[0];
  return row && toContext(row);
}

function toContext(row: ContextRow): CallContext {
  return {
    grade: row.grade,
    keyPopulation: row.key_population,
    schoolId: row.school_id,
    season: Season.parse(row.season),
    waveStatus: row.wave_status,
    opensAt: row.opens_at,
    closesAt: row.closes_at,
    batteries: batteriesOf(row.wave_id, row.frozen, row.batteries),
    policyVersion: row.policy_version,
    consent: row.consent,
    prior: row.prior,
  };
}

/** The battery a student answers: the one their response started with, else the one for their grade now. */
export function batteryOf(ctx: CallContext, startedWith?: string): { battery: Battery; instruments: Instrument[] } {
  const battery = (startedWith === undefined || startedWith === "" ? undefined : ctx.batteries.find((b) => b.id === startedWith)) ?? batteryFor(ctx.grade, ctx.season, ctx.batteries);
  if (!battery) throw new ApiError(500, "no_battery", `this wave has no survey for grade ${ctx.grade}; please tell the school`);
  // parseBatteries checked every id, so the lookup cannot miss.
  return { battery, instruments: battery.selfReport.map((id) => getInstrument(id)!) };
}

/** A response row as the routes use it. */
export interface ResponseRow {
  readonly id: string;
  /** "" for a row this call just created: the final write sets it. */
  readonly batteryId: string;
  readonly status: "in-progress" | "submitted" | "declined";
  readonly answers: Record<string, Record<string, string | number | (string | number)[]>>;
  readonly textEnc: string | null;
  readonly pages: PageVisit[];
  readonly currentPage: number;
  readonly seq: number;
}

interface ResponseDbRow extends Record<string, unknown> {
  id: string;
  battery_id: string;
  status: ResponseRow["status"];
  answers: ResponseRow["answers"];
  text_enc: string | null;
  pages: PageVisit[];
  current_page: number;
  save_seq: number;
}

const RESPONSE_COLUMNS = "id, battery_id, status, answers, text_enc, pages, current_page, save_seq";

function toResponse(row: ResponseDbRow): ResponseRow {
  return {
    id: row.id,
    batteryId: row.battery_id,
    status: row.status,
    answers: row.answers,
    textEnc: row.text_enc,
    pages: row.pages,
    currentPage: row.current_page,
    seq: row.save_seq,
  };
}

/** The student's response in a wave, if any (no lock). */
export async function readResponse(q: Queryable, waveId: string, studentId: string): Promise<ResponseRow | undefined> {
  const { rows } = await q.query<ResponseDbRow>(`SELECT ${RESPONSE_COLUMNS} FROM responses WHERE wave_id = $1 AND student_id = $2`, [waveId, studentId]);
  return rows[0] && toResponse(rows[0]);
}

/** One call's part of {@link openAndLockMany}. */
export interface OpenRequest {
  readonly newId: string;
  readonly waveId: string;
  readonly studentId: string;
  readonly now: Date;
  readonly idempotency: { readonly scope: string; readonly key: string };
}

/**
 * In one statement, for several calls of DIFFERENT students: each call's context (student, wave, consent,
 * the reply recorded under its key) and the student's response row, created (in progress, battery to be
 * set, started now) when there is none and locked for the rest of the transaction. Concurrent calls of one
 * student queue on the row lock, and each sees what the one before it committed. The result is by the
 * request's index; a call whose student or wave is gone has none.
 */
export async function openAndLockMany(tx: Queryable, requests: readonly OpenRequest[]): Promise<Map<number, { ctx: CallContext; row: ResponseRow }>> {
  const { rows } = await tx.query<ContextRow & ResponseDbRow & { i: number }>(
    `WITH req AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(i int, student_id text, wave_id text, new_id text, now timestamptz, scope text, key text)
     ), ctx AS (
       SELECT req.i, req.new_id, req.now, req.scope, req.key, st.id AS student_id, st.grade, st.key_population, st.school_id,
              w.id AS wave_id, w.frozen_at IS NOT NULL AS frozen, w.season, w.status AS wave_status, w.opens_at, w.closes_at,
              CASE WHEN jsonb_exists($2::jsonb, w.id) THEN NULL ELSE w.batteries::text END AS batteries, w.policy_version, c.status AS consent
         FROM req
         JOIN students st ON st.id = req.student_id
         JOIN waves w ON w.id = req.wave_id AND w.school_id = st.school_id
         LEFT JOIN consents c ON c.wave_id = w.id AND c.student_id = st.id
     ), up AS (
       INSERT INTO responses (id, wave_id, student_id, battery_id, status, started_at, updated_at)
       SELECT ctx.new_id, ctx.wave_id, ctx.student_id, '', 'in-progress', ctx.now, ctx.now FROM ctx
       ON CONFLICT (wave_id, student_id) DO UPDATE SET status = responses.status
       RETURNING ${RESPONSE_COLUMNS}, wave_id, student_id
     )
     SELECT ctx.i, ctx.wave_id, ctx.frozen, ctx.grade, ctx.key_population, ctx.school_id, ctx.season, ctx.wave_status, ctx.opens_at,
            ctx.closes_at, ctx.batteries, ctx.policy_version, ctx.consent,
            (SELECT json_build_object('statusCode', k.status_code, 'body', k.body) FROM idempotency_keys k
              WHERE k.scope = ctx.scope AND k.key = ctx.key) AS prior,
            up.id, up.battery_id, up.status, up.answers, up.text_enc, up.pages, up.current_page, up.save_seq
       FROM ctx JOIN up ON up.wave_id = ctx.wave_id AND up.student_id = ctx.student_id`,
    [
      JSON.stringify(requests.map((r, i) => ({ i, student_id: r.studentId, wave_id: r.waveId, new_id: r.newId, now: r.now.toISOString(), scope: r.idempotency.scope, key: r.idempotency.key }))),
      JSON.stringify([...new Set(requests.map((r) => r.waveId))].filter(cachedWave)),
    ],
  );
  return new Map(rows.map((r) => [r.i, { ctx: toContext(r), row: toResponse(r) }]));
}

/** {@link openAndLockMany} for one call. */
export async function openAndLock(tx: Queryable, at: OpenRequest): Promise<{ ctx: CallContext; row: ResponseRow } | undefined> {
  return (await openAndLockMany(tx, [at])).get(0);
}

/** The reply to record under the call's key, with the statement parameters it needs. */
export interface KeyRecord {
  readonly scope: string;
  readonly key: string;
  readonly sessionHash: string | null;
  readonly statusCode: number;
  readonly body: unknown;
}

const recordParams = (k: KeyRecord): unknown[] => [k.key, k.scope, k.statusCode, JSON.stringify(k.body), k.sessionHash];

/** Records a reply that changed nothing (a late autosave). */
export async function recordOnly(tx: Queryable, record: KeyRecord, now: Date): Promise<void> {
  await tx.query("INSERT INTO idempotency_keys (key, scope, status_code, body, session_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)", [...recordParams(record), now]);
}

/** An applied autosave and its reply, in one statement. */
export async function writeAutosave(
  tx: Queryable,
  id: string,
  save: { batteryId: string; answers: unknown; textEnc: string | null; pages: readonly PageVisit[]; currentPage: number; seq: number; now: Date },
  record: KeyRecord,
): Promise<void> {
  await tx.query(
    `WITH r AS (
       UPDATE responses SET battery_id = $7, answers = $8, text_enc = $9, pages = $10, current_page = $11, save_seq = $12, updated_at = $6
        WHERE id = $13
     )
     INSERT INTO idempotency_keys (key, scope, status_code, body, session_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [...recordParams(record), save.now, save.batteryId, JSON.stringify(save.answers), save.textEnc, JSON.stringify(save.pages), save.currentPage, save.seq, id],
  );
}

/** One submission to write: the response, its result and the reply to record under its key. */
export interface SubmissionWrite {
  readonly at: { readonly id: string; readonly waveId: string; readonly studentId: string; readonly now: Date };
  readonly save: { readonly batteryId: string; readonly answers: unknown; readonly textEnc: string | null; readonly pages: readonly PageVisit[] };
  readonly result: { readonly scores: unknown; readonly validity: unknown; readonly tier: string; readonly reasons: unknown; readonly policyVersion: string };
  readonly record: KeyRecord;
}

/**
 * Submissions (of different students) in one statement: each response submitted with its final answers,
 * its `results` row, every session of the student for the wave ended (the next student on the PC starts
 * clean), and the reply under its key.
 */
export async function writeSubmissions(tx: Queryable, writes: readonly SubmissionWrite[]): Promise<void> {
  if (writes.length === 0) return;
  await tx.query(
    `WITH w AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, wave_id text, student_id text, at timestamptz, battery_id text, answers jsonb,
              text_enc text, pages jsonb, scores jsonb, validity jsonb, tier text, reasons jsonb, policy_version text,
              key text, scope text, status_code int, body jsonb, session_hash text)
     ), r AS (
       UPDATE responses SET status = 'submitted', battery_id = w.battery_id, answers = w.answers, text_enc = w.text_enc, pages = w.pages,
              updated_at = w.at, submitted_at = w.at
         FROM w WHERE responses.id = w.id RETURNING responses.id
     ), res AS (
       INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at)
       SELECT w.id, w.scores, w.validity, w.tier, w.reasons, w.policy_version, w.at FROM w JOIN r ON r.id = w.id
     ), s AS (
       DELETE FROM sessions USING w WHERE sessions.student_id = w.student_id AND sessions.wave_id = w.wave_id
     )
     INSERT INTO idempotency_keys (key, scope, status_code, body, session_hash, created_at)
     SELECT w.key, w.scope, w.status_code, w.body, w.session_hash, w.at FROM w`,
    [
      JSON.stringify(
        writes.map((x) => ({
          id: x.at.id,
          wave_id: x.at.waveId,
          student_id: x.at.studentId,
          at: x.at.now.toISOString(),
          battery_id: x.save.batteryId,
          answers: x.save.answers,
          text_enc: x.save.textEnc,
          pages: x.save.pages,
          scores: x.result.scores,
          validity: x.result.validity,
          tier: x.result.tier,
          reasons: x.result.reasons,
          policy_version: x.result.policyVersion,
          key: x.record.key,
          scope: x.record.scope,
          status_code: x.record.statusCode,
          body: x.record.body,
          session_hash: x.record.sessionHash,
        })),
      ),
    ],
  );
}

/** A decline: recorded as declined (not missing), saved answers dropped, the student's sessions ended, the reply. */
export async function writeDecline(tx: Queryable, at: { id: string; waveId: string; studentId: string; batteryId: string; now: Date }, record: KeyRecord): Promise<void> {
  await tx.query(
    `WITH r AS (
       UPDATE responses SET status = 'declined', battery_id = $7, answers = '{}', text_enc = NULL, pages = '[]', updated_at = $6
        WHERE id = $8
     ), s AS (
       DELETE FROM sessions WHERE student_id = $9 AND wave_id = $10
     )
     INSERT INTO idempotency_keys (key, scope, status_code, body, session_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
    [...recordParams(record), at.now, at.batteryId, at.id, at.studentId, at.waveId],
  );
}
