/**
 * The one call site for critical observations (a teacher ticked "self-harm", a peer monitor reported talk
 * of death or self-harm): issue 6 wants an alert to reach the school's counselors at once, like a critical
 * answer. It raises the alerts feature's alert (src/server/features/alerts/raise.ts) inside the filing
 * transaction, so the alert commits with the observation or not at all.
 */
import type { Queryable } from "../../db/database";
import type { Deps } from "../../deps";
import { raiseAlert } from "../alerts/raise";

/** What the alerts feature gets for a critical observation. */
export interface CriticalObservationEvent {
  readonly observationId: string;
  readonly studentId: string;
  readonly schoolId: string;
  readonly classId: string;
  readonly instrument: string;
  /** Item ids with a critical answer. */
  readonly items: readonly string[];
  readonly informantRole: string;
  readonly authorId: string;
  readonly at: Date;
}

/**
 * Raises the alert for a critical observation. Always "acute": the policies' critical-observation rule
 * is an acute red rule (scoring/policies/default-v1.ts), and an observer's report of self-harm or talk of
 * death cannot wait for the watch list.
 */
export async function raiseCriticalObservationAlert(tx: Queryable, deps: Deps, event: CriticalObservationEvent): Promise<void> {
  await raiseAlert(tx, deps, {
    schoolId: event.schoolId,
    studentId: event.studentId,
    source: "observation",
    sourceId: event.observationId,
    kind: "acute",
    items: event.items.map((item) => ({ instrument: event.instrument, item })),
  });
}
