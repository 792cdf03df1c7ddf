/**
 * The access matrix (issue 8, "Security"): every route of the built app × every role (and a student
 * session, and nobody) × a record of the caller's own school, own or other class, and of another school.
 * The routes come from the app itself (./routes.ts), so a new route without a rule in ./access.ts fails
 * here with its name. Besides the table's outcomes, each route is called with a forged session cookie (it
 * must answer as for nobody), and every 404 for another school's record must be the very answer for a
 * record that does not exist (status and body: nothing tells the two apart).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDatabase } from "../helpers/databases";
import { startTestServer, type TestServer } from "../helpers/server";
import { ANALYST_EXTRA, RULES, callRoute, expectedOutcome, outcomeOf, variantsOf } from "./access";
import { STATE_CHANGING, listRoutes, routeKey } from "./routes";
import { CALLERS, buildWorld, sessionHeaders, type Caller, type World } from "./world";

const ROUTES = await listRoutes();
const KEYS = ROUTES.map(routeKey);

describe("the access table", () => {
  it("has a rule for every route of the app", () => {
    const missing = KEYS.filter((k) => RULES[k] === undefined);
    expect(missing, `routes without a rule: add them to RULES in tests/security/access.ts: ${missing.join(", ")}`).toEqual([]);
  });

  it("has no rule for a route the app does not have", () => {
    expect(Object.keys(RULES).filter((k) => !KEYS.includes(k))).toEqual([]);
  });

  it("answers 404 for another school's record wherever a school's staff reach their own school's", () => {
    const leaks: string[] = [];
    for (const [k, rule] of Object.entries(RULES)) {
      for (const caller of ["school-lead", "counselor", "homeroom", "subject", "peer"] as const) {
        const own = variantsOf(rule.target).filter((v) => v !== "other" && v !== "otherSchool");
        const other = variantsOf(rule.target).filter((v) => v === "other" || v === "otherSchool");
        if (own.some((v) => expectedOutcome(rule, caller, v) === "ok") && other.some((v) => expectedOutcome(rule, caller, v) !== 404)) leaks.push(`${k} for ${caller}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("lets an analyst call only the aggregates, the session endpoints and what anyone may call", () => {
    const reached = Object.entries(RULES)
      .filter(([, rule]) => variantsOf(rule.target).some((v) => expectedOutcome(rule, "analyst", v) === "ok"))
      .map(([k]) => k);
    const open = (k: string) => variantsOf(RULES[k]!.target).every((v) => expectedOutcome(RULES[k]!, "anonymous", v) === "ok");
    const allowed = (k: string) => k.startsWith("GET /api/analytics/") || k.includes(" /api/auth/") || open(k) || ANALYST_EXTRA.includes(k);
    expect(reached.filter((k) => !allowed(k))).toEqual([]);
  });
});

describeEachDatabase("the access matrix", (getDb) => {
  let t: TestServer;
  let w: World;
  let n = 0;
  const sessions = new Map<Caller, Promise<Record<string, string>>>();
  /** The caller's session, made once and again only after a call that ended it. */
  const headersOf = (caller: Caller) => {
    let s = sessions.get(caller);
    if (s === undefined) sessions.set(caller, (s = sessionHeaders(t, w, caller)));
    return s;
  };
  beforeAll(async () => {
    t = await startTestServer(getDb());
    w = await buildWorld(t);
  });
  afterAll(() => t.app.close());

  for (const route of ROUTES) {
    const k = routeKey(route);
    it(`${k}: every caller, own and other school`, async () => {
      const rule = RULES[k];
      if (rule === undefined) throw new Error(`no access rule for ${k}: add it to RULES in tests/security/access.ts`);
      const calls = CALLERS.flatMap((caller) => variantsOf(rule.target).map((v) => ({ caller, v, expected: expectedOutcome(rule, caller, v) })));
      const check = async ({ caller, v, expected }: (typeof calls)[number]): Promise<string[]> => {
        if (expected === undefined) return [`${caller} on ${v}: the table has no expectation`];
        const res = await callRoute(t, w, route, rule, caller, v, await headersOf(caller), ++n);
        if (rule.endsSession) sessions.delete(caller);
        const got = outcomeOf(res.statusCode);
        if (got !== expected) return [`${caller} on ${v}: expected ${expected}, got ${res.statusCode} ${rule.stream ? "" : res.body.slice(0, 200)}`];
        // An allowed call must get past the schema: a request the route refuses as malformed tests nothing.
        if (got === "ok" && res.statusCode === 400 && res.json<{ error: { code: string } }>().error.code === "invalid_request") return [`${caller} on ${v}: the table's request does not fit the route: ${res.body.slice(0, 300)}`];
        if (typeof got === "number" && !rule.stream && res.json<{ error?: { code?: unknown } }>().error?.code === undefined) return [`${caller} on ${v}: ${res.statusCode} without the error shape`];
        return [];
      };
      // A cookie that names no session (forged, or of a session that ended) makes the caller nobody.
      const forged = async ({ v }: (typeof calls)[number]): Promise<string[]> => {
        const res = await callRoute(t, w, route, rule, "anonymous", v, { cookie: "xq_session=forged-or-expired-session-token-0000000" }, ++n);
        const expected = expectedOutcome(rule, "anonymous", v);
        return outcomeOf(res.statusCode) === expected ? [] : [`a forged cookie on ${v}: expected ${expected} as for nobody, got ${res.statusCode} ${rule.stream ? "" : res.body.slice(0, 200)}`];
      };
      // Another school's record answers exactly as a record that does not exist (no existence leak).
      const ghost = async ({ caller, v }: (typeof calls)[number]): Promise<string[]> => {
        const real = await callRoute(t, w, route, rule, caller, v, await headersOf(caller), ++n);
        const none = await callRoute(t, ghostWorld(w), route, rule, caller, v, await headersOf(caller), ++n);
        return real.statusCode === none.statusCode && real.body === none.body ? [] : [`${caller} on ${v}: ${real.statusCode} ${real.body} but for no such record ${none.statusCode} ${none.body}`];
      };
      const others = calls.filter((c) => (c.v === "other" || c.v === "otherSchool") && c.expected === 404 && !rule.stream);
      const probes = [...calls.map((c) => () => check(c)), ...calls.filter((c) => c.caller === "anonymous").map((c) => () => forged(c)), ...others.map((c) => () => ghost(c))];
      // Reads go out together (they change nothing); writes one by one, in the table's order.
      const wrong = STATE_CHANGING.has(route.method) ? await sequentially(probes) : (await Promise.all(probes.map((p) => p()))).flat();
      expect(wrong, `${k}\n${wrong.join("\n")}`).toEqual([]);
    });
  }
});

async function sequentially(probes: readonly (() => Promise<string[]>)[]): Promise<string[]> {
  const out: string[] = [];
  for (const probe of probes) out.push(...(await probe()));
  return out;
}

/** The world with every record of the other school replaced by an id that exists nowhere. */
function ghostWorld(w: World): World {
  const none = "no-such-record-000000";
  return {
    ...w,
    schools: { ...w.schools, other: none },
    classes: { ...w.classes, otherSchool: none },
    students: { ...w.students, otherSchool: none },
    victimStudents: { ...w.victimStudents, other: none },
    victimAccounts: { ...w.victimAccounts, other: none },
    waves: { ...w.waves, other: none },
    drafts: { ...w.drafts, other: none },
    cases: { ...w.cases, other: none },
    alerts: { ...w.alerts, other: none },
    notices: { ...w.notices, otherSchool: none },
  };
}
