/**
 * ECharts options of the dashboards, built from the view models of model.ts. Types only from ECharts
 * here (the library itself is loaded by echarts.ts, in its own chunk, when a chart first draws).
 *
 * Error bars are a custom series: ECharts has no interval bars of its own. A hidden value is drawn as
 * "—" at the base of its bar and marked "*" on the axis: a hidden cell never looks like a 0.
 * Tooltips are HTML in ECharts: every text from the data passes through escapeHtml.
 */
import type { CustomSeriesRenderItem, CustomSeriesRenderItemAPI, CustomSeriesRenderItemReturn, EChartsCoreOption } from "echarts";
import {
  COVERAGE,
  escapeHtml,
  estimateText,
  funnelCurves,
  hiddenNote,
  TIERS,
  type Estimate,
  type FactorPoint,
  type FollowUpView,
  type FunnelPoint,
  type GroupedEstimates,
  type MovementView,
} from "./model";

export type ChartOption = EChartsCoreOption;

const AXIS_TEXT = "#3f3f46";
const WHISKER = "#18181b";
const HIDDEN_MARK = "#52525b";

/** Axis labels, "*" on a group with a hidden value; rotated when there are many groups. */
function categoryAxis(groups: readonly string[], marked: readonly boolean[], extra: object = {}) {
  return {
    type: "category" as const,
    data: groups.map((g, i) => (marked[i] ? `${g} *` : g)),
    axisLabel: { interval: 0, rotate: groups.length > 6 ? 30 : 0, color: AXIS_TEXT, width: 120, overflow: "truncate" as const },
    ...extra,
  };
}

const percentAxis = (extra: object = {}) => ({ type: "value" as const, min: 0, axisLabel: { formatter: (v: number) => `${Math.round(v * 100)}%` }, ...extra });

/** "—" at the base of a bar whose value is hidden. */
function hiddenMark(x: number, y: number): CustomSeriesRenderItemReturn {
  return { type: "text", style: { text: "—", x, y: y - 2, align: "center", verticalAlign: "bottom", fill: HIDDEN_MARK, font: "bold 13px sans-serif" } };
}

const finite = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Bars with interval whiskers, the `index`-th of `count` bars side by side in each category. Data items
 * are [group index, value, lower, upper, hidden (1 or 0)]; a hidden value draws the hidden mark.
 */
export function barsWithIntervals(index: number, count: number): CustomSeriesRenderItem {
  return (_params, api: CustomSeriesRenderItemAPI) => {
    const group = Number(api.value(0));
    const [value, lower, upper] = [api.value(1), api.value(2), api.value(3)];
    const size = api.size?.([1, 0]);
    const band = Array.isArray(size) ? (size[0] ?? 0) : 0;
    const slot = (band * 0.8) / count;
    const [center = 0, base = 0] = api.coord([group, 0]);
    const x = center - band * 0.4 + slot * index + slot * 0.1;
    const width = slot * 0.8;
    const mid = x + width / 2;
    if (!finite(value)) return api.value(4) === 1 ? hiddenMark(mid, base) : null;
    const top = api.coord([group, value])[1] ?? base;
    const children: NonNullable<CustomSeriesRenderItemReturn>[] = [
      { type: "rect", shape: { x, y: Math.min(top, base), width, height: Math.abs(base - top) }, style: { fill: api.visual("color") as string } },
    ];
    if (finite(lower) && finite(upper)) {
      const yl = api.coord([group, lower])[1] ?? base;
      const yu = api.coord([group, upper])[1] ?? base;
      const cap = Math.min(8, width * 0.5) / 2;
      const stroke = { stroke: WHISKER, lineWidth: 1.2 };
      children.push(
        { type: "line", shape: { x1: mid, y1: yl, x2: mid, y2: yu }, style: stroke },
        { type: "line", shape: { x1: mid - cap, y1: yl, x2: mid + cap, y2: yl }, style: stroke },
        { type: "line", shape: { x1: mid - cap, y1: yu, x2: mid + cap, y2: yu }, style: stroke },
      );
    }
    return { type: "group", children } as CustomSeriesRenderItemReturn;
  };
}

