import Fastify from "fastify";
import { serializerCompiler, validatorCompiler } from "fastify-type-provider-zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asq } from "../../../instruments/asq";
import { defaultBatteries } from "../../../instruments/batteries";
import { gad7 } from "../../../instruments/gad7";
import { phq9 } from "../../../instruments/phq9";
import { who5 } from "../../../instruments/who5";
import { defaultPolicy } from "../../../scoring/index";
import { authPlugin } from "../../../src/server/auth/plugin";
import { createSession } from "../../../src/server/auth/sessions";
import { responseRoutes, type ResponseRoutesOptions } from "../../../src/server/features/responses/routes";
import type { CriticalEvent } from "../../../src/server/features/responses/submit";
import { criticalItemsOf, levelOf, scoreSubmission } from "../../../src/server/features/responses/submit";
import { describeEachDatabase } from "../../helpers/databases";
import { startTestServer, type TestServer } from "../../helpers/server";

const items = (values: number[]) => Object.fromEntries(values.map((v, i) => [`q${i + 1}`, v]));
const visits = (ids: string[], seconds: number) => ids.map((instrument, i) => ({ instrument, startedAt: i * 1_000_000, endedAt: i * 1_000_000 + seconds * 1000 }));

describe("scoring a submission", () => {
  it.each([
    [1, "primary"],
    [6, "primary"],
    [7, "secondary"],
    [12, "secondary"],
  ])("treats grade %i as %s school", (grade, level) => {
    expect(levelOf(grade)).toBe(level);
  });

  it("lists critical answers by instrument and item", () => {
    const input = { instruments: [phq9, asq], answers: { phq9: items([0, 0, 0, 0, 0, 0, 0, 0, 1]), asq: { q1: "yes", q2: "no", q3: "no", q4: "no", q5: "no" } }, visits: [], grade: 8, keyPopulation: [], policy: defaultPolicy };
    expect(criticalItemsOf(scoreSubmission(input).scores)).toEqual([
      { instrument: "phq9", item: "q9" },
      { instrument: "asq", item: "q1" },
    ]);
  });

  it("puts a student with ASQ question 1 'yes' in red with the policy version", () => {
    const sub = scoreSubmission({ instruments: [asq], answers: { asq: { q1: "yes", q2: "no", q3: "no", q4: "no", q5: "no" } }, visits: [], grade: 9, keyPopulation: [], policy: defaultPolicy });
    expect(sub.tier).toMatchObject({ tier: "red", policyVersion: "default-v1" });
    expect(sub.critical).toHaveLength(1);
  });

  it("marks a response answered too fast as questionable, with the policy's limit", () => {
    const answers = { phq9: items([0, 0, 0, 0, 0, 0, 0, 0, 0]), gad7: items([0, 0, 0, 0, 0, 0, 0]), who5: items([3, 3, 3, 3, 3]) };
    const fast = scoreSubmission({ instruments: [phq9, gad7, who5], answers, visits: visits(["phq9", "gad7", "who5"], 2), grade: 8, keyPopulation: [], policy: defaultPolicy });
    const slow = scoreSubmission({ instruments: [phq9, gad7, who5], answers, visits: visits(["phq9", "gad7", "who5"], 60), grade: 8, keyPopulation: [], policy: defaultPolicy });
    expect(fast.validity).toMatchObject({ kind: "questionable", reasons: [{ code: "too-fast" }] });
    expect(slow.validity).toEqual({ kind: "valid" });
  });

  it("uses the roster's key-population categories as evidence", () => {
    const answers = { phq9: items([1, 1, 1, 1, 1, 0, 0, 0, 0]) };
    const without = scoreSubmission({ instruments: [phq9], answers, visits: [], grade: 8, keyPopulation: [], policy: defaultPolicy });
    const withKey = scoreSubmission({ instruments: [phq9], answers, visits: [], grade: 8, keyPopulation: ["leftBehindOrSingleParent"], policy: defaultPolicy });
    expect(without.tier.tier).toBe("none");
    expect(withKey.tier.tier).toBe("yellow");
  });
});

describeEachDatabase("the critical-answer hook", (getDb) => {
  let t: TestServer;
  /** Each event with the response's status as the hook's transaction sees it. */
  const events: (CriticalEvent & { statusInTx: string })[] = [];
  let app: ReturnType<typeof Fastify>;

  beforeAll(async () => {
    t = await startTestServer(getDb());
    // The app with the hook wired in as the alerts feature will wire it.
    app = Fastify();
    app.setValidatorCompiler(validatorCompiler);
    app.setSerializerCompiler(serializerCompiler);
    await app.register(authPlugin, { deps: t.deps });
    const options: ResponseRoutesOptions = {
      deps: t.deps,
      onCritical: async (tx, batch) => {
        for (const event of batch) {
          const { rows } = await tx.query<{ status: string }>("SELECT status FROM responses WHERE id = $1", [event.responseId]);
          events.push({ ...event, statusInTx: rows[0]!.status });
        }
      },
    };
    await app.register(responseRoutes, options);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await t.app.close();
  });

  async function aStudentSession(label: string) {
    const school = await t.seed.school();
    const wave = t.deps.newId();
    const now = t.clock.now().getTime();
    await t.db.query(
      `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
       VALUES ($1, $2, '2025-2026', 'spring', $3, $4, $5, 'default-v1', 'open', $3)`,
      [wave, school, new Date(now - 3_600_000), new Date(now + 3_600_000), JSON.stringify(defaultBatteries)],
    );
    const studentId = await t.seed.student(await t.seed.klass(school, 8, label));
    const s = await createSession(t.deps, { studentId, waveId: wave });
    return { studentId, headers: { cookie: `xq_session=${s.token}`, "x-csrf-token": s.csrfToken } };
  }

  it("calls onCritical inside the submit's transaction with the critical items", async () => {
    const { studentId, headers } = await aStudentSession("h1");
    const res = await app.inject({ method: "POST", url: "/api/student/response/submit", headers, payload: { idempotencyKey: "hook-key-0000000001", answers: { phq9: items([0, 0, 0, 0, 0, 0, 0, 0, 3]) } } });
    expect(res.json()).toMatchObject({ critical: true });
    expect(events.at(-1)).toMatchObject({ studentId, trigger: "submitted", statusInTx: "submitted", items: [{ instrument: "phq9", item: "q9" }], tier: { tier: "orange" } });
  });

  it("calls onCritical when a student declines after saving a critical answer", async () => {
    const { studentId, headers } = await aStudentSession("h2");
    await app.inject({ method: "PUT", url: "/api/student/response", headers, payload: { idempotencyKey: "hook-key-0000000002", seq: 1, currentPage: 3, answers: { asq: { q1: "yes" } } } });
    const before = events.length;
    await app.inject({ method: "POST", url: "/api/student/response/decline", headers, payload: { idempotencyKey: "hook-key-0000000003" } });
    expect(events.length).toBe(before + 1);
    expect(events.at(-1)).toMatchObject({ studentId, trigger: "declined", statusInTx: "declined", items: [{ instrument: "asq", item: "q1" }], tier: null });
  });

  it("does not call onCritical for a response without a critical answer", async () => {
    const { headers } = await aStudentSession("h3");
    const before = events.length;
    await app.inject({ method: "POST", url: "/api/student/response/submit", headers, payload: { idempotencyKey: "hook-key-0000000004", answers: { phq9: items([0, 0, 0, 0, 0, 0, 0, 0, 0]) } } });
    expect(events.length).toBe(before);
  });
});
