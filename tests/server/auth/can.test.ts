/**
 * The access rules as an explicit expected matrix: every role (and a student) × every action × five
 * places: the actor's own school (no class), another school, the actor's own class, another class of
 * the actor's school, and a district-level resource (no school). Written out by hand from issue 4's
 * rules, not derived from src/server/auth/can.ts.
 *
 * Columns of each string, in order: own school, other school, own class, other class, no school.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Actor, StaffActor } from "../../../src/server/auth/actor";
import { ANONYMOUS } from "../../../src/server/auth/actor";
import { ACTIONS, can, canAssignRole, inScope, scopeOf, type Action, type Resource } from "../../../src/server/auth/can";
import type { Role } from "../../../src/shared/api";

const OWN_SCHOOL = "school-a";
const OTHER_SCHOOL = "school-b";
const OWN_CLASS = "class-a1";
const OTHER_CLASS = "class-a2";

const PLACES = [
  ["own school", { schoolId: OWN_SCHOOL }],
  ["other school", { schoolId: OTHER_SCHOOL }],
  ["own class", { schoolId: OWN_SCHOOL, classId: OWN_CLASS }],
  ["other class", { schoolId: OWN_SCHOOL, classId: OTHER_CLASS }],
  ["no school", {}],
] as const satisfies readonly (readonly [string, Resource])[];

const noClasses = { homeroom: [], subject: [], peer: [] };

function staff(role: Role, schoolId: string | null, classes: Partial<StaffActor["classes"]> = {}): StaffActor {
  return { kind: "staff", accountId: `acc-${role}`, role, schoolId, classes: { ...noClasses, ...classes }, sessionHash: "h" };
}

type ActorName = Role | "student";

/** The actors of the matrix: school roles in OWN_SCHOOL; class roles with OWN_CLASS by their own relation. */
const ACTORS: Record<ActorName, Actor> = {
  admin: staff("admin", null),
  analyst: staff("analyst", null),
  "school-lead": staff("school-lead", OWN_SCHOOL),
  counselor: staff("counselor", OWN_SCHOOL),
  homeroom: staff("homeroom", OWN_SCHOOL, { homeroom: [OWN_CLASS] }),
  subject: staff("subject", OWN_SCHOOL, { subject: [OWN_CLASS] }),
  peer: staff("peer", OWN_SCHOOL, { peer: [OWN_CLASS] }),
  student: { kind: "student", studentId: "stu-1", schoolId: OWN_SCHOOL, waveId: "wave-1", sessionHash: "h" },
};

