/**
 * Issue 8, "Faults": `kill -9` of the server in the middle of a lab burst. 40 simulated students (one
 * connection each, loopback) sign in with their codes, autosave and submit their full battery (some with a
 * critical answer). The first half of the lab submits; once part of it was acknowledged (and calls are on
 * the wire) the server is killed, while the second half is just starting to submit. It is restarted on
 * the same data, and every client retries its unanswered calls with the same idempotency key, as the page
 * does.
 * Submits are written in batches (group commit: src/server/db/batcher.ts), so a kill can land in the
 * middle of a batch: the batch must commit whole or not at all.
 */
import { describe, it, type ExpectStatic } from "vitest";
import type { AnswersBody } from "../../src/shared/responses";
import { availableKinds } from "../helpers/databases";
import { ensureStopped, fullBattery, killHard, newKey, NoAnswer, newStore, retrying, seedLab, SimStudent, startServerProcess, stopServer, visitsOf, type Answer, type Kind, type ServerProcess } from "./harness";

const STUDENTS = 40;
/** The kill comes once this many submits were acknowledged: the burst is then in full swing. */
const FIRST_HALF = 20;
const KILL_AFTER_ACKS = 12;

type Critical = "none" | "phq9-item9" | "asq";
const criticalOf = (i: number): Critical => (i % 8 === 0 ? "phq9-item9" : i % 8 === 4 ? "asq" : "none");

interface Outcome {
  readonly student: SimStudent;
  readonly critical: Critical;
  readonly answers: AnswersBody;
  readonly submitKey: string;
  /** The responseId of the first 200 to the submit. */
  responseId?: string;
  /** The submit was answered 200 before the kill. */
  ackedBeforeKill: boolean;
  /** Calls of this student that got no answer (refused, reset) or a 5xx, and were tried again. */
  retries: number;
  /** Calls cut while in flight (sent, then the connection died), as opposed to refused. */
  cut: number;
}

/** Declares the suite: one test per database, run at the same time. */
export function describeKillDuringBurst(): void {
  describe.concurrent("kill -9 of the server during a lab burst", () => {
    for (const kind of ["pglite", "postgres"] as const) {
      it.skipIf(!availableKinds().includes(kind))(`loses no acknowledged submission, raises every alert once and replays every retry [${kind}]`, { timeout: 240_000 }, async ({ expect }) => {
        await burstWithKill(kind, expect);
      });
    }
  });
}

