/**
 * Hostile input in real Chromium (issue 8, "Security"): a school whose name, class label, roster names,
 * observation notes, case reason and notes, tier-override reasons and staff display names are the
 * hostile corpus of tests/security/corpus.ts (plus an `<img onerror>` and an `<svg onload>`), written
 * through the real API (the roster through its CSV import), is shown on every page that shows those
 * fields: the student's introduction, /admin (schools, accounts, roster problems, classes, consent, codes,
 * audit), the code slips, /counselor (alerts, cases, watch list, student page with the growth record, case
 * page), /observe (class grid, notices, the peer monitor's list) and /analyst (tables and chart tooltips).
 *
 * Before any page script runs, every context hooks `alert`, `confirm` and `prompt` and listens for
 * `securitypolicyviolation` (the server's CSP has script-src 'self', so markup that became an element with
 * an event handler reports here even when it is blocked); Playwright's `dialog` event and page errors are
 * collected too. On each page: no hook hit, no dialog, no violation, no page error, no element made from
 * the text, no `javascript:` link, and the hostile text is there verbatim as text. NUL bytes and 1 MB
 * strings are kept and shown where a field accepts them, else refused with a clear 4xx.
 */
import type { LightMyRequestResponse } from "fastify";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { beforeAll, describe, expect, it } from "vitest";
import { NOTE_MAX } from "../../src/shared/cases";
import { MAX_OBSERVATION_TEXT } from "../../src/shared/observations";
import { CODE_ALPHABET, maskName } from "../../src/server/features/waves/codes";
import { addCohorts, addWave } from "../server/analytics/fixtures";
import { aResult, phq9Total } from "../server/watchlist/fixtures";
import { KEPT, MAYBE_REFUSED } from "../security/corpus";
import { CALM_CHECKLIST } from "../security/world";
import { chromiumForTests, shot, useChromiumLab } from "./harness";
import { typeCode } from "./steps";

const executablePath = chromiumForTests();

const IMG = "<img src=x onerror=alert(1)>";
const SVG = "<svg onload=alert(1)>";
/** U+2069 POP DIRECTIONAL ISOLATE with no isolate to close: it would end the page's isolate around the name. */
const STRAY_PDI = "\u2069";
/** The school every page of the test is about: after the mixed string's U+202E, a stray PDI and another U+202E. */
const SCHOOL_NAME = `${IMG}${KEPT.mixed}${STRAY_PDI}${KEPT["RTL override"]}`;
/** Not a number, so kept as written: "8年级 <svg onload=alert(1)>". */
const CLASS_LABEL = SVG;
const CLASS_TEXT = `8年级 ${CLASS_LABEL}`;
/** One student per corpus string, and one named `<img onerror>` (the focus student: notes, case, overrides). */
const NAMES = [...Object.values(KEPT), IMG];
const studentNo = (i: number) => `2026900${i}`;
const FOCUS = NAMES.length - 1;
/** Critical observation, never acknowledged: the live banner shows this name. */
const WAITING = 0;
/** Enters a code on the student page: no result for them, so the introduction shows. */
const ENTRANT = Object.keys(KEPT).indexOf("SQL fragment");
/** Has a check-in notice for the homeroom teacher. */
const NOTICED = Object.keys(KEPT).indexOf("mixed");
/** The peer monitor's own roster line (not in their list of classmates). */
const PEER_SELF = Object.keys(KEPT).indexOf("emoji");

const COUNSELOR_NAME = `${KEPT["event-handler attribute"]}王老师`;
const HOMEROOM_NAME = "<iframe src=javascript:alert(1)>陈老师";
const LEAD_NAME = `${KEPT["RTL override"]}李校长`;
const CASE_REASON = `${IMG}${KEPT["javascript: URL"]}`;
const HOSPITAL = `${KEPT["event-handler attribute"]}<a href="javascript:alert(1)">市精神卫生中心</a>`;
const LONG_OBSERVATION = "𪚥".repeat(MAX_OBSERVATION_TEXT / 2);
const LONG_CASE_NOTE = "x".repeat(NOTE_MAX);

