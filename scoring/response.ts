/**
 * Steps 1 and 2 together for one battery response: the scores of every scored instrument and the validity
 * of the whole response, from one reading of each instrument's answers.
 *
 * The same results as `scoreBattery` followed by `checkValidity` (tests/scoring/equivalence.test.ts checks
 * it); a server that receives a response needs both, and reading the answers once instead of twice is the
 * largest single saving when a district's wave is scored at once.
 */
import type { Instrument } from "../instruments/schema";
import { planOf, readAnswers } from "./plan";
import type { Answers, ScoreOptions, ScoreResult } from "./score";
import { isAnswersObject, NO_ANSWERS, scoreRead, wrongTypeResult } from "./score";
import type { PageTiming, ValidityParams, ValidityResult } from "./validity";
import { startTally, tallyRead, tallyResult } from "./validity";

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
  const scores: Record<string, ScoreResult> = {};
  startTally();
  for (let i = 0; i < instruments.length; i++) {
    const inst = instruments[i]!;
    const plan = planOf(inst);
    const given = answers[plan.id];
    // A missing or null answers object reads as all blank for both steps, as {} and undefined do.
    readAnswers(plan, given);
    if (plan.method !== "none") {
      const scored = given ?? NO_ANSWERS;
      scores[plan.id] = isAnswersObject(scored) ? scoreRead(plan, scored, options) : wrongTypeResult(inst);
    }
    tallyRead(i, plan, given);
  }
  return { scores, validity: tallyResult(instruments, answers, pages, params) };
}
