/**
 * The homeroom teacher's whole-class grid: rows = students, columns = the items of the grade's screener
 * (PSC-17 teacher in 1-6, SRSS-IE in 7-12). Each cell takes one key, the option's value ("0"…"3"), and the
 * focus moves on to the next cell, so a class is rated by typing; arrow keys move, Backspace clears. The
 * header row and the name column stay in view while scrolling. The class is submitted as one batch: the
 * server files every row or none.
 */
import { useMemo, useRef, useState, type KeyboardEvent } from "react";
import type { ObservationReply, ObserveForm, ObserveStudent } from "../../shared/observations";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { isolate } from "../ui/bidi";
import { UserText } from "../ui/UserText";
import {
  bilingual,
  buildBatchBody,
  emptyGrid,
  fillRowBlanks,
  gridColumns,
  gridLegend,
  gridSummary,
  moveFrom,
  optionForKey,
  optionLabel,
  problemsByStudent,
  rowStatus,
  setCell,
  type Cell,
  type GridState,
} from "./model";

const ARROWS = new Set(["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"]);

export function ClassGrid({ form, students, className }: { form: ObserveForm; students: readonly ObserveStudent[]; className: string }) {
  const columns = useMemo(() => gridColumns(form), [form]);
  const [grid, setGrid] = useState<GridState>(emptyGrid);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [bad, setBad] = useState<Map<string, string[]>>(new Map());
  const [done, setDone] = useState<string | null>(null);
  const table = useRef<HTMLTableElement>(null);

  const summary = gridSummary(grid, students, columns);
  const legend = gridLegend(columns);
  const neverValue = columns[0]?.options[0]?.value;
  const notes = [...new Set(columns.flatMap((c) => (c.note ? [bilingual(c.note)] : [])))];

  function focusCell(cell: Cell | null) {
    if (cell === null) return;
    table.current?.querySelector<HTMLInputElement>(`input[data-row="${cell.row}"][data-col="${cell.col}"]`)?.focus();
  }

  function put(row: number, col: number, value: string | number | null, advance: boolean) {
    const student = students[row];
    const item = columns[col];
    if (!student || !item) return;
    setGrid((g) => setCell(g, student.id, item.id, value));
    setDone(null);
    if (advance) focusCell(moveFrom({ row, col }, "next", students.length, columns.length));
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>, row: number, col: number) {
    const { key } = event;
    if (ARROWS.has(key)) {
      event.preventDefault();
      focusCell(moveFrom({ row, col }, key as "ArrowLeft", students.length, columns.length));
    } else if (key === "Backspace" || key === "Delete") {
      event.preventDefault();
      put(row, col, null, false);
    } else if (key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey) {
      // One key is one answer: a valid value fills the cell and moves on; anything else is ignored.
      event.preventDefault();
      const item = columns[col];
      const value = item && optionForKey(item, key);
      if (value !== undefined) put(row, col, value, true);
    }
  }

  async function submit() {
    setError(null);
    setDone(null);
    setBad(new Map());
    const built = buildBatchBody(form.id, grid, students, columns);
    if (!built.ok) {
      if (built.reason === "nothing-rated") setError("还没有评定任何学生。No student is rated yet.");
      else if (built.reason === "too-many") setError(`一次最多提交 100 名学生（现有 ${built.count} 名）。At most 100 students at once (${built.count} rated).`);
      else {
        setBad(new Map(built.students.map((s) => [s.id, []])));
        setError(`以下学生还有空白格：${built.students.map((s) => isolate(s.name)).join("、")}。Some cells are blank for: ${built.students.map((s) => isolate(s.name)).join(", ")}.`);
      }
      return;
    }
    setBusy(true);
    const r = await staffApi.post<ObservationReply>("/api/observations/batch", built.body);
    setBusy(false);
    if (!r.ok) {
      if (r.kind === "http") setBad(problemsByStudent(built.body, r.error.details));
      setError(`没有提交任何评定（全部或全不）。${failureText(r)} Nothing was filed (all or nothing).`);
      return;
    }
    const n = built.body.items.length;
    const skipped = built.skipped.length > 0 ? ` 未评定 ${built.skipped.length} 名（${built.skipped.map((s) => isolate(s.name)).join("、")}），未提交。 ${built.skipped.length} not rated, not filed.` : "";
    setDone(`已提交 ${isolate(className)} ${n} 名学生的评定（${form.title["zh-CN"]}）。Ratings of ${n} students filed.${skipped}`);
    setGrid(emptyGrid);
  }

  return (
    <section className="xq-grid-section" aria-labelledby="xq-grid-title">
      <h3 id="xq-grid-title">{bilingual(form.title)}</h3>
      {form.instructions && <p className="xq-instructions">{bilingual(form.instructions)}</p>}
      <p className="xq-grid-help">
        每格输入一个数字，光标自动跳到下一格；方向键移动，退格键清除。Type one digit per cell and the cursor moves on; arrow keys move, Backspace clears.
        {legend.length > 0 && (
          <>
            <br />
            <span data-testid="grid-legend">{legend.join("；")}</span>
          </>
        )}
      </p>
      <div className="xq-grid-wrap">
        <table className="xq-grid" ref={table}>
          <caption className="xq-visually-hidden">
            <UserText text={className} /> · {bilingual(form.title)}
          </caption>
          <thead>
            <tr>
              <th scope="col" className="xq-grid-corner">
                学生 · Student
              </th>
              {columns.map((c, i) => (
                <th key={c.id} scope="col" title={c.text.en}>
                  <span className="xq-grid-num">{i + 1}</span> {c.text["zh-CN"]}
                  <span className="xq-en">{c.text.en}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {students.map((s, row) => {
              const status = rowStatus(grid, s.id, columns);
              const flagged = bad.get(s.id);
              return (
                <tr key={s.id} className={flagged ? "xq-grid-row-bad" : undefined} data-status={status.kind}>
                  <th scope="row" className="xq-grid-name">
                    <span>
                      {s.studentNo !== undefined && (
                        <span className="xq-grid-no">
                          <UserText text={s.studentNo} />
                        </span>
                      )}{" "}
                      <UserText text={s.name} />
                    </span>
                    {neverValue !== undefined && status.kind === "partial" && (
                      <button type="button" className="xq-grid-fill" onClick={() => setGrid((g) => fillRowBlanks(g, s.id, columns, neverValue))} aria-label={`把${s.name}的空白格填为“${optionLabel(columns[0]!, neverValue)}” · Fill ${s.name}'s blanks with ${String(neverValue)}`}>
                        空白→{String(neverValue)}
                      </button>
                    )}
                  </th>
                  {columns.map((c, col) => {
                    const value = grid[s.id]?.[c.id];
                    const invalid = flagged !== undefined && (flagged.length === 0 ? value === undefined : flagged.includes(c.id));
                    return (
                      <td key={c.id}>
                        <input
                          className="xq-cell"
                          data-row={row}
                          data-col={col}
                          value={value === undefined ? "" : String(value)}
                          inputMode="numeric"
                          autoComplete="off"
                          aria-label={`${s.name} · ${c.text["zh-CN"]} ${c.text.en}`}
                          aria-invalid={invalid || undefined}
                          title={optionLabel(c, value)}
                          onKeyDown={(e) => onKeyDown(e, row, col)}
                          onChange={(e) => {
                            // Input that bypasses keydown (paste, an input method): the last character counts.
                            const typed = e.target.value.slice(-1);
                            const v = typed === "" ? null : optionForKey(c, typed);
                            if (v !== undefined) put(row, col, v, v !== null);
                          }}
                        />
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {notes.length > 0 && <p className="xq-grid-note">* {notes.join("；")}</p>}
      {form.attribution && <p className="xq-grid-note">{form.attribution}</p>}
      <p aria-live="polite" data-testid="grid-progress">
        已评定 {summary.complete} / {students.length} 人 · {summary.complete} of {students.length} rated
        {summary.partial.length > 0 && `；${summary.partial.length} 人未填完 · ${summary.partial.length} incomplete`}
      </p>
      {error && <p role="alert">{error}</p>}
      {done && (
        <p role="status" className="xq-done">
          {done}
        </p>
      )}
      <button type="button" className="xq-button" disabled={busy} onClick={() => void submit()}>
        提交全班评定 · Submit the class&apos;s ratings
      </button>
    </section>
  );
}
