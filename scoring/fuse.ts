/**
 * Step 4 of the pipeline: one student's self-report, teacher and peer observations, key-population
 * categories, previous wave and open case → one watch-list entry, and the ranking of entries.
 *
 * Ranking inside a tier (the order): acute first, then the number of informants concerned,
 * deterioration since the last wave, key-population categories, severity, and the oldest unresolved
 * first; the student id breaks the remaining ties so the order is total and stable.
 */
import type { Instrument } from "../instruments/schema";
import type { ReliableChange } from "./change";
import { tierMovement } from "./change";
import type { ChangeOutcome, CompiledChanges } from "./compile-policy";
import { compileChanges } from "./compile-policy";
import type { Tier, TierPolicy } from "./policy";
import type { InstrumentPlan } from "./plan";
import { planOf } from "./plan";
import { tierRank } from "./policy";
import type { Answers, ScoreOptions, ScoreResult } from "./score";
import { concernItems, criticalItems, scoreInstrument } from "./score";
import type { InformantRole, ObservationEvidence, Reason } from "./tier";
import { evaluateTier } from "./tier";
import type { ValidityResult } from "./validity";

/** One wave's scored self-report for a student. */
export interface WaveResult {
  readonly scores: Readonly<Record<string, ScoreResult>>;
  readonly validity: ValidityResult | null;
  readonly submittedAt: Date;
  /** The tier stored for that wave (used for the previous wave). */
  readonly tier?: Tier;
}

export interface FuseInput {
  readonly studentId: string;
  readonly current: WaveResult | null;
  readonly previous: WaveResult | null;
  readonly observations: readonly ObservationEvidence[];
  /** Key-population categories (七类重点学生) from the roster and teacher checklists. */
  readonly keyPopulation: readonly string[];
  readonly openCase: { readonly openedAt: Date; readonly tier: Tier } | null;
  /** When the current unresolved episode was first flagged, if known. */
  readonly flaggedSince?: Date | null;
}

export interface FuseContext {
  readonly policy: TierPolicy;
  /**
   * The instrument each score result's id means. Data, like the instruments and the policy: fuse remembers
   * what it found in the map last used, so a map is not changed once in use (make a new map instead).
   */
  readonly instruments: ReadonlyMap<string, Instrument>;
  /** SD and reliability per instrument for the reliable change index (see change.ts changeReference). */
  readonly changeReference: Readonly<Record<string, { readonly sd: number; readonly reliability: number } | undefined>>;
}

export interface InstrumentChange {
  readonly before: number;
  readonly after: number;
  readonly rci: ReliableChange;
  /** WHO-5 only: the 1998 guide's rule that a change of 10 percentage points is significant. */
  readonly percentPoints?: { readonly difference: number; readonly significant: boolean };
}

export interface WatchEntry {
  readonly studentId: string;
  readonly tier: Tier;
  readonly reasons: readonly Reason[];
  readonly policyVersion: string;
  readonly acute: boolean;
  /** Informants concerned: "self" and the roles of concerned observers (one per person). */
  readonly informants: readonly string[];
  /** The self-report and the observers disagree (one concerned, the other not). */
  readonly disagree: boolean;
  readonly change: Readonly<Record<string, InstrumentChange>>;
  readonly deteriorated: readonly string[];
  readonly keyPopulation: readonly string[];
  /** 0-1: the highest share of its possible range any symptom score reaches (well-being reversed). */
  readonly severity: number;
  /** When the unresolved episode began, for "oldest first"; null when nothing is known. */
  readonly since: Date | null;
  readonly movement: ReturnType<typeof tierMovement>;
  readonly openCase: boolean;
  /** Whether the entry belongs on the watch list: any tier, or an open case. */
  readonly listed: boolean;
}

