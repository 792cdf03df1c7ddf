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
  readonly grade?: number | undefined;
  readonly classId?: string | undefined;
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

interface StudentRow extends Record<string, unknown> {
  id: string;
  school_id: string;
  class_id: string;
  label: string;
  grade: number;
  key_population: string[];
}

interface ResultRow extends Record<string, unknown> {
  student_id: string;
  wave_key: string;
  opens_at: Date;
  submitted_at: Date;
  scores: Record<string, ScoreResult>;
  validity: ValidityResult | null;
  tier: TierName;
  policy_version: string;
}

interface ObservationRow extends Record<string, unknown> {
  student_id: string;
  author_id: string;
  role: ObservationEvidence["informant"]["role"];
  instrument: string;
  score: ScoreResult | null;
  evidence: { critical: string[]; concerns: string[]; keyPopulation?: string[] };
  created_at: Date;
}

interface OverrideRow extends Record<string, unknown> {
  id: string;
  student_id: string;
  tier: TierName;
  reason_enc: string;
  computed_tier: TierName;
  policy_version: string;
  author_id: string;
  created_at: Date;
}

/** `col IN (the ids)`, with the ids as one jsonb parameter (the same on PGlite and pg). */
const inIds = (col: string, param: number): string => `${col} IN (SELECT jsonb_array_elements_text($${param}::jsonb))`;

