/**
 * The frame of every staff page: it restores the session, sends a signed-out visitor to /login, shows a
 * role that may not open the page the same "page not found" as an unknown path (no hint that the page
 * exists), and draws the header: XinQing, the role's links, the unacknowledged-alert badge for the roles
 * that receive alerts, who is signed in, and sign-out.
 *
 * A page: `<StaffShell title="…" roles={["counselor"]}>{(account) => <MyPage account={account} />}</StaffShell>`.
 */
import { useEffect, useState, type ReactNode } from "react";
import type { SessionAccount } from "../../shared/accounts";
import type { Role } from "../../shared/api";
import type { AlertList } from "../../shared/alerts";
import { restoreSession, staffApi } from "./client";
import { ALERTS_CHANGED_EVENT, failureText, navOf, ROLE_LABEL, seesAlerts } from "./model";
import "./staff.css";

/** How often the badge asks for the unacknowledged count; pages with the live stream also fire ALERTS_CHANGED_EVENT. */
const BADGE_POLL_MS = 20_000;

type ShellState = { kind: "loading" } | { kind: "signed-out" } | { kind: "not-found" } | { kind: "failed"; message: string } | { kind: "ready"; account: SessionAccount };

export interface StaffShellProps {
  /** The page's heading (h1), in Chinese · English. */
  readonly title: string;
  /** Roles that may open the page; anyone else gets "page not found". */
  readonly roles: readonly Role[];
  readonly children: (account: SessionAccount) => ReactNode;
}

export function StaffShell({ title, roles, children }: StaffShellProps) {
  const [state, setState] = useState<ShellState>({ kind: "loading" });
  useEffect(() => {
    let live = true;
    void restoreSession().then((result) => {
      if (!live) return;
      if (result.ok) setState(roles.includes(result.data.account.role) ? { kind: "ready", account: result.data.account } : { kind: "not-found" });
      else if (result.kind === "http" && result.status === 401) setState({ kind: "signed-out" });
      else setState({ kind: "failed", message: failureText(result) });
    });
    return () => {
      live = false;
    };
  }, [roles]);

  switch (state.kind) {
    case "loading":
      return <p className="xq-home">正在加载… Loading…</p>;
    case "signed-out":
      return (
        <main className="xq-home">
          <h1>{title}</h1>
          <p>
            请先登录。Sign in first. <a href="/login">登录 · Sign in</a>
          </p>
        </main>
      );
    case "not-found":
      return (
        <main className="xq-home">
          <h1>心晴 XinQing</h1>
          <p>找不到这个页面。Page not found.</p>
          <p>
            <a href="/login">返回 · Back</a>
          </p>
        </main>
      );
    case "failed":
      return (
        <main className="xq-home">
          <h1>{title}</h1>
          <p role="alert">{state.message}</p>
        </main>
      );
    case "ready":
      return (
        <>
          <StaffHeader account={state.account} />
          <main className="xq-staff">
            <h1>{title}</h1>
            {children(state.account)}
          </main>
        </>
      );
  }
}

function StaffHeader({ account }: { account: SessionAccount }) {
  const links = navOf(account.role);
  return (
    <header className="xq-staff-header">
      <strong className="xq-staff-brand">心晴 XinQing</strong>
      {links.length > 0 && (
        <nav aria-label="主菜单 · Main menu">
          {links.map((l) => (
            <a key={l.href} href={l.href} aria-current={window.location.pathname === l.href ? "page" : undefined}>
              {l.label}
            </a>
          ))}
        </nav>
      )}
      {seesAlerts(account.role) && <AlertBadge />}
      <span className="xq-staff-who">
        {account.username} · {ROLE_LABEL[account.role]}
      </span>
      <button type="button" className="xq-link-button" onClick={() => void signOut()}>
        退出 · Sign out
      </button>
    </header>
  );
}

async function signOut(): Promise<void> {
  await staffApi.post("/api/auth/logout");
  staffApi.setCsrfToken(null);
  window.location.assign("/login");
}

/** The unacknowledged-alert count of the school, on every page of a role that receives alerts. */
function AlertBadge() {
  const [count, setCount] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    const poll = async () => {
      const result = await staffApi.get<AlertList>("/api/alerts?status=unacknowledged");
      if (live && result.ok) setCount(result.data.count);
    };
    void poll();
    const timer = window.setInterval(() => void poll(), BADGE_POLL_MS);
    const now = () => void poll();
    window.addEventListener(ALERTS_CHANGED_EVENT, now);
    return () => {
      live = false;
      window.clearInterval(timer);
      window.removeEventListener(ALERTS_CHANGED_EVENT, now);
    };
  }, []);
  if (count === null) return null;
  return (
    <a href="/counselor" className={count > 0 ? "xq-alert-badge xq-alert-badge-on" : "xq-alert-badge"} data-testid="alert-badge">
      {count > 0 ? `未确认预警 ${count} · ${count} unacknowledged alert${count === 1 ? "" : "s"}` : "无未确认预警 · No open alerts"}
    </a>
  );
}
