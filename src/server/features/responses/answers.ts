/**
 * The pure part of saving answers: checking what a student's page sent against the battery's
 * instruments, splitting free text (stored encrypted) from choice answers (stored as jsonb), merging a
 * save into what is stored, and the per-page timings the validity checks read.
 *
 * Every problem is a value `{code, path, message}` with the JSON path of the offending field
 * (`answers.phq9.q3`, `pages.2.endedAt`), and every problem is reported, not just the first.
 */
import { maxTextLength } from "../../../../instruments/to-survey";
import type { Instrument } from "../../../../instruments/schema";
import type { PageTiming } from "../../../../scoring/index";
import { scoreInstrument } from "../../../../scoring/index";
import type { AnswersBody, AnswerValue, PageVisit } from "../../../shared/responses";

/** One problem with what the page sent. */
export interface AnswerProblem {
  readonly code: "unknown_instrument" | "unknown_item" | "wrong_type" | "out_of_range" | "text_too_long" | "nul_character" | "bad_page" | "too_many_pages";
  readonly path: string;
  readonly message: string;
}

/** Choice answers by instrument and item, as stored in `responses.answers` (absent = unanswered). */
export type StoredAnswers = Readonly<Record<string, Readonly<Record<string, AnswerValue>>>>;
/** Free-text answers by instrument and item, stored encrypted in `responses.text_enc`. */
export type StoredTexts = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** Most page visits kept per response (a student flipping pages this often is not plausible). */
export const MAX_STORED_VISITS = 500;
/** Most problems one reply lists; a hostile body could otherwise make a reply as large as itself. */
export const MAX_PROBLEMS = 100;

const SCORING_CODES = { "unknown-item": "unknown_item", "wrong-type": "wrong_type", "out-of-range": "out_of_range" } as const;

/** Keeps a hostile value (a 1 MB string) out of error messages. */
function clip(s: string, max = 200): string {
  return s.length <= max ? s : `${s.slice(0, max)}…`;
}

function find(instruments: readonly Instrument[], id: string): Instrument | undefined {
  for (const inst of instruments) if (inst.id === id) return inst;
  return undefined;
}

/**
 * Checks every answer against the instruments of the student's battery: the instrument and item exist,
 * the value has the item's type and is one of its options (or within its range), free text is at most
 * `maxText` characters (what the comment box accepts) and has no NUL character. Choice checks are the
 * scoring library's own (`scoreInstrument`), so what is accepted here always scores.
 */
export function checkAnswers(instruments: readonly Instrument[], answers: AnswersBody, maxText: number = maxTextLength): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  for (const instrumentId of Object.keys(answers)) {
    const inst = find(instruments, instrumentId);
    const given = answers[instrumentId]!;
    if (!inst) {
      problems.push({ code: "unknown_instrument", path: `answers.${instrumentId}`, message: clip(`"${instrumentId}" is not an instrument of this survey`) });
      continue;
    }
    const reported = new Set<string>();
    const result = scoreInstrument(inst, given);
    if (result.kind === "invalid") {
      for (const p of result.problems) {
        if (p.item === undefined || p.code === "too-many-missing") continue;
        // Text length is checked below against the comment box's own limit, with its own code.
        if (p.code === "out-of-range" && inst.items.find((item) => item.id === p.item)?.type === "text") continue;
        reported.add(p.item);
        problems.push({ code: SCORING_CODES[p.code], path: `answers.${instrumentId}.${p.item}`, message: clip(p.message) });
      }
    }
    for (const item of inst.items) {
      const value = given[item.id];
      if (item.type !== "text" || typeof value !== "string" || reported.has(item.id)) continue;
      const path = `answers.${instrumentId}.${item.id}`;
      if (value.length > maxText) problems.push({ code: "text_too_long", path, message: `${item.id}: at most ${maxText} characters` });
      if (value.includes("\u0000")) problems.push({ code: "nul_character", path, message: `${item.id}: text must not contain NUL characters` });
    }
  }
  return problems;
}

