/**
 * Applying a roster (名单) that parse.ts read without error: the database step of the import.
 *
 * Two parts, in the order they run:
 * 1. `planRoster` (pure): the school's stored classes and students + the new rows → which classes to
 *    create, which students to insert, update, re-enrol or mark as left, with counts. No I/O, no keys,
 *    ids come from an argument.
 * 2. `importRoster`: reads the school under a transaction-scoped advisory lock, plans, encrypts and
 *    writes everything in ONE transaction with a few set-based statements (jsonb_to_recordset), so a
 *    10,000-row import is a handful of statements, not 10,000 (STACK-NOTES.md: on PGlite the cost is
 *    per statement). Either all of it is written, or nothing.
 *
 * Rules the task left open, decided here:
 * - Students are matched by the blind index of their student number within the school; they keep
 *   their id (and so their responses, observations and cases).
 * - An optional column that is ABSENT from the file leaves the stored value alone (a roster without a
 *   guardian phone column does not erase the phones); a column that is present with an empty cell clears
 *   the value. Key-population flags follow the same rule one column at a time.
 * - `updated` counts only students whose stored data changed (the encrypted values are decrypted and
 *   compared); the others are `unchanged` and not written at all.
 * - Enrolled students of the school missing from the file → status `left` with `left_at` (never
 *   deleted). Students already left or graduated who are missing stay as they are. A left or graduated
 *   student on the roster again is enrolled again (`rejoined`), `left_at` cleared.
 * - Consent is per wave: the consent column is counted in the summary; when the school has an open
 *   wave, consented / opted-out cells are written to that wave's consents (source `roster`), and a
 *   pending (empty or 待定) cell only creates a missing consent row, never overwrites a recorded one.
 *   An opted-out student's active code for that wave is revoked and its sessions ended, as when the
 *   school opts a student out (features/waves/consent.ts).
 * - The audit row holds who, the school and the counts; never a name or student number.
 */
import type { Consent, RosterConsentSummary, RosterImportSummary, RosterParseOk } from "../../../shared/roster";
import { KEY_POPULATION_KEYS } from "../../../shared/roster";
import { blindIndex, decrypt, encrypt, type DataKeys } from "../../crypto/cipher";
import type { Database, Queryable } from "../../db/database";

// ───────────────────────────── the plan (pure) ─────────────────────────────

export type StudentStatus = "enrolled" | "left" | "graduated";

/** A class as stored. */
export interface StoredClass {
  readonly id: string;
  readonly grade: number;
  readonly label: string;
}

/** A student as stored, with the encrypted values already decrypted. */
export interface StoredStudent {
  readonly id: string;
  readonly studentNoHash: string;
  readonly classId: string;
  readonly status: StudentStatus;
  readonly name: string;
  readonly gender: "male" | "female" | null;
  readonly grade: number;
  readonly birthYear: number | null;
  readonly birthDate: string | null;
  readonly guardianName: string | null;
  readonly guardianPhone: string | null;
  /** The key-population flags that are set (jsonb array of KeyPopulationKey, plus any unknown strings kept as they are). */
  readonly keyPopulation: readonly string[];
}

/** The values a student row gets from an import (plain text: `importRoster` encrypts). */
export interface StudentValues {
  readonly id: string;
  readonly studentNo: string;
  readonly classId: string;
  readonly name: string;
  readonly gender: "male" | "female" | null;
  readonly grade: number;
  readonly birthYear: number | null;
  readonly birthDate: string | null;
  readonly guardianName: string | null;
  readonly guardianPhone: string | null;
  readonly keyPopulation: readonly string[];
}

export interface RosterCounts {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly rejoined: number;
  readonly left: number;
  readonly classesCreated: number;
}

export interface RosterPlan {
  readonly newClasses: readonly StoredClass[];
  readonly inserts: readonly StudentValues[];
  /** Known students whose data changed or who rejoin; every one ends up enrolled. */
  readonly updates: readonly StudentValues[];
  /** Ids of enrolled students missing from the roster. */
  readonly leaves: readonly string[];
  /** The consent cell of every student on the roster, by student id (only when the file has the column). */
  readonly consents: readonly { readonly studentId: string; readonly consent: Consent }[] | null;
  readonly counts: RosterCounts;
}

