/**
 * A small world for the security suites, built once per suite: two schools (A, the callers' own, and B),
 * two classes in A and one in B, students in each, an open wave per school with access codes, a draft
 * wave per school, a submitted response with its alert, an open case, a check-in notice per class and an
 * observation. Every `:id` of the API can be called with a real id of the callers' own school (and own or
 * other class) and of the other school. The callers are one account per role, all of school A and of
 * class A1 where the role has classes, plus a student of A1 with a session on A's wave.
 */
import type { LightMyRequestResponse } from "fastify";
import type { Role } from "../../src/shared/api";
import { hashPassword } from "../../src/server/auth/passwords";
import { createSession } from "../../src/server/auth/sessions";
import { raiseAlert } from "../../src/server/features/alerts/raise";
import type { TestServer } from "../helpers/server";

/** Who calls: each staff role, a student with a session, nobody. */
export const CALLERS = ["admin", "analyst", "school-lead", "counselor", "homeroom", "subject", "peer", "student", "anonymous"] as const;
export type Caller = (typeof CALLERS)[number];

/** A record of the callers' own school (A) or of the other one (B). */
export type SchoolVariant = "own" | "other";
/** A class, or a student of a class: the homeroom teacher's own class A1, class A2 of the same school, class B1 of school B. */
export type ClassVariant = "ownClass" | "otherClass" | "otherSchool";
export type Variant = SchoolVariant | ClassVariant | "none";

export const SCHOOL_VARIANTS: readonly SchoolVariant[] = ["own", "other"];
export const CLASS_VARIANTS: readonly ClassVariant[] = ["ownClass", "otherClass", "otherSchool"];

/** The school a variant's record belongs to. */
export const schoolOf = (v: Variant): "own" | "other" => (v === "other" || v === "otherSchool" ? "other" : "own");

export interface World {
  readonly schools: Record<SchoolVariant, string>;
  readonly classes: Record<ClassVariant, string>;
  /** Plain students of each class: targets of student pages, observations, cases, notices. */
  readonly students: Record<ClassVariant, string>;
  /** Students of A1 and B1 whose codes and consents the matrix changes (nobody's session depends on them). */
  readonly victimStudents: Record<SchoolVariant, string>;
  /** Counselor accounts the matrix changes and resets (no caller is one of them). */
  readonly victimAccounts: Record<SchoolVariant, string>;
  /** The open spring 2025-2026 wave of each school. */
  readonly waves: Record<SchoolVariant, string>;
  /** A draft wave of each school, for open / close / change. */
  readonly drafts: Record<SchoolVariant, string>;
  readonly cases: Record<SchoolVariant, string>;
  readonly alerts: Record<SchoolVariant, string>;
  /** A check-in notice about the plain student of each class. */
  readonly notices: Record<ClassVariant, string>;
  /** The account of each staff caller (school A; classes of A1). */
  readonly accounts: Record<Exclude<Caller, "student" | "anonymous">, string>;
  /** The student caller: a student of A1 and A's wave. */
  readonly student: { readonly id: string; readonly waveId: string };
  /** A valid access code of another student of A1, for POST /api/student/session. */
  readonly entryCode: string;
  /** A staff account with a password, for POST /api/auth/login. */
  readonly login: { readonly username: string; readonly password: string };
  /** Every student's id, name and number: none of them may reach an analyst. */
  readonly studentSecrets: readonly string[];
}

/** Spring 2026: open from 1 March (the test clock starts on 2 March) to 20 March. */
const SPRING = { schoolYear: "2025-2026", season: "spring", opensAt: "2026-03-01T00:00:00+08:00", closesAt: "2026-03-20T00:00:00+08:00" } as const;
export const DRAFT = { schoolYear: "2026-2027", season: "autumn", opensAt: "2026-09-01T00:00:00+08:00", closesAt: "2026-09-30T00:00:00+08:00" } as const;

/** A teacher checklist with nothing ticked; a peer report of low mood, not urgent (neither raises an alert). */
export const CALM_CHECKLIST = { signs: [], "key-population": [] };
export const CALM_PEER_REPORT = { concerns: ["low-mood"], urgency: "soon" };

const LOGIN_PASSWORD = "correct horse battery staple";

/** Headers of a fresh session of `caller` (none for anonymous). */
export async function sessionHeaders(t: TestServer, w: World, caller: Caller): Promise<Record<string, string>> {
  if (caller === "anonymous") return {};
  if (caller === "student") {
    const s = await createSession(t.deps, { studentId: w.student.id, waveId: w.student.waveId });
    return { cookie: `xq_session=${s.token}`, "x-csrf-token": s.csrfToken };
  }
  return (await t.signIn(w.accounts[caller])).headers;
}

async function call(t: TestServer, method: "GET" | "POST", url: string, headers: Record<string, string>, payload?: unknown): Promise<LightMyRequestResponse> {
  const res = await t.app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
  if (res.statusCode >= 300) throw new Error(`setting up the world: ${method} ${url} answered ${res.statusCode} ${res.body}`);
  return res;
}

