/**
 * Autosave that never loses an answer on a network that drops out (issue 5).
 *
 * The page pushes a snapshot of everything done so far on every change; the queue keeps only the newest one,
 * sends one save at a time, and on a network failure keeps the snapshot in memory and tries again with
 * exponential back-off (and at once when the browser says it is online again). Each distinct save carries its
 * own idempotency key and the next `seq` (src/shared/responses.ts); a retry of the same save reuses both, so
 * the server applies it once, and a late retry cannot overwrite a newer save.
 *
 * What is sent: the answers that changed since the last save the server acknowledged (the server merges them
 * item by item), the page the student is on, and the page visits recorded on this PC that the server has not
 * acknowledged yet (it merges visits by page and start).
 *
 * Time and randomness are injected (`timers`, `random`) so the tests drive the clock.
 */
import type { AutosaveBody, AutosaveReply, PageVisit } from "../../shared/responses";
import { isTransient, type ApiError, type ApiResult } from "../ui/api";
import { diffAnswers, isEmptyAnswers, type AnswerMap } from "./answers";

export type { PageVisit };

/** Everything the student has done so far on this PC. */
export interface Snapshot {
  readonly answers: AnswerMap;
  readonly currentPage: number;
  /** Page visits recorded on this PC, oldest first (epoch milliseconds). */
  readonly pages: readonly PageVisit[];
}

/** The body of PUT /api/student/response. */
export type SaveBody = Required<AutosaveBody>;

export type SaveStatus =
  | { readonly kind: "saved" }
  | { readonly kind: "saving" }
  /**
   * The last try failed on the network (or the server was busy); the next try is in `retryInMs`. The status
   * stays while that try is in flight.
   */
  | { readonly kind: "waiting"; readonly attempt: number; readonly retryInMs: number }
  /** The server refused the save for good (session expired, wave closed, already submitted). */
  | { readonly kind: "failed"; readonly status: number; readonly error: ApiError };

export interface Backoff {
  readonly baseMs: number;
  readonly maxMs: number;
  /** 0..1: the share of each delay that is random, so 40 PCs of one lab do not retry in step. */
  readonly jitter: number;
}

export const DEFAULT_BACKOFF: Backoff = { baseMs: 1_000, maxMs: 30_000, jitter: 0.3 };

/** Most page visits one call may carry (src/shared/responses.ts MAX_PAGE_VISITS_PER_CALL). */
export const MAX_VISITS_PER_SAVE = 100;

/** The wait before retry number `attempt` (1 = the first retry): base·2^(attempt-1), capped, minus up to `jitter` of it. */
export function backoffDelay(attempt: number, random: number, backoff: Backoff = DEFAULT_BACKOFF): number {
  const exp = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp * (1 - backoff.jitter * Math.min(1, Math.max(0, random))));
}

/** The save that brings the server from `acked` to `latest`: changed answers and the visits it lacks (at most 100). */
export function saveBody(acked: Snapshot, latest: Snapshot, idempotencyKey: string, seq: number): SaveBody {
  return {
    idempotencyKey,
    seq,
    currentPage: latest.currentPage,
    answers: diffAnswers(acked.answers, latest.answers),
    pages: latest.pages.slice(acked.pages.length, acked.pages.length + MAX_VISITS_PER_SAVE),
  };
}

/** True when `latest` holds nothing the server has not acknowledged. */
export function isSaved(acked: Snapshot, latest: Snapshot): boolean {
  return acked.currentPage === latest.currentPage && acked.pages.length >= latest.pages.length && isEmptyAnswers(diffAnswers(acked.answers, latest.answers));
}

