import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { COMMIT_ROLLED_BACK, DbError, SqlState, isUniqueViolation, openDatabase, type Database } from "../../../src/server/db/database";
import { describeEachDatabase } from "../../helpers/databases";

/** Resolves with the first payload `listen` delivers on `channel`, or rejects after `ms`. */
function nextNotification(db: Database, channel: string, ms = 5_000): Promise<{ payload: Promise<string>; stop: () => Promise<void> }> {
  let resolve: (p: string) => void = () => undefined;
  const payload = new Promise<string>((res, rej) => {
    resolve = res;
    setTimeout(() => rej(new Error(`no notification on ${channel} within ${ms} ms`)), ms).unref();
  });
  return db.listen(channel, (p) => resolve(p)).then((stop) => ({ payload, stop }));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the promise to reject");
}

describeEachDatabase("Database", (getDb, { kind, freshDatabase }) => {
  beforeAll(async () => {
    await getDb().exec(`
      CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL UNIQUE, n integer NOT NULL DEFAULT 0);
      CREATE TABLE counters (id integer PRIMARY KEY, value integer NOT NULL);
      CREATE TABLE events (seq serial PRIMARY KEY, tx integer NOT NULL, step text NOT NULL);
      CREATE TABLE texts (id serial PRIMARY KEY, body text NOT NULL);
    `);
  });

  describe("queries", () => {
    it("returns the rows of a parameterised query and counts them in rowCount", async () => {
      const db = getDb();
      const result = await db.query<{ a: number; b: string }>("SELECT $1::int AS a, $2::text AS b UNION ALL SELECT 2, 'y'", [1, "x"]);
      expect(result.rows).toEqual([
        { a: 1, b: "x" },
        { a: 2, b: "y" },
      ]);
      expect(result.rowCount).toBe(2);
    });

    it("reports affected rows for INSERT, UPDATE and DELETE, and 0 for DDL", async () => {
      const db = getDb();
      expect((await db.query("INSERT INTO items (name) VALUES ('q1'), ('q2'), ('q3')")).rowCount).toBe(3);
      expect((await db.query("UPDATE items SET n = n + 1 WHERE name IN ('q1', 'q2')")).rowCount).toBe(2);
      expect((await db.query("DELETE FROM items WHERE name LIKE 'q%'")).rowCount).toBe(3);
      expect((await db.query("CREATE TABLE ddl_probe (x int)")).rowCount).toBe(0);
    });

    it("returns RETURNING rows with rowCount equal to the rows written", async () => {
      const result = await getDb().query<{ name: string }>("INSERT INTO items (name) VALUES ($1), ($2) RETURNING name", ["r1", "r2"]);
      expect(result.rows.map((r) => r.name)).toEqual(["r1", "r2"]);
      expect(result.rowCount).toBe(2);
    });

    it("refuses two statements in one query, so a parameter can never smuggle in a second one", async () => {
      const error = await rejection(getDb().query("SELECT 1; SELECT 2"));
      expect(error).toBeInstanceOf(DbError);
      expect((error as DbError).code).toBe("42601");
    });

    it("runs a script of several statements with exec", async () => {
      const db = getDb();
      await db.exec("CREATE TABLE script_a (x int); INSERT INTO script_a VALUES (1), (2); CREATE TABLE script_b (y int);");
      expect((await db.query("SELECT count(*) AS c FROM script_a")).rows).toEqual([{ c: 2 }]);
      expect((await db.query("SELECT count(*) AS c FROM script_b")).rows).toEqual([{ c: 0 }]);
    });

    it("reports a syntax error with its SQLSTATE", async () => {
      const error = await rejection(getDb().query("SELEC 1"));
      expect(error).toBeInstanceOf(DbError);
      expect((error as DbError).code).toBe("42601");
    });
  });

  describe("transactions", () => {
    it("commits when the callback resolves and returns the callback's value", async () => {
      const db = getDb();
      const value = await db.transaction(async (tx) => {
        await tx.query("INSERT INTO items (name) VALUES ($1)", ["t-commit"]);
        return "done";
      });
      expect(value).toBe("done");
      expect((await db.query("SELECT name FROM items WHERE name = 't-commit'")).rowCount).toBe(1);
    });

    it("leaves nothing behind when the callback throws, and re-throws the callback's own error", async () => {
      const db = getDb();
      const thrown = new Error("callback failed");
      const error = await rejection(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO items (name) VALUES ($1)", ["t-rollback-1"]);
          await tx.exec("CREATE TABLE made_in_rolled_back_tx (x int)");
          await tx.query("INSERT INTO items (name) VALUES ($1)", ["t-rollback-2"]);
          throw thrown;
        }),
      );
      expect(error).toBe(thrown);
      expect((await db.query("SELECT name FROM items WHERE name LIKE 't-rollback-%'")).rowCount).toBe(0);
      expect((await db.query("SELECT to_regclass('made_in_rolled_back_tx') AS t")).rows).toEqual([{ t: null }]);
    });

    it("rolls back when a statement inside fails, with the database error's code", async () => {
      const db = getDb();
      await db.query("INSERT INTO items (name) VALUES ('t-dup')");
      const error = await rejection(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO items (name) VALUES ('t-before-dup')");
          await tx.query("INSERT INTO items (name) VALUES ('t-dup')");
        }),
      );
      expect(isUniqueViolation(error)).toBe(true);
      expect((await db.query("SELECT 1 FROM items WHERE name = 't-before-dup'")).rowCount).toBe(0);
    });

    it("reports a transaction whose failed statement the callback swallowed as rolled back, not committed", async () => {
      const db = getDb();
      const error = await rejection(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO items (name) VALUES ('t-swallowed')");
          await tx.query("SELECT 1/0").catch(() => undefined);
        }),
      );
      expect(error).toBeInstanceOf(DbError);
      expect(error).toMatchObject({ code: SqlState.inFailedSqlTransaction, message: COMMIT_ROLLED_BACK });
      expect((await db.query("SELECT 1 FROM items WHERE name = 't-swallowed'")).rowCount).toBe(0);
    });

    it("reports a deferred constraint that fails at COMMIT with its code, and keeps nothing", async () => {
      const db = getDb();
      await db.exec(`
        CREATE TABLE parents (id integer PRIMARY KEY);
        CREATE TABLE children (id integer PRIMARY KEY, parent_id integer REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED);
      `);
      const error = await rejection(
        db.transaction(async (tx) => {
          await tx.query("INSERT INTO children (id, parent_id) VALUES (1, 99)");
        }),
      );
      expect(error).toBeInstanceOf(DbError);
      expect(error).toMatchObject({ code: SqlState.foreignKeyViolation, constraint: "children_parent_id_fkey" });
      expect((await db.query("SELECT count(*) AS n FROM children")).rows).toEqual([{ n: 0 }]);
      expect((await db.query("SELECT 1 AS still_usable")).rows).toEqual([{ still_usable: 1 }]);
    });

    it("refuses the database object itself inside its own transaction callback instead of deadlocking", async () => {
      const db = getDb();
      const inner: unknown[] = [];
      await db.transaction(async () => {
        inner.push(await rejection(db.query("SELECT 1")));
        inner.push(await rejection(db.transaction(async () => 1)));
        inner.push(await rejection(db.exec("SELECT 1")));
      });
      for (const e of inner) {
        expect(e).toBeInstanceOf(DbError);
        expect((e as DbError).code).toBe(SqlState.activeSqlTransaction);
        expect((e as DbError).message).toContain("use the tx passed to the callback");
      }
    });

    it("refuses a transaction handle used after its transaction ended", async () => {
      const db = getDb();
      let kept: { query: (sql: string) => Promise<unknown> } | undefined;
      await db.transaction(async (tx) => {
        kept = tx;
      });
      await expect(kept?.query("SELECT 1")).rejects.toThrow(/transaction has already ended/);
    });

    it("keeps uncommitted rows invisible to a query issued outside the open transaction", async () => {
      const db = getDb();
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => (release = r));
      let inserted: () => void = () => undefined;
      const insertedSignal = new Promise<void>((r) => (inserted = r));
      const txDone = db
        .transaction(async (tx) => {
          await tx.query("INSERT INTO items (name) VALUES ('t-invisible')");
          inserted();
          await gate;
          throw new Error("roll it back");
        })
        .catch(() => "rolled back");
      await insertedSignal;
      // PGlite: waits until the transaction ends; PostgreSQL: runs now on another connection.
      const outside = db.query("SELECT count(*) AS c FROM items WHERE name = 't-invisible'");
      await sleep(50);
      release();
      expect(await txDone).toBe("rolled back");
      expect((await outside).rows).toEqual([{ c: 0 }]);
    });

    it("never interleaves concurrent read-modify-write transactions", async () => {
      const db = getDb();
      await db.query("INSERT INTO counters (id, value) VALUES (1, 0)");
      const workers = 8;
      await Promise.all(
        Array.from({ length: workers }, (_, i) =>
          db.transaction(async (tx) => {
            await tx.query("INSERT INTO events (tx, step) VALUES ($1, 'begin')", [i]);
            const { rows } = await tx.query<{ value: number }>("SELECT value FROM counters WHERE id = 1 FOR UPDATE");
            await sleep(5);
            await tx.query("UPDATE counters SET value = $1 WHERE id = 1", [(rows[0]?.value ?? 0) + 1]);
            await tx.query("INSERT INTO events (tx, step) VALUES ($1, 'end')", [i]);
          }),
        ),
      );
      expect((await db.query("SELECT value FROM counters WHERE id = 1")).rows).toEqual([{ value: workers }]);
      if (kind === "pglite") {
        // One connection: each transaction's begin is directly followed by its own end.
        const { rows } = await db.query<{ tx: number; step: string }>("SELECT tx, step FROM events ORDER BY seq");
        for (let i = 0; i < rows.length; i += 2) {
          expect([rows[i]?.step, rows[i + 1]?.step, rows[i]?.tx]).toEqual(["begin", "end", rows[i + 1]?.tx]);
        }
      }
    });
  });

  describe("errors", () => {
    it("exposes a unique violation as code 23505 with the constraint name", async () => {
      const db = getDb();
      await db.query("INSERT INTO items (name) VALUES ('e-unique')");
      const error = await rejection(db.query("INSERT INTO items (name) VALUES ($1)", ["e-unique"]));
      expect(error).toBeInstanceOf(DbError);
      expect(error).toMatchObject({ code: "23505", constraint: "items_name_key", table: "items" });
      expect(isUniqueViolation(error, "items_name_key")).toBe(true);
      expect(isUniqueViolation(error, "other_constraint")).toBe(false);
      // The message names the constraint, not the value (which may be personal data).
      expect((error as DbError).message).not.toContain("e-unique");
    });

    it("exposes a not-null violation as code 23502 with the column", async () => {
      const error = await rejection(getDb().query("INSERT INTO items (name) VALUES (NULL)"));
      expect(error).toMatchObject({ code: SqlState.notNullViolation, column: "name" });
    });
  });

  describe("value types", () => {
    it("returns COUNT(*), int8 and int4 as numbers", async () => {
      const { rows } = await getDb().query("SELECT count(*) AS c, 42::int8 AS big, 7::int4 AS small, 2.5::float8 AS f, (-9007199254740991)::int8 AS min_safe");
      expect(rows).toEqual([{ c: 1, big: 42, small: 7, f: 2.5, min_safe: -9007199254740991 }]);
    });

    it("returns an int8 beyond 2^53 as an exact bigint, never a rounded number", async () => {
      const { rows } = await getDb().query("SELECT 9007199254740993::int8 AS v, $1::int8 AS p", [9007199254740993n]);
      expect(rows).toEqual([{ v: 9007199254740993n, p: 9007199254740993n }]);
    });

    it("returns numeric as an exact string", async () => {
      const { rows } = await getDb().query("SELECT 1.50::numeric AS n, avg(x) AS a FROM (VALUES (1), (2)) v(x)");
      expect(rows).toEqual([{ n: "1.50", a: "1.5000000000000000" }]);
    });

    it("round-trips a timestamptz as the same instant, whatever the parameter's time zone", async () => {
      const at = new Date("2026-03-01T08:30:15.123Z");
      const { rows } = await getDb().query<{ t: Date; fixed: Date; shown: string }>(
        "SELECT $1::timestamptz AS t, '2026-03-01 16:30:15.123+08'::timestamptz AS fixed, $1::timestamptz::text AS shown",
        [at],
      );
      expect(rows[0]?.t).toBeInstanceOf(Date);
      expect(rows[0]?.t.toISOString()).toBe(at.toISOString());
      expect(rows[0]?.fixed.toISOString()).toBe(at.toISOString());
      // Sessions run in UTC on both, so SQL that formats times agrees too.
      expect(rows[0]?.shown).toBe("2026-03-01 08:30:15.123+00");
    });

    it("reads timestamp without time zone as UTC and date as a YYYY-MM-DD string", async () => {
      const { rows } = await getDb().query("SELECT '2026-09-01 07:45:00'::timestamp AS ts, '2026-09-01'::date AS d, '1 day 02:00:00'::interval AS i");
      expect(rows).toEqual([{ ts: new Date("2026-09-01T07:45:00Z"), d: "2026-09-01", i: "1 day 02:00:00" }]);
    });

    it("returns json and jsonb parsed, and takes them as JSON text", async () => {
      const value = { tier: "red", reasons: [{ rule: "phq9.item9", evidence: 2 }], 名字: "心晴" };
      const { rows } = await getDb().query("SELECT $1::jsonb AS b, $1::json AS j", [JSON.stringify(value)]);
      expect(rows).toEqual([{ b: value, j: value }]);
    });

    it("returns bytea as a Buffer, booleans and arrays element by element", async () => {
      const { rows } = await getDb().query(
        "SELECT '\\x00ff10'::bytea AS bin, true AS yes, ARRAY[1, 9007199254740993]::int8[] AS big_ids, ARRAY['a', NULL, 'c']::text[] AS names, ARRAY['2026-01-02'::date] AS dates, ARRAY[1.5]::numeric[] AS ns",
      );
      expect(rows[0]?.bin).toEqual(Buffer.from([0, 255, 16]));
      expect(Buffer.isBuffer(rows[0]?.bin)).toBe(true);
      expect(rows[0]).toMatchObject({ yes: true, big_ids: [1, 9007199254740993n], names: ["a", null, "c"], dates: ["2026-01-02"], ns: ["1.5"] });
    });

    it("takes a JS array parameter as a PostgreSQL array", async () => {
      const { rows } = await getDb().query("SELECT x FROM unnest($1::text[]) AS x ORDER BY x", [["乙", "甲"]]);
      expect(rows.map((r) => r.x)).toEqual(["乙", "甲"].sort());
    });

    it.each([
      ["emoji", "😀👍🏽 家庭👨‍👩‍👧"],
      ["CJK Extension B (4-byte UTF-8)", "𠀀𠮷𪚥"],
      ["mixed Chinese and English with punctuation", "张三（高一·3班）: ok, 心晴"],
      ["the empty string", ""],
      ["quotes and backslashes", `'"\\ ; --`],
    ])("round-trips %s in text", async (_label, text) => {
      const db = getDb();
      const { rows } = await db.query<{ id: number }>("INSERT INTO texts (body) VALUES ($1) RETURNING id", [text]);
      const back = await db.query<{ body: string; chars: number }>("SELECT body, char_length(body) AS chars FROM texts WHERE id = $1", [rows[0]?.id]);
      expect(back.rows).toEqual([{ body: text, chars: [...text].length }]);
    });

    it("refuses a text parameter containing NUL with an error naming the parameter", async () => {
      const error = await rejection(getDb().query("INSERT INTO texts (body) VALUES ($1)", ["before\u0000after"]));
      expect(error).toBeInstanceOf(DbError);
      expect(error).toMatchObject({ code: SqlState.characterNotInRepertoire });
      expect((error as DbError).message).toMatch(/parameter \$1 contains a NUL character/);
    });

    it("refuses NUL written into SQL by the database itself, with SQLSTATE 22021 or 54000", async () => {
      const error = await rejection(getDb().query("SELECT chr(0) AS x"));
      expect(error).toBeInstanceOf(DbError);
      expect(["22021", "54000"]).toContain((error as DbError).code);
    });
  });

  describe("notifications", () => {
    it("delivers a notification sent inside a transaction only after it commits", async () => {
      const db = getDb();
      const received: string[] = [];
      const stop = await db.listen("xq_alerts", (p) => received.push(p));
      const { payload, stop: stopNext } = await nextNotification(db, "xq_alerts");
      await db.transaction(async (tx) => {
        await tx.query("SELECT pg_notify($1, $2)", ["xq_alerts", "case:42"]);
        await sleep(50);
        expect(received).toEqual([]);
      });
      expect(await payload).toBe("case:42");
      await stop();
      await stopNext();
    });

    it("stops delivering after unlisten, and drops notifications of a rolled-back transaction", async () => {
      const db = getDb();
      const received: string[] = [];
      const stop = await db.listen("xq_stop", (p) => received.push(p));
      await db.transaction(async (tx) => {
        await tx.query("SELECT pg_notify('xq_stop', 'rolled back')");
        throw new Error("abort");
      }).catch(() => undefined);
      await db.notify("xq_stop", "one");
      await waitFor(() => received.length === 1);
      await stop();
      await db.notify("xq_stop", "two");
      await sleep(100);
      expect(received).toEqual(["one"]);
    });

    it("lets a listener query the database from its callback", async () => {
      const db = getDb();
      let resolve: (n: number) => void = () => undefined;
      let reject: (e: unknown) => void = () => undefined;
      const seen = new Promise<number>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      const stop = await db.listen("xq_lookup", (p) => {
        db.query<{ n: number }>("SELECT $1::int AS n", [Number(p)]).then((r) => resolve(r.rows[0]?.n ?? -1), reject);
      });
      await db.transaction(async (tx) => {
        await tx.query("SELECT pg_notify('xq_lookup', '7')");
      });
      expect(await seen).toBe(7);
      await stop();
    });

    it("refuses a channel name that is not a plain identifier", async () => {
      await expect(getDb().listen("bad; DROP TABLE items", () => undefined)).rejects.toThrow(/invalid notification channel/);
    });

    if (kind === "postgres") {
      it("carries a notification from one app instance to another on the same database", async () => {
        const fresh = await freshDatabase();
        const other = await openDatabase({ url: fresh.url, poolSize: 2 });
        try {
          const { payload, stop } = await nextNotification(fresh.db, "xq_cross");
          await other.notify("xq_cross", "from the other instance");
          expect(await payload).toBe("from the other instance");
          await stop();
        } finally {
          await other.close();
        }
      });

      it("listens again by itself after the listening connection is killed", async () => {
        const { db } = await freshDatabase();
        const received: string[] = [];
        const stop = await db.listen("xq_resilient", (p) => received.push(p));
        const killed = await db.query(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'",
        );
        expect(killed.rows).toEqual([{ ok: true }]);
        // The listener reconnects after 0.5 s; notify until a message gets through.
        for (let i = 0; received.length === 0 && i < 50; i += 1) {
          await db.notify("xq_resilient", `try ${i}`);
          await sleep(100);
        }
        expect(received.length).toBeGreaterThan(0);
        await stop();
      });
    }
  });

  describe("closing", () => {
    it("refuses queries after close with a clear error, and a second close is harmless", async () => {
      const { db } = await freshDatabase();
      await db.query("SELECT 1");
      await db.close();
      await db.close();
      const error = await rejection(db.query("SELECT 1"));
      expect(error).toBeInstanceOf(DbError);
      expect(error).toMatchObject({ code: SqlState.connectionDoesNotExist, message: "the database is closed" });
    });
  });
});

async function waitFor(condition: () => boolean, ms = 5_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await sleep(10);
  }
}
