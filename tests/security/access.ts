/**
 * The access matrix: for every route of the app, what each caller gets, for a record of their own school
 * (and own or other class, where the route is about a class or a student) and of the other school.
 *
 *   ok   the call passes the access rules: 2xx, or a 4xx that is not about access (400 validation,
 *        409 state, 422 …)
 *   401  no session (or a session of the wrong kind: a student on a staff route, staff on a student route)
 *   403  the role takes this action nowhere (answered before any record is looked up)
 *   404  the record is out of the caller's reach: another school's (never 403: no existence leak), or a
 *        student page the role may not open at all
 *
 * A route missing from RULES fails the matrix test with its name. Each rule also says how to call the
 * route with a minimal valid request for a variant (ids from the world of ./world.ts).
 */
import type { LightMyRequestResponse } from "fastify";
import type { TestServer } from "../helpers/server";
import type { RouteInfo } from "./routes";
import { CALM_CHECKLIST, CALM_PEER_REPORT, CLASS_VARIANTS, DRAFT, SCHOOL_VARIANTS, schoolOf, type Caller, type ClassVariant, type SchoolVariant, type Variant, type World } from "./world";

export type Outcome = "ok" | 401 | 403 | 404;
export type Expect = Outcome | Readonly<Partial<Record<Variant, Outcome>>>;

/** What a route's `:id` (or the record named in its body) is. */
export type Target = "none" | "school" | "class" | "student" | "wave" | "draft" | "waveVictim" | "case" | "alert" | "account" | "notice";

export interface CallContext {
  readonly w: World;
  readonly v: Variant;
  readonly caller: Caller;
  /** A number unique to this call (for usernames and idempotency keys). */
  readonly n: number;
}

export interface Request {
  /** Values of the route's `:params`; default: `{id: <the target's id for the variant>}`. */
  readonly params?: Record<string, string>;
  /** Query string without "?". */
  readonly query?: string;
  readonly payload?: unknown;
  readonly contentType?: string;
}

export interface Rule {
  readonly target: Target;
  readonly expect: Readonly<Record<Caller, Expect>>;
  readonly request?: (c: CallContext) => Request;
  /** Server-sent events: the reply never ends, so only its status is read. */
  readonly stream?: true;
  /** The call ends the session it rides on (sign-in, sign-out, a submit): the caller needs a new one after it. */
  readonly endsSession?: true;
}

const U = 401;
const F = 403;
const N = 404;
const OK = "ok";
/** A rule of the caller's school: any record of their own school (any class), none of the other. */
const SCHOOL = { own: OK, other: N, ownClass: OK, otherClass: OK, otherSchool: N } as const;
/** A rule of the caller's classes: their own class only. */
const CLASS = { ownClass: OK, otherClass: N, otherSchool: N } as const;

/** One row of the matrix, in the order of CALLERS. */
function row(admin: Expect, analyst: Expect, lead: Expect, counselor: Expect, homeroom: Expect, subject: Expect, peer: Expect, student: Expect, anonymous: Expect): Record<Caller, Expect> {
  return { admin, analyst, "school-lead": lead, counselor, homeroom, subject, peer, student, anonymous };
}

