/**
 * The audit log (administrator only): newest first, filtered by action (or a family such as "code.") and
 * by days, a page at a time. Reading is itself recorded by the server. Context values are shown as text.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { AuditEntry, AuditPage } from "../../shared/audit";
import type { SchoolList } from "../../shared/schools";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { useLoad } from "./api";
import { actorText, AUDIT_FAMILIES, auditFilterProblems, auditQuery, contextText, localOffset, timeAt, type AuditFilters, type Problem } from "./model";
import { Problems } from "./parts";

const NO_FILTERS: AuditFilters = { action: "", fromDay: "", toDay: "" };
const offsetAt = (iso: string) => -new Date(iso).getTimezoneOffset();

type Log = { kind: "loading" } | { kind: "failed"; message: string } | { kind: "ready"; entries: AuditEntry[]; next: string | null };

export function AuditSection() {
  const schools = useLoad<SchoolList>("/api/schools");
  const [form, setForm] = useState<AuditFilters>(NO_FILTERS);
  const [applied, setApplied] = useState<AuditFilters>(NO_FILTERS);
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const [log, setLog] = useState<Log>({ kind: "loading" });
  const [more, setMore] = useState(false);
  const schoolName = (id: string | null) => (id === null || schools.loaded.kind !== "ready" ? id : (schools.loaded.data.schools.find((s) => s.id === id)?.code ?? id));

  useEffect(() => {
    let live = true;
    setLog({ kind: "loading" });
    void staffApi.get<AuditPage>(`/api/audit${auditQuery(applied, localOffset)}`).then((r) => {
      if (live) setLog(r.ok ? { kind: "ready", entries: r.data.entries, next: r.data.next } : { kind: "failed", message: failureText(r) });
    });
    return () => {
      live = false;
    };
  }, [applied]);

  function apply(event: FormEvent) {
    event.preventDefault();
    const found = auditFilterProblems(form);
    setProblems(found.length > 0 ? found : null);
    if (found.length === 0) setApplied({ ...form, action: form.action.trim() });
  }

  async function older() {
    if (log.kind !== "ready" || log.next === null) return;
    setMore(true);
    const r = await staffApi.get<AuditPage>(`/api/audit${auditQuery(applied, localOffset, log.next)}`);
    setMore(false);
    if (r.ok) setLog({ kind: "ready", entries: [...log.entries, ...r.data.entries], next: r.data.next });
    else setProblems([{ line: null, column: null, message: failureText(r) }]);
  }

  return (
    <section aria-labelledby="audit-title">
      <h2 id="audit-title">审计日志 · Audit log</h2>
      <p>只追加、不可修改：谁在何时做了什么（不含姓名、作答或访问码）。Append-only: who did what and when (never a name, an answer or a code).</p>
      <form className="xq-admin-pickers" onSubmit={apply}>
        <label>
          操作 · Action
          <input list="audit-families" value={form.action} onChange={(e) => setForm({ ...form, action: e.target.value })} placeholder="code." />
          <datalist id="audit-families">
            {AUDIT_FAMILIES.map((f) => (
              <option key={f} value={f} />
            ))}
          </datalist>
        </label>
        <label>
          开始日期 · From
          <input type="date" value={form.fromDay} onChange={(e) => setForm({ ...form, fromDay: e.target.value })} />
        </label>
        <label>
          结束日期（含）· To (inclusive)
          <input type="date" value={form.toDay} onChange={(e) => setForm({ ...form, toDay: e.target.value })} />
        </label>
        <button type="submit">筛选 · Filter</button>
      </form>
      {problems && <Problems title="筛选条件有误 · Check the filters" problems={problems} label="问题 · Problems" />}
      {log.kind === "loading" && <p>正在加载… Loading…</p>}
      {log.kind === "failed" && <p role="alert">{log.message}</p>}
      {log.kind === "ready" &&
        (log.entries.length === 0 ? (
          <p>没有符合条件的记录。No entries match.</p>
        ) : (
          <>
            <table className="xq-admin-table xq-admin-audit" aria-label="审计记录 · Audit entries">
              <thead>
                <tr>
                  <th scope="col">时间 · Time</th>
                  <th scope="col">操作者 · Who</th>
                  <th scope="col">操作 · Action</th>
                  <th scope="col">学校 · School</th>
                  <th scope="col">对象 · Subject</th>
                  <th scope="col">详情 · Context</th>
                  <th scope="col">地址 · Address</th>
                </tr>
              </thead>
              <tbody>
                {log.entries.map((e) => (
                  <tr key={e.id}>
                    <td>{timeAt(e.at, offsetAt(e.at))}</td>
                    <td>{actorText(e)}</td>
                    <td>{e.action}</td>
                    <td>{schoolName(e.schoolId) ?? "—"}</td>
                    <td>{[e.subject, e.studentId && `student ${e.studentId}`].filter(Boolean).join(" · ") || "—"}</td>
                    <td>{contextText(e.context)}</td>
                    <td>{e.address ?? "—"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            {log.next !== null && (
              <button type="button" className="xq-button" disabled={more} onClick={() => void older()}>
                更早的记录 · Older entries
              </button>
            )}
          </>
        ))}
    </section>
  );
}
