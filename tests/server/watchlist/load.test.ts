import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StudentInputs } from "../../../src/server/features/watchlist/load";
import { loadInputs } from "../../../src/server/features/watchlist/load";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aResult, aWave, checklist, peerReport, phq9Total } from "./fixtures";

describeEachDatabase("the watch list's inputs (one statement for a school or a district)", (getDb) => {
  let t: TestServer;
  let school: string;
  let otherSchool: string;
  let class8: string;
  let class9: string;
  let author: string;
  const s: Record<string, string> = {};
  const now = new Date("2026-03-09T10:00:00+08:00");

  const observe = async (schoolId: string, studentId: string, at: string, instrument = "peer-concern", answers: object = peerReport(["low-mood"]), evidence: object = { critical: [], concerns: ["concerns"] }) =>
    t.db.query(
      `INSERT INTO observations (id, school_id, student_id, author_id, role, instrument, answers, evidence, created_at)
       VALUES ($1, $2, $3, $4, 'peer', $5, $6, $7, $8)`,
      [t.deps.newId(), schoolId, studentId, author, instrument, JSON.stringify(answers), JSON.stringify(evidence), new Date(at)],
    );
  const override = async (schoolId: string, studentId: string, tier: string, at: string) =>
    t.db.query(
      `INSERT INTO tier_overrides (id, school_id, student_id, tier, reason_enc, computed_tier, computed_reasons, policy_version, author_id, created_at)
       VALUES ($1, $2, $3, $4, 'x', 'yellow', '[]', 'default-v1', $5, $6)`,
      [t.deps.newId(), schoolId, studentId, tier, author, new Date(at)],
    );
  const aCase = async (schoolId: string, studentId: string, state: string, openedAt: string) =>
    t.db.query(
      `INSERT INTO cases (id, school_id, student_id, tier, reason_enc, state, assigned_to, opened_by, opened_at, policy_version, updated_at)
       VALUES ($1, $2, $3, 'orange', 'x', $4, $5, $5, $6, 'default-v1', $6)`,
      [t.deps.newId(), schoolId, studentId, state, author, new Date(openedAt)],
    );
  const load = async (sel: Parameters<typeof loadInputs>[1]): Promise<Map<string, StudentInputs>> => new Map((await loadInputs(t.db, sel, now)).map((x) => [x.id, x]));
  const one = async (id: string, schoolIds = [school]): Promise<StudentInputs> => (await load({ schoolIds, studentIds: [id] })).get(id)!;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    school = await t.seed.school();
    otherSchool = await t.seed.school();
    class8 = await t.seed.klass(school, 8, "1");
    class9 = await t.seed.klass(school, 9, "2");
    author = await t.seed.account("counselor", { schoolId: school });
    for (const name of ["waves", "windowed", "noResult", "overridden", "cased", "closedCase", "left"]) s[name] = await t.seed.student(class8);
    s.grade9 = await t.seed.student(class9, { keyPopulation: ["financialHardship"] });
    s.moved = await t.seed.student(class9);
    s.elsewhere = await t.seed.student(await t.seed.klass(otherSchool, 8, "1"));

    const spring25 = await aWave(t, school, { schoolYear: "2024-2025", season: "spring", opensAt: "2025-03-01T00:00:00+08:00" });
    const autumn = await aWave(t, school, { season: "autumn", opensAt: "2025-09-01T00:00:00+08:00" });
    const spring = await aWave(t, school);
    const later = await aWave(t, school, { schoolYear: "2026-2027", season: "autumn", opensAt: "2026-09-01T00:00:00+08:00" });
    // Submitted out of wave order: the autumn answers came in after the spring ones.
    await aResult(t, spring25, s.waves!, { phq9: phq9Total(3) }, "2025-03-02T09:00:00+08:00");
    await aResult(t, spring, s.waves!, { phq9: phq9Total(12) }, "2026-03-02T09:00:00+08:00");
    await aResult(t, autumn, s.waves!, { phq9: phq9Total(6) }, "2026-03-03T09:00:00+08:00");
    // Begun but not submitted: not a result.
    await t.db.query(
      `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at) VALUES ($1, $2, $3, 'spring-grades-7-12', 'in-progress', '{}', $4, $4)`,
      [t.deps.newId(), later, s.waves, now],
    );
    for (const name of ["windowed", "overridden", "cased", "closedCase", "left", "grade9"]) await aResult(t, spring, s[name]!, { phq9: phq9Total(2) });

    // Since the current wave opened (1 March), up to now.
    await observe(school, s.windowed!, "2026-02-20T10:00:00+08:00");
    await observe(school, s.windowed!, "2026-03-06T10:00:00+08:00", "teacher-checklist", checklist([], ["economic-hardship"]), { critical: [], concerns: [], keyPopulation: ["economic-hardship"] });
    await observe(school, s.windowed!, "2026-03-05T10:00:00+08:00");
    await observe(school, s.windowed!, "2026-03-10T10:00:00+08:00");
    // No wave result: the last 90 days.
    await observe(school, s.noResult!, "2025-12-08T09:00:00+08:00");
    await observe(school, s.noResult!, "2025-12-10T10:00:00+08:00");

    await override(school, s.overridden!, "orange", "2026-03-03T10:00:00+08:00");
    await override(school, s.overridden!, "red", "2026-03-04T10:00:00+08:00");
    await override(school, s.overridden!, "none", "2026-03-02T10:00:00+08:00");
    await aCase(school, s.cased!, "interviewed", "2026-03-04T10:00:00+08:00");
    await aCase(school, s.closedCase!, "closed", "2026-03-03T10:00:00+08:00");
    await t.db.query("UPDATE students SET status = 'left', left_at = $2 WHERE id = $1", [s.left, now]);

    // A student who moved from the other school: what they left there stays there.
    const otherSpring = await aWave(t, otherSchool, { opensAt: "2026-03-04T00:00:00+08:00" });
    await aResult(t, spring, s.moved!, { phq9: phq9Total(5) }, "2026-03-02T09:00:00+08:00");
    await aResult(t, otherSpring, s.moved!, { phq9: phq9Total(20) }, "2026-03-05T09:00:00+08:00");
    await observe(otherSchool, s.moved!, "2026-03-06T10:00:00+08:00");
    await override(otherSchool, s.moved!, "red", "2026-03-06T10:00:00+08:00");
    await aResult(t, otherSpring, s.elsewhere!, { phq9: phq9Total(9) });
  });
  afterAll(() => t.app.close());

  it("takes the latest two submitted results by the opening of their wave, not by when they were submitted", async () => {
    const x = await one(s.waves!);
    expect(x.current).toMatchObject({ waveKey: "2025-2026|spring", tier: "yellow", policyVersion: "default-v1", opensAt: new Date("2026-03-01T00:00:00+08:00"), submittedAt: new Date("2026-03-02T09:00:00+08:00") });
    expect(x.current!.scores.phq9).toMatchObject({ kind: "scored", total: 12 });
    expect(x.previous).toMatchObject({ waveKey: "2025-2026|autumn", submittedAt: new Date("2026-03-03T09:00:00+08:00") });
    expect(x.previous!.scores.phq9).toMatchObject({ total: 6 });
    expect(x.current!.validity).toEqual({ kind: "valid" });
  });

  it("keeps the observations since the current wave opened and up to now, oldest first, with the roster's key-population names", async () => {
    const x = await one(s.windowed!);
    expect(x.observations.map((o) => o.at.toISOString())).toEqual([new Date("2026-03-05T10:00:00+08:00").toISOString(), new Date("2026-03-06T10:00:00+08:00").toISOString()]);
    expect(x.observations[0]).toEqual({ informant: { role: "peer", id: author }, instrument: "peer-concern", at: new Date("2026-03-05T10:00:00+08:00"), critical: [], concerns: ["concerns"] });
    expect(x.observations[1]!.keyPopulation).toEqual(["financialHardship"]);
  });

  it("keeps the last 90 days of observations of a student without a wave result", async () => {
    const x = await one(s.noResult!);
    expect(x.current).toBeNull();
    expect(x.previous).toBeNull();
    expect(x.observations.map((o) => o.at)).toEqual([new Date("2025-12-10T10:00:00+08:00")]);
  });

  it("takes the latest override and only an open case", async () => {
    expect((await one(s.overridden!)).override).toMatchObject({ tier: "red", computedTier: "yellow", policyVersion: "default-v1", authorId: author, at: new Date("2026-03-04T10:00:00+08:00") });
    expect((await one(s.cased!)).openCase).toEqual({ openedAt: new Date("2026-03-04T10:00:00+08:00"), tier: "orange" });
    const closed = await one(s.closedCase!);
    expect([closed.openCase, closed.override]).toEqual([null, null]);
  });

  it("narrows by students, and leaves out students who left", async () => {
    const all = await load({ schoolIds: [school] });
    expect([...all.keys()].sort()).toEqual([s.waves, s.windowed, s.noResult, s.overridden, s.cased, s.closedCase, s.grade9, s.moved].sort());
    expect([...(await load({ schoolIds: [school], studentIds: [s.waves!, s.grade9!, s.left!] })).keys()].sort()).toEqual([s.waves, s.grade9].sort());
    expect(all.get(s.grade9!)).toMatchObject({ schoolId: school, classId: class9, classLabel: "2", grade: 9, keyPopulation: ["financialHardship"], observations: [], override: null, openCase: null });
  });

  it("uses only a student's own school's waves, observations and overrides, for a district as for the school", async () => {
    const district = await load({ schoolIds: [school, otherSchool] });
    const moved = district.get(s.moved!)!;
    expect(moved).toEqual((await load({ schoolIds: [school] })).get(s.moved!));
    expect(moved.current!.scores.phq9).toMatchObject({ total: 5 });
    expect([moved.previous, moved.override, moved.observations]).toEqual([null, null, []]);
    expect(district.get(s.elsewhere!)).toMatchObject({ schoolId: otherSchool, current: { waveKey: "2025-2026|spring" } });
    expect(district.size).toBe(9);
  });

  describe("an empty selection", () => {
    it.each([
      ["no school", () => ({ schoolIds: [] })],
      ["no student", () => ({ schoolIds: [school], studentIds: [] })],
      ["a school without students", () => ({ schoolIds: ["no-such-school"] })],
    ])("loads nothing for %s", async (_what, sel) => {
      expect(await loadInputs(t.db, sel(), now)).toEqual([]);
    });
  });
});
