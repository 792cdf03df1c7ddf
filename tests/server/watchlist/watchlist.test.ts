import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aResult, aWave, checklist, peerReport, phq9Total } from "./fixtures";

interface Entry {
  studentId: string;
  name: string;
  tier: string;
  computedTier: string;
  acute: boolean;
  informants: string[];
  disagree: boolean;
  deteriorated: string[];
  change: Record<string, { reliable: boolean; direction: string }>;
  movement: string;
  keyPopulation: string[];
  reasons: { rule: string; label: { "zh-CN": string } }[];
  override: { tier: string; reason: string; computedTier: string; stale: boolean } | null;
  daysSinceFlagged: number | null;
}

describeEachDatabase("the watch list", (getDb) => {
  let t: TestServer;
  let schoolId: string;
  let otherSchool: string;
  let class8: string;
  let class9: string;
  const s: Record<string, string> = {};
  let counselor: Record<string, string>;
  let otherCounselor: Record<string, string>;
  let homeroom: Record<string, string>;
  let peer: Record<string, string>;

  const list = async (query = "", headers = counselor) => t.app.inject({ method: "GET", url: `/api/schools/${schoolId}/watchlist${query}`, headers });
  const entries = async (query = ""): Promise<Entry[]> => {
    const res = await list(query);
    expect(res.statusCode).toBe(200);
    return res.json().entries as Entry[];
  };
  const ids = (es: Entry[]) => es.map((e) => e.studentId);

  beforeAll(async () => {
    t = await startTestServer(getDb(), { sessionIdleMinutes: 60 * 24 * 365 });
    schoolId = await t.seed.school();
    otherSchool = await t.seed.school();
    class8 = await t.seed.klass(schoolId, 8, "1");
    class9 = await t.seed.klass(schoolId, 9, "1");
    for (const name of ["acute", "red", "orange", "yellowSelf", "yellowObs", "none", "det", "seven", "override", "stale", "cased"]) s[name] = await t.seed.student(class8, { name: `学生-${name}` });
    s.key = await t.seed.student(class9, { name: "学生-key", keyPopulation: ["financialHardship"] });
    s.other = await t.seed.student(await t.seed.klass(otherSchool, 8, "1"), { name: "外校学生" });
    counselor = (await t.signIn(await t.seed.account("counselor", { schoolId }))).headers;
    otherCounselor = (await t.signIn(await t.seed.account("counselor", { schoolId: otherSchool }))).headers;
    homeroom = (await t.signIn(await t.seed.account("homeroom", { schoolId, classes: [{ classId: class8, relation: "homeroom" }] }))).headers;
    peer = (await t.signIn(await t.seed.account("peer", { schoolId, classes: [{ classId: class8, relation: "peer" }] }))).headers;

    // Autumn: the earlier wave, for the change since the last wave.
    const autumn = await aWave(t, schoolId, { season: "autumn", opensAt: "2025-09-01T00:00:00+08:00" });
    await aResult(t, autumn, s.det!, { phq9: phq9Total(4) }, "2025-09-02T09:00:00+08:00");
    // Spring: the current wave (opens 1 March; the clock starts 2 March).
    const spring = await aWave(t, schoolId);
    const otherSpring = await aWave(t, otherSchool);
    const totals: Record<string, number> = { acute: 3, red: 22, orange: 17, yellowSelf: 12, yellowObs: 2, none: 2, det: 16, seven: 8, override: 12, stale: 12, key: 6, cased: 2 };
    for (const [name, total] of Object.entries(totals)) await aResult(t, spring, s[name]!, { phq9: phq9Total(total) });
    await aResult(t, otherSpring, s.other!, { phq9: phq9Total(27) });

    // An observation before the wave opened does not count.
    t.clock.set("2026-02-20T10:00:00+08:00");
    const file = (headers: Record<string, string>, payload: object) => t.app.inject({ method: "POST", url: "/api/observations", headers, payload });
    expect((await file(peer, { studentId: s.none, instrument: "peer-concern", answers: peerReport(["low-mood"]) })).statusCode).toBe(200);
    t.clock.set("2026-03-05T10:00:00+08:00");
    expect((await file(peer, { studentId: s.acute, instrument: "peer-concern", answers: peerReport(["self-harm-talk"], "today") })).statusCode).toBe(200);
    expect((await file(homeroom, { studentId: s.yellowObs, instrument: "teacher-checklist", answers: checklist(["conflict"]) })).statusCode).toBe(200);
    // An open case (the cases feature's table) keeps a student listed whatever the tier.
    const lead = await t.seed.account("school-lead", { schoolId });
    await t.db.query(
      `INSERT INTO cases (id, school_id, student_id, tier, reason_enc, state, assigned_to, opened_by, opened_at, policy_version, updated_at)
       VALUES ('case-1', $1, $2, 'orange', 'x', 'opened', $3, $3, $4, 'default-v1', $4)`,
      [schoolId, s.cased, lead, new Date("2026-03-06T10:00:00+08:00")],
    );
    t.clock.set("2026-03-09T10:00:00+08:00");
  });
  afterAll(() => t.app.close());

  it("ranks as the scoring library does: tier, acute first, informants, then severity", async () => {
    const es = await entries();
    // Equal yellows (PHQ-9 12, one informant) keep the library's last tie-break, the student id (creation order here).
    expect(ids(es)).toEqual([s.acute, s.red, s.det, s.orange, s.yellowSelf, s.override, s.stale, s.yellowObs, s.key, s.cased]);
    expect(es.map((e) => e.tier)).toEqual(["red", "red", "orange", "orange", "yellow", "yellow", "yellow", "yellow", "yellow", "none"]);
    expect(es[0]!.acute).toBe(true);
  });

  it("puts a critical peer report in red at once, with the policy's Chinese label", async () => {
    const [first] = await entries();
    expect(first!.reasons.map((r) => r.rule)).toContain("critical-observation");
    expect(first!.reasons.find((r) => r.rule === "critical-observation")!.label["zh-CN"]).toBe("教师或心理委员报告自伤或谈及死亡");
    expect(first!.informants).toEqual(["peer"]);
  });

  it("shows the informants, the disagreement flag, and the days since flagged", async () => {
    const es = await entries();
    const obs = es.find((e) => e.studentId === s.yellowObs)!;
    expect(obs.informants).toEqual(["homeroom"]);
    expect(obs.disagree).toBe(true);
    expect(obs.daysSinceFlagged).toBe(4);
    expect(es.find((e) => e.studentId === s.red)!.daysSinceFlagged).toBe(7);
    expect(es.find((e) => e.studentId === s.yellowSelf)!.disagree).toBe(false);
  });

  it("shows a reliable deterioration since the previous wave", async () => {
    const det = (await entries()).find((e) => e.studentId === s.det)!;
    expect(det.deteriorated).toEqual(["phq9"]);
    expect(det.change.phq9).toMatchObject({ reliable: true, direction: "deteriorated" });
    expect(det.movement).toBe("up");
  });

  it("keeps a student with an open case listed, dated from the case", async () => {
    const res = await list();
    expect(res.json().casesIncluded).toBe(true);
    const cased = (res.json().entries as (Entry & { openCase: boolean })[]).find((e) => e.studentId === s.cased)!;
    expect(cased).toMatchObject({ tier: "none", openCase: true, daysSinceFlagged: 3 });
  });

  it("leaves out a student with nothing of concern, and an observation from before the wave", async () => {
    expect(ids(await entries())).not.toContain(s.none);
  });

  it("decrypts the names it shows", async () => {
    expect((await entries()).find((e) => e.studentId === s.key)!.name).toBe("学生-key");
  });

  it.each([
    ["?grade=9", ["key"]],
    ["?tier=red", ["acute", "red"]],
    ["?reason=observer-concern", ["acute", "yellowObs"]],
    ["?key=financialHardship", ["key"]],
    ["?grade=8&tier=red", ["acute", "red"]],
  ])("filters %s", async (query, expected) => {
    expect(ids(await entries(query))).toEqual(expected.map((k) => s[k]));
  });

  it("filters by class", async () => {
    expect(ids(await entries(`?classId=${class9}`))).toEqual([s.key]);
  });

  it.each(["?grade=13", "?tier=purple", "?reason=%3Cscript%3E", "?classId=x'%20OR%201=1", "?extra=1"])("refuses the bad filter %s with 400", async (query) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toMatch(/^querystring/);
  });

  it("writes one audit row per view, with how many students it showed", async () => {
    const es = await entries();
    const { rows } = await t.db.query<{ action: string; context: { students: number }; student_id: string | null }>("SELECT action, context, student_id FROM audit_log ORDER BY id DESC LIMIT 1");
    expect(rows[0]).toEqual({ action: "watchlist.read", context: expect.objectContaining({ students: es.length }), student_id: null });
  });

  it("writes one audit row per student detail read", async () => {
    const res = await t.app.inject({ method: "GET", url: `/api/students/${s.yellowObs}/watchlist-entry`, headers: counselor });
    expect(res.statusCode).toBe(200);
    expect(res.json().entry.tier).toBe("yellow");
    expect(res.json().observations).toHaveLength(1);
    const { rows } = await t.db.query<{ action: string; student_id: string }>("SELECT action, student_id FROM audit_log ORDER BY id DESC LIMIT 1");
    expect(rows[0]).toEqual({ action: "watchlist.entry.read", student_id: s.yellowObs });
  });

  describe("who may see it", () => {
    it.each([
      ["a homeroom teacher", 403, () => homeroom],
      ["a peer monitor", 403, () => peer],
      ["another school's counselor", 404, () => otherCounselor],
    ] as const)("answers %s with %i for the school's list and preview, and 404 about one student (no hint that the student exists)", async (_who, status, headers) => {
      expect((await list("", headers())).statusCode).toBe(status);
      expect((await t.app.inject({ method: "GET", url: `/api/students/${s.red}/watchlist-entry`, headers: headers() })).statusCode).toBe(404);
      expect((await t.app.inject({ method: "POST", url: `/api/students/${s.red}/tier-override`, headers: headers(), payload: { tier: "none", reason: "x" } })).statusCode).toBe(404);
      expect((await t.app.inject({ method: "POST", url: `/api/schools/${schoolId}/watchlist/preview`, headers: headers(), payload: { policyVersion: "cn-cutoff-7-v1" } })).statusCode).toBe(status);
    });

    it("answers 401 without a session", async () => {
      expect((await list("", {})).statusCode).toBe(401);
    });
  });

  describe("a counselor's override", () => {
    const override = (studentId: string, payload: object, headers = counselor) => t.app.inject({ method: "POST", url: `/api/students/${studentId}/tier-override`, headers, payload });

    it("is kept beside the computed tier, with its reason, and both are shown", async () => {
      const reason = "已约谈，情况稳定 <script>x</script>";
      const res = await override(s.override!, { tier: "none", reason });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ studentId: s.override, tier: "none", computedTier: "yellow", policyVersion: "default-v1" });
      const e = (await entries()).find((x) => x.studentId === s.override)!;
      expect(e.tier).toBe("none");
      expect(e.computedTier).toBe("yellow");
      expect(e.override).toMatchObject({ tier: "none", reason, computedTier: "yellow", stale: false });
      const { rows } = await t.db.query<{ row: string }>("SELECT o::text AS row FROM tier_overrides o");
      for (const { row } of rows) expect(row).not.toContain("约谈");
      const audit = await t.db.query<{ action: string; context: Record<string, unknown> }>("SELECT action, context FROM audit_log WHERE action = 'watchlist.override' AND student_id = $1", [s.override]);
      expect(audit.rows).toEqual([{ action: "watchlist.override", context: { tier: "none", computedTier: "yellow", policyVersion: "default-v1" } }]);
    });

    it("no longer lowers the tier once new evidence changes the computed tier", async () => {
      expect((await override(s.stale!, { tier: "none", reason: "误报" })).statusCode).toBe(200);
      expect((await t.app.inject({ method: "POST", url: "/api/observations", headers: homeroom, payload: { studentId: s.stale, instrument: "teacher-checklist", answers: checklist(["self-harm"]) } })).statusCode).toBe(200);
      const e = (await entries()).find((x) => x.studentId === s.stale)!;
      expect(e).toMatchObject({ tier: "red", computedTier: "red", override: { tier: "none", stale: true } });
    });

    it.each([
      ["an empty reason", { tier: "none", reason: "   " }],
      ["no reason", { tier: "none" }],
      ["an unknown tier", { tier: "purple", reason: "x" }],
      ["an unknown field", { tier: "none", reason: "x", by: "me" }],
    ])("refuses %s with 400", async (_what, payload) => {
      const res = await override(s.red!, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.length).toBeGreaterThan(0);
    });

    it("refuses an override without the CSRF header", async () => {
      const { "x-csrf-token": _csrf, ...cookieOnly } = counselor;
      expect((await override(s.red!, { tier: "none", reason: "x" }, cookieOnly)).statusCode).toBe(403);
    });
  });

  describe("a policy preview", () => {
    const preview = (payload: object) => t.app.inject({ method: "POST", url: `/api/schools/${schoolId}/watchlist/preview`, headers: counselor, payload });

    it("lists who would move tier, and writes nothing but its audit row", async () => {
      const count = async () => (await t.db.query<{ n: number }>("SELECT (SELECT count(*) FROM tier_overrides) + (SELECT count(*) FROM observations) + (SELECT count(*) FROM results) AS n")).rows[0]!.n;
      const before = await count();
      const res = await preview({ policyVersion: "cn-cutoff-7-v1" });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.from).toBe("default-v1");
      expect(body.moves).toEqual([{ studentId: s.seven, name: "学生-seven", classLabel: "1", grade: 8, from: "none", to: "yellow", reasons: ["phq9-cn-7"] }]);
      expect(body.counts.to.yellow - body.counts.from.yellow).toBe(1);
      expect(await count()).toBe(before);
    });

    it("refuses an unknown policy version with its path", async () => {
      const res = await preview({ policyVersion: "nope'; --" });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe("body.policyVersion");
    });
  });

  it("never lists a student of another school, over random small districts", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.record({ total: fc.integer({ min: 0, max: 27 }), observed: fc.boolean(), grade: fc.integer({ min: 7, max: 9 }) }), { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 3 }),
        async (district) => {
          run += 1;
          const schools: { id: string; students: Set<string>; counselor: Record<string, string> }[] = [];
          for (const students of district) {
            const id = await t.seed.school({ code: `P${run}-${schools.length}` });
            const wave = await aWave(t, id);
            const classes = new Map<number, string>();
            const teacher = await t.seed.account("counselor", { schoolId: id });
            const headers = (await t.signIn(teacher)).headers;
            const mine = new Set<string>();
            for (const st of students) {
              if (!classes.has(st.grade)) classes.set(st.grade, await t.seed.klass(id, st.grade, "1"));
              const sid = await t.seed.student(classes.get(st.grade)!);
              mine.add(sid);
              await aResult(t, wave, sid, { phq9: phq9Total(st.total) });
              if (st.observed) {
                const res = await t.app.inject({ method: "POST", url: "/api/observations", headers, payload: { studentId: sid, instrument: "teacher-checklist", answers: checklist(["conflict"]) } });
                expect(res.statusCode).toBe(200);
              }
            }
            schools.push({ id, students: mine, counselor: headers });
          }
          for (const school of schools) {
            const res = await t.app.inject({ method: "GET", url: `/api/schools/${school.id}/watchlist`, headers: school.counselor });
            expect(res.statusCode).toBe(200);
            for (const e of res.json().entries as Entry[]) expect(school.students.has(e.studentId)).toBe(true);
            // Asking for another school's list answers 404, never its rows.
            const other = schools.find((x) => x.id !== school.id)!;
            expect((await t.app.inject({ method: "GET", url: `/api/schools/${other.id}/watchlist`, headers: school.counselor })).statusCode).toBe(404);
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});
