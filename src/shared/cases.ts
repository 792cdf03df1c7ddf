/**
 * The HTTP contract of cases — the counselor's closed loop (issue 6, "Cases") — and of the "please check
 * in with" notices to homeroom teachers, shared by the server and the SPA.
 *
 * A case walks acknowledged → interviewed (约谈) → plan (monitor | school support | consultation 会诊 |
 * referral 转介) → referral (hospital, date, green channel, outcome) → follow-up appointments → closed
 * (reason) or return to school after leave (复学). The machine itself is src/server/features/cases/steps.ts.
 *
 * A notice carries the student's name, the class and the words "please check in": never a score, a tier or
 * a reason; the schema has no place for one.
 */
import { z } from "zod";
import { ApiErrorBody, Id } from "./api";

/** Free text of a step (notes, outcome, reason): kept verbatim, encrypted at rest. */
export const NOTE_MAX = 20_000;
const Note = z.string().min(1).max(NOTE_MAX);

/** A calendar day, "2026-03-02", that exists. */
export const CalendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date like 2026-03-02")
  .refine((s) => {
    const d = new Date(`${s}T00:00:00Z`);
    return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
  }, "no such day");

export const CaseTier = z.enum(["red", "orange"]);
export type CaseTier = z.infer<typeof CaseTier>;

export const CasePlan = z.enum(["monitor", "school-support", "consultation", "referral"]);
export type CasePlan = z.infer<typeof CasePlan>;

export const CaseState = z.enum(["opened", "acknowledged", "interviewed", "planned", "referred", "following-up", "returned", "closed"]);
export type CaseState = z.infer<typeof CaseState>;

/** `dueDate`: when the next step is due (the end of that day, China time); see cases/steps.ts for defaults. */
const Due = { dueDate: CalendarDate.optional() };

export const StepBody = z.discriminatedUnion("kind", [
  z.strictObject({ kind: z.literal("acknowledge") }),
  z.strictObject({ kind: z.literal("interview"), date: CalendarDate, notes: Note, ...Due }),
  z.strictObject({ kind: z.literal("plan"), plan: CasePlan, notes: Note.optional(), ...Due }),
  z.strictObject({ kind: z.literal("referral"), hospital: z.string().min(1).max(200), date: CalendarDate, greenChannel: z.boolean(), outcome: Note.optional(), ...Due }),
  z.strictObject({ kind: z.literal("follow-up"), date: CalendarDate, notes: Note.optional(), ...Due }),
  z.strictObject({ kind: z.literal("return"), date: CalendarDate, plan: Note, ...Due }),
  z.strictObject({ kind: z.literal("close"), reason: Note }),
]);
export type StepBody = z.infer<typeof StepBody>;
export type StepKind = StepBody["kind"];
export const STEP_KINDS = ["acknowledge", "interview", "plan", "referral", "follow-up", "return", "close"] as const satisfies readonly StepKind[];

/** POST /api/cases. `assignee`: a counselor of the school (default: the caller, when a counselor). */
export const CaseCreate = z.strictObject({
  studentId: Id,
  tier: CaseTier,
  reason: Note,
  assignee: Id.optional(),
});
export type CaseCreate = z.infer<typeof CaseCreate>;

export const CaseParams = z.strictObject({ id: Id });

/** GET /api/cases?mine=1 — my open cases; without `mine`, every open case of the school. */
export const CaseQuery = z.strictObject({
  mine: z.enum(["0", "1", "true", "false"]).optional(),
  state: z.enum(["open", "closed", "all"]).default("open"),
});

const ClassRef = z.object({ id: z.string(), grade: z.number(), label: z.string() });
const Person = z.object({ id: z.string(), name: z.string() });

export const CaseSummary = z.object({
  id: z.string(),
  studentId: z.string(),
  studentName: z.string(),
  class: ClassRef,
  tier: CaseTier,
  state: CaseState,
  plan: CasePlan.nullable(),
  assignee: Person,
  openedAt: z.string(),
  dueAt: z.string().nullable(),
  overdue: z.boolean(),
  escalatedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
});
export type CaseSummary = z.infer<typeof CaseSummary>;

export const CaseList = z.object({ cases: z.array(CaseSummary) });

/** One step as stored: its enumerations and dates in the clear, its free text decrypted for the reader. */
export const CaseStep = z.object({
  id: z.string(),
  seq: z.number(),
  kind: z.enum(["open", ...STEP_KINDS]),
  at: z.string(),
  by: Person,
  date: z.string().nullable(),
  plan: CasePlan.nullable(),
  greenChannel: z.boolean().nullable(),
  dueDate: z.string().nullable(),
  /** notes, hospital, outcome, reason, return plan: whichever the step has */
  text: z.record(z.string(), z.string()),
});
export type CaseStep = z.infer<typeof CaseStep>;

export const CaseDetail = CaseSummary.extend({
  reason: z.string(),
  alertId: z.string().nullable(),
  policyVersion: z.string(),
  steps: z.array(CaseStep),
  /** The steps that may come next (the SPA offers only these). */
  allowed: z.array(z.enum(STEP_KINDS)),
});
export type CaseDetail = z.infer<typeof CaseDetail>;

/** POST /api/students/:id/checkin-notice takes no content: what the teacher reads is fixed text. */
export const CheckinNoticeBody = z.union([z.strictObject({}), z.null()]).optional();
export const StudentParams = z.strictObject({ id: Id });

/** The fixed words of a notice (zh-CN and English). */
export const CHECKIN_TEXT = {
  "zh-CN": "请找时间与该生谈心，关心近况。",
  en: "Please check in with this student.",
} as const;

/**
 * What a homeroom teacher finds in their notices: a "please check in with" notice (due by `dueAt`, done
 * when they checked in) or a counselor's feedback on a case step (src/shared/feedback.ts; no due date,
 * done when read). Both carry fixed words only.
 */
export const Notice = z.object({
  id: z.string(),
  kind: z.enum(["checkin", "feedback"]),
  studentId: z.string(),
  studentName: z.string(),
  class: ClassRef,
  message: z.object({ "zh-CN": z.string(), en: z.string() }),
  createdAt: z.string(),
  dueAt: z.string().nullable(),
  doneAt: z.string().nullable(),
});
export type Notice = z.infer<typeof Notice>;

export const NoticeList = z.object({ notices: z.array(Notice) });
export const NoticeCreated = z.object({ id: z.string(), dueAt: z.string().nullable(), created: z.boolean() });

/** 409 of POST /api/cases/:id/steps: the step is not allowed in the case's state; `allowed` lists what is. */
export const InvalidTransition = ApiErrorBody.extend({ allowed: z.array(z.enum(STEP_KINDS)) });
