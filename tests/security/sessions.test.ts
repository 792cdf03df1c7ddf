/**
 * Sessions and headers (issue 8): no session fixation (a cookie the browser had before signing in, planted
 * or real, is never the one after), the session cookie's flags, sign-out ending the session on the server,
 * and the security headers on the SPA shell and on API responses.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp, type App } from "../../src/server/app";
import { hashToken } from "../../src/server/auth/sessions";
import { describeEachDatabase } from "../helpers/databases";
import { startTestServer, type TestServer } from "../helpers/server";
import { buildWorld, sessionHeaders, type World } from "./world";

/** The session cookie a reply sets: its token and its attributes, lower-cased. */
function sessionCookie(res: LightMyRequestResponse): { token: string; attributes: string[] } {
  const raw = [res.headers["set-cookie"]].flat().find((c) => c?.startsWith("xq_session="));
  if (raw === undefined) throw new Error(`no session cookie in ${JSON.stringify(res.headers)}`);
  const [pair, ...attributes] = raw.split(";").map((s) => s.trim());
  return { token: pair!.slice("xq_session=".length), attributes: attributes.map((a) => a.toLowerCase()) };
}

const FLAGS = ["httponly", "samesite=strict", "path=/"];

/** The directives of a Content-Security-Policy header. */
function directives(csp: unknown): Map<string, string[]> {
  return new Map(
    String(csp)
      .split(";")
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0] !== "")
      .map(([name, ...values]) => [name!.toLowerCase(), values]),
  );
}

function expectSecurityHeaders(res: LightMyRequestResponse, what: string): void {
  const csp = directives(res.headers["content-security-policy"]);
  expect(csp.get("frame-ancestors"), what).toEqual(["'none'"]);
  expect(csp.get("script-src"), what).toEqual(["'self'"]);
  expect(csp.get("object-src"), what).toEqual(["'none'"]);
  expect(String(res.headers["content-security-policy"]), what).not.toContain("unsafe-eval");
  expect(res.headers["referrer-policy"], what).toBe("no-referrer");
  expect(res.headers["x-content-type-options"], what).toBe("nosniff");
}

