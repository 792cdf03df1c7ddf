/**
 * Steps 1 and 2 together for one battery response: the scores of every scored instrument and the validity
 * of the whole response, from one reading of each instrument's answers.
 *
 * The same results as `scoreBattery` followed by `checkValidity` (tests/scoring/equivalence.test.ts checks
 * it against the reference); a server that receives a response needs both, and reading the answers once
 * instead of twice is the largest single saving when a district's wave is scored at once.
 */
import type { Instrument } from "../instruments/schema";
import type { InstrumentPlan } from "./plan";
import { NONE, planOf } from "./plan";
import { literal } from "./source";
import type { Answers, ScoreOptions, ScoreResult } from "./score";
import { isAnswersObject, NO_ANSWERS, scoreRead, wrongTypeResult } from "./score";
import type { PageTiming, ValidityParams, ValidityResult } from "./validity";
import { validityOf } from "./validity";

/** What `scoreResponse` gives: the scores by instrument id and the validity of the response. */
export interface ResponseResult {
  readonly scores: Record<string, ScoreResult>;
  readonly validity: ValidityResult;
}

const NO_OPTIONS: ScoreOptions = Object.freeze({});

/**
 * Scores a battery response and checks its validity: `{scores: scoreBattery(instruments, answers, options),
 * validity: checkValidity(instruments, answers, pages, params)}`, reading each instrument's answers once.
 * @param instruments the battery's instruments, in page order
 * @param answers answers by instrument id
 * @param pages per-page timings; pages without timings are left out of the speed check
 * @param params the validity thresholds of the tier policy (`policy.validity`)
 */
export function scoreResponse(
  instruments: readonly Instrument[],
  answers: Readonly<Record<string, Answers | undefined>>,
  pages: readonly PageTiming[],
  params: ValidityParams,
  options: ScoreOptions = NO_OPTIONS,
): ResponseResult {
  return batteryOf(instruments).respond(answers, pages, params, options);
}

/**
 * Checks the quality of one battery response (validity.ts has the checks).
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
  return batteryOf(instruments).respond(answers, pages, params, NO_OPTIONS).validity;
}

/** Scores one instrument's answers just read into its plan; a missing or null answers object is all blank. */
function scoreGiven(inst: Instrument, plan: InstrumentPlan, given: Answers | undefined, options: ScoreOptions): ScoreResult {
  const scored = given ?? NO_ANSWERS;
  return isAnswersObject(scored) ? scoreRead(plan, scored, options) : wrongTypeResult(inst);
}

/** `scoreResponse` for one battery, compiled. */
type Respond = (answers: Readonly<Record<string, Answers | undefined>>, pages: readonly PageTiming[], params: ValidityParams, options: ScoreOptions) => ResponseResult;

/**
 * Compiles a battery's `scoreResponse` into straight-line code. For each instrument in turn, its answers are
 * read into its plan (`readAnswers`; a missing or null answers object reads as all blank), scored unless it
 * is unscored, and its validity facts added up in locals: answered choice items (0 when the answers object
 * is missing or falsy, so the speed check skips its pages), required items left blank, a failed attention
 * item, a scale all at one extreme (its direction is known here; a scale without rated items never is).
 * The speed check finds each page's instrument among the battery's ids (the first with that id), and the
 * scores record is one object literal. Instrument ids reach the source only through source.ts `literal`.
 */
function compileBattery(instruments: readonly Instrument[]): Respond {
  const plans = instruments.map(planOf);
  const steps: string[] = [];
  const fields: string[] = [];
  plans.forEach((plan, i) => {
    const id = literal(plan.id);
    // Each plan's reader is called from a place of its own, which sees that one function only.
    // The reader gives the shared result of well-formed answers when there is one; the rest are scored here.
    if (plan.method === "none") steps.push(`given = answers[${id}];`, `R${i}(P${i}, given);`);
    else {
      steps.push(`given = answers[${id}];`, `const r${i} = R${i}(P${i}, given) ?? scoreGiven(instruments[${i}], P${i}, given, options);`);
      fields.push(`${id}: r${i}`);
    }
    steps.push(
      `const a${i} = given ? P${i}.answered : 0;`,
      `if (P${i}.missing !== undefined) blank += P${i}.missing.length;`,
      `required += P${i}.required;`,
      `if (P${i}.attentionFailed) attentionFailed = true;`,
    );
    if (plan.direction !== "none" && plan.rated.length > 0) steps.push(`if (given && P${i}.side !== ${NONE}) sides |= P${i}.side${plan.direction === "wellbeing" ? "" : " << 2"};`);
  });
  // Each id with the first instrument that has it (ids may repeat in a hand-made battery).
  const first = new Map<string, number>();
  plans.forEach((plan, i) => first.has(plan.id) || first.set(plan.id, i));
  const answeredOn = [...first].map(([id, i]) => `id === ${literal(id)} ? a${i} : `).join("") + "0";
  const constants = plans.map((_plan, i) => `const P${i} = plans[${i}], R${i} = plans[${i}].read;`);
  const source = [
    '"use strict";',
    ...constants,
    "return function respond(answers, pages, params, options) {",
    "let given, blank = 0, required = 0, attentionFailed = false, sides = 0;",
    ...steps,
    "let ms = 0, items = 0;",
    "for (let i = 0; i < pages.length; i++) {",
    "const page = pages[i];",
    "const id = page.instrument;",
    `const answered = ${answeredOn};`,
    "if (answered === 0 || !(page.endedAt >= page.startedAt)) continue;",
    "ms += page.endedAt - page.startedAt;",
    "items += answered;",
    "}",
    "const facts = { secondsPerItem: items === 0 ? undefined : ms / 1000 / items, blank, required, attentionFailed, sides };",
    `return { scores: {${fields.join(", ")}}, validity: validityOf(instruments, answers, params, facts) };`,
    "};",
  ].join("\n");
  return new Function("plans", "instruments", "scoreGiven", "validityOf", source)(plans, instruments.slice(), scoreGiven, validityOf) as Respond;
}

/** A battery's instruments and its compiled `scoreResponse`. */
interface Battery {
  readonly instruments: readonly Instrument[];
  readonly respond: Respond;
}

/** Compiled batteries by their first instrument (a district has a handful of batteries). */
const batteries = new WeakMap<Instrument, Battery[]>();
const NO_INSTRUMENTS: Battery = { instruments: [], respond: compileBattery([]) };
let last: Battery | undefined;

/** Whether two lists hold the same instruments (the same objects) in the same order. */
function sameInstruments(a: readonly Instrument[], b: readonly Instrument[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The battery, compiled on first use; callers may pass a new list for the same battery each time. */
function batteryOf(instruments: readonly Instrument[]): Battery {
  if (instruments.length === 0) return NO_INSTRUMENTS;
  if (last !== undefined && sameInstruments(last.instruments, instruments)) return last;
  const first = instruments[0]!;
  let known = batteries.get(first);
  if (known === undefined) batteries.set(first, (known = []));
  let found = known.find((k) => sameInstruments(k.instruments, instruments));
  if (found === undefined) known.push((found = { instruments: instruments.slice(), respond: compileBattery(instruments) }));
  last = found;
  return found;
}

