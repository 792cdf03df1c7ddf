/**
 * The district's privacy rule for aggregates, and the statistics over what may be published. Pure.
 *
 * ## The rule (enforced here, in the server; the SPA only draws what it gets)
 *
 * 1. Threshold k = the setting `analytics.min_cell_size` (default 10). It can be raised, never
 *    lowered: a stored value below 10, fractional or not a number is ignored and 10 applies.
 * 2. Every count table (groups × categories, e.g. schools × tiers) goes through `suppressSmallCells`
 *    (scoring/aggregate.ts) before anything is derived from it: no published cell or total is below
 *    k (0 included), no published cell leaves a complement below k in its row, and every suppressed
 *    cell or total is protected by complementary suppression so that it cannot be recovered from the
 *    published cells and margins (see that function for the exact guarantees).
 * 3. A rate is published only when its count and its denominator are both published, and never as
 *    exactly 0 % or 100 % (rules 1-2 already imply this; the check stands on its own).
 * 4. A mean (WHO-5) or a difference of means is published only for a group whose head count is
 *    published by rule 2 applied to the table of head counts; a group's sum can then not be recovered
 *    from the margins either (a cycle of hidden counts hides the sums along it).
 * 5. No endpoint returns a row per student or any per-student field; groups are schools, grades,
 *    genders, key-population categories, answer categories and tiers.
 *
 * Known limit: each table is protected on its own. Two break-downs of the same wave (by school and by
 * school and grade) are separate tables with different margins; a reader combining them could in
 * some layouts narrow a hidden cell. Statistical agencies treat this ("linked tables") with joint
 * suppression over all published tables, which is not done here.
 */
import { meanFromSummary, rate, suppressSmallCells, type GroupSummary, type PublishableTable } from "../../../../scoring/index";

/** The district's minimum threshold: k can be configured upwards only. */
export const MIN_CELL_SIZE = 10;

/** k from the stored setting: an integer ≥ 10, else 10 (rule 1). */
export function minCellSize(stored: unknown): number {
  return typeof stored === "number" && Number.isInteger(stored) && stored >= MIN_CELL_SIZE && stored <= 1_000_000 ? stored : MIN_CELL_SIZE;
}

/**
 * `suppressSmallCells` that also accepts a table without rows (a wave with no school yet): nothing to
 * publish, and a grand total of 0 is suppressed like any count below k.
 */
export function publishCounts(table: readonly (readonly number[])[], columns: number, k: number): PublishableTable {
  if (table.length === 0) return { cells: [], rowTotals: [], columnTotals: new Array<number | null>(columns).fill(null), grandTotal: null };
  return suppressSmallCells(table, k);
}

/** [rate, lower, upper] of x / n with its 95 % Wilson interval, or nulls unless rule 3 allows it. */
export function publishedRate(x: number | null, n: number | null): [number | null, number | null, number | null] {
  if (x === null || n === null || n === 0 || x === 0 || x === n) return [null, null, null];
  const r = rate(x, n);
  return r.kind === "rate" ? [r.rate, r.lower, r.upper] : [null, null, null];
}

/** What SQL gives for a group of values: count, mean and sample standard deviation. */
export interface Summary {
  readonly n: number;
  readonly mean: number | null;
  /** Sample SD (n − 1 denominator); null for n < 2. */
  readonly sd: number | null;
}

/** A database summary as the scoring library's group summary (null mean or SD: no values, or one). */
export function groupSummary(s: Summary): GroupSummary {
  return { n: s.n, mean: s.mean ?? 0, sd: s.sd ?? 0 };
}

/** [mean, lower, upper] when the group's head count is published (rule 4) and has an interval. */
export function publishedMean(publishedN: number | null, s: Summary | undefined): [number | null, number | null, number | null] {
  if (publishedN === null || s === undefined || s.n !== publishedN) return [null, null, null];
  const m = meanFromSummary(groupSummary(s));
  return m.kind === "mean" ? [m.mean, m.lower, m.upper] : [null, null, null];
}
