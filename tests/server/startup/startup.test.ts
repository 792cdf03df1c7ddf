/**
 * `npm start`'s server process, run for real: refusals to start are one line and exit code 1,
 * the first start prints the set-up link once, SIGTERM lets an in-flight request finish and exits 0.
 */
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateKeyText } from "../../../src/server/crypto/key";
import { openPglite } from "../../../src/server/db/pglite";
import { freePort, meaningfulLines, removeTempDirs, startServer, tempDir, waitForHealth, type Child } from "./child";

const running: Child[] = [];
afterAll(async () => {
  const alive = running.filter((c) => c.process.exitCode === null && c.process.signalCode === null);
  alive.forEach((c) => c.process.kill("SIGKILL"));
  await Promise.all(alive.map((c) => c.exited));
  removeTempDirs();
});

/** Runs the server expecting it to refuse; returns its single stderr line. */
async function refusal(env: Record<string, string>): Promise<string> {
  const child = startServer(env);
  running.push(child);
  const code = await child.exited;
  const lines = meaningfulLines(child.stderr());
  expect({ code, lines: lines.length }).toEqual({ code: 1, lines: 1 });
  expect(child.stderr()).not.toMatch(/\n\s+at /); // no stack trace
  return lines[0] ?? "";
}

async function startHealthy(env: Record<string, string>): Promise<{ child: Child; port: number }> {
  const port = await freePort();
  const child = startServer({ PORT: String(port), ...env });
  running.push(child);
  await waitForHealth(child, port);
  return { child, port };
}

async function stop(child: Child): Promise<number | null> {
  child.process.kill("SIGTERM");
  return child.exited;
}

// These start the real server as a child process: on a busy 2-core machine a start can take well over 30 s.
describe("refusing to start", { timeout: 90_000 }, () => {
  it.each([
    ["PORT=abc", { PORT: "abc" }, /PORT must be a whole number from 1 to 65535, not "abc"/],
    ["PORT=0", { PORT: "0" }, /PORT must be a whole number/],
    ["PORT=70000", { PORT: "70000" }, /PORT must be a whole number/],
    ["HOST with a space", { HOST: "local host" }, /HOST must be a host name or IP address/],
    ["DATABASE_URL not a URL", { DATABASE_URL: "not a url:secret" }, /DATABASE_URL is not a URL/],
    ["DATABASE_URL of another kind", { DATABASE_URL: "mysql://u:p@h/db" }, /DATABASE_URL must start with postgres:\/\//],
  ])("refuses %s with one line naming the variable", async (_name, env, message) => {
    const line = await refusal({ XINQING_DATA: tempDir(), ...env });
    expect(line).toMatch(/^xinqing: bad configuration: /);
    expect(line).toMatch(message);
    expect(line).not.toContain("secret");
  });

  it("refuses a PostgreSQL it cannot reach, naming the host but never the password", async () => {
    const port = await freePort();
    const line = await refusal({ XINQING_DATA: tempDir(), DATABASE_URL: `postgres://xq:hunter2@127.0.0.1:${port}/xinqing` });
    expect(line).toMatch(new RegExp(`^xinqing: cannot connect to PostgreSQL at xq@127.0.0.1:${port}/xinqing`));
    expect(line).not.toContain("hunter2");
  });

  it("refuses a key file that group or others can read", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "xinqing.key"), `${generateKeyText()}\n`, { mode: 0o600 });
    chmodSync(join(dir, "xinqing.key"), 0o640);
    const line = await refusal({ XINQING_DATA: dir });
    expect(line).toMatch(/can be read or written by group or others \(mode 0640\); run: chmod 600/);
  });

  it("refuses a corrupt key file", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "xinqing.key"), "not a key\n", { mode: 0o600 });
    const line = await refusal({ XINQING_DATA: dir });
    expect(line).toMatch(/the key file .*xinqing\.key is corrupt/);
  });

  it("refuses a malformed XINQING_KEY without echoing it", async () => {
    const line = await refusal({ XINQING_DATA: tempDir(), XINQING_KEY: "tooshort-secretvalue" });
    expect(line).toMatch(/XINQING_KEY must be 32 random bytes in base64/);
    expect(line).not.toContain("secretvalue");
  });

  it("refuses a database in a state the first migration cannot run on, and leaves it as it was", async () => {
    const dir = tempDir();
    const db = await openPglite({ dataDir: join(dir, "pgdata") });
    // A settings table that is not ours: 001_core.sql's CREATE TABLE settings fails.
    await db.exec("CREATE TABLE settings (name text PRIMARY KEY); INSERT INTO settings VALUES ('kept')");
    await db.close();
    const line = await refusal({ XINQING_DATA: dir });
    expect(line).toMatch(/^xinqing: the database was not changed: migration 001_core\.sql failed: relation "settings" already exists/);
    const after = await openPglite({ dataDir: join(dir, "pgdata") });
    try {
      const { rows } = await after.query("SELECT to_regclass('schema_migrations') IS NULL AS none, to_regclass('schools') IS NULL AS no_schools, (SELECT array_agg(name) FROM settings) AS names");
      expect(rows[0]).toEqual({ none: true, no_schools: true, names: ["kept"] });
    } finally {
      await after.close();
    }
  });

  it("refuses a data directory another server is using", async () => {
    const dir = tempDir();
    const { child } = await startHealthy({ XINQING_DATA: dir });
    const line = await refusal({ XINQING_DATA: dir, PORT: String(await freePort()) });
    expect(line).toMatch(/is in use by another XinQing process \(pid \d+, server\)/);
    expect(await stop(child)).toBe(0);
  });
});

