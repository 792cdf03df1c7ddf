import { afterAll, beforeAll, expect, it } from "vitest";
import type { Dimension } from "../../../src/shared/analytics";
import type { Queryable } from "../../../src/server/db/database";
import { factorStats, groupStats, type FactorCell, type GroupStats, type WaveRef } from "../../../src/server/features/analytics/queries";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { addWave } from "./fixtures";

/**
 * groupStats and factorStats (one parallelisable GROUP BY with the margins merged in TypeScript; the
 * wave picked by ids while scanning; factor answers read with jsonb_to_record) against the plain SQL
 * they replace, kept here as the reference: one GROUPING SETS query each, over a district with every
 * odd case the SQL must treat the same way — students who left (with and without a response), a
 * response in another school's wave, in-progress and declined responses, a submission without a
 * result, WHO-5 missing or not a number, key-population lists that are empty, repeat a category, hold
 * a null or are not lists at all, and factor answers that are text, fractions, negative, too large or
 * not in an object.
 */

const DIM_SQL: Record<Dimension, string> = { school: "b.school_id", grade: "b.grade::text", gender: "b.gender", "key-population": "b.category" };

async function referenceGroupStats(q: Queryable, wave: WaveRef, dims: readonly Dimension[]): Promise<GroupStats[]> {
  const withCategory = dims.includes("key-population");
  const [a, b] = dims;
  if (a === undefined) throw new RangeError("a dimension");
  const d0 = DIM_SQL[a];
  const d1 = b === undefined ? "NULL::text" : DIM_SQL[b];
  const sets = b === undefined ? `(${d0}), ()` : `(${d0}, ${d1}), (${d0}), (${d1}), ()`;
  const g1 = b === undefined ? "1" : `GROUPING(${d1})`;
  const lateral = withCategory
    ? `CROSS JOIN LATERAL (SELECT x AS category FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(s.key_population) = 'array' THEN s.key_population ELSE '[]'::jsonb END) AS x
                           UNION ALL SELECT 'none' WHERE jsonb_typeof(s.key_population) <> 'array' OR jsonb_array_length(s.key_population) = 0) AS kp`
    : "";
  const { rows } = await q.query<Record<string, unknown> & { d0: string | null; d1: string | null; g0: number; g1: number }>(
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
  const n = (v: unknown): number => v as number;
  return rows.map((r) => ({
    key: b === undefined ? [r.d0 ?? ""] : [r.d0 ?? "", r.d1 ?? ""],
    rolled: b === undefined ? [r.g0 === 1] : [r.g0 === 1, r.g1 === 1],
    population: n(r.population),
    coverage: { "opted-out": n(r.opted_out), pending: n(r.pending), consented: n(r.consented), declined: n(r.declined), completed: n(r.completed), questionable: n(r.questionable) },
    tiers: { none: n(r.t_none), yellow: n(r.t_yellow), orange: n(r.t_orange), red: n(r.t_red) },
    who5: { n: n(r.w_n), mean: r.w_mean as number | null, sd: r.w_sd as number | null },
  }));
}

async function referenceFactorStats(q: Queryable, wave: WaveRef, items: readonly string[]): Promise<FactorCell[]> {
  const value = (i: number): string => `c${i}`;
  const extract = items
    .map((item, i) => `CASE WHEN jsonb_typeof(p.answers->'wellbeing-factors'->'${item}') = 'number' AND (p.answers->'wellbeing-factors'->>'${item}') ~ '^[0-9]{1,3}$'
                           THEN (p.answers->'wellbeing-factors'->>'${item}')::int END AS ${value(i)}`)
    .join(",\n              ");
  const { rows } = await q.query<{ n: number; mean: number | null; sd: number | null } & Record<string, unknown>>(
    `SELECT ${items.map((_, i) => `${value(i)}, GROUPING(${value(i)})::int AS g${i}`).join(", ")},
            count(x.who5)::int AS n, avg(x.who5) AS mean, stddev_samp(x.who5) AS sd
       FROM (SELECT CASE WHEN r.scores->'who5'->>'kind' = 'scored' AND jsonb_typeof(r.scores->'who5'->'percent') = 'number'
                         THEN (r.scores->'who5'->>'percent')::float8 END AS who5,
              ${extract}
               FROM waves w
               JOIN responses p ON p.wave_id = w.id AND p.status = 'submitted'
               JOIN results r ON r.response_id = p.id
              WHERE w.school_year = $1 AND w.season = $2) AS x
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

/** Rows in one order, so two answers can be compared entry by entry. */
const sortedStats = (stats: readonly GroupStats[]): GroupStats[] => [...stats].sort((x, y) => JSON.stringify([x.rolled, x.key]).localeCompare(JSON.stringify([y.rolled, y.key])));
const sortedCells = (cells: readonly FactorCell[]): FactorCell[] => [...cells].sort((x, y) => x.item.localeCompare(y.item) || x.category - y.category);

/** Equal counts; means and SDs equal up to float rounding (the order of summation may differ). */
function expectSameStats(actual: readonly GroupStats[], expected: readonly GroupStats[]): void {
  const a = sortedStats(actual);
  const e = sortedStats(expected);
  expect(a.map((s) => [s.key, s.rolled, s.population, s.coverage, s.tiers, s.who5.n])).toEqual(e.map((s) => [s.key, s.rolled, s.population, s.coverage, s.tiers, s.who5.n]));
  a.forEach((s, i) => {
    const r = e[i]!;
    for (const [x, y] of [
      [s.who5.mean, r.who5.mean],
      [s.who5.sd, r.who5.sd],
    ] as const) {
      if (y === null) expect(x).toBeNull();
      else expect(x).toBeCloseTo(y, 9);
    }
  });
}

const FACTOR_ITEMS = ["sleep", "exercise", "screen-time", "friends", "pressure", "family"];

describeEachDatabase("analytics SQL against its GROUPING SETS reference", (getDb) => {
  let t: TestServer;
  let seq = 0;
  const nextId = (prefix: string): string => `${prefix}-${(++seq).toString().padStart(5, "0")}`;
  // a fixed pseudo-random sequence (the same district on every run)
  let state = 12345;
  const random = (n: number): number => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return Math.floor((state / 2147483648) * n);
  };
  const spring: WaveRef = { schoolYear: "2025-2026", season: "spring" };
  const autumn: WaveRef = { schoolYear: "2025-2026", season: "autumn" };
  const empty: WaveRef = { schoolYear: "2026-2027", season: "spring" };

  async function respond(waveId: string, studentId: string, status: string, answers: unknown, result?: { tier: string; scores: unknown; validity: unknown }): Promise<void> {
    const id = nextId("resp");
    const at = "2026-03-10T08:00:00Z";
    await t.db.query(
      `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
       VALUES ($1, $2, $3, 'secondary', $4, $5, $6, $6, $7)`,
      [id, waveId, studentId, status, JSON.stringify(answers), at, status === "submitted" ? at : null],
    );
    if (result === undefined) return;
    await t.db.query(`INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at) VALUES ($1, $2, $3, $4, '[]', 'default-v1', $5)`, [
      id,
      JSON.stringify(result.scores),
      JSON.stringify(result.validity),
      result.tier,
      at,
    ]);
  }

  beforeAll(async () => {
    t = await startTestServer(getDb());
    const schools = [await t.seed.school({ code: "A01" }), await t.seed.school({ code: "B02" }), await t.seed.school({ code: "C03" })];
    const classes = [
      [await t.seed.klass(schools[0]!, 7), await t.seed.klass(schools[0]!, 8)],
      [await t.seed.klass(schools[1]!, 7), await t.seed.klass(schools[1]!, 9)],
      [await t.seed.klass(schools[2]!, 8)],
    ];
    const springWaves = [];
    const autumnWaves = [];
    for (const s of schools) {
      springWaves.push(await addWave(t.db, s, spring.schoolYear, spring.season));
      autumnWaves.push(await addWave(t.db, s, autumn.schoolYear, autumn.season));
    }
    // the empty district wave: one school's wave, nobody in that school
    const lone = await t.seed.school({ code: "D04" });
    await addWave(t.db, lone, empty.schoolYear, empty.season);

    const lists: unknown[] = [[], [], [], ["financialHardship"], ["newStudent", "transferStudent"], ["newStudent", "newStudent"], ["disability", null], { not: "a list" }, "text"];
    const factorAnswers = (): unknown => {
      switch (random(8)) {
        case 0:
          return {};
        case 1:
          return { "wellbeing-factors": [1, 2, 3] };
        case 2:
          return { "wellbeing-factors": { sleep: "3", exercise: 2.5, "screen-time": -1, friends: 1000, pressure: null, family: { deep: 1 } } };
        default:
          return { "wellbeing-factors": Object.fromEntries(FACTOR_ITEMS.map((item) => [item, random(5)])) };
      }
    };
    const scores = (): unknown => {
      switch (random(10)) {
        case 0:
          return {};
        case 1:
          return { who5: { kind: "scored", percent: "80" } };
        case 2:
          return { who5: { kind: "incomplete" } };
        default:
          return { who5: { kind: "scored", percent: random(26) * 4 } };
      }
    };
    const tiers = ["none", "yellow", "orange", "red"];
    for (let i = 0; i < 160; i++) {
      const school = random(3);
      const klass = classes[school]![random(classes[school]!.length)]!;
      const id = await t.seed.student(klass);
      await t.db.query("UPDATE students SET gender = $2, key_population = $3 WHERE id = $1", [id, [null, "male", "female"][random(3)], JSON.stringify(lists[random(lists.length)])]);
      for (const waves of [springWaves, autumnWaves]) {
        const waveId = waves[school]!;
        const what = random(12);
        if (what === 0) await t.db.query("INSERT INTO consents (wave_id, student_id, status, source, updated_at) VALUES ($1, $2, 'opted-out', 'school', now())", [waveId, id]);
        else if (what === 1) await t.db.query("INSERT INTO consents (wave_id, student_id, status, source, updated_at) VALUES ($1, $2, 'consented', 'school', now())", [waveId, id]);
        else if (what === 2) await respond(waveId, id, "declined", {});
        else if (what === 3) await respond(waveId, id, "in-progress", factorAnswers());
        else if (what === 4) await respond(waveId, id, "submitted", factorAnswers()); // no result row
        else if (what > 5) {
          const validity = random(6) === 0 ? { kind: "questionable", reasons: [] } : { kind: "valid" };
          await respond(waveId, id, "submitted", factorAnswers(), { tier: tiers[random(4)]!, scores: scores(), validity });
        }
      }
      // some leave: those with a spring response still count there, the others drop out of it
      if (random(8) === 0) await t.db.query("UPDATE students SET status = 'left' WHERE id = $1", [id]);
      // some moved school after responding: their response stays with the old school's wave, uncounted
      else if (random(10) === 0) await t.db.query("UPDATE students SET school_id = $2, class_id = $3 WHERE id = $1", [id, schools[(school + 1) % 3], classes[(school + 1) % 3]![0]]);
    }
  });
  afterAll(() => t.app.close());

  const breakDowns: Dimension[][] = [["school"], ["grade"], ["gender"], ["key-population"], ["school", "grade"], ["school", "key-population"]];
  for (const wave of [spring, autumn, empty]) {
    for (const dims of breakDowns) {
      it(`groupStats by ${dims.join(",")} of ${wave.schoolYear} ${wave.season} equals the GROUPING SETS query`, async () => {
        const expected = await referenceGroupStats(t.db, wave, dims);
        expect(expected.some((s) => s.rolled.every(Boolean))).toBe(true);
        expectSameStats(await groupStats(t.db, wave, dims), expected);
      });
    }
    it(`factorStats of ${wave.schoolYear} ${wave.season} equals the GROUPING SETS query`, async () => {
      const actual = sortedCells(await factorStats(t.db, wave, FACTOR_ITEMS));
      const expected = sortedCells(await referenceFactorStats(t.db, wave, FACTOR_ITEMS));
      expect(actual.map((c) => [c.item, c.category, c.n])).toEqual(expected.map((c) => [c.item, c.category, c.n]));
      actual.forEach((c, i) => {
        for (const [x, y] of [
          [c.mean, expected[i]!.mean],
          [c.sd, expected[i]!.sd],
        ] as const) {
          if (y === null) expect(x).toBeNull();
          else expect(x).toBeCloseTo(y, 9);
        }
      });
    });
  }

  it("the district fixture has the odd cases it is meant to have", async () => {
    const stats = await groupStats(t.db, spring, ["key-population"]);
    const categories = stats.filter((s) => !s.rolled[0]).map((s) => s.key[0]);
    // a null element of a list is a group of its own (key ""), as in the reference
    expect(categories).toEqual(expect.arrayContaining(["none", "financialHardship", "newStudent", "transferStudent", "disability", ""]));
    const district = stats.find((s) => s.rolled[0])!;
    expect(district.who5.n).toBeGreaterThan(20);
    expect(Object.values(district.coverage).every((n) => n > 0)).toBe(true);
    const cells = await factorStats(t.db, spring, FACTOR_ITEMS);
    expect(new Set(cells.map((c) => c.item))).toEqual(new Set(FACTOR_ITEMS));
  });

  it("the empty wave has only the district row, with nobody in it", async () => {
    expect(await groupStats(t.db, empty, ["school", "grade"])).toEqual([
      { key: ["", ""], rolled: [true, true], population: 0, coverage: { "opted-out": 0, pending: 0, consented: 0, declined: 0, completed: 0, questionable: 0 }, tiers: { none: 0, yellow: 0, orange: 0, red: 0 }, who5: { n: 0, mean: null, sd: null } },
    ]);
  });
});
