/**
 * Instrument plans: what the score step (score.ts) and the response checks (validity.ts) need of one
 * instrument, worked out once from its data, and `loadAnswers`, which reads one answers object into the
 * plan's slots, and `readAnswers`, which also works out in the same pass what the score and validity steps
 * need (the facts).
 *
 * Why a plan: both steps run once per student per instrument, and a district screens hundreds of
 * thousands of students a wave. Walking the instrument data per answer (Sets, Maps, closures, item-id
 * lookups) cost far more than the arithmetic. A plan numbers the items (slots), turns option values into
 * point tables (reverse keys applied) and item references (showIf, subscales, ASQ questions) into slot
 * numbers, so the per-response work is one loop over small arrays. Plans hold no answers between calls:
 * every read overwrites the facts and, unless it gives a shared result, the slots, and each step uses them
 * before it returns (nothing here calls out to code that could start another read).
 *
 * Well-formed answers (a plain object, every key an item, every value an option, nothing required left
 * blank) are read by a reader compiled from the plan (`compileReader`): most of a wave's responses are
 * such, and reading them by name in straight-line code takes less than half the time of the general
 * loop, which reads everything else.
 */
import type { Instrument, Item, OptionValue } from "../instruments/schema";
import { numericOptions } from "../instruments/schema";
import type { AnswerValue, ScoreProblem, ScoreResult } from "./score";
import { literal } from "./source";

/** Item types, as small integers for the hot loops. */
const SINGLE = 0;
const MULTI = 1;
const TEXT = 2;
const NUMBER = 3;
const TYPE_CODE: Record<Item["type"], number> = { single: SINGLE, multi: MULTI, text: TEXT, number: NUMBER };

/** Straight-lining sides: all rated items at their lowest (MIN) or highest (MAX) option, or neither. */
export const NONE = 0;
export const MIN = 1;
export const MAX = 2;

/** Option ranges wider than this get no point table (they are looked up in `points` instead). */
const MAX_TABLE_SPAN = 64;
/** In a point table: the value is not an option. */
const NOT_AN_OPTION = -(2 ** 31);

/** One item of a plan. A class, so every item plan has the same shape and property reads stay fast. */
class ItemPlan {
  readonly id: string;
  readonly item: Item;
  readonly type: number;
  readonly required: boolean;
  readonly scored: boolean;
  /** Option values in the order the instrument lists them (single and multi items). */
  readonly options: readonly OptionValue[];
  /**
   * Single-choice items with integer options in a compact range: `table[value - low]` is the item's points
   * after reverse keying (0 for unscored items), NOT_AN_OPTION for a value that is not an option. Null
   * otherwise. Whole numbers, so the hot loop adds integers.
   */
  readonly table: Int32Array | null;
  readonly low: number;
  /** Option value → points, for scored items (also when `table` covers them). */
  readonly points: ReadonlyMap<number, number> | null;
  readonly critical: readonly OptionValue[] | null;
  readonly concern: readonly OptionValue[] | null;
  /** Slots of the earlier items that decide whether this item is shown; null when it is always shown. */
  readonly showIf: Int32Array | null;
  readonly showIfAnyIn: readonly OptionValue[];
  /** For straight-lining: the lowest and highest option value of a scored single item. */
  readonly min: number;
  readonly max: number;
  readonly attention: OptionValue | undefined;
  /** A scored single-choice item of a scale with three or more of them (straight-lining looks at these). */
  readonly rated: boolean;
  /** This item's bit in `InstrumentPlan.criticalMask` (0 when not critical). */
  readonly criticalBit: number;
  /** `criticalBit` by table index (integer options) or by option index (string options): the critical answers. */
  readonly criticalBits: readonly number[];
  /** A single-choice item whose options are all strings (ASQ): answers are found by option index. */
  readonly stringOptions: boolean;
  /** Required and shown whatever the other answers are (1), or not (0). */
  readonly requiredAlways: number;
  /** The item's id names a property of Object.prototype ("constructor"): read it by name when not an own key. */
  readonly inherited: boolean;

