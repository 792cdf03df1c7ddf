import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnalyticsTable } from "../../../src/shared/analytics";
import { groupStats } from "../../../src/server/features/analytics/queries";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { recoverable } from "../../helpers/disclosure";
import { addCohorts, addWave, type Built } from "./fixtures";

/**
 * The fixed district (worked out by hand):
 *
 * spring 2025-2026
 *   A01 第一中学, grade 7, 90 students: 10 opted out, 10 pending, 10 consented (not taken part),
 *     10 declined, 40 completed (10 none WHO-5 40 sleep 2; 10 yellow 40 sleep 2; 10 orange 60 sleep 4;
 *     10 red 60 sleep 4), 10 questionable (none, WHO-5 80, sleep 4)
 *   B02 @第二中学, grade 8, 40 students: completed, 10 per tier, WHO-5 80, sleep 4
 * autumn 2025-2026
 *   A01: the 50 who submitted in spring submit again: none 20, yellow 10, orange 10, red 10
 *     (spring none→none 10, yellow→none 10, orange→yellow 10, red→orange 10, none(questionable)→red 10)
 *   B02: 9 of its students submit, all none: a group of 9 that must never show
 */
describeEachDatabase("district analytics", (getDb) => {
  let t: TestServer;
  let analyst: Record<string, string>;
  let schoolA: string;
  let schoolB: string;
  let classA: string;
  let a: Built;
  let b: Built;

  const get = async (url: string, headers = analyst) => t.app.inject({ method: "GET", url, headers });
  const json = async (url: string): Promise<AnalyticsTable & Record<string, unknown>> => {
    const res = await get(url);
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  };
  const col = (table: AnalyticsTable, key: string): number => {
    const i = table.columns.findIndex((c) => c.key === key);
    if (i < 0) throw new Error(`no column ${key}`);
    return i;
  };
  const rowOf = (table: AnalyticsTable, label: string) => {
    const row = table.rows.find((r) => r.includes(label));
    if (!row) throw new Error(`no row ${label}`);
    return row;
  };

  beforeAll(async () => {
    t = await startTestServer(getDb());
    schoolA = await t.seed.school({ code: "A01", name: "第一中学" });
    schoolB = await t.seed.school({ code: "B02", name: "@第二中学" });
    classA = await t.seed.klass(schoolA, 7, "1");
    const classB = await t.seed.klass(schoolB, 8, "1");
    const springA = await addWave(t.db, schoolA, "2025-2026", "spring");
    const springB = await addWave(t.db, schoolB, "2025-2026", "spring");
    a = await addCohorts(t, classA, springA, [
      { count: 10, outcome: "opted-out" },
      { count: 10, outcome: "pending" },
      { count: 10, outcome: "consented" },
      { count: 10, outcome: "declined" },
      { count: 10, outcome: "completed", tier: "none", who5: 40, sleep: 2 },
      { count: 10, outcome: "completed", tier: "yellow", who5: 40, sleep: 2 },
      { count: 10, outcome: "completed", tier: "orange", who5: 60, sleep: 4 },
      { count: 10, outcome: "completed", tier: "red", who5: 60, sleep: 4 },
      { count: 10, outcome: "questionable", tier: "none", who5: 80, sleep: 4 },
    ]);
    b = await addCohorts(t, classB, springB, [
      { count: 10, outcome: "completed", tier: "none", who5: 80, sleep: 4 },
      { count: 10, outcome: "completed", tier: "yellow", who5: 80, sleep: 4 },
      { count: 10, outcome: "completed", tier: "orange", who5: 80, sleep: 4 },
      { count: 10, outcome: "completed", tier: "red", who5: 80, sleep: 4 },
    ]);
    const autumnA = await addWave(t.db, schoolA, "2025-2026", "autumn");
    const autumnB = await addWave(t.db, schoolB, "2025-2026", "autumn");
    await addCohorts(
      t,
      classA,
      autumnA,
      [
        { count: 20, outcome: "completed", tier: "none", who5: 60 },
        { count: 10, outcome: "completed", tier: "yellow", who5: 60 },
        { count: 10, outcome: "completed", tier: "orange", who5: 60 },
        { count: 10, outcome: "completed", tier: "red", who5: 60 },
      ],
      a.studentIds.slice(40),
    );
    // B: the other 31 enrolled students have no response (pending) in autumn
    await addCohorts(t, classB, autumnB, [{ count: 9, outcome: "completed", tier: "none", who5: 80 }], b.studentIds.slice(0, 9));
    const analystId = await t.seed.account("analyst");
    analyst = (await t.signIn(analystId)).headers;
  });
  afterAll(() => t.app.close());

  describe("the aggregates against the hand-computed values", () => {
    it("counts every coverage category, tier and WHO-5 summary per school in SQL", async () => {
      const stats = await groupStats(t.db, { schoolYear: "2025-2026", season: "spring" }, ["school"]);
      const A = stats.find((s) => s.key[0] === schoolA && !s.rolled[0]);
      const district = stats.find((s) => s.rolled[0]);
      expect(A?.population).toBe(90);
      expect(A?.coverage).toEqual({ "opted-out": 10, pending: 10, consented: 10, declined: 10, completed: 40, questionable: 10 });
      expect(A?.tiers).toEqual({ none: 20, yellow: 10, orange: 10, red: 10 });
      expect(A?.who5.n).toBe(50);
      expect(A?.who5.mean).toBeCloseTo(56, 9);
      // deviations −16 (20×), +4 (20×), +24 (10×): Σ = 11200, / 49
      expect(A?.who5.sd).toBeCloseTo(Math.sqrt(11200 / 49), 9);
      expect(district?.population).toBe(130);
      expect(district?.who5.n).toBe(90);
      expect(district?.who5.mean).toBeCloseTo(6000 / 90, 9);
    });

    it("publishes the tier distribution by school with Wilson intervals, every cell being 10 or more", async () => {
      const table = await json("/api/analytics/tiers?wave=2025-2026:spring&by=school");
      const A = rowOf(table, "第一中学");
      expect(A.slice(0, 2)).toEqual(["A01", "第一中学"]);
      expect(A[col(table, "n")]).toBe(50);
      expect(A[col(table, "none_n")]).toBe(20);
      expect(A[col(table, "none_rate")]).toBe(0.4);
      expect(A[col(table, "none_lower")]).toBeCloseTo(0.27608, 4);
      expect(A[col(table, "none_upper")]).toBeCloseTo(0.53819, 4);
      expect(A[col(table, "red_rate")]).toBe(0.2);
      expect(A[col(table, "red_lower")]).toBeCloseTo(0.11244, 4);
      const district = rowOf(table, "全部 all");
      expect(district[col(table, "n")]).toBe(90);
      expect(district[col(table, "none_n")]).toBe(30);
      expect(district[col(table, "none_lower")]).toBeCloseTo(0.24453, 4);
      expect(district[col(table, "none_upper")]).toBeCloseTo(0.43578, 4);
    });

    it("publishes coverage totals, and hides every school cell when B's empty categories would give them away", async () => {
      const table = await json("/api/analytics/coverage?wave=2025-2026:spring&by=school");
      const A = rowOf(table, "第一中学");
      const B = rowOf(table, "@第二中学");
      expect(A[col(table, "n")]).toBe(90);
      expect(B[col(table, "n")]).toBe(40);
      // B is all "completed": its five zeros are hidden, so the column total 10 minus A's 10 would show
      // them; A's 10s go too, then B's 40 and A's 40 (the cycle A 40+, B 40−, B 0+, A 10−).
      for (const c of ["opted-out", "pending", "consented", "declined", "completed", "questionable"]) {
        expect(A[col(table, `${c}_n`)]).toBeNull();
        expect(B[col(table, `${c}_n`)]).toBeNull();
        expect(A[col(table, `${c}_rate`)]).toBeNull();
      }
      const district = rowOf(table, "全部 all");
      expect(district[col(table, "n")]).toBe(130);
      expect(district[col(table, "opted-out_n")]).toBe(10);
      expect(district[col(table, "completed_n")]).toBe(80);
      expect(district[col(table, "completed_rate")]).toBeCloseTo(80 / 130, 12);
      // Wilson 80/130: centre 81.9208 / 133.8416 = 0.61207, half 1.96 / 133.8416 · √(80·50/130 + 0.9604) = 0.08249
      expect(district[col(table, "completed_lower")]).toBeCloseTo(0.52958, 4);
      expect(district[col(table, "completed_upper")]).toBeCloseTo(0.69456, 4);
    });

    it("publishes the happiness index per school with t intervals", async () => {
      const table = await json("/api/analytics/happiness?wave=2025-2026:spring&by=school");
      const A = rowOf(table, "第一中学");
      expect(A[col(table, "n")]).toBe(50);
      expect(A[col(table, "mean")]).toBeCloseTo(56, 9);
      // t(0.975, 49) = 2.00958; se = √(11200/49) / √50 = 2.13809
      expect(A[col(table, "lower")]).toBeCloseTo(56 - 2.009575 * 2.138090, 3);
      expect(A[col(table, "upper")]).toBeCloseTo(56 + 2.009575 * 2.138090, 3);
      const B = rowOf(table, "@第二中学");
      expect(B.slice(col(table, "n"))).toEqual([40, 80, 80, 80]);
      const district = rowOf(table, "全部 all");
      expect(district[col(table, "mean")]).toBeCloseTo(6000 / 90, 9);
    });

    it("gives the WHO-5 difference between sleep answers, hiding the categories nobody chose", async () => {
      const table = await json("/api/analytics/factors?wave=2025-2026:spring");
      const sleep = table.rows.filter((r) => r[0] === "sleep" && r[2] !== "全部 all");
      const byValue = new Map(sleep.map((r) => [r[2], r]));
      const four = byValue.get("4")!;
      expect(four[col(table, "n")]).toBe(70);
      expect(four[col(table, "mean")]).toBeCloseTo(5200 / 70, 9);
      expect(four[col(table, "reference")]).toBe("是 yes");
      for (const v of ["0", "1", "3", "5"]) expect(byValue.get(v)?.[col(table, "n")]).toBeNull();
      // with four empty categories hidden, the 20 of category 2 must go too (else 90 − 70 − 20 = 0 shows)
      expect(byValue.get("2")?.[col(table, "n")]).toBeNull();
      expect(table.rows.filter((r) => r[0] === "exercise").every((r) => r[col(table, "n")] === null)).toBe(true);
    });

    it("places both schools on the funnel around the district rate 40/90", async () => {
      const res = await json("/api/analytics/high-incidence?wave=2025-2026:spring");
      expect(res.districtRate).toBeCloseTo(40 / 90, 12);
      const A = rowOf(res, "第一中学");
      expect(A[col(res, "red_orange_n")]).toBe(20);
      expect(A[col(res, "rate")]).toBe(0.4);
      expect(A[col(res, "position")]).toBe("within");
      expect(rowOf(res, "@第二中学")[col(res, "rate")]).toBe(0.5);
      expect(res.above998).toEqual([]);
    });

    it("counts tier movement from spring to autumn, publishing only cells of 10 or more", async () => {
      const res = await json("/api/analytics/movement?from=2025-2026:spring&to=2025-2026:autumn");
      // true table (rows none, yellow, orange, red, new; columns none, yellow, orange, red):
      const truth = [
        [19, 0, 0, 10],
        [10, 0, 0, 0],
        [0, 10, 0, 0],
        [0, 0, 10, 0],
        [0, 0, 0, 0],
      ];
      const cells = res.rows.slice(0, 5).map((r) => r.slice(1, 5) as (number | null)[]);
      cells.forEach((r, i) => r.forEach((v, j) => v === null || expect(v).toBe(truth[i]![j])));
      const published = {
        cells,
        rowTotals: res.rows.slice(0, 5).map((r) => r[5] as number | null),
        columnTotals: res.rows[5]!.slice(1, 5) as (number | null)[],
        grandTotal: res.rows[5]![5] as number | null,
      };
      expect([...cells.flat(), ...published.rowTotals, ...published.columnTotals, published.grandTotal].filter((v) => v !== null && v < 10)).toEqual([]);
      expect(recoverable(truth, published)).toEqual([]);
    });
  });

  describe("small cells", () => {
    it("never shows school B's group of 9, nor lets it be recovered from the district total", async () => {
      for (const url of ["/api/analytics/tiers?wave=2025-2026:autumn&by=school", "/api/analytics/happiness?wave=2025-2026:autumn&by=school"]) {
        const table = await json(url);
        const B = rowOf(table, "@第二中学");
        expect(B.slice(2).every((v) => v === null), url).toBe(true);
        const A = rowOf(table, "第一中学");
        const district = rowOf(table, "全部 all");
        // 59 − 50 would give the 9 back: one of the two must be hidden
        expect(A[col(table, "n")] === null || district[col(table, "n")] === null, url).toBe(true);
        expect(JSON.stringify(table.rows)).not.toMatch(/(^|[^0-9.])9([^0-9.]|$)/);
      }
    });

    it("never publishes a count under k in any table of any wave, and none can be recovered", async () => {
      for (const wave of ["2025-2026:spring", "2025-2026:autumn"]) {
        for (const by of ["school", "grade", "school,grade"]) {
          const table = await json(`/api/analytics/tiers?wave=${wave}&by=${by}`);
          const tiers = ["none", "yellow", "orange", "red"];
          const body = table.rows.slice(0, -1);
          const margin = table.rows[table.rows.length - 1]!;
          const num = (v: unknown) => (typeof v === "number" ? v : null);
          const published = {
            cells: body.map((r) => tiers.map((c) => num(r[col(table, `${c}_n`)]))),
            rowTotals: body.map((r) => num(r[col(table, "n")])),
            columnTotals: tiers.map((c) => num(margin[col(table, `${c}_n`)])),
            grandTotal: num(margin[col(table, "n")]),
          };
          const all = [...published.cells.flat(), ...published.rowTotals, ...published.columnTotals, published.grandTotal];
          expect(all.filter((v) => v !== null && v < 10), `${wave} ${by}`).toEqual([]);
          const stats = await groupStats(t.db, { schoolYear: wave.slice(0, 9), season: wave.endsWith("spring") ? "spring" : "autumn" }, by.split(",") as ("school" | "grade")[]);
          const truth = stats.filter((s) => !s.rolled.some(Boolean));
          expect(truth.length).toBe(body.length);
        }
      }
    });

    it("raises k from the settings but never lowers it below 10", async () => {
      await t.db.query("INSERT INTO settings (key, value) VALUES ('analytics.min_cell_size', '25') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value");
      let table = await json("/api/analytics/tiers?wave=2025-2026:spring&by=school");
      expect(table.k).toBe(25);
      expect(rowOf(table, "第一中学")[col(table, "yellow_n")]).toBeNull();
      await t.db.query("UPDATE settings SET value = '3' WHERE key = 'analytics.min_cell_size'");
      table = await json("/api/analytics/tiers?wave=2025-2026:spring&by=school");
      expect(table.k).toBe(10);
      await t.db.query("DELETE FROM settings WHERE key = 'analytics.min_cell_size'");
    });
  });

  describe("CSV downloads", () => {
    it("sends exactly the table, UTF-8 with a BOM, hostile school names neutralised, with a Chinese file name", async () => {
      const res = await get("/api/analytics/high-incidence.csv?wave=2025-2026:spring");
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toBe("text/csv; charset=utf-8");
      expect(res.headers["content-disposition"]).toBe(
        "attachment; filename=\"high-incidence_2025-2026_spring_school.csv\"; filename*=UTF-8''%E9%AB%98%E5%8F%91%E5%AD%A6%E6%A0%A1%EF%BC%88%E7%BA%A2%E8%89%B2%2B%E6%A9%99%E8%89%B2%E6%AF%94%E4%BE%8B%E6%BC%8F%E6%96%97%E5%9B%BE%EF%BC%89_2025-2026_spring_school.csv",
      );
      expect([...res.rawPayload.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const lines = res.rawPayload.subarray(3).toString("utf8").split("\r\n");
      expect(lines).toMatchInlineSnapshot(`
        [
          "学校代码 school code,学校 school,已评定人数 screened,红色+橙色人数 red + orange count,红色+橙色比例 red + orange rate,比例95%下限 rate 95% lower,比例95%上限 rate 95% upper,95%控制下限 95% lower limit,95%控制上限 95% upper limit,99.8%控制下限 99.8% lower limit,99.8%控制上限 99.8% upper limit,位置 position",
          "A01,第一中学,50,20,0.4,0.27608189786245746,0.5381881089724063,0.2979821406730842,0.573813663531775,0.2224902222795029,0.6537085756778211,within",
          "B02,'@第二中学,40,20,0.5,0.35199278797099753,0.6480072120290025,0.27903185046981577,0.5882657062309073,0.19646308127275236,0.6745938064169044,within",
          "全部 all,全部 all,90,40,0.4444444444444444,,,,,,,",
          "",
        ]
      `);
    });

    it("sends GB18030 on request, the same text", async () => {
      const utf = await get("/api/analytics/tiers.csv?wave=2025-2026:spring&by=school");
      const gb = await get("/api/analytics/tiers.csv?wave=2025-2026:spring&by=school&encoding=gb18030");
      expect(gb.headers["content-type"]).toBe("text/csv; charset=gb18030");
      expect(iconv.decode(gb.rawPayload, "gb18030")).toBe(utf.rawPayload.subarray(3).toString("utf8"));
    });

    it("writes the full aggregate export with every block and logs the download", async () => {
      const res = await get("/api/analytics/aggregates.csv?wave=2025-2026:spring&by=school,grade");
      expect(res.statusCode).toBe(200);
      const lines = res.rawPayload.subarray(3).toString("utf8").trim().split("\r\n");
      expect(lines).toHaveLength(1 + 2 + 1);
      expect(lines[0]).toContain("筛查覆盖率：应测人数 coverage enrolled");
      expect(lines[0]).toContain("预警等级分布：已评定人数 tiers screened");
      // coverage cells hidden as in the coverage table; the tier block as in the tier table; the
      // happiness block hidden (schools × grades has A only in 7 and B only in 8: the zeros hide the rest)
      expect(lines[1]).toMatch(/^A01,第一中学,7,90,{25}50,20,0\.4,0\.2760818978624574\d*,0\.538188108972406\d*,10,0\.2,/);
      expect(lines[1]).toMatch(/,,,,$/);
      expect(lines[2]).toMatch(/^B02,'@第二中学,8,40,/);
      const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action = 'analytics.export' AND subject = 'aggregates'");
      expect(rows[0]?.n).toBeGreaterThanOrEqual(1);
    });
  });

  describe("who may see what", () => {
    it("contains no student id or name in any analytics answer", async () => {
      const urls = [
        "/api/analytics/waves",
        ...["school", "grade", "school,grade"].flatMap((by) => [`/api/analytics/coverage?wave=2025-2026:spring&by=${by}`, `/api/analytics/happiness?wave=2025-2026:autumn&by=${by}`]),
        ...["school", "grade", "gender", "key-population", "school,grade"].map((by) => `/api/analytics/tiers?wave=2025-2026:spring&by=${by}`),
        "/api/analytics/factors?wave=2025-2026:spring",
        "/api/analytics/high-incidence?wave=2025-2026:autumn",
        "/api/analytics/movement?from=2025-2026:spring&to=2025-2026:autumn",
        "/api/analytics/aggregates.csv?wave=2025-2026:spring&by=school,grade",
      ];
      const secrets = [...a.studentIds, ...b.studentIds, ...a.names, ...b.names];
      for (const url of urls) {
        const res = await get(url);
        expect(res.statusCode, url).toBe(200);
        for (const s of secrets) expect(res.body.includes(s), `${url} leaks ${s}`).toBe(false);
      }
    });

    it("refuses the analyst every student and class endpoint", async () => {
      for (const url of [`/api/schools/${schoolA}/classes`, `/api/students/${a.studentIds[0]}`, `/api/watchlist?schoolId=${schoolA}`]) {
        const res = await get(url);
        expect([403, 404], url).toContain(res.statusCode);
      }
    });

    it.each(["admin", "counselor", "homeroom", "school-lead"] as const)("answers 403 to a %s", async (role) => {
      const id = await t.seed.account(role, role === "admin" ? {} : { schoolId: schoolA, classes: role === "homeroom" ? [{ classId: classA, relation: "homeroom" }] : [] });
      const { headers } = await t.signIn(id);
      for (const url of ["/api/analytics/tiers?wave=2025-2026:spring", "/api/analytics/coverage.csv?wave=2025-2026:spring", "/api/analytics/waves"]) {
        const res = await get(url, headers);
        expect(res.statusCode, url).toBe(403);
        expect(res.json()).toMatchObject({ error: { code: "forbidden" } });
      }
    });

    it("answers 401 without a session", async () => {
      const res = await t.app.inject({ method: "GET", url: "/api/analytics/tiers?wave=2025-2026:spring" });
      expect(res.statusCode).toBe(401);
    });
  });

  describe("bad input", () => {
    it.each([
      { url: "/api/analytics/tiers?wave=2025-2026:spring';DROP TABLE students;--", path: "querystring.wave" },
      { url: "/api/analytics/tiers?wave=<script>alert(1)</script>", path: "querystring.wave" },
      { url: `/api/analytics/tiers?wave=${"x".repeat(1_000_000)}`, path: "querystring.wave" },
      { url: "/api/analytics/tiers?wave=2025-2026:spring%00", path: "querystring.wave" },
      { url: "/api/analytics/tiers?wave=%F0%9F%98%80", path: "querystring.wave" },
      { url: "/api/analytics/tiers?wave=2025-2026:spring&by=student", path: "querystring.by" },
      { url: "/api/analytics/tiers?wave=2025-2026:spring&by=%F0%A0%AE%B7", path: "querystring.by" },
      { url: "/api/analytics/coverage?wave=2025-2026:spring&by=gender", path: "querystring.by" },
      { url: "/api/analytics/tiers.csv?wave=2025-2026:spring&encoding=latin1", path: "querystring.encoding" },
      { url: "/api/analytics/tiers?wave=2025-2026:spring&studentId=x", path: "querystring" },
      { url: "/api/analytics/movement?from=2025-2026:spring", path: "querystring.to" },
    ])("refuses $path with 400 and the place ($url)", async ({ url, path }) => {
      const res = await get(url);
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.error.code).toBe("invalid_request");
      expect(body.error.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it("answers 404 for a wave no school has", async () => {
      const res = await get("/api/analytics/tiers?wave=2030-2031:spring");
      expect(res.statusCode).toBe(404);
      expect(res.json()).toMatchObject({ error: { code: "not_found" } });
    });
  });
});
