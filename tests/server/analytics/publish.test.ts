import fc from "fast-check";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { meanDifference, meanDifferenceFromSummaries, meanFromSummary, meanWithInterval } from "../../../scoring/index";
import type { AnalyticsTable } from "../../../src/shared/analytics";
import { contentDisposition, csvChunks, encodeChunks, neutraliseCell } from "../../../src/server/features/analytics/csv";
import { groupSummary, minCellSize, publishedRate } from "../../../src/server/features/analytics/publish";
import { COVERAGE_CATEGORIES, TIER_ORDER, type GroupStats } from "../../../src/server/features/analytics/queries";
import { coverageTable, tierTable } from "../../../src/server/features/analytics/tables";
import { recoverable } from "../../helpers/disclosure";

const collect = async (chunks: AsyncIterable<string>): Promise<string> => {
  let text = "";
  for await (const c of chunks) text += c;
  return text;
};

describe("minCellSize", () => {
  it.each([
    { stored: undefined, k: 10 },
    { stored: 10, k: 10 },
    { stored: 25, k: 25 },
    { stored: 9, k: 10 },
    { stored: 0, k: 10 },
    { stored: -5, k: 10 },
    { stored: 10.5, k: 10 },
    { stored: "30", k: 10 },
    { stored: null, k: 10 },
  ])("takes a stored $stored as k = $k (upwards only)", ({ stored, k }) => {
    expect(minCellSize(stored)).toBe(k);
  });
});

describe("publishedRate", () => {
  it("gives the Wilson 95 % interval of a published count over its published total", () => {
    // Wilson (1927) by hand for 10 / 50, z = 1.96: centre (10 + 1.9208) / 53.8416 = 0.22140,
    // half-width 1.96 / 53.8416 · √(10 · 40 / 50 + 0.9604) = 0.10897
    const [r, lo, hi] = publishedRate(10, 50);
    expect(r).toBe(0.2);
    expect(lo).toBeCloseTo(0.11243, 4);
    expect(hi).toBeCloseTo(0.33037, 4);
  });

  it.each([
    { x: 0, n: 50 },
    { x: 50, n: 50 },
    { x: null, n: 50 },
    { x: 12, n: null },
    { x: 0, n: 0 },
  ])("publishes no rate for x = $x of n = $n (0 %, 100 % or hidden)", ({ x, n }) => {
    expect(publishedRate(x, n)).toEqual([null, null, null]);
  });
});

describe("means from database summaries", () => {
  const values = fc.array(fc.integer({ min: 0, max: 25 }).map((v) => v * 4), { minLength: 0, maxLength: 60 });
  const summaryOf = (v: number[]) => {
    const n = v.length;
    const mean = n === 0 ? null : v.reduce((s, x) => s + x, 0) / n;
    const sd = n < 2 || mean === null ? null : Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1));
    return { n, mean, sd };
  };

  it("agree with meanWithInterval on the raw values", () => {
    fc.assert(
      fc.property(values, (v) => {
        const a = meanFromSummary(groupSummary(summaryOf(v)));
        const b = meanWithInterval(v);
        expect(a.kind).toBe(b.kind);
        if (a.kind === "mean" && b.kind === "mean") {
          expect(a.mean).toBeCloseTo(b.mean, 9);
          expect(a.lower).toBeCloseTo(b.lower, 9);
          expect(a.upper).toBeCloseTo(b.upper, 9);
        }
      }),
    );
  });

  it("agree with meanDifference on the raw values", () => {
    fc.assert(
      fc.property(values, values, (x, y) => {
        const a = meanDifferenceFromSummaries(groupSummary(summaryOf(x)), groupSummary(summaryOf(y)));
        const b = meanDifference(x, y);
        expect(a.kind).toBe(b.kind);
        if (a.kind === "difference" && b.kind === "difference") {
          expect(a.difference).toBeCloseTo(b.difference, 9);
          expect(a.lower).toBeCloseTo(b.lower, 9);
          expect(a.upper).toBeCloseTo(b.upper, 9);
        }
      }),
    );
  });
});

describe("neutraliseCell", () => {
  it.each([
    { cell: "=cmd|' /C calc'!A0", out: "'=cmd|' /C calc'!A0" },
    { cell: "+1", out: "'+1" },
    { cell: "-2", out: "'-2" },
    { cell: "@x", out: "'@x" },
    { cell: "\tx", out: "'\tx" },
    { cell: "\rx", out: "'\rx" },
    { cell: "第一中学", out: "第一中学" },
    { cell: "a=b", out: "a=b" },
    { cell: "", out: "" },
    { cell: null, out: "" },
    { cell: -2.5, out: -2.5 },
    { cell: 0.4, out: 0.4 },
  ])("writes $cell as $out", ({ cell, out }) => {
    expect(neutraliseCell(cell)).toBe(out);
  });
});

