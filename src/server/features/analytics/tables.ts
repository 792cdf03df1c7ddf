/**
 * Grouped figures → published tables (pure). Every count table passes through `publishCounts`
 * (suppressSmallCells) first; rates, means and differences are derived from published entries only
 * (rules in publish.ts).
 */
import { classifySchools, tierMovement, type TierName as ScoringTier } from "../../../../scoring/index";
import type { AnalyticsTable, AnalyticsText, Dimension, HighIncidence, Movement, TableCell, TableColumn } from "../../../shared/analytics";
import { meanDifferenceFromSummaries } from "../../../../scoring/index";
import { groupSummary, publishCounts, publishedMean, publishedRate, type Summary } from "./publish";
import { COVERAGE_CATEGORIES, TIER_ORDER, type CoverageCategory, type FollowUpStats, type GroupStats, type SchoolLabel, type TierName } from "./queries";

const t = (zh: string, en: string): AnalyticsText => ({ "zh-CN": zh, en });

/** Label of the "all groups" entry of a total row. */
export const ALL = "全部 all";

const COVERAGE_LABELS: Record<CoverageCategory, AnalyticsText> = {
  "opted-out": t("监护人不同意", "opted out"),
  pending: t("未答复且未参加", "pending, not taken part"),
  consented: t("已同意未完成", "consented, not completed"),
  declined: t("学生拒答", "declined"),
  completed: t("有效完成", "completed (valid)"),
  questionable: t("完成但作答质量存疑", "completed, questionable"),
};

const TIER_LABELS: Record<TierName, AnalyticsText> = {
  none: t("无预警", "none"),
  yellow: t("黄色", "yellow"),
  orange: t("橙色", "orange"),
  red: t("红色", "red"),
};

const GENDER_LABELS: Record<string, string> = { male: "男 male", female: "女 female", unknown: "未填 not given" };

/** Key-population categories (src/shared/roster.ts KEY_POPULATION_HEADERS) with their Chinese names. */
const CATEGORY_LABELS: Record<string, string> = {
  financialHardship: "家庭经济困难",
  learningDifficulty: "学习困难",
  majorChange: "遭遇重大变故",
  leftBehindOrSingleParent: "留守或单亲",
  migrantWorkerChild: "随迁子女",
  familyCrisis: "家庭危机",
  disability: "残疾",
  newStudent: "新生",
  transferStudent: "转学生",
  none: "无重点类别",
};

/** The group columns of a break-down. */
export function groupColumns(dims: readonly Dimension[]): TableColumn[] {
  return dims.flatMap((d): TableColumn[] => {
    switch (d) {
      case "school":
        return [
          { key: "school_code", label: t("学校代码", "school code"), type: "group" },
          { key: "school", label: t("学校", "school"), type: "group" },
        ];
      case "grade":
        return [{ key: "grade", label: t("年级", "grade"), type: "group" }];
      case "gender":
        return [{ key: "gender", label: t("性别", "gender"), type: "group" }];
      case "key-population":
        return [
          { key: "category", label: t("重点类别代码", "category code"), type: "group" },
          { key: "category_name", label: t("重点类别", "category"), type: "group" },
        ];
    }
  });
}

/** The group cells of one row; `rolled` entries (margins) read "全部 all". */
export function groupCells(dims: readonly Dimension[], key: readonly string[], rolled: readonly boolean[], schools: ReadonlyMap<string, SchoolLabel>): string[] {
  return dims.flatMap((d, i) => {
    const v = key[i] ?? "";
    if (rolled[i]) return d === "school" || d === "key-population" ? [ALL, ALL] : [ALL];
    switch (d) {
      case "school": {
        const s = schools.get(v);
        return [s?.code ?? v, s?.name ?? v];
      }
      case "grade":
        return [v];
      case "gender":
        return [GENDER_LABELS[v] ?? v];
      case "key-population":
        return [v, CATEGORY_LABELS[v] ?? v];
    }
  });
}

