/**
 * The growth record (心理成长档案) of one student as GET /api/students/:id/record gives it: waves (scores
 * only when the server includes them, i.e. for counselors), tiers with reasons, overrides, observations,
 * cases with their steps, consent history, check-in notices, and records received from earlier schools.
 * Everything is rendered as text.
 */
import type { GrowthRecord, RecordHistory } from "../../shared/archive";
import { isolate } from "../ui/bidi";
import { UserText } from "../ui/UserText";
import { TierBadge } from "./AlertViews";
import {
  CASE_STATE_LABEL,
  CASE_TIER_LABEL,
  casePath,
  consentText,
  formatDateTime,
  informantText,
  instrumentName,
  observationLines,
  PLAN_LABEL,
  RESPONSE_STATUS_LABEL,
  scoreText,
  SEASON_LABEL,
  TIER_LABEL,
  timelineOf,
} from "./model";

export function RecordView({ record }: { record: GrowthRecord }) {
  return (
    <div data-testid="growth-record">
      {!record.scoresShown && <p className="xq-muted">分数仅心理教师可见 · Scores are shown to counselors only.</p>}
      <History history={record} scoresShown={record.scoresShown} linkCases />
      {record.imported.length > 0 && (
        <>
          <h3>转入档案 · Records from earlier schools</h3>
          {record.imported.map((imp) => (
            <details key={imp.importId} className="xq-card">
              <summary>
                <UserText text={imp.from.schoolName} />（<UserText text={imp.from.schoolCode} />）· 导出 {formatDateTime(imp.exportedAt)} · 导入 {formatDateTime(imp.importedAt)} ·{" "}
                <UserText text={imp.importedBy.name} />
              </summary>
              <p className="xq-muted">签名密钥指纹 · Signer fingerprint: {imp.signerFingerprint}</p>
              <History history={imp.record} scoresShown={record.scoresShown} linkCases={false} />
            </details>
          ))}
        </>
      )}
    </div>
  );
}

function History({ history, scoresShown, linkCases }: { history: RecordHistory; scoresShown: boolean; linkCases: boolean }) {
  return (
    <>
      <h3>筛查 · Waves</h3>
      {history.waves.length === 0 ? (
        <p>无 · None</p>
      ) : (
        <ul className="xq-plain-list">
          {history.waves.map((w) => (
            <li key={w.waveId} className="xq-card">
              <p>
                <strong>
                  {w.schoolYear} {SEASON_LABEL[w.season]}
                </strong>{" "}
                · {w.response === null ? "未参加 · did not take part" : RESPONSE_STATUS_LABEL[w.response.status]}
              </p>
              {w.result && (
                <>
                  <p>
                    等级 · Tier: <TierBadge tier={w.result.tier} label={TIER_LABEL[w.result.tier]} /> <span className="xq-muted">（规则 · policy {w.result.policyVersion}）</span>
                  </p>
                  {w.result.reasons.length > 0 && (
                    <ul>
                      {w.result.reasons.map((r) => (
                        <li key={r.rule}>
                          {r.label["zh-CN"]} <span className="xq-muted">（{r.evidence}）</span>
                        </li>
                      ))}
                    </ul>
                  )}
                  {scoresShown && w.result.scores && (
                    <ul data-testid="record-scores" aria-label="分数 · Scores">
                      {w.result.scores.map((s) => (
                        <li key={s.instrument}>
                          {scoreText(s)}
                          {s.critical.length > 0 && <strong className="xq-escalated"> · 危机条目 · critical: {s.critical.join("、")}</strong>}
                        </li>
                      ))}
                    </ul>
                  )}
                  {scoresShown && w.result.validity && w.result.validity.kind === "questionable" && (
                    <p className="xq-flag">作答质量存疑 · Questionable response: {w.result.validity.reasons.map((r) => r.evidence).join("；")}</p>
                  )}
                </>
              )}
            </li>
          ))}
        </ul>
      )}

      {history.overrides.length > 0 && (
        <>
          <h3>等级调整 · Tier overrides</h3>
          <ul>
            {history.overrides.map((o) => (
              <li key={o.id}>
                {formatDateTime(o.at)} · <UserText text={o.by.name} />：{TIER_LABEL[o.computedTier]} → {TIER_LABEL[o.tier]} ·{" "}
                <span className="xq-text">
                  <UserText text={o.reason} />
                </span>
              </li>
            ))}
          </ul>
        </>
      )}

      <h3>观察记录 · Observations</h3>
      {history.observations.length === 0 ? (
        <p>无 · None</p>
      ) : (
        <ul className="xq-plain-list">
          {history.observations.map((o) => (
            <li key={o.id} className="xq-card">
              <p>
                {instrumentName(o.instrument)} · {informantText(o.role)} · {formatDateTime(o.at)}
                {o.critical.length > 0 && <strong className="xq-escalated"> · 危机 · critical</strong>}
              </p>
              <p className="xq-text">{observationLines(o).map((l) => `${l.label}: ${isolate(l.value)}`).join("；")}</p>
              {o.note !== null && (
                <p className="xq-text">
                  备注 · Note: <UserText text={o.note} />
                </p>
              )}
            </li>
          ))}
        </ul>
      )}

      <h3>个案 · Cases</h3>
      {history.cases.length === 0 ? (
        <p>无 · None</p>
      ) : (
        <ul className="xq-plain-list">
          {history.cases.map((c) => (
            <li key={c.id} className="xq-card">
              <p>
                {linkCases ? <a href={casePath(c.id)}>{formatDateTime(c.openedAt)}</a> : formatDateTime(c.openedAt)} · <TierBadge tier={c.tier} label={CASE_TIER_LABEL[c.tier]} /> · {CASE_STATE_LABEL[c.state]}
                {c.plan !== null && ` · ${PLAN_LABEL[c.plan]}`} · <UserText text={c.assignee.name} />
              </p>
              <p className="xq-text">
                <UserText text={c.reason} />
              </p>
              <ol>
                {timelineOf(c.steps).map((s) => (
                  <li key={s.id}>
                    {s.title} · {s.at} · <UserText text={s.by} />
                    {s.details.length > 0 && <span className="xq-text"> · {s.details.map((d) => `${d.label}: ${isolate(d.value)}`).join("；")}</span>}
                  </li>
                ))}
              </ol>
            </li>
          ))}
        </ul>
      )}

      <h3>知情同意 · Consent</h3>
      {history.consents.length === 0 ? (
        <p>无 · None</p>
      ) : (
        <ul>
          {history.consents.map((c) => (
            <li key={c.waveId}>
              {c.schoolYear} {SEASON_LABEL[c.season]}：{consentText(c.status)} · {formatDateTime(c.updatedAt)}
              {c.changes.length > 0 && <span className="xq-muted"> · 变更 · changes: {c.changes.map((ch) => `${formatDateTime(ch.at)} ${consentText(ch.status)}${ch.by ? `（${isolate(ch.by.name)}）` : ""}`).join("；")}</span>}
            </li>
          ))}
        </ul>
      )}

      {history.checkinNotices.length > 0 && (
        <>
          <h3>关心提示 · Check-in notices</h3>
          <ul>
            {history.checkinNotices.map((n) => (
              <li key={n.id}>
                {formatDateTime(n.createdAt)} · <UserText text={n.by.name} /> · 截止 {formatDateTime(n.dueAt)} · {n.doneAt === null ? "未完成 · open" : `已谈心 · done ${formatDateTime(n.doneAt)}`}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}
