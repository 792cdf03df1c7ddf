/**
 * The prioritised watch list (预警台账, issue 6): `GET /api/schools/:id/watchlist`, a student's entry
 * (`GET /api/students/:id/watchlist-entry`), the counselor's tier override
 * (`POST /api/students/:id/tier-override`) and the policy preview (`POST /api/schools/:id/watchlist/preview`).
 * Counselors and school leads of the school only; every read of a student is audited.
 */
import { z } from "zod";
import { Id } from "./api";

export const TierName = z.enum(["none", "yellow", "orange", "red"]);
export type TierName = z.infer<typeof TierName>;

const Slug = z.string().min(1).max(64).regex(/^[A-Za-z][A-Za-z0-9-]*$/, "letters, digits and '-'");

/** Filters of the list; all optional. `tier` is the tier in force (an override counts). */
export const WatchlistQuery = z.strictObject({
  grade: z.coerce.number().int().min(1).max(12).optional(),
  classId: Id.optional(),
  tier: TierName.optional(),
  /** A rule id of the policy (e.g. "phq9-severe"). */
  reason: Slug.optional(),
  /** A key-population category (the roster's keys, e.g. "financialHardship"). */
  key: Slug.optional(),
});
export type WatchlistQuery = z.infer<typeof WatchlistQuery>;

export const Localized = z.strictObject({ "zh-CN": z.string(), en: z.string() });

export const WatchReason = z.strictObject({
  rule: z.string(),
  tier: TierName.exclude(["none"]),
  /** The policy's label of the rule, in plain Chinese and English. */
  label: Localized,
  evidence: z.string(),
});
export type WatchReason = z.infer<typeof WatchReason>;

export const TierOverrideView = z.strictObject({
  tier: TierName,
  reason: z.string(),
  by: z.string(),
  at: z.string(),
  /** The computed tier the override was made against. */
  computedTier: TierName,
  policyVersion: z.string(),
  /** The computed tier has changed since: a lower override no longer holds (the higher tier is in force). */
  stale: z.boolean(),
});
export type TierOverrideView = z.infer<typeof TierOverrideView>;

export const WatchChange = z.strictObject({
  before: z.number(),
  after: z.number(),
  rci: z.number(),
  reliable: z.boolean(),
  direction: z.enum(["improved", "deteriorated", "no-reliable-change"]),
});

export const WatchlistEntry = z.strictObject({
  studentId: Id,
  name: z.string(),
  classId: Id,
  classLabel: z.string(),
  grade: z.number().int(),
  /** The tier in force: the override when there is one that holds, else the computed tier. */
  tier: TierName,
  computedTier: TierName,
  policyVersion: z.string(),
  override: TierOverrideView.nullable(),
  reasons: z.array(WatchReason),
  acute: z.boolean(),
  /** Informants concerned: "self" and observer roles. */
  informants: z.array(z.string()),
  /** Self-report and observers disagree (one concerned, the other not). */
  disagree: z.boolean(),
  /** Instruments reliably worse than at the previous wave. */
  deteriorated: z.array(z.string()),
  change: z.record(z.string(), WatchChange),
  movement: z.enum(["up", "down", "same", "new"]),
  since: z.string().nullable(),
  daysSinceFlagged: z.number().int().nullable(),
  keyPopulation: z.array(z.string()),
  openCase: z.boolean(),
});
export type WatchlistEntry = z.infer<typeof WatchlistEntry>;

export const WatchlistReply = z.strictObject({
  schoolId: Id,
  policyVersion: z.string(),
  computedAt: z.string(),
  /** Whether open cases were taken into account. */
  casesIncluded: z.boolean(),
  entries: z.array(WatchlistEntry),
});
export type WatchlistReply = z.infer<typeof WatchlistReply>;

export const ObservationView = z.strictObject({
  id: Id,
  instrument: z.string(),
  role: z.string(),
  at: z.string(),
  answers: z.record(z.string(), z.unknown()),
  /** Free text as written (plain text: never render it as HTML). */
  note: z.string().nullable(),
  texts: z.record(z.string(), z.string()),
});
export type ObservationView = z.infer<typeof ObservationView>;

/** One student's entry with the observations it was computed from (counselor view, audited). */
export const WatchlistEntryReply = z.strictObject({
  entry: WatchlistEntry,
  listed: z.boolean(),
  observations: z.array(ObservationView),
});
export type WatchlistEntryReply = z.infer<typeof WatchlistEntryReply>;

export const StudentParams = z.strictObject({ id: Id });

export const TierOverrideBody = z.strictObject({
  tier: TierName,
  reason: z
    .string()
    .max(2000)
    .refine((s) => s.trim().length > 0, "a written reason is required / 请填写理由"),
});
export type TierOverrideBody = z.infer<typeof TierOverrideBody>;

export const TierOverrideReply = z.strictObject({
  studentId: Id,
  tier: TierName,
  computedTier: TierName,
  policyVersion: z.string(),
});
export type TierOverrideReply = z.infer<typeof TierOverrideReply>;

export const PreviewBody = z.strictObject({ policyVersion: z.string().min(1).max(64) });
export type PreviewBody = z.infer<typeof PreviewBody>;

export const PreviewMove = z.strictObject({
  studentId: Id,
  name: z.string(),
  classLabel: z.string(),
  grade: z.number().int(),
  from: TierName,
  to: TierName,
  /** Rule ids under the previewed policy. */
  reasons: z.array(z.string()),
});

export const PreviewReply = z.strictObject({
  schoolId: Id,
  from: z.string(),
  to: z.string(),
  /** Students whose computed tier would change, most serious new tier first. */
  moves: z.array(PreviewMove),
  /** Computed tier counts under each policy. */
  counts: z.strictObject({ from: z.record(z.string(), z.number()), to: z.record(z.string(), z.number()) }),
});
export type PreviewReply = z.infer<typeof PreviewReply>;