/** The scenario; `expect` is the test's own (the two kinds run concurrently). */
async function burstWithKill(kind: Kind, expect: ExpectStatic): Promise<void> {
  const store = await newStore(kind);
  let server: ServerProcess | undefined;
  try {
    const lab = await seedLab(store, STUDENTS);
    server = await startServerProcess(store.env);
    const port = server.port;

    const outcomes: Outcome[] = lab.students.map((s, i) => {
      const critical = criticalOf(i);
      return { student: new SimStudent(server!.base, s), critical, answers: fullBattery(critical), submitKey: newKey(), ackedBeforeKill: false, retries: 0, cut: 0 };
    });
    await Promise.all(outcomes.map((o) => o.student.signIn()));

    let killed = false;
    let onKilled: () => void = () => undefined;
    const killedNow = new Promise<void>((resolve) => (onKilled = resolve));
    let acks = 0;
    let submitsInFlight = 0;
    let onEnoughAcks: () => void = () => undefined;
    const enoughAcks = new Promise<void>((resolve) => (onEnoughAcks = resolve));

    /** The same call until it is answered (not a network failure, not a 5xx): the page's retry loop. */
    const persist = (o: Outcome, call: () => Promise<Answer>): Promise<Answer> =>
      retrying(async () => {
        try {
          const a = await call();
          if (a.status >= 500) o.retries += 1;
          return a;
        } catch (e) {
          if (e instanceof NoAnswer) {
            o.retries += 1;
            if (!e.refused) o.cut += 1;
          }
          throw e;
        }
      }, 120_000);

    const studentRun = async (o: Outcome, i: number): Promise<void> => {
      // Students finish at different moments. The second half starts as the server dies, whatever the
      // machine's speed, so their calls meet a dead and then a restarting server.
      if (i >= FIRST_HALF) await killedNow;
      await new Promise((r) => setTimeout(r, (i % FIRST_HALF) * 75));
      const [first, second] = Object.keys(o.answers);
      const autosave = { idempotencyKey: newKey(), seq: 1, currentPage: 2, answers: { [first!]: o.answers[first!]!, [second!]: o.answers[second!]! }, pages: [] };
      const saved = await persist(o, () => o.student.call("PUT", "/api/student/response", autosave));
      expect(saved.status, JSON.stringify(saved.body)).toBe(200);
      const body = { idempotencyKey: o.submitKey, answers: o.answers, pages: visitsOf(o.answers) };
      submitsInFlight += 1;
      const submitted = await persist(o, () => o.student.call("POST", "/api/student/response/submit", body)).finally(() => (submitsInFlight -= 1));
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
      o.responseId = String(submitted.body.responseId);
      expect(submitted.body).toEqual({ responseId: o.responseId, status: "submitted", critical: o.critical !== "none" });
      if (!killed) {
        o.ackedBeforeKill = true;
        acks += 1;
        if (acks >= KILL_AFTER_ACKS) onEnoughAcks();
      }
    };

    const burst = Promise.all(outcomes.map((o, i) => studentRun(o, i)));
    await Promise.race([enoughAcks, burst]);
    // Aim the kill at a moment with submits on the wire, so it can cut a batch in the middle.
    for (let waited = 0; submitsInFlight < 3 && waited < 2000; waited += 5) await new Promise((r) => setTimeout(r, 5));
    killed = true;
    onKilled();
    await killHard(server!);
    const ackedAtKill = outcomes.filter((o) => o.ackedBeforeKill).length;
    // Restarted on the same data and port: the clients' retries reach it as soon as it listens.
    server = await startServerProcess(store.env, port);
    await burst;

    // The kill was mid-burst: some submits had been acknowledged, others had to be retried.
    expect(ackedAtKill).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(ackedAtKill).toBeLessThanOrEqual(FIRST_HALF);
    expect(outcomes.filter((o) => o.retries > 0).length).toBeGreaterThan(0);
    const cut = outcomes.reduce((n, o) => n + o.cut, 0);
    console.log(`kill -9 [${kind}]: ${ackedAtKill} of ${STUDENTS} submits acknowledged before the kill, ${cut} calls cut in flight, ${outcomes.filter((o) => o.retries > 0).length} students retried`);

    // A retry with the same key, after the restart, answers the same responseId (the session ended with the
    // submit: the reply is found by session and key).
    const replays = await Promise.all(outcomes.map((o) => o.student.call("POST", "/api/student/response/submit", { idempotencyKey: o.submitKey, answers: o.answers })));
    expect(replays.map((r) => [r.status, r.body.responseId])).toEqual(outcomes.map((o) => [200, o.responseId]));

    expect(await stopServer(server)).toBe(0);
    await store.withDb(async (db) => {
      const { rows: responses } = await db.query<{ id: string; student_id: string; status: string; answers: AnswersBody; results: number; alerts: number; alert_items: unknown }>(
        `SELECT r.id, r.student_id, r.status, r.answers,
                (SELECT count(*)::int FROM results x WHERE x.response_id = r.id) AS results,
                (SELECT count(*)::int FROM alerts a WHERE a.source = 'response' AND a.source_id = r.id) AS alerts
           FROM responses r WHERE r.wave_id = $1`,
        [lab.waveId],
      );
      // Exactly one response per student, the one whose id the student was given, with every answer.
      expect(responses).toHaveLength(STUDENTS);
      const byStudent = new Map(responses.map((r) => [r.student_id, r]));
      for (const o of outcomes) {
        const row = byStudent.get(o.student.student.id);
        expect(row, o.student.student.code).toMatchObject({ id: o.responseId, status: "submitted", answers: o.answers, results: 1, alerts: o.critical === "none" ? 0 : 1 });
      }
      const { rows: alerts } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM alerts WHERE school_id = $1", [lab.schoolId]);
      expect(alerts[0]?.n).toBe(outcomes.filter((o) => o.critical !== "none").length);
      // One recorded reply per submit key: no retry wrote a second submission.
      const { rows: keys } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM idempotency_keys WHERE key LIKE 'submit:%'");
      expect(keys[0]?.n).toBe(STUDENTS);
    });
  } finally {
    await ensureStopped(server);
    await store.dispose();
  }
}
