/**
 * The student's battery as SurveyJS JSON and data, built only from instruments/to-survey.ts (SurveyJS JSON is
 * never hand-written here), plus the inverse the converter does not have: stored answers back into SurveyJS
 * data, to resume a response on another PC.
 */
import { getInstrument } from "../../../instruments/index";
import type { Instrument } from "../../../instruments/schema";
import { instrumentsToSurvey, questionRefs, surveyDataToInstrumentAnswers, type SurveyJson } from "../../../instruments/to-survey";
import type { AnswerMap } from "./answers";

export { surveyDataToInstrumentAnswers };

/** The battery's instruments in page order; an unknown id is an error value, not an exception. */
export function batteryInstruments(ids: readonly string[]): { ok: true; instruments: Instrument[] } | { ok: false; unknown: string[] } {
  const found = ids.map((id) => [id, getInstrument(id)] as const);
  const unknown = found.filter(([, inst]) => inst === undefined).map(([id]) => id);
  if (unknown.length > 0) return { ok: false, unknown };
  return { ok: true, instruments: found.map(([, inst]) => inst as Instrument) };
}

/** The SurveyJS JSON of the battery: the converter's output, with nothing of the student's added. */
export function batterySurvey(instruments: readonly Instrument[]): SurveyJson {
  return instrumentsToSurvey(instruments);
}

/**
 * Stored answers as SurveyJS data (`model.data`): the inverse of `surveyDataToInstrumentAnswers` for every
 * answered item. Nulls and items of instruments not in the battery are left out, so SurveyJS shows them
 * unanswered.
 */
export function answersToSurveyData(instruments: readonly Instrument[], answers: AnswerMap): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const inst of instruments) {
    const stored = answers[inst.id];
    if (!stored) continue;
    const refs = questionRefs(inst);
    for (const item of inst.items) {
      const value = stored[item.id];
      const ref = refs.get(item.id);
      if (value === null || value === undefined || !ref) continue;
      if (ref.row === undefined) {
        data[ref.name] = Array.isArray(value) ? [...value] : value;
      } else {
        const row = (data[ref.name] ?? {}) as Record<string, unknown>;
        data[ref.name] = { ...row, [ref.row]: value };
      }
    }
  }
  return data;
}

/** The answers of the battery from SurveyJS data, every item present (null when unanswered). */
export function surveyAnswers(instruments: readonly Instrument[], data: Readonly<Record<string, unknown>>): AnswerMap {
  return surveyDataToInstrumentAnswers(instruments, data);
}
