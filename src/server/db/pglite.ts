/**
 * The embedded implementation: PGlite 0.5 (PostgreSQL in WebAssembly, one connection in-process).
 *
 * PGlite serialises everything itself: `query`/`exec`/`transaction` all take one transaction
 * mutex, so a query issued outside an open transaction waits until that transaction ends, and
 * concurrent transactions run one after another. The one trap is calling the database object
 * from inside its own transaction callback, which would wait for itself for ever: that is refused
 * (see `assertOutsideTransaction`).
 */
import { PGlite, TransactionAbortedError, messages, type Transaction } from "@electric-sql/pglite";
import {
  COMMIT_ROLLED_BACK,
  DbConnectionError,
  DbError,
  SqlState,
  assertOutsideTransaction,
  checkChannel,
  checkStatement,
  deliverNotification,
  fromDriverError,
  runInTransactionScope,
  scalarParsers,
  type Database,
  type NotificationHandler,
  type QueryResult,
  type Queryable,
  type Row,
} from "./database";

/** PGlite and its transactions share these two methods. */
type PgliteRunner = Pick<Transaction, "query" | "exec">;

function mapError(e: unknown): unknown {
  if (e instanceof Error && e.message === "PGlite is closed") {
    return new DbConnectionError({ code: SqlState.connectionDoesNotExist, message: "the database is closed", cause: e });
  }
  return fromDriverError(e) ?? e;
}

async function runQuery<T extends Row>(runner: PgliteRunner, sql: string, params: readonly unknown[] | undefined): Promise<QueryResult<T>> {
  checkStatement(sql, params);
  try {
    const result = await runner.query<T>(sql, params === undefined ? [] : [...params]);
    // PGlite reports affectedRows 0 for a SELECT; pg's rowCount is the number of rows.
    return { rows: result.rows, rowCount: Math.max(result.affectedRows ?? 0, result.rows.length) };
  } catch (e) {
    throw mapError(e);
  }
}

async function runExec(runner: PgliteRunner, sql: string): Promise<void> {
  checkStatement(sql, undefined);
  try {
    await runner.exec(sql);
  } catch (e) {
    throw mapError(e);
  }
}

class PgliteDatabase implements Database {
  readonly kind = "pglite" as const;
  #closed = false;

  constructor(private readonly pglite: PGlite) {}

  #check(method: string): void {
    if (this.#closed) throw new DbConnectionError({ code: SqlState.connectionDoesNotExist, message: "the database is closed" });
    assertOutsideTransaction(this, method);
  }

  async query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    this.#check("query");
    return runQuery<T>(this.pglite, sql, params);
  }

  async exec(sql: string): Promise<void> {
    this.#check("exec");
    return runExec(this.pglite, sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#check("transaction");
    try {
      return await this.pglite.transaction(async (raw) => {
        let open = true;
        const ensureOpen = (): void => {
          if (!open) throw new Error("this transaction has already ended; use the database object");
        };
        const tx: Queryable = {
          query: async <R extends Row = Row>(sql: string, params?: readonly unknown[]) => {
            ensureOpen();
            return runQuery<R>(raw, sql, params);
          },
          exec: async (sql: string) => {
            ensureOpen();
            return runExec(raw, sql);
          },
        };
        try {
          return await runInTransactionScope(this, () => fn(tx));
        } finally {
          open = false;
        }
      });
    } catch (e) {
      // Errors of tx.query are mapped already; what the callback threw passes through unchanged.
      if (e instanceof TransactionAbortedError) {
        throw new DbError({ code: SqlState.inFailedSqlTransaction, message: COMMIT_ROLLED_BACK, cause: e });
      }
      // BEGIN or COMMIT itself failed (e.g. a deferred constraint checked at COMMIT).
      if (e instanceof messages.DatabaseError) throw fromDriverError(e) ?? e;
      throw e;
    }
  }

  async listen(channel: string, onMessage: NotificationHandler): Promise<() => Promise<void>> {
    checkChannel(channel);
    this.#check("listen");
    const handler = (payload: string): void => deliverNotification(onMessage, payload);
    let unlisten: (tx?: Transaction) => Promise<void>;
    try {
      unlisten = await this.pglite.listen(channel, handler);
    } catch (e) {
      throw mapError(e);
    }
    let active = true;
    return async () => {
      if (!active || this.#closed) return;
      active = false;
      await unlisten();
    };
  }

  async notify(channel: string, payload: string): Promise<void> {
    checkChannel(channel);
    await this.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    assertOutsideTransaction(this, "close");
    this.#closed = true;
    await this.pglite.close();
  }
}

export interface OpenPgliteOptions {
  /** Created on first start; in memory when absent. */
  dataDir?: string;
  /**
   * Start a new database from a dump (`PGlite#dumpDataDir`) instead of running initdb: about
   * 0.5 s instead of 3 s here, which is what the tests' fresh databases use.
   */
  loadDataDir?: Blob | File;
}

/**
 * Memory settings of the embedded engine, which runs inside this process: its buffer pool counts in the
 * process's memory. PGlite's default pool of 128 MB is most of what a streaming export of a whole
 * district would hold; 16 MB is PostgreSQL's own minimal default. Large scans go through a small ring of
 * buffers whatever the pool's size, and the operating system caches the data files. Given as start
 * parameters: PGlite's `postgresqlconf` option would overwrite the data directory's postgresql.conf.
 */
const MEMORY_SETTINGS = ["-c", "shared_buffers=16MB"];

/** Opens PGlite on `dataDir` (created on first start) or in memory when it is absent. */
export async function openPglite(options: OpenPgliteOptions): Promise<Database> {
  // Same value types as the pg implementation (database.ts); array types follow their elements.
  const parsers = { ...scalarParsers };
  try {
    const pglite = await PGlite.create({
      parsers,
      startParams: [...PGlite.defaultStartParams, ...MEMORY_SETTINGS],
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.loadDataDir === undefined ? {} : { loadDataDir: options.loadDataDir }),
    });
    return new PgliteDatabase(pglite);
  } catch (e) {
    const where = options.dataDir === undefined ? "in memory" : `on data directory ${options.dataDir}`;
    throw new DbConnectionError({
      code: SqlState.unableToConnect,
      message: `cannot open the embedded database (PGlite) ${where}: ${e instanceof Error ? e.message : String(e)}`,
      cause: e,
    });
  }
}
