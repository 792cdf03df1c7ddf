/**
 * The counselor's pages (issue 6), for counselors and the school lead (who receives escalations):
 * /counselor (today's alerts, open cases, the watch list), /counselor/students/:id and
 * /counselor/cases/:id. The live alert banner and its chime are on every one of them.
 */
import type { SessionAccount } from "../../shared/accounts";
import type { Role } from "../../shared/api";
import { StaffShell } from "../staff/StaffShell";
import { AlertBanner } from "./AlertViews";
import { CasePage } from "./CasePage";
import { HomePage } from "./HomePage";
import { useLiveAlerts } from "./live";
import { parseCounselorPath, type CounselorPath } from "./model";
import { StudentPage } from "./StudentPage";
import "./counselor.css";

const ROLES: readonly Role[] = ["counselor", "school-lead"];

const TITLE: Readonly<Record<Exclude<CounselorPath["kind"], "not-found">, string>> = {
  home: "预警与个案 · Alerts & cases",
  student: "学生 · Student",
  case: "个案 · Case",
};

export default function CounselorApp() {
  const path = parseCounselorPath(window.location.pathname);
  if (path.kind === "not-found") {
    return (
      <main className="xq-home">
        <h1>心晴 XinQing</h1>
        <p>找不到这个页面。Page not found.</p>
        <p>
          <a href="/counselor">返回 · Back</a>
        </p>
      </main>
    );
  }
  return (
    <StaffShell title={TITLE[path.kind]} roles={ROLES}>
      {(account) => <Counselor account={account} path={path} />}
    </StaffShell>
  );
}

function Counselor({ account, path }: { account: SessionAccount; path: Exclude<CounselorPath, { kind: "not-found" }> }) {
  const live = useLiveAlerts(account.role);
  if (account.schoolId === null) return <p role="alert">此账号没有所属学校。This account belongs to no school.</p>;
  return (
    <>
      {path.kind !== "home" && (
        <p>
          <a href="/counselor">← 返回预警与个案 · Back to alerts & cases</a>
        </p>
      )}
      <AlertBanner live={live} onHome={path.kind === "home"} />
      {path.kind === "home" && <HomePage account={account} schoolId={account.schoolId} live={live} />}
      {path.kind === "student" && <StudentPage account={account} studentId={path.id} />}
      {path.kind === "case" && <CasePage caseId={path.id} />}
    </>
  );
}
