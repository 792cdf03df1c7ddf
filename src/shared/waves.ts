/**
 * The HTTP contract of screening waves, guardian consent, access codes and the student's entry with a
 * code (issue 4, "Waves, consent and access codes"), shared by the server and the SPA.
 *
 * Nothing a student receives (`StudentSession`) carries a score, band or tier: the schema has no place
 * for one, and the server's serializer drops anything not in it.
 */
import { z } from "zod";
import { Id } from "./api";

export const Season = z.enum(["spring", "autumn"]);
export type Season = z.infer<typeof Season>;

/** "2026-2027": two consecutive calendar years. */
export const SchoolYear = z
  .string()
  .regex(/^[0-9]{4}-[0-9]{4}$/, "a school year like 2026-2027")
  .refine((s) => Number(s.slice(5)) === Number(s.slice(0, 4)) + 1, "the second year must follow the first (2026-2027)");

/** An instant with an explicit offset, e.g. "2026-03-02T08:00:00+08:00". */
export const Instant = z.iso.datetime({ offset: true });

/** Battery data as sent; the server validates it with `parseBatteries` and answers every issue with its path. */
const BatteriesInput = z.array(z.unknown()).max(200);

const PolicyVersion = z.string().min(1).max(64);

export const WaveStatus = z.enum(["draft", "open", "closed"]);
export type WaveStatus = z.infer<typeof WaveStatus>;

/** POST /api/schools/:id/waves */
export const WaveCreate = z.strictObject({
  schoolYear: SchoolYear,
  season: Season,
  opensAt: Instant,
  closesAt: Instant,
  /** Default: `defaultBatteries` of instruments/batteries.ts. */
  batteries: BatteriesInput.optional(),
  /** Default: "default-v1"; must be a version in scoring/policies. */
  policyVersion: PolicyVersion.optional(),
});
export type WaveCreate = z.infer<typeof WaveCreate>;

/**
 * PATCH /api/waves/:id. A draft wave may change anything; an open wave only its dates (its battery,
 * policy, season and school year are frozen: 409 `wave_frozen`); a closed wave nothing.
 */
export const WavePatch = z.strictObject({
  schoolYear: SchoolYear.optional(),
  season: Season.optional(),
  opensAt: Instant.optional(),
  closesAt: Instant.optional(),
  batteries: BatteriesInput.optional(),
  policyVersion: PolicyVersion.optional(),
});
export type WavePatch = z.infer<typeof WavePatch>;

const BatteryView = z.object({
  id: z.string(),
  season: Season,
  grades: z.object({ from: z.number(), to: z.number() }),
  selfReport: z.array(z.string()),
  teacher: z.string().nullable(),
});

export const Wave = z.object({
  id: z.string(),
  schoolId: z.string(),
  schoolYear: z.string(),
  season: Season,
  opensAt: z.string(),
  closesAt: z.string(),
  batteries: z.array(BatteryView),
  policyVersion: z.string(),
  status: WaveStatus,
  /** When the wave was opened and its battery and policy frozen; null while draft. */
  frozenAt: z.string().nullable(),
  createdAt: z.string(),
  /** Students can enter now: status open and now within [opensAt, closesAt). */
  usable: z.boolean(),
});
export type Wave = z.infer<typeof Wave>;

export const WaveList = z.object({ waves: z.array(Wave) });
export type WaveList = z.infer<typeof WaveList>;

export const ConsentStatus = z.enum(["consented", "opted-out", "pending"]);
export type ConsentStatus = z.infer<typeof ConsentStatus>;

/** PUT /api/waves/:id/consents: all-or-nothing; a student appears at most once. */
export const ConsentPut = z.strictObject({
  items: z.array(z.strictObject({ studentId: Id, status: ConsentStatus })).min(1).max(10_000),
});
export type ConsentPut = z.infer<typeof ConsentPut>;

