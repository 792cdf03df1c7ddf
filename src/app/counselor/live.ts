/**
 * Alerts, live: the school's alert list kept current from GET /api/alerts?status=all and the server-sent
 * events of /api/alerts/stream, and a short chime made with the Web Audio API (no audio file to load).
 *
 * Browsers only let a page make sound after the person interacted with it; until then the chime is
 * "blocked" and the banner offers a button that turns sound on.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import type { Role } from "../../shared/api";
import type { Alert, AlertList, CaseEscalation, StreamEventName } from "../../shared/alerts";
import { staffApi } from "../staff/client";
import { ALERTS_CHANGED_EVENT, failureText } from "../staff/model";
import { alertStatus, chimes, mergeAlerts, upsertAlert } from "./model";

export type SoundState = "off" | "on" | "unsupported";

/** A two-note chime, about half a second, built from oscillators. */
class Chime {
  #context: AudioContext | null = null;

  get state(): SoundState {
    if (typeof window.AudioContext !== "function") return "unsupported";
    return this.#context?.state === "running" ? "on" : "off";
  }

  /** Creates or resumes the audio context; call it from a click so the browser allows it. */
  async enable(): Promise<SoundState> {
    if (typeof window.AudioContext !== "function") return "unsupported";
    this.#context ??= new AudioContext();
    if (this.#context.state !== "running") await this.#context.resume().catch(() => undefined);
    return this.state;
  }

  /** Plays the chime when sound is allowed; says whether it played. */
  play(): boolean {
    const ctx = this.#context;
    if (!ctx || ctx.state !== "running") return false;
    const start = ctx.currentTime + 0.02;
    [880, 660].forEach((frequency, i) => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      const t = start + i * 0.22;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.3, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(t);
      osc.stop(t + 0.21);
    });
    return true;
  }
}

export interface LiveAlerts {
  readonly alerts: readonly Alert[];
  /** The stream is open (events arrive within seconds). */
  readonly connected: boolean;
  /** The list could not be loaded (the stream may still bring new alerts). */
  readonly error: string | null;
  readonly sound: SoundState;
  /** How many times the chime played on this page. */
  readonly chimed: number;
  /** Overdue cases escalated while the page was open. */
  readonly caseEscalations: readonly CaseEscalation[];
  /** Counts what the stream brought that the page did not know (a new alert, a new state, an escalated case): lists built from the same inputs reload on it. */
  readonly changes: number;
  enableSound(): void;
  /** Puts an alert the page changed itself (an acknowledgement) into the list. */
  put(alert: Alert): void;
  reload(): void;
}

const RECONNECT_MS = 10_000;

export function useLiveAlerts(role: Role): LiveAlerts {
  const [alerts, setAlerts] = useState<readonly Alert[]>([]);
  const [connected, setConnected] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [sound, setSound] = useState<SoundState>("off");
  const [chimed, setChimed] = useState(0);
  const [caseEscalations, setCaseEscalations] = useState<readonly CaseEscalation[]>([]);
  const [changes, setChanges] = useState(0);
  const chime = useRef<Chime | null>(null);
  // Alert states the page knows ("id:status"): the stream repeats the waiting ones on every (re)connect.
  const known = useRef(new Set<string>());
  // Each alert sounds once per state (new, escalated), however often the stream repeats it (reconnects).
  const sounded = useRef(new Set<string>());

  const load = useCallback(async () => {
    const result = await staffApi.get<AlertList>("/api/alerts?status=all");
    if (!result.ok) {
      setError(failureText(result));
      return;
    }
    setError(null);
    for (const a of result.data.alerts) known.current.add(`${a.id}:${alertStatus(a)}`);
    setAlerts((current) => mergeAlerts(current, result.data.alerts));
  }, []);

  const ring = useCallback(
    (event: StreamEventName, key: string) => {
      if (!chimes(role, event) || sounded.current.has(key)) return;
      sounded.current.add(key);
      chime.current ??= new Chime();
      if (chime.current.play()) setChimed((n) => n + 1);
      setSound(chime.current.state);
    },
    [role],
  );

  useEffect(() => {
    void load();
    let source: EventSource | null = null;
    let retry: number | undefined;
    let opened = false;
    let live = true;
    const onAlert = (name: StreamEventName) => (e: MessageEvent<string>) => {
      const alert = JSON.parse(e.data) as Alert;
      const key = `${alert.id}:${alertStatus(alert)}`;
      setAlerts((list) => upsertAlert(list, alert));
      window.dispatchEvent(new Event(ALERTS_CHANGED_EVENT));
      if (!known.current.has(key)) {
        known.current.add(key);
        setChanges((n) => n + 1);
      }
      if (name !== "acknowledged") ring(name, key);
    };
    const onCase = (e: MessageEvent<string>) => {
      const c = JSON.parse(e.data) as CaseEscalation;
      setCaseEscalations((list) => [c, ...list.filter((x) => x.caseId !== c.caseId)]);
      setChanges((n) => n + 1);
      ring("case-escalated", `case:${c.caseId}:${c.escalatedAt}`);
    };
    const connect = () => {
      source = new EventSource("/api/alerts/stream");
      source.addEventListener("open", () => {
        setConnected(true);
        // After a break the list is read again: acknowledgements made meanwhile are not re-sent.
        if (opened) void load();
        opened = true;
      });
      source.addEventListener("error", () => {
        setConnected(false);
        // EventSource retries by itself unless the server refused (signed out, 403): then try later.
        if (source?.readyState === EventSource.CLOSED && live) {
          source = null;
          retry = window.setTimeout(connect, RECONNECT_MS);
        }
      });
      for (const name of ["alert", "acknowledged", "escalated"] as const) source.addEventListener(name, onAlert(name) as EventListener);
      source.addEventListener("case-escalated", onCase as EventListener);
    };
    connect();
    return () => {
      live = false;
      window.clearTimeout(retry);
      source?.close();
    };
  }, [load, ring]);

  const enableSound = useCallback(() => {
    chime.current ??= new Chime();
    const c = chime.current;
    void c.enable().then((state) => {
      setSound(state);
      // A short chime confirms that sound works.
      if (state === "on" && c.play()) setChimed((n) => n + 1);
    });
  }, []);

  const put = useCallback((alert: Alert) => {
    known.current.add(`${alert.id}:${alertStatus(alert)}`);
    setAlerts((list) => upsertAlert(list, alert));
    window.dispatchEvent(new Event(ALERTS_CHANGED_EVENT));
  }, []);
  const reload = useCallback(() => void load(), [load]);

  return { alerts, connected, error, sound, chimed, caseEscalations, changes, enableSound, put, reload };
}
