/**
 * The watch list kept between reads (issue 6: "recomputed when any input changes"; a district's list in
 * under a second). Each school's ranked, listed entries, with the names and override reasons decrypted,
 * are kept in this process and brought up to date at each read:
 *
 * - from the change log `watch_changes`, which triggers on every input table fill (migration 015), so a
 *   submit, an observation, an override, a case step, a roster change or a wave's policy is seen whoever
 *   wrote it: this server, another instance on the same PostgreSQL, or the CLI. The school's "rows:latest
 *   id" says cheaply whether anything new was logged; the rows not yet accounted for say which students
 *   changed, and only those are computed again (./service.ts), unless the change is for the whole
 *   school (a class, a wave) or concerns many students, when the school is computed whole;
 * - while the clock stays inside the span over which the list does not change with time alone: from the
 *   moment it was computed to the moment an observation leaves the 90-day window of a student without a
 *   wave result, or an observation dated later than that moment starts to count;
 * - while the district statistics of the change since the last wave (./reference.ts) are the ones used.
 *
 * The log is read before the inputs, so a change committed in between is computed again at the next
 * read, never missed: reads see every change committed before them, as without the list kept. What is
 * kept is what a counselor of the school is shown anyway (names included); it lives in this process's
 * memory only, never on disk, and is keyed by the Database so that tests and instances never share it.
 */
import type { TierPolicy } from "../../../../scoring/index";
import type { DataKeys } from "../../crypto/cipher";
import type { Database, Queryable } from "../../db/database";
import type { Computed, ShownEntry } from "./compute";
import { mergeRanked, rankShown, wavePair } from "./compute";
import type { StudentInputs } from "./load";
import { inIds, loadInputs, OBSERVATION_WINDOW_DAYS } from "./load";
import type { ChangeRefs } from "./reference";
import { loadChangeReferences } from "./reference";
import type { WatchListRun } from "./service";
import { computeWatchList, fuseLoaded, namesOf, overrideReason } from "./service";

const DAY_MS = 86_400_000;
/** Rows of a school's change log accounted for, beyond which they are folded into one. */
const FOLD_ABOVE = 64;
/** Students changed since the last read beyond which a school is computed whole rather than student by student. */
const UPDATE_AT_MOST = 100;

/** A listed student as kept: what the reply shows, without the inputs (scores, observations) behind it. */
export interface KeptEntry extends ShownEntry {
  readonly name: string;
  /** The override's written reason, decrypted; null without an override. */
  readonly overrideReason: string | null;
}

interface KeptSchool {
  /** The change log's "rows:latest id" when last checked: while it stands, nothing new was logged. */
  readonly stamp: string;
  /** The ids of the change log's rows the list accounts for. */
  readonly seen: ReadonlySet<string>;
  /** The change references used, by wave pair, and the instruments whose change the policy reads. */
  readonly refs: ReadonlyMap<string, ChangeRefs>;
  readonly changeIds: readonly string[];
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
  /** The schools computed whole for this read, and those where only changed students were. */
  readonly computed: number;
  readonly updated: number;
}

const kept = new WeakMap<Database, Map<string, KeptSchool>>();

/** Each school's change stamp: "rows:latest id" of its change log ("0:" without rows). */
async function stamps(q: Queryable, schoolIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await q.query<{ school_id: string; n: number; last: string }>(
    `SELECT school_id, count(*)::int AS n, max(id)::text AS last FROM watch_changes WHERE ${inIds("school_id", 1)} GROUP BY school_id`,
    [JSON.stringify(schoolIds)],
  );
  const out = new Map(schoolIds.map((id) => [id, "0:"]));
  for (const r of rows) out.set(r.school_id, `${r.n}:${r.last}`);
  return out;
}

interface LogRow {
  readonly id: string;
  /** Null: every student of the school. */
  readonly student: string | null;
}

/** The change log of each school. */
async function logRows(q: Queryable, schoolIds: readonly string[]): Promise<Map<string, LogRow[]>> {
  const { rows } = await q.query<{ school_id: string; id: string; student_id: string | null }>(
    `SELECT school_id, id::text AS id, student_id FROM watch_changes WHERE ${inIds("school_id", 1)}`,
    [JSON.stringify(schoolIds)],
  );
  const out = new Map<string, LogRow[]>(schoolIds.map((id) => [id, []]));
  for (const r of rows) out.get(r.school_id)!.push({ id: r.id, student: r.student_id });
  return out;
}

/**
 * Folds the change log of each school with many rows into one row, before the school is computed whole
 * (which then accounts for it). The new row is for every student: another app instance that had not
 * accounted for the rows folded computes the school whole.
 */
