/**
 * The student's growth record (心理成长档案, issue 6 "Growth record and its lifecycle"): its read
 * (`GET /api/students/:id/record`), its transfer to another school (档案转接:
 * `POST /api/students/:id/transfer`, `POST /api/schools/:id/transfer-import`,
 * `GET /api/transfer/public-key`). Shared by the server and the SPA.
 *
 * Counselors and school leads of the student's school only (another school's student: 404); every read
 * and every transfer is audited. Scores, bands and validity are shown to counselors only: for a school
 * lead `result.scores` and `result.validity` are null and every reason's `evidence` is "" (it quotes
 * scores); the tier and the reasons' labels stay. Free text (notes, reasons, case notes) is plain text:
 * never render it as HTML.
 */
import { z } from "zod";
import { Id } from "./api";

const Tier = z.enum(["none", "yellow", "orange", "red"]);
const Localized = z.strictObject({ "zh-CN": z.string(), en: z.string() });
/** A staff member as the record names them (display name, or the username when none is set). */
const Person = z.strictObject({ id: z.string(), name: z.string() });

export const StudentParams = z.strictObject({ id: Id });
export const SchoolParams = z.strictObject({ id: Id });

export const RecordStudent = z.strictObject({
  id: z.string(),
  name: z.string(),
  studentNo: z.string(),
  gender: z.enum(["male", "female"]).nullable(),
  grade: z.number().int(),
  class: z.strictObject({ id: z.string(), grade: z.number().int(), label: z.string() }),
  school: z.strictObject({ id: z.string(), code: z.string(), name: z.string() }),
  /** Key-population categories (七类重点学生), the roster's keys, e.g. "leftBehind". */
  keyPopulation: z.array(z.string()),
  status: z.enum(["enrolled", "left", "graduated"]),
  /** When the student left or graduated (the retention clock of 保密消档 starts here); null while enrolled. */
  leftAt: z.string().nullable(),
});
export type RecordStudent = z.infer<typeof RecordStudent>;

/** One instrument's score as the scoring library gave it, flattened for display. */
export const RecordScore = z.strictObject({
  instrument: z.string(),
  kind: z.enum(["scored", "incomplete", "invalid"]),
  total: z.number().nullable(),
  band: z.string().nullable(),
  /** WHO-5 percentage (total × 4). */
  percent: z.number().nullable(),
  subscales: z.record(z.string(), z.strictObject({ total: z.number(), band: z.string().nullable() })),
  /** Item ids whose answers must reach a counselor. */
  critical: z.array(z.string()),
  /** Items left blank (incomplete) or the problems found (invalid), as plain words. */
  remarks: z.array(z.string()),
});
export type RecordScore = z.infer<typeof RecordScore>;

export const RecordValidity = z.strictObject({
  kind: z.enum(["valid", "questionable"]),
  reasons: z.array(z.strictObject({ code: z.string(), evidence: z.string() })),
});
export type RecordValidity = z.infer<typeof RecordValidity>;

export const RecordReason = z.strictObject({
  rule: z.string(),
  tier: Tier.exclude(["none"]),
  /** The policy's label of the rule; the rule id itself when the policy is unknown here (imported). */
  label: Localized,
  /** What matched, e.g. "phq9 18 (moderately-severe)"; "" for a school lead (it quotes scores). */
  evidence: z.string(),
});
export type RecordReason = z.infer<typeof RecordReason>;

export const RecordResult = z.strictObject({
  /** Counselors only; null for a school lead. */
  scores: z.array(RecordScore).nullable(),
  /** Counselors only; null for a school lead. */
  validity: RecordValidity.nullable(),
  tier: Tier,
  reasons: z.array(RecordReason),
  policyVersion: z.string(),
  computedAt: z.string(),
});
export type RecordResult = z.infer<typeof RecordResult>;

/** One wave of the student's school, with what the student did in it. */
export const RecordWave = z.strictObject({
  waveId: z.string(),
  schoolYear: z.string(),
  season: z.enum(["spring", "autumn"]),
  opensAt: z.string(),
  closesAt: z.string(),
  /** The student's response: null when they never started. */
  response: z
    .strictObject({
      status: z.enum(["in-progress", "submitted", "declined"]),
      startedAt: z.string(),
      submittedAt: z.string().nullable(),
    })
    .nullable(),
  /** The scored result of a submitted response; null otherwise. */
  result: RecordResult.nullable(),
});
export type RecordWave = z.infer<typeof RecordWave>;

export const RecordOverride = z.strictObject({
  id: z.string(),
  tier: Tier,
  reason: z.string(),
  computedTier: Tier,
  computedReasons: z.array(RecordReason),
  policyVersion: z.string(),
  by: Person,
  at: z.string(),
});
export type RecordOverride = z.infer<typeof RecordOverride>;

