/**
 * Parts of a tier policy compiled to JavaScript: tier.ts's evaluation of a student whose score record is a
 * plain object, which is every student the server scores (`compileTierPolicy`), and the change since the
 * previous wave that fuse.ts works out for the instruments the policy names (`compileChanges`).
 *
 * The policy's conditions become straight-line code: each self-report result read once by name, each band
 * compared with the policy's band ids as string literals, each rule one boolean, each evidence text a
 * template of remembered parts. Observations are few (most students have none), so the policy is compiled
 * twice: without them, where a condition on observations is a constant, and with them, where band and score
 * conditions also look at the teacher screeners' scores, as tier.ts's general evaluator does.
 *
 * The compiled code gives exactly what the general evaluator gives (same tier, reasons, evidence texts,
 * acuteness, self concern; tests/scoring/compiled-tier.test.ts checks it under every shipped policy); other
 * records, and a policy with values of unexpected types, are left to the general evaluator. Policy data
 * reaches the source only through source.ts `literal`.
 */
import type { Instrument } from "../instruments/schema";
import { reliableChangeIndex, who5PercentChange } from "./change";
import type { FuseContext, InstrumentChange } from "./fuse";
import type { Condition, Tier, TierPolicy } from "./policy";
import { tierRank } from "./policy";
import type { ScoreResult } from "./score";
import { literal } from "./source";
import type { Evidence, TierOutcome } from "./tier";

type Scored = ScoreResult & { kind: "scored" };

/**
 * The compiled evaluation: sets `outcome`'s tier, reasons, acuteness and self concern as tier.ts's
 * `evaluateTier` would (not its observers, which the caller sets from `observers`). The caller makes sure
 * `selfReport` is a plain object (prototype Object.prototype or null) and that Object.prototype has no
 * enumerable property, so reading the record's keys with `for…in` finds what tier.ts's `readSelfReport`
 * finds, and passes the concerned observers (tier.ts `concernedObservers`).
 */
export type CompiledTier = (
  selfReport: Evidence["selfReport"],
  validity: Evidence["validity"],
  observations: Evidence["observations"],
  keyPopulation: Evidence["keyPopulation"],
  deteriorated: Evidence["deteriorated"],
  observers: ReadonlySet<string>,
  outcome: TierOutcome,
) => void;

/** The policy's evaluation for students without observations (`plain`) and with some (`observed`). */
export interface CompiledTiers {
  readonly plain: CompiledTier;
  readonly observed: CompiledTier;
}

const EMPTY: readonly never[] = Object.freeze([]);

/**
 * Compiles the policy's evaluation, or returns null when the policy has something the compiled code does
 * not handle (an instrument id that Object.prototype has, a value of an unexpected type, a self-concern
 * condition that counts informants).
 */
export function compileTierPolicy(policy: TierPolicy): CompiledTiers | null {
  const plain = compileEvaluation(policy, false);
  const observed = compileEvaluation(policy, true);
  return plain === null || observed === null ? null : { plain, observed };
}

