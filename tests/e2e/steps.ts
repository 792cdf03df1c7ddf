/**
 * What a student does on the page, as e2e steps shared by the scenario, lab and accessibility tests. Every
 * wait is on a state of the page (a screen, a title, a save state), never a fixed sleep.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { AxeResults, RunOptions } from "axe-core";
import type { Page } from "playwright-core";
import { expect } from "vitest";

/** How the test answers each page: a matrix's column value (one for every row, or one per row), or a choice value by question. */
export interface Choices {
  readonly grid: Record<string, string | string[]>;
  readonly question: Record<string, string>;
}

export const calm: Choices = {
  grid: { phq9__grid: "0", gad7__grid: "1", who5__grid: "3", asq__grid: "no" },
  question: { asq__q5: "no" },
};

export const pageTitle = (page: Page) => page.locator(".sd-page__title").first();

export const saveState = (page: Page) => page.locator("[data-save-state]").getAttribute("data-save-state");

/**
 * Answers every visible question of the current page by clicking its inputs in the page (one round trip):
 * matrix rows get the listed column value, other choice questions the listed value or their first option.
 * Repeats while a click reveals a new question (ASQ question 5): after the clicks the page waits two
 * animation frames, so React has rendered what the answers show, and counts the questions again.
 */
export async function answerPage(page: Page, choices: Choices): Promise<void> {
  for (let round = 0; round < 4; round++) {
    const { answered, visibleAfter } = await page.evaluate(async (c) => {
      const visible = () => [...document.querySelectorAll<HTMLElement>(".sd-page .sd-question[data-name]")].filter((q) => q.offsetParent !== null);
      const questions = visible();
      for (const q of questions) {
        const name = q.dataset["name"] ?? "";
        const rows = [...q.querySelectorAll("tr.sd-table__row")];
        if (rows.length > 0) {
          const want = c.grid[name] ?? "0";
          rows.forEach((row, i) => {
            const input = row.querySelector<HTMLInputElement>(`input[type=radio][value="${Array.isArray(want) ? want[i] : want}"]`);
            if (input && !input.checked) input.click();
          });
          continue;
        }
        const wanted = c.question[name];
        const input = wanted === undefined ? q.querySelector<HTMLInputElement>("input[type=radio]") : q.querySelector<HTMLInputElement>(`input[type=radio][value="${wanted}"]`);
        if (input && !input.checked) input.click();
      }
      await new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve())));
      return { answered: questions.length, visibleAfter: visible().length };
    }, choices);
    if (visibleAfter === answered) return;
  }
}

/** Presses "next" and waits for the next page's title. */
export async function nextPage(page: Page, timeout = 10_000): Promise<void> {
  const before = await pageTitle(page).textContent();
  await page.locator(".sd-navigation__next-btn").click();
  await expect.poll(() => pageTitle(page).textContent(), { timeout }).not.toBe(before);
}

/** Opens the start page and types the code the way a student might (lower case, a space in the middle). */
export async function enterCode(page: Page, baseUrl: string, code: string): Promise<void> {
  await page.goto(baseUrl);
  await typeCode(page, code);
}

/** Types a code into the code screen already on the page and presses "next". */
export async function typeCode(page: Page, code: string): Promise<void> {
  await page.getByLabel("访问码").fill(code.toLowerCase().replace(/(.{4})/, "$1 "));
  await page.getByRole("button", { name: "下一步" }).click();
}

/** Answers pages until the last one (which it answers but does not submit). */
export async function answerToLastPage(page: Page, choices: Choices, timeout = 10_000): Promise<void> {
  for (;;) {
    await answerPage(page, choices);
    if (await page.locator(".sd-navigation__complete-btn").isVisible()) return;
    await nextAnsweredPage(page, choices, timeout);
  }
}

/**
 * Presses "next" on a page `answerPage` has answered and waits for the next page's title. When "next"
 * shows a validation message instead (a question a click revealed after the page was counted, on a slow
 * machine: ASQ question 5), it answers the page again, as a student would, and presses "next" once more;
 * after three tries it fails, naming the messages.
 */
export async function nextAnsweredPage(page: Page, choices: Choices, timeout = 10_000): Promise<void> {
  const errors = page.locator(".sd-question__erbox");
  const before = await pageTitle(page).textContent();
  const moved = async () => (await pageTitle(page).textContent()) !== before;
  for (let attempt = 1; ; attempt++) {
    await page.locator(".sd-navigation__next-btn").click();
    await expect.poll(async () => (await moved()) || (await errors.first().isVisible()), { timeout }).toBe(true);
    if (await moved()) return;
    if (attempt === 3) throw new Error(`page "${before}" keeps its validation messages: ${(await errors.allTextContents()).join(" | ")}`);
    await answerPage(page, choices);
  }
}

// ---------------------------------------------------------------------------------------------
// Accessibility: axe-core in the page.

const require = createRequire(import.meta.url);
/**
 * axe-core's browser build. It is evaluated through the DevTools protocol rather than added as a <script>
 * tag: the server's CSP (script-src 'self') rightly blocks an inline script, and the tests keep that CSP on.
 */
const axeSource = readFileSync(require.resolve("axe-core"), "utf8");

export interface AxeFinding {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly nodes: readonly string[];
}

/** Runs axe-core (WCAG 2 A/AA rules and best practices) on the page as it is now; injects it once per document. */
export async function axeFindings(page: Page): Promise<AxeFinding[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(context: Document, options: RunOptions): Promise<AxeResults> } }).axe;
    const result = await axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact ?? null, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ")) }));
  });
}

/** Fails with axe's findings when the page has a violation of impact "serious" or "critical" (XQ_AXE_LOG=1 prints every finding). */
export async function expectAccessible(page: Page, state: string): Promise<void> {
  const findings = await axeFindings(page);
  if (process.env.XQ_AXE_LOG) console.log(state, JSON.stringify(findings));
  const grave = findings.filter((f) => f.impact === "serious" || f.impact === "critical");
  expect(grave, `axe-core on "${state}"`).toEqual([]);
}
