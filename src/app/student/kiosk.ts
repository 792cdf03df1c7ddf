/**
 * Kiosk hygiene for shared lab PCs (issue 5): after submit, decline, or 10 minutes without input, nothing of
 * this student may stay on the PC. Answers only ever live in memory (React state and the save queue, which
 * the reset drops); this module clears what the browser itself could keep.
 */

/** A student who leaves the PC for this long is signed off and the page returns to the code screen. */
export const IDLE_TIMEOUT_MS = 10 * 60_000;

/** The thank-you page stays this long (enough to note a hotline) before the next student gets a clean page. */
export const END_PAGE_MS = 2 * 60_000;

/** Events that count as the student being at the PC. */
export const ACTIVITY_EVENTS = ["pointerdown", "keydown", "wheel", "touchstart", "input"] as const;

/**
 * Empties the origin's Web Storage. XinQing never writes answers there; this removes anything a previous
 * page (or a browser extension) left, so the next student starts from nothing. The session cookie is
 * HttpOnly: the server ends it (DELETE /api/student/session) and it expires on its own after the idle time.
 */
export function clearBrowserStorage(storages: readonly (Storage | undefined)[] = browserStorages()): void {
  for (const storage of storages) {
    try {
      storage?.clear();
    } catch {
      // Storage can be disabled by policy on lab PCs; then there is nothing to clear.
    }
  }
}

function browserStorages(): (Storage | undefined)[] {
  const get = (name: "sessionStorage" | "localStorage"): Storage | undefined => {
    try {
      return typeof window === "undefined" ? undefined : window[name];
    } catch {
      return undefined;
    }
  };
  return [get("sessionStorage"), get("localStorage")];
}

export interface IdleTimerOptions {
  readonly timeoutMs: number;
  readonly onIdle: () => void;
  readonly target: Pick<EventTarget, "addEventListener" | "removeEventListener">;
  readonly setTimeout: (fn: () => void, ms: number) => unknown;
  readonly clearTimeout: (handle: unknown) => void;
}

/** Calls `onIdle` once after `timeoutMs` without an activity event on `target`. Returns the stop function. */
export function startIdleTimer(options: IdleTimerOptions): () => void {
  let handle: unknown = null;
  let fired = false;
  const arm = () => {
    if (fired) return;
    if (handle !== null) options.clearTimeout(handle);
    handle = options.setTimeout(() => {
      fired = true;
      handle = null;
      options.onIdle();
    }, options.timeoutMs);
  };
  for (const name of ACTIVITY_EVENTS) options.target.addEventListener(name, arm, { passive: true, capture: true } as AddEventListenerOptions);
  arm();
  return () => {
    for (const name of ACTIVITY_EVENTS) options.target.removeEventListener(name, arm, { capture: true } as EventListenerOptions);
    if (handle !== null) options.clearTimeout(handle);
    handle = null;
  };
}

/**
 * The access code as the server reads it (src/server/features/waves/codes.ts): full-width characters folded
 * (NFKC: a Chinese IME types Ａ and full-width spaces), case ignored, spaces, dashes and dots dropped.
 */
export function normalizeCode(input: string): string {
  return input.normalize("NFKC").replace(/[\s\-‐‑‒–—―_·.]/gu, "").toUpperCase();
}
