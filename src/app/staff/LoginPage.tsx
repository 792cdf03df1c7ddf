/**
 * Staff sign-in (/login): username and password, then on to the role's home page (model.ts HOME_OF).
 * Errors show the server's message, and a lockout (429) the time to try again.
 */
import { useState, type FormEvent } from "react";
import type { SessionResponse } from "../../shared/accounts";
import { staffApi } from "./client";
import { HOME_OF, loginErrorText } from "./model";

export default function LoginPage() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [leaving, setLeaving] = useState(false);
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
    setLeaving(true);
    window.location.assign(HOME_OF[result.data.account.role]);
  }

  if (leaving) return <p className="xq-home">正在打开… Opening…</p>;
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
