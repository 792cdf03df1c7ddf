import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PublishableTable } from "../../scoring/aggregate";
import { columnSums, consistent, hiddenTargets, rowSums, secondTable, total, valueOf } from "../helpers/disclosure";
import {
  classifySchools,
  funnelLimits,
  meanDifference,
  meanWithInterval,
  rate,
  studentTQuantile,
  suppressSmallCells,
  wilsonInterval,
} from "../../scoring/aggregate";

describe("wilsonInterval", () => {
  // Wilson (1927), z = 1.96, z² = 3.8416:
  // x = 0, n = 10: centre = 1.9208 / 13.8416 = 0.13877, half = 1.96/13.8416 · √0.9604 = 0.13877 → [0, 0.2775]
  // x = 5, n = 10: centre = 0.5, half = 1.96/13.8416 · √(2.5 + 0.9604) = 0.26341 → [0.2366, 0.7634]
  // x = 10, n = 10 mirrors x = 0.
  it.each([
    { x: 0, n: 10, lower: 0, upper: 0.2775 },
    { x: 5, n: 10, lower: 0.2366, upper: 0.7634 },
    { x: 10, n: 10, lower: 0.7225, upper: 1 },
  ])("gives [$lower, $upper] for $x of $n", ({ x, n, lower, upper }) => {
    const interval = wilsonInterval(x, n);
    expect(interval?.lower).toBeCloseTo(lower, 4);
    expect(interval?.upper).toBeCloseTo(upper, 4);
  });

  it("is exactly 0 at the bottom when x = 0 and exactly 1 at the top when x = n", () => {
    expect(wilsonInterval(0, 7)?.lower).toBe(0);
    expect(wilsonInterval(7, 7)?.upper).toBe(1);
  });

  it("returns null, not NaN, when there are no students", () => {
    expect(wilsonInterval(0, 0)).toBeNull();
  });

  it.each([
    { x: 11, n: 10, message: /x \(11\) must not exceed n \(10\)/ },
    { x: -1, n: 10, message: /x must be a non-negative integer/ },
    { x: 2.5, n: 10, message: /x must be a non-negative integer/ },
    { x: 1, n: -3, message: /n must be a non-negative integer/ },
  ])("throws a RangeError for x = $x, n = $n (a caller bug)", ({ x, n, message }) => {
    expect(() => wilsonInterval(x, n)).toThrow(RangeError);
    expect(() => wilsonInterval(x, n)).toThrow(message);
  });

  it("always contains x/n, stays in [0, 1] and mirrors under x → n − x", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }).chain((n) => fc.tuple(fc.integer({ min: 0, max: n }), fc.constant(n))), ([x, n]) => {
        const w = wilsonInterval(x, n);
        const m = wilsonInterval(n - x, n);
        expect(w).not.toBeNull();
        if (!w || !m) return;
        expect(w.lower).toBeGreaterThanOrEqual(0);
        expect(w.upper).toBeLessThanOrEqual(1);
        expect(w.lower).toBeLessThanOrEqual(x / n + 1e-12);
        expect(w.upper).toBeGreaterThanOrEqual(x / n - 1e-12);
        expect(w.lower).toBeCloseTo(1 - m.upper, 12);
      }),
    );
  });
});

describe("rate", () => {
  it("reports the rate with its Wilson interval", () => {
    const r = rate(5, 10);
    expect(r).toMatchObject({ kind: "rate", x: 5, n: 10, rate: 0.5 });
    if (r.kind === "rate") {
      expect(r.lower).toBeCloseTo(0.2366, 4);
      expect(r.upper).toBeCloseTo(0.7634, 4);
    }
  });

  it("is a tagged empty result for a school with no respondents", () => {
    expect(rate(0, 0)).toEqual({ kind: "empty", x: 0, n: 0 });
  });
});

