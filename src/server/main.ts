/**
 * The server process (`npm start`): configuration from the environment, the data directory and
 * its lock, the database and its migrations, the encryption key and its check value, the first
 * administrator, then listen; SIGTERM/SIGINT stop it gracefully.
 *
 * Every refusal to start is one line on stderr (`xinqing: …`) and exit code 1, never a stack trace:
 * an operator must be able to read what to fix. Nothing here logs a key, token, password or name.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";
import { buildApp, type App } from "./app";
import { parseConfig, publicOrigin, type Env, type StartConfig } from "./config";
import { DecryptError, decrypt, deriveKeys, encrypt, type DataKeys } from "./crypto/cipher";
import { KeyError, loadKey, type KeySource } from "./crypto/key";
import { DbError, openDatabase, type Database, type Queryable } from "./db/database";
import { MIGRATIONS_DIR, MigrationError, migrate } from "./db/migrate";
import type { Deps } from "./deps";
import { DEFAULT_RETENTION_MONTHS, RETENTION_SETTING } from "./features/archive/purge";
import { ensureFirstAdmin } from "./features/accounts/first-admin";

/** A refusal to start (or to run an operations command): one clear line, exit code 1. */
export class StartupError extends Error {
  readonly code: string;

  constructor(code: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "StartupError";
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// The data directory lock. PGlite takes no lock of its own: two processes on one data directory
// would corrupt it, so the server, backup and restore each hold <data dir>/xinqing.lock.

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock file of a data directory for `purpose` ("server", "backup", …); a lock left by a
 * process that no longer runs is taken over. Returns the release function. Throws a
 * {@link StartupError} when a running process holds it.
 */
export function acquireDataLock(lockFile: string, purpose: string): () => void {
  mkdirSync(dirname(lockFile), { recursive: true, mode: 0o700 });
  const content = `${process.pid} ${purpose}\n`;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    let fd: number;
    try {
      fd = openSync(lockFile, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new StartupError("data_dir_unusable", `cannot use the data directory ${dirname(lockFile)}: ${(e as Error).message}`, e);
      }
      let holder: string;
      try {
        holder = readFileSync(lockFile, "utf8");
      } catch {
        continue; // released meanwhile
      }
      const [pidText, what] = holder.trim().split(/\s+/, 2);
      const pid = Number(pidText);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new StartupError(
          "data_dir_locked",
          `the data directory ${dirname(lockFile)} is in use by another XinQing process (pid ${pid}, ${what ?? "unknown"}); stop it first, or remove ${lockFile} if that process is not XinQing`,
        );
      }
      try {
        unlinkSync(lockFile); // stale: its process is gone
      } catch {
        // another process took it over first; try again
      }
      continue;
    }
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      try {
        if (readFileSync(lockFile, "utf8") === content) unlinkSync(lockFile);
      } catch {
        // already gone
      }
    };
  }
  throw new StartupError("data_dir_locked", `cannot take the lock ${lockFile}; is another XinQing process starting?`);
}

// ---------------------------------------------------------------------------------------------
// The key and its check value.

/** The settings row holding a value encrypted at first start, decrypted at every start. */
export const KEY_CHECK_SETTING = "encryption.key_check";
const KEY_CHECK_TEXT = "xinqing key check v1";
const KEY_CHECK_CONTEXT = `settings.value:${KEY_CHECK_SETTING}`;

/** The key id inside an encrypted token (`v1.<key id>.…`), or undefined for anything else. */
function keyIdOf(token: string): string | undefined {
  const parts = token.split(".");
  return parts.length === 5 && parts[0] === "v1" ? parts[1] : undefined;
}

/** loadKey, with its refusals turned into one-line StartupErrors. */
function loadKeyOrRefuse(config: Pick<StartConfig, "keyEnv" | "keyFile">): ReturnType<typeof loadKey> {
  try {
    return loadKey({ env: config.keyEnv, keyFile: config.keyFile });
  } catch (e) {
    if (e instanceof KeyError) throw new StartupError(`key_${e.code}`, e.message, e);
    throw e;
  }
}

