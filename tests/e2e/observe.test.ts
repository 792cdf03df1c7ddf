/**
 * The observer's page (/observe) in real Chromium against the real server (issue 6, "Observations" and
 * "Tests"): a homeroom teacher rates a class of 10 in the grid by typing and submits it as one batch; a
 * critical observation on the checklist raises an alert; a teacher sees only the check-in notice (no score
 * or tier anywhere on the page); a peer monitor files a report and sees only a thank-you; a peer monitor
 * opening a student's page directly gets "page not found", and the API answers 404.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { getInstrument } from "../../instruments/index";
import { studentName } from "../../src/server/features/alerts/store";
import { encrypt } from "../../src/server/crypto/cipher";
import { aResult, phq9Total } from "../server/watchlist/fixtures";
import { chromiumForTests, shot, useChromiumLab } from "./harness";
import { expectAccessible } from "./steps";

const executablePath = chromiumForTests();

/** A roster name that must show as text and never run. */
const HOSTILE_NAME = `<img src=x onerror="window.__xq_xss=1">张`;
/** The PHQ-9 total seeded for the student with the notice: it must not appear on the teacher's page. */
const SEEDED_TOTAL = 14;
/** Words of tiers and scores no teacher or peer monitor may read. */
const TIER_WORDS = /\b(red|orange|yellow|tier|score|scores|PHQ-9|GAD-7|moderate)\b|红色|橙色|黄色|红灯|分数|得分|分值|等级|中度/i;

const SRSS_ITEMS = getInstrument("srss-ie")!.items.map((i) => i.id);

