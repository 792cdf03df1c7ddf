/**
 * A throw-away PostgreSQL database for one benchmark run: created on the server that TEST_DATABASE_URL
 * names (its role must be allowed to CREATE DATABASE) and dropped afterwards, whatever happens.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";

/** Runs `run` with the URL of a fresh, empty database on `serverUrl`'s server, then drops the database. */
export async function withThrowawayDatabase<T>(serverUrl: string, run: (url: string) => Promise<T>): Promise<T> {
  const name = `xq_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const target = new URL(serverUrl);
    target.pathname = `/${name}`;
    try {
      return await run(target.toString());
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }
  } finally {
    await admin.end();
  }
}
