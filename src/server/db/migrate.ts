/**
 * Numbered SQL migrations (`NNN_name.sql`), applied at start-up.
 *
 * One transaction for the whole run: either every new file is applied and recorded in
 * `schema_migrations`, or nothing is. A transaction-scoped advisory lock makes app servers that
 * start together on one PostgreSQL database take turns; the second finds nothing left to do.
 * An applied file must not change (its sha256 is recorded), disappear, or be overtaken by a new
 * file with a lower number: each is refused with a message saying what to do.
 */
import { createHash } from "node:crypto";
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DbError, type Database, type Queryable } from "./database";

/** The folder holding the application's migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL("./migrations/", import.meta.url));

/** A migration file found on disk. */
export interface MigrationFile {
  readonly number: number;
  /** The part after `NNN_`, without `.sql`. */
  readonly name: string;
  /** The file name, e.g. `001_roster.sql`. */
  readonly file: string;
  /** sha256 (hex) of the text with CRLF turned into LF and a leading BOM removed. */
  readonly checksum: string;
  readonly sql: string;
}

/** What `migrate` applied. */
export interface AppliedMigration {
  readonly number: number;
  readonly name: string;
  readonly file: string;
  readonly checksum: string;
}

/** Why a migration run was refused or failed; nothing of the run was applied. */
export type MigrationErrorCode = "bad_file_name" | "duplicate_number" | "checksum_changed" | "renamed" | "missing" | "out_of_order" | "failed" | "left_transaction";

/** A refused or failed migration run; `file` names the file at fault when there is one. */
export class MigrationError extends Error {
  readonly code: MigrationErrorCode;
  readonly file: string | undefined;

  constructor(code: MigrationErrorCode, message: string, file?: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "MigrationError";
    this.code = code;
    this.file = file;
  }
}

const FILE_NAME = /^(\d{3,})_([A-Za-z0-9][A-Za-z0-9_-]*)\.sql$/;

/** The checksum recorded for a migration's text (line endings and a BOM do not count). */
export function checksumOf(sql: string): string {
  return createHash("sha256").update(normalise(sql), "utf8").digest("hex");
}

function normalise(sql: string): string {
  return sql.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
}

/** Reads and orders the `.sql` files of `dir`; other files (a README) are ignored. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && e.name.toLowerCase().endsWith(".sql"));
  const files: MigrationFile[] = [];
  for (const entry of entries) {
    const match = FILE_NAME.exec(entry.name);
    if (match === null) {
      throw new MigrationError("bad_file_name", `migration file ${entry.name} must be named NNN_name.sql (three or more digits, then a name of letters, digits, _ or -)`, entry.name);
    }
    const sql = normalise(await readFile(join(dir, entry.name), "utf8"));
    files.push({ number: Number(match[1]), name: match[2] ?? "", file: entry.name, checksum: checksumOf(sql), sql });
  }
  files.sort((a, b) => a.number - b.number);
  for (let i = 1; i < files.length; i += 1) {
    const [previous, current] = [files[i - 1], files[i]];
    if (previous !== undefined && current !== undefined && previous.number === current.number) {
      throw new MigrationError("duplicate_number", `migrations ${previous.file} and ${current.file} have the same number; renumber one of them`, current.file);
    }
  }
  return files;
}

interface AppliedRow extends Record<string, unknown> {
  number: number;
  name: string;
  checksum: string;
}

const fileOf = (row: AppliedRow): string => `${String(row.number).padStart(3, "0")}_${row.name}.sql`;

/** Checks what was applied before against the files; returns the files still to apply. */
function planRun(files: readonly MigrationFile[], applied: readonly AppliedRow[]): MigrationFile[] {
  const byNumber = new Map(files.map((f) => [f.number, f]));
  for (const row of applied) {
    const file = byNumber.get(row.number);
    if (file === undefined) {
      throw new MigrationError("missing", `migration ${fileOf(row)} was applied to this database but is missing from the migrations folder; is this an older version of XinQing?`, fileOf(row));
    }
    if (file.name !== row.name) {
      throw new MigrationError("renamed", `migration ${file.file} was applied as ${fileOf(row)}; applied migrations must not be renamed`, file.file);
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        "checksum_changed",
        `migration ${file.file} was changed after it was applied (checksum ${row.checksum.slice(0, 12)}… is now ${file.checksum.slice(0, 12)}…); restore it and put the change in a new migration`,
        file.file,
      );
    }
  }
  const done = new Set(applied.map((r) => r.number));
  const latest = Math.max(0, ...applied.map((r) => r.number));
  const pending = files.filter((f) => !done.has(f.number));
  const early = pending.find((f) => f.number < latest);
  if (early !== undefined) {
    throw new MigrationError("out_of_order", `migration ${early.file} is new but a higher-numbered migration is already applied; renumber it above ${String(latest).padStart(3, "0")}`, early.file);
  }
  return pending;
}

async function currentTransactionId(tx: Queryable): Promise<string> {
  const { rows } = await tx.query<{ id: string }>("SELECT txid_current()::text AS id");
  return rows[0]?.id ?? "";
}

/**
 * Applies the files of `dir` not yet applied, in number order, in one transaction, and records
 * each in `schema_migrations` (number, name, sha256 checksum, applied_at). Returns what it applied
 * (empty when the database is up to date). Throws a {@link MigrationError}, with nothing applied,
 * when a file fails (the message names the file and carries the database's message) or when the
 * recorded history and the files disagree.
 */
export async function migrate(db: Database, dir: string = MIGRATIONS_DIR): Promise<AppliedMigration[]> {
  const files = await readMigrations(dir);
  return db.transaction(async (tx) => {
    // Per schema, so test suites in separate schemas do not wait for each other.
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('xinqing.migrate:' || coalesce(current_schema(), '')))");
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      number integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows: applied } = await tx.query<AppliedRow>("SELECT number, name, checksum FROM schema_migrations ORDER BY number");
    const pending = planRun(files, applied);
    const transactionId = await currentTransactionId(tx);
    const done: AppliedMigration[] = [];
    for (const file of pending) {
      try {
        await tx.exec(file.sql);
      } catch (e) {
        const reason = e instanceof DbError ? `${e.message} (SQLSTATE ${e.code})` : e instanceof Error ? e.message : String(e);
        throw new MigrationError("failed", `migration ${file.file} failed: ${reason}; no migration of this run was applied`, file.file, e);
      }
      if ((await currentTransactionId(tx)) !== transactionId) {
        throw new MigrationError("left_transaction", `migration ${file.file} ends the transaction (COMMIT or ROLLBACK in the file); remove it: the whole run is one transaction`, file.file);
      }
      await tx.query("INSERT INTO schema_migrations (number, name, checksum) VALUES ($1, $2, $3)", [file.number, file.name, file.checksum]);
      done.push({ number: file.number, name: file.name, file: file.file, checksum: file.checksum });
    }
    return done;
  });
}
