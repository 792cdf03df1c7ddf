/**
 * The e2e harness: the real SPA (one vite build per test run, shared by the suites), the real server app
 * (`buildApp` through tests/helpers/server.ts, PGlite in memory, listening on 127.0.0.1 at a free port), a
 * school with an open wave and access codes made through the waves API, and Debian's Chromium driven by
 * playwright-core. Nothing is mocked.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, inject } from "vitest";
import { build } from "vite";
import { openPglite } from "../../src/server/db/pglite";
import { ensureDefaultSettings } from "../../src/server/main";
import { startTestServer, type TestServer } from "../helpers/server";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const screenshotDir = join(root, "tests/e2e/screenshots");

export const CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

/** The Debian chromium binary, or undefined when it is not installed. */
export function chromiumPath(): string | undefined {
  try {
    const out = execFileSync("sh", ["-c", "command -v chromium"], { encoding: "utf8" }).trim();
    return out === "" ? undefined : out;
  } catch {
    return undefined;
  }
}

const BUILD_WAIT_MS = 240_000;

/**
 * The built SPA, shared by every e2e suite of the run: the global set-up names a directory, the first
 * suite to get its lock (an atomic mkdir) builds into it, and the others wait for its marker file. The
 * global tear-down removes it.
 */
export async function builtSpa(): Promise<string> {
  const dir = inject("e2eSpaDir");
  const done = join(dir, "built.ok");
  const failed = join(dir, "built.failed");
  try {
    mkdirSync(join(dir, "build.lock"));
  } catch {
    const until = Date.now() + BUILD_WAIT_MS;
    while (!existsSync(done)) {
      if (existsSync(failed)) throw new Error(`the SPA build failed in another suite: ${readFileSync(failed, "utf8")}`);
      if (Date.now() > until) throw new Error(`the SPA build did not finish within ${BUILD_WAIT_MS / 1000} s`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return join(dir, "spa");
  }
  try {
    await build({ root, configFile: join(root, "vite.config.ts"), logLevel: "error", build: { outDir: join(dir, "spa"), emptyOutDir: true, sourcemap: false, chunkSizeWarningLimit: 4096 } });
  } catch (e) {
    writeFileSync(failed, String(e));
    throw e;
  }
  writeFileSync(done, "");
  return join(dir, "spa");
}

export interface Lab {
  readonly server: TestServer;
  readonly baseUrl: string;
  readonly codes: string[];
  readonly studentIds: string[];
  readonly waveId: string;
  /** A code of an open wave that was closed before the student came. */
  readonly closedWaveCode: string;
  close(): Promise<void>;
}

/** Starts the server on the built SPA and makes a school, a grade-8 class, `students` students, an open wave and their codes. */
export async function startLab(staticDir: string, students: number): Promise<Lab> {
  const db = await openPglite({});
  const server = await startTestServer(db, { staticDir });
  const { seed, app, clock } = server;
  // As at a real first start: the district name and the help hotlines (the district's number not filled in).
  await ensureDefaultSettings(db);

  const schoolId = await seed.school({ name: "第一实验中学" });
  const classId = await seed.klass(schoolId, 8, "3");
  const studentIds: string[] = [];
  for (let i = 0; i < students; i++) studentIds.push(await seed.student(classId));
  const lead = await seed.account("school-lead", { schoolId });
  const { headers } = await server.signIn(lead);

  const call = async <T>(method: "POST" | "GET", url: string, payload?: unknown): Promise<T> => {
    const res = await app.inject({ method, url, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as T;
  };
  const now = clock.now().getTime();
  const window = { schoolYear: "2025-2026", season: "spring", opensAt: new Date(now - 3_600_000).toISOString(), closesAt: new Date(now + 30 * 86_400_000).toISOString() };

  const wave = await call<{ id: string }>("POST", `/api/schools/${schoolId}/waves`, window);
  await call("POST", `/api/waves/${wave.id}/open`);
  const issued = await call<{ issued: { studentId: string; code: string }[] }>("POST", `/api/waves/${wave.id}/codes`, {});
  const codeOf = new Map(issued.issued.map((s) => [s.studentId, s.code]));
  const codes = studentIds.map((id) => codeOf.get(id)!);

  // A second school whose wave closed: its code must give a clear message, not a survey.
  const otherSchool = await seed.school({ name: "第二中学" });
  const otherClass = await seed.klass(otherSchool, 8, "1");
  const otherStudent = await seed.student(otherClass);
  const otherLead = await seed.account("school-lead", { schoolId: otherSchool });
  const other = await server.signIn(otherLead);
  const otherCall = async <T>(url: string, payload?: unknown): Promise<T> => {
    const res = await app.inject({ method: "POST", url, headers: other.headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as T;
  };
  const closedWave = await otherCall<{ id: string }>(`/api/schools/${otherSchool}/waves`, window);
  await otherCall(`/api/waves/${closedWave.id}/open`);
  const closedIssued = await otherCall<{ issued: { studentId: string; code: string }[] }>(`/api/waves/${closedWave.id}/codes`, {});
  await otherCall(`/api/waves/${closedWave.id}/close`);
  const closedWaveCode = closedIssued.issued.find((s) => s.studentId === otherStudent)!.code;

  await app.listen({ host: "127.0.0.1", port: 0 });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    server,
    baseUrl: `http://127.0.0.1:${address.port}`,
    codes,
    studentIds,
    waveId: wave.id,
    closedWaveCode,
    async close() {
      await app.close();
      await db.close();
    },
  };
}

/**
 * Debian's chromium for this run. Without it the e2e suites skip (one line says so), except in CI, which
 * must run them: there its absence fails the run.
 */
export function chromiumForTests(): string | undefined {
  const path = chromiumPath();
  if (!path && process.env.CI) throw new Error("e2e: chromium is not installed (apt-get install -y chromium); CI requires it");
  if (!path) console.warn("e2e: skipped, chromium is not installed (apt-get install -y chromium)");
  return path;
}

export interface ChromiumLab {
  readonly lab: Lab;
  readonly browser: Browser;
}

/**
 * Registers a suite's set-up and tear-down: the built SPA, a lab of `students` (see startLab) and one
 * Chromium. Read `lab` and `browser` inside the tests, once the set-up has run.
 */
export function useChromiumLab(executablePath: string | undefined, students: number): ChromiumLab {
  const env = {} as { lab: Lab; browser: Browser };
  beforeAll(async () => {
    env.lab = await startLab(await builtSpa(), students);
    env.browser = await launchChromium(executablePath!);
  }, 120_000);
  afterAll(async () => {
    await env.browser?.close();
    await env.lab?.close();
  });
  return env;
}

export async function launchChromium(executablePath: string): Promise<Browser> {
  mkdirSync(screenshotDir, { recursive: true });
  return chromium.launch({ executablePath, args: CHROMIUM_ARGS, headless: true });
}

export async function newStudentContext(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, locale: "zh-CN" });
  const page = await context.newPage();
  return { context, page };
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: false });
}
