/**
 * Observations (issue 6): what homeroom and subject teachers, counselors and peer monitors (心理委员) file
 * about a student. Bodies of `POST /api/observations` and `POST /api/observations/batch`.
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
