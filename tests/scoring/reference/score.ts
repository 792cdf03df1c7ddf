/**
 * Reference copy of scoring/score.ts before the compiled plans (see ./index.ts).
 *
 * Step 1 of the pipeline: one instrument's answers → a score result.
 *
 * The rules come from the instrument data (items, options, reverse keys, subscales, bands, critical
 * answers); this file only walks it. See instruments/*.ts for the sources of each rule.
 */
import type { Instrument, Item, OptionValue, SchoolLevel, Subscale } from "../../../instruments/schema";
import { numericOptions } from "../../../instruments/schema";

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
export function scoreInstrument(inst: Instrument, answers: Answers, options: ScoreOptions = {}): ScoreResult {
  if (typeof answers !== "object" || answers === null || Array.isArray(answers)) {
    return { kind: "invalid", instrument: inst.id, problems: [{ code: "wrong-type", message: "answers must be an object of item id → value" }], critical: [] };
  }
  const plan = planOf(inst);
  const problems = checkAnswers(plan, answers);
  const critical = criticalItems(inst, answers);
  if (problems.length > 0) return { kind: "invalid", instrument: inst.id, problems, critical };
  switch (inst.scoring.method) {
    case "sum":
      return scoreSum(plan, inst.scoring, answers, critical, options);
    case "asq":
      return scoreAsq(inst, inst.scoring, answers, critical);
    case "none": {
      const missing = missingItems(inst, answers);
      return missing.length > 0 ? { kind: "incomplete", instrument: inst.id, missing, critical } : { kind: "scored", instrument: inst.id, total: 0, critical };
    }
  }
}

/** Item ids whose answer is one the instrument marks critical (PHQ-9 item 9 > 0, any ASQ "yes" or refusal). */
export function criticalItems(inst: Instrument, answers: Answers): string[] {
  return matching(planOf(inst).critical, "critical", answers);
}

/** Item ids whose answer marks a concern (a warning sign ticked on a teacher checklist or a peer report). */
export function concernItems(inst: Instrument, answers: Answers): string[] {
  return matching(planOf(inst).concern, "concern", answers);
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
  const out: string[] = [];
  for (const p of planOf(inst).required) if (isBlank(answers[p.id]) && isShown(p.item, answers)) out.push(p.id);
  return out;
}

/** What scoring needs of one item, worked out once per instrument. */
interface ItemPlan {
  readonly id: string;
  readonly item: Item;
  readonly allowed: ReadonlySet<OptionValue>;
  /** Option value → item score after reverse keying; only for scored items. */
  readonly score: ReadonlyMap<number, number> | null;
  readonly critical: ReadonlySet<OptionValue> | null;
  readonly concern: ReadonlySet<OptionValue> | null;
}

interface Plan {
  readonly inst: Instrument;
  readonly items: readonly ItemPlan[];
  readonly byId: ReadonlyMap<string, ItemPlan>;
  readonly required: readonly ItemPlan[];
  readonly scored: readonly ItemPlan[];
  readonly critical: readonly ItemPlan[];
  readonly concern: readonly ItemPlan[];
  readonly subscales: readonly { readonly sub: Subscale; readonly items: readonly ItemPlan[] }[];
}

const plans = new WeakMap<Instrument, Plan>();

function planOf(inst: Instrument): Plan {
  let plan = plans.get(inst);
  if (plan) return plan;
  const items = inst.items.map((item): ItemPlan => {
    const values = (item.options ?? inst.options ?? []).map((o) => o.value);
    const numbers = numericOptions(inst, item);
    const [min, max] = [Math.min(...numbers), Math.max(...numbers)];
    return {
      id: item.id,
      item,
      allowed: new Set(values),
      score: item.scored ? new Map(numbers.map((v) => [v, item.reverse ? max + min - v : v])) : null,
      critical: item.critical ? new Set(item.critical.anyOf) : null,
      concern: item.concern ? new Set(item.concern.anyOf) : null,
    };
  });
  plan = {
    inst,
    items,
    byId: new Map(items.map((p) => [p.id, p])),
    required: items.filter((p) => !p.item.optional),
    scored: items.filter((p) => p.score !== null),
    critical: items.filter((p) => p.critical !== null),
    concern: items.filter((p) => p.concern !== null),
    subscales: inst.subscales.map((sub) => ({ sub, items: items.filter((p) => p.score !== null && sub.items.includes(p.id)) })),
  };
  plans.set(inst, plan);
  return plan;
}

