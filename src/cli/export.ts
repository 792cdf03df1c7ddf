/**
 * `xinqing export aggregates --wave <2025-2026:spring | wave id> --by school,grade --out file.csv
 * [--encoding gb18030]`: the full aggregate export of a district wave (the same table as
 * GET /api/analytics/aggregates.csv, small cells suppressed the same way), written to a file in
 * chunks. It opens the store as the server does (src/server/main.ts `openStore`).
 *
 * `xinqing export research --wave <wave>[,<wave>…] --out file.csv [--study <label>] [--encoding …]`:
 * the de-identified research export (src/server/features/analytics/research.ts: pseudonyms, shifted
 * dates, birth year only, no free text), the same file as GET /api/research/export.csv. Running the
 * CLI needs the data key, i.e. the operator's access to the server: that is the admin's role here.
 * Audited like the HTTP export (actor role "cli") before the first row is written.
 *
 * `--wave` takes a district wave key, or the id of any school's wave (its school year and season are
 * used: the export is always district-wide). Prints one JSON line: the file, the wave(s), rows (and k).
 */
import { createWriteStream, existsSync } from "node:fs";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parseArgs } from "node:util";
import { CsvEncoding, SchoolGradeBy, StudyLabel, WaveKey } from "../shared/analytics";
import { pgliteDir, type Env } from "../server/config";
import type { Database } from "../server/db/database";
import type { Store } from "../server/main";
import { CliError, type CliIo } from "./io";

export interface ExportCliIo extends Partial<CliIo> {
  /** The environment (DATABASE_URL, XINQING_DATA, XINQING_KEY); default process.env. */
  readonly env?: Env;
  /** Relative paths are taken from here; default process.cwd(). */
  readonly cwd?: string;
}

export const EXPORT_USAGE =
  "usage: xinqing export aggregates --wave <2025-2026:spring|wave id> --by school|grade|school,grade --out <file.csv> [--encoding utf-8|gb18030]\n" +
  "       xinqing export research --wave <2025-2026:spring|wave id>[,…] --out <file.csv> [--study <label>] [--encoding utf-8|gb18030]";

/** Runs `xinqing export <subcommand> …`; `argv` starts after "export". */
export async function runExportCommand(argv: readonly string[], io: ExportCliIo = {}): Promise<string> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === "help" || sub === "--help") return EXPORT_USAGE;
  if (sub === "research") return runResearchExport(rest, io);
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

  const store = await openExportStore("aggregates", env, cwd);
  try {
    const wave = await resolveWave(store.db, waveArg);
    const { exportAggregates, UnknownWave } = await import("../server/features/analytics/export");
    let result: { rows: number; k: number };
    try {
      result = await exportAggregates(store.db, { wave, by: by.data, encoding: encoding.data }, (chunks) => pipeline(Readable.from(chunks), createWriteStream(out)));
    } catch (err) {
      if (err instanceof UnknownWave) throw new CliError(`export aggregates: --wave: no school has a wave ${wave}`);
      throw writeError("aggregates", values.out, err) ?? err;
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


/** The store as the server opens it (the same key checks), or a CliError naming the subcommand. */
async function openExportStore(sub: string, env: Env, cwd: string): Promise<Store> {
  const { StartupError, describeFailure, loadConfig, openStore } = await import("../server/main");
  try {
    const config = loadConfig(env, cwd);
    if (config.database.kind === "pglite" && !existsSync(pgliteDir(config.dataDir))) {
      throw new CliError(`export ${sub}: no XinQing database in ${config.dataDir}; start the server once, or set XINQING_DATA or DATABASE_URL`);
    }
    return await openStore(config, { purpose: "export" });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof StartupError) throw new CliError(`export ${sub}: ${describeFailure(err)}`);
    throw err;
  }
}

const writeError = (sub: string, file: string, err: unknown): CliError | undefined => {
  const e = err as NodeJS.ErrnoException;
  return e.code !== undefined && typeof e.syscall === "string" ? new CliError(`export ${sub}: cannot write ${file} (${e.code})`) : undefined;
};

async function runResearchExport(argv: readonly string[], io: ExportCliIo): Promise<string> {
  let values: { wave?: string; out?: string; study?: string; encoding?: string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { wave: { type: "string" }, out: { type: "string" }, study: { type: "string" }, encoding: { type: "string" } }, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new CliError(`export research: ${(err as Error).message.split("\n")[0] ?? "bad arguments"}; ${EXPORT_USAGE}`);
  }
  const waveArgs = (values.wave ?? "").split(",").map((w) => w.trim()).filter((w) => w !== "");
  if (waveArgs.length === 0) throw new CliError(`export research: --wave is required; ${EXPORT_USAGE}`);
  if (waveArgs.length > 8) throw new CliError("export research: at most 8 waves in one export");
  const study = StudyLabel.safeParse(values.study ?? "default");
  if (!study.success) throw new CliError(`export research: --study must be lower-case letters, digits and '-', not "${String(values.study).slice(0, 40)}"`);
  const encoding = CsvEncoding.safeParse(values.encoding ?? "utf-8");
  if (!encoding.success) throw new CliError(`export research: --encoding must be utf-8 or gb18030, not "${String(values.encoding).slice(0, 40)}"`);
  if (!values.out) throw new CliError(`export research: --out <file.csv> is required; ${EXPORT_USAGE}`);
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const out = resolve(cwd, values.out);

  const store = await openExportStore("research", env, cwd);
  try {
    const keys = [];
    for (const arg of waveArgs) keys.push(await resolveWave(store.db, arg, "research"));
    const { auditResearchExport, checkedWaves, countResearchRows, researchColumns, researchKeys, researchRows } = await import("../server/features/analytics/research");
    const { UnknownWave } = await import("../server/features/analytics/build");
    const { csvChunks, encodeChunks } = await import("../server/features/analytics/csv");
    let waves: string[];
    try {
      waves = await checkedWaves(store.db, keys.join(","));
    } catch (err) {
      if (err instanceof UnknownWave) throw new CliError(`export research: --wave: no school has a wave ${err.wave}`);
      throw err;
    }
    const rows = await countResearchRows(store.db, waves);
    await auditResearchExport(store.db, new Date(), { accountId: null, role: "cli" }, { waves, study: study.data, encoding: encoding.data, rows });
    const header = researchColumns().map((c) => c.label);
    try {
      await pipeline(Readable.from(encodeChunks(csvChunks(header, researchRows(store.db, waves, researchKeys(store.keys, study.data))), encoding.data)), createWriteStream(out));
    } catch (err) {
      throw writeError("research", values.out, err) ?? err;
    }
    return JSON.stringify({ file: out, waves, study: study.data, encoding: encoding.data, rows });
  } finally {
    await store.close();
  }
}

async function resolveWave(db: Database, arg: string, sub = "aggregates"): Promise<string> {
  if (WaveKey.safeParse(arg).success) return arg;
  const { rows } = await db.query<{ school_year: string; season: string }>("SELECT school_year, season FROM waves WHERE id = $1", [arg]);
  const row = rows[0];
  if (row === undefined) throw new CliError(`export ${sub}: --wave: no wave "${arg.slice(0, 64)}"; give a district wave like 2025-2026:spring or a wave id`);
  return `${row.school_year}:${row.season}`;
}