const EVERYONE = row(OK, OK, OK, OK, OK, OK, OK, OK, OK);
const ANY_STAFF = row(OK, OK, OK, OK, OK, OK, OK, U, U);
const STUDENT_ONLY = row(U, U, U, U, U, U, U, OK, U);
const ANALYST_ONLY = row(F, OK, F, F, F, F, F, U, U);
/** Counselors and the school lead of the school (case.manage, watchlist.read). */
const CLINICAL = row(F, F, SCHOOL, SCHOOL, F, F, F, U, U);
/** The school lead of the school (wave.manage, code.manage, roster.import). */
const LEAD_ONLY = row(F, F, SCHOOL, F, F, F, F, U, U);
/** The admin anywhere, the lead and counselor in their school (wave.read). */
const WAVE_READERS = row(OK, F, SCHOOL, SCHOOL, F, F, F, U, U);
/** The admin anywhere, the school lead in their school (account.manage, webhook.manage). */
const ADMIN_OR_LEAD = row(OK, F, SCHOOL, F, F, F, F, U, U);
/** A student's record (archive): counselors and the lead of the school; everyone else 404, never 403. */
const STUDENT_PAGE = row(N, N, SCHOOL, SCHOOL, N, N, N, U, U);
/** The record transfer (record.transfer): counselors of the school; everyone else 404. */
const TRANSFER = row(N, N, N, SCHOOL, N, N, N, U, U);
/** Filing observations: teachers and peer monitors about their classes, counselors and the lead about the school. */
const OBSERVERS = row(F, F, SCHOOL, SCHOOL, CLASS, CLASS, CLASS, U, U);

const key = (c: CallContext): string => `k${c.n.toString().padStart(20, "0")}`;
const observation = (c: CallContext) =>
  c.caller === "peer" ? { instrument: "peer-concern", answers: CALM_PEER_REPORT } : { instrument: "teacher-checklist", answers: CALM_CHECKLIST };
const student = (c: CallContext): string => c.w.students[c.v as ClassVariant];
const SPRING_QUERY = "wave=2025-2026:spring";
const analytics = (query = SPRING_QUERY): Rule => ({ target: "none", expect: ANALYST_ONLY, request: () => ({ query }) });
/** A bundle of the right shape that is not a real one: the import refuses it after the access check. */
const FAKE_BUNDLE = {
  format: "xinqing-transfer",
  version: 1,
  exportId: "fake",
  createdAt: "2026-03-01T00:00:00.000Z",
  from: { schoolCode: "X", schoolName: "X" },
  kdf: { name: "scrypt", salt: "AAAA", N: 1024, r: 8, p: 1 },
  cipher: { name: "aes-256-gcm", iv: "AAAA", tag: "AAAA" },
  payload: "AAAA",
  signerFingerprint: "fake",
  signature: "AAAA",
};

