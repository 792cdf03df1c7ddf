import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffAnswers, isEmptyAnswers, mergeAnswers, type AnswerMap, type AnswerValue } from "../../../src/app/student/answers";

const value: fc.Arbitrary<AnswerValue> = fc.oneof(fc.constant(null), fc.integer({ min: 0, max: 3 }), fc.constantFrom("yes", "no", ""), fc.subarray(["a", "b", "c"]));
const answerMap: fc.Arbitrary<AnswerMap> = fc.dictionary(fc.constantFrom("phq9", "gad7", "asq"), fc.dictionary(fc.constantFrom("q1", "q2", "q3", "q4"), value));

const blank = (v: AnswerValue | undefined) => v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
/** What the server keeps: blank values are "no answer". */
const stored = (m: AnswerMap) =>
  Object.fromEntries(
    Object.entries(m)
      .map(([i, items]) => [i, Object.fromEntries(Object.entries(items).filter(([, v]) => !blank(v)))] as const)
      .filter(([, items]) => Object.keys(items).length > 0),
  );

describe("diffAnswers", () => {
  it("sends only the items whose value changed", () => {
    const base = { phq9: { q1: 1, q2: 2 }, gad7: { q1: 0 } };
    const next = { phq9: { q1: 1, q2: 3 }, gad7: { q1: 0 }, asq: { q1: "no" } };
    expect(diffAnswers(base, next)).toEqual({ phq9: { q2: 3 }, asq: { q1: "no" } });
  });

  it("treats null, empty text, an empty list and an absent item alike as unanswered", () => {
    expect(diffAnswers({ phq9: { q2: 1 } }, { phq9: { q1: null, q2: 1, q3: "", q4: [] }, gad7: { q1: null } })).toEqual({});
  });

  it("sends a cleared answer as null", () => {
    expect(diffAnswers({ phq9: { q1: 2 } }, { phq9: { q1: null } })).toEqual({ phq9: { q1: null } });
  });

  it("compares multi answers by their values in order", () => {
    expect(diffAnswers({ x: { m: ["a", "b"] } }, { x: { m: ["a", "b"] } })).toEqual({});
    expect(diffAnswers({ x: { m: ["a", "b"] } }, { x: { m: ["a"] } })).toEqual({ x: { m: ["a"] } });
  });

  it("never changes its inputs", () => {
    const base = Object.freeze({ phq9: Object.freeze({ q1: 1 }) });
    const next = Object.freeze({ phq9: Object.freeze({ q1: 2 }) });
    expect(() => diffAnswers(base, next)).not.toThrow();
  });

  it("laid over the base by the server's item-by-item merge, gives the new answers (property)", () => {
    fc.assert(
      fc.property(answerMap, answerMap, (base, next) => {
        const patch = diffAnswers(stored(base), next);
        const merged = stored(mergeAnswers(stored(base), patch));
        // Every item the page holds reads the same on the server after the merge.
        for (const [inst, items] of Object.entries(next)) {
          for (const [item, v] of Object.entries(items)) {
            const got = merged[inst]?.[item];
            if (blank(v)) expect(blank(got)).toBe(true);
            else expect(got).toEqual(v);
          }
        }
      }),
    );
  });

  it("finds nothing to send between a map and itself (property)", () => {
    fc.assert(fc.property(answerMap, (m) => isEmptyAnswers(diffAnswers(m, m))));
  });
});
