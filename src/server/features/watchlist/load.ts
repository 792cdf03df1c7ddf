/**
 * The SQL of the watch list: everything `scoring/fuse` needs for the students of some schools, in five
 * plain queries (students; their latest two submitted results; observations of the window; overrides in
 * force; each school's policy version), put together in memory. Nothing here decides a tier.
 *
 * Open cases come from the cases feature's table (migration 007): an open case keeps a student listed
 * and dates the episode from its opening.
 */
import type { ObservationEvidence, ScoreResult, TierName, ValidityResult } from "../../../../scoring/index";
import type { Queryable } from "../../db/database";

/** One submitted wave result of a student, as stored in `results`. */
export interface StoredResult {
  readonly scores: Record<string, ScoreResult>;
  readonly validity: ValidityResult | null;
  readonly tier: TierName;
  readonly policyVersion: string;
  readonly submittedAt: Date;
  readonly opensAt: Date;
  /** The district wave: school year and season ("2025-2026|autumn"), the same for every school. */
  readonly waveKey: string;
}

export interface StoredOverride {
  readonly id: string;
  readonly tier: TierName;
  readonly reasonEnc: string;
  readonly computedTier: TierName;
  readonly policyVersion: string;
  readonly authorId: string;
  readonly at: Date;
}

/** Everything known about one enrolled student that the watch list fuses. */
export interface StudentInputs {
  readonly id: string;
  readonly schoolId: string;
  readonly classId: string;
  readonly classLabel: string;
  readonly grade: number;
  /** The roster's key-population keys (src/shared/roster.ts). */
  readonly keyPopulation: readonly string[];
  readonly current: StoredResult | null;
  readonly previous: StoredResult | null;
  /** Observations since the current wave opened, or of the last `OBSERVATION_WINDOW_DAYS` without one. */
  readonly observations: ObservationEvidence[];
  readonly override: StoredOverride | null;
  readonly openCase: { readonly openedAt: Date; readonly tier: TierName } | null;
}

export interface Selection {
  readonly schoolIds: readonly string[];
  readonly studentIds?: readonly string[] | undefined;
}

/** Observations count for this long when a student has no wave result (the issue: "or the last 90 days"). */
export const OBSERVATION_WINDOW_DAYS = 90;
const DAY_MS = 86_400_000;

/**
 * The teacher checklist's key-population options (instruments/teacher-checklist.ts) as the roster's keys
 * (src/shared/roster.ts), so a category the roster and a teacher both record counts once.
 */
export const CHECKLIST_KEY_TO_ROSTER: Readonly<Record<string, string>> = {
  "economic-hardship": "financialHardship",
  "learning-difficulty": "learningDifficulty",
  "major-change": "majorChange",
  "left-behind-or-single-parent": "leftBehindOrSingleParent",
  "migrant-worker-family": "migrantWorkerChild",
  "sudden-family-change": "familyCrisis",
  disability: "disability",
  "new-student": "newStudent",
};

/** `col IN (the ids)`, with the ids as one jsonb parameter (the same on PGlite and pg). */
export const inIds = (col: string, param: number): string => `${col} IN (SELECT jsonb_array_elements_text($${param}::jsonb))`;

/** A timestamp as epoch milliseconds, truncated like the drivers' Date parsing (a JSON number). */
const ms = (col: string): string => `floor(extract(epoch FROM ${col}) * 1000)`;

/**
 * One row per school selected: `students`, a JSON array with one array per enrolled student selected
 * (positions: see {@link InputsTuple}), or null when none is. One statement for the whole selection,
 * run school by school (the subquery is correlated with the school), so every join stays within one
 * school's rows and the indexes on school_id and (wave_id, student_id) drive it; and the students come
 * back as one JSON value per school instead of a row per student and per result (PGlite pays dearly
 * per row returned, and so, less, does `pg`).
 *
 * The schools are a VALUES list, one parameter each ($4…), so that the planner knows how many there are
 * (a set-returning function over one jsonb parameter counts as 100 rows, which makes PostgreSQL JIT-
 * compile the query of a single school for a second or more). With many schools PostgreSQL JIT-compiles
 * the statement all the same; one statement still beat one per school (measured at 200,000 students:
 * the rows of one school are parsed while the next school's are being computed).
 *
 * `pick`/`res`: the latest two submitted results of each student, by the opening of their wave (the
 * school's waves only), latest first. `obs`: the school's observations of each student up to `$2` (now)
 * and from the earlier of `$3` (now − 90 days) and the school's first wave; {@link loadInputs} keeps
 * those of each student's own window. `ov`: the latest override. Open cases: at most one per student
 * (cases_one_open).
 */