export const RULES: Readonly<Record<string, Rule>> = {
  // ── sessions and public routes
  "GET /api/health": { target: "none", expect: EVERYONE },
  "GET /api/openapi.json": { target: "none", expect: EVERYONE },
  "POST /api/auth/login": {
    target: "none",
    expect: EVERYONE,
    endsSession: true,
    request: (c) => ({ payload: { username: c.w.login.username, password: c.w.login.password } }),
  },
  "POST /api/auth/logout": { target: "none", expect: EVERYONE, endsSession: true },
  "GET /api/auth/session": { target: "none", expect: ANY_STAFF },
  "POST /api/auth/setup": { target: "none", expect: EVERYONE, request: () => ({ payload: { token: "not-a-real-setup-token", password: "a long enough password" } }) },

  // ── accounts and the audit log
  "GET /api/accounts": { target: "none", expect: row(OK, F, OK, F, F, F, F, U, U) },
  "POST /api/accounts": { target: "school", expect: ADMIN_OR_LEAD, request: (c) => ({ payload: { username: `made.${c.n}`, role: "counselor", schoolId: c.w.schools[c.v as SchoolVariant] } }) },
  "PATCH /api/accounts/:id": { target: "account", expect: ADMIN_OR_LEAD, request: () => ({ payload: { displayName: "改名" } }) },
  "POST /api/accounts/:id/reset": { target: "account", expect: ADMIN_OR_LEAD },
  "GET /api/audit": { target: "none", expect: row(OK, F, F, F, F, F, F, U, U) },

  // ── schools, rosters, webhooks
  "GET /api/schools": { target: "none", expect: ANY_STAFF },
  "POST /api/schools": { target: "none", expect: row(OK, F, F, F, F, F, F, U, U), request: (c) => ({ payload: { code: `NEW${c.n}`, name: `新学校${c.n}` } }) },
  "GET /api/schools/:id/classes": { target: "school", expect: row(F, F, SCHOOL, SCHOOL, SCHOOL, SCHOOL, F, U, U) },
  "POST /api/schools/:id/roster": {
    target: "school",
    expect: LEAD_ONLY,
    request: () => ({ query: "dryRun=true", contentType: "text/csv", payload: "学号,姓名,性别,年级,班级\r\n99000001,试导入,男,初二,1班\r\n" }),
  },
  "GET /api/schools/:id/webhook": { target: "school", expect: ADMIN_OR_LEAD },
  "PUT /api/schools/:id/webhook": { target: "school", expect: ADMIN_OR_LEAD, request: () => ({ payload: { url: "http://hooks.example/hook", enabled: false } }) },
  "DELETE /api/schools/:id/webhook": { target: "school", expect: ADMIN_OR_LEAD },

  // ── waves, consent, codes
  "GET /api/schools/:id/waves": { target: "school", expect: WAVE_READERS },
  "POST /api/schools/:id/waves": { target: "school", expect: LEAD_ONLY, request: () => ({ payload: { ...DRAFT, schoolYear: "2027-2028" } }) },
  "GET /api/waves/:id": { target: "wave", expect: WAVE_READERS },
  "PATCH /api/waves/:id": { target: "draft", expect: LEAD_ONLY, request: () => ({ payload: { closesAt: DRAFT.closesAt } }) },
  "POST /api/waves/:id/open": { target: "draft", expect: LEAD_ONLY },
  "POST /api/waves/:id/close": { target: "draft", expect: LEAD_ONLY },
  "GET /api/waves/:id/consents": { target: "wave", expect: WAVE_READERS },
  "PUT /api/waves/:id/consents": {
    target: "wave",
    expect: row(F, F, SCHOOL, SCHOOL, F, F, F, U, U),
    request: (c) => ({ payload: { items: [{ studentId: c.w.victimStudents[c.v as SchoolVariant], status: "consented" }] } }),
  },
  "POST /api/waves/:id/codes": { target: "wave", expect: LEAD_ONLY, request: () => ({ payload: {} }) },
  "POST /api/waves/:id/codes/:studentId/revoke": { target: "waveVictim", expect: LEAD_ONLY },
  "POST /api/waves/:id/codes/:studentId/reissue": { target: "waveVictim", expect: LEAD_ONLY },
  "GET /api/waves/:id/slips": { target: "wave", expect: LEAD_ONLY },

  // ── the student's survey (a session made from an access code)
  "POST /api/student/session": { target: "none", expect: EVERYONE, endsSession: true, request: (c) => ({ payload: { code: c.w.entryCode } }) },
  "DELETE /api/student/session": { target: "none", expect: STUDENT_ONLY, endsSession: true },
  "GET /api/student/survey": { target: "none", expect: STUDENT_ONLY },
  "GET /api/student/response": { target: "none", expect: STUDENT_ONLY },
  "PUT /api/student/response": { target: "none", expect: STUDENT_ONLY, request: (c) => ({ payload: { idempotencyKey: key(c), seq: c.n, currentPage: 0, answers: {} } }) },
  "POST /api/student/response/submit": { target: "none", expect: STUDENT_ONLY, endsSession: true, request: (c) => ({ payload: { idempotencyKey: key(c) } }) },
  "POST /api/student/response/decline": { target: "none", expect: STUDENT_ONLY, endsSession: true, request: (c) => ({ payload: { idempotencyKey: key(c) } }) },

  // ── observations
  "GET /api/observe/classes": { target: "none", expect: row(F, F, OK, OK, OK, OK, OK, U, U) },
  "GET /api/observe/classes/:id/students": { target: "class", expect: OBSERVERS },
  "GET /api/observe/forms/:instrument": {
    target: "none",
    expect: row(F, F, OK, OK, OK, OK, OK, U, U),
    request: (c) => ({ params: { instrument: observation(c).instrument } }),
  },
  "POST /api/observations": { target: "student", expect: OBSERVERS, request: (c) => ({ payload: { studentId: student(c), ...observation(c) } }) },
  "POST /api/observations/batch": {
    target: "student",
    expect: OBSERVERS,
    request: (c) => ({ payload: { instrument: observation(c).instrument, items: [{ studentId: student(c), answers: observation(c).answers }] } }),
  },

  // ── the watch list, alerts, cases, notices
  "GET /api/schools/:id/watchlist": { target: "school", expect: CLINICAL },
  "POST /api/schools/:id/watchlist/preview": { target: "school", expect: CLINICAL, request: () => ({ payload: { policyVersion: "default-v1" } }) },
  // A student page: a teacher or peer monitor opening it by URL gets 404 (today: 403, see the report).
  "GET /api/students/:id/watchlist-entry": { target: "student", expect: STUDENT_PAGE },
  "POST /api/students/:id/tier-override": { target: "student", expect: STUDENT_PAGE, request: () => ({ payload: { tier: "yellow", reason: "面谈后调整" } }) },
  "GET /api/alerts": { target: "none", expect: row(F, F, OK, OK, F, F, F, U, U) },
  "GET /api/alerts/stream": { target: "none", expect: row(F, F, OK, OK, F, F, F, U, U), stream: true },
  "POST /api/alerts/:id/acknowledge": { target: "alert", expect: CLINICAL, request: () => ({ payload: { openCase: false } }) },
  "GET /api/cases": { target: "none", expect: row(F, F, OK, OK, F, F, F, U, U) },
  "POST /api/cases": { target: "student", expect: CLINICAL, request: (c) => ({ payload: { studentId: student(c), tier: "orange", reason: "约谈" } }) },
  "GET /api/cases/:id": { target: "case", expect: CLINICAL },
  "POST /api/cases/:id/steps": { target: "case", expect: CLINICAL, request: () => ({ payload: { kind: "acknowledge" } }) },
  "GET /api/cases/:id/feedback": { target: "case", expect: CLINICAL },
  "POST /api/cases/:id/feedback": { target: "case", expect: CLINICAL, request: () => ({ payload: { template: "interview-homeroom" } }) },
  "POST /api/students/:id/checkin-notice": { target: "student", expect: CLINICAL },
  // Subject teachers get notices of no class (they go to homeroom teachers).
  "GET /api/notices": { target: "none", expect: row(F, F, OK, OK, OK, OK, F, U, U) },
  "POST /api/notices/:id/done": { target: "notice", expect: row(F, F, SCHOOL, SCHOOL, CLASS, N, F, U, U) },

  // ── the growth record and its transfer
  "GET /api/students/:id/record": { target: "student", expect: STUDENT_PAGE },
  "POST /api/students/:id/transfer": { target: "student", expect: TRANSFER },
  "GET /api/transfer/public-key": { target: "none", expect: row(N, N, N, OK, N, N, N, U, U) },
  "POST /api/schools/:id/transfer-import": {
    target: "student",
    expect: TRANSFER,
    request: (c) => ({
      params: { id: c.w.schools[schoolOf(c.v)] },
      payload: { bundle: FAKE_BUNDLE, passphrase: "not the passphrase", senderPublicKey: "not a key", studentId: student(c) },
    }),
  },

  // ── district analytics: aggregates for analysts only; the research export for the admin only
  "GET /api/analytics/waves": { target: "none", expect: ANALYST_ONLY },
  "GET /api/analytics/coverage": analytics(),
  "GET /api/analytics/coverage.csv": analytics(),
  "GET /api/analytics/tiers": analytics(),
  "GET /api/analytics/tiers.csv": analytics(),
  "GET /api/analytics/happiness": analytics(),
  "GET /api/analytics/happiness.csv": analytics(),
  "GET /api/analytics/factors": analytics(),
  "GET /api/analytics/factors.csv": analytics(),
  "GET /api/analytics/high-incidence": analytics(),
  "GET /api/analytics/high-incidence.csv": analytics(),
  "GET /api/analytics/movement": analytics("from=2025-2026:spring&to=2025-2026:spring"),
  "GET /api/analytics/movement.csv": analytics("from=2025-2026:spring&to=2025-2026:spring"),
  "GET /api/analytics/follow-up": analytics(),
  "GET /api/analytics/follow-up.csv": analytics(),
  "GET /api/analytics/aggregates.csv": analytics(),
  "GET /api/research/export.csv": { target: "none", expect: row(OK, F, F, F, F, F, F, U, U), request: () => ({ query: SPRING_QUERY }) },
};

