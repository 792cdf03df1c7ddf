import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getInstrument } from "../../../instruments/index";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { checklist, peerReport, psc17All } from "../watchlist/fixtures";

interface World {
  schoolId: string;
  class8: string;
  class8b: string;
  class3: string;
  student8: string;
  student8b: string;
  student8other: string;
  student3: string;
  otherSchoolStudent: string;
  homeroom: Record<string, string>;
  peer: Record<string, string>;
  counselor: Record<string, string>;
  admin: Record<string, string>;
  homeroom3: Record<string, string>;
}

async function aWorld(t: TestServer): Promise<World> {
  const schoolId = await t.seed.school();
  const class8 = await t.seed.klass(schoolId, 8, "1");
  const class8b = await t.seed.klass(schoolId, 8, "2");
  const class3 = await t.seed.klass(schoolId, 3, "1");
  const student8 = await t.seed.student(class8, { name: "张小明" });
  const student8b = await t.seed.student(class8, { name: "李小红" });
  const student8other = await t.seed.student(class8b);
  const student3 = await t.seed.student(class3);
  const other = await t.seed.school();
  const otherSchoolStudent = await t.seed.student(await t.seed.klass(other, 8, "1"));
  const sign = async (id: string) => (await t.signIn(id)).headers;
  return {
    schoolId,
    class8,
    class8b,
    class3,
    student8,
    student8b,
    student8other,
    student3,
    otherSchoolStudent,
    homeroom: await sign(await t.seed.account("homeroom", { schoolId, classes: [{ classId: class8, relation: "homeroom" }] })),
    peer: await sign(await t.seed.account("peer", { schoolId, classes: [{ classId: class8, relation: "peer" }] })),
    counselor: await sign(await t.seed.account("counselor", { schoolId })),
    admin: await sign(await t.seed.account("admin")),
    homeroom3: await sign(await t.seed.account("homeroom", { schoolId, classes: [{ classId: class3, relation: "homeroom" }] })),
  };
}

const srssAll = (value: number) => Object.fromEntries(getInstrument("srss-ie")!.items.filter((it) => it.type === "single").map((it) => [it.id, value]));

