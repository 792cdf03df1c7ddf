/**
 * vitest globalSetup: gives the tests a PostgreSQL server (inject("postgresUrl")), so every
 * database suite runs on PGlite and on PostgreSQL (tests/helpers/databases.ts).
 *
 * 1. TEST_DATABASE_URL set: use it (its role needs CREATEDB: each suite gets its own database).
 * 2. Else, PostgreSQL's server binaries installed (Debian: /usr/lib/postgresql/N/bin): a throw-away
 *    cluster in a temp dir (as user `postgres` when running as root, since initdb refuses root), on
 *    a free loopback port, with a `xinqing_test` role and database; stopped and deleted at the end.
 * 3. Else: with CI set, fail (CI must test PostgreSQL; run .ci/postgres.sh); otherwise print one
 *    line and run the PGlite half only. TEST_POSTGRES=0 skips PostgreSQL on purpose (not in CI).
 */
import { execFile, execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    /** Admin-capable URL of a PostgreSQL test database, or null when PostgreSQL is skipped. */
    postgresUrl: string | null;
    /** Where the e2e suites share one build of the SPA (made by the first suite that needs it). */
    e2eSpaDir: string;
  }
}

const run = promisify(execFile);

/** The newest Debian PostgreSQL bin dir with initdb and pg_ctl, or a PG_BIN override. */
function findServerBinaries(): string | undefined {
  const candidates: string[] = [];
  if (process.env.PG_BIN !== undefined && process.env.PG_BIN !== "") candidates.push(process.env.PG_BIN);
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(root, v, "bin")));
  }
  return candidates.find((dir) => existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl")));
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** A throw-away PostgreSQL cluster; returns its URL and a synchronous stop-and-delete. */
async function startCluster(bin: string): Promise<{ url: string; stop: () => void }> {
  const isRoot = process.getuid?.() === 0;
  const base = mkdtempSync(join(tmpdir(), "xinqing-pg-"));
  const dataDir = join(base, "data");
  const logFile = join(base, "server.log");
  const owner = isRoot ? findPostgresUser() : undefined;
  if (owner !== undefined) chownSync(base, owner.uid, owner.gid);
  chmodSync(base, 0o700);
  // initdb refuses to run as root: run the server tools as `postgres` then.
  const asOwner = (cmd: string, args: string[]): [string, string[]] => (isRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args]);
  const tool = (name: string): string => join(bin, name);

  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    try {
      const [cmd, args] = asOwner(tool("pg_ctl"), ["-D", dataDir, "-m", "immediate", "-w", "stop"]);
      if (existsSync(join(dataDir, "postmaster.pid"))) execFileSync(cmd, args, { stdio: "ignore" });
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  };

  try {
    const [initCmd, initArgs] = asOwner(tool("initdb"), ["-D", dataDir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
    await run(initCmd, initArgs);
    let port = 0;
    for (let attempt = 1; ; attempt += 1) {
      port = await freePort();
      // Settings for a disposable test server: no durability, room for parallel suites.
      const serverOptions = `-k ${base} -h 127.0.0.1 -p ${port} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`;
      const [ctlCmd, ctlArgs] = asOwner(tool("pg_ctl"), ["-D", dataDir, "-l", logFile, "-w", "-t", "60", "-o", serverOptions, "start"]);
      try {
        await run(ctlCmd, ctlArgs);
        break;
      } catch (e) {
        // The port may have been taken between freePort() and start: try another.
        if (attempt >= 3) throw e;
      }
    }
    const admin = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
    await admin.connect();
    try {
      await admin.query("CREATE ROLE xinqing_test LOGIN CREATEDB");
      // Test databases are dropped WITH (FORCE), which must terminate every other session in them. An
      // autovacuum worker there belongs to no login role, and a role that is not a superuser may end it
      // only with pg_signal_backend (without it, a drop that met one failed a CI run).
      await admin.query("GRANT pg_signal_backend TO xinqing_test");
      await admin.query("CREATE DATABASE xinqing_test OWNER xinqing_test");
    } finally {
      await admin.end();
    }
    return { url: `postgres://xinqing_test@127.0.0.1:${port}/xinqing_test`, stop };
  } catch (e) {
    const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : "";
    stop();
    throw new Error(`could not start a throw-away PostgreSQL with ${bin}: ${(e as Error).message}${log === "" ? "" : `\n${log}`}`, { cause: e });
  }
}

function findPostgresUser(): { uid: number; gid: number } {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch (e) {
    throw new Error("running as root, the throw-away PostgreSQL needs a `postgres` user (initdb refuses root); install Debian's postgresql package or set TEST_DATABASE_URL", { cause: e });
  }
}

async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (e) {
    throw new Error(`TEST_DATABASE_URL is set but PostgreSQL cannot be reached: ${(e as Error).message}`, { cause: e });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const spaDir = mkdtempSync(join(tmpdir(), "xq-e2e-spa-"));
  project.provide("e2eSpaDir", spaDir);
  const removeSpa = () => rmSync(spaDir, { recursive: true, force: true });
  process.once("exit", removeSpa);
  const stopPostgres = await setupPostgres(project);
  return () => {
    stopPostgres();
    process.removeListener("exit", removeSpa);
    removeSpa();
  };
}

async function setupPostgres(project: TestProject): Promise<() => void> {
  const inCi = process.env.CI !== undefined && process.env.CI !== "" && process.env.CI !== "false";
  const fromEnv = process.env.TEST_DATABASE_URL;
  if (fromEnv !== undefined && fromEnv !== "") {
    await checkReachable(fromEnv);
    project.provide("postgresUrl", fromEnv);
    return () => undefined;
  }
  if (process.env.TEST_POSTGRES === "0" && !inCi) {
    console.log("[xinqing tests] TEST_POSTGRES=0: PostgreSQL tests skipped, PGlite only.");
    project.provide("postgresUrl", null);
    return () => undefined;
  }
  const bin = findServerBinaries();
  if (bin === undefined) {
    if (inCi) {
      throw new Error("CI is set but PostgreSQL is not available: run .ci/postgres.sh (apt-get install postgresql) or set TEST_DATABASE_URL");
    }
    console.log("[xinqing tests] PostgreSQL server binaries not found (apt-get install postgresql, or set TEST_DATABASE_URL): PostgreSQL tests skipped, PGlite only.");
    project.provide("postgresUrl", null);
    return () => undefined;
  }
  const cluster = await startCluster(bin);
  // A killed run still removes the cluster; the returned teardown covers the normal end.
  process.once("exit", cluster.stop);
  project.provide("postgresUrl", cluster.url);
  return () => {
    process.removeListener("exit", cluster.stop);
    cluster.stop();
  };
}
