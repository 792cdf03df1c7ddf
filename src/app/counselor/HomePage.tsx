/**
 * The counselor's home (/counselor): today's alerts first (live), then the open cases by due date
 * (overdue first), then the school's watch list with its filters, in the scoring library's ranking order.
 * A school lead sees the same page with every open case of the school (escalations reach them).
 */
import { useCallback, useEffect, useState } from "react";
import type { SessionAccount } from "../../shared/accounts";
import type { CaseSummary } from "../../shared/cases";
import type { ClassList, ClassSummary } from "../../shared/schools";
import type { WatchlistReply } from "../../shared/watchlist";
import { staffApi } from "../staff/client";
import { failureText } from "../staff/model";
import { UserText } from "../ui/UserText";
import { AlertItem, TierBadge } from "./AlertViews";
import type { LiveAlerts } from "./live";
import {
  CASE_STATE_LABEL,
  CASE_TIER_LABEL,
  casePath,
  changeFilter,
  classesForGrade,
  classText,
  daysSinceText,
  deteriorationText,
  dueText,
  gradesOf,
  informantText,
  KEY_POPULATION_LABEL,
  keyPopulationText,
  MOVEMENT_LABEL,
  NO_FILTERS,
  orderCases,
  PLAN_LABEL,
  reasonOptions,
  studentPath,
  TIER_LABEL,
  TIERS,
  todaysAlerts,
  watchlistPath,
  type AcknowledgeReplyBody,
  type CaseListBody,
  type ReasonOption,
  type WatchFilters,
} from "./model";

export function HomePage({ account, schoolId, live }: { account: SessionAccount; schoolId: string; live: LiveAlerts }) {
  const [casesVersion, setCasesVersion] = useState(0);
  // The server's clock says what "today" is (the PC's clock may be wrong); the watch list reports it.
  const [serverNow, setServerNow] = useState<Date | null>(null);

  const acknowledged = useCallback(
    (reply: AcknowledgeReplyBody) => {
      live.put(reply.alert);
      if (reply.caseId !== null) setCasesVersion((v) => v + 1);
    },
    [live],
  );

  const today = todaysAlerts(live.alerts, serverNow ?? new Date());
  return (
    <>
      <section aria-labelledby="alerts" className="xq-section">
        <h2 id="alerts">今日预警 · Today's alerts</h2>
        {today.length === 0 ? (
          <p>今天没有预警。No alerts today.</p>
        ) : (
          <ul className="xq-alert-list">
            {today.map((a) => (
              <AlertItem key={a.id} alert={a} account={account} onAcknowledged={acknowledged} />
            ))}
          </ul>
        )}
      </section>
      <CasesSection account={account} version={casesVersion + live.changes} />
      <WatchlistSection schoolId={schoolId} version={live.changes} onServerNow={setServerNow} />
    </>
  );
}

