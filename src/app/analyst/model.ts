/**
 * Pure view-model helpers of the analyst's dashboards (/analyst): which URL each chart reads and
 * downloads, how a published aggregate table becomes a table view and chart series, and how a cell the
 * server left out (`null`) is told apart as hidden ("fewer than k") or not applicable. No React, no
 * fetch and no ECharts here, so the tests call them directly.
 *
 * The server decides what is published (src/server/features/analytics/publish.ts); this module only
 * draws it. It never turns a hidden cell into a number: hidden stays `null` all the way into the charts.
 */
import type { AnalyticsTable, DistrictWaveList, TableCell, TableColumn } from "../../shared/analytics";

// ---------------------------------------------------------------------------------------------
// Charts, waves, break-downs and URLs
// ---------------------------------------------------------------------------------------------

/** One dashboard chart = one analytics endpoint (its path under /api/analytics/). */
export type ChartId = "coverage" | "tiers" | "movement" | "happiness" | "factors" | "high-incidence" | "follow-up";

/** The break-downs the analyst can pick; each chart uses it where its endpoint supports it. */
export type Breakdown = "school" | "grade" | "school,grade" | "gender" | "key-population";

export const BREAKDOWNS: readonly { readonly value: Breakdown; readonly label: string }[] = [
  { value: "school", label: "学校 · School" },
  { value: "grade", label: "年级 · Grade" },
  { value: "school,grade", label: "学校 × 年级 · School × grade" },
  { value: "gender", label: "性别 · Gender" },
  { value: "key-population", label: "重点类别 · Key category" },
];

export type CsvEncoding = "utf-8" | "gb18030";

/** What the analyst picked: the district wave, the wave to compare with (movement), the break-down. */
export interface Selection {
  readonly wave: string;
  /** The other wave of the movement chart, or null when there is none. */
  readonly compareWith: string | null;
  readonly by: Breakdown;
}

type DistrictWave = DistrictWaveList["waves"][number];

/** Order of district waves in time: a school year's autumn term comes before its spring term. */
export function waveOrder(key: string): number {
  const [years = "", season = ""] = key.split(":");
  return Number(years.slice(0, 4)) * 2 + (season === "spring" ? 1 : 0);
}

/** The district waves, newest first. */
export function wavesNewestFirst(waves: readonly DistrictWave[]): DistrictWave[] {
  return [...waves].sort((a, b) => waveOrder(b.key) - waveOrder(a.key));
}

/** The newest wave before `key`: the default to compare with. */
export function previousWave(waves: readonly DistrictWave[], key: string): string | null {
  return wavesNewestFirst(waves).find((w) => waveOrder(w.key) < waveOrder(key))?.key ?? null;
}

const SEASON = { spring: "春季 spring", autumn: "秋季 autumn" } as const;

/** "2025-2026 春季 spring（3 所学校 · 3 schools）" */
export function waveName(w: DistrictWave): string {
  return `${w.schoolYear} ${SEASON[w.season]}（${w.schools} 所学校 · ${w.schools} school${w.schools === 1 ? "" : "s"}）`;
}

/** "2025-2026 春季 spring" from a wave key. */
export function waveKeyName(key: string): string {
  const [years = "", season = ""] = key.split(":");
  return season === "spring" || season === "autumn" ? `${years} ${SEASON[season]}` : key;
}

/**
 * The break-down a chart uses for the analyst's pick: coverage and happiness are by school and/or grade
 * only (they fall back to school, and say so); tiers take every break-down; the funnel plot and the
 * follow-up table are per school by nature, the factors district-wide, the movement a tier table.
 */
export function breakdownFor(chart: ChartId, by: Breakdown): { readonly by: Breakdown | null; readonly note: string | null } {
  switch (chart) {
    case "coverage":
    case "happiness":
      return by === "gender" || by === "key-population" ? { by: "school", note: "本图只按学校或年级分组，现按学校显示。This chart is by school or grade only; shown by school." } : { by, note: null };
    case "tiers":
      return { by, note: null };
    case "movement":
    case "factors":
    case "high-incidence":
    case "follow-up":
      return { by: null, note: null };
  }
}

