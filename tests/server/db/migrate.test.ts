import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DbError, openDatabase, type Database } from "../../../src/server/db/database";
import { MIGRATIONS_DIR, MigrationError, checksumOf, migrate, readMigrations } from "../../../src/server/db/migrate";
import { describeEachDatabase } from "../../helpers/databases";

const temps: string[] = [];
afterAll(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A migrations folder holding `files` (name → SQL). */
function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "xinqing-migrations-"));
  temps.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const { rows } = await db.query<{ t: string | null }>("SELECT to_regclass($1)::text AS t", [table]);
  return rows[0]?.t !== null;
}

async function migrationError(p: Promise<unknown>): Promise<MigrationError> {
  const e = await p.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(e instanceof MigrationError)) throw new Error(`expected a MigrationError, got ${String(e)}`);
  return e;
}

const FIRST = {
  "001_schools.sql": "CREATE TABLE schools (id serial PRIMARY KEY, name text NOT NULL);\nINSERT INTO schools (name) VALUES ('一中');\n",
  "002_classes.sql": "CREATE TABLE classes (id serial PRIMARY KEY, school_id integer NOT NULL REFERENCES schools (id));\n",
};

describe("readMigrations", () => {
  it("orders files by number and ignores files that are not SQL", async () => {
    const dir = migrationsDir({ "010_c.sql": "SELECT 1;", "002_b.sql": "SELECT 1;", "001_a.sql": "SELECT 1;", "README.md": "# notes" });
    expect((await readMigrations(dir)).map((m) => [m.number, m.name, m.file])).toEqual([
      [1, "a", "001_a.sql"],
      [2, "b", "002_b.sql"],
      [10, "c", "010_c.sql"],
    ]);
  });

  it.each(["1_short.sql", "001-dash.sql", "001_.sql", "abc_name.sql", "001_two words.sql"])("refuses the badly named file %s", async (name) => {
    const error = await migrationError(readMigrations(migrationsDir({ [name]: "SELECT 1;" })));
    expect(error).toMatchObject({ code: "bad_file_name", file: name });
  });

  it("refuses two files with the same number", async () => {
    const error = await migrationError(readMigrations(migrationsDir({ "003_a.sql": "SELECT 1;", "003_b.sql": "SELECT 1;" })));
    expect(error.code).toBe("duplicate_number");
    expect(error.message).toContain("003_a.sql and 003_b.sql");
  });

  it("gives the same checksum whatever the line endings or a byte-order mark", () => {
    expect(checksumOf("CREATE TABLE a (x int);\r\nSELECT 1;\r\n")).toBe(checksumOf("CREATE TABLE a (x int);\nSELECT 1;\n"));
    expect(checksumOf("\uFEFFSELECT 1;")).toBe(checksumOf("SELECT 1;"));
    expect(checksumOf("SELECT 1;")).not.toBe(checksumOf("SELECT 2;"));
  });
});

