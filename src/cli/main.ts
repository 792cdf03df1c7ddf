/**
 * The `xinqing` command (`npm run -s xinqing -- <command> …`).
 *
 * Every command prints its result on stdout; bad input exits with code 2 and one line on stderr that
 * names the field, never a stack trace. Unexpected failures exit with code 1 and one line.
 */
import { CliError, runCli } from "./commands";

try {
  const out = await runCli(process.argv.slice(2), { readFile: (path) => import("node:fs/promises").then((fs) => fs.readFile(path, "utf8")) });
  process.stdout.write(out.endsWith("\n") ? out : `${out}\n`);
} catch (err) {
  if (err instanceof CliError) {
    process.stderr.write(`xinqing: ${err.message}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`xinqing: unexpected error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