describe("studentTQuantile", () => {
  // Printed t tables (e.g. Fisher & Yates; any statistics textbook), two-sided 5 % and 1 %, one-sided 5 %.
  it.each([
    { p: 0.975, df: 9, t: 2.2622 },
    { p: 0.975, df: 29, t: 2.0452 },
    { p: 0.975, df: 1, t: 12.7062 },
    { p: 0.995, df: 4, t: 4.6041 },
    { p: 0.95, df: 10, t: 1.8125 },
    { p: 0.9995, df: 1, t: 636.6192 },
    { p: 0.975, df: 1e6, t: 1.96 },
  ])("t($p, $df) = $t", ({ p, df, t }) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(t, 4);
  });

  it("handles the fractional degrees of freedom of Welch's test (t(0.975, 4.7494) = 2.6119)", () => {
    expect(studentTQuantile(0.975, 4.749414519906323)).toBeCloseTo(2.6119, 4);
  });

  it("is symmetric around 0", () => {
    expect(studentTQuantile(0.5, 7)).toBe(0);
    expect(studentTQuantile(0.025, 9)).toBeCloseTo(-studentTQuantile(0.975, 9), 12);
  });

  it.each([
    { p: 0, df: 5 },
    { p: 1, df: 5 },
    { p: 0.975, df: 0 },
    { p: 0.975, df: Infinity },
  ])("throws a RangeError for p = $p, df = $df", ({ p, df }) => {
    expect(() => studentTQuantile(p, df)).toThrow(RangeError);
  });
});