function compileEvaluation(policy: TierPolicy, observed: boolean): CompiledTier | null {
  const c = new Compiler(observed);
  const rules = policy.rules.map((rule, i) => ({ rule, i })).sort((a, b) => tierRank(b.rule.tier) - tierRank(a.rule.tier) || a.i - b.i);
  const self = c.condition(policy.selfConcern, false);
  if (self === null) return null;
  const tests: string[] = [];
  const made: string[] = [];
  for (let k = 0; k < rules.length; k++) {
    const { id, tier, acute, when } = rules[k]!.rule;
    if (typeof id !== "string" || !isTier(tier) || typeof acute !== "boolean") return null;
    const holds = c.condition(when, true);
    const evidence = c.evidence(when);
    if (holds === null || evidence === null) return null;
    tests.push(`const m${k} = ${holds} ? true : false;`, `if (m${k}) count++;`, ...(acute ? [`if (m${k}) acute = true;`] : []));
    made.push(`if (m${k}) { ${evidence.code} list[k++] = { rule: ${literal(id)}, tier: ${literal(tier)}, evidence: ${evidence.text} }; }`);
  }
  if (c.failed) return null;
  const slots = [...c.slots.keys()];
  const source = [
    '"use strict";',
    ...c.helpers.map((_h, i) => `const H${i} = helpers[${i}];`),
    ...c.functions,
    "return function evaluate(selfReport, validity, observations, keyPopulation, deteriorated, observers, outcome) {",
    `let ${["v", "x", "c", "t", "n", "p", "own", ...slots.map((_id, s) => `s${s}`)].join(", ")};`,
    ...(slots.length === 0
      ? []
      : ["for (const key in selfReport) {", slots.map((id, s) => `if (key === ${literal(id)}) s${s} = selfReport[key];`).join(" else "), "}"]),
    ...c.targets.map((target, b) => `const b${b} = ${scored(`s${target.slot}`)} ? ${bandOf(`s${target.slot}`, target.subscale)} : undefined;`),
    `const self = ${self} ? true : false;`,
    "let count = 0, acute = false;",
    ...tests,
    "let reasons = EMPTY;",
    "if (count > 0) {",
    "const list = new Array(count);",
    "let k = 0;",
    ...made,
    "reasons = list;",
    "}",
    'outcome.tier = count === 0 ? "none" : reasons[0].tier;',
    "outcome.reasons = reasons; outcome.acute = acute; outcome.self = self;",
    "};",
  ].join("\n");
  // The source is built above with policy data as literals only.
  return new Function("helpers", "EMPTY", source)(c.helpers, EMPTY) as CompiledTier;
}

const isTier = (tier: unknown): tier is Exclude<Tier, "none"> => tier === "red" || tier === "orange" || tier === "yellow";

/** Whether the local (a self-report result read from the record) is a scored result, as tier.ts tests it. */
const scored = (s: string): string => `(typeof ${s} === "object" && ${s} !== null && ${s}.kind === "scored")`;

/** The band of a scored result `r` (or of its subscale), as tier.ts reads it. */
const bandOf = (r: string, subscale: string | undefined): string => (subscale === undefined ? `${r}.band` : `${r}.subscales?.[${literal(subscale)}]?.band`);

const isString = (v: unknown): v is string => typeof v === "string";
const optionalString = (v: unknown): v is string | undefined => v === undefined || typeof v === "string";
const optionalNumber = (v: unknown): v is number | undefined => v === undefined || typeof v === "number";

type Band = Extract<Condition, { band: unknown }>["band"];
type Score = Extract<Condition, { score: unknown }>["score"];
type Part = { always?: string; code?: (add: (expr: string) => string) => string };

/** Turns conditions into JavaScript expressions and evidence code; `failed` once something is not compilable. */
class Compiler {
  /** Slot of each self-report instrument the policy reads (local `s<slot>`). */
  readonly slots = new Map<string, number>();
  /** Band targets: an instrument (slot) and subscale whose band a condition compares (local `b<index>`). */
  readonly targets: { readonly slot: number; readonly subscale: string | undefined }[] = [];
  /** Functions the source calls (local `H<index>`): evidence texts, each with its memory. */
  readonly helpers: ((...args: never[]) => string)[] = [];
  /** Function declarations of the source (band and score conditions on observations). */
  readonly functions: string[] = [];
  failed = false;

  /** `observed`: compile for students with observations (otherwise for students without). */
  constructor(private readonly observed: boolean) {}

  private slot(instrument: unknown): number {
    if (!isString(instrument) || instrument in Object.prototype) {
      this.failed = true;
      return -1;
    }
    let slot = this.slots.get(instrument);
    if (slot === undefined) this.slots.set(instrument, (slot = this.slots.size));
    return slot;
  }

  private target(slot: number, subscale: string | undefined): number {
    let t = this.targets.findIndex((target) => target.slot === slot && target.subscale === subscale);
    if (t < 0) t = this.targets.push({ slot, subscale }) - 1;
    return t;
  }

  private helper(fn: (...args: never[]) => string): string {
    return `H${this.helpers.push(fn) - 1}`;
  }