/** One encrypted value stored anywhere (any column ending in _enc), or undefined when there is none. */
export async function findEncryptedValue(db: Queryable): Promise<string | undefined> {
  const { rows: columns } = await db.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name LIKE '%\\_enc' ESCAPE '\\' ORDER BY table_name, column_name`,
  );
  for (const c of columns) {
    const { rows } = await db.query<{ v: string }>(`SELECT "${c.column_name}" AS v FROM "${c.table_name}" WHERE "${c.column_name}" IS NOT NULL LIMIT 1`);
    if (rows[0] !== undefined) return rows[0].v;
  }
  return undefined;
}

export interface CheckedKey {
  readonly keys: DataKeys;
  readonly source: KeySource;
}

/**
 * Loads the master key (XINQING_KEY or the key file, created on first start) and proves it is the
 * key of this database: the check value stored at first start must decrypt. A database holding
 * encrypted data is never given a new key (a missing key file is not re-created then), so a wrong
 * or lost key can never lead to values written under another key.
 */
export async function checkKey(db: Database, config: Pick<StartConfig, "keyEnv" | "keyFile">): Promise<CheckedKey> {
  const { rows } = await db.query<{ value: { keyId?: unknown; token?: unknown } }>("SELECT value FROM settings WHERE key = $1", [KEY_CHECK_SETTING]);
  const check = rows[0]?.value;
  const fromWhere = config.keyEnv !== undefined ? "XINQING_KEY" : `the key file ${config.keyFile}`;
  const existing = check === undefined ? await findEncryptedValue(db) : undefined;
  if (config.keyEnv === undefined && !existsSync(config.keyFile) && (check !== undefined || existing !== undefined)) {
    throw new StartupError(
      "key_missing",
      `the database holds encrypted data but the key file ${config.keyFile} is missing and XINQING_KEY is not set; restore the key file from your backup (a new key cannot read the data)`,
    );
  }
  const loaded = loadKeyOrRefuse(config);
  const keys = deriveKeys(loaded.key);
  const wrongKey = (expected: string | undefined): StartupError =>
    new StartupError(
      "key_mismatch",
      `the key from ${fromWhere} (key id ${keys.keyId}) is not the key of this database${expected === undefined ? "" : ` (key id ${expected})`}; start with the original key`,
    );
  if (check !== undefined) {
    const token = typeof check.token === "string" ? check.token : "";
    let plain: string | undefined;
    try {
      plain = decrypt(keys, token, KEY_CHECK_CONTEXT);
    } catch (e) {
      if (!(e instanceof DecryptError)) throw e;
      if (e.code === "wrong_key") throw wrongKey(typeof check.keyId === "string" ? check.keyId : undefined);
      throw new StartupError("key_check_corrupt", `the key check value in the settings table is damaged (${e.code}); the database may have been tampered with`);
    }
    if (plain !== KEY_CHECK_TEXT) throw new StartupError("key_check_corrupt", "the key check value in the settings table is damaged; the database may have been tampered with");
    return { keys, source: loaded.source };
  }
  if (existing !== undefined && keyIdOf(existing) !== keys.keyId) throw wrongKey(keyIdOf(existing));
  await db.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [
    KEY_CHECK_SETTING,
    JSON.stringify({ keyId: keys.keyId, token: encrypt(keys, KEY_CHECK_TEXT, KEY_CHECK_CONTEXT) }),
  ]);
  // Another app server may have written its own first: check what is stored now.
  return checkStoredAgain(db, config, keys, loaded.source);
}

async function checkStoredAgain(db: Database, config: Pick<StartConfig, "keyEnv" | "keyFile">, keys: DataKeys, source: KeySource): Promise<CheckedKey> {
  const { rows } = await db.query<{ value: { keyId?: unknown } }>("SELECT value FROM settings WHERE key = $1", [KEY_CHECK_SETTING]);
  const stored = rows[0]?.value.keyId;
  if (stored !== keys.keyId) {
    throw new StartupError("key_mismatch", `the key from ${config.keyEnv !== undefined ? "XINQING_KEY" : `the key file ${config.keyFile}`} (key id ${keys.keyId}) is not the key of this database (key id ${String(stored)}); start with the original key`);
  }
  return { keys, source };
}

// ---------------------------------------------------------------------------------------------
// Opening the store: lock, database, migrations, key.

/** An open database with its verified key; `close` closes it and releases the lock. */
export interface Store {
  readonly db: Database;
  readonly keys: DataKeys;
  readonly keySource: KeySource;
  readonly applied: readonly string[];
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  /** What holds the lock ("server", "demo"). */
  readonly purpose: string;
  readonly migrationsDir?: string;
  /** Runs on the open database before anything is written to it (the demo's check). */
  readonly beforeMigrate?: (db: Database) => Promise<void>;
}

/** Opens the database of `config`, applies pending migrations and checks the key. */
export async function openStore(config: StartConfig, options: OpenStoreOptions): Promise<Store> {
  // A key that is already there is checked before the database is touched (fast, clear refusals);
  // a missing key file is only created once the database is known not to need an old one.
  if (config.keyEnv !== undefined || existsSync(config.keyFile)) loadKeyOrRefuse(config);
  const release = config.database.kind === "pglite" ? acquireDataLock(config.lockFile, options.purpose) : () => undefined;
  let db: Database | undefined;
  try {
    try {
      db = await openDatabase(config.database.kind === "postgres" ? { url: config.database.url } : { dataDir: config.database.dir });
    } catch (e) {
      throw new StartupError("database_unavailable", e instanceof Error ? e.message : String(e), e);
    }
    if (options.beforeMigrate) await options.beforeMigrate(db);
    let applied: string[];
    try {
      applied = (await migrate(db, options.migrationsDir ?? MIGRATIONS_DIR)).map((m) => m.file);
    } catch (e) {
      if (e instanceof MigrationError) throw new StartupError(`migration_${e.code}`, `the database was not changed: ${e.message}`, e);
      if (e instanceof DbError) throw new StartupError("migration_failed", `the database was not changed: migrations could not run: ${e.message}`, e);
      throw e;
    }
    const { keys, source } = await checkKey(db, config);
    const opened = db;
    return {
      db: opened,
      keys,
      keySource: source,
      applied,
      async close() {
        try {
          await opened.close();
        } finally {
          release();
        }
      },
    };
  } catch (e) {
    await db?.close().catch(() => undefined);
    release();
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// First start: default settings and the first administrator.

/** The settings a new installation starts with; an admin changes them later. Existing rows are kept. */
export const DEFAULT_SETTINGS: Readonly<Record<string, unknown>> = {
  "district.name": { "zh-CN": "未命名学区", en: "Unnamed district" },
  // 12355: the Communist Youth League's national youth service hotline (青少年服务台).
  // The district's own hotline is not known at install time: an admin fills in the number.
  "help.hotlines": [
    { id: "youth-12355", number: "12355", label: { "zh-CN": "12355 青少年服务台", en: "12355 youth hotline" } },
    { id: "district", number: null, label: { "zh-CN": "本区心理援助热线", en: "District mental-health hotline" } },
  ],
  // Aggregates hide cells with fewer than k students (ARCHITECTURE.md, "What is never done").
  "analytics.min_cell_size": 10,
  // 保密消档: personal data of students who left or graduated is destroyed this many months later
  // (`xinqing purge`); null keeps it for ever. A district sets its own period.
  [RETENTION_SETTING]: DEFAULT_RETENTION_MONTHS,
};

/** Inserts every default setting that is absent; returns the keys it wrote. */
export async function ensureDefaultSettings(db: Queryable): Promise<string[]> {
  const written: string[] = [];
  for (const [key, value] of Object.entries(DEFAULT_SETTINGS)) {
    const { rowCount } = await db.query("INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING", [key, JSON.stringify(value)]);
    if (rowCount > 0) written.push(key);
  }
  return written;
}

/** The lines printed once when the first administrator was created. */
export function setupLinkLines(origin: string, token: string): string[] {
  return [
    "",
    "XinQing 首次启动 / first start: 请用下面的一次性链接设置管理员密码 / set the administrator's password at this one-time link:",
    `  ${origin}/setup#${token}`,
    "  (只显示这一次 / shown only this once)",
    "",
  ];
}

