/**
 * The district analyst's dashboards (/analyst): pick a district wave, a wave to compare with and a
 * break-down, then coverage, tier distribution, tier movement, happiness index, influencing factors,
 * high-incidence schools (funnel plot) and case follow-up quality. Aggregates only: every figure comes
 * from /api/analytics, where small cells are already suppressed; hidden cells show as "—", never as 0.
 */
import { useEffect, useState } from "react";
import type { AnalyticsTable, DistrictWaveList, HighIncidence, Movement } from "../../shared/analytics";
import type { Role } from "../../shared/api";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { StaffShell } from "../staff/StaffShell";
import { isolate } from "../ui/bidi";
import { UserText } from "../ui/UserText";
import { coverageOption, factorOption, followUpOption, funnelOption, happinessOption, movementOption, tierOption } from "./charts";
import {
  BREAKDOWNS,
  breakdownFor,
  coverageSeries,
  csvUrl,
  dataUrl,
  factorPoints,
  followUpView,
  funnelPoints,
  happinessSeries,
  hiddenNote,
  movementSummary,
  movementView,
  previousWave,
  tierSeries,
  waveName,
  wavesNewestFirst,
  type Breakdown,
  type ChartId,
  type CsvEncoding,
  type Selection,
} from "./model";
import { Panel, type Drawing } from "./Panel";
import "./analyst.css";

/** The server answers analytics to analysts only (can.ts `analytics.read`; admins get 403). */
const ROLES: readonly Role[] = ["analyst"];

export default function AnalystPage() {
  return <StaffShell title="全区统计 · District figures" roles={ROLES}>{() => <Dashboard />}</StaffShell>;
}

type Waves = DistrictWaveList["waves"];
type WavesState = { kind: "loading" } | { kind: "failed"; message: string } | { kind: "ready"; waves: Waves };

function Dashboard() {
  const [waves, setWaves] = useState<WavesState>({ kind: "loading" });
  useEffect(() => {
    let live = true;
    void staffApi.get<DistrictWaveList>("/api/analytics/waves").then((r) => {
      if (live) setWaves(r.ok ? { kind: "ready", waves: wavesNewestFirst(r.data.waves) } : { kind: "failed", message: failureText(r) });
    });
    return () => {
      live = false;
    };
  }, []);
  if (waves.kind === "loading") return <p>正在加载… Loading…</p>;
  if (waves.kind === "failed") return <p role="alert">{waves.message}</p>;
  if (waves.waves.length === 0) return <p>还没有任何学校建立筛查。No school has a screening wave yet.</p>;
  return <Figures waves={waves.waves} />;
}