/** Horizontal whiskers (forest plot) for items [lower, upper, row index]. */
const horizontalWhiskers: CustomSeriesRenderItem = (_params, api) => {
  const [lower, upper, row] = [api.value(0), api.value(1), Number(api.value(2))];
  if (!finite(lower) || !finite(upper)) return null;
  const [x1 = 0, y = 0] = api.coord([lower, row]);
  const x2 = api.coord([upper, row])[0] ?? x1;
  const stroke = { stroke: WHISKER, lineWidth: 1.2 };
  return {
    type: "group",
    children: [
      { type: "line", shape: { x1, y1: y, x2, y2: y }, style: stroke },
      { type: "line", shape: { x1, y1: y - 4, x2: x1, y2: y + 4 }, style: stroke },
      { type: "line", shape: { x1: x2, y1: y - 4, x2, y2: y + 4 }, style: stroke },
    ],
  } as CustomSeriesRenderItemReturn;
};

type Measure = "rate" | "mean" | "difference" | "days" | "count";

/** One custom series of bars with intervals per series of the view model. */
function intervalSeries(view: GroupedEstimates, measure: Measure, k: number, colors: readonly string[], axes: object = {}) {
  return view.series.map((s, index) => ({
    type: "custom" as const,
    name: s.name,
    renderItem: barsWithIntervals(index, view.series.length),
    itemStyle: { color: colors[index] },
    encode: { x: 0, y: [1, 2, 3] },
    data: s.points.map((p, g) => [g, p.value, p.lower, p.upper, p.hidden ? 1 : 0]),
    tooltip: { formatter: (p: { dataIndex: number }) => tooltipLine(view.groups[p.dataIndex] ?? "", s.name, s.points[p.dataIndex], measure, k) },
    ...axes,
  }));
}

function tooltipLine(group: string, series: string, e: Estimate | undefined, measure: Measure, k: number): string {
  return `${escapeHtml(group)}<br>${escapeHtml(series)}: ${escapeHtml(e === undefined ? "" : estimateText(e, measure, k))}`;
}

const legend = { top: 0, type: "scroll" as const };
const grid = { left: 56, right: 24, top: 40, bottom: 64, containLabel: true };

/** Coverage: each category's share of the enrolled students per group, stacked to 100 %. */
export function coverageOption(view: GroupedEstimates, k: number): ChartOption {
  return {
    animation: false,
    legend,
    grid,
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      formatter: (params: { dataIndex: number }[]) => {
        const g = params[0]?.dataIndex ?? 0;
        return [escapeHtml(view.groups[g] ?? ""), ...view.series.map((s) => `${escapeHtml(s.name)}: ${escapeHtml(s.points[g] ? estimateText(s.points[g], "rate", k) : "")}`)].join("<br>");
      },
    },
    xAxis: categoryAxis(view.groups, view.groupsWithHidden),
    yAxis: percentAxis({ max: 1 }),
    series: view.series.map((s, i) => ({
      type: "bar" as const,
      name: s.name,
      stack: "coverage",
      itemStyle: { color: COVERAGE[i]?.color },
      data: s.points.map((p) => p.value),
    })),
  };
}

/** Tier distribution: each tier's rate with its Wilson 95 % interval, per group. */
export function tierOption(view: GroupedEstimates, k: number): ChartOption {
  return {
    animation: false,
    legend,
    grid,
    tooltip: { trigger: "item" },
    xAxis: categoryAxis(view.groups, view.groupsWithHidden),
    yAxis: percentAxis(),
    series: intervalSeries(
      view,
      "rate",
      k,
      TIERS.map((t) => t.color),
    ),
  };
}

/** Happiness index: WHO-5 mean (0-100) with its 95 % interval, per group. */
export function happinessOption(view: GroupedEstimates, k: number): ChartOption {
  return {
    animation: false,
    grid: { ...grid, top: 24 },
    tooltip: { trigger: "item" },
    xAxis: categoryAxis(view.groups, view.groupsWithHidden),
    yAxis: { type: "value", min: 0, max: 100, name: "WHO-5", nameTextStyle: { color: AXIS_TEXT } },
    series: intervalSeries(view, "mean", k, ["#0f766e"]),
  };
}

