/**
 * Screening waves, guardian consent, access codes and the student's entry with a code (issue 4,
 * "Waves, consent and access codes"). Each part is its own plugin in this folder.
 */
import type { FastifyPluginAsync } from "fastify";
import type { Deps } from "../../deps";
import { codeRoutes } from "./code-routes";
import { consentRoutes } from "./consent";
import { studentEntryRoutes } from "./student-entry";
import { waveCrudRoutes } from "./wave-routes";

export const waveRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  await app.register(waveCrudRoutes, { deps });
  await app.register(consentRoutes, { deps });
  await app.register(codeRoutes, { deps });
  await app.register(studentEntryRoutes, { deps });
};
