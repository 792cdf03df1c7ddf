/** analytics routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const analyticsRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
