/**
 * The `xinqing` command (`npm run -s xinqing -- <command> …`).
 *
 * Every command prints its result on stdout; bad input exits with code 2 and one line on stderr that
 * names the field, never a stack trace. Unexpected failures exit with code 1 and one line.
 */
import { CliError, runCli } from "./commands";

const argv = process.argv.slice(2);
if (argv[0] === "backup" || argv[0] === "restore") {
  // backup and restore stream large files and report their own exit codes
  const { runBackupCommand } = await import("./backup");
  process.exit(await runBackupCommand(argv, { env: process.env, out: (line) => process.stdout.write(`${line}\n`), err: (line) => process.stderr.write(`${line}\n`) }));
}

try {
  const out = await runCli(argv, { readFile: (path) => import("node:fs/promises").then((fs) => fs.readFile(path, "utf8")) });
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