  constructor(inst: Instrument, item: Item, slotOf: ReadonlyMap<string, number>, rated: boolean, criticalBit: number) {
    this.id = internalize(item.id);
    this.item = item;
    this.type = TYPE_CODE[item.type];
    this.required = !item.optional;
    this.scored = item.scored;
    this.options = item.type === "single" || item.type === "multi" ? (item.options ?? inst.options ?? []).map((o) => o.value) : [];
    const numbers = numericOptions(inst, item);
    const [min, max] = numbers.length > 0 ? [Math.min(...numbers), Math.max(...numbers)] : [NaN, NaN];
    this.min = min;
    this.max = max;
    const score = (v: number): number => (item.scored ? (item.reverse ? max + min - v : v) : 0);
    this.points = item.scored ? new Map(numbers.map((v) => [v, score(v)])) : null;
    const integers = this.options.length > 0 && numbers.length === this.options.length;
    if (item.type === "single" && integers && max - min <= MAX_TABLE_SPAN && numbers.every((v) => Math.abs(score(v)) < 2 ** 30)) {
      this.low = min;
      const table = new Int32Array(max - min + 1).fill(NOT_AN_OPTION);
      for (const v of numbers) table[v - min] = score(v);
      this.table = table;
    } else {
      this.low = 0;
      this.table = null;
    }
    this.critical = item.critical ? item.critical.anyOf : null;
    this.concern = item.concern ? item.concern.anyOf : null;
    this.showIf = item.showIf ? Int32Array.from(item.showIf.items, (ref) => slotOf.get(ref) ?? -1) : null;
    this.showIfAnyIn = item.showIf ? item.showIf.anyIn : [];
    this.attention = item.attention?.expected;
    this.rated = rated;
    this.criticalBit = criticalBit;
    const critical = this.critical;
    const table = this.table;
    this.stringOptions = item.type === "single" && this.options.length > 0 && this.options.every((v) => typeof v === "string");
    this.criticalBits =
      critical === null ? [] : table !== null ? Array.from(table, (_points, i) => (critical.includes(this.low + i) ? criticalBit : 0)) : this.options.map((v) => (critical.includes(v) ? criticalBit : 0));
    this.requiredAlways = !item.optional && !item.showIf ? 1 : 0;
    this.inherited = this.id in Object.prototype;
  }
}

/** A compiled instrument. `vals` are the answers of the last `loadAnswers` call, by slot. */
export class InstrumentPlan {
  readonly inst: Instrument;
  // The instrument's id, scoring method and direction, read here rather than from the instrument data:
  // each instrument object has its own hidden class, so reading its fields where several instruments pass
  // is a slow (megamorphic) property load; every plan has the same class.
  readonly id: string;
  readonly method: Instrument["scoring"]["method"];
  readonly direction: Instrument["direction"];
  readonly items: readonly ItemPlan[];
  /** Item ids by slot, the same string objects as the items' ids. */
  readonly ids: readonly string[];
  readonly slotOf: ReadonlyMap<string, number>;
  readonly scored: Int32Array;
  readonly critical: Int32Array;
  readonly concern: Int32Array;
  readonly subscales: readonly SubscalePlan[];
  /** Slots of the rated items (straight-lining). */
  readonly rated: Int32Array;
  readonly attention: Int32Array;
  /** Frozen critical-item lists by bit mask of the critical slots, made on first use (instruments with few critical items). */
  readonly criticalLists: (readonly string[] | undefined)[];
  /** More critical items than `criticalMask` has bits for: critical lists are worked out item by item. */
  readonly manyCritical: boolean;
  /** Sum scoring: the flags (WHO-5 "item-low") and frozen flag lists by bit mask, made on first use. */
  readonly flags: readonly { readonly id: string; readonly anyItemIn: readonly number[] }[];
  readonly flagLists: (readonly string[] | undefined)[];
  /** Sum scoring: the bands of the total, the percentage factor, and how many blanks are allowed before what. */
  readonly bands: readonly { readonly id: string; readonly min: number; readonly max: number }[] | undefined;
  readonly percentFactor: number | undefined;
  readonly missingAllowed: number;
  readonly missingBeyond: "incomplete" | "invalid";
  /** ASQ scoring: the band ids (negative, non-acute positive, acute positive). */
  readonly asqBands: readonly string[];
  /** ASQ scoring: the slots of questions 1-4 and of the acuity question (-1 when absent). */
  readonly asqScreen: Int32Array;
  readonly asqAcuity: number;
  /** The highest possible total (sum of each scored item's highest option, at least 0 each), for severity. */
  readonly maxTotal: number;
  /** Totals 0 … totals - 1 are the ones a result can be shared for (score.ts `commonResult`). */
  readonly totals: number;
  /**
   * Whether results are shared (score.ts `commonResult`): the plan has at most 8 critical items and 8
   * flags, and few enough totals, critical lists and flag lists (`commonIndex`).
   */
  readonly sharesResults: boolean;
  /** Shared frozen results by `commonIndex`. */
  readonly common: (ScoreResult | undefined)[] = [];
  /** The bits of the flags raised by the answers just scored (set by score.ts `flagsOf`; 0 for a plan without flags). */
  flagMask = 0;
  /** The answers of the last read, by slot (not kept by a compiled reader that returns a shared result). */
  readonly vals: unknown[];
  /**
   * `readAnswers` for this plan: its compiled reader (`compileReader`), or the general read when it has
   * none. A compiled reader also returns the answers' score result when it is a shared one already made
   * (score.ts `commonResult`), and undefined otherwise.
   */
  readonly read: (plan: InstrumentPlan, given: unknown) => ScoreResult | undefined;
  /** Whether `read` is a compiled reader. */
  readonly compiled: boolean;
  /** `seen[slot] === stamp` when the last read found the item as an own enumerable key. */
  readonly seen: number[];
  stamp = 0;

