/** A real server-sent-event reader over fetch (app.inject does not stream): events as they arrive. */
export interface SseEvent {
  readonly event: string;
  readonly id: string;
  readonly data: unknown;
}

export interface SseStream {
  readonly status: number;
  readonly contentType: string | null;
  readonly events: SseEvent[];
  readonly comments: string[];
  /** Resolves with the first event (already received or coming) that matches, or rejects after `ms`. */
  next(match: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  /** True when the server ended the stream. */
  ended(): boolean;
  close(): void;
}

export async function openStream(url: string, cookie: string): Promise<SseStream> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { cookie, accept: "text/event-stream" }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void }[] = [];
  let done = false;
  if (res.body && res.headers.get("content-type")?.startsWith("text/event-stream")) {
    void (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true });
          let cut: number;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            const fields: Record<string, string> = {};
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) comments.push(line.slice(1).trim());
              else {
                const i = line.indexOf(":");
                if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).trimStart();
              }
            }
            if (fields.event === undefined || fields.data === undefined) continue;
            const e: SseEvent = { event: fields.event, id: fields.id ?? "", data: JSON.parse(fields.data) };
            events.push(e);
            for (const w of [...waiters]) {
              if (w.match(e)) {
                waiters.splice(waiters.indexOf(w), 1);
                w.resolve(e);
              }
            }
          }
        }
      } catch {
        // aborted
      }
      done = true;
    })();
  }
  return {
    status: res.status,
    contentType: res.headers.get("content-type"),
    events,
    comments,
    ended: () => done,
    next(match, ms = 5000) {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event within ${ms} ms; got ${JSON.stringify(events.map((e) => e.event))}`)), ms);
        waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
      });
    },
    close: () => abort.abort(),
  };
}

/** Waits until `check` is true (polling), or fails after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
