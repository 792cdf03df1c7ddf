import { beforeAll, expect, it } from "vitest";
import { migrate } from "../../../src/server/db/migrate";
import { findOutcome, idempotent } from "../../../src/server/features/responses/idempotency";
import { describeEachDatabase } from "../../helpers/databases";

describeEachDatabase("idempotent writes", (getDb) => {
  beforeAll(async () => {
    await migrate(getDb());
    await getDb().exec("CREATE TABLE idem_probe (n integer NOT NULL)");
  });
  const at = new Date("2026-03-02T08:00:00Z");
  const count = async () => (await getDb().query<{ n: number }>("SELECT count(*)::int AS n FROM idem_probe")).rows[0]!.n;

  it("runs the work once per key and answers a repeat with the recorded reply", async () => {
    const ref = { scope: "student-1", key: "op:key-a" };
    const before = await count();
    const work = async (tx: Parameters<Parameters<typeof idempotent>[3]>[0]) => {
      await tx.query("INSERT INTO idem_probe (n) VALUES (1)");
      return { statusCode: 200, body: { n: (await tx.query<{ n: number }>("SELECT count(*)::int AS n FROM idem_probe")).rows[0]!.n } };
    };
    const first = await idempotent(getDb(), ref, at, work);
    const again = await idempotent(getDb(), ref, at, work);
    expect(first.replayed).toBe(false);
    expect(again).toEqual({ ...first, replayed: true });
    expect(await count()).toBe(before + 1);
  });

  it("runs concurrent calls with one key once", async () => {
    const ref = { scope: "student-2", key: "op:key-b" };
    const before = await count();
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        idempotent(getDb(), ref, at, async (tx) => {
          await tx.query("INSERT INTO idem_probe (n) VALUES (2)");
          return { statusCode: 201, body: { ok: true } };
        }),
      ),
    );
    expect(replies.every((r) => r.statusCode === 201)).toBe(true);
    expect(await count()).toBe(before + 1);
  });

  it("records nothing when the work fails, so a retry runs afresh", async () => {
    const ref = { scope: "student-3", key: "op:key-c" };
    await expect(
      idempotent(getDb(), ref, at, async (tx) => {
        await tx.query("INSERT INTO idem_probe (n) VALUES (3)");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(await findOutcome(getDb(), ref)).toBeUndefined();
    const retry = await idempotent(getDb(), ref, at, async () => ({ statusCode: 200, body: "done" }));
    expect(retry).toEqual({ statusCode: 200, body: "done", replayed: false });
  });

  it("keeps keys of different scopes apart", async () => {
    await idempotent(getDb(), { scope: "student-4", key: "op:same" }, at, async () => ({ statusCode: 200, body: "four" }));
    const other = await idempotent(getDb(), { scope: "student-5", key: "op:same" }, at, async () => ({ statusCode: 200, body: "five" }));
    expect(other).toEqual({ statusCode: 200, body: "five", replayed: false });
  });
});