  // The facts of the last `readAnswers` call.
  /** Own enumerable keys that are not item ids. */
  unknown = 0;
  /** Every own key holds a blank or an acceptable value (no problem to report). */
  valuesOk = true;
  /** The sum of the scored items' points after reverse keys (NaN when a number is not an option). */
  total = 0;
  /** Answered items other than free text (the speed check counts these). */
  answered = 0;
  /** Bits (`criticalBit`) of the items with a critical answer. */
  criticalMask = 0;
  /** All rated items at their lowest (MIN) or highest (MAX) option; NONE otherwise. */
  side = NONE;
  attentionFailed = false;
  /** Required items that are shown. */
  required = 0;
  /** Required, shown items left blank, in item order. */
  missing: string[] | undefined = undefined;
  /** Required, shown scored items without a number, in item order (what sum scoring calls missing). */
  scoredMissing: string[] | undefined = undefined;

  constructor(inst: Instrument) {
    this.inst = inst;
    this.id = inst.id;
    this.method = inst.scoring.method;
    this.direction = inst.direction;
    const slotOf = new Map<string, number>();
    inst.items.forEach((item, slot) => {
      if (!slotOf.has(item.id)) slotOf.set(internalize(item.id), slot);
    });
    this.slotOf = slotOf;
    const isRated = (item: Item) => item.scored && item.type === "single";
    const rated = inst.items.filter(isRated).length >= 3;
    let criticals = 0;
    this.items = inst.items.map((item) => new ItemPlan(inst, item, slotOf, rated && isRated(item), item.critical ? 1 << Math.min(criticals++, 31) : 0));
    this.manyCritical = criticals > 30;
    this.ids = this.items.map((p) => p.id);
    const slots = (keep: (p: ItemPlan) => boolean) => Int32Array.from(this.items.flatMap((p, slot) => (keep(p) ? [slot] : [])));
    this.scored = slots((p) => p.points !== null);
    this.critical = slots((p) => p.critical !== null);
    this.concern = slots((p) => p.concern !== null);
    this.attention = slots((p) => p.attention !== undefined);
    this.rated = slots((p) => p.rated);
    this.subscales = inst.subscales.map((sub) => ({
      id: sub.id,
      level: sub.level,
      bands: sub.bands,
      slots: Int32Array.from(this.items.flatMap((p, slot) => (p.points !== null && sub.items.includes(p.id) ? [slot] : []))),
    }));
    this.criticalLists = this.critical.length <= 8 ? new Array<undefined>(1 << this.critical.length).fill(undefined) : [];
    const scoring = inst.scoring;
    this.flags = scoring.method === "sum" ? scoring.flags : [];
    this.flagLists = this.flags.length <= 8 ? new Array<undefined>(1 << this.flags.length).fill(undefined) : [];
    this.bands = scoring.method === "sum" ? scoring.bands : undefined;
    this.percentFactor = scoring.method === "sum" ? scoring.percentFactor : undefined;
    this.missingAllowed = scoring.method === "sum" ? scoring.missing.allowed : 0;
    this.missingBeyond = scoring.method === "sum" ? scoring.missing.beyond : "incomplete";
    this.asqBands = scoring.method === "asq" ? scoring.bands.map((b) => b.id) : [];
    this.asqScreen = scoring.method === "asq" ? Int32Array.from(scoring.screen, (id) => slotOf.get(id) ?? -1) : new Int32Array(0);
    this.asqAcuity = scoring.method === "asq" ? (slotOf.get(scoring.acuity) ?? -1) : -1;
    this.maxTotal = inst.items.filter((it) => it.scored).reduce((sum, it) => sum + Math.max(0, ...numericOptions(inst, it)), 0);
    // An ASQ total counts positive answers, one per item at most.
    this.totals = (scoring.method === "asq" ? inst.items.length : this.maxTotal) + 1;
    const lists = this.criticalLists.length * this.flagLists.length;
    this.sharesResults = lists > 0 && this.totals * lists <= MAX_COMMON;
    this.vals = new Array<unknown>(this.items.length).fill(undefined);
    this.seen = new Array<number>(this.items.length).fill(0);
    const reader = compileReader(this);
    this.read = reader ?? readGeneral;
    this.compiled = reader !== null;
  }
}

