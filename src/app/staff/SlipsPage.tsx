/**
 * Code slips (/staff/slips), for a school lead: pick a wave and optionally a class, issue access codes,
 * and print them as an A4 sheet of slips with dashed cut lines. The plain codes exist only in the issue
 * (or reissue) response, so they live in this page's memory only: a lost slip means a reissue.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { SessionResponse } from "../../shared/accounts";
import type { ClassList, SchoolList } from "../../shared/schools";
import type { CodeIssueResult, CodeReissueResult, CodeSlip, Wave, WaveList } from "../../shared/waves";
import { isolate } from "../ui/bidi";
import { UserText } from "../ui/UserText";
import { restoreSession, staffApi } from "./client";
import { classLabel, classOption, failureText, replaceSlip, skippedLines, waveLabel, wavesForCodes } from "./model";
import "./staff.css";

type Loaded = { account: SessionResponse["account"]; schoolName: string; waves: Wave[]; classes: ClassList["classes"] };
type PageState = { kind: "loading" } | { kind: "signed-out" } | { kind: "not-lead"; username: string } | { kind: "failed"; message: string } | { kind: "ready"; loaded: Loaded };

async function load(): Promise<PageState> {
  const session = await restoreSession();
  if (!session.ok) return session.kind === "http" && session.status === 401 ? { kind: "signed-out" } : { kind: "failed", message: failureText(session) };
  const { account } = session.data;
  if (account.role !== "school-lead" || account.schoolId === null) return { kind: "not-lead", username: account.username };
  const schoolId = account.schoolId;
  const [schools, waves, classes] = await Promise.all([
    staffApi.get<SchoolList>("/api/schools"),
    staffApi.get<WaveList>(`/api/schools/${encodeURIComponent(schoolId)}/waves`),
    staffApi.get<ClassList>(`/api/schools/${encodeURIComponent(schoolId)}/classes`),
  ]);
  if (!schools.ok) return { kind: "failed", message: failureText(schools) };
  if (!waves.ok) return { kind: "failed", message: failureText(waves) };
  if (!classes.ok) return { kind: "failed", message: failureText(classes) };
  const schoolName = schools.data.schools.find((s) => s.id === schoolId)?.name ?? "";
  return { kind: "ready", loaded: { account, schoolName, waves: wavesForCodes(waves.data.waves), classes: classes.data.classes } };
}

export default function SlipsPage() {
  const [state, setState] = useState<PageState>({ kind: "loading" });
  useEffect(() => {
    let live = true;
    void load().then((s) => live && setState(s));
    return () => {
      live = false;
    };
  }, []);

  switch (state.kind) {
    case "loading":
      return <p className="xq-home">正在加载… Loading…</p>;
    case "signed-out":
      return (
        <main className="xq-home">
          <h1>访问码 · Access codes</h1>
          <p>
            请先登录。Sign in first. <a href="/login">登录 · Sign in</a>
          </p>
        </main>
      );
    case "not-lead":
      return (
        <main className="xq-home">
          <h1>访问码 · Access codes</h1>
          <p role="alert">
            账号 {state.username} 不能发放访问码，请由学校负责人操作。The account {state.username} cannot issue codes; a school lead does this.
          </p>
        </main>
      );
    case "failed":
      return (
        <main className="xq-home">
          <h1>访问码 · Access codes</h1>
          <p role="alert">{state.message}</p>
        </main>
      );
    case "ready":
      return <Slips loaded={state.loaded} />;
  }
}

function Slips({ loaded }: { loaded: Loaded }) {
  const { waves, classes, schoolName } = loaded;
  const [waveId, setWaveId] = useState(waves[0]?.id ?? "");
  const [classId, setClassId] = useState("");
  const [issued, setIssued] = useState<{ waveId: string; slips: CodeSlip[]; skipped: CodeIssueResult["skipped"] } | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [reissuing, setReissuing] = useState<string | null>(null);

  async function issue(event: FormEvent) {
    event.preventDefault();
    if (!waveId) return;
    setBusy(true);
    setMessage(null);
    const result = await staffApi.post<CodeIssueResult>(`/api/waves/${encodeURIComponent(waveId)}/codes`, classId ? { classId } : {});
    setBusy(false);
    if (!result.ok) {
      setMessage(failureText(result));
      return;
    }
    setIssued({ waveId: result.data.waveId, slips: result.data.issued, skipped: result.data.skipped });
  }

  async function reissue(slip: CodeSlip) {
    if (!issued) return;
    setReissuing(slip.studentId);
    setMessage(null);
    const result = await staffApi.post<CodeReissueResult>(`/api/waves/${encodeURIComponent(issued.waveId)}/codes/${encodeURIComponent(slip.studentId)}/reissue`);
    setReissuing(null);
    if (!result.ok) {
      setMessage(`${isolate(slip.studentNo)}: ${failureText(result)}`);
      return;
    }
    setIssued({ ...issued, slips: replaceSlip(issued.slips, result.data.slip) });
  }

  return (
    <main className="xq-staff">
      <div className="xq-noprint">
        <h1>访问码 · Access codes</h1>
        <p>
          <UserText text={schoolName} /> · {loaded.account.username}
        </p>
        {waves.length === 0 ? (
          <p role="alert">没有可以发放访问码的测评（草稿或进行中）。No draft or open wave can get codes.</p>
        ) : (
          <form onSubmit={issue} className="xq-form">
            <label>
              测评 · Wave
              <select value={waveId} onChange={(e) => setWaveId(e.target.value)}>
                {waves.map((w) => (
                  <option key={w.id} value={w.id}>
                    {waveLabel(w)}
                  </option>
                ))}
              </select>
            </label>
            <label>
              班级 · Class
              <select value={classId} onChange={(e) => setClassId(e.target.value)}>
                <option value="">全校 · Whole school</option>
                {classes.map((c) => (
                  <option key={c.id} value={c.id}>
                    {classOption(c)}
                  </option>
                ))}
              </select>
            </label>
            <button type="submit" disabled={busy || !waveId}>
              生成访问码 · Issue codes
            </button>
          </form>
        )}
        {message && <p role="alert">{message}</p>}
        {issued && (
          <section aria-label="生成结果 · Result">
            <p className="xq-warning" role="note">
              <strong>访问码只显示这一次，请现在打印。</strong>离开或刷新本页后无法再查看；纸条遗失只能重新生成（旧码作废）。
              <br />
              <strong>Codes are shown only this once: print them now.</strong> They cannot be shown again after you leave or reload this page; a lost slip means a reissue (the old code stops working).
            </p>
            <p>
              已生成 {issued.slips.length} 张 · {issued.slips.length} slips issued.
            </p>
            {skippedLines(issued.skipped).length > 0 && (
              <ul>
                {skippedLines(issued.skipped).map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
            {issued.slips.length > 0 && (
              <button type="button" className="xq-button" onClick={() => window.print()}>
                打印 · Print
              </button>
            )}
          </section>
        )}
      </div>
      {issued && issued.slips.length > 0 && (
        <div className="xq-slip-sheet" aria-label="访问码纸条 · Code slips">
          {issued.slips.map((slip) => (
            <article key={slip.studentId} className="xq-slip">
              <div className="xq-slip-where">
                <UserText text={schoolName} /> · <UserText text={classLabel(slip)} />
              </div>
              <div className="xq-slip-who">
                学号 <span className="xq-slip-no"><UserText text={slip.studentNo} /></span> · <UserText text={slip.maskedName} />
              </div>
              <div className="xq-slip-code" data-testid="slip-code">
                {slip.code}
              </div>
              <div className="xq-slip-how">在机房电脑打开本校心晴网址，输入访问码</div>
              <button type="button" className="xq-noprint xq-slip-reissue" disabled={reissuing !== null} onClick={() => void reissue(slip)}>
                重新生成 · Reissue
              </button>
            </article>
          ))}
        </div>
      )}
    </main>
  );
}
