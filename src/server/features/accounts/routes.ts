/**
 * Accounts and sign-in (issue 4, "Accounts, sessions and the access rules"):
 *
 *   POST /api/auth/login      username + password → session cookie and CSRF token
 *   POST /api/auth/logout     ends this session
 *   GET  /api/auth/session    who am I (the SPA after a reload)
 *   POST /api/auth/setup      one-time set-up token + new password
 *   POST /api/accounts        create (account.manage) → the account and its one-time set-up token
 *   GET  /api/accounts        list (account.manage scope)
 *   PATCH /api/accounts/:id   disable / enable, display name, classes
 *   POST /api/accounts/:id/reset  new set-up token; the password and every session of the account end
 *
 * Sign-in answers the same 401 for an unknown username and a wrong password, and is locked out per
 * account and per address (auth/lockout.ts). Audit rows never hold a password or a token.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import type { Role } from "../../../shared/api";
import {
  AccountList,
  AccountParams,
  AccountView,
  CreateAccountBody,
  CreatedAccount,
  ListAccountsQuery,
  LoginBody,
  SessionResponse,
  SetupBody,
  SetupLink,
  SetupResponse,
  UpdateAccountBody,
  type AccountClass,
  type ClassRelation,
} from "../../../shared/accounts";
import type { StaffActor } from "../../auth/actor";
import { can, canAssignRole, scopeOf } from "../../auth/can";
import { LOGIN_ACCOUNT_POLICY, LOGIN_ADDRESS_POLICY, checkLocked, clearFailures, loginAccountKey, loginAddressKey, recordFailure, type LockState } from "../../auth/lockout";
import { SALT_BYTES, hashPassword, needsRehash, passwordProblems, verifyAgainstNothing, verifyPassword } from "../../auth/passwords";
import { requireStaff } from "../../auth/plugin";
import { clearSessionCookie, createSession, deleteSession, setSessionCookie } from "../../auth/sessions";
import { encrypt } from "../../crypto/cipher";
import { isUniqueViolation } from "../../db/database";
import type { Deps } from "../../deps";
import { ApiError, badRequest, conflict, forbidden, notFound, type ErrorDetail } from "../../errors";
import {
  SETUP_TOKEN_HOURS,
  accountOfSetupToken,
  consumeSetupToken,
  deleteSessionsOf,
  displayNameContext,
  findAccountById,
  findAccountByUsername,
  foreignClasses,
  issueSetupToken,
  listAccounts,
  replaceClasses,
  schoolExists,
  toView,
  writeAudit,
  type AccountRow,
} from "./store";

/** District roles belong to no school; every other role belongs to exactly one. */
const DISTRICT_ROLES: readonly Role[] = ["admin", "analyst"];

/** Which class relations an account of each role may hold (account_classes). */
const CLASS_RELATIONS: Readonly<Record<Role, readonly ClassRelation[]>> = {
  admin: [],
  analyst: [],
  "school-lead": [],
  counselor: [],
  homeroom: ["homeroom", "subject"],
  subject: ["subject"],
  peer: ["peer"],
};

const invalidSetupToken = (): ApiError => badRequest("invalid_setup_token", "this set-up link is invalid, used or expired / 设置链接无效、已使用或已过期");

function sessionAccount(row: Pick<AccountRow, "id" | "username" | "role" | "school_id">) {
  return { id: row.id, username: row.username, role: row.role, schoolId: row.school_id };
}

/** The later of two locks, if any. */
function lockOf(a: LockState, b: LockState): Date | undefined {
  const untils = [a, b].flatMap((s) => (s.locked ? [s.until] : []));
  return untils.length === 0 ? undefined : new Date(Math.max(...untils.map((d) => d.getTime())));
}

function lockedError(reply: FastifyReply, until: Date, now: Date): ApiError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
  reply.header("retry-after", String(seconds));
  return new ApiError(429, "locked", `too many failed sign-ins; try again after ${until.toISOString()} / 登录失败次数过多，请稍后再试`, [
    { path: "retryAfter", code: "retry_after", message: until.toISOString() },
  ]);
}

