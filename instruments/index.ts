/**
 * The registry of every instrument XinQing ships, by id. Scoring, batteries and the SurveyJS converter look
 * instruments up here; nothing else keeps a list of them.
 */
import { asq } from "./asq";
import { background } from "./background";
import { gad7 } from "./gad7";
import { peerConcern } from "./peer-concern";
import { phq9 } from "./phq9";
import { psc17Teacher } from "./psc17-teacher";
import type { Instrument } from "./schema";
import { srssIe } from "./srss-ie";
import { teacherChecklist } from "./teacher-checklist";
import { wellbeingFactors } from "./wellbeing-factors";
import { who5 } from "./who5";

/** Ids of every shipped instrument, in a stable order (self-report first, then teacher and peer forms). */
export const instrumentIds = [
  "phq9",
  "gad7",
  "who5",
  "asq",
  "wellbeing-factors",
  "background",
  "psc17-teacher",
  "srss-ie",
  "teacher-checklist",
  "peer-concern",
] as const;

/** The id of a shipped instrument. */
export type InstrumentId = (typeof instrumentIds)[number];

const byId = {
  phq9,
  gad7,
  who5,
  asq,
  "wellbeing-factors": wellbeingFactors,
  background,
  "psc17-teacher": psc17Teacher,
  "srss-ie": srssIe,
  "teacher-checklist": teacherChecklist,
  "peer-concern": peerConcern,
} satisfies Record<InstrumentId, Instrument>;

for (const id of instrumentIds) {
  // A registry key that disagrees with the data's own id is a programming error: fail at load.
  if (byId[id].id !== id) throw new Error(`instrument registered as "${id}" has id "${byId[id].id}"`);
}

/** Every shipped instrument by id, in the order of `instrumentIds`. */
export const instruments: ReadonlyMap<InstrumentId, Instrument> = new Map(instrumentIds.map((id) => [id, byId[id]]));

/** True when `id` names a shipped instrument. */
export function isInstrumentId(id: string): id is InstrumentId {
  return instruments.has(id as InstrumentId);
}

/** The shipped instrument with this id, or undefined. */
export function getInstrument(id: string): Instrument | undefined {
  return isInstrumentId(id) ? instruments.get(id) : undefined;
}
