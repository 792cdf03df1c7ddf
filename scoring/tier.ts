/**
 * Step 3 of the pipeline: evidence + tier policy → a warning tier with its reasons.
 *
 * The tier is the highest tier of any rule that matches; every matching rule is a reason, with the
 * evidence that made it match, so a counselor sees why. Validity never lowers a tier: a questionable
 * response can only add a yellow "re-screen" reason, and critical answers are read from the score
 * results whatever the validity step said.
 *
 * A policy is compiled once (`compiledPolicy`) to JavaScript (compile-policy.ts), which evaluates every
 * plain score record, and, for any other evidence, into uniform nodes that one `switch` evaluates, with its
 * rules already in reason order (red first, policy order within a tier). Each evaluation reads every
 * self-report result the policy names once and notes which of the policy's band ids each one is in as one
 * bit, so a band condition on the self-report (most of a policy) is a mask test. Evidence text is only
 * worked out for the rules that matched, and remembered for results that repeat (same total and band).
 */
import type { CompiledTiers } from "./compile-policy";
import { compileTierPolicy, CriticalText, informantsText, observersText, Remembered, roleOf } from "./compile-policy";
import { plainPrototype } from "./plan";
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
  const outcome = evaluateTier(policy, evidence.selfReport, evidence.validity, evidence.observations, evidence.keyPopulation, evidence.deteriorated);
  return { tier: outcome.tier, reasons: outcome.reasons, policyVersion: policy.version, acute: outcome.acute };
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * What one evaluation found: the tier, its reasons and acuteness, and the two facts the watch list needs
 * besides them: whether the student's own answers count as an informant concerned, and the roles of the
 * concerned observers (one per person). One object, overwritten by every evaluation: read it right away.
 */
export interface TierOutcome {
  tier: Tier;
  reasons: readonly Reason[];
  acute: boolean;
  self: boolean;
  observers: readonly string[];
}

const outcome: TierOutcome = { tier: "none", reasons: EMPTY, acute: false, self: false, observers: EMPTY };
/** The indices (in `CompiledPolicy.rules`) of the rules the evaluation under way matched. */
const matched: number[] = [];

/**
 * Evaluates the policy on the evidence, given field by field (fuse.ts passes them without building an
 * Evidence object). Internal to scoring/; `assignTier` is the contract.
 */
export function evaluateTier(
  policy: TierPolicy,
  selfReport: Evidence["selfReport"],
  validity: Evidence["validity"],
  observations: Evidence["observations"],
  keyPopulation: Evidence["keyPopulation"],
  deteriorated: Evidence["deteriorated"],
): TierOutcome {
  const c = compiledPolicy(policy);
  // The compiled evaluation reads a plain record with `for…in`, as readSelfReport does.
  if (c.compiled !== null && plainPrototype(selfReport)) {
    if (observations.length === 0) {
      c.compiled.plain(selfReport, validity, observations, keyPopulation, deteriorated, NO_OBSERVERS, outcome);
      outcome.observers = EMPTY;
    } else {
      const concerned = concernedObservers(observations, policy);
      c.compiled.observed(selfReport, validity, observations, keyPopulation, deteriorated, concerned, outcome);
      outcome.observers = concerned.size === 0 ? EMPTY : [...concerned].map(roleOf);
    }
    return outcome;
  }
  const ctx = c.begin(selfReport, validity, observations, keyPopulation, deteriorated);
  let count = 0;
  let acute = false;
  const rules = c.rules;
  const bandBits = ctx.bandBits;
  const plain = observations.length === 0;
  for (let i = 0; i < rules.length; i++) {
    const rule = rules[i]!;
    const node = rule.node;
    // A rule that is one band condition, with no observations to look at: one mask test.
    if (plain && node.target >= 0) {
      if ((bandBits[node.target]! & node.mask) === 0) continue;
    } else if (!holdsFor(ctx, node)) continue;
    matched[count++] = i;
    acute ||= rule.acute;
  }
  outcome.self = isSelfConcerned(ctx);
  const concerned = observersOf(ctx);
  outcome.observers = concerned.size === 0 ? EMPTY : [...concerned].map(roleOf);
  // The reasons, made once the matching rules are known so the list has its exact length.
  let reasons: readonly Reason[] = EMPTY;
  if (count > 0) {
    const list = new Array<Reason>(count);
    for (let k = 0; k < count; k++) {
      const rule = rules[matched[k]!]!;
      list[k] = { rule: rule.id, tier: rule.tier, evidence: evidenceOf(ctx, rule.node) };
    }
    reasons = list;
  }
  outcome.tier = count === 0 ? "none" : reasons[0]!.tier;
  outcome.reasons = reasons;
  outcome.acute = acute;
  return outcome;
}