/** Checks page visits: a page of this survey, and an end not before its start. */
export function checkVisits(instruments: readonly Instrument[], visits: readonly PageVisit[]): AnswerProblem[] {
  const problems: AnswerProblem[] = [];
  visits.forEach((visit, i) => {
    if (!find(instruments, visit.instrument)) {
      problems.push({ code: "bad_page", path: `pages.${i}.instrument`, message: clip(`"${visit.instrument}" is not a page of this survey`) });
    }
    if (visit.endedAt < visit.startedAt) problems.push({ code: "bad_page", path: `pages.${i}.endedAt`, message: "endedAt is before startedAt" });
  });
  return problems;
}

/** Checks the page number: one of the survey's pages. */
export function checkCurrentPage(instruments: readonly Instrument[], currentPage: number): AnswerProblem[] {
  const last = Math.max(0, instruments.length - 1);
  return currentPage <= last ? [] : [{ code: "bad_page", path: "currentPage", message: `this survey has pages 0 to ${last}` }];
}

/** Choice answers and free text apart (free text is stored encrypted). Values keep their instrument and item. */
export function splitText(instruments: readonly Instrument[], answers: AnswersBody): { choices: AnswersBody; texts: AnswersBody } {
  const choices: Record<string, Record<string, AnswerValue>> = {};
  const texts: Record<string, Record<string, AnswerValue>> = {};
  for (const instrumentId of Object.keys(answers)) {
    const inst = find(instruments, instrumentId);
    const given = answers[instrumentId]!;
    for (const itemId of Object.keys(given)) {
      const isText = inst?.items.find((item) => item.id === itemId)?.type === "text";
      const target = isText ? texts : choices;
      (target[instrumentId] ??= {})[itemId] = given[itemId] as AnswerValue;
    }
  }
  return { choices, texts };
}

const isBlank = (v: AnswerValue | undefined): boolean => v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);

/**
 * `stored` with `patch` laid over it item by item; a blank value (null, "", []) removes the answer.
 * Returns a new object; ids must have been checked (`checkAnswers`), so no key is a prototype name.
 */
export function mergeAnswers<V extends AnswerValue>(stored: Readonly<Record<string, Readonly<Record<string, V>>>>, patch: AnswersBody): Record<string, Record<string, V>> {
  const out: Record<string, Record<string, V>> = {};
  for (const instrumentId of Object.keys(stored)) out[instrumentId] = { ...stored[instrumentId] };
  for (const instrumentId of Object.keys(patch)) {
    const items = (out[instrumentId] ??= {});
    const given = patch[instrumentId]!;
    for (const itemId of Object.keys(given)) {
      const value = given[itemId] as AnswerValue;
      if (isBlank(value)) delete items[itemId];
      else items[itemId] = value as V;
    }
    if (Object.keys(items).length === 0) delete out[instrumentId];
  }
  return out;
}

/** Stored visits and new ones, once each (by page and start; the later end wins), in order of start. */
export function mergeVisits(stored: readonly PageVisit[], added: readonly PageVisit[]): PageVisit[] {
  const byStart = new Map<string, PageVisit>();
  for (const visit of [...stored, ...added]) {
    const key = `${visit.instrument}@${visit.startedAt}`;
    const seen = byStart.get(key);
    if (!seen || visit.endedAt > seen.endedAt) byStart.set(key, { instrument: visit.instrument, startedAt: visit.startedAt, endedAt: visit.endedAt });
  }
  return [...byStart.values()].sort((a, b) => a.startedAt - b.startedAt || a.instrument.localeCompare(b.instrument));
}

/**
 * One timing per instrument for the validity checks: a page visited several times (back and forth, or on
 * two PCs) counts with the sum of its visits, so its items are counted once.
 */
export function pageTimings(visits: readonly PageVisit[]): PageTiming[] {
  const byInstrument = new Map<string, { startedAt: number; ms: number }>();
  for (const visit of visits) {
    const t = byInstrument.get(visit.instrument);
    const ms = visit.endedAt - visit.startedAt;
    if (t) byInstrument.set(visit.instrument, { startedAt: Math.min(t.startedAt, visit.startedAt), ms: t.ms + ms });
    else byInstrument.set(visit.instrument, { startedAt: visit.startedAt, ms });
  }
  return [...byInstrument].map(([instrument, t]) => ({ instrument, startedAt: t.startedAt, endedAt: t.startedAt + t.ms }));
}
