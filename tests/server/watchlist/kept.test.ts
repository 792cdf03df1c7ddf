/**
 * The watch list kept between reads (src/server/features/watchlist/kept.ts): after any sequence of
 * writes and clock moves, what it answers is exactly what computing the list afresh answers; it computes
 * again only the students whose inputs changed, or a whole school when the change is for all of it or
 * time moved its list; and a change written by another app instance on the same PostgreSQL reaches it.
 */
import fc from "fast-check";
import { beforeAll, expect, it } from "vitest";
import { getInstrument } from "../../../instruments/index";
import type { Answers } from "../../../scoring/index";
import { defaultPolicy, policies } from "../../../scoring/index";
import { openDatabase, type Database } from "../../../src/server/db/database";
import { checkObservation } from "../../../src/server/features/observations/check";
import { keptWatchList } from "../../../src/server/features/watchlist/kept";
import { computeWatchList, namesOf } from "../../../src/server/features/watchlist/service";
import { encrypt } from "../../../src/server/crypto/cipher";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aResult, aWave, checklist, phq9Total } from "./fixtures";

const DAY = 86_400_000;
const otherPolicy = [...policies.keys()].find((v) => v !== defaultPolicy.version)!;

describeEachDatabase("the watch list kept between reads", (getDb, context) => {
  let t: TestServer;
  let teacher: string;

  beforeAll(async () => {
    t = await startTestServer(getDb());
  });

  /** A school with two classes, `n` students, a teacher and a spring wave. */
  async function aSchool(n: number): Promise<{ id: string; classes: string[]; students: string[]; wave: string }> {
    const id = await t.seed.school();
    const classes = [await t.seed.klass(id, 8, "1"), await t.seed.klass(id, 9, "1")];
    const students: string[] = [];
    for (let i = 0; i < n; i++) students.push(await t.seed.student(classes[i % 2]!, { name: `学生${i}` }));
    teacher = await t.seed.account("homeroom", { schoolId: id });
    return { id, classes, students, wave: await aWave(t, id) };
  }

  /** An observation written as the observations feature writes it, dated `at`. */
  async function observe(db: Database, schoolId: string, studentId: string, author: string, answers: Answers, at: Date): Promise<void> {
    const checked = checkObservation(getInstrument("teacher-checklist")!, answers, 8, "answers", { role: "homeroom", id: author }, at);
    if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
    await db.query("INSERT INTO observations (id, school_id, student_id, author_id, role, instrument, answers, evidence, created_at) VALUES ($1, $2, $3, $4, 'homeroom', 'teacher-checklist', $5, $6, $7)", [
      t.deps.newId(),
      schoolId,
      studentId,
      author,
      JSON.stringify(checked.value.answers),
      JSON.stringify(checked.value.evidence),
      at,
    ]);
  }

  /** What the reply is made of, from the kept list and from a fresh computation. */
  const keptView = async (schoolIds: string[], now: Date) => {
    const list = await keptWatchList(t.db, t.deps.keys, schoolIds, now);
    return list.ranked.map((c) => ({ id: c.student.id, name: c.name, tier: c.tier, stale: c.stale, classLabel: c.student.classLabel, grade: c.student.grade, reason: c.overrideReason, entry: c.entry }));
  };
  const freshView = async (schoolIds: string[], now: Date) => {
    const run = await computeWatchList(t.db, t.db, { schoolIds }, now);
    const names = await namesOf(t.db, t.deps.keys, run.ranked.map((c) => c.student.id));
    return run.ranked.map((c) => ({
      id: c.student.id,
      name: names.get(c.student.id),
      tier: c.tier,
      stale: c.stale,
      classLabel: c.student.classLabel,
      grade: c.student.grade,
      reason: c.student.override === null ? null : "reason",
      entry: c.entry,
    }));
  };

  it("answers what a fresh computation answers after any sequence of writes and clock moves", async () => {
    const write = fc.oneof(
      fc.record({ kind: fc.constant("submit" as const), student: fc.nat(5), total: fc.integer({ min: 0, max: 27 }) }),
      fc.record({ kind: fc.constant("observe" as const), student: fc.nat(5), signs: fc.subarray(["conflict", "self-harm", "frequent-absence"]), daysAgo: fc.integer({ min: -5, max: 120 }) }),
      fc.record({ kind: fc.constant("override" as const), student: fc.nat(5), tier: fc.constantFrom("none", "yellow", "orange", "red") }),
      fc.record({ kind: fc.constant("case" as const), student: fc.nat(5) }),
      fc.record({ kind: fc.constant("keyPopulation" as const), student: fc.nat(5), keys: fc.subarray(["financialHardship", "disability"]) }),
      fc.record({ kind: fc.constant("classLabel" as const), label: fc.constantFrom("1", "2", "实验") }),
      fc.record({ kind: fc.constant("enrolment" as const), student: fc.nat(5) }),
      fc.record({ kind: fc.constant("policy" as const) }),
      fc.record({ kind: fc.constant("clock" as const), days: fc.integer({ min: -10, max: 100 }) }),
    );
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 12 }), async (writes) => {
        round += 1;
        t.clock.set("2026-03-10T08:00:00+08:00");
        const a = await aSchool(6);
        const b = await aSchool(2);
        const counselor = await t.seed.account("counselor", { schoolId: a.id });
        const submitted = new Set<string>();
        let waves = 0;
        const schools = [a.id, b.id];
        for (const w of writes) {
          const now = t.clock.now();
          const student = "student" in w ? a.students[w.student]! : "";
          if (w.kind === "submit" && !submitted.has(student)) {
            submitted.add(student);
            await aResult(t, a.wave, student, { phq9: phq9Total(w.total) }, now.toISOString());
          } else if (w.kind === "observe") {
            await observe(t.db, a.id, student, teacher, checklist(w.signs), new Date(now.getTime() - w.daysAgo * DAY));
          } else if (w.kind === "override") {
            const id = t.deps.newId();
            await t.db.query(
              `INSERT INTO tier_overrides (id, school_id, student_id, tier, reason_enc, computed_tier, computed_reasons, policy_version, author_id, created_at)
               VALUES ($1, $2, $3, $4, $5, 'none', '[]', $6, $7, $8)`,
              [id, a.id, student, w.tier, encrypt(t.deps.keys, "reason", `tier_overrides.reason_enc:${id}`), defaultPolicy.version, counselor, now],
            );
          } else if (w.kind === "case") {
            // Opens a case, or closes the open one.
            const closed = await t.db.query("UPDATE cases SET state = 'closed', closed_at = $2, updated_at = $2 WHERE student_id = $1 AND state <> 'closed'", [student, now]);
            if (closed.rowCount === 0) {
              await t.db.query(
                `INSERT INTO cases (id, school_id, student_id, tier, reason_enc, state, assigned_to, opened_by, opened_at, policy_version, updated_at)
                 VALUES ($1, $2, $3, 'orange', 'x', 'opened', $4, $4, $5, $6, $5)`,
                [t.deps.newId(), a.id, student, counselor, now, defaultPolicy.version],
              );
            }
          } else if (w.kind === "keyPopulation") {
            await t.db.query("UPDATE students SET key_population = $2 WHERE id = $1", [student, JSON.stringify(w.keys)]);
          } else if (w.kind === "classLabel") {
            await t.db.query("UPDATE classes SET label = $2 WHERE id = $1", [a.classes[0], `${w.label}-${round}`]);
          } else if (w.kind === "enrolment") {
            await t.db.query("UPDATE students SET status = CASE status WHEN 'enrolled' THEN 'left' ELSE 'enrolled' END WHERE id = $1", [student]);
          } else if (w.kind === "policy") {
            // A later wave under the other policy (a frozen wave's policy cannot change): the school's policy moves.
            waves += 1;
            const year = 2025 + waves;
            await aWave(t, a.id, { schoolYear: `${year}-${year + 1}`, season: "autumn", opensAt: `${year}-09-01T00:00:00+08:00`, policyVersion: waves % 2 === 1 ? otherPolicy : defaultPolicy.version });
          } else if (w.kind === "clock") {
            t.clock.advance(w.days * DAY);
          }
          const at = t.clock.now();
          expect(await keptView(schools, at)).toEqual(await freshView(schools, at));
        }
      }),
      { numRuns: 15 },
    );
  });

  it("computes a school again only when its inputs change or time moves its list, and only the changed students when it can", async () => {
    t.clock.set("2026-03-10T08:00:00+08:00");
    const a = await aSchool(3);
    const b = await aSchool(3);
    const schools = [a.id, b.id];
    const work = async () => {
      const list = await keptWatchList(t.db, t.deps.keys, schools, t.clock.now());
      return { computed: list.computed, updated: list.updated };
    };
    await aResult(t, a.wave, a.students[0]!, { phq9: phq9Total(12) }, t.clock.now().toISOString());
    expect(await work()).toEqual({ computed: 2, updated: 0 });
    expect(await work()).toEqual({ computed: 0, updated: 0 });

    // An observation in one school: that school's student only.
    await observe(t.db, b.id, b.students[1]!, teacher, checklist(["conflict"]), t.clock.now());
    expect(await work()).toEqual({ computed: 0, updated: 1 });
    expect(await work()).toEqual({ computed: 0, updated: 0 });

    // An answer saved in progress is no input; a submit is.
    await t.db.query("INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at) VALUES ($1, $2, $3, 'spring-grades-7-12', 'in-progress', '{}', $4, $4)", [
      t.deps.newId(),
      a.wave,
      a.students[1],
      t.clock.now(),
    ]);
    await t.db.query(`UPDATE responses SET answers = '{"phq9": {"q1": 1}}' WHERE student_id = $1`, [a.students[1]]);
    expect(await work()).toEqual({ computed: 0, updated: 0 });
    await aResult(t, a.wave, a.students[2]!, { phq9: phq9Total(3) }, t.clock.now().toISOString());
    expect(await work()).toEqual({ computed: 0, updated: 1 });

    // A change for the whole school (a class renamed) computes it whole.
    await t.db.query("UPDATE classes SET label = '2' WHERE id = $1", [a.classes[0]]);
    expect(await work()).toEqual({ computed: 1, updated: 0 });

    // Time alone: an observation of a student without a wave result counts for 90 days.
    const listed = async () => (await keptWatchList(t.db, t.deps.keys, [b.id], t.clock.now())).ranked.map((c) => c.student.id);
    expect(await listed()).toEqual([b.students[1]]);
    t.clock.advance(89 * DAY);
    expect(await work()).toEqual({ computed: 0, updated: 0 });
    expect(await listed()).toEqual([b.students[1]]);
    t.clock.advance(2 * DAY);
    expect(await work()).toEqual({ computed: 1, updated: 0 });
    expect(await listed()).toEqual([]);

    // An observation dated ahead of the clock counts once the clock reaches it; a clock set back before a list was computed computes it again.
    const ahead = new Date(t.clock.now().getTime() + DAY);
    await observe(t.db, b.id, b.students[2]!, teacher, checklist(["conflict"]), ahead);
    expect(await listed()).toEqual([]);
    t.clock.set(ahead);
    expect(await listed()).toEqual([b.students[2]]);
    // b's list was computed at that moment; a's, earlier, still holds.
    t.clock.advance(-DAY);
    expect(await work()).toEqual({ computed: 1, updated: 0 });
  });

  it("does not serve students brought up to date at a later time to a clock set back before it", async () => {
    t.clock.set("2026-03-10T08:00:00+08:00");
    const a = await aSchool(2);
    const start = t.clock.now();
    expect(await keptWatchList(t.db, t.deps.keys, [a.id], start)).toMatchObject({ computed: 1, ranked: [] });
    t.clock.advance(2 * DAY);
    await observe(t.db, a.id, a.students[0]!, teacher, checklist(["conflict"]), new Date(start.getTime() + DAY));
    const later = await keptWatchList(t.db, t.deps.keys, [a.id], t.clock.now());
    expect(later).toMatchObject({ computed: 0, updated: 1 });
    expect(later.ranked.map((c) => c.student.id)).toEqual([a.students[0]]);
    // Half a day after the start the observation was not yet written: the list is computed again without it.
    const before = new Date(start.getTime() + DAY / 2);
    expect(await keptView([a.id], before)).toEqual(await freshView([a.id], before));
    expect(await freshView([a.id], before)).toEqual([]);
  });

  it("keeps each school's change log short", async () => {
    t.clock.set("2026-03-10T08:00:00+08:00");
    const a = await aSchool(2);
    const rows = async () => (await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM watch_changes WHERE school_id = $1", [a.id])).rows[0]!.n;
    const change = async (times: number) => {
      for (let i = 0; i < times; i++) await t.db.query("UPDATE students SET key_population = $2 WHERE id = $1", [a.students[0], JSON.stringify(i % 2 === 0 ? ["disability"] : [])]);
    };
    await change(100);
    expect(await rows()).toBeGreaterThan(100);
    // Computed whole: the log is folded first.
    expect((await keptWatchList(t.db, t.deps.keys, [a.id], t.clock.now())).computed).toBe(1);
    expect(await rows()).toBe(1);
    // Updated student by student: the rows accounted for are folded once they are many.
    await change(100);
    expect(await keptWatchList(t.db, t.deps.keys, [a.id], t.clock.now())).toMatchObject({ computed: 0, updated: 1 });
    expect(await rows()).toBe(1);
    // The fold itself computes nothing again.
    expect(await keptWatchList(t.db, t.deps.keys, [a.id], t.clock.now())).toMatchObject({ computed: 0, updated: 0 });
    expect(await keptView([a.id], t.clock.now())).toEqual(await freshView([a.id], t.clock.now()));
  });

  it.skipIf(context.kind !== "postgres")("sees a change written by another app instance", async () => {
    const shared = await context.freshDatabase();
    const other: Database = await openDatabase({ url: shared.url!, poolSize: 2 });
    try {
      const here = await startTestServer(shared.db);
      const school = await here.seed.school();
      const klass = await here.seed.klass(school, 8, "1");
      const student = await here.seed.student(klass, { name: "学生甲" });
      const wave = await aWave(here, school);
      const read = async () => (await keptWatchList(shared.db, here.deps.keys, [school], here.clock.now())).ranked.map((c) => c.tier);
      expect(await read()).toEqual([]);
      const otherApp = await startTestServer(other);
      await aResult(otherApp, wave, student, { phq9: phq9Total(22) }, here.clock.now().toISOString());
      expect(await read()).toEqual(["red"]);
    } finally {
      await other.close();
    }
  });
});
