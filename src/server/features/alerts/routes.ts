/** alerts routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const alertRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
