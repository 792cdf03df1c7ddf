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

/** The grouping column of each dimension in `groupStats`'s per-student rows (`b`). */
const DIM_SQL: Record<Dimension, string> = {
  school: "b.school_id",
  grade: "b.grade::text",
  gender: "b.gender",
  // the student's list as stored: grouped as it is, then expanded to its categories (see groupStats)
  "key-population": "b.key_population",
};

/** Orders group keys by code unit, null first (no locale: the order must not depend on the machine). */
function compareKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

/** The ids of a district wave's school waves (one per school). */
async function waveIds(q: Queryable, wave: WaveRef): Promise<string[]> {
  const { rows } = await q.query<{ id: string }>("SELECT id FROM waves WHERE school_year = $1 AND season = $2", [wave.schoolYear, wave.season]);
  return rows.map((r) => r.id);
}

/**
 * WHO-5 values of a group as PostgreSQL's float8 aggregates hold them: the count, the sum and the sum of
 * squared deviations from the mean (`regr_sxx`). Two groups' states merge with PostgreSQL's own combine
 * step for parallel aggregation (`float8_combine`), and `avg`/`stddev_samp` are read off the state with
 * its formulas, so a margin built here is what `GROUPING SETS` gives with its rows split over workers.
 */
interface Who5State {
  readonly n: number;
  readonly sx: number;
  readonly sxx: number;
}

const EMPTY_WHO5: Who5State = { n: 0, sx: 0, sxx: 0 };

function combineWho5(a: Who5State, b: Who5State): Who5State {
  if (a.n === 0) return b;
  if (b.n === 0) return a;
  const n = a.n + b.n;
  const tmp = a.sx / a.n - b.sx / b.n;
  return { n, sx: a.sx + b.sx, sxx: a.sxx + b.sxx + (a.n * b.n * tmp * tmp) / n };
}

const who5Summary = (s: Who5State): GroupStats["who5"] => ({ n: s.n, mean: s.n === 0 ? null : s.sx / s.n, sd: s.n <= 1 ? null : Math.sqrt(s.sxx / (s.n - 1)) });

/** One group's counts and WHO-5 state while margins are summed up. */
interface Tally {
  population: number;
  coverage: Record<CoverageCategory, number>;
  tiers: Record<TierName, number>;
  who5: Who5State;
}

const emptyTally = (): Tally => ({
  population: 0,
  coverage: { "opted-out": 0, pending: 0, consented: 0, declined: 0, completed: 0, questionable: 0 },
  tiers: { none: 0, yellow: 0, orange: 0, red: 0 },
  who5: EMPTY_WHO5,
});

function addTally(into: Tally, from: Tally): void {
  into.population += from.population;
  for (const c of COVERAGE_CATEGORIES) into.coverage[c] += from.coverage[c];
  for (const t of TIER_ORDER) into.tiers[t] += from.tiers[t];
  into.who5 = combineWho5(into.who5, from.who5);
}

interface PartRow extends Record<string, unknown> {
  d0: string | null;
  d1: string | null;
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
  w_sx: number | null;
  w_sxx: number | null;
}

const PART_COLUMNS = ["population", "opted_out", "pending", "consented", "declined", "completed", "questionable", "t_none", "t_yellow", "t_orange", "t_red", "w_n", "w_sx", "w_sxx"] as const;

const tallyOf = (r: PartRow): Tally => ({
  population: r.population,
  coverage: { "opted-out": r.opted_out, pending: r.pending, consented: r.consented, declined: r.declined, completed: r.completed, questionable: r.questionable },
  tiers: { none: r.t_none, yellow: r.t_yellow, orange: r.t_orange, red: r.t_red },
  who5: { n: r.w_n, sx: r.w_sx ?? 0, sxx: r.w_sxx ?? 0 },
});

/**
 * Figures per group of `dims` (one or two dimensions) for a district wave, with every margin: the
 * groups themselves, each dimension alone when there are two, and the district (always present, with
 * zero counts when the wave has nobody).
 *
 * One plain `GROUP BY` of the groups in SQL, which PostgreSQL runs with parallel workers (a `GROUPING
 * SETS` query cannot aggregate in parallel), and the margins summed here: counts add up, and WHO-5
 * states merge as PostgreSQL merges partial aggregates (Who5State). A key-population category is a
 * category of a student's list (a student may be in several, or in "none"): SQL groups by the list
 * itself, which is cheap, and a second step expands each list to its categories.
 */
