/**
 * One student (/counselor/students/:id): the watch-list entry with its reasons and the observations
 * behind it; the counselor's tier override with a written reason (computed and override both shown);
 * the "please check in with" notice for a yellow student; opening a case; and the growth record
 * (心理成长档案). Every read is audited by the server. Free text is shown as text, never as HTML.
 */
import { useCallback, useEffect, useState, type FormEvent } from "react";
import type { AccountList, SessionAccount } from "../../shared/accounts";
import type { GrowthRecord } from "../../shared/archive";
import type { CaseDetail, CaseTier } from "../../shared/cases";
import type { TierName, TierOverrideReply, WatchlistEntryReply } from "../../shared/watchlist";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { UserText } from "../ui/UserText";
import { TierBadge } from "./AlertViews";
import { RecordView } from "./RecordView";
import {
  canReleaseNotice,
  CASE_STATE_LABEL,
  CASE_TIER_LABEL,
  caseReasonFrom,
  casePath,
  caseTierFor,
  chinaDay,
  classText,
  daysSinceText,
  deteriorationText,
  formatDateTime,
  informantText,
  instrumentName,
  keyPopulationText,
  MOVEMENT_LABEL,
  observationLines,
  TIER_LABEL,
  TIERS,
  type NoticeCreatedBody,
} from "./model";

type Loaded = { kind: "loading" } | { kind: "failed"; message: string } | { kind: "ready"; reply: WatchlistEntryReply; record: RecordState };
type RecordState = { kind: "missing"; message: string } | { kind: "ready"; record: GrowthRecord };

