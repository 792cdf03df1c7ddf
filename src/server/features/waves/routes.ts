/** waves routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const waveRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
