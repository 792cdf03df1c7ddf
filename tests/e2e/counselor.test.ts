/**
 * The counselor's closed loop in real Chromium against the real server (issue 6, "Tests"): a student's
 * critical answer reaches a counselor page open in another browser context within 5 s (banner and
 * chime), is acknowledged by a named person and becomes a case that goes interview → plan (referral) →
 * referral → closed; an alert nobody acknowledges escalates (the test clock moved past 30 minutes, the
 * server's escalation run called as its timer does) and shows on the school lead's open page; and the
 * student page shows the entry, releases a check-in notice, and keeps an override beside the computed tier.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { escalateOverdue } from "../../src/server/features/alerts/escalate";
import { studentName } from "../../src/server/features/alerts/store";
import { chromiumForTests, newStudentContext, shot, useChromiumLab } from "./harness";
import { answerToLastPage, calm, enterCode, expectAccessible, pageTitle, type Choices } from "./steps";

const executablePath = chromiumForTests();

/** ASQ question 1 "yes" (a critical answer); with question 5 "yes" it is acute (red). */
const critical = (acute: boolean): Choices => ({ grid: { ...calm.grid, asq__grid: ["yes", "no", "no", "no"] }, question: { asq__q5: acute ? "yes" : "no" } });
/** PHQ-9 total 10 (moderate): a yellow student. */
const moderate: Choices = { ...calm, grid: { ...calm.grid, phq9__grid: ["2", "2", "2", "1", "1", "1", "1", "0", "0"] } };

