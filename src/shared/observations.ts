/**
 * Observations (issue 6): what homeroom and subject teachers, counselors and peer monitors (心理委员) file
 * about a student. Bodies of `POST /api/observations` and `POST /api/observations/batch`, and the replies of
 * the observer page's reads (`GET /api/observe/classes`, `/api/observe/classes/:id/students`,
 * `/api/observe/forms/:instrument`), further down.
 *
 * The reply never carries a score, a tier or anything about earlier reports: `{ok: true}` for everyone
 * (teachers and peer monitors never see scores; peer monitors never learn whether anything happened).
 */
import { z } from "zod";
import { Id } from "./api";

/** The forms an observer files: the teacher checklist and screeners, and the peer monitor's report. */
export const ObservationInstrument = z.enum(["teacher-checklist", "psc17-teacher", "srss-ie", "peer-concern"]);
export type ObservationInstrument = z.infer<typeof ObservationInstrument>;

/** Longest free text kept (the note, or a text item of the form), in UTF-16 code units. */
export const MAX_OBSERVATION_TEXT = 4000;
/** Most items an answers object may name (the longest form has 17). */
export const MAX_ANSWER_KEYS = 60;
/** Most students in one batch (a class). */
export const MAX_BATCH = 100;

const Scalar = z.union([z.number(), z.string().max(MAX_OBSERVATION_TEXT)]);

/** One answer: an option value, several (multi), free text, or null for "not answered". */
export const ObservationAnswer = z.union([Scalar, z.array(Scalar).max(20), z.null()]);

/** Answers by item id; the scoring library checks them against the form and names each bad item. */
export const ObservationAnswers = z
  .record(z.string().min(1).max(64), ObservationAnswer)
  .refine((a) => Object.keys(a).length <= MAX_ANSWER_KEYS, `at most ${MAX_ANSWER_KEYS} answers`);
export type ObservationAnswers = z.infer<typeof ObservationAnswers>;

/** A free-text note, kept verbatim (encrypted at rest, never rendered as HTML). */
export const ObservationNote = z.string().max(MAX_OBSERVATION_TEXT);

export const FileObservationBody = z.strictObject({
  studentId: Id,
  instrument: ObservationInstrument,
  answers: ObservationAnswers,
  note: ObservationNote.optional(),
});
export type FileObservationBody = z.infer<typeof FileObservationBody>;

/** A whole class rated in one grid: every row is filed, or none is. */
export const BatchObservationBody = z.strictObject({
  instrument: ObservationInstrument,
  items: z
    .array(z.strictObject({ studentId: Id, answers: ObservationAnswers, note: ObservationNote.optional() }))
    .min(1)
    .max(MAX_BATCH),
});
export type BatchObservationBody = z.infer<typeof BatchObservationBody>;

/** The whole reply, for every role: nothing about scores, tiers or other reports. */
export const ObservationReply = z.strictObject({ ok: z.literal(true) });
export type ObservationReply = z.infer<typeof ObservationReply>;

/*
 * What an observer's page reads (GET /api/observe/...): their classes, a class list, and a form as plain
 * data. None of these carries a score, a band, a tier, a scoring rule or anything about earlier reports.
 */

/** How the observer is tied to a class (account_classes.relation). */
export const ObserverRelation = z.enum(["homeroom", "subject", "peer"]);
export type ObserverRelation = z.infer<typeof ObserverRelation>;

/** One class the signed-in observer files observations about. */
export const ObserveClass = z.strictObject({
  id: z.string(),
  relation: ObserverRelation,
  grade: z.number().int().min(1).max(12),
  label: z.string(),
});
export type ObserveClass = z.infer<typeof ObserveClass>;

export const ObserveClassList = z.strictObject({ classes: z.array(ObserveClass) });
export type ObserveClassList = z.infer<typeof ObserveClassList>;

export const ObserveClassParams = z.strictObject({ id: Id });

/**
 * One student of the class list. Teachers get the student number; peer monitors get names only (and never
 * themselves).
 */
export const ObserveStudent = z.strictObject({
  id: z.string(),
  name: z.string(),
  studentNo: z.string().optional(),
});
export type ObserveStudent = z.infer<typeof ObserveStudent>;

export const ObserveStudentList = z.strictObject({
  class: z.strictObject({ id: z.string(), grade: z.number().int(), label: z.string() }),
  students: z.array(ObserveStudent),
});
export type ObserveStudentList = z.infer<typeof ObserveStudentList>;

export const ObserveFormParams = z.strictObject({ instrument: z.string().min(1).max(64) });
export const ObserveFormQuery = z.strictObject({ grade: z.coerce.number().int().min(1).max(12).optional() });
export type ObserveFormQuery = z.infer<typeof ObserveFormQuery>;

const Text = z.strictObject({ "zh-CN": z.string(), en: z.string() });

/** An option to choose; `critical` marks an answer that reaches a counselor at once (e.g. self-harm). */
export const ObserveOption = z.strictObject({
  value: z.union([z.number(), z.string()]),
  label: Text,
  critical: z.boolean(),
});
export type ObserveOption = z.infer<typeof ObserveOption>;

/** One item of a form to fill: what to ask and what may be answered; nothing about how it is scored. */
export const ObserveItem = z.strictObject({
  id: z.string(),
  type: z.enum(["single", "multi", "text", "number"]),
  text: Text,
  /** Empty for text and number items. */
  options: z.array(ObserveOption),
  /** Blank is fine (required items must be answered). */
  optional: z.boolean(),
  /** Some answer of this item is critical. */
  critical: z.boolean(),
  min: z.number().int().optional(),
  max: z.number().int().optional(),
  /** A note on the wording (e.g. "translation not yet validated"). */
  note: Text.optional(),
});
export type ObserveItem = z.infer<typeof ObserveItem>;

export const ObserveForm = z.strictObject({
  id: ObservationInstrument,
  version: z.string(),
  title: Text,
  instructions: Text.nullable(),
  /** The credit line the instrument's licence asks to show with it, if any. */
  attribution: z.string().nullable(),
  items: z.array(ObserveItem),
});
export type ObserveForm = z.infer<typeof ObserveForm>;

/**
 * GET /api/observe/forms/:instrument?grade=: the form, and the teacher screener of that grade (PSC-17
 * teacher in 1-6, SRSS-IE in 7-12); `screener` is null without a grade and for peer monitors.
 */
export const ObserveFormReply = z.strictObject({
  form: ObserveForm,
  screener: ObservationInstrument.nullable(),
});
export type ObserveFormReply = z.infer<typeof ObserveFormReply>;
