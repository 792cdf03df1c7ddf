/**
 * Natural batching ("group commit"): jobs that arrive while a batch is running wait and form the next
 * batch. Under light load every batch holds one job and starts at once (nothing waits for a timer); under
 * a lab burst, dozens of jobs share the statements of one batch. PGlite pays per statement, not per row
 * (STACK-NOTES.md), and PostgreSQL saves round trips and commits.
 */

/** One job's outcome: its value, or the error that job (alone) fails with. */
export type Settled<O> = { readonly ok: true; readonly value: O } | { readonly ok: false; readonly error: unknown };

/**
 * A function that queues `item` and resolves (or rejects) with its outcome once its batch ran. `run` gets
 * at most `maxBatch` items and returns one outcome per item, in order; when `run` itself throws, every
 * job of that batch rejects with that error.
 */
export function createBatcher<I, O>(run: (items: readonly I[]) => Promise<readonly Settled<O>[]>, maxBatch: number): (item: I) => Promise<O> {
  let queue: { item: I; resolve: (value: O) => void; reject: (error: unknown) => void }[] = [];
  let running = false;

  async function drain(): Promise<void> {
    running = true;
    while (queue.length > 0) {
      // One turn of the event loop first: requests that already arrived get to queue their jobs. (With
      // PGlite a whole request can otherwise run in microtasks before the next one is even read.)
      await new Promise((resolve) => setImmediate(resolve));
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(maxBatch);
      let results: readonly Settled<O>[];
      try {
        results = await run(batch.map((job) => job.item));
      } catch (error) {
        results = batch.map(() => ({ ok: false, error }));
      }
      batch.forEach((job, i) => {
        const r = results[i];
        if (r === undefined) job.reject(new Error(`a batch of ${batch.length} returned ${results.length} outcomes`));
        else if (r.ok) job.resolve(r.value);
        else job.reject(r.error);
      });
    }
    running = false;
  }

  return (item) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!running) void drain();
    });
}
