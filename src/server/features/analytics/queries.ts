/**
 * The analytics feature's SQL: one grouped pass over a district wave per table, returning counts,
 * means and standard deviations per group (never a row per student). A district wave is every
 * school's wave of one school year and season.
 *
 * The population of a wave: students of the wave's schools who are enrolled now, plus any student
 * with a response in that wave (so a past wave keeps students who have left since). Grades and
 * genders are the students' current ones.
 */
import type { Queryable } from "../../db/database";
import type { Dimension } from "../../../shared/analytics";

/** A district wave as its two parts. */
export interface WaveRef {
  readonly schoolYear: string;
  readonly season: "spring" | "autumn";
}

export function parseWaveKey(key: string): WaveRef {
  const [schoolYear = "", season] = key.split(":");
  return { schoolYear, season: season === "autumn" ? "autumn" : "spring" };
}

export const waveKeyOf = (w: WaveRef): string => `${w.schoolYear}:${w.season}`;

/** Coverage categories: every student of the population is in exactly one (a partition). */
export const COVERAGE_CATEGORIES = ["opted-out", "pending", "consented", "declined", "completed", "questionable"] as const;
export type CoverageCategory = (typeof COVERAGE_CATEGORIES)[number];

export const TIER_ORDER = ["none", "yellow", "orange", "red"] as const;
export type TierName = (typeof TIER_ORDER)[number];

/** One group's figures. `key` holds the group's dimension values in the order asked for. */
export interface GroupStats {
  readonly key: readonly string[];
  /** True for a margin row (some dimensions rolled up: their key entries are null). */
  readonly rolled: readonly boolean[];
  readonly population: number;
  readonly coverage: Readonly<Record<CoverageCategory, number>>;
  readonly tiers: Readonly<Record<TierName, number>>;
  readonly who5: { readonly n: number; readonly mean: number | null; readonly sd: number | null };
}

const DIM_SQL: Record<Dimension, string> = {
  school: "b.school_id",
  grade: "b.grade::text",
  gender: "b.gender",
  "key-population": "b.category",
};

interface StatsRow extends Record<string, unknown> {
  d0: string | null;
  d1: string | null;
  g0: number;
  g1: number;
  population: number;
  opted_out: number;
  pending: number;
  consented: number;
  declined: number;
  completed: number;
  questionable: number;
  t_none: number;
  t_yellow: number;
  t_orange: number;
  t_red: number;
  w_n: number;
  w_mean: number | null;
  w_sd: number | null;
}

/**
 * Figures per group of `dims` (one or two dimensions) for a district wave, with every margin
 * (GROUPING SETS): the groups themselves, each dimension alone when there are two, and the district.
 */
