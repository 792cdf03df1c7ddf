import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DbConnectionError, openDatabase } from "../../../src/server/db/database";
import { postgresUrl } from "../../helpers/databases";

const temp = mkdtempSync(join(tmpdir(), "xinqing-open-"));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

/** A loopback port nothing listens on. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 1));
    });
  });
}

describe("openDatabase", () => {
  it("keeps PGlite data in its data directory across restarts", async () => {
    const dataDir = join(temp, "pgdata");
    const first = await openDatabase({ dataDir });
    expect(first.kind).toBe("pglite");
    await first.exec("CREATE TABLE kept (v text); INSERT INTO kept VALUES ('心晴');");
    await first.close();
    const second = await openDatabase({ dataDir });
    expect((await second.query("SELECT v FROM kept")).rows).toEqual([{ v: "心晴" }]);
    await second.close();
  });

  it("reports a PGlite data directory that cannot be used as a connection error naming it", async () => {
    const notADirectory = join(temp, "a-file");
    writeFileSync(notADirectory, "x");
    const error = await openDatabase({ dataDir: join(notADirectory, "pgdata") }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbConnectionError);
    expect((error as Error).message).toContain(join(notADirectory, "pgdata"));
  });

  it("reports an unreachable PostgreSQL as a connection error naming the server but not the password", async () => {
    const port = await closedPort();
    const error = await openDatabase({ url: `postgres://xinqing:s3cret-pw@127.0.0.1:${port}/xinqing` }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbConnectionError);
    expect((error as DbConnectionError).code).toBe("08001");
    expect((error as Error).message).toContain(`cannot connect to PostgreSQL at xinqing@127.0.0.1:${port}/xinqing`);
    expect((error as Error).message).not.toContain("s3cret-pw");
  });

  it("refuses to open without a URL, data directory or memory: true", async () => {
    await expect(openDatabase({})).rejects.toThrow(/give a PostgreSQL url, a PGlite dataDir, or memory: true/);
  });

  it.skipIf(postgresUrl() === undefined)("reports a PostgreSQL database that does not exist as a connection error with SQLSTATE 3D000", async () => {
    const url = new URL(postgresUrl() ?? "");
    url.pathname = "/no_such_database_xq";
    const error = await openDatabase({ url: url.toString() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DbConnectionError);
    expect((error as DbConnectionError).code).toBe("3D000");
    expect((error as Error).message).toContain("no_such_database_xq");
  });
});