describe("first start, restart and keys", { timeout: 90_000 }, () => {
  const dir = tempDir();

  it("creates a 0600 key file and prints the one-time set-up link once", async () => {
    const { child, port } = await startHealthy({ XINQING_DATA: dir });
    expect(await stop(child)).toBe(0);
    const out = child.stdout();
    expect(out).toMatch(new RegExp(`http://127\\.0\\.0\\.1:${port}/setup#[A-Za-z0-9_-]{20,}`));
    expect(out).toContain("a new encryption key was written to");
    const { statSync } = await import("node:fs");
    expect(statSync(join(dir, "xinqing.key")).mode & 0o777).toBe(0o600);

    const again = await startHealthy({ XINQING_DATA: dir });
    expect(await stop(again.child)).toBe(0);
    expect(again.child.stdout()).not.toContain("/setup#");
    expect(again.child.stdout()).not.toContain("a new encryption key");
  });

  it("refuses another key for the database (never writes under a wrong key)", async () => {
    const line = await refusal({ XINQING_DATA: dir, XINQING_KEY: generateKeyText() });
    expect(line).toMatch(/^xinqing: the key from XINQING_KEY \(key id [A-Za-z0-9_-]+\) is not the key of this database \(key id [A-Za-z0-9_-]+\); start with the original key$/);
  });

  it("refuses to start when the key file of an existing database is missing, instead of making a new key", async () => {
    const { renameSync, existsSync } = await import("node:fs");
    renameSync(join(dir, "xinqing.key"), join(dir, "xinqing.key.away"));
    try {
      const line = await refusal({ XINQING_DATA: dir });
      expect(line).toMatch(/the database holds encrypted data but the key file .* is missing and XINQING_KEY is not set; restore the key file/);
      expect(existsSync(join(dir, "xinqing.key"))).toBe(false);
    } finally {
      renameSync(join(dir, "xinqing.key.away"), join(dir, "xinqing.key"));
    }
  });

  it("writes the default settings on first start", async () => {
    const db = await openPglite({ dataDir: join(dir, "pgdata") });
    try {
      const { rows } = await db.query<{ key: string; value: unknown }>("SELECT key, value FROM settings WHERE key <> 'encryption.key_check' ORDER BY key");
      expect(rows.map((r) => r.key)).toEqual(["analytics.min_cell_size", "district.name", "help.hotlines", "retention.purge_after_months"]);
      expect(rows.find((r) => r.key === "analytics.min_cell_size")?.value).toBe(10);
      expect(JSON.stringify(rows.find((r) => r.key === "help.hotlines")?.value)).toContain('"number":"12355"');
    } finally {
      await db.close();
    }
  });
});

describe("graceful shutdown", { timeout: 90_000 }, () => {
  it("on SIGTERM finishes a request still being received, then exits 0, and the data directory reopens cleanly", async () => {
    const dir = tempDir();
    mkdirSync(dir, { recursive: true });
    const { child, port } = await startHealthy({ XINQING_DATA: dir });
    // A request in flight: headers and half of the body sent; the rest comes after SIGTERM.
    const socket = connect(port, "127.0.0.1");
    let response = "";
    socket.on("data", (d: Buffer) => (response += d.toString("utf8")));
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    await new Promise<void>((resolve) => socket.once("connect", () => resolve()));
    const body = JSON.stringify({ username: "nobody", password: "x".repeat(20) });
    socket.write(`POST /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nCookie: xq_session=SECRETCOOKIEVALUE\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 300));
    child.process.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 500));
    expect(child.process.exitCode).toBeNull(); // still waiting for the request
    socket.end(body.slice(10));
    await closed;
    expect(response).toMatch(/^HTTP\/1\.1 404 /);
    expect(await child.exited).toBe(0);
    expect(child.stdout()).toContain("XinQing: stopped");
    expect(child.stdout() + child.stderr()).not.toContain("SECRETCOOKIEVALUE");

    const db = await openPglite({ dataDir: join(dir, "pgdata") });
    try {
      const { rows } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM schema_migrations");
      expect(rows[0]?.n).toBeGreaterThan(0);
    } finally {
      await db.close();
    }
    const { existsSync } = await import("node:fs");
    expect(existsSync(join(dir, "xinqing.lock"))).toBe(false);
  });

  it("exits 0 on SIGINT too", async () => {
    const { child } = await startHealthy({ XINQING_DATA: tempDir() });
    child.process.kill("SIGINT");
    expect(await child.exited).toBe(0);
  });
});
