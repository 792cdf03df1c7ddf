/** roster routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const rosterRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
