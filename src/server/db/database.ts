/**
 * The one storage interface of the server (ARCHITECTURE.md, "Storage"): the same SQL runs on the
 * embedded PGlite (default, a data directory) and on PostgreSQL through `pg` (district scale).
 *
 * Both implementations return values of the same JavaScript types (see `parseInt8` and the notes
 * on {@link Queryable.query}), raise {@link DbError} with the PostgreSQL SQLSTATE in `code`, and
 * refuse a query on the database object from inside one of its own transactions (on PGlite that
 * would wait for itself for ever).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import pg from "pg";

/** A row as it comes back from a query. */
export type Row = Record<string, unknown>;

/** What a query returns on both implementations. */
export interface QueryResult<T extends Row> {
  readonly rows: T[];
  /** Rows returned (SELECT) or affected (INSERT/UPDATE/DELETE); 0 for DDL. */
  readonly rowCount: number;
}

/** Something SQL can be sent to: the database itself or an open transaction. */
export interface Queryable {
  /**
   * One SQL statement with `$1…$n` parameters (the extended protocol on both implementations, so
   * a second statement in `sql` is an error, never silently run).
   *
   * Value types, identical on PGlite and PostgreSQL:
   * int2/int4/float4/float8/int8/COUNT(*) → number (int8 outside ±2^53 → bigint, never rounded);
   * numeric → string (exact; cast to float8 in SQL when a number is wanted);
   * timestamptz → Date; timestamp (without time zone) → Date read as UTC; date → "YYYY-MM-DD";
   * interval, time → string; json/jsonb → parsed value; bytea → Buffer; arrays of these → arrays.
   * Parameters: pass JSON for json/jsonb columns as a string (`JSON.stringify(v)`): `pg` turns a
   * JS array parameter into a PostgreSQL array, PGlite into JSON.
   * A text parameter containing U+0000 is refused (PostgreSQL text cannot store it) with a
   * {@link DbError} of code 22021.
   */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<QueryResult<T>>;
  /**
   * A script of one or more statements without parameters (the simple protocol), e.g. a
   * migration file. Returns nothing; use {@link Queryable.query} to read.
   */
  exec(sql: string): Promise<void>;
}

/** Called with the payload of each notification on a channel. */
export type NotificationHandler = (payload: string) => void;

/** The storage of one app instance. */
export interface Database extends Queryable {
  readonly kind: "pglite" | "postgres";
  /**
   * Runs `fn` in one transaction: BEGIN, then COMMIT when `fn` resolves, ROLLBACK when it rejects
   * (the rejection is re-thrown). Use only `tx` inside `fn`: calling the database object itself
   * from inside throws a {@link DbError} (code 25001). Transactions on PGlite run one after the
   * other (it has one connection); on PostgreSQL each gets its own pooled connection.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * LISTEN on `channel` (a lower-case SQL identifier). Notifications are delivered after the
   * notifying transaction commits. Resolves to a function that stops listening.
   */
  listen(channel: string, onMessage: NotificationHandler): Promise<() => Promise<void>>;
  /** `pg_notify(channel, payload)`; inside a transaction use `tx.query("SELECT pg_notify($1, $2)", …)`. */
  notify(channel: string, payload: string): Promise<void>;
  /** Waits for running work, then releases the connection(s) / data directory. */
  close(): Promise<void>;
}

/** Where the data lives: PostgreSQL when `url` is given, else PGlite on `dataDir` or in memory. */
export interface OpenDatabaseOptions {
  /** postgres://user:password@host:port/database */
  url?: string;
  /** PGlite data directory; created on first start. */
  dataDir?: string;
  /** PGlite in memory (tests, one-off tools). Ignored when `url` or `dataDir` is given. */
  memory?: boolean;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
}

/** SQLSTATE codes the application reacts to (PostgreSQL manual, appendix A). */
export const SqlState = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  notNullViolation: "23502",
  checkViolation: "23514",
  characterNotInRepertoire: "22021",
  activeSqlTransaction: "25001",
  inFailedSqlTransaction: "25P02",
  serializationFailure: "40001",
  deadlockDetected: "40P01",
  connectionDoesNotExist: "08003",
  unableToConnect: "08001",
} as const;

