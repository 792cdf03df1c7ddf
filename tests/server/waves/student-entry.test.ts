import { afterAll, beforeAll, beforeEach, expect, it } from "vitest";
import { hashToken } from "../../../src/server/auth/sessions";
import { CODE_LOCKOUT } from "../../../src/server/features/waves/student-entry";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";
import { aSchool, anOpenWave, aWave, issueCodes, post, type IssuedSlip, type SchoolFixture } from "./fixtures";

const START = "2026-03-02T08:00:00+08:00";
let lab = 0;
/** A new lab address per test, so lockout counts never leak between tests. */
const aLab = () => `10.20.${Math.floor(++lab / 250)}.${lab % 250}`;

describeEachDatabase("student entry with a code", (getDb) => {
  let t: TestServer;
  let s: SchoolFixture;
  let wave: string;
  let slips: IssuedSlip[];
  beforeAll(async () => {
    t = await startTestServer(getDb());
    s = await aSchool(t, { name: "第一实验中学", perClass: 6 });
    wave = await anOpenWave(t, s);
    slips = await issueCodes(t, s, wave);
  });
  beforeEach(() => t.clock.set(START));
  afterAll(() => t.app.close());

  const enter = (code: string, remoteAddress = aLab()) => t.app.inject({ method: "POST", url: "/api/student/session", payload: { code }, remoteAddress });

  it("lets a student in with a good code and returns where they are and what they answer, nothing more", async () => {
    const slip = slips[0]!;
    const res = await enter(slip.code);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      csrfToken: expect.any(String),
      school: { name: "第一实验中学" },
      wave: { season: "spring", schoolYear: "2025-2026" },
      battery: { id: "spring-grades-7-12", instruments: ["phq9", "gad7", "who5", "asq", "wellbeing-factors"] },
    });
    expect(res.body).not.toMatch(/score|tier|band|total|red|orange|yellow/i);
    const cookie = String(res.headers["set-cookie"]);
    expect(cookie).toMatch(/^xq_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
    const { rows } = await t.db.query("SELECT student_id, wave_id, csrf_token FROM sessions WHERE student_id = $1", [slip.studentId]);
    expect(rows).toContainEqual({ student_id: slip.studentId, wave_id: wave, csrf_token: body.csrfToken });
  });

  it.each([
    ["lower case", (c: string) => c.toLowerCase()],
    ["spaces", (c: string) => ` ${c.slice(0, 4)} ${c.slice(4)} `],
    ["a dash", (c: string) => `${c.slice(0, 4)}-${c.slice(4)}`],
    ["full-width characters", (c: string) => [...c].map((ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0)).join("")],
  ])("accepts a code typed with %s", async (_label, typing) => {
    const res = await enter(typing(slips[1]!.code));
    expect(res.statusCode).toBe(200);
  });

  it("lets the next student in on a lab PC that still holds the previous student's session cookie", async () => {
    const first = await enter(slips[3]!.code);
    const cookie = String(first.headers["set-cookie"]).split(";")[0]!;
    const next = await t.app.inject({ method: "POST", url: "/api/student/session", payload: { code: slips[4]!.code }, headers: { cookie }, remoteAddress: aLab() });
    expect(next.statusCode).toBe(200);
    const { rows } = await t.db.query("SELECT student_id FROM sessions WHERE token_hash = $1", [hashToken(String(next.headers["set-cookie"]).split(";")[0]!.split("=")[1]!)]);
    expect(rows).toEqual([{ student_id: slips[4]!.studentId }]);
  });

  it("ends the student's session on a kiosk reset, and refuses it without the CSRF token or a session", async () => {
    const entered = await enter(slips[5]!.code);
    const cookie = String(entered.headers["set-cookie"]).split(";")[0]!;
    const csrf = entered.json().csrfToken as string;
    expect((await t.app.inject({ method: "DELETE", url: "/api/student/session", headers: { cookie } })).statusCode).toBe(403);
    const ended = await t.app.inject({ method: "DELETE", url: "/api/student/session", headers: { cookie, "x-csrf-token": csrf } });
    expect(ended.statusCode).toBe(204);
    expect(String(ended.headers["set-cookie"])).toMatch(/^xq_session=; .*Max-Age=0/);
    const { rows } = await t.db.query("SELECT 1 FROM sessions WHERE student_id = $1", [slips[5]!.studentId]);
    expect(rows).toEqual([]);
    expect((await t.app.inject({ method: "DELETE", url: "/api/student/session", headers: { cookie, "x-csrf-token": csrf } })).statusCode).toBe(401);
  });

  it("can enter again with the same code (to resume on another computer)", async () => {
    expect((await enter(slips[2]!.code)).statusCode).toBe(200);
    expect((await enter(slips[2]!.code)).statusCode).toBe(200);
  });

  it.each([
    ["a wrong code", "ABCD2345"],
    ["a code with a look-alike", "ABCD0O1I"],
    ["SQL", "' OR 1=1 --"],
    ["HTML", "<script>alert(1)</script>"],
    ["emoji", "😀😀😀😀😀😀😀😀"],
    ["a NUL byte", "ABCD\u00002345"],
    ["rare CJK", "𠀀𠀁𠀂𠀃𠀄𠀅𠀆𠀇"],
  ])("answers %s with code_invalid", async (_label, code) => {
    const res = await enter(code);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("code_invalid");
    expect(res.headers["set-cookie"]).toBeUndefined();
  });

  it.each([
    ["an unknown field", { code: "ABCD2345", school: "x" }],
    ["no code", {}],
    ["a number", { code: 12345678 }],
    ["a 1 MB string", { code: "A".repeat(1_000_000) }],
  ])("refuses %s with 400 and a path", async (_label, payload) => {
    const res = await t.app.inject({ method: "POST", url: "/api/student/session", payload, remoteAddress: aLab() });
    expect([400, 413]).toContain(res.statusCode);
    expect(res.json().error.code).toBeDefined();
  });

  it("answers a revoked code with code_invalid", async () => {
    const slip = slips[3]!;
    await post(t, `/api/waves/${wave}/codes/${slip.studentId}/revoke`, s.headers);
    const res = await enter(slip.code);
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe("code_invalid");
  });

  it("answers code_used once the student has submitted", async () => {
    const slip = slips[4]!;
    await t.db.query(
      "INSERT INTO responses (id, wave_id, student_id, battery_id, status, started_at, updated_at, submitted_at) VALUES ($1, $2, $3, 'spring-grades-7-12', 'submitted', $4, $4, $4)",
      [`r-${slip.studentId}`, wave, slip.studentId, t.clock.now()],
    );
    const res = await enter(slip.code);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.code).toBe("code_used");
  });

  it("answers wave_closed before the wave opens, after it closes, and once it is closed", async () => {
    const other = await aSchool(t, { perClass: 1 });
    const later = await anOpenWave(t, other, { opensAt: "2026-03-10T00:00:00+08:00", closesAt: "2026-03-12T00:00:00+08:00" });
    const [slip] = await issueCodes(t, other, later);
    const at = async (when: string) => {
      t.clock.set(when);
      return enter(slip!.code);
    };
    const early = await at("2026-03-09T23:59:59+08:00");
    expect(early.statusCode).toBe(403);
    expect(early.json().error).toMatchObject({ code: "wave_closed", message: expect.stringContaining("not open yet") });
    expect((await at("2026-03-10T00:00:00+08:00")).statusCode).toBe(200);
    const late = await at("2026-03-12T00:00:00+08:00");
    expect(late.statusCode).toBe(403);
    expect(late.json().error.code).toBe("wave_closed");
    t.clock.set("2026-03-11T00:00:00+08:00");
    const { headers } = await t.signIn(other.lead);
    await post(t, `/api/waves/${later}/close`, headers);
    const closed = await enter(slip!.code);
    expect(closed.statusCode).toBe(403);
    expect(closed.json().error).toMatchObject({ code: "wave_closed", message: expect.stringContaining("closed") });
  });

  it("answers wave_closed for a code of a draft wave", async () => {
    const other = await aSchool(t, { perClass: 1 });
    const draft = await aWave(t, other);
    const [slip] = await issueCodes(t, other, draft);
    const res = await enter(slip!.code);
    expect(res.json().error.code).toBe("wave_closed");
  });

  it("locks an address out after 10 wrong codes, even for a good code, and not another address", async () => {
    const labA = aLab();
    const labB = aLab();
    for (let i = 0; i < CODE_LOCKOUT.max; i++) {
      expect((await enter("WRONG234", labA)).json().error.code).toBe("code_invalid");
    }
    const locked = await enter(slips[5]!.code, labA);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().error.code).toBe("locked");
    expect(Number(locked.headers["retry-after"])).toBe(600);
    expect((await enter(slips[5]!.code, labB)).statusCode).toBe(200);
    t.clock.advance(CODE_LOCKOUT.lockMs);
    expect((await enter(slips[5]!.code, labA)).statusCode).toBe(200);
  });

  it("counts only wrong codes: good codes between them neither count nor reset the count", async () => {
    const lab1 = aLab();
    for (let i = 0; i < CODE_LOCKOUT.max - 1; i++) {
      await enter("WRONG234", lab1);
      expect((await enter(slips[0]!.code, lab1)).statusCode).toBe(200);
    }
    await enter("WRONG234", lab1);
    expect((await enter(slips[0]!.code, lab1)).statusCode).toBe(429);
  });

  it("writes no code into the audit log or the lockout table", async () => {
    const { rows } = await t.db.query<{ row: string }>("SELECT row_to_json(x)::text AS row FROM (SELECT * FROM audit_log) x UNION ALL SELECT row_to_json(l)::text FROM lockouts l");
    const all = rows.map((r) => r.row).join("\n");
    for (const slip of slips) expect(all).not.toContain(slip.code);
  });

  it("gives a student session no staff power", async () => {
    const res = await enter(slips[0]!.code);
    const cookie = String(res.headers["set-cookie"]).split(";")[0]!;
    const headers = { cookie, "x-csrf-token": res.json().csrfToken };
    expect((await t.app.inject({ method: "GET", url: `/api/waves/${wave}`, headers })).statusCode).toBe(401);
    expect((await post(t, `/api/waves/${wave}/codes`, headers, {})).statusCode).toBe(401);
  });
});
