/**
 * Reference copy of scoring/tier.ts before the compiled policy evaluator (see ./index.ts).
 *
 * Step 3 of the pipeline: evidence + tier policy → a warning tier with its reasons.
 *
 * The tier is the highest tier of any rule that matches; every matching rule is a reason, with the
 * evidence that made it match, so a counselor sees why. Validity never lowers a tier: a questionable
 * response can only add a yellow "re-screen" reason, and critical answers are read from the score
 * results whatever the validity step said.
 */
import type { BandMatch, Condition, Rule, Tier, TierPolicy } from "../../../scoring/policy";
import { tierRank } from "../../../scoring/policy";
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
  return assessTier(evidence, policy).result;
}

/**
 * The tier and the two facts the watch list needs besides it, from one evaluation: whether the student's
 * own answers count as an informant concerned, and the roles of the concerned observers (one per person).
 */
export function assessTier(evidence: Evidence, policy: TierPolicy): { result: TierResult; self: boolean; observers: string[] } {
  const { rules } = compiledPolicy(policy);
  const ctx: Context = { evidence, policy, self: undefined, observers: undefined };
  const matched: { rule: Rule; node: Node }[] = [];
  for (const entry of rules) if (entry.node.test(ctx)) matched.push(entry);
  const self = isSelfConcerned(ctx);
  const observers = observersOf(ctx).size === 0 ? [] : [...observersOf(ctx)].map(roleOf);
  if (matched.length === 0) return { result: { tier: "none", reasons: [], policyVersion: policy.version, acute: false }, self, observers };
  // Evidence text is only worked out for the rules that matched: most students match none.
  matched.sort((a, b) => tierRank(b.rule.tier) - tierRank(a.rule.tier));
  const result: TierResult = {
    tier: matched[0]!.rule.tier,
    reasons: matched.map(({ rule, node }) => ({ rule: rule.id, tier: rule.tier, evidence: node.explain(ctx).join("; ") })),
    policyVersion: policy.version,
    acute: matched.some(({ rule }) => rule.acute),
  };
  return { result, self, observers };
}

/** Whether an observation counts its informant as concerned under the policy. */
export function observationConcerned(observation: ObservationEvidence, policy: TierPolicy): boolean {
  if (observation.critical.length > 0 || observation.concerns.length > 0) return true;
  const score = observation.score;
  return score !== undefined && policy.screenerConcern.some((match) => match.instrument === observation.instrument && bandMatches(score, match));
}

/** One evaluation: the evidence, the policy, and the two derived facts, worked out at most once. */
interface Context {
  readonly evidence: Evidence;
  readonly policy: TierPolicy;
  self: boolean | undefined;
  observers: ReadonlySet<string> | undefined;
}

function isSelfConcerned(ctx: Context): boolean {
  ctx.self ??= compiledPolicy(ctx.policy).selfConcern.test(ctx);
  return ctx.self;
}

function observersOf(ctx: Context): ReadonlySet<string> {
  if (!ctx.observers) {
    const ids = new Set<string>();
    for (const obs of ctx.evidence.observations) {
      if (observationConcerned(obs, ctx.policy)) ids.add(`${obs.informant.role}:${obs.informant.id}`);
    }
    ctx.observers = ids;
  }
  return ctx.observers;
}

const roleOf = (id: string): string => id.slice(0, id.indexOf(":"));

/**
 * A compiled condition: `test` is the hot path (no allocation); `explain` gives the evidence text and is
 * only called on a condition whose test holds. Both live in the same case below so they cannot drift.
 */
interface Node {
  readonly test: (ctx: Context) => boolean;
  readonly explain: (ctx: Context) => string[];
}

interface CompiledPolicy {
  readonly rules: readonly { readonly rule: Rule; readonly node: Node }[];
  readonly selfConcern: Node;
}

const compiled = new WeakMap<TierPolicy, CompiledPolicy>();

/** The policy's conditions as predicates, built once per policy. */
function compiledPolicy(policy: TierPolicy): CompiledPolicy {
  let c = compiled.get(policy);
  if (!c) {
    c = { rules: policy.rules.map((rule) => ({ rule, node: compile(rule.when) })), selfConcern: compile(policy.selfConcern) };
    compiled.set(policy, c);
  }
  return c;
}

/** Whether any result for the instrument (self-report, then teacher screeners) satisfies `ok`. */
function anyResult(evidence: Evidence, instrument: string, ok: (r: ScoreResult) => boolean): boolean {
  const own = evidence.selfReport[instrument];
  if (own && ok(own)) return true;
  for (const obs of evidence.observations) if (obs.instrument === instrument && obs.score && ok(obs.score)) return true;
  return false;
}

/** The results for the instrument that satisfy `ok`, described for a counselor. */
function describeResults(evidence: Evidence, instrument: string, subscale: string | undefined, ok: (r: ScoreResult) => boolean): string[] {
  const all = [evidence.selfReport[instrument], ...evidence.observations.map((obs) => (obs.instrument === instrument ? obs.score : undefined))];
  return all.filter((r): r is ScoreResult & { kind: "scored" } => r !== undefined && r.kind === "scored" && ok(r)).map((r) => describe(r, subscale));
}

