/**
 * A school lead signs in on /login, issues the access codes of one class on /staff/slips, prints them
 * (print media: only the slips show), and a printed code lets the student in. In real Chromium.
 */
import { describe, expect, it } from "vitest";
import { CODE_ALPHABET } from "../../src/server/features/waves/codes";
import { setPassword } from "../server/accounts/helpers";
import { newStudentContext, shot, chromiumForTests, useChromiumLab } from "./harness";

const executablePath = chromiumForTests();

const CODE = new RegExp(`^[${CODE_ALPHABET}]{8}$`);
const PASSWORD = "长城-spring-slips-2026";

describe.skipIf(!executablePath)("printing code slips", { timeout: 90_000 }, () => {
  const env = useChromiumLab(executablePath, 1);

  const studentEnters = (code: string) => env.lab.server.app.inject({ method: "POST", url: "/api/student/session", remoteAddress: "10.9.0.1", payload: { code } });

  it("lets a school lead sign in, issue a class's codes, print them on A4 slips, and a printed code lets the student in", async () => {
    const { rows } = await env.lab.server.db.query<{ school_id: string }>("SELECT school_id FROM waves WHERE id = $1", [env.lab.waveId]);
    const schoolId = rows[0]!.school_id;
    // A class the lab has not issued codes for yet.
    const classId = await env.lab.server.seed.klass(schoolId, 8, "4");
    const names = ["张小明", "李华", "王晓红"];
    for (const [i, name] of names.entries()) await env.lab.server.seed.student(classId, { studentNo: `2026080${i + 1}`, name });
    const lead = await env.lab.server.seed.account("school-lead", { schoolId, username: "lead.zhang" });
    await setPassword(env.lab.server, lead, PASSWORD);

    const { context, page } = await newStudentContext(env.browser);
    await page.goto(`${env.lab.baseUrl}/login`);
    await page.getByLabel("用户名 · Username").fill("lead.zhang");
    await page.getByLabel("密码 · Password").fill("not-the-password-1");
    await page.getByRole("button", { name: "登录 · Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("用户名或密码错误");

    await page.getByLabel("密码 · Password").fill(PASSWORD);
    await page.getByRole("button", { name: "登录 · Sign in" }).click();
    await page.waitForURL(`${env.lab.baseUrl}/admin`);
    await page.goto(`${env.lab.baseUrl}/staff/slips`);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("访问码");

    await page.getByLabel("班级 · Class").selectOption(classId);
    await page.getByRole("button", { name: "生成访问码 · Issue codes" }).click();
    const codes = page.getByTestId("slip-code");
    await expect.poll(() => codes.count()).toBe(names.length);
    const printed = (await codes.allTextContents()).map((c) => c.trim());
    for (const code of printed) expect(code).toMatch(CODE);
    expect(new Set(printed).size).toBe(names.length);
    const sheet = (await page.locator(".xq-slip-sheet").textContent()) ?? "";
    expect(sheet).toContain("张*明");
    expect(sheet).toContain("20260801");
    expect(sheet).toContain("8年级4班");
    expect(sheet).not.toContain("张小明");
    expect(await page.getByRole("note").textContent()).toContain("访问码只显示这一次");

    // A lost slip: reissue replaces that slip's code, and the old code stops working.
    await page.getByRole("button", { name: "重新生成 · Reissue" }).first().click();
    await expect.poll(async () => (await codes.first().textContent())?.trim()).not.toBe(printed[0]);
    const fresh = (await codes.first().textContent())!.trim();
    expect(fresh).toMatch(CODE);
    expect((await studentEnters(printed[0]!)).statusCode).not.toBe(200);

    await page.emulateMedia({ media: "print" });
    expect(await page.getByRole("heading", { level: 1 }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "打印 · Print" }).isVisible()).toBe(false);
    expect(await page.getByRole("button", { name: "重新生成 · Reissue" }).first().isVisible()).toBe(false);
    expect(await codes.first().isVisible()).toBe(true);
    expect(await page.locator(".xq-slip").first().evaluate((el) => getComputedStyle(el).breakInside)).toBe("avoid");
    await shot(page, "30-code-slips");

    const entered = await studentEnters(fresh);
    expect(entered.statusCode).toBe(200);
    const other = await studentEnters(printed[1]!);
    expect(other.statusCode).toBe(200);
    await context.close();
  });
});