/** Influencing factors: each answer's difference in mean WHO-5 from its factor's reference answer (forest plot). */
export function factorOption(points: readonly FactorPoint[], k: number): ChartOption {
  const labels = points.map((p) => (p.hidden ? `${p.label} *` : p.reference ? `${p.label}（参照 ref）` : p.label));
  const tooltip = (p: { dataIndex: number }) => {
    const point = points[p.dataIndex];
    if (!point) return "";
    return `${escapeHtml(point.label)}<br>${point.reference ? "参照组 · reference" : `与参照组之差 · difference: ${escapeHtml(estimateText(point, "difference", k))}`}`;
  };
  return {
    animation: false,
    grid: { left: 16, right: 32, top: 16, bottom: 40, containLabel: true },
    tooltip: { trigger: "item" },
    xAxis: { type: "value", name: "WHO-5 差值 · difference", nameLocation: "middle", nameGap: 28, nameTextStyle: { color: AXIS_TEXT } },
    yAxis: { type: "category", data: labels, inverse: true, axisLabel: { interval: 0, color: AXIS_TEXT, width: 260, overflow: "truncate" } },
    series: [
      {
        type: "custom",
        name: "95% 置信区间 · 95% interval",
        renderItem: horizontalWhiskers,
        encode: { x: [0, 1], y: 2 },
        data: points.map((p, i) => [p.lower, p.upper, i]),
        tooltip: { formatter: tooltip },
      },
      {
        type: "scatter",
        name: "与参照组之差 · difference",
        symbolSize: 9,
        itemStyle: { color: "#0f766e" },
        data: points.map((p, i) => [p.value, i]),
        tooltip: { formatter: tooltip },
        markLine: { silent: true, symbol: "none", lineStyle: { color: AXIS_TEXT, type: "solid" }, label: { show: false }, data: [{ xAxis: 0 }] },
      },
    ],
  };
}

/**
 * The funnel plot: each placed school's red+orange rate against its size, the district rate, and the
 * 95 % and 99.8 % limits around it.
 */
export function funnelOption(points: readonly FunnelPoint[], districtRate: number, k: number): ChartOption {
  const maxN = Math.max(k, ...points.map((p) => p.n)) * 1.15;
  const curves = funnelCurves(districtRate, maxN);
  const limit = (name: string, data: [number, number][], color: string, dashed: boolean) => ({
    type: "line" as const,
    name,
    data,
    showSymbol: false,
    silent: true,
    lineStyle: { color, width: 1.5, type: dashed ? ("dashed" as const) : ("solid" as const) },
    itemStyle: { color },
    tooltip: { show: false },
  });
  return {
    animation: false,
    legend,
    grid,
    tooltip: { trigger: "item" },
    xAxis: { type: "value", min: 0, name: "已评定人数 · screened", nameLocation: "middle", nameGap: 28, nameTextStyle: { color: AXIS_TEXT } },
    yAxis: percentAxis({ max: 1 }),
    series: [
      limit("95% 控制限 · 95% limits", curves.upper95, "#ea580c", true),
      limit("95% 控制限 · 95% limits", curves.lower95, "#ea580c", true),
      limit("99.8% 控制限 · 99.8% limits", curves.upper998, "#b91c1c", false),
      limit("99.8% 控制限 · 99.8% limits", curves.lower998, "#b91c1c", false),
      {
        type: "scatter",
        name: "学校 · schools",
        symbolSize: 11,
        itemStyle: { color: "#1d4ed8" },
        data: points.map((p) => [p.n, p.rate]),
        label: { show: true, position: "right", formatter: (p: { dataIndex: number }) => points[p.dataIndex]?.label ?? "", color: AXIS_TEXT },
        tooltip: {
          formatter: (p: { dataIndex: number }) => {
            const point = points[p.dataIndex];
            return point ? `${escapeHtml(point.label)}<br>n = ${point.n} · ${(point.rate * 100).toFixed(1)}%` : "";
          },
        },
        markLine: {
          silent: true,
          symbol: "none",
          lineStyle: { color: AXIS_TEXT, type: "solid" },
          label: { formatter: `全区 district ${(districtRate * 100).toFixed(1)}%`, position: "insideEndTop" },
          data: [{ yAxis: districtRate }],
        },
      },
    ],
  };
}