describeEachDatabase("sessions, cookies and headers", (getDb) => {
  let t: TestServer;
  let w: World;
  const login = (headers: Record<string, string> = {}, app: App = t.app) => app.inject({ method: "POST", url: "/api/auth/login", headers, payload: w.login });
  const enter = (headers: Record<string, string> = {}, app: App = t.app) => app.inject({ method: "POST", url: "/api/student/session", headers, payload: { code: w.entryCode } });
  const whoAmI = (token: string) => t.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie: `xq_session=${token}` } });
  const sessionRows = async (token: string) => (await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM sessions WHERE token_hash = $1", [hashToken(token)])).rows[0]!.n;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    w = await buildWorld(t);
  });
  afterAll(() => t.app.close());

  describe("session fixation", () => {
    it("never adopts a session token the browser brought to the sign-in", async () => {
      const planted = "attacker-chosen-token-0123456789abcdefghijk";
      const res = await login({ cookie: `xq_session=${planted}` });
      expect(res.statusCode).toBe(200);
      const { token } = sessionCookie(res);
      expect(token).not.toBe(planted);
      expect((await whoAmI(planted)).statusCode).toBe(401);
      expect((await whoAmI(token)).statusCode).toBe(200);
    });

    it("ends the session a shared PC still held when someone signs in, and gives a new one", async () => {
      const before = await sessionHeaders(t, w, "homeroom");
      const old = before.cookie!.slice("xq_session=".length);
      const res = await login(before);
      const { token } = sessionCookie(res);
      expect(token).not.toBe(old);
      expect(await sessionRows(old)).toBe(0);
      expect((await whoAmI(old)).statusCode).toBe(401);
      expect((await whoAmI(token)).json()).toMatchObject({ account: { username: w.login.username } });
    });

    it("gives a student a new session for their code, never the one the lab PC had", async () => {
      const browsers: Record<string, string>[] = [{ cookie: "xq_session=planted-by-the-previous-student-000000" }, await sessionHeaders(t, w, "student"), await sessionHeaders(t, w, "counselor")];
      for (const before of browsers) {
        const old = before.cookie!.slice("xq_session=".length);
        const res = await enter(before);
        expect(res.statusCode).toBe(200);
        expect(sessionCookie(res).token).not.toBe(old);
        expect(await sessionRows(old)).toBe(0);
      }
    });

    it("makes a new CSRF token with every session", async () => {
      const a = (await login()).json<{ csrfToken: string }>().csrfToken;
      const b = (await login()).json<{ csrfToken: string }>().csrfToken;
      expect(a).not.toBe(b);
      expect(a.length).toBeGreaterThanOrEqual(32);
    });
  });

  describe("cookie flags", () => {
    it("sets HttpOnly, SameSite=Strict and Path=/ on every session cookie, and no Secure over plain HTTP", async () => {
      for (const res of [await login(), await enter()]) {
        const { token, attributes } = sessionCookie(res);
        expect(token.length).toBeGreaterThanOrEqual(40);
        expect(attributes).toEqual(expect.arrayContaining(FLAGS));
        expect(attributes).not.toContain("secure");
        // A session cookie: gone with the browser, never written to disk with a date.
        expect(attributes.some((a) => a.startsWith("expires=") || a.startsWith("max-age="))).toBe(false);
      }
    });

    it("adds Secure when secureCookies is on, to the session cookie and to the one that clears it", async () => {
      const secure = await buildApp({ ...t.deps, config: { ...t.deps.config, secureCookies: true } });
      try {
        const signedIn = await login({}, secure);
        const entered = await enter({}, secure);
        for (const res of [signedIn, entered]) expect(sessionCookie(res).attributes).toEqual(expect.arrayContaining([...FLAGS, "secure"]));
        const { token } = sessionCookie(signedIn);
        const out = await secure.inject({ method: "POST", url: "/api/auth/logout", headers: { cookie: `xq_session=${token}`, "x-csrf-token": signedIn.json<{ csrfToken: string }>().csrfToken } });
        expect(out.statusCode).toBe(204);
        const cleared = sessionCookie(out);
        expect(cleared.token).toBe("");
        expect(cleared.attributes).toEqual(expect.arrayContaining([...FLAGS, "secure", "max-age=0"]));
      } finally {
        await secure.close();
      }
    });
  });

  describe("signing out", () => {
    it("ends a staff session on the server, not only in the browser", async () => {
      const res = await login();
      const { token } = sessionCookie(res);
      const headers = { cookie: `xq_session=${token}`, "x-csrf-token": res.json<{ csrfToken: string }>().csrfToken };
      const out = await t.app.inject({ method: "POST", url: "/api/auth/logout", headers });
      expect(out.statusCode).toBe(204);
      expect(sessionCookie(out).attributes).toContain("max-age=0");
      expect(await sessionRows(token)).toBe(0);
      // A copy of the cookie kept elsewhere is worth nothing now.
      expect((await whoAmI(token)).statusCode).toBe(401);
      expect((await t.app.inject({ method: "GET", url: "/api/cases", headers })).statusCode).toBe(401);
    });

    it("ends a student's session on the server when the kiosk resets", async () => {
      const headers = await sessionHeaders(t, w, "student");
      const token = headers.cookie!.slice("xq_session=".length);
      expect((await t.app.inject({ method: "DELETE", url: "/api/student/session", headers })).statusCode).toBe(204);
      expect(await sessionRows(token)).toBe(0);
      expect((await t.app.inject({ method: "GET", url: "/api/student/survey", headers })).statusCode).toBe(401);
    });
  });

  describe("security headers", () => {
    let spa: App;
    let dir: string;
    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), "xinqing-spa-"));
      writeFileSync(join(dir, "index.html"), "<!doctype html><title>心晴</title><div id=root></div><script type=module src=/assets/app.js></script>");
      spa = await buildApp({ ...t.deps, config: { ...t.deps.config, staticDir: dir } });
    });
    afterAll(async () => {
      await spa.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it("sends them with the SPA shell, at the root and on a client-side route", async () => {
      for (const url of ["/", "/staff/cases", "/observe"]) {
        const res = await spa.inject({ method: "GET", url });
        expect(res.statusCode, url).toBe(200);
        expect(res.headers["content-type"]).toMatch(/^text\/html/);
        expectSecurityHeaders(res, url);
      }
    });

    it("sends them with API answers: data, errors, refusals and downloads", async () => {
      const analyst = (await t.signIn(w.accounts.analyst)).headers;
      const responses: [string, LightMyRequestResponse][] = [
        ["health", await spa.inject({ method: "GET", url: "/api/health" })],
        ["unknown route", await spa.inject({ method: "GET", url: "/api/nope" })],
        ["unauthenticated", await t.app.inject({ method: "GET", url: "/api/cases" })],
        ["bad body", await t.app.inject({ method: "POST", url: "/api/auth/login", payload: { username: "x" } })],
        ["csv", await t.app.inject({ method: "GET", url: "/api/analytics/coverage.csv?wave=2025-2026:spring", headers: analyst })],
        ["json", await t.app.inject({ method: "GET", url: "/api/analytics/waves", headers: analyst })],
      ];
      for (const [what, res] of responses) expectSecurityHeaders(res, what);
    });

    it("sends them with the alert stream, whose headers the route writes itself", async () => {
      const res = await t.app.inject({ method: "GET", url: "/api/alerts/stream", headers: (await t.signIn(w.accounts.counselor)).headers, payloadAsStream: true });
      res.stream().destroy();
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/event-stream/);
      expectSecurityHeaders(res, "alert stream");
    });
  });
});