export function StudentPage({ account, studentId }: { account: SessionAccount; studentId: string }) {
  const [state, setState] = useState<Loaded>({ kind: "loading" });
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);

  useEffect(() => {
    let live = true;
    const id = encodeURIComponent(studentId);
    void Promise.all([staffApi.get<WatchlistEntryReply>(`/api/students/${id}/watchlist-entry`), staffApi.get<GrowthRecord>(`/api/students/${id}/record`)]).then(([entry, record]) => {
      if (!live) return;
      if (!entry.ok) {
        setState({ kind: "failed", message: failureText(entry) });
        return;
      }
      setState({ kind: "ready", reply: entry.data, record: record.ok ? { kind: "ready", record: record.data } : { kind: "missing", message: failureText(record) } });
    });
    return () => {
      live = false;
    };
  }, [studentId, version]);

  if (state.kind === "loading") return <p>正在加载… Loading…</p>;
  if (state.kind === "failed") return <p role="alert">{state.message}</p>;
  const { entry, listed, observations } = state.reply;
  // The open case comes from the record (the student's own cases), so no list of the school's cases is read.
  const openCase = state.record.kind === "ready" ? (state.record.record.cases.find((c) => c.state !== "closed") ?? null) : null;
  const det = deteriorationText(entry);
  return (
    <>
      <section aria-labelledby="student" className="xq-section" data-testid="student-entry">
        <h2 id="student">
          <UserText text={entry.name} /> · <UserText text={classText({ grade: entry.grade, label: entry.classLabel })} />
        </h2>
        <p>
          当前等级 · Tier in force: <TierBadge tier={entry.tier} label={TIER_LABEL[entry.tier]} />
          {entry.acute && <strong className="xq-escalated"> · 急性 · acute</strong>}
          {!listed && <span className="xq-muted"> · 不在预警名单上 · not on the watch list</span>}
        </p>
        <p data-testid="computed-tier">
          计算等级 · Computed tier: <TierBadge tier={entry.computedTier} label={TIER_LABEL[entry.computedTier]} /> <span className="xq-muted">（规则 · policy {entry.policyVersion}）</span>
        </p>
        {entry.override && (
          <div className="xq-note" data-testid="override">
            <p>
              人工调整 · Override: <TierBadge tier={entry.override.tier} label={TIER_LABEL[entry.override.tier]} />（调整时计算为 · computed then {TIER_LABEL[entry.override.computedTier]}）· {formatDateTime(entry.override.at)}
            </p>
            <p className="xq-text">
              理由 · Reason: <UserText text={entry.override.reason} />
            </p>
            {entry.override.stale && <p className="xq-flag">计算等级已变化，较高的等级生效 · The computed tier has changed since: the higher tier holds</p>}
          </div>
        )}
        <h3>原因 · Reasons</h3>
        {entry.reasons.length === 0 ? (
          <p>无 · None</p>
        ) : (
          <ul>
            {entry.reasons.map((r) => (
              <li key={r.rule}>
                <TierBadge tier={r.tier} label={TIER_LABEL[r.tier]} /> {r.label["zh-CN"]} <span className="xq-muted">（{r.evidence}）</span>
              </li>
            ))}
          </ul>
        )}
        <dl className="xq-facts">
          <dt>知情方 · Informants</dt>
          <dd>
            {entry.informants.map(informantText).join("、") || "—"}
            {entry.disagree && <span className="xq-flag"> · 知情方意见不一 · Informants disagree</span>}
          </dd>
          <dt>与上次比较 · Since last wave</dt>
          <dd>
            {det === null ? "无明显恶化 · No reliable deterioration" : `明显恶化 · Reliably worse: ${det}`} · {MOVEMENT_LABEL[entry.movement]}
          </dd>
          <dt>标记天数 · Days since flagged</dt>
          <dd>{daysSinceText(entry.daysSinceFlagged)}</dd>
          <dt>重点类别 · Key categories</dt>
          <dd>{entry.keyPopulation.map(keyPopulationText).join("、") || "—"}</dd>
          <dt>个案 · Case</dt>
          <dd>
            {openCase ? (
              <a href={casePath(openCase.id)}>
                进行中 · Open: {CASE_STATE_LABEL[openCase.state]}
              </a>
            ) : entry.openCase ? (
              "有进行中的个案 · An open case"
            ) : (
              "无进行中的个案 · No open case"
            )}
          </dd>
        </dl>
      </section>

      <section aria-labelledby="actions" className="xq-section">
        <h2 id="actions">处理 · Actions</h2>
        {!openCase && !entry.openCase && <OpenCaseForm account={account} studentId={studentId} tier={caseTierFor(entry.tier)} reason={caseReasonFrom(entry)} />}
        {canReleaseNotice(entry) && <NoticeButton studentId={studentId} />}
        <OverrideForm studentId={studentId} current={entry.tier} onDone={reload} />
      </section>

      <section aria-labelledby="observations" className="xq-section">
        <h2 id="observations">观察记录 · Observations</h2>
        {observations.length === 0 ? (
          <p>本轮没有观察记录。No observations this wave.</p>
        ) : (
          <ul className="xq-plain-list">
            {observations.map((o) => (
              <li key={o.id} className="xq-card">
                <p>
                  <strong>{instrumentName(o.instrument)}</strong> · {informantText(o.role)} · {formatDateTime(o.at)}
                </p>
                <dl className="xq-facts">
                  {observationLines(o).map((l) => (
                    <div key={l.label}>
                      <dt>{l.label}</dt>
                      <dd className="xq-text">
                        <UserText text={l.value} />
                      </dd>
                    </div>
                  ))}
                </dl>
                {o.note !== null && (
                  <p className="xq-text">
                    备注 · Note: <UserText text={o.note} />
                  </p>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="record" className="xq-section">
        <h2 id="record">心理成长档案 · Growth record</h2>
        {state.record.kind === "ready" ? <RecordView record={state.record.record} /> : <p role="alert">成长档案暂时无法读取 · The growth record could not be read: {state.record.message}</p>}
      </section>
    </>
  );
}

function OpenCaseForm({ account, studentId, tier, reason }: { account: SessionAccount; studentId: string; tier: CaseTier; reason: string }) {
  const [caseTier, setCaseTier] = useState<CaseTier>(tier);
  const [text, setText] = useState(reason);
  const [assignee, setAssignee] = useState(account.role === "counselor" ? account.id : "");
  const [counselors, setCounselors] = useState<{ id: string; name: string }[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const lead = account.role !== "counselor";

  useEffect(() => {
    if (!lead) return;
    let live = true;
    void staffApi.get<AccountList>("/api/accounts").then((result) => {
      if (!live || !result.ok) return;
      const list = result.data.accounts.filter((a) => a.role === "counselor" && !a.disabled).map((a) => ({ id: a.id, name: a.displayName ?? a.username }));
      setCounselors(list);
      setAssignee((current) => current || (list[0]?.id ?? ""));
    });
    return () => {
      live = false;
    };
  }, [lead]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (text.trim() === "") {
      setMessage("请填写建档原因 · Write why the case is opened");
      return;
    }
    setBusy(true);
    setMessage(null);
    const result = await staffApi.post<CaseDetail>("/api/cases", { studentId, tier: caseTier, reason: text, ...(lead ? { assignee } : {}) });
    setBusy(false);
    if (!result.ok) {
      setMessage(failureText(result));
      return;
    }
    window.location.assign(casePath(result.data.id));
  }

  return (
    <form className="xq-form xq-card" onSubmit={submit} aria-labelledby="open-case">
      <h3 id="open-case">建立个案 · Open a case</h3>
      <label>
        个案等级 · Case tier
        <select value={caseTier} onChange={(e) => setCaseTier(e.target.value as CaseTier)}>
          <option value="red">{CASE_TIER_LABEL.red}（当天 · same day）</option>
          <option value="orange">{CASE_TIER_LABEL.orange}（3 个上学日内 · within 3 school days）</option>
        </select>
      </label>
      <label>
        建档原因 · Reason
        <textarea value={text} onChange={(e) => setText(e.target.value)} rows={3} required />
      </label>
      {lead && (
        <label>
          负责心理教师 · Counselor
          <select value={assignee} onChange={(e) => setAssignee(e.target.value)} required>
            {counselors.length === 0 && <option value="">（本校没有心理教师账号 · no counselor account）</option>}
            {counselors.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {message && <p role="alert">{message}</p>}
      <button type="submit" disabled={busy || (lead && assignee === "")}>
        建立个案 · Open the case
      </button>
    </form>
  );
}

function NoticeButton({ studentId }: { studentId: string }) {
  const [result, setResult] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function release() {
    setBusy(true);
    setMessage(null);
    const reply = await staffApi.post<NoticeCreatedBody>(`/api/students/${encodeURIComponent(studentId)}/checkin-notice`);
    setBusy(false);
    if (!reply.ok) {
      setMessage(failureText(reply));
      return;
    }
    const due = reply.data.dueAt === null ? null : (chinaDay(reply.data.dueAt) ?? reply.data.dueAt);
    const by = due === null ? "" : `（截止 · due ${due}）`;
    setResult(reply.data.created ? `已发给班主任${by} · Sent to the homeroom teacher` : `已有未完成的提示${by} · A notice is already out`);
  }

  return (
    <div className="xq-card">
      <h3>请班主任关心 · Please check in</h3>
      <p className="xq-muted">班主任只看到学生姓名和“请找时间与该生谈心”，看不到分数、等级或原因。The homeroom teacher sees the name and "please check in" only: no score, tier or reason.</p>
      <button type="button" onClick={() => void release()} disabled={busy}>
        发出关心提示 · Release the check-in notice
      </button>
      {result && <p role="status">{result}</p>}
      {message && <p role="alert">{message}</p>}
    </div>
  );
}

function OverrideForm({ studentId, current, onDone }: { studentId: string; current: TierName; onDone: () => void }) {
  const [tier, setTier] = useState<TierName>(current);
  const [reason, setReason] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (reason.trim() === "") {
      setMessage("请填写调整理由 · A written reason is required");
      return;
    }
    setBusy(true);
    setMessage(null);
    const result = await staffApi.post<TierOverrideReply>(`/api/students/${encodeURIComponent(studentId)}/tier-override`, { tier, reason });
    setBusy(false);
    if (!result.ok) {
      setMessage(failureText(result));
      return;
    }
    setReason("");
    onDone();
  }

  return (
    <form className="xq-form xq-card" onSubmit={submit} aria-labelledby="override">
      <h3 id="override">调整等级 · Override the tier</h3>
      <label>
        调整为 · New tier
        <select value={tier} onChange={(e) => setTier(e.target.value as TierName)}>
          {TIERS.map((t) => (
            <option key={t} value={t}>
              {TIER_LABEL[t]}
            </option>
          ))}
        </select>
      </label>
      <label>
        调整理由 · Reason
        <textarea value={reason} onChange={(e) => setReason(e.target.value)} rows={3} required maxLength={2000} />
      </label>
      {message && <p role="alert">{message}</p>}
      <button type="submit" disabled={busy}>
        保存调整 · Save the override
      </button>
    </form>
  );
}
