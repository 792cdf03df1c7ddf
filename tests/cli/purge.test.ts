/**
 * 保密消档: `xinqing purge --dry-run` lists and changes nothing; `xinqing purge --confirm` destroys every
 * purged student's personal data — found nowhere in the database afterwards, in any table or column,
 * encrypted or not — and the district's aggregates stay exactly as they were.
 */
import fc from "fast-check";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { runPurgeCommand } from "../../src/cli/purge";
import { CliError } from "../../src/cli/io";
import { blindIndex, decrypt, encrypt, type DataKeys } from "../../src/server/crypto/cipher";
import { generateKeyText } from "../../src/server/crypto/key";
import type { Queryable } from "../../src/server/db/database";
import { buildAggregates, buildFactors, buildFollowUp, buildMovement, buildTiers, FACTORS } from "../../src/server/features/analytics/build";
import { factorStats, followUpStats, groupStats, movementCounts } from "../../src/server/features/analytics/queries";
import { planPurge, PURGED_TEXT, runPurge } from "../../src/server/features/archive/purge";
import { loadConfig, openStore } from "../../src/server/main";
import { describeEachDatabase } from "../helpers/databases";
import { startTestServer, type TestServer } from "../helpers/server";
import { aResponse, aSchool, aSubmission, aWave, fillRecord, someTexts, type School } from "../server/archive/fixtures";

const NOW = "2026-03-02T08:00:00+08:00";
const LONG_AGO = "2022-11-01T00:00:00+08:00"; // 40 months before NOW: past the default 36
const LATELY = "2025-10-01T00:00:00+08:00";

// ---------------------------------------------------------------------------------------------------
// The scanner: every text, varchar and json(b) column of every table, encrypted values decrypted.

const TOKEN = /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function stringsOf(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsOf(v, out);
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      out.push(k);
      stringsOf(v, out);
    }
  }
  return out;
}

/** An encrypted value's plaintext, trying the context of its column with each value of its row (the row id). */
function opened(keys: DataKeys, token: string, table: string, column: string, row: Record<string, unknown>): string | undefined {
  for (const v of [...Object.values(row).filter((x): x is string => typeof x === "string"), undefined]) {
    try {
      return decrypt(keys, token, v === undefined ? undefined : `${table}.${column}:${v}`);
    } catch {
      // not this context
    }
  }
  return undefined;
}

/** Where each needle occurs: "table.column" for every column of every table holding it (decrypted or not). */
async function scan(q: Queryable, keys: DataKeys, needles: readonly string[]): Promise<Map<string, Set<string>>> {
  const { rows: columns } = await q.query<{ table_name: string; column_name: string }>(
    `SELECT c.table_name, c.column_name FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
      ORDER BY 1, 2`,
  );
  const byTable = new Map<string, string[]>();
  for (const c of columns) byTable.set(c.table_name, [...(byTable.get(c.table_name) ?? []), c.column_name]);
  const found = new Map<string, Set<string>>(needles.map((n) => [n, new Set<string>()]));
  const look = (text: string, where: string) => {
    for (const n of needles) if (text.includes(n)) found.get(n)!.add(where);
  };
  for (const [table, cols] of byTable) {
    const { rows } = await q.query<{ r: Record<string, unknown> }>(`SELECT to_jsonb(x) AS r FROM "${table}" AS x`);
    for (const { r } of rows) {
      for (const column of cols) {
        for (const s of stringsOf(r[column])) {
          look(s, `${table}.${column}`);
          if (!TOKEN.test(s)) continue;
          const plain = opened(keys, s, table, column, r);
          if (plain === undefined) continue;
          look(plain, `${table}.${column} (decrypted)`);
          try {
            for (const inner of stringsOf(JSON.parse(plain))) look(inner, `${table}.${column} (decrypted)`);
          } catch {
            // plain text, not JSON
          }
        }
      }
    }
  }
  return found;
}

