/**
 * Issue 8, "Faults": the reliability suite, run on PGlite and on PostgreSQL where the fault applies.
 *
 *   crash.ts             kill -9 of the server in the middle of a lab burst (40 students)
 *   postgres-restart.ts  PostgreSQL stopped and started again during a burst (its own throw-away cluster)
 *   startup-faults.ts    a migration failing half-way; a corrupt, missing or foreign encryption key
 *   backup-restore.ts    xinqing backup → wipe → xinqing restore, and the same watch list afterwards
 *   browser.ts           Chromium offline for two minutes mid-survey; Chromium killed before its last autosave
 *
 * One test file on purpose: vitest runs test files one after another on a 2-core machine, and the browser's
 * two real minutes offline would then add two minutes of waiting to the run. Declared side by side, the
 * suites run at the same time (each drives its own processes), so the whole takes about as long as the
 * longest one.
 */
import { afterAll } from "vitest";
import { removeTempDirs } from "../server/startup/child";
import { describeBackupRestore } from "./backup-restore";
import { describeBrowserFaults } from "./browser";
import { describeKillDuringBurst } from "./crash";
import { killAllServers } from "./harness";
import { describePostgresRestart } from "./postgres-restart";
import { describeStartupFaults } from "./startup-faults";

afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

describeBrowserFaults();
describeKillDuringBurst();
describePostgresRestart();
describeStartupFaults();
describeBackupRestore();