/** Whether an observation counts its informant as concerned under the policy. */
export function observationConcerned(observation: ObservationEvidence, policy: TierPolicy): boolean {
  if (observation.critical.length > 0 || observation.concerns.length > 0) return true;
  const score = observation.score;
  return score !== undefined && policy.screenerConcern.some((match) => match.instrument === observation.instrument && bandMatches(score, match));
}

/** Condition kinds, as small integers for the evaluator's switch. */
const BAND = 0;
const SCORE = 1;
const CRITICAL = 2;
const FLAG = 3;
const CRITICAL_OBSERVATION = 4;
const INFORMANTS = 5;
const OBSERVERS = 6;
const KEY_POPULATION = 7;
const DETERIORATED = 8;
const QUESTIONABLE = 9;
const ALL = 10;
const ANY = 11;
const NOT = 12;

/** A compiled condition. A class with every field set, so the evaluator reads one shape of object. */
class Node {
  op = NOT;
  /** Index of the instrument's self-report result in `Context.self`; -1 when the condition reads none. */
  slot = -1;
  instrument = "";
  subscale: string | undefined = undefined;
  field: "total" | "percent" | undefined = undefined;
  /** Band ids that match (band conditions). */
  bands: readonly string[] = EMPTY;
  /**
   * Band conditions: the band target (instrument and subscale) in `CompiledPolicy.targets`, and the bits of
   * `bands` among the target's band ids; -1 when the target has too many band ids for a mask.
   */
  target = -1;
  mask = 0;
  item: string | undefined = undefined;
  flag = "";
  gte: number | undefined = undefined;
  lte: number | undefined = undefined;
  gt: number | undefined = undefined;
  lt: number | undefined = undefined;
  kids: readonly Node[] = EMPTY;
  /** Band and score conditions: the evidence texts of results. */
  described: Remembered | undefined = undefined;
  /** Critical conditions: the evidence texts of critical lists. */
  critical: CriticalText | undefined = undefined;
}

interface CompiledRule {
  readonly id: string;
  readonly tier: Exclude<Tier, "none">;
  readonly acute: boolean;
  readonly node: Node;
}

/** One evaluation: the evidence, the self-report results the policy reads, and facts worked out at most once. */
class Context implements Evidence {
  selfReport: Evidence["selfReport"] = NO_SCORES;
  validity: Evidence["validity"] = null;
  observations: Evidence["observations"] = EMPTY;
  keyPopulation: Evidence["keyPopulation"] = EMPTY;
  deteriorated: Evidence["deteriorated"] = EMPTY;
  /** `selfReport[id]` for each instrument the policy reads, by slot. */
  readonly self: unknown[];
  /** The bit of each band target's self-report band among the target's band ids (0: none or not scored). */
  readonly bandBits: number[];
  /** -1 until worked out, then 0 or 1. */
  selfConcerned = -1;
  observers: ReadonlySet<string> | undefined = undefined;

  constructor(
    readonly compiled: CompiledPolicy,
    slots: number,
    targets: number,
  ) {
    this.self = new Array<unknown>(slots).fill(undefined);
    this.bandBits = new Array<number>(targets).fill(0);
  }
}