export interface PlanInput {
  readonly roster: RosterParseOk;
  readonly classes: readonly StoredClass[];
  readonly students: readonly StoredStudent[];
  /** The blind index of a student number within this school. */
  readonly hashStudentNo: (studentNo: string) => string;
  readonly newId: () => string;
}

const classKey = (grade: number, label: string) => `${grade}\u0000${label}`;

/** "2011-05-03" → 2011. */
const yearOf = (isoDate: string | null): number | null => (isoDate === null ? null : Number(isoDate.slice(0, 4)));

/**
 * Decides what an import does, without touching the database. Rows are the parser's (valid, unique
 * student numbers); `students` are every student of the school, whatever their status.
 */
export function planRoster(input: PlanInput): RosterPlan {
  const { roster, newId } = input;
  const present = new Set(roster.columns);
  const has = {
    gender: present.has("gender"),
    birthDate: present.has("birthDate"),
    guardianName: present.has("guardianName"),
    guardianPhone: present.has("guardianPhone"),
    consent: present.has("consent"),
  };
  const flagColumns = KEY_POPULATION_KEYS.filter((k) => present.has(k));
  const fromFile = new Set<string>(flagColumns);

  const classIds = new Map(input.classes.map((c) => [classKey(c.grade, c.label), c.id]));
  const newClasses: StoredClass[] = [];
  const classIdFor = (grade: number, label: string): string => {
    const key = classKey(grade, label);
    let id = classIds.get(key);
    if (id === undefined) {
      id = newId();
      classIds.set(key, id);
      newClasses.push({ id, grade, label });
    }
    return id;
  };

  const byHash = new Map(input.students.map((s) => [s.studentNoHash, s]));
  const seen = new Set<string>();
  const inserts: StudentValues[] = [];
  const updates: StudentValues[] = [];
  const consents: { studentId: string; consent: Consent }[] | null = has.consent ? [] : null;
  let unchanged = 0;
  let rejoined = 0;

  for (const row of roster.rows) {
    const classId = classIdFor(row.grade, row.classLabel);
    const flagsSet = (kept: readonly string[]): string[] => {
      if (flagColumns.length === 0) return [...kept];
      // Flags from the file in the canonical order, then whatever the file says nothing about.
      const out: string[] = KEY_POPULATION_KEYS.filter((k) => (fromFile.has(k) ? row.keyPopulation[k] : kept.includes(k)));
      for (const k of kept) if (!(KEY_POPULATION_KEYS as readonly string[]).includes(k)) out.push(k);
      return out;
    };
    const stored = byHash.get(input.hashStudentNo(row.studentNo));
    if (stored === undefined) {
      const id = newId();
      inserts.push({
        id,
        studentNo: row.studentNo,
        classId,
        name: row.name,
        gender: row.gender,
        grade: row.grade,
        birthYear: yearOf(row.birthDate),
        birthDate: row.birthDate,
        guardianName: row.guardianName,
        guardianPhone: row.guardianPhone,
        keyPopulation: flagsSet([]),
      });
      consents?.push({ studentId: id, consent: row.consent });
      continue;
    }
    seen.add(stored.id);
    consents?.push({ studentId: stored.id, consent: row.consent });
    const next: StudentValues = {
      id: stored.id,
      studentNo: row.studentNo,
      classId,
      name: row.name,
      gender: has.gender ? row.gender : stored.gender,
      grade: row.grade,
      birthYear: has.birthDate ? yearOf(row.birthDate) : stored.birthYear,
      birthDate: has.birthDate ? row.birthDate : stored.birthDate,
      guardianName: has.guardianName ? row.guardianName : stored.guardianName,
      guardianPhone: has.guardianPhone ? row.guardianPhone : stored.guardianPhone,
      keyPopulation: flagsSet(stored.keyPopulation),
    };
    if (stored.status !== "enrolled") {
      rejoined++;
      updates.push(next);
    } else if (sameValues(stored, next)) {
      unchanged++;
    } else {
      updates.push(next);
    }
  }

  const leaves = input.students.filter((s) => s.status === "enrolled" && !seen.has(s.id)).map((s) => s.id);
  return {
    newClasses,
    inserts,
    updates,
    leaves,
    consents,
    counts: {
      created: inserts.length,
      updated: updates.length - rejoined,
      unchanged,
      rejoined,
      left: leaves.length,
      classesCreated: newClasses.length,
    },
  };
}

