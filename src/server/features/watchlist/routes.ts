/**
 * The prioritised watch list (预警台账, issue 6). Counselors and school leads of the school only
 * (`watchlist.read`); teachers, peer monitors, analysts and admins get 403, another school's counselor 404.
 *
 * - GET /api/schools/:id/watchlist?grade=&classId=&tier=&reason=&key=: the school's list as kept
 *   between reads until an input changes (./kept.ts), computed (./service.ts) from each enrolled
 *   student's latest submitted wave result, the observations since that wave opened
 *   (or of the last 90 days), the roster's key-population categories, the previous wave's result and open
 *   cases (migration 007); ranked with scoring/fuse
 *   rankWatchList by the tier in force. One audit row per view, with the number of students shown.
 * - GET /api/students/:id/watchlist-entry: one student's entry with the observations behind it (notes
 *   decrypted; plain text, never HTML); one audit row.
 * - POST /api/students/:id/tier-override {tier, reason} (`case.manage`): a counselor's override, stored
 *   beside the computed tier, its reasons and policy version; the reason encrypted; audited.
 * - POST /api/schools/:id/watchlist/preview {policyVersion}: who would move computed tier under another
 *   policy; writes nothing but its audit row.
 */
import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { policies } from "../../../../scoring/index";
import { SchoolParams } from "../../../shared/schools";
import { PreviewBody, PreviewReply, StudentParams, TierOverrideBody, TierOverrideReply, WatchlistEntryReply, WatchlistQuery, WatchlistReply } from "../../../shared/watchlist";
import type { ObservationView } from "../../../shared/watchlist";
import type { StaffActor } from "../../auth/actor";
import { can, scopeOf, type Action } from "../../auth/can";
import { requireStaff } from "../../auth/plugin";
import { decrypt, encrypt } from "../../crypto/cipher";
import type { Deps } from "../../deps";
import { badRequest, forbidden, notFound } from "../../errors";
import { audit } from "../waves/store";
import { countTiers, diffTiers, entryView, passes } from "./compute";
import { CASES_INCLUDED } from "./load";
import { keptWatchList } from "./kept";
import { computeWatchList, fuseLoaded, namesOf, overrideReason, policyByVersion } from "./service";

interface ObservationDbRow extends Record<string, unknown> {
  id: string;
  instrument: string;
  role: string;
  created_at: Date;
  answers: Record<string, unknown>;
  note_enc: string | null;
}

