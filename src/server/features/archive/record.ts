/**
 * Reads one student's growth record (心理成长档案) from the database: the student, every wave of the
 * school with the student's response and scored result, tier overrides, observations, cases with their
 * steps, consent with its history, check-in notices, and the records received from earlier schools.
 * Free text is decrypted here (each with its row's context); nothing here checks access or audits: the
 * route does both before and after calling.
 */
import { policies, type ScoreResult, type ValidityResult } from "../../../../scoring/index";
import type {
  ImportedRecord,
  RecordCase,
  RecordConsent,
  RecordHistory,
  RecordNotice,
  RecordObservation,
  RecordOverride,
  RecordReason,
  RecordScore,
  RecordStudent,
  RecordValidity,
  RecordWave,
} from "../../../shared/archive";
import { decrypt, type DataKeys } from "../../crypto/cipher";
import type { Queryable } from "../../db/database";
import { accountName } from "../alerts/store";
import { CASE_SELECT, readCaseDetail, type CaseRow } from "../cases/store";

export const importPayloadContext = (importId: string): string => `record_imports.payload_enc:${importId}`;

/** What a stored import holds (encrypted): the record received and the ones it had itself received. */
export interface StoredImport {
  readonly record: RecordHistory;
  readonly earlier: readonly ImportedRecord[];
}

interface StudentRow extends Record<string, unknown> {
  id: string;
  school_id: string;
  class_id: string;
  student_no_enc: string;
  name_enc: string;
  gender: "male" | "female" | null;
  grade: number;
  key_population: unknown;
  status: RecordStudent["status"];
  left_at: Date | null;
  created_at: Date;
  purged_at: Date | null;
  class_grade: number;
  label: string;
  school_code: string;
  school_name: string;
}