class CompiledPolicy {
  readonly policy: TierPolicy;
  /** The rules in reason order: by tier, red first, then in policy order. */
  readonly rules: readonly CompiledRule[];
  readonly selfConcern: Node;
  /** What band conditions compare: each instrument (slot) and subscale, with the band ids the policy names. */
  readonly targets: readonly BandTarget[];
  /** The instruments whose self-report results the policy reads, by slot, and the slot of each. */
  readonly instruments: readonly string[];
  readonly slotOf: ReadonlyMap<string, number>;
  /** An instrument id names a property of Object.prototype ("constructor"): read the record by name. */
  readonly inherited: boolean;
  /** The keys of the last self-report records read, by position, and their slots (-1: not read by the policy). */
  readonly seenKeys: string[] = [];
  readonly seenSlots: number[] = [];
  /** Reused by every evaluation, which never calls out to code that could start another one. */
  private readonly context: Context;
  /** The evaluation compiled to JavaScript (compile-policy.ts), if it compiles. */
  readonly compiled: CompiledTiers | null;

  constructor(policy: TierPolicy) {
    this.policy = policy;
    const slots = new Map<string, number>();
    const compile = (cond: Condition): Node => compileCondition(cond, slots, compile);
    const rules = policy.rules.map((rule) => ({ id: rule.id, tier: rule.tier, acute: rule.acute, node: compile(rule.when) }));
    this.rules = rules.map((rule, i) => ({ rule, i })).sort((a, b) => tierRank(b.rule.tier) - tierRank(a.rule.tier) || a.i - b.i).map(({ rule }) => rule);
    this.selfConcern = compile(policy.selfConcern);
    this.targets = bandTargets([...rules.map((rule) => rule.node), this.selfConcern]);
    this.instruments = [...slots.keys()].map((id) => Object.keys({ [id]: 0 })[0]!);
    this.slotOf = new Map(this.instruments.map((id, i) => [id, i]));
    this.inherited = this.instruments.some((id) => id in Object.prototype);
    this.context = new Context(this, this.instruments.length, this.targets.length);
    this.compiled = compileTierPolicy(policy);
  }

  /** The context for a new evaluation of the evidence. */
  begin(
    selfReport: Evidence["selfReport"],
    validity: Evidence["validity"],
    observations: Evidence["observations"],
    keyPopulation: Evidence["keyPopulation"],
    deteriorated: Evidence["deteriorated"],
  ): Context {
    const ctx = this.context;
    ctx.selfReport = selfReport;
    ctx.validity = validity;
    ctx.observations = observations;
    ctx.keyPopulation = keyPopulation;
    ctx.deteriorated = deteriorated;
    ctx.selfConcerned = -1;
    ctx.observers = undefined;
    readSelfReport(this, ctx.self, selfReport);
    const targets = this.targets;
    for (let t = 0; t < targets.length; t++) ctx.bandBits[t] = bandBit(targets[t]!, ctx.self[targets[t]!.slot]);
    return ctx;
  }
}

/** An instrument (by self-report slot) and subscale whose band the policy compares, and the band ids it names. */
interface BandTarget {
  readonly slot: number;
  readonly subscale: string | undefined;
  readonly bands: readonly string[];
}

/** Bits of more band ids than this do not fit a mask; such targets are compared band by band. */
const MAX_BANDS = 30;

/** Gives every band condition its target and mask; returns the targets. */
function bandTargets(roots: readonly Node[]): BandTarget[] {
  const byKey = new Map<string, { slot: number; subscale: string | undefined; bands: string[]; nodes: Node[] }>();
  const walk = (node: Node): void => {
    if (node.op === BAND) {
      const key = `${node.slot} ${node.subscale ?? ""}`;
      let target = byKey.get(key);
      if (!target) byKey.set(key, (target = { slot: node.slot, subscale: node.subscale, bands: [], nodes: [] }));
      for (const band of node.bands) if (!target.bands.includes(band)) target.bands.push(band);
      target.nodes.push(node);
    }
    node.kids.forEach(walk);
  };
  roots.forEach(walk);
  const targets = [...byKey.values()].filter((t) => t.bands.length <= MAX_BANDS);
  targets.forEach((target, t) => {
    for (const node of target.nodes) {
      node.target = t;
      node.mask = node.bands.reduce((mask, band) => mask | (1 << target.bands.indexOf(band)), 0);
    }
  });
  return targets.map(({ slot, subscale, bands }) => ({ slot, subscale, bands }));
}

