import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defaultBatteries } from "../../../instruments/batteries";
import { createSession } from "../../../src/server/auth/sessions";
import type { AnswersBody } from "../../../src/shared/responses";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

type Headers = Record<string, string>;

/** Answers to the spring battery of grades 7-12 (phq9, gad7, who5, asq, wellbeing-factors). */
function aBattery(over: { phq9?: number[]; gad7?: number[]; who5?: number[]; asq?: Record<string, string> } = {}): AnswersBody {
  const items = (prefix: string, values: number[]) => Object.fromEntries(values.map((v, i) => [`${prefix}${i + 1}`, v]));
  return {
    phq9: items("q", over.phq9 ?? [1, 1, 1, 1, 1, 1, 1, 1, 0]),
    gad7: items("q", over.gad7 ?? [1, 1, 1, 1, 1, 1, 1]),
    who5: items("q", over.who5 ?? [3, 3, 3, 3, 3]),
    asq: over.asq ?? { q1: "no", q2: "no", q3: "no", q4: "no" },
    "wellbeing-factors": { sleep: 1, exercise: 1, "screen-time": 1, attention: 1, friends: 1, pressure: 1, family: 1 },
  };
}

/** Page visits of 30 s per page, so the validity speed check passes. */
function visitsOf(answers: AnswersBody, start = Date.parse("2026-03-02T00:10:00Z")) {
  return Object.keys(answers).map((instrument, i) => ({ instrument, startedAt: start + i * 60_000, endedAt: start + i * 60_000 + 30_000 }));
}

let keyCounter = 0;
const aKey = (): string => `key-${(++keyCounter).toString().padStart(6, "0")}-abcdefghijklmnop`;

