/**
 * Batteries: which instruments each grade band answers in each screening season. Batteries are data a
 * district can replace (`parseBatteries`), as long as every grade 1-12 in each season gets exactly one.
 */
import { z } from "zod";
import { getInstrument } from "./index";

/** The two screening seasons of the school year ("温心健康" plan: every spring and autumn semester). */
export const Season = z.enum(["spring", "autumn"]);
export type Season = z.infer<typeof Season>;

const Grade = z.number().int().min(1).max(12);

/** A battery: what one grade band answers in one season. */
export const Battery = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/, "lower-case letters, digits and '-', starting with a letter"),
  season: Season,
  grades: z
    .strictObject({ from: Grade, to: Grade })
    .refine((g) => g.from <= g.to, { message: "from must not be above to", path: ["to"] }),
  /** The student's own pages, in page order (empty: the grade band answers no self-report). */
  selfReport: z.array(z.string().min(1)),
  /** The teacher screener rated for each student of the grade band, if any. */
  teacher: z.string().min(1).nullable(),
});
export type Battery = z.infer<typeof Battery>;

/** An error in battery data: a machine code, the path of the bad field, a message. */
export interface BatteryIssue {
  code: "schema" | "unknown-instrument" | "wrong-respondent" | "duplicate-instrument" | "duplicate-id" | "gap" | "overlap";
  path: (string | number)[];
  message: string;
}

/** Valid batteries, or every issue found. */
export type ParseBatteriesResult = { ok: true; batteries: Battery[] } | { ok: false; issues: BatteryIssue[] };

const selfReport = ["phq9", "gad7", "who5", "asq", "wellbeing-factors"];

/**
 * XinQing's default batteries (issue and ARCHITECTURE.md): grades 4-12 answer PHQ-9, GAD-7, WHO-5, ASQ and the
 * well-being factors, plus the background questions as the last page in autumn; grades 1-3 answer nothing
 * themselves. Teachers rate PSC-17 (the Chinese teacher version was validated in primary schools) in grades
 * 1-6 and the SRSS-IE in grades 7-12.
 */
export const defaultBatteries: readonly Battery[] = (["spring", "autumn"] as const).flatMap((season) => {
  const own = season === "autumn" ? [...selfReport, "background"] : selfReport;
  return [
    { id: `${season}-grades-1-3`, season, grades: { from: 1, to: 3 }, selfReport: [], teacher: "psc17-teacher" },
    { id: `${season}-grades-4-6`, season, grades: { from: 4, to: 6 }, selfReport: own, teacher: "psc17-teacher" },
    { id: `${season}-grades-7-12`, season, grades: { from: 7, to: 12 }, selfReport: own, teacher: "srss-ie" },
  ];
});

/** The battery a student of `grade` answers in `season`, or undefined when none covers it. */
export function batteryFor(grade: number, season: Season, batteries: readonly Battery[] = defaultBatteries): Battery | undefined {
  return batteries.find((b) => b.season === season && b.grades.from <= grade && grade <= b.grades.to);
}

/**
 * Validates battery data (e.g. a district's replacement): the shape, that every instrument id exists and fits
 * its place (self-report pages are answered by students, the screener by teachers), no instrument twice in a
 * battery, unique battery ids, and every grade 1-12 covered exactly once in each season. Returns every issue
 * found, each with the path of the offending field (`["coverage", season, grade]` for gaps).
 */
export function parseBatteries(data: unknown): ParseBatteriesResult {
  const parsed = z.array(Battery).safeParse(data);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => ({
        code: "schema",
        path: issue.path.filter((p): p is string | number => typeof p !== "symbol"),
        message: issue.message,
      })),
    };
  }
  const batteries = parsed.data;
  const issues: BatteryIssue[] = [];
  const ids = new Set<string>();
  batteries.forEach((battery, i) => {
    if (ids.has(battery.id)) issues.push({ code: "duplicate-id", path: [i, "id"], message: `battery id "${battery.id}" is used twice` });
    ids.add(battery.id);
    const seen = new Set<string>();
    battery.selfReport.forEach((id, j) => {
      const path = [i, "selfReport", j];
      const inst = getInstrument(id);
      if (!inst) issues.push({ code: "unknown-instrument", path, message: `unknown instrument "${id}"` });
      else if (inst.respondent !== "student") {
        issues.push({ code: "wrong-respondent", path, message: `"${id}" is answered by a ${inst.respondent}, not a student` });
      }
      if (seen.has(id)) issues.push({ code: "duplicate-instrument", path, message: `"${id}" appears twice` });
      seen.add(id);
    });
    if (battery.teacher !== null) {
      const inst = getInstrument(battery.teacher);
      const path = [i, "teacher"];
      if (!inst) issues.push({ code: "unknown-instrument", path, message: `unknown instrument "${battery.teacher}"` });
      else if (inst.respondent !== "teacher") {
        issues.push({ code: "wrong-respondent", path, message: `"${battery.teacher}" is answered by a ${inst.respondent}, not a teacher` });
      }
    }
  });
  for (const season of Season.options) {
    for (let grade = 1; grade <= 12; grade++) {
      const covering = batteries.filter((b) => b.season === season && b.grades.from <= grade && grade <= b.grades.to);
      if (covering.length === 0) {
        issues.push({ code: "gap", path: ["coverage", season, grade], message: `no battery covers grade ${grade} in ${season}` });
      } else if (covering.length > 1) {
        issues.push({
          code: "overlap",
          path: ["coverage", season, grade],
          message: `grade ${grade} in ${season} is covered by ${covering.map((b) => `"${b.id}"`).join(" and ")}`,
        });
      }
    }
  }
  return issues.length === 0 ? { ok: true, batteries } : { ok: false, issues };
}
