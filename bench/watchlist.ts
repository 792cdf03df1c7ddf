/**
 * bench/watchlist: the watch list of a whole district, computed the way GET /api/schools/:id/watchlist
 * computes it (load, change references, fuse, rank, names of the listed students decrypted), against one
 * bare SELECT of the same rows (every enrolled student with their wave result) in the same run.
 *
 * District: 200,000 students (grades 4-12) in 100 schools, one spring wave per school (one district wave),
 * every student with a submitted, scored response (synthetic answers from src/server/demo), and 5 % of
 * students with a teacher or peer observation. PGlite in a temporary directory. Both measurements are
 * repeated and interleaved; the medians are printed. Target (issue 6): under 1 s, within 3× of the SELECT.
 *
 *   npx tsx bench/watchlist.ts [students] [repeats]
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { batteryFor, defaultBatteries } from "../instruments/batteries";
import { getInstrument } from "../instruments/index";
import { assignTier, checkValidity, defaultPolicy, scoreBattery, summarizeObservation } from "../scoring/index";
import { deriveKeys, encrypt } from "../src/server/crypto/cipher";
import { openDatabase, type Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { aRespondent, answerInstrument, pageTimings, seededRandom } from "../src/server/demo/answers";
import { computeWatchList, namesOf } from "../src/server/features/watchlist/service";

const STUDENTS = Number(process.argv[2] ?? 200_000);
const REPEATS = Number(process.argv[3] ?? 5);
const SCHOOLS = 100;
const CLASS_SIZE = 50;
const OBSERVED_SHARE = 0.05;
const CHUNK = 5_000;
const TARGET_MS = 1000;
const TARGET_RATIO = 3;

const random = seededRandom(20261201);
const keys = deriveKeys(new Uint8Array(32).fill(7));
const opensAt = new Date("2026-03-01T00:00:00+08:00");
const now = new Date("2026-03-20T12:00:00+08:00");

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function seed(db: Database): Promise<string[]> {
  const schoolIds: string[] = [];
  const waves: string[] = [];
  const admin = randomUUID();
  for (let i = 0; i < SCHOOLS; i++) {
    const school = randomUUID();
    const wave = randomUUID();
    schoolIds.push(school);
    waves.push(wave);
    await db.query("INSERT INTO schools (id, code, name) VALUES ($1, $2, $3)", [school, `B${i}`, `基准学校${i}`]);
    await db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       VALUES ($1, $2, '2025-2026', 'spring', $3, $4, $5, 'default-v1', 'open', $3)`,
      [wave, school, opensAt, new Date(opensAt.getTime() + 30 * 86_400_000), JSON.stringify(defaultBatteries)],
    );
  }
  await db.query("INSERT INTO accounts (id, username, role, school_id) VALUES ($1, 'bench-teacher', 'homeroom', $2)", [admin, schoolIds[0]]);
  const perSchool = Math.ceil(STUDENTS / SCHOOLS);
  const classesOf = new Map<string, { id: string; grade: number }[]>();
  for (const school of schoolIds) {
    const classes = Array.from({ length: Math.ceil(perSchool / CLASS_SIZE) }, (_, i) => ({ id: randomUUID(), grade: 4 + (i % 9), label: String(Math.floor(i / 9) + 1) }));
    classesOf.set(school, classes);
    await db.query("INSERT INTO classes (id, school_id, grade, label) SELECT c.id, $1, c.grade, c.label FROM jsonb_to_recordset($2::jsonb) AS c(id text, grade int, label text)", [school, JSON.stringify(classes)]);
  }
  const checklist = getInstrument("teacher-checklist")!;
  const peer = getInstrument("peer-concern")!;
  let made = 0;
  while (made < STUDENTS) {
    const students = [];
    const responses = [];
    const results = [];
    const observations = [];
    for (let i = made; i < Math.min(STUDENTS, made + CHUNK); i++) {
      const s = Math.floor(i / perSchool);
      const school = schoolIds[s]!;
      const classes = classesOf.get(school)!;
      const klass = classes[Math.floor((i % perSchool) / CLASS_SIZE)]!;
      const id = randomUUID();
      const keyPopulation = random() < 0.1 ? ["financialHardship"] : [];
      students.push({ id, school_id: school, class_id: klass.id, no_hash: `h${i}`, no_enc: `n${i}`, name_enc: encrypt(keys, `学生${i}`, `students.name_enc:${id}`), grade: klass.grade, key_population: keyPopulation });
      const battery = batteryFor(klass.grade, "spring")!;
      const instruments = battery.selfReport.map((x) => getInstrument(x)!);
      const who = aRespondent(random);
      const answers = Object.fromEntries(instruments.map((inst) => [inst.id, answerInstrument(inst, who, random)]));
      const scores = scoreBattery(instruments, answers, { level: klass.grade <= 6 ? "primary" : "secondary" });
      const validity = checkValidity(instruments, answers, pageTimings(instruments, who, opensAt.getTime(), random), defaultPolicy.validity);
      const tier = assignTier({ selfReport: scores, validity, observations: [], keyPopulation, deteriorated: [] }, defaultPolicy);
      const responseId = randomUUID();
      const at = new Date(opensAt.getTime() + 86_400_000 + (i % 1000) * 1000).toISOString();
      responses.push({ id: responseId, wave_id: waves[s], student_id: id, battery_id: battery.id, answers, at });
      results.push({ response_id: responseId, scores, validity, tier: tier.tier, reasons: tier.reasons, policy_version: tier.policyVersion, at });
      if (random() < OBSERVED_SHARE) {
        const isPeer = random() < 0.5;
        const inst = isPeer ? peer : checklist;
        const obsAnswers = isPeer ? { concerns: random() < 0.5 ? ["low-mood"] : [], urgency: "soon" } : { signs: random() < 0.3 ? ["conflict"] : [], "key-population": [] };
        const sum = summarizeObservation(inst, obsAnswers, { role: isPeer ? "peer" : "homeroom", id: admin }, now);
        observations.push({ id: randomUUID(), school_id: school, student_id: id, role: isPeer ? "peer" : "homeroom", instrument: inst.id, answers: obsAnswers, evidence: { critical: sum.critical, concerns: sum.concerns }, at: new Date(opensAt.getTime() + 5 * 86_400_000).toISOString() });
      }
    }
    await db.query(
      `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, grade, key_population)
       SELECT id, school_id, class_id, no_hash, no_enc, name_enc, grade, key_population
         FROM jsonb_to_recordset($1::jsonb) AS s(id text, school_id text, class_id text, no_hash text, no_enc text, name_enc text, grade int, key_population jsonb)`,
      [JSON.stringify(students)],
    );
    await db.query(
      `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
       SELECT id, wave_id, student_id, battery_id, 'submitted', answers, at, at, at
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, wave_id text, student_id text, battery_id text, answers jsonb, at timestamptz)`,
      [JSON.stringify(responses)],
    );
    await db.query(
      `INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at)
       SELECT response_id, scores, validity, tier, reasons, policy_version, at
         FROM jsonb_to_recordset($1::jsonb) AS r(response_id text, scores jsonb, validity jsonb, tier text, reasons jsonb, policy_version text, at timestamptz)`,
      [JSON.stringify(results)],
    );
    if (observations.length > 0) {
      await db.query(
        `INSERT INTO observations (id, school_id, student_id, author_id, role, instrument, answers, evidence, created_at)
         SELECT id, school_id, student_id, $2, role, instrument, answers, evidence, at
           FROM jsonb_to_recordset($1::jsonb) AS o(id text, school_id text, student_id text, role text, instrument text, answers jsonb, evidence jsonb, at timestamptz)`,
        [JSON.stringify(observations), admin],
      );
    }
    made += students.length;
  }
  await db.exec("ANALYZE");
  return schoolIds;
}

/** The bare read: every enrolled student of the district with their wave result, in one SELECT. */
async function bareSelect(db: Database, schoolIds: string[]): Promise<number> {
  const { rows } = await db.query(
    `SELECT s.id, s.school_id, s.class_id, s.grade, s.key_population, r.submitted_at, res.scores, res.validity, res.tier, res.policy_version
       FROM students s
       JOIN responses r ON r.student_id = s.id AND r.status = 'submitted'
       JOIN results res ON res.response_id = r.id
      WHERE s.school_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND s.status = 'enrolled'`,
    [JSON.stringify(schoolIds)],
  );
  return rows.length;
}

