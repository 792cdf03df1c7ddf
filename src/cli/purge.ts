/**
 * `xinqing purge --dry-run` | `xinqing purge --confirm --operator <name>`: confidential destruction
 * (保密消档) of the growth records whose retention period has passed (the district setting
 * `retention.purge_after_months`, counted from the day the student left or graduated). What goes and
 * what stays: src/server/features/archive/purge.ts.
 *
 * `--dry-run` lists what would go and changes nothing: the count per school, and each student's internal
 * id with the rule that makes it due; never a name or a student number. `--confirm` destroys, for good,
 * in one transaction, and writes one audit row per student naming `--operator`. Both print one JSON line.
 * It opens the store exactly as the server does (src/server/main.ts `openStore`).
 */
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { pgliteDir, type Env } from "../server/config";
import type { PurgeCandidate, PurgePlan } from "../server/features/archive/purge";
import { CliError, type CliIo } from "./io";

export interface PurgeCliIo extends Partial<CliIo> {
  /** The environment (DATABASE_URL, XINQING_DATA, XINQING_KEY); default process.env. */
  readonly env?: Env;
  /** Relative paths are taken from here; default process.cwd(). */
  readonly cwd?: string;
  /** The time the retention is measured at; default now. */
  readonly now?: () => Date;
}

export const PURGE_USAGE = 'usage: xinqing purge --dry-run | xinqing purge --confirm --operator "<name of who runs it>"';

const day = (d: Date): string => d.toISOString().slice(0, 10);

function listing(plan: PurgePlan, list: readonly PurgeCandidate[]) {
  const perSchool = new Map<string, { school: string; schoolId: string; count: number }>();
  for (const c of list) {
    const entry = perSchool.get(c.schoolId) ?? { school: c.schoolCode, schoolId: c.schoolId, count: 0 };
    perSchool.set(c.schoolId, { ...entry, count: entry.count + 1 });
  }
  const ruleText = (c: PurgeCandidate): string => (plan.rule === null ? "" : `${c.status} ${day(c.leftAt)} + ${plan.rule.months} months (${plan.rule.setting}${plan.rule.isDefault ? ", default" : ""})`);
  return {
    rule: plan.rule,
    total: list.length,
    schools: [...perSchool.values()],
    students: list.map((c) => ({ id: c.studentId, school: c.schoolCode, status: c.status, leftAt: day(c.leftAt), rule: ruleText(c) })),
    held: plan.held.map((c) => ({ id: c.studentId, school: c.schoolCode, reason: "open case / 个案未结案" })),
  };
}

/** Runs `xinqing purge …`; `argv` starts after "purge". */
export async function runPurgeCommand(argv: readonly string[], io: PurgeCliIo = {}): Promise<string> {
  if (argv[0] === "help" || argv[0] === "--help") return PURGE_USAGE;
  let values: { "dry-run"?: boolean; confirm?: boolean; operator?: string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: { "dry-run": { type: "boolean" }, confirm: { type: "boolean" }, operator: { type: "string" } }, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new CliError(`purge: ${(err as Error).message.split("\n")[0] ?? "bad arguments"}; ${PURGE_USAGE}`);
  }
  const dryRun = values["dry-run"] === true;
  if (dryRun === (values.confirm === true)) throw new CliError(`purge: give either --dry-run (list only) or --confirm (destroy for good); ${PURGE_USAGE}`);
  const { PurgeError, checkOperator, planPurge, runPurge } = await import("../server/features/archive/purge");
  let operator = "";
  if (!dryRun) {
    try {
      operator = checkOperator(values.operator);
    } catch (err) {
      if (err instanceof PurgeError) throw new CliError(`purge: --operator: ${err.message}`);
      throw err;
    }
  }
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const now = (io.now ?? (() => new Date()))();

  const { StartupError, describeFailure, loadConfig, openStore } = await import("../server/main");
  let store: Awaited<ReturnType<typeof openStore>>;
  try {
    const config = loadConfig(env, cwd);
    if (config.database.kind === "pglite" && !existsSync(pgliteDir(config.dataDir))) {
      throw new CliError(`purge: no XinQing database in ${config.dataDir}; set XINQING_DATA or DATABASE_URL`);
    }
    store = await openStore(config, { purpose: "purge" });
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof StartupError) throw new CliError(`purge: ${describeFailure(err)}`);
    throw err;
  }
  try {
    if (dryRun) {
      const plan = await planPurge(store.db, now);
      return JSON.stringify({ dryRun: true, at: now.toISOString(), ...listing(plan, plan.due) });
    }
    const result = await runPurge(store.db, store.keys, now, operator);
    return JSON.stringify({ dryRun: false, at: now.toISOString(), operator, ...listing(result.plan, result.purged) });
  } catch (err) {
    if (err instanceof PurgeError) throw new CliError(`purge: ${err.message}`);
    throw err;
  } finally {
    await store.close();
  }
}
