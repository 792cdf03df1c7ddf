/**
 * Builders for the growth-record tests: a school with every role, and a student with a full record
 * made the way the product makes it (observations, overrides, cases and notices through the API; the
 * submitted response and its result written as a submit writes them, scored by the real library).
 */
import { getInstrument } from "../../../instruments/index";
import type { Answers } from "../../../scoring/index";
import { assignTier, defaultPolicy, scoreInstrument } from "../../../scoring/index";
import { encrypt } from "../../../src/server/crypto/cipher";
import type { TestServer } from "../../helpers/server";

export interface School {
  readonly schoolId: string;
  readonly classId: string;
  readonly counselor: string;
  readonly lead: string;
  readonly homeroom: string;
  readonly subject: string;
  readonly peer: string;
}

/** A school with one grade-8 class and its staff; the peer monitor is a student of the class with an account. */
export async function aSchool(t: TestServer, over: { code?: string; name?: string } = {}): Promise<School> {
  const schoolId = await t.seed.school(over);
  const classId = await t.seed.klass(schoolId, 8, "2");
  const peerStudent = await t.seed.student(classId, { name: "课代表" });
  const peer = await t.seed.account("peer", { schoolId, classes: [{ classId, relation: "peer" }] });
  await t.db.query("UPDATE accounts SET student_id = $2 WHERE id = $1", [peer, peerStudent]);
  return {
    schoolId,
    classId,
    counselor: await t.seed.account("counselor", { schoolId }),
    lead: await t.seed.account("school-lead", { schoolId }),
    homeroom: await t.seed.account("homeroom", { schoolId, classes: [{ classId, relation: "homeroom" }] }),
    subject: await t.seed.account("subject", { schoolId, classes: [{ classId, relation: "subject" }] }),
    peer,
  };
}

/** A wave of the school, open, with the default batteries and policy. */
export async function aWave(t: TestServer, schoolId: string, over: { schoolYear?: string; season?: "spring" | "autumn"; opensAt?: string } = {}): Promise<string> {
  const id = t.deps.newId();
  const opensAt = new Date(over.opensAt ?? "2026-03-01T00:00:00+08:00");
  await t.db.query(
    `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
     VALUES ($1, $2, $3, $4, $5, $6, '[]', $7, 'open', $5)`,
    [id, schoolId, over.schoolYear ?? "2025-2026", over.season ?? "spring", opensAt, new Date(opensAt.getTime() + 20 * 86_400_000), defaultPolicy.version],
  );
  return id;
}

export interface Submission {
  readonly phq9: number[];
  readonly who5: number[];
  readonly factors: Record<string, number>;
  /** The ASQ's free-text item (what the student wrote about an earlier attempt). */
  readonly asqDetail: string;
}

export const aSubmission = (over: Partial<Submission> = {}): Submission => ({
  phq9: [2, 2, 2, 1, 1, 1, 1, 0, 0],
  who5: [2, 2, 1, 1, 2],
  factors: { sleep: 1, exercise: 2, "screen-time": 1, friends: 2, pressure: 3, family: 1 },
  asqDetail: "去年想过",
  ...over,
});

