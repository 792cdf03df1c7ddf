import { describe, expect, it } from "vitest";
import { funnelLimits } from "../../../scoring/index";
import { coverageTable, factorTable, followUpTable, happinessTable, highIncidenceTable, movementTable, tierTable } from "../../../src/server/features/analytics/tables";
import type { FollowUpStats, GroupStats, SchoolLabel } from "../../../src/server/features/analytics/queries";
import { coverageOption, tierOption } from "../../../src/app/analyst/charts";
import {
  breakdownFor,
  cellText,
  cellView,
  csvUrl,
  dataUrl,
  escapeHtml,
  estimateText,
  factorPoints,
  followUpView,
  formatValue,
  funnelCurves,
  funnelPoints,
  groupLabel,
  happinessSeries,
  movementSummary,
  movementView,
  pngFileName,
  previousWave,
  tableView,
  tierSeries,
  coverageSeries,
  waveName,
  wavesNewestFirst,
  type Selection,
} from "../../../src/app/analyst/model";
import type { AnalyticsTable } from "../../../src/shared/analytics";
import { routeOf } from "../../../src/app/App";

// The tables are made by the server's own pure table builders (src/server/features/analytics/tables.ts),
// so the view model is tested on exactly what the endpoints send, suppression included.

const schools = new Map<string, SchoolLabel>([
  ["s1", { id: "s1", code: "A01", name: "第一中学" }],
  ["s2", { id: "s2", code: "B02", name: "<b>第二中学</b>" }],
]);

const zeroCoverage = { "opted-out": 0, pending: 0, consented: 0, declined: 0, completed: 0, questionable: 0 };

/** One school's group: its tier counts (completed = their sum) and a WHO-5 summary. */
function aSchool(id: string, tiers: { none: number; yellow: number; orange: number; red: number }, who5 = { mean: 60, sd: 10 }): GroupStats {
  const n = tiers.none + tiers.yellow + tiers.orange + tiers.red;
  return { key: [id], rolled: [false], population: n, coverage: { ...zeroCoverage, completed: n }, tiers, who5: { n, mean: who5.mean, sd: who5.sd } };
}

function district(groups: readonly GroupStats[]): GroupStats {
  const n = groups.reduce((s, g) => s + g.who5.n, 0);
  const mean = groups.reduce((s, g) => s + g.who5.n * (g.who5.mean ?? 0), 0) / n;
  return { ...groups[0]!, key: [""], rolled: [true], population: n, who5: { n, mean, sd: 12 } };
}

// A01: every tier 10 or more; B02: 3 red students, a cell that must stay hidden.
const A = aSchool("s1", { none: 30, yellow: 10, orange: 10, red: 20 }, { mean: 56, sd: 15 });
const B = aSchool("s2", { none: 40, yellow: 12, orange: 15, red: 3 }, { mean: 70, sd: 12 });
const tiers = tierTable("2025-2026:spring", ["school"], [A, B], schools, 10);

const col = (table: AnalyticsTable, key: string) => table.columns.findIndex((c) => c.key === key);
const rowOf = (table: AnalyticsTable, label: string) => table.rows.find((r) => r.includes(label))!;

const sel = (over: Partial<Selection> = {}): Selection => ({ wave: "2025-2026:spring", compareWith: "2025-2026:autumn", by: "school", ...over });

describe("the route", () => {
  it("routes /analyst to the analyst's page", () => {
    expect(routeOf("/analyst").kind).toBe("analyst");
    expect(routeOf("/analyst/").kind).toBe("analyst");
  });
});

