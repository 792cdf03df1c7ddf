/**
 * Runs a suite on both databases: PGlite in memory, and PostgreSQL when tests/global-setup.ts
 * provided a server (or TEST_DATABASE_URL is set). Each suite gets its own fresh database
 * (a new PGlite; a new PostgreSQL database, dropped afterwards), so suites never see each other's
 * rows, notifications or advisory locks and can run in parallel workers.
 *
 *   describeEachDatabase("watch list", (getDb) => {
 *     beforeAll(() => migrate(getDb()));
 *     it("…", async () => { const db = getDb(); … });
 *   });
 */
import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { afterAll, beforeAll, describe, inject } from "vitest";
import { openDatabase, type Database } from "../../src/server/db/database";
import { openPglite } from "../../src/server/db/pglite";

export type DatabaseKind = Database["kind"];

/** The PostgreSQL URL the tests may use, or undefined when PostgreSQL is skipped. */
export function postgresUrl(): string | undefined {
  const provided = inject("postgresUrl");
  if (typeof provided === "string" && provided !== "") return provided;
  const fromEnv = process.env.TEST_DATABASE_URL;
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : undefined;
}

/** The kinds this run can test. */
export function availableKinds(): DatabaseKind[] {
  return postgresUrl() === undefined ? ["pglite"] : ["pglite", "postgres"];
}

export interface TestDatabase {
  readonly db: Database;
  /** PostgreSQL: the URL of this test database (e.g. to open a second app instance on it). */
  readonly url: string | undefined;
  /** Closes the database and, on PostgreSQL, drops it. */
  dispose(): Promise<void>;
}

let counter = 0;

// initdb costs about 3 s per PGlite; a dump of a fresh one loads in about 0.5 s (one per worker).
let pgliteTemplate: Promise<Blob | File> | undefined;

function freshPgliteDump(): Promise<Blob | File> {
  pgliteTemplate ??= (async () => {
    const template = await PGlite.create();
    try {
      return await template.dumpDataDir("none");
    } finally {
      await template.close();
    }
  })();
  return pgliteTemplate;
}

/** A fresh, empty database of `kind`. */
export async function createTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "pglite") {
    const db = await openPglite({ loadDataDir: await freshPgliteDump() });
    return { db, url: undefined, dispose: () => db.close() };
  }
  const adminUrl = postgresUrl();
  if (adminUrl === undefined) throw new Error("no PostgreSQL for the tests (see tests/global-setup.ts)");
  counter += 1;
  const name = `xq_test_${process.pid}_${counter}_${randomBytes(3).toString("hex")}`;
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = await openDatabase({ url: url.toString(), poolSize: 4 });
  return {
    db,
    url: url.toString(),
    dispose: async () => {
      await db.close();
      await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export interface SuiteContext {
  readonly kind: DatabaseKind;
  /** Another fresh database of the same kind, disposed after the suite. */
  freshDatabase(): Promise<TestDatabase>;
}

/**
 * Declares `name [pglite]` and `name [postgres]` (the latter skipped when no PostgreSQL is
 * available); `getDb()` returns the suite's database once `beforeAll` has run.
 */
export function describeEachDatabase(name: string, fn: (getDb: () => Database, context: SuiteContext) => void): void {
  const url = postgresUrl();
  for (const kind of ["pglite", "postgres"] as const) {
    describe.skipIf(kind === "postgres" && url === undefined)(`${name} [${kind}]`, () => {
      let suiteDb: TestDatabase | undefined;
      const extra: TestDatabase[] = [];
      beforeAll(async () => {
        suiteDb = await createTestDatabase(kind);
      });
      afterAll(async () => {
        await Promise.all([suiteDb, ...extra].map((d) => d?.dispose()));
      });
      fn(
        () => {
          if (suiteDb === undefined) throw new Error("getDb() is available in hooks and tests, not while declaring the suite");
          return suiteDb.db;
        },
        {
          kind,
          freshDatabase: async () => {
            const d = await createTestDatabase(kind);
            extra.push(d);
            return d;
          },
        },
      );
    });
  }
}