function sameValues(a: StoredStudent, b: StudentValues): boolean {
  return (
    a.classId === b.classId &&
    a.name === b.name &&
    a.gender === b.gender &&
    a.grade === b.grade &&
    a.birthYear === b.birthYear &&
    a.birthDate === b.birthDate &&
    a.guardianName === b.guardianName &&
    a.guardianPhone === b.guardianPhone &&
    a.keyPopulation.length === b.keyPopulation.length &&
    a.keyPopulation.every((k, i) => k === b.keyPopulation[i])
  );
}

// ───────────────────────────── the database step ─────────────────────────────

/** What the import needs of the server's dependencies (the CLI builds the same from its own). */
export interface RosterImportDeps {
  readonly db: Database;
  readonly keys: DataKeys;
  readonly now: () => Date;
  readonly newId: () => string;
}

/** Who runs the import, for the audit log: a staff account, or the CLI on the server machine. */
export interface RosterImporter {
  readonly accountId: string | null;
  /** The account's role, or "cli". */
  readonly role: string;
  readonly address?: string | null;
}

export interface ImportRosterInput {
  readonly schoolId: string;
  readonly roster: RosterParseOk;
  readonly importer: RosterImporter;
  readonly dryRun: boolean;
}

/** Rows per statement: large enough that a 100,000-row roster is about 50 statements per table. */
const CHUNK = 2_000;

/** Encryption contexts: `<table>.<column>:<row id>` (server-common convention). */
const ctx = (column: string, id: string) => `students.${column}:${id}`;

/** The blind-index domain of student numbers within one school. */
export const studentNoDomain = (schoolId: string) => `student_no:${schoolId}`;

interface StudentRow extends Record<string, unknown> {
  id: string;
  student_no_hash: string;
  class_id: string;
  status: StudentStatus;
  name_enc: string;
  gender: "male" | "female" | null;
  grade: number;
  birth_year: number | null;
  birth_date_enc: string | null;
  guardian_name_enc: string | null;
  guardian_phone_enc: string | null;
  key_population: unknown;
}

