/**
 * Issue 8, "Faults", in real Chromium against the real server and SPA (tests/e2e/harness.ts):
 * - a lab PC that loses the network for two minutes in the middle of the survey while the student keeps
 *   answering (network emulation: `context.setOffline`), then gets it back: nothing is lost;
 * - a browser killed (`kill -9` of its process) while its last autosave is still on the way: the server
 *   holds the answers up to the autosave before it, and the student resumes there on another browser.
 *
 * The two run at the same time (the offline one mostly waits). Skips with one line without Debian's
 * chromium, except under CI (harness.ts `chromiumForTests`).
 */
import { chromium, type Page, type Route } from "playwright-core";
import { describe, it, type ExpectStatic } from "vitest";
import { CHROMIUM_ARGS, chromiumForTests, newStudentContext, shot, useChromiumLab } from "../e2e/harness";
import { answerPage, calm, enterCode, pageTitle, saveState, type Choices } from "../e2e/steps";

/** The network is down this long (the two minutes, measured from the moment it goes down). */
const OFFLINE_MS = 2 * 60_000;

// The two tests run concurrently, so each asserts with its own `expect` (vitest's rule for concurrent tests):
// hence these two steps of tests/e2e/steps.ts again, taking that `expect`.

/** Presses "next" and waits for the next page's title. */
async function nextPage(expect: ExpectStatic, page: Page): Promise<void> {
  const before = await pageTitle(page).textContent();
  await page.locator(".sd-navigation__next-btn").click();
  await expect.poll(() => pageTitle(page).textContent(), { timeout: 10_000 }).not.toBe(before);
}

/** Answers pages until the last one (answered, not submitted). */
async function answerToLastPage(expect: ExpectStatic, page: Page, choices: Choices): Promise<void> {
  for (;;) {
    await answerPage(page, choices);
    if (await page.locator(".sd-navigation__complete-btn").isVisible()) return;
    await nextPage(expect, page);
  }
}

const items = (n: number, value: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`q${i + 1}`, value]));