function matching(items: readonly ItemPlan[], key: "critical" | "concern", answers: Answers): string[] {
  const out: string[] = [];
  for (const p of items) if (matchesAny(answers[p.id], p[key]!)) out.push(p.id);
  return out;
}

function matchesAny(value: AnswerValue | undefined, anyOf: ReadonlySet<OptionValue> | readonly OptionValue[]): boolean {
  if (value === null || value === undefined) return false;
  if (!Array.isArray(value)) return contains(anyOf, value as OptionValue);
  for (const v of value) if (contains(anyOf, v)) return true;
  return false;
}

function contains(anyOf: ReadonlySet<OptionValue> | readonly OptionValue[], value: OptionValue): boolean {
  return anyOf instanceof Set ? anyOf.has(value) : (anyOf as readonly OptionValue[]).includes(value);
}

function isBlank(value: AnswerValue | undefined): boolean {
  return value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

const MAX_TEXT = 10_000;

function checkAnswers(plan: Plan, answers: Answers): ScoreProblem[] {
  const problems: ScoreProblem[] = [];
  for (const id of Object.keys(answers)) {
    const p = plan.byId.get(id);
    if (!p) {
      problems.push({ code: "unknown-item", item: id, message: `${plan.inst.id} has no item "${id}"` });
      continue;
    }
    const value = answers[id];
    if (isBlank(value)) continue;
    const problem = checkValue(p, value as AnswerValue);
    if (problem) problems.push(problem);
  }
  return problems;
}

function wrongType(item: Item, expected: string): ScoreProblem {
  return { code: "wrong-type", item: item.id, message: `${item.id} expects ${expected}` };
}

function outOfRange(p: ItemPlan, value: unknown): ScoreProblem {
  const allowed = [...p.allowed].map((a) => JSON.stringify(a)).join(", ");
  return { code: "out-of-range", item: p.id, message: `${p.id}: ${JSON.stringify(value)} is not one of ${allowed}` };
}

function checkValue(p: ItemPlan, value: AnswerValue): ScoreProblem | undefined {
  const { item, allowed } = p;
  switch (item.type) {
    case "single":
      if (typeof value !== "number" && typeof value !== "string") return wrongType(item, "one option value");
      return allowed.has(value) ? undefined : outOfRange(p, value);
    case "multi": {
      if (!Array.isArray(value)) return wrongType(item, "a list of option values");
      for (const v of value) if (!allowed.has(v)) return outOfRange(p, v);
      return new Set(value).size === value.length ? undefined : { code: "out-of-range", item: item.id, message: `${item.id}: an option is repeated` };
    }
    case "text":
      if (typeof value !== "string") return wrongType(item, "text");
      return value.length <= MAX_TEXT ? undefined : { code: "out-of-range", item: item.id, message: `${item.id}: text longer than ${MAX_TEXT} characters` };
    case "number":
      if (typeof value !== "number" || !Number.isInteger(value)) return wrongType(item, "a whole number");
      return value >= (item.min ?? -Infinity) && value <= (item.max ?? Infinity)
        ? undefined
        : { code: "out-of-range", item: item.id, message: `${item.id}: ${value} is outside ${item.min}..${item.max}` };
  }
}

type SumScoring = Extract<Instrument["scoring"], { method: "sum" }>;
type AsqScoring = Extract<Instrument["scoring"], { method: "asq" }>;

function bandOf(bands: readonly { id: string; min: number; max: number }[] | undefined, total: number): string | undefined {
  if (!bands) return undefined;
  for (const b of bands) if (total >= b.min && total <= b.max) return b.id;
  return undefined;
}

function scoreSum(plan: Plan, scoring: SumScoring, answers: Answers, critical: string[], options: ScoreOptions): ScoreResult {
  const inst = plan.inst;
  let missing: string[] | undefined;
  let total = 0;
  for (const p of plan.scored) {
    const value = answers[p.id];
    if (typeof value === "number") total += p.score!.get(value)!;
    else if (!p.item.optional && isShown(p.item, answers)) (missing ??= []).push(p.id);
  }
  if (missing && missing.length > scoring.missing.allowed) {
    return scoring.missing.beyond === "incomplete"
      ? { kind: "incomplete", instrument: inst.id, missing, critical }
      : {
          kind: "invalid",
          instrument: inst.id,
          critical,
          problems: [{ code: "too-many-missing", message: `${missing.length} items blank (${missing.join(", ")}); at most ${scoring.missing.allowed} allowed` }],
        };
  }
  // Built field by field, in a fixed key order, so the printed JSON is stable and nothing is spread.
  const result: { -readonly [K in keyof ScoredResult]?: ScoredResult[K] } = { kind: "scored", instrument: inst.id, total };
  const band = bandOf(scoring.bands, total);
  if (band !== undefined) result.band = band;
  if (scoring.percentFactor !== undefined) result.percent = total * scoring.percentFactor;
  if (plan.subscales.length > 0) result.subscales = scoreSubscales(plan, answers, options);
  result.critical = critical;
  if (scoring.flags.length > 0) result.flags = scoring.flags.filter((flag) => plan.scored.some((p) => flag.anyItemIn.includes(answers[p.id] as number))).map((flag) => flag.id);
  if (missing) result.missing = missing;
  return result as ScoredResult;
}

type ScoredResult = Extract<ScoreResult, { kind: "scored" }>;

function scoreSubscales(plan: Plan, answers: Answers, options: ScoreOptions): Record<string, SubscaleScore> {
  const out: Record<string, SubscaleScore> = {};
  for (const { sub, items } of plan.subscales) {
    if (options.level && sub.level && sub.level !== options.level) continue;
    let total = 0;
    for (const p of items) {
      const value = answers[p.id];
      if (typeof value === "number") total += p.score!.get(value)!;
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
/** ASQ toolkit: "yes", and for youth a refusal, count as positive. */
function isAsqPositive(value: AnswerValue | undefined): boolean {
  return value === "yes" || value === "refused";
}

function scoreAsq(inst: Instrument, scoring: AsqScoring, answers: Answers, critical: string[]): ScoreResult {
  const acuity = answers[scoring.acuity];
  let screened = 0;
  for (const id of scoring.screen) if (isAsqPositive(answers[id])) screened += 1;
  const screenPositive = screened > 0;
  const total = screened + (isAsqPositive(acuity) ? 1 : 0);
  const missing = missingItems(inst, answers);
  const [negative, nonAcute, acute] = [scoring.bands[0]!.id, scoring.bands[1]!.id, scoring.bands[2]!.id];
  if (isAsqPositive(acuity)) {
    const notes = [...(screenPositive ? [] : ["inconsistent"]), ...(acuity === "refused" ? ["acuity-refused"] : []), ...(missing.length > 0 ? ["incomplete"] : [])];
    return { kind: "scored", instrument: inst.id, total, band: acute, critical, ...(notes.length > 0 && { notes }), ...(missing.length > 0 && { missing }) };
  }
  if (missing.length > 0) return { kind: "incomplete", instrument: inst.id, missing, critical };
  return { kind: "scored", instrument: inst.id, total, band: screenPositive ? nonAcute : negative, critical };
}

/**
 * Scores every scored instrument of a battery (forms with scoring method "none" are left out).
 * A missing answers object counts as all blank.
 */
export function scoreBattery(
  instruments: readonly Instrument[],
  answers: Readonly<Record<string, Answers | undefined>>,
  options: ScoreOptions = {},
): Record<string, ScoreResult> {
  const out: Record<string, ScoreResult> = {};
  for (const inst of instruments) {
    if (inst.scoring.method !== "none") out[inst.id] = scoreInstrument(inst, answers[inst.id] ?? {}, options);
  }
  return out;
}
