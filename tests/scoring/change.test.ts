import { describe, expect, it } from "vitest";
import type { Tier } from "../../scoring/policy";
import { changeReference, cronbachAlpha, reliableChangeIndex, tierMovement, who5PercentChange } from "../../scoring/change";

describe("reliableChangeIndex", () => {
  it("calls a PHQ-9 fall from 15 to 8 a reliable improvement", () => {
    // Jacobson & Truax (1991): S_diff = s1 · √2 · √(1 − r) = 5 × 1.414214 × √0.15 (0.387298) = 2.738613
    // RCI = (8 − 15) / 2.738613 = −2.556039; |RCI| > 1.96 and lower is better on a symptom scale.
    const change = reliableChangeIndex({ before: 15, after: 8, sd: 5, reliability: 0.85, direction: "symptom" });
    expect(change.rci).toBeCloseTo(-2.556039, 6);
    expect(change).toMatchObject({ reliable: true, direction: "improved" });
  });

  it("calls a PHQ-9 rise from 8 to 15 a reliable deterioration", () => {
    const change = reliableChangeIndex({ before: 8, after: 15, sd: 5, reliability: 0.85, direction: "symptom" });
    expect(change.rci).toBeCloseTo(2.556039, 6);
    expect(change).toMatchObject({ reliable: true, direction: "deteriorated" });
  });

  it("calls a WHO-5 rise from 40 % to 60 % a reliable improvement with the Chinese alpha .907", () => {
    // S_diff = 20 × √2 × √0.093 = 20 × 1.414214 × 0.304959 = 8.625543; RCI = 20 / 8.625543 = 2.318694
    const change = reliableChangeIndex({ before: 40, after: 60, sd: 20, reliability: 0.907, direction: "wellbeing" });
    expect(change.rci).toBeCloseTo(2.318694, 6);
    expect(change).toMatchObject({ reliable: true, direction: "improved" });
  });

  // sd = 2 and r = 0.5 make S_diff = 2 · √2 · √0.5 = 2, so RCI = change / 2.
  it.each([
    { change: 3.9, direction: "symptom", rci: 1.95, expected: "no-reliable-change" },
    { change: 3.92, direction: "symptom", rci: 1.96, expected: "no-reliable-change" },
    { change: 3.94, direction: "symptom", rci: 1.97, expected: "deteriorated" },
    { change: -3.92, direction: "symptom", rci: -1.96, expected: "no-reliable-change" },
    { change: -3.94, direction: "symptom", rci: -1.97, expected: "improved" },
    { change: 3.92, direction: "wellbeing", rci: 1.96, expected: "no-reliable-change" },
    { change: 3.94, direction: "wellbeing", rci: 1.97, expected: "improved" },
    { change: -3.92, direction: "wellbeing", rci: -1.96, expected: "no-reliable-change" },
    { change: -3.94, direction: "wellbeing", rci: -1.97, expected: "deteriorated" },
  ] as const)("on a $direction scale, a change of $change (RCI $rci) is $expected", ({ change, direction, rci, expected }) => {
    const result = reliableChangeIndex({ before: 10, after: 10 + change, sd: 2, reliability: 0.5, direction });
    expect(result.rci).toBeCloseTo(rci, 10);
    expect(result.direction).toBe(expected);
    expect(result.reliable).toBe(expected !== "no-reliable-change");
  });

  it("finds no reliable change when nothing changed", () => {
    expect(reliableChangeIndex({ before: 12, after: 12, sd: 5, reliability: 0.85, direction: "symptom" })).toEqual({ rci: 0, reliable: false, direction: "no-reliable-change" });
  });

  it.each([
    { sd: 0, reliability: 0.8, message: /sd must be a positive finite number/ },
    { sd: 5, reliability: 1, message: /reliability must be in \[0, 1\)/ },
    { sd: 5, reliability: -0.1, message: /reliability must be in \[0, 1\)/ },
  ])("throws a RangeError for sd = $sd, reliability = $reliability", ({ sd, reliability, message }) => {
    expect(() => reliableChangeIndex({ before: 1, after: 2, sd, reliability, direction: "symptom" })).toThrow(message);
  });
});

