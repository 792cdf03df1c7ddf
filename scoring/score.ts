/**
 * Step 1 of the pipeline: one instrument's answers → a score result.
 *
 * The rules come from the instrument data (items, options, reverse keys, subscales, bands, critical
 * answers); this file only walks it, through the instrument's plan (plan.ts). See instruments/*.ts for the
 * sources of each rule.
 *
 * Empty lists in results, and critical-item and flag lists, are shared frozen arrays, and so are the
 * common results themselves (a total in a band: `commonResult`): results are read-only data, and a
 * district's wave is hundreds of thousands of responses.
 */
import type { Instrument, Item, OptionValue, SchoolLevel } from "../instruments/schema";
import type { InstrumentPlan } from "./plan";
import { commonIndex, isAsqPositive, isBlank, loadAnswers, matchesAny, planOf, pointsOf, readAnswers, valueProblem } from "./plan";

/** What a respondent gave for one item: an option value, several (multi), free text, or nothing. */
export type AnswerValue = OptionValue | readonly OptionValue[] | null;
/** Answers to one instrument, by item id. A missing key and `null` both mean "not answered". */
export type Answers = Readonly<Record<string, AnswerValue | undefined>>;

export interface SubscaleScore {
  readonly total: number;
  readonly band?: string;
}

export type ScoreProblemCode = "out-of-range" | "wrong-type" | "unknown-item" | "too-many-missing";

export interface ScoreProblem {
  readonly code: ScoreProblemCode;
  /** The item the problem is about; absent for whole-form problems. */
  readonly item?: string;
  readonly message: string;
}

/**
 * The result of scoring one instrument. `critical` lists the item ids whose answers must reach a
 * counselor; it is filled in every kind, because a critical answer counts even on an unfinished form.
 */
export type ScoreResult =
  | {
      readonly kind: "scored";
      readonly instrument: string;
      /** The raw sum of scored items after reverse keys (ASQ: the number of positive answers). */
      readonly total: number;
      readonly band?: string;
      /** WHO-5: total × 4. */
      readonly percent?: number;
      readonly subscales?: Readonly<Record<string, SubscaleScore>>;
      readonly critical: readonly string[];
      readonly flags?: readonly string[];
      /** Required items left blank but within what the instrument allows (PSC-17: up to three). */
      readonly missing?: readonly string[];
      /** Remarks a counselor should read (ASQ: "inconsistent", "acuity-refused"). */
      readonly notes?: readonly string[];
    }
  | { readonly kind: "incomplete"; readonly instrument: string; readonly missing: readonly string[]; readonly critical: readonly string[] }
  | { readonly kind: "invalid"; readonly instrument: string; readonly problems: readonly ScoreProblem[]; readonly critical: readonly string[] };

export interface ScoreOptions {
  /** Picks level-specific subscales (SRSS-IE: I5 in primary, I6 in secondary); all are scored when absent. */
  readonly level?: SchoolLevel;
}

/**
 * Scores one instrument. Never throws: any answers object gives `scored`, `incomplete` or `invalid`.
 * An answer that is not an option of its item, or an item id the instrument lacks, makes it `invalid`.
 */
export function scoreInstrument(inst: Instrument, answers: Answers, options: ScoreOptions = NO_OPTIONS): ScoreResult {
  if (!isAnswersObject(answers)) return wrongTypeResult(inst);
  const plan = planOf(inst);
  return readAnswers(plan, answers) ?? scoreRead(plan, answers, options);
}

/**
 * scoreInstrument for answers (an object) that `readAnswers` has just read into the plan. For the one-pass
 * battery function (response.ts); not part of the library's contract.
 */
