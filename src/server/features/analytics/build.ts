/**
 * One function per analytics table: database → published table. Shared by the HTTP routes and the
 * `xinqing export aggregates` command, so both give exactly the same numbers.
 */
import { wellbeingFactors } from "../../../../instruments/wellbeing-factors";
import type { AnalyticsTable, Dimension, HighIncidence, Movement, SchoolGradeBy, TableColumn, TierBy } from "../../../shared/analytics";
import type { Queryable } from "../../db/database";
import { minCellSize } from "./publish";
import { factorStats, followUpStats, groupStats, movementCounts, parseWaveKey, schoolLabels, storedMinCellSize, waveExists } from "./queries";
import { coverageTable, factorTable, followUpTable, happinessTable, highIncidenceTable, movementTable, tierTable, type FactorSpec } from "./tables";

/** The district wave asked for does not exist (no school has a wave of that year and season). */
export class UnknownWave extends Error {
  constructor(readonly wave: string) {
    super(`no school has a wave ${wave}`);
    this.name = "UnknownWave";
  }
}

export const dimsOf = (by: SchoolGradeBy | TierBy): Dimension[] => by.split(",") as Dimension[];

/** k in force: the stored setting, never below 10. */
export async function currentK(q: Queryable): Promise<number> {
  return minCellSize(await storedMinCellSize(q));
}

async function checkedWave(q: Queryable, wave: string) {
  const ref = parseWaveKey(wave);
  if (!(await waveExists(q, ref))) throw new UnknownWave(wave);
  return ref;
}

export async function buildCoverage(q: Queryable, wave: string, by: SchoolGradeBy, k: number): Promise<AnalyticsTable> {
  const ref = await checkedWave(q, wave);
  const dims = dimsOf(by);
  const [stats, schools] = [await groupStats(q, ref, dims), await schoolLabels(q)];
  return coverageTable(wave, dims, stats, schools, k);
}

export async function buildTiers(q: Queryable, wave: string, by: TierBy, k: number): Promise<AnalyticsTable> {
  const ref = await checkedWave(q, wave);
  const dims = dimsOf(by);
  const [stats, schools] = [await groupStats(q, ref, dims), await schoolLabels(q)];
  return tierTable(wave, dims, stats, schools, k);
}

export async function buildHappiness(q: Queryable, wave: string, by: SchoolGradeBy, k: number): Promise<AnalyticsTable> {
  const ref = await checkedWave(q, wave);
  const dims = dimsOf(by);
  const [stats, schools] = [await groupStats(q, ref, dims), await schoolLabels(q)];
  return happinessTable(wave, dims, stats, schools, k);
}

/** The factor items of instruments/wellbeing-factors.ts, without the attention check. */
export const FACTORS: readonly FactorSpec[] = wellbeingFactors.items
  .filter((item) => !item.attention && item.type === "single")
  .map((item) => ({
    item: item.id,
    label: item.text,
    options: (item.options ?? []).flatMap((o) => (typeof o.value === "number" ? [{ value: o.value, label: o.label }] : [])),
  }));

export async function buildFactors(q: Queryable, wave: string, k: number): Promise<AnalyticsTable> {
  const ref = await checkedWave(q, wave);
  const cells = await factorStats(q, ref, FACTORS.map((f) => f.item));
  return factorTable(wave, FACTORS, cells, k);
}

export async function buildHighIncidence(q: Queryable, wave: string, k: number): Promise<HighIncidence> {
  const ref = await checkedWave(q, wave);
  const [stats, schools] = [await groupStats(q, ref, ["school"]), await schoolLabels(q)];
  return highIncidenceTable(wave, stats, schools, k);
}

export async function buildMovement(q: Queryable, from: string, to: string, k: number): Promise<Movement> {
  const [a, b] = [await checkedWave(q, from), await checkedWave(q, to)];
  return movementTable(from, to, await movementCounts(q, a, b), k);
}

/** Case follow-up quality per school; cases count as overdue when past their due date at `now`. */
export async function buildFollowUp(q: Queryable, wave: string, now: Date, k: number): Promise<AnalyticsTable> {
  const ref = await checkedWave(q, wave);
  const [stats, schools] = [await followUpStats(q, ref, now), await schoolLabels(q)];
  return followUpTable(wave, stats, schools, k);
}

/**
 * The full aggregate export: per group, the coverage, tier and happiness columns side by side, each
 * block exactly as its own endpoint publishes it (suppressed on its own). The margin rows of the
 * happiness table by school and grade are not repeated here.
 */
export async function buildAggregates(q: Queryable, wave: string, by: SchoolGradeBy, k: number): Promise<AnalyticsTable> {
  const ref = await checkedWave(q, wave);
  const dims = dimsOf(by);
  const [stats, schools] = [await groupStats(q, ref, dims), await schoolLabels(q)];
  const parts = [coverageTable(wave, dims, stats, schools, k), tierTable(wave, dims, stats, schools, k), happinessTable(wave, dims, stats, schools, k)];
  const groupCount = parts[0]?.columns.filter((c) => c.type === "group").length ?? 0;
  const keyOf = (row: readonly unknown[]): string => JSON.stringify(row.slice(0, groupCount));
  const lookups = parts.map((p) => new Map(p.rows.map((r) => [keyOf(r), r.slice(groupCount)])));
  const base = parts[0];
  if (!base) throw new Error("unreachable");
  const prefixed = (p: AnalyticsTable): TableColumn[] =>
    p.columns.slice(groupCount).map((c) => ({ ...c, key: `${p.id}.${c.key}`, label: { "zh-CN": `${p.title["zh-CN"]}：${c.label["zh-CN"]}`, en: `${p.id} ${c.label.en}` } }));
  return {
    id: "aggregates",
    title: { "zh-CN": "汇总数据导出", en: "Aggregate export" },
    wave,
    by: dims,
    k,
    columns: [...base.columns.slice(0, groupCount), ...parts.flatMap(prefixed)],
    rows: base.rows.map((r) => {
      const key = keyOf(r);
      return [...r.slice(0, groupCount), ...parts.flatMap((p, i) => lookups[i]?.get(key) ?? p.columns.slice(groupCount).map(() => null))];
    }),
    notes: parts.flatMap((p) => p.notes),
  };
}
