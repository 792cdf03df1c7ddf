/**
 * `xinqing export aggregates --wave <2025-2026:spring | wave id> --by school,grade --out file.csv
 * [--encoding gb18030]`: the full aggregate export of a district wave (the same table as
 * GET /api/analytics/aggregates.csv, small cells suppressed the same way), written to a file in
 * chunks. It opens the store as the server does (src/server/main.ts `openStore`).
 *
 * `--wave` takes a district wave key, or the id of any school's wave (its school year and season are
 * used: the export is always district-wide). Prints one JSON line: the file, the wave, rows and k.
 */
import { createWriteStream, existsSync } from "node:fs";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { CsvEncoding, SchoolGradeBy, WaveKey } from "../shared/analytics";
import { pgliteDir, type Env } from "../server/config";
import type { Database } from "../server/db/database";
import { CliError, type CliIo } from "./io";

export interface ExportCliIo extends Partial<CliIo> {
  /** The environment (DATABASE_URL, XINQING_DATA, XINQING_KEY); default process.env. */
  readonly env?: Env;
  /** Relative paths are taken from here; default process.cwd(). */
  readonly cwd?: string;
}

export const EXPORT_USAGE = "usage: xinqing export aggregates --wave <2025-2026:spring|wave id> --by school|grade|school,grade --out <file.csv> [--encoding utf-8|gb18030]";

/** Runs `xinqing export <subcommand> …`; `argv` starts after "export". */
export async function runExportCommand(argv: readonly string[], io: ExportCliIo = {}): Promise<string> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "help" || sub === "--help") return EXPORT_USAGE;
  if (sub !== "aggregates") throw new CliError(`export: unknown subcommand "${sub.slice(0, 40)}"; ${EXPORT_USAGE}`);
  let values: { wave?: string; by?: string; out?: string; encoding?: string };
  try {
    ({ values } = parseArgs({ args: [...rest], options: { wave: { type: "string" }, by: { type: "string" }, out: { type: "string" }, encoding: { type: "string" } }, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new CliError(`export aggregates: ${(err as Error).message.split("\n")[0] ?? "bad arguments"}; ${EXPORT_USAGE}`);
  }
  const waveArg = values.wave?.trim();
  if (!waveArg) throw new CliError(`export aggregates: --wave is required; ${EXPORT_USAGE}`);
  const by = SchoolGradeBy.safeParse(values.by ?? "school");
  if (!by.success) throw new CliError(`export aggregates: --by must be school, grade or school,grade, not "${String(values.by).slice(0, 40)}"`);
  const encoding = CsvEncoding.safeParse(values.encoding ?? "utf-8");
  if (!encoding.success) throw new CliError(`export aggregates: --encoding must be utf-8 or gb18030, not "${String(values.encoding).slice(0, 40)}"`);
  if (!values.out) throw new CliError(`export aggregates: --out <file.csv> is required; ${EXPORT_USAGE}`);
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const out = resolve(cwd, values.out);

  const { StartupError, describeFailure, loadConfig, openStore } = await import("../server/main");
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    const config = loadConfig(env, cwd);
    if (config.database.kind === "pglite" && !existsSync(pgliteDir(config.dataDir))) {
      throw new CliError(`export aggregates: no XinQing database in ${config.dataDir}; start the server once, or set XINQING_DATA or DATABASE_URL`);
    }
    store = await openStore(config, { purpose: "export" });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof StartupError) throw new CliError(`export aggregates: ${describeFailure(err)}`);
    throw err;
  }
  try {
    const wave = await resolveWave(store.db, waveArg);
    const { exportAggregates, UnknownWave } = await import("../server/features/analytics/export");
    let result: { rows: number; k: number };
    try {
      result = await exportAggregates(store.db, { wave, by: by.data, encoding: encoding.data }, (chunks) => pipeline(Readable.from(chunks), createWriteStream(out)));
    } catch (err) {
      if (err instanceof UnknownWave) throw new CliError(`export aggregates: --wave: no school has a wave ${wave}`);
      if ((err as NodeJS.ErrnoException).code !== undefined && typeof (err as NodeJS.ErrnoException).syscall === "string") throw new CliError(`export aggregates: cannot write ${values.out} (${(err as NodeJS.ErrnoException).code})`);
      throw err;
    }
    await store.db.query(
      `INSERT INTO audit_log (at, actor_id, actor_role, action, subject, context) VALUES ($1, NULL, 'cli', 'analytics.export', 'aggregates', $2)`,
      [new Date(), JSON.stringify({ wave, by: by.data, encoding: encoding.data, k: result.k, rows: result.rows })],
    );
    return JSON.stringify({ file: out, wave, by: by.data, encoding: encoding.data, rows: result.rows, k: result.k });
  } finally {
    await store.close();
  }
}

async function resolveWave(db: Database, arg: string): Promise<string> {
  if (WaveKey.safeParse(arg).success) return arg;
  const { rows } = await db.query<{ school_year: string; season: string }>("SELECT school_year, season FROM waves WHERE id = $1", [arg]);
  const row = rows[0];
  if (row === undefined) throw new CliError(`export aggregates: --wave: no wave "${arg.slice(0, 64)}"; give a district wave like 2025-2026:spring or a wave id`);
  return `${row.school_year}:${row.season}`;
}
