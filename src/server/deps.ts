/**
 * What the server is built from. Time, ids and randomness are injected so tests are exact
 * (STYLE.md); `buildApp(deps)` wires nothing global.
 */
import type { DataKeys } from "./crypto/cipher";
import type { Database } from "./db/database";

export interface ServerConfig {
  /** Cookies get `Secure` (HTTPS deployments). */
  readonly secureCookies: boolean;
  /** A staff session ends after this long without a request. */
  readonly sessionIdleMinutes: number;
  /** A student session ends after this long without a request (kiosk: the next student must start clean). */
  readonly studentIdleMinutes: number;
  /** Where the built SPA is served from; null serves the API only (tests). */
  readonly staticDir: string | null;
  /**
   * The only hosts a school's webhook may post to (XINQING_WEBHOOK_HOSTS); null: any host. Never an
   * internal address either way, unless it is listed here as an IP address (features/alerts/webhook.ts).
   */
  readonly webhookHosts: readonly string[] | null;
}

export interface Deps {
  readonly db: Database;
  readonly keys: DataKeys;
  readonly now: () => Date;
  readonly newId: () => string;
  /** Random bytes for tokens and access codes. */
  readonly randomBytes: (n: number) => Buffer;
  readonly config: ServerConfig;
  /** pino logger options, or false for none (tests). */
  readonly logger: boolean | { level: string };
}

export const DEFAULT_CONFIG: ServerConfig = { secureCookies: false, sessionIdleMinutes: 30, studentIdleMinutes: 10, staticDir: null, webhookHosts: null };