function Figures({ waves }: { waves: Waves }) {
  const newest = waves[0]?.key ?? "";
  const [sel, setSel] = useState<Selection>({ wave: newest, compareWith: previousWave(waves, newest), by: "school" });
  const [encoding, setEncoding] = useState<CsvEncoding>("utf-8");
  const pickWave = (wave: string) => setSel((s) => ({ ...s, wave, compareWith: s.compareWith === wave || s.compareWith === null ? previousWave(waves, wave) : s.compareWith }));
  const panel = (id: ChartId) => ({ id, url: dataUrl(id, sel), csvUrl: csvUrl(id, sel, encoding), note: breakdownFor(id, sel.by).note });

  return (
    <>
      <form className="xq-analyst-controls" onSubmit={(e) => e.preventDefault()} aria-label="选择 · Choose">
        <label>
          筛查轮次 · Wave
          <select value={sel.wave} onChange={(e) => pickWave(e.target.value)}>
            {waves.map((w) => (
              <option key={w.key} value={w.key}>
                {waveName(w)}
              </option>
            ))}
          </select>
        </label>
        <label>
          对比轮次（等级变化）· Compare with (movement)
          <select value={sel.compareWith ?? ""} onChange={(e) => setSel((s) => ({ ...s, compareWith: e.target.value === "" ? null : e.target.value }))}>
            <option value="">不对比 · None</option>
            {waves
              .filter((w) => w.key !== sel.wave)
              .map((w) => (
                <option key={w.key} value={w.key}>
                  {waveName(w)}
                </option>
              ))}
          </select>
        </label>
        <label>
          分组 · Break down by
          <select value={sel.by} onChange={(e) => setSel((s) => ({ ...s, by: e.target.value as Breakdown }))}>
            {BREAKDOWNS.map((b) => (
              <option key={b.value} value={b.value}>
                {b.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          CSV 编码 · CSV encoding
          <select value={encoding} onChange={(e) => setEncoding(e.target.value as CsvEncoding)}>
            <option value="utf-8">UTF-8（Excel 可直接打开 · opens in Excel）</option>
            <option value="gb18030">GB18030（旧版 Excel · older Excel）</option>
          </select>
        </label>
      </form>
      <p className="xq-analyst-privacy">仅显示汇总数据；少于阈值人数的单元格已由服务器隐藏（表中显示为“—”）。Aggregates only; cells under the threshold are hidden by the server (shown as “—”).</p>

      <Panel<AnalyticsTable> {...panel("coverage")} heading="筛查覆盖率 · Screening coverage" draw={drawCoverage} />
      <Panel<AnalyticsTable> {...panel("tiers")} heading="预警等级分布 · Tier distribution" draw={drawTiers} />
      <Panel<Movement> {...panel("movement")} heading="两次筛查之间的等级变化 · Tier movement between waves" unavailable="请选择对比轮次（需要两轮筛查）。Pick a wave to compare with (needs two waves)." draw={drawMovement} />
      <Panel<AnalyticsTable> {...panel("happiness")} heading="幸福指数 · Happiness index (WHO-5)" draw={drawHappiness} />
      <Panel<AnalyticsTable> {...panel("factors")} heading="幸福指数的影响因素 · Influencing factors" draw={drawFactors} />
      <Panel<HighIncidence> {...panel("high-incidence")} heading="高发学校 · High-incidence schools" draw={drawFunnel} />
      <Panel<AnalyticsTable> {...panel("follow-up")} heading="个案跟进质量 · Case follow-up quality" draw={drawFollowUp} />
    </>
  );
}

const tall = (groups: number): number => Math.max(360, Math.min(720, 220 + groups * 24));

function drawCoverage(table: AnalyticsTable): Drawing {
  const view = coverageSeries(table);
  return { option: coverageOption(view, table.k), height: tall(view.groups.length), marked: view.groupsWithHidden.includes(true) };
}

function drawTiers(table: AnalyticsTable): Drawing {
  const view = tierSeries(table);
  return { option: tierOption(view, table.k), height: tall(view.groups.length), marked: view.groupsWithHidden.includes(true) };
}

function drawMovement(table: Movement): Drawing {
  const view = movementView(table);
  return {
    option: movementOption(view, table.k),
    marked: view.series.some((s) => s.counts.includes(null)),
    extra: <p className="xq-panel-summary">{movementSummary(table.summary)}</p>,
  };
}

function drawHappiness(table: AnalyticsTable): Drawing {
  const view = happinessSeries(table);
  return { option: happinessOption(view, table.k), height: tall(view.groups.length), marked: view.groupsWithHidden.includes(true) };
}

function drawFactors(table: AnalyticsTable): Drawing {
  const points = factorPoints(table);
  return { option: factorOption(points, table.k), height: Math.max(360, 80 + points.length * 22), marked: points.some((p) => p.hidden) };
}

function drawFunnel(table: HighIncidence): Drawing {
  const { placed, unplaced } = funnelPoints(table);
  const extra = (
    <div className="xq-panel-summary">
      <h3>高于 99.8% 控制上限的学校 · Schools above the 99.8% limit</h3>
      {table.above998.length === 0 ? (
        <p>无 · None</p>
      ) : (
        <ul data-testid="above998">
          {table.above998.map((s) => (
            <li key={s.schoolId}>
              {s.code} <UserText text={s.name} />
            </li>
          ))}
        </ul>
      )}
      {unplaced.length > 0 && (
        <p>
          未标出（人数已隐藏）· Not placed (counts hidden): {unplaced.map(isolate).join("、")}（{hiddenNote(table.k)}）
        </p>
      )}
    </div>
  );
  if (table.districtRate === null) return { option: null, empty: `全区比例已隐藏，无法绘制漏斗图。The district rate is hidden: no funnel plot. ${hiddenNote(table.k)}`, extra };
  return { option: funnelOption(placed, table.districtRate, table.k), extra, height: 420 };
}

function drawFollowUp(table: AnalyticsTable): Drawing {
  const view = followUpView(table);
  return { option: followUpOption(view, table.k), height: 520, marked: view.sameDay.groupsWithHidden.includes(true) };
}
