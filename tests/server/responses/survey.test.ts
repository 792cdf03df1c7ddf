import { afterAll, beforeAll, beforeEach, describe, expect, expectTypeOf, it } from "vitest";
import { defaultBatteries } from "../../../instruments/batteries";
import { getInstrument, instruments as allInstruments } from "../../../instruments/index";
import { instrumentsToSurvey, questionRefs } from "../../../instruments/to-survey";
import type { StudentSurvey } from "../../../src/app/student/survey-data";
import { createSession } from "../../../src/server/auth/sessions";
import { readHotlines, surveyRefs, type StudentSurveyReply } from "../../../src/server/features/responses/survey";
import { DEFAULT_SETTINGS, ensureDefaultSettings } from "../../../src/server/main";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

type Headers = Record<string, string>;

const spring = defaultBatteries.find((b) => b.id === "spring-grades-7-12")!;

describe("the survey reply's type", () => {
  it("is what the student's page reads (src/app/student/survey-data.ts StudentSurvey)", () => {
    expectTypeOf<StudentSurveyReply>().toExtend<StudentSurvey>();
  });
});

describe("surveyRefs", () => {
  it("lists every item of every instrument once, in page and item order, where questionRefs puts it", () => {
    const list = [...allInstruments.values()];
    const refs = surveyRefs(list);
    expect(refs.map((r) => `${r.instrument}.${r.item}`)).toEqual(list.flatMap((inst) => inst.items.map((i) => `${inst.id}.${i.id}`)));
    for (const ref of refs) {
      const inst = getInstrument(ref.instrument)!;
      const item = inst.items.find((i) => i.id === ref.item)!;
      expect({ name: ref.name, row: ref.row }).toEqual({ name: questionRefs(inst).get(item.id)!.name, row: questionRefs(inst).get(item.id)!.row });
      expect(ref.type).toBe(item.type);
    }
  });

  it("gives a choice item its option values in option order (PHQ-9 item 1: 0-3)", () => {
    const [q1] = surveyRefs([getInstrument("phq9")!]);
    expect(q1).toEqual({ instrument: "phq9", item: "q1", name: "phq9__grid", row: "q1", type: "single", values: [0, 1, 2, 3] });
  });
});

describe("readHotlines", () => {
  const good = { id: "district", number: "010-0000", label: { "zh-CN": "区热线", en: "District line" } };

  it("reads the default setting written at first start: 12355 with its number, the district's line without one", () => {
    expect(readHotlines(DEFAULT_SETTINGS["help.hotlines"])).toEqual({
      hotlines: [
        { id: "youth-12355", number: "12355", label: { "zh-CN": "12355 青少年服务台", en: "12355 youth hotline" } },
        { id: "district", number: null, label: { "zh-CN": "本区心理援助热线", en: "District mental-health hotline" } },
      ],
      problems: [],
    });
  });

  it.each([
    ["no setting", undefined, 0, 0],
    ["not a list", { district: "x" }, 0, 1],
    ["a good entry and one without a label", [good, { id: "x", number: "1" }], 1, 1],
    ["an unknown field", [{ ...good, url: "javascript:alert(1)" }], 0, 1],
    ["an empty number", [{ ...good, number: "  " }], 0, 1],
    ["a 1 MB number", [{ ...good, number: "1".repeat(1_000_000) }], 0, 1],
    ["a number as a number", [{ ...good, number: 12355 }], 0, 1],
  ])("keeps the well-formed entries of %s and reports the others", (_, value, kept, problems) => {
    const read = readHotlines(value);
    expect([read.hotlines.length, read.problems.length]).toEqual([kept, problems]);
  });

  it("keeps text as text: markup and NUL in a label stay characters for React to escape", () => {
    const label = { "zh-CN": "<script>alert(1)</script>\u0000热线😀𠀀", en: "'; DROP TABLE settings; --" };
    expect(readHotlines([{ ...good, label }]).hotlines[0]?.label).toEqual(label);
  });
});

