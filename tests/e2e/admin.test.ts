/**
 * A school sets up a wave through /admin, in real Chromium: the district administrator creates a school
 * and its school lead's account and sees the one-time set-up link; the school lead sets a password with
 * that link, signs in, imports a roster with one bad row (every problem shown with its line, nothing
 * imported), fixes it and imports it (GB18030, as Excel writes it), creates and opens a wave, issues
 * the codes, on the code list revokes a code and reissues it, and records guardian consent.
 */
import iconv from "iconv-lite";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { CODE_ALPHABET } from "../../src/server/features/waves/codes";
import { setPassword } from "../server/accounts/helpers";
import { chromiumForTests, newStudentContext, shot, useChromiumLab } from "./harness";
import { expectAccessible } from "./steps";

const executablePath = chromiumForTests();

const CODE = new RegExp(`^[${CODE_ALPHABET}]{8}$`);
const ADMIN_PASSWORD = "长城-district-admin-2026";
const LEAD_PASSWORD = "长城-school-lead-2026";

const HEADER = "学号,姓名,性别,年级,班级";
const ROWS = ["20260801,张小明,男,初二,3班", "20260802,李华,女,初二,3班", "20260803,王晓红,女,初二,3班", "20260804,欧阳子轩,男,初二,3班"];
/** Line 4 (the third student) names a grade that does not exist. */
const BAD_ROSTER = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([HEADER, ROWS[0], ROWS[1], "20260803,王晓红,女,九十,3班", ROWS[3]].join("\r\n") + "\r\n", "utf8")]);
const GOOD_ROSTER = iconv.encode([HEADER, ...ROWS].join("\r\n") + "\r\n", "gb18030");

async function signIn(page: Page, baseUrl: string, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel("用户名 · Username").fill(username);
  await page.getByLabel("密码 · Password").fill(password);
  await page.getByRole("button", { name: "登录 · Sign in" }).click();
  await page.waitForURL(`${baseUrl}/admin`);
}

/** Opens a section through its tab (no page load) and waits for its heading. */
async function openSection(page: Page, tab: string, heading: string): Promise<void> {
  await page.getByRole("navigation", { name: "管理栏目 · Sections" }).getByRole("link", { name: tab }).click();
  await expect.poll(() => page.getByRole("heading", { level: 2 }).first().textContent()).toContain(heading);
}

