/**
 * CSRF on every state-changing route of the app (issue 8): a call that rides on a session (staff, or a
 * student's for the student routes) without the session's x-csrf-token, or with another session's token,
 * is refused with 403 `csrf` before anything is written. The routes that start a session (staff sign-in,
 * a student's code: `config.startsSession`) are the documented exception: they ask for no token, and
 * they end the session the browser still held.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "../../src/server/db/database";
import { describeEachDatabase } from "../helpers/databases";
import { startTestServer, type TestServer } from "../helpers/server";
import { RULES, callRoute, expectedOutcome, variantsOf } from "./access";
import { STATE_CHANGING, listRoutes, routeKey } from "./routes";
import { CALLERS, buildWorld, sessionHeaders, type Caller, type Variant, type World } from "./world";

const ROUTES = await listRoutes();
const WRITES = ROUTES.filter((r) => STATE_CHANGING.has(r.method));

/** A digest of every row of every table, in one statement: equal digests, nothing changed. */
async function fingerprint(db: Database): Promise<Record<string, string>> {
  const { rows: tables } = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const columns = tables.map((t) => `(SELECT md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) FROM "${t.name}" x) AS "${t.name}"`);
  const { rows } = await db.query<Record<string, string>>(`SELECT ${columns.join(", ")}`);
  return rows[0]!;
}

/** The first caller the table lets through on some variant of the route, with that variant. */
function allowedCaller(k: string): { caller: Caller; v: Variant } {
  const rule = RULES[k]!;
  for (const caller of CALLERS) {
    if (caller === "anonymous") continue;
    const v = variantsOf(rule.target).find((x) => expectedOutcome(rule, caller, x) === "ok");
    if (v !== undefined) return { caller, v };
  }
  throw new Error(`${k}: no caller with a session may call it`);
}

describe("the CSRF tests", () => {
  it("cover state-changing routes of the app", () => {
    expect(WRITES.length).toBeGreaterThan(30);
    expect(WRITES.filter((r) => RULES[routeKey(r)] === undefined).map(routeKey)).toEqual([]);
  });
});

describeEachDatabase("CSRF protection", (getDb) => {
  let t: TestServer;
  let w: World;
  let n = 0;
  beforeAll(async () => {
    t = await startTestServer(getDb());
    w = await buildWorld(t);
  });
  afterAll(() => t.app.close());

  for (const route of WRITES.filter((r) => !r.startsSession)) {
    const k = routeKey(route);
    it(`${k}: refuses a session call without its CSRF token, or with another session's, and writes nothing`, async () => {
      const rule = RULES[k];
      if (rule === undefined) throw new Error(`no access rule for ${k}: add it to RULES in tests/security/access.ts`);
      const { caller, v } = allowedCaller(k);
      const { cookie } = await sessionHeaders(t, w, caller);
      const other = await sessionHeaders(t, w, caller);
      const before = await fingerprint(t.db);
      const attempts: Record<string, string>[] = [{ cookie: cookie! }, { cookie: cookie!, "x-csrf-token": other["x-csrf-token"]! }, { cookie: cookie!, "x-csrf-token": "" }];
      for (const headers of attempts) {
        const res = await callRoute(t, w, route, rule, caller, v, headers, ++n);
        expect(res.statusCode, `${k} as ${caller} with ${JSON.stringify(Object.keys(headers))}: ${res.body}`).toBe(403);
        expect(res.json()).toEqual({ error: { code: "csrf", message: "missing or wrong CSRF token" } });
      }
      expect(await fingerprint(t.db)).toEqual(before);
    });
  }

  for (const route of WRITES.filter((r) => r.startsSession)) {
    const k = routeKey(route);
    it(`${k}: starts a session without a CSRF token, and ends the session the browser held`, async () => {
      const rule = RULES[k]!;
      for (const caller of ["counselor", "student"] as const) {
        for (const csrf of [undefined, "wrong"]) {
          const old = await sessionHeaders(t, w, caller);
          const headers = { cookie: old.cookie!, ...(csrf !== undefined && { "x-csrf-token": csrf }) };
          const res = await callRoute(t, w, route, rule, caller, "none", headers, ++n);
          expect(res.statusCode, `${k} from a ${caller}'s browser: ${res.body}`).toBe(200);
          expect(String(res.headers["set-cookie"])).toMatch(/^xq_session=[^;]+;/);
          // The old cookie signs in as nobody now, whatever it was.
          const after = await t.app.inject({ method: "GET", url: caller === "student" ? "/api/student/survey" : "/api/auth/session", headers: old });
          expect(after.statusCode).toBe(401);
        }
      }
    });
  }
});
