/**
 * Failed-attempt counting and lockout over the `lockouts` table, keyed by what is being guessed at:
 * `login:account:<username>` and `login:address:<ip>` for sign-in, `code:address:<ip>` for access
 * codes in a lab. Each failure is ONE upsert statement, so concurrent failures on several app
 * instances (PostgreSQL) count exactly and a lockout holds across them.
 */
import type { Queryable } from "../db/database";

export interface LockoutPolicy {
  /** Failures within the window that lock the key. */
  readonly max: number;
  /** Failures older than this (counted from the first of the window) are forgotten. */
  readonly windowMs: number;
  /** How long a lock lasts. */
  readonly lockMs: number;
}

const MINUTE = 60_000;

/** Sign-in, per account: 5 failures in 15 minutes lock the account for 15 minutes. */
export const LOGIN_ACCOUNT_POLICY: LockoutPolicy = { max: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };
/** Sign-in, per address: 20 failures in 15 minutes lock the address for 15 minutes (a lab shares one address). */
export const LOGIN_ADDRESS_POLICY: LockoutPolicy = { max: 20, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };

export type LockState = { readonly locked: false } | { readonly locked: true; readonly until: Date };

/** Is `key` locked at `now`? */
export async function checkLocked(db: Queryable, key: string, now: Date): Promise<LockState> {
  const { rows } = await db.query<{ locked_until: Date }>("SELECT locked_until FROM lockouts WHERE key = $1 AND locked_until > $2", [key, now]);
  const row = rows[0];
  return row ? { locked: true, until: row.locked_until } : { locked: false };
}

export interface FailureResult {
  /** Failures counted in the current window, this one included. */
  readonly failures: number;
  readonly state: LockState;
}

/**
 * Counts one failure for `key` at `now`. A new window starts when the previous one is over (or its
 * lock has ended); the failure that reaches `max` locks the key until now + lockMs. Failures while
 * locked are counted but do not extend the lock.
 */
export async function recordFailure(db: Queryable, key: string, now: Date, policy: LockoutPolicy): Promise<FailureResult> {
  const windowOpenedAfter = new Date(now.getTime() - policy.windowMs);
  const lockUntil = new Date(now.getTime() + policy.lockMs);
  // In ON CONFLICT DO UPDATE every SET expression sees the old row (`lockouts.*`), so "restart" is spelled
  // out in each: the lock is over, or there was no lock and the window is over.
  const { rows } = await db.query<{ failures: number; locked_until: Date | null }>(
    `INSERT INTO lockouts AS l (key, failures, window_started_at, locked_until)
     VALUES ($1, 1, $2, CASE WHEN 1 >= $4::int THEN $5::timestamptz END)
     ON CONFLICT (key) DO UPDATE SET
       failures = CASE
         WHEN (l.locked_until IS NOT NULL AND l.locked_until <= $2) OR (l.locked_until IS NULL AND l.window_started_at <= $3) THEN 1
         ELSE l.failures + 1 END,
       window_started_at = CASE
         WHEN (l.locked_until IS NOT NULL AND l.locked_until <= $2) OR (l.locked_until IS NULL AND l.window_started_at <= $3) THEN $2
         ELSE l.window_started_at END,
       locked_until = CASE
         WHEN l.locked_until > $2 THEN l.locked_until
         WHEN (CASE
                 WHEN (l.locked_until IS NOT NULL AND l.locked_until <= $2) OR (l.locked_until IS NULL AND l.window_started_at <= $3) THEN 1
                 ELSE l.failures + 1 END) >= $4::int THEN $5::timestamptz
         ELSE NULL END
     RETURNING failures, locked_until`,
    [key, now, windowOpenedAfter, policy.max, lockUntil],
  );
  const row = rows[0]!;
  const state: LockState = row.locked_until !== null && row.locked_until.getTime() > now.getTime() ? { locked: true, until: row.locked_until } : { locked: false };
  return { failures: row.failures, state };
}

/** Forgets the failures of `key` (after a successful sign-in on that account). */
export async function clearFailures(db: Queryable, key: string): Promise<void> {
  await db.query("DELETE FROM lockouts WHERE key = $1", [key]);
}

/** The lockout key of a sign-in account (usernames compare without case). */
export const loginAccountKey = (username: string): string => `login:account:${username.toLowerCase()}`;
/** The lockout key of a sign-in address. */
export const loginAddressKey = (address: string): string => `login:address:${address}`;