describe.skipIf(!executablePath)("a school sets up a wave on /admin", { timeout: 120_000 }, () => {
  const env = useChromiumLab(executablePath, 1);

  const studentEnters = (code: string) => env.lab.server.app.inject({ method: "POST", url: "/api/student/session", remoteAddress: "10.9.1.1", payload: { code } });

  it("lets the administrator create a school and its school lead, who imports the roster, opens a wave and manages its codes", async () => {
    const { server, baseUrl } = env.lab;
    const admin = await server.seed.account("admin", { username: "district.admin" });
    await setPassword(server, admin, ADMIN_PASSWORD);

    // ── The district administrator ──
    const adminCtx = await newStudentContext(env.browser);
    const a = adminCtx.page;
    await signIn(a, baseUrl, "district.admin", ADMIN_PASSWORD);
    await expect.poll(() => a.getByRole("heading", { level: 2 }).first().textContent()).toContain("学校 · Schools");
    await a.getByLabel("学校代码 · School code").fill("HD-07");
    await a.getByLabel("学校名称 · School name").fill("海淀区第七中学");
    await a.getByRole("button", { name: "创建学校 · Create school" }).click();
    await expect.poll(() => a.getByRole("table", { name: "学校列表 · Schools" }).textContent()).toContain("海淀区第七中学");
    await shot(a, "70-admin-schools");
    const { rows } = await server.db.query<{ id: string }>("SELECT id FROM schools WHERE code = 'HD-07'");
    const schoolId = rows[0]!.id;

    await openSection(a, "账号 · Accounts", "账号");
    await a.getByLabel("用户名 · Username").fill("lead.hd07");
    await a.getByLabel("姓名（可选）· Name (optional)").fill("刘校长");
    await a.getByLabel("角色 · Role").selectOption("school-lead");
    await a.getByLabel("学校 · School").selectOption(schoolId);
    await a.getByRole("button", { name: "创建账号 · Create account" }).click();
    const linkBox = a.getByTestId("setup-link");
    await expect.poll(() => linkBox.textContent()).toContain("/setup#");
    const setupUrl = (await linkBox.textContent())!.trim();
    expect(setupUrl.startsWith(`${baseUrl}/setup#`)).toBe(true);
    await expect.poll(() => a.getByRole("table", { name: "账号列表 · Accounts" }).textContent()).toContain("lead.hd07");
    expect(await a.getByRole("table", { name: "账号列表 · Accounts" }).textContent()).toContain("待设置密码");
    await expectAccessible(a, "accounts with a set-up link");
    await shot(a, "71-admin-setup-link");

    await openSection(a, "审计日志 · Audit log", "审计日志");
    await a.getByLabel("操作 · Action").fill("account.");
    await a.getByRole("button", { name: "筛选 · Filter" }).click();
    await expect.poll(() => a.getByRole("table", { name: "审计记录 · Audit entries" }).textContent()).toContain("account.created");
    expect(await a.getByRole("table", { name: "审计记录 · Audit entries" }).textContent()).not.toContain("school.create");
    await shot(a, "72-admin-audit");
    await adminCtx.context.close();

    // ── The school lead: set-up link, then sign-in ──
    const leadCtx = await newStudentContext(env.browser);
    const p = leadCtx.page;
    await p.goto(setupUrl);
    await p.getByLabel("新密码 · New password").fill(LEAD_PASSWORD);
    await p.getByLabel("再输入一次 · Again").fill(LEAD_PASSWORD);
    await p.getByRole("button", { name: "设置密码 · Set password" }).click();
    // scrypt on a busy machine: give the server time.
    await expect.poll(() => p.getByRole("heading", { level: 1 }).textContent(), { timeout: 15_000 }).toContain("密码已设置");
    await signIn(p, baseUrl, "lead.hd07", LEAD_PASSWORD);

    // A roster with one bad row: every problem named, nothing written.
    await expect.poll(() => p.getByRole("heading", { level: 2 }).first().textContent()).toContain("名单导入");
    const file = p.getByLabel("名单文件 · Roster file");
    await file.setInputFiles({ name: "名单.csv", mimeType: "text/csv", buffer: BAD_ROSTER });
    await p.getByRole("button", { name: "导入 · Import" }).click();
    await expect.poll(() => p.getByRole("alert").first().textContent()).toContain("未导入任何数据");
    const problems = p.getByRole("table", { name: "名单问题 · Roster problems" });
    const problemRows = problems.locator("tbody tr");
    expect(await problemRows.count()).toBe(1);
    expect(await problemRows.first().locator("td").allTextContents()).toEqual(["4", "年级", expect.stringContaining("九十")]);
    const students = async () => (await server.db.query<{ n: number }>("SELECT count(*)::int AS n FROM students WHERE school_id = $1", [schoolId])).rows[0]!.n;
    expect(await students()).toBe(0);
    await expectAccessible(p, "roster with a bad row");
    await problems.scrollIntoViewIfNeeded();
    await shot(p, "73-roster-bad-row");

    await file.setInputFiles({ name: "名单-改.csv", mimeType: "text/csv", buffer: GOOD_ROSTER });
    await p.getByRole("button", { name: "导入 · Import" }).click();
    const summary = p.getByRole("list", { name: "导入结果 · Result" });
    await expect.poll(() => summary.textContent()).toContain("导入完成：4 名学生（GB18030 (Excel)");
    expect(await summary.textContent()).toContain("已新增 4");
    expect(await students()).toBe(4);
    await summary.scrollIntoViewIfNeeded();
    await shot(p, "74-roster-imported");

    await openSection(p, "班级 · Classes", "班级");
    await expect.poll(() => p.getByRole("table", { name: "班级列表 · Classes" }).textContent()).toContain("8年级3班");

    // A spring wave, opened: its battery per grade band is shown.
    await openSection(p, "测评 · Waves", "测评");
    await p.getByLabel("学年 · School year").fill("2025-2026");
    await p.getByLabel("学期 · Season").selectOption("spring");
    await p.getByLabel("开始日期 · First day").fill("2026-03-01");
    await p.getByLabel("结束日期（含当天）· Last day (inclusive)").fill("2026-03-31");
    await p.getByRole("button", { name: "创建测评 · Create wave" }).click();
    const wave = p.locator(".xq-admin-wave").first();
    await expect.poll(() => wave.getByRole("heading").textContent()).toContain("草稿 draft");
    const battery = await wave.getByRole("table").textContent();
    expect(battery).toContain("7–12 年级");
    expect(battery).toContain("PHQ-9");
    await wave.getByRole("button", { name: "开启测评 · Open wave" }).click();
    await expect.poll(() => wave.getByRole("heading").textContent()).toContain("进行中 open");
    expect(await wave.textContent()).toContain("2026-03-01 – 2026-03-31");
    await wave.scrollIntoViewIfNeeded();
    await shot(p, "75-wave-open");

    // Codes are issued on the slips page; the code list shows their states.
    await p.getByRole("navigation", { name: "主菜单 · Main menu" }).getByRole("link", { name: "访问码 · Code slips" }).click();
    await p.waitForURL(`${baseUrl}/staff/slips`);
    await p.getByRole("button", { name: "生成访问码 · Issue codes" }).click();
    const slips = p.getByTestId("slip-code");
    await expect.poll(() => slips.count()).toBe(4);
    const printed = (await slips.allTextContents()).map((c) => c.trim());

    await p.goto(`${baseUrl}/admin/codes`);
    const counts = p.getByRole("status", { name: "访问码统计 · Code counts" });
    await expect.poll(() => counts.textContent()).toContain("有效 4");
    const first = p.getByTestId("code-row-20260801");
    expect(await first.textContent()).toContain("张*明");
    expect(await p.getByRole("table", { name: "访问码状态 · Code states" }).textContent()).not.toContain("张小明");

    await first.getByRole("button", { name: "作废 · Revoke 20260801" }).click();
    await expect.poll(() => first.textContent()).toContain("已作废 · Revoked");
    expect(await counts.textContent()).toContain("已作废 1");
    expect((await studentEnters(printed[0]!)).statusCode).not.toBe(200);

    await first.getByRole("button", { name: "重新发放 · Reissue 20260801" }).click();
    await expect.poll(() => first.textContent()).toContain("有效 · Active");
    const fresh = (await p.getByTestId("reissued-code").textContent())!.trim();
    expect(fresh).toMatch(CODE);
    expect(printed).not.toContain(fresh);
    await expectAccessible(p, "code list after a reissue");
    await first.scrollIntoViewIfNeeded();
    await shot(p, "76-code-list");

    expect((await studentEnters(fresh)).statusCode).toBe(200);
    expect((await studentEnters(printed[1]!)).statusCode).toBe(200);

    // Guardian consent: one student opted out (their code stops working), then a consent file.
    await openSection(p, "知情同意 · Consent", "知情同意");
    const totals = p.getByRole("status", { name: "全校统计 · School totals" });
    await expect.poll(() => totals.textContent()).toContain("待定 4");
    await p.getByLabel("20260804 知情同意 · consent").selectOption("opted-out");
    await expect.poll(() => totals.textContent()).toContain("拒绝 1");
    expect((await studentEnters(printed[3]!)).statusCode).not.toBe(200);
    const consentFile = p.getByLabel("知情同意文件 · Consent file");
    await consentFile.setInputFiles({ name: "同意书.csv", mimeType: "text/csv", buffer: iconv.encode("学号,同意\r\n20260801,同意\r\n20260899,同意\r\n", "gb18030") });
    const consentProblems = p.getByRole("table", { name: "知情同意问题 · Consent problems" });
    await expect.poll(() => consentProblems.locator("tbody td").allTextContents()).toEqual(["3", "学号", expect.stringContaining("20260899")]);
    expect(await totals.textContent()).toContain("同意 0");
    await consentFile.setInputFiles({ name: "同意书.csv", mimeType: "text/csv", buffer: iconv.encode("学号,同意\r\n20260801,同意\r\n20260802,同意\r\n", "gb18030") });
    await expect.poll(() => totals.textContent()).toContain("同意 2");
    await shot(p, "77-consent");
    await leadCtx.context.close();
  });
});
