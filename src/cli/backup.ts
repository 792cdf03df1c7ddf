/**
 * `xinqing backup <file>` and `xinqing restore <file> [--force]`.
 *
 * Embedded database (PGlite): the backup is PGlite's own `dumpDataDir("gzip")`, a tar.gz of the
 * data directory, taken while no server uses it (the data directory's lock is held, so a running
 * server makes the backup refuse instead of copying a directory in mid-write). Restore loads it
 * into a new directory, checks that it opens and is an XinQing database, then swaps it in.
 *
 * PostgreSQL (DATABASE_URL): `pg_dump --format=custom` when a pg_dump is installed (restore with
 * `pg_restore`, or this command); otherwise, or with `--format json`, a portable gzip'd JSON dump of
 * every table (restorable by this command into an empty database of either kind).
 *
 * The encryption key is never in a backup: back up the key file (or XINQING_KEY) separately.
 * Exit codes: 0 done; 2 bad arguments or a file that is not a backup or a target not empty; 1 any
 * other failure. Each failure is one line on stderr.
 */
import { PGlite } from "@electric-sql/pglite";
import { spawn } from "node:child_process";
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readFileSync, readdirSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import type { Env, StartConfig } from "../server/config";
import { describeTarget } from "../server/db/postgres";
import { DbError, openDatabase, type Database, type Queryable } from "../server/db/database";
import { MIGRATIONS_DIR, migrate, readMigrations } from "../server/db/migrate";
import { StartupError, acquireDataLock, describeFailure, loadConfig } from "../server/main";

export interface BackupIo {
  readonly env: Env;
  readonly cwd?: string;
  /** One line of normal output. */
  out(line: string): void;
  /** One line of error output. */
  err(line: string): void;
}

/** A failure of this command with its exit code (2: bad input, 1: anything else). */
class CommandError extends Error {
  constructor(
    readonly exitCode: 1 | 2,
    message: string,
  ) {
    super(message);
  }
}

const USAGE = "usage: xinqing backup <file> [--force] [--format pg_dump|json] | xinqing restore <file> [--force]";

/** Runs `backup` or `restore` (argv[0]); returns the exit code. */
export async function runBackupCommand(argv: readonly string[], io: BackupIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== "backup" && command !== "restore") throw new CommandError(2, USAGE);
    let parsed;
    try {
      parsed = parseArgs({ args: [...rest], options: { force: { type: "boolean" }, format: { type: "string" } }, allowPositionals: true, strict: true });
    } catch (e) {
      throw new CommandError(2, `${(e as Error).message.split("\n")[0] ?? "bad arguments"}; ${USAGE}`);
    }
    const [file, extra] = parsed.positionals;
    if (file === undefined || file === "") throw new CommandError(2, `${command}: name the backup file; ${USAGE}`);
    if (extra !== undefined) throw new CommandError(2, `${command}: unexpected argument "${extra}"; ${USAGE}`);
    const format = parsed.values.format;
    if (format !== undefined && format !== "pg_dump" && format !== "json") throw new CommandError(2, `--format must be pg_dump or json, not "${format}"`);
    if (format !== undefined && command === "restore") throw new CommandError(2, "restore: --format is not needed (the file's format is detected)");
    const config = loadConfig(io.env, io.cwd);
    const path = resolve(io.cwd ?? process.cwd(), file);
    const force = parsed.values.force === true;
    if (command === "backup") await backup(config, path, { force, format }, io);
    else await restore(config, path, { force }, io);
    return 0;
  } catch (e) {
    const code = e instanceof CommandError ? e.exitCode : e instanceof StartupError && e.code === "bad_config" ? 2 : 1;
    io.err(`xinqing: ${e instanceof CommandError ? e.message : describeFailure(e)}`);
    return code;
  }
}

// ---------------------------------------------------------------------------------------------
// Writing the backup file: complete or not at all.

