/**
 * bench/ingest: students submitting a full battery over real HTTP on loopback, against a bare Fastify
 * route doing one INSERT of the same body on the same database, measured the same way in the same run.
 *
 *  1. lab burst: 60 students submit at the same moment (Promise.all of fetch with their cookies), five
 *     times; the burst with the median p99 is reported;
 *  2. sustained: about 10 s of submits of distinct students at a fixed concurrency of 50, in 1 s slices;
 *  3. baseline: the bare route, measured the same way, each burst and slice right after the submits'
 *     (interleaved, so a busy moment on a shared machine hits both alike).
 *
 * Targets (issue 4): sustained submissions/s ≥ 50% of the baseline's; lab burst p99 under 250 ms on PGlite.
 * Runs on PGlite in a temp directory, and also on PostgreSQL when TEST_DATABASE_URL (a role that may
 * CREATE DATABASE) is set.
 *
 *   npx tsx bench/ingest.ts [seconds] [concurrency]      (BENCH_VERBOSE=1 prints every burst and slice)
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify from "fastify";
import { defaultBatteries, batteryFor } from "../instruments/batteries";
import { getInstrument } from "../instruments/index";
import { buildApp } from "../src/server/app";
import { hashToken } from "../src/server/auth/sessions";
import { blindIndex, deriveKeys, encrypt } from "../src/server/crypto/cipher";
import { openDatabase, type Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { DEFAULT_CONFIG, type Deps } from "../src/server/deps";
import { seededRandom } from "../src/server/demo/answers";
import { withThrowawayDatabase } from "./_throwaway";

const SECONDS = Number(process.argv[2] ?? 10);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const LAB = 60;
/** Lab bursts made (alternating with baseline bursts); the median one is reported. */
const BURSTS = 5;
const WARMUP = 300;
/** Enough distinct students that the sustained run ends by time, not by running out. */
const STUDENTS = 30_000;
const TARGET_RATIO = 0.5;
const TARGET_BURST_P99_MS = 250;

const random = seededRandom(20261124);

const battery = batteryFor(8, "spring", defaultBatteries)!;
const forms = battery.selfReport.map((id) => getInstrument(id)!);

/** A full battery as the SPA sends it at submit: every shown item answered, per-page timings. */
function aSubmission(): { answers: Record<string, Record<string, unknown>>; pages: { instrument: string; startedAt: number; endedAt: number }[] } {
  const answers: Record<string, Record<string, unknown>> = {};
  const pages: { instrument: string; startedAt: number; endedAt: number }[] = [];
  let t = Date.parse("2026-03-02T01:00:00Z");
  for (const inst of forms) {
    const given: Record<string, unknown> = {};
    for (const item of inst.items) {
      if (item.showIf || item.type === "text" || item.type === "multi") continue;
      if (item.attention) given[item.id] = item.attention.expected;
      else {
        const options = item.options ?? inst.options ?? [];
        // mostly low answers, as in a real lab; ASQ mostly "no"
        given[item.id] = inst.id === "asq" ? (random() < 0.05 ? "yes" : "no") : options[Math.min(options.length - 1, Math.floor(random() * random() * options.length))]!.value;
      }
    }
    answers[inst.id] = given;
    const ms = 20_000 + Math.floor(random() * 60_000);
    pages.push({ instrument: inst.id, startedAt: t, endedAt: t + ms });
    t += ms + 1000;
  }
  return { answers, pages };
}

interface StudentLogin {
  cookie: string;
  csrf: string;
}

