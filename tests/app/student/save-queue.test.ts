import { describe, expect, it } from "vitest";
import type { AutosaveReply } from "../../../src/shared/responses";
import type { ApiResult } from "../../../src/app/ui/api";
import {
  backoffDelay,
  createSaveQueue,
  DEFAULT_BACKOFF,
  MAX_VISITS_PER_SAVE,
  retryWithBackoff,
  saveBody,
  type PageVisit,
  type SaveBody,
  type SaveStatus,
  type Snapshot,
} from "../../../src/app/student/save-queue";

/** A clock the test moves by hand: timers fire only on advance(). */
function manualTimers() {
  let now = 0;
  let id = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  return {
    timers: {
      setTimeout: (fn: () => void, ms: number) => {
        pending.set(++id, { at: now + ms, fn });
        return id;
      },
      clearTimeout: (h: unknown) => void pending.delete(h as number),
    },
    pendingDelays: () => [...pending.values()].map((p) => p.at - now),
    async advance(ms: number) {
      now += ms;
      for (const [key, p] of [...pending].sort((a, b) => a[1].at - b[1].at)) {
        if (p.at <= now) {
          pending.delete(key);
          p.fn();
          await settle();
        }
      }
    },
  };
}

const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

const ok = (seq: number, applied = true): ApiResult<AutosaveReply> => ({ ok: true, status: 200, data: { status: "in-progress", seq, applied } });
const offline: ApiResult<AutosaveReply> = { ok: false, kind: "network", message: "Failed to fetch" };
const refused = (status: number, code: string): ApiResult<AutosaveReply> => ({ ok: false, kind: "http", status, error: { code, message: code } });

/** A fake server that answers each save with the next scripted outcome (default: applied). */
function server(script: ApiResult<AutosaveReply>[] = []) {
  const bodies: SaveBody[] = [];
  return {
    bodies,
    send: async (body: SaveBody) => {
      bodies.push(body);
      return script.shift() ?? ok(body.seq);
    },
  };
}

const empty: Snapshot = { answers: {}, currentPage: 0, pages: [] };
const visit = (instrument: string, startedAt: number): PageVisit => ({ instrument, startedAt, endedAt: startedAt + 1000 });

function queueWith(srv: ReturnType<typeof server>, initial: Snapshot = empty, seq = 0) {
  const clock = manualTimers();
  const statuses: SaveStatus[] = [];
  let n = 0;
  const queue = createSaveQueue({
    initial,
    seq,
    send: srv.send,
    newKey: () => `key-${String(++n).padStart(16, "0")}`,
    timers: clock.timers,
    random: () => 0,
    onStatus: (s) => statuses.push(s),
  });
  return { queue, clock, statuses };
}

describe("backoffDelay", () => {
  it.each([
    [1, 1_000],
    [2, 2_000],
    [3, 4_000],
    [5, 16_000],
    [6, 30_000],
    [20, 30_000],
  ])("waits %i → %i ms without jitter, doubling up to the cap", (attempt, ms) => {
    expect(backoffDelay(attempt, 0)).toBe(ms);
  });

  it("takes off at most the jitter share, so a lab's PCs spread their retries", () => {
    expect(backoffDelay(3, 1)).toBe(Math.round(4_000 * (1 - DEFAULT_BACKOFF.jitter)));
    expect(backoffDelay(3, 0.5)).toBeLessThan(4_000);
    expect(backoffDelay(3, 0.5)).toBeGreaterThan(4_000 * (1 - DEFAULT_BACKOFF.jitter));
  });
});

describe("saveBody", () => {
  it("carries the changed answers, the page and only the visits the server lacks", () => {
    const acked: Snapshot = { answers: { phq9: { q1: 1 } }, currentPage: 0, pages: [visit("phq9", 1)] };
    const latest: Snapshot = { answers: { phq9: { q1: 1, q2: 2 } }, currentPage: 1, pages: [visit("phq9", 1), visit("gad7", 5)] };
    expect(saveBody(acked, latest, "k".repeat(16), 4)).toEqual({ idempotencyKey: "k".repeat(16), seq: 4, currentPage: 1, answers: { phq9: { q2: 2 } }, pages: [visit("gad7", 5)] });
  });

  it("never carries more visits than one call may", () => {
    const pages = Array.from({ length: MAX_VISITS_PER_SAVE + 7 }, (_, i) => visit("phq9", i * 10));
    expect(saveBody(empty, { ...empty, pages }, "k".repeat(16), 1).pages).toHaveLength(MAX_VISITS_PER_SAVE);
  });
});

