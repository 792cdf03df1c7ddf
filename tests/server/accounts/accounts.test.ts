import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureFirstAdmin } from "../../../src/server/features/accounts/first-admin";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { login, sessionCookieOf, setPassword } from "./helpers";

const HOUR = 3_600_000;
const GOOD_PASSWORD = "长城-spring-wave-2026";

describeEachDatabase("accounts", (getDb, { freshDatabase }) => {
  let t: TestServer;
  let schoolA: string;
  let schoolB: string;
  let classA1: string;
  let classA2: string;
  let classB1: string;
  let admin: string;
  let leadA: string;
  let counselorA: string;
  let adminH: Record<string, string>;
  let leadH: Record<string, string>;
  let n = 0;
  const uname = (prefix: string) => `${prefix}.${++n}`;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    schoolA = await t.seed.school();
    schoolB = await t.seed.school();
    classA1 = await t.seed.klass(schoolA, 7, "1");
    classA2 = await t.seed.klass(schoolA, 7, "2");
    classB1 = await t.seed.klass(schoolB, 7, "1");
    admin = await t.seed.account("admin", { username: "root.admin" });
    leadA = await t.seed.account("school-lead", { schoolId: schoolA, username: "lead.a" });
    counselorA = await t.seed.account("counselor", { schoolId: schoolA, username: "counselor.a" });
    await t.seed.account("counselor", { schoolId: schoolB, username: "counselor.b" });
  });
  // Some tests move the clock by days: every test starts with fresh sessions.
  beforeEach(async () => {
    adminH = (await t.signIn(admin)).headers;
    leadH = (await t.signIn(leadA)).headers;
  });
  afterAll(() => t.app.close());

  const create = (headers: Record<string, string>, payload: unknown) => t.app.inject({ method: "POST", url: "/api/accounts", headers, payload: payload as object });
  const setup = (token: string, password: string) => t.app.inject({ method: "POST", url: "/api/auth/setup", payload: { token, password } });

  describe("creating accounts", () => {
    it("lets a school lead create a homeroom teacher of their school with classes, and shows the set-up token once", async () => {
      const username = uname("wang");
      const res = await create(leadH, { username, role: "homeroom", displayName: "王老师", classes: [{ classId: classA1, relation: "homeroom" }, { classId: classA2, relation: "subject" }] });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toEqual({
        account: {
          id: expect.any(String),
          username,
          role: "homeroom",
          schoolId: schoolA,
          displayName: "王老师",
          disabled: false,
          hasPassword: false,
          classes: expect.arrayContaining([{ classId: classA1, relation: "homeroom" }, { classId: classA2, relation: "subject" }]),
          createdAt: t.clock.now().toISOString(),
        },
        setupToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
        setupExpiresAt: new Date(t.clock.now().getTime() + 72 * HOUR).toISOString(),
      });
      // the token is stored only hashed, the display name only encrypted
      const { rows } = await t.db.query("SELECT a.display_name_enc, t.token_hash FROM accounts a JOIN setup_tokens t ON t.account_id = a.id WHERE a.id = $1", [body.account.id]);
      expect(JSON.stringify(rows)).not.toContain(body.setupToken);
      expect(JSON.stringify(rows)).not.toContain("王老师");
      const audit = await t.db.query("SELECT actor_id, action, school_id, subject, context FROM audit_log WHERE action = 'account.created' AND subject = $1", [body.account.id]);
      expect(audit.rows).toEqual([{ actor_id: leadA, action: "account.created", school_id: schoolA, subject: body.account.id, context: { role: "homeroom", classes: 2 } }]);
    });

    it("puts a school lead's new account in the lead's school when no school is given", async () => {
      const res = await create(leadH, { username: uname("zhao"), role: "counselor" });
      expect(res.statusCode).toBe(201);
      expect(res.json().account.schoolId).toBe(schoolA);
    });

    it.each(["admin", "analyst", "school-lead"] as const)("refuses a school lead creating a %s account with 403", async (role) => {
      const res = await create(leadH, { username: uname("x"), role, ...(role === "school-lead" && { schoolId: schoolA }) });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("forbidden");
    });

    it("answers a school lead creating an account in another school with 404, as for a school that does not exist", async () => {
      const other = await create(leadH, { username: uname("x"), role: "counselor", schoolId: schoolB });
      const none = await create(leadH, { username: uname("x"), role: "counselor", schoolId: "no-such-school" });
      expect(other.statusCode).toBe(404);
      expect(other.json()).toEqual(none.json());
      const { rows } = await t.db.query<{ n: number }>("SELECT count(*)::int AS n FROM accounts WHERE school_id = $1", [schoolB]);
      expect(rows[0]!.n).toBe(1);
    });

    it.each(["counselor", "homeroom", "analyst"] as const)("refuses a %s creating accounts with 403", async (role) => {
      const id = await t.seed.account(role, { schoolId: role === "analyst" ? null : schoolA });
      const { headers } = await t.signIn(id);
      const res = await create(headers, { username: uname("x"), role: "peer", schoolId: schoolA });
      expect(res.statusCode).toBe(403);
    });

    it("refuses an anonymous caller with 401", async () => {
      const res = await create({}, { username: uname("x"), role: "peer", schoolId: schoolA });
      expect(res.statusCode).toBe(401);
    });

    it("lets an admin create accounts of every role, district ones without a school", async () => {
      expect((await create(adminH, { username: uname("analyst"), role: "analyst" })).statusCode).toBe(201);
      expect((await create(adminH, { username: uname("admin"), role: "admin" })).statusCode).toBe(201);
      expect((await create(adminH, { username: uname("lead"), role: "school-lead", schoolId: schoolB })).statusCode).toBe(201);
    });

    it.each([
      ["a school account without a school", { role: "counselor" }, "body.schoolId", "required"],
      ["a district account with a school", { role: "analyst", schoolId: "x" }, "body.schoolId", "must_be_null"],
    ])("refuses %s with a 400 naming the field", async (_name, extra, path, code) => {
      const res = await create(adminH, { username: uname("x"), ...extra });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details).toEqual([{ path, code, message: expect.any(String) }]);
    });

    it("answers an admin creating an account in a school that does not exist with 404", async () => {
      expect((await create(adminH, { username: uname("x"), role: "counselor", schoolId: "no-such-school" })).statusCode).toBe(404);
    });

    it("refuses classes of another school and relations the role cannot hold, naming each, and writes nothing", async () => {
      const username = uname("bad");
      const res = await create(leadH, { username, role: "homeroom", classes: [{ classId: classA1, relation: "homeroom" }, { classId: classB1, relation: "homeroom" }] });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toEqual({ code: "invalid_classes", message: expect.any(String), details: [{ path: "body.classes.1.classId", code: "unknown_class", message: "no such class in this school" }] });
      const peer = await create(leadH, { username, role: "peer", classes: [{ classId: classA1, relation: "homeroom" }] });
      expect(peer.json().error.details).toEqual([{ path: "body.classes.0.relation", code: "relation_not_allowed", message: "a peer account cannot have a homeroom class" }]);
      const { rows } = await t.db.query("SELECT 1 FROM accounts WHERE username = $1", [username]);
      expect(rows).toEqual([]);
    });

    it("refuses a username that is taken with 409", async () => {
      const res = await create(leadH, { username: "counselor.a", role: "counselor" });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe("username_taken");
    });

    it.each([
      ["SQL", "x'; DROP TABLE accounts; --"],
      ["script", "<script>alert(1)</script>"],
      ["NUL", "abc\u0000def"],
      ["upper case", "WangLi"],
      ["emoji", "wang😀"],
      ["rare CJK", "𠀀𪚥"],
      ["too short", "ab"],
      ["1 MB", "a".repeat(1_000_000)],
    ])("refuses a hostile username (%s) with a 400 naming body.username", async (_name, username) => {
      const res = await create(leadH, { username, role: "counselor" });
      expect(res.statusCode).toBe(400);
      const { error } = res.json();
      expect(error.code).toBe("invalid_request");
      for (const d of error.details) expect(d.path).toBe("body.username");
    });

    it.each([
      ["an unknown field", { username: "ok.name", role: "counselor", isAdmin: true }, "body"],
      ["an unknown role", { username: "ok.name", role: "superuser" }, "body.role"],
      ["a display name with NUL", { username: "ok.name", role: "counselor", displayName: "王\u0000" }, "body.displayName"],
      ["a 1 MB display name", { username: "ok.name", role: "counselor", displayName: "王".repeat(300_000) }, "body.displayName"],
      ["a hostile class id", { username: "ok.name", role: "homeroom", classes: [{ classId: "x' OR 1=1 --", relation: "homeroom" }] }, "body.classes.0.classId"],
      ["an unknown field in a class", { username: "ok.name", role: "homeroom", classes: [{ classId: "c1", relation: "homeroom", extra: 1 }] }, "body.classes.0"],
    ])("refuses %s with a 400 naming the place", async (_name, payload, path) => {
      const res = await create(leadH, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it("stores a display name with script and SQL verbatim, as data", async () => {
      const displayName = "<script>alert('x')</script>'; DROP TABLE accounts; -- 𠀀";
      const res = await create(leadH, { username: uname("verbatim"), role: "counselor", displayName });
      expect(res.statusCode).toBe(201);
      expect(res.json().account.displayName).toBe(displayName);
    });
  });

  describe("set-up links and passwords", () => {
    async function newAccount(role: "counselor" | "homeroom" = "counselor") {
      const username = uname("setup");
      const res = await create(leadH, { username, role });
      return { username, id: res.json().account.id as string, token: res.json().setupToken as string };
    }

    it("sets the password once with the token; the account can then sign in; the token cannot be used again", async () => {
      const { username, id, token } = await newAccount();
      const res = await setup(token, GOOD_PASSWORD);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ account: { id, username, role: "counselor", schoolId: schoolA } });
      expect((await login(t, username, GOOD_PASSWORD)).statusCode).toBe(200);
      const again = await setup(token, "another-password-123");
      expect(again.statusCode).toBe(400);
      expect(again.json().error.code).toBe("invalid_setup_token");
      expect((await login(t, username, GOOD_PASSWORD)).statusCode).toBe(200);
    });

    it("refuses an expired token the same way as an unknown one", async () => {
      const { token } = await newAccount();
      t.clock.advance(72 * HOUR);
      const expired = await setup(token, GOOD_PASSWORD);
      const unknown = await setup("A".repeat(43), GOOD_PASSWORD);
      expect(expired.statusCode).toBe(400);
      expect(expired.json()).toEqual(unknown.json());
      expect(expired.json().error.code).toBe("invalid_setup_token");
    });

    it("lets only one of two simultaneous uses of a token set the password", async () => {
      const { username, token } = await newAccount();
      const [a, b] = await Promise.all([setup(token, "first-password-123"), setup(token, "second-password-456")]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([200, 400]);
      const winner = a.statusCode === 200 ? "first-password-123" : "second-password-456";
      expect((await login(t, username, winner)).statusCode).toBe(200);
    });

    it.each([
      ["too short", "short1234", ["too_short"]],
      ["contains the username", (u: string) => `my-${u.toUpperCase()}-pass`, ["contains_username"]],
      ["with control characters", "tab\there-1234", ["control_character"]],
    ])("refuses a password %s with a 400 naming body.password, and keeps the token usable", async (_name, pw, codes) => {
      const { username, token } = await newAccount();
      const password = typeof pw === "function" ? pw(username) : pw;
      const res = await setup(token, password);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe("weak_password");
      expect(res.json().error.details.map((d: { path: string; code: string }) => [d.path, d.code])).toEqual(codes.map((c) => ["body.password", c]));
      expect((await setup(token, GOOD_PASSWORD)).statusCode).toBe(200);
    });

    it.each([
      ["a hostile token", { token: "x' OR '1'='1", password: GOOD_PASSWORD }, "body.token"],
      ["a NUL in the token", { token: `${"A".repeat(40)}\u0000`, password: GOOD_PASSWORD }, "body.token"],
      ["a 1 MB password", { token: "A".repeat(43), password: "p".repeat(1_000_000) }, "body.password"],
      ["an unknown field", { token: "A".repeat(43), password: GOOD_PASSWORD, role: "admin" }, "body"],
    ])("refuses %s with a 400 naming the place", async (_name, payload, path) => {
      const res = await t.app.inject({ method: "POST", url: "/api/auth/setup", payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it("writes an audit row for the password set, without the password or the token", async () => {
      const { id, token } = await newAccount();
      await setup(token, GOOD_PASSWORD);
      const { rows } = await t.db.query("SELECT actor_id, action, subject FROM audit_log WHERE action = 'account.password_set' AND subject = $1", [id]);
      expect(rows).toEqual([{ actor_id: id, action: "account.password_set", subject: id }]);
      const all = JSON.stringify((await t.db.query("SELECT * FROM audit_log")).rows);
      expect(all).not.toContain(GOOD_PASSWORD);
      expect(all).not.toContain(token);
    });
  });

  describe("listing accounts", () => {
    it("never returns a password hash", async () => {
      await setPassword(t, counselorA, GOOD_PASSWORD);
      for (const headers of [adminH, leadH]) {
        const res = await t.app.inject({ method: "GET", url: "/api/accounts", headers });
        expect(res.statusCode).toBe(200);
        expect(res.body).not.toMatch(/scrypt|password_hash|passwordHash/);
        const mine = res.json().accounts.find((a: { id: string }) => a.id === counselorA);
        expect(mine).toMatchObject({ username: "counselor.a", hasPassword: true });
        expect(Object.keys(mine).sort()).toEqual(["classes", "createdAt", "disabled", "displayName", "hasPassword", "id", "role", "schoolId", "username"]);
      }
    });

    it("shows a school lead the accounts of their school only, and nothing for another school", async () => {
      const own = await t.app.inject({ method: "GET", url: "/api/accounts", headers: leadH });
      const schools = new Set(own.json().accounts.map((a: { schoolId: string }) => a.schoolId));
      expect([...schools]).toEqual([schoolA]);
      const other = await t.app.inject({ method: "GET", url: `/api/accounts?schoolId=${schoolB}`, headers: leadH });
      expect(other.statusCode).toBe(200);
      expect(other.json()).toEqual({ accounts: [], next: null });
    });

    it("lets an admin filter by school and page through by username", async () => {
      const all = (await t.app.inject({ method: "GET", url: `/api/accounts?schoolId=${schoolA}`, headers: adminH })).json().accounts as { username: string }[];
      expect(all.length).toBeGreaterThan(3);
      const first = (await t.app.inject({ method: "GET", url: `/api/accounts?schoolId=${schoolA}&limit=2`, headers: adminH })).json();
      expect(first.accounts.map((a: { username: string }) => a.username)).toEqual(all.slice(0, 2).map((a) => a.username));
      const second = (await t.app.inject({ method: "GET", url: `/api/accounts?schoolId=${schoolA}&limit=2&after=${encodeURIComponent(first.next)}`, headers: adminH })).json();
      expect(second.accounts.map((a: { username: string }) => a.username)).toEqual(all.slice(2, 4).map((a) => a.username));
    });

    it("refuses a counselor with 403 and bad query strings with 400", async () => {
      const { headers } = await t.signIn(counselorA);
      expect((await t.app.inject({ method: "GET", url: "/api/accounts", headers })).statusCode).toBe(403);
      expect((await t.app.inject({ method: "GET", url: "/api/accounts?limit=0", headers: adminH })).statusCode).toBe(400);
      expect((await t.app.inject({ method: "GET", url: "/api/accounts?schoolId=%27%20OR%201%3D1", headers: adminH })).statusCode).toBe(400);
      expect((await t.app.inject({ method: "GET", url: "/api/accounts?sort=password_hash", headers: adminH })).statusCode).toBe(400);
      expect((await t.app.inject({ method: "GET", url: "/api/accounts?after=%00abc", headers: adminH })).statusCode).toBe(400);
      expect((await t.app.inject({ method: "GET", url: `/api/accounts?after=${"a".repeat(5000)}`, headers: adminH })).statusCode).toBe(400);
    });
  });

  describe("changing and resetting accounts", () => {
    async function teacher() {
      const res = await create(leadH, { username: uname("teacher"), role: "homeroom", classes: [{ classId: classA1, relation: "homeroom" }] });
      const { id, username } = res.json().account;
      await setPassword(t, id, GOOD_PASSWORD);
      return { id: id as string, username: username as string };
    }
    const patch = (headers: Record<string, string>, id: string, payload: unknown) => t.app.inject({ method: "PATCH", url: `/api/accounts/${id}`, headers, payload: payload as object });

    it("disables an account: its sessions end and it cannot sign in; enabling lets it back", async () => {
      const { id, username } = await teacher();
      const { headers } = await t.signIn(id);
      const res = await patch(leadH, id, { disabled: true });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ id, disabled: true });
      expect((await t.app.inject({ method: "GET", url: "/api/auth/session", headers })).statusCode).toBe(401);
      expect((await login(t, username, GOOD_PASSWORD)).statusCode).toBe(401);
      expect((await patch(leadH, id, { disabled: false })).statusCode).toBe(200);
      expect((await login(t, username, GOOD_PASSWORD)).statusCode).toBe(200);
      const { rows } = await t.db.query("SELECT context FROM audit_log WHERE action = 'account.changed' AND subject = $1 ORDER BY id", [id]);
      expect(rows).toEqual([{ context: { changed: ["disabled"], disabled: true } }, { context: { changed: ["disabled"], disabled: false } }]);
    });

    it("replaces an account's classes", async () => {
      const { id } = await teacher();
      const res = await patch(leadH, id, { classes: [{ classId: classA2, relation: "subject" }] });
      expect(res.json().classes).toEqual([{ classId: classA2, relation: "subject" }]);
      const cleared = await patch(leadH, id, { classes: [], displayName: "李老师" });
      expect(cleared.json()).toMatchObject({ classes: [], displayName: "李老师" });
    });

    it("answers a school lead changing another school's account with 404 and a school lead's account with 403", async () => {
      const otherSchool = (await t.db.query<{ id: string }>("SELECT id FROM accounts WHERE username = 'counselor.b'")).rows[0]!.id;
      expect((await patch(leadH, otherSchool, { disabled: true })).statusCode).toBe(404);
      expect((await patch(leadH, "no-such-account", { disabled: true })).json()).toEqual((await patch(leadH, otherSchool, { disabled: true })).json());
      expect((await patch(leadH, admin, { disabled: true })).statusCode).toBe(404);
      const otherLead = await t.seed.account("school-lead", { schoolId: schoolA });
      expect((await patch(leadH, otherLead, { disabled: true })).statusCode).toBe(403);
    });

    it("refuses disabling yourself", async () => {
      const res = await patch(adminH, admin, { disabled: true });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe("cannot_disable_self");
    });

    it.each([
      ["an empty change", {}],
      ["an unknown field", { role: "admin" }],
      ["a password field", { password: "x" }],
      ["disabled as a string", { disabled: "yes" }],
    ])("refuses %s with 400", async (_name, payload) => {
      const { id } = await teacher();
      expect((await patch(leadH, id, payload)).statusCode).toBe(400);
    });

    it("answers a hostile account id with 400", async () => {
      const res = await t.app.inject({ method: "PATCH", url: `/api/accounts/${encodeURIComponent("x' OR 1=1; --")}`, headers: leadH, payload: { disabled: true } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe("params.id");
    });

    it("resets an account: a new set-up token, the old password and every session end", async () => {
      const { id, username } = await teacher();
      const { headers } = await t.signIn(id);
      const res = await t.app.inject({ method: "POST", url: `/api/accounts/${id}/reset`, headers: leadH });
      expect(res.statusCode).toBe(200);
      const { setupToken } = res.json();
      expect(setupToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect((await t.app.inject({ method: "GET", url: "/api/auth/session", headers })).statusCode).toBe(401);
      expect((await login(t, username, GOOD_PASSWORD)).statusCode).toBe(401);
      expect((await setup(setupToken, "a-brand-new-pass-1")).statusCode).toBe(200);
      expect((await login(t, username, "a-brand-new-pass-1")).statusCode).toBe(200);
    });

    it("makes an earlier set-up token useless once a newer one is issued", async () => {
      const created = await create(leadH, { username: uname("twice"), role: "counselor" });
      const { account, setupToken: first } = created.json();
      await t.app.inject({ method: "POST", url: `/api/accounts/${account.id}/reset`, headers: leadH });
      expect((await setup(first, GOOD_PASSWORD)).statusCode).toBe(400);
    });

    it("answers a school lead resetting another school's account with 404", async () => {
      const otherSchool = (await t.db.query<{ id: string }>("SELECT id FROM accounts WHERE username = 'counselor.b'")).rows[0]!.id;
      expect((await t.app.inject({ method: "POST", url: `/api/accounts/${otherSchool}/reset`, headers: leadH })).statusCode).toBe(404);
    });
  });

  describe("CSRF on every state-changing call", () => {
    it.each([
      ["POST", "/api/accounts", { username: "csrf.test", role: "counselor" }],
      ["PATCH", "/api/accounts/ACCOUNT", { disabled: true }],
      ["POST", "/api/accounts/ACCOUNT/reset", undefined],
      ["POST", "/api/auth/logout", undefined],
      ["POST", "/api/auth/setup", { token: "A".repeat(43), password: GOOD_PASSWORD }],
    ] as const)("refuses %s %s on a session without the x-csrf-token header", async (method, url, payload) => {
      const { cookie } = await t.signIn(leadA);
      const res = await t.app.inject({ method, url: url.replace("ACCOUNT", counselorA), headers: { cookie }, ...(payload && { payload }) });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toEqual({ error: { code: "csrf", message: "missing or wrong CSRF token" } });
      const wrong = await t.app.inject({ method, url: url.replace("ACCOUNT", counselorA), headers: { cookie, "x-csrf-token": "forged" }, ...(payload && { payload }) });
      expect(wrong.statusCode).toBe(403);
    });
  });

  it("signs in on a PC that still holds someone's session cookie, without that session's CSRF token, with a fresh session", async () => {
    await setPassword(t, leadA, GOOD_PASSWORD);
    const { cookie } = await t.signIn(leadA);
    const res = await login(t, "lead.a", GOOD_PASSWORD, { cookie });
    expect(res.statusCode).toBe(200);
    const fresh = sessionCookieOf(res);
    expect(fresh).toMatch(/^xq_session=/);
    expect(fresh).not.toBe(cookie);
  });

  it("documents every accounts route in the OpenAPI document", async () => {
    const doc = (await t.app.inject({ method: "GET", url: "/api/openapi.json" })).json();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(["/api/auth/login", "/api/auth/logout", "/api/auth/session", "/api/auth/setup", "/api/accounts", "/api/accounts/{id}", "/api/accounts/{id}/reset"]));
    expect(JSON.stringify(doc.paths["/api/accounts"])).not.toMatch(/password_?hash|passwordHash/i);
  });

  describe("the first administrator", () => {
    it("creates `admin` with a 24-hour set-up token on an empty database, once", async () => {
      const fresh = await freshDatabase();
      const first = await startTestServer(fresh.db);
      try {
        const made = await ensureFirstAdmin(first.deps);
        expect(made).toEqual({ created: true, setupToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), expiresAt: new Date(first.clock.now().getTime() + 24 * HOUR) });
        expect(await ensureFirstAdmin(first.deps)).toEqual({ created: false });
        if (!made.created) throw new Error("unreachable");
        const res = await first.app.inject({ method: "POST", url: "/api/auth/setup", payload: { token: made.setupToken, password: GOOD_PASSWORD } });
        expect(res.json()).toMatchObject({ account: { username: "admin", role: "admin", schoolId: null } });
        const signedIn = await login(first, "admin", GOOD_PASSWORD);
        expect(signedIn.statusCode).toBe(200);
        const who = await first.app.inject({ method: "GET", url: "/api/auth/session", headers: { cookie: sessionCookieOf(signedIn) } });
        expect(who.json().account).toMatchObject({ username: "admin", role: "admin" });
      } finally {
        await first.app.close();
      }
    });

    it("creates exactly one admin when several instances start together", async () => {
      const fresh = await freshDatabase();
      const first = await startTestServer(fresh.db);
      try {
        const results = await Promise.all(Array.from({ length: 4 }, () => ensureFirstAdmin(first.deps)));
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const { rows } = await fresh.db.query<{ n: number }>("SELECT count(*)::int AS n FROM accounts");
        expect(rows[0]!.n).toBe(1);
      } finally {
        await first.app.close();
      }
    });

    it("does nothing when accounts exist", async () => {
      expect(await ensureFirstAdmin(t.deps)).toEqual({ created: false });
    });
  });
});