const inputsSql = (schools: number): string => `
SELECT sch.id AS school_id, (
  WITH sel AS (
    SELECT s.id, s.class_id, c.label, s.grade, s.key_population
      FROM students s JOIN classes c ON c.id = s.class_id
     WHERE s.school_id = sch.id AND s.status = 'enrolled'
       AND ($1::jsonb IS NULL OR ${inIds("s.id", 1)})
  ), pick AS (
    SELECT r.student_id, r.id, w.school_year || '|' || w.season AS wave_key, w.opens_at, r.submitted_at,
           row_number() OVER (PARTITION BY r.student_id ORDER BY w.opens_at DESC, r.submitted_at DESC) AS rn
      FROM waves w
      JOIN responses r ON r.wave_id = w.id AND r.status = 'submitted'
      JOIN sel ON sel.id = r.student_id
     WHERE w.school_id = sch.id
  ), res AS (
    SELECT p.student_id,
           json_agg(json_build_array(p.wave_key, ${ms("p.opens_at")}, ${ms("p.submitted_at")}, x.scores, x.validity, x.tier, x.policy_version) ORDER BY p.rn) AS list
      FROM pick p JOIN results x ON x.response_id = p.id
     WHERE p.rn <= 2
     GROUP BY p.student_id
  ), obs AS (
    SELECT o.student_id,
           json_agg(json_build_array(o.author_id, o.role, o.instrument, o.score, o.evidence, ${ms("o.created_at")}) ORDER BY o.created_at, o.id) AS list
      FROM observations o JOIN sel ON sel.id = o.student_id
     WHERE o.school_id = sch.id AND o.created_at <= $2
       AND o.created_at >= least($3::timestamptz, (SELECT min(w.opens_at) FROM waves w WHERE w.school_id = sch.id))
     GROUP BY o.student_id
  ), ov AS (
    SELECT DISTINCT ON (t.student_id) t.student_id, t.id, t.tier, t.reason_enc, t.computed_tier, t.policy_version, t.author_id, t.created_at
      FROM tier_overrides t JOIN sel ON sel.id = t.student_id
     WHERE t.school_id = sch.id
     ORDER BY t.student_id, t.created_at DESC, t.id DESC
  )
  SELECT json_agg(json_build_array(
           sel.id, sel.class_id, sel.label, sel.grade, sel.key_population, res.list, obs.list, ${ms("cs.opened_at")}, cs.tier,
           ov.id, ov.tier, ov.reason_enc, ov.computed_tier, ov.policy_version, ov.author_id, ${ms("ov.created_at")}))
    FROM sel
    LEFT JOIN res ON res.student_id = sel.id
    LEFT JOIN obs ON obs.student_id = sel.id
    LEFT JOIN cases cs ON cs.student_id = sel.id AND cs.school_id = sch.id AND cs.state <> 'closed'
    LEFT JOIN ov ON ov.student_id = sel.id
) AS students
FROM (VALUES ${Array.from({ length: schools }, (_, i) => `($${i + 4}::text)`).join(", ")}) AS sch(id)`;

/** One student of {@link inputsSql}'s `students` array, by position. */
type InputsTuple = [
  id: string,
  classId: string,
  label: string,
  grade: number,
  keyPopulation: string[],
  /** The latest two results, latest first. */
  results: ResultTuple[] | null,
  observations: ObservationTuple[] | null,
  caseOpenedAt: number | null,
  caseTier: TierName | null,
  overrideId: string | null,
  overrideTier: TierName,
  overrideReasonEnc: string,
  overrideComputedTier: TierName,
  overridePolicyVersion: string,
  overrideAuthorId: string,
  overrideAt: number,
];
type ResultTuple = [waveKey: string, opensAt: number, submittedAt: number, scores: Record<string, ScoreResult>, validity: ValidityResult | null, tier: TierName, policyVersion: string];
type ObservationTuple = [authorId: string, role: ObservationEvidence["informant"]["role"], instrument: string, score: ScoreResult | null, evidence: { critical: string[]; concerns: string[]; keyPopulation?: string[] }, at: number];

