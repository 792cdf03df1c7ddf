/**
 * Step 1 of the pipeline: one instrument's answers → a score result.
 *
 * The rules come from the instrument data (items, options, reverse keys, subscales, bands, critical
 * answers); this file only walks it. See instruments/*.ts for the sources of each rule.
 */
import type { Instrument, Item, OptionValue, SchoolLevel } from "../instruments/schema";
import { numericOptions } from "../instruments/schema";

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
  const problems = checkAnswers(inst, answers);
  const critical = criticalItems(inst, answers);
  if (problems.length > 0) return { kind: "invalid", instrument: inst.id, problems, critical };
  switch (inst.scoring.method) {
    case "sum":
      return scoreSum(inst, inst.scoring, answers, critical, options);
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
  return inst.items.filter((item) => item.critical && matchesAny(answers[item.id], item.critical.anyOf)).map((item) => item.id);
}

/** Item ids whose answer marks a concern (a warning sign ticked on a teacher checklist or a peer report). */
export function concernItems(inst: Instrument, answers: Answers): string[] {
  return inst.items.filter((item) => item.concern && matchesAny(answers[item.id], item.concern.anyOf)).map((item) => item.id);
}

/** Whether an item is shown, given the earlier answers (ASQ question 5 only after a positive 1-4). */
export function isShown(item: Item, answers: Answers): boolean {
  if (!item.showIf) return true;
  const { anyIn } = item.showIf;
  return item.showIf.items.some((ref) => matchesAny(answers[ref], anyIn));
}

/** Required, shown items without an answer. */
export function missingItems(inst: Instrument, answers: Answers): string[] {
  return inst.items.filter((item) => !item.optional && isShown(item, answers) && isBlank(answers[item.id])).map((item) => item.id);
}

function matchesAny(value: AnswerValue | undefined, anyOf: readonly OptionValue[]): boolean {
  if (value === null || value === undefined) return false;
  if (Array.isArray(value)) return value.some((v) => anyOf.includes(v));
  return anyOf.includes(value as OptionValue);
}

