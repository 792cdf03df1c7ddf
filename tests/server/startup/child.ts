/**
 * Runs src/server/main.ts as a real child process (node --import tsx), as `npm start` does after
 * the build, and collects its output.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface Child {
  readonly process: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** Environment without anything of the developer's that would change the server (key, database). */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ["XINQING_KEY", "DATABASE_URL", "XINQING_DATA", "PORT", "HOST", "XINQING_STATIC", "LOG_LEVEL", "NODE_OPTIONS"]) delete env[k];
  return { ...env, XINQING_STATIC: "none", ...extra };
}

export function runScript(script: string, args: readonly string[], env: Record<string, string>): Child {
  const child = spawn(process.execPath, ["--import", "tsx", join(ROOT, script), ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString("utf8")));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString("utf8")));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { process: child, stdout: () => out, stderr: () => err, exited };
}

export const startServer = (env: Record<string, string>): Child => runScript("src/server/main.ts", [], env);

const made: string[] = [];

export function tempDir(prefix = "xinqing-startup-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

/** Deletes every directory tempDir made (call in afterAll, after the children have exited). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** Polls /api/health until it answers 200, or fails when the child exits first or after `timeoutMs`. */
export async function waitForHealth(child: Child, port: number, timeoutMs = 40_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the server exited before it was healthy: ${child.stderr()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/api/health`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server was not healthy within ${timeoutMs} ms: ${child.stderr()}`);
}

/** The non-empty lines of `text` that are not Node's own deprecation warnings (from dependencies). */
export function meaningfulLines(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .filter((l) => !/DeprecationWarning|FSTDEP\d+|--trace-warnings|--trace-deprecation/.test(l));
}