/** Fields copied from the driver's error; same names on both implementations. */
export interface DbErrorFields {
  /** SQLSTATE, e.g. "23505" for a unique violation. */
  code: string;
  /** Never includes parameter values; `detail` may (e.g. "Key (x)=(…) already exists"). */
  message: string;
  detail?: string | undefined;
  hint?: string | undefined;
  constraint?: string | undefined;
  table?: string | undefined;
  column?: string | undefined;
  schema?: string | undefined;
  cause?: unknown;
}

/** Any failure of a statement, with its SQLSTATE in `code` on both implementations. */
export class DbError extends Error {
  readonly code: string;
  readonly detail: string | undefined;
  readonly hint: string | undefined;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;
  readonly schema: string | undefined;

  constructor(fields: DbErrorFields) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = "DbError";
    this.code = fields.code;
    this.detail = fields.detail;
    this.hint = fields.hint;
    this.constraint = fields.constraint;
    this.table = fields.table;
    this.column = fields.column;
    this.schema = fields.schema;
  }
}

/** The database cannot be reached, refused the credentials, or does not exist. */
export class DbConnectionError extends DbError {
  constructor(fields: DbErrorFields) {
    super(fields);
    this.name = "DbConnectionError";
  }
}

/** True when `e` is a unique violation (SQLSTATE 23505), optionally of one constraint. */
export function isUniqueViolation(e: unknown, constraint?: string): e is DbError {
  return e instanceof DbError && e.code === SqlState.uniqueViolation && (constraint === undefined || e.constraint === constraint);
}

/**
 * Opens PostgreSQL when `url` is set (and checks the connection at once, so a wrong URL fails at
 * start-up with a {@link DbConnectionError}), otherwise PGlite on `dataDir` or in memory.
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.url !== undefined && options.url !== "") {
    const { openPostgres } = await import("./postgres");
    return openPostgres(options.url, { poolSize: options.poolSize });
  }
  if (options.dataDir !== undefined && options.dataDir !== "") {
    const { openPglite } = await import("./pglite");
    return openPglite({ dataDir: options.dataDir });
  }
  if (options.memory === true) {
    const { openPglite } = await import("./pglite");
    return openPglite({});
  }
  throw new Error("openDatabase: give a PostgreSQL url, a PGlite dataDir, or memory: true");
}

// ---------------------------------------------------------------------------------------------
// Shared by the two implementations (not part of the application's API).

/** The driver error fields both `pg` and PGlite (same pg-protocol DatabaseError) carry. */
interface DriverErrorLike {
  code?: unknown;
  message?: unknown;
  detail?: unknown;
  hint?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  schema?: unknown;
}

const optionalString = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Same text for a COMMIT that rolled back (a statement in the transaction had failed) on both. */
export const COMMIT_ROLLED_BACK = "the transaction was rolled back at COMMIT because a statement in it had failed";

/** Wraps a driver error that carries a SQLSTATE; returns undefined for anything else. */
export function fromDriverError(e: unknown): DbError | undefined {
  if (e instanceof DbError) return e;
  if (typeof e !== "object" || e === null) return undefined;
  const d = e as DriverErrorLike;
  // A SQLSTATE is five characters of [0-9A-Z]; node's own errors have codes like "ECONNREFUSED".
  if (typeof d.code !== "string" || !/^[0-9A-Z]{5}$/.test(d.code)) return undefined;
  return new DbError({
    code: d.code,
    message: typeof d.message === "string" ? d.message : `database error ${d.code}`,
    detail: optionalString(d.detail),
    hint: optionalString(d.hint),
    constraint: optionalString(d.constraint),
    table: optionalString(d.table),
    column: optionalString(d.column),
    schema: optionalString(d.schema),
    cause: e,
  });
}

/** Refuses what PostgreSQL would refuse less clearly (or PGlite would cut short): U+0000. */
export function checkStatement(sql: string, params: readonly unknown[] | undefined): void {
  if (sql.includes("\u0000")) {
    throw new DbError({ code: SqlState.characterNotInRepertoire, message: "the SQL text contains a NUL character (U+0000)" });
  }
  params?.forEach((p, i) => {
    const hasNul = typeof p === "string" ? p.includes("\u0000") : Array.isArray(p) && p.some((x) => typeof x === "string" && x.includes("\u0000"));
    if (hasNul) {
      throw new DbError({
        code: SqlState.characterNotInRepertoire,
        message: `query parameter $${i + 1} contains a NUL character (U+0000), which PostgreSQL text cannot store`,
      });
    }
  });
}