/** Writes `data` to `path` through a temporary file in the same folder, then renames it. */
function writeAtomically(path: string, data: Uint8Array, force: boolean): void {
  if (existsSync(path) && !force) throw new CommandError(2, `${path} already exists; choose another name or add --force to replace it`);
  const temporary = join(dirname(path), `.${basename(path)}.${process.pid}.partial`);
  let fd: number;
  try {
    fd = openSync(temporary, "w", 0o600);
  } catch (e) {
    throw new CommandError(1, `cannot write the backup to ${path}: ${reasonOf(e)}`);
  }
  try {
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (e) {
    rmSync(temporary, { force: true });
    throw new CommandError(1, `cannot write the backup to ${path}: ${reasonOf(e)}`);
  }
}

/** Checks before any slow work that the backup can be written there. */
function checkWritable(path: string, force: boolean): void {
  writeAtomically(`${path}.probe`, new Uint8Array(0), true);
  unlinkSync(`${path}.probe`);
  if (existsSync(path) && !force) throw new CommandError(2, `${path} already exists; choose another name or add --force to replace it`);
}

function reasonOf(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "the folder does not exist";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ENOSPC") return "the disk is full";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EROFS") return "the file system is read-only";
  return e instanceof Error ? e.message : String(e);
}

// ---------------------------------------------------------------------------------------------
// Formats.

type BackupFormat = "pglite" | "pg_dump" | "json" | "unknown";

const JSON_FORMAT = "xinqing-json-dump";

/** Recognises a backup file by its first bytes (and, for a tar.gz, a PostgreSQL data directory inside). */
function detectFormat(bytes: Buffer): BackupFormat {
  if (bytes.subarray(0, 5).toString("latin1") === "PGDMP") return "pg_dump";
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return "unknown";
  let inner: Buffer;
  try {
    inner = gunzipSync(bytes);
  } catch {
    return "unknown";
  }
  if (inner.subarray(0, 40).toString("utf8").startsWith(`{"format":"${JSON_FORMAT}"`)) return "json";
  return tarHasPgVersion(inner) ? "pglite" : "unknown";
}

