/**
 * A small fixed district for the analytics tests, written straight to the database: schools, classes,
 * students (through the test seed, so names are encrypted as in production), waves, consents,
 * responses and results. Every figure the tests expect is worked out by hand from the plan below.
 */
import type { Database } from "../../../src/server/db/database";
import type { TestServer } from "../../helpers/server";

export type Outcome = "opted-out" | "pending" | "consented" | "declined" | "completed" | "questionable";
export type Tier = "none" | "yellow" | "orange" | "red";

/** One kind of student in a plan: how many, what they did, their tier, WHO-5 percent and sleep answer. */
export interface Cohort {
  readonly count: number;
  readonly outcome: Outcome;
  readonly tier?: Tier;
  readonly who5?: number;
  readonly sleep?: number;
  readonly gender?: "male" | "female" | null;
  readonly keyPopulation?: string[];
}

export interface Built {
  readonly studentIds: string[];
  readonly names: string[];
}

let seq = 0;
const nextId = (prefix: string): string => `${prefix}-${(++seq).toString().padStart(6, "0")}`;

export async function addWave(db: Database, schoolId: string, schoolYear: string, season: "spring" | "autumn"): Promise<string> {
  const id = nextId("wave");
  await db.query(
    `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
     VALUES ($1, $2, $3, $4, '2026-03-01T00:00:00Z', '2026-03-31T00:00:00Z', '[]', 'default-v1', 'open', '2026-03-01T00:00:00Z')`,
    [id, schoolId, schoolYear, season],
  );
  return id;
}

/** Students of one class for the cohorts, with their consent, response and result rows in `waveId`. */
export async function addCohorts(t: TestServer, classId: string, waveId: string, cohorts: readonly Cohort[], existing?: readonly string[]): Promise<Built> {
  const studentIds: string[] = [];
  const names: string[] = [];
  let index = 0;
  for (const c of cohorts) {
    for (let i = 0; i < c.count; i++) {
      let id = existing?.[index];
      index += 1;
      if (id === undefined) {
        const name = `测名${nextId("n").slice(2)}`;
        id = await t.seed.student(classId, { name, keyPopulation: c.keyPopulation ?? [] });
        if (c.gender !== undefined) await t.db.query("UPDATE students SET gender = $2 WHERE id = $1", [id, c.gender]);
        names.push(name);
      }
      studentIds.push(id);
      await addOutcome(t.db, waveId, id, c);
    }
  }
  return { studentIds, names };
}

async function addOutcome(db: Database, waveId: string, studentId: string, c: Cohort): Promise<void> {
  const at = "2026-03-10T08:00:00Z";
  if (c.outcome === "opted-out" || c.outcome === "consented") {
    await db.query("INSERT INTO consents (wave_id, student_id, status, source, updated_at) VALUES ($1, $2, $3, 'school', $4)", [waveId, studentId, c.outcome, at]);
    return;
  }
  if (c.outcome === "pending") return;
  const responseId = nextId("resp");
  const status = c.outcome === "declined" ? "declined" : "submitted";
  const answers = c.sleep === undefined ? {} : { "wellbeing-factors": { sleep: c.sleep } };
  await db.query(
    `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
     VALUES ($1, $2, $3, 'secondary', $4, $5, $6, $6, $7)`,
    [responseId, waveId, studentId, status, JSON.stringify(answers), at, status === "submitted" ? at : null],
  );
  if (status !== "submitted") return;
  const scores = c.who5 === undefined ? {} : { who5: { kind: "scored", instrument: "who5", total: c.who5 / 4, percent: c.who5, critical: [] } };
  const validity = c.outcome === "questionable" ? { kind: "questionable", reasons: [{ code: "too-fast" }] } : { kind: "valid" };
  await db.query(
    `INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at) VALUES ($1, $2, $3, $4, '[]', 'default-v1', $5)`,
    [responseId, JSON.stringify(scores), JSON.stringify(validity), c.tier ?? "none", at],
  );
}
