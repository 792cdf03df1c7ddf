/**
 * Step 2 of the pipeline: is this response trustworthy enough to act on as it stands?
 *
 * Checks response quality across a whole battery: too-fast responding, straight-lining across scales
 * that run in opposite directions, a failed instructed-response (attention) item, and too much missing.
 * A questionable response is re-screened (a yellow reason in the default policy); it never silences a
 * critical answer, which tier.ts reads from the score results whatever this step says.
 *
 * The facts the checks need are worked out while the response is scored, from one reading of each
 * instrument's answers (response.ts, which also has `checkValidity`); this module words the result.
 */
import type { Instrument } from "../instruments/schema";
import { loadAnswers, MAX, MIN, NONE, planOf, readAnswers } from "./plan";
import type { Answers } from "./score";

/** Time spent on one survey page, in milliseconds since the epoch, as the student's browser recorded it. */
export interface PageTiming {
  readonly instrument: string;
  readonly startedAt: number;
  readonly endedAt: number;
}

export interface ValidityParams {
  /** Average seconds per answered item below which responding is "too fast". */
  readonly minSecondsPerItem: number;
  /** Share (0-1) of required items left blank across the battery above which a response is questionable. */
  readonly maxMissingShare: number;
}

export type ValidityCode = "too-fast" | "straight-lining" | "attention-failed" | "too-much-missing";

export interface ValidityReason {
  readonly code: ValidityCode;
  readonly evidence: string;
}

export type ValidityResult = { readonly kind: "valid" } | { readonly kind: "questionable"; readonly reasons: readonly ValidityReason[] };

/**
 * What the checks need from one response, worked out as it is scored (response.ts): the average seconds per
 * answered choice item over the timed pages (undefined when nothing was timed), the required items left
 * blank and all required items, whether an attention item was failed, and the sides of the scales all at
 * one extreme (bits: a well-being scale at its minimum (MIN) or maximum (MAX); a symptom scale the same,
 * shifted by 2). Internal to scoring/.
 */
export interface ValidityFacts {
  readonly secondsPerItem: number | undefined;
  readonly blank: number;
  readonly required: number;
  readonly attentionFailed: boolean;
  readonly sides: number;
}

/**
 * The validity of a response from its facts; the rare findings (straight-lining, a failed attention item)
 * are worded from the answers. Internal to scoring/ (response.ts `checkValidity` and `scoreResponse`).
 * @param instruments the battery's instruments, in page order
 * @param answers answers by instrument id
 */
export function validityOf(
  instruments: readonly Instrument[],
  answers: Readonly<Record<string, Answers | undefined>>,
  params: ValidityParams,
  facts: ValidityFacts,
): ValidityResult {
  let reasons: ValidityReason[] | undefined;
  const speed = facts.secondsPerItem;
  if (speed !== undefined && speed < params.minSecondsPerItem) {
    (reasons ??= []).push({ code: "too-fast", evidence: `${speed.toFixed(1)} s per item (minimum ${params.minSecondsPerItem} s)` });
  }
  // A well-being scale and a symptom scale at the same extreme; the slow path words it.
  const sides = facts.sides;
  if ((sides & (sides >> 2) & (MIN | MAX)) !== 0) {
    const straight = straightLined(instruments, answers);
    if (straight) (reasons ??= []).push({ code: "straight-lining", evidence: straight });
  }
  if (facts.attentionFailed) for (const failed of failedAttention(instruments, answers)) (reasons ??= []).push({ code: "attention-failed", evidence: failed });
  const { blank, required } = facts;
  if (required > 0 && blank / required > params.maxMissingShare) {
    (reasons ??= []).push({ code: "too-much-missing", evidence: `${blank} of ${required} required items blank` });
  }
  return reasons === undefined ? VALID : { kind: "questionable", reasons };
}

const VALID: ValidityResult = Object.freeze({ kind: "valid" });

/**
 * Straight-lining shows as contradictory extremes: a well-being scale at its maximum together with a
 * symptom scale at its maximum (or both at their minimum) cannot both be meant.
 */
function straightLined(instruments: readonly Instrument[], answers: Readonly<Record<string, Answers | undefined>>): string | undefined {
  const sides = new Map<Instrument, "min" | "max">();
  for (const inst of instruments) {
    const given = answers[inst.id];
    if (!given || inst.direction === "none") continue;
    const plan = planOf(inst);
    readAnswers(plan, given);
    if (plan.side !== NONE) sides.set(inst, plan.side === MAX ? "max" : "min");
  }
  for (const [well, side] of sides) {
    if (well.direction !== "wellbeing") continue;
    const clash = [...sides].filter(([inst, s]) => inst.direction === "symptom" && s === side).map(([inst]) => inst.id);
    if (clash.length > 0) return `${well.id} all ${side} with ${clash.join(", ")} all ${side}`;
  }
  return undefined;
}

function failedAttention(instruments: readonly Instrument[], answers: Readonly<Record<string, Answers | undefined>>): string[] {
  const failed: string[] = [];
  for (const inst of instruments) {
    const plan = planOf(inst);
    if (plan.attention.length === 0) continue;
    loadAnswers(plan, answers[inst.id]);
    for (const slot of plan.attention) {
      const given = plan.vals[slot];
      const expected = plan.items[slot]!.attention!;
      if (given !== expected) failed.push(`${inst.id}.${plan.ids[slot]}: answered ${JSON.stringify(given ?? null)}, asked for ${JSON.stringify(expected)}`);
    }
  }
  return failed;
}