async function compact(q: Queryable, schoolIds: readonly string[]): Promise<void> {
  await q.query(
    `WITH heavy AS (
       SELECT school_id, max(id) AS last FROM watch_changes WHERE ${inIds("school_id", 1)} GROUP BY school_id HAVING count(*) > ${FOLD_ABOVE}
     ), gone AS (
       DELETE FROM watch_changes c USING heavy h WHERE c.school_id = h.school_id AND c.id <= h.last RETURNING c.school_id
     )
     INSERT INTO watch_changes (school_id) SELECT DISTINCT school_id FROM gone`,
    [JSON.stringify(schoolIds)],
  );
}

/**
 * Folds the rows of a school's change log that its list accounts for (by id: a row committed meanwhile
 * stays) into one new row for every student, as {@link compact} does; returns the new row's id.
 */
async function fold(db: Database, schoolId: string, ids: readonly string[]): Promise<string> {
  return db.transaction(async (tx) => {
    await tx.query("DELETE FROM watch_changes WHERE school_id = $1 AND id IN (SELECT jsonb_array_elements_text($2::jsonb)::bigint)", [schoolId, JSON.stringify(ids)]);
    const { rows } = await tx.query<{ id: string }>("INSERT INTO watch_changes (school_id) VALUES ($1) RETURNING id::text AS id", [schoolId]);
    return rows[0]!.id;
  });
}

