/**
 * bench/load: a district's peak on loopback (issue 8, "Load"), bounded in count and time.
 *
 * 2,000 simulated students over 10 minutes in 50 labs of 40 (one class each), the labs starting one after
 * another over the first 60% of the run. Each student enters the code from their slip (POST
 * /api/student/session), loads the survey and the saved response as the page does, autosaves after every
 * page (PUT /api/student/response, seq 1, 2, …, a fresh idempotency key each) and submits. Meanwhile 20
 * counselors (2 per school) poll their school's watch list and their alerts every 5 s (`--poll-seconds`), and 5 analysts load
 * the dashboards (waves once, then coverage, tiers, happiness, factors, high-incidence and follow-up
 * together, as the page's panels do) every 2-5 s. Nothing is retried: every non-2xx answer and every
 * network error is counted (the run fails unless there are none).
 *
 * The server runs in a child process (this file with the `--serve` role: buildApp on 127.0.0.1, logging
 * errors only), so its RSS and CPU are its own and the simulated clients do not share its event loop. The
 * world is seeded there with bulk SQL: 10 schools, classes of 40 (grades 7-9), the students, one open
 * spring wave per school, access codes hashed as the server hashes them (waves/codes.ts), counselor and
 * analyst accounts with sessions.
 *
 * Baseline, in the same run and the same server process: a bare Fastify route doing one INSERT of an
 * autosave-sized JSON body on the same database, driven in a closed loop at the load's peak number of
 * requests in flight, right after the load. Printed: throughput (overall, per minute, busiest second),
 * p50/p99 per endpoint and their p99 against the baseline's, errors by endpoint and kind (status code,
 * client timeout, network failure with its cause), the load's throughput against the baseline's, the
 * server's peak RSS, CPU and event-loop delay, the machine's load, and what each call costs the server in
 * CPU (measured one call at a time after the load, against the bare INSERT's cost) with each endpoint's
 * share of the server's CPU during the load. `--profile DIR` also writes a CPU profile of the server during
 * the load and prints where its time went (the database, packages, our code).
 * Runs on PGlite in a temporary directory, and also on PostgreSQL when TEST_DATABASE_URL (a role that may
 * CREATE DATABASE) is set; `--databases pglite|postgres` picks one.
 *
 *   npm run bench -- load                                   (10 minutes, 2,000 students)
 *   LOAD_MINUTES=2 LOAD_STUDENTS=400 npm run bench -- load  (shorter, same intensity per minute)
 *   npx tsx bench/load.ts --minutes 2 --students 400 [--databases pglite] [--profile /tmp/prof]
 *   [--poll-seconds 20]   (counselors' polling; default 5)
 *   (or in the environment: LOAD_MINUTES, LOAD_STUDENTS, LOAD_DATABASES, LOAD_PROFILE, LOAD_POLL_SECONDS)
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { setMaxListeners } from "node:events";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Session as InspectorSession, type Profiler } from "node:inspector/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import Fastify from "fastify";
import { batteryFor, defaultBatteries } from "../instruments/batteries";
import { getInstrument } from "../instruments/index";
import type { Instrument } from "../instruments/schema";
import { buildApp } from "../src/server/app";
import { hashToken } from "../src/server/auth/sessions";
import { blindIndex, deriveKeys, encrypt } from "../src/server/crypto/cipher";
import { openDatabase, type Database } from "../src/server/db/database";
import { migrate } from "../src/server/db/migrate";
import { DEFAULT_CONFIG, type Deps } from "../src/server/deps";
import { aRespondent, answerInstrument, seededRandom, type Random } from "../src/server/demo/answers";
import { generateCode, hashCode } from "../src/server/features/waves/codes";
import { withThrowawayDatabase } from "./_throwaway";

const LAB_SIZE = 40;
const SCHOOLS = 10;
const COUNSELORS_PER_SCHOOL = 2;
const ANALYSTS = 5;
/** Counselors poll every this many seconds unless told otherwise (the brief: "every few seconds"; the SPA's badge polls every 20 s). */
const DEFAULT_POLL_SECONDS = 5;
const ANALYST_PAUSE_MS: readonly [number, number] = [2_000, 5_000];
/** Labs start over this share of the run; each student's session lasts about LAB_SHARE of it. */
const STAGGER_SHARE = 0.6;
const LAB_SHARE = 0.35;
const REQUEST_TIMEOUT_MS = 60_000;
const BASELINE_SLICES = 10;
const SCHOOL_YEAR = "2025-2026";
const WAVE_KEY = `${SCHOOL_YEAR}:spring`;
const GRADES = [7, 8, 9] as const;

// ---------------------------------------------------------------------------------------------
// What the server process sends back
// ---------------------------------------------------------------------------------------------

interface Login {
  readonly cookie: string;
  readonly csrf: string;
}

interface Lab {
  readonly schoolId: string;
  readonly grade: number;
  /** The codes printed on its slips. */
  readonly codes: string[];
}

interface World {
  /** One lab per class. */
  readonly labs: Lab[];
  /** One more class, kept out of the load, for measuring what each call costs the server. */
  readonly spare: Lab;
  readonly counselors: (Login & { schoolId: string })[];
  readonly analysts: Login[];
}

interface ServerStats {
  readonly rss: number;
  /** The process's peak RSS so far (bytes). */
  readonly maxRss: number;
  /** CPU seconds (user + system) since the last mark. */
  readonly cpuSeconds: number;
  /** Event-loop delay since the last mark (ms). */
  readonly loopP99: number;
  readonly loopMax: number;
}

interface Stored {
  readonly submitted: number;
  readonly inProgress: number;
  readonly results: number;
  readonly alerts: number;
  readonly auditRows: number;
}

type ToServer =
  | { type: "start"; database: { dataDir: string } | { url: string }; students: number }
  | { type: "mark" }
  | { type: "stats" }
  | { type: "count" }
  | { type: "profile-start" }
  | { type: "profile-stop"; path: string }
  | { type: "stop" };
type FromServer =
  | { type: "ready"; appUrl: string; bareUrl: string; world: World; seedSeconds: number }
  | { type: "stats"; stats: ServerStats }
  | { type: "count"; stored: Stored }
  | { type: "profiled"; profile: ProfileSummary };

