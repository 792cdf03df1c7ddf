/**
 * The reads of the observer's page (GET /api/observe/...): a teacher's or peer monitor's classes, a class
 * list, and a form as plain data. On both databases, through the real app.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { getInstrument } from "../../../instruments/index";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aResult, aWave, checklist, peerReport, phq9Total } from "../watchlist/fixtures";

/** Names a roster may hold that must come back exactly as written (never escaped, trimmed or "fixed"). */
const HOSTILE_NAMES = [
  "<script>alert('x')</script>",
  '=HYPERLINK("http://evil.example","点我")',
  "Robert'); DROP TABLE students; --",
  "\u202egnp.exe 王",
  "𠀀𪚥😀 欧阳\u200b娜娜",
  "  前后有空格  ",
];

interface World {
  schoolId: string;
  class8: string;
  class8b: string;
  class3: string;
  otherSchoolClass: string;
  /** class8's students by name, in the order seeded (student numbers ascending). */
  class8Students: { id: string; name: string; studentNo: string }[];
  peerSelf: string;
  class8bStudent: string;
  headers: Record<"homeroom" | "subject" | "peer" | "peerNoStudent" | "counselor" | "admin" | "analyst" | "otherHomeroom", Record<string, string>>;
}

async function aWorld(t: TestServer): Promise<World> {
  const schoolId = await t.seed.school();
  const class8 = await t.seed.klass(schoolId, 8, "1");
  const class8b = await t.seed.klass(schoolId, 8, "2");
  const class3 = await t.seed.klass(schoolId, 3, "1");
  const class8Students: World["class8Students"] = [];
  const names = ["张小明", "李小红", ...HOSTILE_NAMES];
  for (const [i, name] of names.entries()) {
    // Numbers seeded out of order on purpose: the list comes back by number.
    const studentNo = `2026${String(90 - i * 7).padStart(4, "0")}`;
    class8Students.push({ id: await t.seed.student(class8, { name, studentNo }), name, studentNo });
  }
  class8Students.sort((a, b) => a.studentNo.localeCompare(b.studentNo));
  const peerSelf = await t.seed.student(class8, { name: "心理委员本人", studentNo: "20269999" });
  const class8bStudent = await t.seed.student(class8b, { name: "隔壁班同学" });
  await t.seed.student(class3, { name: "三年级学生" });
  const other = await t.seed.school();
  const otherSchoolClass = await t.seed.klass(other, 8, "1");
  await t.seed.student(otherSchoolClass, { name: "外校学生" });

  const peer = await t.seed.account("peer", { schoolId, classes: [{ classId: class8, relation: "peer" }] });
  await t.db.query("UPDATE accounts SET student_id = $2 WHERE id = $1", [peer, peerSelf]);
  const sign = async (id: string) => (await t.signIn(id)).headers;
  return {
    schoolId,
    class8,
    class8b,
    class3,
    otherSchoolClass,
    class8Students,
    peerSelf,
    class8bStudent,
    headers: {
      homeroom: await sign(await t.seed.account("homeroom", { schoolId, classes: [{ classId: class8, relation: "homeroom" }, { classId: class8b, relation: "subject" }] })),
      subject: await sign(await t.seed.account("subject", { schoolId, classes: [{ classId: class3, relation: "subject" }, { classId: class8b, relation: "subject" }] })),
      peer: await sign(peer),
      peerNoStudent: await sign(await t.seed.account("peer", { schoolId, classes: [{ classId: class8, relation: "peer" }] })),
      counselor: await sign(await t.seed.account("counselor", { schoolId })),
      admin: await sign(await t.seed.account("admin")),
      analyst: await sign(await t.seed.account("analyst")),
      otherHomeroom: await sign(await t.seed.account("homeroom", { schoolId: other, classes: [{ classId: otherSchoolClass, relation: "homeroom" }] })),
    },
  };
}

/** Every key of a JSON value, at any depth. */
function keysOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keysOf);
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => [k, ...keysOf(v)]);
  return [];
}

