import { describe, expect, it } from "vitest";
import { ACTIVITY_EVENTS, clearBrowserStorage, normalizeCode, startIdleTimer } from "../../../src/app/student/kiosk";

function fakeTimers() {
  let now = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  let id = 0;
  return {
    setTimeout: (fn: () => void, ms: number) => (pending.set(++id, { at: now + ms, fn }), id),
    clearTimeout: (h: unknown) => void pending.delete(h as number),
    advance(ms: number) {
      now += ms;
      for (const [k, p] of [...pending]) {
        if (p.at > now) continue;
        pending.delete(k);
        p.fn();
      }
    },
  };
}

describe("normalizeCode", () => {
  it.each([
    ["ab3k 7mqz", "AB3K7MQZ"],
    ["AB3K-7MQZ", "AB3K7MQZ"],
    ["  ab3k\t7mqz ", "AB3K7MQZ"],
    ["ＡＢ３Ｋ　７ＭＱＺ", "AB3K7MQZ"],
    ["ab3k·7mqz", "AB3K7MQZ"],
    ["", ""],
  ])("reads %j as %j (case, spaces, dashes and full-width ignored)", (typed, code) => {
    expect(normalizeCode(typed)).toBe(code);
  });
});

describe("startIdleTimer", () => {
  it("fires once after ten quiet minutes, and every activity restarts the wait", () => {
    const timers = fakeTimers();
    const target = new EventTarget();
    let idle = 0;
    const stop = startIdleTimer({ timeoutMs: 600_000, onIdle: () => idle++, target, ...timers });
    timers.advance(599_000);
    target.dispatchEvent(new Event("keydown"));
    timers.advance(599_000);
    expect(idle).toBe(0);
    timers.advance(1_000);
    expect(idle).toBe(1);
    timers.advance(600_000);
    expect(idle).toBe(1);
    stop();
  });

  it.each(ACTIVITY_EVENTS.map((e) => [e]))("counts %s as activity", (name) => {
    const timers = fakeTimers();
    const target = new EventTarget();
    let idle = 0;
    startIdleTimer({ timeoutMs: 1_000, onIdle: () => idle++, target, ...timers });
    timers.advance(900);
    target.dispatchEvent(new Event(name));
    timers.advance(900);
    expect(idle).toBe(0);
  });

  it("never fires after stop", () => {
    const timers = fakeTimers();
    let idle = 0;
    const stop = startIdleTimer({ timeoutMs: 1_000, onIdle: () => idle++, target: new EventTarget(), ...timers });
    stop();
    timers.advance(5_000);
    expect(idle).toBe(0);
  });
});

describe("clearBrowserStorage", () => {
  it("empties every storage it is given and survives one that refuses", () => {
    const data = new Map<string, string>([["k", "v"]]);
    const storage = { clear: () => data.clear() } as unknown as Storage;
    const broken = {
      clear: () => {
        throw new Error("SecurityError");
      },
    } as unknown as Storage;
    clearBrowserStorage([broken, storage, undefined]);
    expect(data.size).toBe(0);
  });
});
