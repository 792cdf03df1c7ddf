/**
 * Due dates in school days (issue 6: red the same day, orange within 3 school days, yellow within 2
 * weeks; the numbers come from the tier policy's `dueSchoolDays`). Pure.
 *
 * School days are Monday to Friday in China time (UTC+8, no daylight saving). Public holidays and the
 * make-up working days (调休) are NOT known yet: a due date may fall on a holiday. A district calendar
 * would plug in here as a `isSchoolDay(date)` argument.
 */

const CHINA_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The calendar day ("2026-03-02") of an instant in China time. */
export function chinaDate(at: Date): string {
  return new Date(at.getTime() + CHINA_OFFSET_MS).toISOString().slice(0, 10);
}

/** The last millisecond of a calendar day in China time. */
export function endOfChinaDay(date: string): Date {
  return new Date(Date.parse(`${date}T00:00:00Z`) - CHINA_OFFSET_MS + DAY_MS - 1);
}

/** Monday to Friday (holidays are not known yet, see the module comment). */
export function isSchoolDay(date: string): boolean {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay();
  return weekday >= 1 && weekday <= 5;
}

/** The calendar day `n` school days after `date` (n = 0: `date` itself, whatever day it is). */
export function addSchoolDays(date: string, n: number): string {
  let t = Date.parse(`${date}T00:00:00Z`);
  let left = n;
  while (left > 0) {
    t += DAY_MS;
    if (isSchoolDay(new Date(t).toISOString().slice(0, 10))) left -= 1;
  }
  return new Date(t).toISOString().slice(0, 10);
}

/**
 * When something flagged at `flaggedAt` is due: the end of the day `schoolDays` school days later in
 * China time. 0 means the same day, even on a weekend (a red student is acted on today).
 */
export function dueAfterSchoolDays(flaggedAt: Date, schoolDays: number): Date {
  return endOfChinaDay(addSchoolDays(chinaDate(flaggedAt), schoolDays));
}