describe.skipIf(!executablePath)("the observer's page in Chromium", { timeout: 120_000 }, () => {
  const env = useChromiumLab(executablePath, 10);

  interface World {
    readonly schoolId: string;
    readonly classId: string;
    readonly homeroom: string;
    readonly peer: string;
    readonly counselor: string;
    /** The student the peer monitor's account belongs to (a pupil of the class). */
    readonly peerSelf: string;
  }
  let world: Promise<World> | undefined;
  const worldOf = (): Promise<World> =>
    (world ??= (async () => {
      const { server, studentIds } = env.lab;
      const { rows } = await server.db.query<{ school_id: string; class_id: string }>("SELECT school_id, class_id FROM students WHERE id = $1", [studentIds[0]]);
      const { school_id: schoolId, class_id: classId } = rows[0]!;
      await server.db.query("UPDATE students SET name_enc = $2 WHERE id = $1", [studentIds[0], encrypt(server.deps.keys, HOSTILE_NAME, `students.name_enc:${studentIds[0]}`)]);
      const homeroom = await server.seed.account("homeroom", { schoolId, classes: [{ classId, relation: "homeroom" }], username: "homeroom.chen" });
      const peer = await server.seed.account("peer", { schoolId, classes: [{ classId, relation: "peer" }], username: "peer.liu" });
      const peerSelf = studentIds[9]!;
      await server.db.query("UPDATE accounts SET student_id = $2 WHERE id = $1", [peer, peerSelf]);
      const counselor = await server.seed.account("counselor", { schoolId, username: "counselor.zhao" });
      return { schoolId, classId, homeroom, peer, counselor, peerSelf };
    })());

  /** A browser context signed in as `accountId` (the session cookie the server sets at sign-in). */
  async function staffPage(browser: Browser, accountId: string, path: string): Promise<{ context: BrowserContext; page: Page }> {
    const { cookie } = await env.lab.server.signIn(accountId);
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "zh-CN" });
    await context.addCookies([{ name: "xq_session", value: cookie.slice(cookie.indexOf("=") + 1), url: env.lab.baseUrl, httpOnly: true, sameSite: "Strict" }]);
    const page = await context.newPage();
    await page.goto(`${env.lab.baseUrl}${path}`);
    return { context, page };
  }

  async function nameOf(studentId: string): Promise<string> {
    const { rows } = await env.lab.server.db.query<{ name_enc: string }>("SELECT name_enc FROM students WHERE id = $1", [studentId]);
    return studentName(env.lab.server.deps.keys, studentId, rows[0]!.name_enc);
  }

  const mainText = async (page: Page) => (await page.locator("main").textContent()) ?? "";
  const cell = (page: Page, row: number, col: number) => page.locator(`input.xq-cell[data-row="${row}"][data-col="${col}"]`);

  it("lets a homeroom teacher rate the whole class in one grid by typing, and files it as one batch", async () => {
    const { homeroom } = await worldOf();
    const { context, page } = await staffPage(env.browser, homeroom, "/observe");
    await expect.poll(() => page.getByRole("heading", { level: 3 }).first().textContent(), { timeout: 15_000 }).toContain("SRSS-IE");
    const rows = page.locator("table.xq-grid tbody tr");
    expect(await rows.count()).toBe(10);
    expect(await page.locator("table.xq-grid thead th").count()).toBe(SRSS_ITEMS.length + 1);
    // The roster's markup is a name, shown as text: no element made, no script run.
    expect(await page.locator("table.xq-grid").textContent()).toContain(HOSTILE_NAME);
    expect(await page.locator("table.xq-grid img").count()).toBe(0);
    expect(await page.evaluate(() => (window as { __xq_xss?: number }).__xq_xss)).toBeUndefined();
    await expectAccessible(page, "the class grid");

    await cell(page, 0, 0).click();
    // A key that is no rating is ignored: the cell stays empty and keeps the focus.
    await page.keyboard.type("9x");
    expect(await cell(page, 0, 0).inputValue()).toBe("");
    // Row r, column c gets (r + c) % 4: one digit per cell, the cursor moves on and wraps to the next row.
    const digits = Array.from({ length: 10 }, (_, r) => SRSS_ITEMS.map((_, c) => String((r + c) % 4)).join("")).join("");
    await page.keyboard.type(digits);
    expect(await cell(page, 9, SRSS_ITEMS.length - 1).inputValue()).toBe(String((9 + SRSS_ITEMS.length - 1) % 4));
    // Arrow keys move; Backspace clears; the progress line counts the rows.
    await page.keyboard.press("ArrowUp");
    await page.keyboard.press("Backspace");
    await expect.poll(() => page.getByTestId("grid-progress").textContent()).toContain("已评定 9 / 10");
    await page.keyboard.type(String((8 + SRSS_ITEMS.length - 1) % 4));
    await expect.poll(() => page.getByTestId("grid-progress").textContent()).toContain("已评定 10 / 10");
    await shot(page, "50-observe-class-grid");

    await page.getByRole("button", { name: "提交全班评定 · Submit the class's ratings" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), { timeout: 10_000 }).toContain("已提交");
    expect(await page.getByRole("status").textContent()).toContain("10 名学生");
    expect(await cell(page, 0, 0).inputValue()).toBe("");
    await shot(page, "51-observe-class-grid-filed");

    const { rows: filed } = await env.lab.server.db.query<{ student_id: string; answers: Record<string, number>; role: string }>(
      "SELECT student_id, answers, role FROM observations WHERE author_id = $1 AND instrument = 'srss-ie'",
      [homeroom],
    );
    expect(filed).toHaveLength(10);
    expect(new Set(filed.map((f) => f.student_id))).toEqual(new Set(env.lab.studentIds));
    expect(filed.every((f) => f.role === "homeroom")).toBe(true);
    const order = await env.lab.server.app.inject({ method: "GET", url: `/api/observe/classes/${(await worldOf()).classId}/students`, headers: (await env.lab.server.signIn(homeroom)).headers });
    const listed: { id: string }[] = order.json().students;
    listed.forEach((s, r) => {
      expect(filed.find((f) => f.student_id === s.id)!.answers).toEqual(Object.fromEntries(SRSS_ITEMS.map((id, c) => [id, (r + c) % 4])));
    });
    await context.close();
  });

  it("raises an alert at once for a critical observation on the checklist, with the note kept", async () => {
    const { homeroom } = await worldOf();
    const studentId = env.lab.studentIds[2]!;
    const { context, page } = await staffPage(env.browser, homeroom, "/observe");
    await page.getByRole("button", { name: "单个学生观察记录 · Checklist for one student" }).click();
    await page.getByLabel("学生 · Student").selectOption(studentId);
    await page.getByLabel("有自伤迹象或相关言语").check();
    await expect.poll(() => page.getByRole("note").textContent()).toContain("立即收到提醒");
    await page.getByLabel(/补充说明/).fill("课间说“活着没意思”，手腕有划痕");
    await expectAccessible(page, "the teacher checklist");
    await shot(page, "52-observe-checklist-critical");
    await page.getByRole("button", { name: "提交观察记录 · File the observation" }).click();
    await expect.poll(() => page.getByRole("status").textContent(), { timeout: 10_000 }).toContain("已提交");
    expect(await mainText(page)).not.toMatch(TIER_WORDS);

    const { rows: alerts } = await env.lab.server.db.query<{ source: string; kind: string; items: unknown }>("SELECT source, kind, items FROM alerts WHERE student_id = $1", [studentId]);
    expect(alerts).toEqual([{ source: "observation", kind: "acute", items: [{ instrument: "teacher-checklist", item: "signs" }] }]);
    const { rows: obs } = await env.lab.server.db.query<{ answers: unknown; note_enc: string | null }>("SELECT answers, note_enc FROM observations WHERE student_id = $1 AND instrument = 'teacher-checklist'", [studentId]);
    expect(obs).toHaveLength(1);
    expect(obs[0]!.answers).toEqual({ signs: ["self-harm"] });
    expect(obs[0]!.note_enc).not.toBeNull();
    await context.close();
  });

  it("shows a teacher only the check-in notice, with no score or tier anywhere on the page", async () => {
    const { homeroom, counselor } = await worldOf();
    const studentId = env.lab.studentIds[1]!;
    const name = await nameOf(studentId);
    // A screening result with a score and a tier, and the counselor's check-in notice for that student.
    await aResult(env.lab.server, env.lab.waveId, studentId, { phq9: phq9Total(SEEDED_TOTAL) });
    const { rows: results } = await env.lab.server.db.query<{ tier: string }>("SELECT r.tier FROM results r JOIN responses p ON p.id = r.response_id WHERE p.student_id = $1", [studentId]);
    expect(results[0]!.tier).not.toBe("none");
    const released = await env.lab.server.app.inject({ method: "POST", url: `/api/students/${studentId}/checkin-notice`, headers: (await env.lab.server.signIn(counselor)).headers, payload: {} });
    expect(released.statusCode, released.body).toBe(201);

    const { context, page } = await staffPage(env.browser, homeroom, "/observe");
    const notices = page.getByRole("region", { name: "请关注以下学生 · Please check in with" });
    await expect.poll(() => notices.getByTestId("notice").count(), { timeout: 15_000 }).toBe(1);
    const notice = notices.getByTestId("notice");
    expect(await notice.textContent()).toContain(name);
    expect(await notice.textContent()).toContain("请找时间与该生谈心");
    await expect.poll(() => page.locator("table.xq-grid").isVisible()).toBe(true);
    await shot(page, "53-observe-checkin-notice");

    const text = await mainText(page);
    expect(text).not.toMatch(TIER_WORDS);
    expect(text).not.toMatch(new RegExp(`\\b${results[0]!.tier}\\b`, "i"));
    expect(text).not.toMatch(new RegExp(`(^|[^0-9])${SEEDED_TOTAL}([^0-9]|$)`));
    const html = await page.content();
    expect(html).not.toMatch(/\b(red|orange|yellow)\b/);

    await notice.getByRole("button", { name: `已谈心：${name} · Checked in with ${name}` }).click();
    await expect.poll(() => notice.textContent()).toContain("已谈心 · Checked in");
    const { rows: done } = await env.lab.server.db.query<{ done_at: Date | null }>("SELECT done_at FROM checkin_notices WHERE student_id = $1", [studentId]);
    expect(done[0]!.done_at).not.toBeNull();
    await context.close();
  });

  it("lets a peer monitor report a classmate and shows them only a thank-you", async () => {
    const { peer, peerSelf } = await worldOf();
    const classmate = env.lab.studentIds[3]!;
    const classmateName = await nameOf(classmate);
    const { context, page } = await staffPage(env.browser, peer, "/observe");
    await expect.poll(() => page.getByRole("heading", { level: 2 }).textContent(), { timeout: 15_000 }).toContain("我有点担心一位同学");
    // Classmates only, names only, and never themselves; no notices, no grid, no links to anything else.
    const options = await page.getByLabel("同学 · Classmate").locator("option").allTextContents();
    expect(options).toHaveLength(1 + 9);
    expect(options).not.toContain(await nameOf(peerSelf));
    expect(options.join("")).not.toMatch(/2026\d{4}/);
    expect(await page.locator("nav").count()).toBe(0);
    expect(await page.locator("table").count()).toBe(0);
    expect(await page.getByRole("region", { name: "请关注以下学生 · Please check in with" }).count()).toBe(0);

    await page.getByLabel("同学 · Classmate").selectOption(classmate);
    await page.getByLabel("心情低落、不开心").check();
    await page.getByLabel("最好这一两天").check();
    await page.getByLabel(/还有想告诉心理老师的吗/).fill("最近午饭总是一个人吃");
    await expectAccessible(page, "the peer report");
    await shot(page, "54-observe-peer-report");
    await page.getByRole("button", { name: "交给心理老师 · Send to the counselor" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 2 }).textContent(), { timeout: 10_000 }).toContain("谢谢你的关心");
    const text = await mainText(page);
    expect(text).not.toContain(classmateName);
    expect(text).not.toMatch(TIER_WORDS);
    expect(text).not.toMatch(/已通知|已处理|报告记录|past reports/);
    expect(await page.locator("main select, main input, main textarea").count()).toBe(0);
    await shot(page, "55-observe-peer-thanks");

    const { rows } = await env.lab.server.db.query<{ role: string; answers: unknown }>("SELECT role, answers FROM observations WHERE student_id = $1 AND author_id = $2", [classmate, peer]);
    expect(rows).toEqual([{ role: "peer", answers: { concerns: ["low-mood"], urgency: "soon" } }]);
    await context.close();
  });

  it("shows a peer monitor opening a student's page directly 'page not found', and the API answers 404", async () => {
    const { peer } = await worldOf();
    const studentId = env.lab.studentIds[3]!;
    const { context, page } = await staffPage(env.browser, peer, `/counselor/students/${studentId}`);
    await expect.poll(() => page.locator("main").textContent(), { timeout: 15_000 }).toContain("找不到这个页面");
    expect(await mainText(page)).not.toContain(await nameOf(studentId));
    await shot(page, "56-observe-peer-student-page");
    const api = await context.request.get(`${env.lab.baseUrl}/api/students/${studentId}/watchlist-entry`);
    expect(api.status()).toBe(404);
    expect(await api.text()).not.toMatch(TIER_WORDS);
    await context.close();
  });
});
