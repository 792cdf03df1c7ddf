/** observations routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const observationRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