/** The bit of the result's band (or its subscale's) among the target's band ids; 0 when none matches. */
function bandBit(target: BandTarget, own: unknown): number {
  // Only an object can be a scored result (a truthy primitive has no "scored" kind either).
  if (typeof own !== "object" || own === null) return 0;
  const r = own as ScoreResult;
  if (r.kind !== "scored") return 0;
  const band = target.subscale ? r.subscales?.[target.subscale]?.band : r.band;
  if (band === undefined) return 0;
  const bands = target.bands;
  for (let i = 0; i < bands.length; i++) if (bands[i] === band) return 1 << i;
  return 0;
}

const NO_SCORES: Evidence["selfReport"] = Object.freeze({});

/**
 * Reads `selfReport[id]` for every instrument the policy reads into `self`. The record's own keys are
 * read in one `for…in` pass (the records score.ts makes are plain objects listing a battery's
 * instruments); instruments it lacks read as undefined, or by name when the record is not a plain object.
 */
function readSelfReport(c: CompiledPolicy, self: unknown[], selfReport: Evidence["selfReport"]): void {
  const ids = c.instruments;
  if (!plainPrototype(selfReport) || c.inherited) {
    for (let i = 0; i < ids.length; i++) self[i] = selfReport[ids[i]!];
    return;
  }
  for (let i = 0; i < ids.length; i++) self[i] = undefined;
  // Records come in a battery's order, key after key: the slot of the key seen at the same position last
  // time is tried before the id → slot map.
  const { seenKeys, seenSlots } = c;
  let k = 0;
  for (const key in selfReport) {
    let slot: number;
    if (k < seenKeys.length && seenKeys[k] === key) slot = seenSlots[k]!;
    else {
      slot = c.slotOf.get(key) ?? -1;
      seenKeys[k] = key;
      seenSlots[k] = slot;
    }
    k += 1;
    if (slot >= 0) self[slot] = selfReport[key];
  }
}

function compileCondition(cond: Condition, slots: Map<string, number>, compile: (cond: Condition) => Node): Node {
  const node = new Node();
  const slotOf = (instrument: string): number => {
    let slot = slots.get(instrument);
    if (slot === undefined) {
      slot = slots.size;
      slots.set(instrument, slot);
    }
    return slot;
  };
  if ("band" in cond) {
    node.op = BAND;
    node.instrument = cond.band.instrument;
    node.slot = slotOf(node.instrument);
    node.subscale = cond.band.subscale || undefined;
    node.bands = cond.band.in;
    node.described = new Remembered(node.subscale);
  } else if ("score" in cond) {
    node.op = SCORE;
    node.instrument = cond.score.instrument;
    node.slot = slotOf(node.instrument);
    node.subscale = cond.score.subscale || undefined;
    node.field = cond.score.field;
    node.gte = cond.score.gte;
    node.lte = cond.score.lte;
    node.gt = cond.score.gt;
    node.lt = cond.score.lt;
    node.described = new Remembered(node.subscale);
  } else if ("critical" in cond) {
    node.op = CRITICAL;
    node.instrument = cond.critical.instrument;
    node.slot = slotOf(node.instrument);
    node.item = cond.critical.item;
    node.critical = new CriticalText(node.instrument, node.item);
  } else if ("flag" in cond) {
    node.op = FLAG;
    node.instrument = cond.flag.instrument;
    node.slot = slotOf(node.instrument);
    node.flag = cond.flag.flag;
  } else if ("criticalObservation" in cond) {
    node.op = CRITICAL_OBSERVATION;
  } else if ("informants" in cond) {
    node.op = INFORMANTS;
    node.gte = cond.informants.gte;
  } else if ("observers" in cond) {
    node.op = OBSERVERS;
    node.gte = cond.observers.gte;
  } else if ("keyPopulation" in cond) {
    node.op = KEY_POPULATION;
    node.gte = cond.keyPopulation.gte;
  } else if ("deteriorated" in cond) {
    node.op = DETERIORATED;
    node.instrument = cond.deteriorated.instrument;
  } else if ("questionable" in cond) {
    node.op = QUESTIONABLE;
  } else if ("all" in cond) {
    node.op = ALL;
    node.kids = cond.all.map(compile);
  } else if ("any" in cond) {
    node.op = ANY;
    node.kids = cond.any.map(compile);
  } else {
    node.op = NOT;
    node.kids = [compile(cond.not)];
  }
  return node;
}

