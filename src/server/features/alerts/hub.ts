/**
 * The server-sent-event connections of one app instance (GET /api/alerts/stream). The hub LISTENs on
 * {@link ALERT_CHANNEL} once (from the first connection until the app closes); each notification is
 * "look in the database": the hub reads the alert (or escalated case) and writes an event to the open
 * connections of that school only, with an audit row per reader (a name was shown to them).
 *
 * Heartbeats keep proxies from closing an idle stream and end the streams whose session has ended
 * (signed out, expired, account disabled).
 */
import type { CaseEscalation, StreamEventName } from "../../../shared/alerts";
import type { StaffActor } from "../../auth/actor";
import type { Deps } from "../../deps";
import { writeAudit } from "./audit";
import { ALERT_CHANNEL } from "./raise";
import { readAlert, studentName, toAlert, unacknowledgedAlerts } from "./store";

/** One open stream; `write` and `end` do nothing once the connection is gone. */
export interface StreamClient {
  readonly id: string;
  readonly actor: StaffActor;
  readonly schoolId: string;
  write(chunk: string): void;
  end(): void;
}

interface Entry {
  readonly client: StreamClient;
  /** Events that arrived while the backlog was being sent (flushed after it). */
  pending: { name: StreamEventName; id: string; data: unknown }[] | null;
  sentBacklog: Set<string>;
}

