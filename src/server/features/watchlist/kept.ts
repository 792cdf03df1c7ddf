/**
 * The watch list kept between reads (issue 6: "recomputed when any input changes"; a district's list in
 * under a second). Each school's ranked, listed entries, with the names and override reasons decrypted,
 * are kept in this process under three conditions, and computed again (./service.ts) when one fails:
 *
 * - the school's change stamp is the one they were computed under: the number of rows and the latest id
 *   of the school's rows in `watch_changes`, which triggers on every input table fill (migration 015), so
 *   a submit, an observation, an override, a case step, a roster change or a wave's policy moves it
 *   whoever wrote it: this server, another instance on the same PostgreSQL, or the CLI;
 * - the clock is inside the span over which the list does not change with time alone: from the moment
 *   it was computed to the moment an observation leaves the 90-day window of a student without a wave
 *   result, or an observation dated later than that moment starts to count;
 * - the district statistics of the change since the last wave (./reference.ts) are the ones it used.
 *
 * The stamp is read before the inputs, so a change committed in between makes the list computed again at
 * the next read, never missed. Reads see every change committed before them, as without the cache. What
 * is kept is what a counselor of the school is shown anyway (names included); it lives in this process's
 * memory only, never on disk, and is keyed by the Database so that tests and instances never share it.
 */
import type { TierPolicy } from "../../../../scoring/index";
import { decrypt, type DataKeys } from "../../crypto/cipher";
import type { Database, Queryable } from "../../db/database";
import type { Computed, ShownEntry } from "./compute";
import { rankShown, wavePair } from "./compute";
import { OBSERVATION_WINDOW_DAYS } from "./load";
import type { StudentInputs } from "./load";
import type { ChangeRefs } from "./reference";
import { loadChangeReferences } from "./reference";
import { computeWatchList, namesOf } from "./service";

const DAY_MS = 86_400_000;
/** A school's log rows are folded into one when a recompute finds more than this many. */
const COMPACT_ABOVE = 64;

/** A listed student as kept: what the reply shows, without the inputs (scores, observations) behind it. */
export interface KeptEntry extends ShownEntry {
  readonly name: string;
  /** The override's written reason, decrypted; null without an override. */
  readonly overrideReason: string | null;
}

interface KeptSchool {
  readonly stamp: string;
  /** The wave pairs of the school's students, and the instruments whose change the policy reads. */
  readonly pairs: readonly string[];
  readonly changeIds: readonly string[];
  /** The change references used ({@link refsKey}). */
  readonly refs: string;
  /** The span of time (epoch ms, inclusive) over which the list holds unless an input changes. */
  readonly from: number;
  readonly until: number;
  readonly policy: TierPolicy;
  readonly ranked: readonly KeptEntry[];
}

/** The listed students of some schools, ranked, and each school's policy. */
export interface KeptWatchList {
  readonly ranked: readonly KeptEntry[];
  readonly policyOf: (schoolId: string) => TierPolicy;
  /** The schools computed for this read (the others came from what was kept). */
  readonly computed: number;
}

const kept = new WeakMap<Database, Map<string, KeptSchool>>();

/** `col IN (the ids)`, with the ids as one jsonb parameter. */
const inIds = (col: string): string => `${col} IN (SELECT jsonb_array_elements_text($1::jsonb))`;

/** Each school's change stamp: "rows:latest id" of its change log ("0:" without rows). */
async function stamps(q: Queryable, schoolIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await q.query<{ school_id: string; n: number; last: string }>(
    `SELECT school_id, count(*)::int AS n, max(id)::text AS last FROM watch_changes WHERE ${inIds("school_id")} GROUP BY school_id`,
    [JSON.stringify(schoolIds)],
  );
  const out = new Map(schoolIds.map((id) => [id, "0:"]));
  for (const r of rows) out.set(r.school_id, `${r.n}:${r.last}`);
  return out;
}

/** Folds the change log of each school with many rows into one row (a new stamp, computed at once after). */
async function compact(q: Queryable, schoolIds: readonly string[]): Promise<void> {
  await q.query(
    `WITH heavy AS (
       SELECT school_id, max(id) AS last FROM watch_changes WHERE ${inIds("school_id")} GROUP BY school_id HAVING count(*) > ${COMPACT_ABOVE}
     ), gone AS (
       DELETE FROM watch_changes c USING heavy h WHERE c.school_id = h.school_id AND c.id <= h.last RETURNING c.school_id
     )
     INSERT INTO watch_changes (school_id) SELECT DISTINCT school_id FROM gone`,
    [JSON.stringify(schoolIds)],
  );
}

/** The earliest observation of each school dated after `now` (it starts to count once the clock reaches it). */
async function laterObservations(q: Queryable, schoolIds: readonly string[], now: Date): Promise<Map<string, number>> {
  const { rows } = await q.query<{ school_id: string; at: Date }>(
    `SELECT school_id, min(created_at) AS at FROM observations WHERE ${inIds("school_id")} AND created_at > $2 GROUP BY school_id`,
    [JSON.stringify(schoolIds), now],
  );
  return new Map(rows.map((r) => [r.school_id, r.at.getTime()]));
}