  /** A function of the source that tells whether any observation of the instrument has a score that holds. */
  private onObservations(instrument: string, holds: (r: string) => string): string {
    const name = `observed${this.functions.length}`;
    this.functions.push(
      `function ${name}(observations) { let v, x; for (let i = 0; i < observations.length; i++) { const obs = observations[i]; const r = obs.score; if (obs.instrument === ${literal(instrument)} && r && ${holds("r")}) return true; } return false; }`,
    );
    return name;
  }

  /** The function of the source that tells whether any observation has a critical answer. */
  private criticalObserved(): string {
    const declaration = "function criticalObserved(observations) { for (let i = 0; i < observations.length; i++) if (observations[i].critical.length > 0) return true; return false; }";
    if (!this.functions.includes(declaration)) this.functions.push(declaration);
    return "criticalObserved";
  }

  /**
   * Whether the condition holds, as an expression of the locals (null: not compilable). `informants` is
   * false for the self-concern condition, which the informant count is made from.
   */
  condition(cond: Condition, informants: boolean): string | null {
    const kids = (list: unknown, op: string, empty: string): string | null => {
      if (!Array.isArray(list)) return null;
      const parts = list.map((kid: Condition) => this.condition(kid, informants));
      return parts.some((p) => p === null) ? null : parts.length === 0 ? empty : `(${parts.join(` ${op} `)})`;
    };
    if (typeof cond !== "object" || cond === null) return null;
    if ("band" in cond) {
      const { instrument, subscale, in: bands } = cond.band;
      if (!optionalString(subscale) || !Array.isArray(bands) || !bands.every(isString)) return null;
      const b = `b${this.target(this.slot(instrument), subscale || undefined)}`;
      const own = bands.length === 0 ? "false" : `(${bands.map((band) => `${b} === ${literal(band)}`).join(" || ")})`;
      return this.observed ? `(${own} || ${this.onObservations(instrument, (r) => bandHolds(cond.band, r))}(observations))` : own;
    }
    if ("score" in cond) {
      const { instrument, subscale, gte, lte, gt, lt } = cond.score;
      if (!optionalString(subscale) || ![gte, lte, gt, lt].every(optionalNumber)) return null;
      const s = `s${this.slot(instrument)}`;
      const own = `(typeof ${s} === "object" && ${s} !== null && ${scoreHolds(cond.score, s)})`;
      return this.observed ? `(${own} || ${this.onObservations(instrument, (r) => scoreHolds(cond.score, r))}(observations))` : own;
    }
    if ("critical" in cond) {
      const { instrument, item } = cond.critical;
      if (!optionalString(item)) return null;
      const s = `s${this.slot(instrument)}`;
      return `(c = ${s} === null || ${s} === undefined ? undefined : ${s}.critical, c !== undefined && c.length > 0${item === undefined ? "" : ` && c.includes(${literal(item)})`})`;
    }
    if ("flag" in cond) {
      const { instrument, flag } = cond.flag;
      if (!isString(flag)) return null;
      const s = `s${this.slot(instrument)}`;
      return `(${s}?.kind === "scored" && ${s}.flags !== undefined && ${s}.flags.includes(${literal(flag)}))`;
    }
    const observers = this.observed ? "observers.size" : "0";
    if ("criticalObservation" in cond) return this.observed ? `${this.criticalObserved()}(observations)` : "false";
    if ("informants" in cond) return informants && typeof cond.informants.gte === "number" ? `((self ? 1 : 0) + ${observers} >= ${literal(cond.informants.gte)})` : null;
    if ("observers" in cond) return typeof cond.observers.gte === "number" ? `(${observers} >= ${literal(cond.observers.gte)})` : null;
    if ("keyPopulation" in cond) return typeof cond.keyPopulation.gte === "number" ? `(keyPopulation.length >= ${literal(cond.keyPopulation.gte)})` : null;
    if ("deteriorated" in cond) return isString(cond.deteriorated.instrument) ? `(deteriorated.length > 0 && deteriorated.includes(${literal(cond.deteriorated.instrument)}))` : null;
    if ("questionable" in cond) return `(validity?.kind === "questionable")`;
    if ("all" in cond) return kids(cond.all, "&&", "true");
    if ("any" in cond) return kids(cond.any, "||", "false");
    const not = this.condition(cond.not, informants);
    return not === null ? null : `!${not}`;
  }

