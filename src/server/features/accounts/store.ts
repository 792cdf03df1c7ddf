/**
 * SQL of the accounts feature: accounts, their classes, one-time set-up tokens, and audit rows.
 * Functions take a `Queryable` so routes can run several in one transaction.
 */
import type { Role } from "../../../shared/api";
import type { AccountClass, AccountView } from "../../../shared/accounts";
import { hashToken } from "../../auth/sessions";
import { decrypt, type DataKeys } from "../../crypto/cipher";
import type { Queryable } from "../../db/database";
import type { Deps } from "../../deps";

/** A new or reset account has 72 hours to set its password (the school hands the link over in person). */
export const SETUP_TOKEN_HOURS = 72;
/** The first admin's link (printed at first start) lasts 24 hours. */
export const FIRST_ADMIN_SETUP_HOURS = 24;

export interface AccountRow extends Record<string, unknown> {
  id: string;
  username: string;
  role: Role;
  school_id: string | null;
  display_name_enc: string | null;
  password_hash: string | null;
  disabled: boolean;
  created_at: Date;
  classes: AccountClass[] | null;
}

const ACCOUNT_COLUMNS = `a.id, a.username, a.role, a.school_id, a.display_name_enc, a.password_hash, a.disabled, a.created_at,
  (SELECT json_agg(json_build_object('classId', ac.class_id, 'relation', ac.relation) ORDER BY ac.class_id, ac.relation)
     FROM account_classes ac WHERE ac.account_id = a.id) AS classes`;

export const displayNameContext = (accountId: string): string => `accounts.display_name_enc:${accountId}`;

export async function findAccountByUsername(db: Queryable, username: string): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.username = $1`, [username]);
  return rows[0];
}

export async function findAccountById(db: Queryable, id: string): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM accounts a WHERE a.id = $1`, [id]);
  return rows[0];
}

/** Accounts ordered by username, optionally of one school, after a username cursor. */
export async function listAccounts(db: Queryable, filter: { schoolId?: string | undefined; after?: string | undefined; limit: number }): Promise<AccountRow[]> {
  const { rows } = await db.query<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM accounts a
      WHERE ($1::text IS NULL OR a.school_id = $1) AND ($2::text IS NULL OR a.username > $2)
      ORDER BY a.username LIMIT $3`,
    [filter.schoolId ?? null, filter.after ?? null, filter.limit],
  );
  return rows;
}

/** What managers see of an account: never the hash. */
export function toView(keys: DataKeys, row: AccountRow): AccountView {
  return {
    id: row.id,
    username: row.username,
    role: row.role,
    schoolId: row.school_id,
    displayName: row.display_name_enc === null ? null : decrypt(keys, row.display_name_enc, displayNameContext(row.id)),
    disabled: row.disabled,
    hasPassword: row.password_hash !== null,
    classes: row.classes ?? [],
    createdAt: row.created_at.toISOString(),
  };
}

/** Replaces the classes of an account (one statement each way; the ids were checked by the caller). */
export async function replaceClasses(db: Queryable, accountId: string, classes: readonly AccountClass[]): Promise<void> {
  await db.query("DELETE FROM account_classes WHERE account_id = $1", [accountId]);
  if (classes.length === 0) return;
  await db.query(
    `INSERT INTO account_classes (account_id, class_id, relation)
     SELECT $1, c->>'classId', c->>'relation' FROM jsonb_array_elements($2::jsonb) AS c
     ON CONFLICT DO NOTHING`,
    [accountId, JSON.stringify(classes)],
  );
}

/** Class ids among `classIds` that are NOT classes of `schoolId`. */
export async function foreignClasses(db: Queryable, schoolId: string, classIds: readonly string[]): Promise<Set<string>> {
  if (classIds.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    "SELECT c.id FROM classes c WHERE c.school_id = $1 AND c.id IN (SELECT jsonb_array_elements_text($2::jsonb))",
    [schoolId, JSON.stringify(classIds)],
  );
  const known = new Set(rows.map((r) => r.id));
  return new Set(classIds.filter((id) => !known.has(id)));
}

export async function schoolExists(db: Queryable, schoolId: string): Promise<boolean> {
  const { rows } = await db.query("SELECT 1 FROM schools WHERE id = $1", [schoolId]);
  return rows.length > 0;
}

/**
 * Issues a one-time set-up token for `accountId`, valid `hours` from now. Earlier unused tokens of the
 * account stop working: only the newest link sets a password. Returns the token (shown once) and expiry.
 */
export async function issueSetupToken(deps: Pick<Deps, "randomBytes" | "now">, db: Queryable, accountId: string, hours: number): Promise<{ token: string; expiresAt: Date }> {
  const token = deps.randomBytes(32).toString("base64url");
  const expiresAt = new Date(deps.now().getTime() + hours * 3_600_000);
  await db.query("DELETE FROM setup_tokens WHERE account_id = $1", [accountId]);
  await db.query("INSERT INTO setup_tokens (token_hash, account_id, expires_at) VALUES ($1, $2, $3)", [hashToken(token), accountId, expiresAt]);
  return { token, expiresAt };
}

/** The account a usable (unused, unexpired) set-up token belongs to. */
export async function accountOfSetupToken(db: Queryable, token: string, now: Date): Promise<AccountRow | undefined> {
  const { rows } = await db.query<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM setup_tokens t JOIN accounts a ON a.id = t.account_id
      WHERE t.token_hash = $1 AND t.used_at IS NULL AND t.expires_at > $2`,
    [hashToken(token), now],
  );
  return rows[0];
}

/** Marks the token used, atomically: false when another request used it first (or it expired meanwhile). */
export async function consumeSetupToken(db: Queryable, token: string, accountId: string, now: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    "UPDATE setup_tokens SET used_at = $3 WHERE token_hash = $1 AND account_id = $2 AND used_at IS NULL AND expires_at > $3",
    [hashToken(token), accountId, now],
  );
  return rowCount === 1;
}

export async function deleteSessionsOf(db: Queryable, accountId: string): Promise<void> {
  await db.query("DELETE FROM sessions WHERE account_id = $1", [accountId]);
}

/** One audit row: who, what, when, where; never a password, a token or free text. */
export interface AuditEntry {
  readonly actorId: string | null;
  readonly actorRole: string;
  readonly action: string;
  readonly schoolId?: string | null;
  readonly subject?: string | null;
  readonly context?: Record<string, unknown>;
  readonly address?: string | null;
}

export async function writeAudit(db: Queryable, at: Date, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, subject, context, address)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [at, entry.actorId, entry.actorRole, entry.action, entry.schoolId ?? null, entry.subject ?? null, JSON.stringify(entry.context ?? {}), entry.address ?? null],
  );
}
