/**
 * Staff sign-in (/login): username and password. A school lead goes on to the code slips; other roles
 * see who they are signed in as (their pages are not built yet). Errors show the server's message, and a
 * lockout (429) the time to try again.
 */
import { useState, type FormEvent } from "react";
import type { SessionResponse } from "../../shared/accounts";
import { staffApi } from "./client";
import { landingOf, loginErrorText, type Landing } from "./model";

export default function LoginPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [landing, setLanding] = useState<Landing | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setMessage(null);
    const result = await staffApi.post<SessionResponse>("/api/auth/login", { username: username.trim(), password });
    setBusy(false);
    if (!result.ok) {
      setMessage(loginErrorText(result));
      return;
    }
    staffApi.setCsrfToken(result.data.csrfToken);
    setPassword("");
    const next = landingOf(result.data.account);
    if (next.kind === "slips") window.location.assign("/staff/slips");
    setLanding(next);
  }

  if (landing?.kind === "signed-in") {
    return (
      <main className="xq-home">
        <h1>已登录 · Signed in</h1>
        <p>
          已登录为 <strong>{landing.username}</strong>（{landing.role}）。Signed in as <strong>{landing.username}</strong> ({landing.role}).
        </p>
        <p>该角色的工作页面尚未开放。The pages of this role are not available yet.</p>
      </main>
    );
  }
  if (landing?.kind === "slips") {
    return (
      <main className="xq-home">
        <p>正在打开访问码页面… Opening the code slips…</p>
      </main>
    );
  }
  return (
    <main className="xq-home">
      <h1>教职工登录 · Staff sign-in</h1>
      <form onSubmit={submit} className="xq-form">
        <label>
          用户名 · Username
          <input autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
        </label>
        <label>
          密码 · Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {message && <p role="alert">{message}</p>}
        <button type="submit" disabled={busy}>
          登录 · Sign in
        </button>
      </form>
    </main>
  );
}