describe("meanWithInterval", () => {
  it("gives mean ± t(0.975, n−1)·sd/√n for a small group", () => {
    // 1..10: mean 5.5, Σ(x − 5.5)² = 82.5, sd = √(82.5/9) = 3.02765, se = 0.957427,
    // half-width = 2.262157 × 0.957427 = 2.165851 → [3.334149, 7.665851]
    const m = meanWithInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(m.kind).toBe("mean");
    if (m.kind !== "mean") return;
    expect(m.n).toBe(10);
    expect(m.df).toBe(9);
    expect(m.mean).toBe(5.5);
    expect(m.sd).toBeCloseTo(3.02765, 5);
    expect(m.lower).toBeCloseTo(3.334149, 5);
    expect(m.upper).toBeCloseTo(7.665851, 5);
  });

  it("uses the requested confidence level", () => {
    // 99 %: t(0.995, 9) = 3.249836; half-width = 3.249836 × 0.957427 = 3.111481
    const m = meanWithInterval([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.99);
    if (m.kind !== "mean") throw new Error("expected a mean");
    expect(m.upper - m.mean).toBeCloseTo(3.111481, 5);
  });

  it("is a tagged result for no values or one value", () => {
    expect(meanWithInterval([])).toEqual({ kind: "empty", n: 0 });
    expect(meanWithInterval([64])).toEqual({ kind: "insufficient", n: 1, mean: 64 });
  });

  it("throws a RangeError for a non-finite value or a level outside (0, 1)", () => {
    expect(() => meanWithInterval([1, NaN])).toThrow(/values\[1\] must be a finite number/);
    expect(() => meanWithInterval([1, 2], 1)).toThrow(RangeError);
  });
});

describe("meanDifference", () => {
  it("gives the Welch interval for two groups of unequal variance", () => {
    // a: mean 3, s² 2.5, n 5 → s²/n = 0.5; b: mean 5, s² 20/3, n 4 → s²/n = 5/3
    // se = √(0.5 + 5/3) = √(13/6) = 1.471960; df = (13/6)² / (0.25/4 + (25/9)/3) = 4.694444/0.988426 = 4.749415
    // t(0.975, 4.749415) = 2.611917 → −2 ± 3.844636 = [−5.844636, 1.844636] (scipy ttest_ind(equal_var=False) agrees)
    const d = meanDifference([1, 2, 3, 4, 5], [2, 4, 6, 8]);
    expect(d.kind).toBe("difference");
    if (d.kind !== "difference") return;
    expect(d.difference).toBe(-2);
    expect(d.se).toBeCloseTo(1.47196, 5);
    expect(d.df).toBeCloseTo(4.749415, 5);
    expect(d.lower).toBeCloseTo(-5.844636, 5);
    expect(d.upper).toBeCloseTo(1.844636, 5);
    expect(d.a).toEqual({ n: 5, mean: 3, sd: expect.closeTo(Math.sqrt(2.5), 10) });
  });

  it("gives a point interval when neither group varies", () => {
    const d = meanDifference([60, 60], [48, 48, 48]);
    expect(d).toMatchObject({ kind: "difference", difference: 12, se: 0, df: 3, lower: 12, upper: 12 });
  });

  it("is insufficient when a group has fewer than two values", () => {
    expect(meanDifference([1], [1, 2, 3])).toEqual({ kind: "insufficient", na: 1, nb: 3 });
  });
});

describe("funnelLimits", () => {
  // Binomial(10, 0.5): F(r) = 1, 11, 56, 176, 386, 638, 848, 968, 1013, 1023, 1024 (/1024) for r = 0..10.
  // Spiegelhalter (2005) appendix: r_p = smallest r with F(r) ≥ p, α = (F(r_p) − p)/(F(r_p) − F(r_p − 1)),
  // limit = (r_p − α)/n.
  // p = 0.025: r_p = 2, α = (56 − 25.6)/45 = 0.675556, limit = (2 − 0.675556)/10 = 0.132444
  // p = 0.975: r_p = 8, α = (1013 − 998.4)/45 = 0.324444, limit = 0.767556
  // p = 0.001: r_p = 1, α = (11 − 1.024)/10 = 0.9976,     limit = 0.00024
  // p = 0.999: r_p = 9, α = (1023 − 1022.976)/10 = 0.0024, limit = 0.89976
  it("computes the exact interpolated binomial limits of Spiegelhalter (2005) for a small school", () => {
    const limits = funnelLimits(0.5, 10);
    expect(limits).not.toBeNull();
    expect(limits?.lower95).toBeCloseTo(0.132444, 6);
    expect(limits?.upper95).toBeCloseTo(0.767556, 6);
    expect(limits?.lower998).toBeCloseTo(0.00024, 6);
    expect(limits?.upper998).toBeCloseTo(0.89976, 6);
  });

  it("approaches the normal approximation θ ± z√(θ(1−θ)/n) for a large school", () => {
    const theta = 0.2;
    const n = 10_000;
    const se = Math.sqrt((theta * (1 - theta)) / n);
    const limits = funnelLimits(theta, n);
    expect(limits?.lower95).toBeCloseTo(theta - 1.96 * se, 3);
    expect(limits?.upper95).toBeCloseTo(theta + 1.96 * se, 3);
    expect(limits?.lower998).toBeCloseTo(theta - 3.09 * se, 3);
    expect(limits?.upper998).toBeCloseTo(theta + 3.09 * se, 3);
  });

  it("collapses onto the district rate when it is 0 or 1", () => {
    expect(funnelLimits(0, 50)).toEqual({ n: 50, districtRate: 0, lower95: 0, upper95: 0, lower998: 0, upper998: 0 });
    expect(funnelLimits(1, 50)).toEqual({ n: 50, districtRate: 1, lower95: 1, upper95: 1, lower998: 1, upper998: 1 });
  });

  it("returns null for a school with no respondents and throws for a rate outside [0, 1]", () => {
    expect(funnelLimits(0.3, 0)).toBeNull();
    expect(() => funnelLimits(1.2, 10)).toThrow(RangeError);
  });

  it("keeps the limits ordered and inside [0, 1] for any rate and size", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 3000 }), (theta, n) => {
        const l = funnelLimits(theta, n);
        if (!l) throw new Error("expected limits");
        expect(0).toBeLessThanOrEqual(l.lower998);
        expect(l.lower998).toBeLessThanOrEqual(l.lower95);
        expect(l.lower95).toBeLessThanOrEqual(l.upper95);
        expect(l.upper95).toBeLessThanOrEqual(l.upper998);
        expect(l.upper998).toBeLessThanOrEqual(1);
      }),
      { numRuns: 200 },
    );
  });
});

