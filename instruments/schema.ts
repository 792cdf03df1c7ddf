/**
 * The Instrument type: a questionnaire as plain data, validated by zod when it is loaded.
 *
 * Instruments carry everything scoring and rendering need (items, options with values, reverse keys,
 * subscales, bands, critical answers, conditions, licence and sources) so that `scoring/` and
 * `to-survey.ts` are small functions walking data, never code paths per instrument.
 */
import { z } from "zod";

/** Text in both languages XinQing ships. zh-CN is what students and staff see by default. */
export const Localized = z.strictObject({
  "zh-CN": z.string().min(1),
  en: z.string().min(1),
});
export type Localized = z.infer<typeof Localized>;

/** An answer value: numbers for rating scales, strings for coded answers (ASQ "yes" / "no" / "refused"). */
export const OptionValue = z.union([z.number().int(), z.string().min(1).max(64)]);
export type OptionValue = z.infer<typeof OptionValue>;

export const Option = z.strictObject({ value: OptionValue, label: Localized });
export type Option = z.infer<typeof Option>;

const Id = z.string().regex(/^[a-z][a-z0-9-]*$/, "lower-case letters, digits and '-', starting with a letter");

/** Show an item only when one of `items` has an answer in `anyIn` (ASQ question 5 after a positive 1-4). */
export const ShowIf = z.strictObject({
  items: z.array(Id).min(1),
  anyIn: z.array(OptionValue).min(1),
});
export type ShowIf = z.infer<typeof ShowIf>;

