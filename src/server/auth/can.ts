/**
 * The access rules of XinQing: one pure function, `can(actor, action, resource)`, over one table that
 * says, for each staff role, which actions it may take and on what scope (ARCHITECTURE.md, "Who uses
 * it"). Routes never look at roles themselves: they look the row up, build its `Resource` from the
 * stored row (never from the request), and ask `can`. For lists, `scopeOf(actor, action)` says which
 * school and classes the actor may see, so the query itself is scoped.
 *
 * Out-of-scope rows answer 404 in the routes (a staff member asking about another school's student must
 * not learn that it exists); an actor with no scope at all for an action answers 403.
 */
import type { Role } from "../../shared/api";
import type { Actor, StaffActor } from "./actor";

export type Action =
  | "school.read"
  | "school.manage"
  | "account.manage"
  | "roster.import"
  | "class.read"
  | "student.read"
  | "student.manage"
  | "wave.read"
  | "wave.manage"
  | "consent.set"
  | "code.manage"
  | "audit.read"
  | "observation.file"
  | "watchlist.read"
  | "case.manage"
  | "analytics.read"
  | "policy.manage"
  | "webhook.manage"
  | "record.read"
  | "record.transfer"
  | "research.export";

/** Every action, in the order of the table below (tests and docs walk it). */
export const ACTIONS: readonly Action[] = [
  "school.read",
  "school.manage",
  "account.manage",
  "roster.import",
  "class.read",
  "student.read",
  "student.manage",
  "wave.read",
  "wave.manage",
  "consent.set",
  "code.manage",
  "audit.read",
  "observation.file",
  "watchlist.read",
  "case.manage",
  "analytics.read",
  "policy.manage",
  "webhook.manage",
  "record.read",
  "record.transfer",
  "research.export",
];

/**
 * What is being acted on, taken from the stored row: its school, and its class when it has one.
 * A resource without a school is district-level (a new school, the tier policy, the audit log).
 */
export interface Resource {
  readonly schoolId?: string | null;
  readonly classId?: string | null;
  readonly studentId?: string | null;
}

/**
 * The scope a rule grants:
 * - `any`: every resource, with or without a school (district roles);
 * - `school`: resources of the actor's own school (a resource without a school is refused);
 * - `homeroom` / `subject` / `peer`: resources of the actor's own school whose class is one the actor
 *   has that relation with (account_classes); a resource without a class is refused.
 */
export type Rule = "any" | "school" | "homeroom" | "subject" | "peer";

/** role → action → rule. An action missing from a role's row is refused. This is the whole policy. */
export const RULES: Readonly<Record<Role, Readonly<Partial<Record<Action, Rule>>>>> = {
  // District IT: configuration and the audit log; never an individual student's record (not clinical).
  admin: {
    "school.read": "any",
    "school.manage": "any",
    "account.manage": "any",
    "policy.manage": "any",
    "audit.read": "any",
    "wave.read": "any",
    "webhook.manage": "any",
    // the de-identified research export (pseudonyms, shifted dates, no free text), every one audited
    "research.export": "any",
  },
  // District analyst: aggregates only (small cells suppressed by the analytics feature).
  analyst: {
    "analytics.read": "any",
  },
  // 分管校长 / 心理中心负责人: runs the school's screening and gets escalations of overdue cases.
  "school-lead": {
    "school.read": "school",
    "account.manage": "school",
    "roster.import": "school",
    "class.read": "school",
    "student.read": "school",
    "student.manage": "school",
    "wave.read": "school",
    "wave.manage": "school",
    "consent.set": "school",
    "code.manage": "school",
    "case.manage": "school",
    // the growth record without scores (scores are the counselor's); no transfer
    "record.read": "school",
    "watchlist.read": "school",
    "observation.file": "school",
    "webhook.manage": "school",
  },
  // 心理教师: everything clinical in their school, every read of a student audited by the routes.
  counselor: {
    "school.read": "school",
    "class.read": "school",
    "student.read": "school",
    "wave.read": "school",
    "consent.set": "school",
    "observation.file": "school",
    "watchlist.read": "school",
    "case.manage": "school",
    // the growth record (心理成长档案) with scores, and its transfer to another school (档案转接)
    "record.read": "school",
    "record.transfer": "school",
  },
  // 班主任: their homeroom classes; no scores.
  homeroom: {
    "class.read": "homeroom",
    "observation.file": "homeroom",
  },
  // 学科教师: the classes they teach; no scores.
  subject: {
    "class.read": "subject",
    "observation.file": "subject",
  },
  // 心理委员: a low-disclosure report on a classmate of their own class, nothing else.
  peer: {
    "observation.file": "peer",
  },
};