/** What the server holds after it acknowledged `body`, sent to bring it from `acked` to `sent`. */
export function acknowledge(acked: Snapshot, sent: Snapshot, body: SaveBody): Snapshot {
  return { answers: sent.answers, currentPage: sent.currentPage, pages: sent.pages.slice(0, acked.pages.length + body.pages.length) };
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SaveQueueOptions {
  /** What the server already has (the resumed response, or nothing). */
  readonly initial: Snapshot;
  /** The `seq` of the last save the server holds (GET /api/student/response); saves continue above it. */
  readonly seq: number;
  readonly send: (body: SaveBody) => Promise<ApiResult<AutosaveReply>>;
  readonly newKey: () => string;
  readonly timers: Timers;
  readonly random: () => number;
  readonly onStatus: (status: SaveStatus) => void;
  readonly backoff?: Backoff;
}

export interface SaveQueue {
  /** Queues the newest state; an older unsent one is dropped (the newest includes it). */
  push(snapshot: Snapshot): void;
  /** Retries now instead of waiting out the back-off (the browser came back online). */
  retryNow(): void;
  /** Stops sending for good (submit, decline, kiosk reset). An in-flight save still finishes. */
  stop(): void;
  /** Resolves when nothing is in flight. */
  idle(): Promise<void>;
  status(): SaveStatus;
}

export function createSaveQueue(options: SaveQueueOptions): SaveQueue {
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  let acked = options.initial;
  let latest: Snapshot | null = null;
  /** The key and seq of the save of `latest`: new when `latest` changes, kept across retries of the same save. */
  let key: { for: Snapshot; from: Snapshot; value: string; seq: number } | null = null;
  let seq = options.seq;
  let inFlight: Promise<void> | null = null;
  let timer: unknown = null;
  let attempt = 0;
  let stopped = false;
  let status: SaveStatus = { kind: "saved" };

  const setStatus = (next: SaveStatus) => {
    status = next;
    options.onStatus(next);
  };

  const clearTimer = () => {
    if (timer !== null) options.timers.clearTimeout(timer);
    timer = null;
  };

  function pump(): void {
    if (stopped || inFlight || timer !== null || latest === null) return;
    const sending = latest;
    if (isSaved(acked, sending)) {
      latest = null;
      setStatus({ kind: "saved" });
      return;
    }
    if (key === null || key.for !== sending || key.from !== acked) {
      seq += 1;
      key = { for: sending, from: acked, value: options.newKey(), seq };
    }
    const body = saveBody(acked, sending, key.value, key.seq);
    // A retry keeps "waiting" until it succeeds, so the offline note does not flicker with each try.
    if (attempt === 0) setStatus({ kind: "saving" });
    inFlight = options.send(body).then((result) => {
      inFlight = null;
      if (result.ok) {
        attempt = 0;
        // `applied: false` means the server already holds a newer save (made on another PC): ours is stale
        // and is dropped; numbering continues above the server's.
        if (typeof result.data?.seq === "number") seq = Math.max(seq, result.data.seq);
        acked = acknowledge(acked, sending, body);
        if (latest === sending && isSaved(acked, sending)) latest = null;
        if (latest === null) setStatus({ kind: "saved" });
        pump();
        return;
      }
      if (!isTransient(result)) {
        // Nothing to gain by retrying a refusal; the page tells the student what happened.
        stopped = true;
        setStatus({ kind: "failed", status: result.kind === "http" ? result.status : 0, error: result.kind === "http" ? result.error : { code: "network", message: result.message } });
        return;
      }
      attempt += 1;
      const delay = backoffDelay(attempt, options.random(), backoff);
      if (stopped) return;
      setStatus({ kind: "waiting", attempt, retryInMs: delay });
      timer = options.timers.setTimeout(() => {
        timer = null;
        pump();
      }, delay);
    });
  }

  return {
    push(snapshot) {
      if (stopped) return;
      latest = snapshot;
      pump();
    },
    retryNow() {
      if (timer === null) return;
      clearTimer();
      pump();
    },
    stop() {
      stopped = true;
      clearTimer();
    },
    async idle() {
      while (inFlight) await inFlight;
    },
    status: () => status,
  };
}

export type RetryOutcome<T> = ApiResult<T> | { readonly ok: false; readonly kind: "cancelled" };

export interface RetryOptions {
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly isCancelled: () => boolean;
  /** Called before each wait, for the calm "saving will resume" line. */
  readonly onRetry?: (attempt: number, delayMs: number) => void;
  readonly backoff?: Backoff;
}

/**
 * Calls `call` until it succeeds or fails for good, waiting with back-off after each transient failure.
 * The caller reuses one idempotency key inside `call`, so every try is the same request to the server.
 */
export async function retryWithBackoff<T>(call: () => Promise<ApiResult<T>>, options: RetryOptions): Promise<RetryOutcome<T>> {
  for (let attempt = 1; ; attempt++) {
    if (options.isCancelled()) return { ok: false, kind: "cancelled" };
    const result = await call();
    if (result.ok || !isTransient(result)) return result;
    const delay = backoffDelay(attempt, options.random(), options.backoff);
    options.onRetry?.(attempt, delay);
    await options.sleep(delay);
  }
}