describe("classifySchools", () => {
  it("places schools above, within and below the funnel around the pooled district rate", () => {
    // pooled 75/500 = 0.15; for n = 100, θ(1−θ)/n = 0.001275, √ = 0.035707:
    // normal 95 % limits ≈ [0.080, 0.220], 99.8 % ≈ [0.040, 0.260] (exact limits are within 0.01 of these)
    const result = classifySchools([
      { id: "high", x: 30, n: 100 },
      { id: "raised", x: 24, n: 100 },
      { id: "typical", x: 15, n: 100 },
      { id: "low", x: 6, n: 100 },
      { id: "none", x: 0, n: 100 },
      { id: "closed", x: 0, n: 0 },
    ]);
    expect(result.x).toBe(75);
    expect(result.n).toBe(500);
    expect(result.districtRate).toBe(0.15);
    expect(result.schools.map((s) => [s.id, s.kind === "classified" ? s.position : s.kind])).toEqual([
      ["high", "above998"],
      ["raised", "above95"],
      ["typical", "within"],
      ["low", "below95"],
      ["none", "below998"],
      ["closed", "empty"],
    ]);
    const first = result.schools[0];
    if (first?.kind !== "classified") throw new Error("expected a classified school");
    expect(first.rate).toBe(0.3);
    expect(first.limits).toEqual(funnelLimits(0.15, 100));
  });

  it("has no district rate when no school has respondents", () => {
    expect(classifySchools([{ id: "a", x: 0, n: 0 }])).toEqual({ x: 0, n: 0, districtRate: null, schools: [{ kind: "empty", id: "a" }] });
  });

  it("names the school in the RangeError for an impossible count", () => {
    expect(() => classifySchools([{ id: "No. 3 Middle School", x: 12, n: 10 }])).toThrow(/school No\. 3 Middle School: x \(12\) must not exceed n \(10\)/);
  });
});

// ---------------------------------------------------------------------------------------------
// Small-cell suppression
// ---------------------------------------------------------------------------------------------

const anyTable = fc
  .tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 }))
  .chain(([rows, cols]) => {
    // Half the tables use 0-40 throughout; the others mostly large counts with some small ones, so
    // that partly published tables are common too.
    const count = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 8, max: 40 }));
    return fc.array(fc.array(count, { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows });
  });
const anyK = fc.integer({ min: 3, max: 12 });

