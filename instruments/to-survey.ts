/**
 * Instrument → SurveyJS JSON, and SurveyJS data → answers by instrument and item. The only place SurveyJS JSON
 * is made (ARCHITECTURE.md: generated, never hand-written). Pure: it builds plain JSON and never imports
 * survey-core; tests load the output into a real survey-core Model.
 *
 * Layout: one page per instrument. A run of two or more single-choice items that use the instrument's shared
 * options (and have no condition) becomes one `matrix` (rows = items, columns = options, `eachRowRequired` when
 * the items are required); every other item is its own question: single → radiogroup, multi → checkbox,
 * text → comment, number → text with inputType number and min/max. `showIf` becomes `visibleIf`.
 *
 * Names: `<instrument>__<item>` with "-" written "_" (`phq9__q1`, `psc17_teacher__grid`), so every name is
 * unique in a battery and safe inside SurveyJS expressions. Matrix rows are named the same way and their
 * value is `{row: column}`.
 *
 * Texts are SurveyJS localizable strings `{"zh-cn": …, "en": …}`. Checked against survey-core 3.0.0: with the
 * survey locale "zh-cn" the "zh-cn" text shows; switching to "en" (survey-core's default locale, stored as "")
 * falls back to the "en" text. A `{"default": zh, "en": en}` pair would not switch: "" reads "default" first.
 */
import type { Battery } from "./batteries";
import { getInstrument } from "./index";
import type { Instrument, Item, Localized, OptionValue } from "./schema";

/** A SurveyJS localizable string. */
export interface SurveyText {
  "zh-cn": string;
  en: string;
}

/** A choice of a radiogroup or checkbox, or a column of a matrix. */
export interface SurveyChoice {
  value: OptionValue;
  text: SurveyText;
}

interface QuestionBase {
  name: string;
  title: SurveyText;
  description?: SurveyText;
  isRequired?: boolean;
  visibleIf?: string;
}

/** The SurveyJS question JSON this module makes (a subset of what SurveyJS accepts). */
export type SurveyQuestion =
  | (QuestionBase & {
      type: "matrix";
      rows: { value: string; text: SurveyText }[];
      columns: SurveyChoice[];
      eachRowRequired?: boolean;
    })
  | (QuestionBase & { type: "radiogroup" | "checkbox"; choices: SurveyChoice[] })
  | (QuestionBase & { type: "comment"; maxLength: number })
  | (QuestionBase & { type: "text"; inputType: "number"; min: number; max: number });

/** One page: one instrument. */
export interface SurveyPage {
  name: string;
  title: SurveyText;
  description?: SurveyText;
  elements: SurveyQuestion[];
}

/** A whole survey JSON, ready for `new Model(json)`. */
export interface SurveyJson {
  locale: "zh-cn";
  showProgressBar: true;
  progressBarType: "pages";
  /** Drop the answer of a question that a changed answer hides (ASQ question 5), so autosaved data stays true. */
  clearInvisibleValues: "onHidden";
  pages: SurveyPage[];
}

/** An item's answer: a choice value, the chosen values of a multi item (in option order), a number, free text, or null. */
export type AnswerValue = number | string | string[] | null;

/** Answers by instrument id, then item id; every item of every instrument is present. */
export type Answers = Record<string, Record<string, AnswerValue>>;

/** Where an item's answer lives in SurveyJS data: a question, or a row of a matrix question. */
export interface QuestionRef {
  name: string;
  row?: string;
}

/** Longest free text a comment box accepts; the server must still enforce its own limit. */
export const maxTextLength = 1000;

const text = (l: Localized): SurveyText => ({ "zh-cn": l["zh-CN"], en: l.en });
const safe = (id: string): string => id.replace(/-/g, "_");
const choices = (inst: Instrument, item: Item): SurveyChoice[] =>
  (item.options ?? inst.options ?? []).map((o) => ({ value: o.value, text: text(o.label) }));

interface Plan {
  page: SurveyPage;
  refs: Map<string, QuestionRef>;
}

/** Items that can share one matrix: single choice on the instrument's options, unconditional. */
function isGridItem(item: Item): boolean {
  return item.type === "single" && item.options === undefined && item.showIf === undefined;
}

