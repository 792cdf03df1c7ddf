/** The district's schools: the list and a form to add one (administrator only; the server checks). */
import { useState, type FormEvent } from "react";
import type { School, SchoolList } from "../../shared/schools";
import { staffApi } from "../staff/client";
import { UserText } from "../ui/UserText";
import { useLoad } from "./api";
import { problemsOf, type Problem } from "./model";
import { LoadView, Problems } from "./parts";

export function SchoolsSection() {
  const { loaded, reload } = useLoad<SchoolList>("/api/schools");
  const [code, setCode] = useState("");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const [created, setCreated] = useState<School | null>(null);

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblems(null);
    setCreated(null);
    const result = await staffApi.post<School>("/api/schools", { code: code.trim(), name: name.trim() });
    setBusy(false);
    if (!result.ok) {
      setProblems(problemsOf(result));
      return;
    }
    setCreated(result.data);
    setCode("");
    setName("");
    reload();
  }

  return (
    <section aria-labelledby="schools-title">
      <h2 id="schools-title">学校 · Schools</h2>
      <LoadView loaded={loaded}>
        {(data) =>
          data.schools.length === 0 ? (
            <p>还没有学校。No schools yet.</p>
          ) : (
            <table className="xq-admin-table" aria-label="学校列表 · Schools">
              <thead>
                <tr>
                  <th scope="col">代码 · Code</th>
                  <th scope="col">名称 · Name</th>
                </tr>
              </thead>
              <tbody>
                {data.schools.map((s) => (
                  <tr key={s.id}>
                    <td>{s.code}</td>
                    <td>
                      <UserText text={s.name} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </LoadView>

      <h3>新建学校 · New school</h3>
      <form className="xq-form" onSubmit={create}>
        <label>
          学校代码 · School code
          <input required maxLength={32} value={code} onChange={(e) => setCode(e.target.value)} placeholder="HD-07" />
        </label>
        <label>
          学校名称 · School name
          <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} placeholder="海淀区第七中学" />
        </label>
        <button type="submit" disabled={busy}>
          创建学校 · Create school
        </button>
      </form>
      {problems && <Problems title="未能创建学校 · The school was not created" problems={problems} label="问题 · Problems" />}
      {created && (
        <p role="status">
          已创建 <UserText text={created.name} />（{created.code}）。Created <UserText text={created.name} />.
        </p>
      )}
    </section>
  );
}
