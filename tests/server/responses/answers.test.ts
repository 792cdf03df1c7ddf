import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asq } from "../../../instruments/asq";
import { phq9 } from "../../../instruments/phq9";
import { checkAnswers, checkCurrentPage, mergeAnswers, mergeVisits, pageTimings, splitText } from "../../../src/server/features/responses/answers";

describe("checking answers against a battery", () => {
  it("accepts valid answers, blanks and nulls", () => {
    expect(checkAnswers([phq9, asq], { phq9: { q1: 0, q2: 3, q3: null }, asq: { q1: "no", q4: "yes", "q4-detail": "" } })).toEqual([]);
  });

  it("names every problem by its path", () => {
    expect(checkAnswers([phq9], { phq9: { q1: 4, q2: "x", zz: 1 }, gad7: { q1: 1 } }).map((p) => [p.path, p.code])).toEqual([
      ["answers.phq9.q1", "out_of_range"],
      ["answers.phq9.q2", "out_of_range"],
      ["answers.phq9.zz", "unknown_item"],
      ["answers.gad7", "unknown_instrument"],
    ]);
  });

  it.each([
    [1000, []],
    [1001, ["text_too_long"]],
  ])("limits free text to the comment box's length: %i characters", (length, codes) => {
    expect(checkAnswers([asq], { asq: { "q4-detail": "字".repeat(length) } }).map((p) => p.code)).toEqual(codes);
  });

  it("keeps a hostile value out of the message at full length", () => {
    const [problem] = checkAnswers([phq9], { phq9: { q1: "x".repeat(100_000) } });
    expect(problem!.message.length).toBeLessThan(300);
  });

  it("never throws, whatever the page sends", () => {
    const value = fc.oneof(fc.integer(), fc.double(), fc.string(), fc.array(fc.oneof(fc.string(), fc.integer())), fc.constant(null));
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.dictionary(fc.string(), value)), (answers) => {
        expect(Array.isArray(checkAnswers([phq9, asq], answers))).toBe(true);
      }),
    );
  });

  it.each([
    [0, true],
    [1, true],
    [2, false],
  ])("accepts page %i of a two-page survey: %s", (page, ok) => {
    expect(checkCurrentPage([phq9, asq], page).length === 0).toBe(ok);
  });
});

describe("merging saves", () => {
  it("lays a save over the stored answers item by item, and a blank removes an answer", () => {
    const stored: Record<string, Record<string, number | string>> = { phq9: { q1: 1, q2: 2 }, asq: { q1: "no" } };
    const merged = mergeAnswers(stored, { phq9: { q2: null, q3: 3 }, asq: { q1: "" } });
    expect(merged).toEqual({ phq9: { q1: 1, q3: 3 } });
    expect(stored).toEqual({ phq9: { q1: 1, q2: 2 }, asq: { q1: "no" } });
  });

  it("splits free text from choice answers", () => {
    expect(splitText([asq], { asq: { q4: "yes", "q4-detail": "t" } })).toEqual({ choices: { asq: { q4: "yes" } }, texts: { asq: { "q4-detail": "t" } } });
  });

  it("keeps each page visit once, the later end winning, in order of start", () => {
    const merged = mergeVisits(
      [{ instrument: "asq", startedAt: 200, endedAt: 250 }, { instrument: "phq9", startedAt: 100, endedAt: 150 }],
      [{ instrument: "phq9", startedAt: 100, endedAt: 180 }, { instrument: "phq9", startedAt: 300, endedAt: 310 }],
    );
    expect(merged).toEqual([
      { instrument: "phq9", startedAt: 100, endedAt: 180 },
      { instrument: "asq", startedAt: 200, endedAt: 250 },
      { instrument: "phq9", startedAt: 300, endedAt: 310 },
    ]);
  });

  it("counts a page visited twice once, with the time of both visits", () => {
    expect(pageTimings([{ instrument: "phq9", startedAt: 100, endedAt: 180 }, { instrument: "asq", startedAt: 200, endedAt: 250 }, { instrument: "phq9", startedAt: 300, endedAt: 310 }])).toEqual([
      { instrument: "phq9", startedAt: 100, endedAt: 190 },
      { instrument: "asq", startedAt: 200, endedAt: 250 },
    ]);
  });

  it("merging visits is order-independent and idempotent", () => {
    const visit = fc.record({ instrument: fc.constantFrom("phq9", "asq"), startedAt: fc.integer({ min: 0, max: 50 }), endedAt: fc.integer({ min: 50, max: 100 }) });
    fc.assert(
      fc.property(fc.array(visit), fc.array(visit), (a, b) => {
        const ab = mergeVisits(a, b);
        expect(mergeVisits(ab, b)).toEqual(ab);
        expect(mergeVisits([], [...b, ...a])).toEqual(mergeVisits([], [...a, ...b]));
      }),
    );
  });
});