/** Words of scoring and tiers that no observer's reply may contain, as keys or as text. */
const SCORING_WORDS = /\b(score|scores|total|band|bands|tier|tiers|subscales?|reverse|scored|cut-?off|at-risk|concern|reasons?|policy)\b|预警|红色|橙色|黄色|临界分/i;

describeEachDatabase("the observer's page reads", (getDb) => {
  let t: TestServer;
  let w: World;
  beforeAll(async () => {
    t = await startTestServer(getDb());
    w = await aWorld(t);
    // Things an observer must never learn: a screening result with a tier, and earlier reports.
    const wave = await aWave(t, w.schoolId);
    await aResult(t, wave, w.class8Students[0]!.id, { phq9: phq9Total(22) });
    const filed = await t.app.inject({ method: "POST", url: "/api/observations", headers: w.headers.homeroom, payload: { studentId: w.class8Students[1]!.id, instrument: "teacher-checklist", answers: checklist(["self-harm"]), note: "旧的观察记录" } });
    expect(filed.statusCode).toBe(200);
  });
  afterAll(() => t.app.close());

  const get = (who: keyof World["headers"], url: string) => t.app.inject({ method: "GET", url, headers: w.headers[who] });

  it("lists a homeroom teacher's classes with the relation, grade and label", async () => {
    const res = await get("homeroom", "/api/observe/classes");
    expect(res.statusCode).toBe(200);
    // The class they only teach a subject in is not theirs to observe as a homeroom teacher (can's table).
    expect(res.json()).toEqual({ classes: [{ id: w.class8, relation: "homeroom", grade: 8, label: "1" }] });
  });

  it("lists a subject teacher's classes in the school's order, and a peer monitor's one class", async () => {
    expect((await get("subject", "/api/observe/classes")).json()).toEqual({
      classes: [
        { id: w.class3, relation: "subject", grade: 3, label: "1" },
        { id: w.class8b, relation: "subject", grade: 8, label: "2" },
      ],
    });
    expect((await get("peer", "/api/observe/classes")).json()).toEqual({ classes: [{ id: w.class8, relation: "peer", grade: 8, label: "1" }] });
  });

  it("gives a counselor, who is tied to no class, an empty list; refuses district roles and anonymous callers", async () => {
    expect((await get("counselor", "/api/observe/classes")).json()).toEqual({ classes: [] });
    expect((await get("admin", "/api/observe/classes")).statusCode).toBe(403);
    expect((await get("analyst", "/api/observe/classes")).statusCode).toBe(403);
    expect((await t.app.inject({ method: "GET", url: "/api/observe/classes" })).statusCode).toBe(401);
  });

  it("gives a homeroom teacher the class list by student number, hostile names verbatim", async () => {
    const res = await get("homeroom", `/api/observe/classes/${w.class8}/students`);
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toContain("application/json");
    const body = res.json();
    expect(body.class).toEqual({ id: w.class8, grade: 8, label: "1" });
    const expected = [...w.class8Students, { id: w.peerSelf, name: "心理委员本人", studentNo: "20269999" }];
    expect(body.students).toEqual(expected);
    for (const name of HOSTILE_NAMES) expect(body.students.map((s: { name: string }) => s.name)).toContain(name);
  });

  it("gives a peer monitor classmates' names only: not themselves, no student number, no one outside the class", async () => {
    const res = await get("peer", `/api/observe/classes/${w.class8}/students`);
    expect(res.statusCode).toBe(200);
    const students: Record<string, unknown>[] = res.json().students;
    expect(students.map((s) => Object.keys(s).sort())).toEqual(students.map(() => ["id", "name"]));
    expect(new Set(students.map((s) => s.id))).toEqual(new Set(w.class8Students.map((s) => s.id)));
    expect(students.map((s) => s.name)).not.toContain("心理委员本人");
    expect(res.body).not.toContain("隔壁班同学");
    expect(res.body).not.toContain("外校学生");
    expect(res.body).not.toMatch(/2026\d{4}/);
  });

  it("lists every classmate for a peer monitor account not tied to a student", async () => {
    const students: { id: string }[] = (await get("peerNoStudent", `/api/observe/classes/${w.class8}/students`)).json().students;
    expect(students.map((s) => s.id)).toContain(w.peerSelf);
  });

  it.each([
    ["a homeroom teacher", "a class they teach only a subject in", "homeroom", "class8b"],
    ["a homeroom teacher", "another class of the school", "homeroom", "class3"],
    ["a peer monitor", "another class of the school", "peer", "class8b"],
    ["a peer monitor", "another school's class", "peer", "otherSchoolClass"],
    ["a subject teacher", "another class of the school", "subject", "class8"],
    ["another school's homeroom teacher", "a class of another school", "otherHomeroom", "class8"],
    ["a homeroom teacher", "a class that does not exist", "homeroom", "nowhere"],
  ] as const)("answers 404 to %s asking for %s", async (_who, _what, who, klass) => {
    const id = klass === "nowhere" ? "no-such-class" : w[klass];
    const res = await get(who, `/api/observe/classes/${id}/students`);
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("not_found");
    expect(res.body).not.toContain("学生");
  });

  it("refuses a class list to district roles (403) and a malformed id (400)", async () => {
    expect((await get("admin", `/api/observe/classes/${w.class8}/students`)).statusCode).toBe(403);
    expect((await get("homeroom", `/api/observe/classes/${encodeURIComponent("x'; DROP TABLE classes; --")}/students`)).statusCode).toBe(400);
  });

  it("writes one audit row per class list read, with no name in it", async () => {
    const { rows: before } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action = 'observe.class-list'");
    await get("homeroom", `/api/observe/classes/${w.class8}/students`);
    const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action = 'observe.class-list'");
    expect(rows[0]!.n).toBe(before[0]!.n + 1);
    const { rows: last } = await t.db.query<{ subject: string; school_id: string; context: unknown; row: string }>(
      "SELECT subject, school_id, context, a::text AS row FROM audit_log a WHERE action = 'observe.class-list' ORDER BY id DESC LIMIT 1",
    );
    expect(last[0]).toMatchObject({ subject: w.class8, school_id: w.schoolId, context: { students: w.class8Students.length + 1 } });
    expect(last[0]!.row).not.toContain("张小明");
  });

  it("gives a secondary homeroom teacher the checklist as plain data, and SRSS-IE as the grade's screener", async () => {
    const res = await get("homeroom", "/api/observe/forms/teacher-checklist?grade=8");
    expect(res.statusCode).toBe(200);
    const { form, screener } = res.json();
    expect(screener).toBe("srss-ie");
    expect(form.id).toBe("teacher-checklist");
    expect(form.items.map((i: { id: string }) => i.id)).toEqual(getInstrument("teacher-checklist")!.items.map((i) => i.id));
    const signs = form.items.find((i: { id: string }) => i.id === "signs");
    expect(signs).toMatchObject({ type: "multi", critical: true, optional: true, text: { "zh-CN": "近期观察到的预警信号（可多选）", en: "Warning signs observed recently (choose all that apply)" } });
    expect(signs.options.filter((o: { critical: boolean }) => o.critical).map((o: { value: string }) => o.value)).toEqual(["self-harm"]);
    expect(form.items.find((i: { id: string }) => i.id === "note")).toMatchObject({ type: "text", options: [], critical: false });
  });

  it("gives the screener of a primary class with its options and values, and its credit line", async () => {
    const res = await get("subject", "/api/observe/forms/psc17-teacher?grade=3");
    expect(res.statusCode).toBe(200);
    const { form, screener } = res.json();
    expect(screener).toBe("psc17-teacher");
    expect(form.items).toHaveLength(17);
    expect(form.items[0]).toMatchObject({
      id: "fidgety",
      type: "single",
      optional: false,
      critical: false,
      options: [
        { value: 0, label: { "zh-CN": "从不", en: "Never" }, critical: false },
        { value: 1, label: { "zh-CN": "有时", en: "Sometimes" }, critical: false },
        { value: 2, label: { "zh-CN": "经常", en: "Often" }, critical: false },
      ],
    });
    expect(form.attribution).toContain("Pediatric Symptom Checklist");
  });

  it.each(["teacher-checklist?grade=8", "psc17-teacher?grade=3", "srss-ie?grade=8", "srss-ie", "peer-concern"])("sends no scoring information with the form %s", async (path) => {
    const res = await get(path === "peer-concern" ? "peer" : "homeroom", `/api/observe/forms/${path}`);
    expect(res.statusCode).toBe(200);
    const keys = new Set(keysOf(res.json()));
    for (const k of ["scoring", "bands", "subscales", "scored", "reverse", "concern", "attention", "missing", "reliability", "tier", "score"]) expect(keys.has(k)).toBe(false);
    expect(res.body).not.toMatch(/低风险|高风险|临界分|cut-off|Low risk|High risk/);
  });

  it("gives a peer monitor the peer report only, with no screener", async () => {
    const res = await get("peer", "/api/observe/forms/peer-concern?grade=8");
    expect(res.statusCode).toBe(200);
    expect(res.json().screener).toBeNull();
    expect(res.json().form.items.find((i: { id: string }) => i.id === "concerns").options.find((o: { critical: boolean }) => o.critical).value).toBe("self-harm-talk");
    for (const other of ["teacher-checklist", "srss-ie?grade=8", "psc17-teacher"]) expect((await get("peer", `/api/observe/forms/${other}`)).statusCode).toBe(403);
  });

  it.each([
    ["the peer report to a teacher", "homeroom", "peer-concern", 403],
    ["the secondary screener for a primary grade", "subject", "srss-ie?grade=3", 403],
    ["the primary screener for a secondary grade", "homeroom", "psc17-teacher?grade=8", 403],
    ["a self-report questionnaire", "homeroom", "phq9", 404],
    ["a form that does not exist", "homeroom", "no-such-form", 404],
    ["a grade out of range", "homeroom", "teacher-checklist?grade=13", 400],
    ["an unknown query field", "homeroom", "teacher-checklist?tier=red", 400],
    ["any form to an analyst", "analyst", "teacher-checklist", 403],
  ] as const)("refuses %s", async (_what, who, path, status) => {
    expect((await get(who, `/api/observe/forms/${path}`)).statusCode).toBe(status);
  });

  it("never returns a score, tier or earlier report from any of the reads", async () => {
    const urls: [keyof World["headers"], string][] = [
      ["homeroom", "/api/observe/classes"],
      ["homeroom", `/api/observe/classes/${w.class8}/students`],
      ["homeroom", "/api/observe/forms/teacher-checklist?grade=8"],
      ["homeroom", "/api/observe/forms/srss-ie?grade=8"],
      ["peer", "/api/observe/classes"],
      ["peer", `/api/observe/classes/${w.class8}/students`],
      ["peer", "/api/observe/forms/peer-concern"],
    ];
    for (const [who, url] of urls) {
      const res = await get(who, url);
      expect(res.statusCode).toBe(200);
      // Keys only: item texts may say anything ("预警信号" is the checklist's own wording).
      expect(keysOf(res.json()).filter((k) => SCORING_WORDS.test(k))).toEqual([]);
      expect(res.body).not.toContain("旧的观察记录");
      expect(res.body).not.toMatch(/"(red|orange|yellow)"/);
    }
  });

  it("answers 404 to a peer monitor filing about themselves, and stores nothing", async () => {
    const res = await t.app.inject({ method: "POST", url: "/api/observations", headers: w.headers.peer, payload: { studentId: w.peerSelf, instrument: "peer-concern", answers: peerReport(["low-mood"]) } });
    expect(res.statusCode).toBe(404);
    const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM observations WHERE student_id = $1", [w.peerSelf]);
    expect(rows[0]!.n).toBe(0);
    const ok = await t.app.inject({ method: "POST", url: "/api/observations", headers: w.headers.peer, payload: { studentId: w.class8Students[2]!.id, instrument: "peer-concern", answers: peerReport(["withdrawn"]) } });
    expect(ok.json()).toEqual({ ok: true });
  });
});
