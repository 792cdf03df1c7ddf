/**
 * GET /api/audit: the audit log as the district administrator reads it (issue 4: "the audit log is
 * append-only for the app and readable by admin"). Newest first, paged by a cursor; filtered by action,
 * time and school. An entry says who, what, when and where: never a name, an answer or a code.
 */
import { z } from "zod";
import { Id } from "./api";
import { Instant } from "./waves";

/** An action ("code.revoke"), or a family of actions ending with a dot ("code." matches code.issue, code.revoke). */
export const AuditActionFilter = z
  .string()
  .max(64)
  .regex(/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?$/, "an action like code.revoke, or a family like code.");

/** The id of the last entry of the previous page: the next page holds older entries. */
export const AuditCursor = z.string().regex(/^[1-9][0-9]{0,17}$/, "a cursor from the previous page's `next`");

export const AuditQuery = z.strictObject({
  action: AuditActionFilter.optional(),
  /** Entries at or after this instant. */
  from: Instant.optional(),
  /** Entries before this instant. */
  to: Instant.optional(),
  schoolId: Id.optional(),
  before: AuditCursor.optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});
export type AuditQuery = z.infer<typeof AuditQuery>;

export const AuditEntry = z.object({
  id: z.string(),
  at: z.string(),
  /** An account id, a student id (actorRole "student"), or null (a failed anonymous sign-in). */
  actorId: z.string().nullable(),
  actorRole: z.string(),
  /** The username of a staff actor. */
  actorUsername: z.string().nullable(),
  action: z.string(),
  schoolId: z.string().nullable(),
  studentId: z.string().nullable(),
  /** What was acted on, e.g. a wave or account id. */
  subject: z.string().nullable(),
  context: z.record(z.string(), z.unknown()),
  address: z.string().nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditPage = z.object({
  entries: z.array(AuditEntry),
  /** Pass as `before` for the next (older) page; null on the last page. */
  next: z.string().nullable(),
});
export type AuditPage = z.infer<typeof AuditPage>;