  /**
   * The evidence text of a condition that holds: `code` to run first and the `text` expression after it,
   * the parts joined with "; " as tier.ts's `explain` joins them. Parts that are always there are joined in
   * one template literal; a condition with parts that may or may not be there (any, questionable,
   * observations) collects them in `t` (the text) and `n` (the number of parts).
   */
  evidence(cond: Condition): { code: string; text: string } | null {
    const parts = this.parts(cond);
    if (parts === null) return null;
    if (parts.every((part) => part.always !== undefined)) return { code: "", text: template(parts.map((part) => part.always!)) };
    const add = (expr: string) => `p = ${expr}; t = n++ === 0 ? p : \`\${t}; \${p}\`;`;
    return { code: `t = ""; n = 0; ${joinParts(parts, add)}`, text: "t" };
  }

  /** The parts of a held condition's evidence, in tier.ts's order. */
  private parts(cond: Condition): Part[] | null {
    if ("band" in cond || "score" in cond) {
      const band = "band" in cond;
      const match: Band | Score = band ? cond.band : cond.score;
      const remembered = new Remembered(match.subscale || undefined);
      const describe = this.helper((r: Scored) => remembered.describe(r));
      if (!this.observed) return [{ always: `${describe}(s${this.slot(match.instrument)})` }];
      // The student's own result first (read by name, as tier.ts's explain reads it), then the teacher
      // screeners', each only when it satisfies the condition.
      const holds = (r: string) => (band ? bandHolds(match as Band, r) : scoreHolds(match as Score, r));
      const key = literal(match.instrument);
      return [
        {
          code: (add) =>
            `own = selfReport[${key}]; if (own !== undefined && ${holds("own")}) { ${add(`${describe}(own)`)} } ` +
            `for (const obs of observations) { const r = obs.instrument === ${key} ? obs.score : undefined; if (r !== undefined && r.kind === "scored" && ${holds("r")}) { ${add(`${describe}(r)`)} } }`,
        },
      ];
    }
    if ("critical" in cond) {
      const text = new CriticalText(cond.critical.instrument, cond.critical.item);
      return [{ always: `${this.helper((critical: readonly string[]) => text.of(critical))}(s${this.slot(cond.critical.instrument)}.critical)` }];
    }
    if ("flag" in cond) return [{ always: literal(`${cond.flag.instrument} ${cond.flag.flag}`) }];
    if ("criticalObservation" in cond) {
      if (!this.observed) return [];
      return [{ code: (add) => `for (const obs of observations) if (obs.critical.length > 0) { ${add('`${obs.informant.role} ${obs.instrument}: ${obs.critical.join(", ")}`')} }` }];
    }
    if ("informants" in cond) {
      if (!this.observed) return [{ always: `(self ? ${literal("1 informants concerned: self")} : ${literal("0 informants concerned: ")})` }];
      return [{ always: `${this.helper(informantsText)}(self, observers)` }];
    }
    if ("observers" in cond) return [{ always: this.observed ? `${this.helper(observersText)}(observers)` : literal("0 observers concerned: ") }];
    if ("keyPopulation" in cond) return [{ always: '`key population: ${keyPopulation.join(", ")}`' }];
    if ("deteriorated" in cond) return [{ always: literal(`${cond.deteriorated.instrument} reliably worse than last wave`) }];
    if ("questionable" in cond) return [{ code: (add) => `for (const r of validity.reasons) { ${add("`${r.code}: ${r.evidence}`")} }` }];
    if ("all" in cond) {
      const list = cond.all.map((kid) => this.parts(kid));
      return list.some((kid) => kid === null) ? null : list.flatMap((kid) => kid!);
    }
    if ("any" in cond) {
      const list: Part[] = [];
      for (const kid of cond.any) {
        const holds = this.condition(kid, true);
        const parts = this.parts(kid);
        if (holds === null || parts === null) return null;
        list.push({ code: (add) => `if (${holds}) { ${joinParts(parts, add)} }` });
      }
      return list;
    }
    return [];
  }
}