/** Where the server's CPU went during the load: self time by kind of code, and the busiest functions. */
interface ProfileSummary {
  readonly totalMs: number;
  readonly byKind: [string, number][];
  readonly topFunctions: [string, number][];
}

/** What a profiled function is: the database (PGlite's WebAssembly), a package, our code, Node, or V8. */
function codeKind(url: string, functionName: string): string {
  if (url.startsWith("wasm://") || functionName.startsWith("$")) return "WebAssembly (PGlite)";
  if (url === "") return functionName.startsWith("(") ? functionName : "native / V8 builtins";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `package ${pkg[1]}`;
  if (url.startsWith("node:")) return "Node.js internals";
  const ours = /\/(src\/server\/[^/]+(?:\/[^/]+)?|scoring|instruments|src\/shared|bench)\//.exec(url);
  return ours ? `ours: ${ours[1]}` : "other";
}

function summarizeProfile(profile: Profiler.Profile): ProfileSummary {
  const interval = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  // Each sample's time is the delta to the next sample.
  samples.forEach((id, i) => interval.set(id, (interval.get(id) ?? 0) + (deltas[i + 1] ?? 0) / 1000));
  const byKind = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  for (const node of profile.nodes) {
    const self = interval.get(node.id) ?? 0;
    if (self === 0) continue;
    const { url, functionName, lineNumber } = node.callFrame;
    totalMs += self;
    const kind = codeKind(url, functionName);
    byKind.set(kind, (byKind.get(kind) ?? 0) + self);
    const name = `${functionName || "(anonymous)"} ${url ? `${basename(url.split("?")[0]!)}:${lineNumber + 1}` : ""}`.trim();
    byFunction.set(name, (byFunction.get(name) ?? 0) + self);
  }
  const top = (m: Map<string, number>, n: number) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, n);
  return { totalMs, byKind: top(byKind, 12), topFunctions: top(byFunction, 15) };
}

// ---------------------------------------------------------------------------------------------
// The server process
// ---------------------------------------------------------------------------------------------

