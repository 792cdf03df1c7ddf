/**
 * A district analyst opens /analyst in real Chromium: every chart draws from the real analytics endpoints
 * on a small district of two schools (written to the database the way tests/server/analytics does it),
 * each table shows exactly the API's figures, hidden cells show as "—" with the note, the CSV download is
 * the server's CSV byte for byte, the PNG export is a PNG, and the analyst cannot open /counselor.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import type { AnalyticsTable } from "../../src/shared/analytics";
import { cellText, tableView } from "../../src/app/analyst/model";
import { addCohorts, type Cohort } from "../server/analytics/fixtures";
import { chromiumForTests, newStudentContext, shot, useChromiumLab, type Lab } from "./harness";
import { expectAccessible } from "./steps";

const executablePath = chromiumForTests();

const SPRING = "2024-2025:spring";
const AUTUMN = "2024-2025:autumn";
const PANELS = ["coverage", "tiers", "movement", "happiness", "factors", "high-incidence", "follow-up"] as const;

let seq = 0;
const nextId = (prefix: string): string => `e2e-${prefix}-${(++seq).toString().padStart(5, "0")}`;

async function addWave(lab: Lab, schoolId: string, season: "spring" | "autumn", opensAt: string): Promise<string> {
  const id = nextId("wave");
  await lab.server.db.query(
    `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
     VALUES ($1, $2, '2024-2025', $3, $4, $4::timestamptz + interval '30 days', '[]', 'default-v1', 'closed', $4)`,
    [id, schoolId, season, opensAt],
  );
  return id;
}

interface Follow {
  readonly schoolId: string;
  readonly counselor: string;
  readonly students: readonly string[];
}

/** `count` alerts raised on 2025-03-03 09:00 China time, acknowledged the same day or two days later. */
async function addAlerts(lab: Lab, s: Follow, count: number, sameDay: boolean, from: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await lab.server.db.query(
      `INSERT INTO alerts (id, school_id, student_id, source, source_id, kind, created_at, acknowledged_at, acknowledged_by)
       VALUES ($1, $2, $3, 'observation', $1, 'critical', '2025-03-03T01:00:00Z', $4, $5)`,
      [nextId("alert"), s.schoolId, s.students[from + i], sameDay ? "2025-03-03T03:00:00Z" : "2025-03-05T03:00:00Z", s.counselor],
    );
  }
}

/** Cases opened 2025-03-02 (China): closed, open (due after now) or overdue; the first ones interviewed `days` later. */
async function addCases(lab: Lab, s: Follow, state: "closed" | "open" | "overdue", count: number, from: number, days: readonly number[] = []): Promise<void> {
  for (let i = 0; i < count; i++) {
    const id = nextId("case");
    const dueAt = state === "closed" ? null : state === "open" ? "2026-04-01T15:59:59.999Z" : "2025-03-10T15:59:59.999Z";
    await lab.server.db.query(
      `INSERT INTO cases (id, school_id, student_id, tier, reason_enc, state, assigned_to, opened_by, opened_at, due_at, closed_at, policy_version, updated_at)
       VALUES ($1, $2, $3, 'red', 'x', $4, $5, $5, '2025-03-02T02:00:00Z', $6, $7, 'default-v1', '2025-03-02T02:00:00Z')`,
      [id, s.schoolId, s.students[from + i], state === "closed" ? "closed" : "interviewed", s.counselor, dueAt, state === "closed" ? "2025-03-20T00:00:00Z" : null],
    );
    const d = days[i];
    const steps: [string, object][] = [["open", {}], ...(d === undefined ? [] : [["interview", { date: `2025-03-${(2 + d).toString().padStart(2, "0")}`, dueDate: null }] as [string, object]])];
    for (const [n, [kind, data]] of steps.entries()) {
      await lab.server.db.query("INSERT INTO case_steps (id, case_id, seq, kind, at, by_account, data) VALUES ($1, $2, $3, $4, '2025-03-02T02:00:00Z', $5, $6)", [
        nextId("step"),
        id,
        n + 1,
        kind,
        s.counselor,
        JSON.stringify(data),
      ]);
    }
  }
}

const completed = (tier: "none" | "yellow" | "orange" | "red", count: number, who5: number, sleep: number): Cohort => ({ count, outcome: "completed", tier, who5, sleep });