/** Fuses everything known about one student into a watch-list entry. Pure. */
export function fuseStudent(input: FuseInput, ctx: FuseContext): WatchEntry {
  const current = input.current;
  const observations = input.observations;
  changesSince(input, ctx);
  const { change, deteriorated } = changed;
  const keyPopulation = keyPopulationOf(input.keyPopulation, observations);
  const selfReport = current?.scores ?? NO_SCORES;
  const outcome = evaluateTier(ctx.policy, selfReport, current?.validity ?? null, observations, keyPopulation, deteriorated);
  const tier = outcome.tier;
  const observers = outcome.observers;
  const self = current !== null && outcome.self;
  const disagree = current !== null && observations.length > 0 && self !== observers.length > 0;
  return {
    studentId: input.studentId,
    tier,
    reasons: outcome.reasons,
    policyVersion: ctx.policy.version,
    acute: outcome.acute,
    informants: self ? (observers.length === 0 ? SELF : ["self", ...observers]) : observers,
    disagree,
    change,
    deteriorated,
    keyPopulation,
    severity: severityOf(selfReport, observations, ctx.instruments),
    since: input.openCase?.openedAt ?? input.flaggedSince ?? current?.submittedAt ?? earliestObservation(observations),
    movement: tierMovement(input.previous?.tier ?? null, tier),
    openCase: input.openCase !== null,
    listed: tier !== "none" || input.openCase !== null,
  };
}

/** Shared frozen values for the common entries (results are read-only data). */
const EMPTY: readonly string[] = Object.freeze([]);
const SELF: readonly string[] = Object.freeze(["self"]);
const NO_CHANGE: Readonly<Record<string, InstrumentChange>> = Object.freeze({});
const NO_SCORES: Readonly<Record<string, ScoreResult>> = Object.freeze({});

/** The roster's categories and those teachers recorded, once each, sorted. */
function keyPopulationOf(roster: readonly string[], observations: readonly ObservationEvidence[]): readonly string[] {
  let all: Set<string> | undefined;
  for (let i = 0; i < observations.length; i++) {
    const recorded = observations[i]!.keyPopulation;
    if (recorded && recorded.length > 0) {
      all ??= new Set(roster);
      for (const k of recorded) all.add(k);
    }
  }
  return all ? [...all].sort() : roster;
}

function earliestObservation(observations: readonly ObservationEvidence[]): Date | null {
  let min: Date | null = null;
  for (const o of observations) if (min === null || o.at < min) min = o.at;
  return min;
}

/**
 * Orders watch-list entries: tier, then acute, informants, deterioration, key population, severity,
 * oldest first, student id. A comparator for Array.prototype.sort.
 */
export function compareWatchEntries(a: WatchEntry, b: WatchEntry): number {
  return (
    tierRank(b.tier) - tierRank(a.tier) ||
    Number(b.acute) - Number(a.acute) ||
    b.informants.length - a.informants.length ||
    Number(b.deteriorated.length > 0) - Number(a.deteriorated.length > 0) ||
    b.keyPopulation.length - a.keyPopulation.length ||
    b.severity - a.severity ||
    (a.since?.getTime() ?? Infinity) - (b.since?.getTime() ?? Infinity) ||
    (a.studentId < b.studentId ? -1 : a.studentId > b.studentId ? 1 : 0)
  );
}

/** The listed entries, ranked; the input is not changed. */
export function rankWatchList(entries: readonly WatchEntry[]): WatchEntry[] {
  return entries.filter((e) => e.listed).sort(compareWatchEntries);
}

/**
 * Scores an observation form and extracts what tiering needs: the screener score, critical answers,
 * concerns, and key-population categories (the teacher checklist's "key-population" item).
 */
export function summarizeObservation(
  inst: Instrument,
  answers: Answers,
  informant: { role: InformantRole; id: string },
  at: Date,
  options: ScoreOptions = {},
): ObservationEvidence {
  const score = inst.scoring.method === "none" ? undefined : scoreInstrument(inst, answers, options);
  const keyPopulation = answers[KEY_POPULATION_ITEM];
  return {
    informant,
    instrument: inst.id,
    at,
    ...(score && { score }),
    critical: criticalItems(inst, answers),
    concerns: concernItems(inst, answers),
    ...(Array.isArray(keyPopulation) && { keyPopulation: keyPopulation.map(String) }),
  };
}