function toResult(t: ResultTuple | undefined): StoredResult | null {
  if (t === undefined) return null;
  const [waveKey, opensAt, submittedAt, scores, validity, tier, policyVersion] = t;
  return { scores, validity, tier, policyVersion, submittedAt: new Date(submittedAt), opensAt: new Date(opensAt), waveKey };
}

function toObservation([authorId, role, instrument, score, evidence, at]: ObservationTuple): ObservationEvidence {
  const key = evidence.keyPopulation;
  return {
    informant: { role, id: authorId },
    instrument,
    at: new Date(at),
    ...(score !== null && { score }),
    critical: evidence.critical,
    concerns: evidence.concerns,
    ...(key !== undefined && { keyPopulation: key.map((k) => CHECKLIST_KEY_TO_ROSTER[k] ?? k) }),
  };
}

function toInputs(schoolId: string, t: InputsTuple, fallback: number): StudentInputs {
  const [id, classId, classLabel, grade, keyPopulation, results, observations, caseOpenedAt, caseTier, overrideId] = t;
  const current = toResult(results?.[0]);
  // The window: since the current wave opened, else the last 90 days.
  const since = current?.opensAt.getTime() ?? fallback;
  return {
    id,
    schoolId,
    classId,
    classLabel,
    grade,
    keyPopulation,
    current,
    previous: toResult(results?.[1]),
    observations: observations === null ? [] : observations.filter((o) => o[5] >= since).map(toObservation),
    override: overrideId === null ? null : { id: overrideId, tier: t[10], reasonEnc: t[11], computedTier: t[12], policyVersion: t[13], authorId: t[14], at: new Date(t[15]) },
    openCase: caseOpenedAt === null ? null : { openedAt: new Date(caseOpenedAt), tier: caseTier! },
  };
}

/** Loads the inputs of every enrolled student selected, in one statement (see {@link inputsSql}). */
export async function loadInputs(q: Queryable, sel: Selection, now: Date): Promise<StudentInputs[]> {
  if (sel.schoolIds.length === 0 || sel.studentIds?.length === 0) return [];
  const fallback = new Date(now.getTime() - OBSERVATION_WINDOW_DAYS * DAY_MS);
  const { rows } = await q.query<{ school_id: string; students: InputsTuple[] | null }>(inputsSql(sel.schoolIds.length), [
    sel.studentIds !== undefined ? JSON.stringify(sel.studentIds) : null,
    now,
    fallback,
    ...sel.schoolIds,
  ]);
  const out: StudentInputs[] = [];
  for (const row of rows) for (const t of row.students ?? []) out.push(toInputs(row.school_id, t, fallback.getTime()));
  return out;
}

/** Whether open cases reach the watch list (they do since the cases table, migration 007). */
export const CASES_INCLUDED = true;

/** The tier policy version of each school: that of its latest wave out of draft; absent without one. */
export async function loadPolicyVersions(q: Queryable, schoolIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await q.query<{ school_id: string; policy_version: string }>(
    `SELECT DISTINCT ON (school_id) school_id, policy_version FROM waves
      WHERE ${inIds("school_id", 1)} AND status <> 'draft'
      ORDER BY school_id, opens_at DESC, id`,
    [JSON.stringify(schoolIds)],
  );
  return new Map(rows.map((r) => [r.school_id, r.policy_version]));
}

/** Decrypts nothing: the name tokens of some students (one JSON object back, not a row per student), for the caller to decrypt. */
export async function loadNameTokens(q: Queryable, studentIds: readonly string[]): Promise<Map<string, string>> {
  if (studentIds.length === 0) return new Map();
  const { rows } = await q.query<{ tokens: Record<string, string> | null }>(`SELECT json_object_agg(id, name_enc) AS tokens FROM students WHERE ${inIds("id", 1)}`, [JSON.stringify(studentIds)]);
  return new Map(Object.entries(rows[0]?.tokens ?? {}));
}
