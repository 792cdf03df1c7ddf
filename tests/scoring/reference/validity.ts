/**
 * Reference copy of scoring/validity.ts before the compiled plans (see ./index.ts).
 *
 * Step 2 of the pipeline: is this response trustworthy enough to act on as it stands?
 *
 * Checks response quality across a whole battery: too-fast responding, straight-lining across scales
 * that run in opposite directions, a failed instructed-response (attention) item, and too much missing.
 * A questionable response is re-screened (a yellow reason in the default policy); it never silences a
 * critical answer, which tier.ts reads from the score results whatever this step says.
 */
import type { Instrument, Item } from "../../../instruments/schema";
import { numericOptions } from "../../../instruments/schema";
import type { Answers } from "./score";
import { isShown } from "./score";

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
  const reasons: ValidityReason[] = [];
  const speed = secondsPerItem(instruments, answers, pages);
  if (speed !== undefined && speed < params.minSecondsPerItem) {
    reasons.push({ code: "too-fast", evidence: `${speed.toFixed(1)} s per item (minimum ${params.minSecondsPerItem} s)` });
  }
  const straight = straightLined(instruments, answers);
  if (straight) reasons.push({ code: "straight-lining", evidence: straight });
  for (const failed of failedAttention(instruments, answers)) reasons.push({ code: "attention-failed", evidence: failed });
  const missing = missingShare(instruments, answers);
  if (missing.required > 0 && missing.blank / missing.required > params.maxMissingShare) {
    reasons.push({ code: "too-much-missing", evidence: `${missing.blank} of ${missing.required} required items blank` });
  }
  return reasons.length === 0 ? { kind: "valid" } : { kind: "questionable", reasons };
}

function isAnswered(value: unknown): boolean {
  return value !== null && value !== undefined && value !== "" && !(Array.isArray(value) && value.length === 0);
}

/** What the checks need of one instrument, worked out once. */
interface Plan {
  /** Items that take an answer other than free text (they count for speed). */
  readonly timed: readonly Item[];
  /** Scored single-choice items with their lowest and highest option value (straight-lining). */
  readonly rated: readonly { readonly id: string; readonly min: number; readonly max: number }[];
  readonly attention: readonly Item[];
  readonly required: readonly Item[];
}

const plans = new WeakMap<Instrument, Plan>();

function planOf(inst: Instrument): Plan {
  let plan = plans.get(inst);
  if (!plan) {
    plan = {
      timed: inst.items.filter((item) => item.type !== "text"),
      rated: inst.items
        .filter((item) => item.scored && item.type === "single")
        .map((item) => ({ id: item.id, min: Math.min(...numericOptions(inst, item)), max: Math.max(...numericOptions(inst, item)) })),
      attention: inst.items.filter((item) => item.attention),
      required: inst.items.filter((item) => !item.optional),
    };
    plans.set(inst, plan);
  }
  return plan;
}

/** Average seconds per answered choice item over the timed pages, or undefined when nothing was timed. */
function secondsPerItem(instruments: readonly Instrument[], answers: Readonly<Record<string, Answers | undefined>>, pages: readonly PageTiming[]): number | undefined {
  let ms = 0;
  let items = 0;
  for (const page of pages) {
    const inst = findInstrument(instruments, page.instrument);
    const given = answers[page.instrument];
    if (!inst || !given || !(page.endedAt >= page.startedAt)) continue;
    let answered = 0;
    for (const item of planOf(inst).timed) if (isAnswered(given[item.id])) answered += 1;
    if (answered === 0) continue;
    ms += page.endedAt - page.startedAt;
    items += answered;
  }
  return items === 0 ? undefined : ms / 1000 / items;
}

function findInstrument(instruments: readonly Instrument[], id: string): Instrument | undefined {
  for (const inst of instruments) if (inst.id === id) return inst;
  return undefined;
}

/** All scored items of the instrument at its lowest or at its highest option value. */
function extreme(inst: Instrument, given: Answers): "min" | "max" | undefined {
  const rated = planOf(inst).rated;
  if (rated.length < 3) return undefined;
  let atMin = true;
  let atMax = true;
  for (const item of rated) {
    const value = given[item.id];
    if (typeof value !== "number") return undefined;
    atMin &&= value === item.min;
    atMax &&= value === item.max;
  }
  return atMax ? "max" : atMin ? "min" : undefined;
}

/**
 * Straight-lining shows as contradictory extremes: a well-being scale at its maximum together with a
 * symptom scale at its maximum (or both at their minimum) cannot both be meant.
 */
function straightLined(instruments: readonly Instrument[], answers: Readonly<Record<string, Answers | undefined>>): string | undefined {
  const sides = new Map<Instrument, "min" | "max">();
  for (const inst of instruments) {
    const given = answers[inst.id];
    const side = given && inst.direction !== "none" ? extreme(inst, given) : undefined;
    if (side) sides.set(inst, side);
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
    for (const item of planOf(inst).attention) {
      const given = answers[inst.id]?.[item.id];
      if (given !== item.attention!.expected) {
        failed.push(`${inst.id}.${item.id}: answered ${JSON.stringify(given ?? null)}, asked for ${JSON.stringify(item.attention!.expected)}`);
      }
    }
  }
  return failed;
}

function missingShare(instruments: readonly Instrument[], answers: Readonly<Record<string, Answers | undefined>>): { blank: number; required: number } {
  let blank = 0;
  let required = 0;
  for (const inst of instruments) {
    const given = answers[inst.id] ?? {};
    for (const item of planOf(inst).required) {
      if (!isShown(item, given)) continue;
      required += 1;
      if (!isAnswered(given[item.id])) blank += 1;
    }
  }
  return { blank, required };
}