/** Every row of every table, to prove that a dry run writes nothing. */
async function snapshot(q: Queryable): Promise<Record<string, string[]>> {
  const { rows } = await q.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1");
  const out: Record<string, string[]> = {};
  for (const { table_name: t } of rows) out[t] = (await q.query<{ j: string }>(`SELECT to_jsonb(x)::text AS j FROM "${t}" AS x ORDER BY 1`)).rows.map((r) => r.j);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Aggregates: every query and table of the analytics feature, numbers rounded to 12 digits (a float
// sum may differ in its last bit when the rows come in another order).

const rounded = (v: unknown): unknown =>
  typeof v === "number" ? Number(v.toPrecision(12)) : Array.isArray(v) ? v.map(rounded) : v !== null && typeof v === "object" ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, rounded(x)])) : v;

async function aggregates(q: Queryable, now: Date): Promise<unknown> {
  const spring = { schoolYear: "2025-2026", season: "spring" as const };
  const autumn = { schoolYear: "2025-2026", season: "autumn" as const };
  const out: Record<string, unknown> = {};
  for (const w of [spring, autumn]) {
    for (const dims of [["school"], ["grade"], ["gender"], ["key-population"], ["school", "grade"]] as const) out[`${w.season} ${dims.join(",")}`] = await groupStats(q, w, dims);
    out[`${w.season} factors`] = await factorStats(q, w, FACTORS.map((f) => f.item));
    out[`${w.season} follow-up`] = await followUpStats(q, w, now);
  }
  out.movement = await movementCounts(q, autumn, spring);
  const key = "2025-2026:spring";
  out.tables = [
    await buildAggregates(q, key, "school", 10),
    await buildTiers(q, key, "key-population", 10),
    await buildFactors(q, key, 10),
    await buildMovement(q, "2025-2026:autumn", key, 10),
    await buildFollowUp(q, key, now, 10),
  ];
  return rounded(out);
}

// ---------------------------------------------------------------------------------------------------

type Fate = "due" | "recent" | "enrolled" | "held";

interface Person {
  readonly name: string;
  readonly studentNo: string;
  readonly fate: Fate;
  readonly peerMonitor: boolean;
  readonly gender: "male" | "female" | null;
  readonly keyPopulation: string[];
  readonly texts: ReturnType<typeof someTexts>;
  readonly asqDetail: string;
  readonly phq9: number[];
  readonly who5: number[];
  readonly factors: Record<string, number>;
}

const SURNAMES = [..."王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺赖龚文"];
const text = fc.string({ unit: "grapheme", minLength: 1, maxLength: 30 });
const item = (max: number) => fc.integer({ min: 0, max });

const aPerson = fc.record({
  name: fc.string({ unit: fc.constantFrom(...SURNAMES), minLength: 2, maxLength: 4 }),
  digits: fc.integer({ min: 0, max: 9999 }),
  fate: fc.constantFrom<Fate>("due", "due", "recent", "enrolled", "held"),
  peerMonitor: fc.boolean(),
  gender: fc.constantFrom("male" as const, "female" as const, null),
  keyPopulation: fc.subarray(["leftBehindOrSingleParent", "financialHardship", "disability"]),
  notes: fc.array(text, { minLength: 7, maxLength: 7 }),
  phq9: fc.array(item(3), { minLength: 9, maxLength: 9 }),
  who5: fc.array(item(5), { minLength: 5, maxLength: 5 }),
  factors: fc.record({ sleep: item(3), exercise: item(3), "screen-time": item(3), friends: item(3), pressure: item(3), family: item(3) }),
});
const aDistrict = fc.array(fc.array(aPerson, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 2 });

