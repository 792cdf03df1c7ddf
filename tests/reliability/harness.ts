/**
 * What the fault suites share: a store (a PGlite data directory, or a fresh PostgreSQL database of the test
 * cluster), a lab seeded in it through the real waves API (a school, a grade-8 class, students with access
 * codes, a counselor), the real server as a child process (`node --import tsx src/server/main.ts`, as
 * `npm start` runs it), and simulated students who sign in with their codes and submit over loopback HTTP.
 * Nothing is mocked: a fault is a real signal to a real process.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { cpSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe } from "vitest";
import { buildApp } from "../../src/server/app";
import { createSession } from "../../src/server/auth/sessions";
import type { Env } from "../../src/server/config";
import { blindIndex, encrypt } from "../../src/server/crypto/cipher";
import { generateKeyText } from "../../src/server/crypto/key";
import { openDatabase, type Database, type Queryable } from "../../src/server/db/database";
import { migrate } from "../../src/server/db/migrate";
import { DEFAULT_CONFIG, type Deps } from "../../src/server/deps";
import { ensureDefaultSettings, loadConfig, openStore } from "../../src/server/main";
import type { AnswersBody } from "../../src/shared/responses";
import { availableKinds, createTestDatabase } from "../helpers/databases";
import { freePort, runScript, tempDir, waitForHealth, type Child } from "../server/startup/child";

export type Kind = "pglite" | "postgres";

/**
 * Declares `name` with a suite per database, `[pglite]` and `[postgres]` (skipped without PostgreSQL). The
 * suite runs at the same time as its concurrent siblings, and so do its two databases' suites (their
 * servers are separate processes); the tests inside each database's suite run one after the other, in
 * order, on that suite's store.
 */
