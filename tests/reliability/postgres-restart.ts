/**
 * Issue 8, "Faults": PostgreSQL goes down in the middle of a lab burst and comes back. The server must say
 * so on /api/health (503 unhealthy) without dying, the database must hold no half-written submission
 * (crash recovery keeps whole transactions: a submitted response with its result, its recorded reply and
 * its alert, or none of them), and once PostgreSQL is back the server reconnects by itself and the
 * clients' retries, with their idempotency keys, go through. A second test pins down why the server once
 * died here: a transaction's connection lost while checked out of the pool (src/server/db/postgres.ts).
 *
 * The test cluster of tests/global-setup.ts is shared with the other suites, so this suite starts and
 * stops a throw-away cluster of its own (initdb/pg_ctl, as the global set-up does). Without PostgreSQL's
 * server binaries it skips with one line, except under CI, where that fails the run.
 */
import { execFile } from "node:child_process";
import { chmodSync, chownSync, existsSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { afterAll, beforeAll, describe, it } from "vitest";
import { DbConnectionError, openDatabase } from "../../src/server/db/database";
import type { AnswersBody } from "../../src/shared/responses";
import { freePort, tempDir } from "../server/startup/child";
import { ensureStopped, fullBattery, healthBecomes, newKey, NoAnswer, newStore, seedLab, SimStudent, startServerProcess, stopServer, visitsOf, type Answer, type ServerProcess, type Store } from "./harness";

const run = promisify(execFile);
const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";

/** The newest Debian PostgreSQL bin dir with initdb and pg_ctl, or a PG_BIN override. */
function serverBinaries(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN !== undefined && process.env.PG_BIN !== "") candidates.push(process.env.PG_BIN);
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    candidates.push(
      ...readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join(root, v, "bin")),
    );
  }
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
}

/** A throw-away cluster this suite may stop and start at will. */
class Cluster {
  readonly base = tempDir("xinqing-pg-restart-");
  readonly dataDir = join(this.base, "data");
  readonly isRoot = process.getuid?.() === 0;
  port = 0;