describe("suppressSmallCells", () => {
  it("publishes a table with no small cells unchanged", () => {
    expect(suppressSmallCells([[20, 30], [40, 50]], 10)).toEqual({ cells: [[20, 30], [40, 50]], rowTotals: [50, 90], columnTotals: [60, 80], grandTotal: 140 });
  });

  it.each([
    { count: 9, k: 10, published: false },
    { count: 10, k: 10, published: true },
    { count: 4, k: 5, published: false },
    { count: 5, k: 5, published: true },
    { count: 0, k: 3, published: false },
  ])("with k = $k a lone count of $count is published: $published", ({ count, k, published }) => {
    const shown = published ? count : null;
    expect(suppressSmallCells([[count]], k)).toEqual({ cells: [[shown]], rowTotals: [shown], columnTotals: [shown], grandTotal: shown });
  });

  it("hides the three other cells of a 2 × 2 table with one small cell, keeping every total", () => {
    // 3 is primary. Its row and column would give it back by subtraction, and a cycle of hidden cells
    // through it must use the other three: rows 53 and 100, columns 43 and 110 stay published.
    expect(suppressSmallCells([[3, 50], [40, 60]], 10)).toMatchInlineSnapshot(`
      {
        "cells": [
          [
            null,
            null,
          ],
          [
            null,
            null,
          ],
        ],
        "columnTotals": [
          43,
          110,
        ],
        "grandTotal": 153,
        "rowTotals": [
          53,
          100,
        ],
      }
    `);
  });

  it("breaks a bridge between two suppression cycles, which 'two per row and column' would miss", () => {
    // 5s form two 2 × 2 cycles, rows 0-1 × columns 0-1 and rows 2-3 × columns 2-3, joined by the 5 at
    // (0, 2). Every row and column then has two or more hidden cells, yet (0, 2) lies on no cycle:
    // column 2's total minus its published 20 gives (0,2) + (2,2) + (3,2), and rows 2 and 3 minus
    // column 3 give (2,2) + (3,2), so (0, 2) is determined. The cheapest cycle through it adds the 20 at (1, 2):
    // (0,2)+ (1,2)− (1,0)+ (0,0)− … closes through row 1 and column 0, and the 20 is the smallest
    // published value that can do it. Hidden sums per row/column are ≥ 10, so nothing else is needed.
    const table = [
      [5, 5, 5, 60],
      [5, 5, 20, 60],
      [60, 60, 5, 5],
      [60, 60, 5, 5],
    ];
    const result = suppressSmallCells(table, 10);
    expect(result.cells).toEqual([
      [null, null, null, 60],
      [null, null, null, 60],
      [60, 60, null, null],
      [60, 60, null, null],
    ]);
    expect(result.rowTotals).toEqual([75, 90, 130, 130]);
    expect(secondTable(table, result, { kind: "cell", i: 0, j: 2 })).not.toBeNull();
  });

  it("has a checker that does catch the bridge when only 'two per row and column' is applied", () => {
    // The same table published with only the nine 5s hidden: the checker must find (0, 2) recoverable
    // and the cells of the two cycles not.
    const table = [
      [5, 5, 5, 60],
      [5, 5, 20, 60],
      [60, 60, 5, 5],
      [60, 60, 5, 5],
    ];
    const naive: PublishableTable = {
      cells: table.map((row) => row.map((v) => (v < 10 ? null : v))),
      rowTotals: rowSums(table),
      columnTotals: columnSums(table),
      grandTotal: total(table),
    };
    expect(secondTable(table, naive, { kind: "cell", i: 0, j: 2 })).toBeNull();
    expect(secondTable(table, naive, { kind: "cell", i: 0, j: 0 })).not.toBeNull();
    expect(secondTable(table, naive, { kind: "cell", i: 3, j: 3 })).not.toBeNull();
  });

  it("applies the complement rule: a rate whose complement is below k hides the cell", () => {
    // Row 0: 3 and 2 are primary; 95 of 100 would reveal that 5 students are elsewhere, so 95 is
    // hidden too. Columns 1 and 2 then show their hidden sums (3 and 2) by subtraction, so their
    // smallest published cells (20, 30) are hidden; 95 needs a partner in column 0, cheapest 60
    // (row 1 closes the cycle through the hidden 20). Row 2 and every total stay published.
    const result = suppressSmallCells(
      [
        [95, 3, 2],
        [60, 20, 30],
        [70, 25, 35],
      ],
      10,
    );
    expect(result).toEqual({
      cells: [
        [null, null, null],
        [null, null, null],
        [70, 25, 35],
      ],
      rowTotals: [100, 110, 130],
      columnTotals: [225, 48, 67],
      grandTotal: 340,
    });
  });

  it("hides a cell equal to its row total when the rest of the row is zeros", () => {
    // Publishing 50 next to the row total 50 would reveal the two zeros.
    const result = suppressSmallCells(
      [
        [0, 0, 50],
        [30, 40, 60],
      ],
      10,
    );
    expect(result.cells[0]).toEqual([null, null, null]);
    expect(result.rowTotals).toEqual([50, 130]);
  });

  it("hides a small row total and a partner total, so the grand total cannot give it back", () => {
    // Row 0 (2 + 3 = 5) is below k; with only row 1's total hidden as its partner the reader knows the
    // two add up to 95 but not how. Columns 42 and 53 stay.
    expect(
      suppressSmallCells(
        [
          [2, 3],
          [40, 50],
        ],
        10,
      ),
    ).toEqual({ cells: [[null, null], [null, null]], rowTotals: [null, null], columnTotals: [42, 53], grandTotal: 95 });
  });

  it("never changes a published number in a one-column table", () => {
    const result = suppressSmallCells([[3], [50], [60]], 10);
    expect(result).toEqual({ cells: [[null], [null], [60]], rowTotals: [null, null, 60], columnTotals: [113], grandTotal: 113 });
  });

  it.each([
    { table: [], k: 10, message: /at least one row and one column/ },
    { table: [[]], k: 10, message: /at least one row and one column/ },
    { table: [[1, 2], [3]], k: 10, message: /row 1 has 1 cells, row 0 has 2/ },
    { table: [[1, -2]], k: 10, message: /table\[0\]\[1\] must be a non-negative integer/ },
    { table: [[1.5]], k: 10, message: /table\[0\]\[0\]/ },
    { table: [[1]], k: 0, message: /k must be a positive integer/ },
  ])("throws a RangeError for a malformed input ($message)", ({ table, k, message }) => {
    expect(() => suppressSmallCells(table, k)).toThrow(RangeError);
    expect(() => suppressSmallCells(table, k)).toThrow(message);
  });

  describe("on random tables (1-6 × 1-6, counts 0-40, k 3-12)", () => {
    it("never publishes a cell or total under k", () => {
      fc.assert(
        fc.property(anyTable, anyK, (table, k) => {
          const p = suppressSmallCells(table, k);
          const shown = [...p.cells.flat(), ...p.rowTotals, ...p.columnTotals, p.grandTotal].filter((v): v is number => v !== null);
          expect(shown.every((v) => v >= k)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });

    it("leaves every hidden cell and total with at least two possible values", () => {
      fc.assert(
        fc.property(anyTable, anyK, (table, k) => {
          const p = suppressSmallCells(table, k);
          for (const target of hiddenTargets(p)) {
            const witness = secondTable(table, p, target);
            expect(witness, `recoverable ${JSON.stringify(target)} in ${JSON.stringify(table)} k=${k}`).not.toBeNull();
            if (witness) {
              // The witness really is indistinguishable and really differs (checked again, plainly).
              expect(consistent(witness, p)).toBe(true);
              expect(consistent(table, p)).toBe(true);
              expect(valueOf(witness, target)).not.toBe(valueOf(table, target));
            }
          }
        }),
        { numRuns: 500 },
      );
    });

    it("only replaces numbers by null, never changes them", () => {
      fc.assert(
        fc.property(anyTable, anyK, (table, k) => {
          const p = suppressSmallCells(table, k);
          expect(p.cells.length).toBe(table.length);
          p.cells.forEach((row, i) => {
            expect(row.length).toBe(table[i]?.length);
            row.forEach((v, j) => v !== null && expect(v).toBe(table[i]?.[j]));
          });
          p.rowTotals.forEach((v, i) => v !== null && expect(v).toBe(rowSums(table)[i]));
          p.columnTotals.forEach((v, j) => v !== null && expect(v).toBe(columnSums(table)[j]));
          if (p.grandTotal !== null) expect(p.grandTotal).toBe(total(table));
        }),
        { numRuns: 300 },
      );
    });

    it("never shows a rate whose complement in its row is between 1 and k − 1, nor a hidden sum under k", () => {
      fc.assert(
        fc.property(anyTable, anyK, (table, k) => {
          const p = suppressSmallCells(table, k);
          const rs = rowSums(table);
          const cs = columnSums(table);
          p.cells.forEach((row, i) => {
            const rowTotal = rs[i] ?? 0;
            row.forEach((v, j) => {
              const complement = rowTotal - (table[i]?.[j] ?? 0);
              if (v !== null && p.rowTotals[i] !== null) expect(complement === 0 || complement >= k).toBe(true);
            });
            // What a reader gets by subtraction: row total − published cells = sum of the hidden cells.
            const hidden = row.map((v, j) => (v === null ? (table[i]?.[j] ?? 0) : null)).filter((v): v is number => v !== null);
            if (p.rowTotals[i] !== null && hidden.length > 0) expect(hidden.reduce((s, v) => s + v, 0)).toBeGreaterThanOrEqual(k);
          });
          cs.forEach((_, j) => {
            const hidden = p.cells.map((row, i) => (row[j] === null ? (table[i]?.[j] ?? 0) : null)).filter((v): v is number => v !== null);
            if (p.columnTotals[j] !== null && hidden.length > 0) expect(hidden.reduce((s, v) => s + v, 0)).toBeGreaterThanOrEqual(k);
          });
        }),
        { numRuns: 300 },
      );
    });

    it("is deterministic and leaves its input untouched", () => {
      fc.assert(
        fc.property(anyTable, anyK, (table, k) => {
          const copy = table.map((r) => [...r]);
          const first = suppressSmallCells(table, k);
          expect(suppressSmallCells(copy, k)).toEqual(first);
          expect(table).toEqual(copy);
        }),
        { numRuns: 200 },
      );
    });
  });

  it("handles a district-sized table (60 schools × 4 tiers) quickly and safely", () => {
    const table = Array.from({ length: 60 }, (_, i) => [150 + ((i * 37) % 200), (i * 13) % 30, (i * 7) % 12, (i * 5) % 4]);
    const started = performance.now();
    const p = suppressSmallCells(table, 10);
    expect(performance.now() - started).toBeLessThan(5_000);
    const shown = [...p.cells.flat(), ...p.rowTotals, ...p.columnTotals, p.grandTotal].filter((v): v is number => v !== null);
    expect(shown.every((v) => v >= 10)).toBe(true);
    p.cells.forEach((row, i) => row.forEach((v, j) => v !== null && expect(v).toBe(table[i]?.[j])));
  });
});