/** The district: bulk SQL, as bench/ingest.ts seeds. Codes are hashed exactly as the waves API does. */
async function seedWorld(db: Database, deps: Deps, students: number): Promise<World> {
  const now = Date.now();
  const labCount = Math.ceil(students / LAB_SIZE);
  const schoolIds = Array.from({ length: Math.min(SCHOOLS, labCount) }, () => randomUUID());
  const waveOf = new Map<string, string>();
  for (const [i, school] of schoolIds.entries()) {
    const wave = randomUUID();
    waveOf.set(school, wave);
    await db.query("INSERT INTO schools (id, code, name) VALUES ($1, $2, $3)", [school, `L${String(i).padStart(2, "0")}`, `压测第${i + 1}中学`]);
    await db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       VALUES ($1, $2, $3, 'spring', $4, $5, $6, 'default-v1', 'open', $4)`,
      [wave, school, SCHOOL_YEAR, new Date(now - 86_400_000), new Date(now + 86_400_000), JSON.stringify(defaultBatteries)],
    );
  }
  const labs: Lab[] = [];
  const classes: { id: string; school_id: string; grade: number; label: string }[] = [];
  for (let l = 0; l <= labCount; l++) {
    const schoolId = schoolIds[l % schoolIds.length]!;
    const grade = GRADES[Math.floor(l / schoolIds.length) % GRADES.length]!;
    classes.push({ id: randomUUID(), school_id: schoolId, grade, label: String(l + 1) });
    labs.push({ schoolId, grade, codes: [] });
  }
  await db.query(
    "INSERT INTO classes (id, school_id, grade, label) SELECT c.id, c.school_id, c.grade, c.label FROM jsonb_to_recordset($1::jsonb) AS c(id text, school_id text, grade int, label text)",
    [JSON.stringify(classes)],
  );
  const rows = [];
  const seen = new Set<string>();
  for (let i = 0; i < students + LAB_SIZE; i++) {
    const l = i < students ? Math.floor(i / LAB_SIZE) : labCount;
    const klass = classes[l]!;
    const id = randomUUID();
    const no = `2026${String(i).padStart(6, "0")}`;
    let code = generateCode(deps.randomBytes);
    while (seen.has(code)) code = generateCode(deps.randomBytes);
    seen.add(code);
    labs[l]!.codes.push(code);
    rows.push({
      id,
      school_id: klass.school_id,
      class_id: klass.id,
      grade: klass.grade,
      gender: i % 2 === 0 ? "female" : "male",
      no_hash: blindIndex(deps.keys, no, `student_no:${klass.school_id}`),
      no_enc: encrypt(deps.keys, no, `students.student_no_enc:${id}`),
      name_enc: encrypt(deps.keys, `学生${i}`, `students.name_enc:${id}`),
      wave_id: waveOf.get(klass.school_id)!,
      code_id: randomUUID(),
      code_hash: hashCode(deps.keys, code),
    });
  }
  const json = JSON.stringify(rows);
  const shape = "AS s(id text, school_id text, class_id text, grade int, gender text, no_hash text, no_enc text, name_enc text, wave_id text, code_id text, code_hash text)";
  await db.query(
    `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, gender, grade)
     SELECT s.id, s.school_id, s.class_id, s.no_hash, s.no_enc, s.name_enc, s.gender, s.grade FROM jsonb_to_recordset($1::jsonb) ${shape}`,
    [json],
  );
  await db.query(`INSERT INTO consents (wave_id, student_id, status, source, updated_at) SELECT s.wave_id, s.id, 'consented', 'roster', $2 FROM jsonb_to_recordset($1::jsonb) ${shape}`, [json, new Date(now)]);
  await db.query(`INSERT INTO access_codes (id, wave_id, student_id, code_hash, status, issued_at) SELECT s.code_id, s.wave_id, s.id, s.code_hash, 'active', $2 FROM jsonb_to_recordset($1::jsonb) ${shape}`, [json, new Date(now)]);

  const staff: { id: string; username: string; role: string; school_id: string | null; token_hash: string; csrf: string }[] = [];
  const counselors: World["counselors"] = [];
  const analysts: Login[] = [];
  const login = (): Login & { tokenHash: string } => {
    const token = randomBytes(32).toString("base64url");
    return { cookie: `xq_session=${token}`, csrf: randomBytes(32).toString("base64url"), tokenHash: hashToken(token) };
  };
  for (const [s, schoolId] of schoolIds.entries()) {
    for (let c = 0; c < COUNSELORS_PER_SCHOOL; c++) {
      const l = login();
      staff.push({ id: randomUUID(), username: `load-counselor-${s}-${c}`, role: "counselor", school_id: schoolId, token_hash: l.tokenHash, csrf: l.csrf });
      counselors.push({ cookie: l.cookie, csrf: l.csrf, schoolId });
    }
  }
  for (let a = 0; a < ANALYSTS; a++) {
    const l = login();
    staff.push({ id: randomUUID(), username: `load-analyst-${a}`, role: "analyst", school_id: null, token_hash: l.tokenHash, csrf: l.csrf });
    analysts.push({ cookie: l.cookie, csrf: l.csrf });
  }
  const staffJson = JSON.stringify(staff);
  const staffShape = "AS a(id text, username text, role text, school_id text, token_hash text, csrf text)";
  await db.query(`INSERT INTO accounts (id, username, role, school_id) SELECT a.id, a.username, a.role, a.school_id FROM jsonb_to_recordset($1::jsonb) ${staffShape}`, [staffJson]);
  await db.query(
    `INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, expires_at)
     SELECT a.token_hash, a.id, a.csrf, $2, $2, $3 FROM jsonb_to_recordset($1::jsonb) ${staffShape}`,
    [staffJson, new Date(now), new Date(now + 86_400_000)],
  );
  await db.exec("ANALYZE");
  return { labs: labs.slice(0, labCount), spare: labs[labCount]!, counselors, analysts };
}

/** The `--serve` role: the app and the baseline route on one database, driven over IPC by the parent. */
async function serve(): Promise<void> {
  const send = (m: FromServer) => process.send!(m);
  const start = await new Promise<Extract<ToServer, { type: "start" }>>((resolve) => process.once("message", resolve as (m: unknown) => void));
  const db = await openDatabase("url" in start.database ? { url: start.database.url, poolSize: 10 } : { dataDir: start.database.dataDir });
  await migrate(db);
  const deps: Deps = {
    db,
    keys: deriveKeys(randomBytes(32)),
    now: () => new Date(),
    newId: () => randomUUID(),
    randomBytes: (n) => randomBytes(n),
    config: DEFAULT_CONFIG,
    // 500s are logged with their stack (stderr of this process is the bench's); nothing else.
    logger: { level: "error" },
  };
  const app = await buildApp(deps);
  await app.listen({ port: 0, host: "127.0.0.1" });
  await db.exec("CREATE TABLE IF NOT EXISTS bench_baseline (id text PRIMARY KEY, body jsonb NOT NULL, at timestamptz NOT NULL)");
  const bare = Fastify({ logger: false });
  bare.post("/baseline", async (request) => {
    await db.query("INSERT INTO bench_baseline (id, body, at) VALUES ($1, $2, $3)", [randomUUID(), JSON.stringify(request.body), new Date()]);
    return { ok: true };
  });
  await bare.listen({ port: 0, host: "127.0.0.1" });
  const url = (s: { server: { address(): unknown } }) => `http://127.0.0.1:${(s.server.address() as { port: number }).port}`;

  const seedStart = performance.now();
  const world = await seedWorld(db, deps, start.students);
  send({ type: "ready", appUrl: url(app), bareUrl: url(bare), world, seedSeconds: (performance.now() - seedStart) / 1000 });

  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  let cpuMark = process.cpuUsage();
  const profiler = new InspectorSession();
  process.on("message", (m: ToServer) => {
    void (async () => {
      if (m.type === "mark") {
        loop.reset();
        cpuMark = process.cpuUsage();
      } else if (m.type === "stats") {
        const cpu = process.cpuUsage(cpuMark);
        send({
          type: "stats",
          stats: { rss: process.memoryUsage.rss(), maxRss: process.resourceUsage().maxRSS * 1024, cpuSeconds: (cpu.user + cpu.system) / 1e6, loopP99: loop.percentile(99) / 1e6, loopMax: loop.max / 1e6 },
        });
      } else if (m.type === "count") {
        const { rows } = await db.query<Stored & Record<string, unknown>>(
          `SELECT (SELECT count(*) FROM responses WHERE status = 'submitted')::int AS "submitted",
                  (SELECT count(*) FROM responses WHERE status = 'in-progress')::int AS "inProgress",
                  (SELECT count(*) FROM results)::int AS "results",
                  (SELECT count(*) FROM alerts)::int AS "alerts",
                  (SELECT count(*) FROM audit_log)::int AS "auditRows"`,
        );
        send({ type: "count", stored: rows[0]! });
      } else if (m.type === "profile-start") {
        profiler.connect();
        await profiler.post("Profiler.enable");
        // 2 ms rather than the default 1 ms: ten minutes of samples stay a few MB.
        await profiler.post("Profiler.setSamplingInterval", { interval: 2000 });
        await profiler.post("Profiler.start");
      } else if (m.type === "profile-stop") {
        const { profile } = await profiler.post("Profiler.stop");
        profiler.disconnect();
        writeFileSync(m.path, JSON.stringify(profile));
        send({ type: "profiled", profile: summarizeProfile(profile) });
      } else if (m.type === "stop") {
        loop.disable();
        await app.close();
        await bare.close();
        await db.close();
        process.disconnect();
      }
    })();
  });
  // The parent went away (crash, ^C): do not linger holding the database.
  process.on("disconnect", () => setTimeout(() => process.exit(0), 2_000).unref());
}

/** The parent's handle on the server process: answers are matched to questions by type, in order. */
class ServerProcess {
  private readonly waiting = new Map<string, ((m: FromServer) => void)[]>();

  private constructor(private readonly child: ChildProcess) {
    child.on("message", (m: FromServer) => this.waiting.get(m.type)?.shift()?.(m));
  }

