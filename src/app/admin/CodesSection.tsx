/**
 * The access codes of one class in one wave: each student's code state (active, used, revoked, none)
 * without the codes themselves (the server keeps only their hashes), with revoke and reissue. A reissued
 * code is shown here once, to be copied onto a slip; whole classes are issued and printed on the code
 * slips page.
 */
import { useState } from "react";
import type { ClassList } from "../../shared/schools";
import type { CodeReissueResult, CodeRevokeResult, SlipList, Wave, WaveList } from "../../shared/waves";
import { staffApi } from "../staff/client";
import { classLabel, classOption, failureText, waveLabel } from "../staff/model";
import { isolate } from "../ui/bidi";
import { UserText } from "../ui/UserText";
import { useLoad } from "./api";
import { CODE_STATE_LABEL, codeActions, codeCounts, CONSENT_LABEL, timeAt, withCodeState, type CodeRow } from "./model";
import { LoadView, ShownOnce } from "./parts";

const offsetAt = (iso: string) => -new Date(iso).getTimezoneOffset();

export function CodesSection({ schoolId }: { schoolId: string }) {
  const waves = useLoad<WaveList>(`/api/schools/${encodeURIComponent(schoolId)}/waves`);
  const classes = useLoad<ClassList>(`/api/schools/${encodeURIComponent(schoolId)}/classes`);
  const [waveId, setWaveId] = useState("");
  const [classId, setClassId] = useState("");
  const waveList = waves.loaded.kind === "ready" ? waves.loaded.data.waves : [];
  const classList = classes.loaded.kind === "ready" ? classes.loaded.data.classes : [];
  const wave = waveList.find((w) => w.id === waveId) ?? waveList.find((w) => w.status === "open") ?? waveList[0];
  const klass = classList.find((c) => c.id === classId) ?? classList[0];

  return (
    <section aria-labelledby="codes-title">
      <h2 id="codes-title">访问码 · Access codes</h2>
      <p>
        整班发放和打印纸条请到 <a href="/staff/slips">访问码纸条 · Code slips</a>。这里查看每名学生的访问码状态，作废或重新发放单个访问码。
        <br />
        Issue and print a whole class's slips on the code slips page; here you see each student's code state and revoke or reissue one code.
      </p>
      <LoadView loaded={waves.loaded}>
        {() =>
          wave === undefined ? (
            <p>还没有测评。No wave yet.</p>
          ) : klass === undefined ? (
            <p>还没有班级，请先导入名单。No classes yet: import the roster first.</p>
          ) : (
            <>
              <div className="xq-admin-pickers">
                <label>
                  测评 · Wave
                  <select value={wave.id} onChange={(e) => setWaveId(e.target.value)}>
                    {waveList.map((w) => (
                      <option key={w.id} value={w.id}>
                        {waveLabel(w)}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  班级 · Class
                  <select value={klass.id} onChange={(e) => setClassId(e.target.value)}>
                    {classList.map((c) => (
                      <option key={c.id} value={c.id}>
                        {classOption(c)}
                      </option>
                    ))}
                  </select>
                </label>
              </div>
              <CodeList key={`${wave.id}:${klass.id}`} wave={wave} classId={klass.id} />
            </>
          )
        }
      </LoadView>
    </section>
  );
}

function CodeList({ wave, classId }: { wave: Wave; classId: string }) {
  const path = `/api/waves/${encodeURIComponent(wave.id)}/slips?classId=${encodeURIComponent(classId)}`;
  const { loaded, set } = useLoad<SlipList>(path);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [fresh, setFresh] = useState<CodeReissueResult["slip"] | null>(null);


  async function revoke(data: SlipList, row: CodeRow) {
    setBusy(row.studentId);
    setMessage(null);
    const result = await staffApi.post<CodeRevokeResult>(`/api/waves/${encodeURIComponent(wave.id)}/codes/${encodeURIComponent(row.studentId)}/revoke`);
    setBusy(null);
    if (!result.ok) setMessage(`${isolate(row.studentNo)}: ${failureText(result)}`);
    else {
      if (fresh?.studentId === row.studentId) setFresh(null);
      set({ ...data, slips: withCodeState(data.slips, row.studentId, "revoked") });
    }
  }

  async function reissue(data: SlipList, row: CodeRow) {
    setBusy(row.studentId);
    setMessage(null);
    const result = await staffApi.post<CodeReissueResult>(`/api/waves/${encodeURIComponent(wave.id)}/codes/${encodeURIComponent(row.studentId)}/reissue`);
    setBusy(null);
    if (!result.ok) {
      setMessage(`${isolate(row.studentNo)}: ${failureText(result)}`);
      return;
    }
    setFresh(result.data.slip);
    // The list again, for the new code's issue time as the server recorded it.
    const again = await staffApi.get<SlipList>(path);
    set(again.ok ? again.data : { ...data, slips: withCodeState(data.slips, row.studentId, "active") });
  }

  return (
    <LoadView loaded={loaded}>
      {(data) => {
        const counts = codeCounts(data.slips);
        return (
          <>
            <p role="status" aria-label="访问码统计 · Code counts">
              {data.slips.length} 名学生：有效 {counts.active}，已使用 {counts.used}，已作废 {counts.revoked}，未发放 {counts.none}。{data.slips.length} students: {counts.active} active, {counts.used} used, {counts.revoked} revoked, {counts.none} without a code.
            </p>
            {fresh && (
              <ShownOnce
                label={
                  <>
                    <UserText text={classLabel(fresh)} /> · 学号 <UserText text={fresh.studentNo} /> · <UserText text={fresh.maskedName} /> 的新访问码 · New code
                  </>
                }
                value={fresh.code}
                note="只显示这一次，请现在抄写或打印给学生；旧访问码已失效。Shown only this once: copy it onto a slip for the student now. The old code no longer works."
                testId="reissued-code"
              />
            )}
            {message && <p role="alert">{message}</p>}
            <table className="xq-admin-table" aria-label="访问码状态 · Code states">
              <thead>
                <tr>
                  <th scope="col">学号 · No.</th>
                  <th scope="col">姓名 · Name</th>
                  <th scope="col">知情同意 · Consent</th>
                  <th scope="col">访问码 · Code</th>
                  <th scope="col">发放时间 · Issued</th>
                  <th scope="col">操作 · Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.slips.map((row) => {
                  const can = codeActions(row, wave);
                  return (
                    <tr key={row.studentId} data-testid={`code-row-${row.studentNo}`}>
                      <td>
                        <UserText text={row.studentNo} />
                      </td>
                      <td>
                        <UserText text={row.maskedName} />
                      </td>
                      <td>{CONSENT_LABEL[row.consent]}</td>
                      <td data-state={row.codeState}>{CODE_STATE_LABEL[row.codeState]}</td>
                      <td>{row.issuedAt === null ? "—" : timeAt(row.issuedAt, offsetAt(row.issuedAt))}</td>
                      <td className="xq-admin-actions">
                        {can.revoke && (
                          <button type="button" disabled={busy !== null} onClick={() => void revoke(data, row)}>
                            作废 · Revoke<span className="xq-visually-hidden"> {row.studentNo}</span>
                          </button>
                        )}
                        {can.reissue && (
                          <button type="button" disabled={busy !== null} onClick={() => void reissue(data, row)}>
                            {can.reissueLabel}
                            <span className="xq-visually-hidden"> {row.studentNo}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </>
        );
      }}
    </LoadView>
  );
}