/** Shared results kept per plan at most (a plan's totals × critical lists × flag lists beyond this are not kept). */
const MAX_COMMON = 4096;

/**
 * Where the shared result of a total (a whole number, 0 ≤ total < `plan.totals`), critical mask and flag
 * mask is kept in `plan.common`, for a plan that `sharesResults`. The compiled reader works out the same
 * index in its source.
 */
export function commonIndex(plan: InstrumentPlan, total: number, criticalMask: number, flagMask: number): number {
  return (total * plan.criticalLists.length + criticalMask) * plan.flagLists.length + flagMask;
}

/** ASQ toolkit: "yes", and for youth a refusal, count as positive. */
const ASQ_POSITIVE: readonly string[] = ["yes", "refused"];
export const isAsqPositive = (value: unknown): boolean => typeof value === "string" && ASQ_POSITIVE.includes(value);

interface SubscalePlan {
  readonly id: string;
  readonly level: string | undefined;
  readonly bands: readonly { readonly id: string; readonly min: number; readonly max: number }[] | undefined;
  readonly slots: Int32Array;
}

/**
 * Returns the string as V8 keeps property names (internalized), so comparing it with a property key seen
 * in `for…in` is one pointer comparison rather than a character loop.
 */
function internalize(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}

const RING = 16;
const ringInst: (Instrument | undefined)[] = new Array<undefined>(RING).fill(undefined);
const ringPlan: (InstrumentPlan | undefined)[] = new Array<undefined>(RING).fill(undefined);
let ringNext = 0;
const plans = new WeakMap<Instrument, InstrumentPlan>();

/**
 * The plan of an instrument, built on first use. The last few instruments are found by identity in a small
 * ring (a WeakMap lookup per instrument per response was a measurable share of the scoring time).
 */
export function planOf(inst: Instrument): InstrumentPlan {
  for (let i = 0; i < RING; i++) if (ringInst[i] === inst) return ringPlan[i]!;
  let plan = plans.get(inst);
  if (!plan) {
    plan = new InstrumentPlan(inst);
    plans.set(inst, plan);
  }
  ringInst[ringNext] = inst;
  ringPlan[ringNext] = plan;
  ringNext = (ringNext + 1) % RING;
  return plan;
}

const hasOwn = Object.prototype.hasOwnProperty;
const objectPrototype = Object.prototype;
const nothing: Readonly<Record<string, never>> = Object.freeze({});

/** Whether some code made a property of Object.prototype enumerable (then `for…in` must skip inherited keys). */
function prototypePolluted(): boolean {
  for (const _ in nothing) return true;
  return false;
}

/**
 * Reads `given[itemId]` for every item into `plan.vals` and returns how many own enumerable keys of
 * `given` are not item ids. `vals` then hold exactly what reading `given[item.id]` gives, and `seen`
 * marks the items that are own enumerable keys (the keys `Object.keys` lists).
 *
 * Own keys are read in one `for…in` pass; a response object lists its items in item order, so the next
 * expected id is tried before the id → slot map. Answers are data (parsed JSON or object literals): an own
 * property that is not enumerable is not an answer.
 */
export function loadAnswers(plan: InstrumentPlan, given: unknown): number {
  const vals = plan.vals;
  const ids = plan.ids;
  const seen = plan.seen;
  const n = ids.length;
  let stamp = plan.stamp + 1;
  // Stamps stay small integers (V8 keeps them unboxed in `seen`).
  if (stamp > 0x3ffffff0) {
    seen.fill(0);
    stamp = 1;
  }
  plan.stamp = stamp;
  const source = given as Record<string, unknown>;
  let unknown = 0;
  // A plain object (what JSON and object literals give) lists only own keys in `for…in`, and has no other
  // properties to find except those Object.prototype itself has; any other object is checked key by key
  // and its other items read by name, as property access would.
  const plain = given === null || given === undefined || plainPrototype(given);
  if (given !== null && given !== undefined) {
    let next = 0;
    for (const key in source) {
      if (!plain && !hasOwn.call(source, key)) continue;
      let slot = next;
      if (slot >= n || ids[slot] !== key) {
        const found = plan.slotOf.get(key);
        if (found === undefined) {
          unknown += 1;
          continue;
        }
        slot = found;
      }
      vals[slot] = source[key];
      seen[slot] = stamp;
      next = slot + 1;
    }
  }
  // Items that are not own enumerable keys.
  for (let slot = 0; slot < n; slot++) {
    if (seen[slot] !== stamp) vals[slot] = plain && !plan.items[slot]!.inherited ? undefined : source[ids[slot]!];
  }
  return unknown;
}