export function describeEachKind(name: string, fn: (kind: Kind) => void): void {
  describe(name, { concurrent: true }, () => {
    for (const kind of ["pglite", "postgres"] as const) {
      describe.skipIf(!availableKinds().includes(kind))(`[${kind}]`, { concurrent: true }, () => {
        describe.sequential("in order", { timeout: 180_000 }, () => fn(kind));
      });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Stores

/** Where one installation's data lives, and the environment that points the server and the CLI at it. */
export interface Store {
  readonly kind: Kind;
  /** XINQING_DATA, XINQING_KEY and, on PostgreSQL, DATABASE_URL. */
  readonly env: Record<string, string>;
  readonly dataDir: string;
  /** Runs `fn` on the store's database. PGlite: opens the data directory, so no server may hold it. */
  withDb<T>(fn: (db: Database) => Promise<T>): Promise<T>;
  dispose(): Promise<void>;
}

// A new PGlite data directory costs an initdb (seconds, more on a busy machine): each store starts from a
// copy of one migrated directory made once per test file.
let pgliteTemplate: Promise<string> | undefined;

function migratedPgliteDir(): Promise<string> {
  pgliteTemplate ??= (async () => {
    const dir = join(tempDir("xinqing-template-"), "pgdata");
    const db = await openDatabase({ dataDir: dir });
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    return dir;
  })();
  return pgliteTemplate;
}

/**
 * A fresh store of `kind` with its own key, migrated but holding no data yet; `url` runs on that PostgreSQL
 * database instead of a new one of the test cluster.
 */
export async function newStore(kind: Kind, options: { url?: string } = {}): Promise<Store> {
  const dataDir = tempDir("xinqing-reliability-");
  const key = generateKeyText();
  if (kind === "pglite") {
    cpSync(await migratedPgliteDir(), join(dataDir, "pgdata"), { recursive: true });
    return {
      kind,
      dataDir,
      env: { XINQING_DATA: dataDir, XINQING_KEY: key },
      async withDb(fn) {
        const db = await openDatabase({ dataDir: join(dataDir, "pgdata") });
        try {
          return await fn(db);
        } finally {
          await db.close();
        }
      },
      async dispose() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const test = options.url === undefined ? await createTestDatabase("postgres") : undefined;
  const url = options.url ?? test!.url!;
  let db: Database | undefined = test?.db;
  return {
    kind,
    dataDir,
    env: { XINQING_DATA: dataDir, XINQING_KEY: key, DATABASE_URL: url },
    async withDb(fn) {
      db ??= await openDatabase({ url, poolSize: 2 });
      return fn(db);
    },
    async dispose() {
      if (test) await test.dispose();
      else await db?.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Every row of every table as sorted JSON text: what must stay the same through a fault. */
export async function snapshotRows(db: Queryable): Promise<Record<string, string[]>> {
  const { rows: tables } = await db.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1");
  const out: Record<string, string[]> = {};
  for (const { t } of tables) {
    const { rows } = await db.query<{ r: string }>(`SELECT to_jsonb(x)::text AS r FROM "${t}" x`);
    out[t] = rows.map((r) => r.r).sort();
  }
  return out;
}

/** The columns of every table (name, type, nullability), for "the schema did not change". */
export async function snapshotSchema(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ c: string }>(
    `SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS c FROM information_schema.columns
      WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position`,
  );
  return rows.map((r) => r.c);
}

// ---------------------------------------------------------------------------------------------
// The lab

export interface LabStudent {
  readonly id: string;
  readonly code: string;
  readonly name: string;
}

export interface Lab {
  readonly schoolId: string;
  readonly waveId: string;
  readonly students: readonly LabStudent[];
  /** Headers of a signed-in counselor of the school (cookie, CSRF), valid for 30 idle minutes. */
  readonly counselor: Record<string, string>;
}

/**
 * Opens the store as the server does (migrations, key check), then, through the real app in process:
 * a school, a grade-8 class of `students`, a school lead who creates and opens the spring wave and
 * issues the codes, and a counselor's session. Closes everything before returning (PGlite: one process).
 */
export async function seedLab(store: Store, students: number): Promise<Lab> {
  const opened = await openStore(loadConfig(store.env as Env), { purpose: "seed" });
  const deps: Deps = {
    db: opened.db,
    keys: opened.keys,
    now: () => new Date(),
    newId: () => randomUUID(),
    randomBytes: (n) => randomBytes(n),
    config: DEFAULT_CONFIG,
    logger: false,
  };
  const app = await buildApp(deps);
  try {
    await app.ready();
    const { db, keys } = deps;
    await ensureDefaultSettings(db);
    const schoolId = randomUUID();
    await db.query("INSERT INTO schools (id, code, name) VALUES ($1, 'R001', '可靠性实验中学')", [schoolId]);
    const classId = randomUUID();
    await db.query("INSERT INTO classes (id, school_id, grade, label) VALUES ($1, $2, 8, '1')", [classId, schoolId]);
    const roster: { id: string; name: string }[] = [];
    for (let i = 1; i <= students; i++) {
      const id = randomUUID();
      const studentNo = `2026${String(i).padStart(4, "0")}`;
      const name = `可靠性学生${String(i).padStart(3, "0")}`;
      await db.query(
        `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, grade) VALUES ($1, $2, $3, $4, $5, $6, 8)`,
        [id, schoolId, classId, blindIndex(keys, studentNo, `student_no:${schoolId}`), encrypt(keys, studentNo, `students.student_no_enc:${id}`), encrypt(keys, name, `students.name_enc:${id}`)],
      );
      roster.push({ id, name });
    }
    const account = async (role: string, username: string): Promise<Record<string, string>> => {
      const id = randomUUID();
      await db.query("INSERT INTO accounts (id, username, role, school_id) VALUES ($1, $2, $3, $4)", [id, username, role, schoolId]);
      const s = await createSession(deps, { accountId: id });
      return { cookie: `xq_session=${s.token}`, "x-csrf-token": s.csrfToken };
    };
    const lead = await account("school-lead", "lead1");
    const counselor = await account("counselor", "counselor1");
    const call = async <T>(url: string, payload: object): Promise<T> => {
      const res = await app.inject({ method: "POST", url, headers: lead, payload });
      if (res.statusCode >= 300) throw new Error(`seeding: POST ${url}: ${res.statusCode} ${res.body}`);
      return res.json() as T;
    };
    const now = Date.now();
    const wave = await call<{ id: string }>(`/api/schools/${schoolId}/waves`, {
      schoolYear: "2025-2026",
      season: "spring",
      opensAt: new Date(now - 3_600_000).toISOString(),
      closesAt: new Date(now + 30 * 86_400_000).toISOString(),
    });
    await call(`/api/waves/${wave.id}/open`, {});
    const issued = await call<{ issued: { studentId: string; code: string }[] }>(`/api/waves/${wave.id}/codes`, {});
    const codeOf = new Map(issued.issued.map((s) => [s.studentId, s.code]));
    return { schoolId, waveId: wave.id, students: roster.map((s) => ({ ...s, code: codeOf.get(s.id)! })), counselor };
  } finally {
    await app.close();
    await opened.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The server process

export interface ServerProcess {
  readonly child: Child;
  readonly port: number;
  readonly base: string;
}

const running = new Set<Child>();

/** Starts `src/server/main.ts` on `port` (a free one by default) and waits until /api/health answers 200. */
export async function startServerProcess(env: Record<string, string>, port?: number): Promise<ServerProcess> {
  const p = port ?? (await freePort());
  const child = runScript("src/server/main.ts", [], { LOG_LEVEL: "warn", ...env, PORT: String(p) });
  running.add(child);
  void child.exited.then(() => running.delete(child));
  await waitForHealth(child, p, 60_000);
  return { child, port: p, base: `http://127.0.0.1:${p}` };
}

/** `kill -9`: no handler runs, nothing is flushed or closed. Resolves once the process is gone. */
export async function killHard(server: ServerProcess): Promise<void> {
  server.child.process.kill("SIGKILL");
  await server.child.exited;
}

/** SIGTERM, and the exit code (0 when every in-flight request finished). */
export async function stopServer(server: ServerProcess): Promise<number | null> {
  server.child.process.kill("SIGTERM");
  return server.child.exited;
}

/** Kills `server` when it still runs (a test's clean-up after a failure). */
export async function ensureStopped(server: ServerProcess | undefined): Promise<void> {
  if (server === undefined || server.child.process.exitCode !== null || server.child.process.signalCode !== null) return;
  await killHard(server);
}

/** Kills every server a suite left running (call in afterAll). */
export async function killAllServers(): Promise<void> {
  const alive = [...running];
  alive.forEach((c) => c.process.kill("SIGKILL"));
  await Promise.all(alive.map((c) => c.exited));
}

/** Runs `xinqing <args>` (src/cli/main.ts, what `npm run xinqing --` runs) and waits for it. */
export async function runCliProcess(args: readonly string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = runScript("src/cli/main.ts", args, env);
  const code = await child.exited;
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

// ---------------------------------------------------------------------------------------------
// Simulated students

/** The spring battery of grades 7-12 answered in full; `critical` puts a danger sign in it. */
export function fullBattery(critical: "none" | "phq9-item9" | "asq" = "none"): AnswersBody {
  const items = (values: number[]) => Object.fromEntries(values.map((v, i) => [`q${i + 1}`, v]));
  return {
    phq9: items(critical === "phq9-item9" ? [1, 1, 1, 1, 0, 1, 1, 0, 2] : [1, 1, 0, 1, 0, 1, 0, 0, 0]),
    gad7: items([1, 0, 1, 1, 0, 1, 0]),
    who5: items([3, 3, 2, 3, 3]),
    asq: critical === "asq" ? { q1: "yes", q2: "no", q3: "no", q4: "no", q5: "no" } : { q1: "no", q2: "no", q3: "no", q4: "no" },
    "wellbeing-factors": { sleep: 1, exercise: 2, "screen-time": 1, attention: 1, friends: 0, pressure: 1, family: 0 },
  };
}

/** Page visits of 40 s each ending now, so the response passes the speed check like a real one. */
export function visitsOf(answers: AnswersBody): { instrument: string; startedAt: number; endedAt: number }[] {
  const instruments = Object.keys(answers);
  const start = Date.now() - instruments.length * 45_000;
  return instruments.map((instrument, i) => ({ instrument, startedAt: start + i * 45_000, endedAt: start + i * 45_000 + 40_000 }));
}

/** An idempotency key as the page makes one: random, URL-safe. */
export const newKey = (): string => randomBytes(16).toString("base64url");

/** A request that got no HTTP answer at all (refused, reset, or the server died mid-request). */
export class NoAnswer extends Error {
  /** Nobody was listening (as opposed to a connection that died with the request on it). */
  get refused(): boolean {
    const codes: unknown[] = [];
    for (let e: unknown = this.cause; typeof e === "object" && e !== null; e = (e as { cause?: unknown }).cause) codes.push((e as { code?: unknown }).code);
    return codes.includes("ECONNREFUSED");
  }
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

/** One lab PC: the student's cookie and CSRF token after the code, and calls with them. */
export class SimStudent {
  cookie = "";
  csrf = "";

  constructor(
    public base: string,
    readonly student: LabStudent,
  ) {}

  async call(method: "GET" | "POST" | "PUT", path: string, body?: unknown): Promise<Answer> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: { ...(this.cookie === "" ? {} : { cookie: this.cookie }), ...(this.csrf === "" ? {} : { "x-csrf-token": this.csrf }), ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(20_000),
      });
    } catch (e) {
      throw new NoAnswer(`${method} ${path}: ${(e as Error).message}`, { cause: e });
    }
    const text = await res.text().catch((e: unknown) => {
      throw new NoAnswer(`${method} ${path}: body lost: ${(e as Error).message}`, { cause: e });
    });
    return { status: res.status, body: text === "" ? {} : (JSON.parse(text) as Record<string, unknown>) };
  }

  /** Enters the code; keeps the session cookie and CSRF token as the browser would. */
  async signIn(): Promise<void> {
    const res = await fetch(`${this.base}/api/student/session`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code: this.student.code }) });
    const body = (await res.json()) as { csrfToken?: string };
    if (res.status !== 200 || body.csrfToken === undefined) throw new Error(`code entry: ${res.status} ${JSON.stringify(body)}`);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith("xq_session="));
    this.cookie = cookie!.split(";")[0]!;
    this.csrf = body.csrfToken;
  }
}

/**
 * Calls `attempt` until it answers something other than a network failure or a 5xx (the page's retry loop:
 * the same request, so the same idempotency key), waiting `delayMs` between tries, for at most `timeoutMs`.
 */
export async function retrying(attempt: () => Promise<Answer>, timeoutMs = 60_000, delayMs = 250): Promise<Answer & { tries: number }> {
  const deadline = Date.now() + timeoutMs;
  for (let tries = 1; ; tries++) {
    try {
      const answer = await attempt();
      if (answer.status < 500) return { ...answer, tries };
      if (Date.now() > deadline) throw new Error(`still ${answer.status} after ${tries} tries: ${JSON.stringify(answer.body)}`);
    } catch (e) {
      if (!(e instanceof NoAnswer) || Date.now() > deadline) throw e;
    }
    await new Promise((r) => setTimeout(r, delayMs));
  }
}

/** Polls GET /api/health until it answers `status`; returns its body. Fails at once when the server exits. */
export async function healthBecomes(server: ServerProcess, status: number, timeoutMs = 60_000): Promise<Record<string, unknown>> {
  const { base, child } = server;
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  while (Date.now() < deadline) {
    if (child.process.exitCode !== null || child.process.signalCode !== null) {
      throw new Error(`the server exited (${child.process.exitCode ?? child.process.signalCode}) while /api/health was expected to answer ${status}: ${child.stderr().slice(-3000)}`);
    }
    try {
      const res = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(15_000) });
      const body = (await res.json()) as Record<string, unknown>;
      if (res.status === status) return body;
      last = `${res.status} ${JSON.stringify(body)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`/api/health did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}