const RING = 4;
const ringPolicy: (TierPolicy | undefined)[] = new Array<undefined>(RING).fill(undefined);
const ringCompiled: (CompiledPolicy | undefined)[] = new Array<undefined>(RING).fill(undefined);
let ringNext = 0;
const compiled = new WeakMap<TierPolicy, CompiledPolicy>();

/** The policy compiled, built once per policy; the last few are found by identity without a WeakMap lookup. */
function compiledPolicy(policy: TierPolicy): CompiledPolicy {
  for (let i = 0; i < RING; i++) if (ringPolicy[i] === policy) return ringCompiled[i]!;
  let c = compiled.get(policy);
  if (!c) {
    c = new CompiledPolicy(policy);
    compiled.set(policy, c);
  }
  ringPolicy[ringNext] = policy;
  ringCompiled[ringNext] = c;
  ringNext = (ringNext + 1) % RING;
  return c;
}

function isSelfConcerned(ctx: Context): boolean {
  if (ctx.selfConcerned < 0) ctx.selfConcerned = test(ctx, ctx.compiled.selfConcern) ? 1 : 0;
  return ctx.selfConcerned === 1;
}

function observersOf(ctx: Context): ReadonlySet<string> {
  ctx.observers ??= concernedObservers(ctx.observations, ctx.compiled.policy);
  return ctx.observers;
}

/** The concerned observers, one per person, as "role:id". */
function concernedObservers(observations: Evidence["observations"], policy: TierPolicy): ReadonlySet<string> {
  if (observations.length === 0) return NO_OBSERVERS;
  const ids = new Set<string>();
  for (let i = 0; i < observations.length; i++) {
    const obs = observations[i]!;
    if (observationConcerned(obs, policy)) ids.add(`${obs.informant.role}:${obs.informant.id}`);
  }
  return ids.size === 0 ? NO_OBSERVERS : ids;
}

const NO_OBSERVERS: ReadonlySet<string> = new Set<string>();


/** Whether the condition holds for the evaluation's evidence. Allocates nothing. */
function test(ctx: Context, node: Node): boolean {
  switch (node.op) {
    case ALL: {
      const kids = node.kids;
      for (let i = 0; i < kids.length; i++) if (!holdsFor(ctx, kids[i]!)) return false;
      return true;
    }
    case ANY: {
      const kids = node.kids;
      for (let i = 0; i < kids.length; i++) if (holdsFor(ctx, kids[i]!)) return true;
      return false;
    }
    case NOT:
      return !holdsFor(ctx, node.kids[0]!);
    default:
      return leaf(ctx, node);
  }
}

/**
 * `test`, with the most common condition answered in place: a band condition when there are no
 * observations is one mask test (most nodes of a policy are band conditions on the self-report).
 */
function holdsFor(ctx: Context, node: Node): boolean {
  if (node.op === BAND && node.target >= 0 && ctx.observations.length === 0) return (ctx.bandBits[node.target]! & node.mask) !== 0;
  return test(ctx, node);
}

/** A leaf condition (not all / any / not): whether it holds. */
function leaf(ctx: Context, node: Node): boolean {
  switch (node.op) {
    case BAND:
    case SCORE: {
      if (node.target >= 0) {
        if ((ctx.bandBits[node.target]! & node.mask) !== 0) return true;
      } else {
        const own = ctx.self[node.slot];
        if (typeof own === "object" && own !== null && holds(node, own as ScoreResult)) return true;
      }
      const observations = ctx.observations;
      for (let i = 0; i < observations.length; i++) {
        const obs = observations[i]!;
        if (obs.instrument === node.instrument && obs.score && holds(node, obs.score)) return true;
      }
      return false;
    }
    case CRITICAL: {
      const own = ctx.self[node.slot] as ScoreResult | null | undefined;
      const critical = own === null || own === undefined ? undefined : own.critical;
      return critical !== undefined && critical.length > 0 && (node.item === undefined || critical.includes(node.item));
    }
    case FLAG: {
      const r = ctx.self[node.slot] as ScoreResult | null | undefined;
      return r?.kind === "scored" && r.flags !== undefined && r.flags.includes(node.flag);
    }
    case CRITICAL_OBSERVATION: {
      const observations = ctx.observations;
      for (let i = 0; i < observations.length; i++) if (observations[i]!.critical.length > 0) return true;
      return false;
    }
    case INFORMANTS:
      return (isSelfConcerned(ctx) ? 1 : 0) + observersOf(ctx).size >= node.gte!;
    case OBSERVERS:
      return observersOf(ctx).size >= node.gte!;
    case KEY_POPULATION:
      return ctx.keyPopulation.length >= node.gte!;
    case DETERIORATED:
      return ctx.deteriorated.includes(node.instrument);
    case QUESTIONABLE:
    default:
      return ctx.validity?.kind === "questionable";
  }
}