describe("the URLs of each chart", () => {
  it("asks each endpoint with the wave and the break-down it supports", () => {
    expect(dataUrl("tiers", sel({ by: "gender" }))).toBe("/api/analytics/tiers?wave=2025-2026%3Aspring&by=gender");
    expect(dataUrl("coverage", sel({ by: "school,grade" }))).toBe("/api/analytics/coverage?wave=2025-2026%3Aspring&by=school%2Cgrade");
    expect(dataUrl("factors", sel({ by: "grade" }))).toBe("/api/analytics/factors?wave=2025-2026%3Aspring");
    expect(dataUrl("high-incidence", sel())).toBe("/api/analytics/high-incidence?wave=2025-2026%3Aspring");
    expect(dataUrl("follow-up", sel())).toBe("/api/analytics/follow-up?wave=2025-2026%3Aspring");
  });

  it("downloads the CSV twin with exactly the same query, GB18030 only when asked", () => {
    for (const chart of ["coverage", "tiers", "movement", "happiness", "factors", "high-incidence", "follow-up"] as const) {
      const json = dataUrl(chart, sel({ by: "grade" }))!;
      const [path, query] = json.split("?");
      expect(csvUrl(chart, sel({ by: "grade" }), "utf-8")).toBe(`${path}.csv?${query}`);
      expect(csvUrl(chart, sel({ by: "grade" }), "gb18030")).toBe(`${path}.csv?${query}&encoding=gb18030`);
    }
  });

  it("draws coverage and happiness by school when the analyst picks gender or a key category, and says so", () => {
    expect(breakdownFor("coverage", "gender")).toEqual({ by: "school", note: expect.stringContaining("shown by school") });
    expect(breakdownFor("happiness", "key-population").by).toBe("school");
    expect(breakdownFor("happiness", "grade")).toEqual({ by: "grade", note: null });
    expect(breakdownFor("tiers", "key-population")).toEqual({ by: "key-population", note: null });
    expect(dataUrl("coverage", sel({ by: "gender" }))).toBe("/api/analytics/coverage?wave=2025-2026%3Aspring&by=school");
  });

  it("asks the movement from the earlier wave to the later one, and nothing without a second wave", () => {
    // A school year's autumn term comes before its spring term.
    expect(dataUrl("movement", sel())).toBe("/api/analytics/movement?from=2025-2026%3Aautumn&to=2025-2026%3Aspring");
    expect(dataUrl("movement", sel({ wave: "2025-2026:autumn", compareWith: "2025-2026:spring" }))).toBe("/api/analytics/movement?from=2025-2026%3Aautumn&to=2025-2026%3Aspring");
    expect(dataUrl("movement", sel({ compareWith: null }))).toBeNull();
    expect(csvUrl("movement", sel({ compareWith: "2025-2026:spring" }), "utf-8")).toBeNull();
  });

  it("names the PNG after the table, with no character a file system refuses", () => {
    expect(pngFileName({ title: { "zh-CN": "预警等级分布", en: "" }, wave: "2025-2026:spring", by: ["school", "grade"] })).toBe("预警等级分布_2025-2026_spring_school-grade.png");
    expect(pngFileName({ title: { "zh-CN": "等级变化", en: "" }, wave: "2024-2025:autumn→2025-2026:spring", by: [] })).toBe("等级变化_2024-2025_autumn_2025-2026_spring.png");
  });
});

describe("district waves", () => {
  const waves = [
    { key: "2024-2025:spring", schoolYear: "2024-2025", season: "spring" as const, schools: 3 },
    { key: "2025-2026:spring", schoolYear: "2025-2026", season: "spring" as const, schools: 3 },
    { key: "2025-2026:autumn", schoolYear: "2025-2026", season: "autumn" as const, schools: 1 },
  ];

  it("lists them newest first and compares with the one before", () => {
    expect(wavesNewestFirst(waves).map((w) => w.key)).toEqual(["2025-2026:spring", "2025-2026:autumn", "2024-2025:spring"]);
    expect(previousWave(waves, "2025-2026:spring")).toBe("2025-2026:autumn");
    expect(previousWave(waves, "2025-2026:autumn")).toBe("2024-2025:spring");
    expect(previousWave(waves, "2024-2025:spring")).toBeNull();
    expect(waveName(waves[2]!)).toBe("2025-2026 秋季 autumn（1 所学校 · 1 school）");
  });
});

