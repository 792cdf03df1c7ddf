/**
 * The pure part of the watch list: loaded inputs → scoring/fuse entries, the tier in force beside a
 * counselor's override, filters, ranking, the reply's entries, and a policy preview's diff.
 *
 * The tier in force: the override, as long as the computed tier is still the one it was made against;
 * once the computed tier has changed (new answers, a new observation) the override is "stale" and the
 * higher of the two holds, so an override can never hide new evidence of risk.
 */
import { instruments } from "../../../../instruments/index";
import type { Instrument } from "../../../../instruments/schema";
import type { ObservationEvidence, TierName, TierPolicy, WatchEntry } from "../../../../scoring/index";
import { compareWatchEntries, fuseStudent, observationConcerned, tierRank } from "../../../../scoring/index";
import type { WatchlistEntry, WatchReason } from "../../../shared/watchlist";
import type { StoredOverride, StudentInputs } from "./load";
import type { ChangeRefs } from "./reference";

const DAY_MS = 86_400_000;
const registry: ReadonlyMap<string, Instrument> = instruments;

/** What the reply shows of a fused student: the entry, the tier in force, and who the student is. */
export interface ShownEntry {
  readonly student: Pick<StudentInputs, "id" | "schoolId" | "classId" | "classLabel" | "grade" | "override">;
  readonly entry: WatchEntry;
  /** The tier in force (override or computed). */
  readonly tier: TierName;
  readonly stale: boolean;
}

/** One student's fused entry and the tier in force, with the inputs behind them. */
export interface Computed extends ShownEntry {
  readonly student: StudentInputs;
  /** On the list: the fused entry is listed, or an override in force puts the student on it. */
  readonly listed: boolean;
}

/** The (previous wave > current wave) key of a student's change reference, or null without both waves. */
export function wavePair(s: StudentInputs): string | null {
  return s.current && s.previous ? `${s.previous.waveKey}>${s.current.waveKey}` : null;
}

/**
 * When the unresolved episode began: the wave result if it was flagged on its own, else the first
 * observation that counted its informant as concerned; null leaves it to scoring/fuse.
 */
export function flaggedSinceOf(s: StudentInputs, policy: TierPolicy): Date | null {
  if (s.current && s.current.tier !== "none") return s.current.submittedAt;
  let first: ObservationEvidence | undefined;
  for (const o of s.observations) if (observationConcerned(o, policy) && (!first || o.at < first.at)) first = o;
  return first?.at ?? null;
}

/** The tier in force given an override (see the module comment). */
export function tierInForce(computed: TierName, override: Pick<StoredOverride, "tier" | "computedTier"> | null): { tier: TierName; stale: boolean } {
  if (!override) return { tier: computed, stale: false };
  if (override.computedTier === computed) return { tier: override.tier, stale: false };
  return { tier: tierRank(override.tier) > tierRank(computed) ? override.tier : computed, stale: true };
}

/** Fuses every student with the policy of their school and the change reference of their waves. */
export function fuseAll(students: readonly StudentInputs[], policyOf: (schoolId: string) => TierPolicy, refsOf: (pair: string | null) => ChangeRefs): Computed[] {
  return students.map((s) => {
    const policy = policyOf(s.schoolId);
    // A stored result is a scoring/fuse WaveResult (scores, validity, submittedAt, tier) with more beside.
    const entry = fuseStudent(
      { studentId: s.id, current: s.current, previous: s.previous, observations: s.observations, keyPopulation: s.keyPopulation, openCase: s.openCase, flaggedSince: flaggedSinceOf(s, policy) },
      { policy, instruments: registry, changeReference: refsOf(wavePair(s)) },
    );
    const { tier, stale } = tierInForce(entry.tier, s.override);
    return { student: s, entry, tier, stale, listed: entry.listed || tier !== "none" };
  });
}

/** The entry as it ranks: with the tier in force (only an overridden entry is copied). */
const rankedAs = (c: ShownEntry): WatchEntry => (c.tier === c.entry.tier ? c.entry : { ...c.entry, tier: c.tier });

/**
 * Ranks entries by scoring/fuse compareWatchEntries with the tier in force (each entry's ranking form
 * made once, not per comparison).
 */
export function rankShown<T extends ShownEntry>(entries: readonly T[]): T[] {
  const keyed = entries.map((c) => ({ c, e: rankedAs(c) }));
  keyed.sort((a, b) => compareWatchEntries(a.e, b.e));
  return keyed.map((k) => k.c);
}

/**
 * Merges lists that are each ranked (by {@link rankShown}) into one ranked list, two by two: a district's
 * schools' kept lists in n·log(schools) comparisons instead of sorting them all again.
 */
