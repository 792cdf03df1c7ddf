/**
 * The case as a state machine (issue 6, "Cases (the closed loop)"). Pure: the state is the last step
 * taken; `applyStep` says what a step makes of a case, or which steps were allowed instead.
 *
 *   opened ─acknowledge→ acknowledged ─interview→ interviewed ─plan→ planned
 *   planned(referral) → referral; planned(consultation 会诊) → referral | follow-up | plan;
 *   planned(monitor | school-support) → follow-up | plan | close
 *   referred → referral (a later outcome) | follow-up | return | close
 *   following-up → follow-up | plan | referral | return | close
 *   returned (复学) → follow-up | close;   closed → nothing
 */
import type { CasePlan, CaseState, StepBody, StepKind } from "../../../shared/cases";
import { chinaDate, endOfChinaDay } from "./school-days";

/** What the machine needs of a case. */
export interface CaseSnapshot {
  readonly state: CaseState;
  readonly plan: CasePlan | null;
  readonly dueAt: Date | null;
}

const AFTER: Readonly<Record<Exclude<CaseState, "planned">, readonly StepKind[]>> = {
  opened: ["acknowledge"],
  acknowledged: ["interview"],
  interviewed: ["interview", "plan"],
  referred: ["referral", "follow-up", "return", "close"],
  "following-up": ["follow-up", "plan", "referral", "return", "close"],
  returned: ["follow-up", "close"],
  closed: [],
};

const AFTER_PLAN: Readonly<Record<CasePlan, readonly StepKind[]>> = {
  referral: ["referral"],
  consultation: ["referral", "follow-up", "plan"],
  monitor: ["follow-up", "plan", "close"],
  "school-support": ["follow-up", "plan", "close"],
};

/** The steps that may follow a case in `state` (with its current plan). */
export function allowedSteps(state: CaseState, plan: CasePlan | null): readonly StepKind[] {
  if (state === "planned") return plan === null ? ["plan"] : AFTER_PLAN[plan];
  return AFTER[state];
}

const STATE_AFTER: Readonly<Record<StepKind, CaseState>> = {
  acknowledge: "acknowledged",
  interview: "interviewed",
  plan: "planned",
  referral: "referred",
  "follow-up": "following-up",
  return: "returned",
  close: "closed",
};

export type StepOutcome =
  | { readonly kind: "applied"; readonly state: CaseState; readonly plan: CasePlan | null; readonly dueAt: Date | null }
  | { readonly kind: "invalid"; readonly from: CaseState; readonly step: StepKind; readonly allowed: readonly StepKind[] };

/**
 * When the next step is due after `step`: acknowledging keeps the due date (the interview is due by the
 * policy's date); closing clears it; otherwise the counselor's `dueDate`, else a referral, follow-up or
 * return date still ahead (today counts), else nothing.
 */
export function dueAfterStep(current: Date | null, step: StepBody, now: Date): Date | null {
  if (step.kind === "acknowledge") return current;
  if (step.kind === "close") return null;
  if (step.dueDate !== undefined) return endOfChinaDay(step.dueDate);
  if ((step.kind === "referral" || step.kind === "follow-up" || step.kind === "return") && step.date >= chinaDate(now)) return endOfChinaDay(step.date);
  return null;
}

/** Applies one step to a case: its new state, plan and due date, or the steps allowed instead. */
export function applyStep(c: CaseSnapshot, step: StepBody, now: Date): StepOutcome {
  const allowed = allowedSteps(c.state, c.plan);
  if (!allowed.includes(step.kind)) return { kind: "invalid", from: c.state, step: step.kind, allowed };
  return {
    kind: "applied",
    state: STATE_AFTER[step.kind],
    plan: step.kind === "plan" ? step.plan : c.plan,
    dueAt: dueAfterStep(c.dueAt, step, now),
  };
}