export function scoreRead(plan: InstrumentPlan, answers: Answers, options: ScoreOptions): ScoreResult {
  const critical = criticalOf(plan);
  // Only a response with a problem walks its keys again, to list every problem in key order.
  if (plan.unknown > 0 || !plan.valuesOk) {
    const problems = checkAnswers(plan, answers);
    if (problems.length > 0) return { kind: "invalid", instrument: plan.id, problems, critical };
  }
  switch (plan.method) {
    case "sum":
      return scoreSum(plan, critical, options);
    case "asq":
      return scoreAsq(plan, critical);
    case "none": {
      const missing = plan.missing;
      return missing ? { kind: "incomplete", instrument: plan.id, missing, critical } : { kind: "scored", instrument: plan.id, total: 0, critical };
    }
  }
}

/** Whether scoreInstrument takes the value as an answers object (anything else is `invalid`). */
export function isAnswersObject(answers: unknown): answers is Answers {
  return typeof answers === "object" && answers !== null && !Array.isArray(answers);
}

/** The result for answers that are not an object. */
export function wrongTypeResult(inst: Instrument): ScoreResult {
  return { kind: "invalid", instrument: inst.id, problems: [{ code: "wrong-type", message: "answers must be an object of item id → value" }], critical: EMPTY };
}

const EMPTY: readonly string[] = Object.freeze([]);
const NO_OPTIONS: ScoreOptions = Object.freeze({});
/** The answers of an instrument left out of a battery response: all blank. */
export const NO_ANSWERS: Answers = Object.freeze({});

/** Item ids whose answer is one the instrument marks critical (PHQ-9 item 9 > 0, any ASQ "yes" or refusal). */
export function criticalItems(inst: Instrument, answers: Answers): string[] {
  const plan = planOf(inst);
  readAnswers(plan, answers);
  return criticalOf(plan).slice();
}

/** Item ids whose answer marks a concern (a warning sign ticked on a teacher checklist or a peer report). */
export function concernItems(inst: Instrument, answers: Answers): string[] {
  const plan = planOf(inst);
  loadAnswers(plan, answers);
  const out: string[] = [];
  for (const slot of plan.concern) if (matchesAny(plan.vals[slot], plan.items[slot]!.concern!)) out.push(plan.ids[slot]!);
  return out;
}

/** Whether an item is shown, given the earlier answers (ASQ question 5 only after a positive 1-4). */
export function isShown(item: Item, answers: Answers): boolean {
  const showIf = item.showIf;
  if (!showIf) return true;
  for (const ref of showIf.items) if (matchesAny(answers[ref], showIf.anyIn)) return true;
  return false;
}

/** Required, shown items without an answer. */
export function missingItems(inst: Instrument, answers: Answers): string[] {
  const plan = planOf(inst);
  readAnswers(plan, answers);
  return plan.missing ? plan.missing.slice() : [];
}

/** The critical item ids of the answers just read, in item order, as a shared frozen list. */
function criticalOf(plan: InstrumentPlan): readonly string[] {
  if (plan.manyCritical) {
    const out: string[] = [];
    for (const slot of plan.critical) if (matchesAny(plan.vals[slot], plan.items[slot]!.critical!)) out.push(plan.ids[slot]!);
    return out.length === 0 ? EMPTY : Object.freeze(out);
  }
  const mask = plan.criticalMask;
  if (mask === 0) return EMPTY;
  let list = plan.criticalLists[mask];
  if (list === undefined) {
    const slots = plan.critical;
    list = Object.freeze(Array.from(slots).filter((slot) => (mask & plan.items[slot]!.criticalBit) !== 0).map((slot) => plan.ids[slot]!));
    // Lists are kept for instruments with few critical items (at most 2^8 lists).
    if (mask < plan.criticalLists.length) plan.criticalLists[mask] = list;
  }
  return list;
}

/** Every problem of the answers, in the order of their keys (unknown item ids and unacceptable values). */
function checkAnswers(plan: InstrumentPlan, answers: Answers): ScoreProblem[] {
  const problems: ScoreProblem[] = [];
  for (const id of Object.keys(answers)) {
    const slot = plan.slotOf.get(id);
    if (slot === undefined) {
      problems.push({ code: "unknown-item", item: id, message: `${plan.id} has no item "${id}"` });
      continue;
    }
    const value = answers[id];
    if (isBlank(value)) continue;
    const problem = valueProblem(plan.items[slot]!, value as AnswerValue);
    if (problem) problems.push(problem);
  }
  return problems;
}