/**
 * The district of wave 2024-2025 spring (and its autumn before):
 *   E01 东城中学, grade 7: 12 opted out, 10 pending; 60 completed: none 10, yellow 10, orange 20, red 20
 *     (red + orange 40 / 60: above the 99.8 % limit around the district rate 60 / 179)
 *   W02 西城中学, grade 8: 3 opted out (a hidden cell); 110 completed: none 70, yellow 20, orange 10, red 10;
 *     grade 9: 9 completed, none (a group under k when broken down by grade)
 *   autumn: the same students, E01 none 30, yellow 10, orange 10, red 10; W02 none 99, yellow 10, orange 10
 *   follow-up (spring): E01 30 alerts (20 the same day), 30 cases (10 closed, 10 open, 10 overdue), 12
 *     interviewed, median 2.5 days; W02 20 alerts (10 the same day), 30 cases, only 4 interviewed (median hidden)
 */
async function seedDistrict(lab: Lab): Promise<void> {
  const { seed } = lab.server;
  const east = await seed.school({ code: "E01", name: "东城中学" });
  const west = await seed.school({ code: "W02", name: "西城中学" });
  const e7 = await seed.klass(east, 7, "1");
  const w8 = await seed.klass(west, 8, "1");
  const w9 = await seed.klass(west, 9, "1");
  const waves = {
    eastAutumn: await addWave(lab, east, "autumn", "2024-09-01T00:00:00Z"),
    westAutumn: await addWave(lab, west, "autumn", "2024-09-01T00:00:00Z"),
    eastSpring: await addWave(lab, east, "spring", "2025-03-01T00:00:00Z"),
    westSpring: await addWave(lab, west, "spring", "2025-03-01T00:00:00Z"),
  };
  const e = await addCohorts(lab.server, e7, waves.eastSpring, [
    { count: 12, outcome: "opted-out" },
    { count: 10, outcome: "pending" },
    completed("none", 10, 72, 4),
    completed("yellow", 10, 60, 3),
    completed("orange", 20, 44, 2),
    completed("red", 20, 32, 1),
  ]);
  const w = await addCohorts(lab.server, w8, waves.westSpring, [
    { count: 3, outcome: "opted-out" },
    completed("none", 70, 76, 4),
    completed("yellow", 20, 64, 3),
    completed("orange", 10, 48, 2),
    completed("red", 10, 36, 1),
  ]);
  const w9Built = await addCohorts(lab.server, w9, waves.westSpring, [completed("none", 9, 80, 4)]);
  const eastDone = e.studentIds.slice(22);
  const westDone = [...w.studentIds.slice(3), ...w9Built.studentIds];
  await addCohorts(lab.server, e7, waves.eastAutumn, [completed("none", 30, 68, 4), completed("yellow", 10, 60, 3), completed("orange", 10, 48, 2), completed("red", 10, 40, 1)], eastDone);
  await addCohorts(lab.server, w8, waves.westAutumn, [completed("none", 99, 76, 4), completed("yellow", 10, 64, 3), completed("orange", 10, 48, 2)], westDone);

  const eastFollow: Follow = { schoolId: east, counselor: await seed.account("counselor", { schoolId: east }), students: eastDone };
  const westFollow: Follow = { schoolId: west, counselor: await seed.account("counselor", { schoolId: west }), students: westDone };
  await addAlerts(lab, eastFollow, 20, true, 0);
  await addAlerts(lab, eastFollow, 10, false, 20);
  await addCases(lab, eastFollow, "closed", 10, 0, [0, 1, 1, 2, 2, 2, 3, 3, 4, 5]);
  await addCases(lab, eastFollow, "open", 10, 10, [6, 8]);
  await addCases(lab, eastFollow, "overdue", 10, 20);
  await addAlerts(lab, westFollow, 10, true, 0);
  await addAlerts(lab, westFollow, 10, false, 10);
  await addCases(lab, westFollow, "closed", 10, 0, [1, 2, 3, 4]);
  await addCases(lab, westFollow, "open", 10, 10);
  await addCases(lab, westFollow, "overdue", 10, 20);
}

/** The texts of a panel's table body, cell by cell. */
async function tableTexts(page: Page, panel: string): Promise<string[][]> {
  return page.locator(`[data-panel="${panel}"] table.xq-figures tbody tr`).evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => (td.textContent ?? "").trim())));
}