/** Checks the classes given for an account of `role` in `schoolId`: allowed relations, and classes of that school. */
async function checkClasses(deps: Deps, role: Role, schoolId: string | null, classes: readonly AccountClass[]): Promise<void> {
  const details: ErrorDetail[] = [];
  const allowed = CLASS_RELATIONS[role];
  classes.forEach((c, i) => {
    if (!allowed.includes(c.relation)) {
      details.push({ path: `body.classes.${i}.relation`, code: "relation_not_allowed", message: `a ${role} account cannot have a ${c.relation} class` });
    }
  });
  if (details.length === 0 && classes.length > 0 && schoolId !== null) {
    const foreign = await foreignClasses(deps.db, schoolId, classes.map((c) => c.classId));
    classes.forEach((c, i) => {
      if (foreign.has(c.classId)) details.push({ path: `body.classes.${i}.classId`, code: "unknown_class", message: "no such class in this school" });
    });
  }
  if (details.length > 0) throw badRequest("invalid_classes", "some classes cannot be given to this account", details);
}

/** The account `id` if the actor may manage it; 403 when the actor manages no accounts, 404 when out of scope. */
async function manageableAccount(deps: Deps, actor: StaffActor, id: string): Promise<AccountRow> {
  if (scopeOf(actor, "account.manage").kind === "none") throw forbidden("you may not manage accounts");
  const row = await findAccountById(deps.db, id);
  if (row === undefined || !can(actor, "account.manage", { schoolId: row.school_id })) throw notFound("account not found");
  if (!canAssignRole(actor, row.role)) throw forbidden(`you may not manage ${row.role} accounts`);
  return row;
}

const staffAudit = (actor: StaffActor, request: FastifyRequest) => ({ actorId: actor.accountId, actorRole: actor.role, address: request.ip });

