/**
 * `npm run bench [-- name … [-- option …]]`: runs each benchmark script in bench/ (or the named ones) in
 * its own process, one after the other, so one benchmark's heap and JIT state never colour the next.
 * Options after a second `--` go to every benchmark run (`npm run bench -- load -- --minutes 2`). Files
 * whose name starts with "_" are shared code, not benchmarks.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const all = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.startsWith("_"))
  .map((f) => f.slice(0, -3))
  .sort();
const args = process.argv.slice(2);
const dash = args.indexOf("--");
const wanted = dash < 0 ? args : args.slice(0, dash);
const passed = dash < 0 ? [] : args.slice(dash + 1);
const unknown = wanted.filter((w) => !all.includes(w));
if (unknown.length > 0) {
  console.error(`bench: unknown benchmark ${unknown.join(", ")} (known: ${all.join(", ")})`);
  process.exit(2);
}
let failed = 0;
for (const name of wanted.length > 0 ? wanted : all) {
  console.log(`\n== bench/${name}`);
  const run = spawnSync(process.execPath, ["--import", "tsx", "--expose-gc", join(here, `${name}.ts`), ...passed], { stdio: "inherit" });
  if (run.status !== 0) failed += 1;
}
process.exit(failed > 0 ? 1 : 0);
