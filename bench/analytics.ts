/**
 * District analytics speed and memory: each dashboard query against one bare `GROUP BY` over the whole
 * results table measured in the same run, and the exports' memory, on PGlite (a data directory) and on
 * PostgreSQL when TEST_DATABASE_URL is set (a throw-away database is created and dropped).
 *
 *   npx tsx bench/analytics.ts [responses]        default 200,000; the issue's size is 1,000,000
 *
 * Responses are spread over 4 district waves (2024-2025 and 2025-2026, autumn and spring), so
 * responses / 4 students, in 40 schools of 12 grades; 1 % of responses raise an alert and open a case.
 *
 * Each phase runs in its own process, so one phase's memory never counts against another's:
 *   build      generates the data set in SQL (generate_series, batches of 50,000) — its peak RSS is the
 *              data generation's (with PGlite, the database engine runs in this process too);
 *   dashboard  opens the database and times every dashboard call against the bare GROUP BY (target ≤ 2×):
 *              each repetition of a call runs right after one of the bare query, and the call's ratio is
 *              the median of these pairs, so load that drifts during a run (a shared machine) hits both;
 *   export     opens the database fresh and runs the full aggregate export (by school, grade), sampling
 *              RSS at every chunk written and reading the kernel's peak RSS before and after: the
 *              export's own memory is its peak minus the RSS just before it. Target: peak RSS of the
 *              export process under 300 MB. With PGlite the database engine runs in this process: its
 *              buffer pool and the WebAssembly runtime count here (src/server/db/pglite.ts keeps the
 *              pool small);
 *   research   the admins' per-student research export of one wave and of all four waves, measured the
 *              same way (not in the issue's target; reported so that growth with the rows would show).
 */
import { spawnSync } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { openDatabase, type Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { deriveKeys } from "../src/server/crypto/cipher";
import { buildCoverage, buildFactors, buildFollowUp, buildHappiness, buildHighIncidence, buildMovement, buildTiers, currentK } from "../src/server/features/analytics/build";
import { csvChunks, encodeChunks } from "../src/server/features/analytics/csv";
import { exportAggregates } from "../src/server/features/analytics/export";
import { researchColumns, researchKeys, researchRows } from "../src/server/features/analytics/research";
import { withThrowawayDatabase } from "./_throwaway";

const SCHOOLS = 40;
const BATCH = 50_000;
/** In order of opening: each school's wave opens on the date given (a wave's period runs to the next). */
const WAVES = [
  ["2024-2025", "autumn", "2024-09-01T00:00:00Z"],
  ["2024-2025", "spring", "2025-03-01T00:00:00Z"],
  ["2025-2026", "autumn", "2025-09-01T00:00:00Z"],
  ["2025-2026", "spring", "2026-03-01T00:00:00Z"],
] as const;
const WAVE = "2025-2026:spring";
const EXPORT_LIMIT_MB = 300;
/** Repetitions of each dashboard call, each paired with a run of the bare GROUP BY just before it. */
const PAIRS = 3;

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
/** The kernel's high-water mark of this process's resident memory. */
const maxRss = (): number => process.resourceUsage().maxRSS * 1024;
const rss = (): number => process.memoryUsage().rss;

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await f();
  return [value, Number(process.hrtime.bigint() - start) / 1e6];
}

async function median(f: () => Promise<unknown>, reps = 3): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < reps; i++) times.push((await timed(f))[1]);
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

type Target = { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string };
const open = (t: Target): Promise<Database> => openDatabase(t.kind === "pglite" ? { dataDir: t.dataDir } : { url: t.url });

// ---------------------------------------------------------------------------------------------
// build
// ---------------------------------------------------------------------------------------------