/** Movement: students by their tier before (axis) and now (stacked), counts; hidden cells left out and marked. */
export function movementOption(view: MovementView, k: number): ChartOption {
  const marked = view.before.map((_, i) => view.series.some((s) => s.counts[i] === null));
  return {
    animation: false,
    legend,
    grid,
    tooltip: {
      trigger: "axis",
      axisPointer: { type: "shadow" },
      formatter: (params: { dataIndex: number }[]) => {
        const i = params[0]?.dataIndex ?? 0;
        return [escapeHtml(view.before[i] ?? ""), ...view.series.map((s) => `${escapeHtml(s.name)}: ${s.counts[i] === null ? `— ${hiddenNote(k)}` : String(s.counts[i])}`)].join("<br>");
      },
    },
    xAxis: categoryAxis(view.before, marked, { name: "上次等级 · tier before", nameLocation: "middle", nameGap: 48 }),
    yAxis: { type: "value", min: 0, name: "人数 · students" },
    series: view.series.map((s, i) => ({ type: "bar" as const, name: s.name, stack: "now", itemStyle: { color: TIERS[i]?.color }, data: [...s.counts] })),
  };
}

/** Follow-up quality: same-day acknowledgement rate (with interval), median days to interview, overdue cases; one panel each. */
export function followUpOption(view: FollowUpView, k: number): ChartOption {
  const groups = view.sameDay.groups;
  const axis = (gridIndex: number, name: string) => ({ ...categoryAxis(groups, view.sameDay.groupsWithHidden), gridIndex, axisLabel: { show: gridIndex === 2, interval: 0, rotate: groups.length > 6 ? 30 : 0, color: AXIS_TEXT }, name });
  const single = (points: readonly Estimate[], gridIndex: number, name: string, measure: Measure, color: string) => ({
    type: "custom" as const,
    name,
    xAxisIndex: gridIndex,
    yAxisIndex: gridIndex,
    renderItem: barsWithIntervals(0, 1),
    itemStyle: { color },
    encode: { x: 0, y: [1, 2, 3] },
    data: points.map((p, g) => [g, p.value, p.lower, p.upper, p.hidden ? 1 : 0]),
    tooltip: { formatter: (p: { dataIndex: number }) => tooltipLine(groups[p.dataIndex] ?? "", name, points[p.dataIndex], measure, k) },
  });
  const sameDay = view.sameDay.series[0]?.points ?? [];
  return {
    animation: false,
    tooltip: { trigger: "item" },
    grid: [
      { left: 64, right: 24, top: 24, height: "22%", containLabel: false },
      { left: 64, right: 24, top: "38%", height: "18%", containLabel: false },
      { left: 64, right: 24, top: "64%", height: "18%", containLabel: false },
    ],
    xAxis: [axis(0, ""), axis(1, ""), axis(2, "")],
    yAxis: [
      percentAxis({ max: 1, gridIndex: 0, name: "当天确认 · same day", nameTextStyle: { align: "left" } }),
      { type: "value", min: 0, gridIndex: 1, name: "约谈天数中位数 · median days", nameTextStyle: { align: "left" } },
      { type: "value", min: 0, minInterval: 1, gridIndex: 2, name: "逾期个案 · overdue", nameTextStyle: { align: "left" } },
    ],
    series: [
      single(sameDay, 0, "当天确认比例 · same-day rate", "rate", "#1d4ed8"),
      single(view.medianDays, 1, "约谈天数中位数 · median days to interview", "days", "#0f766e"),
      single(view.overdue, 2, "逾期个案数 · overdue cases", "count", "#b91c1c"),
    ],
  };
}
