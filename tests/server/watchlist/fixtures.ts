/**
 * Builders for the observation and watch-list tests: waves and submitted results written straight to the
 * database (scored with the real scoring library), and answers that land in a named band.
 */
import { defaultBatteries } from "../../../instruments/batteries";
import { getInstrument } from "../../../instruments/index";
import type { Answers } from "../../../scoring/index";
import { assignTier, defaultPolicy, scoreInstrument } from "../../../scoring/index";
import type { TestServer } from "../../helpers/server";

/** A wave of a school, out of draft (frozen), with the default batteries and policy. */
export async function aWave(t: TestServer, schoolId: string, over: { schoolYear?: string; season?: "spring" | "autumn"; opensAt?: string; policyVersion?: string } = {}): Promise<string> {
  const id = t.deps.newId();
  const opensAt = new Date(over.opensAt ?? "2026-03-01T00:00:00+08:00");
  await t.db.query(
    `INSERT INTO waves (id, school_id, school_year, season, opens_at, closes_at, batteries, policy_version, status, frozen_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'open', $5)`,
    [id, schoolId, over.schoolYear ?? "2025-2026", over.season ?? "spring", opensAt, new Date(opensAt.getTime() + 20 * 86_400_000), JSON.stringify(defaultBatteries), over.policyVersion ?? defaultPolicy.version],
  );
  return id;
}

/** A submitted response with its result row, scored the way a submit scores it (self-report only). */
export async function aResult(t: TestServer, waveId: string, studentId: string, answers: Record<string, Answers>, submittedAt = "2026-03-02T09:00:00+08:00", keyPopulation: string[] = []): Promise<void> {
  const id = t.deps.newId();
  const scores = Object.fromEntries(Object.entries(answers).map(([inst, a]) => [inst, scoreInstrument(getInstrument(inst)!, a)]));
  const validity = { kind: "valid" as const };
  const tier = assignTier({ selfReport: scores, validity, observations: [], keyPopulation, deteriorated: [] }, defaultPolicy);
  const at = new Date(submittedAt);
  await t.db.query(
    `INSERT INTO responses (id, wave_id, student_id, battery_id, status, answers, started_at, updated_at, submitted_at)
     VALUES ($1, $2, $3, 'spring-grades-7-12', 'submitted', $4, $5, $5, $5)`,
    [id, waveId, studentId, JSON.stringify(answers), at],
  );
  await t.db.query("INSERT INTO results (response_id, scores, validity, tier, reasons, policy_version, computed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)", [
    id,
    JSON.stringify(scores),
    JSON.stringify(validity),
    tier.tier,
    JSON.stringify(tier.reasons),
    tier.policyVersion,
    at,
  ]);
}

/** PHQ-9 answers with this total (items filled from the first, up to 3 each; item 9 last, so 0 unless total > 24). */
export function phq9Total(total: number): Answers {
  const out: Record<string, number> = {};
  let left = total;
  for (let i = 1; i <= 9; i++) {
    const v = Math.min(3, left);
    out[`q${i}`] = v;
    left -= v;
  }
  out.q10 = 0;
  return out;
}

/** A teacher checklist: the warning signs ticked (none by default) and key-population categories. */
export const checklist = (signs: string[] = [], keyPopulation: string[] = []): Answers => ({ signs, "key-population": keyPopulation });

/** A peer report with these concerns. */
export const peerReport = (concerns: string[], urgency = "soon"): Answers => ({ concerns, urgency });

/** PSC-17 teacher answers, every item at `value`. */
export function psc17All(value: 0 | 1 | 2): Answers {
  return Object.fromEntries(getInstrument("psc17-teacher")!.items.map((it) => [it.id, value]));
}
