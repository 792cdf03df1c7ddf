/**
 * The SQL of observations: the students a filing is about (one query for a whole class), and the
 * inserts (one statement for any number of rows, with jsonb_to_recordset).
 */
import type { Queryable } from "../../db/database";

export interface ObservedStudent {
  readonly id: string;
  readonly schoolId: string;
  readonly classId: string;
  readonly grade: number;
}

/** The enrolled students among `ids` (students who left are not observed). */
export async function findStudents(q: Queryable, ids: readonly string[]): Promise<Map<string, ObservedStudent>> {
  const { rows } = await q.query<{ id: string; school_id: string; class_id: string; grade: number }>(
    `SELECT s.id, s.school_id, s.class_id, s.grade FROM students s
      WHERE s.id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND s.status = 'enrolled'`,
    [JSON.stringify(ids)],
  );
  return new Map(rows.map((r) => [r.id, { id: r.id, schoolId: r.school_id, classId: r.class_id, grade: r.grade }]));
}

export interface ObservationRow {
  readonly id: string;
  readonly schoolId: string;
  readonly studentId: string;
  readonly authorId: string;
  readonly role: string;
  readonly instrument: string;
  readonly answers: unknown;
  readonly noteEnc: string | null;
  readonly score: unknown;
  readonly evidence: unknown;
  readonly at: Date;
}

/** Inserts the observations and one audit row each (who filed what about whom; no content), in one statement. */
export async function insertObservations(tx: Queryable, rows: readonly ObservationRow[], audit: { actorId: string; actorRole: string; address: string | null }): Promise<void> {
  const records = rows.map((r) => ({
    id: r.id,
    school_id: r.schoolId,
    student_id: r.studentId,
    author_id: r.authorId,
    role: r.role,
    instrument: r.instrument,
    answers: r.answers,
    note_enc: r.noteEnc,
    score: r.score,
    evidence: r.evidence,
    created_at: r.at.toISOString(),
  }));
  await tx.query(
    `WITH src AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(id text, school_id text, student_id text, author_id text, role text, instrument text,
                                                        answers jsonb, note_enc text, score jsonb, evidence jsonb, created_at timestamptz)
     ), ins AS (
       INSERT INTO observations (id, school_id, student_id, author_id, role, instrument, answers, note_enc, score, evidence, created_at)
       SELECT id, school_id, student_id, author_id, role, instrument, answers, note_enc, NULLIF(score, 'null'::jsonb), evidence, created_at FROM src
     )
     INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, student_id, subject, context, address)
     SELECT created_at, $2, $3, 'observation.file', school_id, student_id, id, jsonb_build_object('instrument', instrument), $4 FROM src`,
    [JSON.stringify(records), audit.actorId, audit.actorRole, audit.address],
  );
}

export interface ClassRow {
  readonly id: string;
  readonly schoolId: string;
  readonly grade: number;
  readonly label: string;
}

/** The classes among `ids`, in the school's order (grade, then 2班 before 10班, then named classes). */
export async function findClasses(q: Queryable, ids: readonly string[]): Promise<ClassRow[]> {
  if (ids.length === 0) return [];
  const { rows } = await q.query<{ id: string; school_id: string; grade: number; label: string }>(
    `SELECT id, school_id, grade, label FROM classes WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))
      ORDER BY grade, CASE WHEN label ~ '^[0-9]{1,9}$' THEN label::int END NULLS LAST, label, id`,
    [JSON.stringify(ids)],
  );
  return rows.map((r) => ({ id: r.id, schoolId: r.school_id, grade: r.grade, label: r.label }));
}

export interface ClassStudentRow {
  readonly id: string;
  readonly nameEnc: string;
  readonly studentNoEnc: string;
}

/** The enrolled students of a class (encrypted columns as stored; the caller decrypts what it may show). */
export async function classStudents(q: Queryable, classId: string): Promise<ClassStudentRow[]> {
  const { rows } = await q.query<{ id: string; name_enc: string; student_no_enc: string }>(
    "SELECT id, name_enc, student_no_enc FROM students WHERE class_id = $1 AND status = 'enrolled' ORDER BY id",
    [classId],
  );
  return rows.map((r) => ({ id: r.id, nameEnc: r.name_enc, studentNoEnc: r.student_no_enc }));
}

/** The student a peer monitor's account belongs to (null when the account is not tied to a student). */
export async function ownStudentId(q: Queryable, accountId: string): Promise<string | null> {
  const { rows } = await q.query<{ student_id: string | null }>("SELECT student_id FROM accounts WHERE id = $1", [accountId]);
  return rows[0]?.student_id ?? null;
}
