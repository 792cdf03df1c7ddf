/**
 * What leaves for the district (issue 8, "Exports"): every /api/analytics/* answer, JSON and CSV (both
 * encodings), on a district with small groups, holds no student count under k and no per-student field
 * (no student's id, name or number anywhere in it), and no CSV cell a spreadsheet would run as a formula
 * (school names starting with =, +, -, @, a tab or a carriage return). The routes come from the app
 * itself: a new analytics route without queries here fails.
 */
import iconv from "iconv-lite";
import Papa from "papaparse";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SchoolGradeBy, TierBy, type AnalyticsTable } from "../../src/shared/analytics";
import { describeEachDatabase } from "../helpers/databases";
import { startTestServer, type TestServer } from "../helpers/server";
import { listRoutes } from "./routes";

const SPRING = "2025-2026:spring";
const AUTUMN = "2025-2026:autumn";

/** Queries per analytics table (the CSV twin takes the same ones): every break-down the schemas allow. */
const QUERIES: Record<string, readonly string[]> = {
  "/api/analytics/waves": [""],
  "/api/analytics/coverage": SchoolGradeBy.options.map((by) => `wave=${SPRING}&by=${by}`),
  "/api/analytics/tiers": TierBy.options.map((by) => `wave=${SPRING}&by=${by}`),
  "/api/analytics/happiness": SchoolGradeBy.options.map((by) => `wave=${SPRING}&by=${by}`),
  "/api/analytics/aggregates": SchoolGradeBy.options.map((by) => `wave=${SPRING}&by=${by}`),
  "/api/analytics/factors": [`wave=${SPRING}`],
  "/api/analytics/high-incidence": [`wave=${SPRING}`],
  "/api/analytics/movement": [`from=${SPRING}&to=${AUTUMN}`],
  "/api/analytics/follow-up": [`wave=${SPRING}`],
};

const ANALYTICS = (await listRoutes()).filter((r) => r.url.startsWith("/api/analytics/"));

/** School names a spreadsheet would run as formulas, were they written as they are. */
const FORMULA_NAMES = ['=HYPERLINK("http://evil.example","点我")', "+SUM(1,2)", "-2+3中学", "@cmd中学", "\t制表中学", "\r回车中学"];

/** Keys that would carry a single student. */
const PER_STUDENT_KEYS = /^(student_?id|student_?no|student_?name|students|name_enc|student_no_enc)$/i;

/** A plain number as the CSV writes it (a mean difference may be negative). */
const NUMBER = /^-?\d+(\.\d+)?(e-?\d+)?$/;

describe("the export checks", () => {
  it("have queries for every analytics route of the app", () => {
    expect(ANALYTICS.length).toBeGreaterThan(10);
    expect(ANALYTICS.map((r) => r.url.replace(/\.csv$/, "")).filter((u) => QUERIES[u] === undefined)).toEqual([]);
  });
});