export const RecordObservation = z.strictObject({
  id: z.string(),
  /** Who filed it, by role only (a peer monitor is never named). */
  role: z.enum(["homeroom", "subject", "peer", "counselor"]),
  at: z.string(),
  instrument: z.string(),
  answers: z.record(z.string(), z.unknown()),
  note: z.string().nullable(),
  /** Free-text items of the form, by item id. */
  texts: z.record(z.string(), z.string()),
  /** Critical and concern item ids the scoring library found. */
  critical: z.array(z.string()),
  concerns: z.array(z.string()),
});
export type RecordObservation = z.infer<typeof RecordObservation>;

export const RecordCaseStep = z.strictObject({
  id: z.string(),
  seq: z.number().int(),
  kind: z.enum(["open", "acknowledge", "interview", "plan", "referral", "follow-up", "return", "close"]),
  at: z.string(),
  by: Person,
  date: z.string().nullable(),
  plan: z.enum(["monitor", "school-support", "consultation", "referral"]).nullable(),
  greenChannel: z.boolean().nullable(),
  dueDate: z.string().nullable(),
  /** notes, hospital, outcome, reason, return plan: whichever the step has. */
  text: z.record(z.string(), z.string()),
});
export type RecordCaseStep = z.infer<typeof RecordCaseStep>;

export const RecordCase = z.strictObject({
  id: z.string(),
  tier: z.enum(["red", "orange"]),
  state: z.enum(["opened", "acknowledged", "interviewed", "planned", "referred", "following-up", "returned", "closed"]),
  plan: z.enum(["monitor", "school-support", "consultation", "referral"]).nullable(),
  reason: z.string(),
  assignee: Person,
  openedAt: z.string(),
  dueAt: z.string().nullable(),
  escalatedAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  policyVersion: z.string(),
  steps: z.array(RecordCaseStep),
});
export type RecordCase = z.infer<typeof RecordCase>;

/** Guardian consent of one wave: as it stands, and every change made to it (from the audit log). */
export const RecordConsent = z.strictObject({
  waveId: z.string(),
  schoolYear: z.string(),
  season: z.enum(["spring", "autumn"]),
  status: z.enum(["consented", "opted-out", "pending"]),
  source: z.enum(["roster", "school", "import"]),
  updatedAt: z.string(),
  by: Person.nullable(),
  changes: z.array(z.strictObject({ at: z.string(), status: z.string(), by: Person.nullable() })),
});
export type RecordConsent = z.infer<typeof RecordConsent>;

/** A "please check in with" notice released to the homeroom teacher (no score, tier or reason in it). */
export const RecordNotice = z.strictObject({
  id: z.string(),
  createdAt: z.string(),
  dueAt: z.string(),
  doneAt: z.string().nullable(),
  by: Person,
});
export type RecordNotice = z.infer<typeof RecordNotice>;

/** Everything one school holds about one student: what a transfer carries to the next school. */
export const RecordHistory = z.strictObject({
  student: RecordStudent,
  /** Oldest first. */
  waves: z.array(RecordWave),
  /** Oldest first; the last is the override in force. */
  overrides: z.array(RecordOverride),
  /** Newest first. */
  observations: z.array(RecordObservation),
  /** Newest first, steps in order. */
  cases: z.array(RecordCase),
  /** Oldest wave first. */
  consents: z.array(RecordConsent),
  /** Newest first. */
  checkinNotices: z.array(RecordNotice),
});
export type RecordHistory = z.infer<typeof RecordHistory>;

/**
 * A record received from another school (档案转接), attached read-only to a student of this school.
 * A record that had itself been transferred before carries those earlier records too; they are listed
 * flat, each with the school that sent it.
 */
export const ImportedRecord = z.strictObject({
  importId: z.string(),
  importedAt: z.string(),
  importedBy: Person,
  from: z.strictObject({ schoolCode: z.string(), schoolName: z.string() }),
  exportedAt: z.string(),
  /** Fingerprint of the sender's signing key (SHA-256 of the public key, hex groups). */
  signerFingerprint: z.string(),
  record: RecordHistory,
});
export type ImportedRecord = z.infer<typeof ImportedRecord>;

/** GET /api/students/:id/record */
export const GrowthRecord = RecordHistory.extend({
  /** Records received from the student's earlier schools, newest import first. */
  imported: z.array(ImportedRecord),
  /** Whether scores and validity are included (counselors) or left out (school leads). */
  scoresShown: z.boolean(),
  generatedAt: z.string(),
});
export type GrowthRecord = z.infer<typeof GrowthRecord>;

