/** accounts routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const accountRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