/** Walks the tar headers looking for the data directory's PG_VERSION file. */
function tarHasPgVersion(tar: Buffer): boolean {
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) return false;
    const name = header.subarray(0, 100).toString("utf8").replace(/\0.*$/s, "");
    const size = parseInt(header.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim() || "0", 8);
    if (!Number.isFinite(size) || size < 0) return false;
    if (name.replace(/^\.?\//, "") === "PG_VERSION") return true;
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return false;
}

function readBackup(path: string): Buffer {
  try {
    if (statSync(path).isDirectory()) throw new CommandError(2, `${path} is a directory, not a backup file`);
    return readFileSync(path);
  } catch (e) {
    if (e instanceof CommandError) throw e;
    throw new CommandError((e as NodeJS.ErrnoException).code === "ENOENT" ? 2 : 1, `cannot read ${path}: ${reasonOf(e)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Backup.

async function backup(config: StartConfig, path: string, options: { force: boolean; format: string | undefined }, io: BackupIo): Promise<void> {
  checkWritable(path, options.force);
  if (config.database.kind === "pglite") {
    if (options.format !== undefined) throw new CommandError(2, "--format applies to PostgreSQL only; the embedded database is backed up as its data directory");
    const dir = config.database.dir;
    if (!existsSync(join(dir, "PG_VERSION"))) throw new CommandError(2, `there is no database in ${dir} to back up`);
    const release = acquireDataLock(config.lockFile, "backup");
    try {
      const pglite = await openPgliteOrFail(dir);
      let archive: Blob;
      let counts: Map<string, number>;
      try {
        counts = await tableCounts(pgliteQueryable(pglite));
        archive = await pglite.dumpDataDir("gzip");
      } finally {
        await pglite.close();
      }
      writeAtomically(path, new Uint8Array(await archive.arrayBuffer()), options.force);
      report(io, `backup of ${dir} written to ${path} (PGlite data directory, tar.gz)`, counts);
    } finally {
      release();
    }
    return;
  }
  const url = config.database.url;
  const pgDump = options.format === "json" ? undefined : findTool("pg_dump");
  if (options.format === "pg_dump" && pgDump === undefined) throw new CommandError(1, "pg_dump is not installed (apt-get install postgresql-client); or use --format json");
  const db = await openOrFail(url);
  try {
    const counts = await tableCounts(db);
    if (pgDump !== undefined) {
      const dump = await runTool(pgDump, ["--format=custom", "--no-owner", "--no-privileges"], url);
      writeAtomically(path, dump, options.force);
      report(io, `backup of ${describeTarget(url)} written to ${path} (pg_dump custom format; pg_restore can read it)`, counts);
    } else {
      writeAtomically(path, await dumpJson(db), options.force);
      report(io, `backup of ${describeTarget(url)} written to ${path} (XinQing JSON dump${options.format === "json" ? "" : ": pg_dump is not installed"})`, counts);
    }
  } finally {
    await db.close();
  }
}

function report(io: BackupIo, headline: string, counts: ReadonlyMap<string, number>): void {
  io.out(headline);
  io.out(`  ${[...counts].map(([table, n]) => `${table} ${n}`).join(", ")}`);
  io.out("  the encryption key is not in the backup: keep a copy of the key file (or XINQING_KEY) apart from it");
}

// ---------------------------------------------------------------------------------------------
// Restore.

async function restore(config: StartConfig, path: string, options: { force: boolean }, io: BackupIo): Promise<void> {
  const bytes = readBackup(path);
  const format = detectFormat(bytes);
  if (format === "unknown") {
    throw new CommandError(2, `${path} is not an XinQing backup (neither a PGlite data directory archive, a pg_dump custom-format file, nor an XinQing JSON dump)`);
  }
  if (config.database.kind === "pglite") {
    if (format === "pg_dump") throw new CommandError(2, `${path} is a pg_dump of PostgreSQL; restore it with DATABASE_URL set to an empty PostgreSQL database`);
    await restorePglite(config, config.database.dir, bytes, format, options.force, io);
    return;
  }
  if (format === "pglite") throw new CommandError(2, `${path} is a backup of the embedded database; unset DATABASE_URL to restore it into XINQING_DATA`);
  const url = config.database.url;
  const db = await openOrFail(url);
  try {
    const empty = await isEmpty(db);
    if (!empty && (!options.force || format === "json")) {
      throw new CommandError(
        2,
        format === "json"
          ? `${describeTarget(url)} is not empty; a JSON dump restores into an empty database only (drop and re-create it first)`
          : `${describeTarget(url)} is not empty; restore refuses to overwrite it (add --force to replace its tables)`,
      );
    }
    if (format === "json") {
      await restoreJson(db, bytes);
    } else {
      const pgRestore = findTool("pg_restore");
      if (pgRestore === undefined) throw new CommandError(1, "pg_restore is not installed (apt-get install postgresql-client)");
      // -d is required (without it pg_restore prints SQL); the connection details travel in PG* variables.
      const args = [`--dbname=${libpqEnv(url).PGDATABASE ?? ""}`, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", ...(empty ? [] : ["--clean", "--if-exists"])];
      await runTool(pgRestore, args, url, bytes);
    }
    report(io, `${path} restored into ${describeTarget(url)}`, await tableCounts(db));
  } finally {
    await db.close();
  }
}

async function restorePglite(config: StartConfig, dir: string, bytes: Buffer, format: "pglite" | "json", force: boolean, io: BackupIo): Promise<void> {
  const release = acquireDataLock(config.lockFile, "restore");
  const staging = `${dir}.restoring-${process.pid}`;
  try {
    const occupied = existsSync(dir) && readdirSync(dir).length > 0;
    if (occupied && !force) throw new CommandError(2, `${dir} already holds a database; restore refuses to overwrite it (add --force: the current data is moved aside, not deleted)`);
    rmSync(staging, { recursive: true, force: true });
    let counts: Map<string, number>;
    if (format === "pglite") {
      let pglite: PGlite;
      try {
        pglite = await PGlite.create({ dataDir: staging, loadDataDir: new Blob([new Uint8Array(bytes)]) });
      } catch (e) {
        throw new CommandError(2, `the backup could not be loaded as a database: ${(e as Error).message}`);
      }
      try {
        const q = pgliteQueryable(pglite);
        const { rows } = await q.query("SELECT to_regclass('schema_migrations') IS NOT NULL AS ok");
        if (rows[0]?.ok !== true) throw new CommandError(2, "the backup holds a database, but not an XinQing one (no schema_migrations table)");
        counts = await tableCounts(q);
      } finally {
        await pglite.close();
      }
    } else {
      const db = await openDatabase({ dataDir: staging });
      try {
        await restoreJson(db, bytes);
        counts = await tableCounts(db);
      } finally {
        await db.close();
      }
    }
    let movedAside: string | undefined;
    if (existsSync(dir)) {
      movedAside = `${dir}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      if (occupied) renameSync(dir, movedAside);
      else rmSync(dir, { recursive: true, force: true });
    }
    renameSync(staging, dir);
    report(io, `restored into ${dir}${occupied && movedAside !== undefined ? `; the previous data was moved to ${movedAside}` : ""}`, counts);
  } finally {
    rmSync(staging, { recursive: true, force: true });
    release();
  }
}

// ---------------------------------------------------------------------------------------------
// Database helpers.

async function openPgliteOrFail(dir: string): Promise<PGlite> {
  try {
    return await PGlite.create({ dataDir: dir });
  } catch (e) {
    throw new CommandError(1, `cannot open the embedded database in ${dir}: ${(e as Error).message}`);
  }
}

function pgliteQueryable(pglite: PGlite): Queryable {
  return {
    query: async <T extends Record<string, unknown>>(sql: string, params?: readonly unknown[]) => {
      const r = await pglite.query<T>(sql, params === undefined ? [] : [...params]);
      return { rows: r.rows, rowCount: r.rows.length };
    },
    exec: async (sql: string) => {
      await pglite.exec(sql);
    },
  };
}

async function openOrFail(url: string): Promise<Database> {
  try {
    return await openDatabase({ url, poolSize: 2 });
  } catch (e) {
    throw new CommandError(1, e instanceof Error ? e.message : String(e));
  }
}

/** The tables of the current schema, parents before the tables that reference them. */
export async function tablesInOrder(db: Queryable): Promise<string[]> {
  const { rows: tables } = await db.query<{ name: string }>(
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name",
  );
  const { rows: refs } = await db.query<{ child: string; parent: string }>(
    `SELECT c.conrelid::regclass::text AS child, c.confrelid::regclass::text AS parent
       FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace
      WHERE c.contype = 'f' AND n.nspname = current_schema()`,
  );
  const names = tables.map((t) => t.name);
  const parents = new Map(names.map((n) => [n, new Set(refs.filter((r) => r.child === n && r.parent !== n).map((r) => r.parent))]));
  const ordered: string[] = [];
  while (ordered.length < names.length) {
    const next = names.find((n) => !ordered.includes(n) && [...(parents.get(n) ?? [])].every((p) => ordered.includes(p) || !names.includes(p)));
    if (next === undefined) throw new Error("circular foreign keys between tables");
    ordered.push(next);
  }
  return ordered;
}

/** Rows per table of the current schema. */
export async function tableCounts(db: Queryable): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const table of await tablesInOrder(db)) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}"`);
    counts.set(table, rows[0]?.n ?? 0);
  }
  return counts;
}