export async function groupStats(q: Queryable, wave: WaveRef, dims: readonly Dimension[]): Promise<GroupStats[]> {
  const withCategory = dims.includes("key-population");
  const [a, b] = dims;
  if (a === undefined) throw new RangeError("groupStats needs a dimension");
  const d0 = DIM_SQL[a];
  const d1 = b === undefined ? "NULL::text" : DIM_SQL[b];
  const sets = b === undefined ? `(${d0}), ()` : `(${d0}, ${d1}), (${d0}), (${d1}), ()`;
  const g1 = b === undefined ? "1" : `GROUPING(${d1})`;
  const lateral = withCategory
    ? `CROSS JOIN LATERAL (SELECT x AS category FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(s.key_population) = 'array' THEN s.key_population ELSE '[]'::jsonb END) AS x
                           UNION ALL SELECT 'none' WHERE jsonb_typeof(s.key_population) <> 'array' OR jsonb_array_length(s.key_population) = 0) AS kp`
    : "";
  const { rows } = await q.query<StatsRow>(
    `SELECT ${d0} AS d0, ${d1} AS d1, GROUPING(${d0})::int AS g0, (${g1})::int AS g1,
            count(*)::int AS population,
            (count(*) FILTER (WHERE b.cat = 'opted-out'))::int AS opted_out,
            (count(*) FILTER (WHERE b.cat = 'pending'))::int AS pending,
            (count(*) FILTER (WHERE b.cat = 'consented'))::int AS consented,
            (count(*) FILTER (WHERE b.cat = 'declined'))::int AS declined,
            (count(*) FILTER (WHERE b.cat = 'completed'))::int AS completed,
            (count(*) FILTER (WHERE b.cat = 'questionable'))::int AS questionable,
            (count(*) FILTER (WHERE b.tier = 'none'))::int AS t_none,
            (count(*) FILTER (WHERE b.tier = 'yellow'))::int AS t_yellow,
            (count(*) FILTER (WHERE b.tier = 'orange'))::int AS t_orange,
            (count(*) FILTER (WHERE b.tier = 'red'))::int AS t_red,
            count(b.who5)::int AS w_n, avg(b.who5) AS w_mean, stddev_samp(b.who5) AS w_sd
       FROM (SELECT s.school_id, s.grade, coalesce(s.gender, 'unknown') AS gender, ${withCategory ? "kp.category" : "NULL::text AS category"},
                    CASE WHEN p.status = 'submitted' AND r.validity->>'kind' = 'questionable' THEN 'questionable'
                         WHEN p.status = 'submitted' THEN 'completed'
                         WHEN p.status = 'declined' THEN 'declined'
                         WHEN k.status = 'opted-out' THEN 'opted-out'
                         WHEN k.status = 'consented' THEN 'consented'
                         ELSE 'pending' END AS cat,
                    r.tier,
                    CASE WHEN r.scores->'who5'->>'kind' = 'scored' AND jsonb_typeof(r.scores->'who5'->'percent') = 'number'
                         THEN (r.scores->'who5'->>'percent')::float8 END AS who5
               FROM waves w
               JOIN students s ON s.school_id = w.school_id
               LEFT JOIN consents k ON k.wave_id = w.id AND k.student_id = s.id
               LEFT JOIN responses p ON p.wave_id = w.id AND p.student_id = s.id
               LEFT JOIN results r ON r.response_id = p.id AND p.status = 'submitted'
               ${lateral}
              WHERE w.school_year = $1 AND w.season = $2 AND (s.status = 'enrolled' OR p.id IS NOT NULL)) AS b
      GROUP BY GROUPING SETS (${sets})`,
    [wave.schoolYear, wave.season],
  );
  return rows.map((r) => ({
    key: b === undefined ? [r.d0 ?? ""] : [r.d0 ?? "", r.d1 ?? ""],
    rolled: b === undefined ? [r.g0 === 1] : [r.g0 === 1, r.g1 === 1],
    population: r.population,
    coverage: { "opted-out": r.opted_out, pending: r.pending, consented: r.consented, declined: r.declined, completed: r.completed, questionable: r.questionable },
    tiers: { none: r.t_none, yellow: r.t_yellow, orange: r.t_orange, red: r.t_red },
    who5: { n: r.w_n, mean: r.w_mean, sd: r.w_sd },
  }));
}

export interface SchoolLabel {
  readonly id: string;
  readonly code: string;
  readonly name: string;
}

/** Every school's code and name (aggregates are labelled by school). */
export async function schoolLabels(q: Queryable): Promise<Map<string, SchoolLabel>> {
  const { rows } = await q.query<{ id: string; code: string; name: string }>("SELECT id, code, name FROM schools");
  return new Map(rows.map((r) => [r.id, r]));
}

/** Does any school have a wave of this school year and season? */
export async function waveExists(q: Queryable, wave: WaveRef): Promise<boolean> {
  const { rows } = await q.query("SELECT 1 FROM waves WHERE school_year = $1 AND season = $2 LIMIT 1", [wave.schoolYear, wave.season]);
  return rows.length > 0;
}

export interface DistrictWave extends WaveRef {
  readonly schools: number;
}

export async function districtWaves(q: Queryable): Promise<DistrictWave[]> {
  const { rows } = await q.query<{ school_year: string; season: "spring" | "autumn"; schools: number }>(
    `SELECT school_year, season, count(DISTINCT school_id)::int AS schools FROM waves GROUP BY school_year, season
      ORDER BY school_year DESC, CASE season WHEN 'autumn' THEN 0 ELSE 1 END`,
  );
  return rows.map((r) => ({ schoolYear: r.school_year, season: r.season, schools: r.schools }));
}