export async function groupStats(q: Queryable, wave: WaveRef, dims: readonly Dimension[]): Promise<GroupStats[]> {
  const [a, b] = dims;
  if (a === undefined) throw new RangeError("groupStats needs a dimension");
  const withCategory = dims.includes("key-population");
  const ids = await waveIds(q, wave);
  const d0 = DIM_SQL[a];
  const d1 = b === undefined ? "NULL::text" : DIM_SQL[b];
  const counts = `count(*)::int AS population,
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
            regr_count(1, b.who5)::int AS w_n, sum(b.who5) AS w_sx, regr_sxx(1, b.who5) AS w_sxx`;
  // x: the wave's submitted responses with their result. Its values name q.status so that PostgreSQL
  // works them out from the jsonb after the join (once per response of this wave), not while scanning
  // the results of every wave.
  const grouped = `SELECT ${d0} AS d0, ${d1} AS d1, ${counts}
       FROM (SELECT s.school_id, s.grade, coalesce(s.gender, 'unknown') AS gender, s.key_population,
                    CASE WHEN p.status = 'submitted' AND x.questionable THEN 'questionable'
                         WHEN p.status = 'submitted' THEN 'completed'
                         WHEN p.status = 'declined' THEN 'declined'
                         WHEN k.status = 'opted-out' THEN 'opted-out'
                         WHEN k.status = 'consented' THEN 'consented'
                         ELSE 'pending' END AS cat,
                    x.tier, x.who5
               FROM waves w
               JOIN students s ON s.school_id = w.school_id
               LEFT JOIN consents k ON k.wave_id = w.id AND k.student_id = s.id
               LEFT JOIN responses p ON p.wave_id = w.id AND p.student_id = s.id AND p.wave_id = ANY($1::text[])
               LEFT JOIN (SELECT o.id, r.tier,
                                 o.status = 'submitted' AND r.validity->>'kind' = 'questionable' AS questionable,
                                 CASE WHEN o.status = 'submitted' AND r.scores->'who5'->>'kind' = 'scored' AND jsonb_typeof(r.scores->'who5'->'percent') = 'number'
                                      THEN (r.scores->'who5'->>'percent')::float8 END AS who5
                            FROM responses o JOIN results r ON r.response_id = o.id
                           WHERE o.wave_id = ANY($1::text[]) AND o.status = 'submitted') AS x ON x.id = p.id
              WHERE w.id = ANY($1::text[]) AND (s.status = 'enrolled' OR p.id IS NOT NULL)) AS b
      GROUP BY 1, 2`;
  // Each list's categories: its elements, or "none" for an empty list (or anything but a list).
  const list = `g.d${dims.indexOf("key-population")}`;
  const category = (i: 0 | 1): string => (dims[i] === "key-population" ? "kp.category" : `g.d${i}`);
  const sql = withCategory
    ? `SELECT ${category(0)} AS d0, ${b === undefined ? "NULL::text" : category(1)} AS d1, ${PART_COLUMNS.map((c) => `g.${c}`).join(", ")}
         FROM (${grouped}) AS g
         CROSS JOIN LATERAL jsonb_array_elements_text(
           CASE WHEN jsonb_typeof(${list}) = 'array' AND jsonb_array_length(${list}) > 0 THEN ${list} ELSE '["none"]'::jsonb END) AS kp(category)`
    : grouped;
  const { rows } = await q.query<PartRow>(sql, [ids]);

  // The groups: a key-population group may come in several parts (one per list that holds it).
  const cells = new Map<string, { d0: string | null; d1: string | null; tally: Tally }>();
  for (const r of rows) {
    const key = JSON.stringify([r.d0, r.d1]);
    let cell = cells.get(key);
    if (cell === undefined) cells.set(key, (cell = { d0: r.d0, d1: r.d1, tally: emptyTally() }));
    addTally(cell.tally, tallyOf(r));
  }
  const out: GroupStats[] = [];
  const push = (key: readonly string[], rolled: readonly boolean[], t: Tally): void => {
    out.push({ key, rolled, population: t.population, coverage: t.coverage, tiers: t.tiers, who5: who5Summary(t.who5) });
  };
  const district = emptyTally();
  const byD0 = new Map<string | null, Tally>();
  const byD1 = new Map<string | null, Tally>();
  // SQL returns the groups in no set order: sorted, the same data always gives the same answer.
  const sorted = [...cells.values()].sort((x, y) => compareKeys(x.d0, y.d0) || compareKeys(x.d1, y.d1));
  for (const { d0: v0, d1: v1, tally } of sorted) {
    push(b === undefined ? [v0 ?? ""] : [v0 ?? "", v1 ?? ""], b === undefined ? [false] : [false, false], tally);
    addTally(district, tally);
    if (b === undefined) continue;
    for (const [margin, v] of [[byD0, v0], [byD1, v1]] as const) {
      let m = margin.get(v);
      if (m === undefined) margin.set(v, (m = emptyTally()));
      addTally(m, tally);
    }
  }
  for (const [v, t] of byD0) push([v ?? "", ""], [false, true], t);
  for (const [v, t] of byD1) push(["", v ?? ""], [true, false], t);
  push(b === undefined ? [""] : ["", ""], b === undefined ? [true] : [true, true], district);
  return out;
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
 * (lower-case letters and '-'; anything else is refused, as they become column names).
 *
 * The wave's responses are picked while scanning (wave ids, not a join), and each response's factor
 * answers are read from its jsonb in one call (`jsonb_to_record`): the answers are worked out for
 * this wave's responses only, once each.
 */
export async function factorStats(q: Queryable, wave: WaveRef, items: readonly string[]): Promise<FactorCell[]> {
  if (items.length === 0) return [];
  for (const item of items) if (!/^[a-z][a-z-]{0,40}$/.test(item)) throw new RangeError(`bad factor item id ${item}`);
  const ids = await waveIds(q, wave);
  const value = (i: number): string => `c${i}`;
  const answer = (item: string): string => `f."${item}"`;
  const extract = items
    .map((item, i) => `CASE WHEN jsonb_typeof(${answer(item)}) = 'number' AND (${answer(item)} #>> '{}') ~ '^[0-9]{1,3}$' THEN (${answer(item)} #>> '{}')::int END AS ${value(i)}`)
    .join(",\n              ");
  // who5 names p.status so that PostgreSQL works it out after the join, for this wave's results only.
  const { rows } = await q.query<{ g: number; n: number; mean: number | null; sd: number | null } & Record<string, unknown>>(
    `SELECT ${items.map((_, i) => `${value(i)}, GROUPING(${value(i)})::int AS g${i}`).join(", ")},
            count(x.who5)::int AS n, avg(x.who5) AS mean, stddev_samp(x.who5) AS sd
       FROM (SELECT CASE WHEN p.status = 'submitted' AND r.scores->'who5'->>'kind' = 'scored' AND jsonb_typeof(r.scores->'who5'->'percent') = 'number'
                         THEN (r.scores->'who5'->>'percent')::float8 END AS who5,
              ${extract}
               FROM responses p
               JOIN results r ON r.response_id = p.id
               CROSS JOIN LATERAL jsonb_to_record(CASE WHEN jsonb_typeof(p.answers->'wellbeing-factors') = 'object' THEN p.answers->'wellbeing-factors' END)
                 AS f(${items.map((item) => `"${item}" jsonb`).join(", ")})
              WHERE p.wave_id = ANY($1::text[]) AND p.status = 'submitted') AS x
      GROUP BY GROUPING SETS (${items.map((_, i) => `(${value(i)})`).join(", ")})`,
    [ids],
  );
  const out: FactorCell[] = [];
  for (const r of rows) {
    const i = items.findIndex((_, j) => r[`g${j}`] === 0);
    const category = r[value(i)];
    const item = items[i];
    if (item === undefined || typeof category !== "number") continue;
    out.push({ item, category, n: r.n, mean: r.mean, sd: r.sd });
  }
  // In the items' order, then by answer category (SQL returns grouping sets in no set order).
  return out.sort((a, b) => items.indexOf(a.item) - items.indexOf(b.item) || a.category - b.category);
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