/** Code that adds the parts in turn. */
function joinParts(parts: readonly Part[], add: (expr: string) => string): string {
  return parts.map((part) => (part.always !== undefined ? add(part.always) : part.code!(add))).join(" ");
}

/** Whether a band condition holds for the result `r` (an object): tier.ts's `holds`. */
function bandHolds(match: Band, r: string): string {
  const bands = match.in.map((band) => `x === ${literal(band)}`).join(" || ");
  return `(${r}.kind === "scored" && (x = ${bandOf(r, match.subscale || undefined)}, x !== undefined && (${bands || "false"})))`;
}

/** Whether a score condition holds for the result `r` (an object): tier.ts's `holds`. */
function scoreHolds(match: Score, r: string): string {
  const value = match.subscale ? `${r}.subscales?.[${literal(match.subscale)}]?.total` : match.field === "percent" ? `${r}.percent` : `${r}.total`;
  const { gte, lte, gt, lt } = match;
  const bounds = ([[gte, ">="], [lte, "<="], [gt, ">"], [lt, "<"]] as const).flatMap(([bound, op]) => (bound === undefined ? [] : [` && v ${op} ${literal(bound)}`]));
  return `(${r}.kind === "scored" && (v = ${value}, v !== undefined${bounds.join("")}))`;
}

/** The role of a concerned observer ("role:id"). */
export const roleOf = (id: string): string => id.slice(0, id.indexOf(":"));

/** The evidence of an informants condition: "2 informants concerned: self, peer". */
export function informantsText(self: boolean, observers: ReadonlySet<string>): string {
  return `${observers.size + (self ? 1 : 0)} informants concerned: ${self ? (observers.size === 0 ? "self" : `self, ${roles(observers)}`) : roles(observers)}`;
}

/** The evidence of an observers condition: "1 observers concerned: peer". */
export function observersText(observers: ReadonlySet<string>): string {
  return `${observers.size} observers concerned: ${roles(observers)}`;
}

/** The observers' roles joined with ", ". */
function roles(observers: ReadonlySet<string>): string {
  let text = "";
  let first = true;
  for (const id of observers) {
    text = first ? roleOf(id) : `${text}, ${roleOf(id)}`;
    first = false;
  }
  return text;
}

/** The parts joined with "; " as one template literal ("" for none). */
function template(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0]!;
  return `\`${parts.map((part) => `\${${part}}`).join("; ")}\``;
}

/** How a score result is described in evidence: "phq9 12 (moderate)", "who5 6, 24% (poor)", "srss-ie.e7 10 (high)". */
function describe(result: Scored, subscale?: string): string {
  if (subscale) {
    const sub = result.subscales?.[subscale];
    return `${result.instrument}.${subscale} ${sub?.total}${sub?.band ? ` (${sub.band})` : ""}`;
  }
  const percent = result.percent !== undefined ? `, ${result.percent}%` : "";
  return `${result.instrument} ${result.total}${percent}${result.band ? ` (${result.band})` : ""}`;
}

/** A describe() text and what it was made from. */
interface Described {
  readonly instrument: string;
  readonly total: number;
  readonly percent: number | undefined;
  readonly band: string | undefined;
  readonly text: string;
}

/**
 * describe(result, subscale) for one condition, remembered by total for results without a subscale: most
 * results repeat a few dozen totals, and a remembered text is one string, not a new one per student.
 */
export class Remembered {
  private readonly texts: (Described | undefined)[] = [];

  constructor(private readonly subscale: string | undefined) {}

  describe(r: Scored): string {
    const total = r.total;
    if (this.subscale || !(total >= 0 && total < 256 && (total | 0) === total)) return describe(r, this.subscale);
    const hit = this.texts[total];
    if (hit !== undefined && hit.instrument === r.instrument && hit.percent === r.percent && hit.band === r.band) return hit.text;
    const text = describe(r, undefined);
    this.texts[total] = { instrument: r.instrument, total, percent: r.percent, band: r.band, text };
    return text;
  }
}

/**
 * The evidence of a critical condition ("phq9 critical answer: q9"), remembered for the last frozen critical
 * list: those from the score step are shared frozen arrays, so the last text is usually the one.
 */