// ---------------------------------------------------------------------------------------------
// The running server.

export interface RunningServer {
  readonly app: App;
  readonly deps: Deps;
  readonly origin: string;
  /** Stops accepting, waits for in-flight requests, closes the database and releases the lock. */
  stop(): Promise<void>;
}

export interface ServeOptions {
  /** Lines printed on the console (not the log) once listening, e.g. the demo's accounts. */
  readonly banner?: readonly string[];
  /** Where console lines go (default stdout). */
  readonly print?: (line: string) => void;
}

/** Builds the app on an opened store, prepares a first start, and listens. */
export async function serve(config: StartConfig, store: Store, options: ServeOptions = {}): Promise<RunningServer> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const deps: Deps = {
    db: store.db,
    keys: store.keys,
    now: () => new Date(),
    newId: () => randomUUID(),
    randomBytes: (n) => randomBytes(n),
    config: config.server,
    logger: { level: config.logLevel },
  };
  await ensureDefaultSettings(store.db);
  const admin = await ensureFirstAdmin(deps);
  const app = await buildApp(deps);
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    await app.close().catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === "EADDRINUSE" ? "the port is already in use" : code === "EACCES" ? "permission denied" : code === "EADDRNOTAVAIL" ? "no such address on this machine" : (e as Error).message;
    throw new StartupError("listen_failed", `cannot listen on ${config.host}:${config.port}: ${reason}`, e);
  }
  const origin = publicOrigin(config);
  if (store.keySource === "created") print(`XinQing: a new encryption key was written to ${config.keyFile}; back it up apart from the database (without it the data cannot be read).`);
  if (admin.created) setupLinkLines(origin, admin.setupToken).forEach(print);
  options.banner?.forEach(print);
  print(`XinQing: listening on ${origin} (${store.db.kind === "pglite" ? `embedded database in ${config.dataDir}` : "PostgreSQL"})`);
  let stopping: Promise<void> | undefined;
  return {
    app,
    deps,
    origin,
    stop() {
      stopping ??= (async () => {
        try {
          await app.close();
        } finally {
          await store.close();
        }
      })();
      return stopping;
    },
  };
}