describeEachDatabase("GET /api/student/survey", (getDb) => {
  let t: TestServer;
  let waveId: string;
  let schoolId: string;
  let labels = 0;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    schoolId = await t.seed.school();
    waveId = await aWave(schoolId, "open");
  });
  afterAll(() => t.app.close());
  beforeEach(async () => {
    await t.db.query("DELETE FROM settings WHERE key = 'help.hotlines'");
  });

  async function aWave(school: string, status: "open" | "closed"): Promise<string> {
    const id = t.deps.newId();
    const now = t.clock.now().getTime();
    await t.db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       VALUES ($1, $2, '2025-2026', 'spring', $3, $4, $5, 'default-v1', $6, $3)`,
      [id, school, new Date(now - 86_400_000), new Date(now + 14 * 86_400_000), JSON.stringify(defaultBatteries), status],
    );
    return id;
  }

  async function aStudent(over: { consent?: "consented" | "opted-out"; wave?: { waveId: string; schoolId: string } } = {}): Promise<Headers> {
    labels += 1;
    const klass = await t.seed.klass(over.wave?.schoolId ?? schoolId, 8, `s${labels}`);
    const studentId = await t.seed.student(klass);
    const wave = over.wave?.waveId ?? waveId;
    await t.db.query("INSERT INTO consents (wave_id, student_id, status, source, updated_at) VALUES ($1, $2, $3, 'school', $4)", [wave, studentId, over.consent ?? "consented", t.clock.now()]);
    const s = await createSession(t.deps, { studentId, waveId: wave });
    return { cookie: `xq_session=${s.token}`, "x-csrf-token": s.csrfToken };
  }

  const getSurvey = (headers: Headers = {}, url = "/api/student/survey") => t.app.inject({ method: "GET", url, headers });

  it("gives a grade-8 student the SurveyJS JSON of their battery, made by instrumentsToSurvey, and the refs of its items", async () => {
    const headers = await aStudent();
    const res = await getSurvey(headers);
    expect(res.statusCode).toBe(200);
    const body = res.json<StudentSurveyReply>();
    const list = spring.selfReport.map((id) => getInstrument(id)!);
    expect(body.battery).toEqual({ id: spring.id, instruments: spring.selfReport });
    expect(body.survey).toEqual(JSON.parse(JSON.stringify(instrumentsToSurvey(list))));
    expect(body.refs).toEqual(JSON.parse(JSON.stringify(surveyRefs(list))));
    // The same battery GET /api/student/response names.
    const state = await t.app.inject({ method: "GET", url: "/api/student/response", headers });
    expect(state.json<{ battery: unknown }>().battery).toEqual(body.battery);
  });

  it("never carries a score, band or tier", async () => {
    const res = await getSurvey(await aStudent());
    expect(res.body).not.toMatch(/"(score|scores|tier|band|bands|critical|scoring)"\s*:/);
  });

  it("gives the hotlines of the settings as an administrator configured them", async () => {
    await ensureDefaultSettings(t.db);
    const configured = [
      { id: "youth-12355", number: "12355", label: { "zh-CN": "12355 青少年服务台", en: "12355 youth hotline" } },
      { id: "district", number: "0000-0000000", label: { "zh-CN": "本区心理援助热线", en: "District mental-health hotline" } },
    ];
    await t.db.query("UPDATE settings SET value = $1 WHERE key = 'help.hotlines'", [JSON.stringify(configured)]);
    const res = await getSurvey(await aStudent());
    expect(res.json<StudentSurveyReply>().help).toEqual({ hotlines: configured });
  });

  it("gives the district's line with no number when it is not configured yet, and no hotline when the setting is missing", async () => {
    expect((await getSurvey(await aStudent())).json<StudentSurveyReply>().help).toEqual({ hotlines: [] });
    await ensureDefaultSettings(t.db);
    const { hotlines } = (await getSurvey(await aStudent())).json<StudentSurveyReply>().help;
    expect(hotlines.map((h) => [h.id, h.number])).toEqual([
      ["youth-12355", "12355"],
      ["district", null],
    ]);
  });

  it("leaves a malformed hotline out rather than failing the student's survey", async () => {
    const value = [{ id: "district", number: "<script>".repeat(10_000), label: { "zh-CN": "x", en: "x" } }, { id: "youth-12355", number: "12355", label: { "zh-CN": "12355", en: "12355" } }, 42];
    await t.db.query("INSERT INTO settings (key, value) VALUES ('help.hotlines', $1)", [JSON.stringify(value)]);
    const res = await getSurvey(await aStudent());
    expect(res.statusCode).toBe(200);
    expect(res.json<StudentSurveyReply>().help.hotlines.map((h) => h.id)).toEqual(["youth-12355"]);
  });

  it.each([
    ["no session", {}],
    ["a forged session cookie", { cookie: "xq_session=' OR 1=1 --" }],
    ["a cookie of 10 kB", { cookie: `xq_session=${"a".repeat(10_000)}` }],
  ])("refuses %s with 401", async (_, headers) => {
    const res = await getSurvey(headers);
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
  });

  it("refuses a staff session: the survey route is the student's", async () => {
    const lead = await t.seed.account("school-lead", { schoolId });
    const { headers } = await t.signIn(lead);
    expect((await getSurvey(headers)).statusCode).toBe(401);
  });

  it("refuses a closed wave (409 wave_closed) and an opted-out student (403 opted_out)", async () => {
    const otherSchool = await t.seed.school();
    const closed = { waveId: await aWave(otherSchool, "closed"), schoolId: otherSchool };
    const a = await getSurvey(await aStudent({ wave: closed }));
    expect([a.statusCode, a.json<{ error: { code: string } }>().error.code]).toEqual([409, "wave_closed"]);
    const b = await getSurvey(await aStudent({ consent: "opted-out" }));
    expect([b.statusCode, b.json<{ error: { code: string } }>().error.code]).toEqual([403, "opted_out"]);
  });

  it("ignores a hostile query string", async () => {
    const res = await getSurvey(await aStudent(), `/api/student/survey?battery=${encodeURIComponent("x'; DROP TABLE waves; --<script>")}&x=%00`);
    expect(res.statusCode).toBe(200);
    expect(res.json<StudentSurveyReply>().battery.id).toBe(spring.id);
  });
});
