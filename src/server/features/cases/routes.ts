/** cases routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const caseRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
