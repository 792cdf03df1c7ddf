/**
 * The live alert banner (on every counselor page) and one alert of the home page's list, with its
 * acknowledgement by the signed-in person.
 */
import { useState, type FormEvent } from "react";
import type { SessionAccount } from "../../shared/accounts";
import type { Alert } from "../../shared/alerts";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { UserText } from "../ui/UserText";
import type { LiveAlerts } from "./live";
import { type AcknowledgeReplyBody, ALERT_KIND_LABEL, ALERT_SOURCE_LABEL, ALERT_STATUS_LABEL, alertStatus, casePath, classText, formatDateTime, openAlerts, opensCaseByDefault, studentPath } from "./model";

export function TierBadge({ tier, label }: { tier: string; label: string }) {
  return <span className={`xq-tier xq-tier-${tier}`}>{label}</span>;
}

/** Connection state, the sound switch, and (role="alert") the alerts waiting and the escalated cases. */
export function AlertBanner({ live, onHome }: { live: LiveAlerts; onHome: boolean }) {
  const waiting = openAlerts(live.alerts);
  const n = waiting.length;
  return (
    <section className="xq-live" aria-label="实时预警 · Live alerts" data-live={live.connected ? "connected" : "connecting"} data-sound={live.sound} data-chimes={live.chimed}>
      <p className="xq-live-status">
        <span>{live.connected ? "● 实时接收中 · Live" : "○ 正在连接… · Connecting…"}</span>
        {live.sound === "unsupported" ? (
          <span>此浏览器不能播放提示音 · This browser cannot play the chime</span>
        ) : (
          <button type="button" className="xq-link-button" aria-pressed={live.sound === "on"} disabled={live.sound === "on"} onClick={live.enableSound}>
            {live.sound === "on" ? "提示音已开启 · Sound on" : "开启提示音 · Turn sound on"}
          </button>
        )}
      </p>
      {live.error && <p role="alert">{live.error}</p>}
      <div role="alert" className={n > 0 ? "xq-alert-banner xq-alert-banner-on" : "xq-alert-banner"} data-testid="alert-banner">
        {n > 0 && (
          <>
            <strong>
              待确认预警 {n} 条 · {n} alert{n === 1 ? "" : "s"} waiting
            </strong>
            <ul>
              {waiting.map((a) => (
                <li key={a.id} data-status={alertStatus(a)}>
                  <UserText text={classText(a.class)} /> <UserText text={a.studentName} /> · {ALERT_KIND_LABEL[a.kind]} · {formatDateTime(a.createdAt)}
                  {a.escalatedAt !== null && <strong className="xq-escalated"> · {ALERT_STATUS_LABEL.escalated}</strong>}
                </li>
              ))}
            </ul>
            {!onHome && <a href="/counselor#alerts">查看并确认 · Review and acknowledge</a>}
          </>
        )}
      </div>
      {live.caseEscalations.length > 0 && (
        <div role="alert" className="xq-alert-banner xq-alert-banner-on" data-testid="case-escalations">
          <strong>个案逾期，已上报学校负责人 · Overdue cases escalated to the school lead</strong>
          <ul>
            {live.caseEscalations.map((c) => (
              <li key={c.caseId}>
                <a href={casePath(c.caseId)}>
                  <UserText text={classText(c.class)} /> <UserText text={c.studentName} />
                </a>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}

/** One alert: who, what, when, its state; acknowledge it (optionally opening a case) while it waits. */
export function AlertItem({ alert, account, onAcknowledged }: { alert: Alert; account: SessionAccount; onAcknowledged: (reply: AcknowledgeReplyBody) => void }) {
  const isCounselor = account.role === "counselor";
  const [openCase, setOpenCase] = useState(() => opensCaseByDefault(alert, account.role));
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const status = alertStatus(alert);
  const headingId = `alert-${alert.id}`;
  const acknowledgedBy = alert.acknowledgedBy === null ? "—" : <UserText text={alert.acknowledgedBy.name} />;

  async function acknowledge(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    const result = await staffApi.post<AcknowledgeReplyBody>(`/api/alerts/${encodeURIComponent(alert.id)}/acknowledge`, { openCase: isCounselor && openCase });
    setBusy(false);
    if (!result.ok) {
      setMessage(failureText(result));
      return;
    }
    onAcknowledged(result.data);
  }

  return (
    <li className={`xq-alert-item xq-alert-${status}`} data-testid="alert-item" data-status={status} data-student-id={alert.studentId}>
      <p id={headingId} className="xq-alert-who">
        <a href={studentPath(alert.studentId)}>
          <UserText text={alert.studentName} />
        </a>{" "}
        · <UserText text={classText(alert.class)} /> · {ALERT_KIND_LABEL[alert.kind]} · {ALERT_SOURCE_LABEL[alert.source]} · {formatDateTime(alert.createdAt)}
      </p>
      <p className="xq-alert-state">
        {ALERT_STATUS_LABEL[status]}
        {status === "acknowledged" && alert.escalatedAt !== null && `（确认前已超时上报 · escalated ${formatDateTime(alert.escalatedAt)} before it was acknowledged）`}
      </p>
      {status === "acknowledged" ? (
        <p>
          由 {acknowledgedBy} 于 {alert.acknowledgedAt === null ? "—" : formatDateTime(alert.acknowledgedAt)} 确认 · Acknowledged by {acknowledgedBy}
          {alert.caseId !== null && (
            <>
              {" · "}
              <a href={casePath(alert.caseId)}>打开个案 · Open the case</a>
            </>
          )}
        </p>
      ) : (
        <form className="xq-inline-form" onSubmit={acknowledge} aria-describedby={headingId}>
          {isCounselor ? (
            <label className="xq-check">
              <input type="checkbox" checked={openCase} onChange={(e) => setOpenCase(e.target.checked)} />
              同时建立个案，由我负责 · Also open a case assigned to me
            </label>
          ) : (
            <span>个案请在学生页面建立并指定心理教师 · Open a case for a counselor on the student's page</span>
          )}
          <button type="submit" disabled={busy}>
            确认预警 · Acknowledge
          </button>
          <span className="xq-muted">确认人 · As {account.username}</span>
        </form>
      )}
      {message && <p role="alert">{message}</p>}
    </li>
  );
}