/** One school, one open spring wave, STUDENTS grade-8 students with consent and a session each (bulk SQL). */
async function seed(db: Database, deps: Deps): Promise<StudentLogin[]> {
  const school = randomUUID();
  const wave = randomUUID();
  const now = Date.now();
  await db.query("INSERT INTO schools (id, code, name) VALUES ($1, 'BENCH', '基准中学')", [school]);
  await db.query(
    `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
     VALUES ($1, $2, '2025-2026', 'spring', $3, $4, $5, 'default-v1', 'open', $3)`,
    [wave, school, new Date(now - 86_400_000), new Date(now + 86_400_000), JSON.stringify(defaultBatteries)],
  );
  const classes = Array.from({ length: 50 }, (_, i) => ({ id: randomUUID(), label: String(i + 1) }));
  await db.query(
    "INSERT INTO classes (id, school_id, grade, label) SELECT c.id, $1, 8, c.label FROM jsonb_to_recordset($2::jsonb) AS c(id text, label text)",
    [school, JSON.stringify(classes)],
  );
  const logins: StudentLogin[] = [];
  const CHUNK = 5000;
  for (let from = 0; from < STUDENTS; from += CHUNK) {
    const students = [];
    const sessions = [];
    for (let i = from; i < Math.min(STUDENTS, from + CHUNK); i++) {
      const id = randomUUID();
      const no = `2026${String(i).padStart(6, "0")}`;
      students.push({
        id,
        class_id: classes[i % classes.length]!.id,
        no_hash: blindIndex(deps.keys, no, `student_no:${school}`),
        no_enc: encrypt(deps.keys, no, `students.student_no_enc:${id}`),
        name_enc: encrypt(deps.keys, `学生${i}`, `students.name_enc:${id}`),
      });
      const token = randomBytes(32).toString("base64url");
      const csrf = randomBytes(32).toString("base64url");
      sessions.push({ token_hash: hashToken(token), student_id: id, csrf });
      logins.push({ cookie: `xq_session=${token}`, csrf });
    }
    await db.query(
      `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, grade)
       SELECT s.id, $1, s.class_id, s.no_hash, s.no_enc, s.name_enc, 8 FROM jsonb_to_recordset($2::jsonb) AS s(id text, class_id text, no_hash text, no_enc text, name_enc text)`,
      [school, JSON.stringify(students)],
    );
    await db.query(
      `INSERT INTO consents (wave_id, student_id, status, source, updated_at)
       SELECT $1, s.id, 'consented', 'school', $2 FROM jsonb_to_recordset($3::jsonb) AS s(id text)`,
      [wave, new Date(now), JSON.stringify(students.map((s) => ({ id: s.id })))],
    );
    await db.query(
      `INSERT INTO sessions (token_hash, student_id, wave_id, csrf_token, created_at, last_seen_at, expires_at)
       SELECT s.token_hash, s.student_id, $1, s.csrf, $2, $2, $3 FROM jsonb_to_recordset($4::jsonb) AS s(token_hash text, student_id text, csrf text)`,
      [wave, new Date(now), new Date(now + 3_600_000), JSON.stringify(sessions)],
    );
  }
  return logins;
}

interface Run {
  readonly count: number;
  readonly failed: number;
  readonly seconds: number;
  readonly latencies: number[];
}

const perSecond = (r: Run): number => r.count / r.seconds;

function p99(r: Run): number {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(sorted.length * 0.99) - 1)] ?? NaN;
}

/** One timed POST; counts a non-200 as failed. */
async function timed(call: () => Promise<Response>, latencies: number[]): Promise<boolean> {
  const start = performance.now();
  const res = await call();
  await res.arrayBuffer();
  latencies.push(performance.now() - start);
  return res.status === 200;
}

/** All `n` calls at the same moment. */
async function burst(n: number, call: (i: number) => Promise<Response>): Promise<Run> {
  const latencies: number[] = [];
  const start = performance.now();
  const ok = await Promise.all(Array.from({ length: n }, (_, i) => timed(() => call(i), latencies)));
  return { count: n, failed: ok.filter((x) => !x).length, seconds: (performance.now() - start) / 1000, latencies };
}

/** `concurrency` workers calling back to back until `seconds` pass or `limit` calls were made. */
async function sustained(seconds: number, concurrency: number, limit: number, call: (i: number) => Promise<Response>): Promise<Run> {
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline && next < limit) {
        const i = next++;
        if (!(await timed(() => call(i), latencies))) failed += 1;
      }
    }),
  );
  return { count: latencies.length, failed, seconds: (performance.now() - start) / 1000, latencies };
}

