/**
 * The accounts and sign-in API shared by the server and the SPA: login, session, logout, one-time
 * set-up links, and account management. Every body is a strict object (unknown fields refused).
 */
import { z } from "zod";
import { Id, Role } from "./api";

/** Lower-case ASCII letters, digits and `. _ -`, 3–64 characters, starting with a letter or digit. */
export const Username = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, "lower-case letters, digits, '.', '_' and '-' only, starting with a letter or digit / 用户名只能包含小写字母、数字和 . _ -");
export type Username = z.infer<typeof Username>;

/** At sign-in the username is compared case-insensitively, so upper case is accepted there. */
export const LoginUsername = z
  .string()
  .min(3)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, "letters, digits, '.', '_' and '-' only / 用户名只能包含字母、数字和 . _ -");

/** The longest password accepted (a passphrase manager's output fits; scrypt cost does not grow with it). */
export const PASSWORD_MAX = 256;
/** The shortest password accepted (NIST SP 800-63B asks for at least 8; the district asks for 10). */
export const PASSWORD_MIN = 10;

/** The password as sent; its rules (length, not the username) are checked by `passwordProblems`. */
export const PasswordInput = z.string().max(PASSWORD_MAX * 2);

/** One reason a new password is refused, with a message in Chinese and English. */
export interface PasswordProblem {
  readonly code: "too_short" | "too_long" | "contains_username" | "control_character";
  readonly path: "password";
  readonly message: string;
}

/** Counts Unicode code points, so an emoji or a rare CJK character counts as one character. */
const codePoints = (s: string): number => [...s].length;

/**
 * Why `password` may not be used by `username` (empty when it may): at least 10 characters, at most
 * 256, no control characters, and not containing the username (compared without case).
 */
export function passwordProblems(password: string, username: string): PasswordProblem[] {
  const problems: PasswordProblem[] = [];
  const n = codePoints(password);
  if (n < PASSWORD_MIN) problems.push({ code: "too_short", path: "password", message: `密码至少 ${PASSWORD_MIN} 个字符 / at least ${PASSWORD_MIN} characters` });
  if (n > PASSWORD_MAX) problems.push({ code: "too_long", path: "password", message: `密码最多 ${PASSWORD_MAX} 个字符 / at most ${PASSWORD_MAX} characters` });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(password)) problems.push({ code: "control_character", path: "password", message: "密码不能包含控制字符 / no control characters" });
  if (username !== "" && password.toLowerCase().includes(username.toLowerCase())) {
    problems.push({ code: "contains_username", path: "password", message: "密码不能包含用户名 / must not contain the username" });
  }
  return problems;
}

const DisplayName = z
  .string()
  .min(1)
  .max(64)
  .refine((s) => s === s.trim(), "surrounding whitespace is not allowed")
  // eslint-disable-next-line no-control-regex
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "no control characters");

export const ClassRelation = z.enum(["homeroom", "subject", "peer"]);
export type ClassRelation = z.infer<typeof ClassRelation>;

export const AccountClass = z.strictObject({ classId: Id, relation: ClassRelation });
export type AccountClass = z.infer<typeof AccountClass>;

/** Who is signed in. */
export const SessionAccount = z.object({ id: z.string(), username: z.string(), role: Role, schoolId: z.string().nullable() });
export type SessionAccount = z.infer<typeof SessionAccount>;

export const LoginBody = z.strictObject({ username: LoginUsername, password: z.string().min(1).max(PASSWORD_MAX * 2) });
export type LoginBody = z.infer<typeof LoginBody>;

/** Answer of login and of GET /api/auth/session: send `csrfToken` in x-csrf-token on every change. */
export const SessionResponse = z.object({ csrfToken: z.string(), account: SessionAccount });
export type SessionResponse = z.infer<typeof SessionResponse>;

/** A one-time set-up token: 32 random bytes, base64url. */
export const SetupToken = z.string().min(16).max(128).regex(/^[A-Za-z0-9_-]+$/, "not a set-up token");

export const SetupBody = z.strictObject({ token: SetupToken, password: PasswordInput });
export type SetupBody = z.infer<typeof SetupBody>;

export const SetupResponse = z.object({ account: SessionAccount });

/** An account as managers see it: never a password hash, only whether a password is set. */
export const AccountView = z.object({
  id: z.string(),
  username: z.string(),
  role: Role,
  schoolId: z.string().nullable(),
  displayName: z.string().nullable(),
  disabled: z.boolean(),
  hasPassword: z.boolean(),
  classes: z.array(z.object({ classId: z.string(), relation: ClassRelation })),
  createdAt: z.string(),
});
export type AccountView = z.infer<typeof AccountView>;

export const CreateAccountBody = z.strictObject({
  username: Username,
  role: Role,
  schoolId: Id.nullable().optional(),
  displayName: DisplayName.optional(),
  classes: z.array(AccountClass).max(200).optional(),
});
export type CreateAccountBody = z.infer<typeof CreateAccountBody>;

/** The set-up token is shown once, here, and stored only hashed. */
export const SetupLink = z.object({ setupToken: z.string(), setupExpiresAt: z.string() });

export const CreatedAccount = z.object({ account: AccountView, setupToken: z.string(), setupExpiresAt: z.string() });
export type CreatedAccount = z.infer<typeof CreatedAccount>;

export const ListAccountsQuery = z.strictObject({
  schoolId: Id.optional(),
  /** Cursor: the last username of the previous page. */
  after: Username.optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

export const AccountList = z.object({ accounts: z.array(AccountView), next: z.string().nullable() });
export type AccountList = z.infer<typeof AccountList>;

export const AccountParams = z.strictObject({ id: Id });

export const UpdateAccountBody = z
  .strictObject({
    disabled: z.boolean().optional(),
    displayName: DisplayName.nullable().optional(),
    classes: z.array(AccountClass).max(200).optional(),
  })
  .refine((b) => b.disabled !== undefined || b.displayName !== undefined || b.classes !== undefined, "nothing to change");
export type UpdateAccountBody = z.infer<typeof UpdateAccountBody>;