export const watchlistRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();

  /** The school, if the actor may take `action` on it; 403 for a role without the action, 404 otherwise. */
  async function schoolFor(actor: StaffActor, action: Action, schoolId: string): Promise<void> {
    if (scopeOf(actor, action).kind === "none") throw forbidden("this role has no watch list / 该角色无权查看预警名单");
    if (!can(actor, action, { schoolId })) throw notFound("no such school / 学校不存在");
    const { rowCount } = await deps.db.query("SELECT 1 FROM schools WHERE id = $1", [schoolId]);
    if (rowCount === 0) throw notFound("no such school / 学校不存在");
  }

  /** The student, if the actor may take `action` on them; 403 for a role without the action, 404 otherwise. */
  async function studentFor(actor: StaffActor, action: Action, studentId: string): Promise<{ schoolId: string; classId: string }> {
    // A role without the action gets the same 404 as an unknown student: a peer monitor or teacher who
    // types a student's URL learns nothing (issue 6: "direct URL → 404").
    if (scopeOf(actor, action).kind === "none") throw notFound("no such student / 学生不存在");
    const { rows } = await deps.db.query<{ school_id: string; class_id: string }>("SELECT school_id, class_id FROM students WHERE id = $1 AND status = 'enrolled'", [studentId]);
    const row = rows[0];
    if (!row || !can(actor, action, { schoolId: row.school_id, classId: row.class_id, studentId })) throw notFound("no such student / 学生不存在");
    return { schoolId: row.school_id, classId: row.class_id };
  }

  app.get("/api/schools/:id/watchlist", { schema: { params: SchoolParams, querystring: WatchlistQuery, response: { 200: WatchlistReply } } }, async (request) => {
    const actor = requireStaff(request);
    const schoolId = request.params.id;
    const q = request.query;
    await schoolFor(actor, "watchlist.read", schoolId);
    const now = deps.now();
    const list = await keptWatchList(deps.db, deps.keys, [schoolId], now);
    const policy = list.policyOf(schoolId);
    const entries = list.ranked.filter((c) => passes(c, q)).map((c) => entryView(c, policy, now, c.name, c.overrideReason === null ? null : { reason: c.overrideReason }));
    await audit(deps.db, { at: now, actor, action: "watchlist.read", schoolId, subject: schoolId, context: { students: entries.length, filters: q }, address: request.ip });
    return { schoolId, policyVersion: policy.version, computedAt: now.toISOString(), casesIncluded: CASES_INCLUDED, entries };
  });

  app.get("/api/students/:id/watchlist-entry", { schema: { params: StudentParams, response: { 200: WatchlistEntryReply } } }, async (request) => {
    const actor = requireStaff(request);
    const studentId = request.params.id;
    const { schoolId } = await studentFor(actor, "watchlist.read", studentId);
    const now = deps.now();
    const run = await computeWatchList(deps.db, deps.db, { schoolIds: [schoolId], studentIds: [studentId] }, now);
    const c = run.all[0];
    if (!c) throw notFound("no such student / 学生不存在");
    const names = await namesOf(deps.db, deps.keys, [studentId]);
    const since = c.student.current?.opensAt ?? new Date(now.getTime() - 90 * 86_400_000);
    const { rows } = await deps.db.query<ObservationDbRow>(
      "SELECT id, instrument, role, created_at, answers, note_enc FROM observations WHERE student_id = $1 AND created_at >= $2 AND created_at <= $3 ORDER BY created_at DESC, id",
      [studentId, since, now],
    );
    const observations: ObservationView[] = rows.map((o) => {
      const secret = o.note_enc === null ? {} : (JSON.parse(decrypt(deps.keys, o.note_enc, `observations.note_enc:${o.id}`)) as { note?: string; texts?: Record<string, string> });
      return { id: o.id, instrument: o.instrument, role: o.role, at: o.created_at.toISOString(), answers: o.answers, note: secret.note ?? null, texts: secret.texts ?? {} };
    });
    await audit(deps.db, { at: now, actor, action: "watchlist.entry.read", schoolId, studentId, subject: studentId, context: { observations: observations.length }, address: request.ip });
    const entry = entryView(c, run.policyOf(schoolId), now, names.get(studentId) ?? "", c.student.override && { reason: overrideReason(deps.keys, c.student.override) });
    return { entry, listed: c.listed, observations };
  });

  app.post("/api/students/:id/tier-override", { schema: { params: StudentParams, body: TierOverrideBody, response: { 200: TierOverrideReply } } }, async (request) => {
    const actor = requireStaff(request);
    const studentId = request.params.id;
    const { schoolId } = await studentFor(actor, "case.manage", studentId);
    const now = deps.now();
    const run = await computeWatchList(deps.db, deps.db, { schoolIds: [schoolId], studentIds: [studentId] }, now);
    const c = run.all[0];
    if (!c) throw notFound("no such student / 学生不存在");
    const id = deps.newId();
    const { tier, reason } = request.body;
    await deps.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO tier_overrides (id, school_id, student_id, tier, reason_enc, computed_tier, computed_reasons, policy_version, author_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [id, schoolId, studentId, tier, encrypt(deps.keys, reason, `tier_overrides.reason_enc:${id}`), c.entry.tier, JSON.stringify(c.entry.reasons), c.entry.policyVersion, actor.accountId, now],
      );
      await audit(tx, { at: now, actor, action: "watchlist.override", schoolId, studentId, subject: id, context: { tier, computedTier: c.entry.tier, policyVersion: c.entry.policyVersion }, address: request.ip });
    });
    return { studentId, tier, computedTier: c.entry.tier, policyVersion: c.entry.policyVersion };
  });

  app.post("/api/schools/:id/watchlist/preview", { schema: { params: SchoolParams, body: PreviewBody, response: { 200: PreviewReply } } }, async (request) => {
    const actor = requireStaff(request);
    const schoolId = request.params.id;
    await schoolFor(actor, "watchlist.read", schoolId);
    const version = request.body.policyVersion;
    if (!policies.has(version)) throw badRequest("unknown_policy", `no tier policy ${version} / 没有该版本的预警规则`, [{ path: "body.policyVersion", code: "unknown_policy", message: `installed: ${[...policies.keys()].join(", ")}` }]);
    const now = deps.now();
    const current = await computeWatchList(deps.db, deps.db, { schoolIds: [schoolId] }, now);
    const next = await fuseLoaded(deps.db, deps.db, current.inputs, [schoolId], policyByVersion(version));
    const moves = diffTiers(current.all, next.all);
    const names = await namesOf(deps.db, deps.keys, moves.map((m) => m.student.id));
    await audit(deps.db, { at: now, actor, action: "watchlist.preview", schoolId, subject: schoolId, context: { policyVersion: version, students: moves.length }, address: request.ip });
    return {
      schoolId,
      from: current.policyOf(schoolId).version,
      to: version,
      moves: moves.map((m) => ({ studentId: m.student.id, name: names.get(m.student.id) ?? "", classLabel: m.student.classLabel, grade: m.student.grade, from: m.from, to: m.to, reasons: [...m.reasons] })),
      counts: { from: countTiers(current.all), to: countTiers(next.all) },
    };
  });
};