describe("CSV", () => {
  it("writes Chinese names and hostile cells neutralised, with CRLF line ends and suppressed cells empty", async () => {
    const text = await collect(
      csvChunks(
        ["学校 school", "人数 n", "比例 rate"],
        [
          ["第一中学", 50, 0.4],
          ["=cmd", 12, null],
          ["+1", null, null],
          ["-2", 10, -0.25],
          ["@x", 11, 0.5],
          ["\tTAB", 13, 0.1],
          ["\rCR", 14, 0.2],
          ['𠮷野家 "引号", 逗号', 15, 0.3],
        ],
        3,
      ),
    );
    // every line ends with CRLF; the CR inside the quoted cell is the cell's own
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.split("\r\n")).toMatchInlineSnapshot(`
      [
        "学校 school,人数 n,比例 rate",
        "第一中学,50,0.4",
        "'=cmd,12,",
        "'+1,,",
        "'-2,10,-0.25",
        "'@x,11,0.5",
        "'	TAB,13,0.1",
        ""'
      CR",14,0.2",
        ""𠮷野家 ""引号"", 逗号",15,0.3",
        "",
      ]
    `);
  });

  it("starts UTF-8 with a BOM and GB18030 without one, both decoding to the same text", async () => {
    const chunks = async function* () {
      yield "学校,人数\r\n";
      yield "第一中学,50\r\n";
    };
    const utf8: Buffer[] = [];
    for await (const b of encodeChunks(chunks(), "utf-8")) utf8.push(b);
    const gb: Buffer[] = [];
    for await (const b of encodeChunks(chunks(), "gb18030")) gb.push(b);
    const u = Buffer.concat(utf8);
    const g = Buffer.concat(gb);
    expect([...u.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(u.subarray(3).toString("utf8")).toBe("学校,人数\r\n第一中学,50\r\n");
    expect(iconv.decode(g, "gb18030")).toBe("学校,人数\r\n第一中学,50\r\n");
    expect([...g.subarray(0, 2)]).toEqual([0xd1, 0xa7]); // 学 in GB18030
  });

  it("names a Chinese file with RFC 5987 filename* and an ASCII fallback", () => {
    expect(contentDisposition("预警等级分布_2025-2026_spring (1).csv", "tiers_2025-2026_spring.csv")).toMatchInlineSnapshot(
      `"attachment; filename="tiers_2025-2026_spring.csv"; filename*=UTF-8''%E9%A2%84%E8%AD%A6%E7%AD%89%E7%BA%A7%E5%88%86%E5%B8%83_2025-2026_spring%20%281%29.csv"`,
    );
  });

  it("keeps quotes, semicolons and line breaks out of the fallback name", () => {
    expect(contentDisposition("x.csv", 'a";\r\nb.csv')).toBe(`attachment; filename="a____b.csv"; filename*=UTF-8''x.csv`);
  });
});

// ---------------------------------------------------------------------------------------------
// Published tables never show a cell under k, and hidden cells cannot be recovered
// ---------------------------------------------------------------------------------------------

const schools = new Map([
  ["s0", { id: "s0", code: "A01", name: "第一中学" }],
  ["s1", { id: "s1", code: "B02", name: "第二中学" }],
  ["s2", { id: "s2", code: "C03", name: "第三中学" }],
  ["s3", { id: "s3", code: "D04", name: "第四中学" }],
]);

function statsOf(matrix: number[][], kind: "coverage" | "tiers"): GroupStats[] {
  return matrix.map((row, i) => {
    const coverage = Object.fromEntries(COVERAGE_CATEGORIES.map((c, j) => [c, kind === "coverage" ? (row[j] ?? 0) : 0])) as GroupStats["coverage"];
    const tiers = Object.fromEntries(TIER_ORDER.map((c, j) => [c, kind === "tiers" ? (row[j] ?? 0) : 0])) as GroupStats["tiers"];
    return { key: [`s${i}`], rolled: [false], population: row.reduce((s, v) => s + v, 0), coverage, tiers, who5: { n: 0, mean: null, sd: null } };
  });
}

/** The published counts of a table back as a PublishableTable (the margin row is the last row). */
function publishedCounts(table: AnalyticsTable, categories: readonly string[]) {
  const col = (key: string) => table.columns.findIndex((c) => c.key === key);
  const body = table.rows.slice(0, -1);
  const margin = table.rows[table.rows.length - 1] ?? [];
  const num = (v: unknown) => (typeof v === "number" ? v : null);
  return {
    cells: body.map((r) => categories.map((c) => num(r[col(`${c}_n`)]))),
    rowTotals: body.map((r) => num(r[col("n")])),
    columnTotals: categories.map((c) => num(margin[col(`${c}_n`)])),
    grandTotal: num(margin[col("n")]),
  };
}

const anyMatrix = (cols: number) =>
  fc.integer({ min: 1, max: 4 }).chain((rows) => fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 8, max: 40 })), { minLength: cols, maxLength: cols }), { minLength: rows, maxLength: rows }));

describe.each([
  { kind: "tiers" as const, categories: TIER_ORDER, build: tierTable },
  { kind: "coverage" as const, categories: COVERAGE_CATEGORIES, build: coverageTable },
])("the $kind table", ({ kind, categories, build }) => {
  it("never publishes a count under k, nor one a reader could recover from the other cells and margins", () => {
    fc.assert(
      fc.property(anyMatrix(categories.length), fc.integer({ min: 10, max: 14 }), (matrix, k) => {
        const table = build("2025-2026:spring", ["school"], statsOf(matrix, kind), schools, k);
        const pub = publishedCounts(table, categories);
        for (const v of [...pub.cells.flat(), ...pub.rowTotals, ...pub.columnTotals, pub.grandTotal]) if (v !== null) expect(v).toBeGreaterThanOrEqual(k);
        // published numbers are the true ones
        pub.cells.forEach((r, i) => r.forEach((v, j) => v === null || expect(v).toBe(matrix[i]?.[j])));
        expect(recoverable(matrix, pub)).toEqual([]);
        // rates only where count and total are both shown, never 0 or 1
        for (const row of table.rows) {
          categories.forEach((c) => {
            const rate = row[table.columns.findIndex((col) => col.key === `${c}_rate`)];
            if (rate !== null) expect(rate).toBeGreaterThan(0);
            if (rate !== null) expect(rate).toBeLessThan(1);
          });
        }
      }),
      { numRuns: 150 },
    );
  });
});