/** The movement's two waves, earlier first, or null without a second wave. */
export function movementWaves(sel: Selection): { readonly from: string; readonly to: string } | null {
  if (sel.compareWith === null || sel.compareWith === sel.wave) return null;
  return waveOrder(sel.compareWith) <= waveOrder(sel.wave) ? { from: sel.compareWith, to: sel.wave } : { from: sel.wave, to: sel.compareWith };
}

/** The query string of a chart's endpoint, or null when the chart cannot be drawn (movement with one wave). */
export function chartQuery(chart: ChartId, sel: Selection): string | null {
  const params = new URLSearchParams();
  if (chart === "movement") {
    const pair = movementWaves(sel);
    if (pair === null) return null;
    params.set("from", pair.from);
    params.set("to", pair.to);
  } else {
    params.set("wave", sel.wave);
    const { by } = breakdownFor(chart, sel.by);
    if (by !== null) params.set("by", by);
  }
  return params.toString();
}

/** The JSON endpoint a chart draws. */
export function dataUrl(chart: ChartId, sel: Selection): string | null {
  const query = chartQuery(chart, sel);
  return query === null ? null : `/api/analytics/${chart}?${query}`;
}

/**
 * The CSV twin of the chart's endpoint with the same query, so the file is exactly the table shown,
 * suppressed and formula-guarded by the server. UTF-8 with a BOM is the server's default.
 */
export function csvUrl(chart: ChartId, sel: Selection, encoding: CsvEncoding): string | null {
  const query = chartQuery(chart, sel);
  if (query === null) return null;
  return `/api/analytics/${chart}.csv?${query}${encoding === "gb18030" ? "&encoding=gb18030" : ""}`;
}