/** Stops `server` on SIGTERM or SIGINT: exit 0 when every in-flight request finished in time, 1 otherwise. */
export function stopOnSignals(server: RunningServer, timeoutMs: number, onExit: (code: number) => void = (code) => process.exit(code)): void {
  let signalled = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (signalled) {
      process.stderr.write(`xinqing: second ${signal}: stopping now without waiting\n`);
      onExit(1);
      return;
    }
    signalled = true;
    server.app.log.info({ signal }, "stopping: finishing in-flight requests");
    const timer = setTimeout(() => {
      process.stderr.write(`xinqing: requests still running after ${Math.round(timeoutMs / 1000)} s; stopping without them\n`);
      onExit(1);
    }, timeoutMs);
    timer.unref();
    server.stop().then(
      () => {
        clearTimeout(timer);
        process.stdout.write("XinQing: stopped\n");
        onExit(0);
      },
      (e: unknown) => {
        clearTimeout(timer);
        process.stderr.write(`xinqing: error while stopping: ${e instanceof Error ? e.message : String(e)}\n`);
        onExit(1);
      },
    );
  };
  process.on("SIGTERM", handler);
  process.on("SIGINT", handler);
}

/** Reads the configuration, or throws a StartupError listing every bad variable on one line. */
export function loadConfig(env: Env, cwd?: string): StartConfig {
  const parsed = parseConfig(env, cwd);
  if (!parsed.ok) throw new StartupError("bad_config", `bad configuration: ${parsed.issues.map((i) => i.message).join("; ")}`);
  return parsed.config;
}

/** One line for any failure at start-up: ours are already clear; anything else gets its message only. */
export function describeFailure(e: unknown): string {
  if (e instanceof StartupError) return e.message;
  if (e instanceof Error) return `unexpected error: ${e.message.split("\n")[0] ?? e.name}`;
  return `unexpected error: ${String(e)}`;
}

/** The whole `npm start`: exits 1 with one line on stderr when it cannot start. */
export async function main(env: Env = process.env): Promise<void> {
  try {
    const config = loadConfig(env);
    const store = await openStore(config, { purpose: "server" });
    let server: RunningServer;
    try {
      server = await serve(config, store);
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
    stopOnSignals(server, config.shutdownTimeoutMs);
  } catch (e) {
    process.stderr.write(`xinqing: ${describeFailure(e)}\n`);
    process.exit(1);
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) await main();