describeEachDatabase("student responses", (getDb) => {
  let t: TestServer;
  let waveId: string;
  let schoolId: string;
  let labels = 0;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    ({ waveId, schoolId } = await aWave());
  });
  afterAll(() => t.app.close());

  async function aWave(): Promise<{ waveId: string; schoolId: string }> {
    const school = await t.seed.school();
    const id = t.deps.newId();
    const now = t.clock.now().getTime();
    await t.db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       VALUES ($1, $2, '2025-2026', 'spring', $3, $4, $5, 'default-v1', 'open', $3)`,
      [id, school, new Date(now - 86_400_000), new Date(now + 14 * 86_400_000), JSON.stringify(defaultBatteries)],
    );
    return { waveId: id, schoolId: school };
  }

  async function aStudent(over: { grade?: number; consent?: "consented" | "opted-out" | "pending"; wave?: { waveId: string; schoolId: string } } = {}) {
    const wave = over.wave ?? { waveId, schoolId };
    labels += 1;
    const klass = await t.seed.klass(wave.schoolId, over.grade ?? 8, `${labels}`);
    const studentId = await t.seed.student(klass);
    await t.db.query("INSERT INTO consents (wave_id, student_id, status, source, updated_at) VALUES ($1, $2, $3, 'school', $4)", [wave.waveId, studentId, over.consent ?? "consented", t.clock.now()]);
    return { studentId, waveId: wave.waveId, signIn: () => studentSession(studentId, wave.waveId) };
  }

  async function studentSession(studentId: string, wave: string): Promise<Headers> {
    const s = await createSession(t.deps, { studentId, waveId: wave });
    return { cookie: `xq_session=${s.token}`, "x-csrf-token": s.csrfToken };
  }

  const get = (headers: Headers) => t.app.inject({ method: "GET", url: "/api/student/response", headers });
  const save = (headers: Headers, body: unknown) => t.app.inject({ method: "PUT", url: "/api/student/response", headers, payload: body as object });
  const submit = (headers: Headers, body: unknown) => t.app.inject({ method: "POST", url: "/api/student/response/submit", headers, payload: body as object });
  const decline = (headers: Headers, body: unknown) => t.app.inject({ method: "POST", url: "/api/student/response/decline", headers, payload: body as object });
  const autosave = (over: Record<string, unknown> = {}) => ({ idempotencyKey: aKey(), seq: 1, currentPage: 0, answers: {}, pages: [], ...over });

  async function rowsOf(studentId: string) {
    const { rows } = await t.db.query<{ id: string; status: string; answers: unknown; text_enc: string | null; submitted_at: Date | null; save_seq: number }>(
      "SELECT id, status, answers, text_enc, submitted_at, save_seq FROM responses WHERE student_id = $1",
      [studentId],
    );
    return rows;
  }

  describe("resume", () => {
    it("shows a student who has not started the battery of their grade and season, with nothing saved", async () => {
      const s = await aStudent({ grade: 8 });
      const res = await get(await s.signIn());
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({
        status: "not-started",
        currentPage: 0,
        seq: 0,
        answers: {},
        pages: [],
        battery: { id: "spring-grades-7-12", instruments: ["phq9", "gad7", "who5", "asq", "wellbeing-factors"] },
      });
    });

    it("lets a second session of the same student (another PC) continue with the saved answers, text, page and visits", async () => {
      const s = await aStudent();
      const first = await s.signIn();
      const answers = { phq9: { q1: 2, q2: 1 }, asq: { q1: "no", q2: "no", q3: "no", q4: "yes", "q4-detail": "去年冬天，用绳子" } };
      const pages = [{ instrument: "phq9", startedAt: 1_772_400_000_000, endedAt: 1_772_400_045_000 }];
      const saved = await save(first, autosave({ seq: 1, currentPage: 3, answers, pages }));
      expect(saved.statusCode).toBe(200);
      expect(saved.json()).toEqual({ status: "in-progress", seq: 1, applied: true });

      const res = await get(await s.signIn());
      expect(res.json()).toMatchObject({ status: "in-progress", currentPage: 3, seq: 1, answers, pages });
    });

    it("keeps free text out of the answers column and stores it encrypted", async () => {
      const s = await aStudent();
      await save(await s.signIn(), autosave({ answers: { asq: { q4: "yes", "q4-detail": "秘密的文字" } } }));
      const [row] = await rowsOf(s.studentId);
      expect(row!.answers).toEqual({ asq: { q4: "yes" } });
      expect(row!.text_enc).toEqual(expect.any(String));
      expect(row!.text_enc).not.toContain("秘密");
    });

    it("merges saves item by item, and a null answer clears the item", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      await save(h, autosave({ seq: 1, answers: { phq9: { q1: 2, q2: 2 } } }));
      await save(h, autosave({ seq: 2, currentPage: 1, answers: { phq9: { q2: null, q3: 1 }, gad7: { q1: 0 } } }));
      expect((await get(h)).json()).toMatchObject({ seq: 2, currentPage: 1, answers: { phq9: { q1: 2, q3: 1 }, gad7: { q1: 0 } } });
    });

    it("drops a late autosave (a lower sequence number) without changing the newer answers", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      await save(h, autosave({ seq: 5, currentPage: 2, answers: { phq9: { q1: 3 } } }));
      const late = await save(h, autosave({ seq: 4, currentPage: 0, answers: { phq9: { q1: 0 } } }));
      expect(late.statusCode).toBe(200);
      expect(late.json()).toEqual({ status: "in-progress", seq: 5, applied: false });
      expect((await get(h)).json()).toMatchObject({ seq: 5, currentPage: 2, answers: { phq9: { q1: 3 } } });
    });

    it("answers a retried autosave with the first reply and applies it once", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      const body = autosave({ seq: 1, answers: { phq9: { q1: 1 } } });
      const a = await save(h, body);
      await save(h, autosave({ seq: 2, answers: { phq9: { q1: 2 } } }));
      const b = await save(h, body);
      expect(b.json()).toEqual(a.json());
      expect((await get(h)).json()).toMatchObject({ seq: 2, answers: { phq9: { q1: 2 } } });
    });

    it("stores hostile strings verbatim as data and returns them unchanged", async () => {
      const s = await aStudent();
      const hostile = `'); DROP TABLE responses; -- <script>alert("x")</script> 😀 𠮷𪚥 مرحبا \u202e \\ " \n\t`;
      await save(await s.signIn(), autosave({ answers: { asq: { q4: "yes", "q4-detail": hostile } } }));
      const res = await get(await s.signIn());
      expect(res.json().answers.asq["q4-detail"]).toBe(hostile);
    });
  });

  describe("bad input", () => {
    it.each([
      ["an answer out of range", { phq9: { q3: 7 } }, "answers.phq9.q3", "out_of_range"],
      ["a number sent as text", { phq9: { q3: "2" } }, "answers.phq9.q3", "out_of_range"],
      ["a list for a single choice", { phq9: { q3: [1] } }, "answers.phq9.q3", "wrong_type"],
      ["a fraction", { phq9: { q3: 1.5 } }, "answers.phq9.q3", "out_of_range"],
      ["an unknown item", { phq9: { q99: 1 } }, "answers.phq9.q99", "unknown_item"],
      ["an unknown instrument", { bdi: { q1: 1 } }, "answers.bdi", "unknown_instrument"],
      ["an instrument not in this battery", { "psc17-teacher": { q1: 1 } }, "answers.psc17-teacher", "unknown_instrument"],
      ["a prototype key", { constructor: { q1: 1 } }, "answers.constructor", "unknown_instrument"],
      ["a choice for a text item", { asq: { "q4-detail": 3 } }, "answers.asq.q4-detail", "wrong_type"],
      ["nearly 1 MB of text", { asq: { "q4-detail": "长".repeat(300_000) } }, "answers.asq.q4-detail", "text_too_long"],
      ["a NUL character in text", { asq: { "q4-detail": "a\u0000b" } }, "answers.asq.q4-detail", "nul_character"],
    ])("refuses %s with 400 and the path of the answer, saving nothing", async (_name, answers, path, code) => {
      const s = await aStudent();
      const h = await s.signIn();
      const res = await save(h, autosave({ answers }));
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: { code: "invalid_answers", details: [{ path, code }] } });
      expect(await rowsOf(s.studentId)).toEqual([]);
    });

    it("lists every bad answer, not only the first", async () => {
      const s = await aStudent();
      const res = await save(await s.signIn(), autosave({ answers: { phq9: { q1: 9, q2: 1, q3: -1 }, gad7: { nope: 1 } } }));
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toEqual(["answers.phq9.q1", "answers.phq9.q3", "answers.gad7.nope"]);
    });

    it.each([
      ["a value of the wrong JSON type", { answers: { phq9: { q3: true } } }, "body.answers.phq9.q3"],
      ["an unknown field", { extra: 1 }, "body"],
      ["a missing sequence number", { seq: undefined }, "body.seq"],
      ["a short idempotency key", { idempotencyKey: "abc" }, "body.idempotencyKey"],
      ["an idempotency key with SQL in it", { idempotencyKey: "x'; DELETE FROM responses; --aaaaaaa" }, "body.idempotencyKey"],
    ])("refuses %s with 400 invalid_request", async (_name, over, path) => {
      const s = await aStudent();
      const res = await save(await s.signIn(), autosave(over));
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe("invalid_request");
      expect(res.json().error.details.map((d: { path: string }) => d.path)).toContain(path);
    });

    it.each([
      ["a page of another instrument", [{ instrument: "bdi", startedAt: 1, endedAt: 2 }], "pages.0.instrument"],
      ["a page that ends before it starts", [{ instrument: "phq9", startedAt: 5, endedAt: 2 }], "pages.0.endedAt"],
    ])("refuses %s", async (_name, pages, path) => {
      const s = await aStudent();
      const res = await save(await s.signIn(), autosave({ pages }));
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe(path);
    });

    it("refuses a page number beyond the survey", async () => {
      const s = await aStudent();
      const res = await save(await s.signIn(), autosave({ currentPage: 5 }));
      expect(res.json()).toMatchObject({ error: { code: "invalid_answers", details: [{ path: "currentPage" }] } });
    });

    it("refuses a body over 1 MB with 413", async () => {
      const s = await aStudent();
      const res = await save(await s.signIn(), autosave({ answers: { asq: { "q4-detail": "x".repeat(1024 * 1024) } } }));
      expect(res.statusCode).toBe(413);
      expect(await rowsOf(s.studentId)).toEqual([]);
    });

    it("refuses malformed JSON with 400", async () => {
      const s = await aStudent();
      const res = await t.app.inject({ method: "PUT", url: "/api/student/response", headers: { ...(await s.signIn()), "content-type": "application/json" }, payload: '{"seq": 1,' });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toHaveProperty("error.code");
    });
  });

  describe("submit", () => {
    it("stores the response as submitted with a results row (tier, reasons, policy version) and ends the session", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      const answers = aBattery({ phq9: [2, 2, 2, 2, 1, 1, 1, 1, 0] });
      const res = await submit(h, { idempotencyKey: aKey(), answers, pages: visitsOf(answers) });
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body).toEqual({ responseId: expect.any(String), status: "submitted", critical: false });
      expect(String(res.headers["set-cookie"])).toContain("Max-Age=0");

      const [row] = await rowsOf(s.studentId);
      expect(row).toMatchObject({ id: body.responseId, status: "submitted", submitted_at: t.clock.now() });
      const { rows } = await t.db.query<{ tier: string; policy_version: string; scores: Record<string, { total: number }>; validity: { kind: string }; reasons: { rule: string }[] }>(
        "SELECT tier, policy_version, scores, validity, reasons FROM results WHERE response_id = $1",
        [body.responseId],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ tier: "yellow", policy_version: "default-v1", validity: { kind: "valid" } });
      expect(rows[0]!.scores.phq9!.total).toBe(12);
      expect(rows[0]!.reasons.map((r) => r.rule)).toContain("phq9-moderate");

      expect((await get(h)).statusCode).toBe(401);
      const { rows: sessions } = await t.db.query("SELECT 1 FROM sessions WHERE student_id = $1", [s.studentId]);
      expect(sessions).toEqual([]);
    });

    it("tells the page about a critical answer (PHQ-9 item 9), so it shows the kind end page", async () => {
      const s = await aStudent();
      const answers = aBattery({ phq9: [1, 1, 1, 1, 1, 1, 1, 1, 2] });
      const res = await submit(await s.signIn(), { idempotencyKey: aKey(), answers, pages: visitsOf(answers) });
      expect(res.json()).toMatchObject({ status: "submitted", critical: true });
      const { rows } = await t.db.query<{ tier: string }>("SELECT tier FROM results r JOIN responses p ON p.id = r.response_id WHERE p.student_id = $1", [s.studentId]);
      expect(rows[0]!.tier).toBe("orange");
    });

    it("scores what autosaves stored, free text included, when the submit carries no answers", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      const answers = aBattery({ asq: { q1: "no", q2: "no", q3: "no", q4: "yes", "q4-detail": "不想说", q5: "no" } });
      await save(h, autosave({ answers, pages: visitsOf(answers) }));
      const res = await submit(h, { idempotencyKey: aKey() });
      expect(res.json()).toMatchObject({ critical: true });
      const { rows } = await t.db.query<{ tier: string; scores: Record<string, { band: string }> }>(
        "SELECT tier, scores FROM results r JOIN responses p ON p.id = r.response_id WHERE p.student_id = $1",
        [s.studentId],
      );
      expect(rows[0]).toMatchObject({ tier: "red", scores: { asq: { band: "non-acute-positive" } } });
    });

    it("answers the same idempotency key with the same reply, also after the session ended, and keeps one response", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      const body = { idempotencyKey: aKey(), answers: aBattery() };
      const first = await submit(h, body);
      const again = await submit(h, body);
      expect(again.statusCode).toBe(200);
      expect(again.json()).toEqual(first.json());
      expect(await rowsOf(s.studentId)).toHaveLength(1);
      const { rows } = await t.db.query("SELECT 1 FROM results WHERE response_id = $1", [first.json().responseId]);
      expect(rows).toHaveLength(1);
    });

    it("makes one response from 20 simultaneous submits with the same key, all answered alike", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      const body = { idempotencyKey: aKey(), answers: aBattery() };
      const replies = await Promise.all(Array.from({ length: 20 }, () => submit(h, body)));
      expect(replies.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
      expect(new Set(replies.map((r) => r.body)).size).toBe(1);
      expect(await rowsOf(s.studentId)).toHaveLength(1);
      const { rows } = await t.db.query("SELECT 1 FROM results r JOIN responses p ON p.id = r.response_id WHERE p.student_id = $1", [s.studentId]);
      expect(rows).toHaveLength(1);
    });

    it("makes one response from simultaneous submits with different keys; the others get 409 with the same id", async () => {
      const s = await aStudent();
      const sessions = await Promise.all(Array.from({ length: 5 }, () => s.signIn()));
      const replies = await Promise.all(sessions.map((h) => submit(h, { idempotencyKey: aKey(), answers: aBattery() })));
      const ok = replies.filter((r) => r.statusCode === 200);
      expect(ok).toHaveLength(1);
      const id = ok[0]!.json().responseId;
      for (const r of replies.filter((x) => x.statusCode !== 200)) {
        // a session deleted by the winning submit is no session any more: 401; a live one gets 409 with the id
        if (r.statusCode === 409) expect(r.json()).toEqual({ error: { code: "already_submitted", message: expect.any(String) }, responseId: id });
        else expect(r.statusCode).toBe(401);
      }
      expect(await rowsOf(s.studentId)).toHaveLength(1);
    });

    it("refuses a different key after submit with 409 already_submitted and the same response id", async () => {
      const s = await aStudent();
      const first = await submit(await s.signIn(), { idempotencyKey: aKey(), answers: aBattery() });
      const res = await submit(await s.signIn(), { idempotencyKey: aKey(), answers: aBattery({ phq9: [3, 3, 3, 3, 3, 3, 3, 3, 3] }) });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toEqual({ error: { code: "already_submitted", message: expect.any(String) }, responseId: first.json().responseId });
      const { rows } = await t.db.query<{ tier: string }>("SELECT tier FROM results WHERE response_id = $1", [first.json().responseId]);
      expect(rows).toHaveLength(1);
    });

    it("refuses a late autosave after submit with 409, changing nothing", async () => {
      const s = await aStudent();
      await submit(await s.signIn(), { idempotencyKey: aKey(), answers: aBattery() });
      const before = await rowsOf(s.studentId);
      const res = await save(await s.signIn(), autosave({ seq: 99, answers: { phq9: { q1: 3 } } }));
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe("already_submitted");
      expect(await rowsOf(s.studentId)).toEqual(before);
    });

    it("refuses invalid final answers with 400 and leaves the response in progress", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      await save(h, autosave({ answers: { phq9: { q1: 1 } } }));
      const res = await submit(h, { idempotencyKey: aKey(), answers: { phq9: { q3: 7 } } });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details[0].path).toBe("answers.phq9.q3");
      expect((await rowsOf(s.studentId))[0]!.status).toBe("in-progress");
      expect((await get(h)).statusCode).toBe(200);
    });

    it("never sends the student a score, tier, band, total or any number of the results", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      const answers = aBattery({ phq9: [3, 3, 3, 2, 2, 2, 1, 1, 0], gad7: [3, 3, 2, 2, 1, 1, 1], who5: [1, 1, 1, 1, 1] });
      const bodies: string[] = [];
      bodies.push((await save(h, autosave({ answers, pages: visitsOf(answers) }))).body);
      bodies.push((await get(h)).body);
      const key = aKey();
      const submitted = await submit(h, { idempotencyKey: key });
      bodies.push(submitted.body, (await submit(h, { idempotencyKey: key })).body);
      const fresh = await s.signIn();
      bodies.push((await submit(fresh, { idempotencyKey: aKey() })).body, (await save(fresh, autosave({ seq: 7 }))).body);

      const { rows } = await t.db.query<{ scores: Record<string, { total: number; percent?: number; band?: string }> }>("SELECT scores FROM results WHERE response_id = $1", [submitted.json().responseId]);
      const numbers = Object.values(rows[0]!.scores).flatMap((r) => [r.total, ...(r.percent === undefined ? [] : [r.percent])]);
      const bands = Object.values(rows[0]!.scores).flatMap((r) => (r.band ? [r.band] : []));
      expect(numbers).toEqual(expect.arrayContaining([17, 13, 5, 20]));
      for (const text of bodies) {
        expect(text).not.toMatch(/score|tier|band|total|percent|reason|valid/i);
        for (const n of numbers.filter((x) => x >= 10)) expect(text).not.toMatch(new RegExp(`\\b${n}\\b`));
        for (const band of bands) expect(text).not.toContain(band);
      }
    });
  });

  describe("a lab's burst of submits (written in shared batches)", () => {
    it("stores every one of 30 simultaneous submits exactly once, fails only the bad one, and raises the critical one's alert", async () => {
      const students = [];
      for (let i = 0; i < 30; i++) students.push(await aStudent());
      const headers = await Promise.all(students.map((s) => s.signIn()));
      const bodies = students.map((_, i) => {
        const answers = aBattery({ phq9: i === 7 ? [1, 1, 1, 1, 1, 1, 1, 1, 3] : [1, 1, 1, 1, 1, 1, 1, 1, 0] });
        // Student 12 sends an answer out of range: a 400 for that student alone.
        if (i === 12) (answers.phq9 as Record<string, unknown>).q1 = 9;
        return { idempotencyKey: aKey(), answers, pages: visitsOf(answers) };
      });
      const replies = await Promise.all(headers.map((h, i) => submit(h, bodies[i])));
      expect(replies.map((r) => r.statusCode)).toEqual(students.map((_, i) => (i === 12 ? 400 : 200)));
      expect(replies[12]!.json().error.code).toBe("invalid_answers");
      expect(replies[7]!.json().critical).toBe(true);

      const ids = students.map((s) => s.studentId);
      const { rows } = await t.db.query<{ student_id: string; status: string; results: number }>(
        `SELECT r.student_id, r.status, (SELECT count(*) FROM results x WHERE x.response_id = r.id)::int AS results
           FROM responses r WHERE r.student_id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
        [JSON.stringify(ids)],
      );
      const byStudent = new Map(rows.map((r) => [r.student_id, r]));
      ids.forEach((id, i) => expect(byStudent.get(id)).toMatchObject(i === 12 ? { status: "in-progress", results: 0 } : { status: "submitted", results: 1 }));
      const alerts = await t.db.query<{ student_id: string }>("SELECT student_id FROM alerts WHERE student_id IN (SELECT jsonb_array_elements_text($1::jsonb))", [JSON.stringify(ids)]);
      expect(alerts.rows.map((a) => a.student_id)).toEqual([ids[7]]);
    });

    it("answers a double submit in one burst with the same response (same key) or already_submitted (new key)", async () => {
      const same = await aStudent();
      const other = await aStudent();
      const h1 = await same.signIn();
      const h2 = await other.signIn();
      const answers = aBattery();
      const body = { idempotencyKey: aKey(), answers, pages: visitsOf(answers) };
      const [a, b, c, d] = await Promise.all([submit(h1, body), submit(h1, body), submit(h2, { ...body, idempotencyKey: aKey() }), submit(h2, { ...body, idempotencyKey: aKey() })]);
      expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
      expect(b.json().responseId).toBe(a.json().responseId);
      // Which of the two new keys lands first is up to the scheduler; the other is told it was handed in.
      const [won, lost] = c.statusCode === 200 ? [c, d] : [d, c];
      expect([won.statusCode, lost.statusCode]).toEqual([200, 409]);
      expect(lost.json().error.code).toBe("already_submitted");
      const { rows } = await t.db.query("SELECT 1 FROM results r JOIN responses p ON p.id = r.response_id WHERE p.student_id IN ($1, $2)", [same.studentId, other.studentId]);
      expect(rows).toHaveLength(2);
    });
  });

  describe("decline", () => {
    it("records a decline as declined (not missing), drops saved answers and ends the session", async () => {
      const s = await aStudent();
      const h = await s.signIn();
      await save(h, autosave({ answers: { phq9: { q1: 2 }, asq: { q4: "yes", "q4-detail": "x" } } }));
      const res = await decline(h, { idempotencyKey: aKey() });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ responseId: expect.any(String), status: "declined" });
      expect(String(res.headers["set-cookie"])).toContain("Max-Age=0");
      expect(await rowsOf(s.studentId)).toEqual([expect.objectContaining({ status: "declined", answers: {}, text_enc: null, submitted_at: null })]);
      expect((await get(h)).statusCode).toBe(401);
      const { rows } = await t.db.query("SELECT 1 FROM results r JOIN responses p ON p.id = r.response_id WHERE p.student_id = $1", [s.studentId]);
      expect(rows).toEqual([]);
    });

    it("records a decline made before any answer", async () => {
      const s = await aStudent();
      const res = await decline(await s.signIn(), { idempotencyKey: aKey() });
      expect(res.statusCode).toBe(200);
      expect((await rowsOf(s.studentId))[0]!.status).toBe("declined");
    });

    it("refuses to submit after a decline with 409 already_declined", async () => {
      const s = await aStudent();
      const declined = await decline(await s.signIn(), { idempotencyKey: aKey() });
      const res = await submit(await s.signIn(), { idempotencyKey: aKey(), answers: aBattery() });
      expect(res.statusCode).toBe(409);
      expect(res.json()).toMatchObject({ error: { code: "already_declined" }, responseId: declined.json().responseId });
    });
  });

  describe("who may call", () => {
    it("requires the CSRF token on writes", async () => {
      const s = await aStudent();
      const cookie = (await s.signIn()).cookie!;
      const res = await save({ cookie }, autosave());
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("csrf");
      expect((await submit({ cookie }, { idempotencyKey: aKey() })).statusCode).toBe(403);
      expect(await rowsOf(s.studentId)).toEqual([]);
    });

    it("refuses calls without a session with 401", async () => {
      expect((await get({})).statusCode).toBe(401);
      expect((await save({}, autosave())).statusCode).toBe(401);
      expect((await submit({}, { idempotencyKey: aKey() })).statusCode).toBe(401);
      expect((await submit({ cookie: "xq_session=forged" }, { idempotencyKey: aKey() })).statusCode).toBe(401);
      expect((await decline({}, { idempotencyKey: aKey() })).statusCode).toBe(401);
    });

    it("refuses a staff session on every route", async () => {
      const counselor = await t.seed.account("counselor", { schoolId });
      const { headers } = await t.signIn(counselor);
      expect((await get(headers)).statusCode).toBe(401);
      expect((await save(headers, autosave())).statusCode).toBe(401);
      expect((await submit(headers, { idempotencyKey: aKey() })).statusCode).toBe(401);
      expect((await decline(headers, { idempotencyKey: aKey() })).statusCode).toBe(401);
    });

    it("shows another student only their own response", async () => {
      const a = await aStudent();
      const b = await aStudent();
      await save(await a.signIn(), autosave({ answers: { phq9: { q1: 3 } } }));
      const res = await get(await b.signIn());
      expect(res.json()).toMatchObject({ status: "not-started", answers: {} });
      const key = aKey();
      await submit(await b.signIn(), { idempotencyKey: key, answers: aBattery() });
      // the same key used by another student is another student's key
      const bySame = await submit(await a.signIn(), { idempotencyKey: key });
      expect(bySame.statusCode).toBe(200);
      expect((await rowsOf(a.studentId))[0]!.id).toBe(bySame.json().responseId);
      expect(bySame.json().responseId).not.toBe((await rowsOf(b.studentId))[0]!.id);
    });

    it("refuses a student whose guardian opted out", async () => {
      const s = await aStudent({ consent: "opted-out" });
      const res = await save(await s.signIn(), autosave());
      expect(res.statusCode).toBe(403);
      expect(res.json().error.code).toBe("opted_out");
    });

    it("refuses saves once the wave has closed", async () => {
      const wave = await aWave();
      const s = await aStudent({ wave });
      const h = await s.signIn();
      await t.db.query("UPDATE waves SET status = 'closed' WHERE id = $1", [wave.waveId]);
      const res = await save(h, autosave());
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe("wave_closed");
    });
  });
});