const compareKeys = (dims: readonly Dimension[], schools: ReadonlyMap<string, SchoolLabel>) => (a: GroupStats, b: GroupStats): number => {
  for (let i = 0; i < dims.length; i++) {
    const x = a.key[i] ?? "";
    const y = b.key[i] ?? "";
    const c = dims[i] === "grade" ? Number(x) - Number(y) : dims[i] === "school" ? (schools.get(x)?.code ?? x).localeCompare(schools.get(y)?.code ?? y) : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
};

/** The cell rows (no dimension rolled up), in a stable order. */
export function cellGroups(stats: readonly GroupStats[], dims: readonly Dimension[], schools: ReadonlyMap<string, SchoolLabel>): GroupStats[] {
  return stats.filter((s) => !s.rolled.some(Boolean)).sort(compareKeys(dims, schools));
}

interface CountSpec<C extends string> {
  readonly id: "coverage" | "tiers";
  readonly title: AnalyticsText;
  readonly totalLabel: AnalyticsText;
  readonly categories: readonly C[];
  readonly labels: Record<C, AnalyticsText>;
  readonly count: (g: GroupStats) => Record<C, number>;
}

/**
 * A groups × categories count table, suppressed, with each category's rate and Wilson interval over
 * the group's total. The district row is the published column totals (absent for key-population
 * categories, which overlap: a student may be in several).
 */
function countTable<C extends string>(spec: CountSpec<C>, wave: string, dims: readonly Dimension[], stats: readonly GroupStats[], schools: ReadonlyMap<string, SchoolLabel>, k: number): AnalyticsTable {
  const groups = cellGroups(stats, dims, schools);
  const matrix = groups.map((g) => spec.categories.map((c) => spec.count(g)[c]));
  const pub = publishCounts(matrix, spec.categories.length, k);
  const columns: TableColumn[] = [
    ...groupColumns(dims),
    { key: "n", label: spec.totalLabel, type: "count" },
    ...spec.categories.flatMap((c): TableColumn[] => [
      { key: `${c}_n`, label: t(`${spec.labels[c]["zh-CN"]}人数`, `${spec.labels[c].en} count`), type: "count" },
      { key: `${c}_rate`, label: t(`${spec.labels[c]["zh-CN"]}比例`, `${spec.labels[c].en} rate`), type: "rate" },
      { key: `${c}_lower`, label: t(`${spec.labels[c]["zh-CN"]}95%下限`, `${spec.labels[c].en} 95% lower`), type: "rate" },
      { key: `${c}_upper`, label: t(`${spec.labels[c]["zh-CN"]}95%上限`, `${spec.labels[c].en} 95% upper`), type: "rate" },
    ]),
  ];
  const valueCells = (cells: readonly (number | null)[], total: number | null): TableCell[] => [total, ...cells.flatMap((x) => [x, ...publishedRate(x, total)])];
  const rows: TableCell[][] = groups.map((g, i) => [...groupCells(dims, g.key, g.rolled, schools), ...valueCells(pub.cells[i] ?? [], pub.rowTotals[i] ?? null)]);
  if (!dims.includes("key-population")) {
    rows.push([...groupCells(dims, [], dims.map(() => true), schools), ...valueCells(pub.columnTotals, pub.grandTotal)]);
  }
  return { id: spec.id, title: spec.title, wave, by: [...dims], k, columns, rows, notes: [] };
}

/** Coverage: the wave's population by what each student did, per group. */
export function coverageTable(wave: string, dims: readonly Dimension[], stats: readonly GroupStats[], schools: ReadonlyMap<string, SchoolLabel>, k: number): AnalyticsTable {
  const table = countTable(
    { id: "coverage", title: t("筛查覆盖率", "Screening coverage"), totalLabel: t("应测人数", "enrolled"), categories: COVERAGE_CATEGORIES, labels: COVERAGE_LABELS, count: (g) => g.coverage },
    wave,
    dims,
    stats,
    schools,
    k,
  );
  return {
    ...table,
    notes: [
      t(
        "每名学生只计入一类：已提交者按作答质量计入“有效完成”或“存疑”，其次为拒答，再按监护人意见计入其余各类。",
        "Each student is counted once: a submission as completed or questionable, then declined, then by the guardian's consent.",
      ),
    ],
  };
}

/** Tier distribution of the wave's scored submissions, per group. */
export function tierTable(wave: string, dims: readonly Dimension[], stats: readonly GroupStats[], schools: ReadonlyMap<string, SchoolLabel>, k: number): AnalyticsTable {
  const table = countTable(
    { id: "tiers", title: t("预警等级分布", "Tier distribution"), totalLabel: t("已评定人数", "screened"), categories: TIER_ORDER, labels: TIER_LABELS, count: (g) => g.tiers },
    wave,
    dims,
    stats,
    schools,
    k,
  );
  const notes = [t("比例的区间为 Wilson 95% 置信区间。", "Intervals are Wilson 95% score intervals.")];
  if (dims.includes("key-population")) notes.push(t("一名学生可属于多个重点类别，各行相加不等于总数，故不列合计。", "A student may be in several categories: rows overlap and no total is shown."));
  return { ...table, notes };
}

/**
 * Happiness index: the WHO-5 percentage mean (0-100) with a Student-t 95 % interval per group. Head
 * counts form the table that is suppressed (one dimension: groups × 1; two: schools × grades with the
 * margins), and a mean is shown only where its head count is.
 */
export function happinessTable(wave: string, dims: readonly Dimension[], stats: readonly GroupStats[], schools: ReadonlyMap<string, SchoolLabel>, k: number): AnalyticsTable {
  const summaryOf = (g: GroupStats): Summary => g.who5;
  const keyOf = (key: readonly string[], rolled: readonly boolean[]): string => key.map((v, i) => (rolled[i] ? "*" : v)).join("\u0000");
  const byKey = new Map(stats.map((g) => [keyOf(g.key, g.rolled), g]));
  const out: { group: string[]; n: number | null; s: Summary | undefined }[] = [];
  const [a, b] = dims;
  if (a === undefined) throw new RangeError("happinessTable needs a dimension");
  if (b === undefined) {
    const groups = cellGroups(stats, dims, schools);
    const pub = publishCounts(groups.map((g) => [g.who5.n]), 1, k);
    groups.forEach((g, i) => out.push({ group: groupCells(dims, g.key, g.rolled, schools), n: pub.cells[i]?.[0] ?? null, s: summaryOf(g) }));
    out.push({ group: groupCells(dims, [], [true], schools), n: pub.grandTotal, s: byKey.get(keyOf([""], [true]))?.who5 });
  } else {
    const cells = cellGroups(stats, dims, schools);
    const rowKeys = [...new Set(cells.map((g) => g.key[0] ?? ""))];
    const colKeys = [...new Set(cells.map((g) => g.key[1] ?? ""))].sort((x, y) => (dims[1] === "grade" ? Number(x) - Number(y) : x.localeCompare(y)));
    const matrix = rowKeys.map((r) => colKeys.map((c) => byKey.get(keyOf([r, c], [false, false]))?.who5.n ?? 0));
    const pub = publishCounts(matrix, colKeys.length, k);
    const cellIndex = (key: readonly string[]): [number, number] => [rowKeys.indexOf(key[0] ?? ""), colKeys.indexOf(key[1] ?? "")];
    for (const g of cells) {
      const [i, j] = cellIndex(g.key);
      out.push({ group: groupCells(dims, g.key, g.rolled, schools), n: pub.cells[i]?.[j] ?? null, s: summaryOf(g) });
    }
    rowKeys.forEach((r, i) => out.push({ group: groupCells(dims, [r, ""], [false, true], schools), n: pub.rowTotals[i] ?? null, s: byKey.get(keyOf([r, ""], [false, true]))?.who5 }));
    colKeys.forEach((c, j) => out.push({ group: groupCells(dims, ["", c], [true, false], schools), n: pub.columnTotals[j] ?? null, s: byKey.get(keyOf(["", c], [true, false]))?.who5 }));
    out.push({ group: groupCells(dims, ["", ""], [true, true], schools), n: pub.grandTotal, s: byKey.get(keyOf(["", ""], [true, true]))?.who5 });
  }
  return {
    id: "happiness",
    title: t("幸福指数（WHO-5 百分制均值）", "Happiness index (WHO-5 percentage mean)"),
    wave,
    by: [...dims],
    k,
    columns: [
      ...groupColumns(dims),
      { key: "n", label: t("人数", "n"), type: "count" },
      { key: "mean", label: t("WHO-5 均值（0-100）", "WHO-5 mean (0-100)"), type: "mean" },
      { key: "lower", label: t("95%下限", "95% lower"), type: "mean" },
      { key: "upper", label: t("95%上限", "95% upper"), type: "mean" },
    ],
    rows: out.map((r) => [...r.group, r.n, ...publishedMean(r.n, r.s)]),
    notes: [t("WHO-5 原始分 ×4，0-100；区间为 t 分布 95% 置信区间。", "WHO-5 raw score × 4, 0-100; Student-t 95% intervals.")],
  };
}

/** One factor item with its answer categories (from instruments/wellbeing-factors.ts). */
export interface FactorSpec {
  readonly item: string;
  readonly label: AnalyticsText;
  readonly options: readonly { readonly value: number; readonly label: AnalyticsText }[];
}

/**
 * Influencing factors: per item and answer category, the WHO-5 mean and its difference from the
 * item's reference category (the published category with the most students) with a Welch 95 %
 * interval. Per item, the categories' head counts are one suppressed table (categories × 1).
 */
export function factorTable(wave: string, factors: readonly FactorSpec[], cells: readonly { item: string; category: number; n: number; mean: number | null; sd: number | null }[], k: number): AnalyticsTable {
  const rows: TableCell[][] = [];
  for (const f of factors) {
    const summaries = f.options.map((o): Summary => cells.find((c) => c.item === f.item && c.category === o.value) ?? { n: 0, mean: null, sd: null });
    const pub = publishCounts(summaries.map((s) => [s.n]), 1, k);
    const published = summaries.map((s, i) => ({ s, n: pub.cells[i]?.[0] ?? null }));
    let ref = -1;
    published.forEach((p, i) => {
      if (p.n !== null && (ref < 0 || p.n > (published[ref]?.n ?? 0))) ref = i;
    });
    const refSummary = ref >= 0 ? published[ref]?.s : undefined;
    f.options.forEach((o, i) => {
      const p = published[i];
      if (!p) return;
      const [mean, lower, upper] = publishedMean(p.n, p.s);
      const diff = p.n !== null && refSummary !== undefined && i !== ref ? meanDifferenceFromSummaries(groupSummary(p.s), groupSummary(refSummary)) : null;
      const d = diff?.kind === "difference" ? [diff.difference, diff.lower, diff.upper] : [i === ref && mean !== null ? 0 : null, null, null];
      rows.push([f.item, f.label["zh-CN"], String(o.value), o.label["zh-CN"], i === ref ? "是 yes" : "否 no", p.n, mean, lower, upper, ...d]);
    });
    rows.push([f.item, f.label["zh-CN"], ALL, ALL, "", pub.grandTotal, null, null, null, null, null, null]);
  }
  return {
    id: "factors",
    title: t("幸福指数的影响因素", "Influencing factors of the happiness index"),
    wave,
    by: [],
    k,
    columns: [
      { key: "factor", label: t("因素代码", "factor code"), type: "group" },
      { key: "factor_name", label: t("因素", "factor"), type: "group" },
      { key: "category", label: t("选项值", "answer value"), type: "group" },
      { key: "category_name", label: t("选项", "answer"), type: "group" },
      { key: "reference", label: t("参照组", "reference"), type: "text" },
      { key: "n", label: t("人数", "n"), type: "count" },
      { key: "mean", label: t("WHO-5 均值", "WHO-5 mean"), type: "mean" },
      { key: "lower", label: t("95%下限", "95% lower"), type: "mean" },
      { key: "upper", label: t("95%上限", "95% upper"), type: "mean" },
      { key: "difference", label: t("与参照组之差", "difference from reference"), type: "difference" },
      { key: "difference_lower", label: t("差值95%下限", "difference 95% lower"), type: "difference" },
      { key: "difference_upper", label: t("差值95%上限", "difference 95% upper"), type: "difference" },
    ],
    rows,
    notes: [
      t("参照组为该因素中人数最多的已公布选项；差值区间为 Welch 95% 置信区间。", "The reference is the factor's published answer with most students; differences have Welch 95% intervals."),
      t("差值是横断面关联，不代表因果。", "Differences are cross-sectional associations, not effects."),
    ],
  };
}

/**
 * High-incidence schools: each school's red+orange rate on a funnel plot around the district rate
 * (classifySchools, Spiegelhalter 2005: exact binomial 95 % and 99.8 % limits). Built from the
 * suppressed school × tier table, so nothing here is more detailed than the tier table: a school's
 * count is shown only when its red and orange cells are both published there, its size only when its
 * total is, and the district rate only when the red, orange and grand totals are.
 */
export function highIncidenceTable(wave: string, stats: readonly GroupStats[], schools: ReadonlyMap<string, SchoolLabel>, k: number): HighIncidence {
  const dims: Dimension[] = ["school"];
  const groups = cellGroups(stats, dims, schools).filter((g) => TIER_ORDER.some((tier) => g.tiers[tier] > 0) || g.population > 0);
  const matrix = groups.map((g) => TIER_ORDER.map((tier) => g.tiers[tier]));
  const pub = publishCounts(matrix, TIER_ORDER.length, k);
  const funnel = classifySchools(groups.map((g) => ({ id: g.key[0] ?? "", x: g.tiers.red + g.tiers.orange, n: TIER_ORDER.reduce((s, tier) => s + g.tiers[tier], 0) })));
  const redIdx = TIER_ORDER.indexOf("red");
  const orangeIdx = TIER_ORDER.indexOf("orange");
  const sum2 = (a: number | null | undefined, b: number | null | undefined): number | null => (a === null || a === undefined || b === null || b === undefined ? null : a + b);
  const districtX = sum2(pub.columnTotals[redIdx], pub.columnTotals[orangeIdx]);
  const districtRate = districtX !== null && pub.grandTotal !== null && pub.grandTotal > 0 ? districtX / pub.grandTotal : null;
  const above998: HighIncidence["above998"] = [];
  const rows: TableCell[][] = groups.map((g, i) => {
    const x = sum2(pub.cells[i]?.[redIdx], pub.cells[i]?.[orangeIdx]);
    const n = pub.rowTotals[i] ?? null;
    const placed = funnel.schools[i];
    const shown = x !== null && n !== null && districtRate !== null && placed?.kind === "classified";
    if (shown && placed.position === "above998") {
      const s = schools.get(placed.id);
      above998.push({ schoolId: placed.id, code: s?.code ?? placed.id, name: s?.name ?? placed.id });
    }
    return [
      ...groupCells(dims, g.key, g.rolled, schools),
      n,
      x,
      ...(x !== null && n !== null ? publishedRate(x, n) : [null, null, null]),
      ...(shown ? [placed.limits.lower95, placed.limits.upper95, placed.limits.lower998, placed.limits.upper998, placed.position] : [null, null, null, null, null]),
    ];
  });
  rows.push([...groupCells(dims, [], [true], schools), pub.grandTotal, districtX, districtRate, null, null, null, null, null, null, null]);
  return {
    id: "high-incidence",
    title: t("高发学校（红色+橙色比例漏斗图）", "High-incidence schools (red + orange rate funnel plot)"),
    wave,
    by: dims,
    k,
    columns: [
      ...groupColumns(dims),
      { key: "n", label: t("已评定人数", "screened"), type: "count" },
      { key: "red_orange_n", label: t("红色+橙色人数", "red + orange count"), type: "count" },
      { key: "rate", label: t("红色+橙色比例", "red + orange rate"), type: "rate" },
      { key: "rate_lower", label: t("比例95%下限", "rate 95% lower"), type: "rate" },
      { key: "rate_upper", label: t("比例95%上限", "rate 95% upper"), type: "rate" },
      { key: "lower95", label: t("95%控制下限", "95% lower limit"), type: "rate" },
      { key: "upper95", label: t("95%控制上限", "95% upper limit"), type: "rate" },
      { key: "lower998", label: t("99.8%控制下限", "99.8% lower limit"), type: "rate" },
      { key: "upper998", label: t("99.8%控制上限", "99.8% upper limit"), type: "rate" },
      { key: "position", label: t("位置", "position"), type: "text" },
    ],
    rows,
    notes: [
      t("控制限为以全区比例为中心的二项分布精确界限（Spiegelhalter 2005）。", "Limits are exact binomial limits around the district rate (Spiegelhalter 2005)."),
      t("人数被隐藏的学校不在漏斗图上标出。", "Schools whose counts are suppressed are not placed."),
    ],
    districtRate,
    above998,
  };
}

const BEFORE = [...TIER_ORDER, "new"] as const;

/**
 * Wave-to-wave movement: students with a tier in the later wave, by their tier in the earlier one
 * ("new" when they had none). The 5 × 4 table is suppressed; up / same / down / new are sums of
 * published cells only (tierMovement of scoring/change.ts), null when any of their cells is hidden.
 */
export function movementTable(from: string, to: string, counts: readonly { before: string; after: string; n: number }[], k: number): Movement {
  const matrix = BEFORE.map((b) => TIER_ORDER.map((a) => counts.find((c) => c.before === b && c.after === a)?.n ?? 0));
  const pub = publishCounts(matrix, TIER_ORDER.length, k);
  const sums = { up: 0 as number | null, same: 0 as number | null, down: 0 as number | null, new: 0 as number | null };
  BEFORE.forEach((b, i) =>
    TIER_ORDER.forEach((a, j) => {
      const move = tierMovement(b === "new" ? null : (b as ScoringTier), a as ScoringTier);
      const v = pub.cells[i]?.[j] ?? null;
      const current = sums[move];
      sums[move] = current === null || v === null ? null : current + v;
    }),
  );
  const label = (x: string): string => (x === "new" ? "上次未评定 not screened before" : `${TIER_LABELS[x as TierName]["zh-CN"]} ${x}`);
  return {
    id: "movement",
    title: t("两次筛查之间的预警等级变化", "Tier movement between waves"),
    wave: `${from}→${to}`,
    by: [],
    k,
    columns: [
      { key: "before", label: t(`上次等级（${from}）`, `tier in ${from}`), type: "group" },
      ...TIER_ORDER.map((a): TableColumn => ({ key: `to_${a}`, label: t(`本次${TIER_LABELS[a]["zh-CN"]}`, `now ${a}`), type: "count" })),
      { key: "n", label: t("合计", "total"), type: "count" },
    ],
    rows: [...BEFORE.map((b, i) => [label(b), ...(pub.cells[i] ?? []), pub.rowTotals[i] ?? null]), [ALL, ...pub.columnTotals, pub.grandTotal]],
    notes: [t("计入本次有评定结果的学生；“上次未评定”指上次没有评定结果的学生。", "Students with a tier in the later wave; 'not screened before' had none in the earlier one.")],
    summary: sums,
  };
}

/**
 * Case follow-up quality per school (followUpStats). Two count tables are suppressed on their own:
 * schools × alerts (acknowledged the same day | later or not yet) and schools × cases opened (closed |
 * open, not overdue | overdue); the published cells and totals of both are shown, and the same-day rate
 * only over published counts (rule 3). A median of days to interview is shown only over k or more
 * interviewed cases: an order statistic of fewer cases is close to one student's record.
 */
export function followUpTable(wave: string, stats: readonly FollowUpStats[], schools: ReadonlyMap<string, SchoolLabel>, k: number): AnalyticsTable {
  const code = (id: string): string => schools.get(id)?.code ?? id;
  const groups = stats.filter((s): s is FollowUpStats & { schoolId: string } => s.schoolId !== null).sort((x, y) => code(x.schoolId).localeCompare(code(y.schoolId)));
  const district = stats.find((s) => s.schoolId === null);
  const alerts = publishCounts(groups.map((g) => [g.sameDay, g.alerts - g.sameDay]), 2, k);
  const cases = publishCounts(groups.map((g) => [g.closed, g.opened - g.closed - g.overdue, g.overdue]), 3, k);
  const median = (s: FollowUpStats | undefined): number | null => (s !== undefined && s.interviewed >= k ? s.medianDays : null);
  const values = (alertsN: number | null, sameDay: number | null, opened: number | null, closed: number | null, overdue: number | null, s: FollowUpStats | undefined): TableCell[] => [
    alertsN,
    sameDay,
    ...publishedRate(sameDay, alertsN),
    opened,
    closed,
    overdue,
    median(s),
  ];
  const dims: Dimension[] = ["school"];
  const rows: TableCell[][] = groups.map((g, i) => [
    ...groupCells(dims, [g.schoolId], [false], schools),
    ...values(alerts.rowTotals[i] ?? null, alerts.cells[i]?.[0] ?? null, cases.rowTotals[i] ?? null, cases.cells[i]?.[0] ?? null, cases.cells[i]?.[2] ?? null, g),
  ]);
  rows.push([...groupCells(dims, [], [true], schools), ...values(alerts.grandTotal, alerts.columnTotals[0] ?? null, cases.grandTotal, cases.columnTotals[0] ?? null, cases.columnTotals[2] ?? null, district)]);
  return {
    id: "follow-up",
    title: t("个案跟进质量", "Case follow-up quality"),
    wave,
    by: dims,
    k,
    columns: [
      ...groupColumns(dims),
      { key: "alerts_n", label: t("危机预警数", "alerts"), type: "count" },
      { key: "same_day_n", label: t("当天确认数", "acknowledged the same day"), type: "count" },
      { key: "same_day_rate", label: t("当天确认比例", "same-day rate"), type: "rate" },
      { key: "same_day_lower", label: t("当天确认比例95%下限", "same-day rate 95% lower"), type: "rate" },
      { key: "same_day_upper", label: t("当天确认比例95%上限", "same-day rate 95% upper"), type: "rate" },
      { key: "opened_n", label: t("新开个案数", "cases opened"), type: "count" },
      { key: "closed_n", label: t("已结案数", "cases closed"), type: "count" },
      { key: "overdue_n", label: t("逾期个案数", "cases overdue"), type: "count" },
      { key: "median_days_to_interview", label: t("开案至约谈天数中位数", "median days to interview"), type: "days" },
    ],
    rows,
    notes: [
      t(
        "统计期为该校本轮筛查开始至该校下一轮筛查开始；个案为统计期内新开的个案，结案与逾期按当前状态计。",
        "The period runs from the school's wave opening to its next wave's; cases are those opened in it, closed and overdue as of now.",
      ),
      t("“当天”按北京时间自然日计；比例区间为 Wilson 95% 置信区间。", "'Same day' is the calendar day in China time; rates have Wilson 95% intervals."),
      t(`约谈天数中位数仅在已约谈个案不少于 ${k} 例时公布。`, `The median days to interview is shown only over ${k} or more interviewed cases.`),
    ],
  };
}
