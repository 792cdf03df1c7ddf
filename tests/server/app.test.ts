import { afterAll, beforeAll, expect, it } from "vitest";
import { describeEachDatabase } from "../helpers/databases";
import { startTestServer, type TestServer } from "../helpers/server";

describeEachDatabase("the app shell", (getDb) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(getDb());
  });
  afterAll(() => t.app.close());

  it("reports health with the database kind", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/health" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: "ok", database: getDb().kind, checks: { database: "ok" } });
  });

  it("answers an unknown route with the error shape", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/nope?x=1" });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: "not_found", message: "no route GET /api/nope" } });
  });

  it("serves the OpenAPI document", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/openapi.json" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./), info: { title: "XinQing API" } });
  });

  it("sends security headers: a CSP without unsafe-eval, no framing, no referrer", async () => {
    const res = await t.app.inject({ method: "GET", url: "/api/health" });
    const csp = String(res.headers["content-security-policy"]);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("unsafe-eval");
    expect(res.headers["referrer-policy"]).toBe("no-referrer");
    expect(res.headers["x-content-type-options"]).toBe("nosniff");
  });

  it("refuses a body over 1 MB with 413", async () => {
    const res = await t.app.inject({ method: "POST", url: "/api/health", payload: JSON.stringify({ x: "a".repeat(1024 * 1024 + 10) }), headers: { "content-type": "application/json" } });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({ error: { code: "body_too_large" } });
  });

  it("refuses a state-changing call on a session without the CSRF token", async () => {
    const school = await t.seed.school();
    const lead = await t.seed.account("school-lead", { schoolId: school });
    const { cookie } = await t.signIn(lead);
    const res = await t.app.inject({ method: "POST", url: "/api/anything", headers: { cookie, "content-type": "application/json" }, payload: "{}" });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: { code: "csrf", message: "missing or wrong CSRF token" } });
  });

  it("ends a staff session after the idle timeout", async () => {
    const admin = await t.seed.account("admin");
    const { headers } = await t.signIn(admin);
    t.clock.advance(31 * 60_000);
    const res = await t.app.inject({ method: "POST", url: "/api/anything", headers: { ...headers, "content-type": "application/json" }, payload: "{}" });
    // the expired session is gone, so the call is anonymous: no CSRF check, and the route does not exist
    expect(res.statusCode).toBe(404);
    const { rows } = await t.db.query("SELECT count(*)::int AS n FROM sessions WHERE account_id = $1", [admin]);
    expect(rows[0]!.n).toBe(0);
  });
});
