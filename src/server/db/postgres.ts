/**
 * The district-scale implementation: PostgreSQL through a `pg.Pool`.
 *
 * Every query uses the extended protocol (one statement, like PGlite's `query`), every session
 * runs with TimeZone=UTC (PGlite's default) so SQL that formats or truncates times behaves the same,
 * and the type parsers are the shared ones of database.ts. LISTEN uses one dedicated connection
 * outside the pool that reconnects by itself; notifications sent while it is reconnecting are lost,
 * so listeners must treat a notification as "look in the database", never as the data itself.
 */
import pg from "pg";
import {
  COMMIT_ROLLED_BACK,
  DbConnectionError,
  DbError,
  SqlState,
  arrayElementOid,
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

/** node errors and pg messages that mean "no usable connection". */
const CONNECTION_ERROR_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EPIPE", "ENOENT"]);
const CONNECTION_ERROR_MESSAGE = /Connection terminated|connection timeout|timeout exceeded when trying to connect|not queryable|Client was closed/i;
/** SQLSTATE classes 08 (connection), 28 (authorization), 3D000 (no such database), 57P0x (shutdown), 53300 (too many connections). */
const CONNECTION_SQLSTATE = /^(08|28)|^3D000$|^57P0[1-3]$|^53300$/;

/** user@host:port/database, never the password. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username === "" ? "" : `${decodeURIComponent(u.username)}@`;
    const host = u.hostname === "" ? (u.searchParams.get("host") ?? "localhost") : u.hostname;
    return `${user}${host}:${u.port === "" ? "5432" : u.port}${u.pathname}`;
  } catch {
    return "the configured database URL";
  }
}

function connectionError(e: unknown, target: string): DbConnectionError {
  const reason = e instanceof Error ? (e.message !== "" ? e.message : ((e as { code?: string }).code ?? e.name)) : String(e);
  const code = (e as { code?: unknown } | null)?.code;
  return new DbConnectionError({
    code: typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) ? code : SqlState.unableToConnect,
    message: `cannot connect to PostgreSQL at ${target}: ${reason}`,
    cause: e,
  });
}

function isConnectionFailure(e: unknown): boolean {
  if (typeof e !== "object" || e === null) return false;
  const { code, message } = e as { code?: unknown; message?: unknown };
  if (typeof code === "string" && (CONNECTION_ERROR_CODES.has(code) || CONNECTION_SQLSTATE.test(code))) return true;
  if (typeof AggregateError !== "undefined" && e instanceof AggregateError) return e.errors.some(isConnectionFailure);
  return typeof message === "string" && CONNECTION_ERROR_MESSAGE.test(message);
}

function mapError(e: unknown, target: string): unknown {
  if (isConnectionFailure(e)) return connectionError(e, target);
  return fromDriverError(e) ?? e;
}

/** pg-types' lookup, typed for any OID (its typings list the built-in scalar OIDs only). */
const pgTypeParser = pg.types.getTypeParser as (oid: number, format: "text" | "binary") => (value: string) => unknown;
const TEXT_ARRAY_OID = 1009;

/** Shared parsers for scalars, arrays of them parsed element by element, pg-types for the rest. */
function getTypeParser(oid: number, format?: "text" | "binary"): (value: string) => unknown {
  if (format === "binary") return pgTypeParser(oid, "binary");
  const scalar = scalarParsers[oid];
  if (scalar !== undefined) return scalar;
  const elementOid = arrayElementOid[oid];
  if (elementOid !== undefined) {
    const parseElement = scalarParsers[elementOid];
    const parseTextArray = pgTypeParser(TEXT_ARRAY_OID, "text") as (value: string) => unknown[];
    if (parseElement !== undefined) {
      const mapDeep = (xs: unknown[]): unknown[] => xs.map((x) => (Array.isArray(x) ? mapDeep(x) : typeof x === "string" ? parseElement(x) : x));
      return (value) => mapDeep(parseTextArray(value));
    }
  }
  return pgTypeParser(oid, "text");
}

/** `pg` switches to the simple protocol (several statements allowed) when there are no parameters. */
type ExtendedQueryConfig = pg.QueryConfig & { queryMode: "extended" };

async function runQuery<T extends Row>(client: pg.Pool | pg.PoolClient, sql: string, params: readonly unknown[] | undefined, target: string): Promise<QueryResult<T>> {
  checkStatement(sql, params);
  const config: ExtendedQueryConfig = { text: sql, values: params === undefined ? [] : [...params], queryMode: "extended" };
  try {
    const result = await client.query<T>(config);
    return { rows: result.rows, rowCount: result.rowCount ?? 0 };
  } catch (e) {
    throw mapError(e, target);
  }
}

async function runExec(client: pg.Pool | pg.PoolClient, sql: string, target: string): Promise<void> {
  checkStatement(sql, undefined);
  try {
    await client.query(sql);
  } catch (e) {
    throw mapError(e, target);
  }
}

/** One dedicated LISTEN connection, reconnected with back-off while anyone listens. */
class Listener {
  readonly #handlers = new Map<string, Set<NotificationHandler>>();
  #client: Promise<pg.Client> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryDelayMs = 500;
  #closed = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly target: string,
  ) {}

  async add(channel: string, handler: NotificationHandler): Promise<() => Promise<void>> {
    let set = this.#handlers.get(channel);
    const first = set === undefined;
    if (set === undefined) {
      set = new Set();
      this.#handlers.set(channel, set);
    }
    set.add(handler);
    if (first) {
      try {
        const client = await this.#connected();
        await client.query(`LISTEN ${channel}`);
      } catch (e) {
        set.delete(handler);
        if (set.size === 0) this.#handlers.delete(channel);
        throw mapError(e, this.target);
      }
    }
    let active = true;
    return async () => {
      if (!active) return;
      active = false;
      const current = this.#handlers.get(channel);
      current?.delete(handler);
      if (current === undefined || current.size > 0) return;
      this.#handlers.delete(channel);
      const client = this.#client;
      if (client === undefined) return;
      if (this.#handlers.size === 0) {
        this.#client = undefined;
        await (await client.catch(() => undefined))?.end().catch(() => undefined);
      } else {
        await (await client).query(`UNLISTEN ${channel}`).catch(() => undefined);
      }
    };
  }

  #connected(): Promise<pg.Client> {
    if (this.#client === undefined) {
      const connecting = this.#connect();
      this.#client = connecting;
      connecting.catch(() => {
        if (this.#client === connecting) this.#client = undefined;
      });
    }
    return this.#client;
  }

  async #connect(): Promise<pg.Client> {
    const client = new pg.Client(this.config);
    client.on("notification", (msg) => {
      this.#handlers.get(msg.channel)?.forEach((h) => deliverNotification(h, msg.payload ?? ""));
    });
    const lost = (): void => {
      client.removeAllListeners("notification");
      client.removeAllListeners("end");
      client.end().catch(() => undefined);
      const current = this.#client;
      current?.then(
        (c) => {
          if (c === client && this.#client === current) {
            this.#client = undefined;
            this.#scheduleReconnect();
          }
        },
        () => undefined,
      );
    };
    client.on("error", lost);
    try {
      await client.connect();
    } catch (e) {
      throw connectionError(e, this.target);
    }
    client.on("end", lost);
    return client;
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#handlers.size === 0 || this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      this.#connected()
        .then(async (client) => {
          for (const channel of this.#handlers.keys()) await client.query(`LISTEN ${channel}`);
          this.#retryDelayMs = 500;
        })
        .catch(() => {
          this.#retryDelayMs = Math.min(this.#retryDelayMs * 2, 30_000);
          this.#scheduleReconnect();
        });
    }, this.#retryDelayMs);
    this.#retryTimer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#handlers.clear();
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) {
      const c = await client.catch(() => undefined);
      c?.removeAllListeners("end");
      await c?.end().catch(() => undefined);
    }
  }
}

