import { describe, expect, it } from "vitest";
import { asq } from "../../instruments/asq";
import { gad7 } from "../../instruments/gad7";
import { phq9 } from "../../instruments/phq9";
import { wellbeingFactors } from "../../instruments/wellbeing-factors";
import { who5 } from "../../instruments/who5";
import type { Answers, PageTiming } from "../../scoring/index";
import { checkValidity, defaultPolicy } from "../../scoring/index";
import { answers } from "./builders";

const battery = [phq9, gad7, who5, asq, wellbeingFactors];
const params = defaultPolicy.validity;

/** A plausible, attentive response to the secondary battery. */
function aResponse(over: Record<string, Answers> = {}): Record<string, Answers> {
  const factors = Object.fromEntries(wellbeingFactors.items.filter((it) => !it.optional && it.type === "single").map((it) => [it.id, it.attention ? it.attention.expected : ((it.options ?? [])[1]?.value ?? null)]));
  return {
    phq9: answers.phq9([1, 0, 2, 1, 0, 0, 1, 0, 0]),
    gad7: answers.gad7([1, 1, 0, 0, 1, 0, 0]),
    who5: answers.who5([3, 3, 2, 4, 3]),
    asq: answers.asq("no", "no", "no", "no"),
    "wellbeing-factors": factors,
    ...over,
  };
}

/** Pages timed at `seconds` per page, starting at a fixed moment. */
function pagesAt(secondsPerPage: number): PageTiming[] {
  const start = Date.UTC(2026, 2, 2, 0, 0, 0);
  return battery.map((inst, i) => ({ instrument: inst.id, startedAt: start + i * secondsPerPage * 1000, endedAt: start + (i + 1) * secondsPerPage * 1000 }));
}

describe("checkValidity", () => {
  it("finds an attentive response at a normal pace valid", () => {
    expect(checkValidity(battery, aResponse(), pagesAt(60), params)).toEqual({ kind: "valid" });
  });

  it("skips the speed check when no page was timed", () => {
    expect(checkValidity(battery, aResponse(), [], params)).toEqual({ kind: "valid" });
  });

  it.each([
    [1.9, "questionable"],
    [2.1, "valid"],
  ])("at %s seconds per item the response is %s (minimum 2 s)", (secondsPerItem, kind) => {
    const given = aResponse();
    const answered = battery.reduce((n, inst) => n + inst.items.filter((it) => it.type !== "text" && given[inst.id]?.[it.id] != null).length, 0);
    const pages = pagesAt((secondsPerItem * answered) / battery.length);
    const result = checkValidity(battery, given, pages, params);
    expect(result.kind).toBe(kind);
    if (result.kind === "questionable") expect(result.reasons).toEqual([{ code: "too-fast", evidence: `${secondsPerItem.toFixed(1)} s per item (minimum 2 s)` }]);
  });

  it("flags WHO-5 all at the top together with PHQ-9 all at the top as straight-lining", () => {
    const result = checkValidity(battery, aResponse({ phq9: answers.phq9([3, 3, 3, 3, 3, 3, 3, 3, 3]), who5: answers.who5([5, 5, 5, 5, 5]) }), pagesAt(60), params);
    expect(result).toEqual({ kind: "questionable", reasons: [{ code: "straight-lining", evidence: "who5 all max with phq9 all max" }] });
  });

  it("flags WHO-5 all at the bottom together with GAD-7 all at the bottom", () => {
    const result = checkValidity(battery, aResponse({ gad7: answers.gad7([0, 0, 0, 0, 0, 0, 0]), who5: answers.who5([0, 0, 0, 0, 0]) }), pagesAt(60), params);
    expect(result).toMatchObject({ kind: "questionable", reasons: [{ code: "straight-lining" }] });
  });

  it("does not flag consistent extremes: high well-being and no symptoms", () => {
    const result = checkValidity(battery, aResponse({ phq9: answers.phq9([0, 0, 0, 0, 0, 0, 0, 0, 0]), who5: answers.who5([5, 5, 5, 5, 5]) }), pagesAt(60), params);
    expect(result).toEqual({ kind: "valid" });
  });

  it("flags a failed attention item with the answer given", () => {
    const given = aResponse();
    const result = checkValidity(battery, { ...given, "wellbeing-factors": { ...given["wellbeing-factors"], attention: 3 } }, pagesAt(60), params);
    expect(result).toEqual({ kind: "questionable", reasons: [{ code: "attention-failed", evidence: "wellbeing-factors.attention: answered 3, asked for 1" }] });
  });

  it("flags more than a fifth of the required items blank", () => {
    const given = aResponse({ gad7: {}, asq: {} });
    const result = checkValidity(battery, given, pagesAt(60), params);
    expect(result).toMatchObject({ kind: "questionable", reasons: [{ code: "too-much-missing" }] });
  });

  it("reports every problem it finds", () => {
    const result = checkValidity(battery, aResponse({ phq9: answers.phq9([3, 3, 3, 3, 3, 3, 3, 3, 3]), who5: answers.who5([5, 5, 5, 5, 5]), "wellbeing-factors": {} }), pagesAt(5), params);
    expect(result.kind === "questionable" && result.reasons.map((r) => r.code)).toEqual(["too-fast", "straight-lining", "attention-failed", "too-much-missing"]);
  });
});
