/**
 * Step 3 of the pipeline: evidence + tier policy → a warning tier with its reasons.
 *
 * The tier is the highest tier of any rule that matches; every matching rule is a reason, with the
 * evidence that made it match, so a counselor sees why. Validity never lowers a tier: a questionable
 * response can only add a yellow "re-screen" reason, and critical answers are read from the score
 * results whatever the validity step said.
 */
import type { BandMatch, Condition, Tier, TierPolicy } from "./policy";
import { tierRank } from "./policy";
import type { ScoreResult } from "./score";
import type { ValidityResult } from "./validity";

export type InformantRole = "homeroom" | "subject" | "peer" | "counselor";

/** What one observation (teacher checklist, teacher screener, peer report) says, ready for tiering. */
export interface ObservationEvidence {
  readonly informant: { readonly role: InformantRole; readonly id: string };
  readonly instrument: string;
  readonly at: Date;
  /** The teacher screener's score result; absent for unscored forms. */
  readonly score?: ScoreResult;
  /** Item ids with a critical answer (self-harm signs or talk). */
  readonly critical: readonly string[];
  /** Item ids with an answer that marks a concern (a warning sign, a peer worry). */
  readonly concerns: readonly string[];
  /** Key-population categories the observer recorded (teacher checklist). */
  readonly keyPopulation?: readonly string[];
}

/** Everything the policy's conditions can look at, for one student. */
export interface Evidence {
  /** The student's own answers, scored, by instrument id; empty when there is no self-report. */
  readonly selfReport: Readonly<Record<string, ScoreResult>>;
  readonly validity: ValidityResult | null;
  readonly observations: readonly ObservationEvidence[];
  readonly keyPopulation: readonly string[];
  /** Instruments with a reliable deterioration since the previous wave (Jacobson-Truax). */
  readonly deteriorated: readonly string[];
}

export interface Reason {
  readonly rule: string;
  readonly tier: Exclude<Tier, "none">;
  readonly evidence: string;
}

export interface TierResult {
  readonly tier: Tier;
  readonly reasons: readonly Reason[];
  readonly policyVersion: string;
  /** Whether a matching rule is marked acute (ASQ acute positive, a critical observation). */
  readonly acute: boolean;
}

/** Places one student in a tier under the policy. Pure; reasons are ordered red first, in policy order. */
export function assignTier(evidence: Evidence, policy: TierPolicy): TierResult {
  const ctx = { evidence, policy };
  const matched = policy.rules.flatMap((rule) => {
    const found = evaluate(rule.when, ctx);
    return found ? [{ rule, evidence: found.join("; ") }] : [];
  });
  matched.sort((a, b) => tierRank(b.rule.tier) - tierRank(a.rule.tier));
  const top = matched[0];
  return {
    tier: top ? top.rule.tier : "none",
    reasons: matched.map(({ rule, evidence: text }) => ({ rule: rule.id, tier: rule.tier, evidence: text })),
    policyVersion: policy.version,
    acute: matched.some((m) => m.rule.acute),
  };
}

/** Whether an observation counts its informant as concerned under the policy. */
export function observationConcerned(observation: ObservationEvidence, policy: TierPolicy): boolean {
  if (observation.critical.length > 0 || observation.concerns.length > 0) return true;
  const score = observation.score;
  return score !== undefined && policy.screenerConcern.some((match) => match.instrument === observation.instrument && bandMatches(score, match));
}

/** Whether the student's own answers count as one informant concerned (the policy's selfConcern). */
export function selfConcerned(evidence: Evidence, policy: TierPolicy): boolean {
  return evaluate(policy.selfConcern, { evidence, policy }) !== null;
}

/** The distinct observers (by role and id) who are concerned. */
export function concernedObservers(evidence: Evidence, policy: TierPolicy): string[] {
  const ids = new Set<string>();
  for (const obs of evidence.observations) {
    if (observationConcerned(obs, policy)) ids.add(`${obs.informant.role}:${obs.informant.id}`);
  }
  return [...ids];
}

interface Context {
  readonly evidence: Evidence;
  readonly policy: TierPolicy;
}

/** The score results a condition on `instrument` can see: the self-report and any teacher screener. */
function resultsFor(instrument: string, evidence: Evidence): ScoreResult[] {
  const own = evidence.selfReport[instrument];
  const observed = evidence.observations.flatMap((obs) => (obs.instrument === instrument && obs.score ? [obs.score] : []));
  return own ? [own, ...observed] : observed;
}

