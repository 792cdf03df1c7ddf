/**
 * Accessibility of the student's page in real Chromium (issue 5: "axe-core finds no serious violations on any
 * page", "full keyboard use"): axe-core runs on every state a student can see, in Chinese and in English,
 * and one student completes a survey page with the keyboard alone.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { newStudentContext, chromiumForTests, useChromiumLab } from "./harness";
import { answerPage, axeFindings, calm, enterCode, expectAccessible, nextAnsweredPage, nextPage, pageTitle } from "./steps";

const executablePath = chromiumForTests();

describe.skipIf(!executablePath)("the student's page for assistive technology", { timeout: 60_000 }, () => {
  const env = useChromiumLab(executablePath, 4);

  const survey = (page: Page) => expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);

  it("runs a live axe-core that reports a form field without a label (the checks below are not vacuous)", async () => {
    const { context, page } = await newStudentContext(env.browser);
    await page.goto(env.lab.baseUrl);
    await expect.poll(() => page.getByLabel("访问码").isVisible()).toBe(true);
    await page.evaluate(() => document.querySelector("main")?.append(Object.assign(document.createElement("input"), { type: "text", id: "xq-unlabelled" })));
    const findings = await axeFindings(page);
    expect(findings).toContainEqual(expect.objectContaining({ id: "label", impact: "critical", nodes: ["#xq-unlabelled"] }));
    await context.close();
  });

  it("has no serious or critical axe-core violation on the code screen, the introduction, every survey page and both end pages", async () => {
    const { context, page } = await newStudentContext(env.browser);
    await page.goto(env.lab.baseUrl);
    await expect.poll(() => page.getByLabel("访问码").isVisible()).toBe(true);
    await expectAccessible(page, "code entry");
    await page.getByRole("button", { name: "下一步" }).click();
    await expect.poll(() => page.getByRole("alert").isVisible()).toBe(true);
    await expectAccessible(page, "code entry with an error");

    await enterCode(page, env.lab.baseUrl, env.lab.codes[0]!);
    await expect.poll(() => page.getByRole("button", { name: "开始填写" }).isVisible()).toBe(true);
    await expectAccessible(page, "introduction");
    await page.getByRole("button", { name: "开始填写" }).click();
    await survey(page);
    let pageNo = 1;
    for (;;) {
      const title = (await pageTitle(page).textContent()) ?? "";
      await expectAccessible(page, `survey page ${pageNo} (${title}), unanswered`);
      if (pageNo === 1) {
        // "Next" on an unanswered page: SurveyJS shows its "please answer" messages and stays.
        await page.locator(".sd-navigation__next-btn").click();
        await expect.poll(() => page.locator(".sd-question__erbox").first().isVisible()).toBe(true);
        await expectAccessible(page, "survey page 1 with unanswered-question messages");
      }
      const choices = { ...calm, grid: { ...calm.grid, asq__grid: ["yes", "no", "no", "no"] } };
      await answerPage(page, choices);
      await expectAccessible(page, `survey page ${pageNo} (${title}), answered`);
      if (await page.locator(".sd-navigation__complete-btn").isVisible()) break;
      await nextAnsweredPage(page, choices);
      pageNo += 1;
    }
    expect(pageNo).toBeGreaterThanOrEqual(4);
    await page.locator(".sd-navigation__complete-btn").click();
    await expect.poll(() => page.locator("[data-screen=done]").isVisible(), { timeout: 15_000 }).toBe(true);
    expect(await page.textContent("body")).toContain("心理老师很快会来找你聊一聊");
    await expectAccessible(page, "critical end page");
    await context.close();
  });

  it("has no serious or critical violation on the plain end page, in English, and on the declined page", async () => {
    const { context, page } = await newStudentContext(env.browser);
    await enterCode(page, env.lab.baseUrl, env.lab.codes[1]!);
    await page.getByRole("button", { name: "开始填写" }).click();
    await survey(page);
    await page.getByRole("button", { name: "English" }).click();
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe("en");
    await expectAccessible(page, "survey page 1 in English");
    for (;;) {
      await answerPage(page, calm);
      if (await page.locator(".sd-navigation__complete-btn").isVisible()) break;
      await nextPage(page);
    }
    await page.locator(".sd-navigation__complete-btn").click();
    await expect.poll(() => page.locator("[data-screen=done]").isVisible(), { timeout: 15_000 }).toBe(true);
    await expectAccessible(page, "end page in English");
    await page.getByRole("button", { name: "Finish and leave" }).click();

    await expect.poll(() => page.getByLabel("访问码").isVisible()).toBe(true);
    await enterCode(page, env.lab.baseUrl, env.lab.codes[2]!);
    await page.getByRole("button", { name: "我不想参加" }).click();
    await expectAccessible(page, "decline confirmation");
    await page.getByRole("button", { name: "确定不参加" }).click();
    await expect.poll(() => page.locator("[data-screen=declined]").isVisible(), { timeout: 15_000 }).toBe(true);
    await expectAccessible(page, "declined page");
    await context.close();
  });

  it("lets a student complete a survey page with the keyboard alone (Tab, arrows, Space, Enter)", async () => {
    const { context, page } = await newStudentContext(env.browser);
    await page.goto(env.lab.baseUrl);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("name"))).toBe("code");
    await page.keyboard.type(env.lab.codes[3]!);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.getByRole("button", { name: "开始填写" }).isVisible()).toBe(true);
    // The introduction's heading takes the focus once it is drawn; from there the first Tab reaches "start".
    await expect.poll(() => page.evaluate(() => document.activeElement?.tagName)).toBe("H1");
    await page.keyboard.press("Tab");
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe("开始填写");
    await page.keyboard.press("Enter");
    await survey(page);
    expect(await pageTitle(page).textContent()).toContain("PHQ-9");

    // PHQ-9 is one matrix of 9 rows, each row a radio group. The survey puts the focus on the first row; Tab
    // moves to the next row's group; Space chooses the focused option, an arrow key moves to the next one and chooses it.
    const rows = await page.locator("tr.sd-table__row").count();
    expect(rows).toBe(9);
    let group = "";
    for (let row = 0; row < rows; row++) {
      group = await focusNextRadioGroup(page, group);
      await page.keyboard.press(row % 2 === 0 ? "Space" : "ArrowRight");
    }
    // Tab on to the "next" button and press Enter.
    await tabUntil(page, ".sd-navigation__next-btn");
    await page.keyboard.press("Enter");
    await expect.poll(() => pageTitle(page).textContent()).toContain("GAD-7");
    const phq9 = async () => (await env.lab.server.db.query<{ answers: Record<string, Record<string, number>> }>("SELECT answers FROM responses WHERE student_id = $1", [env.lab.studentIds[3]!])).rows[0]?.answers["phq9"];
    await expect.poll(phq9, { timeout: 10_000 }).toEqual({ q1: 0, q2: 1, q3: 0, q4: 1, q5: 0, q6: 1, q7: 0, q8: 1, q9: 0 });
    await context.close();
  });
});

/** The radio group (input name) with the focus, or null. */
const focusedRadioGroup = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    return el instanceof HTMLInputElement && el.type === "radio" ? el.name : null;
  });

/** Moves the focus (Tab, only when needed) into a radio group other than `previous`; returns its name. */
async function focusNextRadioGroup(page: Page, previous: string): Promise<string> {
  for (let i = 0; i < 10; i++) {
    const group = await focusedRadioGroup(page);
    if (group !== null && group !== previous) return group;
    await page.keyboard.press("Tab");
  }
  throw new Error(`Tab did not reach a radio group after "${previous}"`);
}

/** Presses Tab until the element matching `selector` has the focus. */
async function tabUntil(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return;
  }
  throw new Error(`Tab did not reach ${selector}`);
}
