/**
 * Cases in the database: opening one (from the watch list, or from an acknowledged alert), reading one
 * with its steps decrypted, listing, and writing a step. Free text is encrypted with the row's id in the
 * context: `cases.reason_enc:<case id>`, `case_steps.notes_enc:<step id>`.
 */
import { defaultPolicy, policies } from "../../../../scoring/index";
import type { CaseDetail, CasePlan, CaseState, CaseStep, CaseSummary, CaseTier, StepBody } from "../../../shared/cases";
import { decrypt, encrypt, type DataKeys } from "../../crypto/cipher";
import { isUniqueViolation, type Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { ApiError } from "../../errors";
import { accountName, studentName } from "../alerts/store";
import { dueAfterSchoolDays } from "./school-days";
import { allowedSteps } from "./steps";

export const reasonContext = (caseId: string): string => `cases.reason_enc:${caseId}`;
export const stepNotesContext = (stepId: string): string => `case_steps.notes_enc:${stepId}`;

/** The tier policy in force for a school: its latest opened wave's, else the default. */
export async function schoolPolicy(q: Queryable, schoolId: string) {
  const { rows } = await q.query<{ policy_version: string }>(
    "SELECT policy_version FROM waves WHERE school_id = $1 AND status <> 'draft' ORDER BY opens_at DESC, id LIMIT 1",
    [schoolId],
  );
  const version = rows[0]?.policy_version;
  return (version === undefined ? undefined : policies.get(version)) ?? defaultPolicy;
}

export interface OpenCaseInput {
  readonly schoolId: string;
  readonly studentId: string;
  readonly tier: CaseTier;
  readonly reason: string;
  readonly assignee: string;
  readonly openedBy: string;
  /** When the student was flagged (the alert's time, or now): the due date counts from it. */
  readonly flaggedAt: Date;
  readonly alertId: string | null;
  /** An alert acknowledged by the assignee opens the case acknowledged. */
  readonly acknowledged: boolean;
}

/** 409 `case_open` naming the student's open case. */
export class CaseOpenError extends ApiError {
  constructor(readonly caseId: string | null) {
    super(409, "case_open", "this student already has an open case / 该生已有进行中的个案", caseId === null ? undefined : [{ path: "body.studentId", code: "case_open", message: `open case ${caseId}` }]);
  }
}

/** Opens a case inside `tx`; a student with an open case gets CaseOpenError (the unique index decides). */
export async function openCase(tx: Queryable, deps: Pick<Deps, "keys" | "newId" | "now">, input: OpenCaseInput): Promise<string> {
  const existing = await tx.query<{ id: string }>("SELECT id FROM cases WHERE student_id = $1 AND state <> 'closed'", [input.studentId]);
  if (existing.rows[0]) throw new CaseOpenError(existing.rows[0].id);
  const policy = await schoolPolicy(tx, input.schoolId);
  const id = deps.newId();
  const now = deps.now();
  const dueAt = dueAfterSchoolDays(input.flaggedAt, policy.dueSchoolDays[input.tier]);
  try {
    await tx.query(
      `INSERT INTO cases (id, school_id, student_id, tier, reason_enc, state, assigned_to, opened_by, opened_at, due_at, alert_id, policy_version, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $9)`,
      [id, input.schoolId, input.studentId, input.tier, encrypt(deps.keys, input.reason, reasonContext(id)), input.acknowledged ? "acknowledged" : "opened", input.assignee, input.openedBy, now, dueAt, input.alertId, policy.version],
    );
  } catch (e) {
    // A case opened by a concurrent call: the transaction is aborted now, so no lookup of its id.
    if (isUniqueViolation(e)) throw new CaseOpenError(null);
    throw e;
  }
  await insertStep(tx, deps, { caseId: id, seq: 1, kind: "open", at: now, by: input.openedBy, data: { tier: input.tier, dueDate: null }, text: {} });
  if (input.acknowledged) await insertStep(tx, deps, { caseId: id, seq: 2, kind: "acknowledge", at: now, by: input.openedBy, data: {}, text: {} });
  return id;
}

interface NewStep {
  readonly caseId: string;
  readonly seq: number;
  readonly kind: CaseStep["kind"];
  readonly at: Date;
  readonly by: string;
  /** Enumerations, dates and flags only. */
  readonly data: Record<string, unknown>;
  /** Free text: encrypted. */
  readonly text: Record<string, string>;
}

async function insertStep(tx: Queryable, deps: Pick<Deps, "keys" | "newId">, s: NewStep): Promise<void> {
  const id = deps.newId();
  const notes = Object.keys(s.text).length === 0 ? null : encrypt(deps.keys, JSON.stringify(s.text), stepNotesContext(id));
  await tx.query("INSERT INTO case_steps (id, case_id, seq, kind, at, by_account, data, notes_enc) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", [
    id,
    s.caseId,
    s.seq,
    s.kind,
    s.at,
    s.by,
    JSON.stringify(s.data),
    notes,
  ]);
}

/** A step body split into what may be stored in the clear and the free text that is encrypted. */
export function splitStep(step: StepBody): { data: Record<string, unknown>; text: Record<string, string> } {
  switch (step.kind) {
    case "acknowledge":
      return { data: {}, text: {} };
    case "interview":
      return { data: { date: step.date, dueDate: step.dueDate ?? null }, text: { notes: step.notes } };
    case "plan":
      return { data: { plan: step.plan, dueDate: step.dueDate ?? null }, text: step.notes === undefined ? {} : { notes: step.notes } };
    case "referral":
      return { data: { date: step.date, greenChannel: step.greenChannel, dueDate: step.dueDate ?? null }, text: { hospital: step.hospital, ...(step.outcome === undefined ? {} : { outcome: step.outcome }) } };
    case "follow-up":
      return { data: { date: step.date, dueDate: step.dueDate ?? null }, text: step.notes === undefined ? {} : { notes: step.notes } };
    case "return":
      return { data: { date: step.date, dueDate: step.dueDate ?? null }, text: { plan: step.plan } };
    case "close":
      return { data: {}, text: { reason: step.reason } };
  }
}

export interface CaseRow extends Record<string, unknown> {
  id: string;
  school_id: string;
  student_id: string;
  tier: CaseTier;
  reason_enc: string;
  state: CaseState;
  plan: CasePlan | null;
  assigned_to: string;
  assignee_name_enc: string | null;
  assignee_username: string;
  opened_at: Date;
  due_at: Date | null;
  escalated_at: Date | null;
  closed_at: Date | null;
  alert_id: string | null;
  policy_version: string;
  name_enc: string;
  class_id: string;
  grade: number;
  label: string;
}

export const CASE_SELECT = `SELECT cs.id, cs.school_id, cs.student_id, cs.tier, cs.reason_enc, cs.state, cs.plan, cs.assigned_to,
       a.display_name_enc AS assignee_name_enc, a.username AS assignee_username, cs.opened_at, cs.due_at, cs.escalated_at,
       cs.closed_at, cs.alert_id, cs.policy_version, st.name_enc, c.id AS class_id, c.grade, c.label
  FROM cases cs
  JOIN students st ON st.id = cs.student_id
  JOIN classes c ON c.id = st.class_id
  JOIN accounts a ON a.id = cs.assigned_to`;

export function toSummary(keys: DataKeys, row: CaseRow, now: Date): CaseSummary {
  return {
    id: row.id,
    studentId: row.student_id,
    studentName: studentName(keys, row.student_id, row.name_enc),
    class: { id: row.class_id, grade: row.grade, label: row.label },
    tier: row.tier,
    state: row.state,
    plan: row.plan,
    assignee: { id: row.assigned_to, name: accountName(keys, row.assigned_to, row.assignee_name_enc, row.assignee_username) },
    openedAt: row.opened_at.toISOString(),
    dueAt: row.due_at?.toISOString() ?? null,
    overdue: row.state !== "closed" && row.due_at !== null && row.due_at.getTime() < now.getTime(),
    escalatedAt: row.escalated_at?.toISOString() ?? null,
    closedAt: row.closed_at?.toISOString() ?? null,
  };
}

export async function readCaseRow(q: Queryable, id: string, lock = false): Promise<CaseRow | undefined> {
  const { rows } = await q.query<CaseRow>(`${CASE_SELECT} WHERE cs.id = $1${lock ? " FOR UPDATE OF cs" : ""}`, [id]);
  return rows[0];
}

interface StepRow extends Record<string, unknown> {
  id: string;
  seq: number;
  kind: CaseStep["kind"];
  at: Date;
  by_account: string;
  by_name_enc: string | null;
  by_username: string;
  data: Record<string, unknown>;
  notes_enc: string | null;
}

/** A case with its reason and every step decrypted, and the steps allowed next. */
export async function readCaseDetail(q: Queryable, keys: DataKeys, row: CaseRow, now: Date): Promise<CaseDetail> {
  const { rows } = await q.query<StepRow>(
    `SELECT s.id, s.seq, s.kind, s.at, s.by_account, a.display_name_enc AS by_name_enc, a.username AS by_username, s.data, s.notes_enc
       FROM case_steps s JOIN accounts a ON a.id = s.by_account WHERE s.case_id = $1 ORDER BY s.seq`,
    [row.id],
  );
  const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
  return {
    ...toSummary(keys, row, now),
    reason: decrypt(keys, row.reason_enc, reasonContext(row.id)),
    alertId: row.alert_id,
    policyVersion: row.policy_version,
    allowed: [...allowedSteps(row.state, row.plan)],
    steps: rows.map((s) => ({
      id: s.id,
      seq: s.seq,
      kind: s.kind,
      at: s.at.toISOString(),
      by: { id: s.by_account, name: accountName(keys, s.by_account, s.by_name_enc, s.by_username) },
      date: str(s.data.date),
      plan: (str(s.data.plan) as CasePlan | null) ?? null,
      greenChannel: typeof s.data.greenChannel === "boolean" ? s.data.greenChannel : null,
      dueDate: str(s.data.dueDate),
      text: s.notes_enc === null ? {} : (JSON.parse(decrypt(keys, s.notes_enc, stepNotesContext(s.id))) as Record<string, string>),
    })),
  };
}

/** Writes a step the machine accepted and the case's new state. */
export async function writeStep(
  tx: Queryable,
  deps: Pick<Deps, "keys" | "newId">,
  c: { id: string; by: string; at: Date },
  step: StepBody,
  next: { state: CaseState; plan: CasePlan | null; dueAt: Date | null },
): Promise<void> {
  const { rows } = await tx.query<{ seq: number }>("SELECT COALESCE(MAX(seq), 0)::int AS seq FROM case_steps WHERE case_id = $1", [c.id]);
  const { data, text } = splitStep(step);
  await insertStep(tx, deps, { caseId: c.id, seq: rows[0]!.seq + 1, kind: step.kind, at: c.at, by: c.by, data, text });
  await tx.query(
    // a new due date may escalate again; the same one (e.g. after acknowledging) stays escalated
    `UPDATE cases SET state = $2, plan = $3, due_at = $4::timestamptz, escalated_at = CASE WHEN due_at IS DISTINCT FROM $4::timestamptz THEN NULL ELSE escalated_at END,
            closed_at = $5, updated_at = $6 WHERE id = $1`,
    [c.id, next.state, next.plan, next.dueAt, next.state === "closed" ? c.at : null, c.at],
  );
}