/** Whether `for…in` over `given` lists own keys only, and a key it does not list is not inherited either. */
export function plainPrototype(given: unknown): boolean {
  const proto: unknown = Object.getPrototypeOf(given);
  return (proto === objectPrototype || proto === null) && !prototypePolluted();
}

/** Blank: not answered (null, missing, empty text or an empty list). */
export function isBlank(value: unknown): boolean {
  return value === null || value === undefined || value === "" || (Array.isArray(value) && value.length === 0);
}

/** Whether the value, or any element of a list value, is one of `anyOf` (SameValueZero, as Set and includes compare). */
export function matchesAny(value: unknown, anyOf: readonly OptionValue[]): boolean {
  if (value === null || value === undefined) return false;
  if (!Array.isArray(value)) return isOneOf(anyOf, value);
  for (const v of value as unknown[]) if (isOneOf(anyOf, v)) return true;
  return false;
}

/** Whether the value is one of `anyOf`, compared as SameValueZero (as `Set.has` and `includes` do). */
function isOneOf(anyOf: readonly OptionValue[], value: unknown): boolean {
  for (let i = 0; i < anyOf.length; i++) {
    const a = anyOf[i];
    if (a === value || (a !== a && value !== value)) return true;
  }
  return false;
}

/** Whether the item in `slot` is shown given the loaded answers (ASQ question 5 only after a positive 1-4). */
function shownAt(plan: InstrumentPlan, p: ItemPlan): boolean {
  const refs = p.showIf;
  if (refs === null) return true;
  for (let i = 0; i < refs.length; i++) {
    const slot = refs[i]!;
    if (slot >= 0 && matchesAny(plan.vals[slot], p.showIfAnyIn)) return true;
  }
  return false;
}

/** Points of a numeric answer to a scored item after reverse keying; NaN when it is not an option. */
export function pointsOf(p: ItemPlan, value: number): number {
  const points = p.points!.get(value);
  return points === undefined ? NaN : points;
}

/**
 * Reads `given` into the plan (`loadAnswers`) and works out its facts in one pass over the items, in item
 * order: whether every own value is acceptable, the total, the critical items, what the validity checks
 * count, and the missing items. The score and validity steps read these instead of walking the items again.
 * Well-formed answers are read by the plan's compiled reader, everything else by the loops below. Returns
 * the answers' score result when the compiled reader found it already made (shared); then the slots are
 * not loaded, and the answers' result is that one.
 */
export function readAnswers(plan: InstrumentPlan, given: unknown): ScoreResult | undefined {
  return plan.read(plan, given);
}

