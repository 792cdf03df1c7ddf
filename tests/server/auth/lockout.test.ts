import { beforeAll, expect, it } from "vitest";
import { LOGIN_ACCOUNT_POLICY, checkLocked, clearFailures, recordFailure, type LockoutPolicy } from "../../../src/server/auth/lockout";
import type { Database } from "../../../src/server/db/database";
import { migrate } from "../../../src/server/db/migrate";
import { describeEachDatabase } from "../../helpers/databases";

const MINUTE = 60_000;
const T0 = new Date("2026-03-02T08:00:00+08:00");
const at = (minutes: number) => new Date(T0.getTime() + minutes * MINUTE);
const policy: LockoutPolicy = { max: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE };

describeEachDatabase("lockout", (getDb) => {
  let db: Database;
  let n = 0;
  const key = () => `test:key:${++n}`;
  beforeAll(async () => {
    db = getDb();
    await migrate(db);
  });

  async function fail(k: string, times: number, when: Date, p = policy) {
    let last;
    for (let i = 0; i < times; i++) last = await recordFailure(db, k, when, p);
    return last!;
  }

  it("uses 5 failures in 15 minutes and a 15-minute lock for sign-in per account", () => {
    expect(LOGIN_ACCOUNT_POLICY).toEqual({ max: 5, windowMs: 15 * MINUTE, lockMs: 15 * MINUTE });
  });

  it("does not lock after 4 failures and locks at the 5th until 15 minutes later", async () => {
    const k = key();
    const four = await fail(k, 4, at(0));
    expect(four).toEqual({ failures: 4, state: { locked: false } });
    expect(await checkLocked(db, k, at(1))).toEqual({ locked: false });
    const fifth = await recordFailure(db, k, at(2), policy);
    expect(fifth).toEqual({ failures: 5, state: { locked: true, until: at(17) } });
    expect(await checkLocked(db, k, at(16.99))).toEqual({ locked: true, until: at(17) });
    expect(await checkLocked(db, k, at(17))).toEqual({ locked: false });
  });

  it("forgets failures once the window is over", async () => {
    const k = key();
    await fail(k, 4, at(0));
    expect(await recordFailure(db, k, at(15), policy)).toEqual({ failures: 1, state: { locked: false } });
    expect(await fail(k, 3, at(20))).toEqual({ failures: 4, state: { locked: false } });
  });

  it("does not extend a lock with failures made while locked", async () => {
    const k = key();
    await fail(k, 5, at(0));
    expect(await recordFailure(db, k, at(10), policy)).toEqual({ failures: 6, state: { locked: true, until: at(15) } });
  });

  it("starts counting afresh when a lock has ended", async () => {
    const k = key();
    await fail(k, 5, at(0));
    expect(await recordFailure(db, k, at(15), policy)).toEqual({ failures: 1, state: { locked: false } });
  });

  it("locks at once with max 1", async () => {
    const k = key();
    expect(await recordFailure(db, k, at(0), { max: 1, windowMs: MINUTE, lockMs: 2 * MINUTE })).toEqual({ failures: 1, state: { locked: true, until: at(2) } });
  });

  it("clears the failures of one key and no other", async () => {
    const [a, b] = [key(), key()];
    await fail(a, 5, at(0));
    await fail(b, 5, at(0));
    await clearFailures(db, a);
    expect(await checkLocked(db, a, at(1))).toEqual({ locked: false });
    expect(await checkLocked(db, b, at(1))).toEqual({ locked: true, until: at(15) });
    expect(await recordFailure(db, a, at(1), policy)).toEqual({ failures: 1, state: { locked: false } });
  });

  it("counts every one of 40 concurrent failures exactly once", async () => {
    const k = key();
    const big: LockoutPolicy = { max: 1000, windowMs: 15 * MINUTE, lockMs: MINUTE };
    await Promise.all(Array.from({ length: 40 }, () => recordFailure(db, k, at(0), big)));
    const { rows } = await db.query<{ failures: number }>("SELECT failures FROM lockouts WHERE key = $1", [k]);
    expect(rows[0]!.failures).toBe(40);
  });

  it("locks exactly once under concurrent failures crossing the limit", async () => {
    const k = key();
    const results = await Promise.all(Array.from({ length: 12 }, () => recordFailure(db, k, at(0), policy)));
    expect(results.map((r) => r.failures).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(results.filter((r) => !r.state.locked)).toHaveLength(4);
    expect(await checkLocked(db, k, at(1))).toEqual({ locked: true, until: at(15) });
  });

  it("stores hostile keys as plain data", async () => {
    const k = `login:account:x'); DROP TABLE lockouts; --<script>😀𠀀`;
    await fail(k, 5, at(0));
    expect(await checkLocked(db, k, at(1))).toEqual({ locked: true, until: at(15) });
  });
});