export function mergeRanked<T extends ShownEntry>(lists: readonly (readonly T[])[]): T[] {
  let round = [...lists];
  while (round.length > 1) {
    const next: (readonly T[])[] = [];
    for (let k = 0; k < round.length; k += 2) next.push(k + 1 < round.length ? mergeTwo(round[k]!, round[k + 1]!) : round[k]!);
    round = next;
  }
  return [...(round[0] ?? [])];
}

function mergeTwo<T extends ShownEntry>(a: readonly T[], b: readonly T[]): T[] {
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(compareWatchEntries(rankedAs(a[i]!), rankedAs(b[j]!)) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

/** The listed students, ranked (only the listed are sorted). */
export function rankComputed(all: readonly Computed[]): Computed[] {
  return rankShown(all.filter((c) => c.listed));
}

export interface ListFilters {
  readonly grade?: number | undefined;
  readonly classId?: string | undefined;
  readonly tier?: TierName | undefined;
  readonly reason?: string | undefined;
  readonly key?: string | undefined;
}

/** Whether an entry passes the filters. */
export function passes(c: ShownEntry, f: ListFilters): boolean {
  return (
    (f.grade === undefined || c.student.grade === f.grade) &&
    (f.classId === undefined || c.student.classId === f.classId) &&
    (f.tier === undefined || c.tier === f.tier) &&
    (f.reason === undefined || c.entry.reasons.some((r) => r.rule === f.reason)) &&
    (f.key === undefined || c.entry.keyPopulation.includes(f.key))
  );
}

/** The reasons with the policy's labels (plain Chinese and English). */
export function reasonsOf(entry: WatchEntry, policy: TierPolicy): WatchReason[] {
  return entry.reasons.map((r) => {
    const rule = policy.rules.find((x) => x.id === r.rule);
    return { rule: r.rule, tier: r.tier, label: rule ? { "zh-CN": rule.label["zh-CN"], en: rule.label.en } : { "zh-CN": r.rule, en: r.rule }, evidence: r.evidence };
  });
}

/** One entry of the reply. `name` and the override's reason are decrypted by the caller. */
export function entryView(c: ShownEntry, policy: TierPolicy, now: Date, name: string, override: { reason: string } | null): WatchlistEntry {
  const { entry, student: s } = c;
  const change: WatchlistEntry["change"] = {};
  for (const [id, ch] of Object.entries(entry.change)) change[id] = { before: ch.before, after: ch.after, rci: ch.rci.rci, reliable: ch.rci.reliable, direction: ch.rci.direction };
  return {
    studentId: s.id,
    name,
    classId: s.classId,
    classLabel: s.classLabel,
    grade: s.grade,
    tier: c.tier,
    computedTier: entry.tier,
    policyVersion: entry.policyVersion,
    override:
      s.override && override
        ? { tier: s.override.tier, reason: override.reason, by: s.override.authorId, at: s.override.at.toISOString(), computedTier: s.override.computedTier, policyVersion: s.override.policyVersion, stale: c.stale }
        : null,
    reasons: reasonsOf(entry, policy),
    acute: entry.acute,
    informants: [...entry.informants],
    disagree: entry.disagree,
    deteriorated: [...entry.deteriorated],
    change,
    movement: entry.movement,
    since: entry.since?.toISOString() ?? null,
    daysSinceFlagged: entry.since ? Math.max(0, Math.floor((now.getTime() - entry.since.getTime()) / DAY_MS)) : null,
    keyPopulation: [...entry.keyPopulation],
    openCase: entry.openCase,
  };
}

/** One student who would change computed tier under another policy. */
export interface Move {
  readonly student: StudentInputs;
  readonly from: TierName;
  readonly to: TierName;
  readonly reasons: readonly string[];
}

/** Who moves computed tier from `before` to `after` (same students, same order): most serious new tier first. */
export function diffTiers(before: readonly Computed[], after: readonly Computed[]): Move[] {
  const moves: Move[] = [];
  after.forEach((a, i) => {
    const b = before[i]!;
    if (b.entry.tier !== a.entry.tier) moves.push({ student: a.student, from: b.entry.tier, to: a.entry.tier, reasons: a.entry.reasons.map((r) => r.rule) });
  });
  return moves.sort((x, y) => tierRank(y.to) - tierRank(x.to) || tierRank(y.from) - tierRank(x.from) || (x.student.id < y.student.id ? -1 : x.student.id > y.student.id ? 1 : 0));
}

/** Computed tier counts. */
export function countTiers(all: readonly Computed[]): Record<TierName, number> {
  const counts: Record<TierName, number> = { none: 0, yellow: 0, orange: 0, red: 0 };
  for (const c of all) counts[c.entry.tier] += 1;
  return counts;
}