/** One SSE event: `event:`, `id:`, one `data:` line of JSON (JSON has no raw newlines). */
export function sseEvent(name: StreamEventName, id: string, data: unknown): string {
  return `event: ${name}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface HubOptions {
  /** Milliseconds between heartbeats (default 15 s). */
  readonly heartbeatMs?: number;
}

export class AlertHub {
  readonly #deps: Deps;
  readonly #clients = new Map<string, Entry>();
  readonly #heartbeatMs: number;
  #listening: Promise<() => Promise<void>> | null = null;
  #heartbeat: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(deps: Deps, options: HubOptions = {}) {
    this.#deps = deps;
    this.#heartbeatMs = options.heartbeatMs ?? 15_000;
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Resolves once the hub listens: a stream opened after this misses no alert. */
  async ready(): Promise<void> {
    await this.#listen();
  }

  /** Starts listening (once) before a client is added, so no alert falls between backlog and listen. */
  async #listen(): Promise<void> {
    this.#listening ??= this.#deps.db.listen(ALERT_CHANNEL, (payload) => void this.#onNotification(payload));
    try {
      await this.#listening;
    } catch (e) {
      this.#listening = null; // the next connection tries again
      throw e;
    }
    this.#heartbeat ??= setInterval(() => void this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
  }

  /** Adds a stream: listens, then sends the school's unacknowledged alerts, then live events. */
  async add(client: StreamClient): Promise<void> {
    if (this.#closed) {
      client.end();
      return;
    }
    // Registered first: events that arrive from now on wait in `pending` until the backlog is out.
    const entry: Entry = { client, pending: [], sentBacklog: new Set() };
    this.#clients.set(client.id, entry);
    let rows: Awaited<ReturnType<typeof unacknowledgedAlerts>>;
    try {
      await this.#listen();
      rows = await unacknowledgedAlerts(this.#deps.db, client.schoolId);
    } catch (e) {
      this.#clients.delete(client.id);
      throw e;
    }
    const now = this.#deps.now();
    for (const row of rows) {
      const alert = toAlert(this.#deps.keys, row);
      client.write(sseEvent(alert.escalatedAt === null ? "alert" : "escalated", alert.id, alert));
      entry.sentBacklog.add(alert.id);
    }
    await writeAudit(
      this.#deps.db,
      rows.map((r) => ({ at: now, actor: client.actor, action: "alert.stream", schoolId: r.school_id, studentId: r.student_id, subject: r.id })),
    );
    const pending = entry.pending ?? [];
    entry.pending = null;
    for (const e of pending) if (!(e.name === "alert" && entry.sentBacklog.has(e.id))) client.write(sseEvent(e.name, e.id, e.data));
  }

  remove(id: string): void {
    this.#clients.delete(id);
  }

  /** Ends every stream and stops listening (app close). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    for (const { client } of this.#clients.values()) client.end();
    this.#clients.clear();
    const listening = this.#listening;
    this.#listening = null;
    if (listening) await (await listening.catch(() => async () => {}))();
  }

  #send(schoolId: string, name: StreamEventName, id: string, data: unknown, studentId: string): void {
    const readers: StaffActor[] = [];
    for (const entry of this.#clients.values()) {
      if (entry.client.schoolId !== schoolId) continue;
      if (entry.pending !== null) entry.pending.push({ name, id, data });
      else entry.client.write(sseEvent(name, id, data));
      readers.push(entry.client.actor);
    }
    if (readers.length === 0) return;
    const at = this.#deps.now();
    writeAudit(
      this.#deps.db,
      readers.map((actor) => ({ at, actor, action: "alert.stream", schoolId, studentId, subject: id, context: { event: name } })),
    ).catch((e: unknown) => process.emitWarning(`alert stream audit failed: ${(e as Error).message}`));
  }

  async #onNotification(payload: string): Promise<void> {
    if (this.#closed || this.#clients.size === 0) return;
    try {
      if (payload.startsWith("case:")) return await this.#onCase(payload.slice(5));
      const row = await readAlert(this.#deps.db, payload);
      if (!row) return;
      const alert = toAlert(this.#deps.keys, row);
      const name: StreamEventName = alert.acknowledgedAt !== null ? "acknowledged" : alert.escalatedAt !== null ? "escalated" : "alert";
      this.#send(row.school_id, name, alert.id, alert, row.student_id);
    } catch (e) {
      process.emitWarning(`alert notification ${JSON.stringify(payload.slice(0, 80))} failed: ${(e as Error).message}`);
    }
  }

  async #onCase(caseId: string): Promise<void> {
    const { rows } = await this.#deps.db.query<{ id: string; school_id: string; student_id: string; due_at: Date | null; escalated_at: Date | null; name_enc: string; class_id: string; grade: number; label: string }>(
      `SELECT cs.id, cs.school_id, cs.student_id, cs.due_at, cs.escalated_at, st.name_enc, c.id AS class_id, c.grade, c.label
         FROM cases cs JOIN students st ON st.id = cs.student_id JOIN classes c ON c.id = st.class_id WHERE cs.id = $1`,
      [caseId],
    );
    const row = rows[0];
    if (!row || row.escalated_at === null) return;
    const data: CaseEscalation = {
      caseId: row.id,
      studentId: row.student_id,
      studentName: studentName(this.#deps.keys, row.student_id, row.name_enc),
      class: { id: row.class_id, grade: row.grade, label: row.label },
      dueAt: row.due_at?.toISOString() ?? null,
      escalatedAt: row.escalated_at.toISOString(),
    };
    this.#send(row.school_id, "case-escalated", row.id, data, row.student_id);
  }

  /** Heartbeat to every stream; streams whose session ended are closed. */
  async #beat(): Promise<void> {
    if (this.#clients.size === 0) return;
    const entries = [...this.#clients.values()];
    let live: Set<string>;
    try {
      const { rows } = await this.#deps.db.query<{ token_hash: string }>(
        `SELECT s.token_hash FROM sessions s JOIN accounts a ON a.id = s.account_id
          WHERE s.token_hash IN (SELECT jsonb_array_elements_text($1::jsonb)) AND s.expires_at > $2 AND NOT a.disabled`,
        [JSON.stringify(entries.map((e) => e.client.actor.sessionHash)), this.#deps.now()],
      );
      live = new Set(rows.map((r) => r.token_hash));
    } catch {
      live = new Set(entries.map((e) => e.client.actor.sessionHash)); // the database is busy or gone: keep streams, try later
    }
    for (const e of entries) {
      if (!live.has(e.client.actor.sessionHash)) {
        this.#clients.delete(e.client.id);
        e.client.end();
      } else e.client.write(": heartbeat\n\n");
    }
  }
}