/**
 * Routes an analyst may call beyond /api/analytics/*, the session endpoints and what anyone may call:
 * the list of schools, by name only, since the aggregates are labelled by school.
 */
export const ANALYST_EXTRA: readonly string[] = ["GET /api/schools"];

/** The variants a target is called with. */
export function variantsOf(target: Target): readonly Variant[] {
  switch (target) {
    case "none":
      return ["none"];
    case "class":
    case "student":
    case "notice":
      return CLASS_VARIANTS;
    default:
      return SCHOOL_VARIANTS;
  }
}

/** The `:id` (and `:studentId`) of a target's record for a variant. */
export function paramsOf(w: World, target: Target, v: Variant): Record<string, string> {
  const s = v as SchoolVariant;
  const c = v as ClassVariant;
  switch (target) {
    case "none":
      return {};
    case "school":
      return { id: w.schools[s] };
    case "class":
      return { id: w.classes[c] };
    case "student":
      return { id: w.students[c] };
    case "notice":
      return { id: w.notices[c] };
    case "wave":
      return { id: w.waves[s] };
    case "draft":
      return { id: w.drafts[s] };
    case "waveVictim":
      return { id: w.waves[s], studentId: w.victimStudents[s] };
    case "case":
      return { id: w.cases[s] };
    case "alert":
      return { id: w.alerts[s] };
    case "account":
      return { id: w.victimAccounts[s] };
  }
}