describeEachDatabase("confidential destruction (保密消档)", (getDb, ctx) => {
  let t: TestServer;
  let run = 0;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    t.clock.set(NOW);
  });
  afterAll(() => t.app.close());

  /** Makes the people of one school (unique needles: every text carries the run and the person's number). */
  async function populate(school: School, waves: { autumn: string; spring: string }, people: readonly Omit<Person, "studentNo">[], studentNos: string[]): Promise<{ id: string; person: Person }[]> {
    const out: { id: string; person: Person }[] = [];
    for (const [i, p] of people.entries()) {
      const person: Person = { ...p, studentNo: studentNos[i]! };
      const id = await t.seed.student(school.classId, { name: person.name, studentNo: person.studentNo, keyPopulation: person.keyPopulation });
      await t.db.query("UPDATE students SET gender = $2, birth_year = 2012, guardian_name_enc = $3, guardian_phone_enc = $4 WHERE id = $1", [
        id,
        person.gender,
        encrypt(t.deps.keys, `${person.name}之母`, `students.guardian_name_enc:${id}`),
        encrypt(t.deps.keys, `139${person.studentNo}`, `students.guardian_phone_enc:${id}`),
      ]);
      if (person.peerMonitor) {
        // the student is also the class's peer monitor, with an account of their own
        const account = await t.seed.account("peer", { schoolId: school.schoolId, classes: [{ classId: school.classId, relation: "peer" }], username: `p${person.studentNo}` });
        await t.db.query("UPDATE accounts SET student_id = $2, display_name_enc = $3 WHERE id = $1", [account, id, encrypt(t.deps.keys, person.name, `accounts.display_name_enc:${account}`)]);
      }
      await aResponse(t, waves.autumn, id, aSubmission({ phq9: [...person.phq9].reverse(), who5: person.who5, factors: person.factors, asqDetail: `秋${person.asqDetail}` }), "2025-09-20T09:00:00+08:00");
      await aResponse(t, waves.spring, id, aSubmission({ phq9: person.phq9, who5: [...person.who5].reverse(), factors: person.factors, asqDetail: person.asqDetail }));
      await fillRecord(t, school, waves.spring, id, person.texts, { openCase: person.fate === "held" });
      // an access code and a student session, as a lab visit leaves them
      await t.db.query("INSERT INTO access_codes (id, wave_id, student_id, code_hash, status, issued_at) VALUES ($1, $2, $3, $4, 'used', now())", [t.deps.newId(), waves.spring, id, `code-hash-${person.studentNo}`]);
      await t.db.query("INSERT INTO sessions (token_hash, student_id, wave_id, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, 'c', now(), now(), now())", [`session-${person.studentNo}`, id, waves.spring]);
      if (person.fate !== "enrolled") await t.db.query("UPDATE students SET status = 'left', left_at = $2 WHERE id = $1", [id, person.fate === "recent" ? LATELY : LONG_AGO]);
      out.push({ id, person });
    }
    return out;
  }

  const needlesOf = (p: Person, schoolId: string): string[] => [
    p.name,
    p.studentNo,
    blindIndex(t.deps.keys, p.studentNo, `student_no:${schoolId}`),
    `${p.name}之母`,
    `139${p.studentNo}`,
    p.asqDetail,
    ...Object.values(p.texts),
  ];

  it("lists on a dry run what would go — per school, by internal id and rule, without names — and changes nothing", async () => {
    const school = await aSchool(t, { code: "DRY" });
    const waves = { autumn: await aWave(t, school.schoolId, { season: "autumn", opensAt: "2025-09-15T00:00:00+08:00" }), spring: await aWave(t, school.schoolId) };
    const base = { peerMonitor: false, gender: null, keyPopulation: [], asqDetail: "x", phq9: [1, 1, 1, 1, 1, 1, 1, 0, 0], who5: [3, 3, 3, 3, 3], factors: { sleep: 1 } };
    const made = await populate(
      school,
      waves,
      (["due", "recent", "enrolled", "held"] as const).map((fate) => ({ ...base, name: `试运行${fate}`, fate, texts: someTexts() })),
      ["D1", "D2", "D3", "D4"],
    );
    const before = await snapshot(t.db);
    const plan = await planPurge(t.db, t.clock.now());
    expect(plan.rule).toEqual({ setting: "retention.purge_after_months", months: 36, isDefault: true });
    expect(plan.due.map((c) => c.studentId)).toContain(made[0]!.id);
    expect(plan.due.map((c) => c.studentId)).not.toContain(made[1]!.id);
    expect(plan.due.map((c) => c.studentId)).not.toContain(made[2]!.id);
    expect(plan.held.map((c) => c.studentId)).toContain(made[3]!.id);
    expect(await snapshot(t.db)).toEqual(before);
  });

  it("destroys every purged student's name, number, notes and answers everywhere, keeps everyone else's, and leaves the aggregates unchanged", async () => {
    await fc.assert(
      fc.asyncProperty(aDistrict, async (district) => {
        run += 1;
        const made: { id: string; person: Person; schoolId: string }[] = [];
        for (const [s, people] of district.entries()) {
          const school = await aSchool(t, { code: `R${run}S${s}` });
          const waves = { autumn: await aWave(t, school.schoolId, { season: "autumn", opensAt: "2025-09-15T00:00:00+08:00" }), spring: await aWave(t, school.schoolId) };
          const tag = (i: number) => `〔${run}.${s}.${i}〕`;
          const persons = people.map((p, i) => ({
            ...p,
            name: `${p.name}${tag(i)}`,
            asqDetail: `${p.notes[6]}${tag(i)}`,
            texts: someTexts({
              observationNote: `${p.notes[0]}${tag(i)}o`,
              peerNote: `${p.notes[1]}${tag(i)}p`,
              overrideReason: `${p.notes[2]}${tag(i)}r`,
              caseReason: `${p.notes[3]}${tag(i)}c`,
              interviewNotes: `${p.notes[4]}${tag(i)}i`,
              hospital: `${p.notes[5]}${tag(i)}h`,
            }),
          }));
          const nos = people.map((p, i) => `9${String(run).padStart(3, "0")}${s}${i}${String(p.digits).padStart(4, "0")}`);
          for (const m of await populate(school, waves, persons, nos)) made.push({ ...m, schoolId: school.schoolId });
        }
        const now = t.clock.now();
        const goes = made.filter((m) => m.person.fate === "due");
        const stays = made.filter((m) => m.person.fate !== "due");
        const needles = made.flatMap((m) => needlesOf(m.person, m.schoolId));
        const aggregatesBefore = await aggregates(t.db, now);

        const before = await scan(t.db, t.deps.keys, needles);
        // the scanner sees every needle before the purge (names and notes are only there encrypted)
        for (const n of needles) expect(before.get(n)!.size, `needle ${n} not found before the purge`).toBeGreaterThan(0);

        const result = await runPurge(t.db, t.deps.keys, now, "区信息中心 王工");
        // (students due from earlier tests of the suite go too)
        const ours = new Set(made.map((m) => m.id));
        expect(result.purged.map((c) => c.studentId).filter((id) => ours.has(id)).sort()).toEqual(goes.map((m) => m.id).sort());
        for (const m of made.filter((x) => x.person.fate === "held")) expect(result.plan.held.map((c) => c.studentId)).toContain(m.id);

        const after = await scan(t.db, t.deps.keys, needles);
        for (const m of goes) for (const n of needlesOf(m.person, m.schoolId)) expect([...after.get(n)!], `${n} of a purged student`).toEqual([]);
        for (const m of stays) expect(after.get(m.person.name)!.size, `${m.person.name} was kept`).toBeGreaterThan(0);

        expect(await aggregates(t.db, now)).toEqual(aggregatesBefore);

        const { rows: audit } = await t.db.query<{ student_id: string; actor_role: string; context: Record<string, unknown> }>(
          "SELECT student_id, actor_role, context FROM audit_log WHERE action = 'record.purge' AND student_id IN (SELECT jsonb_array_elements_text($1::jsonb))",
          [JSON.stringify(goes.map((m) => m.id))],
        );
        expect(audit).toHaveLength(goes.length);
        for (const a of audit) expect(a).toMatchObject({ actor_role: "cli", context: { operator: "区信息中心 王工", rule: { setting: "retention.purge_after_months", months: 36 }, status: "left" } });
        for (const m of goes) {
          const res = await t.app.inject({ method: "GET", url: `/api/students/${m.id}/record`, headers: (await t.signIn((await t.db.query<{ id: string }>("SELECT id FROM accounts WHERE role = 'counselor' AND school_id = $1 LIMIT 1", [m.schoolId])).rows[0]!.id)).headers });
          expect(res.statusCode).toBe(404);
          const [tomb] = (await t.db.query<{ name_enc: string; purged_at: Date | null }>("SELECT name_enc, purged_at FROM students WHERE id = $1", [m.id])).rows;
          expect(decrypt(t.deps.keys, tomb!.name_enc, `students.name_enc:${m.id}`)).toBe(PURGED_TEXT);
          expect(tomb!.purged_at).not.toBeNull();
        }
      }),
      // each run builds a district through the API: no shrinking (too slow); the failing district is printed
      { numRuns: 5, endOnFailure: true },
    );
  }, 600_000);

  it("runs as `xinqing purge`: a dry run that names no one, a refusal without --confirm and an operator, then the purge", async () => {
    const dir = await mkdtemp(join(tmpdir(), "xinqing-purge-"));
    try {
      const env: Record<string, string> = { XINQING_DATA: dir, XINQING_KEY: generateKeyText() };
      if (ctx.kind === "postgres") env.DATABASE_URL = (await ctx.freshDatabase()).url!;
      const store = await openStore(loadConfig(env, dir), { purpose: "test" });
      try {
        const q = store.db;
        const enc = (text: string, context: string) => encrypt(store.keys, text, context);
        await q.query("INSERT INTO schools (id, code, name) VALUES ('s1', 'A01', '第一中学'), ('s2', 'B02', '第二中学')");
        await q.query("INSERT INTO classes (id, school_id, grade, label) VALUES ('c1', 's1', 9, '1'), ('c2', 's2', 9, '1')");
        const students: [string, string, string, string | null][] = [
          ["gone1", "c1", "left", "2020-06-30T00:00:00Z"],
          ["gone2", "c1", "graduated", "2021-07-01T00:00:00Z"],
          ["gone3", "c2", "left", "2022-01-15T00:00:00Z"],
          ["recent", "c2", "left", "2025-12-01T00:00:00Z"],
          ["here", "c1", "enrolled", null],
        ];
        for (const [id, cls, status, leftAt] of students) {
          await q.query(
            `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, grade, status, left_at)
             VALUES ($1, (SELECT school_id FROM classes WHERE id = $2), $2, $3, $4, $5, 9, $6, $7)`,
            [id, cls, `h-${id}`, enc(`NO-${id}`, `students.student_no_enc:${id}`), enc(`姓名-${id}`, `students.name_enc:${id}`), status, leftAt],
          );
        }
      } finally {
        await store.close();
      }
      const io = { env, cwd: dir, now: () => new Date(NOW) };

      const listed = JSON.parse(await runPurgeCommand(["--dry-run"], io));
      expect(listed).toMatchObject({ dryRun: true, rule: { months: 36 }, total: 3, schools: [{ school: "A01", count: 2 }, { school: "B02", count: 1 }], held: [] });
      expect(listed.students).toEqual([
        { id: "gone1", school: "A01", status: "left", leftAt: "2020-06-30", rule: "left 2020-06-30 + 36 months (retention.purge_after_months, default)" },
        { id: "gone2", school: "A01", status: "graduated", leftAt: "2021-07-01", rule: "graduated 2021-07-01 + 36 months (retention.purge_after_months, default)" },
        { id: "gone3", school: "B02", status: "left", leftAt: "2022-01-15", rule: "left 2022-01-15 + 36 months (retention.purge_after_months, default)" },
      ]);
      expect(JSON.stringify(listed)).not.toMatch(/姓名|NO-/);

      for (const argv of [[], ["--confirm"], ["--confirm", "--operator", "  "], ["--dry-run", "--confirm", "--operator", "x"], ["--force"]]) {
        await expect(runPurgeCommand(argv, io)).rejects.toBeInstanceOf(CliError);
      }
      const done = JSON.parse(await runPurgeCommand(["--confirm", "--operator", "李主任"], io));
      expect(done).toMatchObject({ dryRun: false, operator: "李主任", total: 3 });
      expect(JSON.parse(await runPurgeCommand(["--dry-run"], io))).toMatchObject({ total: 0, students: [] });

      const check = await openStore(loadConfig(env, dir), { purpose: "test" });
      try {
        const { rows } = await check.db.query<{ id: string; purged: boolean; name_enc: string }>("SELECT id, purged_at IS NOT NULL AS purged, name_enc FROM students ORDER BY id");
        expect(rows.map((r) => [r.id, r.purged])).toEqual([["gone1", true], ["gone2", true], ["gone3", true], ["here", false], ["recent", false]]);
        expect(decrypt(check.keys, rows.find((r) => r.id === "here")!.name_enc, "students.name_enc:here")).toBe("姓名-here");
        const audit = await check.db.query<{ student_id: string; context: { operator: string } }>("SELECT student_id, context FROM audit_log WHERE action = 'record.purge' ORDER BY student_id");
        expect(audit.rows.map((r) => [r.student_id, r.context.operator])).toEqual([["gone1", "李主任"], ["gone2", "李主任"], ["gone3", "李主任"]]);
      } finally {
        await check.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it("destroys nothing while no retention period is set, and refuses a setting that is not a number of months", async () => {
    const school = await aSchool(t, { code: "RET" });
    const gone = await t.seed.student(school.classId, { name: "留存测试" });
    await t.db.query("UPDATE students SET status = 'left', left_at = $2 WHERE id = $1", [gone, LONG_AGO]);
    const set = (value: string) =>
      t.db.query("INSERT INTO settings (key, value) VALUES ('retention.purge_after_months', $1) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", [value]);
    try {
      await set("null");
      expect(await planPurge(t.db, t.clock.now())).toMatchObject({ rule: null, due: [] });
      expect((await runPurge(t.db, t.deps.keys, t.clock.now(), "王工")).purged).toEqual([]);
      await set('"36"');
      await expect(runPurge(t.db, t.deps.keys, t.clock.now(), "王工")).rejects.toThrow(/whole number of months/);
      await set("120");
      expect((await planPurge(t.db, t.clock.now())).due.map((c) => c.studentId)).not.toContain(gone);
    } finally {
      // back to no row: the default period
      await t.db.query("DELETE FROM settings WHERE key = 'retention.purge_after_months'");
    }
    expect((await t.db.query("SELECT purged_at FROM students WHERE id = $1", [gone])).rows[0]).toEqual({ purged_at: null });
  });

  it("stops before writing anything when a table it does not know refers to students", async () => {
    await t.db.exec("CREATE TABLE purge_test_unknown (student_id text REFERENCES students(id), remark text)");
    try {
      await expect(runPurge(t.db, t.deps.keys, t.clock.now(), "王工")).rejects.toThrow(/purge_test_unknown/);
      await expect(planPurge(t.db, t.clock.now())).rejects.toThrow(/purge_test_unknown/);
    } finally {
      await t.db.exec("DROP TABLE purge_test_unknown");
    }
  });
});
