/**
 * The server's settings, read from the environment once at start-up. Every bad value is reported
 * (all of them, each naming its variable), never guessed around: a server that starts on the wrong
 * port or the wrong database is worse than one that refuses.
 *
 *   PORT                    1-65535 (default 3000)
 *   HOST                    address to listen on (default 127.0.0.1)
 *   XINQING_DATA            data directory (default ./data): the PGlite database in <dir>/pgdata,
 *                           the key file <dir>/xinqing.key, the lock file <dir>/xinqing.lock
 *   DATABASE_URL            postgres://… : use PostgreSQL instead of the embedded PGlite
 *   XINQING_KEY             the master key in base64 (else the key file)
 *   XINQING_STATIC          the built SPA (default dist/app; "" or "none" serves the API only)
 *   XINQING_SECURE_COOKIES  true when served over HTTPS (cookies get Secure)
 *   LOG_LEVEL               pino level (default info)
 *   XINQING_SHUTDOWN_TIMEOUT  seconds to wait for in-flight requests on SIGTERM (default 10)
 *   XINQING_WEBHOOK_HOSTS   comma-separated host names the school webhooks may post to, e.g.
 *                           qyapi.weixin.qq.com (default: any host). No webhook reaches an internal
 *                           address (loopback, private, link-local…) unless it is listed as an IPv4
 *                           address, e.g. 127.0.0.1 for a receiver on this machine
 */
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_CONFIG, type ServerConfig } from "./deps";

/** Where the data of one installation lives. */
export type DatabaseTarget = { readonly kind: "pglite"; readonly dir: string } | { readonly kind: "postgres"; readonly url: string };

export interface StartConfig {
  readonly host: string;
  readonly port: number;
  /** XINQING_DATA, absolute. */
  readonly dataDir: string;
  readonly database: DatabaseTarget;
  /** XINQING_KEY when set (even empty, which loadKey refuses with its own message). */
  readonly keyEnv: string | undefined;
  readonly keyFile: string;
  readonly lockFile: string;
  readonly logLevel: LogLevel;
  readonly shutdownTimeoutMs: number;
  readonly server: ServerConfig;
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One bad environment variable. */
export interface ConfigIssue {
  readonly code: "invalid";
  /** The variable's name. */
  readonly path: string;
  readonly message: string;
}

export type ConfigResult = { readonly ok: true; readonly config: StartConfig } | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

export type Env = Readonly<Record<string, string | undefined>>;

/** The repository root (src/server/config.ts → ../..), where dist/app is built. */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The PGlite data directory inside an XinQing data directory. */
export const pgliteDir = (dataDir: string): string => join(dataDir, "pgdata");

const set = (v: string | undefined): v is string => v !== undefined && v.trim() !== "";

/** A DNS name or an IPv4 address, as a URL's host name spells it (lower case). */
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** Describes a value for an error message without echoing long or hostile text. */
function shown(value: string): string {
  const short = value.length > 40 ? `${value.slice(0, 40)}…` : value;
  return JSON.stringify(short);
}

function parsePort(raw: string, issues: ConfigIssue[]): number {
  const text = raw.trim();
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    issues.push({ code: "invalid", path: "PORT", message: `PORT must be a whole number from 1 to 65535, not ${shown(raw)}` });
    return 0;
  }
  return port;
}

// A host name, an IPv4 address, or an IPv6 address (letters, digits, '.', ':', '-', '%' for a zone).
const HOST = /^[A-Za-z0-9.:%_-]{1,253}$/;

function parseDatabaseUrl(raw: string, issues: ConfigIssue[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    // never echo the value: it may hold a password
    issues.push({ code: "invalid", path: "DATABASE_URL", message: "DATABASE_URL is not a URL; expected postgres://user:password@host:5432/database" });
    return undefined;
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    issues.push({ code: "invalid", path: "DATABASE_URL", message: `DATABASE_URL must start with postgres:// or postgresql://, not ${url.protocol}//` });
    return undefined;
  }
  if (url.hostname === "" && !url.searchParams.has("host")) {
    issues.push({ code: "invalid", path: "DATABASE_URL", message: "DATABASE_URL names no host; expected postgres://user:password@host:5432/database" });
    return undefined;
  }
  if (url.pathname === "" || url.pathname === "/") {
    issues.push({ code: "invalid", path: "DATABASE_URL", message: "DATABASE_URL names no database; expected postgres://user:password@host:5432/database" });
    return undefined;
  }
  return raw.trim();
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean, issues: ConfigIssue[]): boolean {
  if (!set(raw)) return fallback;
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  issues.push({ code: "invalid", path: name, message: `${name} must be true or false, not ${shown(raw)}` });
  return fallback;
}

