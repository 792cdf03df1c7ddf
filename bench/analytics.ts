/**
 * District analytics speed: each dashboard query and the full aggregate export against one bare
 * `GROUP BY` over the whole results table, measured in the same run, on PGlite (a data directory)
 * and on PostgreSQL when TEST_DATABASE_URL is set (a throw-away database is created and dropped).
 *
 *   npx tsx bench/analytics.ts [responses]        default 200,000; the size is 1,000,000
 *
 * Responses are spread over 4 district waves (2024-2025 and 2025-2026, spring and autumn), so
 * responses / 4 students, in 40 schools of 12 grades. Rows are generated in SQL (generate_series)
 * in batches. Targets: each dashboard call within 2× of the bare query; the export streams with
 * constant memory (peak RSS under 300 MB for the app's own part — PGlite's in-process database
 * memory is part of this process's RSS, so the RSS before the export is printed too).
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import pg from "pg";
import { openDatabase, type Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { buildCoverage, buildFactors, buildHappiness, buildHighIncidence, buildMovement, buildTiers, currentK } from "../src/server/features/analytics/build";
import { exportAggregates } from "../src/server/features/analytics/export";

const RESPONSES = Number(process.argv[2] ?? 200_000);
const STUDENTS = Math.max(1, Math.floor(RESPONSES / 4));
const SCHOOLS = 40;
const BATCH = 50_000;
const WAVES = [
  ["2024-2025", "spring"],
  ["2024-2025", "autumn"],
  ["2025-2026", "spring"],
  ["2025-2026", "autumn"],
] as const;

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const maxRss = (): number => process.resourceUsage().maxRSS * 1024;

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

async function fill(db: Database): Promise<void> {
  await db.query(`INSERT INTO schools (id, code, name) SELECT 's' || g, 'S' || lpad(g::text, 3, '0'), '第' || g || '中学' FROM generate_series(1, ${SCHOOLS}) g`);
  await db.query(`INSERT INTO classes (id, school_id, grade, label) SELECT 'c' || s || '-' || gr, 's' || s, gr, '1' FROM generate_series(1, ${SCHOOLS}) s, generate_series(1, 12) gr`);
  let w = 0;
  for (const [year, season] of WAVES) {
    w += 1;
    await db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       SELECT 'w${w}-' || s, 's' || s, '${year}', '${season}', '2026-03-01Z', '2026-03-31Z', '[]', 'default-v1', 'closed', '2026-03-01Z' FROM generate_series(1, ${SCHOOLS}) s`,
    );
  }
  for (let from = 1; from <= STUDENTS; from += BATCH) {
    const to = Math.min(STUDENTS, from + BATCH - 1);
    await db.query(
      `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, gender, grade, key_population)
       SELECT 'st' || g, 's' || (1 + g % ${SCHOOLS}), 'c' || (1 + g % ${SCHOOLS}) || '-' || (1 + (g / ${SCHOOLS}) % 12), 'h' || g, 'x', 'x',
              CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, 1 + (g / ${SCHOOLS}) % 12,
              CASE WHEN g % 7 = 0 THEN '["financialHardship"]'::jsonb WHEN g % 11 = 0 THEN '["newStudent","transferStudent"]'::jsonb ELSE '[]'::jsonb END
         FROM generate_series(${from}, ${to}) g`,
    );
  }
  for (let wave = 1; wave <= 4; wave++) {
    for (let from = 1; from <= STUDENTS; from += BATCH) {
      const to = Math.min(STUDENTS, from + BATCH - 1);
      // pseudo-random but deterministic: a hash of student and wave
      await db.query(
        `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
         SELECT 'r${wave}-' || g, 'w${wave}-' || (1 + g % ${SCHOOLS}), 'st' || g, 'secondary',
                CASE WHEN h % 50 = 0 THEN 'declined' WHEN h % 50 = 1 THEN 'in-progress' ELSE 'submitted' END,
                jsonb_build_object('wellbeing-factors', jsonb_build_object('sleep', h % 6, 'exercise', h % 8, 'screen-time', (h / 7) % 6, 'friends', (h / 3) % 4, 'pressure', (h / 5) % 4, 'family', (h / 11) % 5)),
                now(), now(), now()
           FROM (SELECT g, abs(hashtext(g::text || '-${wave}')) AS h FROM generate_series(${from}, ${to}) g) x`,
      );
      await db.query(
        `INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at)
         SELECT 'r${wave}-' || g, jsonb_build_object('who5', jsonb_build_object('kind', 'scored', 'percent', (h % 26) * 4)),
                CASE WHEN h % 17 = 0 THEN '{"kind":"questionable","reasons":[]}'::jsonb ELSE '{"kind":"valid"}'::jsonb END,
                CASE WHEN h % 100 < 70 THEN 'none' WHEN h % 100 < 88 THEN 'yellow' WHEN h % 100 < 97 THEN 'orange' ELSE 'red' END,
                '[]', 'default-v1', now()
           FROM (SELECT g, abs(hashtext(g::text || '-${wave}')) AS h FROM generate_series(${from}, ${to}) g) x
          WHERE h % 50 > 1`,
      );
    }
  }
  await db.exec("ANALYZE");
}

async function run(kind: string, db: Database): Promise<boolean> {
  console.log(`\n== ${kind}: ${RESPONSES.toLocaleString("en")} responses (${STUDENTS.toLocaleString("en")} students × 4 waves, ${SCHOOLS} schools)`);
  await migrate(db);
  const [, fillMs] = await timed(() => fill(db));
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM results");
  console.log(`filled in ${(fillMs / 1000).toFixed(1)} s; ${rows[0]?.n} results rows`);
  const k = await currentK(db);
  const wave = "2025-2026:autumn";
  const bareTier = await median(() => db.query("SELECT tier, count(*) FROM results GROUP BY tier"));
  // The baseline: one bare GROUP BY over the same table (every response of all 4 waves), with the
  // join a break-down by school needs, and nothing else (no suppression, no statistics, no jsonb).
  const bare = await median(() =>
    db.query("SELECT s.school_id, r.tier, count(*) FROM responses p JOIN results r ON r.response_id = p.id JOIN students s ON s.id = p.student_id GROUP BY 1, 2"),
  );
  console.log(`bare GROUP BY tier over results: ${bareTier.toFixed(0)} ms; bare GROUP BY school, tier over responses ⋈ results ⋈ students (the baseline): ${bare.toFixed(0)} ms`);
  const calls: [string, () => Promise<unknown>][] = [
    ["coverage by school", () => buildCoverage(db, wave, "school", k)],
    ["coverage by school,grade", () => buildCoverage(db, wave, "school,grade", k)],
    ["tiers by school", () => buildTiers(db, wave, "school", k)],
    ["tiers by gender", () => buildTiers(db, wave, "gender", k)],
    ["tiers by key-population", () => buildTiers(db, wave, "key-population", k)],
    ["happiness by school,grade", () => buildHappiness(db, wave, "school,grade", k)],
    ["factors", () => buildFactors(db, wave, k)],
    ["high-incidence", () => buildHighIncidence(db, wave, k)],
    ["movement spring→autumn", () => buildMovement(db, "2025-2026:spring", wave, k)],
  ];
  let ok = true;
  for (const [name, call] of calls) {
    const ms = await median(call);
    const ratio = ms / bare;
    if (ratio > 2) ok = false;
    console.log(`${name.padEnd(28)} ${ms.toFixed(0).padStart(7)} ms   ratio ${ratio.toFixed(2)} ${ratio <= 2 ? "ok" : "OVER 2×"}`);
  }
  const dir = await mkdtemp(join(tmpdir(), "xq-bench-export-"));
  try {
    const rssBefore = process.memoryUsage().rss;
    const heapBefore = process.memoryUsage().heapUsed;
    let peakHeap = heapBefore;
    const sampler = setInterval(() => (peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed)), 5);
    const [result, ms] = await timed(() => exportAggregates(db, { wave, by: "school,grade", encoding: "utf-8" }, (chunks) => pipeline(Readable.from(chunks), createWriteStream(join(dir, "export.csv")))));
    clearInterval(sampler);
    console.log(
      `full export by school,grade   ${ms.toFixed(0).padStart(7)} ms   ratio ${(ms / bare).toFixed(2)}; ${result.rows} rows; RSS before ${mb(rssBefore)}, peak RSS so far ${mb(maxRss())}; JS heap ${mb(heapBefore)} → peak ${mb(peakHeap)}`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return ok;
}

async function main(): Promise<void> {
  let ok = true;
  const dataDir = await mkdtemp(join(tmpdir(), "xq-bench-pglite-"));
  try {
    const db = await openDatabase({ dataDir });
    try {
      ok = (await run("PGlite", db)) && ok;
    } finally {
      await db.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const name = `xq_bench_${process.pid}`;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const u = new URL(url);
      u.pathname = `/${name}`;
      const db = await openDatabase({ url: u.toString() });
      try {
        ok = (await run("PostgreSQL", db)) && ok;
      } finally {
        await db.close();
      }
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } else {
    console.log("\n(PostgreSQL skipped: set TEST_DATABASE_URL to include it)");
  }
  console.log(`\npeak RSS of the whole process: ${mb(maxRss())}`);
  process.exitCode = ok ? 0 : 1;
}

await main();