/** The wave-influencing-factor items (instruments/wellbeing-factors.ts), the attention check excluded. */
export interface FactorCell extends Record<string, unknown> {
  item: string;
  category: number;
  n: number;
  mean: number | null;
  sd: number | null;
}

/**
 * WHO-5 percentage count, mean and SD per factor item and answer category, over submitted responses:
 * one scan, one GROUPING SET per item. `items` must be item ids of instruments/wellbeing-factors.ts
 * (lower-case letters and '-'; anything else is refused, as they become column expressions).
 */
export async function factorStats(q: Queryable, wave: WaveRef, items: readonly string[]): Promise<FactorCell[]> {
  if (items.length === 0) return [];
  for (const item of items) if (!/^[a-z][a-z-]{0,40}$/.test(item)) throw new RangeError(`bad factor item id ${item}`);
  const value = (i: number): string => `c${i}`;
  const extract = items
    .map((item, i) => `CASE WHEN jsonb_typeof(p.answers->'wellbeing-factors'->'${item}') = 'number' AND (p.answers->'wellbeing-factors'->>'${item}') ~ '^[0-9]{1,3}$'
                           THEN (p.answers->'wellbeing-factors'->>'${item}')::int END AS ${value(i)}`)
    .join(",\n              ");
  const { rows } = await q.query<{ g: number; n: number; mean: number | null; sd: number | null } & Record<string, unknown>>(
    `SELECT ${items.map((_, i) => `${value(i)}, GROUPING(${value(i)})::int AS g${i}`).join(", ")},
            count(x.who5)::int AS n, avg(x.who5) AS mean, stddev_samp(x.who5) AS sd
       FROM (SELECT CASE WHEN r.scores->'who5'->>'kind' = 'scored' AND jsonb_typeof(r.scores->'who5'->'percent') = 'number'
                         THEN (r.scores->'who5'->>'percent')::float8 END AS who5,
              ${extract}
               FROM waves w
               JOIN responses p ON p.wave_id = w.id AND p.status = 'submitted'
               JOIN results r ON r.response_id = p.id
              WHERE w.school_year = $1 AND w.season = $2) AS x
      -- (no jsonb test in WHERE: the planner cannot estimate it and picks nested loops)
      GROUP BY GROUPING SETS (${items.map((_, i) => `(${value(i)})`).join(", ")})`,
    [wave.schoolYear, wave.season],
  );
  const out: FactorCell[] = [];
  for (const r of rows) {
    const i = items.findIndex((_, j) => r[`g${j}`] === 0);
    const category = r[value(i)];
    const item = items[i];
    if (item === undefined || typeof category !== "number") continue;
    out.push({ item, category, n: r.n, mean: r.mean, sd: r.sd });
  }
  return out;
}

interface MoveRow extends Record<string, unknown> {
  before: string;
  after: string;
  n: number;
}

/** Students with a tier in `to`, by their tier in `from` ("new" when they have none there). */
export async function movementCounts(q: Queryable, from: WaveRef, to: WaveRef): Promise<MoveRow[]> {
  const { rows } = await q.query<MoveRow>(
    `WITH a AS (SELECT p.student_id, r.tier FROM waves w JOIN responses p ON p.wave_id = w.id AND p.status = 'submitted'
                  JOIN results r ON r.response_id = p.id WHERE w.school_year = $1 AND w.season = $2),
          b AS (SELECT p.student_id, r.tier FROM waves w JOIN responses p ON p.wave_id = w.id AND p.status = 'submitted'
                  JOIN results r ON r.response_id = p.id WHERE w.school_year = $3 AND w.season = $4)
     SELECT coalesce(a.tier, 'new') AS before, b.tier AS after, count(*)::int AS n
       FROM b LEFT JOIN a ON a.student_id = b.student_id
      GROUP BY 1, 2`,
    [from.schoolYear, from.season, to.schoolYear, to.season],
  );
  return rows;
}

/** k as stored (`analytics.min_cell_size`), not yet checked. */
export async function storedMinCellSize(q: Queryable): Promise<unknown> {
  const { rows } = await q.query<{ value: unknown }>("SELECT value FROM settings WHERE key = 'analytics.min_cell_size'");
  return rows[0]?.value;
}