/** The expected outcome of a rule for a caller and variant, or undefined when the table says nothing. */
export function expectedOutcome(rule: Rule, caller: Caller, v: Variant): Outcome | undefined {
  const e = rule.expect[caller];
  return typeof e === "object" ? e[v] : e;
}

/** The class of a status: an access refusal, an error, or "ok". */
export function outcomeOf(status: number): Outcome | "error" {
  if (status === 401 || status === 403 || status === 404) return status;
  return status >= 500 ? "error" : "ok";
}

/** The URL of a route with its params filled in and its query. */
export function urlOf(url: string, params: Record<string, string>, query?: string): string {
  const filled = url.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`no value for :${name} of ${url}`);
    return encodeURIComponent(value);
  });
  return query === undefined ? filled : `${filled}?${query}`;
}

/** Sends the rule's request for a route as `caller` on variant `v`; SSE replies are cut after the head. */
export async function callRoute(t: TestServer, w: World, route: RouteInfo, rule: Rule, caller: Caller, v: Variant, headers: Record<string, string>, n: number): Promise<LightMyRequestResponse> {
  const req = rule.request?.({ w, v, caller, n }) ?? {};
  const url = urlOf(route.url, req.params ?? paramsOf(w, rule.target, v), req.query);
  const payload = req.payload === undefined ? undefined : typeof req.payload === "string" ? req.payload : JSON.stringify(req.payload);
  const res = await t.app.inject({
    method: route.method as "GET",
    url,
    headers: { ...headers, ...(payload !== undefined && { "content-type": req.contentType ?? "application/json" }) },
    ...(payload !== undefined && { payload }),
    ...(rule.stream && { payloadAsStream: true }),
  });
  if (rule.stream) res.stream().destroy();
  return res;
}