/** The PNG file name of a chart: its title, the wave and the break-down, without characters a file system refuses. */
export function pngFileName(table: Pick<AnalyticsTable, "title" | "wave" | "by">): string {
  const by = table.by.length > 0 ? `_${table.by.join("-")}` : "";
  return `${table.title["zh-CN"]}_${table.wave}${by}.png`.replace(/[\\/:*?"<>|→\s]+/g, "_");
}

// ---------------------------------------------------------------------------------------------
// Cells and the table view
// ---------------------------------------------------------------------------------------------

/** Label of a margin ("all groups") cell, as the server writes it. */
export const ALL = "全部 all";

/** The note under every table or chart with hidden cells. */
export function hiddenNote(k: number): string {
  return `少于 ${k} 人，已隐藏 · fewer than ${k}, hidden`;
}

export const NOT_APPLICABLE = "不适用 · not applicable";

/** How one cell shows: a formatted value, hidden by the privacy rule, or not applicable to its row. */
export type CellView = { readonly kind: "value"; readonly text: string } | { readonly kind: "hidden" } | { readonly kind: "not-applicable" };

const POSITION: Readonly<Record<string, string>> = {
  above998: "高于 99.8% 上限 · above 99.8%",
  above95: "高于 95% 上限 · above 95%",
  within: "控制限内 · within",
  below95: "低于 95% 下限 · below 95%",
  below998: "低于 99.8% 下限 · below 99.8%",
};

/** A published value as the tables show it: rates in per cent, means and days with one decimal. */
export function formatValue(type: TableColumn["type"], value: string | number): string {
  if (typeof value === "string") return type === "text" ? (POSITION[value] ?? value) : value;
  switch (type) {
    case "rate":
      return `${(value * 100).toFixed(1)}%`;
    case "mean":
      return value.toFixed(1);
    case "difference":
      return value > 0 ? `+${value.toFixed(1)}` : value < 0 ? `−${Math.abs(value).toFixed(1)}` : "0.0";
    case "days":
      return Number.isInteger(value) ? String(value) : value.toFixed(1);
    case "count":
    case "group":
    case "text":
      return String(value);
  }
}

export function columnIndex(table: Pick<AnalyticsTable, "columns">, key: string): number {
  return table.columns.findIndex((c) => c.key === key);
}

/** A row's cell by column key (undefined when the table has no such column). */
export function cellOf(table: Pick<AnalyticsTable, "columns">, row: readonly TableCell[], key: string): TableCell | undefined {
  const i = columnIndex(table, key);
  return i < 0 ? undefined : row[i];
}

/** A row is a margin (total) row when one of its group cells reads "全部 all". */
export function isMarginRow(table: Pick<AnalyticsTable, "columns">, row: readonly TableCell[]): boolean {
  return table.columns.some((c, i) => c.type === "group" && row[i] === ALL);
}

/**
 * The estimate an interval bound belongs to: `none_lower` → `none_rate`, `lower` → `mean` (or `rate`),
 * `difference_upper` → `difference`, `rate_lower` → `rate`.
 */
function estimateOf(key: string, keys: ReadonlySet<string>): string | undefined {
  const m = /^(.*?)_?(lower|upper)$/.exec(key);
  if (!m) return undefined;
  const prefix = m[1] ?? "";
  const candidates = prefix === "" ? ["mean", "rate"] : [`${prefix}_rate`, prefix];
  return candidates.find((c) => keys.has(c));
}

/** Funnel-plot columns that exist only for a school placed on the funnel. */
const FUNNEL_ONLY = new Set(["lower95", "upper95", "lower998", "upper998", "position"]);

/**
 * Whether a `null` is a hidden cell or a cell with nothing to show. The server sends `null` for both
 * (src/shared/analytics.ts); the table's structure tells them apart:
 * - an interval bound whose estimate is published has no interval (the reference answer's difference
 *   of 0, the district rate of the funnel plot): not applicable;
 * - the district row of the funnel plot has no control limits of its own: not applicable;
 * - the "all answers" row of a factor has a head count but no mean of its own: not applicable;
 * - every other null is hidden. An empty group (0 students) is also below k, so "fewer than k" holds.
 */
export function cellView(table: Pick<AnalyticsTable, "id" | "columns">, row: readonly TableCell[], col: number): CellView {
  const column = table.columns[col];
  const value = row[col];
  if (column === undefined) return { kind: "not-applicable" };
  if (value !== null && value !== undefined) return { kind: "value", text: formatValue(column.type, value) };
  if (column.type === "group" || column.type === "text") return column.key === "position" && !isMarginRow(table, row) ? { kind: "hidden" } : { kind: "not-applicable" };
  if (column.type === "count") return { kind: "hidden" };
  const keys = new Set(table.columns.map((c) => c.key));
  const estimate = estimateOf(column.key, keys);
  if (estimate !== undefined && estimate !== column.key) {
    const e = cellOf(table, row, estimate);
    if (e !== null && e !== undefined) return { kind: "not-applicable" };
  }
  if (FUNNEL_ONLY.has(column.key) && isMarginRow(table, row)) return { kind: "not-applicable" };
  if (table.id === "factors" && isMarginRow(table, row) && cellOf(table, row, "n") !== null) return { kind: "not-applicable" };
  return { kind: "hidden" };
}

/** A table as the page renders it: caption, bilingual headers, every cell's view, and the notes. */
export interface TableView {
  readonly caption: string;
  readonly headers: readonly string[];
  /** Column types, for alignment (numbers right). */
  readonly types: readonly TableColumn["type"][];
  readonly rows: readonly (readonly CellView[])[];
  /** How many cells are hidden: the note under the table shows when any is. */
  readonly hidden: number;
  readonly notes: readonly string[];
}

export function tableView(table: AnalyticsTable): TableView {
  const rows = table.rows.map((row) => table.columns.map((_, i) => cellView(table, row, i)));
  const hidden = rows.reduce((s, r) => s + r.filter((c) => c.kind === "hidden").length, 0);
  const wave = table.id === "movement" ? table.wave.split("→").map(waveKeyName).join(" → ") : waveKeyName(table.wave);
  return {
    caption: `${table.title["zh-CN"]} · ${table.title.en}（${wave}）`,
    headers: table.columns.map((c) => `${c.label["zh-CN"]} · ${c.label.en}`),
    types: table.columns.map((c) => c.type),
    rows,
    hidden,
    notes: [...(hidden > 0 ? [hiddenNote(table.k)] : []), ...table.notes.map((n) => `${n["zh-CN"]} ${n.en}`)],
  };
}

/** What a cell shows as text: the value, "—" when hidden, "" when not applicable. */
export function cellText(cell: CellView): string {
  return cell.kind === "value" ? cell.text : cell.kind === "hidden" ? "—" : "";
}

/**
 * A row's group as a chart label: the school's name (not its code), "7年级", the gender, the key
 * category's name; "全区" for the district row. Several dimensions are joined with " · ".
 */
export function groupLabel(table: Pick<AnalyticsTable, "columns">, row: readonly TableCell[]): string {
  const parts: string[] = [];
  const keys = new Set(table.columns.map((c) => c.key));
  table.columns.forEach((c, i) => {
    if (c.type !== "group") return;
    if ((c.key === "school_code" && keys.has("school")) || (c.key === "category" && keys.has("category_name"))) return;
    const v = row[i];
    if (v === ALL || v === null || v === undefined) return;
    parts.push(c.key === "grade" ? `${v}年级` : String(v));
  });
  return parts.length === 0 ? "全区 · District" : parts.join(" · ");
}

// ---------------------------------------------------------------------------------------------
// Chart series
// ---------------------------------------------------------------------------------------------

/** A published estimate with its interval; every part null when hidden or not given. */
export interface Estimate {
  readonly value: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  /** The head count behind it, when published. */
  readonly n: number | null;
  /** True when the value is hidden by the privacy rule (shown as "—", never as 0). */
  readonly hidden: boolean;
}

export interface EstimateSeries {
  readonly key: string;
  readonly name: string;
  readonly points: readonly Estimate[];
}

/** Groups (one per row) with one or more series of estimates: the shape of every bar chart here. */
export interface GroupedEstimates {
  readonly groups: readonly string[];
  readonly series: readonly EstimateSeries[];
  /** Groups with at least one hidden value, marked "*" on the axis. */
  readonly groupsWithHidden: readonly boolean[];
}

const num = (v: TableCell | undefined): number | null => (typeof v === "number" ? v : null);

function estimateAt(table: AnalyticsTable, row: readonly TableCell[], keys: { value: string; lower: string; upper: string; n: string }): Estimate {
  const col = columnIndex(table, keys.value);
  const value = num(row[col]);
  return {
    value,
    lower: num(cellOf(table, row, keys.lower)),
    upper: num(cellOf(table, row, keys.upper)),
    n: num(cellOf(table, row, keys.n)),
    hidden: value === null && col >= 0 && cellView(table, row, col).kind === "hidden",
  };
}

function grouped(table: AnalyticsTable, rows: readonly (readonly TableCell[])[], series: readonly { key: string; name: string; keys: { value: string; lower: string; upper: string; n: string } }[]): GroupedEstimates {
  const built = series.map((s) => ({ key: s.key, name: s.name, points: rows.map((r) => estimateAt(table, r, s.keys)) }));
  return {
    groups: rows.map((r) => groupLabel(table, r)),
    series: built,
    groupsWithHidden: rows.map((_, i) => built.some((s) => s.points[i]?.hidden === true)),
  };
}

export const TIERS = [
  { key: "none", name: "无预警 · none", color: "#94a3b8" },
  { key: "yellow", name: "黄色 · yellow", color: "#eab308" },
  { key: "orange", name: "橙色 · orange", color: "#ea580c" },
  { key: "red", name: "红色 · red", color: "#b91c1c" },
] as const;

export const COVERAGE = [
  { key: "completed", name: "有效完成 · completed", color: "#15803d" },
  { key: "questionable", name: "质量存疑 · questionable", color: "#84cc16" },
  { key: "declined", name: "学生拒答 · declined", color: "#a855f7" },
  { key: "consented", name: "已同意未完成 · consented, not done", color: "#0ea5e9" },
  { key: "pending", name: "未答复 · pending", color: "#cbd5e1" },
  { key: "opted-out", name: "监护人不同意 · opted out", color: "#64748b" },
] as const;

const rateKeys = (c: string, total = "n") => ({ value: `${c}_rate`, lower: `${c}_lower`, upper: `${c}_upper`, n: total });

/** Coverage: per group, each category's share of the enrolled students (rates; counts in the table). */
export function coverageSeries(table: AnalyticsTable): GroupedEstimates {
  return grouped(table, table.rows, COVERAGE.map((c) => ({ key: c.key, name: c.name, keys: rateKeys(c.key) })));
}

/** Tier distribution: per group, each tier's rate with its Wilson 95 % interval. */
export function tierSeries(table: AnalyticsTable): GroupedEstimates {
  return grouped(table, table.rows, TIERS.map((t) => ({ key: t.key, name: t.name, keys: rateKeys(t.key) })));
}

/** Happiness index: per group, the WHO-5 mean (0-100) with its 95 % interval. */
export function happinessSeries(table: AnalyticsTable): GroupedEstimates {
  return grouped(table, table.rows, [{ key: "who5", name: "WHO-5 均值 · mean", keys: { value: "mean", lower: "lower", upper: "upper", n: "n" } }]);
}

/** One answer of an influencing factor: the difference of its WHO-5 mean from the factor's reference answer. */
export interface FactorPoint extends Estimate {
  readonly factor: string;
  readonly label: string;
  readonly reference: boolean;
}

/**
 * Short names of the factor items of instruments/wellbeing-factors.ts: the table names a factor by its
 * whole question, too long for a chart axis. An item not listed here keeps its question.
 */
const FACTOR_NAMES: Readonly<Record<string, string>> = {
  sleep: "睡眠",
  exercise: "运动",
  "screen-time": "屏幕时间",
  friends: "好朋友",
  pressure: "学业压力",
  family: "家庭关系",
};

/** Influencing factors: every answer category (not the factor's "all" row), in the server's order. */
export function factorPoints(table: AnalyticsTable): FactorPoint[] {
  return table.rows
    .filter((r) => !isMarginRow(table, r))
    .map((r) => {
      const code = String(cellOf(table, r, "factor") ?? "");
      const factor = FACTOR_NAMES[code] ?? String(cellOf(table, r, "factor_name") ?? code);
      return {
        ...estimateAt(table, r, { value: "difference", lower: "difference_lower", upper: "difference_upper", n: "n" }),
        factor,
        label: `${factor}：${String(cellOf(table, r, "category_name") ?? "")}`,
        reference: cellOf(table, r, "reference") === "是 yes",
      };
    });
}

/** A school placed on the funnel plot (both its count and size published). */
export interface FunnelPoint {
  readonly label: string;
  readonly n: number;
  readonly rate: number;
  readonly position: string | null;
}

/** The schools on the funnel plot, and the ones left off because their counts are hidden. */
export function funnelPoints(table: AnalyticsTable): { readonly placed: FunnelPoint[]; readonly unplaced: string[] } {
  const placed: FunnelPoint[] = [];
  const unplaced: string[] = [];
  for (const r of table.rows) {
    if (isMarginRow(table, r)) continue;
    const n = num(cellOf(table, r, "n"));
    const rate = num(cellOf(table, r, "rate"));
    const position = cellOf(table, r, "position");
    if (n !== null && rate !== null) placed.push({ label: groupLabel(table, r), n, rate, position: typeof position === "string" ? position : null });
    else unplaced.push(groupLabel(table, r));
  }
  return { placed, unplaced };
}

/** Funnel-plot control limits over a range of school sizes: [n, limit] pairs, one array per limit. */
export interface FunnelCurves {
  readonly lower95: [number, number][];
  readonly upper95: [number, number][];
  readonly lower998: [number, number][];
  readonly upper998: [number, number][];
}

/**
 * The interpolated binomial quantile of Spiegelhalter (2005, appendix), as the server classifies the
 * schools (scoring/aggregate.ts funnelLimits): r_p the smallest r with F(r) ≥ p, the limit
 * (r_p − α) / n with α = (F(r_p) − p) / (F(r_p) − F(r_p − 1)). The probabilities are summed in logs,
 * p(r + 1) = p(r) · (n − r) / (r + 1) · θ / (1 − θ), so large schools do not underflow.
 */
function binomialLimits(theta: number, n: number, ps: readonly number[]): number[] {
  const cdf = new Float64Array(n + 1);
  const step = Math.log(theta) - Math.log1p(-theta);
  let logP = n * Math.log1p(-theta);
  let total = 0;
  for (let r = 0; r <= n; r++) {
    total += Math.exp(logP);
    cdf[r] = Math.min(1, total);
    logP += Math.log((n - r) / (r + 1)) + step;
  }
  return ps.map((p) => {
    let rp = n;
    for (let r = 0; r <= n; r++) {
      if ((cdf[r] ?? 1) >= p) {
        rp = r;
        break;
      }
    }
    const at = cdf[rp] ?? 1;
    const below = rp === 0 ? 0 : (cdf[rp - 1] ?? 0);
    return Math.min(1, Math.max(0, (rp - (at - p) / (at - below)) / n));
  });
}

/**
 * The funnel's four limit curves around the district rate for school sizes 1…`maxN` (at most `points`
 * sizes, spread evenly): only for drawing, the classification of each school is the server's.
 */
export function funnelCurves(districtRate: number, maxN: number, points = 120): FunnelCurves {
  const curves: FunnelCurves = { lower95: [], upper95: [], lower998: [], upper998: [] };
  const top = Math.max(2, Math.ceil(maxN));
  const sizes = new Set<number>();
  for (let i = 0; i < points; i++) sizes.add(Math.max(1, Math.round(1 + ((top - 1) * i) / (points - 1))));
  for (const n of [...sizes].sort((a, b) => a - b)) {
    const [l95, u95, l998, u998] =
      districtRate <= 0 || districtRate >= 1 ? [districtRate, districtRate, districtRate, districtRate] : binomialLimits(districtRate, n, [0.025, 0.975, 0.001, 0.999]);
    curves.lower95.push([n, l95 ?? districtRate]);
    curves.upper95.push([n, u95 ?? districtRate]);
    curves.lower998.push([n, l998 ?? districtRate]);
    curves.upper998.push([n, u998 ?? districtRate]);
  }
  return curves;
}

/** Movement between two waves: tier before (rows) × tier now (series), counts, null when hidden. */
export interface MovementView {
  readonly before: readonly string[];
  readonly series: readonly { readonly key: string; readonly name: string; readonly counts: readonly (number | null)[] }[];
}

export function movementView(table: AnalyticsTable): MovementView {
  const rows = table.rows.filter((r) => !isMarginRow(table, r));
  return {
    before: rows.map((r) => String(r[0] ?? "")),
    series: TIERS.map((t) => ({ key: t.key, name: `本次 now: ${t.name}`, counts: rows.map((r) => num(cellOf(table, r, `to_${t.key}`))) })),
  };
}

/** The movement summary line: how many moved up, stayed, moved down or are new; hidden ones as "—". */
export function movementSummary(summary: { up: number | null; same: number | null; down: number | null; new: number | null }): string {
  const v = (x: number | null) => (x === null ? "—" : String(x));
  return `升级 up ${v(summary.up)} · 不变 same ${v(summary.same)} · 降级 down ${v(summary.down)} · 新评定 new ${v(summary.new)}`;
}

/** Follow-up quality per school: same-day acknowledgement rate, median days to interview, overdue cases. */
export interface FollowUpView {
  readonly sameDay: GroupedEstimates;
  readonly medianDays: readonly Estimate[];
  readonly overdue: readonly Estimate[];
}

export function followUpView(table: AnalyticsTable): FollowUpView {
  const sameDay = grouped(table, table.rows, [{ key: "same_day", name: "当天确认比例 · same-day rate", keys: rateKeys("same_day", "alerts_n") }]);
  const single = (key: string): Estimate[] => table.rows.map((r) => estimateAt(table, r, { value: key, lower: "", upper: "", n: "" }));
  const medianDays = single("median_days_to_interview");
  const overdue = single("overdue_n");
  return {
    sameDay: { ...sameDay, groupsWithHidden: sameDay.groupsWithHidden.map((h, i) => h || medianDays[i]?.hidden === true || overdue[i]?.hidden === true) },
    medianDays,
    overdue,
  };
}

/** Text for ECharts tooltips, which are HTML: school names are typed by people, so escape them. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

/** An estimate for a tooltip: "40.0% (27.6%–53.8%) · n = 50", or the hidden note. */
export function estimateText(e: Estimate, type: "rate" | "mean" | "difference" | "days" | "count", k: number): string {
  if (e.value === null) return e.hidden ? `— ${hiddenNote(k)}` : NOT_APPLICABLE;
  const f = (v: number) => formatValue(type, v);
  const interval = e.lower !== null && e.upper !== null ? `（${f(e.lower)} – ${f(e.upper)}）` : "";
  return `${f(e.value)}${interval}${e.n !== null ? ` · n = ${e.n}` : ""}`;
}
