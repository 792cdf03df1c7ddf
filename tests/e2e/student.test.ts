/**
 * The student's screening in real Chromium against the real server (issue 5, "Tests"). Skips with one line
 * when Debian's chromium is not installed, except under CI, where a missing browser fails the run.
 */
import { describe, expect, it } from "vitest";
import { newStudentContext, shot, chromiumForTests, useChromiumLab } from "./harness";
import { answerPage, answerToLastPage, calm, enterCode, expectAccessible, nextPage, pageTitle, saveState } from "./steps";

const executablePath = chromiumForTests();

describe.skipIf(!executablePath)("the student's screening in Chromium", { timeout: 60_000 }, () => {
  const env = useChromiumLab(executablePath, 6);

  const responseOf = async (studentId: string) => {
    const { rows } = await env.lab.server.db.query<{ id: string; status: string; answers: Record<string, Record<string, unknown>>; pages: unknown[] }>(
      "SELECT id, status, answers, pages FROM responses WHERE student_id = $1",
      [studentId],
    );
    return rows;
  };

  it("lets a student complete the secondary battery, then gives the next student on the same PC a clean start", async () => {
    const { context, page } = await newStudentContext(env.browser);
    await page.goto(env.lab.baseUrl);
    await expect.poll(() => page.getByLabel("访问码").isVisible()).toBe(true);
    await shot(page, "01-code");
    await enterCode(page, env.lab.baseUrl, env.lab.codes[0]!);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("第一实验中学");
    await shot(page, "02-intro");
    await page.getByRole("button", { name: "开始填写" }).click();
    await expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);
    await shot(page, "03-survey-phq9");
    await answerPage(page, calm);
    await nextPage(page);
    await answerToLastPage(page, calm);
    await shot(page, "04-survey-last-page");
    await page.locator(".sd-navigation__complete-btn").click();
    await expect.poll(() => page.locator("[data-screen=done]").isVisible(), { timeout: 15_000 }).toBe(true);
    const done = (await page.textContent("[data-screen=done]")) ?? "";
    expect(done).not.toContain("老师很快会来找你");
    // The hotlines of the server's settings: 12355, and the district's line, whose number is not configured yet.
    expect(done).toContain("拨打 12355");
    expect(done).toContain("本区心理援助热线");
    expect(done).toContain("号码贴在心理辅导室门口");
    await shot(page, "05-done");

    const rows = await responseOf(env.lab.studentIds[0]!);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: "submitted" });
    expect(rows[0]!.answers["phq9"]).toMatchObject({ q1: 0, q9: 0 });
    expect(rows[0]!.pages.length).toBeGreaterThanOrEqual(5);

    // The next student on this PC: nothing of the previous one in the page, in storage or in cookies.
    await page.getByRole("button", { name: "完成，离开" }).click();
    await expect.poll(() => page.getByLabel("访问码").inputValue()).toBe("");
    expect(await page.evaluate(() => sessionStorage.length + localStorage.length)).toBe(0);
    expect((await context.cookies()).filter((c) => c.name === "xq_session" && c.value !== "")).toEqual([]);
    expect(await page.textContent("body")).not.toContain("第一实验中学");
    await enterCode(page, env.lab.baseUrl, env.lab.codes[5]!);
    await page.getByRole("button", { name: "开始填写" }).click();
    await expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.locator("input[type=radio]:checked").count()).toBe(0);
    await context.close();
  });

  it("resumes on a second env.browser context where the student stopped, with every answer", async () => {
    const first = await newStudentContext(env.browser);
    await enterCode(first.page, env.lab.baseUrl, env.lab.codes[1]!);
    await first.page.getByRole("button", { name: "开始填写" }).click();
    await expect.poll(() => pageTitle(first.page).isVisible(), { timeout: 15_000 }).toBe(true);
    await answerPage(first.page, { ...calm, grid: { ...calm.grid, phq9__grid: "1" } });
    await nextPage(first.page);
    await answerPage(first.page, calm);
    await nextPage(first.page);
    await expect.poll(() => saveState(first.page)).toBe("saved");
    await first.context.close();

    const second = await newStudentContext(env.browser);
    await enterCode(second.page, env.lab.baseUrl, env.lab.codes[1]!);
    await second.page.getByRole("button", { name: "接着上次填写" }).click();
    await expect.poll(() => pageTitle(second.page).textContent(), { timeout: 15_000 }).toContain("WHO-5");
    await shot(second.page, "06-resumed");
    await expectAccessible(second.page, "resumed survey page");
    await second.page.locator(".sd-navigation__prev-btn").click();
    await second.page.locator(".sd-navigation__prev-btn").click();
    await expect.poll(() => second.page.locator('tr.sd-table__row input[type=radio][value="1"]:checked').count()).toBe(9);
    await second.context.close();
  });

  it("keeps answers through a network cut, tells the student calmly, and saves them when it is back", async () => {
    const { context, page } = await newStudentContext(env.browser);
    await enterCode(page, env.lab.baseUrl, env.lab.codes[2]!);
    await page.getByRole("button", { name: "开始填写" }).click();
    await expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);
    await answerPage(page, { ...calm, grid: { ...calm.grid, phq9__grid: "2" } });
    await page.route("**/api/student/response", (route) => route.abort("internetdisconnected"));
    await nextPage(page);
    await answerPage(page, calm);
    await expect.poll(() => saveState(page), { timeout: 10_000 }).toBe("waiting");
    expect(await page.locator("[data-save-state]").textContent()).toContain("网络暂时断开");
    await shot(page, "07-offline");
    await expectAccessible(page, "survey page while offline");
    expect((await responseOf(env.lab.studentIds[2]!))[0]?.answers["phq9"]?.["q1"]).toBeUndefined();
    await page.unroute("**/api/student/response");
    await expect.poll(() => saveState(page), { timeout: 20_000 }).toBe("saved");
    const saved = (await responseOf(env.lab.studentIds[2]!))[0]!;
    expect(saved.answers["phq9"]).toMatchObject({ q1: 2, q8: 2, q9: 2 });
    await context.close();
  });

  it("makes one response from a double click and a submit retried after its reply was lost", async () => {
    const { context, page } = await newStudentContext(env.browser);
    await enterCode(page, env.lab.baseUrl, env.lab.codes[3]!);
    await page.getByRole("button", { name: "开始填写" }).click();
    await expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);
    await answerToLastPage(page, calm);
    const keys: string[] = [];
    let first = true;
    await page.route("**/api/student/response/submit", async (route) => {
      keys.push((JSON.parse(route.request().postData() ?? "{}") as { idempotencyKey: string }).idempotencyKey);
      if (first) {
        // The server handles the submit, but its reply never reaches the page. route.fetch() shares the
        // context's cookie jar, so the reply's cookie-clearing header is undone: the env.browser never saw it.
        first = false;
        const cookies = await context.cookies();
        await route.fetch();
        await context.addCookies(cookies);
        await route.abort("connectionreset");
        return;
      }
      await route.continue();
    });
    await page.locator(".sd-navigation__complete-btn").dblclick();
    await expect.poll(() => page.locator("[data-screen=done]").isVisible(), { timeout: 20_000 }).toBe(true);
    expect(keys.length).toBeGreaterThanOrEqual(2);
    expect(new Set(keys).size).toBe(1);
    const rows = await responseOf(env.lab.studentIds[3]!);
    expect(rows.map((r) => r.status)).toEqual(["submitted"]);
    const results = await env.lab.server.db.query("SELECT 1 FROM results WHERE response_id = $1", [rows[0]!.id]);
    expect(results.rowCount).toBe(1);
    await context.close();
  });

  it("shows the kind end page (and no score) after a critical answer, with the district hotline an administrator configured, and stores the critical item and an alert", async () => {
    // A test fixture, not a real number: what an administrator typed into the settings.
    const { rows: settingRows } = await env.lab.server.db.query<{ value: { id: string; number: string | null }[] }>("SELECT value FROM settings WHERE key = 'help.hotlines'");
    const configured = settingRows[0]!.value.map((h) => (h.id === "district" ? { ...h, number: "0000-0000000" } : h));
    await env.lab.server.db.query("UPDATE settings SET value = $1 WHERE key = 'help.hotlines'", [JSON.stringify(configured)]);
    const { context, page } = await newStudentContext(env.browser);
    await enterCode(page, env.lab.baseUrl, env.lab.codes[4]!);
    await page.getByRole("button", { name: "开始填写" }).click();
    await expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);
    await answerToLastPage(page, { ...calm, grid: { ...calm.grid, asq__grid: ["yes", "no", "no", "no"] } });
    await page.locator(".sd-navigation__complete-btn").click();
    await expect.poll(() => page.locator("[data-screen=done]").isVisible(), { timeout: 15_000 }).toBe(true);
    const text = (await page.textContent("body")) ?? "";
    expect(text).toContain("心理老师很快会来找你聊一聊");
    expect(text).toContain("12355");
    expect(text).toContain("拨打 0000-0000000");
    expect(text).not.toMatch(/分数|得分|score|tier|red|orange|风险等级/i);
    await shot(page, "08-done-critical");
    const { rows } = await env.lab.server.db.query<{ scores: Record<string, { critical: string[] }> }>(
      "SELECT r.scores FROM results r JOIN responses p ON p.id = r.response_id WHERE p.student_id = $1",
      [env.lab.studentIds[4]!],
    );
    expect(rows[0]?.scores["asq"]?.critical).toContain("q1");
    // …and the counselor's alert was raised with the submission
    const { rows: alerts } = await env.lab.server.db.query<{ source: string; acknowledged_at: Date | null }>("SELECT source, acknowledged_at FROM alerts WHERE student_id = $1", [env.lab.studentIds[4]!]);
    expect(alerts).toEqual([{ source: "response", acknowledged_at: null }]);
    await context.close();
  });

  it("tells a student with a used code or a closed wave's code clearly what happened", async () => {
    const { context, page } = await newStudentContext(env.browser);
    await enterCode(page, env.lab.baseUrl, env.lab.codes[0]!);
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("这个访问码已经用过了");
    await shot(page, "09-code-used");
    await expectAccessible(page, "code entry, code used");
    await enterCode(page, env.lab.baseUrl, env.lab.closedWaveCode);
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("这次问卷现在没有开放");
    await shot(page, "10-wave-closed");
    await expectAccessible(page, "code entry, wave closed");
    await page.getByRole("button", { name: "English" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not open");
    await context.close();
  });
});
