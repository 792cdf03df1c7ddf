/**
 * Accounts: the list (the whole district for the administrator, one school for a school lead), a new
 * account with its one-time set-up link shown once, disable / enable, reset (a new set-up link; the
 * password and every session end), and the classes of teachers and peer monitors.
 *
 * Class assignment needs the school's class list: a school lead reads it; where the server does not give
 * it (the administrator), the page says that the school lead assigns classes.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { AccountClass, AccountList, AccountView, CreatedAccount, SessionAccount } from "../../shared/accounts";
import type { Role } from "../../shared/api";
import type { ClassList, ClassSummary, SchoolList } from "../../shared/schools";
import { staffApi } from "../staff/client";
import { classLabel, failureText, ROLE_LABEL } from "../staff/model";
import type { ApiResult } from "../ui/api";
import { isolate } from "../ui/bidi";
import { UserText } from "../ui/UserText";
import { sendJson, useLoad } from "./api";
import { accountState, classRelationsOf, needsSchool, problemsOf, RELATION_LABEL, rolesAssignableBy, setupLink, timeAt, toggleClass, type Problem } from "./model";
import { LoadView, Problems, ShownOnce } from "./parts";

const offsetAt = (iso: string) => -new Date(iso).getTimezoneOffset();

type Classes = { kind: "none" } | { kind: "loading" } | { kind: "unavailable" } | { kind: "ready"; classes: ClassSummary[] };

/** The class list of a school for assigning classes, or why there is none. */
function useClasses(schoolId: string): Classes {
  const [classes, setClasses] = useState<Classes>({ kind: "none" });
  useEffect(() => {
    if (schoolId === "") {
      setClasses({ kind: "none" });
      return;
    }
    let live = true;
    setClasses({ kind: "loading" });
    void staffApi.get<ClassList>(`/api/schools/${encodeURIComponent(schoolId)}/classes`).then((r) => {
      if (live) setClasses(r.ok ? { kind: "ready", classes: r.data.classes } : { kind: "unavailable" });
    });
    return () => {
      live = false;
    };
  }, [schoolId]);
  return classes;
}

/** A page of accounts, with "more" following the server's cursor. */
function useAccounts(schoolId: string) {
  const base = `/api/accounts${schoolId === "" ? "" : `?schoolId=${encodeURIComponent(schoolId)}`}`;
  const { loaded, reload, set } = useLoad<AccountList>(base);
  const [more, setMore] = useState<string | null>(null);
  async function loadMore() {
    if (loaded.kind !== "ready" || loaded.data.next === null) return;
    const sep = base.includes("?") ? "&" : "?";
    const result = await staffApi.get<AccountList>(`${base}${sep}after=${encodeURIComponent(loaded.data.next)}`);
    if (!result.ok) {
      setMore(failureText(result));
      return;
    }
    setMore(null);
    set({ accounts: [...loaded.data.accounts, ...result.data.accounts], next: result.data.next });
  }
  const replace = (account: AccountView) => {
    if (loaded.kind === "ready") set({ ...loaded.data, accounts: loaded.data.accounts.map((a) => (a.id === account.id ? account : a)) });
  };
  return { loaded, reload, loadMore, moreMessage: more, replace };
}