/** The teacher checklist item whose options are the key-population categories (七类重点学生). */
export const KEY_POPULATION_ITEM = "key-population";

/** What `changesSince` sets (fuseStudent reads it right after). */
const changed: ChangeOutcome = { change: NO_CHANGE, deteriorated: EMPTY };

/**
 * Sets `changed` to the change since the previous wave of each instrument the policy names, scored in both
 * waves, with a direction and a usable reference, and those reliably worse (compile-policy.ts `compileChanges`).
 */
function changesSince(input: FuseInput, ctx: FuseContext): void {
  if (!input.current || !input.previous) {
    changed.change = NO_CHANGE;
    changed.deteriorated = EMPTY;
  } else changesFor(ctx.policy)(input.current.scores, input.previous.scores, ctx.instruments, ctx.changeReference, changed);
}

let lastPolicy: TierPolicy | undefined;
let lastChanges: CompiledChanges | undefined;
const compiledChanges = new WeakMap<TierPolicy, CompiledChanges>();

/** The policy's change step compiled, once per policy; the last policy is found without a WeakMap lookup. */
function changesFor(policy: TierPolicy): CompiledChanges {
  if (policy === lastPolicy) return lastChanges!;
  let changes = compiledChanges.get(policy);
  if (changes === undefined) compiledChanges.set(policy, (changes = compileChanges(policy.change)));
  lastPolicy = policy;
  lastChanges = changes;
  return changes;
}

function severityOf(selfReport: Readonly<Record<string, ScoreResult>>, observations: readonly ObservationEvidence[], instruments: ReadonlyMap<string, Instrument>): number {
  let severity = 0;
  let k = 0;
  for (const id in selfReport) severity = Math.max(severity, severityShare(selfReport[id]!, instruments, k++));
  for (let i = 0; i < observations.length; i++) {
    const score = observations[i]!.score;
    if (score) severity = Math.max(severity, severityShare(score, instruments, -1));
  }
  return severity;
}

/**
 * The plans of the instruments met last at each position of a score record, with the instrument map they
 * were found in: records list a battery's instruments in the same order, so the plan is found by two
 * comparisons rather than a look-up (FuseContext.instruments: a map is not changed once in use).
 */
let seenIn: ReadonlyMap<string, Instrument> | undefined;
const seenIds: (string | undefined)[] = [];
/** Null: the map has no instrument with that id. */
const seenPlans: (InstrumentPlan | null)[] = [];
const SEEN = 16;

/**
 * How far into its possible range a sum score is, 0-1, with well-being reversed; 0 for anything else.
 * `k`: the result's position in its score record, or -1.
 */
function severityShare(r: ScoreResult, instruments: ReadonlyMap<string, Instrument>, k: number): number {
  if (r.kind !== "scored") return 0;
  const id = r.instrument;
  let plan: InstrumentPlan | null;
  // seenPlans[k] is set whenever seenIds[k] is.
  if (k >= 0 && k < SEEN && seenIds[k] === id && seenIn === instruments) plan = seenPlans[k] as InstrumentPlan | null;
  else {
    const inst = instruments.get(id);
    plan = inst ? planOf(inst) : null;
    if (k >= 0 && k < SEEN) {
      if (seenIn !== instruments) {
        seenIn = instruments;
        seenIds.length = 0;
      }
      seenIds[k] = id;
      seenPlans[k] = plan;
    }
  }
  if (plan === null || plan.method !== "sum" || plan.direction === "none") return 0;
  const max = plan.maxTotal;
  if (max === 0) return 0;
  return plan.direction === "wellbeing" ? 1 - r.total / max : r.total / max;
}
