/**
 * Hostile input, server side (issue 8): script tags, event-handler attributes, `javascript:` URLs, SQL
 * fragments, RTL overrides, emoji and rare CJK (GB18030 four-byte) characters in every free-text field
 * that staff type (roster names through the import, observation notes, case notes, school names, account
 * display names) are stored and returned byte for byte, as JSON data. A 1 MB string gets a clear 4xx; a
 * NUL byte is kept verbatim or refused with a clear 4xx; nothing answers 500. (Whether a browser ever runs
 * any of it is the Chromium suite's part.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LightMyRequestResponse } from "fastify";
import { NOTE_MAX } from "../../src/shared/cases";
import { MAX_OBSERVATION_TEXT } from "../../src/shared/observations";
import { describeEachDatabase } from "../helpers/databases";
import { startTestServer, type TestServer } from "../helpers/server";
import { CALM_CHECKLIST, buildWorld, type World } from "./world";
import { KEPT, MAYBE_REFUSED } from "./corpus";

const ONE_MB = "1 MB string";

const same = (a: unknown, b: string): boolean => typeof a === "string" && Buffer.from(a, "utf8").equals(Buffer.from(b, "utf8"));

/** A refusal must be a 4xx in the error shape, never a 5xx. */
function expectClearRefusal(res: LightMyRequestResponse, what: string): void {
  expect(res.statusCode, `${what}: ${res.body.slice(0, 300)}`).toBeGreaterThanOrEqual(400);
  expect(res.statusCode, what).toBeLessThan(500);
  expect(res.json(), what).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
}

/** Writes `value` through `write`; checks it comes back exactly through `read`, or was refused clearly. */
async function roundTrip(what: string, value: string, mayRefuse: boolean, write: (value: string) => Promise<LightMyRequestResponse>, read: (written: LightMyRequestResponse) => Promise<unknown>): Promise<"kept" | "refused"> {
  const res = await write(value);
  if (res.statusCode < 300) {
    const back = await read(res);
    expect(same(back, value), `${what} came back as ${JSON.stringify(back)?.slice(0, 200)}`).toBe(true);
    return "kept";
  }
  if (!mayRefuse) throw new Error(`${what} was refused: ${res.statusCode} ${res.body.slice(0, 300)}`);
  expectClearRefusal(res, what);
  return "refused";
}

/** A CSV cell, always quoted (a name may hold quotes, commas or nothing special). */
const cell = (s: string) => `"${s.replaceAll('"', '""')}"`;

