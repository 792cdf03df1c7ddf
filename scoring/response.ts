/**
 * Steps 1 and 2 together for one battery response: the scores of every scored instrument and the validity
 * of the whole response, from one reading of each instrument's answers.
 *
 * The same results as `scoreBattery` followed by `checkValidity` (tests/scoring/equivalence.test.ts checks
 * it); a server that receives a response needs both, and reading the answers once instead of twice is the
 * largest single saving when a district's wave is scored at once.
 */
import type { Instrument } from "../instruments/schema";
import type { InstrumentPlan } from "./plan";
import { planOf } from "./plan";
import { literal } from "./source";
import type { Answers, ScoreOptions, ScoreResult } from "./score";
import { isAnswersObject, NO_ANSWERS, scoreRead, wrongTypeResult } from "./score";
import type { PageTiming, ValidityParams, ValidityResult } from "./validity";
import { startTally, tallyRead, tallyResult, uniqueIds } from "./validity";

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
  startTally();
  const battery = batteryOf(instruments);
  const scores = battery.scorer(answers, options);
  return { scores, validity: tallyResult(instruments, answers, pages, params, battery.unique) };
}

/** Scores one instrument's answers just read into its plan; a missing or null answers object is all blank. */
function scoreGiven(inst: Instrument, plan: InstrumentPlan, given: Answers | undefined, options: ScoreOptions): ScoreResult {
  const scored = given ?? NO_ANSWERS;
  return isAnswersObject(scored) ? scoreRead(plan, scored, options) : wrongTypeResult(inst);
}

/**
 * The loop of `scoreResponse` over one battery's instruments, unrolled: for each instrument in turn, its
 * answers are read into its plan (`readAnswers`; both steps read a missing or null answers object as all
 * blank), scored unless it is unscored, and tallied for validity; the scores record is one object literal.
 */
type BatteryScorer = (answers: Readonly<Record<string, Answers | undefined>>, options: ScoreOptions) => Record<string, ScoreResult>;

/**
 * Compiles the battery's scorer. Reading each instrument's answers and storing its result by name, in
 * straight-line code, spares a lookup by computed key at each step; instrument ids reach the source only
 * through source.ts `literal`.
 */
function compileScorer(instruments: readonly Instrument[]): BatteryScorer {
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
    steps.push(`tallyRead(${i}, P${i}, given);`);
  });
  const constants = plans.map((_plan, i) => `const P${i} = plans[${i}], R${i} = plans[${i}].read;`);
  const source = ['"use strict";', ...constants, "return function score(answers, options) {", "let given;", ...steps, `return {${fields.join(", ")}};`, "};"].join("\n");
  return new Function("plans", "instruments", "scoreGiven", "tallyRead", source)(plans, instruments.slice(), scoreGiven, tallyRead) as BatteryScorer;
}

/** A battery's instruments, its compiled scorer, and whether no two instruments have the same id. */
interface Battery {
  readonly instruments: readonly Instrument[];
  readonly scorer: BatteryScorer;
  readonly unique: boolean;
}

/** Compiled batteries by their first instrument (a district has a handful of batteries). */
const batteries = new WeakMap<Instrument, Battery[]>();
const NO_INSTRUMENTS: Battery = { instruments: [], scorer: () => ({}), unique: true };
let last: Battery | undefined;

/** Whether two lists hold the same instruments (the same objects) in the same order. */
function sameInstruments(a: readonly Instrument[], b: readonly Instrument[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The battery, its scorer compiled on first use; callers may pass a new list for the same battery each time. */
function batteryOf(instruments: readonly Instrument[]): Battery {
  if (instruments.length === 0) return NO_INSTRUMENTS;
  if (last !== undefined && sameInstruments(last.instruments, instruments)) return last;
  const first = instruments[0]!;
  let known = batteries.get(first);
  if (known === undefined) batteries.set(first, (known = []));
  let found = known.find((k) => sameInstruments(k.instruments, instruments));
  if (found === undefined) known.push((found = { instruments: instruments.slice(), scorer: compileScorer(instruments), unique: uniqueIds(instruments) }));
  last = found;
  return found;
}
