/**
 * Schools and classes: the bodies of `/api/schools` and `/api/schools/:id/classes`.
 *
 * Classes are never created through this API: the roster import creates them (grade + label) from the
 * school's student list (src/shared/roster.ts).
 */
import { z } from "zod";
import { Id } from "./api";
import { codePointLength } from "./roster";

/** A school code: the district's short identifier (e.g. "HD-07"), used by the CLI's `--school`. */
export const SchoolCode = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, "letters, digits, '-' and '_', starting with a letter or digit");

/** A school name as written (Chinese or not): trimmed, 1-100 characters, no NUL or control characters. */
export const SchoolName = z
  .string()
  .refine((s) => s === s.trim(), "surrounding whitespace is not allowed")
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "no control characters")
  .refine((s) => {
    const n = codePointLength(s);
    return n >= 1 && n <= 100;
  }, "between 1 and 100 characters");

export const CreateSchoolBody = z.strictObject({ code: SchoolCode, name: SchoolName });
export type CreateSchoolBody = z.infer<typeof CreateSchoolBody>;

export const School = z.strictObject({ id: Id, code: z.string(), name: z.string() });
export type School = z.infer<typeof School>;

export const SchoolList = z.strictObject({ schools: z.array(School) });
export type SchoolList = z.infer<typeof SchoolList>;

export const SchoolParams = z.strictObject({ id: Id });
export type SchoolParams = z.infer<typeof SchoolParams>;

/** One class of a school with its head counts (no names: those are per-student reads, audited). */
export const ClassSummary = z.strictObject({
  id: Id,
  /** 1-12 (初一 = 7, 高一 = 10). */
  grade: z.number().int().min(1).max(12),
  /** The label within the grade: "3" for 3班, or the class's own name ("实验班"). */
  label: z.string(),
  /** Students currently enrolled in the class. */
  enrolled: z.number().int().min(0),
  /** Students last seen in this class who have since left the school. */
  left: z.number().int().min(0),
});
export type ClassSummary = z.infer<typeof ClassSummary>;

export const ClassList = z.strictObject({ classes: z.array(ClassSummary) });
export type ClassList = z.infer<typeof ClassList>;
