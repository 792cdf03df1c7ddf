/**
 * Server-side sessions. The cookie holds a random token; the database holds only its SHA-256, the
 * CSRF token, and the idle expiry. Staff sessions belong to an account; student sessions to one
 * student, one wave and one access code.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyReply } from "fastify";
import type { Queryable } from "../db/database";
import type { Deps } from "../deps";

export const SESSION_COOKIE = "xq_session";
export const CSRF_HEADER = "x-csrf-token";

export const hashToken = (token: string): string => createHash("sha256").update(token).digest("hex");

export interface NewSession {
  /** The cookie value; shown to nobody else and never stored. */
  readonly token: string;
  readonly tokenHash: string;
  /** Sent back by the client in the x-csrf-token header on every state-changing call. */
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

export type SessionOwner = { readonly accountId: string } | { readonly studentId: string; readonly waveId: string };

/** Creates a session row. A fresh token every time (no session fixation: login always makes a new one). */
export async function createSession(deps: Deps, owner: SessionOwner, db: Queryable = deps.db): Promise<NewSession> {
  const token = deps.randomBytes(32).toString("base64url");
  const csrfToken = deps.randomBytes(32).toString("base64url");
  const now = deps.now();
  const idle = "accountId" in owner ? deps.config.sessionIdleMinutes : deps.config.studentIdleMinutes;
  const expiresAt = new Date(now.getTime() + idle * 60_000);
  const tokenHash = hashToken(token);
  await db.query(
    `INSERT INTO sessions (token_hash, account_id, student_id, wave_id, csrf_token, created_at, last_seen_at, expires_at)
     VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
    [tokenHash, "accountId" in owner ? owner.accountId : null, "studentId" in owner ? owner.studentId : null, "waveId" in owner ? owner.waveId : null, csrfToken, now, expiresAt],
  );
  return { token, tokenHash, csrfToken, expiresAt };
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Secure on HTTPS deployments, path /. */
export function setSessionCookie(deps: Deps, reply: FastifyReply, token: string): void {
  reply.header(
    "set-cookie",
    `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${deps.config.secureCookies ? "; Secure" : ""}`,
  );
}

export function clearSessionCookie(deps: Deps, reply: FastifyReply): void {
  reply.header("set-cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${deps.config.secureCookies ? "; Secure" : ""}`);
}

export async function deleteSession(db: Queryable, tokenHash: string): Promise<void> {
  await db.query("DELETE FROM sessions WHERE token_hash = $1", [tokenHash]);
}

/** Compares two CSRF tokens in constant time. */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The session token from a Cookie header, if any. */
export function readSessionToken(cookieHeader: string | undefined): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === SESSION_COOKIE) return rest.join("=") || undefined;
  }
  return undefined;
}
