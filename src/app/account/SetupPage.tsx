/**
 * The one-time set-up link (/setup#<token>): the first administrator, and every new or reset account,
 * chooses a password here. The token stays in the URL fragment, which browsers never send to a server
 * or put in a Referer, and the page removes it from the address bar once read.
 */
import { useEffect, useState, type FormEvent } from "react";
import { createApiClient } from "../ui/api";

const api = createApiClient();

/** The set-up token, carried in the link's fragment (never sent to a server, never logged). */
const tokenInAddress = (): string => window.location.hash.replace(/^#/, "");

export default function SetupPage() {
  // Read while rendering, removed from the address bar only once the page is shown: React may render a
  // lazily loaded page more than once before it commits, and a render that took the token away would
  // leave the next one with "this link is incomplete".
  const [token] = useState(tokenInAddress);
  useEffect(() => {
    if (window.location.hash) window.history.replaceState(null, "", window.location.pathname);
  }, []);
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [message, setMessage] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (password !== again) {
      setMessage("两次输入的密码不一致。The two passwords differ.");
      return;
    }
    setBusy(true);
    const result = await api.post<{ account: { username: string } }>("/api/auth/setup", { token, password });
    setBusy(false);
    if (result.ok) setDone(result.data.account.username);
    else setMessage(result.kind === "http" ? result.error.message : "网络连接失败，请重试。The network failed; try again.");
  }

  if (!token) {
    return (
      <main className="xq-home">
        <h1>设置密码 · Set your password</h1>
        <p role="alert">这个链接不完整，请向管理员索取新的设置链接。This link is incomplete; ask an administrator for a new one.</p>
      </main>
    );
  }
  if (done) {
    return (
      <main className="xq-home">
        <h1>密码已设置 · Password set</h1>
        <p>
          账号 <strong>{done}</strong> 现在可以登录。The account <strong>{done}</strong> can now sign in.
        </p>
      </main>
    );
  }
  return (
    <main className="xq-home">
      <h1>设置密码 · Set your password</h1>
      <p>至少 10 个字符，不能包含用户名。At least 10 characters, without the user name.</p>
      <form onSubmit={submit} className="xq-form">
        <label>
          新密码 · New password
          <input type="password" autoComplete="new-password" required minLength={10} value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label>
          再输入一次 · Again
          <input type="password" autoComplete="new-password" required minLength={10} value={again} onChange={(e) => setAgain(e.target.value)} />
        </label>
        {message && <p role="alert">{message}</p>}
        <button type="submit" disabled={busy}>
          设置密码 · Set password
        </button>
      </form>
    </main>
  );
}
