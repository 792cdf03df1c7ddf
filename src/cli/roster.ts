/**
 * `xinqing roster import <file.csv> --school <code|id> [--dry-run]`: the roster import from the server
 * machine, on the database the server uses (DATABASE_URL, else the PGlite database in XINQING_DATA,
 * default ./data; key from XINQING_KEY or the data directory's key file). It opens the store exactly as
 * the server does (src/server/main.ts `openStore`: the data-directory lock, migrations, the key check),
 * then runs the same reader and the same all-or-nothing import as POST /api/schools/:id/roster.
 *
 * Prints the summary as one JSON line. Bad input (unreadable file, unknown school, any problem in the
 * file, a store that cannot be opened) is a CliError: one line, exit code 2, nothing written.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { RosterError } from "../shared/roster";
import { pgliteDir, type Env } from "../server/config";
import type { Database } from "../server/db/database";
import { importRoster } from "../server/features/roster/apply";
import { parseRoster } from "../server/features/roster/parse";
import { CliError, type CliIo } from "./io";

/** What the command needs from its surroundings; every field defaults to the real process. */
export interface RosterCliIo extends Partial<CliIo> {
  /** Reads a file as bytes (the roster may be GB18030: never decode it as UTF-8 first). */
  readonly readBytes?: (path: string) => Promise<Uint8Array>;
  /** The environment (DATABASE_URL, XINQING_DATA, XINQING_KEY); default process.env. */
  readonly env?: Env;
  /** Relative paths (XINQING_DATA, the file) are taken from here; default process.cwd(). */
  readonly cwd?: string;
}

export const ROSTER_USAGE = "usage: xinqing roster import <file.csv> --school <code|id> [--dry-run]";

/** At most this many problems are spelled out on the one error line; the rest are counted. */
const ERRORS_ON_LINE = 20;

/** One problem as "line 12, 班级: 班级无法识别：…", or without the parts the problem has not. */
export function describeRosterError(e: RosterError): string {
  const where = [e.line === null ? null : `line ${e.line}`, e.column === null ? null : `column ${e.column}`].filter((p) => p !== null).join(", ");
  // One line whatever the file holds: the reader's messages quote cells, which may hold line breaks.
  const message = e.message.replace(/[\r\n]+/g, " ");
  return where === "" ? `${message} (${e.code})` : `${where}: ${message} (${e.code})`;
}

/**
 * Runs `xinqing roster <subcommand> …`; `argv` starts after "roster". Returns what to print; throws a
 * CliError for bad input.
 */
export async function runRosterCommand(argv: readonly string[], io: RosterCliIo = {}): Promise<string> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "help" || sub === "--help") return ROSTER_USAGE;
  if (sub !== "import") throw new CliError(`roster: unknown subcommand "${sub}"; ${ROSTER_USAGE}`);

  let values: { school?: string; "dry-run"?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...rest], options: { school: { type: "string" }, "dry-run": { type: "boolean" } }, allowPositionals: true, strict: true }));
  } catch (err) {
    throw new CliError(`roster import: ${(err as Error).message.split("\n")[0] ?? "bad arguments"}; ${ROSTER_USAGE}`);
  }
  const file = positionals[0];
  if (file === undefined) throw new CliError(`roster import: name the CSV file; ${ROSTER_USAGE}`);
  if (positionals.length > 1) throw new CliError(`roster import: unexpected argument "${positionals[1]}"; ${ROSTER_USAGE}`);
  const school = values.school?.trim();
  if (!school) throw new CliError(`roster import: --school <code|id> is required; ${ROSTER_USAGE}`);
  const dryRun = values["dry-run"] === true;
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();

  // Read and check the file before opening the database: a bad file needs no database at all.
  let bytes: Uint8Array;
  try {
    bytes = await (io.readBytes ?? ((p: string) => readFile(p)))(resolve(cwd, file));
  } catch (err) {
    throw new CliError(`roster import: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const parsed = parseRoster(bytes);
  if (!parsed.ok) {
    const shown = parsed.errors.slice(0, ERRORS_ON_LINE).map(describeRosterError).join("; ");
    const more = parsed.errors.length > ERRORS_ON_LINE ? `; and ${parsed.errors.length - ERRORS_ON_LINE} more` : "";
    throw new CliError(`roster import: ${file}: ${parsed.errors.length} problem(s), nothing imported: ${shown}${more}`);
  }

  // The server's own modules (loaded here so `xinqing score` does not load the database drivers).
  const { StartupError, describeFailure, loadConfig, openStore } = await import("../server/main");
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    const config = loadConfig(env, cwd);
    if (config.database.kind === "pglite" && !existsSync(pgliteDir(config.dataDir))) {
      throw new CliError(`roster import: no XinQing database in ${config.dataDir}; start the server once, or set XINQING_DATA or DATABASE_URL`);
    }
    store = await openStore(config, { purpose: "roster-import" });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof StartupError) throw new CliError(`roster import: ${describeFailure(err)}`);
    throw err;
  }
  try {
    const schoolRow = await findSchool(store.db, school);
    const summary = await importRoster(
      { db: store.db, keys: store.keys, now: () => new Date(), newId: () => randomUUID() },
      { schoolId: schoolRow.id, roster: parsed, importer: { accountId: null, role: "cli", address: null }, dryRun },
    );
    return JSON.stringify({ school: { id: schoolRow.id, code: schoolRow.code }, ...summary });
  } finally {
    await store.close();
  }
}

async function findSchool(db: Database, codeOrId: string): Promise<{ id: string; code: string }> {
  const { rows } = await db.query<{ id: string; code: string }>("SELECT id, code FROM schools WHERE code = $1 OR id = $1 ORDER BY (code = $1) DESC LIMIT 1", [codeOrId]);
  const row = rows[0];
  if (row === undefined) throw new CliError(`roster import: --school: no school with code or id "${codeOrId.slice(0, 64)}"`);
  return row;
}