/** The burst with the median p99 (bursts are short, so one of them can land on a busy moment). */
function medianBurst(runs: readonly Run[]): Run {
  return [...runs].sort((a, b) => p99(a) - p99(b))[Math.floor(runs.length / 2)]!;
}

/** Slices of one sustained run as one run. */
function combine(runs: readonly Run[]): Run {
  return {
    count: runs.reduce((n, r) => n + r.count, 0),
    failed: runs.reduce((n, r) => n + r.failed, 0),
    seconds: runs.reduce((n, r) => n + r.seconds, 0),
    latencies: runs.flatMap((r) => r.latencies),
  };
}

const line = (name: string, r: Run): string => `${name.padEnd(22)} ${perSecond(r).toFixed(0).padStart(6)} submissions/s  p99 ${p99(r).toFixed(1).padStart(7)} ms  (${r.count} in ${r.seconds.toFixed(2)} s${r.failed > 0 ? `, ${r.failed} FAILED` : ""})`;

async function benchOn(kind: string, db: Database): Promise<boolean> {
  await migrate(db);
  const deps: Deps = {
    db,
    keys: deriveKeys(randomBytes(32)),
    now: () => new Date(),
    newId: () => randomUUID(),
    randomBytes: (n) => randomBytes(n),
    config: DEFAULT_CONFIG,
    logger: false,
  };
  const app = await buildApp(deps);
  await app.listen({ port: 0, host: "127.0.0.1" });
  const appUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

  // The baseline: a bare Fastify route that parses the same JSON body and stores it with one INSERT.
  await db.exec("CREATE TABLE IF NOT EXISTS bench_baseline (id text PRIMARY KEY, body jsonb NOT NULL, at timestamptz NOT NULL)");
  const bare = Fastify({ logger: false, bodyLimit: 1024 * 1024 });
  bare.post("/baseline", async (request) => {
    await db.query("INSERT INTO bench_baseline (id, body, at) VALUES ($1, $2, $3)", [randomUUID(), JSON.stringify(request.body), new Date()]);
    return { ok: true };
  });
  await bare.listen({ port: 0, host: "127.0.0.1" });
  const bareUrl = `http://127.0.0.1:${(bare.server.address() as { port: number }).port}`;

  const seedStart = performance.now();
  const logins = await seed(db, deps);
  console.log(`${kind}: seeded ${logins.length} students with sessions in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`);
  const bodies = Array.from({ length: 512 }, aSubmission);
  let used = 0;
  const take = (n: number): StudentLogin[] => logins.slice(used, (used += n));

  const submit = (who: StudentLogin, i: number) =>
    fetch(`${appUrl}/api/student/response/submit`, {
      method: "POST",
      headers: { "content-type": "application/json", cookie: who.cookie, "x-csrf-token": who.csrf },
      body: JSON.stringify({ idempotencyKey: `bench-${randomUUID()}`, ...bodies[i % bodies.length] }),
    });
  const insert = (_who: unknown, i: number) =>
    fetch(`${bareUrl}/baseline`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ idempotencyKey: `bench-${randomUUID()}`, ...bodies[i % bodies.length] }) });

  try {
    // Warm-up (JIT, connections, caches), not measured.
    const warm = take(WARMUP);
    await sustained(60, CONCURRENCY, WARMUP, (i) => submit(warm[i]!, i));
    await sustained(60, CONCURRENCY, WARMUP, (i) => insert(null, i));

    // Lab bursts and sustained slices alternate with the baseline's, so both see the same machine
    // (other work on a shared machine changes absolute speed by 30-100% from minute to minute).
    const labRuns: Run[] = [];
    const baseBursts: Run[] = [];
    for (let b = 0; b < BURSTS; b++) {
      const lab = take(LAB);
      labRuns.push(await burst(LAB, (i) => submit(lab[i]!, i)));
      baseBursts.push(await burst(LAB, (i) => insert(null, i)));
    }
    const rest = take(logins.length - used);
    let next = 0;
    const subSlices: Run[] = [];
    const baseSlices: Run[] = [];
    for (let slice = 0; slice < SECONDS && next < rest.length; slice++) {
      const from = next;
      const run = await sustained(1, CONCURRENCY, rest.length - from, (i) => submit(rest[from + i]!, from + i));
      next += run.count;
      subSlices.push(run);
      baseSlices.push(await sustained(1, CONCURRENCY, Number.MAX_SAFE_INTEGER, (i) => insert(null, i)));
    }
    const labRun = medianBurst(labRuns);
    const baseBurst = medianBurst(baseBursts);
    const subRun = combine(subSlices);
    const baseRun = combine(baseSlices);
    if (process.env.BENCH_VERBOSE) {
      labRuns.forEach((r, i) => console.log(line(`  burst ${i + 1}`, r)));
      subSlices.forEach((r, i) => console.log(`  slice ${i + 1}: submit ${perSecond(r).toFixed(0)}/s, baseline ${perSecond(baseSlices[i]!).toFixed(0)}/s`));
    }

    const { rows } = await db.query<{ responses: number; results: number }>(
      "SELECT (SELECT count(*) FROM responses WHERE status = 'submitted')::int AS responses, (SELECT count(*) FROM results)::int AS results",
    );
    const expected = WARMUP + labRuns.reduce((n, r) => n + r.count - r.failed, 0) + subRun.count - subRun.failed;
    const ratio = perSecond(subRun) / perSecond(baseRun);
    const burstP99 = p99(labRun);
    console.log(line(`${kind} lab burst (${LAB})`, labRun) + `  [median of ${BURSTS} bursts by p99]`);
    console.log(line(`${kind} baseline burst`, baseBurst) + `  [median of ${BURSTS}]`);
    console.log(line(`${kind} sustained (c=${CONCURRENCY})`, subRun));
    console.log(line(`${kind} baseline (c=${CONCURRENCY})`, baseRun));
    console.log(`${kind} stored: ${rows[0]!.responses} submitted responses, ${rows[0]!.results} results rows (expected ${expected})`);
    console.log(`${kind} ratio sustained/baseline: ${(ratio * 100).toFixed(0)}% (target ≥ ${TARGET_RATIO * 100}%) ${ratio >= TARGET_RATIO ? "OK" : "BELOW TARGET"}`);
    const burstOk = kind !== "pglite" || burstP99 < TARGET_BURST_P99_MS;
    console.log(`${kind} lab burst p99: ${burstP99.toFixed(1)} ms${kind === "pglite" ? ` (target < ${TARGET_BURST_P99_MS} ms) ${burstOk ? "OK" : "ABOVE TARGET"}` : ""}`);
    const failures = [...labRuns, ...baseBursts, subRun, baseRun].reduce((n, r) => n + r.failed, 0);
    return failures === 0 && rows[0]!.responses === expected && rows[0]!.results === expected;
  } finally {
    await app.close();
    await bare.close();
  }
}

async function main(): Promise<void> {
  console.log(`bench/ingest: ${battery.id} (${forms.map((f) => f.id).join(", ")}), lab ${LAB}, sustained ${SECONDS} s at concurrency ${CONCURRENCY}`);
  let ok = true;
  const dir = mkdtempSync(join(tmpdir(), "xinqing-ingest-"));
  try {
    const db = await openDatabase({ dataDir: dir });
    try {
      ok = (await benchOn("pglite", db)) && ok;
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const url = process.env.TEST_DATABASE_URL;
  if (url !== undefined && url !== "") {
    ok =
      (await withThrowawayDatabase(url, async (target) => {
        const db = await openDatabase({ url: target, poolSize: 10 });
        try {
          return await benchOn("postgres", db);
        } finally {
          await db.close();
        }
      })) && ok;
  } else {
    console.log("postgres: skipped (set TEST_DATABASE_URL to a role that may CREATE DATABASE)");
  }
  if (!ok) {
    console.log("bench/ingest: a request failed or the stored rows do not match");
    process.exit(1);
  }
}

await main();
