/**
 * The student's battery as the server sends it (GET /api/student/survey): the SurveyJS JSON made by
 * instruments/to-survey.ts on the server, and the ref table that says where each item's answer lives in
 * SurveyJS data. With the table the page turns `model.data` into the API's answers and back without the
 * instruments, their zod schemas or the converter in its bundle (issue 5, "Build and size").
 *
 * `surveyDataToAnswers` reads data exactly as the server's `surveyDataToInstrumentAnswers` does (a round-trip
 * property test holds them together); the server validates every answer it receives all the same.
 */
import type { AnswerMap, AnswerValue } from "./answers";

/** Where one item's answer lives in SurveyJS data, and what a valid answer is (src/server/features/responses/survey.ts `SurveyRef`). */
export interface SurveyRef {
  readonly instrument: string;
  readonly item: string;
  /** The SurveyJS question name. */
  readonly name: string;
  /** The matrix row, when the item is a row of a matrix question. */
  readonly row?: string | undefined;
  readonly type: "single" | "multi" | "text" | "number";
  /** Option values of a single or multi item, in option order. */
  readonly values?: readonly (string | number)[] | undefined;
  readonly min?: number | undefined;
  readonly max?: number | undefined;
}

/** A help line of the end page; `number` is null until the district configures it. */
export interface Hotline {
  readonly id: string;
  readonly number: string | null;
  readonly label: { readonly "zh-CN": string; readonly en: string };
}

/** GET /api/student/survey (src/server/features/responses/survey.ts `StudentSurveyReply`). */
export interface StudentSurvey {
  readonly battery: { readonly id: string; readonly instruments: readonly string[] };
  /** SurveyJS JSON for `new Model(survey)`. */
  readonly survey: Readonly<Record<string, unknown>>;
  readonly refs: readonly SurveyRef[];
  readonly help: { readonly hotlines: readonly Hotline[] };
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** One item's answer from its raw SurveyJS value: an option, the chosen options in option order, text, an integer in range, or null. */
function readAnswer(ref: SurveyRef, raw: unknown): AnswerValue {
  switch (ref.type) {
    case "single":
      return (ref.values ?? []).find((v) => v === raw) ?? null;
    case "multi": {
      if (!Array.isArray(raw)) return null;
      const chosen = (ref.values ?? []).filter((v): v is string => typeof v === "string" && raw.includes(v));
      return chosen.length > 0 ? chosen : null;
    }
    case "text":
      return typeof raw === "string" && raw.trim() !== "" ? raw : null;
    case "number": {
      const n = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
      return typeof n === "number" && Number.isInteger(n) && n >= (ref.min ?? n) && n <= (ref.max ?? n) ? n : null;
    }
  }
}

/**
 * The answers of the battery from SurveyJS data (`model.data`): every item of the ref table present, null when
 * unanswered or not a valid answer. Pure; never throws.
 */
export function surveyDataToAnswers(refs: readonly SurveyRef[], data: Readonly<Record<string, unknown>>): AnswerMap {
  const out: Record<string, Record<string, AnswerValue>> = {};
  for (const ref of refs) {
    let raw: unknown = data[ref.name];
    if (ref.row !== undefined) raw = isRecord(raw) ? raw[ref.row] : undefined;
    (out[ref.instrument] ??= {})[ref.item] = readAnswer(ref, raw);
  }
  return out;
}

/**
 * Stored answers as SurveyJS data, to resume a response on another PC: the inverse of `surveyDataToAnswers` for
 * every answered item. Nulls and items not in the ref table are left out, so SurveyJS shows them unanswered.
 */
export function answersToSurveyData(refs: readonly SurveyRef[], answers: AnswerMap): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const ref of refs) {
    const value = answers[ref.instrument]?.[ref.item];
    if (value === null || value === undefined) continue;
    if (ref.row === undefined) {
      data[ref.name] = Array.isArray(value) ? [...value] : value;
    } else {
      const row = isRecord(data[ref.name]) ? (data[ref.name] as Record<string, unknown>) : {};
      data[ref.name] = { ...row, [ref.row]: value };
    }
  }
  return data;
}