async function fill(db: Database, students: number): Promise<void> {
  await db.query(`INSERT INTO schools (id, code, name) SELECT 's' || g, 'S' || lpad(g::text, 3, '0'), '第' || g || '中学' FROM generate_series(1, ${SCHOOLS}) g`);
  await db.query(`INSERT INTO classes (id, school_id, grade, label) SELECT 'c' || s || '-' || gr, 's' || s, gr, '1' FROM generate_series(1, ${SCHOOLS}) s, generate_series(1, 12) gr`);
  await db.query(`INSERT INTO accounts (id, username, role, school_id) SELECT 'a' || s, 'counselor' || s, 'counselor', 's' || s FROM generate_series(1, ${SCHOOLS}) s`);
  for (const [i, [year, season, opensAt]] of WAVES.entries()) {
    await db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       SELECT 'w${i + 1}-' || s, 's' || s, '${year}', '${season}', '${opensAt}', '${opensAt}'::timestamptz + interval '30 days', '[]', 'default-v1', 'closed', '${opensAt}'
         FROM generate_series(1, ${SCHOOLS}) s`,
    );
  }
  for (let from = 1; from <= students; from += BATCH) {
    const to = Math.min(students, from + BATCH - 1);
    await db.query(
      `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, gender, grade, birth_year, key_population)
       SELECT 'st' || g, 's' || (1 + g % ${SCHOOLS}), 'c' || (1 + g % ${SCHOOLS}) || '-' || (1 + (g / ${SCHOOLS}) % 12), 'h' || g, 'x', 'x',
              CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, 1 + (g / ${SCHOOLS}) % 12, 2018 - (g / ${SCHOOLS}) % 12,
              CASE WHEN g % 7 = 0 THEN '["financialHardship"]'::jsonb WHEN g % 11 = 0 THEN '["newStudent","transferStudent"]'::jsonb ELSE '[]'::jsonb END
         FROM generate_series(${from}, ${to}) g`,
    );
  }
  for (let wave = 1; wave <= WAVES.length; wave++) {
    const at = `'${WAVES[wave - 1]![2]}'::timestamptz + interval '10 days'`;
    for (let from = 1; from <= students; from += BATCH) {
      const to = Math.min(students, from + BATCH - 1);
      // pseudo-random but deterministic: a hash of student and wave
      const hashed = `(SELECT g, abs(hashtext(g::text || '-${wave}')) AS h FROM generate_series(${from}, ${to}) g) x`;
      await db.query(
        `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
         SELECT 'r${wave}-' || g, 'w${wave}-' || (1 + g % ${SCHOOLS}), 'st' || g, 'secondary',
                CASE WHEN h % 50 = 0 THEN 'declined' WHEN h % 50 = 1 THEN 'in-progress' ELSE 'submitted' END,
                jsonb_build_object('wellbeing-factors', jsonb_build_object('sleep', h % 6, 'exercise', h % 8, 'screen-time', (h / 7) % 6, 'friends', (h / 3) % 4, 'pressure', (h / 5) % 4, 'family', (h / 11) % 5),
                                   'phq9', jsonb_build_object('q1', h % 4, 'q2', (h / 3) % 4, 'q9', CASE WHEN h % 100 = 99 THEN 1 ELSE 0 END)),
                ${at}, ${at}, ${at}
           FROM ${hashed}`,
      );
      await db.query(
        `INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at)
         SELECT 'r${wave}-' || g, jsonb_build_object('who5', jsonb_build_object('kind', 'scored', 'percent', (h % 26) * 4), 'phq9', jsonb_build_object('kind', 'scored', 'total', h % 28)),
                CASE WHEN h % 17 = 0 THEN '{"kind":"questionable","reasons":[]}'::jsonb ELSE '{"kind":"valid"}'::jsonb END,
                CASE WHEN h % 100 < 70 THEN 'none' WHEN h % 100 < 88 THEN 'yellow' WHEN h % 100 < 97 THEN 'orange' ELSE 'red' END,
                '[]', 'default-v1', ${at}
           FROM ${hashed}
          WHERE h % 50 > 1`,
      );
      // 1 % raise an alert (acknowledged within 0-47 hours) and open a case, closed except in the last wave
      await db.query(
        `INSERT INTO alerts (id, school_id, student_id, source, source_id, kind, created_at, acknowledged_at, acknowledged_by)
         SELECT 'al${wave}-' || g, 's' || (1 + g % ${SCHOOLS}), 'st' || g, 'response', 'r${wave}-' || g, 'critical', ${at},
                ${at} + make_interval(hours => (h / 100) % 48), 'a' || (1 + g % ${SCHOOLS})
           FROM ${hashed} WHERE h % 100 = 99`,
      );
      const last = wave === WAVES.length;
      await db.query(
        `INSERT INTO cases (id, school_id, student_id, tier, reason_enc, state, assigned_to, opened_by, opened_at, due_at, closed_at, alert_id, policy_version, updated_at)
         SELECT 'ca${wave}-' || g, 's' || (1 + g % ${SCHOOLS}), 'st' || g, 'red', 'x', ${last ? "'interviewed'" : "'closed'"}, 'a' || (1 + g % ${SCHOOLS}), 'a' || (1 + g % ${SCHOOLS}),
                ${at}, ${last ? `${at} + interval '5 days'` : "NULL"}, ${last ? "NULL" : `${at} + interval '60 days'`}, 'al${wave}-' || g, 'default-v1', ${at}
           FROM ${hashed} WHERE h % 100 = 99`,
      );
      await db.query(
        `INSERT INTO case_steps (id, case_id, seq, kind, at, by_account, data)
         SELECT 'cs${wave}-' || g, 'ca${wave}-' || g, 1, 'interview', ${at}, 'a' || (1 + g % ${SCHOOLS}),
                jsonb_build_object('date', to_char(${at} + make_interval(days => (h / 100) % 9), 'YYYY-MM-DD'))
           FROM ${hashed} WHERE h % 100 = 99`,
      );
    }
  }
  await db.exec("ANALYZE");
}

async function buildPhase(target: Target, responses: number): Promise<void> {
  const students = Math.max(1, Math.floor(responses / 4));
  const rssStart = rss();
  const db = await open(target);
  try {
    const rssOpen = rss();
    const peakOpen = maxRss();
    await migrate(db);
    const [, ms] = await timed(() => fill(db, students));
    const { rows } = await db.query<{ n: number; a: number }>("SELECT (SELECT count(*) FROM results)::int AS n, (SELECT count(*) FROM alerts)::int AS a");
    console.log(
      `build: ${(ms / 1000).toFixed(1)} s; ${rows[0]?.n} results, ${rows[0]?.a} alerts and cases; RSS at start ${mb(rssStart)}, after creating/opening the database ${mb(rssOpen)} (peak so far ${mb(peakOpen)}), at the end ${mb(rss())}, peak ${mb(maxRss())}`,
    );
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// dashboard
// ---------------------------------------------------------------------------------------------

async function dashboardPhase(target: Target): Promise<boolean> {
  const db = await open(target);
  try {
    const k = await currentK(db);
    const now = new Date("2026-04-01T00:00:00Z");
    const bareTier = await median(() => db.query("SELECT tier, count(*) FROM results GROUP BY tier"));
    // The baseline: one bare GROUP BY over the same table (every response of all 4 waves), with the
    // join a break-down by school needs, and nothing else (no suppression, no statistics, no jsonb).
    const bareQuery = (): Promise<unknown> =>
      db.query("SELECT s.school_id, r.tier, count(*) FROM responses p JOIN results r ON r.response_id = p.id JOIN students s ON s.id = p.student_id GROUP BY 1, 2");
    const bare = await median(bareQuery);
    console.log(`bare GROUP BY tier over results: ${bareTier.toFixed(0)} ms; bare GROUP BY school, tier over responses ⋈ results ⋈ students (the baseline): ${bare.toFixed(0)} ms`);
    if (db.kind === "postgres") {
      // PostgreSQL runs the bare GROUP BY with parallel workers (so do the dashboard's GROUP BYs). The
      // same bare query on one worker shows how much the workers bring on this machine now.
      const serial = await median(() =>
        db.transaction(async (tx) => {
          await tx.query("SET LOCAL max_parallel_workers_per_gather = 0");
          return tx.query("SELECT s.school_id, r.tier, count(*) FROM responses p JOIN results r ON r.response_id = p.id JOIN students s ON s.id = p.student_id GROUP BY 1, 2");
        }),
      );
      console.log(`the same bare GROUP BY without parallel workers: ${serial.toFixed(0)} ms (ratios below are against the parallel one)`);
    }
    const calls: [string, () => Promise<unknown>][] = [
      ["coverage by school", () => buildCoverage(db, WAVE, "school", k)],
      ["coverage by school,grade", () => buildCoverage(db, WAVE, "school,grade", k)],
      ["tiers by school", () => buildTiers(db, WAVE, "school", k)],
      ["tiers by gender", () => buildTiers(db, WAVE, "gender", k)],
      ["tiers by key-population", () => buildTiers(db, WAVE, "key-population", k)],
      ["happiness by school,grade", () => buildHappiness(db, WAVE, "school,grade", k)],
      ["factors", () => buildFactors(db, WAVE, k)],
      ["high-incidence", () => buildHighIncidence(db, WAVE, k)],
      ["movement autumn→spring", () => buildMovement(db, "2025-2026:autumn", WAVE, k)],
      ["follow-up", () => buildFollowUp(db, WAVE, now, k)],
    ];
    console.log(`${"call".padEnd(28)} ${"time".padStart(7)}    ${"bare".padStart(7)}    ratio (median of ${PAIRS} pairs: bare, then the call)`);
    let ok = true;
    for (const [name, call] of calls) {
      const pairs: { bare: number; call: number }[] = [];
      for (let i = 0; i < PAIRS; i++) pairs.push({ bare: (await timed(bareQuery))[1], call: (await timed(call))[1] });
      const mid = <T>(xs: T[], f: (x: T) => number): number => xs.map(f).sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
      const ratio = mid(pairs, (p) => p.call / p.bare);
      if (ratio > 2) ok = false;
      console.log(
        `${name.padEnd(28)} ${mid(pairs, (p) => p.call).toFixed(0).padStart(7)} ms ${mid(pairs, (p) => p.bare).toFixed(0).padStart(7)} ms   ratio ${ratio.toFixed(2)} ${ratio <= 2 ? "ok" : "OVER 2×"}`,
      );
    }
    console.log(`dashboard process: RSS now ${mb(rss())}, peak ${mb(maxRss())}`);
    return ok;
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// export
// ---------------------------------------------------------------------------------------------

interface Measured {
  readonly ms: number;
  readonly before: number;
  readonly peak: number;
  /** RSS when a quarter of the chunks had been written, and at the last chunk. */
  readonly quarter: number;
  readonly end: number;
}

/**
 * Runs `write` (which pipes chunks through the sampler it is given) measuring RSS: at every chunk, and
 * the kernel's peak before and after (a PGlite query runs on this thread, so a timer could miss it).
 */
async function measured(write: (sampler: Transform) => Promise<void>, expectedChunks: number): Promise<Measured> {
  globalThis.gc?.();
  const before = rss();
  const peakBefore = maxRss();
  let peak = before;
  let chunks = 0;
  let quarter = before;
  let end = before;
  const sampler = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const now = rss();
      peak = Math.max(peak, now);
      chunks += 1;
      if (chunks === Math.max(1, Math.round(expectedChunks / 4))) quarter = now;
      end = now;
      done(null, chunk);
    },
  });
  const [, ms] = await timed(() => write(sampler));
  const peakAfter = maxRss();
  // The kernel's high-water mark rose during the export: that is the export's peak.
  if (peakAfter > peakBefore) peak = Math.max(peak, peakAfter);
  return { ms, before, peak, quarter, end };
}

const report = (name: string, rows: number, m: Measured): string =>
  `${name.padEnd(34)} ${m.ms.toFixed(0).padStart(7)} ms  ${rows.toLocaleString("en").padStart(9)} rows  RSS before ${mb(m.before)}, at ¼ ${mb(m.quarter)}, at end ${mb(m.end)}, peak ${mb(m.peak)} (export's own: +${mb(m.peak - m.before)})`;

async function exportPhase(target: Target): Promise<boolean> {
  const rssStart = rss();
  const db = await open(target);
  const dir = await mkdtemp(join(tmpdir(), "xq-bench-export-"));
  try {
    const rssOpen = rss();
    console.log(`export process: RSS at start ${mb(rssStart)}, after opening the database ${mb(rssOpen)}`);
    let rowsOut = 0;
    const agg = await measured(async (sampler) => {
      const r = await exportAggregates(db, { wave: WAVE, by: "school,grade", encoding: "utf-8" }, (chunks) => pipeline(Readable.from(chunks), sampler, createWriteStream(join(dir, "aggregates.csv"))));
      rowsOut = r.rows;
    }, 2);
    console.log(report("aggregate export by school,grade", rowsOut, agg));
    const ok = maxRss() < EXPORT_LIMIT_MB * 1024 * 1024;
    console.log(`aggregate export process peak RSS ${mb(maxRss())}: ${ok ? "under" : "OVER"} ${EXPORT_LIMIT_MB} MB`);
    return ok;
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.close();
  }
}

/**
 * The admins' research export (per-student rows, pseudonymised) of one wave and of all four, in a
 * process of its own: not part of the issue's target (the aggregate export), but it must not grow
 * with the rows it writes either.
 */
async function researchPhase(target: Target, responses: number): Promise<void> {
  const students = Math.max(1, Math.floor(responses / 4));
  const db = await open(target);
  const dir = await mkdtemp(join(tmpdir(), "xq-bench-research-"));
  try {
    console.log(`research export process: RSS after opening the database ${mb(rss())}`);
    const keys = researchKeys(deriveKeys(new Uint8Array(32).fill(7)), "bench");
    const header = researchColumns().map((c) => c.label);
    const research = async (waves: string[], file: string, expectedRows: number): Promise<Measured> =>
      measured((sampler) => pipeline(Readable.from(encodeChunks(csvChunks(header, researchRows(db, waves, keys)), "utf-8")), sampler, createWriteStream(join(dir, file))), Math.ceil(expectedRows / 500) + 1);
    const one = await research([WAVE], "research-1.csv", students);
    console.log(report("research export, 1 wave", students, one));
    const all = WAVES.map(([year, season]) => `${year}:${season}`);
    const four = await research(all, "research-4.csv", students * 4);
    console.log(report("research export, 4 waves", students * 4, four));
    console.log(`research export process peak RSS ${mb(maxRss())}; growth 1 wave +${mb(one.peak - one.before)} vs 4 waves +${mb(four.peak - four.before)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// orchestration
// ---------------------------------------------------------------------------------------------

const self = fileURLToPath(import.meta.url);

/** Runs one phase in a child process; true when it exited 0. */
function child(phase: string, target: Target, responses: number): boolean {
  const where = target.kind === "pglite" ? target.dataDir : target.url;
  const run = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", self, "--phase", phase, target.kind, where, String(responses)], { stdio: "inherit" });
  return run.status === 0;
}

async function runAll(kind: string, target: Target, responses: number): Promise<boolean> {
  console.log(`\n== ${kind}: ${responses.toLocaleString("en")} responses (${Math.floor(responses / 4).toLocaleString("en")} students × 4 waves, ${SCHOOLS} schools)`);
  if (!child("build", target, responses)) return false;
  const dashboard = child("dashboard", target, responses);
  const exported = child("export", target, responses);
  child("research", target, responses);
  return dashboard && exported;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === "--phase") {
    const [, phase, kind, where = "", n = "0"] = argv;
    const target: Target = kind === "pglite" ? { kind: "pglite", dataDir: where } : { kind: "postgres", url: where };
    let ok = true;
    if (phase === "build") await buildPhase(target, Number(n));
    else if (phase === "dashboard") ok = await dashboardPhase(target);
    else if (phase === "export") ok = await exportPhase(target);
    else await researchPhase(target, Number(n));
    process.exitCode = ok ? 0 : 1;
    return;
  }
  const responses = Number(argv[0] ?? 200_000);
  let ok = true;
  const dataDir = await mkdtemp(join(tmpdir(), "xq-bench-pglite-"));
  try {
    ok = (await runAll("PGlite", { kind: "pglite", dataDir }, responses)) && ok;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    ok = (await withThrowawayDatabase(url, (target) => runAll("PostgreSQL", { kind: "postgres", url: target }, responses))) && ok;
  } else {
    console.log("\n(PostgreSQL skipped: set TEST_DATABASE_URL to include it)");
  }
  process.exitCode = ok ? 0 : 1;
}

await main();