async function readSchool(q: Queryable, keys: DataKeys, schoolId: string, wanted: ReadonlySet<string>) {
  const classes = await q.query<StoredClass & Record<string, unknown>>("SELECT id, grade, label FROM classes WHERE school_id = $1", [schoolId]);
  const { rows } = await q.query<StudentRow>(
    `SELECT id, student_no_hash, class_id, status, name_enc, gender, grade, birth_year, birth_date_enc,
            guardian_name_enc, guardian_phone_enc, key_population
       FROM students WHERE school_id = $1`,
    [schoolId],
  );
  const open = (token: string | null, column: string, id: string) => (token === null ? null : decrypt(keys, token, ctx(column, id)));
  const students = rows.map((r): StoredStudent => {
    // Only students on the new roster are compared; the others need no decryption.
    const onRoster = wanted.has(r.student_no_hash);
    return {
      id: r.id,
      studentNoHash: r.student_no_hash,
      classId: r.class_id,
      status: r.status,
      name: onRoster ? decrypt(keys, r.name_enc, ctx("name_enc", r.id)) : "",
      gender: r.gender,
      grade: r.grade,
      birthYear: r.birth_year,
      birthDate: onRoster ? open(r.birth_date_enc, "birth_date_enc", r.id) : null,
      guardianName: onRoster ? open(r.guardian_name_enc, "guardian_name_enc", r.id) : null,
      guardianPhone: onRoster ? open(r.guardian_phone_enc, "guardian_phone_enc", r.id) : null,
      keyPopulation: Array.isArray(r.key_population) ? r.key_population.filter((k): k is string => typeof k === "string") : [],
    };
  });
  return { classes: classes.rows.map((c) => ({ id: c.id, grade: c.grade, label: c.label })), students };
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

const STUDENT_RECORD = `id text, class_id text, student_no_hash text, student_no_enc text, name_enc text, gender text,
  grade smallint, birth_year smallint, birth_date_enc text, guardian_name_enc text, guardian_phone_enc text, key_population jsonb`;

function encryptedRecord(keys: DataKeys, schoolId: string, s: StudentValues, withStudentNo: boolean) {
  const seal = (v: string | null, column: string) => (v === null ? null : encrypt(keys, v, ctx(column, s.id)));
  return {
    id: s.id,
    class_id: s.classId,
    student_no_hash: withStudentNo ? blindIndex(keys, s.studentNo, studentNoDomain(schoolId)) : null,
    student_no_enc: withStudentNo ? encrypt(keys, s.studentNo, ctx("student_no_enc", s.id)) : null,
    name_enc: encrypt(keys, s.name, ctx("name_enc", s.id)),
    gender: s.gender,
    grade: s.grade,
    birth_year: s.birthYear,
    birth_date_enc: seal(s.birthDate, "birth_date_enc"),
    guardian_name_enc: seal(s.guardianName, "guardian_name_enc"),
    guardian_phone_enc: seal(s.guardianPhone, "guardian_phone_enc"),
    key_population: s.keyPopulation,
  };
}

function consentCounts(plan: RosterPlan, waveIds: string[], written: number, codesRevoked: number): RosterConsentSummary | null {
  if (plan.consents === null) return null;
  let consented = 0;
  let optedOut = 0;
  let pending = 0;
  for (const c of plan.consents) {
    if (c.consent === "consented") consented++;
    else if (c.consent === "opted_out") optedOut++;
    else pending++;
  }
  return { consented, optedOut, pending, waveIds, written, codesRevoked };
}

/**
 * Imports a roster that parsed without error into school `schoolId` (which must exist): all of it in
 * one transaction, or, with `dryRun`, nothing at all. Returns what was (or would be) done.
 */
export async function importRoster(deps: RosterImportDeps, input: ImportRosterInput): Promise<RosterImportSummary> {
  const { keys } = deps;
  const { schoolId, roster } = input;
  const hashStudentNo = (no: string) => blindIndex(keys, no, studentNoDomain(schoolId));
  // The hashes are needed twice (which stored students to decrypt, then the plan): compute them once.
  const hashes = new Map(roster.rows.map((r) => [r.studentNo, hashStudentNo(r.studentNo)]));
  const wanted = new Set(hashes.values());
  const planWith = (school: Awaited<ReturnType<typeof readSchool>>) =>
    planRoster({ roster, classes: school.classes, students: school.students, hashStudentNo: (no) => hashes.get(no) ?? hashStudentNo(no), newId: deps.newId });
  const summary = (plan: RosterPlan, waveIds: string[], written: number, codesRevoked: number): RosterImportSummary => ({
    dryRun: input.dryRun,
    encoding: roster.encoding,
    delimiter: roster.delimiter,
    rows: roster.rows.length,
    ...plan.counts,
    consent: consentCounts(plan, waveIds, written, codesRevoked),
  });
  const openWaves = async (q: Queryable) =>
    (await q.query<{ id: string }>("SELECT id FROM waves WHERE school_id = $1 AND status = 'open' ORDER BY opens_at, id", [schoolId])).rows.map((w) => w.id);

  if (input.dryRun) {
    const plan = planWith(await readSchool(deps.db, keys, schoolId, wanted));
    return summary(plan, plan.consents === null ? [] : await openWaves(deps.db), 0, 0);
  }

  return deps.db.transaction(async (tx) => {
    // Two imports of one school take turns (the second plans against what the first wrote).
    await tx.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`xinqing.roster:${schoolId}`]);
    const plan = planWith(await readSchool(tx, keys, schoolId, wanted));
    const now = deps.now();

    if (plan.newClasses.length > 0) {
      await tx.query(
        `INSERT INTO classes (id, school_id, grade, label)
         SELECT r.id, $1, r.grade, r.label FROM jsonb_to_recordset($2::jsonb) AS r(id text, grade smallint, label text)`,
        [schoolId, JSON.stringify(plan.newClasses)],
      );
    }
    for (const part of chunks(plan.inserts)) {
      await tx.query(
        `INSERT INTO students (id, school_id, class_id, student_no_hash, student_no_enc, name_enc, gender, grade, birth_year,
                               birth_date_enc, guardian_name_enc, guardian_phone_enc, key_population, status, created_at, updated_at)
         SELECT r.id, $1, r.class_id, r.student_no_hash, r.student_no_enc, r.name_enc, r.gender, r.grade, r.birth_year,
                r.birth_date_enc, r.guardian_name_enc, r.guardian_phone_enc, r.key_population, 'enrolled', $2::timestamptz, $2::timestamptz
           FROM jsonb_to_recordset($3::jsonb) AS r(${STUDENT_RECORD})`,
        [schoolId, now, JSON.stringify(part.map((s) => encryptedRecord(keys, schoolId, s, true)))],
      );
    }
    for (const part of chunks(plan.updates)) {
      await tx.query(
        `UPDATE students s
            SET class_id = r.class_id, name_enc = r.name_enc, gender = r.gender, grade = r.grade, birth_year = r.birth_year,
                birth_date_enc = r.birth_date_enc, guardian_name_enc = r.guardian_name_enc, guardian_phone_enc = r.guardian_phone_enc,
                key_population = r.key_population, status = 'enrolled', left_at = NULL, updated_at = $2::timestamptz
           FROM jsonb_to_recordset($3::jsonb) AS r(${STUDENT_RECORD})
          WHERE s.id = r.id AND s.school_id = $1`,
        [schoolId, now, JSON.stringify(part.map((s) => encryptedRecord(keys, schoolId, s, false)))],
      );
    }
    for (const part of chunks(plan.leaves)) {
      await tx.query(
        `UPDATE students SET status = 'left', left_at = $2::timestamptz, updated_at = $2::timestamptz
          WHERE school_id = $1 AND status = 'enrolled' AND id IN (SELECT jsonb_array_elements_text($3::jsonb))`,
        [schoolId, now, JSON.stringify(part)],
      );
    }

    let waveIds: string[] = [];
    let written = 0;
    let codesRevoked = 0;
    if (plan.consents !== null) {
      waveIds = await openWaves(tx);
      if (waveIds.length > 0) {
        for (const part of chunks(plan.consents)) {
          const result = await tx.query(
            `INSERT INTO consents (wave_id, student_id, status, source, updated_at, updated_by)
             SELECT w.id, r.student_id, r.status, 'roster', $1::timestamptz, $2::text
               FROM jsonb_to_recordset($3::jsonb) AS r(student_id text, status text)
              CROSS JOIN (SELECT jsonb_array_elements_text($4::jsonb) AS id) AS w
             ON CONFLICT (wave_id, student_id) DO UPDATE
                SET status = EXCLUDED.status, source = 'roster', updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
              WHERE EXCLUDED.status <> 'pending' AND consents.status <> EXCLUDED.status`,
            [
              now,
              input.importer.accountId,
              // the consents table spells it 'opted-out'
              JSON.stringify(part.map((c) => ({ student_id: c.studentId, status: c.consent === "opted_out" ? "opted-out" : c.consent }))),
              JSON.stringify(waveIds),
            ],
          );
          written += result.rowCount;
        }
        // Opted-out students get no code (the waves feature's rule): revoke theirs, end their sessions.
        const optedOut = plan.consents.filter((c) => c.consent === "opted_out").map((c) => c.studentId);
        for (const part of chunks(optedOut)) {
          const { rows } = await tx.query<{ wave_id: string; student_id: string }>(
            `UPDATE access_codes SET status = 'revoked', revoked_at = $1::timestamptz
              WHERE status = 'active' AND wave_id IN (SELECT jsonb_array_elements_text($2::jsonb))
                AND student_id IN (SELECT jsonb_array_elements_text($3::jsonb))
              RETURNING wave_id, student_id`,
            [now, JSON.stringify(waveIds), JSON.stringify(part)],
          );
          if (rows.length > 0) {
            await tx.query(
              `DELETE FROM sessions s USING jsonb_to_recordset($1::jsonb) AS r(wave_id text, student_id text)
                WHERE s.wave_id = r.wave_id AND s.student_id = r.student_id`,
              [JSON.stringify(rows)],
            );
          }
          codesRevoked += rows.length;
        }
      }
    }

    const result = summary(plan, waveIds, written, codesRevoked);
    const { dryRun: _dryRun, consent, ...counts } = result;
    await tx.query(
      `INSERT INTO audit_log (at, actor_id, actor_role, action, school_id, context, address)
       VALUES ($1, $2, $3, 'roster.import', $4, $5::jsonb, $6)`,
      [now, input.importer.accountId, input.importer.role, schoolId, JSON.stringify({ ...counts, consent: consent && { waveIds: consent.waveIds, written: consent.written, codesRevoked: consent.codesRevoked } }), input.importer.address ?? null],
    );
    return result;
  });
}