const cell = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** A refusal is a 4xx in the error shape, never a 5xx. */
function expectClearRefusal(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, what).toBeLessThan(500);
  expect(res.json(), what).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
}

interface World {
  readonly schoolId: string;
  readonly classId: string;
  readonly waveId: string;
  readonly studentIds: string[];
  readonly caseId: string;
  readonly accounts: { readonly admin: string; readonly lead: string; readonly counselor: string; readonly homeroom: string; readonly peer: string; readonly analyst: string };
  /** School names other than SCHOOL_NAME: one school per corpus string the server kept. */
  readonly schoolNames: string[];
  /** Display names of one account per corpus string the server kept. */
  readonly displayNames: string[];
  readonly observationNotes: string[];
  readonly overrideReasons: string[];
  readonly interviewNotes: string[];
}

describe.skipIf(!executablePath)("hostile text on every page, in Chromium", { timeout: 180_000 }, () => {
  const env = useChromiumLab(executablePath, 1);
  let world: World;
  /** An access code of the ENTRANT student, issued on the slips page. */
  let entrantCode: string | undefined;

  const inject = (headers: Record<string, string>, method: "GET" | "POST" | "PATCH" | "PUT", url: string, payload?: object | Buffer, contentType?: string) =>
    env.lab.server.app.inject({ method, url, headers: contentType ? { ...headers, "content-type": contentType } : headers, ...(payload !== undefined && { payload }) });
  const ok = async <T>(res: Promise<LightMyRequestResponse>): Promise<T> => {
    const r = await res;
    expect(r.statusCode, `${r.raw.req.method} ${r.raw.req.url}: ${r.body.slice(0, 300)}`).toBeLessThan(300);
    return r.json() as T;
  };
  /** Writes each hostile value; returns those kept (2xx), and checks every refusal is clear (the 1 MB string must be refused). */
  const keptOf = async (what: string, values: Readonly<Record<string, string>>, write: (value: string, i: number) => Promise<LightMyRequestResponse>): Promise<string[]> => {
    const kept: string[] = [];
    for (const [i, [name, value]] of Object.entries(values).entries()) {
      const res = await write(value, i);
      if (res.statusCode < 300) kept.push(value);
      else if (name in MAYBE_REFUSED) expectClearRefusal(res, `${what} with a ${name}`);
      else throw new Error(`${what} with a ${name} was refused: ${res.statusCode} ${res.body.slice(0, 300)}`);
      if (value === MAYBE_REFUSED["1 MB string"]) expect(res.statusCode, `${what} with a 1 MB string`).toBeGreaterThanOrEqual(400);
    }
    return kept;
  };

  beforeAll(async () => {
    const { server } = env.lab;
    const { seed, db } = server;
    const admin = await seed.account("admin", { username: "district.admin" });
    const adminH = (await server.signIn(admin)).headers;
    const all = { ...KEPT, ...MAYBE_REFUSED };

    // Schools: the one of the test, and one per corpus string (each with a wave and ten results for the analyst).
    const school = await ok<{ id: string }>(inject(adminH, "POST", "/api/schools", { code: "HX-00", name: SCHOOL_NAME }));
    const schoolIds: string[] = [];
    const schoolNames = await keptOf("school name", all, async (name, i) => {
      const res = await inject(adminH, "POST", "/api/schools", { code: `HX-${i + 1}`, name });
      if (res.statusCode < 300) schoolIds.push(res.json<{ id: string }>().id);
      return res;
    });
    for (const id of schoolIds) {
      const wave = await addWave(db, id, "2025-2026", "spring");
      await addCohorts(server, await seed.klass(id, 8, "1"), wave, [{ count: 10, outcome: "completed", tier: "none", who5: 64, sleep: 3 }]);
    }

    const lead = await seed.account("school-lead", { schoolId: school.id, username: "lead.hx" });
    const leadH = (await server.signIn(lead)).headers;
    // The roster, through the import: every name hostile, in a class with a hostile label.
    const csv = ["学号,姓名,性别,年级,班级", ...NAMES.map((name, i) => [studentNo(i), cell(name), "女", "初二", cell(CLASS_LABEL)].join(","))].join("\r\n") + "\r\n";
    await ok(inject(leadH, "POST", `/api/schools/${school.id}/roster`, Buffer.from(csv, "utf8"), "text/csv"));
    for (const [what, name] of Object.entries(MAYBE_REFUSED)) {
      const res = await inject(leadH, "POST", `/api/schools/${school.id}/roster`, Buffer.from(`学号,姓名,性别,年级,班级\r\n20269999,${cell(name)},男,初二,1班\r\n`, "utf8"), "text/csv");
      expectClearRefusal(res, `a roster name with a ${what}`);
    }
    const { classes } = await ok<{ classes: { id: string; label: string }[] }>(inject(leadH, "GET", `/api/schools/${school.id}/classes`));
    expect(classes.map((c) => c.label)).toEqual([CLASS_LABEL]);
    const classId = classes[0]!.id;

    const counselor = await seed.account("counselor", { schoolId: school.id, username: "counselor.hx" });
    const homeroom = await seed.account("homeroom", { schoolId: school.id, classes: [{ classId, relation: "homeroom" }], username: "homeroom.hx" });
    const peer = await seed.account("peer", { schoolId: school.id, classes: [{ classId, relation: "peer" }], username: "peer.hx" });
    for (const [id, displayName] of [
      [counselor, COUNSELOR_NAME],
      [homeroom, HOMEROOM_NAME],
      [lead, LEAD_NAME],
    ] as const) {
      await ok(inject(adminH, "PATCH", `/api/accounts/${id}`, { displayName }));
    }
    const displayNames = await keptOf("display name", all, (displayName, i) => inject(adminH, "POST", "/api/accounts", { username: `hostile.${i}`, role: "subject", schoolId: school.id, displayName }));

    const homeroomH = (await server.signIn(homeroom)).headers;
    const { students } = await ok<{ students: { id: string; name: string; studentNo: string }[] }>(inject(homeroomH, "GET", `/api/observe/classes/${classId}/students`));
    const studentIds = NAMES.map((name, i) => {
      const s = students.find((x) => x.studentNo === studentNo(i));
      expect(s?.name, studentNo(i)).toBe(name);
      return s!.id;
    });
    await db.query("UPDATE accounts SET student_id = $2 WHERE id = $1", [peer, studentIds[PEER_SELF]]);

    // The wave, opened by the school lead; everyone but the entrant has a (moderate) screening result.
    const now = server.clock.now().getTime();
    const wave = await ok<{ id: string }>(
      inject(leadH, "POST", `/api/schools/${school.id}/waves`, { schoolYear: "2025-2026", season: "spring", opensAt: new Date(now - 3_600_000).toISOString(), closesAt: new Date(now + 30 * 86_400_000).toISOString() }),
    );
    await ok(inject(leadH, "POST", `/api/waves/${wave.id}/open`));
    for (const [i, id] of studentIds.entries()) if (i !== ENTRANT) await aResult(server, wave.id, id, { phq9: phq9Total(12) });

    // Observation notes on the focus student: every corpus string, a long one, and a critical one (an alert).
    const focus = studentIds[FOCUS]!;
    const observe = (studentId: string, note: string, signs: string[] = []) => inject(homeroomH, "POST", "/api/observations", { studentId, instrument: "teacher-checklist", answers: { ...CALM_CHECKLIST, signs }, note });
    const observationNotes = await keptOf("observation note", { ...all, long: LONG_OBSERVATION }, (note) => observe(focus, note));
    await ok(observe(focus, IMG, ["self-harm"]));
    observationNotes.push(IMG);
    await ok(observe(studentIds[WAITING]!, KEPT.emoji!, ["self-harm"]));

    // The counselor: acknowledges the focus student's alert, overrides the tier (every reason kept), opens a case.
    const counselorH = (await server.signIn(counselor)).headers;
    const { rows: alerts } = await db.query<{ id: string }>("SELECT id FROM alerts WHERE student_id = $1", [focus]);
    expect(alerts).toHaveLength(1);
    await ok(inject(counselorH, "POST", `/api/alerts/${alerts[0]!.id}/acknowledge`, { openCase: false }));
    const overrideReasons = await keptOf("override reason", all, (reason, i) => inject(counselorH, "POST", `/api/students/${focus}/tier-override`, { tier: i % 2 === 0 ? "orange" : "red", reason }));
    const opened = await ok<{ id: string }>(inject(counselorH, "POST", "/api/cases", { studentId: focus, tier: "red", reason: CASE_REASON }));
    const step = (body: object) => inject(counselorH, "POST", `/api/cases/${opened.id}/steps`, body);
    await ok(step({ kind: "acknowledge" }));
    const interviewNotes = await keptOf("interview note", { ...all, long: LONG_CASE_NOTE }, (notes) => step({ kind: "interview", date: "2026-03-02", notes }));
    await ok(step({ kind: "plan", plan: "referral", notes: KEPT["SQL fragment"] }));
    await ok(step({ kind: "referral", hospital: HOSPITAL, date: "2026-03-03", greenChannel: true, outcome: KEPT["RTL override"] }));
    const notice = await inject(counselorH, "POST", `/api/students/${studentIds[NOTICED]}/checkin-notice`, {});
    expect(notice.statusCode, notice.body).toBe(201);

    const analyst = await seed.account("analyst", { username: "analyst.hx" });
    world = {
      schoolId: school.id,
      classId,
      waveId: wave.id,
      studentIds,
      caseId: opened.id,
      accounts: { admin, lead, counselor, homeroom, peer, analyst },
      schoolNames,
      displayNames,
      observationNotes,
      overrideReasons,
      interviewNotes,
    };
  }, 120_000);

  // ---------------------------------------------------------------------------------------------
  // The watch in every page: hooks installed before any page script, and what Playwright sees.

  interface Watched {
    readonly context: BrowserContext;
    readonly page: Page;
    /** Dialogs, page errors, hook hits and CSP violations so far, as lines (none expected). */
    incidents(): Promise<string[]>;
  }

  async function watchedContext(browser: Browser, accountId: string | null): Promise<Watched> {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 }, locale: "zh-CN" });
    await context.addInitScript(() => {
      const seen: string[] = [];
      Object.defineProperty(window, "__xqIncidents", { value: seen });
      const w = window as unknown as Record<"alert" | "confirm" | "prompt", (message?: unknown) => unknown>;
      // The browser's own alert, for the test that shows the dialog listener works.
      Object.defineProperty(window, "__xqNativeAlert", { value: window.alert.bind(window) });
      for (const name of ["alert", "confirm", "prompt"] as const) {
        w[name] = (message?: unknown) => {
          seen.push(`${name}(${String(message)})`);
          return name === "confirm" ? false : name === "prompt" ? null : undefined;
        };
      }
      document.addEventListener("securitypolicyviolation", (e) => seen.push(`CSP ${e.effectiveDirective} blocked ${e.blockedURI} ${e.sample}`), true);
    });
    if (accountId !== null) {
      const { cookie } = await env.lab.server.signIn(accountId);
      await context.addCookies([{ name: "xq_session", value: cookie.slice(cookie.indexOf("=") + 1), url: env.lab.baseUrl, httpOnly: true, sameSite: "Strict" }]);
    }
    const page = await context.newPage();
    const outside: string[] = [];
    page.on("dialog", (d) => {
      outside.push(`dialog ${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on("pageerror", (e) => outside.push(`page error: ${e.message}`));
    return {
      context,
      page,
      incidents: async () => [...outside, ...(await page.evaluate(() => [...((window as unknown as { __xqIncidents?: string[] }).__xqIncidents ?? ["hooks missing"])]))],
    };
  }

  /** Nothing ran, nothing was made of the text, no link leads to script. */
  async function expectInert(w: Watched, where: string): Promise<void> {
    expect(await w.incidents(), where).toEqual([]);
    const made = await w.page.evaluate(() => {
      const found: string[] = [];
      for (const el of document.querySelectorAll("*")) {
        for (const a of el.attributes) if (/^on/i.test(a.name)) found.push(`${el.tagName} ${a.name}`);
        if (el instanceof HTMLAnchorElement && /^\s*javascript:/i.test(el.getAttribute("href") ?? "")) found.push(`a href=${el.getAttribute("href")}`);
      }
      for (const el of document.querySelectorAll('img[src="x"], svg[onload], iframe, script:not([src]), b')) found.push(el.outerHTML.slice(0, 80));
      return found;
    });
    expect(made, where).toEqual([]);
  }

  /** Every text is in `scope`'s text exactly (textContent: nothing escaped, dropped or rewritten). */
  async function expectShown(scope: Locator, texts: readonly string[], where: string): Promise<void> {
    const missing = async () => {
      const text = (await scope.textContent()) ?? "";
      return texts.filter((t) => !text.includes(t)).map((t) => JSON.stringify(t.slice(0, 80)));
    };
    await expect.poll(missing, { timeout: 15_000, message: `${where}: not shown verbatim` }).toEqual([]);
  }

  /**
   * The app's own words on a line with typed text keep their reading order (issue 8: a U+202E in a name
   * must not reverse the words after it). Taken in document order, every character of `line`'s own text and
   * every <bdi> (one piece of typed text, laid out as it likes inside) starts at or right of where the piece
   * before it ended on the same visual line, or on a later line. `isolates`: the <bdi>s the line must hold.
   */
  async function expectReadingOrder(line: Locator, isolates: number, where: string): Promise<void> {
    const { seen, problems } = await line.evaluate((root) => {
      type Box = { left: number; right: number; top: number; bottom: number };
      const pieces: { what: string; first: Box; last: Box }[] = [];
      let seen = 0;
      const visit = (node: Node) => {
        for (const child of node.childNodes) {
          if (child instanceof HTMLElement && child.tagName === "BDI") {
            seen++;
            const rects = [...child.getClientRects()].filter((r) => r.width > 0);
            if (rects.length > 0) pieces.push({ what: `<bdi>${(child.textContent ?? "").slice(0, 24)}`, first: rects[0]!, last: rects.at(-1)! });
          } else if (child.nodeType === Node.TEXT_NODE) {
            const text = child.textContent ?? "";
            let at = 0;
            for (const ch of text) {
              const range = document.createRange();
              range.setStart(child, at);
              range.setEnd(child, at + ch.length);
              at += ch.length;
              const box = range.getBoundingClientRect();
              if (ch.trim() !== "" && box.width > 0) pieces.push({ what: ch, first: box, last: box });
            }
          } else visit(child);
        }
      };
      visit(root);
      const problems: string[] = [];
      for (let i = 1; i < pieces.length; i++) {
        const before = pieces[i - 1]!;
        const piece = pieces[i]!;
        const sameLine = piece.first.top < before.last.bottom - 2 && piece.first.bottom > before.last.top + 2;
        const inOrder = sameLine ? piece.first.left >= before.last.right - 1 : piece.first.top >= before.last.bottom - 2;
        if (!inOrder) problems.push(`${JSON.stringify(piece.what)} at x=${Math.round(piece.first.left)} is not after ${JSON.stringify(before.what)} ending at x=${Math.round(before.last.right)}`);
      }
      return { seen, problems };
    });
    expect(seen, `${where}: typed text isolated`).toBe(isolates);
    expect(problems, `${where}: the app's words in reading order`).toEqual([]);
  }

  it("catches a script run, a dialog and a CSP violation when there is one (the watch works)", async () => {
    const w = await watchedContext(env.browser, null);
    await w.page.goto(env.lab.baseUrl);
    await w.page.getByLabel("访问码").waitFor();
    expect(await w.incidents()).toEqual([]);
    await w.page.evaluate(() => {
      window.alert("probe");
      // Markup parsed into the page, as a bug would: its inline handler is blocked by the CSP, and reported.
      document.body.insertAdjacentHTML("beforeend", '<img src="data:," onerror="window.alert(2)">');
    });
    await expect.poll(() => w.incidents()).toEqual(["alert(probe)", expect.stringMatching(/^CSP script-src-attr blocked inline/)]);
    // A native dialog, had the hooks been bypassed, is caught by Playwright's listener.
    await w.page.evaluate(() => setTimeout(() => (window as unknown as { __xqNativeAlert(m: string): void }).__xqNativeAlert("native"), 0));
    await expect.poll(() => w.incidents()).toContain("dialog alert: native");
    await w.context.close();
  });

  it("shows the school lead the school, class and names as text: roster problems, classes, accounts, consent, codes, slips, open cases", async () => {
    const w = await watchedContext(env.browser, world.accounts.lead);
    const { page } = w;
    await page.goto(`${env.lab.baseUrl}/admin/roster`);
    // A roster line the import refuses: the problem list quotes the hostile cell as text.
    const bad = Buffer.from(`学号,姓名,性别,年级,班级\r\n20269998,${cell(`${IMG}\u0000`)},男,初二,${cell(CLASS_LABEL)}\r\n`, "utf8");
    await page.getByLabel("名单文件 · Roster file").setInputFiles({ name: "名单.csv", mimeType: "text/csv", buffer: bad });
    await page.getByRole("button", { name: "导入 · Import" }).click();
    await expectShown(page.getByRole("table", { name: "名单问题 · Roster problems" }), [`${IMG}\\0`], "roster problems");
    await expectInert(w, "roster problems");
    await shot(page, "90-hostile-roster-problems");

    const section = async (path: string, where: string, scope: Locator, texts: readonly string[]) => {
      await page.goto(`${env.lab.baseUrl}${path}`);
      await expectShown(scope, texts, where);
      await expectInert(w, where);
    };
    const main = page.locator("main");
    await section("/admin/classes", "classes", page.getByRole("table", { name: "班级列表 · Classes" }), [CLASS_TEXT, HOMEROOM_NAME]);
    await shot(page, "91-hostile-classes");
    await section("/admin/accounts", "the school's accounts", page.getByRole("table", { name: "账号列表 · Accounts" }), [COUNSELOR_NAME, HOMEROOM_NAME, LEAD_NAME, ...world.displayNames]);
    await shot(page, "92-hostile-accounts");
    const masked = NAMES.map(maskName);
    await section("/admin/consent", "consent", main, masked);
    await section("/admin/codes", "codes", main, [CLASS_TEXT, ...masked]);
    await shot(page, "93-hostile-codes");

    // Code slips: issued here, each with the school's name and the class.
    await page.goto(`${env.lab.baseUrl}/staff/slips`);
    await expectShown(main, [SCHOOL_NAME], "slips page");
    await page.getByRole("button", { name: "生成访问码 · Issue codes" }).click();
    const slips = page.locator("article.xq-slip");
    await expect.poll(() => slips.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    const entrant = slips.filter({ hasText: studentNo(ENTRANT) });
    await expectShown(entrant, [SCHOOL_NAME, CLASS_TEXT, maskName(NAMES[ENTRANT]!)], "a code slip");
    await expectReadingOrder(entrant.locator(".xq-slip-where"), 2, "a code slip's school · class");
    entrantCode = (await entrant.getByTestId("slip-code").textContent())?.trim();
    expect(entrantCode).toMatch(new RegExp(`^[${CODE_ALPHABET}]{8}$`));
    await expectInert(w, "code slips");
    await shot(page, "94-hostile-slips");

    // The lead's view of the school's open cases names the counselor in charge.
    await section("/counselor", "the lead's cases", page.getByTestId("cases"), [NAMES[FOCUS]!, CLASS_TEXT, COUNSELOR_NAME]);
    await w.context.close();
  });

  it("shows a student the school's name on the introduction as text", async () => {
    expect(entrantCode, "the slips test issued a code").toBeDefined();
    const w = await watchedContext(env.browser, null);
    const { page } = w;
    await page.goto(env.lab.baseUrl);
    await typeCode(page, entrantCode!);
    const title = page.getByRole("heading", { level: 1 });
    // The FSI in front of the name pairs with its stray PDI, so that the PDI cannot close the heading's isolate.
    await expect.poll(() => title.textContent(), { timeout: 15_000 }).toBe(`欢迎，这里是\u2068${SCHOOL_NAME}的心理健康问卷`);
    // "的心理健康问卷" reads left to right after the name, not reversed by the overrides in it.
    await expectReadingOrder(title, 1, "student introduction heading");
    await expectInert(w, "student introduction");
    await shot(page, "95-hostile-student-intro");
    await w.context.close();
  });

  it("shows the district administrator every school and display name as text: schools, accounts, audit log", async () => {
    const w = await watchedContext(env.browser, world.accounts.admin);
    const { page } = w;
    await page.goto(`${env.lab.baseUrl}/admin/schools`);
    await expectShown(page.getByRole("table", { name: "学校列表 · Schools" }), [SCHOOL_NAME, ...world.schoolNames], "schools");
    await expectInert(w, "schools");
    await shot(page, "96-hostile-schools");
    await page.goto(`${env.lab.baseUrl}/admin/accounts`);
    await expectShown(page.getByRole("table", { name: "账号列表 · Accounts" }), [COUNSELOR_NAME, HOMEROOM_NAME, LEAD_NAME, ...world.displayNames], "all accounts");
    // The school filter lists the schools by code and name.
    await expectShown(page.getByLabel("按学校筛选 · Filter by school"), [`HX-00 ${SCHOOL_NAME}`, ...world.schoolNames], "school filter");
    await expectInert(w, "accounts");
    await page.goto(`${env.lab.baseUrl}/admin/audit`);
    await expect.poll(() => page.getByRole("table", { name: "审计记录 · Audit entries" }).count(), { timeout: 15_000 }).toBe(1);
    await expectInert(w, "audit log");
    await w.context.close();
  });

  it("shows the counselor names, notes, reasons and the case as text: home, student page with the growth record, case page", async () => {
    const w = await watchedContext(env.browser, world.accounts.counselor);
    const { page } = w;
    const focus = NAMES[FOCUS]!;
    const onList = NAMES.filter((_, i) => i !== ENTRANT);
    await page.goto(`${env.lab.baseUrl}/counselor`);
    await expectShown(page.getByTestId("watchlist"), [...onList, CLASS_TEXT], "watch list");
    await expectShown(page.getByTestId("alert-banner"), [`${CLASS_TEXT} ${NAMES[WAITING]}`], "alert banner");
    const items = page.getByTestId("alert-item");
    await expectShown(items.filter({ has: page.locator(`[href$="${world.studentIds[FOCUS]}"]`) }), [focus, `由 ${COUNSELOR_NAME}`], "acknowledged alert");
    await expectShown(page.getByTestId("cases"), [focus, CLASS_TEXT], "my cases");
    await expectInert(w, "counselor home");
    await shot(page, "97-hostile-counselor-home");

    await page.goto(`${env.lab.baseUrl}/counselor/students/${world.studentIds[FOCUS]}`);
    const entry = page.getByTestId("student-entry");
    await expectShown(entry, [`${focus} · ${CLASS_TEXT}`, `理由 · Reason: ${world.overrideReasons.at(-1)}`], "student entry");
    await expectShown(page.getByRole("region", { name: "观察记录 · Observations", exact: true }), world.observationNotes.map((n) => `备注 · Note: ${n}`), "observations");
    const record = page.getByTestId("growth-record");
    await expectShown(record, [...world.overrideReasons, ...world.observationNotes, CASE_REASON, ...world.interviewNotes, HOSPITAL, KEPT["SQL fragment"]!, COUNSELOR_NAME], "growth record");
    await expectInert(w, "student page");
    await shot(page, "98-hostile-student-page");

    // The heading of a student whose name holds a U+202E: " · " and the class stay after the name.
    await page.goto(`${env.lab.baseUrl}/counselor/students/${world.studentIds[NOTICED]}`);
    const heading = page.locator("h2#student");
    await expectShown(heading, [`${NAMES[NOTICED]} · ${CLASS_TEXT}`], "student heading");
    await expectReadingOrder(heading, 2, "student page heading");

    await page.goto(`${env.lab.baseUrl}/counselor/cases/${world.caseId}`);
    await expectShown(page.getByTestId("case"), [`${focus} · ${CLASS_TEXT}`, CASE_REASON, COUNSELOR_NAME], "case");
    await expectShown(page.getByTestId("timeline"), [...world.interviewNotes, KEPT["SQL fragment"]!, HOSPITAL, KEPT["RTL override"]!, COUNSELOR_NAME], "case timeline");
    await expectInert(w, "case page");
    await shot(page, "99-hostile-case");
    await w.context.close();
  });

  it("shows the homeroom teacher and the peer monitor the class's names as text: grid, notices, classmates", async () => {
    const w = await watchedContext(env.browser, world.accounts.homeroom);
    const { page } = w;
    await page.goto(`${env.lab.baseUrl}/observe`);
    await expectShown(page.locator("table.xq-grid"), NAMES, "class grid");
    const notice = page.getByTestId("notice");
    await expectShown(notice, [NAMES[NOTICED]!, CLASS_TEXT], "check-in notice");
    // The name (with a U+202E) leaves " · " and the class in their places: name, class, then the message.
    await expectReadingOrder(notice.locator("div").first(), 2, "check-in notice's name · class");
    await expectInert(w, "class grid");
    await shot(page, "9a-hostile-class-grid");
    await w.context.close();

    const p = await watchedContext(env.browser, world.accounts.peer);
    await p.page.goto(`${env.lab.baseUrl}/observe`);
    const classmates = p.page.getByLabel("同学 · Classmate");
    await expectShown(classmates, NAMES.filter((_, i) => i !== PEER_SELF), "classmates");
    expect(await classmates.locator("option").allTextContents()).not.toContain(NAMES[PEER_SELF]);
    await expectInert(p, "peer report");
    await p.context.close();
  });

  it("shows the analyst the school names as text in tables and chart tooltips", async () => {
    const w = await watchedContext(env.browser, world.accounts.analyst);
    const { page } = w;
    await page.goto(`${env.lab.baseUrl}/analyst`);
    const coverage = page.locator('[data-panel="coverage"]');
    await expectShown(coverage.locator("table.xq-figures"), [SCHOOL_NAME, ...world.schoolNames], "coverage table");
    await expectShown(page.locator('[data-panel="tiers"] table.xq-figures'), [SCHOOL_NAME, ...world.schoolNames], "tiers table");
    // The tooltips are HTML in ECharts: move across the coverage chart, one school after another.
    const chart = coverage.locator(".xq-chart");
    await chart.scrollIntoViewIfNeeded();
    const box = (await chart.boundingBox())!;
    const tips = new Set<string>();
    for (let x = box.x + 60; x < box.x + box.width - 20; x += 16) {
      await page.mouse.move(x, box.y + box.height / 2);
      tips.add((await chart.textContent()) ?? "");
    }
    const shown = [...tips].join("\n");
    for (const name of [SCHOOL_NAME, ...world.schoolNames]) expect(shown.includes(name), `tooltip of ${JSON.stringify(name)}`).toBe(true);
    await expectInert(w, "analyst");
    await shot(page, "9b-hostile-analyst-tooltip");
    await w.context.close();
  });
});
