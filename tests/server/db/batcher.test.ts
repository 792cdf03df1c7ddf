import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createBatcher } from "../../../src/server/db/batcher";

describe("createBatcher", () => {
  it("runs a lone job at once, in a batch of one", async () => {
    const sizes: number[] = [];
    const call = createBatcher<number, number>(async (items) => {
      sizes.push(items.length);
      return items.map((x) => ({ ok: true, value: x * 2 }));
    }, 10);
    expect(await call(21)).toBe(42);
    expect(sizes).toEqual([1]);
  });

  it("gathers jobs that arrive in the same event-loop turn into batches of at most maxBatch", async () => {
    const sizes: number[] = [];
    const call = createBatcher<number, number>(async (items) => {
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 5));
      return items.map((x) => ({ ok: true, value: x }));
    }, 4);
    const out = await Promise.all(Array.from({ length: 11 }, (_, i) => call(i)));
    expect(out).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(sizes).toEqual([4, 4, 3]);
  });

  it("puts the jobs that arrive while a batch runs into the next batch", async () => {
    const sizes: number[] = [];
    const call = createBatcher<number, number>(async (items) => {
      sizes.push(items.length);
      await new Promise((r) => setTimeout(r, 20));
      return items.map((x) => ({ ok: true, value: x }));
    }, 8);
    const first = call(1);
    await new Promise((r) => setTimeout(r, 5)); // the first batch is running now
    expect(await Promise.all([first, call(2), call(3)])).toEqual([1, 2, 3]);
    expect(sizes).toEqual([1, 2]);
  });

  it("fails only the job whose outcome is an error, and every job of a batch that throws", async () => {
    const call = createBatcher<number, number>(async (items) => {
      if (items.includes(99)) throw new Error("batch down");
      return items.map((x) => (x % 2 === 0 ? { ok: true, value: x } : { ok: false, error: new Error(`odd ${x}`) }));
    }, 8);
    const results = await Promise.allSettled([call(1), call(2), call(3)]);
    expect(results.map((r) => (r.status === "fulfilled" ? r.value : (r.reason as Error).message))).toEqual(["odd 1", 2, "odd 3"]);
    await expect(call(99)).rejects.toThrow("batch down");
    expect(await call(4)).toBe(4);
  });

  it("gives every job exactly its own outcome, whatever the arrival pattern", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), fc.integer({ min: 1, max: 7 }), async (delays, max) => {
        const call = createBatcher<number, string>(async (items) => items.map((x) => ({ ok: true, value: `v${x}` })), max);
        const jobs = delays.map(async (d, i) => {
          await new Promise((r) => setTimeout(r, d));
          return call(i);
        });
        expect(await Promise.all(jobs)).toEqual(delays.map((_, i) => `v${i}`));
      }),
      { numRuns: 30 },
    );
  });
});
