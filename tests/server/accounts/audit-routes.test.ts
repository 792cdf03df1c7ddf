import { afterAll, beforeAll, expect, it } from "vitest";
import type { Role } from "../../../src/shared/api";
import { AuditPage } from "../../../src/shared/audit";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

describeEachDatabase("GET /api/audit", (getDb) => {
  let t: TestServer;
  let admin: string;
  let adminH: Record<string, string>;
  beforeAll(async () => {
    t = await startTestServer(getDb());
    admin = await t.seed.account("admin", { username: "root.admin" });
    adminH = (await t.signIn(admin)).headers;
  });
  afterAll(() => t.app.close());

  const read = (query: string, headers = adminH) => t.app.inject({ method: "GET", url: `/api/audit${query}`, headers });

  /** Appends audit rows for school `schoolId`, one per action, at the given instants. */
  async function rows(schoolId: string, entries: readonly (readonly [action: string, at: string])[], actorId: string | null = admin, actorRole = "admin"): Promise<void> {
    for (const [action, at] of entries) {
      await t.db.query("INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, subject, context, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", [
        new Date(at),
        actorId,
        actorRole,
        action,
        schoolId,
        "subject-1",
        JSON.stringify({ reason: "test" }),
        "10.0.0.1",
      ]);
    }
  }

  it("lists a school's entries newest first, with who did it, in pages that together hold every entry once", async () => {
    const school = await t.seed.school();
    const times = Array.from({ length: 7 }, (_, i) => `2026-03-0${i + 1}T09:00:00+08:00`);
    await rows(school, times.map((at) => ["wave.update", at] as const));
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const res = await read(`?schoolId=${school}&limit=3${next === null ? "" : `&before=${next}`}`);
      expect(res.statusCode).toBe(200);
      const page = AuditPage.parse(res.json());
      seen.push(...page.entries.map((e) => e.at));
      next = page.next;
      pages++;
    } while (next !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(times.map((at) => new Date(at).toISOString()).reverse());
    const first = AuditPage.parse((await read(`?schoolId=${school}&limit=1`)).json()).entries[0];
    expect(first).toEqual({
      id: expect.stringMatching(/^[0-9]+$/),
      at: new Date(times[6]!).toISOString(),
      actorId: admin,
      actorRole: "admin",
      actorUsername: "root.admin",
      action: "wave.update",
      schoolId: school,
      studentId: null,
      subject: "subject-1",
      context: { reason: "test" },
      address: "10.0.0.1",
    });
  });

  it("filters by one action, or by a family of actions ending with a dot", async () => {
    const school = await t.seed.school();
    await rows(school, [
      ["code.issue", "2026-03-02T08:00:00+08:00"],
      ["code.revoke", "2026-03-02T08:01:00+08:00"],
      ["code_x.read", "2026-03-02T08:02:00+08:00"],
      ["wave.open", "2026-03-02T08:03:00+08:00"],
    ]);
    const actions = async (filter: string) => AuditPage.parse((await read(`?schoolId=${school}&action=${filter}`)).json()).entries.map((e) => e.action);
    expect(await actions("code.revoke")).toEqual(["code.revoke"]);
    // "_" is not a wildcard: "code." does not match code_x.read.
    expect(await actions("code.")).toEqual(["code.revoke", "code.issue"]);
    expect(await actions("code")).toEqual([]);
  });

  it("filters by time, from inclusive to exclusive, and refuses a range that ends before it starts", async () => {
    const school = await t.seed.school();
    await rows(school, [
      ["wave.create", "2026-02-28T23:59:59+08:00"],
      ["wave.open", "2026-03-01T00:00:00+08:00"],
      ["wave.close", "2026-03-01T23:59:59+08:00"],
      ["wave.update", "2026-03-02T00:00:00+08:00"],
    ]);
    const res = await read(`?schoolId=${school}&from=${encodeURIComponent("2026-03-01T00:00:00+08:00")}&to=${encodeURIComponent("2026-03-02T00:00:00+08:00")}`);
    expect(AuditPage.parse(res.json()).entries.map((e) => e.action)).toEqual(["wave.close", "wave.open"]);
    const backwards = await read(`?from=${encodeURIComponent("2026-03-02T00:00:00+08:00")}&to=${encodeURIComponent("2026-03-01T00:00:00+08:00")}`);
    expect(backwards.statusCode).toBe(400);
    expect(backwards.json().error.details).toEqual([{ path: "querystring.to", code: "before_from", message: expect.any(String) }]);
  });

  it("shows a student actor and a failed anonymous sign-in without a username", async () => {
    const school = await t.seed.school();
    await rows(school, [["student.session", "2026-03-02T08:00:00+08:00"]], "student-1", "student");
    await rows(school, [["auth.login_failed", "2026-03-02T08:01:00+08:00"]], null, "anonymous");
    const entries = AuditPage.parse((await read(`?schoolId=${school}`)).json()).entries;
    expect(entries.map((e) => [e.action, e.actorId, e.actorRole, e.actorUsername])).toEqual([
      ["auth.login_failed", null, "anonymous", null],
      ["student.session", "student-1", "student", null],
    ]);
  });

  it("appends each read of the log to the log, with its filters, and changes no other row", async () => {
    const school = await t.seed.school();
    await rows(school, [["wave.open", "2026-03-02T08:00:00+08:00"]]);
    const before = await t.db.query("SELECT id::text, action, at FROM audit_log ORDER BY audit_log.id");
    expect((await read(`?schoolId=${school}&action=wave.`)).statusCode).toBe(200);
    const after = await t.db.query<{ id: string; action: string; actor_id: string; context: unknown }>("SELECT id::text, action, at, actor_id, context FROM audit_log ORDER BY audit_log.id");
    expect(after.rows.slice(0, before.rows.length).map(({ id, action }) => ({ id, action }))).toEqual(before.rows.map(({ id, action }) => ({ id, action })));
    expect(after.rows.slice(before.rows.length).map(({ action, actor_id, context }) => ({ action, actor_id, context }))).toEqual([
      { action: "audit.read", actor_id: admin, context: { filters: { schoolId: school, action: "wave." }, entries: 1 } },
    ]);
  });

  it.each(["school-lead", "counselor", "analyst", "homeroom"] as const)("refuses a %s with 403", async (role: Role) => {
    const school = role === "analyst" ? null : await t.seed.school();
    const { headers } = await t.signIn(await t.seed.account(role, { schoolId: school }));
    const res = await read("", headers);
    expect(res.statusCode).toBe(403);
    expect(res.body).not.toContain("audit.read");
  });

  it("answers 401 without a session", async () => {
    expect((await t.app.inject({ method: "GET", url: "/api/audit" })).statusCode).toBe(401);
  });

  it.each([
    ["an unknown parameter", "?all=true", "querystring"],
    ["SQL in the action", `?action=${encodeURIComponent("x' OR 1=1 --")}`, "querystring.action"],
    ["a cursor that is not a number", "?before=1%3BDROP", "querystring.before"],
    ["a date without an offset", "?from=2026-03-01T00:00:00", "querystring.from"],
    ["a page of 501", "?limit=501", "querystring.limit"],
  ])("refuses %s with 400 naming the parameter", async (_label, query, path) => {
    const res = await read(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe(path);
  });
});
