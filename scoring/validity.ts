/**
 * Step 2 of the pipeline: is this response trustworthy enough to act on as it stands?
 *
 * Checks response quality across a whole battery: too-fast responding, straight-lining across scales
 * that run in opposite directions, a failed instructed-response (attention) item, and too much missing.
 * A questionable response is re-screened (a yellow reason in the default policy); it never silences a
 * critical answer, which tier.ts reads from the score results whatever this step says.
 */
import type { Instrument } from "../instruments/schema";
import type { InstrumentPlan } from "./plan";
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
 * Checks the quality of one battery response.
 * @param instruments the battery's instruments, in page order
 * @param answers answers by instrument id
 * @param pages per-page timings; pages without timings are left out of the speed check
 */
export function checkValidity(
  instruments: readonly Instrument[],
  answers: Readonly<Record<string, Answers | undefined>>,
  pages: readonly PageTiming[],
  params: ValidityParams,
): ValidityResult {
  startTally();
  for (let i = 0; i < instruments.length; i++) {
    const plan = planOf(instruments[i]!);
    const given = answers[plan.id];
    readAnswers(plan, given);
    tallyRead(i, plan, given);
  }
  return tallyResult(instruments, answers, pages, params, uniqueIds(instruments));
}

/** Whether no two of the instruments have the same id. Internal to scoring/. */
export function uniqueIds(instruments: readonly Instrument[]): boolean {
  for (let i = 1; i < instruments.length; i++) for (let j = 0; j < i; j++) if (instruments[i]!.id === instruments[j]!.id) return false;
  return true;
}

/**
 * What the checks need, added up from each instrument's facts (`tallyRead`) and read by `tallyResult`
 * right after: a check of one response never starts while another is being tallied.
 */
const tally = {
  blank: 0,
  required: 0,
  attentionFailed: false,
  /** Bits: a well-being scale all at its minimum (MIN) or maximum (MAX); a symptom scale the same, shifted by 2. */
  sides: 0,
};
/**
 * By instrument index: answered choice items (the speed check's count), 0 when the instrument's answers are
 * missing or falsy (the speed check skips those pages).
 */
const answeredAt: number[] = [];
/** The instruments' ids by index (the speed check finds each page's instrument among them). */
const idAt: string[] = [];

/** Starts the tally of a new response. Internal to scoring/ (also used by response.ts). */
export function startTally(): void {
  tally.blank = 0;
  tally.required = 0;
  tally.attentionFailed = false;
  tally.sides = 0;
}

/**
 * Adds instrument `index` of the battery to the tally, from the facts `readAnswers` has just worked out of
 * its answers (`given`). Internal to scoring/.
 */
export function tallyRead(index: number, plan: InstrumentPlan, given: Answers | undefined): void {
  idAt[index] = plan.id;
  answeredAt[index] = given ? plan.answered : 0;
  tally.blank += plan.missing ? plan.missing.length : 0;
  tally.required += plan.required;
  if (plan.attentionFailed) tally.attentionFailed = true;
  const direction = plan.direction;
  if (given && direction !== "none" && plan.side !== NONE) tally.sides |= direction === "wellbeing" ? plan.side : plan.side << 2;
}

/**
 * The validity result of the tallied response; `unique`: no two of the instruments have the same id
 * (`uniqueIds`). Internal to scoring/.
 */
export function tallyResult(
  instruments: readonly Instrument[],
  answers: Readonly<Record<string, Answers | undefined>>,
  pages: readonly PageTiming[],
  params: ValidityParams,
  unique: boolean,
): ValidityResult {
  let reasons: ValidityReason[] | undefined;
  const speed = secondsPerItem(instruments.length, pages, unique);
  if (speed !== undefined && speed < params.minSecondsPerItem) {
    (reasons ??= []).push({ code: "too-fast", evidence: `${speed.toFixed(1)} s per item (minimum ${params.minSecondsPerItem} s)` });
  }
  // A well-being scale and a symptom scale at the same extreme; the slow path words it.
  const sides = tally.sides;
  if ((sides & (sides >> 2) & (MIN | MAX)) !== 0) {
    const straight = straightLined(instruments, answers);
    if (straight) (reasons ??= []).push({ code: "straight-lining", evidence: straight });
  }
  if (tally.attentionFailed) for (const failed of failedAttention(instruments, answers)) (reasons ??= []).push({ code: "attention-failed", evidence: failed });
  const { blank, required } = tally;
  if (required > 0 && blank / required > params.maxMissingShare) {
    (reasons ??= []).push({ code: "too-much-missing", evidence: `${blank} of ${required} required items blank` });
  }
  return reasons === undefined ? VALID : { kind: "questionable", reasons };
}

const VALID: ValidityResult = Object.freeze({ kind: "valid" });

/**
 * Average seconds per answered choice item over the timed pages, or undefined when nothing was timed.
 * Reads the ids and answered counts of the `count` instruments just tallied in `idAt` and `answeredAt`.
 * Pages usually come in the battery's order: when the ids are `unique`, the instrument at the page's own
 * position is the only one it can be.
 */
function secondsPerItem(count: number, pages: readonly PageTiming[], unique: boolean): number | undefined {
  let ms = 0;
  let items = 0;
  for (let i = 0; i < pages.length; i++) {
    const page = pages[i]!;
    const id = page.instrument;
    const at = unique && i < count && idAt[i] === id ? i : indexOf(count, id);
    if (at < 0 || !(page.endedAt >= page.startedAt)) continue;
    const answered = answeredAt[at]!;
    if (answered === 0) continue;
    ms += page.endedAt - page.startedAt;
    items += answered;
  }
  return items === 0 ? undefined : ms / 1000 / items;
}

/** The index of the first of the `count` tallied instruments with this id, or -1. */
function indexOf(count: number, id: string): number {
  for (let i = 0; i < count; i++) if (idAt[i] === id) return i;
  return -1;
}

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
