/**
 * Issue 8, "Faults", at the process level and on a database that already holds a school's data: a
 * migration that fails half-way leaves every row and the schema as they were and the server refuses to
 * start with one line; a corrupt, missing or foreign encryption key (or a damaged key check value) stops
 * the server with one line before it writes anything, so nothing is ever stored under a wrong key or in
 * the clear.
 *
 * Already covered elsewhere, and not repeated here: migrate()'s rollback on both databases
 * (tests/server/db/migrate.test.ts); the refusals on an empty or PGlite data directory
 * (tests/server/startup/startup.test.ts); loadKey's checks (tests/server/crypto/key.test.ts).
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { generateKeyText } from "../../src/server/crypto/key";
import { MIGRATIONS_DIR } from "../../src/server/db/migrate";
import { KEY_CHECK_SETTING } from "../../src/server/main";
import { freePort, meaningfulLines, runScript, tempDir } from "../server/startup/child";
import { describeEachKind, newStore, seedLab, snapshotRows, snapshotSchema, startServerProcess, stopServer, type Store } from "./harness";

/** Runs `script` expecting a refusal: exit code 1 and exactly one line on stderr, no stack trace. */
async function refusal(env: Record<string, string>, script = "src/server/main.ts"): Promise<string> {
  const child = runScript(script, [], { LOG_LEVEL: "warn", PORT: String(await freePort()), ...env });
  const code = await child.exited;
  const lines = meaningfulLines(child.stderr());
  expect({ code, lines }).toEqual({ code: 1, lines: [expect.any(String)] });
  expect(child.stderr()).not.toMatch(/\n\s+at /);
  expect(child.stdout()).not.toContain("listening");
  return lines[0]!;
}

/** The application's migrations plus two new ones: the first works, the second fails at its second statement. */
function migrationsFailingHalfWay(): string {
  const dir = tempDir("xinqing-migrations-");
  for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith(".sql"))) copyFileSync(join(MIGRATIONS_DIR, f), join(dir, f));
  writeFileSync(join(dir, "900_school_motto.sql"), "ALTER TABLE schools ADD COLUMN motto text;\nUPDATE schools SET motto = '求真';\n");
  writeFileSync(join(dir, "901_half_way.sql"), "UPDATE students SET grade = grade + 1;\nALTER TABLE no_such_table ADD COLUMN x integer;\nUPDATE classes SET label = label || '班';\n");
  return dir;
}

/** Declares the suite: one per database, run at the same time, each on its own seeded store. */
export function describeStartupFaults(): void {
  describeEachKind("start-up faults on a database holding a school", (kind) => {
    let store: Store;
    let before: { rows: Record<string, string[]>; schema: string[] };
    const current = async () => store.withDb(async (db) => ({ rows: await snapshotRows(db), schema: await snapshotSchema(db) }));

    beforeAll(async () => {
      store = await newStore(kind);
      await seedLab(store, 6);
      before = await current();
    }, 120_000);
    afterAll(() => store?.dispose());

    it("a migration failing half-way: the server refuses with one line naming the file, and no row or column changed", async () => {
      const line = await refusal({ ...store.env, XQ_TEST_MIGRATIONS_DIR: migrationsFailingHalfWay() }, "tests/reliability/serve-with-migrations.ts");
      expect(line).toMatch(/^xinqing: the database was not changed: migration 901_half_way\.sql failed: relation "no_such_table" does not exist \(SQLSTATE 42P01\); no migration of this run was applied$/);
      expect(await current()).toEqual(before);
    });

    it("a corrupt XINQING_KEY: one line that does not echo it, nothing written", async () => {
      const line = await refusal({ ...store.env, XINQING_KEY: "c29tZXRoaW5nLWJyb2tlbg==" });
      expect(line).toMatch(/^xinqing: XINQING_KEY must be 32 random bytes in base64/);
      expect(line).not.toContain("c29tZXRoaW5nLWJyb2tlbg");
      expect(await current()).toEqual(before);
    });

    it("a corrupt key file in place of XINQING_KEY: one line, the file kept as it was, nothing written", async () => {
      const keyFile = join(store.dataDir, "xinqing.key");
      writeFileSync(keyFile, "this is not a key\n", { mode: 0o600 });
      const { XINQING_KEY: _unused, ...withoutKey } = store.env;
      try {
        const line = await refusal(withoutKey);
        expect(line).toMatch(/^xinqing: the key file .*xinqing\.key is corrupt/);
        expect(readFileSync(keyFile, "utf8")).toBe("this is not a key\n");
        expect(await current()).toEqual(before);
      } finally {
        rmSync(keyFile);
      }
    });

    it.runIf(kind === "postgres")("a missing key (no XINQING_KEY, no key file in a new data directory): one line, no new key made, nothing written", async () => {
      const fresh = tempDir("xinqing-no-key-");
      const line = await refusal({ DATABASE_URL: store.env.DATABASE_URL!, XINQING_DATA: fresh });
      expect(line).toMatch(/^xinqing: the database holds encrypted data but the key file .*xinqing\.key is missing and XINQING_KEY is not set; restore the key file/);
      expect(existsSync(join(fresh, "xinqing.key"))).toBe(false);
      expect(await current()).toEqual(before);
    });

    it.runIf(kind === "postgres")("another installation's key: one line naming both key ids, nothing written", async () => {
      const line = await refusal({ ...store.env, XINQING_KEY: generateKeyText() });
      expect(line).toMatch(/^xinqing: the key from XINQING_KEY \(key id [\w-]+\) is not the key of this database \(key id [\w-]+\); start with the original key$/);
      expect(await current()).toEqual(before);
    });

    it("a damaged key check value: one line saying the settings were tampered with, nothing written", async () => {
      const original = await store.withDb(async (db) => {
        const { rows } = await db.query<{ value: { keyId: string; token: string } }>("SELECT value FROM settings WHERE key = $1", [KEY_CHECK_SETTING]);
        const value = rows[0]!.value;
        const parts = value.token.split(".");
        parts[3] = "A".repeat(22); // another 16-byte authentication tag
        await db.query("UPDATE settings SET value = $2 WHERE key = $1", [KEY_CHECK_SETTING, JSON.stringify({ ...value, token: parts.join(".") })]);
        return value;
      });
      try {
        const damaged = await current();
        const line = await refusal(store.env);
        expect(line).toBe("xinqing: the key check value in the settings table is damaged (tampered); the database may have been tampered with");
        expect(await current()).toEqual(damaged);
      } finally {
        await store.withDb((db) => db.query("UPDATE settings SET value = $2 WHERE key = $1", [KEY_CHECK_SETTING, JSON.stringify(original)]));
      }
    });

    it("after all of these, the right key starts the server on the untouched data, and every encrypted column holds only ciphertext", async () => {
      expect(await current()).toEqual(before);
      const server = await startServerProcess(store.env);
      expect(await stopServer(server)).toBe(0);
      await store.withDb(async (db) => {
        const { rows: columns } = await db.query<{ t: string; c: string }>(
          "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = current_schema() AND column_name LIKE '%\\_enc' ESCAPE '\\'",
        );
        expect(columns.length).toBeGreaterThan(5);
        for (const { t, c } of columns) {
          const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${t}" WHERE "${c}" IS NOT NULL AND "${c}" !~ '^v1\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]*$'`);
          expect(rows[0]?.n, `${t}.${c}`).toBe(0);
        }
        const { rows: names } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM students WHERE name_enc LIKE 'v1.%'");
        expect(names[0]?.n).toBe(6);
      });
    });
  });
}
