/**
 * Idempotent writes over the idempotency_keys table (ARCHITECTURE.md, "Storage": a retried write never
 * makes a duplicate). A write runs in one transaction that also records its reply under (scope, key);
 * a later call with the same key gets that reply back without running again.
 *
 * Races: two calls with the same key may both miss the lookup and both start. The first to commit records
 * the key; the second either fails on the key's primary key or on the state the first left (e.g. "already
 * submitted"), and in both cases finds the first reply when it looks again, and answers with it. Only
 * successful replies are recorded: a failed call rolls back whole, so its retry runs afresh.
 */
import type { Database, Queryable } from "../../db/database";

/** Where a key lives: `scope` is whose it is (a student id), `key` the operation and the client's key. */
export interface IdempotencyRef {
  readonly scope: string;
  readonly key: string;
  /** The session of a call that ends its session, so a retry from the same browser still finds the reply. */
  readonly sessionHash?: string;
}

/** A recorded reply. */
export interface Outcome<T> {
  readonly statusCode: number;
  readonly body: T;
}

export type IdempotentResult<T> = Outcome<T> & { readonly replayed: boolean };

interface KeyRow extends Record<string, unknown> {
  status_code: number;
  body: unknown;
}

/** The reply recorded under `ref`, if any. */
export async function findOutcome<T>(q: Queryable, ref: IdempotencyRef): Promise<Outcome<T> | undefined> {
  const { rows } = await q.query<KeyRow>("SELECT status_code, body FROM idempotency_keys WHERE scope = $1 AND key = $2", [ref.scope, ref.key]);
  const row = rows[0];
  return row ? { statusCode: row.status_code, body: row.body as T } : undefined;
}

/** The reply recorded for `key` by a call made on the session `sessionHash` (which may be gone by now). */
export async function findOutcomeBySession<T>(q: Queryable, sessionHash: string, key: string): Promise<Outcome<T> | undefined> {
  const { rows } = await q.query<KeyRow>("SELECT status_code, body FROM idempotency_keys WHERE session_hash = $1 AND key = $2", [sessionHash, key]);
  const row = rows[0];
  return row ? { statusCode: row.status_code, body: row.body as T } : undefined;
}

/** Records a reply; a unique violation means another call with the same key committed first. */
export async function saveOutcome(q: Queryable, ref: IdempotencyRef, outcome: Outcome<unknown>, at: Date): Promise<void> {
  await q.query("INSERT INTO idempotency_keys (key, scope, status_code, body, created_at, session_hash) VALUES ($1, $2, $3, $4, $5, $6)", [
    ref.key,
    ref.scope,
    outcome.statusCode,
    JSON.stringify(outcome.body),
    at,
    ref.sessionHash ?? null,
  ]);
}

/**
 * Runs `work` once per key: the recorded reply when there is one, else `work` and the recording of its
 * reply in one transaction. When `work` fails, or the recording loses a race, the key is looked up again
 * and a reply recorded meanwhile by the same key wins; otherwise the error is re-thrown.
 * `looked` is the result of a lookup the caller already made (e.g. folded into another query), or
 * undefined to look up here.
 */
export async function idempotent<T>(
  db: Database,
  ref: IdempotencyRef,
  at: Date,
  work: (tx: Queryable) => Promise<Outcome<T>>,
  looked?: Outcome<T> | null,
): Promise<IdempotentResult<T>> {
  const prior = looked === undefined ? await findOutcome<T>(db, ref) : looked;
  if (prior) return { ...prior, replayed: true };
  try {
    const outcome = await db.transaction(async (tx) => {
      const out = await work(tx);
      await saveOutcome(tx, ref, out, at);
      return out;
    });
    return { ...outcome, replayed: false };
  } catch (err) {
    const raced = await findOutcome<T>(db, ref);
    if (raced) return { ...raced, replayed: true };
    throw err;
  }
}

/**
 * For writes that fold the lookup and the recording of the key into their own statements (the hot
 * path of a submit: fewer statements on PGlite). `work` runs in one transaction, looks the key up and
 * records its reply itself, and says whether it replayed. When it fails (a unique violation on the key,
 * or a state another call with the same key left), a reply recorded meanwhile by the same key wins.
 */
export async function runOnce<T>(db: Database, ref: IdempotencyRef, work: (tx: Queryable) => Promise<IdempotentResult<T>>): Promise<IdempotentResult<T>> {
  try {
    return await db.transaction(work);
  } catch (err) {
    const raced = await findOutcome<T>(db, ref);
    if (raced) return { ...raced, replayed: true };
    throw err;
  }
}
