/**
 * Who is asking. The auth plugin resolves the session cookie into an Actor on every request; routes
 * pass it to `can(actor, action, resource)` (auth/can.ts) and never look at roles themselves.
 */
import type { Role } from "../../shared/api";

export interface StaffActor {
  readonly kind: "staff";
  readonly accountId: string;
  readonly role: Role;
  /** null for district roles (admin, analyst). */
  readonly schoolId: string | null;
  /** Classes the account works with, by relation (homeroom teacher, subject teacher, peer monitor). */
  readonly classes: { readonly homeroom: readonly string[]; readonly subject: readonly string[]; readonly peer: readonly string[] };
  readonly sessionHash: string;
}

export interface StudentActor {
  readonly kind: "student";
  readonly studentId: string;
  readonly schoolId: string;
  readonly waveId: string;
  readonly sessionHash: string;
}

export interface Anonymous {
  readonly kind: "anonymous";
}

export type Actor = StaffActor | StudentActor | Anonymous;

export const ANONYMOUS: Anonymous = { kind: "anonymous" };
