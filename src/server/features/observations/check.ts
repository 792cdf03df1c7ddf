/**
 * The pure part of filing an observation: which forms a role may file for a student of a grade, the
 * answers checked by the scoring library (every bad item named by its path), free text split off for
 * encryption, and the summary the watch list fuses (scoring/fuse.ts summarizeObservation).
 */
import { batteryFor, defaultBatteries, type Battery } from "../../../../instruments/batteries";
import type { Instrument, SchoolLevel } from "../../../../instruments/schema";
import type { Answers, InformantRole, ScoreResult } from "../../../../scoring/index";
import { scoreInstrument, summarizeObservation } from "../../../../scoring/index";
import type { ObservationInstrument } from "../../../shared/observations";
import type { StaffActor } from "../../auth/actor";
import type { ErrorDetail } from "../../errors";

/**
 * The informant role an observation is recorded under. School leads file as "counselor": the scoring
 * library's informant roles are the school's observers (homeroom, subject, peer, counselor), and a lead
 * filing an observation acts as the school's psychological staff. Other roles file nothing.
 */
export function informantRoleOf(actor: StaffActor): InformantRole | null {
  switch (actor.role) {
    case "homeroom":
    case "subject":
    case "peer":
      return actor.role;
    case "counselor":
    case "school-lead":
      return "counselor";
    default:
      return null;
  }
}

/** Grades 1-6 are primary school, 7-12 secondary (SRSS-IE scores I5 in primary and I6 in secondary). */
export function levelOf(grade: number): SchoolLevel {
  return grade <= 6 ? "primary" : "secondary";
}

/** The teacher screener of a grade (PSC-17 teacher in 1-6, SRSS-IE in 7-12 by default), from the batteries. */
export function teacherScreenerFor(grade: number, batteries: readonly Battery[] = defaultBatteries): string | null {
  return batteryFor(grade, "autumn", batteries)?.teacher ?? batteryFor(grade, "spring", batteries)?.teacher ?? null;
}

/** The forms an informant may file about a student of `grade`: peers the peer report only. */
export function allowedInstruments(role: InformantRole, grade: number): readonly string[] {
  if (role === "peer") return ["peer-concern"];
  const screener = teacherScreenerFor(grade);
  return screener === null ? ["teacher-checklist"] : ["teacher-checklist", screener];
}

/** What is stored for one observation: choice answers, free text to encrypt, score, evidence. */
export interface CheckedObservation {
  readonly answers: Record<string, unknown>;
  /** Text items' answers (kept encrypted with the note). */
  readonly texts: Record<string, string>;
  /** The screener's score result; null for unscored forms. */
  readonly score: ScoreResult | null;
  readonly evidence: { readonly critical: readonly string[]; readonly concerns: readonly string[]; readonly keyPopulation?: readonly string[] };
}

export type CheckResult = { readonly ok: true; readonly value: CheckedObservation } | { readonly ok: false; readonly problems: readonly ErrorDetail[] };

const MAX_MESSAGE = 200;
const short = (s: string): string => (s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s);
const pathOf = (base: string, item?: string): string => (item === undefined ? base : `${base}.${item}`);

/**
 * Checks answers against the form with the scoring library: an `invalid` result (unknown item, value not
 * an option, wrong type, too many blanks) or an `incomplete` one (a required item blank) lists every bad
 * item under `basePath` (e.g. "answers.sad" or "items.3.answers.sad").
 */
export function checkObservation(inst: Instrument, answers: Answers, grade: number, basePath: string, informant: { role: InformantRole; id: string }, at: Date): CheckResult {
  const level = levelOf(grade);
  const result = scoreInstrument(inst, answers, { level });
  if (result.kind === "invalid") {
    return { ok: false, problems: result.problems.map((p) => ({ path: pathOf(basePath, p.item), code: p.code.replaceAll("-", "_"), message: short(p.message) })) };
  }
  if (result.kind === "incomplete") {
    return { ok: false, problems: result.missing.map((item) => ({ path: pathOf(basePath, item), code: "missing", message: `${item} needs an answer / 此题需要作答` })) };
  }
  const summary = summarizeObservation(inst, answers, informant, at, { level });
  const textItems = new Set(inst.items.filter((it) => it.type === "text").map((it) => it.id));
  const choices: Record<string, unknown> = {};
  const texts: Record<string, string> = {};
  for (const [id, value] of Object.entries(answers)) {
    if (value === null || value === undefined) continue;
    if (textItems.has(id)) {
      if (typeof value === "string" && value !== "") texts[id] = value;
    } else {
      choices[id] = value;
    }
  }
  return {
    ok: true,
    value: {
      answers: choices,
      texts,
      score: inst.scoring.method === "none" ? null : result,
      evidence: { critical: summary.critical, concerns: summary.concerns, ...(summary.keyPopulation && { keyPopulation: summary.keyPopulation }) },
    },
  };
}

/** The instrument ids of the API, typed. */
export const isObservationInstrument = (id: string): id is ObservationInstrument => ["teacher-checklist", "psc17-teacher", "srss-ie", "peer-concern"].includes(id);