/** The student row of a record, or undefined when there is none (or it was purged: a tombstone has no record). */
export async function findStudent(q: Queryable, studentId: string): Promise<StudentRow | undefined> {
  const { rows } = await q.query<StudentRow>(
    `SELECT s.id, s.school_id, s.class_id, s.student_no_enc, s.name_enc, s.gender, s.grade, s.key_population, s.status, s.left_at,
            s.created_at, s.purged_at, c.grade AS class_grade, c.label, sc.code AS school_code, sc.name AS school_name
       FROM students s JOIN classes c ON c.id = s.class_id JOIN schools sc ON sc.id = s.school_id
      WHERE s.id = $1`,
    [studentId],
  );
  const row = rows[0];
  return row && row.purged_at === null ? row : undefined;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

function studentView(keys: DataKeys, s: StudentRow): RecordStudent {
  return {
    id: s.id,
    name: decrypt(keys, s.name_enc, `students.name_enc:${s.id}`),
    studentNo: decrypt(keys, s.student_no_enc, `students.student_no_enc:${s.id}`),
    gender: s.gender,
    grade: s.grade,
    class: { id: s.class_id, grade: s.class_grade, label: s.label },
    school: { id: s.school_id, code: s.school_code, name: s.school_name },
    keyPopulation: strings(s.key_population),
    status: s.status,
    leftAt: iso(s.left_at),
  };
}

/** One score result of the scoring library, flattened for display. */
export function scoreView(instrument: string, r: ScoreResult): RecordScore {
  const base = { instrument, critical: [...r.critical] };
  switch (r.kind) {
    case "scored":
      return {
        ...base,
        kind: "scored",
        total: r.total,
        band: r.band ?? null,
        percent: r.percent ?? null,
        subscales: Object.fromEntries(Object.entries(r.subscales ?? {}).map(([k, v]) => [k, { total: v.total, band: v.band ?? null }])),
        remarks: [...(r.notes ?? []), ...(r.missing ?? []).map((m) => `missing ${m}`)],
      };
    case "incomplete":
      return { ...base, kind: "incomplete", total: null, band: null, percent: null, subscales: {}, remarks: r.missing.map((m) => `missing ${m}`) };
    case "invalid":
      return { ...base, kind: "invalid", total: null, band: null, percent: null, subscales: {}, remarks: r.problems.map((p) => p.message) };
  }
}

function validityView(v: ValidityResult): RecordValidity {
  return v.kind === "valid" ? { kind: "valid", reasons: [] } : { kind: "questionable", reasons: v.reasons.map((r) => ({ code: r.code, evidence: r.evidence })) };
}

/** Stored reasons (`[{rule, tier, evidence}]`) with the labels of the policy version that made them. */
export function reasonsView(stored: unknown, policyVersion: string): RecordReason[] {
  const policy = policies.get(policyVersion);
  const out: RecordReason[] = [];
  for (const r of Array.isArray(stored) ? (stored as { rule?: unknown; tier?: unknown; evidence?: unknown }[]) : []) {
    if (typeof r.rule !== "string" || (r.tier !== "yellow" && r.tier !== "orange" && r.tier !== "red")) continue;
    const rule = policy?.rules.find((x) => x.id === r.rule);
    out.push({ rule: r.rule, tier: r.tier, label: rule ? { "zh-CN": rule.label["zh-CN"], en: rule.label.en } : { "zh-CN": r.rule, en: r.rule }, evidence: typeof r.evidence === "string" ? r.evidence : "" });
  }
  return out;
}

interface WaveRow extends Record<string, unknown> {
  id: string;
  school_year: string;
  season: "spring" | "autumn";
  opens_at: Date;
  closes_at: Date;
  response_status: "in-progress" | "submitted" | "declined" | null;
  started_at: Date | null;
  submitted_at: Date | null;
  scores: Record<string, ScoreResult> | null;
  validity: ValidityResult | null;
  tier: "none" | "yellow" | "orange" | "red" | null;
  reasons: unknown;
  policy_version: string | null;
  computed_at: Date | null;
}

async function wavesOf(q: Queryable, s: StudentRow): Promise<RecordWave[]> {
  // The school's waves since the student joined, and any earlier one the student took part in.
  const { rows } = await q.query<WaveRow>(
    `SELECT w.id, w.school_year, w.season, w.opens_at, w.closes_at, p.status AS response_status, p.started_at, p.submitted_at,
            r.scores, r.validity, r.tier, r.reasons, r.policy_version, r.computed_at
       FROM waves w
       LEFT JOIN responses p ON p.wave_id = w.id AND p.student_id = $2
       LEFT JOIN results r ON r.response_id = p.id AND p.status = 'submitted'
      WHERE w.school_id = $1 AND w.status <> 'draft' AND (w.closes_at >= $3 OR p.id IS NOT NULL)
      ORDER BY w.opens_at, w.id`,
    [s.school_id, s.id, s.created_at],
  );
  return rows.map((w) => ({
    waveId: w.id,
    schoolYear: w.school_year,
    season: w.season,
    opensAt: w.opens_at.toISOString(),
    closesAt: w.closes_at.toISOString(),
    response: w.response_status === null || w.started_at === null ? null : { status: w.response_status, startedAt: w.started_at.toISOString(), submittedAt: iso(w.submitted_at) },
    result:
      w.scores === null || w.validity === null || w.tier === null || w.policy_version === null || w.computed_at === null
        ? null
        : {
            scores: Object.entries(w.scores).map(([instrument, r]) => scoreView(instrument, r)),
            validity: validityView(w.validity),
            tier: w.tier,
            reasons: reasonsView(w.reasons, w.policy_version),
            policyVersion: w.policy_version,
            computedAt: w.computed_at.toISOString(),
          },
  }));
}

interface PersonCols extends Record<string, unknown> {
  person_id: string;
  person_name_enc: string | null;
  person_username: string | null;
}
const personOf = (keys: DataKeys, r: PersonCols) => ({ id: r.person_id, name: accountName(keys, r.person_id, r.person_name_enc, r.person_username) });
const PERSON = (alias: string) => `${alias}.id AS person_id, ${alias}.display_name_enc AS person_name_enc, ${alias}.username AS person_username`;

async function overridesOf(q: Queryable, keys: DataKeys, studentId: string): Promise<RecordOverride[]> {
  const { rows } = await q.query<PersonCols & { id: string; tier: RecordOverride["tier"]; reason_enc: string; computed_tier: RecordOverride["tier"]; computed_reasons: unknown; policy_version: string; created_at: Date }>(
    `SELECT o.id, o.tier, o.reason_enc, o.computed_tier, o.computed_reasons, o.policy_version, o.created_at, ${PERSON("a")}
       FROM tier_overrides o JOIN accounts a ON a.id = o.author_id WHERE o.student_id = $1 ORDER BY o.created_at, o.id`,
    [studentId],
  );
  return rows.map((o) => ({
    id: o.id,
    tier: o.tier,
    reason: decrypt(keys, o.reason_enc, `tier_overrides.reason_enc:${o.id}`),
    computedTier: o.computed_tier,
    computedReasons: reasonsView(o.computed_reasons, o.policy_version),
    policyVersion: o.policy_version,
    by: personOf(keys, o),
    at: o.created_at.toISOString(),
  }));
}

async function observationsOf(q: Queryable, keys: DataKeys, studentId: string): Promise<RecordObservation[]> {
  const { rows } = await q.query<{ id: string; role: RecordObservation["role"]; instrument: string; answers: Record<string, unknown>; note_enc: string | null; evidence: { critical?: unknown; concerns?: unknown } | null; created_at: Date }>(
    "SELECT id, role, instrument, answers, note_enc, evidence, created_at FROM observations WHERE student_id = $1 ORDER BY created_at DESC, id",
    [studentId],
  );
  return rows.map((o) => {
    const secret = o.note_enc === null ? {} : (JSON.parse(decrypt(keys, o.note_enc, `observations.note_enc:${o.id}`)) as { note?: string; texts?: Record<string, string> });
    return {
      id: o.id,
      role: o.role,
      at: o.created_at.toISOString(),
      instrument: o.instrument,
      answers: o.answers,
      note: secret.note ?? null,
      texts: secret.texts ?? {},
      critical: strings(o.evidence?.critical),
      concerns: strings(o.evidence?.concerns),
    };
  });
}

async function casesOf(q: Queryable, keys: DataKeys, studentId: string, now: Date): Promise<RecordCase[]> {
  const { rows } = await q.query<CaseRow>(`${CASE_SELECT} WHERE cs.student_id = $1 ORDER BY cs.opened_at DESC, cs.id`, [studentId]);
  const out: RecordCase[] = [];
  for (const row of rows) {
    const d = await readCaseDetail(q, keys, row, now);
    out.push({
      id: d.id,
      tier: d.tier,
      state: d.state,
      plan: d.plan,
      reason: d.reason,
      assignee: d.assignee,
      openedAt: d.openedAt,
      dueAt: d.dueAt,
      escalatedAt: d.escalatedAt,
      closedAt: d.closedAt,
      policyVersion: d.policyVersion,
      steps: d.steps.map((st) => ({ id: st.id, seq: st.seq, kind: st.kind, at: st.at, by: st.by, date: st.date, plan: st.plan, greenChannel: st.greenChannel, dueDate: st.dueDate, text: st.text })),
    });
  }
  return out;
}

async function consentsOf(q: Queryable, keys: DataKeys, studentId: string): Promise<RecordConsent[]> {
  const { rows } = await q.query<{ wave_id: string; school_year: string; season: "spring" | "autumn"; status: RecordConsent["status"]; source: RecordConsent["source"]; updated_at: Date; person_id: string | null; person_name_enc: string | null; person_username: string | null }>(
    `SELECT k.wave_id, w.school_year, w.season, k.status, k.source, k.updated_at, ${PERSON("a")}
       FROM consents k JOIN waves w ON w.id = k.wave_id LEFT JOIN accounts a ON a.id = k.updated_by
      WHERE k.student_id = $1 ORDER BY w.opens_at, w.id`,
    [studentId],
  );
  // Every change a staff member made, as the consent feature audits it (one row per student).
  const changes = await q.query<{ subject: string | null; at: Date; status: unknown; person_id: string | null; person_name_enc: string | null; person_username: string | null }>(
    `SELECT l.subject, l.at, l.context->>'status' AS status, ${PERSON("a")}
       FROM audit_log l LEFT JOIN accounts a ON a.id = l.actor_id
      WHERE l.student_id = $1 AND l.action = 'consent.set' ORDER BY l.at, l.id`,
    [studentId],
  );
  const who = (r: { person_id: string | null; person_name_enc: string | null; person_username: string | null }) =>
    r.person_id === null ? null : personOf(keys, { person_id: r.person_id, person_name_enc: r.person_name_enc, person_username: r.person_username });
  return rows.map((k) => ({
    waveId: k.wave_id,
    schoolYear: k.school_year,
    season: k.season,
    status: k.status,
    source: k.source,
    updatedAt: k.updated_at.toISOString(),
    by: who(k),
    changes: changes.rows.filter((c) => c.subject === k.wave_id).map((c) => ({ at: c.at.toISOString(), status: typeof c.status === "string" ? c.status : "", by: who(c) })),
  }));
}

async function noticesOf(q: Queryable, keys: DataKeys, studentId: string): Promise<RecordNotice[]> {
  const { rows } = await q.query<PersonCols & { id: string; created_at: Date; due_at: Date; done_at: Date | null }>(
    `SELECT n.id, n.created_at, n.due_at, n.done_at, ${PERSON("a")}
       FROM checkin_notices n JOIN accounts a ON a.id = n.created_by WHERE n.student_id = $1 ORDER BY n.created_at DESC, n.id`,
    [studentId],
  );
  return rows.map((n) => ({ id: n.id, createdAt: n.created_at.toISOString(), dueAt: n.due_at.toISOString(), doneAt: iso(n.done_at), by: personOf(keys, n) }));
}

/** Everything this school holds about the student, with scores (strip them with withoutScores). */
export async function readHistory(q: Queryable, keys: DataKeys, s: StudentRow, now: Date): Promise<RecordHistory> {
  return {
    student: studentView(keys, s),
    waves: await wavesOf(q, s),
    overrides: await overridesOf(q, keys, s.id),
    observations: await observationsOf(q, keys, s.id),
    cases: await casesOf(q, keys, s.id, now),
    consents: await consentsOf(q, keys, s.id),
    checkinNotices: await noticesOf(q, keys, s.id),
  };
}

/** Records received from earlier schools, newest import first, each followed by the ones it carried. */
export async function readImports(q: Queryable, keys: DataKeys, studentId: string): Promise<ImportedRecord[]> {
  const { rows } = await q.query<PersonCols & { id: string; from_school_code: string; from_school_name: string; exported_at: Date; signer_fingerprint: string; payload_enc: string; imported_at: Date }>(
    `SELECT i.id, i.from_school_code, i.from_school_name, i.exported_at, i.signer_fingerprint, i.payload_enc, i.imported_at, ${PERSON("a")}
       FROM record_imports i JOIN accounts a ON a.id = i.imported_by WHERE i.student_id = $1 ORDER BY i.imported_at DESC, i.id`,
    [studentId],
  );
  return rows.flatMap((i) => {
    const stored = JSON.parse(decrypt(keys, i.payload_enc, importPayloadContext(i.id))) as StoredImport;
    const own: ImportedRecord = {
      importId: i.id,
      importedAt: i.imported_at.toISOString(),
      importedBy: personOf(keys, i),
      from: { schoolCode: i.from_school_code, schoolName: i.from_school_name },
      exportedAt: i.exported_at.toISOString(),
      signerFingerprint: i.signer_fingerprint,
      record: stored.record,
    };
    return [own, ...stored.earlier];
  });
}

/** A reason without its evidence: the evidence quotes scores ("phq9 18 (moderately-severe)"). */
const unquoted = (r: RecordReason): RecordReason => ({ ...r, evidence: "" });

/** The record as a school lead sees it: tiers and the reasons' labels, but no scores, validity or evidence. */
export function withoutScores(h: RecordHistory): RecordHistory {
  return {
    ...h,
    waves: h.waves.map((w) => (w.result === null ? w : { ...w, result: { ...w.result, scores: null, validity: null, reasons: w.result.reasons.map(unquoted) } })),
    overrides: h.overrides.map((o) => ({ ...o, computedReasons: o.computedReasons.map(unquoted) })),
  };
}
