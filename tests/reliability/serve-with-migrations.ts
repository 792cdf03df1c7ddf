/**
 * `npm start` (src/server/main.ts `main`) with its migrations read from the folder XQ_TEST_MIGRATIONS_DIR,
 * the one thing `main` does not let a test choose: the same start-up, the same one-line refusal on stderr
 * and exit code 1. Run as a child process by startup-faults.ts.
 */
import { describeFailure, loadConfig, openStore, serve, stopOnSignals, type RunningServer } from "../../src/server/main";

try {
  const config = loadConfig(process.env);
  const store = await openStore(config, { purpose: "server", migrationsDir: process.env.XQ_TEST_MIGRATIONS_DIR });
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