/** `readAnswers` by the loops below, for any answers (it never returns a result). */
function readGeneral(plan: InstrumentPlan, given: unknown): undefined {
  plan.unknown = loadAnswers(plan, given);
  const { vals, seen, stamp, items } = plan;
  let valuesOk = true;
  let total = 0;
  let answered = 0;
  let criticalMask = 0;
  let atMin = true;
  let atMax = true;
  let attentionFailed = false;
  let required = 0;
  let missing: string[] | undefined;
  let scoredMissing: string[] | undefined;
  for (let slot = 0; slot < items.length; slot++) {
    const p = items[slot]!;
    const value = vals[slot];
    const table = p.table;
    // The two common cases first: a number for an item with integer options, a string for one with
    // string options (ASQ), each an option; then anything else.
    // (Booleans are compared with `=== true`: a bare truthiness test compiles to a check of every falsy kind.)
    if (typeof value === "number" && table !== null) {
      const i = value - p.low;
      if (i >= 0 && i < table.length && (i | 0) === i) {
        const points = table[i]!;
        if (points !== NOT_AN_OPTION) {
          if (p.scored === true) total += points;
          answered += 1;
          if (p.criticalBit !== 0) criticalMask |= p.criticalBits[i]!;
          if (p.rated === true) {
            atMin &&= value === p.min;
            atMax &&= value === p.max;
          }
          if (p.attention !== undefined && value !== p.attention) attentionFailed = true;
          if (p.requiredAlways === 1) required += 1;
          else if (p.required === true && shownAt(plan, p)) required += 1;
          continue;
        }
      }
    } else if (typeof value === "string" && p.stringOptions === true) {
      const options = p.options;
      let o = 0;
      while (o < options.length && options[o] !== value) o++;
      if (o < options.length) {
        answered += 1;
        if (p.criticalBit !== 0) criticalMask |= p.criticalBits[o]!;
        if (p.rated === true) atMin = atMax = false;
        if (p.attention !== undefined && value !== p.attention) attentionFailed = true;
        if (p.requiredAlways === 1) required += 1;
        else if (p.required === true && shownAt(plan, p)) required += 1;
        continue;
      }
    }
    const blank = isBlank(value);
    if (!blank) {
      if (p.type !== TEXT) answered += 1;
      if (valuesOk && seen[slot] === stamp && valueProblem(p, value as AnswerValue) !== undefined) valuesOk = false;
    }
    // A number that is not an option: an own value is a problem (above); an inherited one makes the total NaN.
    if (p.scored && typeof value === "number") total += pointsOf(p, value);
    if (p.criticalBit !== 0 && matchesAny(value, p.critical!)) criticalMask |= p.criticalBit;
    if (p.rated) {
      const isNumber = typeof value === "number";
      atMin &&= isNumber && value === p.min;
      atMax &&= isNumber && value === p.max;
    }
    if (p.attention !== undefined && value !== p.attention) attentionFailed = true;
    if (p.required && (p.showIf === null || shownAt(plan, p))) {
      required += 1;
      if (blank) (missing ??= []).push(p.id);
      if (p.scored && typeof value !== "number") (scoredMissing ??= []).push(p.id);
    }
  }
  plan.valuesOk = valuesOk;
  plan.total = total;
  plan.answered = answered;
  plan.criticalMask = criticalMask;
  plan.side = plan.rated.length === 0 ? NONE : atMax ? MAX : atMin ? MIN : NONE;
  plan.attentionFailed = attentionFailed;
  plan.required = required;
  plan.missing = missing;
  plan.scoredMissing = scoredMissing;
  return undefined;
}

const MAX_TEXT = 10_000;

/** Why the value is not acceptable for the item (not an option, wrong type, too long, out of range), or undefined. */
export function valueProblem(p: ItemPlan, value: AnswerValue): ScoreProblem | undefined {
  const item = p.item;
  switch (p.type) {
    case SINGLE:
      if (typeof value !== "number" && typeof value !== "string") return wrongType(item, "one option value");
      return isOption(p, value) ? undefined : outOfRange(p, value);
    case MULTI: {
      if (!Array.isArray(value)) return wrongType(item, "a list of option values");
      for (const v of value) if (!isOption(p, v)) return outOfRange(p, v);
      return new Set(value).size === value.length ? undefined : { code: "out-of-range", item: item.id, message: `${item.id}: an option is repeated` };
    }
    case TEXT:
      if (typeof value !== "string") return wrongType(item, "text");
      return value.length <= MAX_TEXT ? undefined : { code: "out-of-range", item: item.id, message: `${item.id}: text longer than ${MAX_TEXT} characters` };
    case NUMBER:
    default:
      if (typeof value !== "number" || !Number.isInteger(value)) return wrongType(item, "a whole number");
      return value >= (item.min ?? -Infinity) && value <= (item.max ?? Infinity)
        ? undefined
        : { code: "out-of-range", item: item.id, message: `${item.id}: ${value} is outside ${item.min}..${item.max}` };
  }
}

function wrongType(item: Item, expected: string): ScoreProblem {
  return { code: "wrong-type", item: item.id, message: `${item.id} expects ${expected}` };
}

function outOfRange(p: ItemPlan, value: unknown): ScoreProblem {
  const allowed = p.options.map((a) => JSON.stringify(a)).join(", ");
  return { code: "out-of-range", item: p.id, message: `${p.id}: ${JSON.stringify(value)} is not one of ${allowed}` };
}

/** Whether the value is one of the item's options (SameValueZero, as a Set of the options would say). */
function isOption(p: ItemPlan, value: unknown): boolean {
  return isOneOf(p.options, value);
}

/**
 * Compiles the plan's reader: `readAnswers` for this plan, as JavaScript source with one straight block per
 * item, each reading its answer by name, so V8 sees the same few object shapes at each read and one known
 * item at each check, where the general loop sees every instrument's items and answers at the same places.
 *
 * It reads a plain object (prototype Object.prototype or null) whose every key is an item id with an
 * acceptable answer, and whose every required, shown item is answered; on anything else (a blank required
 * item, a value that is not an option, a key that is not an item) it hands the answers to the general
 * read. Counting the keys `for…in` lists also catches an enumerable property added to Object.prototype:
 * unless it is an item id, it is one key too many; if it is, reading the item by name finds it, as the
 * general read does for such objects.
 *
 * Instrument data reaches the source only through source.ts `literal`. Returns null
 * for a plan with an item the reader does not know (whole numbers, lists, scored string options or text,
 * text with critical or attention answers, ids Object.prototype has).
 */
