/**
 * The counselor's closed loop in real Chromium against the real server (issue 6, "Tests"): a student's
 * critical answer reaches a counselor page open in another browser context within 5 s (banner and
 * chime), is acknowledged by a named person and becomes a case that goes interview → plan (referral) →
 * referral → closed, with the fixed feedback (反馈) of the interview sent to the homeroom teacher (who sees it
 * among their notices on /observe, with no score or tier) and recorded as told to the guardians, once each;
 * an alert nobody acknowledges escalates (the test clock moved past 30 minutes, the
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
/** Words that must never reach a teacher (as tests/e2e/observe.test.ts checks on /observe). */
const TIER_WORDS = /\b(red|orange|yellow|tier|score|scores|PHQ-9|GAD-7|moderate)\b|红色|橙色|黄色|红灯|分数|得分|分值|等级|中度/i;

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

  /** A homeroom teacher of the student's class. */
  async function homeroomOf(studentId: string): Promise<string> {
    const { server } = env.lab;
    const { rows } = await server.db.query<{ school_id: string; class_id: string }>("SELECT school_id, class_id FROM students WHERE id = $1", [studentId]);
    return server.seed.account("homeroom", { schoolId: rows[0]!.school_id, classes: [{ classId: rows[0]!.class_id, relation: "homeroom" }], username: "homeroom.zhou" });
  }

  /** The case id of an open case page. */
  const caseId = (page: Page): string => new URL(page.url()).pathname.split("/").at(-1)!;

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

    // Feedback (反馈) of the interview: fixed words only, to the homeroom teacher and to the guardians.
    const feedback = page.getByTestId("feedback");
    const templates = () => feedback.getByTestId("feedback-item").evaluateAll((items) => items.map((i) => i.getAttribute("data-template")));
    await expect.poll(templates, { timeout: 10_000 }).toEqual(["interview-homeroom", "interview-guardian"]);
    expect(await feedback.locator("input, textarea, select, [contenteditable]").count()).toBe(0);
    const toHomeroom = feedback.locator("[data-template=interview-homeroom]");
    const toGuardians = feedback.locator("[data-template=interview-guardian]");
    const homeroomWords = (await toHomeroom.locator("blockquote").textContent()) ?? "";
    expect(homeroomWords).toContain("心理老师已与该生面谈");
    expect(homeroomWords).toContain("The counselor has talked with this student");
    expect(await toHomeroom.getAttribute("data-sent")).toBe("false");
    // Asking first; cancelling sends nothing.
    await toHomeroom.getByRole("button", { name: "发给班主任 · Send to the homeroom teacher" }).click();
    expect(await toHomeroom.textContent()).toContain("发出后不能撤回");
    await toHomeroom.getByRole("button", { name: "取消 · Cancel" }).click();
    expect(await toHomeroom.getAttribute("data-sent")).toBe("false");
    await toHomeroom.getByRole("button", { name: "发给班主任 · Send to the homeroom teacher" }).click();
    await toHomeroom.getByRole("button", { name: "确认发送 · Send" }).click();
    await expect.poll(() => toHomeroom.getAttribute("data-sent")).toBe("true");
    expect(await toHomeroom.textContent()).toContain("已发给班主任");
    expect(await toHomeroom.textContent()).toContain("王老师");
    expect(await toHomeroom.getByRole("button").count()).toBe(0);
    expect(await feedback.getByRole("status").textContent()).toContain("已发给班主任");
    await shot(page, "48-case-feedback-sent");

    // The same message again is refused by the server, and a page still offering it learns it was sent.
    const { headers: counselorHeaders } = await env.lab.server.signIn(counselor);
    const again = await env.lab.server.app.inject({ method: "POST", url: `/api/cases/${caseId(page)}/feedback`, headers: counselorHeaders, payload: { template: "interview-homeroom" } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("feedback_already_sent");
    const elsewhere = await env.lab.server.app.inject({ method: "POST", url: `/api/cases/${caseId(page)}/feedback`, headers: counselorHeaders, payload: { template: "interview-guardian" } });
    expect(elsewhere.statusCode, elsewhere.body).toBe(201);
    await toGuardians.getByRole("button", { name: "已告知家长 · Guardians told" }).click();
    await toGuardians.getByRole("button", { name: "确认记录 · Record" }).click();
    await expect.poll(() => feedback.getByRole("alert").textContent()).toContain("该反馈已发送");
    await expect.poll(() => toGuardians.getAttribute("data-sent")).toBe("true");
    expect(await toGuardians.textContent()).toContain("已记录告知家长");
    expect(await toGuardians.getByRole("button").count()).toBe(0);

    // The homeroom teacher, in another browser context, finds the words among their notices: nothing else.
    const homeroom = await homeroomOf(studentId);
    const teacher = await staffPage(env.browser, homeroom, "/observe");
    const fromCounselor = teacher.page.getByRole("region", { name: "心理教师的反馈 · From the counselor" });
    await expect.poll(() => fromCounselor.getByTestId("notice").count(), { timeout: 15_000 }).toBe(1);
    const notice = (await fromCounselor.getByTestId("notice").textContent()) ?? "";
    expect(notice).toContain(name);
    expect(notice).toContain("心理老师已与该生面谈");
    expect(notice).toContain("The counselor has talked with this student");
    expect(notice).not.toContain("不开心");
    expect(notice).not.toMatch(TIER_WORDS);
    expect((await teacher.page.locator("main").textContent()) ?? "").not.toMatch(TIER_WORDS);
    expect(await teacher.page.content()).not.toMatch(/\b(red|orange|yellow)\b/);
    await shot(teacher.page, "49-observe-feedback");
    await fromCounselor.getByRole("button", { name: `已读：${name} · Mark read` }).click();
    await expect.poll(() => fromCounselor.getByTestId("notice").textContent()).toContain("已读 · Read");
    await teacher.context.close();

    await record(async () => {
      await page.getByLabel("步骤 · Step").selectOption("plan");
      await page.getByLabel("方案 · Plan").selectOption("referral");
    }, "转介 · Referral");
    // The panel is read again with each step: the plan's message now, and that the teacher read the first.
    await expect.poll(templates).toEqual(["interview-homeroom", "interview-guardian", "plan-homeroom"]);
    expect(await toHomeroom.textContent()).toContain("班主任已阅读");
    await record(async () => {
      await page.getByLabel("转介医院 · Hospital").fill("市精神卫生中心");
      await page.getByLabel("转介日期 · Referral date").fill("2026-03-03");
      await page.getByLabel("绿色通道 · Green channel").check();
      await page.getByLabel("转介结果（可选）· Outcome (optional)").fill("已预约儿少门诊");
    }, "已转介");
    await expect.poll(templates).toEqual(["interview-homeroom", "interview-guardian", "plan-homeroom", "referral-homeroom", "referral-guardian"]);
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
    const { rows: sentRows } = await env.lab.server.db.query<{ template: string; audience: string; sent_by: string }>(
      "SELECT template, audience, sent_by FROM case_feedback WHERE student_id = $1 ORDER BY template",
      [studentId],
    );
    expect(sentRows).toEqual([
      { template: "interview-guardian", audience: "guardian", sent_by: counselor },
      { template: "interview-homeroom", audience: "homeroom", sent_by: counselor },
    ]);
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
