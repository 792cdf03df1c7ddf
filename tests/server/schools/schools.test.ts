import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../../src/shared/api";
import { ClassList, SchoolList } from "../../../src/shared/schools";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

describeEachDatabase("schools and classes", (getDb) => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer(getDb());
  });
  afterAll(() => t.app.close());

  const as = async (role: Role, over: Parameters<TestServer["seed"]["account"]>[1] = {}) => (await t.signIn(await t.seed.account(role, over))).headers;

  const createSchool = (headers: Record<string, string>, payload: unknown) =>
    t.app.inject({ method: "POST", url: "/api/schools", headers: { ...headers, "content-type": "application/json" }, payload: JSON.stringify(payload) });

  describe("POST /api/schools", () => {
    it("lets the administrator create a school and writes an audit row", async () => {
      const admin = await t.seed.account("admin");
      const { headers } = await t.signIn(admin);
      const res = await createSchool(headers, { code: "HD-07", name: "海淀区第七中学" });
      expect(res.statusCode).toBe(201);
      const body = res.json();
      expect(body).toEqual({ id: expect.any(String), code: "HD-07", name: "海淀区第七中学" });
      const { rows } = await t.db.query("SELECT code, name FROM schools WHERE id = $1", [body.id]);
      expect(rows).toEqual([{ code: "HD-07", name: "海淀区第七中学" }]);
      const { rows: audit } = await t.db.query("SELECT actor_id, action, school_id FROM audit_log WHERE subject = $1", [body.id]);
      expect(audit).toEqual([{ actor_id: admin, action: "school.create", school_id: body.id }]);
    });

    it("answers 409 for a code already taken", async () => {
      const headers = await as("admin");
      expect((await createSchool(headers, { code: "DUP-1", name: "一中" })).statusCode).toBe(201);
      const res = await createSchool(headers, { code: "DUP-1", name: "二中" });
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe("school_code_taken");
    });

    it("stores hostile-looking names verbatim and returns them as data", async () => {
      const headers = await as("admin");
      const name = "<script>alert(1)</script>'); DROP TABLE schools;-- 😀𪚥";
      const res = await createSchool(headers, { code: "HOSTILE-1", name });
      expect(res.statusCode).toBe(201);
      expect(res.json().name).toBe(name);
      const list = SchoolList.parse((await t.app.inject({ method: "GET", url: "/api/schools", headers })).json());
      expect(list.schools.find((s) => s.code === "HOSTILE-1")?.name).toBe(name);
    });

    it.each([
      ["an unknown field", { code: "X1", name: "一中", extra: 1 }, "body"],
      ["a missing name", { code: "X2" }, "body.name"],
      ["an empty name", { code: "X3", name: "" }, "body.name"],
      ["a name of 101 characters", { code: "X4", name: "中".repeat(101) }, "body.name"],
      ["a 1 MB name", { code: "X5", name: "a".repeat(1_000_000) }, "body.name"],
      ["a NUL in the name", { code: "X6", name: "一\u0000中" }, "body.name"],
      ["surrounding spaces", { code: "X7", name: " 一中 " }, "body.name"],
      ["a code with SQL", { code: "X'; DROP TABLE schools;--", name: "一中" }, "body.code"],
      ["a code of 33 characters", { code: "A".repeat(33), name: "一中" }, "body.code"],
      ["a number as code", { code: 7, name: "一中" }, "body.code"],
    ])("refuses %s with 400 naming the field", async (_what, payload, path) => {
      const headers = await as("admin");
      const res = await createSchool(headers, payload);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe("invalid_request");
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it("refuses malformed JSON with a 4xx and the error shape", async () => {
      const headers = await as("admin");
      const res = await t.app.inject({ method: "POST", url: "/api/schools", headers: { ...headers, "content-type": "application/json" }, payload: '{"code": "A",' });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: expect.any(String), message: expect.any(String) });
    });

    it.each(["school-lead", "counselor", "homeroom", "analyst"] as const)("refuses a %s with 403", async (role) => {
      const schoolId = await t.seed.school();
      const headers = await as(role, { schoolId: role === "analyst" ? null : schoolId });
      const res = await createSchool(headers, { code: `R-${role}`, name: "一中" });
      expect(res.statusCode).toBe(403);
      expect((await t.db.query("SELECT 1 FROM schools WHERE code = $1", [`R-${role}`])).rowCount).toBe(0);
    });

    it("refuses a call without a session (401) or without the CSRF header (403)", async () => {
      expect((await createSchool({}, { code: "NS-1", name: "一中" })).statusCode).toBe(401);
      const { cookie } = await t.signIn(await t.seed.account("admin"));
      const res = await createSchool({ cookie }, { code: "NS-2", name: "一中" });
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("csrf");
    });
  });

  describe("GET /api/schools", () => {
    it("shows district roles every school, and school staff their own school only", async () => {
      const mine = await t.seed.school({ code: "MINE", name: "我的学校" });
      const other = await t.seed.school({ code: "OTHER", name: "别的学校" });
      const klass = await t.seed.klass(mine, 7);
      const codesFor = async (headers: Record<string, string>) => {
        const res = await t.app.inject({ method: "GET", url: "/api/schools", headers });
        expect(res.statusCode).toBe(200);
        return SchoolList.parse(res.json()).schools.map((s) => s.code);
      };
      for (const role of ["admin", "analyst"] as const) {
        const codes = await codesFor(await as(role));
        expect(codes).toContain("MINE");
        expect(codes).toContain("OTHER");
      }
      for (const role of ["school-lead", "counselor"] as const) expect(await codesFor(await as(role, { schoolId: mine }))).toEqual(["MINE"]);
      expect(await codesFor(await as("homeroom", { schoolId: mine, classes: [{ classId: klass, relation: "homeroom" }] }))).toEqual(["MINE"]);
      expect(await codesFor(await as("peer", { schoolId: mine, classes: [{ classId: klass, relation: "peer" }] }))).toEqual(["MINE"]);
      // a teacher with no class yet works with no school's data
      expect(await codesFor(await as("subject", { schoolId: other }))).toEqual([]);
    });

    it("answers 401 without a session", async () => {
      expect((await t.app.inject({ method: "GET", url: "/api/schools" })).statusCode).toBe(401);
    });
  });

  describe("GET /api/schools/:id/classes", () => {
    let schoolId: string;
    let c71: string;
    let c72: string;
    let c710: string;
    let c8x: string;
    beforeAll(async () => {
      schoolId = await t.seed.school();
      c710 = await t.seed.klass(schoolId, 7, "10");
      c72 = await t.seed.klass(schoolId, 7, "2");
      c71 = await t.seed.klass(schoolId, 7, "1");
      c8x = await t.seed.klass(schoolId, 8, "实验班");
      for (let i = 0; i < 3; i++) await t.seed.student(c71);
      const leaving = await t.seed.student(c71);
      await t.db.query("UPDATE students SET status = 'left', left_at = $2 WHERE id = $1", [leaving, t.clock.now()]);
      await t.seed.student(c8x);
    });

    const classes = (headers: Record<string, string>, id = schoolId) => t.app.inject({ method: "GET", url: `/api/schools/${id}/classes`, headers });

    it.each(["school-lead", "counselor"] as const)("lists every class of the school to its %s, with head counts, in class order", async (role) => {
      const res = await classes(await as(role, { schoolId }));
      expect(res.statusCode).toBe(200);
      expect(ClassList.parse(res.json()).classes).toEqual([
        { id: c71, grade: 7, label: "1", enrolled: 3, left: 1 },
        { id: c72, grade: 7, label: "2", enrolled: 0, left: 0 },
        { id: c710, grade: 7, label: "10", enrolled: 0, left: 0 },
        { id: c8x, grade: 8, label: "实验班", enrolled: 1, left: 0 },
      ]);
    });

    it("lists only their own classes to homeroom and subject teachers", async () => {
      const homeroom = await classes(await as("homeroom", { schoolId, classes: [{ classId: c71, relation: "homeroom" }] }));
      expect(homeroom.json().classes.map((c: { id: string }) => c.id)).toEqual([c71]);
      const subject = await classes(await as("subject", { schoolId, classes: [{ classId: c72, relation: "subject" }, { classId: c8x, relation: "subject" }] }));
      expect(subject.json().classes.map((c: { id: string }) => c.id)).toEqual([c72, c8x]);
    });

    it("answers 404 for another school's classes and for a school that does not exist", async () => {
      const other = await t.seed.school();
      const otherClass = await t.seed.klass(other, 7);
      const lead = await classes(await as("school-lead", { schoolId: other }));
      expect(lead.statusCode).toBe(404);
      const teacher = await classes(await as("homeroom", { schoolId: other, classes: [{ classId: otherClass, relation: "homeroom" }] }));
      expect(teacher.statusCode).toBe(404);
      const none = await classes(await as("school-lead", { schoolId }), "no-such-school");
      expect(none.statusCode).toBe(404);
      expect(none.json()).toEqual(lead.json());
    });

    it.each(["admin", "analyst", "peer"] as const)("refuses a %s, who reads no class list, with 403", async (role) => {
      const res = await classes(await as(role, { schoolId: role === "peer" ? schoolId : null, classes: role === "peer" ? [{ classId: c71, relation: "peer" }] : [] }));
      expect(res.statusCode).toBe(403);
    });

    it("refuses a malformed id with 400 naming the parameter", async () => {
      const res = await classes(await as("school-lead", { schoolId }), "x'%20OR%20'1'='1");
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe("params.id");
    });

    it("shows the classes a roster import created", async () => {
      const school = await t.seed.school();
      const headers = await as("school-lead", { schoolId: school });
      const csv = "学号,姓名,性别,年级,班级\r\n1,甲,男,初一,2班\r\n2,乙,女,初一,2班\r\n3,丙,女,高一,1班\r\n";
      const imported = await t.app.inject({ method: "POST", url: `/api/schools/${school}/roster`, headers: { ...headers, "content-type": "text/csv" }, payload: csv });
      expect(imported.statusCode).toBe(200);
      const res = await classes(headers, school);
      expect(res.json().classes.map((c: { grade: number; label: string; enrolled: number }) => [c.grade, c.label, c.enrolled])).toEqual([
        [7, "2", 2],
        [10, "1", 1],
      ]);
    });
  });
});
