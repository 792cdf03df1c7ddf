/**
 * One ECharts canvas. ECharts arrives on first use from its own chunk (echarts.ts); until then, and if it
 * cannot load, the table below the chart carries the same numbers. The chart instance is handed to the
 * panel for the PNG export.
 */
import { useEffect, useRef, useState } from "react";
import type { EChartsType } from "echarts/core";
import type { ChartOption } from "./charts";
import type * as Charts from "./echarts";

let charts: Promise<typeof Charts> | null = null;

/** Loads ECharts once per page. */
function loadCharts(): Promise<typeof Charts> {
  charts ??= import("./echarts");
  return charts;
}

export interface EChartProps {
  readonly option: ChartOption;
  /** What the chart shows, for screen readers (the table below has the numbers). */
  readonly label: string;
  readonly height?: number;
  readonly onChart: (chart: EChartsType | null) => void;
}

export function EChart({ option, label, height = 360, onChart }: EChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const chart = useRef<EChartsType | null>(null);
  const [failed, setFailed] = useState(false);

  useEffect(() => {
    let live = true;
    loadCharts().then(
      ({ init }) => {
        if (!live || box.current === null) return;
        chart.current ??= init(box.current, undefined, { renderer: "canvas" });
        chart.current.setOption(option, { notMerge: true });
        onChart(chart.current);
      },
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [option, onChart]);

  useEffect(() => {
    const el = box.current;
    const observer = new ResizeObserver(() => chart.current?.resize());
    if (el) observer.observe(el);
    return () => {
      observer.disconnect();
      chart.current?.dispose();
      chart.current = null;
      onChart(null);
    };
  }, [onChart]);

  if (failed) return <p role="alert">图表无法加载，请看下表。The chart could not load; the table below has the figures.</p>;
  return <div ref={box} className="xq-chart" style={{ height }} role="img" aria-label={label} />;
}