export const accountRoutes: FastifyPluginAsync<{ deps: Deps }> = async (plain, { deps }) => {
  const app = plain.withTypeProvider<ZodTypeProvider>();
  const { db } = deps;

  app.post("/api/auth/login", { config: { startsSession: true }, schema: { body: LoginBody, response: { 200: SessionResponse } } }, async (request, reply) => {
    const username = request.body.username.toLowerCase();
    const { password } = request.body;
    const now = deps.now();
    const accountKey = loginAccountKey(username);
    const addressKey = loginAddressKey(request.ip);
    const lockedUntil = lockOf(await checkLocked(db, accountKey, now), await checkLocked(db, addressKey, now));
    if (lockedUntil !== undefined) {
      await writeAudit(db, now, { actorId: null, actorRole: "anonymous", action: "auth.login_failed", context: { reason: "locked" }, address: request.ip });
      throw lockedError(reply, lockedUntil, now);
    }
    const account = await findAccountByUsername(db, username);
    const usable = account !== undefined && !account.disabled && account.password_hash !== null;
    const ok = usable ? await verifyPassword(password, account.password_hash!) : await verifyAgainstNothing(password);
    if (!ok) {
      await recordFailure(db, accountKey, now, LOGIN_ACCOUNT_POLICY);
      await recordFailure(db, addressKey, now, LOGIN_ADDRESS_POLICY);
      // The typed username of an unknown account is not stored: people type their password there.
      const reason = account === undefined ? "unknown_user" : account.disabled ? "disabled" : account.password_hash === null ? "no_password" : "bad_password";
      await writeAudit(db, now, { actorId: null, actorRole: "anonymous", action: "auth.login_failed", schoolId: account?.school_id ?? null, subject: account?.id ?? null, context: { reason }, address: request.ip });
      throw new ApiError(401, "bad_credentials", "wrong username or password / 用户名或密码错误");
    }
    const signedIn = account!;
    await clearFailures(db, accountKey);
    // A new session on every sign-in (no fixation); the auth plugin already ended the one this browser had.
    const session = await createSession(deps, { accountId: signedIn.id });
    if (needsRehash(signedIn.password_hash!)) {
      await db.query("UPDATE accounts SET password_hash = $2 WHERE id = $1", [signedIn.id, await hashPassword(password, deps.randomBytes(SALT_BYTES))]);
    }
    await writeAudit(db, now, { actorId: signedIn.id, actorRole: signedIn.role, action: "auth.login", schoolId: signedIn.school_id, subject: signedIn.id, address: request.ip });
    setSessionCookie(deps, reply, session.token);
    return { csrfToken: session.csrfToken, account: sessionAccount(signedIn) };
  });

  app.post("/api/auth/logout", async (request, reply) => {
    const actor = request.actor;
    if (actor.kind !== "anonymous") {
      await deleteSession(db, actor.sessionHash);
      if (actor.kind === "staff") {
        await writeAudit(db, deps.now(), { ...staffAudit(actor, request), action: "auth.logout", schoolId: actor.schoolId, subject: actor.accountId });
      }
    }
    clearSessionCookie(deps, reply);
    return reply.status(204).send();
  });

  app.get("/api/auth/session", { schema: { response: { 200: SessionResponse } } }, async (request) => {
    const actor = requireStaff(request);
    const { rows } = await db.query<{ csrf_token: string }>("SELECT csrf_token FROM sessions WHERE token_hash = $1", [actor.sessionHash]);
    const account = await findAccountById(db, actor.accountId);
    if (rows[0] === undefined || account === undefined) throw new ApiError(401, "unauthenticated", "sign in first");
    return { csrfToken: rows[0].csrf_token, account: sessionAccount(account) };
  });

  app.post("/api/auth/setup", { schema: { body: SetupBody, response: { 200: SetupResponse } } }, async (request) => {
    const { token, password } = request.body;
    const now = deps.now();
    const account = await accountOfSetupToken(db, token, now);
    if (account === undefined || account.disabled) throw invalidSetupToken();
    const problems = passwordProblems(password, account.username);
    if (problems.length > 0) {
      throw badRequest("weak_password", "this password cannot be used / 此密码不可用", problems.map((p) => ({ path: "body.password", code: p.code, message: p.message })));
    }
    const hash = await hashPassword(password, deps.randomBytes(SALT_BYTES));
    await db.transaction(async (tx) => {
      if (!(await consumeSetupToken(tx, token, account.id, now))) throw invalidSetupToken();
      await tx.query("UPDATE accounts SET password_hash = $2, password_changed_at = $3 WHERE id = $1", [account.id, hash, now]);
      await tx.query("DELETE FROM setup_tokens WHERE account_id = $1 AND used_at IS NULL", [account.id]);
      await deleteSessionsOf(tx, account.id);
      await writeAudit(tx, now, { actorId: account.id, actorRole: account.role, action: "account.password_set", schoolId: account.school_id, subject: account.id, address: request.ip });
    });
    return { account: sessionAccount(account) };
  });

  app.post("/api/accounts", { schema: { body: CreateAccountBody, response: { 201: CreatedAccount } } }, async (request, reply) => {
    const actor = requireStaff(request);
    if (scopeOf(actor, "account.manage").kind === "none") throw forbidden("you may not manage accounts");
    const body = request.body;
    if (!canAssignRole(actor, body.role)) throw forbidden(`you may not create ${body.role} accounts`);
    const district = DISTRICT_ROLES.includes(body.role);
    // A school lead's new accounts are of the lead's school unless said otherwise.
    const schoolId = body.schoolId !== undefined ? body.schoolId : district ? null : actor.schoolId;
    if (district && schoolId !== null) throw badRequest("invalid_request", "district accounts belong to no school", [{ path: "body.schoolId", code: "must_be_null", message: `${body.role} accounts belong to no school` }]);
    if (!district && schoolId === null) throw badRequest("invalid_request", "this account needs a school", [{ path: "body.schoolId", code: "required", message: `${body.role} accounts belong to a school` }]);
    if (!can(actor, "account.manage", { schoolId }) || (schoolId !== null && !(await schoolExists(db, schoolId)))) throw notFound("school not found");
    const classes = body.classes ?? [];
    await checkClasses(deps, body.role, schoolId, classes);

    const id = deps.newId();
    const now = deps.now();
    try {
      const created = await db.transaction(async (tx) => {
        await tx.query("INSERT INTO accounts (id, username, display_name_enc, role, school_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)", [
          id,
          body.username,
          body.displayName === undefined ? null : encrypt(deps.keys, body.displayName, displayNameContext(id)),
          body.role,
          schoolId,
          now,
        ]);
        await replaceClasses(tx, id, classes);
        const link = await issueSetupToken(deps, tx, id, SETUP_TOKEN_HOURS);
        await writeAudit(tx, now, { ...staffAudit(actor, request), action: "account.created", schoolId, subject: id, context: { role: body.role, classes: classes.length } });
        return { row: (await findAccountById(tx, id))!, link };
      });
      return reply.status(201).send({ account: toView(deps.keys, created.row), setupToken: created.link.token, setupExpiresAt: created.link.expiresAt.toISOString() });
    } catch (e) {
      if (isUniqueViolation(e)) throw conflict("username_taken", "this username is taken / 用户名已被使用");
      throw e;
    }
  });

  app.get("/api/accounts", { schema: { querystring: ListAccountsQuery, response: { 200: AccountList } } }, async (request) => {
    const actor = requireStaff(request);
    const scope = scopeOf(actor, "account.manage");
    if (scope.kind === "none") throw forbidden("you may not manage accounts");
    const { schoolId, after } = request.query;
    const limit = request.query.limit ?? 500;
    // A school lead sees their own school; asking for another school answers like an empty one.
    if (scope.kind !== "all" && schoolId !== undefined && !can(actor, "account.manage", { schoolId })) return { accounts: [], next: null };
    const rows = await listAccounts(db, { schoolId: scope.kind === "all" ? schoolId : actor.schoolId!, after, limit: limit + 1 });
    const page = rows.slice(0, limit);
    return { accounts: page.map((r) => toView(deps.keys, r)), next: rows.length > limit ? page[page.length - 1]!.username : null };
  });

  app.patch("/api/accounts/:id", { schema: { params: AccountParams, body: UpdateAccountBody, response: { 200: AccountView } } }, async (request) => {
    const actor = requireStaff(request);
    const row = await manageableAccount(deps, actor, request.params.id);
    const body = request.body;
    if (body.disabled === true && row.id === actor.accountId) throw conflict("cannot_disable_self", "you cannot disable your own account");
    if (body.classes !== undefined) await checkClasses(deps, row.role, row.school_id, body.classes);
    const now = deps.now();
    const updated = await db.transaction(async (tx) => {
      if (body.disabled !== undefined) {
        await tx.query("UPDATE accounts SET disabled = $2 WHERE id = $1", [row.id, body.disabled]);
        if (body.disabled) await deleteSessionsOf(tx, row.id);
      }
      if (body.displayName !== undefined) {
        await tx.query("UPDATE accounts SET display_name_enc = $2 WHERE id = $1", [row.id, body.displayName === null ? null : encrypt(deps.keys, body.displayName, displayNameContext(row.id))]);
      }
      if (body.classes !== undefined) await replaceClasses(tx, row.id, body.classes);
      const changed = Object.keys(body).sort();
      await writeAudit(tx, now, { ...staffAudit(actor, request), action: "account.changed", schoolId: row.school_id, subject: row.id, context: { changed, ...(body.disabled !== undefined && { disabled: body.disabled }) } });
      return (await findAccountById(tx, row.id))!;
    });
    return toView(deps.keys, updated);
  });

  app.post("/api/accounts/:id/reset", { schema: { params: AccountParams, response: { 200: SetupLink } } }, async (request) => {
    const actor = requireStaff(request);
    const row = await manageableAccount(deps, actor, request.params.id);
    const now = deps.now();
    const link = await db.transaction(async (tx) => {
      await tx.query("UPDATE accounts SET password_hash = NULL WHERE id = $1", [row.id]);
      await deleteSessionsOf(tx, row.id);
      const issued = await issueSetupToken(deps, tx, row.id, SETUP_TOKEN_HOURS);
      await writeAudit(tx, now, { ...staffAudit(actor, request), action: "account.reset", schoolId: row.school_id, subject: row.id });
      return issued;
    });
    return { setupToken: link.token, setupExpiresAt: link.expiresAt.toISOString() };
  });
};