  static start(): ServerProcess {
    return new ServerProcess(fork(fileURLToPath(import.meta.url), ["--serve"], { stdio: ["ignore", "inherit", "inherit", "ipc"] }));
  }

  ask<T extends FromServer["type"]>(message: ToServer, answer: T): Promise<Extract<FromServer, { type: T }>> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the server process exited (${code}) before answering ${message.type}`));
      this.child.once("exit", onExit);
      const list = this.waiting.get(answer) ?? [];
      list.push((m) => {
        this.child.off("exit", onExit);
        resolve(m as Extract<FromServer, { type: T }>);
      });
      this.waiting.set(answer, list);
      this.child.send(message);
    });
  }

  tell(message: ToServer): void {
    this.child.send(message);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once("exit", resolve));
    this.child.send({ type: "stop" } satisfies ToServer);
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 30_000);
    await exited;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// The simulated clients
// ---------------------------------------------------------------------------------------------

/** Latencies and failures per endpoint (the route, not the URL), and what was in flight. */
class Recorder {
  readonly latencies = new Map<string, number[]>();
  readonly errors = new Map<string, number>();
  /** Failures by endpoint and kind (the status code, "timeout" or "network"). */
  readonly kinds = new Map<string, number>();
  readonly samples: string[] = [];
  /** Completions per second since `t0`. */
  readonly perSecond: number[] = [];
  /** Every completion: seconds since `t0`, latency, failed. */
  readonly timeline: { at: number; ms: number; failed: boolean }[] = [];
  inFlight = 0;
  peakInFlight = 0;
  readonly t0 = performance.now();

  /** One request; null when it failed (non-2xx or network), which is counted and sampled. */
  async call(endpoint: string, url: string, init: RequestInit): Promise<{ body: unknown; setCookie: string | null } | null> {
    this.inFlight += 1;
    this.peakInFlight = Math.max(this.peakInFlight, this.inFlight);
    const start = performance.now();
    let out: { body: unknown; setCookie: string | null } | null = null;
    let failure: string | null = null;
    let kind = "";
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await res.text();
      if (res.status < 200 || res.status >= 300) {
        kind = String(res.status);
        failure = `${res.status} ${text.slice(0, 300)}`;
      } else out = { body: (res.headers.get("content-type") ?? "").includes("json") ? JSON.parse(text) : text, setCookie: res.headers.get("set-cookie") };
    } catch (err) {
      // undici says "fetch failed" and puts what happened (refused, reset, connect timeout) in `cause`.
      const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
      kind = (err as Error).name === "TimeoutError" ? `timeout (${REQUEST_TIMEOUT_MS / 1000} s)` : `network ${cause?.code ?? (err as Error).name}`;
      failure = `${kind}: ${(err as Error).message}${cause?.message ? ` (${cause.message})` : ""}`;
    } finally {
      this.inFlight -= 1;
    }
    const end = performance.now();
    const list = this.latencies.get(endpoint) ?? [];
    list.push(end - start);
    this.latencies.set(endpoint, list);
    const second = Math.floor((end - this.t0) / 1000);
    this.perSecond[second] = (this.perSecond[second] ?? 0) + 1;
    this.timeline.push({ at: (end - this.t0) / 1000, ms: end - start, failed: failure !== null });
    if (failure !== null) {
      this.errors.set(endpoint, (this.errors.get(endpoint) ?? 0) + 1);
      this.kinds.set(`${endpoint}: ${kind}`, (this.kinds.get(`${endpoint}: ${kind}`) ?? 0) + 1);
      // The first few of each kind, so that a rare 500 is not hidden behind many timeouts.
      if ((this.kinds.get(`${endpoint}: ${kind}`) ?? 0) <= 2 && this.samples.length < 40) this.samples.push(`${endpoint} @${((end - this.t0) / 1000).toFixed(1)} s: ${failure}`);
    }
    return out;
  }
}

/** Waits `ms`, or less when `signal` aborts (its listener is removed either way: 2,000 students share one signal). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const onAbort = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal.addEventListener("abort", onAbort, { once: true });
  });

const newKey = (): string => randomBytes(16).toString("base64url");
const between = (random: Random, lo: number, hi: number): number => lo + random() * (hi - lo);
const json = (login: Login | null, body: unknown): RequestInit => ({
  body: JSON.stringify(body),
  headers: { "content-type": "application/json", ...(login && { cookie: login.cookie, "x-csrf-token": login.csrf }) },
});

interface Schedule {
  readonly runMs: number;
  readonly labStaggerMs: number;
  readonly labMs: number;
}

/** One student at a lab PC: code, survey, a save after every page, submit. */
async function student(rec: Recorder, appUrl: string, code: string, forms: readonly Instrument[], random: Random, schedule: Schedule, stop: AbortSignal): Promise<void> {
  await sleep(between(random, 0, 0.1) * schedule.labMs, stop);
  if (stop.aborted) return;
  const entered = await rec.call("POST /api/student/session", `${appUrl}/api/student/session`, { method: "POST", ...json(null, { code }) });
  const cookie = entered?.setCookie?.split(";")[0];
  if (!entered || !cookie) return;
  const me: Login = { cookie, csrf: (entered.body as { csrfToken: string }).csrfToken };
  const get = { headers: { cookie: me.cookie } };
  await Promise.all([rec.call("GET /api/student/survey", `${appUrl}/api/student/survey`, get), rec.call("GET /api/student/response", `${appUrl}/api/student/response`, get)]);

  const who = aRespondent(random);
  const answers: Record<string, unknown> = {};
  const pages: { instrument: string; startedAt: number; endedAt: number }[] = [];
  const perPage = (0.8 * schedule.labMs) / forms.length;
  for (const [p, inst] of forms.entries()) {
    const startedAt = Date.now();
    await sleep(between(random, 0.6, 1.2) * perPage, stop);
    if (stop.aborted) return;
    const given = answerInstrument(inst, who, random);
    answers[inst.id] = given;
    const visit = { instrument: inst.id, startedAt, endedAt: Date.now() };
    pages.push(visit);
    const save = { idempotencyKey: newKey(), seq: p + 1, currentPage: Math.min(p + 1, forms.length - 1), answers: { [inst.id]: given }, pages: [visit] };
    await rec.call("PUT /api/student/response", `${appUrl}/api/student/response`, { method: "PUT", ...json(me, save) });
  }
  await rec.call("POST /api/student/response/submit", `${appUrl}/api/student/response/submit`, { method: "POST", ...json(me, { idempotencyKey: newKey(), answers, pages }) });
}

/** A counselor's watch-list page: the list and the alert badge. */
async function counselorPoll(rec: Recorder, appUrl: string, who: World["counselors"][number]): Promise<void> {
  const get = { headers: { cookie: who.cookie } };
  await Promise.all([
    rec.call("GET /api/schools/:id/watchlist", `${appUrl}/api/schools/${who.schoolId}/watchlist`, get),
    rec.call("GET /api/alerts", `${appUrl}/api/alerts?status=unacknowledged`, get),
  ]);
}

/** A counselor with the watch list open: it and the alert badge every `pollMs`. */
async function counselor(rec: Recorder, appUrl: string, who: World["counselors"][number], pollMs: number, random: Random, stop: AbortSignal): Promise<void> {
  await sleep(random() * pollMs, stop);
  while (!stop.aborted) {
    const started = performance.now();
    await counselorPoll(rec, appUrl, who);
    await sleep(pollMs * between(random, 0.8, 1.2) - (performance.now() - started), stop);
  }
}

const BREAKDOWNS = ["school", "grade", "school,grade"] as const;

/** Every panel of the analyst's dashboard at once, as the page loads them. */
async function analystRound(rec: Recorder, appUrl: string, who: Login, round: number): Promise<void> {
  const get = { headers: { cookie: who.cookie } };
  const by = encodeURIComponent(BREAKDOWNS[round % BREAKDOWNS.length]!);
  const wave = encodeURIComponent(WAVE_KEY);
  const panels = [`coverage?wave=${wave}&by=${by}`, `tiers?wave=${wave}&by=${by}`, `happiness?wave=${wave}&by=${by}`, `factors?wave=${wave}`, `high-incidence?wave=${wave}`, `follow-up?wave=${wave}`];
  await Promise.all(panels.map((q) => rec.call(`GET /api/analytics/${q.split("?")[0]}`, `${appUrl}/api/analytics/${q}`, get)));
}

/** An analyst on the dashboards: the wave list, then every panel, a look, again with another break-down. */
async function analyst(rec: Recorder, appUrl: string, who: Login, random: Random, stop: AbortSignal): Promise<void> {
  await sleep(random() * ANALYST_PAUSE_MS[1], stop);
  await rec.call("GET /api/analytics/waves", `${appUrl}/api/analytics/waves`, { headers: { cookie: who.cookie } });
  for (let round = 0; !stop.aborted; round++) {
    await analystRound(rec, appUrl, who, round);
    await sleep(between(random, ...ANALYST_PAUSE_MS), stop);
  }
}

// ---------------------------------------------------------------------------------------------
// Measuring and printing
// ---------------------------------------------------------------------------------------------

function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((sorted.length * p) / 100) - 1)] ?? NaN;
}

/** Linux's share of the last 10 s in which a runnable task waited for a CPU (null elsewhere). */
function cpuPressure(): number | null {
  try {
    const match = /some avg10=([0-9.]+)/.exec(readFileSync("/proc/pressure/cpu", "utf8"));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** Linux's count of connections dropped because a listening socket's accept queue was full (null elsewhere). */
function listenOverflows(): number | null {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").split("\n").filter((l) => l.startsWith("TcpExt:"));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    const i = names.indexOf("ListenOverflows");
    return i < 0 ? null : Number(values[i]);
  } catch {
    return null;
  }
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const ms = (x: number): string => x.toFixed(1).padStart(8);

const BARE = "POST /baseline (bare INSERT)";
/** The baseline's body: one page's autosave. */
const BASELINE_BODY = { idempotencyKey: "baseline-0123456789", seq: 1, currentPage: 1, answers: { phq9: { q1: 1, q2: 0, q3: 2, q4: 1, q5: 0, q6: 0, q7: 1, q8: 0, q9: 0, q10: 1 } }, pages: [{ instrument: "phq9", startedAt: 1, endedAt: 2 }] };

/** The bare INSERT route in a closed loop at `concurrency`, in one-second slices. */
async function baseline(bareUrl: string, concurrency: number, seconds: number): Promise<{ count: number; failed: number; seconds: number; latencies: number[] }> {
  const body = JSON.stringify(BASELINE_BODY);
  const latencies: number[] = [];
  let failed = 0;
  const start = performance.now();
  for (let s = 0; s < seconds; s++) {
    const deadline = performance.now() + 1000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now();
          try {
            const res = await fetch(`${bareUrl}/baseline`, { method: "POST", headers: { "content-type": "application/json" }, body });
            await res.arrayBuffer();
            if (res.status !== 200) failed += 1;
          } catch {
            failed += 1;
          }
          latencies.push(performance.now() - t);
        }
      }),
    );
  }
  return { count: latencies.length, failed, seconds: (performance.now() - start) / 1000, latencies };
}

/**
 * What one call of each endpoint costs the server in CPU (its JavaScript and, on PGlite, the database, which
 * runs on the same thread), measured after the load with one call at a time: the spare lab's students go
 * through the survey, then the staff pages are called in a row. Answers the question "what limits
 * throughput": cost × calls in the load, against the server's CPU during the load.
 */
async function measureCosts(server: ServerProcess, rec: Recorder, urls: { appUrl: string; bareUrl: string }, world: World): Promise<Map<string, number>> {
  const { appUrl, bareUrl } = urls;
  const costs = new Map<string, number>();
  const measure = async (endpoint: string, calls: number, call: (i: number) => Promise<unknown>): Promise<void> => {
    server.tell({ type: "mark" });
    for (let i = 0; i < calls; i++) await call(i);
    const { stats } = await server.ask({ type: "stats" }, "stats");
    costs.set(endpoint, (stats.cpuSeconds * 1000) / calls);
  };
  await measure(BARE, 200, () => rec.call(BARE, `${bareUrl}/baseline`, { method: "POST", ...json(null, BASELINE_BODY) }));
  const random = seededRandom(20261209);
  const forms = batteryFor(world.spare.grade, "spring", defaultBatteries)!.selfReport.map((id) => getInstrument(id)!);
  const students = world.spare.codes.map(() => ({ login: null as Login | null, who: aRespondent(random), answers: {} as Record<string, unknown> }));
  await measure("POST /api/student/session", students.length, async (i) => {
    const res = await rec.call("POST /api/student/session", `${appUrl}/api/student/session`, { method: "POST", ...json(null, { code: world.spare.codes[i] }) });
    const cookie = res?.setCookie?.split(";")[0];
    if (res && cookie) students[i]!.login = { cookie, csrf: (res.body as { csrfToken: string }).csrfToken };
  });
  const signedIn = students.filter((s): s is typeof s & { login: Login } => s.login !== null);
  for (const path of ["survey", "response"]) {
    await measure(`GET /api/student/${path}`, signedIn.length, (i) => rec.call(`GET /api/student/${path}`, `${appUrl}/api/student/${path}`, { headers: { cookie: signedIn[i]!.login.cookie } }));
  }
  await measure("PUT /api/student/response", signedIn.length * forms.length, async (n) => {
    const s = signedIn[n % signedIn.length]!;
    const p = Math.floor(n / signedIn.length);
    const given = answerInstrument(forms[p]!, s.who, random);
    s.answers[forms[p]!.id] = given;
    const save = { idempotencyKey: newKey(), seq: p + 1, currentPage: Math.min(p + 1, forms.length - 1), answers: { [forms[p]!.id]: given }, pages: [{ instrument: forms[p]!.id, startedAt: Date.now() - 30_000, endedAt: Date.now() }] };
    await rec.call("PUT /api/student/response", `${appUrl}/api/student/response`, { method: "PUT", ...json(s.login, save) });
  });
  await measure("POST /api/student/response/submit", signedIn.length, (i) =>
    rec.call("POST /api/student/response/submit", `${appUrl}/api/student/response/submit`, { method: "POST", ...json(signedIn[i]!.login, { idempotencyKey: newKey(), answers: signedIn[i]!.answers }) }),
  );
  const counselor = world.counselors[0]!;
  await measure("GET /api/schools/:id/watchlist", 20, () => rec.call("GET /api/schools/:id/watchlist", `${appUrl}/api/schools/${counselor.schoolId}/watchlist`, { headers: { cookie: counselor.cookie } }));
  await measure("GET /api/alerts", 20, () => rec.call("GET /api/alerts", `${appUrl}/api/alerts?status=unacknowledged`, { headers: { cookie: counselor.cookie } }));
  const analystGet = { headers: { cookie: world.analysts[0]!.cookie } };
  const wave = encodeURIComponent(WAVE_KEY);
  for (const q of ["waves", `coverage?wave=${wave}&by=school`, `tiers?wave=${wave}&by=school`, `happiness?wave=${wave}&by=school`, `factors?wave=${wave}`, `high-incidence?wave=${wave}`, `follow-up?wave=${wave}`]) {
    const endpoint = `GET /api/analytics/${q.split("?")[0]}`;
    await measure(endpoint, 10, () => rec.call(endpoint, `${appUrl}/api/analytics/${q}`, analystGet));
  }
  return costs;
}

interface Options {
  readonly minutes: number;
  readonly students: number;
  /** A directory for a CPU profile of the server during the load (off when null). */
  readonly profile: string | null;
  readonly databases: readonly ("pglite" | "postgres")[];
  readonly pollSeconds: number;
}

async function benchOn(kind: string, database: { dataDir: string } | { url: string }, options: Options): Promise<boolean> {
  const server = ServerProcess.start();
  try {
    const ready = await server.ask({ type: "start", database, students: options.students }, "ready");
    const { world, appUrl, bareUrl } = ready;
    console.log(
      `${kind}: seeded ${world.labs.length} labs (classes of ${LAB_SIZE}) in ${Math.min(SCHOOLS, world.labs.length)} schools, ${options.students} students with codes, ${world.counselors.length} counselors, ${world.analysts.length} analysts in ${ready.seedSeconds.toFixed(1)} s`,
    );
    // Warm-up (JIT, plans, connections), not measured: the baseline route and a look at each staff page.
    await baseline(bareUrl, LAB_SIZE, 2);
    const warm = new Recorder();
    await Promise.all([counselorPoll(warm, appUrl, world.counselors[0]!), analystRound(warm, appUrl, world.analysts[0]!, 0)]);
    if (warm.samples.length > 0) warm.samples.forEach((s) => console.log(`${kind} warm-up error: ${s}`));

    const runMs = options.minutes * 60_000;
    const labs = world.labs.length;
    const schedule: Schedule = { runMs, labStaggerMs: labs > 1 ? (STAGGER_SHARE * runMs) / (labs - 1) : 0, labMs: LAB_SHARE * runMs };
    const random = seededRandom(20261208);
    const rec = new Recorder();
    const staffStop = new AbortController();
    // Bounded in time: whatever is still running at 1.5× the planned length is cut off (and fails the run).
    const cutOff = new AbortController();
    const hardStop = cutOff.signal;
    setMaxListeners(0, hardStop, staffStop.signal);
    const cutOffTimer = setTimeout(() => cutOff.abort(), 1.5 * runMs + 60_000);
    hardStop.addEventListener("abort", () => staffStop.abort(), { once: true });

    server.tell({ type: "mark" });
    if (options.profile !== null) server.tell({ type: "profile-start" });
    const rss: { at: number; bytes: number }[] = [];
    const idle = (await server.ask({ type: "stats" }, "stats")).stats;
    const overflowsBefore = listenOverflows();
    const clientCpu = process.cpuUsage();
    const started = performance.now();
    const machine: { load: number; pressure: number | null }[] = [];
    const sampler = setInterval(() => {
      machine.push({ load: loadavg()[0]!, pressure: cpuPressure() });
      void server.ask({ type: "stats" }, "stats").then((m) => rss.push({ at: (performance.now() - started) / 1000, bytes: m.stats.rss }));
    }, 1000);
    const staff = [
      ...world.counselors.map((c) => counselor(rec, appUrl, c, options.pollSeconds * 1000, seededRandom(Math.floor(random() * 2 ** 31)), staffStop.signal)),
      ...world.analysts.map((a) => analyst(rec, appUrl, a, seededRandom(Math.floor(random() * 2 ** 31)), staffStop.signal)),
    ];
    const students = world.labs.flatMap((lab, l) => {
      const forms = batteryFor(lab.grade, "spring", defaultBatteries)!.selfReport.map((id) => getInstrument(id)!);
      return lab.codes.map(async (code) => {
        const studentRandom = seededRandom(Math.floor(random() * 2 ** 31));
        await sleep(l * schedule.labStaggerMs, hardStop);
        await student(rec, appUrl, code, forms, studentRandom, schedule, hardStop);
      });
    });
    await Promise.all(students);
    const loadSeconds = (performance.now() - started) / 1000;
    staffStop.abort();
    await Promise.all(staff);
    clearTimeout(cutOffTimer);
    clearInterval(sampler);
    const clientCpuSeconds = (({ user, system }) => (user + system) / 1e6)(process.cpuUsage(clientCpu));
    const overflowsAfter = listenOverflows();
    const profilePath = options.profile === null ? null : join(options.profile, `server-${kind}-${Date.now()}.cpuprofile`);
    const profiled = profilePath === null ? null : (await server.ask({ type: "profile-stop", path: profilePath }, "profiled")).profile;
    const end = (await server.ask({ type: "stats" }, "stats")).stats;
    rss.push({ at: loadSeconds, bytes: end.rss });

    // The baseline at the load's peak concurrency, right after the load.
    const concurrency = Math.max(1, rec.peakInFlight);
    const base = await baseline(bareUrl, concurrency, BASELINE_SLICES);
    const costRec = new Recorder();
    const costs = await measureCosts(server, costRec, { appUrl, bareUrl }, world);
    const stored = (await server.ask({ type: "count" }, "count")).stored;

    const all = [...rec.latencies.values()].flat();
    const errors = [...rec.errors.values()].reduce((x, y) => x + y, 0);
    const costErrors = [...costRec.errors.values()].reduce((x, y) => x + y, 0);
    const throughput = all.length / loadSeconds;
    const baseThroughput = base.count / base.seconds;
    const baseP99 = percentile(base.latencies, 99);
    const peakSecond = Math.max(0, ...Array.from(rec.perSecond, (x) => x ?? 0));
    const meanInFlight = all.reduce((x, y) => x + y, 0) / 1000 / loadSeconds;
    const serverCpuMs = end.cpuSeconds * 1000;
    console.log(`${kind} load: ${loadSeconds.toFixed(1)} s, ${all.length} requests, ${throughput.toFixed(1)} req/s (busiest second ${peakSecond}), ${errors} errors${hardStop.aborted ? ", CUT OFF at the time bound" : ""}`);
    console.log(`${"endpoint".padEnd(34)} ${"count".padStart(6)} ${"errors".padStart(6)} ${"p50 ms".padStart(8)} ${"p99 ms".padStart(8)} ${"max ms".padStart(8)} ${"p99/base".padStart(8)} ${"CPU ms/call".padStart(11)} ${"CPU/base".padStart(8)} ${"CPU share".padStart(9)}`);
    const baseCost = costs.get(BARE)!;
    const row = (name: string, xs: readonly number[], errs: number, cost: number | undefined) =>
      `${name.padEnd(34)} ${String(xs.length).padStart(6)} ${String(errs).padStart(6)} ${ms(percentile(xs, 50))} ${ms(percentile(xs, 99))} ${ms(Math.max(...xs))} ${(percentile(xs, 99) / baseP99).toFixed(2).padStart(8)} ${cost === undefined ? "".padStart(11) : cost.toFixed(2).padStart(11)} ${cost === undefined ? "".padStart(8) : (cost / baseCost).toFixed(1).padStart(8)} ${cost === undefined ? "".padStart(9) : `${((100 * cost * xs.length) / serverCpuMs).toFixed(0)}%`.padStart(9)}`;
    for (const [endpoint, xs] of [...rec.latencies.entries()].sort(([x], [y]) => x.localeCompare(y))) console.log(row(endpoint, xs, rec.errors.get(endpoint) ?? 0, costs.get(endpoint)));
    console.log(row("all", all, errors, undefined));
    console.log(`${kind} CPU ms/call: server CPU per call, one call at a time after the load; the bare INSERT route costs ${baseCost.toFixed(2)} ms (CPU/base). CPU share: ms/call × count over the server's CPU in the load`);
    for (let m = 0; m * 60 < loadSeconds; m++) {
      const done = rec.timeline.filter((x) => x.at >= m * 60 && x.at < (m + 1) * 60);
      const lat = done.map((x) => x.ms);
      const mem = rss.filter((r) => r.at >= m * 60 && r.at < (m + 1) * 60).map((r) => r.bytes);
      console.log(
        `${kind} minute ${String(m + 1).padStart(2)}: ${String(done.length).padStart(5)} requests, ${String(done.filter((x) => x.failed).length).padStart(4)} errors, p50 ${ms(percentile(lat, 50))} ms, p99 ${ms(percentile(lat, 99))} ms, server RSS max ${mem.length > 0 ? mb(Math.max(...mem)) : "—"}`,
      );
    }
    console.log(`${kind} in flight: mean ${meanInFlight.toFixed(1)}, peak ${rec.peakInFlight}`);
    console.log(
      `${kind} baseline (bare INSERT route, c=${concurrency}): ${baseThroughput.toFixed(0)} req/s, p50 ${percentile(base.latencies, 50).toFixed(1)} ms, p99 ${baseP99.toFixed(1)} ms (${base.count} in ${base.seconds.toFixed(1)} s${base.failed > 0 ? `, ${base.failed} FAILED` : ""})`,
    );
    console.log(`${kind} ratio load throughput / baseline throughput: ${((throughput / baseThroughput) * 100).toFixed(1)}% (busiest second: ${((peakSecond / baseThroughput) * 100).toFixed(1)}%)`);
    console.log(
      `${kind} server: peak RSS during the load ${mb(Math.max(...rss.map((r) => r.bytes)))} (seeded and idle ${mb(idle.rss)}, at the end ${mb(end.rss)}; process max ${mb(end.maxRss)}), CPU ${((end.cpuSeconds / loadSeconds) * 100).toFixed(0)}% of one core, event-loop delay p99 ${end.loopP99.toFixed(1)} ms, max ${end.loopMax.toFixed(0)} ms`,
    );
    if (profiled !== null) {
      const share = (x: number) => `${((100 * x) / profiled.totalMs).toFixed(1)}%`;
      console.log(`${kind} server CPU profile of the load (${(profiled.totalMs / 1000).toFixed(1)} s sampled, ${profilePath}):`);
      for (const [what, t] of profiled.byKind) console.log(`  ${share(t).padStart(6)}  ${what}`);
      console.log(`${kind} busiest functions (self time):`);
      for (const [what, t] of profiled.topFunctions) console.log(`  ${share(t).padStart(6)}  ${what}`);
    }
    const loads = machine.map((m) => m.load);
    const pressures = machine.flatMap((m) => (m.pressure === null ? [] : [m.pressure]));
    const mean = (xs: readonly number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
    console.log(
      `${kind} machine: ${availableParallelism()} cores, 1-min load average during the load mean ${mean(loads).toFixed(1)}, max ${Math.max(0, ...loads).toFixed(1)}` +
        (pressures.length > 0 ? `; CPU pressure (some, avg10) mean ${mean(pressures).toFixed(0)}%` : "") +
        `; the simulated clients used ${((clientCpuSeconds / loadSeconds) * 100).toFixed(0)}% of one core` +
        (overflowsBefore !== null && overflowsAfter !== null ? `; connections dropped on a full accept queue (machine-wide TcpExt ListenOverflows): ${overflowsAfter - overflowsBefore}` : ""),
    );
    // Submits that timed out on the client may still have been stored: count what the server acknowledged or not.
    const submitted = (rec.latencies.get("POST /api/student/response/submit")?.length ?? 0) + (costRec.latencies.get("POST /api/student/response/submit")?.length ?? 0);
    const expected = submitted - (costRec.errors.get("POST /api/student/response/submit") ?? 0);
    console.log(`${kind} stored: ${stored.submitted} submitted responses (${submitted} submits sent, ${options.students} + ${world.spare.codes.length} students), ${stored.results} results, ${stored.inProgress} in progress, ${stored.alerts} alerts, ${stored.auditRows} audit rows`);
    for (const [what, n] of [...rec.kinds.entries()].sort(([x], [y]) => x.localeCompare(y))) console.log(`${kind} errors: ${what} × ${n}`);
    for (const s of [...rec.samples, ...costRec.samples.map((x) => `(cost phase) ${x}`)]) console.log(`${kind} error: ${s}`);
    const total = options.students + world.spare.codes.length;
    return errors === 0 && costErrors === 0 && base.failed === 0 && !hardStop.aborted && expected === total && stored.submitted === total && stored.results === total;
  } finally {
    await server.stop();
  }
}

