/**
 * Pure rules of a wave: what makes its settings valid, when students may use it, and which battery a
 * student answers. No I/O; time is an argument.
 */
import { batteryFor, defaultBatteries, parseBatteries, type Battery } from "../../../../instruments/batteries";
import { policies } from "../../../../scoring/policies/index";
import type { Season } from "../../../shared/waves";
import type { ErrorDetail } from "../../errors";

export const DEFAULT_POLICY_VERSION = "default-v1";

/** The settings of a wave as the server stores them. */
export interface WaveSettings {
  readonly schoolYear: string;
  readonly season: Season;
  readonly opensAt: Date;
  readonly closesAt: Date;
  readonly batteries: readonly Battery[];
  readonly policyVersion: string;
}

/** What a client sent for a wave's settings (create, or a draft's full settings after a patch). */
export interface WaveSettingsInput {
  readonly schoolYear: string;
  readonly season: Season;
  readonly opensAt: string | Date;
  readonly closesAt: string | Date;
  readonly batteries: unknown;
  readonly policyVersion: string;
}

export type CheckedSettings = { ok: true; settings: WaveSettings } | { ok: false; details: ErrorDetail[] };

/**
 * Checks a wave's settings and returns every problem with its body path: battery issues as found by
 * `parseBatteries` (`body.batteries.0.selfReport.2`), an unknown policy version, a close before the open.
 */
export function checkWaveSettings(input: WaveSettingsInput): CheckedSettings {
  const details: ErrorDetail[] = [];
  const parsed = parseBatteries(input.batteries);
  if (!parsed.ok) {
    for (const issue of parsed.issues) {
      details.push({ path: ["body", "batteries", ...issue.path].join("."), code: issue.code, message: issue.message });
    }
  }
  if (!policies.has(input.policyVersion)) {
    details.push({
      path: "body.policyVersion",
      code: "unknown_policy",
      message: `unknown tier policy "${input.policyVersion}"; known: ${[...policies.keys()].join(", ")}`,
    });
  }
  const opensAt = new Date(input.opensAt);
  const closesAt = new Date(input.closesAt);
  if (closesAt.getTime() <= opensAt.getTime()) {
    details.push({ path: "body.closesAt", code: "closes_before_opens", message: "closesAt must be after opensAt" });
  }
  if (details.length > 0 || !parsed.ok) return { ok: false, details };
  return {
    ok: true,
    settings: { schoolYear: input.schoolYear, season: input.season, opensAt, closesAt, batteries: parsed.batteries, policyVersion: input.policyVersion },
  };
}

/** The default battery data of a new wave. */
export const defaultWaveBatteries = (): Battery[] => defaultBatteries.map((b) => ({ ...b, grades: { ...b.grades }, selfReport: [...b.selfReport] }));

/** Students may use the wave: it is open and `now` is within [opensAt, closesAt). */
export function isUsable(wave: { readonly status: string; readonly opensAt: Date; readonly closesAt: Date }, now: Date): boolean {
  const t = now.getTime();
  return wave.status === "open" && wave.opensAt.getTime() <= t && t < wave.closesAt.getTime();
}

/** The self-report instruments a student of `grade` answers in this wave (empty: none, no code needed). */
export function studentBattery(batteries: readonly Battery[], season: Season, grade: number): { id: string; instruments: string[] } | undefined {
  const battery = batteryFor(grade, season, batteries);
  return battery && { id: battery.id, instruments: [...battery.selfReport] };
}