export function AccountsSection({ account: me }: { account: SessionAccount }) {
  const district = me.schoolId === null;
  const schools = useLoad<SchoolList>("/api/schools");
  const [schoolFilter, setSchoolFilter] = useState(me.schoolId ?? "");
  const accounts = useAccounts(schoolFilter);
  const classes = useClasses(schoolFilter);
  const [link, setLink] = useState<{ username: string; token: string; expiresAt: string } | null>(null);
  const schoolList = schools.loaded.kind === "ready" ? schools.loaded.data.schools : [];
  const schoolCode = (id: string | null) => (id === null ? "—" : (schoolList.find((s) => s.id === id)?.code ?? id));

  return (
    <section aria-labelledby="accounts-title">
      <h2 id="accounts-title">账号 · Accounts</h2>
      {link && (
        <ShownOnce
          label={`${link.username} 的一次性设置链接 · One-time set-up link for ${link.username}`}
          value={setupLink(window.location.origin, link.token)}
          note={`请现在复制并交给本人，链接只显示这一次，${timeAt(link.expiresAt, offsetAt(link.expiresAt))} 前有效。Copy it now and hand it to the person: it is shown only this once and works until ${timeAt(link.expiresAt, offsetAt(link.expiresAt))}.`}
          testId="setup-link"
        />
      )}
      <CreateAccount me={me} schools={schoolList} defaultSchool={schoolFilter} onCreated={(c) => {
        setLink({ username: c.account.username, token: c.setupToken, expiresAt: c.setupExpiresAt });
        accounts.reload();
      }} />

      <h3>账号列表 · All accounts</h3>
      {district && (
        <label className="xq-admin-inline">
          按学校筛选 · Filter by school
          <select value={schoolFilter} onChange={(e) => setSchoolFilter(e.target.value)}>
            <option value="">全部 · All</option>
            {schoolList.map((s) => (
              <option key={s.id} value={s.id}>
                {s.code} {s.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {schoolFilter !== "" && classes.kind === "unavailable" && <p>班级由学校负责人在本校的账号页中分配。The school lead assigns classes on the school's accounts page.</p>}
      <LoadView loaded={accounts.loaded}>
        {(data) => (
          <>
            {data.accounts.length === 0 ? (
              <p>没有账号。No accounts.</p>
            ) : (
              <table className="xq-admin-table" aria-label="账号列表 · Accounts">
                <thead>
                  <tr>
                    <th scope="col">用户名 · Username</th>
                    <th scope="col">姓名 · Name</th>
                    <th scope="col">角色 · Role</th>
                    {district && <th scope="col">学校 · School</th>}
                    <th scope="col">状态 · State</th>
                    <th scope="col">班级 · Classes</th>
                    <th scope="col">操作 · Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {data.accounts.map((a) => (
                    <AccountRow
                      key={a.id}
                      account={a}
                      me={me}
                      district={district}
                      schoolCode={schoolCode(a.schoolId)}
                      classes={classes.kind === "ready" && a.schoolId === schoolFilter ? classes.classes : null}
                      onChanged={accounts.replace}
                      onReset={(token, expiresAt) => setLink({ username: a.username, token, expiresAt })}
                    />
                  ))}
                </tbody>
              </table>
            )}
            {data.next !== null && (
              <button type="button" className="xq-button" onClick={() => void accounts.loadMore()}>
                加载更多 · More
              </button>
            )}
            {accounts.moreMessage && <p role="alert">{accounts.moreMessage}</p>}
          </>
        )}
      </LoadView>
    </section>
  );
}

function CreateAccount({ me, schools, defaultSchool, onCreated }: { me: SessionAccount; schools: SchoolList["schools"]; defaultSchool: string; onCreated: (c: CreatedAccount) => void }) {
  const roles = rolesAssignableBy(me.role);
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<Role>(roles[0] ?? "counselor");
  const [schoolId, setSchoolId] = useState(me.schoolId ?? defaultSchool);
  const [picked, setPicked] = useState<AccountClass[]>([]);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[] | null>(null);
  const withSchool = needsSchool(role);
  const relations = classRelationsOf(role);
  const classes = useClasses(withSchool && relations.length > 0 ? schoolId : "");

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setProblems(null);
    const body = {
      username: username.trim(),
      role,
      ...(me.schoolId === null && { schoolId: withSchool ? schoolId : null }),
      ...(displayName.trim() !== "" && { displayName: displayName.trim() }),
      ...(picked.length > 0 && { classes: picked.filter((c) => relations.includes(c.relation)) }),
    };
    const result = await staffApi.post<CreatedAccount>("/api/accounts", body);
    setBusy(false);
    if (!result.ok) {
      setProblems(problemsOf(result));
      return;
    }
    setUsername("");
    setDisplayName("");
    setPicked([]);
    onCreated(result.data);
  }

  return (
    <>
      <h3>新建账号 · New account</h3>
      <form className="xq-form" onSubmit={submit}>
        <label>
          用户名 · Username
          <input required minLength={3} maxLength={64} pattern="[a-z0-9][a-z0-9._\-]*" title="小写字母、数字和 . _ - · lower-case letters, digits, . _ -" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
        </label>
        <label>
          姓名（可选）· Name (optional)
          <input maxLength={64} value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="off" />
        </label>
        <label>
          角色 · Role
          <select value={role} onChange={(e) => { setRole(e.target.value as Role); setPicked([]); }}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r]}
              </option>
            ))}
          </select>
        </label>
        {me.schoolId === null && withSchool && (
          <label>
            学校 · School
            <select required value={schoolId} onChange={(e) => { setSchoolId(e.target.value); setPicked([]); }}>
              <option value="">请选择 · Choose</option>
              {schools.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.code} {s.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {relations.length > 0 && classes.kind === "ready" && <ClassPicker classes={classes.classes} relations={relations} value={picked} onChange={setPicked} legend="班级 · Classes" />}
        {relations.length > 0 && classes.kind === "unavailable" && <p>班级可稍后由学校负责人分配。The school lead can assign classes later.</p>}
        <button type="submit" disabled={busy}>
          创建账号 · Create account
        </button>
      </form>
      {problems && <Problems title="未能创建账号 · The account was not created" problems={problems} label="问题 · Problems" />}
    </>
  );
}

function ClassPicker({ classes, relations, value, onChange, legend }: { classes: ClassSummary[]; relations: readonly AccountClass["relation"][]; value: readonly AccountClass[]; onChange: (v: AccountClass[]) => void; legend: string }) {
  if (classes.length === 0) return <p>本校还没有班级（导入名单后才有）。No classes yet: import the roster first.</p>;
  return (
    <fieldset className="xq-admin-classes">
      <legend>{legend}</legend>
      <table>
        <thead>
          <tr>
            <th scope="col">班级 · Class</th>
            {relations.map((r) => (
              <th scope="col" key={r}>
                {RELATION_LABEL[r]}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {classes.map((c) => (
            <tr key={c.id}>
              <th scope="row">
                <UserText text={classLabel(c)} />
              </th>
              {relations.map((r) => (
                <td key={r}>
                  <input
                    type="checkbox"
                    aria-label={`${classLabel(c)} ${RELATION_LABEL[r]}`}
                    checked={value.some((v) => v.classId === c.id && v.relation === r)}
                    onChange={(e) => onChange(toggleClass(value, c.id, r, e.target.checked))}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </fieldset>
  );
}

function AccountRow(props: {
  account: AccountView;
  me: SessionAccount;
  district: boolean;
  schoolCode: string;
  classes: ClassSummary[] | null;
  onChanged: (a: AccountView) => void;
  onReset: (token: string, expiresAt: string) => void;
}) {
  const { account: a, me, classes } = props;
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [editing, setEditing] = useState<AccountClass[] | null>(null);
  const relations = classRelationsOf(a.role);
  const manageable = rolesAssignableBy(me.role).includes(a.role);
  const labelOf = (id: string) => {
    const c = classes?.find((x) => x.id === id);
    return c ? classLabel(c) : null;
  };
  const classText =
    a.classes.length === 0
      ? "—"
      : classes === null
        ? `${a.classes.length} 个 · ${a.classes.length}`
        : a.classes.map((c) => `${isolate(labelOf(c.classId) ?? "?")} ${RELATION_LABEL[c.relation]}`).join("；");

  async function call<T>(run: () => Promise<ApiResult<T>>, done: (data: T) => void) {
    setBusy(true);
    setMessage(null);
    const result = await run();
    setBusy(false);
    if (result.ok) done(result.data);
    else setMessage(failureText(result));
  }

  const setDisabled = (disabled: boolean) =>
    call(
      () => patchAccount(a.id, { disabled }),
      (updated) => props.onChanged(updated),
    );
  const reset = () =>
    call(
      () => staffApi.post<{ setupToken: string; setupExpiresAt: string }>(`/api/accounts/${encodeURIComponent(a.id)}/reset`),
      (link) => {
        props.onReset(link.setupToken, link.setupExpiresAt);
        props.onChanged({ ...a, hasPassword: false });
      },
    );
  const saveClasses = () =>
    editing &&
    call(
      () => patchAccount(a.id, { classes: editing }),
      (updated) => {
        setEditing(null);
        props.onChanged(updated);
      },
    );

  return (
    <>
      <tr>
        <td>{a.username}</td>
        <td>{a.displayName === null ? "—" : <UserText text={a.displayName} />}</td>
        <td>{ROLE_LABEL[a.role]}</td>
        {props.district && <td>{props.schoolCode}</td>}
        <td>{accountState(a)}</td>
        <td>{classText}</td>
        <td className="xq-admin-actions">
          {manageable && a.id !== me.id && (
            <button type="button" disabled={busy} onClick={() => void setDisabled(!a.disabled)}>
              {a.disabled ? `启用 · Enable` : `停用 · Disable`}
              <span className="xq-visually-hidden"> {a.username}</span>
            </button>
          )}
          {manageable && (
            <button type="button" disabled={busy} onClick={() => void reset()}>
              重置密码 · Reset<span className="xq-visually-hidden"> {a.username}</span>
            </button>
          )}
          {manageable && relations.length > 0 && classes !== null && editing === null && (
            <button type="button" disabled={busy} onClick={() => setEditing(a.classes.filter((c) => relations.includes(c.relation)))}>
              分配班级 · Classes<span className="xq-visually-hidden"> {a.username}</span>
            </button>
          )}
          {message && <span role="alert">{message}</span>}
        </td>
      </tr>
      {editing !== null && classes !== null && (
        <tr>
          <td colSpan={props.district ? 7 : 6}>
            <ClassPicker classes={classes} relations={relations} value={editing} onChange={setEditing} legend={`${a.username} 的班级 · Classes of ${a.username}`} />
            <button type="button" disabled={busy} onClick={() => void saveClasses()}>
              保存班级 · Save classes
            </button>
            <button type="button" disabled={busy} onClick={() => setEditing(null)}>
              取消 · Cancel
            </button>
          </td>
        </tr>
      )}
    </>
  );
}

function patchAccount(id: string, body: object): Promise<ApiResult<AccountView>> {
  return sendJson<AccountView>("PATCH", `/api/accounts/${encodeURIComponent(id)}`, body);
}
