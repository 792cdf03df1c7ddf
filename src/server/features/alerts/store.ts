/** Reading alerts as counselors see them: the student's name decrypted, the class; never a score. */
import type { Alert } from "../../../shared/alerts";
import { decrypt, type DataKeys } from "../../crypto/cipher";
import type { Queryable } from "../../db/database";

export interface AlertRow extends Record<string, unknown> {
  id: string;
  school_id: string;
  student_id: string;
  source: "response" | "observation";
  kind: "acute" | "critical";
  created_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  ack_name_enc: string | null;
  ack_username: string | null;
  escalated_at: Date | null;
  case_id: string | null;
  name_enc: string;
  class_id: string;
  grade: number;
  label: string;
}

export const ALERT_SELECT = `SELECT al.id, al.school_id, al.student_id, al.source, al.kind, al.created_at, al.acknowledged_at,
       al.acknowledged_by, ack.display_name_enc AS ack_name_enc, ack.username AS ack_username, al.escalated_at, al.case_id,
       st.name_enc, c.id AS class_id, c.grade, c.label
  FROM alerts al
  JOIN students st ON st.id = al.student_id
  JOIN classes c ON c.id = st.class_id
  LEFT JOIN accounts ack ON ack.id = al.acknowledged_by`;

/** An account's display name (encrypted at rest by the accounts feature), else its user name. */
export function accountName(keys: DataKeys, id: string, nameEnc: string | null, username: string | null): string {
  return nameEnc !== null ? decrypt(keys, nameEnc, `accounts.display_name_enc:${id}`) : (username ?? id);
}

export function studentName(keys: DataKeys, studentId: string, nameEnc: string): string {
  return decrypt(keys, nameEnc, `students.name_enc:${studentId}`);
}

export function toAlert(keys: DataKeys, row: AlertRow): Alert {
  return {
    id: row.id,
    studentId: row.student_id,
    studentName: studentName(keys, row.student_id, row.name_enc),
    class: { id: row.class_id, grade: row.grade, label: row.label },
    kind: row.kind,
    source: row.source,
    createdAt: row.created_at.toISOString(),
    acknowledgedAt: row.acknowledged_at?.toISOString() ?? null,
    acknowledgedBy: row.acknowledged_by === null ? null : { id: row.acknowledged_by, name: accountName(keys, row.acknowledged_by, row.ack_name_enc, row.ack_username) },
    escalatedAt: row.escalated_at?.toISOString() ?? null,
    caseId: row.case_id,
  };
}

/** One alert by id (any school: callers check the school). */
export async function readAlert(q: Queryable, id: string): Promise<AlertRow | undefined> {
  const { rows } = await q.query<AlertRow>(`${ALERT_SELECT} WHERE al.id = $1`, [id]);
  return rows[0];
}

/** The unacknowledged alerts of a school, oldest first (what a counselor page shows on connect). */
export async function unacknowledgedAlerts(q: Queryable, schoolId: string): Promise<AlertRow[]> {
  const { rows } = await q.query<AlertRow>(`${ALERT_SELECT} WHERE al.school_id = $1 AND al.acknowledged_at IS NULL ORDER BY al.created_at, al.id`, [schoolId]);
  return rows;
}