function readOptions(): Options {
  const { values } = parseArgs({ args: process.argv.slice(2).filter((a) => a !== "--"), options: { minutes: { type: "string" }, students: { type: "string" }, profile: { type: "string" }, databases: { type: "string" }, "poll-seconds": { type: "string" } }, strict: true });
  const minutes = Number(values.minutes ?? process.env.LOAD_MINUTES ?? 10);
  const students = Number(values.students ?? process.env.LOAD_STUDENTS ?? 2000);
  const pollSeconds = Number(values["poll-seconds"] ?? process.env.LOAD_POLL_SECONDS ?? DEFAULT_POLL_SECONDS);
  if (!(minutes > 0) || !Number.isInteger(students) || students < 1 || !(pollSeconds > 0)) {
    console.error("bench/load: --minutes and --poll-seconds must be > 0 and --students a whole number ≥ 1");
    process.exit(2);
  }
  const databases = (values.databases ?? process.env.LOAD_DATABASES ?? "pglite,postgres").split(",").map((d) => d.trim());
  if (databases.some((d) => d !== "pglite" && d !== "postgres")) {
    console.error("bench/load: --databases takes pglite, postgres or both (comma-separated)");
    process.exit(2);
  }
  return { minutes, students, profile: values.profile ?? process.env.LOAD_PROFILE ?? null, databases: databases as ("pglite" | "postgres")[], pollSeconds };
}