  constructor(private readonly binDir: string) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/xinqing`;
  }

  /** initdb refuses root: as root, the server tools run as `postgres`. */
  private async tool(name: string, args: string[]): Promise<void> {
    const cmd = join(this.binDir, name);
    await (this.isRoot ? run("runuser", ["-u", "postgres", "--", cmd, ...args]) : run(cmd, args));
  }

  async init(): Promise<void> {
    if (this.isRoot) {
      const id = async (flag: string) => Number((await run("id", [flag, "postgres"])).stdout.trim());
      chownSync(this.base, await id("-u"), await id("-g"));
    }
    chmodSync(this.base, 0o700);
    await this.tool("initdb", ["-D", this.dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    this.port = await freePort();
    await this.start();
    const admin = new pg.Client({ host: "127.0.0.1", port: this.port, user: "postgres", database: "postgres" });
    await admin.connect();
    try {
      await admin.query("CREATE DATABASE xinqing");
    } finally {
      await admin.end();
    }
  }

  /**
   * Starts (or restarts) the cluster on its port. fsync is off (the machine does not crash, only
   * PostgreSQL stops) but synchronous_commit stays on: a commit PostgreSQL acknowledged is in its WAL.
   */
  async start(): Promise<void> {
    const options = `-k ${this.base} -h 127.0.0.1 -p ${this.port} -c fsync=off -c full_page_writes=off`;
    try {
      await this.tool("pg_ctl", ["-D", this.dataDir, "-l", join(this.base, "server.log"), "-w", "-t", "60", "-o", options, "start"]);
    } catch (e) {
      const log = existsSync(join(this.base, "server.log")) ? readFileSync(join(this.base, "server.log"), "utf8").slice(-2000) : "";
      throw new Error(`could not start the throw-away PostgreSQL: ${(e as Error).message}\n${log}`, { cause: e });
    }
  }

  /** Stops at once, as a crash or a power cut of the database host would: no checkpoint, recovery at the next start. */
  async stopImmediately(): Promise<void> {
    await this.tool("pg_ctl", ["-D", this.dataDir, "-m", "immediate", "-w", "stop"]);
  }

  async destroy(): Promise<void> {
    if (existsSync(join(this.dataDir, "postmaster.pid"))) await this.stopImmediately().catch(() => undefined);
  }
}

const STUDENTS = 30;
/** The first half submits before PostgreSQL stops; the second half starts as it stops. */
const FIRST_HALF = 15;
const STOP_AFTER_ACKS = 8;

/** Declares the suite (skipped with one line without initdb/pg_ctl, failing under CI). */
export function describePostgresRestart(): void {
  const bin = serverBinaries();
  if (bin === undefined) {
    if (inCi) throw new Error("CI is set but PostgreSQL's server binaries (initdb, pg_ctl) are missing: run .ci/postgres.sh");
    console.warn("reliability: 'PostgreSQL restarted during a burst' skipped: no initdb/pg_ctl (apt-get install postgresql, or set PG_BIN)");
  }
  describe.skipIf(bin === undefined)("PostgreSQL restarted during a lab burst", { concurrent: true }, () => {
    describe.sequential("on a throw-away cluster", { timeout: 240_000 }, () => {
      let cluster: Cluster;
      beforeAll(async () => {
        cluster = new Cluster(bin!);
        await cluster.init();
      }, 120_000);
      afterAll(() => cluster?.destroy());

      it("reports unhealthy, keeps no half-written submission, reconnects by itself, and the clients' retries succeed", { timeout: 240_000 }, async ({ expect }) => {
        let server: ServerProcess | undefined;
        let store: Store | undefined;
        try {
          store = await newStore("postgres", { url: cluster.url });
          const lab = await seedLab(store, STUDENTS);
          server = await startServerProcess(store.env);
          const base = server.base;
          const students = lab.students.map((s, i) => {
            const critical = i % 6 === 0 ? ("phq9-item9" as const) : i % 6 === 3 ? ("asq" as const) : ("none" as const);
            return { sim: new SimStudent(base, s), critical, answers: fullBattery(critical), key: newKey(), responseId: undefined as string | undefined, failures: 0 };
          });
          await Promise.all(students.map((s) => s.sim.signIn()));

          // A failed call waits until the test lets the clients retry: first the database is inspected as
          // PostgreSQL's crash recovery left it, untouched by any retry.
          let release: () => void = () => undefined;
          const released = new Promise<void>((resolve) => (release = resolve));
          let onStopped: () => void = () => undefined;
          const stopped = new Promise<void>((resolve) => (onStopped = resolve));
          let acks = 0;
          let onEnough: () => void = () => undefined;
          const enough = new Promise<void>((resolve) => (onEnough = resolve));
          const persist = async (s: (typeof students)[number], call: () => Promise<Answer>): Promise<Answer> => {
            for (;;) {
              try {
                const a = await call();
                if (a.status < 500) return a;
              } catch (e) {
                if (!(e instanceof NoAnswer)) throw e;
              }
              s.failures += 1;
              await released;
              await new Promise((r) => setTimeout(r, 100));
            }
          };
          const burst = Promise.all(
            students.map(async (s, i) => {
              if (i >= FIRST_HALF) await stopped;
              await new Promise((r) => setTimeout(r, (i % FIRST_HALF) * 100));
              const body = { idempotencyKey: s.key, answers: s.answers, pages: visitsOf(s.answers) };
              const a = await persist(s, () => s.sim.call("POST", "/api/student/response/submit", body));
              expect(a.status, JSON.stringify(a.body)).toBe(200);
              s.responseId = String(a.body.responseId);
              acks += 1;
              if (acks >= STOP_AFTER_ACKS) onEnough();
            }),
          );

          await Promise.race([enough, burst]);
          await cluster.stopImmediately();
          onStopped();
          const acknowledged = new Map(students.filter((s) => s.responseId !== undefined).map((s) => [s.sim.student.id, s.responseId!]));
          expect(acknowledged.size).toBeGreaterThanOrEqual(STOP_AFTER_ACKS);
          expect(acknowledged.size).toBeLessThanOrEqual(FIRST_HALF);

          // The server stays up and says it cannot reach its database.
          const health = await healthBecomes(server, 503);
          expect(health).toMatchObject({ status: "unhealthy", database: "postgres" });
          expect(String((health.checks as { database: string }).database)).toMatch(/cannot connect to PostgreSQL|Connection terminated|ECONNREFUSED|terminat/i);
          const whileDown = await students[STUDENTS - 1]!.sim.call("POST", "/api/student/response/submit", { idempotencyKey: newKey(), answers: {} });
          expect(whileDown.status).toBeGreaterThanOrEqual(500);
          expect(server.child.process.exitCode).toBeNull();

          await cluster.start();
          // As crash recovery left it: whole submissions only, every acknowledged one among them.
          const direct = new pg.Client({ connectionString: cluster.url });
          await direct.connect();
          try {
            const { rows } = await direct.query<{ id: string; student_id: string; status: string; results: number; replies: number; alerts: number }>(
              `SELECT r.id, r.student_id, r.status,
                      (SELECT count(*)::int FROM results x WHERE x.response_id = r.id) AS results,
                      (SELECT count(*)::int FROM idempotency_keys k WHERE k.scope = r.student_id AND k.key LIKE 'submit:%') AS replies,
                      (SELECT count(*)::int FROM alerts a WHERE a.source = 'response' AND a.source_id = r.id) AS alerts
                 FROM responses r WHERE r.wave_id = $1`,
              [lab.waveId],
            );
            const criticalOf = new Map(students.map((s) => [s.sim.student.id, s.critical]));
            for (const row of rows) {
              const whole = row.status === "submitted" ? { results: 1, replies: 1, alerts: criticalOf.get(row.student_id) === "none" ? 0 : 1 } : { results: 0, replies: 0, alerts: 0 };
              expect(row, `response of ${row.student_id}`).toMatchObject(whole);
            }
            const submitted = new Map(rows.filter((r) => r.status === "submitted").map((r) => [r.student_id, r.id]));
            for (const [studentId, responseId] of acknowledged) expect(submitted.get(studentId)).toBe(responseId);
          } finally {
            await direct.end();
          }

          // No restart of XinQing: its pool finds the database again by itself.
          await healthBecomes(server, 200);
          release();
          await burst;
          const retried = students.filter((s) => s.failures > 0).length;
          expect(retried).toBeGreaterThan(0);
          console.log(`PostgreSQL stopped after ${acknowledged.size} of ${STUDENTS} submits were acknowledged; ${retried} students retried after it came back`);

          const replays = await Promise.all(students.map((s) => s.sim.call("POST", "/api/student/response/submit", { idempotencyKey: s.key, answers: s.answers })));
          expect(replays.map((r) => [r.status, r.body.responseId])).toEqual(students.map((s) => [200, s.responseId]));
          expect(await stopServer(server)).toBe(0);

          await store.withDb(async (db) => {
            const { rows } = await db.query<{ id: string; student_id: string; status: string; answers: AnswersBody; results: number; alerts: number }>(
              `SELECT r.id, r.student_id, r.status, r.answers,
                      (SELECT count(*)::int FROM results x WHERE x.response_id = r.id) AS results,
                      (SELECT count(*)::int FROM alerts a WHERE a.source = 'response' AND a.source_id = r.id) AS alerts
                 FROM responses r WHERE r.wave_id = $1`,
              [lab.waveId],
            );
            expect(rows).toHaveLength(STUDENTS);
            const byStudent = new Map(rows.map((r) => [r.student_id, r]));
            for (const s of students) {
              expect(byStudent.get(s.sim.student.id)).toMatchObject({ id: s.responseId, status: "submitted", answers: s.answers, results: 1, alerts: s.critical === "none" ? 0 : 1 });
            }
          });
        } finally {
          await ensureStopped(server);
          await store?.dispose().catch(() => undefined);
        }
      });

      it("fails a transaction open when PostgreSQL stops with a connection error, not a crash, and the same pool works once it is back", async ({ expect }) => {
        // A client checked out of the pool has no error listener of the pool's: without one of the
        // transaction's own, the lost connection is an unhandled 'error' event that ends the process
        // (here: an unhandled error that fails the run).
        const db = await openDatabase({ url: cluster.url.replace(/\/xinqing$/, "/postgres"), poolSize: 2 });
        try {
          let entered: () => void = () => undefined;
          const inside = new Promise<void>((resolve) => (entered = resolve));
          let resume: () => void = () => undefined;
          const resumed = new Promise<void>((resolve) => (resume = resolve));
          const outcome = db
            .transaction(async (tx) => {
              await tx.query("SELECT 1");
              entered();
              await resumed;
              await tx.query("SELECT 2");
            })
            .then(
              () => "committed",
              (e: unknown) => e,
            );
          await inside;
          await cluster.stopImmediately();
          resume();
          const error = await outcome;
          expect(error).toBeInstanceOf(DbConnectionError);
          await cluster.start();
          expect((await db.query<{ one: number }>("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
        } finally {
          await db.close();
        }
      });
    });
  });
}