export class CriticalText {
  private last: readonly string[] | undefined = undefined;
  private lastText = "";

  constructor(
    private readonly instrument: string,
    private readonly item: string | undefined,
  ) {}

  of(critical: readonly string[]): string {
    if (critical === this.last) return this.lastText;
    const hits: string[] = [];
    for (const id of critical) if (this.item === undefined || id === this.item) hits.push(id);
    const text = `${this.instrument} critical answer: ${hits.join(", ")}`;
    if (Object.isFrozen(critical)) {
      this.last = critical;
      this.lastText = text;
    }
    return text;
  }
}

/**
 * fuse.ts's change since the previous wave for the policy's instruments: for each one scored in both
 * waves, with a direction and a usable reference (SD > 0, 0 ≤ reliability < 1), the reliable change index,
 * and the WHO-5 percentage-point change where both waves have a percentage. Sets `outcome.change` to the
 * changes by instrument id and `outcome.deteriorated` to the ids of those reliably worse, in the same order.
 */
export type CompiledChanges = (
  now: Readonly<Record<string, ScoreResult>>,
  before: Readonly<Record<string, ScoreResult>>,
  instruments: ReadonlyMap<string, Instrument>,
  reference: FuseContext["changeReference"],
  outcome: ChangeOutcome,
) => void;

export interface ChangeOutcome {
  change: Record<string, InstrumentChange>;
  deteriorated: readonly string[];
}

/**
 * Compiles the change step for the policy's `change` list (instrument ids; an id listed twice counts
 * once), one straight block per instrument that reads its results and reference by name. Without a usable
 * reference (no SD yet, or a degenerate wave) an instrument reports no change rather than a guess.
 */
export function compileChanges(ids: readonly string[]): CompiledChanges {
  const unique = [...new Set(ids)];
  const memos = unique.map((id) => new Changes(id));
  const steps = unique.map((id, k) => {
    const key = literal(id);
    return [
      `n = now[${key}]; b = before[${key}];`,
      `if (n?.kind === "scored" && b?.kind === "scored") {`,
      `d = M${k}.directionIn(instruments); ref = reference[${key}];`,
      `if (d !== undefined && d !== "none" && ref && ref.sd > 0 && ref.reliability >= 0 && ref.reliability < 1) {`,
      `out[${key}] = M${k}.of(b, n, ref.sd, ref.reliability, d);`,
      `if (M${k}.worse) worse = worse.length === 0 ? [${key}] : [...worse, ${key}];`,
      "}",
      "}",
    ].join(" ");
  });
  const source = [
    '"use strict";',
    ...memos.map((_m, k) => `const M${k} = memos[${k}];`),
    "return function changes(now, before, instruments, reference, outcome) {",
    "const out = {};",
    "let n, b, ref, d, worse = EMPTY;",
    ...steps,
    "outcome.change = out; outcome.deteriorated = worse;",
    "};",
  ].join("\n");
  // The source is built above with policy data as literals only.
  return new Function("memos", "EMPTY", source)(memos, EMPTY) as CompiledChanges;
}

/** Totals below this (in both waves) have their change remembered. */
const REMEMBERED_TOTALS = 64;

/** Whether a total is one whose changes are remembered (a whole number, not -0, which a change would show). */
const remembered = (total: number): boolean => total >= 0 && total < REMEMBERED_TOTALS && (total | 0) === total && !Object.is(total, -0);

/** `ChangeTable.state` of a pair of totals: nothing kept (0), a change without percentage points, one with them; WORSE is a bit. */
const KEPT = 1;
const KEPT_PERCENTS = 2;
const WORSE = 4;

/** The changes remembered under one reference, by pair of totals, in flat arrays. */
class ChangeTable {
  readonly state = new Uint8Array(REMEMBERED_TOTALS * REMEMBERED_TOTALS);
  readonly kept: (InstrumentChange | undefined)[] = new Array<undefined>(REMEMBERED_TOTALS * REMEMBERED_TOTALS).fill(undefined);
  /** The two percentages of each change kept with percentage points (made when the first one is kept). */
  beforePercent: Float64Array | undefined = undefined;
  afterPercent: Float64Array | undefined = undefined;

