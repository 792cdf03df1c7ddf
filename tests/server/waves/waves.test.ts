import { afterAll, beforeAll, expect, it } from "vitest";
import { defaultBatteries } from "../../../instruments/batteries";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aSchool, aWave, get, post, SPRING, type SchoolFixture } from "./fixtures";

describeEachDatabase("waves", (getDb) => {
  let t: TestServer;
  let s: SchoolFixture;
  beforeAll(async () => {
    t = await startTestServer(getDb());
    s = await aSchool(t);
  });
  afterAll(() => t.app.close());

  const create = (body: unknown, headers = s.headers, schoolId = s.schoolId) => post(t, `/api/schools/${schoolId}/waves`, headers, body);
  const patch = (id: string, body: unknown, headers = s.headers) => t.app.inject({ method: "PATCH", url: `/api/waves/${id}`, headers, payload: body as object });

  it("creates a draft wave with the default batteries and policy", async () => {
    const res = await create({ ...SPRING, schoolYear: "2030-2031" });
    expect(res.statusCode).toBe(201);
    const wave = res.json();
    expect(wave).toMatchObject({ schoolId: s.schoolId, schoolYear: "2030-2031", season: "spring", status: "draft", frozenAt: null, policyVersion: "default-v1", usable: false });
    expect(wave.batteries).toEqual(defaultBatteries);
    expect(wave.opensAt).toBe(new Date(SPRING.opensAt).toISOString());
    const { rows } = await t.db.query("SELECT action FROM audit_log WHERE subject = $1", [wave.id]);
    expect(rows.map((r) => r.action)).toEqual(["wave.create"]);
  });

  it("lists and reads the school's waves", async () => {
    const id = await aWave(t, s, { schoolYear: "2031-2032" });
    const list = await get(t, `/api/schools/${s.schoolId}/waves`, s.headers);
    expect(list.statusCode).toBe(200);
    expect(list.json().waves.map((w: { id: string }) => w.id)).toContain(id);
    const one = await get(t, `/api/waves/${id}`, s.headers);
    expect(one.statusCode).toBe(200);
    expect(one.json().id).toBe(id);
  });

  it("refuses a second wave for the same school year and season with 409", async () => {
    await aWave(t, s, { schoolYear: "2032-2033" });
    const res = await create({ ...SPRING, schoolYear: "2032-2033" });
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("wave_exists");
  });

  it("answers bad batteries with every issue and its path", async () => {
    const bad = defaultBatteries.map((b, i) => (i === 1 ? { ...b, selfReport: ["phq9", "no-such-scale", "phq9"] } : b)).filter((_, i) => i !== 3);
    const res = await create({ ...SPRING, schoolYear: "2033-2034", batteries: bad });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe("invalid_wave");
    expect(error.details).toEqual(
      expect.arrayContaining([
        { path: "body.batteries.1.selfReport.1", code: "unknown-instrument", message: 'unknown instrument "no-such-scale"' },
        { path: "body.batteries.1.selfReport.2", code: "duplicate-instrument", message: '"phq9" appears twice' },
        { path: "body.batteries.coverage.autumn.1", code: "gap", message: "no battery covers grade 1 in autumn" },
      ]),
    );
  });

  it("answers a battery of the wrong shape with the path of the bad field", async () => {
    const res = await create({ ...SPRING, schoolYear: "2033-2034", batteries: [{ id: "X Y", season: "summer" }] });
    expect(res.statusCode).toBe(400);
    const paths = res.json().error.details.map((d: { path: string }) => d.path);
    expect(paths).toEqual(expect.arrayContaining(["body.batteries.0.id", "body.batteries.0.season", "body.batteries.0.grades"]));
  });

  it("refuses an unknown tier policy, naming the known ones", async () => {
    const res = await create({ ...SPRING, schoolYear: "2033-2034", policyVersion: "made-up-v9" });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: "body.policyVersion", code: "unknown_policy", message: expect.stringContaining("default-v1") }]);
  });

  it("accepts another shipped policy version", async () => {
    const res = await create({ ...SPRING, schoolYear: "2034-2035", policyVersion: "cn-cutoff-7-v1" });
    expect(res.statusCode).toBe(201);
    expect(res.json().policyVersion).toBe("cn-cutoff-7-v1");
  });

  it.each([
    ["closes before it opens", { opensAt: "2026-03-20T00:00:00+08:00", closesAt: "2026-03-01T00:00:00+08:00" }],
    ["closes when it opens", { opensAt: "2026-03-01T00:00:00+08:00", closesAt: "2026-03-01T00:00:00+08:00" }],
  ])("refuses a wave that %s", async (_label, dates) => {
    const res = await create({ ...SPRING, schoolYear: "2035-2036", ...dates });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([{ path: "body.closesAt", code: "closes_before_opens", message: "closesAt must be after opensAt" }]);
  });

  it.each([
    ["a school year that skips", { schoolYear: "2026-2028" }, "body.schoolYear"],
    ["a school year with SQL", { schoolYear: "2026'; DROP TABLE waves; --" }, "body.schoolYear"],
    ["an unknown season", { season: "summer" }, "body.season"],
    ["a date without an offset", { opensAt: "2026-03-01 00:00" }, "body.opensAt"],
    ["a huge string", { opensAt: "x".repeat(500_000) }, "body.opensAt"],
    ["a NUL byte", { schoolYear: "2026\u0000-2027" }, "body.schoolYear"],
    ["an unknown field", { extra: "<script>alert(1)</script>" }, "body"],
    ["a policy of emoji", { policyVersion: "😀".repeat(100) }, "body.policyVersion"],
  ])("refuses %s with its path", async (_label, over, path) => {
    const res = await create({ ...SPRING, ...over });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it("refuses malformed JSON with 400, not 500", async () => {
    const res = await t.app.inject({ method: "POST", url: `/api/schools/${s.schoolId}/waves`, headers: { ...s.headers, "content-type": "application/json" }, payload: '{"schoolYear": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBeDefined();
  });

  it("answers another school's lead with 404 and a teacher or admin with 403", async () => {
    const other = await aSchool(t);
    const res = await create({ ...SPRING, schoolYear: "2036-2037" }, other.headers);
    expect(res.statusCode).toBe(404);
    const teacher = await t.seed.account("homeroom", { schoolId: s.schoolId, classes: [{ classId: s.classes[8]!, relation: "homeroom" }] });
    const asTeacher = await create({ ...SPRING, schoolYear: "2036-2037" }, (await t.signIn(teacher)).headers);
    expect(asTeacher.statusCode).toBe(403);
    const admin = await t.seed.account("admin");
    const asAdmin = await create({ ...SPRING, schoolYear: "2036-2037" }, (await t.signIn(admin)).headers);
    expect(asAdmin.statusCode).toBe(403);
    const { rows } = await t.db.query("SELECT count(*)::int AS n FROM waves WHERE school_year = '2036-2037'");
    expect(rows[0]!.n).toBe(0);
  });

  it("hides another school's wave behind 404 on every route", async () => {
    const id = await aWave(t, s, { schoolYear: "2037-2038" });
    const other = await aSchool(t);
    for (const res of [
      await get(t, `/api/waves/${id}`, other.headers),
      await get(t, `/api/schools/${s.schoolId}/waves`, other.headers),
      await patch(id, { closesAt: "2026-03-25T00:00:00+08:00" }, other.headers),
      await post(t, `/api/waves/${id}/open`, other.headers),
      await post(t, `/api/waves/${id}/close`, other.headers),
    ]) {
      expect(res.statusCode).toBe(404);
    }
    const missing = await get(t, "/api/waves/no-such-wave", s.headers);
    expect(missing.statusCode).toBe(404);
  });

  it("lets a counselor read but not manage waves", async () => {
    const id = await aWave(t, s, { schoolYear: "2038-2039" });
    const counselor = (await t.signIn(await t.seed.account("counselor", { schoolId: s.schoolId }))).headers;
    expect((await get(t, `/api/waves/${id}`, counselor)).statusCode).toBe(200);
    expect((await post(t, `/api/waves/${id}/open`, counselor)).statusCode).toBe(403);
  });

  it("refuses an anonymous caller with 401", async () => {
    const res = await t.app.inject({ method: "POST", url: `/api/schools/${s.schoolId}/waves`, payload: { ...SPRING } });
    expect(res.statusCode).toBe(401);
  });

  it("changes a draft wave's battery, policy and dates", async () => {
    const id = await aWave(t, s, { schoolYear: "2039-2040" });
    const batteries = defaultBatteries.map((b) => (b.id === "spring-grades-7-12" ? { ...b, selfReport: ["phq9", "gad7"] } : b));
    const res = await patch(id, { batteries, policyVersion: "cn-cutoff-7-v1", closesAt: "2026-03-27T00:00:00+08:00" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ policyVersion: "cn-cutoff-7-v1", closesAt: new Date("2026-03-27T00:00:00+08:00").toISOString() });
    expect(res.json().batteries.find((b: { id: string }) => b.id === "spring-grades-7-12").selfReport).toEqual(["phq9", "gad7"]);
  });

  it("checks a patch against the wave's other settings (a close before the stored open)", async () => {
    const id = await aWave(t, s, { schoolYear: "2040-2041" });
    const res = await patch(id, { closesAt: "2026-02-01T00:00:00+08:00" });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details[0].path).toBe("body.closesAt");
  });

  it("opening freezes the battery and policy: a later patch of them answers 409, the dates may still move", async () => {
    const id = await aWave(t, s, { schoolYear: "2041-2042" });
    const opened = await post(t, `/api/waves/${id}/open`, s.headers);
    expect(opened.statusCode).toBe(200);
    expect(opened.json()).toMatchObject({ status: "open", frozenAt: t.clock.now().toISOString(), usable: true });
    for (const body of [{ policyVersion: "cn-cutoff-7-v1" }, { batteries: defaultBatteries }, { season: "autumn" }, { schoolYear: "2042-2043" }]) {
      const res = await patch(id, body);
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe("wave_frozen");
    }
    const moved = await patch(id, { closesAt: "2026-03-30T00:00:00+08:00" });
    expect(moved.statusCode).toBe(200);
    expect(moved.json().policyVersion).toBe("default-v1");
    const again = await post(t, `/api/waves/${id}/open`, s.headers);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("wave_not_draft");
  });

  it("keeps a frozen wave's battery and policy even against a direct database write", async () => {
    const id = await aWave(t, s, { schoolYear: "2042-2043" });
    await post(t, `/api/waves/${id}/open`, s.headers);
    await expect(t.db.query("UPDATE waves SET policy_version = 'cn-cutoff-7-v1' WHERE id = $1", [id])).rejects.toMatchObject({ code: "55000" });
    await expect(t.db.query("UPDATE waves SET status = 'draft' WHERE id = $1", [id])).rejects.toMatchObject({ code: "55000" });
  });

  it("closes an open wave; a closed wave is not usable and cannot change", async () => {
    const id = await aWave(t, s, { schoolYear: "2043-2044" });
    expect((await post(t, `/api/waves/${id}/close`, s.headers)).json().error.code).toBe("wave_not_open");
    await post(t, `/api/waves/${id}/open`, s.headers);
    const closed = await post(t, `/api/waves/${id}/close`, s.headers);
    expect(closed.statusCode).toBe(200);
    expect(closed.json()).toMatchObject({ status: "closed", usable: false });
    expect((await patch(id, { closesAt: "2026-04-30T00:00:00+08:00" })).statusCode).toBe(409);
    expect((await post(t, `/api/waves/${id}/open`, s.headers)).statusCode).toBe(409);
  });

  it("refuses to open a wave whose close date has passed", async () => {
    const id = await aWave(t, s, { schoolYear: "2044-2045", opensAt: "2026-01-01T00:00:00+08:00", closesAt: "2026-02-01T00:00:00+08:00" });
    const res = await post(t, `/api/waves/${id}/open`, s.headers);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("wave_ended");
  });

  it("is usable only between its open and close instants", async () => {
    const id = await aWave(t, s, { schoolYear: "2045-2046", opensAt: "2026-03-05T00:00:00+08:00", closesAt: "2026-03-06T00:00:00+08:00" });
    await post(t, `/api/waves/${id}/open`, s.headers);
    const usableAt = async (at: string) => {
      t.clock.set(at);
      // a fresh session at each instant (the fixture's would have idled out)
      const { headers } = await t.signIn(s.lead);
      return (await get(t, `/api/waves/${id}`, headers)).json().usable as boolean;
    };
    try {
      expect(await usableAt("2026-03-04T23:59:59.999+08:00")).toBe(false);
      expect(await usableAt("2026-03-05T00:00:00+08:00")).toBe(true);
      expect(await usableAt("2026-03-05T23:59:59.999+08:00")).toBe(true);
      expect(await usableAt("2026-03-06T00:00:00+08:00")).toBe(false);
    } finally {
      t.clock.set("2026-03-02T08:00:00+08:00");
    }
  });

  it("refuses every state-changing wave call without the CSRF token", async () => {
    const id = await aWave(t, s, { schoolYear: "2046-2047" });
    const noCsrf = { cookie: s.headers.cookie! };
    for (const res of [
      await create({ ...SPRING, schoolYear: "2047-2048" }, noCsrf),
      await patch(id, { closesAt: "2026-03-25T00:00:00+08:00" }, noCsrf),
      await post(t, `/api/waves/${id}/open`, noCsrf),
      await post(t, `/api/waves/${id}/close`, noCsrf),
      await post(t, `/api/waves/${id}/open`, { ...noCsrf, "x-csrf-token": "wrong" }),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("csrf");
    }
    expect((await get(t, `/api/waves/${id}`, s.headers)).json().status).toBe("draft");
  });
});