async function isEmpty(db: Queryable): Promise<boolean> {
  const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = current_schema()");
  return rows[0]?.n === 0;
}

// ---------------------------------------------------------------------------------------------
// The portable JSON dump: a header line, then one line per chunk of rows of a table, gzip'd.

const CHUNK = 2000;

interface JsonHeader {
  format: typeof JSON_FORMAT;
  version: 1;
  migrations: { number: number; name: string; checksum: string }[];
  tables: string[];
}

/** Every row of every table of the current schema, as gzip'd JSON lines (see restoreJson). */
export async function dumpJson(db: Queryable): Promise<Buffer> {
  const tables = await tablesInOrder(db);
  const { rows: migrations } = await db.query<{ number: number; name: string; checksum: string }>("SELECT number, name, checksum FROM schema_migrations ORDER BY number");
  const header: JsonHeader = { format: JSON_FORMAT, version: 1, migrations, tables };
  const lines = [JSON.stringify(header)];
  for (const table of header.tables) {
    // Rows as jsonb text: exact for every type (numeric as text, timestamps with zone) and read back by jsonb_populate_recordset.
    for (let offset = 0; ; offset += CHUNK) {
      const { rows } = await db.query<{ r: string }>(`SELECT to_jsonb(t)::text AS r FROM "${table}" t ORDER BY 1 LIMIT ${CHUNK} OFFSET ${offset}`);
      if (rows.length === 0) break;
      lines.push(`{"table":${JSON.stringify(table)},"rows":[${rows.map((r) => r.r).join(",")}]}`);
      if (rows.length < CHUNK) break;
    }
  }
  return gzipSync(`${lines.join("\n")}\n`);
}

/**
 * Restores a JSON dump into an empty database: applies exactly the migrations the dump was taken
 * at (the files must be unchanged), inserts every row in one transaction, and moves sequences past
 * the restored ids.
 */