/** Which database object's transaction callback is running (per async context). */
const transactionScope = new AsyncLocalStorage<{ owner: object; open: boolean }>();

/** Runs a transaction callback marked as "inside `owner`'s transaction" until it settles. */
export async function runInTransactionScope<T>(owner: object, fn: () => Promise<T>): Promise<T> {
  const scope = { owner, open: true };
  try {
    return await transactionScope.run(scope, fn);
  } finally {
    scope.open = false;
  }
}

/** Throws when called from inside one of `owner`'s own transaction callbacks. */
export function assertOutsideTransaction(owner: object, method: string): void {
  const scope = transactionScope.getStore();
  if (scope !== undefined && scope.open && scope.owner === owner) {
    throw new DbError({
      code: SqlState.activeSqlTransaction,
      message: `db.${method}() was called inside db.transaction(); use the tx passed to the callback (nested transactions are not supported)`,
    });
  }
}

/** Calls a notification handler outside any transaction scope (it may use the database). */
export function deliverNotification(handler: NotificationHandler, payload: string): void {
  transactionScope.exit(() => {
    try {
      handler(payload);
    } catch (e) {
      // A throwing handler must neither break the connection that delivered the message nor
      // crash the server; it is reported as a process warning.
      process.emitWarning(`a notification handler threw: ${e instanceof Error ? e.message : String(e)}`, "XinQingNotificationWarning");
    }
  });
}

/** LISTEN takes an identifier, not a parameter: accept plain lower-case names only. */
export function checkChannel(channel: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(channel)) {
    throw new Error(`invalid notification channel name ${JSON.stringify(channel)}: use lower-case letters, digits and _`);
  }
}

/** int8 / COUNT(*): a number when exact, else a bigint (never a silently rounded number). */
export function parseInt8(text: string): number | bigint {
  const n = BigInt(text);
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** PostgreSQL type OIDs whose parsing both implementations set (pg_type.dat). */
export const Oid = {
  bytea: 17,
  int8: 20,
  int8Array: 1016,
  date: 1082,
  dateArray: 1182,
  timestamp: 1114,
  timestampArray: 1115,
  timestamptz: 1184,
  timestamptzArray: 1185,
  interval: 1186,
  intervalArray: 1187,
  numeric: 1700,
  numericArray: 1231,
} as const;

// pg-types' parsers are the reference: PGlite gets the very same functions.
const parseTimestamptz = pg.types.getTypeParser(Oid.timestamptz, "text") as (text: string) => Date | number;
const parseBytea = pg.types.getTypeParser(Oid.bytea, "text") as (text: string) => Buffer;

/** timestamp without time zone is read as UTC on both (pg-types would read it as local time). */
function parseTimestampAsUtc(text: string): Date | number {
  if (text === "infinity" || text === "-infinity") return parseTimestamptz(text);
  const bc = text.endsWith(" BC");
  return parseTimestamptz(`${bc ? text.slice(0, -3) : text}+00${bc ? " BC" : ""}`);
}

const keepText = (text: string): string => text;

/** Text-format parsers of scalar types, identical on both implementations. */
export const scalarParsers: Readonly<Record<number, (text: string) => unknown>> = {
  [Oid.bytea]: parseBytea,
  [Oid.int8]: parseInt8,
  [Oid.date]: keepText,
  [Oid.timestamp]: parseTimestampAsUtc,
  [Oid.timestamptz]: parseTimestamptz,
  [Oid.interval]: keepText,
  [Oid.numeric]: keepText,
};

/** Array OIDs whose elements use {@link scalarParsers} (PGlite derives these by itself). */
export const arrayElementOid: Readonly<Record<number, number>> = {
  [Oid.int8Array]: Oid.int8,
  [Oid.dateArray]: Oid.date,
  [Oid.timestampArray]: Oid.timestamp,
  [Oid.timestamptzArray]: Oid.timestamptz,
  [Oid.intervalArray]: Oid.interval,
  [Oid.numericArray]: Oid.numeric,
};