/** Declares the suite; the two tests run at the same time. */
export function describeBrowserFaults(): void {
  const executablePath = chromiumForTests();
  describe.skipIf(!executablePath).concurrent("lab PC faults in Chromium", () => {
    const env = useChromiumLab(executablePath, 2);

    const stored = async (studentId: string) => {
      const { rows } = await env.lab.server.db.query<{ status: string; answers: Record<string, Record<string, unknown>>; pages: unknown[]; current_page: number }>(
        "SELECT status, answers, pages, current_page FROM responses WHERE student_id = $1",
        [studentId],
      );
      return rows;
    };

    it("keeps every answer through two minutes offline mid-survey, saves them when the network is back, and submits them all", { timeout: OFFLINE_MS + 120_000 }, async ({ expect }) => {
      const studentId = env.lab.studentIds[0]!;
      const choices: Choices = { grid: { phq9__grid: "1", gad7__grid: "2", who5__grid: "4", asq__grid: "no" }, question: calm.question };
      const { context, page } = await newStudentContext(env.browser);
      try {
        await enterCode(page, env.lab.baseUrl, env.lab.codes[0]!);
        await page.getByRole("button", { name: "开始填写" }).click();
        await expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);
        await answerPage(page, choices);
        await nextPage(expect, page);
        await expect.poll(() => saveState(page), { timeout: 15_000 }).toBe("saved");

        await context.setOffline(true);
        const offlineSince = Date.now();
        // The student keeps going: GAD-7, WHO-5 and ASQ answered and left behind, the last page answered.
        await answerPage(page, choices);
        await nextPage(expect, page);
        await answerPage(page, choices);
        await nextPage(expect, page);
        await answerPage(page, choices);
        await nextPage(expect, page);
        await answerPage(page, choices);
        expect(await page.locator(".sd-navigation__complete-btn").isVisible()).toBe(true);
        await expect.poll(() => saveState(page), { timeout: 15_000 }).toBe("waiting");
        expect(await page.locator("[data-save-state]").textContent()).toContain("网络暂时断开");
        await shot(page, "reliability-offline");
        // The real two minutes: the page's retries back off meanwhile (up to 30 s apart) and keep failing.
        await page.waitForTimeout(Math.max(0, OFFLINE_MS - (Date.now() - offlineSince)));
        expect(await saveState(page)).toBe("waiting");
        const duringCut = (await stored(studentId))[0]!;
        // Only the page saved before the cut (PHQ-9 with its difficulty question) is on the server.
        expect(Object.keys(duringCut.answers)).toEqual(["phq9"]);
        expect(duringCut.answers).toMatchObject({ phq9: items(9, 1) });

        await context.setOffline(false);
        await expect.poll(() => saveState(page), { timeout: 20_000 }).toBe("saved");
        const reconnected = (await stored(studentId))[0]!;
        expect(reconnected).toMatchObject({ status: "in-progress", current_page: 4 });
        expect(reconnected.answers).toMatchObject({ phq9: items(9, 1), gad7: items(7, 2), who5: items(5, 4), asq: { q1: "no", q2: "no", q3: "no", q4: "no" } });
        expect(Object.keys(reconnected.answers["wellbeing-factors"] ?? {})).toHaveLength(7);

        await page.locator(".sd-navigation__complete-btn").click();
        await expect.poll(() => page.locator("[data-screen=done]").isVisible(), { timeout: 20_000 }).toBe(true);
        const submitted = (await stored(studentId))[0]!;
        expect(submitted.status).toBe("submitted");
        expect(submitted.answers).toEqual(reconnected.answers);
        expect(submitted.pages.length).toBeGreaterThanOrEqual(5);
      } finally {
        await context.close();
      }
    });

    it("after a browser is killed with its last autosave on the way, keeps the answers up to the autosave before, and resumes there", { timeout: 120_000 }, async ({ expect }) => {
      const studentId = env.lab.studentIds[1]!;
      const choices: Choices = { grid: { phq9__grid: "2", gad7__grid: "1", who5__grid: "5", asq__grid: "no" }, question: calm.question };
      // A browser of its own, launched as a server so the test holds its process.
      const browserServer = await chromium.launchServer({ executablePath: executablePath!, args: CHROMIUM_ARGS, headless: true });
      const killable = await chromium.connect(browserServer.wsEndpoint());
      try {
        const { page } = await newStudentContext(killable);
        await enterCode(page, env.lab.baseUrl, env.lab.codes[1]!);
        await page.getByRole("button", { name: "开始填写" }).click();
        await expect.poll(() => pageTitle(page).isVisible(), { timeout: 15_000 }).toBe(true);
        await answerPage(page, choices);
        await nextPage(expect, page);
        await answerPage(page, choices);
        await nextPage(expect, page);
        await expect.poll(() => saveState(page), { timeout: 15_000 }).toBe("saved");

        // The next autosave leaves the page but never reaches the server; then the browser dies.
        const held: Route[] = [];
        await page.route("**/api/student/response", (route) => (route.request().method() === "PUT" ? void held.push(route) : route.continue()));
        await answerPage(page, choices);
        await expect.poll(() => held.length, { timeout: 15_000 }).toBeGreaterThan(0);
        const gone = new Promise<void>((resolve) => killable.once("disconnected", () => resolve()));
        browserServer.process().kill("SIGKILL");
        await gone;
      } finally {
        await killable.close().catch(() => undefined);
        await browserServer.kill();
      }

      const afterKill = (await stored(studentId))[0]!;
      expect(afterKill).toMatchObject({ status: "in-progress", current_page: 2 });
      expect(Object.keys(afterKill.answers).sort()).toEqual(["gad7", "phq9"]);
      expect(afterKill.answers).toMatchObject({ phq9: items(9, 2), gad7: items(7, 1) });

      const { context, page } = await newStudentContext(env.browser);
      try {
        await enterCode(page, env.lab.baseUrl, env.lab.codes[1]!);
        await page.getByRole("button", { name: "接着上次填写" }).click();
        await expect.poll(() => pageTitle(page).textContent(), { timeout: 15_000 }).toContain("WHO-5");
        expect(await page.locator("input[type=radio]:checked").count()).toBe(0);
        await page.locator(".sd-navigation__prev-btn").click();
        await expect.poll(() => page.locator('tr.sd-table__row input[type=radio][value="1"]:checked').count()).toBe(7);
        await nextPage(expect, page);
        await answerToLastPage(expect, page, choices);
        await page.locator(".sd-navigation__complete-btn").click();
        await expect.poll(() => page.locator("[data-screen=done]").isVisible(), { timeout: 20_000 }).toBe(true);
        const submitted = (await stored(studentId))[0]!;
        expect(submitted.status).toBe("submitted");
        expect(submitted.answers).toMatchObject({ phq9: items(9, 2), gad7: items(7, 1), who5: items(5, 5) });
      } finally {
        await context.close();
      }
    });
  });
}