describe("createSaveQueue", () => {
  it("saves a change once, with the next seq after the resumed one", async () => {
    const srv = server();
    const { queue, statuses } = queueWith(srv, empty, 7);
    queue.push({ answers: { phq9: { q1: 2 } }, currentPage: 0, pages: [] });
    await settle();
    expect(srv.bodies).toEqual([{ idempotencyKey: "key-0000000000000001", seq: 8, currentPage: 0, answers: { phq9: { q1: 2 } }, pages: [] }]);
    expect(statuses.at(-1)).toEqual({ kind: "saved" });
  });

  it("keeps one save in flight and sends only the newest snapshot after it", async () => {
    let release: (r: ApiResult<AutosaveReply>) => void = () => {};
    const bodies: SaveBody[] = [];
    const send = (body: SaveBody) => {
      bodies.push(body);
      return bodies.length === 1 ? new Promise<ApiResult<AutosaveReply>>((r) => (release = r)) : Promise.resolve(ok(body.seq));
    };
    const { queue } = queueWith({ bodies, send });
    queue.push({ answers: { phq9: { q1: 1 } }, currentPage: 0, pages: [] });
    queue.push({ answers: { phq9: { q1: 1, q2: 1 } }, currentPage: 0, pages: [] });
    queue.push({ answers: { phq9: { q1: 1, q2: 1, q3: 3 } }, currentPage: 0, pages: [] });
    await settle();
    expect(bodies).toHaveLength(1);
    release(ok(1));
    await settle();
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toMatchObject({ seq: 2, answers: { phq9: { q2: 1, q3: 3 } } });
  });

  it("keeps the answers while offline and retries the same save (same key and seq) with growing waits", async () => {
    const srv = server([offline, offline, offline]);
    const { queue, clock, statuses } = queueWith(srv);
    const snap: Snapshot = { answers: { phq9: { q1: 3 } }, currentPage: 1, pages: [visit("phq9", 100)] };
    queue.push(snap);
    await settle();
    expect(statuses.at(-1)).toEqual({ kind: "waiting", attempt: 1, retryInMs: 1_000 });
    await clock.advance(999);
    expect(srv.bodies).toHaveLength(1);
    await clock.advance(1);
    expect(srv.bodies).toHaveLength(2);
    expect(clock.pendingDelays()).toEqual([2_000]);
    await clock.advance(2_000);
    expect(clock.pendingDelays()).toEqual([4_000]);
    await clock.advance(4_000);
    expect(srv.bodies).toHaveLength(4);
    expect(new Set(srv.bodies.map((b) => `${b.idempotencyKey}/${b.seq}`)).size).toBe(1);
    expect(srv.bodies[3]).toMatchObject({ answers: { phq9: { q1: 3 } }, currentPage: 1, pages: [visit("phq9", 100)] });
    // "saving" once, then "waiting" through every retry (the offline note does not flicker), then "saved".
    expect(statuses.map((s) => s.kind)).toEqual(["saving", "waiting", "waiting", "waiting", "saved"]);
  });

  it("folds answers given while offline into the next try, under a new key and seq", async () => {
    const srv = server([offline]);
    const { queue, clock } = queueWith(srv);
    queue.push({ answers: { phq9: { q1: 1 } }, currentPage: 0, pages: [] });
    await settle();
    queue.push({ answers: { phq9: { q1: 1, q2: 2 } }, currentPage: 0, pages: [] });
    await settle();
    expect(srv.bodies).toHaveLength(1);
    await clock.advance(1_000);
    expect(srv.bodies[1]).toMatchObject({ seq: 2, answers: { phq9: { q1: 1, q2: 2 } } });
    expect(srv.bodies[1]!.idempotencyKey).not.toBe(srv.bodies[0]!.idempotencyKey);
  });

  it("retries at once when the browser is back online", async () => {
    const srv = server([offline]);
    const { queue, clock } = queueWith(srv);
    queue.push({ answers: { phq9: { q1: 1 } }, currentPage: 0, pages: [] });
    await settle();
    queue.retryNow();
    await settle();
    expect(srv.bodies).toHaveLength(2);
    expect(clock.pendingDelays()).toEqual([]);
  });

  it("stops on a refusal and reports it (a closed wave is not worth retrying)", async () => {
    const srv = server([refused(409, "wave_closed")]);
    const { queue, clock, statuses } = queueWith(srv);
    queue.push({ answers: { phq9: { q1: 1 } }, currentPage: 0, pages: [] });
    await settle();
    expect(statuses.at(-1)).toEqual({ kind: "failed", status: 409, error: { code: "wave_closed", message: "wave_closed" } });
    queue.push({ answers: { phq9: { q1: 2 } }, currentPage: 0, pages: [] });
    await clock.advance(60_000);
    expect(srv.bodies).toHaveLength(1);
  });

  it("retries a busy server (503, 429) like a network failure", async () => {
    const srv = server([refused(503, "unavailable"), refused(429, "rate_limited")]);
    const { queue, clock } = queueWith(srv);
    queue.push({ answers: { phq9: { q1: 1 } }, currentPage: 0, pages: [] });
    await settle();
    await clock.advance(1_000);
    await clock.advance(2_000);
    expect(srv.bodies).toHaveLength(3);
    expect(queue.status()).toEqual({ kind: "saved" });
  });

  it("sends nothing when nothing changed", async () => {
    const srv = server();
    const initial: Snapshot = { answers: { phq9: { q1: 1 } }, currentPage: 2, pages: [] };
    const { queue } = queueWith(srv, initial);
    queue.push({ answers: { phq9: { q1: 1, q2: null } }, currentPage: 2, pages: [] });
    await settle();
    expect(srv.bodies).toEqual([]);
  });

  it("continues numbering above the server's seq after a save another PC outran", async () => {
    const srv = server([ok(40, false)]);
    const { queue } = queueWith(srv, empty, 3);
    queue.push({ answers: { phq9: { q1: 1 } }, currentPage: 0, pages: [] });
    await settle();
    queue.push({ answers: { phq9: { q1: 2 } }, currentPage: 0, pages: [] });
    await settle();
    expect(srv.bodies.map((b) => b.seq)).toEqual([4, 41]);
  });

  it("sends more than 100 unsaved visits over several saves, each once", async () => {
    const srv = server();
    const { queue } = queueWith(srv);
    const pages = Array.from({ length: 130 }, (_, i) => visit("phq9", i * 10));
    queue.push({ answers: {}, currentPage: 0, pages });
    await settle();
    expect(srv.bodies.map((b) => b.pages.length)).toEqual([100, 30]);
    expect(srv.bodies.map((b) => b.seq)).toEqual([1, 2]);
  });

  it("sends nothing after stop (kiosk reset)", async () => {
    const srv = server([offline]);
    const { queue, clock } = queueWith(srv);
    queue.push({ answers: { phq9: { q1: 1 } }, currentPage: 0, pages: [] });
    await settle();
    queue.stop();
    await clock.advance(120_000);
    expect(srv.bodies).toHaveLength(1);
  });
});