describeEachDatabase("migrate", (_getDb, { kind, freshDatabase }) => {
  it("applies numbered files in order and records number, name, checksum and time of each", async () => {
    const { db } = await freshDatabase();
    const before = new Date();
    const applied = await migrate(db, migrationsDir(FIRST));
    expect(applied.map((m) => m.file)).toEqual(["001_schools.sql", "002_classes.sql"]);
    const { rows } = await db.query<{ number: number; name: string; checksum: string; applied_at: Date }>("SELECT number, name, checksum, applied_at FROM schema_migrations ORDER BY number");
    expect(rows.map((r) => [r.number, r.name, r.checksum])).toEqual([
      [1, "schools", checksumOf(FIRST["001_schools.sql"])],
      [2, "classes", checksumOf(FIRST["002_classes.sql"])],
    ]);
    for (const row of rows) {
      expect(row.applied_at).toBeInstanceOf(Date);
      expect(row.applied_at.getTime()).toBeGreaterThanOrEqual(before.getTime() - 60_000);
    }
    expect((await db.query("SELECT name FROM schools")).rows).toEqual([{ name: "一中" }]);
  });

  it("does nothing when run again", async () => {
    const { db } = await freshDatabase();
    const dir = migrationsDir(FIRST);
    await migrate(db, dir);
    expect(await migrate(db, dir)).toEqual([]);
    expect((await db.query("SELECT count(*) AS n FROM schools")).rows).toEqual([{ n: 1 }]);
    expect((await db.query("SELECT count(*) AS n FROM schema_migrations")).rows).toEqual([{ n: 2 }]);
  });

  it("applies only the files added since the last run", async () => {
    const { db } = await freshDatabase();
    await migrate(db, migrationsDir(FIRST));
    const applied = await migrate(db, migrationsDir({ ...FIRST, "003_students.sql": "CREATE TABLE students (id serial PRIMARY KEY);" }));
    expect(applied.map((m) => m.number)).toEqual([3]);
    expect(await tableExists(db, "students")).toBe(true);
  });

  it("rolls back the whole run when a later file fails, naming the file and the database's message", async () => {
    const { db } = await freshDatabase();
    const dir = migrationsDir({ ...FIRST, "003_broken.sql": "CREATE TABLE ok_so_far (x int);\nALTER TABLE no_such_table ADD COLUMN y int;\n" });
    const error = await migrationError(migrate(db, dir));
    expect(error.code).toBe("failed");
    expect(error.file).toBe("003_broken.sql");
    expect(error.message).toMatch(/^migration 003_broken\.sql failed: relation "no_such_table" does not exist \(SQLSTATE 42P01\)/);
    expect(error.cause).toBeInstanceOf(DbError);
    for (const table of ["schools", "classes", "ok_so_far", "schema_migrations"]) {
      expect(await tableExists(db, table)).toBe(false);
    }
  });

  it("keeps earlier runs when a later run fails", async () => {
    const { db } = await freshDatabase();
    await migrate(db, migrationsDir(FIRST));
    const error = await migrationError(migrate(db, migrationsDir({ ...FIRST, "003_ok.sql": "CREATE TABLE ok3 (x int);", "004_bad.sql": "SELECT * FROM nowhere;" })));
    expect(error.file).toBe("004_bad.sql");
    expect(await tableExists(db, "schools")).toBe(true);
    expect(await tableExists(db, "ok3")).toBe(false);
    expect((await db.query("SELECT number FROM schema_migrations ORDER BY number")).rows).toEqual([{ number: 1 }, { number: 2 }]);
  });

  it("refuses a file changed after it was applied, and applies nothing", async () => {
    const { db } = await freshDatabase();
    await migrate(db, migrationsDir(FIRST));
    const changed = { ...FIRST, "002_classes.sql": "CREATE TABLE classes (id serial PRIMARY KEY, grade int);\n", "003_new.sql": "CREATE TABLE new_one (x int);" };
    const error = await migrationError(migrate(db, migrationsDir(changed)));
    expect(error.code).toBe("checksum_changed");
    expect(error.message).toMatch(/^migration 002_classes\.sql was changed after it was applied .*put the change in a new migration$/);
    expect(await tableExists(db, "new_one")).toBe(false);
  });

  it("accepts an applied file whose line endings changed", async () => {
    const { db } = await freshDatabase();
    await migrate(db, migrationsDir(FIRST));
    const crlf = Object.fromEntries(Object.entries(FIRST).map(([name, sql]) => [name, sql.replace(/\n/g, "\r\n")]));
    expect(await migrate(db, migrationsDir(crlf))).toEqual([]);
  });

  it.each([
    ["missing", { "002_classes.sql": FIRST["002_classes.sql"] }, "001_schools.sql"],
    ["renamed", { "001_school_list.sql": FIRST["001_schools.sql"], "002_classes.sql": FIRST["002_classes.sql"] }, "001_school_list.sql"],
    ["out_of_order", { ...FIRST, "000_early.sql": "SELECT 1;", "003_late.sql": "SELECT 1;" }, "000_early.sql"],
  ] as const)("refuses a history that does not match the files (%s)", async (code, files, file) => {
    const { db } = await freshDatabase();
    await migrate(db, migrationsDir(FIRST));
    const error = await migrationError(migrate(db, migrationsDir(files)));
    expect(error).toMatchObject({ code, file });
  });

  it("refuses a file that commits the run's transaction itself", async () => {
    const { db } = await freshDatabase();
    const error = await migrationError(migrate(db, migrationsDir({ "001_commits.sql": "CREATE TABLE committed_early (x int);\nCOMMIT;\nBEGIN;\n" })));
    expect(error).toMatchObject({ code: "left_transaction", file: "001_commits.sql" });
  });

  it("applies each migration once when app servers start together", async () => {
    const fresh = await freshDatabase();
    const dir = migrationsDir({ ...FIRST, "003_slow.sql": "SELECT pg_sleep(0.2);\nCREATE TABLE slow_done (x int);" });
    // PostgreSQL: a second app instance with its own pool; PGlite: two start-ups on the one database.
    const second = kind === "postgres" ? await openDatabase({ url: fresh.url, poolSize: 2 }) : fresh.db;
    try {
      const results = await Promise.all([migrate(fresh.db, dir), migrate(second, dir), migrate(fresh.db, dir)]);
      expect(results.map((r) => r.length).sort()).toEqual([0, 0, 3]);
      expect((await fresh.db.query("SELECT count(*) AS n FROM schema_migrations")).rows).toEqual([{ n: 3 }]);
      expect((await fresh.db.query("SELECT count(*) AS n FROM schools")).rows).toEqual([{ n: 1 }]);
    } finally {
      if (second !== fresh.db) await second.close();
    }
  });

  it("applies the application's own migrations folder cleanly, twice", async () => {
    const { db } = await freshDatabase();
    const files = await readMigrations(MIGRATIONS_DIR);
    expect((await migrate(db)).map((m) => m.file)).toEqual(files.map((f) => f.file));
    expect(await migrate(db)).toEqual([]);
  });
});