describeEachDatabase("hostile input", (getDb) => {
  let t: TestServer;
  let w: World;
  let admin: Record<string, string>;
  let counselor: Record<string, string>;
  let homeroom: Record<string, string>;
  let n = 0;
  const json = (res: LightMyRequestResponse) => {
    expect(res.headers["content-type"]).toMatch(/^application\/json/);
    return res.json();
  };
  const inject = (method: "GET" | "POST" | "PATCH" | "PUT", url: string, headers: Record<string, string>, payload?: object) => t.app.inject({ method, url, headers, ...(payload && { payload }) });

  beforeAll(async () => {
    t = await startTestServer(getDb());
    w = await buildWorld(t);
    admin = (await t.signIn(w.accounts.admin)).headers;
    counselor = (await t.signIn(w.accounts.counselor)).headers;
    homeroom = (await t.signIn(w.accounts.homeroom)).headers;
  });
  afterAll(() => t.app.close());

  describe("roster names, through the import", () => {
    let school: string;
    let lead: Record<string, string>;
    const header = "学号,姓名,性别,年级,班级";
    const importCsv = (csv: string) => t.app.inject({ method: "POST", url: `/api/schools/${school}/roster`, headers: { ...lead, "content-type": "text/csv" }, payload: Buffer.from(csv, "utf8") });
    const students = async () => (await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM students WHERE school_id = $1", [school])).rows[0]!.n;

    beforeAll(async () => {
      school = await t.seed.school({ code: "ROSTER", name: "名单学校" });
      lead = (await t.signIn(await t.seed.account("school-lead", { schoolId: school }))).headers;
    });

    it("keeps every hostile name exactly, and shows it to the class's teacher as data", async () => {
      const names = Object.values(KEPT);
      const rows = names.map((name, i) => [`5500${i}`, cell(name), "女", "初二", "1班"].join(","));
      const res = await importCsv(`${header}\r\n${rows.join("\r\n")}\r\n`);
      expect(res.statusCode, res.body).toBe(200);
      const classes = json(await inject("GET", `/api/schools/${school}/classes`, lead)) as { classes: { id: string }[] };
      expect(classes.classes).toHaveLength(1);
      const classId = classes.classes[0]!.id;
      const teacher = (await t.signIn(await t.seed.account("homeroom", { schoolId: school, classes: [{ classId, relation: "homeroom" }] }))).headers;
      const list = json(await inject("GET", `/api/observe/classes/${classId}/students`, teacher)) as { students: { name: string; studentNo: string }[] };
      const byNumber = new Map(list.students.map((s) => [s.studentNo, s.name]));
      names.forEach((name, i) => expect(same(byNumber.get(`5500${i}`), name), `${JSON.stringify(name)} came back as ${JSON.stringify(byNumber.get(`5500${i}`))}`).toBe(true));
      // The SQL fragment stayed a name: the table is there, with every row.
      expect(await students()).toBe(names.length);
    });

    it("refuses a name one character over its limit, naming the line and column", async () => {
      const res = await importCsv(`${header}\r\n"56002",${cell("𠀀".repeat(65))},男,初二,1班\r\n`);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: "roster_invalid", details: [expect.objectContaining({ line: 2, column: "姓名", code: "too_long" })] } });
    });

    it.each(Object.keys(MAYBE_REFUSED))("refuses a name with a %s clearly, naming the line, and writes nothing", async (what) => {
      const before = await students();
      const res = await importCsv(`${header}\r\n"56001",${cell(MAYBE_REFUSED[what]!)},男,初二,1班\r\n`);
      expectClearRefusal(res, what);
      expect(res.json()).toMatchObject({ error: { code: "roster_invalid", details: [expect.objectContaining({ line: 2 })] } });
      expect(await students()).toBe(before);
    });
  });

  describe("observation notes", () => {
    it("refuses a note one character over its limit with a 400 naming the field", async () => {
      const res = await file("𪚥".repeat(MAX_OBSERVATION_TEXT + 1));
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: { details: [expect.objectContaining({ path: "body.note" })] } });
    });

    const file = (note: string) => inject("POST", "/api/observations", homeroom, { studentId: w.students.ownClass, instrument: "teacher-checklist", answers: CALM_CHECKLIST, note });
    const notes = async () => {
      const entry = json(await inject("GET", `/api/students/${w.students.ownClass}/watchlist-entry`, counselor)) as { observations: { note: string | null }[] };
      return entry.observations.map((o) => o.note);
    };

    it.each(Object.keys({ ...KEPT, ...MAYBE_REFUSED }))("keeps a note with a %s exactly, or refuses it clearly", async (what) => {
      const value = KEPT[what] ?? MAYBE_REFUSED[what]!;
      const outcome = await roundTrip(`note with a ${what}`, value, what in MAYBE_REFUSED, file, async () => {
        const all = await notes();
        return all.find((note) => same(note, value)) ?? all;
      });
      if (what === ONE_MB) expect(outcome).toBe("refused");
    });
  });

  describe("case notes", () => {
    let caseId: string;
    beforeAll(async () => {
      const res = await inject("POST", "/api/cases", counselor, { studentId: await t.seed.student(w.classes.ownClass), tier: "orange", reason: "约谈" });
      caseId = res.json<{ id: string }>().id;
      expect((await inject("POST", `/api/cases/${caseId}/steps`, counselor, { kind: "acknowledge" })).statusCode).toBe(200);
    });

    it("refuses a note one character over its limit with a 400 naming the field", async () => {
      const res = await inject("POST", `/api/cases/${caseId}/steps`, counselor, { kind: "interview", date: "2026-03-02", notes: "x".repeat(NOTE_MAX + 1) });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: { details: [expect.objectContaining({ path: expect.stringMatching(/^body/) })] } });
    });

    it.each(Object.keys({ ...KEPT, ...MAYBE_REFUSED }))("keeps a case reason and an interview note with a %s exactly, or refuses them clearly", async (what) => {
      const value = KEPT[what] ?? MAYBE_REFUSED[what]!;
      const mayRefuse = what in MAYBE_REFUSED;
      const opened = await roundTrip(
        `case reason with a ${what}`,
        value,
        mayRefuse,
        async (reason) => inject("POST", "/api/cases", counselor, { studentId: await t.seed.student(w.classes.ownClass), tier: "red", reason }),
        async (res) => (json(await inject("GET", `/api/cases/${res.json<{ id: string }>().id}`, counselor)) as { reason: string }).reason,
      );
      const noted = await roundTrip(
        `interview note with a ${what}`,
        value,
        mayRefuse,
        (notes) => inject("POST", `/api/cases/${caseId}/steps`, counselor, { kind: "interview", date: "2026-03-02", notes }),
        async () => {
          const detail = json(await inject("GET", `/api/cases/${caseId}`, counselor)) as { steps: { kind: string; text: Record<string, string> }[] };
          return detail.steps.filter((s) => s.kind === "interview").at(-1)?.text.notes;
        },
      );
      if (what === ONE_MB) expect([opened, noted]).toEqual(["refused", "refused"]);
    });
  });

  describe("school names", () => {
    it("refuses a name one character over its limit with a 400 naming the field", async () => {
      const res = await inject("POST", "/api/schools", admin, { code: `H${++n}`, name: "𠀀".repeat(101) });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: { details: [expect.objectContaining({ path: "body.name" })] } });
    });

    it.each(Object.keys({ ...KEPT, ...MAYBE_REFUSED }))("keeps a school name with a %s exactly, or refuses it clearly", async (what) => {
      const value = KEPT[what] ?? MAYBE_REFUSED[what]!;
      const outcome = await roundTrip(
        `school name with a ${what}`,
        value,
        what in MAYBE_REFUSED,
        (name) => inject("POST", "/api/schools", admin, { code: `H${++n}`, name }),
        async (res) => {
          const id = res.json<{ id: string }>().id;
          return (json(await inject("GET", "/api/schools", admin)) as { schools: { id: string; name: string }[] }).schools.find((s) => s.id === id)?.name;
        },
      );
      if (what === ONE_MB) expect(outcome).toBe("refused");
    });
  });

  describe("webhook URLs", () => {
    const put = (url: string) => inject("PUT", `/api/schools/${w.schools.own}/webhook`, admin, { url, enabled: false });
    const stored = async () => (json(await inject("GET", `/api/schools/${w.schools.own}/webhook`, admin)) as { webhook: { url: string } | null }).webhook?.url;

    it.each(Object.keys({ ...KEPT, ...MAYBE_REFUSED }))("keeps a URL path with a %s exactly, or refuses it clearly", async (what) => {
      const value = `https://hooks.example/${KEPT[what] ?? MAYBE_REFUSED[what]!}`;
      await roundTrip(`webhook URL with a ${what}`, value, what in MAYBE_REFUSED, put, stored);
    });

    it.each([
      ["a NUL byte", "https://hooks.example/a\u0000b"],
      ["a tab", "https://hooks.example/a\tb"],
      ["javascript:", "javascript:alert(1)"],
    ])("refuses a URL with %s with a 400 naming the field", async (_what, url) => {
      const res = await put(url);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: { details: [expect.objectContaining({ path: "body.url" })] } });
    });
  });

  describe("account display names", () => {
    it("refuses a name one character over its limit with a 400 naming the field", async () => {
      const res = await inject("PATCH", `/api/accounts/${w.victimAccounts.own}`, admin, { displayName: "名".repeat(65) });
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ error: { details: [expect.objectContaining({ path: "body.displayName" })] } });
    });

    it.each(Object.keys({ ...KEPT, ...MAYBE_REFUSED }))("keeps a display name with a %s exactly, when made and when changed, or refuses it clearly", async (what) => {
      const value = KEPT[what] ?? MAYBE_REFUSED[what]!;
      const mayRefuse = what in MAYBE_REFUSED;
      const listed = async (id: string) =>
        (json(await inject("GET", `/api/accounts?schoolId=${w.schools.own}&limit=1000`, admin)) as { accounts: { id: string; displayName: string | null }[] }).accounts.find((a) => a.id === id)?.displayName;
      const made = await roundTrip(
        `new display name with a ${what}`,
        value,
        mayRefuse,
        (displayName) => inject("POST", "/api/accounts", admin, { username: `hostile.${++n}`, role: "counselor", schoolId: w.schools.own, displayName }),
        (res) => listed(res.json<{ account: { id: string } }>().account.id),
      );
      const changed = await roundTrip(
        `changed display name with a ${what}`,
        value,
        mayRefuse,
        (displayName) => inject("PATCH", `/api/accounts/${w.victimAccounts.own}`, admin, { displayName }),
        () => listed(w.victimAccounts.own),
      );
      expect(made).toBe(changed);
      if (what === ONE_MB) expect(made).toBe("refused");
    });
  });
});
