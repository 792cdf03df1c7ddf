/** schools routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const schoolRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
