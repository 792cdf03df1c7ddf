/**
 * The student's screening response API, shared by the server and the SPA (issue 5).
 *
 *   GET  /api/student/response          → ResponseState: where to resume (on this PC or another one)
 *   PUT  /api/student/response          ← AutosaveBody   → AutosaveReply
 *   POST /api/student/response/submit   ← SubmitBody     → SubmitReply
 *   POST /api/student/response/decline  ← DeclineBody    → DeclineReply
 *
 * Every call needs the student session made from an access code (cookie + x-csrf-token on writes).
 *
 * Answers are `{instrumentId: {itemId: value}}` (instruments/to-survey.ts `surveyDataToAnswers`); `null`
 * clears an answer. An autosave carries only the items that changed since the last save the server
 * acknowledged (or all of them: either works, saves are merged item by item).
 *
 * Ordering: each autosave carries `seq`, a number the page increases by one for every save it makes and
 * continues from the `seq` of GET after a resume. The server applies a save only when its `seq` is above
 * the stored one; a late save (an old retry arriving after a newer save) is acknowledged with
 * `applied: false` and changes nothing. Sequence numbers rather than page timestamps because the lab PCs'
 * clocks disagree and a student may move from one PC to another.
 *
 * Idempotency: every write carries `idempotencyKey`, a random string the page makes once per attempt and
 * reuses for the retries of that attempt. The same key always gets the first reply back, also after the
 * session ended with the submit (a retry of a submit whose reply was lost answers the same `responseId`).
 *
 * Privacy: nothing here ever carries a score, band or tier (ARCHITECTURE.md); `critical` only switches the
 * end page to "a teacher will talk with you soon".
 */
import { z } from "zod";

/** A random key made by the page for one write and its retries (e.g. 22+ characters of base64url). */
export const IdempotencyKey = z
  .string()
  .min(16, "at least 16 characters")
  .max(128, "at most 128 characters")
  .regex(/^[A-Za-z0-9_-]+$/, "letters, digits, '-' and '_' only");

/** An item's answer: an option value, the chosen values of a multi item, a number, free text, or null (cleared). */
export const AnswerValue = z.union([z.number(), z.string(), z.array(z.union([z.string(), z.number()])).max(64), z.null()]);
export type AnswerValue = z.infer<typeof AnswerValue>;

const Key = z.string().max(64, "at most 64 characters");

/** Answers by instrument id, then item id. Ids and values are checked against the student's battery by the server. */
export const AnswersBody = z.record(Key, z.record(Key, AnswerValue));
export type AnswersBody = z.infer<typeof AnswersBody>;

/** Milliseconds since the epoch, as the student's browser recorded them. */
const EpochMs = z.number().int().min(0).max(8_640_000_000_000_000);

/** One visit of one survey page (per-page timestamps for the validity checks; the student never sees a timer). */
export const PageVisit = z.strictObject({ instrument: Key, startedAt: EpochMs, endedAt: EpochMs });
export type PageVisit = z.infer<typeof PageVisit>;

/** Most page visits one call may carry. */
export const MAX_PAGE_VISITS_PER_CALL = 100;

export const AutosaveBody = z.strictObject({
  idempotencyKey: IdempotencyKey,
  /** Increases by one with every save the page makes (see the module comment). */
  seq: z.number().int().min(1).max(2_147_483_647),
  /** The page the student is on (0 = the first instrument). */
  currentPage: z.number().int().min(0).max(1000),
  answers: AnswersBody,
  pages: z.array(PageVisit).max(MAX_PAGE_VISITS_PER_CALL).default([]),
});
export type AutosaveBody = z.input<typeof AutosaveBody>;

export const AutosaveReply = z.strictObject({
  status: z.literal("in-progress"),
  /** The highest save the server holds: continue numbering above it. */
  seq: z.number().int(),
  /** False for a late save that was older than what the server already had. */
  applied: z.boolean(),
});
export type AutosaveReply = z.infer<typeof AutosaveReply>;

/** The final save (optional, merged like an autosave but never dropped as late) and the submission. */
export const SubmitBody = z.strictObject({
  idempotencyKey: IdempotencyKey,
  answers: AnswersBody.optional(),
  pages: z.array(PageVisit).max(MAX_PAGE_VISITS_PER_CALL).optional(),
});
export type SubmitBody = z.infer<typeof SubmitBody>;

export const SubmitReply = z.strictObject({
  responseId: z.string(),
  status: z.literal("submitted"),
  /** An answer that a counselor must follow up: show the kind end page ("a teacher will talk with you soon"). */
  critical: z.boolean(),
});
export type SubmitReply = z.infer<typeof SubmitReply>;

export const DeclineBody = z.strictObject({ idempotencyKey: IdempotencyKey });
export type DeclineBody = z.infer<typeof DeclineBody>;

export const DeclineReply = z.strictObject({ responseId: z.string(), status: z.literal("declined") });
export type DeclineReply = z.infer<typeof DeclineReply>;

export const ResponseStatus = z.enum(["not-started", "in-progress", "submitted", "declined"]);
export type ResponseStatus = z.infer<typeof ResponseStatus>;

/** Where the student stands: enough to rebuild the survey and continue on any PC. Never a score. */
export const ResponseState = z.strictObject({
  status: ResponseStatus,
  currentPage: z.number().int(),
  /** The last applied save; the next autosave uses seq + 1. */
  seq: z.number().int(),
  /** The saved answers, free text included (empty once submitted or declined). */
  answers: z.record(z.string(), z.record(z.string(), AnswerValue)),
  pages: z.array(PageVisit),
  /** The battery the student answers: its id and the self-report instruments in page order. */
  battery: z.strictObject({ id: z.string(), instruments: z.array(z.string()) }),
});
export type ResponseState = z.infer<typeof ResponseState>;

/**
 * 409 after the response was submitted or declined: `{error: {code, message}, responseId}` with code
 * `already_submitted` or `already_declined`. The page clears itself and shows the end page.
 */
export const FinishedConflict = z.strictObject({
  error: z.strictObject({ code: z.enum(["already_submitted", "already_declined"]), message: z.string() }),
  responseId: z.string(),
});
export type FinishedConflict = z.infer<typeof FinishedConflict>;