/** The earliest observation of each school dated after `now` (it starts to count once the clock reaches it). */
async function laterObservations(q: Queryable, schoolIds: readonly string[], now: Date): Promise<Map<string, number>> {
  const { rows } = await q.query<{ school_id: string; at: Date }>(
    `SELECT school_id, min(created_at) AS at FROM observations WHERE ${inIds("school_id", 1)} AND created_at > $2 GROUP BY school_id`,
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
function holdsUntil(students: readonly StudentInputs[], now: number, laterObservation: number | undefined): number {
  let until = laterObservation === undefined ? Infinity : laterObservation - 1;
  for (const s of students) {
    if (s.current !== null) continue;
    for (const o of s.observations) until = Math.min(until, o.at.getTime() + OBSERVATION_WINDOW_DAYS * DAY_MS);
  }
  return Math.max(until, now);
}

/** The change references of some wave pairs for some instruments, as a comparable string. */
function refsKey(refs: ReadonlyMap<string, ChangeRefs>, pairs: Iterable<string>, changeIds: readonly string[]): string {
  return JSON.stringify([...pairs].sort().map((p) => [p, changeIds.map((id) => refs.get(p)?.[id] ?? null)]));
}

function keep(c: Computed, name: string, keys: DataKeys): KeptEntry {
  const { id, schoolId, classId, classLabel, grade, override } = c.student;
  return {
    student: { id, schoolId, classId, classLabel, grade, override },
    entry: c.entry,
    tier: c.tier,
    stale: c.stale,
    name,
    overrideReason: override === null ? null : overrideReason(keys, override),
  };
}

/** What one computation says about each school: its students' inputs, the listed ranked, the references used. */
async function perSchool(db: Database, keys: DataKeys, run: WatchListRun, schoolIds: readonly string[]) {
  const names = await namesOf(db, keys, run.ranked.map((c) => c.student.id));
  const out = new Map(schoolIds.map((id) => [id, { inputs: [] as StudentInputs[], listed: [] as KeptEntry[], refs: new Map<string, ChangeRefs>() }]));
  for (const s of run.inputs) {
    const school = out.get(s.schoolId)!;
    school.inputs.push(s);
    const pair = wavePair(s);
    if (pair !== null) school.refs.set(pair, run.refs.get(pair) ?? {});
  }
  for (const c of run.ranked) out.get(c.student.schoolId)!.listed.push(keep(c, names.get(c.student.id) ?? "", keys));
  return out;
}

/** Computes the lists of `schoolIds` whole at `now` (one load for all), accounting for the change log read before the inputs. */
async function computeSchools(db: Database, keys: DataKeys, schoolIds: readonly string[], now: Date): Promise<Map<string, KeptSchool>> {
  await compact(db, schoolIds);
  const stamped = await stamps(db, schoolIds);
  const log = await logRows(db, schoolIds);
  const run = await computeWatchList(db, db, { schoolIds }, now);
  const later = await laterObservations(db, schoolIds, now);
  const computed = await perSchool(db, keys, run, schoolIds);
  const out = new Map<string, KeptSchool>();
  for (const schoolId of schoolIds) {
    const { inputs, listed, refs } = computed.get(schoolId)!;
    const policy = run.policyOf(schoolId);
    out.set(schoolId, {
      stamp: stamped.get(schoolId)!,
      seen: new Set(log.get(schoolId)!.map((r) => r.id)),
      refs,
      changeIds: policy.change,
      from: now.getTime(),
      until: holdsUntil(inputs, now.getTime(), later.get(schoolId)),
      policy,
      ranked: listed,
    });
  }
  return out;
}

/** Computes again only the changed students of kept schools, and puts them in place in each school's list. */
async function updateStudents(db: Database, keys: DataKeys, schools: Map<string, KeptSchool>, changes: ReadonlyMap<string, { stamp: string; rows: readonly LogRow[] }>, now: Date): Promise<void> {
  const schoolIds = [...changes.keys()];
  const students = [...new Set([...changes.values()].flatMap((c) => c.rows.map((r) => r.student!)))];
  // A few students of many schools: PostgreSQL would JIT-compile the statement for the many schools
  // (about a second at 100), far longer than running it.
  const inputs = await db.transaction(async (tx) => {
    await tx.query("SET LOCAL jit = off");
    return loadInputs(tx, { schoolIds, studentIds: students }, now);
  });
  const run = await fuseLoaded(db, db, inputs, schoolIds);
  const later = await laterObservations(db, schoolIds, now);
  const computed = await perSchool(db, keys, run, schoolIds);
  for (const [schoolId, change] of changes) {
    const old = schools.get(schoolId)!;
    // Only the students logged for this school (one logged for another school may be enrolled here).
    const changed = new Set(change.rows.map((r) => r.student));
    const { inputs, listed, refs } = computed.get(schoolId)!;
    let seen = [...old.seen, ...change.rows.map((r) => r.id)];
    let stamp = change.stamp;
    if (seen.length > FOLD_ABOVE) {
      seen = [await fold(db, schoolId, seen)];
      stamp = ""; // the fold moved it: the next read checks the log
    }
    schools.set(schoolId, {
      ...old,
      stamp,
      seen: new Set(seen),
      refs: new Map([...old.refs, ...refs]),
      // The changed students hold from now on only (a clock set back may not see what they were computed with).
      from: Math.max(old.from, now.getTime()),
      until: Math.min(old.until, holdsUntil(inputs.filter((x) => changed.has(x.id)), now.getTime(), later.get(schoolId))),
      ranked: rankShown([...old.ranked.filter((e) => !changed.has(e.student.id)), ...listed.filter((e) => changed.has(e.student.id))]),
    });
  }
}

/**
 * The watch list of `schoolIds` at `now`: every listed student of those schools, ranked (scoring/fuse
 * compareWatchEntries with the tier in force). A kept school whose change log shows nothing new, whose
 * time span holds and whose change references are the same is served as kept; one where only some
 * students changed has those students computed again; any other school is computed whole.
 */
export async function keptWatchList(db: Database, keys: DataKeys, schoolIds: readonly string[], now: Date): Promise<KeptWatchList> {
  let schools = kept.get(db);
  if (!schools) kept.set(db, (schools = new Map()));
  const t = now.getTime();
  // The stamps are read before the log and the inputs: a change committed after them is seen next time.
  const current = await stamps(db, schoolIds);
  const inTime = schoolIds.filter((id) => {
    const k = schools.get(id);
    return k !== undefined && t >= k.from && t <= k.until;
  });
  const withPairs = inTime.map((id) => schools.get(id)!).filter((k) => k.refs.size > 0);
  // One read of the district statistics for every kept school that reports change since the last wave.
  const refs =
    withPairs.length === 0 ? new Map<string, ChangeRefs>() : await loadChangeReferences(db, db, new Set(withPairs.flatMap((k) => [...k.refs.keys()])), [...new Set(withPairs.flatMap((k) => k.changeIds))]);
  const sameRefs = (k: KeptSchool): boolean => k.refs.size === 0 || refsKey(k.refs, k.refs.keys(), k.changeIds) === refsKey(refs, k.refs.keys(), k.changeIds);
  const holding = new Set(inTime.filter((id) => sameRefs(schools.get(id)!)));
  const whole = schoolIds.filter((id) => !holding.has(id));
  const moved = [...holding].filter((id) => schools.get(id)!.stamp !== current.get(id));
  const log = moved.length === 0 ? new Map<string, LogRow[]>() : await logRows(db, moved);
  const changes = new Map<string, { stamp: string; rows: LogRow[] }>();
  for (const id of moved) {
    const k = schools.get(id)!;
    const rows = log.get(id)!.filter((r) => !k.seen.has(r.id));
    const students = new Set(rows.map((r) => r.student));
    if (rows.length === 0) schools.set(id, { ...k, stamp: current.get(id)! });
    else if (students.has(null) || students.size > UPDATE_AT_MOST) whole.push(id);
    else changes.set(id, { stamp: current.get(id)!, rows });
  }
  if (whole.length > 0) for (const [id, k] of await computeSchools(db, keys, whole, now)) schools.set(id, k);
  if (changes.size > 0) await updateStudents(db, keys, schools, changes, now);
  const lists = schoolIds.map((id) => schools.get(id)!);
  const policies = new Map(schoolIds.map((id) => [id, schools.get(id)!.policy]));
  return {
    ranked: lists.length === 1 ? lists[0]!.ranked : mergeRanked(lists.map((k) => k.ranked)),
    policyOf: (id) => policies.get(id)!,
    computed: whole.length,
    updated: changes.size,
  };
}
