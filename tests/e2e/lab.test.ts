/**
 * A lab of 40 (issue 5, "Tests"): 40 students complete the secondary battery at once in headless Chromium
 * against the real server on loopback, and the database then holds exactly one submitted response and one
 * results row per student, with each student's own answers: nothing lost, nothing duplicated, nothing crossed.
 *
 * Bounded for a 2-core machine: LAB_PCS browser contexts (the lab's PCs) work in parallel; each PC takes the
 * next student in turn, who types a code, answers every page, submits, and presses "finish" so the kiosk
 * resets for the next one, as in a real lab. Prints one line with the time it took.
 */
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { newStudentContext, chromiumForTests, useChromiumLab } from "./harness";
import { answerToLastPage, calm, pageTitle, typeCode, type Choices } from "./steps";

const executablePath = chromiumForTests();

const STUDENTS = 40;
const LAB_PCS = 8;
/** Generous per-step waits: 8 pages on 2 cores share the CPU with the server and the database. */
const STEP_MS = 30_000;

/** Student i's PHQ-9 answer on every item (0-3), so the check can tell one student's answers from another's. */
const phq9Of = (i: number) => i % 4;
const choicesOf = (i: number): Choices => ({ ...calm, grid: { ...calm.grid, phq9__grid: String(phq9Of(i)) } });

/** One student at a PC showing the code screen: code, introduction, every page, submit, thank-you page, finish. */
async function completeBattery(page: Page, code: string, choices: Choices): Promise<void> {
  await page.getByLabel("访问码").waitFor({ timeout: STEP_MS });
  await typeCode(page, code);
  await page.getByRole("button", { name: "开始填写" }).click({ timeout: STEP_MS });
  await pageTitle(page).waitFor({ timeout: STEP_MS });
  await answerToLastPage(page, choices, STEP_MS);
  await page.locator(".sd-navigation__complete-btn").click({ timeout: STEP_MS });
  await page.locator("[data-screen=done]").waitFor({ timeout: STEP_MS });
  await page.getByRole("button", { name: "完成，离开" }).click({ timeout: STEP_MS });
}

describe.skipIf(!executablePath)("a lab of 40 students at once", () => {
  const env = useChromiumLab(executablePath, STUDENTS);

  it(`completes ${STUDENTS} batteries on ${LAB_PCS} PCs with one submitted response and one results row each, none lost or duplicated`, { timeout: 240_000 }, async () => {
    const started = performance.now();
    let next = 0;
    const finished: number[] = [];
    await Promise.all(
      Array.from({ length: LAB_PCS }, async () => {
        const { context, page } = await newStudentContext(env.browser);
        try {
          await page.goto(env.lab.baseUrl);
          for (let i = next++; i < STUDENTS; i = next++) {
            await completeBattery(page, env.lab.codes[i]!, choicesOf(i));
            finished.push(i);
          }
        } finally {
          await context.close();
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`lab: ${STUDENTS} students on ${LAB_PCS} env.browser contexts completed the secondary battery in ${seconds.toFixed(1)} s (${(seconds / STUDENTS).toFixed(2)} s of lab time per student; loopback, PGlite)`);
    expect(finished).toHaveLength(STUDENTS);

    const { rows: responses } = await env.lab.server.db.query<{ id: string; student_id: string; status: string; answers: Record<string, Record<string, unknown>> }>(
      "SELECT id, student_id, status, answers FROM responses WHERE wave_id = $1",
      [env.lab.waveId],
    );
    expect(responses).toHaveLength(STUDENTS);
    expect(responses.every((r) => r.status === "submitted")).toBe(true);
    expect(new Set(responses.map((r) => r.student_id))).toEqual(new Set(env.lab.studentIds));
    // Each student's own answers, not a neighbour's.
    for (const r of responses) {
      const i = env.lab.studentIds.indexOf(r.student_id);
      expect(r.answers["phq9"], `student ${i}`).toMatchObject(Object.fromEntries(Array.from({ length: 9 }, (_, k) => [`q${k + 1}`, phq9Of(i)])));
    }

    const { rows: results } = await env.lab.server.db.query<{ response_id: string }>(
      "SELECT r.response_id FROM results r JOIN responses p ON p.id = r.response_id WHERE p.wave_id = $1",
      [env.lab.waveId],
    );
    expect(results).toHaveLength(STUDENTS);
    expect(new Set(results.map((r) => r.response_id))).toEqual(new Set(responses.map((r) => r.id)));
  });
});