// ---------------------------------------------------------------------------------------------------
// Transfer (档案转接)

export const TRANSFER_FORMAT = "xinqing-transfer" as const;

/** What the encrypted part of a bundle holds (after decryption). */
export const TransferPayload = z.strictObject({
  exportId: z.string(),
  exportedAt: z.iso.datetime(),
  from: z.strictObject({ schoolCode: z.string(), schoolName: z.string() }),
  record: RecordHistory,
  /** Records this school had itself received for the student. */
  earlier: z.array(ImportedRecord),
  /** The printable summary (the same the exporter printed). */
  summaryHtml: z.string(),
});
export type TransferPayload = z.infer<typeof TransferPayload>;

const Base64 = z.string().max(50_000_000).regex(/^[A-Za-z0-9+/]*={0,2}$/, "base64");

/**
 * The bundle a school hands over (a file). Its `payload` is AES-256-GCM ciphertext under a key derived
 * with scrypt from the one-time transfer passphrase; `signature` is Ed25519 by the sending installation
 * over every other field (see the server's transfer/bundle.ts for the exact bytes).
 */
export const TransferBundle = z.strictObject({
  format: z.literal(TRANSFER_FORMAT),
  version: z.literal(1),
  exportId: z.string().min(1).max(64),
  createdAt: z.iso.datetime(),
  from: z.strictObject({ schoolCode: z.string().max(64), schoolName: z.string().max(200) }),
  kdf: z.strictObject({ name: z.literal("scrypt"), salt: Base64, N: z.number().int(), r: z.number().int(), p: z.number().int() }),
  cipher: z.strictObject({ name: z.literal("aes-256-gcm"), iv: Base64, tag: Base64 }),
  payload: Base64,
  /** Fingerprint of the signing key, as printed on the summary. */
  signerFingerprint: z.string().max(200),
  signature: Base64,
});
export type TransferBundle = z.infer<typeof TransferBundle>;

/** POST /api/students/:id/transfer: no options (an empty object or no body). */
export const TransferExportBody = z.union([z.strictObject({}), z.null()]).optional();

/**
 * Reply of the export. `passphrase` is shown once and never stored: give it to the receiving school
 * apart from the bundle (by phone, in person). `summaryHtml` is the printable summary carrying the
 * signing key's fingerprint, for the receiver to check out of band.
 */
export const TransferExportReply = z.strictObject({
  exportId: z.string(),
  fileName: z.string(),
  bundle: TransferBundle,
  passphrase: z.string(),
  publicKey: z.string(),
  fingerprint: z.string(),
  summaryHtml: z.string(),
});
export type TransferExportReply = z.infer<typeof TransferExportReply>;

/** GET /api/transfer/public-key: this installation's signing key, for receivers to pin. */
export const TransferPublicKey = z.strictObject({ publicKey: z.string(), fingerprint: z.string() });
export type TransferPublicKey = z.infer<typeof TransferPublicKey>;

/**
 * POST /api/schools/:id/transfer-import. `senderPublicKey`: the sending installation's public key (PEM),
 * obtained from the sender and checked against the fingerprint on the printed summary; `studentId`: the
 * student of this school the record is attached to (chosen by the counselor).
 */
export const TransferImportBody = z.strictObject({
  bundle: TransferBundle,
  passphrase: z.string().min(1).max(200),
  senderPublicKey: z.string().min(1).max(10_000),
  studentId: Id,
});
export type TransferImportBody = z.infer<typeof TransferImportBody>;

export const TransferImportReply = z.strictObject({
  importId: z.string(),
  studentId: z.string(),
  from: z.strictObject({ schoolCode: z.string(), schoolName: z.string() }),
  exportedAt: z.string(),
  signerFingerprint: z.string(),
});
export type TransferImportReply = z.infer<typeof TransferImportReply>;

/**
 * Error codes of the import (nothing is written on any of them):
 * - 400 `transfer_malformed`: not a bundle of this format;
 * - 422 `transfer_wrong_key`: the public key given is not the one that signed the bundle (its fingerprint
 *   differs from the bundle's);
 * - 422 `transfer_tampered`: the key matches but the signature does not: the bundle was changed;
 * - 422 `transfer_wrong_passphrase`: signature good, but the passphrase does not open the payload;
 * - 409 `transfer_already_imported`: this bundle was already imported here.
 */
export const TRANSFER_ERRORS = ["transfer_malformed", "transfer_wrong_key", "transfer_tampered", "transfer_wrong_passphrase", "transfer_already_imported"] as const;
export type TransferError = (typeof TRANSFER_ERRORS)[number];
