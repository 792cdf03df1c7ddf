/**
 * The school's screening waves: a new wave (school year, season, first and last day; the default battery
 * per grade band and the default tier policy), open (freezes battery and policy), close, and each wave's
 * battery per grade band. Closing asks once more: a closed wave cannot be opened again.
 */
import { useState, type FormEvent } from "react";
import type { Season, Wave, WaveList } from "../../shared/waves";
import { staffApi } from "../staff/client";
import { failureText, waveLabel } from "../staff/model";
import { useLoad } from "./api";
import { batteryRows, defaultSchoolYear, defaultSeason, localOffset, problemsOf, waveActions, waveBody, waveDays, type Problem } from "./model";
import { LoadView, Problems } from "./parts";

const offsetAt = (iso: string) => -new Date(iso).getTimezoneOffset();

export function WavesSection({ schoolId }: { schoolId: string }) {
  const { loaded, reload } = useLoad<WaveList>(`/api/schools/${encodeURIComponent(schoolId)}/waves`);
  return (
    <section aria-labelledby="waves-title">
      <h2 id="waves-title">测评 · Screening waves</h2>
      <h3>本校测评 · This school's waves</h3>
      <LoadView loaded={loaded}>
        {(data) =>
          data.waves.length === 0 ? (
            <p>还没有测评。No waves yet.</p>
          ) : (
            <ul className="xq-admin-waves">
              {data.waves.map((w) => (
                <WaveItem key={w.id} wave={w} onChanged={reload} />
              ))}
            </ul>
          )
        }
      </LoadView>
      <CreateWave schoolId={schoolId} onCreated={reload} />
    </section>
  );
}

function CreateWave({ schoolId, onCreated }: { schoolId: string; onCreated: () => void }) {
  const [now] = useState(() => new Date());
  const [schoolYear, setSchoolYear] = useState(defaultSchoolYear(now));
  const [season, setSeason] = useState<Season>(defaultSeason(now));
  const [opensOn, setOpensOn] = useState("");
  const [lastDay, setLastDay] = useState("");
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[] | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const checked = waveBody({ schoolYear: schoolYear.trim(), season, opensOn, lastDay }, localOffset);
    if (!checked.ok) {
      setProblems(checked.problems);
      return;
    }
    setBusy(true);
    setProblems(null);
    const result = await staffApi.post<Wave>(`/api/schools/${encodeURIComponent(schoolId)}/waves`, checked.body);
    setBusy(false);
    if (!result.ok) {
      setProblems(problemsOf(result));
      return;
    }
    onCreated();
  }

  return (
    <>
      <h3>新建测评 · New wave</h3>
      <form className="xq-form" onSubmit={submit} noValidate>
        <label>
          学年 · School year
          <input required value={schoolYear} onChange={(e) => setSchoolYear(e.target.value)} placeholder="2025-2026" />
        </label>
        <label>
          学期 · Season
          <select value={season} onChange={(e) => setSeason(e.target.value as Season)}>
            <option value="spring">春季 · Spring</option>
            <option value="autumn">秋季 · Autumn</option>
          </select>
        </label>
        <label>
          开始日期 · First day
          <input type="date" required value={opensOn} onChange={(e) => setOpensOn(e.target.value)} />
        </label>
        <label>
          结束日期（含当天）· Last day (inclusive)
          <input type="date" required value={lastDay} onChange={(e) => setLastDay(e.target.value)} />
        </label>
        <p>问卷组合按年级段使用默认配置，开启测评后锁定。Each grade band gets the default battery; it is frozen when the wave opens.</p>
        <button type="submit" disabled={busy}>
          创建测评 · Create wave
        </button>
      </form>
      {problems && <Problems title="未能创建测评 · The wave was not created" problems={problems} label="问题 · Problems" />}
    </>
  );
}

function WaveItem({ wave, onChanged }: { wave: Wave; onChanged: () => void }) {
  const [busy, setBusy] = useState(false);
  const [confirmClose, setConfirmClose] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const actions = waveActions(wave);
  const label = waveLabel(wave);

  async function act(what: "open" | "close") {
    setBusy(true);
    setMessage(null);
    const result = await staffApi.post<Wave>(`/api/waves/${encodeURIComponent(wave.id)}/${what}`);
    setBusy(false);
    setConfirmClose(false);
    if (!result.ok) setMessage(failureText(result));
    else onChanged();
  }

  return (
    <li className="xq-admin-wave" aria-label={label}>
      <h4>{label}</h4>
      <p>
        作答日期 · Dates: {waveDays(wave, offsetAt)} · 预警规则 · Tier policy: {wave.policyVersion}
        {wave.usable && " · 学生现在可以作答 · students can answer now"}
      </p>
      <table className="xq-admin-table" aria-label={`问卷组合 · Battery: ${label}`}>
        <thead>
          <tr>
            <th scope="col">年级段 · Grades</th>
            <th scope="col">学生自评 · Student self-report</th>
            <th scope="col">教师评定 · Teacher screener</th>
          </tr>
        </thead>
        <tbody>
          {batteryRows(wave).map((b) => (
            <tr key={b.band}>
              <th scope="row">{b.band}</th>
              <td>{b.selfReport.length === 0 ? "无（不发访问码）· none (no code)" : b.selfReport.join("、")}</td>
              <td>{b.teacher ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="xq-admin-buttons">
        {actions.open && (
          <button type="button" disabled={busy} onClick={() => void act("open")}>
            开启测评 · Open wave
          </button>
        )}
        {actions.close && !confirmClose && (
          <button type="button" disabled={busy} onClick={() => setConfirmClose(true)}>
            结束测评 · Close wave
          </button>
        )}
        {confirmClose && (
          <>
            <span>结束后不能再开启，学生不能再作答。A closed wave cannot be opened again.</span>
            <button type="button" disabled={busy} onClick={() => void act("close")}>
              确认结束 · Confirm close
            </button>
            <button type="button" disabled={busy} onClick={() => setConfirmClose(false)}>
              取消 · Cancel
            </button>
          </>
        )}
      </div>
      {actions.open && <p>开启后问卷组合和预警规则锁定，只能修改日期。Opening freezes the battery and tier policy; only the dates can change.</p>}
      {message && <p role="alert">{message}</p>}
    </li>
  );
}