describe.skipIf(!executablePath)("the counselor's pages in Chromium", { timeout: 120_000 }, () => {
  const env = useChromiumLab(executablePath, 4);

  interface Staff {
    readonly schoolId: string;
    readonly counselor: string;
    readonly lead: string;
  }
  let staff: Promise<Staff> | undefined;
  /** A counselor and a school lead of the lab's school, with display names (the named person who acknowledges). */
  const staffOf = (): Promise<Staff> =>
    (staff ??= (async () => {
      const { server } = env.lab;
      const { rows } = await server.db.query<{ school_id: string }>("SELECT school_id FROM waves WHERE id = $1", [env.lab.waveId]);
      const schoolId = rows[0]!.school_id;
      const counselor = await server.seed.account("counselor", { schoolId, username: "counselor.wang" });
      const lead = await server.seed.account("school-lead", { schoolId, username: "lead.li" });
      // The district admin names them (a school lead may not rename another lead, nor itself).
      const { headers } = await server.signIn(await server.seed.account("admin"));
      for (const [id, displayName] of [
        [counselor, "王老师"],
        [lead, "李校长"],
      ] as const) {
        const res = await server.app.inject({ method: "PATCH", url: `/api/accounts/${id}`, headers, payload: { displayName } });
        expect(res.statusCode, res.body).toBe(200);
      }
      return { schoolId, counselor, lead };
    })());

  /** A browser context signed in as `accountId` (the session cookie the server would set at sign-in). */
  async function staffPage(browser: Browser, accountId: string, path: string): Promise<{ context: BrowserContext; page: Page }> {
    const { cookie } = await env.lab.server.signIn(accountId);
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "zh-CN" });
    await context.addCookies([{ name: "xq_session", value: cookie.slice(cookie.indexOf("=") + 1), url: env.lab.baseUrl, httpOnly: true, sameSite: "Strict" }]);
    const page = await context.newPage();
    await page.goto(`${env.lab.baseUrl}${path}`);
    return { context, page };
  }

  const live = (page: Page) => page.getByRole("region", { name: "实时预警 · Live alerts" });
  const banner = (page: Page) => page.getByTestId("alert-banner");

  async function nameOf(studentId: string): Promise<string> {
    const { rows } = await env.lab.server.db.query<{ name_enc: string }>("SELECT name_enc FROM students WHERE id = $1", [studentId]);
    return studentName(env.lab.server.deps.keys, studentId, rows[0]!.name_enc);
  }

  /** A student answers the whole battery in their own context and submits. */
  async function studentSubmits(code: string, choices: Choices): Promise<void> {
    const { context, page } = await newStudentContext(env.browser);
    await enterCode(page, env.lab.baseUrl, code);
    await page.getByRole("button", { name: "开始填写" }).click();
    await expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);
    await answerToLastPage(page, choices);
    await page.locator(".sd-navigation__complete-btn").click();
    await expect.poll(() => page.locator("[data-screen=done]").isVisible(), { timeout: 15_000 }).toBe(true);
    await context.close();
  }

  it("brings a critical answer to the open counselor page within 5 s, and follows it through a case to its close", async () => {
    const { counselor } = await staffOf();
    const studentId = env.lab.studentIds[0]!;
    const name = await nameOf(studentId);
    const { context, page } = await staffPage(env.browser, counselor, "/counselor");
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("预警与个案");
    await expect.poll(() => live(page).getAttribute("data-live"), { timeout: 10_000 }).toBe("connected");
    await page.getByRole("button", { name: "开启提示音 · Turn sound on" }).click();
    await expect.poll(() => live(page).getAttribute("data-sound")).toBe("on");
    const chimesBefore = Number(await live(page).getAttribute("data-chimes"));
    expect(await banner(page).textContent()).not.toContain(name);

    await studentSubmits(env.lab.codes[0]!, critical(true));
    await expect.poll(() => banner(page).textContent(), { timeout: 5_000 }).toContain(name);
    expect(await banner(page).getAttribute("role")).toBe("alert");
    await expect.poll(() => live(page).getAttribute("data-chimes").then(Number)).toBeGreaterThan(chimesBefore);
    await shot(page, "40-counselor-alert");
    // The watch list is read again: the new answer put the student on it, in red.
    await expect.poll(() => page.getByTestId("watchlist").locator(`tr[data-student-id="${studentId}"]`).getAttribute("data-tier"), { timeout: 10_000 }).toBe("red");
    await expectAccessible(page, "counselor home with an alert");

    // Acknowledged by the signed-in counselor, by name; an acute alert opens a case by default.
    const item = page.getByTestId("alert-item").filter({ hasText: name });
    expect(await item.getByRole("checkbox", { name: /同时建立个案/ }).isChecked()).toBe(true);
    await item.getByRole("button", { name: "确认预警 · Acknowledge" }).click();
    await expect.poll(() => item.getAttribute("data-status")).toBe("acknowledged");
    expect(await item.textContent()).toContain("由 王老师");
    await expect.poll(() => banner(page).textContent()).not.toContain(name);
    await expect.poll(() => page.getByTestId("cases").textContent()).toContain(name);
    await shot(page, "41-counselor-acknowledged");
    await item.getByRole("link", { name: "打开个案 · Open the case" }).click();
    await page.waitForURL(/\/counselor\/cases\/[A-Za-z0-9_-]+$/);
    const caseState = page.getByTestId("case-state");
    await expect.poll(() => caseState.textContent()).toContain("已确认");
    expect(await page.getByTestId("case-due").textContent()).toContain("截止");

    const record = async (fill: () => Promise<void>, state: string) => {
      await fill();
      await page.getByRole("button", { name: "记录此步骤 · Record this step" }).click();
      await expect.poll(() => caseState.textContent()).toContain(state);
    };
    const notes = "<b>不开心</b> 与同学有矛盾，愿意和家长谈";
    await record(async () => {
      await page.getByLabel("约谈日期 · Interview date").fill("2026-03-02");
      await page.getByLabel("约谈记录 · Interview notes").fill(notes);
    }, "已约谈");
    // Notes are text: the markup shows as typed and makes no element.
    expect(await page.getByTestId("timeline").textContent()).toContain(notes);
    expect(await page.locator("[data-testid=timeline] b").count()).toBe(0);
    await record(async () => {
      await page.getByLabel("步骤 · Step").selectOption("plan");
      await page.getByLabel("方案 · Plan").selectOption("referral");
    }, "转介 · Referral");
    await record(async () => {
      await page.getByLabel("转介医院 · Hospital").fill("市精神卫生中心");
      await page.getByLabel("转介日期 · Referral date").fill("2026-03-03");
      await page.getByLabel("绿色通道 · Green channel").check();
      await page.getByLabel("转介结果（可选）· Outcome (optional)").fill("已预约儿少门诊");
    }, "已转介");
    await shot(page, "42-case-referred");
    await expectAccessible(page, "case page");
    await record(async () => {
      await page.getByLabel("步骤 · Step").selectOption("close");
      await page.getByLabel("结案原因 · Reason for closing").fill("已就医，家长配合，转为持续关注");
    }, "已结案");
    expect(await page.getByTestId("step-form").count()).toBe(0);
    const timeline = (await page.getByTestId("timeline").textContent()) ?? "";
    for (const step of ["建档", "确认", "约谈", "方案", "转介", "市精神卫生中心", "绿色通道", "是 · yes", "结案", "已就医"]) expect(timeline).toContain(step);
    await shot(page, "43-case-closed");

    const { rows } = await env.lab.server.db.query<{ state: string; steps: number }>(
      "SELECT c.state, (SELECT count(*)::int FROM case_steps s WHERE s.case_id = c.id) AS steps FROM cases c WHERE c.student_id = $1",
      [studentId],
    );
    expect(rows).toEqual([{ state: "closed", steps: 6 }]);
    await context.close();
  });

  it("escalates an alert nobody acknowledged after 30 minutes to the school lead's open page", async () => {
    const { counselor, lead } = await staffOf();
    const studentId = env.lab.studentIds[1]!;
    const name = await nameOf(studentId);
    const leadPage = await staffPage(env.browser, lead, "/counselor");
    const counselorPage = await staffPage(env.browser, counselor, "/counselor");
    for (const p of [leadPage.page, counselorPage.page]) await expect.poll(() => live(p).getAttribute("data-live"), { timeout: 10_000 }).toBe("connected");

    await studentSubmits(env.lab.codes[1]!, critical(false));
    await expect.poll(() => banner(counselorPage.page).textContent(), { timeout: 5_000 }).toContain(name);
    await expect.poll(() => banner(leadPage.page).textContent(), { timeout: 5_000 }).toContain(name);
    expect(await banner(leadPage.page).textContent()).not.toContain("已上报");

    // Nobody acknowledges. The clock moves past 30 minutes in steps, the open pages keeping their sessions
    // alive as their badge poll does every 20 s; then the server's escalation run (every minute) escalates it.
    for (let i = 0; i < 3; i++) {
      env.lab.server.clock.advance(10.5 * 60_000);
      for (const p of [leadPage.page, counselorPage.page]) expect(await p.evaluate(() => fetch("/api/auth/session").then((r) => r.status))).toBe(200);
    }
    await escalateOverdue(env.lab.server.deps);
    const { rows } = await env.lab.server.db.query<{ escalated_at: Date | null }>("SELECT escalated_at FROM alerts WHERE student_id = $1", [studentId]);
    expect(rows[0]?.escalated_at).not.toBeNull();

    const escalated = banner(leadPage.page).locator("li[data-status=escalated]");
    await expect.poll(() => escalated.textContent(), { timeout: 5_000 }).toContain(name);
    expect(await escalated.textContent()).toContain("已上报学校负责人");
    const leadItem = leadPage.page.getByTestId("alert-item").filter({ hasText: name });
    expect(await leadItem.getAttribute("data-status")).toBe("escalated");
    await shot(leadPage.page, "44-lead-escalated");
    await expect.poll(() => banner(counselorPage.page).locator("li[data-status=escalated]").textContent(), { timeout: 5_000 }).toContain(name);

    // Still there after a reload (read from the list, not only the stream).
    await leadPage.page.reload();
    await expect.poll(() => leadPage.page.getByTestId("alert-item").filter({ hasText: name }).getAttribute("data-status"), { timeout: 10_000 }).toBe("escalated");

    // The lead acknowledges it (no case: the lead assigns a counselor from the student's page); the counselor's banner clears.
    await leadPage.page.getByTestId("alert-item").filter({ hasText: name }).getByRole("button", { name: "确认预警 · Acknowledge" }).click();
    await expect.poll(() => banner(counselorPage.page).textContent(), { timeout: 5_000 }).not.toContain(name);
    expect(await counselorPage.page.getByTestId("alert-item").filter({ hasText: name }).textContent()).toContain("由 李校长");
    await leadPage.context.close();
    await counselorPage.context.close();
  });

  it("shows a yellow student's entry and record, releases a check-in notice, and keeps an override beside the computed tier", async () => {
    const { counselor } = await staffOf();
    const studentId = env.lab.studentIds[2]!;
    const name = await nameOf(studentId);
    await studentSubmits(env.lab.codes[2]!, moderate);

    const { context, page } = await staffPage(env.browser, counselor, "/counselor");
    const rows = page.getByTestId("watchlist").locator("tbody tr");
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    await page.getByLabel("等级 · Tier").selectOption("yellow");
    await expect.poll(() => rows.count()).toBe(1);
    const row = rows.first();
    expect(await row.getAttribute("data-student-id")).toBe(studentId);
    expect(await row.textContent()).toContain("抑郁症状（PHQ-9）中度");
    await page.getByRole("heading", { name: "预警名单 · Watch list" }).evaluate((h) => h.scrollIntoView());
    await shot(page, "45-watchlist-yellow");
    await row.getByRole("link", { name }).click();
    await page.waitForURL(/\/counselor\/students\//);

    const entry = page.getByTestId("student-entry");
    await expect.poll(() => entry.textContent(), { timeout: 10_000 }).toContain("抑郁症状（PHQ-9）中度");
    await page.getByRole("button", { name: "发出关心提示 · Release the check-in notice" }).click();
    await expect.poll(() => page.getByRole("status").textContent()).toContain("已发给班主任");

    await page.getByLabel("调整为 · New tier").selectOption("orange");
    await page.getByLabel("调整理由 · Reason").fill("家访得知近期家庭变故，需尽快约谈");
    await page.getByRole("button", { name: "保存调整 · Save the override" }).click();
    await expect.poll(() => page.getByTestId("override").textContent(), { timeout: 10_000 }).toContain("家访得知近期家庭变故");
    expect(await page.getByTestId("computed-tier").textContent()).toContain("黄");
    expect(await entry.textContent()).toContain("当前等级 · Tier in force: 橙");

    // The growth record, with the scores a counselor may see.
    await expect.poll(() => page.getByTestId("growth-record").textContent(), { timeout: 10_000 }).toContain("PHQ-9 10 分");
    await expectAccessible(page, "student page");
    await page.evaluate(() => window.scrollTo(0, 0));
    await shot(page, "46-student-page");
    await page.getByTestId("growth-record").evaluate((r) => r.scrollIntoView());
    await shot(page, "47-growth-record");
    await context.close();
  });
});