/** The watch list of every school of the district, as the route computes it, names included. */
async function watchList(db: Database, schoolIds: string[]): Promise<{ students: number; listed: number }> {
  const run = await computeWatchList(db, db, { schoolIds }, now);
  const names = await namesOf(db, keys, run.ranked.map((c) => c.student.id));
  return { students: run.all.length, listed: names.size };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "xq-bench-watchlist-"));
  const db = await openDatabase({ dataDir: dir });
  try {
    await migrate(db);
    const t0 = performance.now();
    const schoolIds = await seed(db);
    console.log(`seeded ${STUDENTS} students in ${SCHOOLS} schools (one wave, ${OBSERVED_SHARE * 100}% observed) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    // Warm-up: one of each (plans, JIT).
    await bareSelect(db, schoolIds);
    await watchList(db, schoolIds);
    const bare: number[] = [];
    const full: number[] = [];
    let shape = { students: 0, listed: 0, rows: 0 };
    for (let i = 0; i < REPEATS; i++) {
      let t = performance.now();
      const rows = await bareSelect(db, schoolIds);
      bare.push(performance.now() - t);
      t = performance.now();
      const r = await watchList(db, schoolIds);
      full.push(performance.now() - t);
      shape = { ...r, rows };
    }
    const [b, f] = [median(bare), median(full)];
    console.log(`database: pglite`);
    console.log(`students: ${shape.students}, listed: ${shape.listed}, bare rows: ${shape.rows}`);
    console.log(`bare select median: ${b.toFixed(0)} ms (runs: ${bare.map((x) => x.toFixed(0)).join(", ")})`);
    console.log(`watch list median: ${f.toFixed(0)} ms (runs: ${full.map((x) => x.toFixed(0)).join(", ")})`);
    console.log(`ratio watch list / bare select: ${(f / b).toFixed(2)} (target <= ${TARGET_RATIO})`);
    console.log(`under ${TARGET_MS} ms: ${f < TARGET_MS ? "yes" : "no"}; within ${TARGET_RATIO}x: ${f / b <= TARGET_RATIO ? "yes" : "no"}`);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