describe("changeReference", () => {
  const published = { alpha: 0.85 };

  it.each([
    { n: 99, expected: { kind: "reference", sd: 5.1, reliability: 0.85, basis: "published" } },
    { n: 100, expected: { kind: "reference", sd: 4.8, reliability: 0.86, basis: "district" } },
  ])("with a previous district wave of $n students uses the $expected.basis reference", ({ n, expected }) => {
    expect(changeReference({ district: { n, sd: 4.8, alpha: 0.86 }, published, waveSd: 5.1 })).toEqual(expected);
  });

  it("uses the published alpha with this wave's SD when there is no district wave", () => {
    expect(changeReference({ published, waveSd: 5.1 })).toEqual({ kind: "reference", sd: 5.1, reliability: 0.85, basis: "published" });
  });

  it("falls back to the published alpha when a large district's own alpha is unusable", () => {
    expect(changeReference({ district: { n: 800, sd: 4.8, alpha: -0.2 }, published, waveSd: 5.1 })).toMatchObject({ basis: "published" });
  });

  it("is unavailable, with the reason, when neither reference exists", () => {
    expect(changeReference({ waveSd: 5.1 })).toEqual({ kind: "unavailable", reason: "no district wave; no published alpha" });
    expect(changeReference({ district: { n: 40, sd: 4.8, alpha: 0.86 }, waveSd: 5.1 })).toEqual({
      kind: "unavailable",
      reason: "district wave has 40 respondents (fewer than 100); no published alpha",
    });
    expect(changeReference({ published, waveSd: 0 })).toEqual({ kind: "unavailable", reason: "no district wave; current wave SD not positive" });
  });
});

describe("cronbachAlpha", () => {
  it("matches a hand-computed example", () => {
    // Items (columns): [1,2,3,4] var 5/3, [2,3,3,4] var 2/3, [2,3,4,5] var 5/3 → Σ = 4.
    // Totals 5, 8, 10, 13: mean 9, var (16 + 1 + 1 + 16)/3 = 34/3.
    // α = 3/2 · (1 − 4 / (34/3)) = 3/2 · 22/34 = 33/34 = 0.970588
    const result = cronbachAlpha([
      [1, 2, 2],
      [2, 3, 3],
      [3, 3, 4],
      [4, 4, 5],
    ]);
    expect(result.kind).toBe("alpha");
    if (result.kind !== "alpha") return;
    expect(result.alpha).toBeCloseTo(33 / 34, 12);
    expect(result).toMatchObject({ respondents: 4, items: 3 });
  });

  it("can be negative when the items disagree", () => {
    // Items [1,3,2] and [3,2,1]: each var 1; totals 4, 5, 3: var 1. α = 2 · (1 − 2/1) = −2.
    const result = cronbachAlpha([
      [1, 3],
      [3, 2],
      [2, 1],
    ]);
    expect(result).toEqual({ kind: "alpha", alpha: -2, respondents: 3, items: 2 });
  });

  it.each([
    { scores: [[1, 2, 3]], reason: "too-few-respondents" },
    { scores: [[1], [2], [3]], reason: "too-few-items" },
    { scores: [[1, 3], [3, 1], [2, 2]], reason: "zero-total-variance" },
  ])("is not computable: $reason", ({ scores, reason }) => {
    expect(cronbachAlpha(scores)).toEqual({ kind: "not-computable", reason });
  });

  it("throws a RangeError for a ragged matrix", () => {
    expect(() => cronbachAlpha([[1, 2], [3]])).toThrow(/row 1 has 1 items, row 0 has 2/);
  });
});

describe("who5PercentChange", () => {
  // WHO-5 guide (1998): a 10 % difference is significant. Percentages move in steps of 4.
  it.each([
    { before: 40, after: 48, difference: 8, significant: false, direction: "no-significant-change" },
    { before: 40, after: 52, difference: 12, significant: true, direction: "improved" },
    { before: 50, after: 60, difference: 10, significant: true, direction: "improved" },
    { before: 60, after: 50, difference: -10, significant: true, direction: "worsened" },
    { before: 60, after: 52, difference: -8, significant: false, direction: "no-significant-change" },
    { before: 60, after: 51, difference: -9, significant: false, direction: "no-significant-change" },
  ])("from $before % to $after % is a change of $difference points, significant: $significant", ({ before, after, ...expected }) => {
    expect(who5PercentChange(before, after)).toEqual(expected);
  });

  it("throws a RangeError for a value outside 0-100", () => {
    expect(() => who5PercentChange(104, 50)).toThrow(/beforePercent must be a WHO-5 percentage/);
    expect(() => who5PercentChange(50, -4)).toThrow(/afterPercent must be a WHO-5 percentage/);
  });
});

describe("tierMovement", () => {
  it.each<[Tier | null | undefined, Tier, string]>([
    [null, "red", "new"],
    [undefined, "none", "new"],
    ["none", "yellow", "up"],
    ["yellow", "red", "up"],
    ["orange", "yellow", "down"],
    ["red", "none", "down"],
    ["orange", "orange", "same"],
    ["none", "none", "same"],
  ])("from %s to %s is %s", (before, after, expected) => {
    expect(tierMovement(before, after)).toBe(expected);
  });
});