  constructor(
    readonly sd: number,
    readonly reliability: number,
    readonly direction: string,
  ) {}
}

/** References remembered at once per instrument (a district's waves pair up a few ways). */
const TABLES = 4;

/**
 * One instrument's change between two scored results. A wave repeats the same pairs of totals under one
 * reference, and the change is a function of the two totals, the reference and, for WHO-5, the two
 * percentages, so the changes of the last few references are remembered by the pair of totals, in flat
 * arrays (a wave's lookups go to a few cache lines rather than to scattered objects). A remembered change is
 * frozen and shared, like score.ts's common results.
 */
class Changes {
  private readonly tables: ChangeTable[] = [];
  private next = 0;
  /** Whether the change `of` gave last is reliably worse (the compiled step reads it right after). */
  worse = false;
  /** The map `directionIn` looked in last, and the direction it found (a map is data: FuseContext.instruments). */
  private map: ReadonlyMap<string, Instrument> | undefined = undefined;
  private mapDirection: Instrument["direction"] | undefined = undefined;

  constructor(private readonly id: string) {}

  /** The direction of the instrument the map has under this id, or undefined when it has none. */
  directionIn(instruments: ReadonlyMap<string, Instrument>): Instrument["direction"] | undefined {
    if (instruments !== this.map) {
      this.map = instruments;
      this.mapDirection = instruments.get(this.id)?.direction;
    }
    return this.mapDirection;
  }

  of(before: Scored, now: Scored, sd: number, reliability: number, direction: "symptom" | "wellbeing"): InstrumentChange {
    const x1 = before.total;
    const x2 = now.total;
    const p1 = before.percent;
    const p2 = now.percent;
    const index = remembered(x1) && remembered(x2) ? x1 * REMEMBERED_TOTALS + x2 : -1;
    const table = this.table(sd, reliability, direction);
    // A change has percentage points when both results have a percentage.
    const percents = p1 !== undefined && p2 !== undefined;
    if (index >= 0) {
      const state = table.state[index]!;
      const kept = state & ~WORSE;
      if (kept === KEPT ? !percents : kept === KEPT_PERCENTS && Object.is(table.beforePercent![index], p1) && Object.is(table.afterPercent![index], p2)) {
        this.worse = (state & WORSE) !== 0;
        return table.kept[index]!;
      }
    }
    const rci = reliableChangeIndex({ before: x1, after: x2, sd, reliability, direction });
    const change: InstrumentChange = percents ? { before: x1, after: x2, rci, percentPoints: who5PercentChange(p1, p2) } : { before: x1, after: x2, rci };
    this.worse = rci.direction === "deteriorated";
    if (index < 0) return change;
    Object.freeze(rci);
    if (change.percentPoints) Object.freeze(change.percentPoints);
    table.kept[index] = Object.freeze(change);
    // A Float64Array keeps a number exactly; a percentage that is not a number (a result from elsewhere)
    // is kept as the number it counts as in the change, and found only by that number.
    if (percents) {
      (table.beforePercent ??= new Float64Array(REMEMBERED_TOTALS * REMEMBERED_TOTALS))[index] = p1;
      (table.afterPercent ??= new Float64Array(REMEMBERED_TOTALS * REMEMBERED_TOTALS))[index] = p2;
    }
    table.state[index] = (percents ? KEPT_PERCENTS : KEPT) | (this.worse ? WORSE : 0);
    return change;
  }

  /** The table of this reference; a new one replaces the oldest when there are TABLES already. */
  private table(sd: number, reliability: number, direction: string): ChangeTable {
    const tables = this.tables;
    for (let i = 0; i < tables.length; i++) {
      const t = tables[i]!;
      if (t.sd === sd && t.reliability === reliability && t.direction === direction) return t;
    }
    const t = new ChangeTable(sd, reliability, direction);
    if (tables.length < TABLES) tables.push(t);
    else {
      tables[this.next] = t;
      this.next = (this.next + 1) % TABLES;
    }
    return t;
  }
}
