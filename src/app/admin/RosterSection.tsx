/**
 * The roster (名单) import of the school lead's school: a CSV or tab-separated file as Excel writes it
 * (UTF-8, UTF-8 with BOM, GB18030), sent as it is. "Check" asks the server for a dry run; "Import"
 * writes. The import is all-or-nothing: a bad file answers every problem with its line and column, and
 * the page says that nothing was imported.
 */
import { useState, type FormEvent } from "react";
import type { RosterImportSummary } from "../../shared/roster";
import { postFile } from "./api";
import { problemsOf, rosterSummaryLines, type Problem } from "./model";
import { Problems } from "./parts";

type Outcome = { kind: "done"; summary: RosterImportSummary } | { kind: "failed"; title: string; problems: Problem[] };

export function RosterSection({ schoolId }: { schoolId: string }) {
  const [file, setFile] = useState<File | null>(null);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome | null>(null);

  async function send(dryRun: boolean) {
    if (file === null) return;
    setBusy(true);
    setOutcome(null);
    const result = await postFile<RosterImportSummary>(`/api/schools/${encodeURIComponent(schoolId)}/roster${dryRun ? "?dryRun=true" : ""}`, file);
    setBusy(false);
    if (result.ok) setOutcome({ kind: "done", summary: result.data });
    else {
      const roster = result.kind === "http" && result.error.code === "roster_invalid";
      setOutcome({
        kind: "failed",
        // The server's message already says that nothing was imported; other failures wrote nothing either.
        title: roster ? result.error.message : `未导入任何数据 · Nothing was imported. ${result.kind === "http" ? result.error.message : ""}`.trim(),
        problems: roster || result.kind === "network" ? problemsOf(result) : [],
      });
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void send(false);
  }

  return (
    <section aria-labelledby="roster-title">
      <h2 id="roster-title">名单导入 · Roster import</h2>
      <p>
        必填列：学号、姓名、年级、班级；可选：性别、监护人姓名、监护人电话、出生日期、同意（知情同意）及七类重点学生各列（是/否）。Excel 另存为 CSV（UTF-8 或默认的 GB18030）或“Unicode 文本”均可。
        <br />
        Required columns: 学号, 姓名, 年级, 班级; optional: 性别, guardian, birth date, 同意 (consent) and the key-population columns. Any CSV Excel saves works.
      </p>
      <p>全部行无误才会导入；重新导入会原地更新，新名单中没有的学生标记为离校，不删除。The import is all-or-nothing; re-importing updates in place, and students missing from the new roster are marked as left, never deleted.</p>
      <form className="xq-form" onSubmit={submit}>
        <label>
          名单文件 · Roster file
          <input
            type="file"
            accept=".csv,.txt,text/csv,text/plain"
            required
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setOutcome(null);
            }}
          />
        </label>
        <div className="xq-admin-buttons">
          <button type="button" disabled={busy || file === null} onClick={() => void send(true)}>
            只检查 · Check only
          </button>
          <button type="submit" disabled={busy || file === null}>
            导入 · Import
          </button>
        </div>
      </form>
      {busy && <p role="status">正在上传… Uploading…</p>}
      {outcome?.kind === "failed" && <Problems title={outcome.title} problems={outcome.problems} label="名单问题 · Roster problems" />}
      {outcome?.kind === "done" && (
        <div role="status">
          <ul aria-label="导入结果 · Result" className="xq-admin-summary">
            {rosterSummaryLines(outcome.summary).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