describe("hidden cells", () => {
  it("shows a suppressed count as hidden, with the note, and never as 0", () => {
    const b = rowOf(tiers, "<b>第二中学</b>");
    expect(b[col(tiers, "red_n")]).toBeNull();
    const view = tableView(tiers);
    const bRow = view.rows[tiers.rows.indexOf(b)]!;
    expect(bRow[col(tiers, "red_n")]).toEqual({ kind: "hidden" });
    expect(bRow[col(tiers, "red_rate")]).toEqual({ kind: "hidden" });
    expect(cellText(bRow[col(tiers, "red_n")]!)).toBe("—");
    expect(view.hidden).toBeGreaterThan(0);
    expect(view.notes[0]).toBe("少于 10 人，已隐藏 · fewer than 10, hidden");
    expect(view.rows.flat().map(cellText)).not.toContain("0");
  });

  it("keeps hidden values out of the chart series as null, flagged hidden, and marks their group", () => {
    const view = tierSeries(tiers);
    const b = view.groups.indexOf("<b>第二中学</b>");
    const red = view.series.find((s) => s.key === "red")!;
    expect(red.points[b]).toMatchObject({ value: null, lower: null, upper: null, hidden: true });
    expect(view.groupsWithHidden[b]).toBe(true);
    const option = tierOption(view, 10) as { series: { name: string; data: unknown[][] }[]; xAxis: { data: string[] } };
    expect(option.series.find((s) => s.name === "红色 · red")!.data[b]).toEqual([b, null, null, null, 1]);
    expect(option.xAxis.data[b]).toBe("<b>第二中学</b> *");
  });

  it("publishes the rest: A01's rates with their Wilson intervals, as in the table", () => {
    const view = tierSeries(tiers);
    const a = view.groups.indexOf("第一中学");
    const none = view.series.find((s) => s.key === "none")!.points[a]!;
    const row = rowOf(tiers, "第一中学");
    expect(none).toEqual({ value: row[col(tiers, "none_rate")], lower: row[col(tiers, "none_lower")], upper: row[col(tiers, "none_upper")], n: 70, hidden: false });
    expect(none.value).toBeCloseTo(30 / 70, 12);
    expect(estimateText(none, "rate", 10)).toMatch(/^42\.9%（\d+\.\d% – \d+\.\d%） · n = 70$/);
    expect(estimateText({ value: null, lower: null, upper: null, n: null, hidden: true }, "rate", 10)).toBe("— 少于 10 人，已隐藏 · fewer than 10, hidden");
  });

  it("keeps coverage bars of hidden categories empty rather than 0", () => {
    const withOptOut = (g: GroupStats, optedOut: number): GroupStats => ({ ...g, population: g.population + optedOut, coverage: { ...g.coverage, "opted-out": optedOut } });
    const table = coverageTable("w", ["school"], [withOptOut(A, 12), withOptOut(B, 3)], schools, 10);
    const view = coverageSeries(table);
    const b = view.groups.indexOf("<b>第二中学</b>");
    const optedOut = view.series.findIndex((s) => s.key === "opted-out");
    expect(view.series[optedOut]!.points[b]).toMatchObject({ value: null, hidden: true });
    const option = coverageOption(view, 10) as { series: { data: (number | null)[] }[] };
    expect(option.series[optedOut]!.data[b]).toBeNull();
    expect(view.groupsWithHidden[b]).toBe(true);
  });
});

describe("the table view", () => {
  it("formats rates in per cent, means and days with one decimal, differences with their sign", () => {
    expect(formatValue("rate", 0.4)).toBe("40.0%");
    expect(formatValue("mean", 56)).toBe("56.0");
    expect(formatValue("difference", 2.25)).toBe("+2.3");
    expect(formatValue("difference", -4)).toBe("−4.0");
    expect(formatValue("difference", 0)).toBe("0.0");
    expect(formatValue("days", 2)).toBe("2");
    expect(formatValue("days", 1.5)).toBe("1.5");
    expect(formatValue("count", 70)).toBe("70");
    expect(formatValue("text", "above998")).toBe("高于 99.8% 上限 · above 99.8%");
  });

  it("has a bilingual caption and headers, and labels the district row", () => {
    const view = tableView(tiers);
    expect(view.caption).toBe("预警等级分布 · Tier distribution（2025-2026 春季 spring）");
    expect(view.headers.slice(0, 3)).toEqual(["学校代码 · school code", "学校 · school", "已评定人数 · screened"]);
    expect(groupLabel(tiers, tiers.rows[tiers.rows.length - 1]!)).toBe("全区 · District");
  });

  it("labels groups by school name and grade", () => {
    const g7: GroupStats = { ...A, key: ["s1", "7"], rolled: [false, false] };
    const g8: GroupStats = { ...B, key: ["s2", "8"], rolled: [false, false] };
    const table = tierTable("w", ["school", "grade"], [g7, g8], schools, 10);
    expect(table.rows.map((r) => groupLabel(table, r))).toEqual(["第一中学 · 7年级", "<b>第二中学</b> · 8年级", "全区 · District"]);
  });
});