class PostgresDatabase implements Database {
  readonly kind = "postgres" as const;
  #closed = false;
  readonly #listener: Listener;

  constructor(
    private readonly pool: pg.Pool,
    clientConfig: pg.ClientConfig,
    private readonly target: string,
  ) {
    this.#listener = new Listener(clientConfig, target);
  }

  #check(method: string): void {
    if (this.#closed) throw new DbConnectionError({ code: SqlState.connectionDoesNotExist, message: "the database is closed" });
    assertOutsideTransaction(this, method);
  }

  async query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>> {
    this.#check("query");
    return runQuery<T>(this.pool, sql, params, this.target);
  }

  async exec(sql: string): Promise<void> {
    this.#check("exec");
    return runExec(this.pool, sql, this.target);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    this.#check("transaction");
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw mapError(e, this.target);
    }
    // The pool listens for errors of idle clients only: a connection lost while checked out (PostgreSQL
    // restarted mid-transaction) would be an unhandled 'error' event that kills the process. The next
    // statement fails with the connection error; the lost client is destroyed, never reused.
    let lost: Error | undefined;
    const onLost = (e: Error): void => {
      lost = e;
    };
    client.on("error", onLost);
    let open = true;
    // The client goes back to the pool afterwards: a kept `tx` must never reach it again.
    const ensureOpen = (): void => {
      if (!open) throw new Error("this transaction has already ended; use the database object");
    };
    const tx: Queryable = {
      query: async <R extends Row = Row>(sql: string, params?: readonly unknown[]) => {
        ensureOpen();
        return runQuery<R>(client, sql, params, this.target);
      },
      exec: async (sql: string) => {
        ensureOpen();
        return runExec(client, sql, this.target);
      },
    };
    let ended = false;
    let broken: Error | undefined;
    try {
      await runExec(client, "BEGIN", this.target);
      const result = await runInTransactionScope(this, () => fn(tx));
      open = false;
      ended = true;
      let commit: pg.QueryResult;
      try {
        commit = await client.query("COMMIT");
      } catch (e) {
        throw mapError(e, this.target);
      }
      // PostgreSQL answers COMMIT of a failed transaction with ROLLBACK, not an error.
      if (commit.command === "ROLLBACK") {
        throw new DbError({ code: SqlState.inFailedSqlTransaction, message: COMMIT_ROLLED_BACK });
      }
      return result;
    } catch (e) {
      open = false;
      if (!ended) {
        try {
          await client.query("ROLLBACK");
        } catch (rollbackError) {
          // The connection is unusable: destroy it instead of returning it to the pool.
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        }
      }
      throw e;
    } finally {
      open = false;
      // A lost client keeps the listener: it may still report its closing socket.
      if (lost === undefined) client.removeListener("error", onLost);
      client.release(broken ?? lost);
    }
  }

  async listen(channel: string, onMessage: NotificationHandler): Promise<() => Promise<void>> {
    checkChannel(channel);
    this.#check("listen");
    return this.#listener.add(channel, onMessage);
  }

  async notify(channel: string, payload: string): Promise<void> {
    checkChannel(channel);
    await this.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    assertOutsideTransaction(this, "close");
    this.#closed = true;
    await this.#listener.close();
    await this.pool.end();
  }
}

/**
 * Opens a pool on `url` and runs `SELECT 1`, so a wrong host, password or database name fails
 * here with a {@link DbConnectionError} naming user@host:port/database (never the password).
 */
export async function openPostgres(url: string, options: { poolSize?: number | undefined } = {}): Promise<Database> {
  const target = describeTarget(url);
  const clientConfig: pg.ClientConfig = {
    connectionString: url,
    types: { getTypeParser } as pg.CustomTypesConfig,
    // Same session settings as PGlite's defaults, unless the URL sets its own `options`.
    options: "-c TimeZone=UTC -c DateStyle=ISO,MDY -c IntervalStyle=postgres",
    application_name: "xinqing",
    connectionTimeoutMillis: 10_000,
  };
  const pool = new pg.Pool({ ...clientConfig, max: options.poolSize ?? 10 });
  // An idle client that loses its connection emits here; without a listener node would crash.
  // The pool drops that client and the next query opens a new connection (or reports the error).
  pool.on("error", () => undefined);
  try {
    await pool.query("SELECT 1");
  } catch (e) {
    await pool.end().catch(() => undefined);
    throw connectionError(e, target);
  }
  return new PostgresDatabase(pool, clientConfig, target);
}
