/**
 * Guardian consent per student for one wave: the counts by class, each student of a class with their
 * consent (set one at a time), and an import of a consent file (学号 and 同意 columns) for the whole
 * school, checked in full before anything is sent. Opting a student out revokes their code (server).
 */
import { useState } from "react";
import type { ClassList } from "../../shared/schools";
import type { ConsentPutResult, ConsentStatus, ConsentSummary, SlipList, WaveList } from "../../shared/waves";
import { staffApi } from "../staff/client";
import { classOption, failureText, waveLabel } from "../staff/model";
import { UserText } from "../ui/UserText";
import { useLoad } from "./api";
import { CONSENT_LABEL, decodeTextFile, parseConsentFile, problemsOf, type Problem } from "./model";
import { LoadView, Problems } from "./parts";

const STATUSES: readonly ConsentStatus[] = ["consented", "opted-out", "pending"];

export function ConsentSection({ schoolId }: { schoolId: string }) {
  const waves = useLoad<WaveList>(`/api/schools/${encodeURIComponent(schoolId)}/waves`);
  const classes = useLoad<ClassList>(`/api/schools/${encodeURIComponent(schoolId)}/classes`);
  const [waveId, setWaveId] = useState("");
  const [classId, setClassId] = useState("");
  const waveList = waves.loaded.kind === "ready" ? waves.loaded.data.waves : [];
  const classList = classes.loaded.kind === "ready" ? classes.loaded.data.classes : [];
  const wave = waveList.find((w) => w.id === waveId) ?? waveList.find((w) => w.status !== "closed") ?? waveList[0];
  const klass = classList.find((c) => c.id === classId) ?? classList[0];

  return (
    <section aria-labelledby="consent-title">
      <h2 id="consent-title">知情同意 · Guardian consent</h2>
      <p>监护人拒绝的学生不发访问码，统计时与未作答的学生分开计算。Opted-out students get no code and are counted apart from non-responders.</p>
      <LoadView loaded={waves.loaded}>
        {() =>
          wave === undefined ? (
            <p>还没有测评，请先在“测评”中创建。No wave yet: create one under Waves.</p>
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
                {klass && (
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
                )}
              </div>
              <ConsentOfWave key={`${wave.id}:${klass?.id ?? ""}`} waveId={wave.id} closed={wave.status === "closed"} classId={klass?.id ?? null} />
            </>
          )
        }
      </LoadView>
    </section>
  );
}

function ConsentOfWave({ waveId, closed, classId }: { waveId: string; closed: boolean; classId: string | null }) {
  const summary = useLoad<ConsentSummary>(`/api/waves/${encodeURIComponent(waveId)}/consents`);
  const students = useLoad<SlipList>(classId === null ? null : `/api/waves/${encodeURIComponent(waveId)}/slips?classId=${encodeURIComponent(classId)}`);
  const [message, setMessage] = useState<string | null>(null);
  const [saving, setSaving] = useState<string | null>(null);

  async function setOne(studentId: string, status: ConsentStatus) {
    setSaving(studentId);
    setMessage(null);
    const result = await staffApi.put<ConsentPutResult>(`/api/waves/${encodeURIComponent(waveId)}/consents`, { items: [{ studentId, status }] });
    setSaving(null);
    if (!result.ok) {
      setMessage(failureText(result));
      return;
    }
    summary.set(result.data.summary);
    if (students.loaded.kind === "ready") {
      const data = students.loaded.data;
      // Opting out revokes an active code: read the list again rather than guess its new state.
      if (status === "opted-out" && result.data.codesRevoked > 0) students.reload();
      else students.set({ ...data, slips: data.slips.map((s) => (s.studentId === studentId ? { ...s, consent: status } : s)) });
    }
  }

  return (
    <>
      <LoadView loaded={summary.loaded}>
        {(s) => (
          <p role="status" aria-label="全校统计 · School totals">
            全校在册 {s.enrolled} 人：同意 {s.consented}，拒绝 {s.optedOut}，待定 {s.pending}。Enrolled {s.enrolled}: {s.consented} consented, {s.optedOut} opted out, {s.pending} pending.
          </p>
        )}
      </LoadView>
      {closed && <p>测评已结束，知情同意不能再修改。The wave is closed: consent can no longer change.</p>}
      {classId !== null && (
        <LoadView loaded={students.loaded}>
          {(data) => (
            <table className="xq-admin-table" aria-label="学生知情同意 · Consent of each student">
              <thead>
                <tr>
                  <th scope="col">学号 · No.</th>
                  <th scope="col">姓名 · Name</th>
                  <th scope="col">知情同意 · Consent</th>
                </tr>
              </thead>
              <tbody>
                {data.slips.map((s) => (
                  <tr key={s.studentId}>
                    <td>
                      <UserText text={s.studentNo} />
                    </td>
                    <td>
                      <UserText text={s.maskedName} />
                    </td>
                    <td>
                      <select
                        aria-label={`${s.studentNo} 知情同意 · consent`}
                        value={s.consent}
                        disabled={closed || saving !== null}
                        onChange={(e) => void setOne(s.studentId, e.target.value as ConsentStatus)}
                      >
                        {STATUSES.map((v) => (
                          <option key={v} value={v}>
                            {CONSENT_LABEL[v]}
                          </option>
                        ))}
                      </select>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </LoadView>
      )}
      {message && <p role="alert">{message}</p>}
      {!closed && <ConsentImport waveId={waveId} onImported={(result) => { summary.set(result.summary); students.reload(); }} />}
    </>
  );
}

function ConsentImport({ waveId, onImported }: { waveId: string; onImported: (result: ConsentPutResult) => void }) {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const [done, setDone] = useState<string | null>(null);

  async function importFile(file: File) {
    setBusy(true);
    setProblems(null);
    setDone(null);
    const text = decodeTextFile(new Uint8Array(await file.arrayBuffer()));
    const school = await staffApi.get<SlipList>(`/api/waves/${encodeURIComponent(waveId)}/slips`);
    if (!school.ok) {
      setBusy(false);
      setProblems(problemsOf(school));
      return;
    }
    const parsed = parseConsentFile(text, school.data.slips);
    if (!parsed.ok) {
      setBusy(false);
      setProblems(parsed.problems);
      return;
    }
    const result = await staffApi.put<ConsentPutResult>(`/api/waves/${encodeURIComponent(waveId)}/consents`, { items: parsed.items });
    setBusy(false);
    if (!result.ok) {
      setProblems(problemsOf(result));
      return;
    }
    setDone(`已更新 ${result.data.updated} 名学生的知情同意，作废 ${result.data.codesRevoked} 个访问码。Consent of ${result.data.updated} students set; ${result.data.codesRevoked} codes revoked.`);
    onImported(result.data);
  }

  return (
    <>
      <h3>导入知情同意 · Import consent</h3>
      <p>文件需含“学号”和“同意”两列（同意 / 拒绝 / 待定，空为待定），UTF-8 或 GB18030。A file with 学号 and 同意 columns (同意, 拒绝 or 待定; empty means pending).</p>
      <label className="xq-admin-inline">
        知情同意文件 · Consent file
        <input
          type="file"
          accept=".csv,.txt,text/csv,text/plain"
          disabled={busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void importFile(file);
            e.target.value = "";
          }}
        />
      </label>
      {busy && <p role="status">正在导入… Importing…</p>}
      {problems && <Problems title="文件有问题，未修改任何知情同意 · The file has problems; no consent was changed" problems={problems} label="知情同意问题 · Consent problems" />}
      {done && <p role="status">{done}</p>}
    </>
  );
}
