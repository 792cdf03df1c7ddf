/** watchlist routes (being written). */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";

export const watchlistRoutes: FastifyPluginAsync<{ deps: Deps }> = async () => {};