/** Y = allowed, N = refused; columns: own school, other school, own class, other class, no school. */
const EXPECTED: Record<ActorName, Record<Action, string>> = {
  "admin": {
    "school.read": "YYYYY",
    "school.manage": "YYYYY",
    "account.manage": "YYYYY",
    "roster.import": "NNNNN",
    "class.read": "NNNNN",
    "student.read": "NNNNN",
    "student.manage": "NNNNN",
    "wave.read": "YYYYY",
    "wave.manage": "NNNNN",
    "consent.set": "NNNNN",
    "code.manage": "NNNNN",
    "audit.read": "YYYYY",
    "observation.file": "NNNNN",
    "watchlist.read": "NNNNN",
    "case.manage": "NNNNN",
    "analytics.read": "NNNNN",
    "policy.manage": "YYYYY",
    "webhook.manage": "YYYYY",
    "record.read": "NNNNN",
    "record.transfer": "NNNNN",
    "research.export": "YYYYY",
  },
  "analyst": {
    "school.read": "NNNNN",
    "school.manage": "NNNNN",
    "account.manage": "NNNNN",
    "roster.import": "NNNNN",
    "class.read": "NNNNN",
    "student.read": "NNNNN",
    "student.manage": "NNNNN",
    "wave.read": "NNNNN",
    "wave.manage": "NNNNN",
    "consent.set": "NNNNN",
    "code.manage": "NNNNN",
    "audit.read": "NNNNN",
    "observation.file": "NNNNN",
    "watchlist.read": "NNNNN",
    "case.manage": "NNNNN",
    "analytics.read": "YYYYY",
    "policy.manage": "NNNNN",
    "webhook.manage": "NNNNN",
    "record.read": "NNNNN",
    "record.transfer": "NNNNN",
    "research.export": "NNNNN",
  },
  "school-lead": {
    "school.read": "YNYYN",
    "school.manage": "NNNNN",
    "account.manage": "YNYYN",
    "roster.import": "YNYYN",
    "class.read": "YNYYN",
    "student.read": "YNYYN",
    "student.manage": "YNYYN",
    "wave.read": "YNYYN",
    "wave.manage": "YNYYN",
    "consent.set": "YNYYN",
    "code.manage": "YNYYN",
    "audit.read": "NNNNN",
    "observation.file": "YNYYN",
    "watchlist.read": "YNYYN",
    "case.manage": "YNYYN",
    "analytics.read": "NNNNN",
    "policy.manage": "NNNNN",
    "webhook.manage": "YNYYN",
    "record.read": "YNYYN",
    "record.transfer": "NNNNN",
    "research.export": "NNNNN",
  },
  "counselor": {
    "school.read": "YNYYN",
    "school.manage": "NNNNN",
    "account.manage": "NNNNN",
    "roster.import": "NNNNN",
    "class.read": "YNYYN",
    "student.read": "YNYYN",
    "student.manage": "NNNNN",
    "wave.read": "YNYYN",
    "wave.manage": "NNNNN",
    "consent.set": "YNYYN",
    "code.manage": "NNNNN",
    "audit.read": "NNNNN",
    "observation.file": "YNYYN",
    "watchlist.read": "YNYYN",
    "case.manage": "YNYYN",
    "analytics.read": "NNNNN",
    "policy.manage": "NNNNN",
    "webhook.manage": "NNNNN",
    "record.read": "YNYYN",
    "record.transfer": "YNYYN",
    "research.export": "NNNNN",
  },
  "homeroom": {
    "school.read": "NNNNN",
    "school.manage": "NNNNN",
    "account.manage": "NNNNN",
    "roster.import": "NNNNN",
    "class.read": "NNYNN",
    "student.read": "NNNNN",
    "student.manage": "NNNNN",
    "wave.read": "NNNNN",
    "wave.manage": "NNNNN",
    "consent.set": "NNNNN",
    "code.manage": "NNNNN",
    "audit.read": "NNNNN",
    "observation.file": "NNYNN",
    "watchlist.read": "NNNNN",
    "case.manage": "NNNNN",
    "analytics.read": "NNNNN",
    "policy.manage": "NNNNN",
    "webhook.manage": "NNNNN",
    "record.read": "NNNNN",
    "record.transfer": "NNNNN",
    "research.export": "NNNNN",
  },
  "subject": {
    "school.read": "NNNNN",
    "school.manage": "NNNNN",
    "account.manage": "NNNNN",
    "roster.import": "NNNNN",
    "class.read": "NNYNN",
    "student.read": "NNNNN",
    "student.manage": "NNNNN",
    "wave.read": "NNNNN",
    "wave.manage": "NNNNN",
    "consent.set": "NNNNN",
    "code.manage": "NNNNN",
    "audit.read": "NNNNN",
    "observation.file": "NNYNN",
    "watchlist.read": "NNNNN",
    "case.manage": "NNNNN",
    "analytics.read": "NNNNN",
    "policy.manage": "NNNNN",
    "webhook.manage": "NNNNN",
    "record.read": "NNNNN",
    "record.transfer": "NNNNN",
    "research.export": "NNNNN",
  },
  "peer": {
    "school.read": "NNNNN",
    "school.manage": "NNNNN",
    "account.manage": "NNNNN",
    "roster.import": "NNNNN",
    "class.read": "NNNNN",
    "student.read": "NNNNN",
    "student.manage": "NNNNN",
    "wave.read": "NNNNN",
    "wave.manage": "NNNNN",
    "consent.set": "NNNNN",
    "code.manage": "NNNNN",
    "audit.read": "NNNNN",
    "observation.file": "NNYNN",
    "watchlist.read": "NNNNN",
    "case.manage": "NNNNN",
    "analytics.read": "NNNNN",
    "policy.manage": "NNNNN",
    "webhook.manage": "NNNNN",
    "record.read": "NNNNN",
    "record.transfer": "NNNNN",
    "research.export": "NNNNN",
  },
  "student": {
    "school.read": "NNNNN",
    "school.manage": "NNNNN",
    "account.manage": "NNNNN",
    "roster.import": "NNNNN",
    "class.read": "NNNNN",
    "student.read": "NNNNN",
    "student.manage": "NNNNN",
    "wave.read": "NNNNN",
    "wave.manage": "NNNNN",
    "consent.set": "NNNNN",
    "code.manage": "NNNNN",
    "audit.read": "NNNNN",
    "observation.file": "NNNNN",
    "watchlist.read": "NNNNN",
    "case.manage": "NNNNN",
    "analytics.read": "NNNNN",
    "policy.manage": "NNNNN",
    "webhook.manage": "NNNNN",
    "record.read": "NNNNN",
    "record.transfer": "NNNNN",
    "research.export": "NNNNN",
  },
};

const cases = (Object.keys(EXPECTED) as ActorName[]).flatMap((name) =>
  ACTIONS.flatMap((action) =>
    PLACES.map(([place, resource], i) => {
      const mark = EXPECTED[name][action][i];
      if (mark !== "Y" && mark !== "N") throw new Error(`bad matrix cell ${name} ${action} ${i}`);
      return { name, action, place, resource, allowed: mark === "Y" };
    }),
  ),
);

describe("can: the role × action × place matrix", () => {
  it("has a row for every action and five places in every cell", () => {
    for (const name of Object.keys(EXPECTED) as ActorName[]) {
      expect(Object.keys(EXPECTED[name]).sort()).toEqual([...ACTIONS].sort());
      for (const cell of Object.values(EXPECTED[name])) expect(cell).toMatch(/^[YN]{5}$/);
    }
  });

  it.each(cases)("$name may $action on $place: $allowed", ({ name, action, resource, allowed }) => {
    expect(can(ACTORS[name], action, resource)).toBe(allowed);
  });
});