const ConsentCounts = z.object({
  /** Enrolled students of the school (or class). */
  enrolled: z.number(),
  consented: z.number(),
  /** Guardians who declined: no code, and counted apart from students who simply did not respond. */
  optedOut: z.number(),
  /** No answer from the guardian yet (a student without a consent row is pending). */
  pending: z.number(),
});

export const ConsentSummary = ConsentCounts.extend({
  waveId: z.string(),
  byClass: z.array(ConsentCounts.extend({ classId: z.string(), grade: z.number(), label: z.string() })),
});
export type ConsentSummary = z.infer<typeof ConsentSummary>;

export const ConsentPutResult = z.object({
  updated: z.number(),
  /** Active codes revoked because their student was opted out. */
  codesRevoked: z.number(),
  summary: ConsentSummary,
});
export type ConsentPutResult = z.infer<typeof ConsentPutResult>;

/** POST /api/waves/:id/codes: every eligible student of the school, or of one class. */
export const CodeIssueRequest = z.strictObject({ classId: Id.optional() });
export type CodeIssueRequest = z.infer<typeof CodeIssueRequest>;

/** One printed slip. `code` is in this response only: the server keeps a keyed hash, never the code. */
export const CodeSlip = z.object({
  studentId: z.string(),
  classId: z.string(),
  grade: z.number(),
  classLabel: z.string(),
  studentNo: z.string(),
  /** 张*明: first and last character, the rest starred. */
  maskedName: z.string(),
  /** 8 characters of CODE_ALPHABET; shown once. */
  code: z.string(),
});
export type CodeSlip = z.infer<typeof CodeSlip>;

export const CodeIssueResult = z.object({
  waveId: z.string(),
  issued: z.array(CodeSlip),
  /** Students not given a code, by reason. */
  skipped: z.object({
    optedOut: z.number(),
    alreadyActive: z.number(),
    submitted: z.number(),
    /** Grade bands whose battery has no self-report pages (grades 1-3 by default). */
    noSelfReport: z.number(),
  }),
});
export type CodeIssueResult = z.infer<typeof CodeIssueResult>;

export const CodeRevokeResult = z.object({ studentId: z.string(), revoked: z.boolean() });
export type CodeRevokeResult = z.infer<typeof CodeRevokeResult>;

export const CodeReissueResult = z.object({ revoked: z.boolean(), slip: CodeSlip });
export type CodeReissueResult = z.infer<typeof CodeReissueResult>;

export const CodeState = z.enum(["active", "used", "revoked", "none"]);

/**
 * GET /api/waves/:id/slips: the slip list of a class without codes (they are not stored). The school
 * prints slips from the issue / reissue response; a lost slip means a reissue.
 */
export const SlipList = z.object({
  waveId: z.string(),
  slips: z.array(
    z.object({
      studentId: z.string(),
      classId: z.string(),
      grade: z.number(),
      classLabel: z.string(),
      studentNo: z.string(),
      maskedName: z.string(),
      consent: ConsentStatus,
      /** The newest code's state; "used" once the student submitted. */
      codeState: CodeState,
      issuedAt: z.string().nullable(),
    }),
  ),
});
export type SlipList = z.infer<typeof SlipList>;

/** POST /api/student/session. Case, spaces and dashes are ignored; full-width characters are folded. */
export const StudentCodeEntry = z.strictObject({ code: z.string().max(64) });
export type StudentCodeEntry = z.infer<typeof StudentCodeEntry>;

/** What a student gets after entering a good code: where they are and what they will answer. Never a score. */
export const StudentSession = z.object({
  csrfToken: z.string(),
  school: z.object({ name: z.string() }),
  wave: z.object({ season: Season, schoolYear: z.string() }),
  battery: z.object({ id: z.string(), instruments: z.array(z.string()) }),
});
export type StudentSession = z.infer<typeof StudentSession>;

/** Error codes of the student entry. */
export const StudentEntryError = z.enum(["code_invalid", "wave_closed", "code_used", "locked"]);
export type StudentEntryError = z.infer<typeof StudentEntryError>;