function CasesSection({ account, version }: { account: SessionAccount; version: number }) {
  const mine = account.role === "counselor";
  const [cases, setCases] = useState<CaseSummary[] | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    void staffApi.get<CaseListBody>(mine ? "/api/cases?mine=1" : "/api/cases").then((result) => {
      if (!live) return;
      if (result.ok) setCases(orderCases(result.data.cases));
      else setMessage(failureText(result));
    });
    return () => {
      live = false;
    };
  }, [mine, version]);

  return (
    <section aria-labelledby="cases" className="xq-section">
      <h2 id="cases">{mine ? "我的个案 · My open cases" : "全校进行中的个案 · Open cases of the school"}</h2>
      {message && <p role="alert">{message}</p>}
      {cases === null && !message && <p>正在加载… Loading…</p>}
      {cases !== null && cases.length === 0 && <p>没有进行中的个案。No open cases.</p>}
      {cases !== null && cases.length > 0 && (
        <table className="xq-table" data-testid="cases">
          <thead>
            <tr>
              <th scope="col">学生 · Student</th>
              <th scope="col">班级 · Class</th>
              <th scope="col">等级 · Tier</th>
              <th scope="col">进度 · State</th>
              <th scope="col">截止 · Due</th>
              {!mine && <th scope="col">负责人 · Counselor</th>}
            </tr>
          </thead>
          <tbody>
            {cases.map((c) => (
              <tr key={c.id} className={c.overdue ? "xq-overdue" : undefined} data-overdue={c.overdue}>
                <td>
                  <a href={casePath(c.id)}>
                    <UserText text={c.studentName} />
                  </a>
                </td>
                <td>
                  <UserText text={classText(c.class)} />
                </td>
                <td>
                  <TierBadge tier={c.tier} label={CASE_TIER_LABEL[c.tier]} />
                </td>
                <td>
                  {CASE_STATE_LABEL[c.state]}
                  {c.plan !== null && ` · ${PLAN_LABEL[c.plan]}`}
                </td>
                <td>
                  {dueText(c)}
                  {c.escalatedAt !== null && <strong className="xq-escalated"> · 已上报 · Escalated</strong>}
                </td>
                {!mine && (
                  <td>
                    <UserText text={c.assignee.name} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** `version` changes when an input of the list may have changed (a new alert means a new answer or observation). */
function WatchlistSection({ schoolId, version, onServerNow }: { schoolId: string; version: number; onServerNow: (now: Date) => void }) {
  const [classes, setClasses] = useState<ClassSummary[]>([]);
  const [filters, setFilters] = useState<WatchFilters>(NO_FILTERS);
  const [reply, setReply] = useState<WatchlistReply | null>(null);
  const [reasons, setReasons] = useState<ReasonOption[]>([]);
  const [message, setMessage] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);

  useEffect(() => {
    let live = true;
    void staffApi.get<ClassList>(`/api/schools/${encodeURIComponent(schoolId)}/classes`).then((result) => {
      if (live && result.ok) setClasses(result.data.classes);
    });
    return () => {
      live = false;
    };
  }, [schoolId]);

  useEffect(() => {
    let live = true;
    setLoading(true);
    void staffApi.get<WatchlistReply>(watchlistPath(schoolId, filters)).then((result) => {
      if (!live) return;
      setLoading(false);
      if (!result.ok) {
        setMessage(failureText(result));
        return;
      }
      setMessage(null);
      setReply(result.data);
      setReasons((known) => reasonOptions(known, result.data.entries));
      onServerNow(new Date(result.data.computedAt));
    });
    return () => {
      live = false;
    };
  }, [schoolId, filters, version, onServerNow]);

  const set = (field: keyof WatchFilters) => (e: { target: { value: string } }) => setFilters((f) => changeFilter(f, field, e.target.value, classes));

  return (
    <section aria-labelledby="watchlist" className="xq-section">
      <h2 id="watchlist">预警名单 · Watch list</h2>
      <form className="xq-filters" aria-label="筛选 · Filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          年级 · Grade
          <select value={filters.grade} onChange={set("grade")}>
            <option value="">全部 · All</option>
            {gradesOf(classes).map((g) => (
              <option key={g} value={String(g)}>
                {g}年级
              </option>
            ))}
          </select>
        </label>
        <label>
          班级 · Class
          <select value={filters.classId} onChange={set("classId")}>
            <option value="">全部 · All</option>
            {classesForGrade(classes, filters.grade).map((c) => (
              <option key={c.id} value={c.id}>
                {classText(c)}
              </option>
            ))}
          </select>
        </label>
        <label>
          等级 · Tier
          <select value={filters.tier} onChange={set("tier")}>
            <option value="">全部 · All</option>
            {TIERS.filter((t) => t !== "none").map((t) => (
              <option key={t} value={t}>
                {TIER_LABEL[t]}
              </option>
            ))}
          </select>
        </label>
        <label>
          原因 · Reason
          <select value={filters.reason} onChange={set("reason")}>
            <option value="">全部 · All</option>
            {reasons.map((r) => (
              <option key={r.rule} value={r.rule}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          重点类别 · Key category
          <select value={filters.key} onChange={set("key")}>
            <option value="">全部 · All</option>
            {Object.entries(KEY_POPULATION_LABEL).map(([k, label]) => (
              <option key={k} value={k}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </form>
      {message && <p role="alert">{message}</p>}
      {reply && (
        <p className="xq-muted" aria-live="polite">
          {loading ? "正在更新… Updating…" : `共 ${reply.entries.length} 人 · ${reply.entries.length} students · 规则 ${reply.policyVersion}`}
        </p>
      )}
      {reply && reply.entries.length === 0 && <p>名单上没有学生。No students on the list.</p>}
      {reply && reply.entries.length > 0 && (
        <table className="xq-table" data-testid="watchlist">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">学生 · Student</th>
              <th scope="col">等级 · Tier</th>
              <th scope="col">原因 · Reasons</th>
              <th scope="col">知情方 · Informants</th>
              <th scope="col">变化 · Change</th>
              <th scope="col">标记天数 · Days flagged</th>
              <th scope="col">重点类别 · Key categories</th>
            </tr>
          </thead>
          <tbody>
            {reply.entries.map((e, i) => (
              <tr key={e.studentId} data-student-id={e.studentId} data-tier={e.tier}>
                <td>{i + 1}</td>
                <td>
                  <a href={studentPath(e.studentId)}>
                    <UserText text={e.name} />
                  </a>
                  <div className="xq-muted">
                    <UserText text={classText({ grade: e.grade, label: e.classLabel })} />
                  </div>
                  {e.openCase && <div className="xq-muted">有进行中的个案 · Open case</div>}
                </td>
                <td>
                  <TierBadge tier={e.tier} label={TIER_LABEL[e.tier]} />
                  {e.acute && <div className="xq-escalated">急性 · acute</div>}
                  {e.override && <div className="xq-muted">已调整，计算为 {TIER_LABEL[e.computedTier]} · overridden</div>}
                </td>
                <td>
                  <ul className="xq-plain-list">
                    {e.reasons.map((r) => (
                      <li key={r.rule}>{r.label["zh-CN"]}</li>
                    ))}
                  </ul>
                </td>
                <td>
                  {e.informants.length} 方 · {e.informants.map(informantText).join("、") || "—"}
                  {e.disagree && <div className="xq-flag">知情方意见不一 · Informants disagree</div>}
                </td>
                <td>
                  {deteriorationText(e) ?? "—"}
                  <div className="xq-muted">{MOVEMENT_LABEL[e.movement]}</div>
                </td>
                <td>{daysSinceText(e.daysSinceFlagged)}</td>
                <td>{e.keyPopulation.map(keyPopulationText).join("、") || "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