describeEachDatabase("filing observations", (getDb) => {
  let t: TestServer;
  let w: World;
  beforeAll(async () => {
    t = await startTestServer(getDb());
    w = await aWorld(t);
  });
  afterAll(() => t.app.close());

  const file = (headers: Record<string, string>, payload: object) => t.app.inject({ method: "POST", url: "/api/observations", headers, payload });
  const count = async (studentId: string) => (await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM observations WHERE student_id = $1", [studentId])).rows[0]!.n;

  it("lets a homeroom teacher file the checklist for a student of their class, and answers only {ok: true}", async () => {
    const res = await file(w.homeroom, { studentId: w.student8, instrument: "teacher-checklist", answers: checklist(["conflict"], ["economic-hardship"]) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    const { rows } = await t.db.query<{ role: string; evidence: unknown; score: unknown }>("SELECT role, evidence, score FROM observations WHERE student_id = $1", [w.student8]);
    expect(rows).toEqual([{ role: "homeroom", evidence: { critical: [], concerns: ["signs"], keyPopulation: ["economic-hardship"] }, score: null }]);
  });

  it("gives a teacher no score back for the screener, though one is stored", async () => {
    const res = await file(w.homeroom, { studentId: w.student8b, instrument: "srss-ie", answers: srssAll(3) });
    expect(res.json()).toEqual({ ok: true });
    const { rows } = await t.db.query<{ score: { kind: string } }>("SELECT score FROM observations WHERE student_id = $1 AND instrument = 'srss-ie'", [w.student8b]);
    expect(rows[0]!.score.kind).toBe("scored");
  });

  it.each([
    ["another class's student", "student8other"],
    ["another school's student", "otherSchoolStudent"],
    ["a student who does not exist", "nobody"],
  ] as const)("answers 404 to a homeroom teacher filing for %s", async (_what, key) => {
    const studentId = key === "nobody" ? "no-such-student" : w[key];
    const res = await file(w.homeroom, { studentId, instrument: "teacher-checklist", answers: checklist() });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("not_found");
  });

  it("lets a peer monitor report a classmate and tells them nothing else", async () => {
    const res = await file(w.peer, { studentId: w.student8b, instrument: "peer-concern", answers: peerReport(["low-mood"]) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it("raises an acute alert at once for a report of self-harm talk, and still tells the peer monitor only {ok: true}", async () => {
    const res = await file(w.peer, { studentId: w.student8b, instrument: "peer-concern", answers: peerReport(["self-harm-talk"], "today") });
    expect(res.json()).toEqual({ ok: true });
    const { rows } = await t.db.query<{ source: string; kind: string; items: unknown }>("SELECT source, kind, items FROM alerts WHERE student_id = $1", [w.student8b]);
    expect(rows).toEqual([{ source: "observation", kind: "acute", items: [{ instrument: "peer-concern", item: "concerns" }] }]);
  });

  it("answers 404 to a peer monitor reporting a student of another class, and stores nothing", async () => {
    const before = await count(w.student8other);
    const res = await file(w.peer, { studentId: w.student8other, instrument: "peer-concern", answers: peerReport(["low-mood"]) });
    expect(res.statusCode).toBe(404);
    expect(await count(w.student8other)).toBe(before);
  });

  it.each([
    ["a peer monitor filing the teacher checklist", "peer", "student8", "teacher-checklist"],
    ["a teacher filing the peer report", "homeroom", "student8", "peer-concern"],
    ["a secondary teacher filing the primary screener", "homeroom", "student8", "psc17-teacher"],
    ["a primary teacher filing the secondary screener", "homeroom3", "student3", "srss-ie"],
  ] as const)("refuses a form that does not fit the role or grade: %s", async (_what, who, student, instrument) => {
    const answers = instrument === "psc17-teacher" ? psc17All(0) : instrument === "srss-ie" ? srssAll(0) : instrument === "peer-concern" ? peerReport(["low-mood"]) : checklist();
    const res = await file(w[who], { studentId: w[student], instrument, answers });
    expect(res.statusCode).toBe(403);
  });

  it("lets a counselor file for any student of the school, and refuses the district admin", async () => {
    expect((await file(w.counselor, { studentId: w.student8other, instrument: "teacher-checklist", answers: checklist(["frequent-absence"]) })).statusCode).toBe(200);
    expect((await file(w.admin, { studentId: w.student8other, instrument: "teacher-checklist", answers: checklist() })).statusCode).toBe(403);
  });

  it("names every bad answer by its path, and stores nothing", async () => {
    const before = await count(w.student3);
    const res = await file(w.homeroom3, { studentId: w.student3, instrument: "psc17-teacher", answers: { ...psc17All(1), sad: 5, fights: "often", zz: 1 } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe("invalid_answers");
    expect(body.error.details.map((d: { path: string; code: string }) => [d.path, d.code]).sort()).toEqual([
      ["answers.fights", "out_of_range"],
      ["answers.sad", "out_of_range"],
      ["answers.zz", "unknown_item"],
    ]);
    expect(await count(w.student3)).toBe(before);
  });

  it("names a required answer left blank", async () => {
    const res = await file(w.peer, { studentId: w.student8, instrument: "peer-concern", answers: { concerns: ["withdrawn"] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([expect.objectContaining({ path: "answers.urgency", code: "missing" })]);
  });

  it.each([
    ["an unknown field", { extra: 1 }],
    ["an unknown form", { instrument: "phq9" }],
    ["a note over the limit", { note: "字".repeat(4001) }],
    ["a studentId with SQL in it", { studentId: "x'; DROP TABLE students; --" }],
    ["answers that are not an object", { answers: [1, 2] }],
  ])("refuses %s with 400 and the place", async (_what, over) => {
    const res = await file(w.homeroom, { studentId: w.student8, instrument: "teacher-checklist", answers: checklist(), ...over });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.length).toBeGreaterThan(0);
    expect(res.json().error.details[0].path).toMatch(/^body/);
  });

  it("refuses a 1 MB body without a 500", async () => {
    const res = await file(w.homeroom, { studentId: w.student8, instrument: "teacher-checklist", answers: checklist(), note: "x".repeat(1024 * 1024) });
    expect([400, 413]).toContain(res.statusCode);
  });

  it("stores a hostile note verbatim, encrypted, and never sends it back to the teacher", async () => {
    const note = "<script>alert('x')</script>'); DROP TABLE observations; --\u0000 😀 𠀀𪚥 \u202e";
    const res = await file(w.homeroom, { studentId: w.student8, instrument: "teacher-checklist", answers: { ...checklist(["conflict"]), note: "文本项 <b>bold</b>" }, note });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain("script");
    // Scan the whole table as text: neither the note nor the text item is stored in the clear.
    const { rows } = await t.db.query<{ row: string }>("SELECT o::text AS row FROM observations o");
    for (const { row } of rows) {
      expect(row).not.toContain("script");
      expect(row).not.toContain("DROP TABLE");
      expect(row).not.toContain("<b>bold</b>");
    }
    const detail = await t.app.inject({ method: "GET", url: `/api/students/${w.student8}/watchlist-entry`, headers: w.counselor });
    expect(detail.statusCode).toBe(200);
    const notes = detail.json().observations.map((o: { note: string | null }) => o.note);
    expect(notes).toContain(note);
    expect(detail.json().observations.find((o: { note: string | null }) => o.note === note).texts).toEqual({ note: "文本项 <b>bold</b>" });
    expect(detail.headers["content-type"]).toContain("application/json");
  });

  it("refuses a filing without the CSRF header", async () => {
    const { "x-csrf-token": _csrf, ...cookieOnly } = w.homeroom;
    const res = await file(cookieOnly, { studentId: w.student8, instrument: "teacher-checklist", answers: checklist() });
    expect(res.statusCode).toBe(403);
  });

  describe("a whole class in one grid", () => {
    const batch = (headers: Record<string, string>, payload: object) => t.app.inject({ method: "POST", url: "/api/observations/batch", headers, payload });

    it("files every row", async () => {
      const before = (await count(w.student8)) + (await count(w.student8b));
      const res = await batch(w.homeroom, { instrument: "srss-ie", items: [{ studentId: w.student8, answers: srssAll(0) }, { studentId: w.student8b, answers: srssAll(1) }] });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ ok: true });
      expect((await count(w.student8)) + (await count(w.student8b))).toBe(before + 2);
    });

    it("files nothing when one row is bad, and names the row", async () => {
      const before = (await count(w.student8)) + (await count(w.student8b));
      const res = await batch(w.homeroom, { instrument: "srss-ie", items: [{ studentId: w.student8, answers: srssAll(0) }, { studentId: w.student8b, answers: { ...srssAll(1), steal: 9 } }] });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain("items.1.answers.steal");
      expect((await count(w.student8)) + (await count(w.student8b))).toBe(before);
    });

    it("files nothing when one row is a student of another class (404)", async () => {
      const before = await count(w.student8);
      const res = await batch(w.homeroom, { instrument: "teacher-checklist", items: [{ studentId: w.student8, answers: checklist() }, { studentId: w.student8other, answers: checklist() }] });
      expect(res.statusCode).toBe(404);
      expect(await count(w.student8)).toBe(before);
    });

    it("refuses the same student twice", async () => {
      const res = await batch(w.homeroom, { instrument: "teacher-checklist", items: [{ studentId: w.student8, answers: checklist() }, { studentId: w.student8, answers: checklist() }] });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe("items.1.studentId");
    });
  });
});