/** One school's follow-up figures in a district wave's period (see followUpStats), or the district's (`schoolId` null). */
export interface FollowUpStats {
  readonly schoolId: string | null;
  readonly alerts: number;
  readonly sameDay: number;
  readonly opened: number;
  readonly closed: number;
  /** Still open and past their due date at `now`. */
  readonly overdue: number;
  /** Cases with an interview, and the median calendar days from opening to the first one. */
  readonly interviewed: number;
  readonly medianDays: number | null;
}

interface FollowUpRow extends Record<string, unknown> {
  school_id: string | null;
  g: number;
  alerts: number;
  same_day: number;
  opened: number;
  closed: number;
  overdue: number;
  interviewed: number;
  median_days: number | null;
}

/** The calendar day in China time (UTC+8, no daylight saving) of a timestamptz column, as SQL. */
const chinaDay = (column: string): string => `((${column} AT TIME ZONE 'UTC') + interval '8 hours')::date`;

/**
 * Case follow-up per school of a district wave, and for the district (a last row with `schoolId`
 * null). Alerts and cases carry no wave, so each school's wave owns a period: from its `opens_at` to
 * the `opens_at` of the school's next wave (ordered by opening time, then id), or open-ended. Counted
 * there: alerts raised, and of them acknowledged the same China calendar day; cases opened, and of them
 * closed now, and still open with a due date before `now`; the median days from the opening day to the
 * date of the first interview step (China calendar days).
 */
export async function followUpStats(q: Queryable, wave: WaveRef, now: Date): Promise<FollowUpStats[]> {
  const { rows } = await q.query<FollowUpRow>(
    `WITH p AS (
       SELECT w.school_id, w.opens_at,
              (SELECT n.opens_at FROM waves n
                WHERE n.school_id = w.school_id AND (n.opens_at > w.opens_at OR (n.opens_at = w.opens_at AND n.id > w.id))
                ORDER BY n.opens_at, n.id LIMIT 1) AS until
         FROM waves w WHERE w.school_year = $1 AND w.season = $2),
     u AS (
       SELECT p.school_id, 'school' AS kind, NULL::boolean AS same_day, NULL::text AS state, NULL::timestamptz AS due_at, NULL::int AS days FROM p
       UNION ALL
       SELECT p.school_id, 'alert', al.acknowledged_at IS NOT NULL AND ${chinaDay("al.acknowledged_at")} = ${chinaDay("al.created_at")}, NULL, NULL, NULL
         FROM p JOIN alerts al ON al.school_id = p.school_id AND al.created_at >= p.opens_at AND (p.until IS NULL OR al.created_at < p.until)
       UNION ALL
       SELECT p.school_id, 'case', NULL, c.state, c.due_at,
              (SELECT (s.data->>'date')::date - ${chinaDay("c.opened_at")} FROM case_steps s
                WHERE s.case_id = c.id AND s.kind = 'interview' ORDER BY s.seq LIMIT 1)
         FROM p JOIN cases c ON c.school_id = p.school_id AND c.opened_at >= p.opens_at AND (p.until IS NULL OR c.opened_at < p.until))
     SELECT u.school_id, GROUPING(u.school_id)::int AS g,
            (count(*) FILTER (WHERE u.kind = 'alert'))::int AS alerts,
            (count(*) FILTER (WHERE u.kind = 'alert' AND u.same_day))::int AS same_day,
            (count(*) FILTER (WHERE u.kind = 'case'))::int AS opened,
            (count(*) FILTER (WHERE u.kind = 'case' AND u.state = 'closed'))::int AS closed,
            (count(*) FILTER (WHERE u.kind = 'case' AND u.state <> 'closed' AND u.due_at < $3))::int AS overdue,
            count(u.days)::int AS interviewed,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY u.days) AS median_days
       FROM u
      GROUP BY GROUPING SETS ((u.school_id), ())`,
    [wave.schoolYear, wave.season, now],
  );
  return rows.map((r) => ({
    schoolId: r.g === 1 ? null : r.school_id,
    alerts: r.alerts,
    sameDay: r.same_day,
    opened: r.opened,
    closed: r.closed,
    overdue: r.overdue,
    interviewed: r.interviewed,
    medianDays: r.median_days,
  }));
}
