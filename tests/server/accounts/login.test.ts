import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { anAddress, login, sessionCookieOf, setPassword } from "./helpers";

const PASSWORD = "晴天-correct-horse";
const MINUTE = 60_000;
/** Tests that run scrypt a score of times (about 0.1 s each, more on a busy machine). */
const SLOW = 30_000;

describeEachDatabase("sign-in, sessions and sign-out", (getDb, { freshDatabase }) => {
  let t: TestServer;
  let schoolId: string;
  let n = 0;
  /** A counselor with PASSWORD, under a fresh username. */
  async function aCounselor(): Promise<{ id: string; username: string }> {
    const username = `teacher.${++n}`;
    const id = await t.seed.account("counselor", { schoolId, username });
    await setPassword(t, id, PASSWORD);
    return { id, username };
  }
  beforeAll(async () => {
    t = await startTestServer(getDb());
    schoolId = await t.seed.school();
  });
  afterAll(() => t.app.close());

  describe("login", () => {
    it("signs in with the right password: the account, a CSRF token and an HttpOnly SameSite=Strict cookie", async () => {
      const { id, username } = await aCounselor();
      const res = await login(t, username, PASSWORD);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), account: { id, username, role: "counselor", schoolId } });
      const cookie = String(res.headers["set-cookie"]);
      expect(cookie).toMatch(/^xq_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict$/);
      expect(cookie).not.toContain("Secure");
    });

    it("accepts the username in any case", async () => {
      const { username } = await aCounselor();
      expect((await login(t, username.toUpperCase(), PASSWORD)).statusCode).toBe(200);
    });

    it("answers a wrong password and an unknown username with the same 401", async () => {
      const { username } = await aCounselor();
      const wrong = await login(t, username, "not-the-password");
      const unknown = await login(t, "nobody.here", PASSWORD);
      expect(wrong.statusCode).toBe(401);
      expect(unknown.statusCode).toBe(401);
      expect(wrong.json()).toEqual({ error: { code: "bad_credentials", message: "wrong username or password / 用户名或密码错误" } });
      expect(unknown.json()).toEqual(wrong.json());
      expect(wrong.headers["set-cookie"]).toBeUndefined();
    });

    it("answers a disabled account and an account without a password like a wrong password", async () => {
      const { id, username } = await aCounselor();
      await t.db.query("UPDATE accounts SET disabled = true WHERE id = $1", [id]);
      await t.seed.account("homeroom", { schoolId, username: "no.password.yet" });
      expect((await login(t, username, PASSWORD)).json()).toEqual({ error: { code: "bad_credentials", message: "wrong username or password / 用户名或密码错误" } });
      expect((await login(t, "no.password.yet", "anything at all")).json()).toEqual({ error: { code: "bad_credentials", message: "wrong username or password / 用户名或密码错误" } });
    });

    it("locks an account after 5 failures in 15 minutes, even for the right password, then lets it in after 15 minutes", async () => {
      const { username } = await aCounselor();
      for (let i = 0; i < 5; i++) expect((await login(t, username, `wrong-${i}-password`)).statusCode).toBe(401);
      const locked = await login(t, username, PASSWORD);
      expect(locked.statusCode).toBe(429);
      const until = new Date(t.clock.now().getTime() + 15 * MINUTE).toISOString();
      expect(locked.json()).toEqual({
        error: { code: "locked", message: `too many failed sign-ins; try again after ${until} / 登录失败次数过多，请稍后再试`, details: [{ path: "retryAfter", code: "retry_after", message: until }] },
      });
      expect(locked.headers["retry-after"]).toBe("900");
      t.clock.advance(15 * MINUTE);
      expect((await login(t, username, PASSWORD)).statusCode).toBe(200);
    }, SLOW);

    it("clears the account's failures after a successful sign-in", async () => {
      const { username } = await aCounselor();
      for (let i = 0; i < 4; i++) await login(t, username, "wrong password!");
      expect((await login(t, username, PASSWORD)).statusCode).toBe(200);
      for (let i = 0; i < 4; i++) await login(t, username, "wrong password!");
      expect((await login(t, username, PASSWORD)).statusCode).toBe(200);
    }, SLOW);

    it("locks an unknown username the same way as a real one (no enumeration through lockout)", async () => {
      for (let i = 0; i < 5; i++) await login(t, "ghost.user", "wrong password!");
      expect((await login(t, "ghost.user", "wrong password!")).statusCode).toBe(429);
    }, SLOW);

    it("locks an address after 20 failures in 15 minutes, whichever accounts were tried", async () => {
      const address = anAddress();
      const { username } = await aCounselor();
      for (let i = 0; i < 20; i++) expect((await login(t, `guess.${i}`, "wrong password!", { address })).statusCode).toBe(401);
      expect((await login(t, username, PASSWORD, { address })).statusCode).toBe(429);
      // the account itself is not locked: another address signs in
      expect((await login(t, username, PASSWORD)).statusCode).toBe(200);
      t.clock.advance(15 * MINUTE);
      expect((await login(t, username, PASSWORD, { address })).statusCode).toBe(200);
    }, SLOW);

    it("makes a new session token at every sign-in and ends the session the browser had (no fixation)", async () => {
      const { id, username } = await aCounselor();
      const first = await login(t, username, PASSWORD);
      const cookie1 = sessionCookieOf(first);
      const second = await login(t, username, PASSWORD, { cookie: cookie1, csrf: first.json().csrfToken });
      expect(second.statusCode).toBe(200);
      const cookie2 = sessionCookieOf(second);
      expect(cookie2).not.toBe(cookie1);
      expect(second.json().csrfToken).not.toBe(first.json().csrfToken);
      expect((await t.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie: cookie1 } })).statusCode).toBe(401);
      expect((await t.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie: cookie2 } })).statusCode).toBe(200);
      const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM sessions WHERE account_id = $1", [id]);
      expect(rows[0]!.n).toBe(1);
    });

    it("ignores a session token planted before sign-in: the answer sets a different one", async () => {
      const { username } = await aCounselor();
      const res = await login(t, username, PASSWORD, { cookie: "xq_session=attacker-chosen-token" });
      expect(res.statusCode).toBe(200);
      expect(sessionCookieOf(res)).not.toBe("xq_session=attacker-chosen-token");
    });

    it("writes audit rows for sign-in and failures, without the password or the typed unknown username", async () => {
      const { id, username } = await aCounselor();
      const address = anAddress();
      await login(t, username, "wrong-password-xyz", { address });
      await login(t, "typed.password.here", "x", { address });
      await login(t, username, PASSWORD, { address });
      const { rows } = await t.db.query("SELECT actor_id, actor_role, action, school_id, subject, context, address FROM audit_log WHERE address = $1 ORDER BY id", [address]);
      expect(rows).toEqual([
        { actor_id: null, actor_role: "anonymous", action: "auth.login_failed", school_id: schoolId, subject: id, context: { reason: "bad_password" }, address },
        { actor_id: null, actor_role: "anonymous", action: "auth.login_failed", school_id: null, subject: null, context: { reason: "unknown_user" }, address },
        { actor_id: id, actor_role: "counselor", action: "auth.login", school_id: schoolId, subject: id, context: {}, address },
      ]);
      const all = JSON.stringify((await t.db.query("SELECT * FROM audit_log")).rows);
      expect(all).not.toContain(PASSWORD);
      expect(all).not.toContain("wrong-password-xyz");
      expect(all).not.toContain("typed.password.here");
    });
  });

  describe("bad input", () => {
    it.each([
      ["SQL", "admin' OR '1'='1"],
      ["SQL comment", "admin'; DROP TABLE accounts; --"],
      ["script", "<script>alert(1)</script>"],
      ["NUL", "admin\u0000"],
      ["emoji", "😀😀😀"],
      ["rare CJK", "𠀀𪚥龘"],
      ["empty", ""],
      ["1 MB", "a".repeat(1_000_000)],
    ])("refuses a hostile username (%s) with a clear 400 naming body.username", async (_name, username) => {
      const res = await login(t, username, "whatever password");
      expect(res.statusCode).toBe(400);
      const { error } = res.json();
      expect(error).toMatchObject({ code: "invalid_request", message: "invalid body" });
      expect(error.details.length).toBeGreaterThan(0);
      for (const d of error.details) expect(d).toMatchObject({ path: "body.username", code: expect.any(String), message: expect.any(String) });
      // the hostile value is not echoed back
      expect(res.body.length).toBeLessThan(2000);
    });

    it.each([
      ["an unknown field", { username: "someone", password: "x", remember: true }, "body"],
      ["a missing password", { username: "someone" }, "body.password"],
      ["a numeric password", { username: "someone", password: 1234567890 }, "body.password"],
      ["a 1 MB password", { username: "someone", password: "p".repeat(1_000_000) }, "body.password"],
    ])("refuses %s with a 400 naming the place", async (_name, payload, path) => {
      const res = await t.app.inject({ method: "POST", url: "/api/auth/login", remoteAddress: anAddress(), payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it("refuses a body that is not JSON", async () => {
      const res = await t.app.inject({ method: "POST", url: "/api/auth/login", headers: { "content-type": "application/json" }, payload: "{username:" });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBeTruthy();
    });
  });

  describe("session and logout", () => {
    it("tells the SPA who is signed in, with the CSRF token, after a reload", async () => {
      const { id, username } = await aCounselor();
      const res = await login(t, username, PASSWORD);
      const who = await t.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie: sessionCookieOf(res) } });
      expect(who.statusCode).toBe(200);
      expect(who.json()).toEqual({ csrfToken: res.json().csrfToken, account: { id, username, role: "counselor", schoolId } });
    });

    it("answers 401 to an anonymous caller", async () => {
      const res = await t.app.inject({ method: "GET", url: "/api/auth/session" });
      expect(res.statusCode).toBe(401);
      expect(res.json()).toEqual({ error: { code: "unauthenticated", message: "sign in first" } });
    });

    it("ends a session after 30 idle minutes and keeps it while used", async () => {
      const { username } = await aCounselor();
      const cookie = sessionCookieOf(await login(t, username, PASSWORD));
      const session = () => t.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie } });
      t.clock.advance(20 * MINUTE);
      expect((await session()).statusCode).toBe(200);
      t.clock.advance(20 * MINUTE);
      expect((await session()).statusCode).toBe(200);
      t.clock.advance(30 * MINUTE + 1);
      expect((await session()).statusCode).toBe(401);
    });

    it("signs out: deletes the session and clears the cookie", async () => {
      const { id, username } = await aCounselor();
      const res = await login(t, username, PASSWORD);
      const cookie = sessionCookieOf(res);
      const out = await t.app.inject({ method: "POST", url: "/api/auth/logout", headers: { cookie, "x-csrf-token": res.json().csrfToken } });
      expect(out.statusCode).toBe(204);
      expect(String(out.headers["set-cookie"])).toBe("xq_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
      expect((await t.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie } })).statusCode).toBe(401);
      const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM sessions WHERE account_id = $1", [id]);
      expect(rows[0]!.n).toBe(0);
    });

    it("refuses sign-out without the CSRF token (a cross-site page cannot sign people out)", async () => {
      const { username } = await aCounselor();
      const cookie = sessionCookieOf(await login(t, username, PASSWORD));
      const out = await t.app.inject({ method: "POST", url: "/api/auth/logout", headers: { cookie } });
      expect(out.statusCode).toBe(403);
      expect(out.json()).toMatchObject({ error: { code: "csrf" } });
      expect((await t.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie } })).statusCode).toBe(200);
    });

    it("signs in on a browser that still holds a live session, without its CSRF token, and ends that session", async () => {
      const { username } = await aCounselor();
      const cookie = sessionCookieOf(await login(t, username, PASSWORD));
      const res = await login(t, username, PASSWORD, { cookie });
      expect(res.statusCode).toBe(200);
      expect((await t.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie } })).statusCode).toBe(401);
    });
  });

  it("marks the cookie Secure when the deployment is on HTTPS", async () => {
    const db = await freshDatabase();
    const secure = await startTestServer(db.db, { secureCookies: true });
    try {
      const school = await secure.seed.school();
      const id = await secure.seed.account("school-lead", { schoolId: school, username: "lead.secure" });
      await setPassword(secure, id, PASSWORD);
      const res = await login(secure, "lead.secure", PASSWORD);
      expect(res.statusCode).toBe(200);
      expect(String(res.headers["set-cookie"])).toMatch(/^xq_session=[A-Za-z0-9_-]+; Path=\/; HttpOnly; SameSite=Strict; Secure$/);
      const out = await secure.app.inject({ method: "POST", url: "/api/auth/logout", headers: { cookie: sessionCookieOf(res), "x-csrf-token": res.json().csrfToken } });
      expect(String(out.headers["set-cookie"])).toContain("; Secure");
    } finally {
      await secure.app.close();
    }
  });
});
