/**
 * The pure part of a submission: a student's answers → score results, validity, tier with reasons, and
 * the critical answers that must reach a counselor (ARCHITECTURE.md, "Scoring": whatever validity says).
 * No I/O: the route stores what this returns, in the same transaction as the submission.
 */
import type { Instrument, SchoolLevel } from "../../../../instruments/schema";
import type { Answers, ScoreResult, TierPolicy, TierResult, ValidityResult } from "../../../../scoring/index";
import { assignTier, scoreResponse } from "../../../../scoring/index";
import type { PageVisit } from "../../../shared/responses";
import type { Queryable } from "../../db/database";
import { pageTimings } from "./answers";

/** One critical answer: an item whose answer a counselor must follow up (PHQ-9 item 9 > 0, ASQ positive). */
export interface CriticalItem {
  readonly instrument: string;
  readonly item: string;
}

/** What a submission scores to; stored in `results` (never shown to the student). */
export interface Submission {
  readonly scores: Readonly<Record<string, ScoreResult>>;
  readonly validity: ValidityResult;
  readonly tier: TierResult;
  readonly critical: readonly CriticalItem[];
}

export interface SubmissionInput {
  /** The battery's self-report instruments, in page order. */
  readonly instruments: readonly Instrument[];
  /** Every saved answer, free text included, by instrument and item. */
  readonly answers: Readonly<Record<string, Answers | undefined>>;
  readonly visits: readonly PageVisit[];
  readonly grade: number;
  /** Key-population categories from the roster (七类重点学生), part of the tier policy's evidence. */
  readonly keyPopulation: readonly string[];
  /** The wave's tier policy (its version is stored with the tier). */
  readonly policy: TierPolicy;
}

/** Grades 1-6 are primary school, 7-12 secondary (SRSS-IE scores I5 in primary and I6 in secondary). */
export function levelOf(grade: number): SchoolLevel {
  return grade <= 6 ? "primary" : "secondary";
}

/** The critical answers in a battery's score results, in instrument order. */
export function criticalItemsOf(scores: Readonly<Record<string, ScoreResult>>): CriticalItem[] {
  const out: CriticalItem[] = [];
  for (const instrument of Object.keys(scores)) for (const item of scores[instrument]!.critical) out.push({ instrument, item });
  return out;
}

/**
 * Scores a submission: every scored instrument (level from the grade), the validity checks with the
 * policy's parameters and the per-page timings, and the tier under the policy. Observations are fused
 * later, on the watch list (scoring/fuse.ts); this tier is the self-report's, with the roster's
 * key-population categories.
 */
export function scoreSubmission(input: SubmissionInput): Submission {
  const { scores, validity } = scoreResponse(input.instruments, input.answers, pageTimings(input.visits), input.policy.validity, { level: levelOf(input.grade) });
  const tier = assignTier({ selfReport: scores, validity, observations: [], keyPopulation: input.keyPopulation, deteriorated: [] }, input.policy);
  return { scores, validity, tier, critical: criticalItemsOf(scores) };
}

/** What the alerts feature gets when a response holds a critical answer. */
export interface CriticalEvent {
  readonly responseId: string;
  readonly studentId: string;
  readonly schoolId: string;
  readonly waveId: string;
  readonly items: readonly CriticalItem[];
  /** submitted: the usual case; declined: the student declined after saving a critical answer. */
  readonly trigger: "submitted" | "declined";
  /** The tier of a submitted response; null for a declined one (it is not scored). */
  readonly tier: TierResult | null;
  readonly at: Date;
}

/**
 * The hook point for critical answers (issue 6, alerts): called inside the submissions' transaction, with
 * that transaction and every critical event of the batch, so an alert row commits together with its
 * response or not at all. `responseRoutes` takes it as the `onCritical` option (default: the alerts feature).
 */
export type OnCritical = (tx: Queryable, events: readonly CriticalEvent[]) => Promise<void>;
