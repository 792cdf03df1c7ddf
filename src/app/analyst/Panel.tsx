/**
 * One dashboard panel: heading, chart, the same figures as a real table, and the two exports: the CSV
 * from the server's .csv twin of the endpoint with the same query (suppression and the formula guard are
 * the server's), and a PNG of the chart from ECharts.
 */
import { useEffect, useMemo, useState, type ReactNode } from "react";
import type { EChartsType } from "echarts/core";
import type { AnalyticsTable } from "../../shared/analytics";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { UserText } from "../ui/UserText";
import type { ChartOption } from "./charts";
import { EChart } from "./EChart";
import { cellText, hiddenNote, NOT_APPLICABLE, pngFileName, tableView, type TableView } from "./model";

/** What a panel draws from its table: the chart option (null: nothing to draw, say why) and extra lines. */
export interface Drawing {
  readonly option: ChartOption | null;
  readonly empty?: string;
  readonly extra?: ReactNode;
  readonly height?: number;
  /** True when a group on the chart is marked "*" for a hidden value. */
  readonly marked?: boolean;
}

export interface PanelProps<T extends AnalyticsTable> {
  readonly id: string;
  readonly heading: string;
  /** The JSON endpoint, or null when the panel cannot be drawn (then `unavailable` says why). */
  readonly url: string | null;
  readonly csvUrl: string | null;
  readonly unavailable?: string;
  /** A line about the break-down used, when it is not the one picked. */
  readonly note?: string | null;
  readonly draw: (table: T) => Drawing;
}

type Loaded<T> = { kind: "loading" } | { kind: "failed"; message: string } | { kind: "ready"; table: T };

export function Panel<T extends AnalyticsTable>({ id, heading, url, csvUrl, unavailable, note, draw }: PanelProps<T>) {
  const [state, setState] = useState<Loaded<T>>({ kind: "loading" });
  const [chart, setChart] = useState<EChartsType | null>(null);

  useEffect(() => {
    if (url === null) return;
    let live = true;
    setState({ kind: "loading" });
    void staffApi.get<T>(url).then((result) => {
      if (!live) return;
      setState(result.ok ? { kind: "ready", table: result.data } : { kind: "failed", message: failureText(result) });
    });
    return () => {
      live = false;
    };
  }, [url]);

  const table = state.kind === "ready" ? state.table : null;
  const drawing = useMemo(() => (table === null ? null : draw(table)), [table, draw]);
  const view = useMemo(() => (table === null ? null : tableView(table)), [table]);

  function exportPng() {
    if (chart === null || table === null) return;
    const link = document.createElement("a");
    link.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
    link.download = pngFileName(table);
    link.click();
  }

  const headingId = `xq-panel-${id}`;
  return (
    <section className="xq-panel" aria-labelledby={headingId} data-panel={id}>
      <h2 id={headingId}>{heading}</h2>
      {note && (
        <p className="xq-panel-note" data-testid="breakdown-note">
          {note}
        </p>
      )}
      {url === null ? (
        <p>{unavailable}</p>
      ) : state.kind === "loading" ? (
        <p>正在加载… Loading…</p>
      ) : state.kind === "failed" ? (
        <p role="alert">{state.message}</p>
      ) : (
        <>
          <div className="xq-panel-actions">
            {csvUrl !== null && (
              <a className="xq-action" href={csvUrl} download>
                下载 CSV · Download CSV
              </a>
            )}
            <button type="button" className="xq-action" onClick={exportPng} disabled={chart === null || drawing?.option === null}>
              导出 PNG · Export PNG
            </button>
          </div>
          {drawing?.option ? <EChart option={drawing.option} label={heading} height={drawing.height} onChart={setChart} /> : <p className="xq-panel-empty">{drawing?.empty}</p>}
          {drawing?.option && drawing.marked && (
            <p className="xq-panel-note" data-testid="chart-hidden-note">
              * 含已隐藏的单元格（图中空缺或标“—”）：{hiddenNote(state.table.k)}。* Has hidden cells (left out or marked “—”).
            </p>
          )}
          {drawing?.extra}
          {view && <FiguresTable view={view} k={state.table.k} />}
        </>
      )}
    </section>
  );
}

/** The figures as a table: hidden cells as "—" with the note, never as 0. */
function FiguresTable({ view, k }: { view: TableView; k: number }) {
  const note = hiddenNote(k);
  return (
    <div className="xq-table-wrap" tabIndex={0} role="region" aria-label={view.caption}>
      <table className="xq-figures">
        <caption>{view.caption}</caption>
        <thead>
          <tr>
            {view.headers.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {view.rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => {
                const numeric = view.types[c] !== "group" && view.types[c] !== "text";
                const className = numeric ? "xq-num" : undefined;
                if (cell.kind === "hidden")
                  return (
                    <td key={c} className={className} data-hidden="true">
                      <abbr title={note}>—</abbr>
                    </td>
                  );
                if (cell.kind === "not-applicable") return <td key={c} className={className} title={NOT_APPLICABLE} />;
                return (
                  <td key={c} className={className}>
                    {/* A group or text cell may be a school's name as typed. */}
                    {numeric ? cellText(cell) : <UserText text={cellText(cell)} />}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      {view.notes.map((n, i) => (
        <p key={i} className="xq-table-note" data-testid={view.hidden > 0 && i === 0 ? "hidden-note" : undefined}>
          {view.hidden > 0 && i === 0 ? `— ${n}` : n}
        </p>
      ))}
    </div>
  );
}
