/**
 * The route table of the real app, read while it is built: Fastify publishes every new instance on the
 * `fastify.initialization` diagnostics channel before any plugin is registered, so an `onRoute` hook added
 * there sees every route, of every plugin, exactly as the server has it (no list kept by hand to forget).
 */
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { randomBytes } from "node:crypto";
import type { FastifyInstance, RouteOptions } from "fastify";
import { buildApp } from "../../src/server/app";
import { deriveKeys } from "../../src/server/crypto/cipher";
import type { Database } from "../../src/server/db/database";
import { DEFAULT_CONFIG } from "../../src/server/deps";

export interface RouteInfo {
  /** "POST" */
  readonly method: string;
  /** "/api/waves/:id/open" */
  readonly url: string;
  /** `config.startsSession` (staff login, a student's code): the documented exception to the CSRF check. */
  readonly startsSession: boolean;
}

/** "POST /api/waves/:id/open" */
export const routeKey = (r: Pick<RouteInfo, "method" | "url">): string => `${r.method} ${r.url}`;

export const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A database that is never reached: building the app must not query it. */
const UNREACHABLE: Database = new Proxy({} as Database, {
  get(_target, prop) {
    if (prop === "kind") return "pglite";
    if (prop === "then") return undefined;
    return () => {
      throw new Error(`listing routes touched the database (${String(prop)})`);
    };
  },
});

/**
 * Every route of the app `buildApp` makes (API only, as in the tests), sorted, without the HEAD twins
 * Fastify adds for each GET (same handler, same checks). The app is closed again before this returns.
 */
export async function listRoutes(): Promise<RouteInfo[]> {
  const seen: RouteInfo[] = [];
  const onRoute = (route: RouteOptions) => {
    for (const method of [route.method].flat()) seen.push({ method, url: route.url, startsSession: route.config?.startsSession === true });
  };
  const onInit = (message: unknown) => {
    (message as { fastify: FastifyInstance }).fastify.addHook("onRoute", onRoute);
  };
  subscribe("fastify.initialization", onInit);
  let app: FastifyInstance;
  try {
    app = await buildApp({
      db: UNREACHABLE,
      keys: deriveKeys(randomBytes(32)),
      now: () => new Date(0),
      newId: () => randomBytes(8).toString("hex"),
      randomBytes: (n) => randomBytes(n),
      config: DEFAULT_CONFIG,
      logger: false,
    });
  } finally {
    unsubscribe("fastify.initialization", onInit);
  }
  await app.close();
  const unique = new Map(seen.map((r) => [routeKey(r), r]));
  const gets = new Set(seen.filter((r) => r.method === "GET").map((r) => r.url));
  return [...unique.values()].filter((r) => !(r.method === "HEAD" && gets.has(r.url))).sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method));
}