function bandOf(bands: readonly { id: string; min: number; max: number }[] | undefined, total: number): string | undefined {
  if (!bands) return undefined;
  for (const b of bands) if (total >= b.min && total <= b.max) return b.id;
  return undefined;
}

function scoreSum(plan: InstrumentPlan, critical: readonly string[], options: ScoreOptions): ScoreResult {
  const total = plan.total;
  const missing = plan.scoredMissing;
  if (missing && missing.length > plan.missingAllowed) {
    return plan.missingBeyond === "incomplete"
      ? { kind: "incomplete", instrument: plan.id, missing, critical }
      : {
          kind: "invalid",
          instrument: plan.id,
          critical,
          problems: [{ code: "too-many-missing", message: `${missing.length} items blank (${missing.join(", ")}); at most ${plan.missingAllowed} allowed` }],
        };
  }
  const band = bandOf(plan.bands, total);
  // The two shapes of the self-report scales (PHQ-9 and GAD-7; WHO-5), shared when they repeat.
  if (band !== undefined && missing === undefined && plan.subscales.length === 0) {
    const percentFactor = plan.percentFactor;
    if (percentFactor === undefined && plan.flags.length === 0) return commonResult(plan, total, band, critical, EMPTY);
    if (percentFactor !== undefined && plan.flags.length > 0) return commonResult(plan, total, band, critical, flagsOf(plan));
  }
  // Otherwise built field by field, in the same fixed key order, so the printed JSON is stable.
  const result: { -readonly [K in keyof ScoredResult]?: ScoredResult[K] } = { kind: "scored", instrument: plan.id, total };
  if (band !== undefined) result.band = band;
  if (plan.percentFactor !== undefined) result.percent = total * plan.percentFactor;
  if (plan.subscales.length > 0) result.subscales = scoreSubscales(plan, options);
  result.critical = critical;
  if (plan.flags.length > 0) result.flags = flagsOf(plan);
  if (missing) result.missing = missing;
  return result as ScoredResult;
}

type ScoredResult = Extract<ScoreResult, { kind: "scored" }>;

/** The ids of the flags raised by any scored answer (WHO-5: any item 0 or 1), in the instrument's order. */
function flagsOf(plan: InstrumentPlan): readonly string[] {
  const flags = plan.flags;
  if (flags.length > 8) {
    const raised = flags.filter((_flag, f) => flagRaised(plan, f)).map((flag) => flag.id);
    return raised.length === 0 ? EMPTY : Object.freeze(raised);
  }
  let mask = 0;
  for (let f = 0; f < flags.length; f++) if (flagRaised(plan, f)) mask |= 1 << f;
  plan.flagMask = mask;
  if (mask === 0) return EMPTY;
  let list = plan.flagLists[mask];
  if (list === undefined) {
    list = Object.freeze(flags.filter((_flag, f) => (mask & (1 << f)) !== 0).map((flag) => flag.id));
    plan.flagLists[mask] = list;
  }
  return list;
}

function flagRaised(plan: InstrumentPlan, f: number): boolean {
  const anyIn = plan.flags[f]!.anyItemIn;
  const { scored, vals } = plan;
  for (let i = 0; i < scored.length; i++) if (anyIn.includes(vals[scored[i]!] as number)) return true;
  return false;
}

function scoreSubscales(plan: InstrumentPlan, options: ScoreOptions): Record<string, SubscaleScore> {
  const out: Record<string, SubscaleScore> = {};
  const { vals, items } = plan;
  for (const sub of plan.subscales) {
    if (options.level && sub.level && sub.level !== options.level) continue;
    let total = 0;
    for (let i = 0; i < sub.slots.length; i++) {
      const slot = sub.slots[i]!;
      const value = vals[slot];
      if (typeof value === "number") total += pointsOf(items[slot]!, value);
    }
    const band = bandOf(sub.bands, total);
    out[sub.id] = band === undefined ? { total } : { total, band };
  }
  return out;
}

