/**
 * Builds the Fastify app (testable with `app.inject()`, no port): zod schemas for every body, the
 * `{error: {code, message, details}}` error shape, OpenAPI at /api/openapi.json, security headers, and
 * one plugin per feature.
 */
import helmet from "@fastify/helmet";
import fastifyStatic from "@fastify/static";
import swagger from "@fastify/swagger";
import Fastify, { type FastifyError, type FastifyInstance } from "fastify";
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, serializerCompiler, validatorCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Health } from "../shared/api";
import { authPlugin } from "./auth/plugin";
import type { Deps } from "./deps";
import { ApiError } from "./errors";
import { auditRoutes } from "./features/accounts/audit-routes";
import { accountRoutes } from "./features/accounts/routes";
import { alertRoutes } from "./features/alerts/routes";
import { archiveRoutes } from "./features/archive/routes";
import { analyticsRoutes } from "./features/analytics/routes";
import { feedbackRoutes } from "./features/cases/feedback-routes";
import { caseRoutes } from "./features/cases/routes";
import { observationRoutes } from "./features/observations/routes";
import { responseRoutes } from "./features/responses/routes";
import { rosterRoutes } from "./features/roster/routes";
import { schoolRoutes } from "./features/schools/routes";
import { watchlistRoutes } from "./features/watchlist/routes";
import { webhookRoutes } from "./features/alerts/webhook-routes";
import { waveRoutes } from "./features/waves/routes";

/** Bodies over this are refused with 413 (the issue: 1 MB). Roster uploads have their own limit. */
export const BODY_LIMIT = 1024 * 1024;

export type App = FastifyInstance;

export async function buildApp(deps: Deps): Promise<App> {
  const app = Fastify({
    logger: deps.logger === false ? false : { ...(typeof deps.logger === "object" ? deps.logger : {}), redact: ["req.headers.cookie", "req.headers['x-csrf-token']"] },
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    genReqId: () => deps.newId(),
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  app.setErrorHandler((err: FastifyError | ApiError, request, reply) => {
    if (err instanceof ApiError) {
      return reply.status(err.statusCode).send({ error: { code: err.code, message: err.message, ...(err.details && { details: err.details }) } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = err.validationContext ?? "body";
      const details = err.validation.map((v) => ({
        path: [where, ...String(v.instancePath ?? "").split("/").filter(Boolean)].join("."),
        code: String(v.params?.issue && typeof v.params.issue === "object" && "code" in v.params.issue ? v.params.issue.code : v.keyword),
        message: v.message ?? "invalid",
      }));
      return reply.status(400).send({ error: { code: "invalid_request", message: `invalid ${where}`, details } });
    }
    const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) request.log.error({ err }, "unhandled error");
    const code = status === 500 ? "internal" : status === 413 ? "body_too_large" : status === 415 ? "unsupported_media_type" : status === 429 ? "rate_limited" : (err.code?.toLowerCase() ?? "bad_request");
    const message = status === 500 ? "internal error" : err.message;
    return reply.status(status).send({ error: { code, message } });
  });
  const staticDir = deps.config.staticDir;
  const serveSpa = staticDir !== null && existsSync(join(staticDir, "index.html"));
  // Fastify allows one not-found handler per prefix: with the SPA, the one below (after @fastify/static) answers.
  if (!serveSpa) app.setNotFoundHandler((request, reply) => reply.status(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` } }));

  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        // survey-core sets inline styles (STACK-NOTES.md); no eval is needed anywhere
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", "data:"],
        connectSrc: ["'self'"],
        fontSrc: ["'self'"],
        objectSrc: ["'none'"],
        frameAncestors: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
      },
    },
    referrerPolicy: { policy: "no-referrer" },
    crossOriginEmbedderPolicy: false,
  });
  await app.register(swagger, {
    openapi: { info: { title: "XinQing API", version: "1" } },
    transform: jsonSchemaTransform,
  });

  app.get("/api/health", { schema: { response: { 200: Health, 503: Health } } }, async (_request, reply) => {
    try {
      await deps.db.query("SELECT 1");
      return { status: "ok" as const, database: deps.db.kind, checks: { database: "ok" } };
    } catch (err) {
      return reply.status(503).send({ status: "unhealthy", database: deps.db.kind, checks: { database: (err as Error).message } });
    }
  });

  await app.register(authPlugin, { deps });
  await app.register(accountRoutes, { deps });
  await app.register(auditRoutes, { deps });
  await app.register(schoolRoutes, { deps });
  await app.register(rosterRoutes, { deps });
  await app.register(waveRoutes, { deps });
  await app.register(responseRoutes, { deps });
  await app.register(observationRoutes, { deps });
  await app.register(watchlistRoutes, { deps });
  await app.register(alertRoutes, { deps });
  await app.register(webhookRoutes, { deps });
  await app.register(caseRoutes, { deps });
  await app.register(feedbackRoutes, { deps });
  await app.register(analyticsRoutes, { deps });
  await app.register(archiveRoutes, { deps });

  app.get("/api/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  if (serveSpa && staticDir !== null) {
    await app.register(fastifyStatic, { root: staticDir, wildcard: false });
    // The SPA routes are client-side: unknown non-API paths get index.html.
    app.setNotFoundHandler((request, reply) => {
      if (request.url.startsWith("/api/") || request.method !== "GET") {
        return reply.status(404).send({ error: { code: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` } });
      }
      return reply.sendFile("index.html");
    });
  }
  return app;
}