/**
 * Reads the server's configuration from `env`; relative paths are taken from `cwd`. Returns every
 * bad variable at once. Never puts a password or key into a message.
 */
export function parseConfig(env: Env, cwd: string = process.cwd()): ConfigResult {
  const issues: ConfigIssue[] = [];
  const port = set(env.PORT) ? parsePort(env.PORT, issues) : 3000;
  let host = "127.0.0.1";
  if (env.HOST !== undefined) {
    if (!HOST.test(env.HOST.trim())) issues.push({ code: "invalid", path: "HOST", message: `HOST must be a host name or IP address, not ${shown(env.HOST)}` });
    else host = env.HOST.trim();
  }
  const dataDir = resolve(cwd, set(env.XINQING_DATA) ? env.XINQING_DATA.trim() : "data");
  if (env.XINQING_DATA !== undefined && !set(env.XINQING_DATA)) {
    issues.push({ code: "invalid", path: "XINQING_DATA", message: "XINQING_DATA is set but empty; unset it to use ./data" });
  }
  let database: DatabaseTarget = { kind: "pglite", dir: pgliteDir(dataDir) };
  if (env.DATABASE_URL !== undefined) {
    const url = set(env.DATABASE_URL) ? parseDatabaseUrl(env.DATABASE_URL, issues) : undefined;
    if (!set(env.DATABASE_URL)) issues.push({ code: "invalid", path: "DATABASE_URL", message: "DATABASE_URL is set but empty; unset it to use the embedded database" });
    if (url !== undefined) database = { kind: "postgres", url };
  }
  let staticDir: string | null = resolve(PROJECT_ROOT, "dist/app");
  if (env.XINQING_STATIC !== undefined) {
    const v = env.XINQING_STATIC.trim();
    staticDir = v === "" || v === "none" ? null : isAbsolute(v) ? v : resolve(cwd, v);
  }
  let logLevel: LogLevel = "info";
  if (set(env.LOG_LEVEL)) {
    const v = env.LOG_LEVEL.trim().toLowerCase();
    if ((LOG_LEVELS as readonly string[]).includes(v)) logLevel = v as LogLevel;
    else issues.push({ code: "invalid", path: "LOG_LEVEL", message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, not ${shown(env.LOG_LEVEL)}` });
  }
  let shutdownTimeoutMs = 10_000;
  if (set(env.XINQING_SHUTDOWN_TIMEOUT)) {
    const s = Number(env.XINQING_SHUTDOWN_TIMEOUT.trim());
    if (!Number.isFinite(s) || s <= 0 || s > 3600) {
      issues.push({ code: "invalid", path: "XINQING_SHUTDOWN_TIMEOUT", message: `XINQING_SHUTDOWN_TIMEOUT must be seconds between 0 and 3600, not ${shown(env.XINQING_SHUTDOWN_TIMEOUT)}` });
    } else shutdownTimeoutMs = Math.round(s * 1000);
  }
  const secureCookies = parseBoolean("XINQING_SECURE_COOKIES", env.XINQING_SECURE_COOKIES, DEFAULT_CONFIG.secureCookies, issues);
  let webhookHosts: string[] | null = null;
  if (set(env.XINQING_WEBHOOK_HOSTS)) {
    const hosts = env.XINQING_WEBHOOK_HOSTS.split(",").map((h) => h.trim().toLowerCase());
    const bad = hosts.find((h) => !HOST_NAME.test(h));
    if (bad === undefined) webhookHosts = hosts;
    else issues.push({ code: "invalid", path: "XINQING_WEBHOOK_HOSTS", message: `XINQING_WEBHOOK_HOSTS must list host names separated by commas; ${shown(bad)} is not one` });
  }
  if (issues.length > 0) return { ok: false, issues };
  return {
    ok: true,
    config: {
      host,
      port,
      dataDir,
      database,
      keyEnv: env.XINQING_KEY,
      keyFile: join(dataDir, "xinqing.key"),
      lockFile: join(dataDir, "xinqing.lock"),
      logLevel,
      shutdownTimeoutMs,
      server: { ...DEFAULT_CONFIG, secureCookies, staticDir, webhookHosts },
    },
  };
}

/** The address people type in a browser: a wildcard listen address becomes localhost. */
export function publicOrigin(config: Pick<StartConfig, "host" | "port">): string {
  const host = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host.includes(":") ? `[${config.host}]` : config.host;
  return `http://${host}:${config.port}`;
}