export const Item = z.strictObject({
  id: Id,
  /**
   * single: one option; multi: any number of options (answer is an array); text: free text, never scored
   * and never rendered as HTML; number: a whole number between min and max.
   */
  type: z.enum(["single", "multi", "text", "number"]),
  text: Localized,
  /** Options for this item; when absent the instrument's `options` apply (single and multi only). */
  options: z.array(Option).min(2).optional(),
  /** Counted into the total and subscales. False for follow-up, free-text and attention items. */
  scored: z.boolean().default(true),
  /** Score = max + min − value (e.g. a positively worded item in a symptom scale). */
  reverse: z.boolean().default(false),
  /** An answer that must reach a counselor whatever the total or the validity checks say. */
  critical: z.strictObject({ anyOf: z.array(OptionValue).min(1) }).optional(),
  /** Answers that mark a concern (a warning sign ticked on a teacher checklist). */
  concern: z.strictObject({ anyOf: z.array(OptionValue).min(1) }).optional(),
  /** An instructed-response item ("本题请选择'有时'"): any other answer fails the attention check. */
  attention: z.strictObject({ expected: OptionValue }).optional(),
  /** Not required: leaving it blank never makes the instrument incomplete. */
  optional: z.boolean().default(false),
  showIf: ShowIf.optional(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  /** Present on items of instruments without a validated Chinese version. */
  note: Localized.optional(),
});
export type Item = z.infer<typeof Item>;

/** A band of a total or subscale score, inclusive on both ends. */
export const Band = z.strictObject({
  id: Id,
  min: z.number(),
  max: z.number(),
  label: Localized,
});
export type Band = z.infer<typeof Band>;

/** A school level a subscale applies to (SRSS-IE: I5 in primary, I6 in secondary). */
export const SchoolLevel = z.enum(["primary", "secondary"]);
export type SchoolLevel = z.infer<typeof SchoolLevel>;

export const Subscale = z.strictObject({
  id: Id,
  label: Localized,
  items: z.array(Id).min(1),
  bands: z.array(Band).optional(),
  level: SchoolLevel.optional(),
});
export type Subscale = z.infer<typeof Subscale>;

export const Scoring = z.discriminatedUnion("method", [
  z.strictObject({
    /** The sum of scored items, with bands on the total and subscales. */
    method: z.literal("sum"),
    bands: z.array(Band).min(1).optional(),
    /** A reported percentage = total × factor (WHO-5: raw × 4). */
    percentFactor: z.number().positive().optional(),
    /**
     * How many required items may be blank before the form cannot be scored, and what it is then:
     * `incomplete` (the student has not finished) or `invalid` (PSC-17: four or more blanks).
     */
    missing: z.strictObject({
      allowed: z.number().int().min(0),
      beyond: z.enum(["incomplete", "invalid"]),
    }),
    /** Flags raised by single answers, e.g. WHO-5: any item 0 or 1. */
    flags: z.array(z.strictObject({ id: Id, anyItemIn: z.array(z.number()).min(1), label: Localized })).default([]),
  }),
  z.strictObject({
    /** ASQ: yes/no/refused screening with an acuity question; see scoring/score.ts. */
    method: z.literal("asq"),
    screen: z.array(Id).length(4),
    acuity: Id,
    bands: z.array(z.strictObject({ id: Id, label: Localized })).length(3),
  }),
  z.strictObject({
    /** A form that is not scored (observations, background): it only records answers and flags. */
    method: z.literal("none"),
  }),
]);
export type Scoring = z.infer<typeof Scoring>;

export const Licence = z.strictObject({
  /** free: the owner lets anyone use it without a fee; own: written by XinQing. */
  kind: z.enum(["public-domain", "free", "own"]),
  terms: z.string().min(1),
  /** The credit line that must be shown with the instrument. */
  attribution: z.string().min(1).optional(),
  url: z.url().optional(),
});

export const Source = z.strictObject({
  citation: z.string().min(1),
  url: z.url().optional(),
});
export type Source = z.infer<typeof Source>;

export const Instrument = z
  .strictObject({
    id: Id,
    version: z.string().min(1),
    title: Localized,
    /** Shown above the items (the PHQ-9 stem "在过去的两周里…"). */
    instructions: Localized.optional(),
    /** Who fills it in. */
    respondent: z.enum(["student", "teacher", "peer"]),
    /** symptom: higher is worse; wellbeing: higher is better; none: not a rating scale. */
    direction: z.enum(["symptom", "wellbeing", "none"]),
    /** Default options for single/multi items. */
    options: z.array(Option).min(2).optional(),
    items: z.array(Item).min(1),
    subscales: z.array(Subscale).default([]),
    scoring: Scoring,
    /** Internal consistency of the Chinese version, for the reliable change index. */
    reliability: z.strictObject({ alpha: z.number().gt(0).lt(1), source: Source }).optional(),
    licence: Licence,
    /** The original instrument. */
    source: Source,
    /** The Chinese text used here, and whether it was validated. */
    chinese: z.strictObject({
      status: z.enum(["validated", "official-translation", "not-validated", "own"]),
      source: Source.optional(),
    }),
  })
  .superRefine((inst, ctx) => {
    const ids = new Set<string>();
    inst.items.forEach((item, i) => {
      if (ids.has(item.id)) ctx.addIssue({ code: "custom", path: ["items", i, "id"], message: `duplicate item id "${item.id}"` });
      ids.add(item.id);
      const hasOptions = item.type === "single" || item.type === "multi";
      const options = item.options ?? inst.options;
      if (hasOptions && !options) {
        ctx.addIssue({ code: "custom", path: ["items", i, "options"], message: "a choice item needs options here or on the instrument" });
      }
      if (hasOptions && options) {
        const values = new Set(options.map((o) => o.value));
        if (values.size !== options.length) {
          ctx.addIssue({ code: "custom", path: ["items", i, "options"], message: "option values must be unique" });
        }
        for (const key of ["critical", "concern"] as const) {
          item[key]?.anyOf.forEach((v, j) => {
            if (!values.has(v)) ctx.addIssue({ code: "custom", path: ["items", i, key, "anyOf", j], message: `${String(v)} is not an option value` });
          });
        }
        if (item.attention && !values.has(item.attention.expected)) {
          ctx.addIssue({ code: "custom", path: ["items", i, "attention", "expected"], message: "not an option value" });
        }
      }
      if (item.scored && (item.type === "text" || item.attention)) {
        ctx.addIssue({ code: "custom", path: ["items", i, "scored"], message: "text and attention items cannot be scored" });
      }
      if (item.type === "number" && (item.min === undefined || item.max === undefined || item.min > item.max)) {
        ctx.addIssue({ code: "custom", path: ["items", i], message: "a number item needs min <= max" });
      }
      item.showIf?.items.forEach((ref, j) => {
        if (!inst.items.slice(0, i).some((earlier) => earlier.id === ref)) {
          ctx.addIssue({ code: "custom", path: ["items", i, "showIf", "items", j], message: `"${ref}" is not an earlier item` });
        }
      });
    });
    inst.subscales.forEach((sub, i) => {
      sub.items.forEach((ref, j) => {
        const item = inst.items.find((it) => it.id === ref);
        if (!item?.scored) ctx.addIssue({ code: "custom", path: ["subscales", i, "items", j], message: `"${ref}" is not a scored item` });
      });
      if (sub.bands) checkBands(sub.bands, scoreRange(inst, sub.items), ctx, ["subscales", i, "bands"]);
    });
    if (inst.scoring.method === "sum") {
      const scored = inst.items.filter((it) => it.scored);
      if (scored.some((it) => it.type !== "single" || !(it.options ?? inst.options)?.every((o) => typeof o.value === "number"))) {
        ctx.addIssue({ code: "custom", path: ["scoring"], message: "sum scoring needs single-choice items with numeric options" });
      } else if (inst.scoring.bands) {
        checkBands(inst.scoring.bands, scoreRange(inst, scored.map((it) => it.id)), ctx, ["scoring", "bands"]);
      }
    }
    if (inst.scoring.method === "asq") {
      for (const ref of [...inst.scoring.screen, inst.scoring.acuity]) {
        if (!ids.has(ref)) ctx.addIssue({ code: "custom", path: ["scoring"], message: `"${ref}" is not an item` });
      }
    }
  });
export type Instrument = z.infer<typeof Instrument>;
export type InstrumentInput = z.input<typeof Instrument>;

/** The numeric options of a scored item, as the instrument declares them. */
export function numericOptions(inst: Instrument, item: Item): number[] {
  return (item.options ?? inst.options ?? []).map((o) => o.value).filter((v): v is number => typeof v === "number");
}

function scoreRange(inst: Instrument, itemIds: readonly string[]): { min: number; max: number } {
  let min = 0;
  let max = 0;
  for (const id of itemIds) {
    const item = inst.items.find((it) => it.id === id);
    if (!item) continue;
    const values = numericOptions(inst, item);
    if (values.length === 0) continue;
    min += Math.min(...values);
    max += Math.max(...values);
  }
  return { min, max };
}

/** Bands must be ordered, contiguous whole-number ranges covering every possible score exactly once. */
function checkBands(bands: readonly Band[], range: { min: number; max: number }, ctx: z.RefinementCtx, path: (string | number)[]): void {
  let expected = range.min;
  bands.forEach((band, i) => {
    if (band.min !== expected) ctx.addIssue({ code: "custom", path: [...path, i, "min"], message: `expected ${expected}` });
    if (band.max < band.min) ctx.addIssue({ code: "custom", path: [...path, i, "max"], message: "max is below min" });
    expected = band.max + 1;
  });
  const last = bands[bands.length - 1];
  if (last && last.max !== range.max) {
    ctx.addIssue({ code: "custom", path: [...path, bands.length - 1, "max"], message: `expected ${range.max}, the highest possible score` });
  }
}

/** Thrown when instrument data does not match the schema; names every bad field by its path. */
export class InstrumentError extends Error {
  constructor(
    readonly instrumentId: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(`instrument ${instrumentId}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.name = "InstrumentError";
  }
}

/** Validates instrument data at load; throws InstrumentError with the path of each bad field. */
export function defineInstrument(data: InstrumentInput): Instrument {
  const parsed = Instrument.safeParse(data);
  if (parsed.success) return parsed.data;
  const id = typeof (data as { id?: unknown }).id === "string" ? (data as { id: string }).id : "(no id)";
  throw new InstrumentError(
    id,
    parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })),
  );
}
