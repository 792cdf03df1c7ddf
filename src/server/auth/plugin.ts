/**
 * Resolves the session cookie into `request.actor` on every request, slides the idle expiry, and
 * enforces CSRF: a state-changing call that rides on a session must carry the session's token in the
 * x-csrf-token header (synchronizer token; cookies are SameSite=Strict as a second line).
 */
import type { FastifyPluginAsync, FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import type { Role } from "../../shared/api";
import { createBatcher } from "../db/batcher";
import type { Deps } from "../deps";
import { ApiError } from "../errors";
import type { Actor, StaffActor, StudentActor } from "./actor";
import { ANONYMOUS } from "./actor";
import { CSRF_HEADER, deleteSession, hashToken, readSessionToken, sameToken } from "./sessions";

declare module "fastify" {
  interface FastifyRequest {
    actor: Actor;
  }
  interface FastifyContextConfig {
    /**
     * A route that starts a new session (staff login, a student's code): the session cookie the browser
     * still holds (a shared lab PC) is ended, and neither it nor its CSRF token applies to the call.
     */
    startsSession?: boolean;
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
/** Sliding the expiry costs a write; do it at most once a minute per session. */
const SLIDE_EVERY_MS = 60_000;

interface SessionRow extends Record<string, unknown> {
  token_hash: string;
  account_id: string | null;
  student_id: string | null;
  wave_id: string | null;
  csrf_token: string;
  last_seen_at: Date;
  expires_at: Date;
  role: Role | null;
  account_school: string | null;
  disabled: boolean | null;
  student_school: string | null;
  classes: { class_id: string; relation: "homeroom" | "subject" | "peer" }[] | null;
}

/** Most sessions looked up in one statement. */
const LOOKUP_BATCH = 256;

const plugin: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // Every request looks its session up; under a lab's burst, the lookups of the requests that arrived
  // together share one statement (PGlite pays per statement; see db/batcher.ts).
  const lookupSession = createBatcher<string, SessionRow | undefined>(async (hashes) => {
    const { rows } = await deps.db.query<SessionRow>(
      `SELECT s.token_hash, s.account_id, s.student_id, s.wave_id, s.csrf_token, s.last_seen_at, s.expires_at,
              a.role, a.school_id AS account_school, a.disabled, st.school_id AS student_school,
              (SELECT json_agg(json_build_object('class_id', ac.class_id, 'relation', ac.relation))
                 FROM account_classes ac WHERE ac.account_id = s.account_id) AS classes
         FROM sessions s
         LEFT JOIN accounts a ON a.id = s.account_id
         LEFT JOIN students st ON st.id = s.student_id
        WHERE s.token_hash IN (SELECT jsonb_array_elements_text($1::jsonb))`,
      [JSON.stringify([...new Set(hashes)])],
    );
    const byHash = new Map(rows.map((r) => [r.token_hash, r]));
    return hashes.map((h) => ({ ok: true, value: byHash.get(h) }));
  }, LOOKUP_BATCH);

  app.decorateRequest("actor", null as never);
  app.addHook("onRequest", async (request) => {
    request.actor = ANONYMOUS;
    const token = readSessionToken(request.headers.cookie);
    if (!token) return;
    const tokenHash = hashToken(token);
    if (request.routeOptions.config.startsSession === true) {
      // A new sign-in on this browser ends whatever session it still held (no fixation, no leftovers on
      // a lab PC); no CSRF token is asked for, as a cross-site request carries no SameSite=Strict cookie.
      await deleteSession(deps.db, tokenHash);
      return;
    }
    const row = await lookupSession(tokenHash);
    if (!row) return;
    const now = deps.now();
    if (row.expires_at.getTime() <= now.getTime() || row.disabled === true) {
      await deleteSession(deps.db, tokenHash);
      return;
    }
    if (!SAFE_METHODS.has(request.method)) {
      const sent = request.headers[CSRF_HEADER];
      if (typeof sent !== "string" || !sameToken(sent, row.csrf_token)) {
        throw new ApiError(403, "csrf", "missing or wrong CSRF token");
      }
    }
    if (now.getTime() - row.last_seen_at.getTime() >= SLIDE_EVERY_MS) {
      const idle = row.account_id ? deps.config.sessionIdleMinutes : deps.config.studentIdleMinutes;
      await deps.db.query("UPDATE sessions SET last_seen_at = $2, expires_at = $3 WHERE token_hash = $1", [tokenHash, now, new Date(now.getTime() + idle * 60_000)]);
    }
    request.actor = row.account_id ? staffActor(row) : studentActor(row);
  });
};

function staffActor(row: SessionRow): StaffActor {
  const of = (relation: "homeroom" | "subject" | "peer") => (row.classes ?? []).filter((c) => c.relation === relation).map((c) => c.class_id);
  return {
    kind: "staff",
    accountId: row.account_id!,
    role: row.role!,
    schoolId: row.account_school,
    classes: { homeroom: of("homeroom"), subject: of("subject"), peer: of("peer") },
    sessionHash: row.token_hash,
  };
}

function studentActor(row: SessionRow): StudentActor {
  return { kind: "student", studentId: row.student_id!, schoolId: row.student_school!, waveId: row.wave_id!, sessionHash: row.token_hash };
}

/** The signed-in staff account, or 401. */
export function requireStaff(request: FastifyRequest): StaffActor {
  if (request.actor.kind !== "staff") throw new ApiError(401, "unauthenticated", "sign in first");
  return request.actor;
}

/** The student of this session, or 401. */
export function requireStudent(request: FastifyRequest): StudentActor {
  if (request.actor.kind !== "student") throw new ApiError(401, "unauthenticated", "enter your access code first");
  return request.actor;
}

export const authPlugin = fp(plugin, { name: "xinqing-auth" });