describe("the happiness index", () => {
  it("gives each published group's WHO-5 mean with its interval, and hides a small group's mean and its complement", () => {
    const C = aSchool("s3", { none: 40, yellow: 0, orange: 0, red: 0 }, { mean: 64, sd: 9 });
    const small = aSchool("s2", { none: 6, yellow: 0, orange: 0, red: 0 }, { mean: 90, sd: 5 });
    const labels = new Map([...schools, ["s3", { id: "s3", code: "C03", name: "第三中学" }]]);
    const table = happinessTable("w", ["school"], [A, small, C, district([A, small, C])], labels, 10);
    const view = happinessSeries(table);
    const points = view.series[0]!.points;
    expect(points[view.groups.indexOf("<b>第二中学</b>")]).toMatchObject({ value: null, lower: null, upper: null, hidden: true });
    // 56 or 64 would give the small group's mean back from the district's: one more is hidden
    expect(points.filter((p) => p.hidden)).toHaveLength(2);
    table.rows.forEach((row, i) => {
      const published = row[col(table, "n")] !== null;
      expect(points[i]!.hidden).toBe(!published);
      if (published) expect(points[i]).toMatchObject({ value: row[col(table, "mean")], lower: row[col(table, "lower")], upper: row[col(table, "upper")] });
    });
  });
});

describe("influencing factors", () => {
  const factors = [
    {
      item: "sleep",
      label: { "zh-CN": "上学期间，你平时每晚大约睡多长时间？", en: "On school nights, about how long do you usually sleep?" },
      options: [0, 1, 2].map((v) => ({ value: v, label: { "zh-CN": `选项${v}`, en: `option ${v}` } })),
    },
  ];
  const table = factorTable(
    "w",
    factors,
    [
      { item: "sleep", category: 0, n: 4, mean: 40, sd: 8 },
      { item: "sleep", category: 1, n: 30, mean: 52, sd: 10 },
      { item: "sleep", category: 2, n: 60, mean: 64, sd: 12 },
    ],
    10,
  );

  it("draws each answer's difference from the reference, the reference at 0 without an interval, under the factor's short name", () => {
    const points = factorPoints(table);
    expect(points.map((p) => p.label)).toEqual(["睡眠：选项0", "睡眠：选项1", "睡眠：选项2"]);
    expect(points[2]).toMatchObject({ reference: true, value: 0, lower: null, upper: null, hidden: false });
    expect(points[0]!.hidden).toBe(true);
  });

  it("calls the reference's missing interval and the factor's total mean not applicable, and the small answer hidden", () => {
    const rows = table.rows;
    const ref = rows.findIndex((r) => r[2] === "2");
    const total = rows.findIndex((r) => r[2] === "全部 all");
    const small = rows.findIndex((r) => r[2] === "0");
    expect(cellView(table, rows[ref]!, col(table, "difference_lower"))).toEqual({ kind: "not-applicable" });
    expect(cellView(table, rows[ref]!, col(table, "difference"))).toEqual({ kind: "value", text: "0.0" });
    expect(cellView(table, rows[total]!, col(table, "mean"))).toEqual({ kind: "not-applicable" });
    expect(cellView(table, rows[small]!, col(table, "n"))).toEqual({ kind: "hidden" });
    expect(cellView(table, rows[small]!, col(table, "difference"))).toEqual({ kind: "hidden" });
  });
});