describe.skipIf(!executablePath)("the district analyst's dashboards", { timeout: 180_000 }, () => {
  const env = useChromiumLab(executablePath, 1);
  let session: { cookie: string; headers: Record<string, string> };

  const api = async <T>(url: string): Promise<T> => {
    const res = await env.lab.server.app.inject({ method: "GET", url, headers: session.headers });
    expect(res.statusCode, `${url}: ${res.body}`).toBe(200);
    return res.json() as T;
  };

  const analystPage = async () => {
    const { context, page } = await newStudentContext(env.browser);
    await context.addCookies([{ name: "xq_session", value: session.cookie.replace(/^xq_session=/, ""), url: env.lab.baseUrl }]);
    const errors: string[] = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(e.message));
    return { context, page, errors };
  };

  beforeAll(async () => {
    await seedDistrict(env.lab);
    session = await env.lab.server.signIn(await env.lab.server.seed.account("analyst"));
  }, 120_000);

  it("draws every chart, with tables of exactly the API's figures, hidden cells as —, CSV and PNG exports", async () => {
    const { context, page, errors } = await analystPage();
    await page.goto(`${env.lab.baseUrl}/analyst`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("全区统计");
    await page.getByLabel("筛查轮次 · Wave").selectOption(SPRING);
    expect(await page.getByLabel("对比轮次（等级变化）· Compare with (movement)").inputValue()).toBe(AUTUMN);

    for (const panel of PANELS) await page.locator(`[data-panel="${panel}"] canvas`).first().waitFor({ timeout: 20_000 });

    const q = `wave=${encodeURIComponent(SPRING)}`;
    const urls: Record<(typeof PANELS)[number], string> = {
      coverage: `/api/analytics/coverage?${q}&by=school`,
      tiers: `/api/analytics/tiers?${q}&by=school`,
      movement: `/api/analytics/movement?from=${encodeURIComponent(AUTUMN)}&to=${encodeURIComponent(SPRING)}`,
      happiness: `/api/analytics/happiness?${q}&by=school`,
      factors: `/api/analytics/factors?${q}`,
      "high-incidence": `/api/analytics/high-incidence?${q}`,
      "follow-up": `/api/analytics/follow-up?${q}`,
    };
    const tables = {} as Record<(typeof PANELS)[number], AnalyticsTable>;
    for (const panel of PANELS) {
      tables[panel] = await api<AnalyticsTable>(urls[panel]);
      const expected = tableView(tables[panel]).rows.map((r) => r.map(cellText));
      expect(await tableTexts(page, panel), panel).toEqual(expected);
      expect(await page.locator(`[data-panel="${panel}"] table caption`).textContent()).toContain(tables[panel].title["zh-CN"]);
    }

    await expectAccessible(page, "analyst dashboards");

    // Published figures are there: E01's 40 red+orange of 60, above the 99.8 % limit, listed.
    const tiers = tables.tiers;
    const east = tiers.rows.find((r) => r[1] === "东城中学")!;
    expect(east[tiers.columns.findIndex((c) => c.key === "red_n")]).toBe(20);
    expect(await page.getByTestId("above998").textContent()).toContain("E01 东城中学");
    const followUp = tables["follow-up"];
    const median = followUp.columns.findIndex((c) => c.key === "median_days_to_interview");
    expect(followUp.rows.find((r) => r[1] === "东城中学")![median]).toBe(2.5);
    expect(followUp.rows.find((r) => r[1] === "西城中学")![median]).toBeNull();

    // W02's 3 opted-out students: null in the API, "—" with the note on the page, never 0.
    const coverage = tables.coverage;
    const optedOut = coverage.columns.findIndex((c) => c.key === "opted-out_n");
    const westRow = coverage.rows.findIndex((r) => r[1] === "西城中学");
    expect(coverage.rows[westRow]![optedOut]).toBeNull();
    const hiddenCell = page.locator(`[data-panel="coverage"] tbody tr`).nth(westRow).locator("td").nth(optedOut);
    expect(await hiddenCell.textContent()).toBe("—");
    expect(await hiddenCell.getAttribute("data-hidden")).toBe("true");
    expect(await hiddenCell.locator("abbr").getAttribute("title")).toBe("少于 10 人，已隐藏 · fewer than 10, hidden");
    expect(await page.locator(`[data-panel="coverage"] [data-testid="hidden-note"]`).textContent()).toBe("— 少于 10 人，已隐藏 · fewer than 10, hidden");
    expect(await page.locator(`[data-panel="coverage"] [data-testid="chart-hidden-note"]`).textContent()).toContain("少于 10 人，已隐藏");
    const followUpMedian = page.locator(`[data-panel="follow-up"] tbody tr`).nth(followUp.rows.findIndex((r) => r[1] === "西城中学")).locator("td").nth(median);
    expect(await followUpMedian.getAttribute("data-hidden")).toBe("true");

    await page.locator('[data-panel="coverage"]').scrollIntoViewIfNeeded();
    await shot(page, "50-analyst-coverage");
    await page.locator('[data-panel="tiers"] canvas').scrollIntoViewIfNeeded();
    await shot(page, "51-analyst-tiers");
    for (const [panel, name] of [
      ["movement", "52-analyst-movement"],
      ["happiness", "53-analyst-happiness"],
      ["factors", "54-analyst-factors"],
      ["high-incidence", "55-analyst-funnel"],
      ["follow-up", "56-analyst-follow-up"],
    ] as const) {
      await page.locator(`[data-panel="${panel}"] canvas`).scrollIntoViewIfNeeded();
      await shot(page, name);
    }

    // The CSV is the server's CSV of the same query, byte for byte (BOM, suppression, formula guard).
    const tiersPanel = page.locator('[data-panel="tiers"]');
    const [csv] = await Promise.all([page.waitForEvent("download"), tiersPanel.getByRole("link", { name: "下载 CSV · Download CSV" }).click()]);
    expect(csv.suggestedFilename()).toBe("预警等级分布_2024-2025_spring_school.csv");
    const csvBytes = readFileSync((await csv.path())!);
    const served = await env.lab.server.app.inject({ method: "GET", url: `/api/analytics/tiers.csv?${q}&by=school`, headers: session.headers });
    expect(csvBytes.equals(served.rawPayload)).toBe(true);
    expect([...csvBytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const lines = csvBytes.subarray(3).toString("utf8").trim().split("\r\n");
    expect(lines[0]).toMatch(/^学校代码 school code,学校 school,已评定人数 screened,/);
    expect(lines[1]).toMatch(/^E01,东城中学,60,10,/);
    expect(lines).toHaveLength(tiers.rows.length + 1);

    // The PNG export is the chart as a PNG data URL.
    const funnel = page.locator('[data-panel="high-incidence"]');
    const [png] = await Promise.all([page.waitForEvent("download"), funnel.getByRole("button", { name: "导出 PNG · Export PNG" }).click()]);
    expect(png.url()).toMatch(/^data:image\/png;base64,/);
    expect(png.suggestedFilename()).toBe("高发学校（红色+橙色比例漏斗图）_2024-2025_spring_school.png");
    expect([...readFileSync((await png.path())!).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    // By grade: grade 9's 9 students are under k, hidden in the tier table (with its complement).
    await page.getByLabel("分组 · Break down by").selectOption("grade");
    const byGrade = await api<AnalyticsTable>(`/api/analytics/tiers?${q}&by=grade`);
    const grade9 = byGrade.rows.findIndex((r) => r[0] === "9");
    expect(byGrade.rows[grade9]!.slice(1).every((v) => v === null)).toBe(true);
    await expect.poll(() => tableTexts(page, "tiers")).toEqual(tableView(byGrade).rows.map((r) => r.map(cellText)));
    expect((await tableTexts(page, "tiers"))[grade9]!.slice(1).every((t) => t === "—")).toBe(true);
    await page.locator('[data-panel="tiers"] canvas').waitFor();
    await page.locator('[data-panel="tiers"] canvas').scrollIntoViewIfNeeded();
    await shot(page, "57-analyst-tiers-by-grade");

    // Gender: tiers only; coverage falls back to school and says so.
    await page.getByLabel("分组 · Break down by").selectOption("gender");
    await expect.poll(() => page.locator('[data-panel="coverage"] [data-testid="breakdown-note"]').textContent()).toContain("shown by school");
    await page.locator('[data-panel="tiers"] canvas').waitFor();

    expect(errors).toEqual([]);
    await context.close();
  });

  it("shows the analyst no counselor page: not found", async () => {
    const { context, page, errors } = await analystPage();
    await page.goto(`${env.lab.baseUrl}/counselor`);
    await expect.poll(() => page.locator("main").textContent()).toContain("找不到这个页面。Page not found.");
    expect(await page.locator("canvas").count()).toBe(0);
    expect(errors.filter((e) => !/status of 40[34]/.test(e))).toEqual([]);
    await context.close();
  });
});
