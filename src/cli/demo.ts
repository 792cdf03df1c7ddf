/**
 * `npm run demo`: the server on a separate data directory (./data-demo, or XINQING_DATA) filled with
 * the synthetic demo district on first run, so a newcomer can sign in as every role at once.
 *
 * Demo data never reaches a real data directory: the directory must be new, empty, or hold a
 * database marked as a demo database (settings row "demo"); anything else is refused before a
 * single write. The demo always uses the embedded database and its own key file: DATABASE_URL is
 * refused and XINQING_KEY ignored. Delete the directory to start the demo afresh.
 */
import { existsSync, readdirSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { publicOrigin, type Env, type StartConfig } from "../server/config";
import { buildDemoDistrict, checkDemoTarget, demoBanner, type DemoMarker } from "../server/demo/district";
import { StartupError, describeFailure, loadConfig, openStore, serve, stopOnSignals, type RunningServer } from "../server/main";

export interface DemoIo {
  print(line: string): void;
}

/** The demo's configuration: ./data-demo unless XINQING_DATA says otherwise; never PostgreSQL, never XINQING_KEY. */
export function demoConfig(env: Env, cwd?: string): StartConfig {
  if (env.DATABASE_URL !== undefined && env.DATABASE_URL !== "") {
    throw new StartupError("demo_postgres", "npm run demo uses its own embedded database; unset DATABASE_URL (demo data is never written into a real database)");
  }
  const config = loadConfig({ ...env, XINQING_DATA: env.XINQING_DATA ?? "data-demo", DATABASE_URL: undefined }, cwd);
  return { ...config, keyEnv: undefined };
}

/** Refuses a data directory that holds anything but a demo database (checked before anything is written). */
function checkDirectory(config: StartConfig): void {
  if (config.database.kind !== "pglite" || !existsSync(config.dataDir)) return;
  const entries = readdirSync(config.dataDir).filter((e) => e !== "xinqing.lock");
  if (entries.length > 0 && !existsSync(config.database.dir)) {
    throw new StartupError("demo_refused", `XINQING_DATA=${config.dataDir} is not empty and holds no demo database; npm run demo never writes into it (unset XINQING_DATA to use ./data-demo)`);
  }
}

/** Opens (and on first run fills) the demo database, then serves it. */
export async function startDemo(env: Env, io: DemoIo, cwd?: string): Promise<{ server: RunningServer; config: StartConfig; created: boolean }> {
  const config = demoConfig(env, cwd);
  checkDirectory(config);
  let existing: DemoMarker | undefined;
  const store = await openStore(config, {
    purpose: "demo",
    beforeMigrate: async (db) => {
      const target = await checkDemoTarget(db);
      if (target.kind === "refused") {
        throw new StartupError("demo_refused", `XINQING_DATA=${config.dataDir}: ${target.reason}; npm run demo never writes into it (unset XINQING_DATA to use ./data-demo)`);
      }
      if (target.kind === "demo") existing = target.marker;
    },
  });
  try {
    let marker = existing;
    if (marker === undefined) {
      io.print(`XinQing demo: building the synthetic demo district in ${config.dataDir} …`);
      const started = process.hrtime.bigint();
      const built = await buildDemoDistrict({ db: store.db, keys: store.keys, now: () => new Date(), newId: () => randomUUID(), randomBytes: (n) => randomBytes(n) });
      marker = built.marker;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const c = built.counts;
      io.print(`XinQing demo: ${c.schools} schools, ${c.classes} classes, ${c.students} students, ${c.accounts} accounts, ${c.results} scored responses, ${c.observations} observations (${seconds.toFixed(1)} s)`);
    }
    const server = await serve(config, store, { banner: demoBanner(marker, publicOrigin(config)), print: io.print });
    return { server, config, created: existing === undefined };
  } catch (e) {
    await store.close().catch(() => undefined);
    throw e;
  }
}

async function main(): Promise<void> {
  try {
    const { server, config } = await startDemo(process.env, { print: (line) => process.stdout.write(`${line}\n`) });
    stopOnSignals(server, config.shutdownTimeoutMs);
  } catch (e) {
    process.stderr.write(`xinqing demo: ${describeFailure(e)}\n`);
    process.exit(1);
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) await main();