function scoreValue(r: ScoreResult, subscale: string | undefined, field: "total" | "percent" | undefined): number | undefined {
  if (r.kind !== "scored") return undefined;
  return subscale ? r.subscales?.[subscale]?.total : field === "percent" ? r.percent : r.total;
}

function compile(cond: Condition): Node {
  if ("band" in cond) {
    const match = cond.band;
    const ok = (r: ScoreResult) => bandMatches(r, match);
    return { test: (ctx) => anyResult(ctx.evidence, match.instrument, ok), explain: (ctx) => describeResults(ctx.evidence, match.instrument, match.subscale, ok) };
  }
  if ("score" in cond) {
    const { instrument, subscale, field } = cond.score;
    const ok = (r: ScoreResult) => {
      const value = scoreValue(r, subscale, field);
      return value !== undefined && withinBounds(value, cond.score);
    };
    return { test: (ctx) => anyResult(ctx.evidence, instrument, ok), explain: (ctx) => describeResults(ctx.evidence, instrument, subscale, ok) };
  }
  if ("critical" in cond) {
    const { instrument, item } = cond.critical;
    const hits = (ctx: Context) => (ctx.evidence.selfReport[instrument]?.critical ?? []).filter((id) => item === undefined || id === item);
    return {
      test: (ctx) => {
        const critical = ctx.evidence.selfReport[instrument]?.critical;
        return critical !== undefined && (item === undefined ? critical.length > 0 : critical.includes(item));
      },
      explain: (ctx) => [`${instrument} critical answer: ${hits(ctx).join(", ")}`],
    };
  }
  if ("flag" in cond) {
    const { instrument, flag } = cond.flag;
    return {
      test: (ctx) => {
        const r = ctx.evidence.selfReport[instrument];
        return r?.kind === "scored" && r.flags !== undefined && r.flags.includes(flag);
      },
      explain: () => [`${instrument} ${flag}`],
    };
  }
  if ("criticalObservation" in cond) {
    return {
      test: (ctx) => {
        for (const obs of ctx.evidence.observations) if (obs.critical.length > 0) return true;
        return false;
      },
      explain: (ctx) => ctx.evidence.observations.filter((obs) => obs.critical.length > 0).map((obs) => `${obs.informant.role} ${obs.instrument}: ${obs.critical.join(", ")}`),
    };
  }
  if ("informants" in cond) {
    const { gte } = cond.informants;
    const who = (ctx: Context) => [...(isSelfConcerned(ctx) ? ["self"] : []), ...[...observersOf(ctx)].map(roleOf)];
    return {
      test: (ctx) => (isSelfConcerned(ctx) ? 1 : 0) + observersOf(ctx).size >= gte,
      explain: (ctx) => [`${who(ctx).length} informants concerned: ${who(ctx).join(", ")}`],
    };
  }
  if ("observers" in cond) {
    const { gte } = cond.observers;
    return {
      test: (ctx) => observersOf(ctx).size >= gte,
      explain: (ctx) => [`${observersOf(ctx).size} observers concerned: ${[...observersOf(ctx)].map(roleOf).join(", ")}`],
    };
  }
  if ("keyPopulation" in cond) {
    const { gte } = cond.keyPopulation;
    return { test: (ctx) => ctx.evidence.keyPopulation.length >= gte, explain: (ctx) => [`key population: ${ctx.evidence.keyPopulation.join(", ")}`] };
  }
  if ("deteriorated" in cond) {
    const { instrument } = cond.deteriorated;
    return { test: (ctx) => ctx.evidence.deteriorated.includes(instrument), explain: () => [`${instrument} reliably worse than last wave`] };
  }
  if ("questionable" in cond) {
    return {
      test: (ctx) => ctx.evidence.validity?.kind === "questionable",
      explain: (ctx) => (ctx.evidence.validity?.kind === "questionable" ? ctx.evidence.validity.reasons.map((r) => `${r.code}: ${r.evidence}`) : []),
    };
  }
  if ("all" in cond) {
    const nodes = cond.all.map(compile);
    const test = (ctx: Context) => {
      for (const n of nodes) if (!n.test(ctx)) return false;
      return true;
    };
    return { test, explain: (ctx) => nodes.flatMap((n) => n.explain(ctx)) };
  }
  if ("any" in cond) {
    const nodes = cond.any.map(compile);
    const test = (ctx: Context) => {
      for (const n of nodes) if (n.test(ctx)) return true;
      return false;
    };
    return { test, explain: (ctx) => nodes.flatMap((n) => (n.test(ctx) ? n.explain(ctx) : [])) };
  }
  const inner = compile(cond.not);
  return { test: (ctx) => !inner.test(ctx), explain: () => [] };
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