function bandMatches(result: ScoreResult, match: BandMatch): boolean {
  if (result.kind !== "scored") return false;
  const band = match.subscale ? result.subscales?.[match.subscale]?.band : result.band;
  return band !== undefined && match.in.includes(band);
}

function withinBounds(value: number, b: { gte?: number; lte?: number; gt?: number; lt?: number }): boolean {
  return (b.gte === undefined || value >= b.gte) && (b.lte === undefined || value <= b.lte) && (b.gt === undefined || value > b.gt) && (b.lt === undefined || value < b.lt);
}

function describe(result: ScoreResult & { kind: "scored" }, subscale?: string): string {
  if (subscale) {
    const sub = result.subscales?.[subscale];
    return `${result.instrument}.${subscale} ${sub?.total}${sub?.band ? ` (${sub.band})` : ""}`;
  }
  const percent = result.percent !== undefined ? `, ${result.percent}%` : "";
  return `${result.instrument} ${result.total}${percent}${result.band ? ` (${result.band})` : ""}`;
}

/** Evaluates a condition: null when it does not hold, otherwise the evidence that made it hold. */
function evaluate(cond: Condition, ctx: Context): string[] | null {
  const { evidence, policy } = ctx;
  if ("band" in cond) {
    const hits = resultsFor(cond.band.instrument, evidence).filter((r) => bandMatches(r, cond.band));
    return hits.length > 0 ? hits.map((r) => describe(r as ScoreResult & { kind: "scored" }, cond.band.subscale)) : null;
  }
  if ("score" in cond) {
    const { instrument, subscale, field = "total" } = cond.score;
    const hits = resultsFor(instrument, evidence).filter((r) => {
      if (r.kind !== "scored") return false;
      const value = subscale ? r.subscales?.[subscale]?.total : field === "percent" ? r.percent : r.total;
      return value !== undefined && withinBounds(value, cond.score);
    });
    return hits.length > 0 ? hits.map((r) => describe(r as ScoreResult & { kind: "scored" }, subscale)) : null;
  }
  if ("critical" in cond) {
    const items = evidence.selfReport[cond.critical.instrument]?.critical ?? [];
    const hits = cond.critical.item ? items.filter((id) => id === cond.critical.item) : items;
    return hits.length > 0 ? [`${cond.critical.instrument} critical answer: ${hits.join(", ")}`] : null;
  }
  if ("flag" in cond) {
    const result = evidence.selfReport[cond.flag.instrument];
    return result?.kind === "scored" && result.flags?.includes(cond.flag.flag) ? [`${cond.flag.instrument} ${cond.flag.flag}`] : null;
  }
  if ("criticalObservation" in cond) {
    const hits = evidence.observations.filter((obs) => obs.critical.length > 0);
    return hits.length > 0 ? hits.map((obs) => `${obs.informant.role} ${obs.instrument}: ${obs.critical.join(", ")}`) : null;
  }
  if ("informants" in cond) {
    const who = [...(selfConcerned(evidence, policy) ? ["self"] : []), ...concernedObservers(evidence, policy).map((id) => id.split(":")[0]!)];
    return who.length >= cond.informants.gte ? [`${who.length} informants concerned: ${who.join(", ")}`] : null;
  }
  if ("observers" in cond) {
    const who = concernedObservers(evidence, policy).map((id) => id.split(":")[0]!);
    return who.length >= cond.observers.gte ? [`${who.length} observers concerned: ${who.join(", ")}`] : null;
  }
  if ("keyPopulation" in cond) {
    return evidence.keyPopulation.length >= cond.keyPopulation.gte ? [`key population: ${evidence.keyPopulation.join(", ")}`] : null;
  }
  if ("deteriorated" in cond) {
    return evidence.deteriorated.includes(cond.deteriorated.instrument) ? [`${cond.deteriorated.instrument} reliably worse than last wave`] : null;
  }
  if ("questionable" in cond) {
    const v = evidence.validity;
    return v?.kind === "questionable" ? v.reasons.map((r) => `${r.code}: ${r.evidence}`) : null;
  }
  if ("all" in cond) {
    const parts: string[] = [];
    for (const c of cond.all) {
      const found = evaluate(c, ctx);
      if (!found) return null;
      parts.push(...found);
    }
    return parts;
  }
  if ("any" in cond) {
    let matched = false;
    const parts: string[] = [];
    for (const c of cond.any) {
      const found = evaluate(c, ctx);
      if (!found) continue;
      matched = true;
      parts.push(...found);
    }
    return matched ? parts : null;
  }
  return evaluate(cond.not, ctx) ? null : [];
}