/** A submitted response with its result, as the submit writes them (free text encrypted apart). */
export async function aResponse(t: TestServer, waveId: string, studentId: string, s: Submission, at = "2026-03-02T09:00:00+08:00"): Promise<string> {
  const id = t.deps.newId();
  const answers: Record<string, Answers> = {
    phq9: Object.fromEntries(s.phq9.map((v, i) => [`q${i + 1}`, v])),
    who5: Object.fromEntries(s.who5.map((v, i) => [`q${i + 1}`, v])),
    asq: { q1: "no", q2: "no", q3: "no", q4: "yes", q5: "no" },
    "wellbeing-factors": s.factors,
  };
  const scores = Object.fromEntries(["phq9", "who5", "asq"].map((inst) => [inst, scoreInstrument(getInstrument(inst)!, answers[inst]!)]));
  const validity = { kind: "valid" as const };
  const tier = assignTier({ selfReport: scores, validity, observations: [], keyPopulation: [], deteriorated: [] }, defaultPolicy);
  const when = new Date(at);
  await t.db.query(
    `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, text_enc, pages, started_at, updated_at, submitted_at)
     VALUES ($1, $2, $3, 'spring-grades-7-12', 'submitted', $4, $5, $6, $7, $7, $7)`,
    [id, waveId, studentId, JSON.stringify(answers), encrypt(t.deps.keys, JSON.stringify({ asq: { "q4-detail": s.asqDetail } }), `responses.text_enc:${id}`), JSON.stringify([{ instrument: "phq9", startedAt: 1, endedAt: 60_000 }]), when],
  );
  await t.db.query("INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
    id,
    JSON.stringify(scores),
    JSON.stringify(validity),
    tier.tier,
    JSON.stringify(tier.reasons),
    tier.policyVersion,
    when,
  ]);
  return id;
}

export interface RecordTexts {
  readonly observationNote: string;
  readonly peerNote: string;
  readonly overrideReason: string;
  readonly caseReason: string;
  readonly interviewNotes: string;
  readonly hospital: string;
}

export const someTexts = (over: Partial<RecordTexts> = {}): RecordTexts => ({
  observationNote: "上课常趴在桌上",
  peerNote: "他说不想活了",
  overrideReason: "家访后上调",
  caseReason: "ASQ 阳性",
  interviewNotes: "约谈：父母离异",
  hospital: "市精神卫生中心",
  ...over,
});

async function ok(t: TestServer, account: string, method: "POST" | "PUT", url: string, payload: unknown): Promise<Record<string, unknown>> {
  const res = await t.app.inject({ method, url, headers: (await t.signIn(account)).headers, payload: payload as Record<string, unknown> });
  if (res.statusCode >= 300) throw new Error(`${method} ${url} → ${res.statusCode} ${res.body}`);
  return res.json();
}

/**
 * Everything a record can hold, for `studentId` of `school`: consent, a teacher observation with a note,
 * a peer report with a note, a tier override, a case (acknowledged, interviewed, referred, and closed
 * unless `openCase`), a check-in notice. Returns the case id.
 */
export async function fillRecord(t: TestServer, school: School, waveId: string, studentId: string, texts: RecordTexts, options: { openCase?: boolean } = {}): Promise<string> {
  await ok(t, school.counselor, "PUT", `/api/waves/${waveId}/consents`, { items: [{ studentId, status: "consented" }] });
  await ok(t, school.homeroom, "POST", "/api/observations", { studentId, instrument: "teacher-checklist", answers: { signs: ["conflict"], "key-population": ["economic-hardship"] }, note: texts.observationNote });
  await ok(t, school.peer, "POST", "/api/observations", { studentId, instrument: "peer-concern", answers: { concerns: ["low-mood"], urgency: "soon", note: texts.peerNote } });
  await ok(t, school.counselor, "POST", `/api/students/${studentId}/tier-override`, { tier: "orange", reason: texts.overrideReason });
  const caseId = (await ok(t, school.counselor, "POST", "/api/cases", { studentId, tier: "red", reason: texts.caseReason })).id as string;
  const step = (body: Record<string, unknown>) => ok(t, school.counselor, "POST", `/api/cases/${caseId}/steps`, body);
  await step({ kind: "acknowledge" });
  await step({ kind: "interview", date: "2026-03-02", notes: texts.interviewNotes });
  await step({ kind: "plan", plan: "referral" });
  await step({ kind: "referral", hospital: texts.hospital, date: "2026-03-03", greenChannel: true });
  if (!options.openCase) await step({ kind: "close", reason: `${texts.caseReason}：已稳定` });
  await ok(t, school.counselor, "POST", `/api/students/${studentId}/checkin-notice`, {});
  return caseId;
}
