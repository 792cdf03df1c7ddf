/**
 * What a counselor sent the homeroom teacher (GET /api/notices): "请关注以下学生 · Please check in with"
 * notices (due by a date; "done" records the check-in) and short feedback on a case step ("read" records
 * it was read). Each names the student, the class and fixed words; never a score, a tier or a reason (the
 * server sends none).
 */
import { useEffect, useState } from "react";
import type { Notice } from "../../shared/cases";
import { staffApi } from "../staff/client";
import { classLabel, failureText } from "../staff/model";
import { UserText } from "../ui/UserText";
import { dueDay, orderNotices } from "./model";

type State = { kind: "loading" } | { kind: "hidden" } | { kind: "failed"; message: string } | { kind: "ready"; notices: Notice[] };

/** `alwaysShow`: a homeroom teacher sees the check-in section even when empty; others only when there is a notice. */
export function Notices({ alwaysShow }: { alwaysShow: boolean }) {
  const [state, setState] = useState<State>({ kind: "loading" });
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    void staffApi.get<{ notices: Notice[] }>("/api/notices").then((r) => {
      if (!live) return;
      if (r.ok) setState({ kind: "ready", notices: orderNotices(r.data.notices) });
      // Notices go to homeroom teachers: a role the server sends none to simply has no section.
      else if (r.kind === "http" && r.status === 403) setState({ kind: "hidden" });
      else setState({ kind: "failed", message: failureText(r) });
    });
    return () => {
      live = false;
    };
  }, []);

  async function markDone(notice: Notice) {
    setBusy(notice.id);
    setError(null);
    const r = await staffApi.post(`/api/notices/${encodeURIComponent(notice.id)}/done`);
    setBusy(null);
    if (!r.ok) {
      setError(failureText(r));
      return;
    }
    setState((s) => (s.kind === "ready" ? { kind: "ready", notices: orderNotices(s.notices.map((n) => (n.id === notice.id ? { ...n, doneAt: new Date().toISOString() } : n))) } : s));
  }

  if (state.kind === "loading" || state.kind === "hidden") return null;
  if (state.kind === "failed") {
    return (
      <section className="xq-notices" aria-labelledby="xq-notices-title">
        <h2 id="xq-notices-title">请关注以下学生 · Please check in with</h2>
        <p role="alert">{state.message}</p>
      </section>
    );
  }
  const checkins = state.notices.filter((n) => n.kind === "checkin");
  const feedback = state.notices.filter((n) => n.kind === "feedback");
  const item = (n: Notice) => (
    <li key={n.id} className={n.doneAt === null ? "xq-notice" : "xq-notice xq-notice-done"} data-testid="notice">
      <div>
        <strong className="xq-notice-name">
          <UserText text={n.studentName} />
        </strong>{" "}
        · <UserText text={classLabel(n.class)} />
      </div>
      <div>
        {n.message["zh-CN"]} {n.message.en}
      </div>
      <div className="xq-notice-actions">
        {n.dueAt !== null && n.doneAt === null && (
          <span>
            请在 {dueDay(n.dueAt)} 前 · by {dueDay(n.dueAt)}
          </span>
        )}
        {n.doneAt !== null ? (
          <span>{n.kind === "checkin" ? "已谈心 · Checked in" : "已读 · Read"}</span>
        ) : (
          <button type="button" className="xq-link-button" disabled={busy !== null} onClick={() => void markDone(n)} aria-label={n.kind === "checkin" ? `已谈心：${n.studentName} · Checked in with ${n.studentName}` : `已读：${n.studentName} · Mark read`}>
            {n.kind === "checkin" ? "已谈心 · Done" : "已读 · Mark read"}
          </button>
        )}
      </div>
    </li>
  );
  return (
    <>
      {(checkins.length > 0 || alwaysShow) && (
        <section className="xq-notices" aria-labelledby="xq-notices-title">
          <h2 id="xq-notices-title">请关注以下学生 · Please check in with</h2>
          {checkins.length === 0 ? <p>目前没有需要关注的学生。Nobody to check in with right now.</p> : <ul className="xq-notice-list">{checkins.map(item)}</ul>}
        </section>
      )}
      {feedback.length > 0 && (
        <section className="xq-notices" aria-labelledby="xq-feedback-title">
          <h2 id="xq-feedback-title">心理教师的反馈 · From the counselor</h2>
          <ul className="xq-notice-list">{feedback.map(item)}</ul>
        </section>
      )}
      {error && <p role="alert">{error}</p>}
    </>
  );
}
