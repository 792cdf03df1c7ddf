/**
 * A real XinQing app on a fresh database for integration tests (`app.inject()`, no port), with a clock
 * the test moves, deterministic ids, and builders that write schools, classes, students and accounts
 * straight to the database so each test states only what it is about.
 */
import { randomBytes } from "node:crypto";
import type { Role } from "../../src/shared/api";
import { buildApp, type App } from "../../src/server/app";
import { createSession } from "../../src/server/auth/sessions";
import { deriveKeys, encrypt, blindIndex } from "../../src/server/crypto/cipher";
import type { Database } from "../../src/server/db/database";
import { migrate } from "../../src/server/db/migrate";
import { DEFAULT_CONFIG, type Deps, type ServerConfig } from "../../src/server/deps";

export interface TestClock {
  now: () => Date;
  set(at: Date | string): void;
  advance(ms: number): void;
}

export function testClock(start = "2026-03-02T08:00:00+08:00"): TestClock {
  let t = new Date(start).getTime();
  return { now: () => new Date(t), set: (at) => (t = new Date(at).getTime()), advance: (ms) => (t += ms) };
}

export interface TestServer {
  readonly app: App;
  readonly deps: Deps;
  readonly db: Database;
  readonly clock: TestClock;
  readonly seed: Seed;
  /** A signed-in staff session: headers to pass to inject(). */
  signIn(accountId: string): Promise<{ cookie: string; csrf: string; headers: Record<string, string> }>;
}

/** Builds the app on `db` (already created by describeEachDatabase), applying migrations first. */
export async function startTestServer(db: Database, config: Partial<ServerConfig> = {}): Promise<TestServer> {
  await migrate(db);
  const clock = testClock();
  let seq = 0;
  const deps: Deps = {
    db,
    keys: deriveKeys(randomBytes(32)),
    now: clock.now,
    newId: () => `id${(++seq).toString().padStart(6, "0")}${randomBytes(3).toString("hex")}`,
    randomBytes: (n) => randomBytes(n),
    config: { ...DEFAULT_CONFIG, ...config },
    logger: false,
  };
  const app = await buildApp(deps);
  await app.ready();
  const seed = makeSeed(deps);
  return {
    app,
    deps,
    db,
    clock,
    seed,
    async signIn(accountId) {
      const s = await createSession(deps, { accountId });
      const cookie = `xq_session=${s.token}`;
      return { cookie, csrf: s.csrfToken, headers: { cookie, "x-csrf-token": s.csrfToken } };
    },
  };
}

export interface Seed {
  school(over?: { code?: string; name?: string }): Promise<string>;
  klass(schoolId: string, grade: number, label?: string): Promise<string>;
  student(classId: string, over?: { studentNo?: string; name?: string; keyPopulation?: string[] }): Promise<string>;
  account(role: Role, over?: { schoolId?: string | null; classes?: { classId: string; relation: "homeroom" | "subject" | "peer" }[]; username?: string }): Promise<string>;
}

function makeSeed(deps: Deps): Seed {
  const { db, keys } = deps;
  let n = 0;
  return {
    async school(over = {}) {
      const id = deps.newId();
      n += 1;
      await db.query("INSERT INTO schools (id, code, name) VALUES ($1, $2, $3)", [id, over.code ?? `S${n}`, over.name ?? `第${n}中学`]);
      return id;
    },
    async klass(schoolId, grade, label = "1") {
      const id = deps.newId();
      await db.query("INSERT INTO classes (id, school_id, grade, label) VALUES ($1, $2, $3, $4)", [id, schoolId, grade, label]);
      return id;
    },
    async student(classId, over = {}) {
      const id = deps.newId();
      n += 1;
      const { rows } = await db.query<{ school_id: string; grade: number }>("SELECT school_id, grade FROM classes WHERE id = $1", [classId]);
      const { school_id: schoolId, grade } = rows[0]!;
      const studentNo = over.studentNo ?? `2026${n.toString().padStart(4, "0")}`;
      await db.query(
        `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, grade, key_population)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [id, schoolId, classId, blindIndex(keys, studentNo, `student_no:${schoolId}`), encrypt(keys, studentNo, `students.student_no_enc:${id}`), encrypt(keys, over.name ?? `学生${n}`, `students.name_enc:${id}`), grade, JSON.stringify(over.keyPopulation ?? [])],
      );
      return id;
    },
    async account(role, over = {}) {
      const id = deps.newId();
      n += 1;
      const schoolId = over.schoolId === undefined ? null : over.schoolId;
      await db.query("INSERT INTO accounts (id, username, role, school_id) VALUES ($1, $2, $3, $4)", [id, over.username ?? `${role}${n}`, role, schoolId]);
      for (const c of over.classes ?? []) {
        await db.query("INSERT INTO account_classes (account_id, class_id, relation) VALUES ($1, $2, $3)", [id, c.classId, c.relation]);
      }
      return id;
    },
  };
}