describeEachDatabase("what analysts can export", (getDb) => {
  let t: TestServer;
  let analyst: Record<string, string>;
  const secrets: string[] = [];
  /** Column type by CSV header label ("人数 n"), from the JSON tables. */
  const typeOfLabel = new Map<string, string>();
  /** The suppression threshold in force, as the tables state it. */
  let k = 0;

  /** `count` students of a class with a submitted response in `waveId` with this tier and WHO-5 percent. */
  async function cohort(classId: string, waveIds: readonly string[], count: number, tier: string, who5: number, extra: { gender?: string; keyPopulation?: string[] } = {}): Promise<void> {
    for (let i = 0; i < count; i++) {
      const n = secrets.length / 3 + 1;
      const name = `秘密学生${n}`;
      const studentNo = `77${String(n).padStart(8, "0")}`;
      const id = await t.seed.student(classId, { name, studentNo, keyPopulation: extra.keyPopulation ?? [] });
      secrets.push(id, name, studentNo);
      if (extra.gender !== undefined) await t.db.query("UPDATE students SET gender = $2 WHERE id = $1", [id, extra.gender]);
      for (const waveId of waveIds) {
        const responseId = t.deps.newId();
        const at = "2026-03-10T08:00:00Z";
        await t.db.query(
          `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
           VALUES ($1, $2, $3, 'secondary', 'submitted', $4, $5, $5, $5)`,
          [responseId, waveId, id, JSON.stringify({ "wellbeing-factors": { sleep: i % 5 } }), at],
        );
        await t.db.query("INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at) VALUES ($1, $2, $3, $4, '[]', 'default-v1', $5)", [
          responseId,
          JSON.stringify({ who5: { kind: "scored", instrument: "who5", total: who5 / 4, percent: who5, critical: [] } }),
          JSON.stringify({ kind: "valid" }),
          tier,
          at,
        ]);
        if (tier === "red") {
          await t.db.query("INSERT INTO alerts (id, school_id, student_id, source, source_id, kind, created_at) SELECT $1, school_id, id, 'response', $3, 'critical', $4 FROM students WHERE id = $2", [
            t.deps.newId(),
            id,
            responseId,
            at,
          ]);
        }
      }
    }
  }

  async function wave(schoolId: string, season: "spring" | "autumn"): Promise<string> {
    const id = t.deps.newId();
    await t.db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       VALUES ($1, $2, '2025-2026', $3, $4, '2026-12-31T00:00:00Z', '[]', 'default-v1', 'open', $4)`,
      [id, schoolId, season, season === "spring" ? "2026-03-01T00:00:00Z" : "2026-09-01T00:00:00Z"],
    );
    return id;
  }

  beforeAll(async () => {
    t = await startTestServer(getDb());
    // A large school whose groups mostly pass k, a school of 9, and small schools named like formulas.
    const big = await t.seed.school({ code: "BIG", name: "大中学" });
    const bigClass = await t.seed.klass(big, 7, "1");
    const bigWaves = [await wave(big, "spring"), await wave(big, "autumn")];
    await cohort(bigClass, bigWaves, 12, "none", 72, { gender: "female" });
    await cohort(bigClass, bigWaves, 11, "yellow", 48, { gender: "male", keyPopulation: ["left-behind-or-single-parent"] });
    await cohort(bigClass, bigWaves, 4, "orange", 40, { gender: "male" });
    await cohort(bigClass, bigWaves, 3, "red", 20, { gender: "female" });
    const small = await t.seed.school({ code: "SMALL", name: "小中学" });
    await cohort(await t.seed.klass(small, 8, "1"), [await wave(small, "spring"), await wave(small, "autumn")], 9, "yellow", 60, { gender: "female" });
    for (const [i, name] of FORMULA_NAMES.entries()) {
      const school = await t.seed.school({ code: `F${i}`, name });
      await cohort(await t.seed.klass(school, 9, "1"), [await wave(school, "spring")], 3, i % 2 === 0 ? "none" : "red", 52);
    }
    analyst = (await t.signIn(await t.seed.account("analyst"))).headers;
    // The CSV checks find a column's type by its header label, from the JSON tables.
    for (const route of ANALYTICS.filter((r) => !r.url.endsWith(".csv"))) {
      for (const query of QUERIES[route.url] ?? []) {
        const table = (await t.app.inject({ method: "GET", url: `${route.url}?${query}`, headers: analyst })).json<Partial<AnalyticsTable>>();
        for (const c of table.columns ?? []) {
          typeOfLabel.set(`${c.label["zh-CN"]} ${c.label.en}`, c.type);
          // The aggregate export puts the coverage, tier and happiness columns side by side under their table's name.
          if (c.type !== "group") typeOfLabel.set(`${table.title?.["zh-CN"]}：${c.label["zh-CN"]} ${table.id} ${c.label.en}`, c.type);
        }
        k = Math.max(k, table.k ?? 0);
      }
    }
    expect(k).toBeGreaterThanOrEqual(10);
  });
  afterAll(() => t.app.close());

  const leaks = (text: string): string[] => secrets.filter((s) => text.includes(s));

  function countProblems(where: string, columns: readonly { type: string; key: string }[], rows: readonly (readonly unknown[])[], tableK: number): string[] {
    const problems: string[] = [];
    columns.forEach((c, j) => {
      if (c.type !== "count") return;
      for (const r of rows) {
        const v = r[j];
        if (v === null || v === "" || v === undefined) continue;
        if (typeof v !== "number" || v < tableK) problems.push(`${where}: ${c.key} = ${JSON.stringify(v)} (k = ${tableK})`);
      }
    });
    return problems;
  }

  function perStudentKeys(value: unknown, path = ""): string[] {
    if (Array.isArray(value)) return value.flatMap((v, i) => perStudentKeys(v, `${path}[${i}]`));
    if (value === null || typeof value !== "object") return [];
    return Object.entries(value).flatMap(([key, v]) => [...(PER_STUDENT_KEYS.test(key) ? [`${path}.${key}`] : []), ...perStudentKeys(v, `${path}.${key}`)]);
  }

  for (const route of ANALYTICS) {
    const base = route.url.replace(/\.csv$/, "");
    const csv = route.url.endsWith(".csv");
    it(`${route.url}: no count under k, no student, ${csv ? "no formula cell" : "aggregates only"}`, async () => {
      const queries = QUERIES[base];
      if (queries === undefined) throw new Error(`no queries for ${route.url}: add them to QUERIES in tests/security/exports.test.ts`);
      const problems: string[] = [];
      for (const query of queries) {
        for (const encoding of csv ? ["utf-8", "gb18030"] : [null]) {
          const url = `${route.url}?${[query, encoding === null ? "" : `encoding=${encoding}`].filter((s) => s !== "").join("&")}`;
          const res = await t.app.inject({ method: "GET", url, headers: analyst });
          if (res.statusCode !== 200) {
            problems.push(`${url}: ${res.statusCode} ${res.body.slice(0, 200)}`);
            continue;
          }
          if (!csv) {
            const body = res.json<Partial<AnalyticsTable> & { summary?: Record<string, number | null> }>();
            problems.push(...leaks(res.body).map((s) => `${url}: carries ${s}`), ...perStudentKeys(body).map((p) => `${url}: per-student key ${p}`));
            if (body.columns !== undefined && body.rows !== undefined) {
              if (body.k !== k) problems.push(`${url}: k = ${body.k}, not ${k}`);
              problems.push(...countProblems(url, body.columns, body.rows, k));
            }
            for (const [key, v] of Object.entries(body.summary ?? {})) if (v !== null && v < k) problems.push(`${url}: summary ${key} = ${v}`);
            continue;
          }
          expect(res.headers["content-type"]).toMatch(/^text\/csv/);
          const text = encoding === "gb18030" ? iconv.decode(res.rawPayload, "gb18030") : res.rawPayload.toString("utf8").replace(/^\uFEFF/, "");
          problems.push(...leaks(text).map((s) => `${url}: carries ${s}`));
          const parsed = Papa.parse<string[]>(text, { header: false, skipEmptyLines: true });
          const [header, ...rows] = parsed.data;
          const columns = (header ?? []).map((label) => {
            const type = typeOfLabel.get(label);
            if (type === undefined) problems.push(`${url}: column "${label}" is not a column of any JSON table`);
            return { key: label, type: type ?? "unknown" };
          });
          problems.push(...countProblems(url, columns, rows.map((r) => r.map((cell) => (NUMBER.test(cell) ? Number(cell) : cell))), k));
          for (const cell of parsed.data.flat()) {
            if (/^[=+\-@\t\r]/.test(cell) && !NUMBER.test(cell)) problems.push(`${url}: formula cell ${JSON.stringify(cell)}`);
          }
          if (query.includes("by=school") || !query.includes("by=")) {
            // The formula-like names are there, each behind the quote that neutralises it.
            for (const name of FORMULA_NAMES) if (text.includes(name) && !text.includes(`'${name}`)) problems.push(`${url}: ${JSON.stringify(name)} not neutralised`);
          }
        }
      }
      expect(problems, problems.join("\n")).toEqual([]);
    });
  }

  it("publishes the counts of the large school (the checks above have something to check)", async () => {
    const table = (await t.app.inject({ method: "GET", url: `/api/analytics/tiers?wave=${SPRING}&by=school`, headers: analyst })).json<AnalyticsTable>();
    const n = table.columns.findIndex((c) => c.key === "n");
    expect(table.rows.find((r) => r.includes("大中学"))?.[n]).toBe(30);
    expect(table.rows.find((r) => r.includes("小中学"))?.[n]).toBeNull();
  });

  it("labels the small schools in the school break-down, their names neutralised", async () => {
    const res = await t.app.inject({ method: "GET", url: `/api/analytics/tiers.csv?wave=${SPRING}&by=school`, headers: analyst });
    const cells = Papa.parse<string[]>(res.rawPayload.toString("utf8").replace(/^\uFEFF/, ""), { header: false }).data.flat();
    for (const name of FORMULA_NAMES) expect(cells).toContain(`'${name}`);
  });
});