function isBlank(value: AnswerValue | undefined): boolean {
  return value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

const MAX_TEXT = 10_000;

function checkAnswers(inst: Instrument, answers: Answers): ScoreProblem[] {
  const problems: ScoreProblem[] = [];
  const byId = new Map(inst.items.map((item) => [item.id, item]));
  for (const [id, value] of Object.entries(answers)) {
    const item = byId.get(id);
    if (!item) {
      problems.push({ code: "unknown-item", item: id, message: `${inst.id} has no item "${id}"` });
      continue;
    }
    if (isBlank(value)) continue;
    const problem = checkValue(inst, item, value as AnswerValue);
    if (problem) problems.push(problem);
  }
  return problems;
}

function checkValue(inst: Instrument, item: Item, value: AnswerValue): ScoreProblem | undefined {
  const wrongType = (expected: string): ScoreProblem => ({ code: "wrong-type", item: item.id, message: `${item.id} expects ${expected}` });
  const allowed = (item.options ?? inst.options ?? []).map((o) => o.value);
  const outOfRange = (v: unknown): ScoreProblem => ({
    code: "out-of-range",
    item: item.id,
    message: `${item.id}: ${JSON.stringify(v)} is not one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}`,
  });
  switch (item.type) {
    case "single":
      if (typeof value !== "number" && typeof value !== "string") return wrongType("one option value");
      return allowed.includes(value) ? undefined : outOfRange(value);
    case "multi": {
      if (!Array.isArray(value)) return wrongType("a list of option values");
      const bad = value.find((v) => !allowed.includes(v));
      if (bad !== undefined) return outOfRange(bad);
      return new Set(value).size === value.length ? undefined : { code: "out-of-range", item: item.id, message: `${item.id}: an option is repeated` };
    }
    case "text":
      if (typeof value !== "string") return wrongType("text");
      return value.length <= MAX_TEXT ? undefined : { code: "out-of-range", item: item.id, message: `${item.id}: text longer than ${MAX_TEXT} characters` };
    case "number":
      if (typeof value !== "number" || !Number.isInteger(value)) return wrongType("a whole number");
      return value >= (item.min ?? -Infinity) && value <= (item.max ?? Infinity)
        ? undefined
        : { code: "out-of-range", item: item.id, message: `${item.id}: ${value} is outside ${item.min}..${item.max}` };
  }
}

type SumScoring = Extract<Instrument["scoring"], { method: "sum" }>;
type AsqScoring = Extract<Instrument["scoring"], { method: "asq" }>;

function itemScore(inst: Instrument, item: Item, value: number): number {
  if (!item.reverse) return value;
  const values = numericOptions(inst, item);
  return Math.max(...values) + Math.min(...values) - value;
}

function bandOf(bands: readonly { id: string; min: number; max: number }[] | undefined, total: number): string | undefined {
  return bands?.find((b) => total >= b.min && total <= b.max)?.id;
}

function scoreSum(inst: Instrument, scoring: SumScoring, answers: Answers, critical: string[], options: ScoreOptions): ScoreResult {
  const missing = missingItems(inst, answers).filter((id) => inst.items.find((it) => it.id === id)?.scored);
  if (missing.length > scoring.missing.allowed) {
    return scoring.missing.beyond === "incomplete"
      ? { kind: "incomplete", instrument: inst.id, missing, critical }
      : {
          kind: "invalid",
          instrument: inst.id,
          critical,
          problems: [{ code: "too-many-missing", message: `${missing.length} items blank (${missing.join(", ")}); at most ${scoring.missing.allowed} allowed` }],
        };
  }
  const scores = new Map<string, number>();
  for (const item of inst.items) {
    const value = answers[item.id];
    if (item.scored && typeof value === "number") scores.set(item.id, itemScore(inst, item, value));
  }
  let total = 0;
  for (const s of scores.values()) total += s;

  const subscales: Record<string, SubscaleScore> = {};
  for (const sub of inst.subscales) {
    if (options.level && sub.level && sub.level !== options.level) continue;
    const subTotal = sub.items.reduce((sum, id) => sum + (scores.get(id) ?? 0), 0);
    const band = bandOf(sub.bands, subTotal);
    subscales[sub.id] = band === undefined ? { total: subTotal } : { total: subTotal, band };
  }
  const flags = scoring.flags
    .filter((flag) => inst.items.some((item) => item.scored && flag.anyItemIn.includes(answers[item.id] as number)))
    .map((flag) => flag.id);
  const band = bandOf(scoring.bands, total);
  return {
    kind: "scored",
    instrument: inst.id,
    total,
    ...(band !== undefined && { band }),
    ...(scoring.percentFactor !== undefined && { percent: total * scoring.percentFactor }),
    ...(inst.subscales.length > 0 && { subscales }),
    critical,
    ...(scoring.flags.length > 0 && { flags }),
    ...(missing.length > 0 && { missing }),
  };
}

/**
 * ASQ (NIMH toolkit): any "yes" or refusal on questions 1-4 is a positive screen; question 5 then decides
 * acuity ("yes" → acute, "no" → non-acute). Two cases the toolkit leaves open are resolved for safety:
 * question 5 "yes" after four "no" answers is acute with the note "inconsistent", and a refusal of
 * question 5 is acute with the note "acuity-refused".
 */
function scoreAsq(inst: Instrument, scoring: AsqScoring, answers: Answers, critical: string[]): ScoreResult {
  const positive = (id: string) => answers[id] === "yes" || answers[id] === "refused";
  const acuity = answers[scoring.acuity];
  const screenPositive = scoring.screen.some(positive);
  const missing = missingItems(inst, answers);
  const [negative, nonAcute, acute] = scoring.bands.map((b) => b.id) as [string, string, string];
  const total = [...scoring.screen, scoring.acuity].filter(positive).length;
  if (acuity === "yes" || acuity === "refused") {
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