/**
 * ASQ (NIMH toolkit): any "yes" or refusal on questions 1-4 is a positive screen; question 5 then decides
 * acuity ("yes" → acute, "no" → non-acute). Two cases the toolkit leaves open are resolved for safety:
 * question 5 "yes" after four "no" answers is acute with the note "inconsistent", and a refusal of
 * question 5 is acute with the note "acuity-refused".
 */
function scoreAsq(plan: InstrumentPlan, critical: readonly string[]): ScoreResult {
  const { vals, asqScreen } = plan;
  const acuity = plan.asqAcuity >= 0 ? vals[plan.asqAcuity] : undefined;
  let screened = 0;
  for (let i = 0; i < asqScreen.length; i++) if (asqScreen[i]! >= 0 && isAsqPositive(vals[asqScreen[i]!])) screened += 1;
  const screenPositive = screened > 0;
  const total = screened + (isAsqPositive(acuity) ? 1 : 0);
  const missing = plan.missing ?? EMPTY;
  const bands = plan.asqBands;
  if (isAsqPositive(acuity)) {
    const result: { -readonly [K in keyof ScoredResult]?: ScoredResult[K] } = { kind: "scored", instrument: plan.id, total, band: bands[2]!, critical };
    const notes: string[] = [];
    if (!screenPositive) notes.push("inconsistent");
    if (acuity === "refused") notes.push("acuity-refused");
    if (missing.length > 0) notes.push("incomplete");
    if (notes.length > 0) result.notes = notes;
    if (missing.length > 0) result.missing = missing;
    return result as ScoredResult;
  }
  if (missing.length > 0) return { kind: "incomplete", instrument: plan.id, missing, critical };
  return commonResult(plan, total, screenPositive ? bands[1]! : bands[0]!, critical, EMPTY);
}

/**
 * The most common result: a total in a band, with its critical items, and for a scale with a percentage
 * score (WHO-5) the percentage and flags. Results are read-only data, so one frozen object serves every
 * response with the same total, critical items and flags; a district's wave repeats a few dozen of each
 * scale's results hundreds of thousands of times. Callers pass the band their rules give for `total`
 * (a function of the total in every branch that comes here), and `critical` and `flags` from the answers
 * just read (`criticalOf`, `flagsOf`: frozen lists by bit mask).
 */
function commonResult(plan: InstrumentPlan, total: number, band: string, critical: readonly string[], flags: readonly string[]): ScoreResult {
  const kept = plan.sharesResults && total >= 0 && total < plan.totals && (total | 0) === total;
  const index = kept ? commonIndex(plan, total, plan.criticalMask, plan.flagMask) : -1;
  if (index >= 0) {
    const hit = plan.common[index];
    if (hit !== undefined) return hit;
  }
  const percentFactor = plan.percentFactor;
  const result: ScoreResult = Object.freeze(
    percentFactor === undefined
      ? { kind: "scored", instrument: plan.id, total, band, critical }
      : { kind: "scored", instrument: plan.id, total, band, percent: total * percentFactor, critical, flags },
  );
  if (index >= 0) plan.common[index] = result;
  return result;
}

/**
 * Scores every scored instrument of a battery (forms with scoring method "none" are left out).
 * A missing answers object counts as all blank.
 */
export function scoreBattery(
  instruments: readonly Instrument[],
  answers: Readonly<Record<string, Answers | undefined>>,
  options: ScoreOptions = NO_OPTIONS,
): Record<string, ScoreResult> {
  const out: Record<string, ScoreResult> = {};
  for (let i = 0; i < instruments.length; i++) {
    const inst = instruments[i]!;
    const plan = planOf(inst);
    if (plan.method !== "none") out[plan.id] = scoreInstrument(inst, answers[plan.id] ?? NO_ANSWERS, options);
  }
  return out;
}