function compileReader(plan: InstrumentPlan): InstrumentPlan["read"] | null {
  const bail = "return general(plan, given);";
  const body: string[] = [];
  const later: string[] = [];
  // What every well-formed answers object has: a required, always-shown item is given (or the read bails),
  // so its key, its answer and its "required" are counted here, once, rather than at each read.
  let present = 0;
  let answered = 0;
  let required = 0;
  // Straight-lining: the rated items' table indexes are added up; all at the lowest option is a sum of 0,
  // all at the highest is the sum of their highest indexes.
  let highest = 0;
  for (let slot = 0; slot < plan.items.length; slot++) {
    const p = plan.items[slot]!;
    const numbered = p.type === SINGLE && p.table !== null;
    const named = p.type === SINGLE && p.stringOptions && !p.scored;
    const text = p.type === TEXT && !p.scored && p.criticalBit === 0 && p.attention === undefined;
    if ((!numbered && !named && !text) || p.inherited) return null;
    const v = `v${slot}`;
    // A required, always-shown item is counted above; the read bails when it is blank.
    const always = p.requiredAlways === 1;
    if (always) {
      present++;
      required++;
      if (!text) answered++;
    }
    const whenGiven: string[] = always ? [] : ["present++;"];
    const answer = always ? [] : ["answered++;"];
    if (numbered) {
      whenGiven.push(`const i = ${v} - ${literal(p.low)};`, `if (!(i >= 0 && i < ${p.table!.length} && (i | 0) === i)) ${bail}`);
      // Options 0, 1, 2, 3 (or reverse-keyed) need no table: their points are a line through the index.
      const line = straightLine(p.table!);
      if (line === null) whenGiven.push(`const points = T${slot}[i];`, `if (points === ${NOT_AN_OPTION}) ${bail}`);
      whenGiven.push(...answer);
      if (p.scored) whenGiven.push(line === null ? "total += points;" : `total += ${literal(line.at)} + ${literal(line.step)} * i;`);
      if (p.criticalBit !== 0) whenGiven.push(criticalRange(p) ?? `criticalMask |= C${slot}[i];`);
      // The table runs from the lowest option (index 0) to the highest (its last index).
      if (p.rated) {
        whenGiven.push("ratedSum += i;");
        highest += p.table!.length - 1;
      }
    } else if (named) {
      whenGiven.push("let o = 0;", p.options.map((o, i) => `if (${v} === ${literal(o)}) o = ${i};`).join(" else ") + ` else ${bail}`, ...answer);
      if (p.criticalBit !== 0) whenGiven.push(`criticalMask |= C${slot}[o];`);
    } else {
      // Free text counts as no answer for the speed check; an empty text is blank.
      whenGiven.push(`if (${v}.length > ${MAX_TEXT}) ${bail}`);
      if (always) whenGiven.push(`if (${v} === "") ${bail}`);
    }
    if (p.attention !== undefined) whenGiven.push(`if (${v} !== ${literal(p.attention)}) attentionFailed = true;`);
    const whenBlank: string[] = [];
    if (!always) {
      if (p.rated) whenBlank.push("blankRated = true;");
      if (p.attention !== undefined) whenBlank.push("attentionFailed = true;");
      if (p.required) later.push(`if (${shown(p)}) { if (${text ? `(${v} === undefined || ${v} === "")` : `${v} === undefined`}) ${bail} required++; }`);
    }
    const test = numbered ? `typeof ${v} === "number"` : `typeof ${v} === "string"`;
    const otherwise = always ? bail : `if (${v} !== undefined) ${bail}${whenBlank.length === 0 ? "" : ` else { ${whenBlank.join(" ")} }`}`;
    body.push(`const ${v} = given[${literal(p.id)}];`, `if (${test}) { ${whenGiven.join(" ")} } else ${otherwise}`);
  }
  const tables = plan.items.map((p) => p.table);
  const bits = plan.items.map((p) => p.criticalBits);
  const source = [
    '"use strict";',
    ...plan.items.map((_p, slot) => `const T${slot} = tables[${slot}], C${slot} = bits[${slot}];`),
    "return function read(plan, given) {",
    `if (typeof given !== "object" || given === null) ${bail}`,
    "const proto = getPrototypeOf(given);",
    `if (proto !== objectPrototype && proto !== null) ${bail}`,
    `let total = 0, answered = ${answered}, criticalMask = 0, ratedSum = 0, blankRated = false, attentionFailed = false, required = ${required}, present = ${present};`,
    ...body,
    ...later,
    "let keys = 0;",
    "for (const _ in given) keys++;",
    `if (keys !== present) ${bail}`,
    "plan.unknown = 0; plan.valuesOk = true; plan.total = total; plan.answered = answered; plan.criticalMask = criticalMask;",
    `plan.side = ${plan.rated.length === 0 ? NONE : `blankRated ? ${NONE} : ratedSum === ${highest} ? ${MAX} : ratedSum === 0 ? ${MIN} : ${NONE}`};`,
    "plan.attentionFailed = attentionFailed; plan.required = required; plan.missing = undefined; plan.scoredMissing = undefined;",
    ...sharedResult(plan),
    "const vals = plan.vals;",
    ...plan.items.map((_p, slot) => `vals[${slot}] = v${slot};`),
    "return undefined;",
    "};",
  ].join("\n");
  const read = new Function("tables", "bits", "common", "general", "getPrototypeOf", "objectPrototype", source);
  return read(tables, bits, plan.common, readGeneral, Object.getPrototypeOf, objectPrototype) as InstrumentPlan["read"];
}