describe("retryWithBackoff", () => {
  it("repeats the same call until it succeeds, waiting longer each time", async () => {
    const waits: number[] = [];
    const outcomes: ApiResult<string>[] = [offline as ApiResult<string>, refused(502, "bad_gateway") as ApiResult<string>, { ok: true, status: 200, data: "done" }];
    let calls = 0;
    const result = await retryWithBackoff(async () => outcomes[calls++]!, { sleep: async (ms) => void waits.push(ms), random: () => 0, isCancelled: () => false });
    expect(result).toEqual({ ok: true, status: 200, data: "done" });
    expect(waits).toEqual([1_000, 2_000]);
  });

  it("returns a refusal at once", async () => {
    let calls = 0;
    const result = await retryWithBackoff(async () => (calls++, refused(400, "invalid_request")), { sleep: async () => {}, random: () => 0, isCancelled: () => false });
    expect(result).toMatchObject({ ok: false, kind: "http", status: 400 });
    expect(calls).toBe(1);
  });

  it("gives up when cancelled (the student left the PC)", async () => {
    let cancelled = false;
    const result = await retryWithBackoff(async () => offline, { sleep: async () => void (cancelled = true), random: () => 0, isCancelled: () => cancelled });
    expect(result).toEqual({ ok: false, kind: "cancelled" });
  });
});
