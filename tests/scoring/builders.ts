/** Small builders that keep the scoring tests readable. */
import { gad7 } from "../../instruments/gad7";
import { phq9 } from "../../instruments/phq9";
import type { Instrument } from "../../instruments/schema";
import { who5 } from "../../instruments/who5";
import type { Answers, ObservationEvidence, ScoreResult } from "../../scoring/index";

/** Answers to the scored items in order: `byOrder(phq9, [2,2,2,1,1,1,1,0,0])`. */
export function byOrder(inst: Instrument, values: readonly (number | string | null)[]): Answers {
  const items = inst.items.filter((it) => it.scored || (it.type === "single" && !it.optional && !it.attention));
  return Object.fromEntries(values.map((v, i) => [items[i]!.id, v]));
}

/** Answers whose items add up to `total`, filling from the first item at the highest value. */
export function withTotal(inst: Instrument, total: number, itemMax: number): Answers {
  const items = inst.items.filter((it) => it.scored);
  let left = total;
  return Object.fromEntries(
    items.map((it) => {
      const v = Math.min(itemMax, left);
      left -= v;
      return [it.id, v];
    }),
  );
}

export const answers = {
  phq9: (values: readonly number[]) => byOrder(phq9, values),
  gad7: (values: readonly number[]) => byOrder(gad7, values),
  who5: (values: readonly number[]) => byOrder(who5, values),
  asq: (q1: string, q2: string, q3: string, q4: string, q5?: string) => ({ q1, q2, q3, q4, ...(q5 !== undefined && { q5 }) }),
};

/** A scored result as the score step makes it, for tier tests that need a band without answers. */
export function scored(instrument: string, total: number, band?: string, extra: Partial<ScoreResult & { kind: "scored" }> = {}): ScoreResult {
  return { kind: "scored", instrument, total, ...(band && { band }), critical: [], ...extra };
}

let observationSeq = 0;
/** An observation: `anObservation({role: "peer", concerns: ["concerns"]})`. */
export function anObservation(over: Partial<ObservationEvidence> & { role?: ObservationEvidence["informant"]["role"] } = {}): ObservationEvidence {
  observationSeq += 1;
  const { role = "homeroom", ...rest } = over;
  return {
    informant: { role, id: `${role}-${observationSeq}` },
    instrument: role === "peer" ? "peer-concern" : "teacher-checklist",
    at: new Date("2026-03-10T08:00:00+08:00"),
    critical: [],
    concerns: [],
    ...rest,
  };
}