describe("can: edges of the rules", () => {
  it.each(ACTIONS)("refuses %s to an anonymous caller anywhere", (action) => {
    for (const [, resource] of PLACES) expect(can(ANONYMOUS, action, resource)).toBe(false);
  });

  it("refuses a homeroom teacher class.read on a class they only teach as a subject teacher", () => {
    const teacher = staff("homeroom", OWN_SCHOOL, { homeroom: [OWN_CLASS], subject: [OTHER_CLASS] });
    expect(can(teacher, "class.read", { schoolId: OWN_SCHOOL, classId: OTHER_CLASS })).toBe(false);
    expect(can(teacher, "class.read", { schoolId: OWN_SCHOOL, classId: OWN_CLASS })).toBe(true);
  });

  it("refuses a class-scoped actor a class id of theirs presented with another school", () => {
    expect(can(ACTORS.homeroom, "observation.file", { schoolId: OTHER_SCHOOL, classId: OWN_CLASS })).toBe(false);
  });

  it("refuses a class-scoped actor a class id of theirs presented without a school", () => {
    expect(can(ACTORS.homeroom, "class.read", { classId: OWN_CLASS })).toBe(false);
  });

  it("refuses a school lead whose account has no school (a damaged row) everything", () => {
    const lead = staff("school-lead", null);
    for (const action of ACTIONS) for (const [, resource] of PLACES) expect(can(lead, action, resource)).toBe(false);
  });

  it("refuses another school's student to a counselor even when the student id is given", () => {
    expect(can(ACTORS.counselor, "student.read", { schoolId: OTHER_SCHOOL, classId: OTHER_CLASS, studentId: "stu-9" })).toBe(false);
  });

  it("never lets an admin read an individual student (IT, not clinical)", () => {
    expect(can(ACTORS.admin, "student.read", { schoolId: OWN_SCHOOL, studentId: "stu-1" })).toBe(false);
  });
});

describe("scopeOf: what a list query may return", () => {
  it.each([
    ["admin", "school.read", { kind: "all" }],
    ["admin", "student.read", { kind: "none" }],
    ["analyst", "analytics.read", { kind: "all" }],
    ["analyst", "school.read", { kind: "none" }],
    ["school-lead", "student.read", { kind: "school", schoolId: OWN_SCHOOL }],
    ["counselor", "watchlist.read", { kind: "school", schoolId: OWN_SCHOOL }],
    ["counselor", "account.manage", { kind: "none" }],
    ["homeroom", "class.read", { kind: "classes", schoolId: OWN_SCHOOL, classIds: [OWN_CLASS] }],
    ["subject", "observation.file", { kind: "classes", schoolId: OWN_SCHOOL, classIds: [OWN_CLASS] }],
    ["peer", "class.read", { kind: "none" }],
    ["peer", "observation.file", { kind: "classes", schoolId: OWN_SCHOOL, classIds: [OWN_CLASS] }],
    ["student", "observation.file", { kind: "none" }],
  ] as const)("gives %s for %s the scope %o", (name, action, scope) => {
    expect(scopeOf(ACTORS[name], action)).toEqual(scope);
  });

  it("gives a teacher without classes no scope", () => {
    expect(scopeOf(staff("subject", OWN_SCHOOL), "class.read")).toEqual({ kind: "none" });
  });

  it("agrees with can on every actor, action and resource", () => {
    const id = (xs: readonly (string | null | undefined)[]) => fc.constantFrom(...xs);
    const resource = fc.record(
      { schoolId: id([OWN_SCHOOL, OTHER_SCHOOL, null, undefined, ""]), classId: id([OWN_CLASS, OTHER_CLASS, "class-b1", null, undefined, ""]) },
      { requiredKeys: [] },
    );
    const actorName = fc.constantFrom(...(Object.keys(ACTORS) as ActorName[]));
    fc.assert(
      fc.property(actorName, fc.constantFrom(...ACTIONS), resource, (name, action, r) => {
        expect(inScope(scopeOf(ACTORS[name], action), r)).toBe(can(ACTORS[name], action, r));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("canAssignRole: who may create which accounts", () => {
  it.each([
    ["admin", "admin", true],
    ["admin", "analyst", true],
    ["admin", "school-lead", true],
    ["admin", "peer", true],
    ["school-lead", "counselor", true],
    ["school-lead", "homeroom", true],
    ["school-lead", "subject", true],
    ["school-lead", "peer", true],
    ["school-lead", "school-lead", false],
    ["school-lead", "admin", false],
    ["school-lead", "analyst", false],
    ["counselor", "homeroom", false],
    ["homeroom", "peer", false],
    ["analyst", "analyst", false],
    ["student", "peer", false],
  ] as const)("lets %s create a %s account: %s", (name, role, expected) => {
    expect(canAssignRole(ACTORS[name], role)).toBe(expected);
  });
});