/**
 * The last instant (epoch ms) at which a list computed at `now` still holds with no input changed: before
 * an observation of a student without a wave result leaves its 90-day window (./load.ts), and before an
 * observation dated after `now` starts to count. The window of a student with a wave result starts when
 * the wave opened: time alone does not move it.
 */
export function holdsUntil(students: readonly StudentInputs[], now: number, laterObservation: number | undefined): number {
  let until = laterObservation === undefined ? Infinity : laterObservation - 1;
  for (const s of students) {
    if (s.current !== null) continue;
    for (const o of s.observations) until = Math.min(until, o.at.getTime() + OBSERVATION_WINDOW_DAYS * DAY_MS);
  }
  return Math.max(until, now);
}

/** The change references a school's list used, as a comparable string: per wave pair, per instrument. */
function refsKey(pairs: readonly string[], changeIds: readonly string[], refs: ReadonlyMap<string, ChangeRefs>): string {
  return JSON.stringify(pairs.map((p) => changeIds.map((id) => refs.get(p)?.[id] ?? null)));
}

function keep(c: Computed, name: string, keys: DataKeys): KeptEntry {
  const { id, schoolId, classId, classLabel, grade, override } = c.student;
  return {
    student: { id, schoolId, classId, classLabel, grade, override },
    entry: c.entry,
    tier: c.tier,
    stale: c.stale,
    name,
    overrideReason: override === null ? null : decrypt(keys, override.reasonEnc, `tier_overrides.reason_enc:${override.id}`),
  };
}

/** Computes the lists of `schoolIds` at `now` (one load for all of them), under stamps read before their inputs. */
async function computeSchools(db: Database, keys: DataKeys, schoolIds: readonly string[], now: Date): Promise<Map<string, KeptSchool>> {
  await compact(db, schoolIds);
  const stamped = await stamps(db, schoolIds);
  const run = await computeWatchList(db, db, { schoolIds }, now);
  const later = await laterObservations(db, schoolIds, now);
  const names = await namesOf(db, keys, run.ranked.map((c) => c.student.id));
  const students = new Map<string, StudentInputs[]>(schoolIds.map((id) => [id, []]));
  for (const s of run.inputs) students.get(s.schoolId)!.push(s);
  const ranked = new Map<string, KeptEntry[]>(schoolIds.map((id) => [id, []]));
  for (const c of run.ranked) ranked.get(c.student.schoolId)!.push(keep(c, names.get(c.student.id) ?? "", keys));
  const out = new Map<string, KeptSchool>();
  for (const schoolId of schoolIds) {
    const inputs = students.get(schoolId)!;
    const pairs = [...new Set(inputs.map(wavePair).filter((p): p is string => p !== null))].sort();
    const policy = run.policyOf(schoolId);
    out.set(schoolId, {
      stamp: stamped.get(schoolId)!,
      pairs,
      changeIds: policy.change,
      refs: refsKey(pairs, policy.change, run.refs),
      from: now.getTime(),
      until: holdsUntil(inputs, now.getTime(), later.get(schoolId)),
      policy,
      ranked: ranked.get(schoolId)!,
    });
  }
  return out;
}

/** The kept schools that still hold at `now`: same stamp, clock inside their span, same change references. */
async function stillHolding(db: Database, schools: ReadonlyMap<string, KeptSchool>, schoolIds: readonly string[], now: number): Promise<Set<string>> {
  const current = await stamps(db, schoolIds);
  const candidates = schoolIds.filter((id) => {
    const k = schools.get(id);
    return k !== undefined && k.stamp === current.get(id) && now >= k.from && now <= k.until;
  });
  const withPairs = candidates.map((id) => schools.get(id)!).filter((k) => k.pairs.length > 0);
  // One read of the district statistics for every kept school that reports change since the last wave.
  const refs =
    withPairs.length === 0 ? new Map<string, ChangeRefs>() : await loadChangeReferences(db, db, new Set(withPairs.flatMap((k) => k.pairs)), [...new Set(withPairs.flatMap((k) => k.changeIds))]);
  const holds = (k: KeptSchool): boolean => k.pairs.length === 0 || k.refs === refsKey(k.pairs, k.changeIds, refs);
  return new Set(candidates.filter((id) => holds(schools.get(id)!)));
}

/**
 * The watch list of `schoolIds` at `now`: every listed student of those schools, ranked (scoring/fuse
 * compareWatchEntries with the tier in force), from what is kept where it still holds, computed again
 * for the other schools.
 */
export async function keptWatchList(db: Database, keys: DataKeys, schoolIds: readonly string[], now: Date): Promise<KeptWatchList> {
  let schools = kept.get(db);
  if (!schools) kept.set(db, (schools = new Map()));
  const holding = await stillHolding(db, schools, schoolIds, now.getTime());
  const toCompute = schoolIds.filter((id) => !holding.has(id));
  if (toCompute.length > 0) for (const [id, k] of await computeSchools(db, keys, toCompute, now)) schools.set(id, k);
  const lists = schoolIds.map((id) => schools.get(id)!);
  const policies = new Map(schoolIds.map((id) => [id, schools.get(id)!.policy]));
  return {
    ranked: lists.length === 1 ? lists[0]!.ranked : rankShown(lists.flatMap((k) => k.ranked)),
    policyOf: (id) => policies.get(id)!,
    computed: toCompute.length,
  };
}