/** Loads the inputs of every enrolled student selected. */
export async function loadInputs(q: Queryable, sel: Selection, now: Date): Promise<StudentInputs[]> {
  const schools = JSON.stringify(sel.schoolIds);
  const narrow = sel.studentIds !== undefined ? JSON.stringify(sel.studentIds) : null;
  const students = await q.query<StudentRow>(
    `SELECT s.id, s.school_id, s.class_id, c.label, s.grade, s.key_population
       FROM students s JOIN classes c ON c.id = s.class_id
      WHERE ${inIds("s.school_id", 1)} AND s.status = 'enrolled'
        AND ($2::int IS NULL OR s.grade = $2) AND ($3::text IS NULL OR s.class_id = $3) AND ($4::jsonb IS NULL OR ${inIds("s.id", 4)})`,
    [schools, sel.grade ?? null, sel.classId ?? null, narrow],
  );
  const byId = new Map<string, { row: StudentRow; current: StoredResult | null; previous: StoredResult | null; observations: ObservationEvidence[]; override: StoredOverride | null }>();
  for (const row of students.rows) byId.set(row.id, { row, current: null, previous: null, observations: [], override: null });
  if (byId.size === 0) return [];
  // Only a list of students is pushed into the other queries; the student map drops the rest.

  // The latest two submitted results per student, by the opening of their wave.
  const results = await q.query<ResultRow>(
    `SELECT student_id, wave_key, opens_at, submitted_at, scores, validity, tier, policy_version FROM (
       SELECT r.student_id, w.school_year || '|' || w.season AS wave_key, w.opens_at, r.submitted_at, res.scores, res.validity, res.tier, res.policy_version,
              row_number() OVER (PARTITION BY r.student_id ORDER BY w.opens_at DESC, r.submitted_at DESC) AS rn
         FROM waves w
         JOIN responses r ON r.wave_id = w.id AND r.status = 'submitted'
         JOIN results res ON res.response_id = r.id
        WHERE ${inIds("w.school_id", 1)} AND ($2::jsonb IS NULL OR ${inIds("r.student_id", 2)})
     ) t WHERE rn <= 2`,
    [schools, narrow],
  );
  for (const r of results.rows) {
    const s = byId.get(r.student_id);
    if (!s) continue;
    const stored: StoredResult = { scores: r.scores, validity: r.validity, tier: r.tier, policyVersion: r.policy_version, submittedAt: r.submitted_at, opensAt: r.opens_at, waveKey: r.wave_key };
    if (s.current === null) s.current = stored;
    else if (stored.opensAt > s.current.opensAt) [s.previous, s.current] = [s.current, stored];
    else s.previous = stored;
  }

  // Observations: since the student's current wave opened, else of the last 90 days.
  const fallback = new Date(now.getTime() - OBSERVATION_WINDOW_DAYS * DAY_MS);
  let earliest = fallback;
  for (const s of byId.values()) if (s.current && s.current.opensAt < earliest) earliest = s.current.opensAt;
  const observations = await q.query<ObservationRow>(
    `SELECT o.student_id, o.author_id, o.role, o.instrument, o.score, o.evidence, o.created_at
       FROM observations o
      WHERE ${inIds("o.school_id", 1)} AND o.created_at >= $2 AND o.created_at <= $3 AND ($4::jsonb IS NULL OR ${inIds("o.student_id", 4)})
      ORDER BY o.created_at, o.id`,
    [schools, earliest, now, narrow],
  );
  for (const o of observations.rows) {
    const s = byId.get(o.student_id);
    if (!s) continue;
    const since = s.current?.opensAt ?? fallback;
    if (o.created_at < since) continue;
    const key = o.evidence.keyPopulation;
    s.observations.push({
      informant: { role: o.role, id: o.author_id },
      instrument: o.instrument,
      at: o.created_at,
      ...(o.score !== null && { score: o.score }),
      critical: o.evidence.critical,
      concerns: o.evidence.concerns,
      ...(key !== undefined && { keyPopulation: key.map((k) => CHECKLIST_KEY_TO_ROSTER[k] ?? k) }),
    });
  }

  const overrides = await q.query<OverrideRow>(
    `SELECT DISTINCT ON (student_id) id, student_id, tier, reason_enc, computed_tier, policy_version, author_id, created_at
       FROM tier_overrides
      WHERE ${inIds("school_id", 1)} AND ($2::jsonb IS NULL OR ${inIds("student_id", 2)})
      ORDER BY student_id, created_at DESC, id DESC`,
    [schools, narrow],
  );
  for (const o of overrides.rows) {
    const s = byId.get(o.student_id);
    if (s) s.override = { id: o.id, tier: o.tier, reasonEnc: o.reason_enc, computedTier: o.computed_tier, policyVersion: o.policy_version, authorId: o.author_id, at: o.created_at };
  }

  const cases = await loadOpenCases(q, sel.schoolIds);
  return [...byId.values()].map(({ row, current, previous, observations: obs, override }) => ({
    id: row.id,
    schoolId: row.school_id,
    classId: row.class_id,
    classLabel: row.label,
    grade: row.grade,
    keyPopulation: row.key_population,
    current,
    previous,
    observations: obs,
    override,
    openCase: cases.get(row.id) ?? null,
  }));
}

/** Open cases by student (the cases feature's table, migration 007): when each was opened, at which tier. */
export async function loadOpenCases(q: Queryable, schoolIds: readonly string[]): Promise<Map<string, { openedAt: Date; tier: TierName }>> {
  const { rows } = await q.query<{ student_id: string; opened_at: Date; tier: TierName }>(
    `SELECT student_id, opened_at, tier FROM cases WHERE ${inIds("school_id", 1)} AND state <> 'closed'`,
    [JSON.stringify(schoolIds)],
  );
  return new Map(rows.map((r) => [r.student_id, { openedAt: r.opened_at, tier: r.tier }]));
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

/** Decrypts nothing: the name tokens of some students, for the caller to decrypt. */
export async function loadNameTokens(q: Queryable, studentIds: readonly string[]): Promise<Map<string, string>> {
  if (studentIds.length === 0) return new Map();
  const { rows } = await q.query<{ id: string; name_enc: string }>(`SELECT id, name_enc FROM students WHERE ${inIds("id", 1)}`, [JSON.stringify(studentIds)]);
  return new Map(rows.map((r) => [r.id, r.name_enc]));
}
