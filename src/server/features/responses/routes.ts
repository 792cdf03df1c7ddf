/** responses routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const responseRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