/** The point table's entries as `at + step × index`, or null when they are not on one line (or not all options). */
function straightLine(table: Int32Array): { at: number; step: number } | null {
  const at = table[0]!;
  const step = table.length > 1 ? table[1]! - at : 0;
  return table.every((points, i) => points !== NOT_AN_OPTION && points === at + step * i) ? { at, step } : null;
}

/** A numbered item's critical answers as one test of the table index, when they are a range of it. */
function criticalRange(p: ItemPlan): string | null {
  const critical = p.criticalBits.flatMap((bit, i) => (bit !== 0 ? [i] : []));
  const first = critical[0];
  if (first === undefined || critical.some((i, k) => i !== first + k)) return null;
  return `if (i >= ${first} && i <= ${critical[critical.length - 1]}) criticalMask |= ${p.criticalBit};`;
}

/**
 * `shownAt` as an expression of the reader's locals, which hold only numbers, strings and undefined when
 * it is evaluated (anything else has gone to the general read), so comparing with `===` is what
 * `matchesAny` does.
 */
function shown(p: ItemPlan): string {
  const refs = [...(p.showIf ?? [])].filter((slot) => slot >= 0);
  const tests = refs.flatMap((slot) => p.showIfAnyIn.map((value) => `v${slot} === ${literal(value)}`));
  return p.showIf === null ? "true" : tests.length === 0 ? "false" : `(${tests.join(" || ")})`;
}

/**
 * The end of a compiled reader: the shared result of well-formed answers, when score.ts has made it, for
 * the results score.ts shares (`commonResult`). Those are a function of the total, the critical items and,
 * for WHO-5, the flags raised (the band and percentage are functions of the total), so the reader finds
 * the result by `commonIndex` from what it has just worked out: a sum scale without subscales (its flags
 * raised by the answers read), or an ASQ screen without an acute answer (its total the positive answers).
 * Anything else, or a result not made yet, falls through: the reader then keeps the answers in `vals` and
 * returns undefined, and the result is scored from the facts and the answers.
 */
function sharedResult(plan: InstrumentPlan): string[] {
  const found = (total: string, flagMask: string) =>
    `if (${total} >= 0 && ${total} < ${plan.totals}) { const hit = common[(${total} * ${plan.criticalLists.length} + criticalMask) * ${plan.flagLists.length} + ${flagMask}]; if (hit !== undefined) return hit; }`;
  const positive = (v: string) => `(${ASQ_POSITIVE.map((answer) => `${v} === ${literal(answer)}`).join(" || ")})`;
  if (!plan.sharesResults) return [];
  if (plan.method === "sum" && plan.subscales.length === 0) {
    const raised = plan.flags.flatMap((flag, f) =>
      Array.from(plan.scored, (slot) => `if (${flag.anyItemIn.map((value) => `v${slot} === ${literal(value)}`).join(" || ") || "false"}) flagMask |= ${1 << f};`),
    );
    return ["let flagMask = 0;", ...raised, found("total", "flagMask")];
  }
  if (plan.method === "asq") {
    const screened = Array.from(plan.asqScreen, (slot) => (slot < 0 ? "" : `if (${positive(`v${slot}`)}) screened++;`));
    const acuity = plan.asqAcuity < 0 ? "false" : positive(`v${plan.asqAcuity}`);
    return [`if (!${acuity}) {`, "let screened = 0;", ...screened, found("screened", "0"), "}"];
  }
  return [];
}