async function main(): Promise<void> {
  const options = readOptions();
  const labs = Math.ceil(options.students / LAB_SIZE);
  console.log(
    `bench/load: ${options.students} students in ${labs} labs over ${options.minutes} min (labs start over the first ${STAGGER_SHARE * 100}%, a student's session ≈ ${((LAB_SHARE * options.minutes * 60) | 0)} s), ` +
      `${Math.min(SCHOOLS, labs) * COUNSELORS_PER_SCHOOL} counselors polling every ${options.pollSeconds} s, ${ANALYSTS} analysts`,
  );
  let ok = true;
  if (options.databases.includes("pglite")) {
    const dir = mkdtempSync(join(tmpdir(), "xinqing-load-"));
    try {
      ok = (await benchOn("pglite", { dataDir: dir }, options)) && ok;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const url = process.env.TEST_DATABASE_URL;
  if (options.databases.includes("postgres") && url !== undefined && url !== "") {
    ok = (await withThrowawayDatabase(url, (target) => benchOn("postgres", { url: target }, options))) && ok;
  } else if (options.databases.includes("postgres")) {
    console.log("postgres: skipped (set TEST_DATABASE_URL to a role that may CREATE DATABASE)");
  }
  if (!ok) {
    console.log("bench/load: a request failed, the run hit its time bound, or the stored rows do not match");
    process.exit(1);
  }
}

if (process.argv.includes("--serve")) await serve();
else await main();