export async function restoreJson(db: Database, gz: Buffer): Promise<void> {
  const lines = gunzipSync(gz).toString("utf8").split("\n").filter((l) => l !== "");
  let header: JsonHeader;
  try {
    header = JSON.parse(lines[0] ?? "") as JsonHeader;
  } catch {
    throw new CommandError(2, "the JSON dump's header is damaged");
  }
  if (header.format !== JSON_FORMAT || header.version !== 1) throw new CommandError(2, "the JSON dump has an unknown format version");
  const files = await readMigrations(MIGRATIONS_DIR);
  const staging = mkdtempSync(join(tmpdir(), "xinqing-restore-"));
  try {
    for (const m of header.migrations) {
      const file = files.find((f) => f.number === m.number);
      if (file === undefined || file.checksum !== m.checksum) {
        throw new CommandError(2, `the dump was taken at migration ${String(m.number).padStart(3, "0")}_${m.name}, which this version of XinQing does not have unchanged; restore it with the version that made it`);
      }
      writeAtomically(join(staging, file.file), Buffer.from(file.sql, "utf8"), true);
    }
    await migrate(db, staging);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  try {
    await db.transaction(async (tx) => {
      // migrate() recorded the files just now: the dump's own rows (with their dates) replace them.
      await tx.query("DELETE FROM schema_migrations");
      // The dump's rows go in as they were, without the triggers of live writes (the watch list's change
      // log would gain rows, some with the ids of the dump's own), as pg_restore loads data before triggers.
      const tables = await tablesInOrder(tx);
      for (const table of tables) await tx.query(`ALTER TABLE "${table}" DISABLE TRIGGER USER`);
      for (const line of lines.slice(1)) {
        const chunk = JSON.parse(line) as { table: string; rows: unknown[] };
        if (!header.tables.includes(chunk.table)) throw new CommandError(2, `the dump holds rows of an undeclared table "${chunk.table}"`);
        await tx.query(`INSERT INTO "${chunk.table}" SELECT * FROM jsonb_populate_recordset(NULL::"${chunk.table}", $1::jsonb)`, [JSON.stringify(chunk.rows)]);
      }
      for (const table of tables) await tx.query(`ALTER TABLE "${table}" ENABLE TRIGGER USER`);
      const { rows: sequences } = await tx.query<{ tbl: string; col: string; seq: string }>(
        `SELECT c.table_name AS tbl, c.column_name AS col, pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) AS seq
           FROM information_schema.columns c WHERE c.table_schema = current_schema() AND pg_get_serial_sequence(quote_ident(c.table_name), c.column_name) IS NOT NULL`,
      );
      for (const s of sequences) {
        await tx.query(`SELECT setval($1, coalesce((SELECT max("${s.col}") FROM "${s.tbl}"), 0) + 1, false)`, [s.seq]);
      }
    });
  } catch (e) {
    if (e instanceof CommandError) throw e;
    if (e instanceof SyntaxError) throw new CommandError(2, "the JSON dump is damaged (a line is not JSON)");
    if (e instanceof DbError) throw new CommandError(2, `the JSON dump does not fit the database: ${e.message}`);
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// pg_dump and pg_restore.

/** The newest installed `name` (PATH, then Debian's /usr/lib/postgresql/N/bin). */
function findTool(name: "pg_dump" | "pg_restore"): string | undefined {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const candidates = [...versions.map((v) => join(root, v, "bin", name)), ...(process.env.PATH ?? "").split(":").filter(Boolean).map((d) => join(d, name))];
  return candidates.find((c) => existsSync(c));
}

/** Connection settings for libpq tools as environment variables, so no password is on a command line. */
function libpqEnv(url: string): NodeJS.ProcessEnv {
  const u = new URL(url);
  const env: NodeJS.ProcessEnv = { ...process.env };
  const hostParam = u.searchParams.get("host");
  env.PGHOST = u.hostname !== "" ? u.hostname.replace(/^\[|\]$/g, "") : (hostParam ?? "localhost");
  env.PGPORT = u.port === "" ? "5432" : u.port;
  env.PGDATABASE = decodeURIComponent(u.pathname.replace(/^\//, ""));
  if (u.username !== "") env.PGUSER = decodeURIComponent(u.username);
  if (u.password !== "") env.PGPASSWORD = decodeURIComponent(u.password);
  const sslmode = u.searchParams.get("sslmode");
  if (sslmode !== null) env.PGSSLMODE = sslmode;
  return env;
}

/** Runs a libpq tool; resolves to its stdout; rejects with its first error line. */
function runTool(tool: string, args: string[], url: string, stdin?: Buffer): Promise<Buffer> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(tool, args, { env: libpqEnv(url), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) => reject(new CommandError(1, `cannot run ${tool}: ${e.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolvePromise(Buffer.concat(out));
      else {
        const line = Buffer.concat(err).toString("utf8").split("\n").find((l) => l.trim() !== "") ?? `exit code ${code}`;
        reject(new CommandError(1, `${basename(tool)} failed: ${line.trim()}`));
      }
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(stdin);
  });
}