/**
 * Which account roles an account manager may create or change. An admin manages every account; a
 * school lead only the teachers, counselors and peer monitors of their own school.
 */
export const ASSIGNABLE_ROLES: Readonly<Record<Role, readonly Role[]>> = {
  admin: ["admin", "analyst", "school-lead", "counselor", "homeroom", "subject", "peer"],
  analyst: [],
  "school-lead": ["counselor", "homeroom", "subject", "peer"],
  counselor: [],
  homeroom: [],
  subject: [],
  peer: [],
};

/** The rule for this actor and action, or undefined when refused outright (students, anonymous, missing row). */
function ruleOf(actor: Actor, action: Action): Rule | undefined {
  if (actor.kind !== "staff") return undefined;
  return RULES[actor.role]?.[action];
}

function classesOf(actor: StaffActor, rule: "homeroom" | "subject" | "peer"): readonly string[] {
  return actor.classes[rule];
}

/**
 * May `actor` take `action` on `resource`? Pure; students and anonymous callers may take no staff action.
 * Build `resource` from the stored row (its school_id, class_id), never from what the request claims.
 */
export function can(actor: Actor, action: Action, resource: Resource): boolean {
  const rule = ruleOf(actor, action);
  if (rule === undefined || actor.kind !== "staff") return false;
  if (rule === "any") return true;
  const school = actor.schoolId;
  if (school === null || !resource.schoolId || resource.schoolId !== school) return false;
  if (rule === "school") return true;
  return !!resource.classId && classesOf(actor, rule).includes(resource.classId);
}

/** What a list query may return for an actor and action. */
export type Scope =
  | { readonly kind: "none" }
  | { readonly kind: "all" }
  | { readonly kind: "school"; readonly schoolId: string }
  | { readonly kind: "classes"; readonly schoolId: string; readonly classIds: readonly string[] };

/**
 * The rows a list query for `action` may return: `all`, one school, some classes of one school, or
 * none. Agrees with `can`: a row is in the scope exactly when `can` allows the action on it.
 */
export function scopeOf(actor: Actor, action: Action): Scope {
  const rule = ruleOf(actor, action);
  if (rule === undefined || actor.kind !== "staff") return { kind: "none" };
  if (rule === "any") return { kind: "all" };
  if (actor.schoolId === null) return { kind: "none" };
  if (rule === "school") return { kind: "school", schoolId: actor.schoolId };
  const classIds = classesOf(actor, rule);
  return classIds.length === 0 ? { kind: "none" } : { kind: "classes", schoolId: actor.schoolId, classIds: [...classIds] };
}

/** Is `resource` inside `scope`? (The same test `can` makes; handy when filtering rows in memory.) */
export function inScope(scope: Scope, resource: Resource): boolean {
  switch (scope.kind) {
    case "none":
      return false;
    case "all":
      return true;
    case "school":
      return resource.schoolId === scope.schoolId;
    case "classes":
      return resource.schoolId === scope.schoolId && !!resource.classId && scope.classIds.includes(resource.classId);
  }
}

/** May this actor create or change an account of `role`? (Scope of the school is `can(…, "account.manage", …)`.) */
export function canAssignRole(actor: Actor, role: Role): boolean {
  return actor.kind === "staff" && ASSIGNABLE_ROLES[actor.role].includes(role);
}