export async function buildWorld(t: TestServer): Promise<World> {
  const { seed, db } = t;
  const secrets: string[] = [];
  const A = await seed.school({ code: "SA", name: "甲中学" });
  const B = await seed.school({ code: "SB", name: "乙中学" });
  const A1 = await seed.klass(A, 8, "1");
  const A2 = await seed.klass(A, 8, "2");
  const B1 = await seed.klass(B, 8, "1");
  let n = 0;
  const student = async (classId: string): Promise<string> => {
    n += 1;
    const name = `秘名${n}号`;
    const studentNo = `88000${n.toString().padStart(3, "0")}`;
    const id = await seed.student(classId, { name, studentNo });
    secrets.push(id, name, studentNo);
    return id;
  };
  const students = { ownClass: await student(A1), otherClass: await student(A2), otherSchool: await student(B1) };
  const victimStudents = { own: await student(A1), other: await student(B1) };
  const me = await student(A1);
  const entrant = await student(A1);
  const respondents = { own: await student(A1), other: await student(B1) };

  const accounts = {
    admin: await seed.account("admin"),
    analyst: await seed.account("analyst"),
    "school-lead": await seed.account("school-lead", { schoolId: A }),
    counselor: await seed.account("counselor", { schoolId: A }),
    homeroom: await seed.account("homeroom", { schoolId: A, classes: [{ classId: A1, relation: "homeroom" }] }),
    subject: await seed.account("subject", { schoolId: A, classes: [{ classId: A1, relation: "subject" }] }),
    peer: await seed.account("peer", { schoolId: A, classes: [{ classId: A1, relation: "peer" }] }),
  } satisfies Record<Role, string>;
  const leadB = await seed.account("school-lead", { schoolId: B });
  const counselorB = await seed.account("counselor", { schoolId: B });
  const victimAccounts = { own: await seed.account("counselor", { schoolId: A }), other: await seed.account("counselor", { schoolId: B }) };

  const username = "login.tester";
  const loginId = await seed.account("counselor", { schoolId: A, username });
  await db.query("UPDATE accounts SET password_hash = $2 WHERE id = $1", [loginId, await hashPassword(LOGIN_PASSWORD, Buffer.alloc(16, 7))]);

  const lead = { own: (await t.signIn(accounts["school-lead"])).headers, other: (await t.signIn(leadB)).headers };
  const counselor = { own: (await t.signIn(accounts.counselor)).headers, other: (await t.signIn(counselorB)).headers };
  const schools = { own: A, other: B };
  const waves = { own: "", other: "" };
  const drafts = { own: "", other: "" };
  const codes = new Map<string, string>();
  for (const v of SCHOOL_VARIANTS) {
    waves[v] = (await call(t, "POST", `/api/schools/${schools[v]}/waves`, lead[v], SPRING)).json<{ id: string }>().id;
    await call(t, "POST", `/api/waves/${waves[v]}/open`, lead[v]);
    drafts[v] = (await call(t, "POST", `/api/schools/${schools[v]}/waves`, lead[v], DRAFT)).json<{ id: string }>().id;
    const issued = (await call(t, "POST", `/api/waves/${waves[v]}/codes`, lead[v], {})).json<{ issued: { studentId: string; code: string }[] }>().issued;
    for (const slip of issued) codes.set(slip.studentId, slip.code);
  }
  const entryCode = codes.get(entrant);
  if (entryCode === undefined) throw new Error("no code was issued to the entrant");

  // A submitted response with a critical answer and its alert, in each school.
  const alerts = { own: "", other: "" };
  for (const v of SCHOOL_VARIANTS) {
    const responseId = t.deps.newId();
    const at = new Date("2026-03-02T09:00:00+08:00");
    await db.query(
      `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
       VALUES ($1, $2, $3, 'secondary', 'submitted', $4, $5, $5, $5)`,
      [responseId, waves[v], respondents[v], JSON.stringify({ phq9: { q9: 1 } }), at],
    );
    await db.query(
      "INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at) VALUES ($1, '{}', $2, 'red', '[]', 'default-v1', $3)",
      [responseId, JSON.stringify({ kind: "valid" }), at],
    );
    const raised = await db.transaction((tx) => raiseAlert(tx, t.deps, { schoolId: schools[v], studentId: respondents[v], source: "response", sourceId: responseId, kind: "critical", items: [{ instrument: "phq9", item: "q9" }] }));
    alerts[v] = raised.id;
  }

  const cases = {
    own: (await call(t, "POST", "/api/cases", counselor.own, { studentId: students.ownClass, tier: "orange", reason: "约谈" })).json<{ id: string }>().id,
    other: (await call(t, "POST", "/api/cases", counselor.other, { studentId: students.otherSchool, tier: "orange", reason: "约谈" })).json<{ id: string }>().id,
  };
  const notice = async (headers: Record<string, string>, studentId: string) => (await call(t, "POST", `/api/students/${studentId}/checkin-notice`, headers)).json<{ id: string }>().id;
  const notices = {
    ownClass: await notice(counselor.own, students.ownClass),
    otherClass: await notice(counselor.own, students.otherClass),
    otherSchool: await notice(counselor.other, students.otherSchool),
  };
  await call(t, "POST", "/api/observations", (await t.signIn(accounts.homeroom)).headers, { studentId: students.ownClass, instrument: "teacher-checklist", answers: CALM_CHECKLIST, note: "上课走神" });

  return {
    schools,
    classes: { ownClass: A1, otherClass: A2, otherSchool: B1 },
    students,
    victimStudents,
    victimAccounts,
    waves,
    drafts,
    cases,
    alerts,
    notices,
    accounts,
    student: { id: me, waveId: waves.own },
    entryCode,
    login: { username, password: LOGIN_PASSWORD },
    studentSecrets: secrets,
  };
}
