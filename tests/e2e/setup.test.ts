/**
 * The one-time set-up link a new account gets (the first administrator's, printed at first start, works
 * the same way), in real Chromium: the password is set on the page and the account can sign in with it.
 */
import { describe, expect, it } from "vitest";
import { newStudentContext, shot, chromiumForTests, useChromiumLab } from "./harness";

const executablePath = chromiumForTests();

describe.skipIf(!executablePath)("the one-time set-up link", { timeout: 60_000 }, () => {
  const env = useChromiumLab(executablePath, 1);

  it("lets a new account set its password, removes the token from the address bar, and the password signs in", async () => {
    const admin = await env.lab.server.seed.account("admin");
    const { headers } = await env.lab.server.signIn(admin);
    const created = await env.lab.server.app.inject({ method: "POST", url: "/api/accounts", headers, payload: { username: "analyst.wang", role: "analyst" } });
    expect(created.statusCode).toBe(201);
    const made = created.json() as { setupToken: string };
    const { context, page } = await newStudentContext(env.browser);
    await page.goto(`${env.lab.baseUrl}/setup#${made.setupToken}`);
    await page.getByLabel("新密码 · New password").fill("mismatch-password-1");
    await page.getByLabel("再输入一次 · Again").fill("mismatch-password-2");
    await page.getByRole("button", { name: "设置密码 · Set password" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("两次输入的密码不一致");
    expect(page.url()).not.toContain(made.setupToken);
    await page.getByLabel("新密码 · New password").fill("长城-autumn-wave-2026");
    await page.getByLabel("再输入一次 · Again").fill("长城-autumn-wave-2026");
    await page.getByRole("button", { name: "设置密码 · Set password" }).click();
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toContain("密码已设置");
    await shot(page, "20-setup-done");
    const login = await env.lab.server.app.inject({ method: "POST", url: "/api/auth/login", payload: { username: "analyst.wang", password: "长城-autumn-wave-2026" } });
    expect(login.statusCode).toBe(200);
    await context.close();
  });
});
