/**
 * `xinqing backup` / `xinqing restore`: a round trip keeps every row of every table (PGlite, and
 * PostgreSQL with pg_dump and with the JSON dump), and every bad input is one line with an exit code.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBackupCommand } from "../../src/cli/backup";
import type { Env } from "../../src/server/config";
import { openDatabase, type Queryable } from "../../src/server/db/database";
import { buildDemoDistrict } from "../../src/server/demo/district";
import { acquireDataLock, loadConfig, openStore } from "../../src/server/main";
import { createTestDatabase, postgresUrl } from "../helpers/databases";

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "xinqing-backup-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

async function run(argv: string[], env: Env): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runBackupCommand(argv, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

/** Every row of every table, in a stable order: what a round trip must keep. */
async function snapshot(db: Queryable): Promise<Record<string, string[]>> {
  const { rows: tables } = await db.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY 1");
  const out: Record<string, string[]> = {};
  for (const { t } of tables) {
    const { rows } = await db.query<{ r: string }>(`SELECT to_jsonb(x)::text AS r FROM "${t}" x`);
    out[t] = rows.map((r) => r.r).sort();
  }
  return out;
}

/** A migrated data directory holding the demo district (real rows in every main table). */
async function filledDataDir(): Promise<{ env: Env; before: Record<string, string[]> }> {
  const dir = temp();
  const env: Env = { XINQING_DATA: dir };
  const store = await openStore(loadConfig(env), { purpose: "test" });
  try {
    await buildDemoDistrict({ db: store.db, keys: store.keys, now: () => new Date("2026-11-02T08:00:00Z"), newId: () => crypto.randomUUID(), randomBytes: (n) => Buffer.from(crypto.getRandomValues(new Uint8Array(n))) });
    await store.db.query("INSERT INTO audit_log (at, actor_role, action) VALUES (now(), 'system', 'test.row')");
    return { env, before: await snapshot(store.db) };
  } finally {
    await store.close();
  }
}

async function snapshotDir(dir: string): Promise<Record<string, string[]>> {
  const db = await openDatabase({ dataDir: join(dir, "pgdata") });
  try {
    return await snapshot(db);
  } finally {
    await db.close();
  }
}

describe("backup and restore of the embedded database", () => {
  let env: Env;
  let before: Record<string, string[]>;
  let file: string;
  beforeAll(async () => {
    ({ env, before } = await filledDataDir());
    file = join(temp(), "xinqing.tar.gz");
  });

  it("backs up, and restores into a wiped data directory with every row of every table", async () => {
    const backup = await run(["backup", file], env);
    expect(backup).toMatchObject({ code: 0, err: [] });
    expect(backup.out[0]).toMatch(/written to .*xinqing\.tar\.gz \(PGlite data directory, tar\.gz\)/);
    expect(backup.out.join("\n")).toContain("students 1600");
    rmSync(join(String(env.XINQING_DATA), "pgdata"), { recursive: true });
    const restored = await run(["restore", file], env);
    expect(restored).toMatchObject({ code: 0, err: [] });
    const after = await snapshotDir(String(env.XINQING_DATA));
    expect(Object.keys(after)).toEqual(Object.keys(before));
    expect(after.students).toHaveLength(1600);
    expect(after).toEqual(before);
  });

  it("refuses to restore over a database without --force, and with --force keeps the old one aside", async () => {
    const refused = await run(["restore", file], env);
    expect(refused.code).toBe(2);
    expect(refused.err).toHaveLength(1);
    expect(refused.err[0]).toMatch(/already holds a database; restore refuses to overwrite it \(add --force/);
    const forced = await run(["restore", file, "--force"], env);
    expect(forced.code).toBe(0);
    expect(forced.out[0]).toMatch(/the previous data was moved to .*pgdata\.before-restore-/);
    expect(readdirSync(String(env.XINQING_DATA)).filter((e) => e.startsWith("pgdata.before-restore-"))).toHaveLength(1);
    expect(await snapshotDir(String(env.XINQING_DATA))).toEqual(before);
  });

  it("refuses to back up while a server holds the data directory", async () => {
    const release = acquireDataLock(join(String(env.XINQING_DATA), "xinqing.lock"), "server");
    try {
      // the lock names this process, which counts as alive only for other processes: hold it as another pid
      writeFileSync(join(String(env.XINQING_DATA), "xinqing.lock"), `${process.ppid} server\n`);
      const r = await run(["backup", join(temp(), "b.tar.gz")], env);
      expect(r.code).toBe(1);
      expect(r.err).toEqual([expect.stringMatching(/is in use by another XinQing process \(pid \d+, server\); stop it first/)]);
    } finally {
      release();
      rmSync(join(String(env.XINQING_DATA), "xinqing.lock"), { force: true });
    }
  });

  it.each([
    ["a folder that does not exist", () => join(temp(), "missing", "b.tar.gz"), 1, /cannot write the backup to .*: the folder does not exist/],
    ["a path that is a directory", () => temp(), 2, /already exists; choose another name or add --force/],
    ["an existing file", () => file, 2, /already exists; choose another name or add --force/],
  ])("refuses to back up to %s with one line", async (_name, target, code, message) => {
    const r = await run(["backup", target()], env);
    expect(r.code).toBe(code);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message);
    expect(r.err[0]).not.toMatch(/\n\s+at /);
  });

  it.each([
    ["a garbage file", Buffer.from("this is not a backup\u0000\u00ff".repeat(100))],
    ["an empty file", Buffer.alloc(0)],
    ["a gzip of something else", Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])],
  ])("refuses to restore %s with one line, leaving the data directory alone", async (_name, bytes) => {
    const dir = temp();
    const garbage = join(dir, "garbage.tar.gz");
    writeFileSync(garbage, bytes);
    const target = { XINQING_DATA: join(dir, "data") };
    const r = await run(["restore", garbage], target);
    expect(r).toMatchObject({ code: 2, out: [] });
    expect(r.err).toEqual([expect.stringMatching(/garbage\.tar\.gz is not an XinQing backup/)]);
    expect(existsSync(join(dir, "data", "pgdata"))).toBe(false);
  });

  it("refuses a truncated backup", async () => {
    const { readFileSync } = await import("node:fs");
    const dir = temp();
    const half = join(dir, "half.tar.gz");
    const whole = readFileSync(file);
    writeFileSync(half, whole.subarray(0, Math.floor(whole.length / 2)));
    const r = await run(["restore", half], { XINQING_DATA: join(dir, "data") });
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
  });

  it.each([
    [["backup"], /backup: name the backup file/],
    [["restore", "a", "b"], /restore: unexpected argument "b"/],
    [["backup", "x", "--colour"], /Unknown option '--colour'/],
    [["backup", "x", "--format", "zip"], /--format must be pg_dump or json/],
    [["copy", "x"], /^xinqing: usage: xinqing backup <file>/],
  ])("answers bad arguments %j with exit code 2 and one line", async (argv, message) => {
    const r = await run(argv, env);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(message)]);
  });

  it("answers a bad environment with exit code 2", async () => {
    const r = await run(["backup", join(temp(), "x")], { PORT: "nope" });
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(/bad configuration: PORT must be a whole number/)]);
  });

  it("refuses a database backup into the embedded database with a pg_dump file's own message", async () => {
    const dir = temp();
    writeFileSync(join(dir, "x.dump"), Buffer.concat([Buffer.from("PGDMP"), Buffer.alloc(100)]));
    const r = await run(["restore", join(dir, "x.dump")], { XINQING_DATA: join(dir, "data") });
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(/is a pg_dump of PostgreSQL; restore it with DATABASE_URL set/)]);
  });
});

