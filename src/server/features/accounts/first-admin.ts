/**
 * The first administrator: on an empty database the start-up code (src/server/main.ts) creates the
 * account `admin` and prints its one-time set-up link once.
 */
import type { Deps } from "../../deps";
import { FIRST_ADMIN_SETUP_HOURS, issueSetupToken, writeAudit } from "./store";

export type FirstAdmin = { readonly created: true; readonly setupToken: string; readonly expiresAt: Date } | { readonly created: false };

/**
 * On an empty accounts table, creates the admin account `admin` with a one-time set-up token valid
 * 24 hours, for the start-up code to print once. Safe when several instances start together: only
 * one creates it.
 */
export async function ensureFirstAdmin(deps: Pick<Deps, "db" | "now" | "newId" | "randomBytes">): Promise<FirstAdmin> {
  const now = deps.now();
  const id = deps.newId();
  return deps.db.transaction(async (tx) => {
    const { rows } = await tx.query(
      `INSERT INTO accounts (id, username, role, created_at) SELECT $1, 'admin', 'admin', $2
        WHERE NOT EXISTS (SELECT 1 FROM accounts) ON CONFLICT (username) DO NOTHING RETURNING id`,
      [id, now],
    );
    if (rows.length === 0) return { created: false } as const;
    const link = await issueSetupToken(deps, tx, id, FIRST_ADMIN_SETUP_HOURS);
    await writeAudit(tx, now, { actorId: null, actorRole: "system", action: "account.created", subject: id, context: { role: "admin", firstAdmin: true } });
    return { created: true, setupToken: link.token, expiresAt: link.expiresAt } as const;
  });
}