/** Whether a band or score condition holds for one score result. */
function holds(node: Node, r: ScoreResult): boolean {
  if (r.kind !== "scored") return false;
  if (node.op === BAND) {
    const band = node.subscale !== undefined ? r.subscales?.[node.subscale]?.band : r.band;
    if (band === undefined) return false;
    const bands = node.bands;
    for (let i = 0; i < bands.length; i++) if (bands[i] === band) return true;
    return false;
  }
  const value = node.subscale !== undefined ? r.subscales?.[node.subscale]?.total : node.field === "percent" ? r.percent : r.total;
  return value !== undefined && (node.gte === undefined || value >= node.gte) && (node.lte === undefined || value <= node.lte) && (node.gt === undefined || value > node.gt) && (node.lt === undefined || value < node.lt);
}

/**
 * The evidence text being assembled: its parts joined with "; ". Evidence is assembled one rule at a time
 * (`evidenceOf`), so one text and one count serve every rule.
 */
let text = "";
let partCount = 0;

function add(part: string): void {
  text = partCount === 0 ? part : `${text}; ${part}`;
  partCount += 1;
}

/** The evidence text of a condition that holds, for a counselor: its parts joined with "; ". */
function evidenceOf(ctx: Context, node: Node): string {
  text = "";
  partCount = 0;
  explain(ctx, node);
  return text;
}

/** Adds the evidence parts of a condition that holds. */
function explain(ctx: Context, node: Node): void {
  const evidence: Evidence = ctx;
  switch (node.op) {
    case BAND:
    case SCORE: {
      // The student's own result first, then the teacher screeners', each only when it satisfies the condition.
      const own = evidence.selfReport[node.instrument];
      if (own !== undefined && own.kind === "scored" && holds(node, own)) add(node.described!.describe(own));
      for (const obs of evidence.observations) {
        const r = obs.instrument === node.instrument ? obs.score : undefined;
        if (r !== undefined && r.kind === "scored" && holds(node, r)) add(node.described!.describe(r));
      }
      return;
    }
    case CRITICAL: {
      add(node.critical!.of(evidence.selfReport[node.instrument]?.critical ?? EMPTY));
      return;
    }
    case FLAG:
      add(`${node.instrument} ${node.flag}`);
      return;
    case CRITICAL_OBSERVATION:
      for (const obs of evidence.observations) if (obs.critical.length > 0) add(`${obs.informant.role} ${obs.instrument}: ${obs.critical.join(", ")}`);
      return;
    case INFORMANTS:
      add(informantsText(isSelfConcerned(ctx), observersOf(ctx)));
      return;
    case OBSERVERS:
      add(observersText(observersOf(ctx)));
      return;
    case KEY_POPULATION:
      add(`key population: ${evidence.keyPopulation.join(", ")}`);
      return;
    case DETERIORATED:
      add(`${node.instrument} reliably worse than last wave`);
      return;
    case QUESTIONABLE:
      if (evidence.validity?.kind === "questionable") for (const r of evidence.validity.reasons) add(`${r.code}: ${r.evidence}`);
      return;
    case ALL:
      for (const kid of node.kids) explain(ctx, kid);
      return;
    case ANY:
      for (const kid of node.kids) if (test(ctx, kid)) explain(ctx, kid);
      return;
    default:
      return;
  }
}

function bandMatches(result: ScoreResult, match: BandMatch): boolean {
  if (result.kind !== "scored") return false;
  const band = match.subscale ? result.subscales?.[match.subscale]?.band : result.band;
  return band !== undefined && match.in.includes(band);
}