describe.skipIf(postgresUrl() === undefined)("backup and restore of PostgreSQL", () => {
  it.each([["pg_dump"], ["json"]])("round-trips every row of every table through the %s format", async (format) => {
    const source = await createTestDatabase("postgres");
    const target = await createTestDatabase("postgres");
    const dir = temp();
    try {
      const env: Env = { DATABASE_URL: String(source.url), XINQING_DATA: dir };
      const store = await openStore(loadConfig(env), { purpose: "test" });
      await buildDemoDistrict({ db: store.db, keys: store.keys, now: () => new Date("2026-11-02T08:00:00Z"), newId: () => crypto.randomUUID(), randomBytes: (n) => Buffer.from(crypto.getRandomValues(new Uint8Array(n))) });
      await store.db.query("INSERT INTO audit_log (at, actor_role, action) VALUES (now(), 'system', 'test.row')");
      const before = await snapshot(store.db);
      await store.close();
      const file = join(dir, `backup.${format}`);
      const backup = await run(["backup", file, "--format", format], env);
      expect(backup).toMatchObject({ code: 0, err: [] });
      const restored = await run(["restore", file], { DATABASE_URL: String(target.url), XINQING_DATA: dir });
      expect(restored).toMatchObject({ code: 0, err: [] });
      expect(await snapshot(target.db)).toEqual(before);
      // the audit log's sequence continues after the restored ids
      await target.db.query("INSERT INTO audit_log (at, actor_role, action) VALUES (now(), 'system', 'after.restore')");

      const again = await run(["restore", file], { DATABASE_URL: String(target.url), XINQING_DATA: dir });
      expect(again.code).toBe(2);
      expect(again.err).toEqual([expect.stringMatching(/is not empty/)]);
    } finally {
      await source.dispose();
      await target.dispose();
    }
  });

  it("restores a JSON dump of PostgreSQL into an empty embedded data directory", async () => {
    const source = await createTestDatabase("postgres");
    const dir = temp();
    try {
      const env: Env = { DATABASE_URL: String(source.url), XINQING_DATA: dir };
      const store = await openStore(loadConfig(env), { purpose: "test" });
      const before = await snapshot(store.db);
      await store.close();
      const file = join(dir, "backup.json.gz");
      expect((await run(["backup", file, "--format", "json"], env)).code).toBe(0);
      mkdirSync(join(dir, "embedded"));
      const r = await run(["restore", file], { XINQING_DATA: join(dir, "embedded") });
      expect(r).toMatchObject({ code: 0, err: [] });
      expect(await snapshotDir(join(dir, "embedded"))).toEqual(before);
    } finally {
      await source.dispose();
    }
  });
});