describe("the funnel plot", () => {
  const C = aSchool("s1", { none: 10, yellow: 10, orange: 20, red: 20 });
  const D = aSchool("s2", { none: 70, yellow: 20, orange: 10, red: 10 });
  const table = highIncidenceTable("w", [C, D], schools, 10);

  it("places the schools whose counts are published, the district row's limits not applicable", () => {
    const { placed, unplaced } = funnelPoints(table);
    expect(placed).toEqual([
      { label: "第一中学", n: 60, rate: 40 / 60, position: "above998" },
      { label: "<b>第二中学</b>", n: 110, rate: 20 / 110, position: "below998" },
    ]);
    expect(unplaced).toEqual([]);
    const all = table.rows[table.rows.length - 1]!;
    expect(cellView(table, all, col(table, "upper998"))).toEqual({ kind: "not-applicable" });
    expect(cellView(table, all, col(table, "position"))).toEqual({ kind: "not-applicable" });
  });

  it("lists a school with hidden counts as not placed, its limits hidden", () => {
    const small = highIncidenceTable("w", [C, aSchool("s2", { none: 40, yellow: 12, orange: 15, red: 3 })], schools, 10);
    expect(funnelPoints(small).unplaced).toContain("<b>第二中学</b>");
    expect(cellView(small, rowOf(small, "<b>第二中学</b>"), col(small, "upper998"))).toEqual({ kind: "hidden" });
  });

  it("draws the limit curves exactly where the server's limits are", () => {
    const p = 60 / 170;
    const curves = funnelCurves(p, 200, 200);
    for (const n of [1, 7, 60, 110, 200]) {
      const server = funnelLimits(p, n)!;
      const at = (c: [number, number][]) => c.find(([x]) => x === n)?.[1];
      expect(at(curves.lower95)).toBeCloseTo(server.lower95, 10);
      expect(at(curves.upper95)).toBeCloseTo(server.upper95, 10);
      expect(at(curves.lower998)).toBeCloseTo(server.lower998, 10);
      expect(at(curves.upper998)).toBeCloseTo(server.upper998, 10);
    }
    const wide = funnelCurves(0.02, 5000, 50);
    const last = wide.upper998[wide.upper998.length - 1]!;
    expect(last[0]).toBe(5000);
    expect(last[1]).toBeCloseTo(funnelLimits(0.02, 5000)!.upper998, 10);
  });
});

describe("tier movement", () => {
  it("gives counts by tier before and now, hidden cells as null, and the summary with hidden parts as —", () => {
    const table = movementTable(
      "2024-2025:autumn",
      "2025-2026:spring",
      [
        { before: "none", after: "none", n: 40 },
        { before: "none", after: "yellow", n: 12 },
        { before: "yellow", after: "yellow", n: 11 },
        { before: "yellow", after: "none", n: 3 },
        { before: "red", after: "red", n: 10 },
      ],
      10,
    );
    const view = movementView(table);
    expect(view.before).toHaveLength(5);
    expect(view.series.map((s) => s.key)).toEqual(["none", "yellow", "orange", "red"]);
    const yellowToNone = view.series[0]!.counts[1];
    expect(yellowToNone).toBeNull();
    expect(movementSummary({ up: 12, same: null, down: null, new: null })).toBe("升级 up 12 · 不变 same — · 降级 down — · 新评定 new —");
    expect(tableView(table).caption).toContain("2024-2025 秋季 autumn → 2025-2026 春季 spring");
  });
});

describe("follow-up quality", () => {
  const stats: FollowUpStats[] = [
    { schoolId: "s1", alerts: 30, sameDay: 20, opened: 40, closed: 20, overdue: 10, interviewed: 25, medianDays: 2 },
    { schoolId: "s2", alerts: 12, sameDay: 4, opened: 15, closed: 2, overdue: 3, interviewed: 5, medianDays: 6 },
    { schoolId: null, alerts: 42, sameDay: 24, opened: 55, closed: 22, overdue: 13, interviewed: 30, medianDays: 3 },
  ];
  const table = followUpTable("2025-2026:spring", stats, schools, 10);

  it("gives the same-day rate with its interval, the median days and the overdue cases, hidden where small", () => {
    const view = followUpView(table);
    expect(view.sameDay.groups).toEqual(["第一中学", "<b>第二中学</b>", "全区 · District"]);
    const b = 1;
    expect(view.medianDays[b]).toMatchObject({ value: null, hidden: true });
    expect(view.medianDays[0]!.value).toBe(2);
    expect(view.sameDay.groupsWithHidden[b]).toBe(true);
    const median = col(table, "median_days_to_interview");
    expect(cellView(table, table.rows[b]!, median)).toEqual({ kind: "hidden" });
  });
});

describe("tooltips", () => {
  it("escapes names typed by people, as ECharts tooltips are HTML", () => {
    expect(escapeHtml(`<img src=x onerror="alert(1)">&'`)).toBe("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;&#39;");
  });
});
