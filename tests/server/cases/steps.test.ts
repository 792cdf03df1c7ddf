import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CasePlan, CaseState, StepBody } from "../../../src/shared/cases";
import { CaseState as CaseStateSchema, STEP_KINDS } from "../../../src/shared/cases";
import { addSchoolDays, chinaDate, dueAfterSchoolDays, endOfChinaDay } from "../../../src/server/features/cases/school-days";
import { allowedSteps, applyStep, dueAfterStep } from "../../../src/server/features/cases/steps";

const NOW = new Date("2026-03-06T02:00:00Z"); // Friday 10:00 in China

/** The smallest valid body of each step kind. */
const aStep: Record<StepBody["kind"], StepBody> = {
  acknowledge: { kind: "acknowledge" },
  interview: { kind: "interview", date: "2026-03-06", notes: "谈话记录" },
  plan: { kind: "plan", plan: "monitor" },
  referral: { kind: "referral", hospital: "市精神卫生中心", date: "2026-03-10", greenChannel: true },
  "follow-up": { kind: "follow-up", date: "2026-03-13" },
  return: { kind: "return", date: "2026-04-01", plan: "复学计划" },
  close: { kind: "close", reason: "好转" },
};

describe("counting school days (Monday to Friday, China time)", () => {
  it.each([
    ["2026-03-02", 0, "2026-03-02"], // Monday, same day
    ["2026-03-02", 3, "2026-03-05"], // Monday → Thursday
    ["2026-03-04", 3, "2026-03-09"], // Wednesday → next Monday, across the weekend
    ["2026-03-05", 3, "2026-03-10"], // Thursday → Tuesday
    ["2026-03-06", 3, "2026-03-11"], // Friday → Wednesday
    ["2026-03-07", 3, "2026-03-11"], // Saturday → Wednesday
    ["2026-03-08", 1, "2026-03-09"], // Sunday → Monday
    ["2026-03-07", 0, "2026-03-07"], // red on a Saturday is still that day
    ["2026-03-02", 10, "2026-03-16"], // yellow: two weeks
  ])("from %s, %i school days is %s", (from, n, to) => {
    expect(addSchoolDays(from, n)).toBe(to);
  });

  it.each([
    ["2026-03-05T15:59:59Z", "2026-03-05"],
    ["2026-03-05T16:00:00Z", "2026-03-06"], // midnight in China
  ])("takes the calendar day of %s in China time: %s", (at, day) => {
    expect(chinaDate(new Date(at))).toBe(day);
  });

  it("makes red due at the end of the same China day and orange at the end of the third school day", () => {
    expect(dueAfterSchoolDays(NOW, 0).toISOString()).toBe("2026-03-06T15:59:59.999Z");
    expect(dueAfterSchoolDays(NOW, 3).toISOString()).toBe("2026-03-11T15:59:59.999Z");
  });

  it("never lands on a weekend when counting one or more school days", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3650 }), fc.integer({ min: 1, max: 30 }), (offset, n) => {
        const from = new Date(Date.UTC(2024, 0, 1) + offset * 86_400_000).toISOString().slice(0, 10);
        const day = new Date(`${addSchoolDays(from, n)}T00:00:00Z`).getUTCDay();
        return day >= 1 && day <= 5 && addSchoolDays(from, n) > from;
      }),
    );
  });
});

describe("the case state machine", () => {
  it.each<[CaseState, CasePlan | null, string[]]>([
    ["opened", null, ["acknowledge"]],
    ["acknowledged", null, ["interview"]],
    ["interviewed", null, ["interview", "plan"]],
    ["planned", "referral", ["referral"]],
    ["planned", "consultation", ["referral", "follow-up", "plan"]],
    ["planned", "monitor", ["follow-up", "plan", "close"]],
    ["planned", "school-support", ["follow-up", "plan", "close"]],
    ["referred", "referral", ["referral", "follow-up", "return", "close"]],
    ["following-up", "monitor", ["follow-up", "plan", "referral", "return", "close"]],
    ["returned", "referral", ["follow-up", "close"]],
    ["closed", "monitor", []],
  ])("allows after %s (plan %s): %j", (state, plan, allowed) => {
    expect(allowedSteps(state, plan)).toEqual(allowed);
  });

  it("refuses an interview before the case is acknowledged, naming the allowed step", () => {
    expect(applyStep({ state: "opened", plan: null, dueAt: null }, aStep.interview, NOW)).toEqual({ kind: "invalid", from: "opened", step: "interview", allowed: ["acknowledge"] });
  });

  it("keeps the policy's due date when acknowledging and clears it when closing", () => {
    const due = new Date("2026-03-06T15:59:59.999Z");
    expect(applyStep({ state: "opened", plan: null, dueAt: due }, aStep.acknowledge, NOW)).toEqual({ kind: "applied", state: "acknowledged", plan: null, dueAt: due });
    expect(applyStep({ state: "planned", plan: "monitor", dueAt: due }, aStep.close, NOW)).toEqual({ kind: "applied", state: "closed", plan: "monitor", dueAt: null });
  });

  it("records the plan chosen and makes a referral the only next step of a referral plan", () => {
    const out = applyStep({ state: "interviewed", plan: null, dueAt: null }, { kind: "plan", plan: "referral" }, NOW);
    expect(out).toMatchObject({ kind: "applied", state: "planned", plan: "referral" });
    expect(allowedSteps("planned", "referral")).toEqual(["referral"]);
  });

  it.each<[string, StepBody, string | null]>([
    ["a follow-up appointment ahead is due at the end of its day", { kind: "follow-up", date: "2026-03-13" }, "2026-03-13T15:59:59.999Z"],
    ["a follow-up held today is due today", { kind: "follow-up", date: "2026-03-06" }, "2026-03-06T15:59:59.999Z"],
    ["a follow-up recorded after the fact leaves nothing due", { kind: "follow-up", date: "2026-03-01" }, null],
    ["an interview leaves nothing due", aStep.interview, null],
    ["the counselor's own due date wins", { kind: "interview", date: "2026-03-06", notes: "x", dueDate: "2026-03-09" }, "2026-03-09T15:59:59.999Z"],
    ["a referral date ahead is due", aStep.referral, "2026-03-10T15:59:59.999Z"],
  ])("%s", (_what, step, due) => {
    expect(dueAfterStep(new Date("2026-03-06T15:59:59.999Z"), step, NOW)?.toISOString() ?? null).toBe(due);
  });

  it("never leaves a closed case and never reaches an unknown state, whatever steps are tried", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...STEP_KINDS), { maxLength: 30 }), fc.constantFrom<CasePlan>("monitor", "school-support", "consultation", "referral"), (kinds, plan) => {
        let c = { state: "opened" as CaseState, plan: null as CasePlan | null, dueAt: null as Date | null };
        for (const kind of kinds) {
          const step = kind === "plan" ? { kind: "plan" as const, plan } : aStep[kind];
          const out = applyStep(c, step, NOW);
          if (c.state === "closed") expect(out.kind).toBe("invalid");
          if (out.kind === "applied") c = { state: out.state, plan: out.plan, dueAt: out.dueAt };
          else expect(out.allowed).toEqual(allowedSteps(c.state, c.plan));
          expect(CaseStateSchema.options).toContain(c.state);
        }
      }),
    );
  });

  it("ends a day at its last millisecond in China time", () => {
    expect(endOfChinaDay("2026-03-06").toISOString()).toBe("2026-03-06T15:59:59.999Z");
  });
});