/** Splits items into runs: consecutive grid items with the same `optional` form one run. */
function runs(items: readonly Item[]): Item[][] {
  const out: Item[][] = [];
  for (const item of items) {
    const last = out[out.length - 1];
    const prev = last?.[last.length - 1];
    if (last && prev && isGridItem(item) && isGridItem(prev) && prev.optional === item.optional) last.push(item);
    else out.push([item]);
  }
  return out;
}

function literal(value: OptionValue): string {
  if (typeof value === "number") return String(value);
  if (/['"\\{}]/.test(value)) throw new Error(`option value ${JSON.stringify(value)} cannot be used in a SurveyJS condition`);
  return `'${value}'`;
}

function visibleIf(inst: Instrument, item: Item, refs: ReadonlyMap<string, QuestionRef>): string | undefined {
  const showIf = item.showIf;
  if (!showIf) return undefined;
  const terms = showIf.items.flatMap((id) => {
    const ref = refs.get(id);
    const source = inst.items.find((it) => it.id === id);
    if (!ref || !source) throw new Error(`${inst.id}.${item.id}: showIf refers to "${id}", which has no question`);
    const variable = ref.row ? `{${ref.name}.${ref.row}}` : `{${ref.name}}`;
    const op = source.type === "multi" ? "contains" : "=";
    return showIf.anyIn.map((v) => `${variable} ${op} ${literal(v)}`);
  });
  return terms.join(" or ");
}

function question(inst: Instrument, item: Item, name: string, refs: ReadonlyMap<string, QuestionRef>): SurveyQuestion {
  const base: QuestionBase = { name, title: text(item.text) };
  if (item.note) base.description = text(item.note);
  if (!item.optional) base.isRequired = true;
  const condition = visibleIf(inst, item, refs);
  if (condition) base.visibleIf = condition;
  switch (item.type) {
    case "single":
      return { ...base, type: "radiogroup", choices: choices(inst, item) };
    case "multi":
      if (!(item.options ?? inst.options ?? []).every((o) => typeof o.value === "string")) {
        throw new Error(`${inst.id}.${item.id}: a multi item needs string option values`);
      }
      return { ...base, type: "checkbox", choices: choices(inst, item) };
    case "text":
      return { ...base, type: "comment", maxLength: maxTextLength };
    case "number":
      // The schema guarantees min and max on number items.
      return { ...base, type: "text", inputType: "number", min: item.min ?? 0, max: item.max ?? 0 };
  }
}

function plan(inst: Instrument): Plan {
  const refs = new Map<string, QuestionRef>();
  const elements: SurveyQuestion[] = [];
  const prefix = safe(inst.id);
  let grids = 0;
  let stemUsed = false;
  for (const run of runs(inst.items)) {
    const [first] = run;
    if (!first) continue;
    if (run.length === 1) {
      const name = `${prefix}__${safe(first.id)}`;
      elements.push(question(inst, first, name, refs));
      refs.set(first.id, { name });
      continue;
    }
    grids += 1;
    const name = grids === 1 ? `${prefix}__grid` : `${prefix}__grid_${grids}`;
    const notes = [...new Map(run.flatMap((it) => (it.note ? [[it.note["zh-CN"], it.note] as const] : []))).values()];
    const grid: SurveyQuestion = {
      type: "matrix",
      name,
      // The instrument's stem ("在过去的两周里…") heads the grid; without one, its title does.
      title: text(inst.instructions ?? inst.title),
      rows: run.map((it) => ({ value: safe(it.id), text: text(it.text) })),
      columns: choices(inst, first),
    };
    stemUsed = stemUsed || inst.instructions !== undefined;
    if (notes.length > 0) {
      grid.description = {
        "zh-cn": notes.map((n) => n["zh-CN"]).join(" / "),
        en: notes.map((n) => n.en).join(" / "),
      };
    }
    if (!first.optional) {
      grid.isRequired = true;
      grid.eachRowRequired = true;
    }
    elements.push(grid);
    for (const it of run) refs.set(it.id, { name, row: safe(it.id) });
  }
  const page: SurveyPage = { name: prefix, title: text(inst.title), elements };
  if (inst.instructions && !stemUsed) page.description = text(inst.instructions);
  return { page, refs };
}

/** One SurveyJS page for an instrument: its items as questions, the instructions as page or grid text. */
export function instrumentToSurveyPage(inst: Instrument): SurveyPage {
  return plan(inst).page;
}

/** Where each item's answer of `inst` lives in SurveyJS data (for the UI and for tests that answer a form). */
export function questionRefs(inst: Instrument): ReadonlyMap<string, QuestionRef> {
  return plan(inst).refs;
}

/** A whole survey, one page per instrument in the given order. Throws if two question names collide. */
export function instrumentsToSurvey(list: readonly Instrument[]): SurveyJson {
  const pages = list.map(instrumentToSurveyPage);
  const names = new Set<string>();
  for (const name of pages.flatMap((p) => [p.name, ...p.elements.map((q) => q.name)])) {
    if (names.has(name)) throw new Error(`SurveyJS name "${name}" is used twice`);
    names.add(name);
  }
  return { locale: "zh-cn", showProgressBar: true, progressBarType: "pages", clearInvisibleValues: "onHidden", pages };
}

function selfReportInstruments(battery: Battery, lookup: (id: string) => Instrument | undefined): Instrument[] {
  return battery.selfReport.map((id) => {
    const inst = lookup(id);
    // parseBatteries rejects unknown ids, so this only fires for unchecked battery data.
    if (!inst) throw new Error(`battery "${battery.id}": unknown instrument "${id}"`);
    return inst;
  });
}

/**
 * The student survey of a battery: one page per self-report instrument in page order, progress bar, locale
 * zh-cn. No autoAdvance, cookieName or completedHtml (STACK-NOTES.md). A battery without self-report pages
 * (grades 1-3) gives a survey with no pages. The teacher screener is a separate form:
 * `instrumentsToSurvey([teacherInstrument])`.
 */
export function batteryToSurvey(battery: Battery, lookup: (id: string) => Instrument | undefined = getInstrument): SurveyJson {
  return instrumentsToSurvey(selfReportInstruments(battery, lookup));
}

function readAnswer(inst: Instrument, item: Item, raw: unknown): AnswerValue {
  const values = (item.options ?? inst.options ?? []).map((o) => o.value);
  switch (item.type) {
    case "single":
      return values.find((v) => v === raw) ?? null;
    case "multi": {
      if (!Array.isArray(raw)) return null;
      // Canonical order: the item's option order, whatever order the student ticked them in.
      const chosen = values.filter((v): v is string => typeof v === "string" && raw.includes(v));
      return chosen.length > 0 ? chosen : null;
    }
    case "text":
      return typeof raw === "string" && raw.trim() !== "" ? raw : null;
    case "number": {
      const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
      return typeof n === "number" && Number.isInteger(n) && n >= (item.min ?? n) && n <= (item.max ?? n) ? n : null;
    }
  }
}

/**
 * Answers of the given instruments from SurveyJS data (`model.data`): every item present, null when unanswered.
 * A value that is not one of the item's options (or out of range) reads as null: the server validates
 * submissions before this, so such a value only comes from a tampered client.
 */
export function surveyDataToInstrumentAnswers(list: readonly Instrument[], data: Readonly<Record<string, unknown>>): Answers {
  const out: Answers = {};
  for (const inst of list) {
    const refs = questionRefs(inst);
    const answers: Record<string, AnswerValue> = {};
    for (const item of inst.items) {
      const ref = refs.get(item.id);
      let raw: unknown = ref ? data[ref.name] : undefined;
      if (ref?.row !== undefined) {
        raw = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>)[ref.row] : undefined;
      }
      answers[item.id] = readAnswer(inst, item, raw);
    }
    out[inst.id] = answers;
  }
  return out;
}

/** The inverse of `batteryToSurvey`: answers by self-report instrument id and item id. */
export function surveyDataToAnswers(
  battery: Battery,
  data: Readonly<Record<string, unknown>>,
  lookup: (id: string) => Instrument | undefined = getInstrument,
): Answers {
  return surveyDataToInstrumentAnswers(selfReportInstruments(battery, lookup), data);
}
