/**
 * Answers as the server stores them (`{instrumentId: {itemId: value}}`), and the small pure operations the
 * autosave needs: what changed since the last save the server acknowledged.
 */

/** An item's answer as sent to the server (instruments/to-survey.ts `AnswerValue`). */
export type AnswerValue = number | string | (string | number)[] | null;

/** Answers by instrument id, then item id. */
export type AnswerMap = Readonly<Record<string, Readonly<Record<string, AnswerValue>>>>;

/** Unanswered, whichever way it is written: the server stores none of these and reads them all as "no answer". */
function isBlank(v: AnswerValue | undefined): boolean {
  return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
}

function sameValue(a: AnswerValue | undefined, b: AnswerValue | undefined): boolean {
  if (isBlank(a) && isBlank(b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => v === b[i]);
  return a === b;
}

/**
 * The items of `next` whose value differs from `base` (an item missing from `next` is not a change: the
 * survey only ever adds or changes values, and clears them to null). Blank values (null, "", [], absent)
 * are all the same "unanswered". Instruments with no change are left out.
 */
export function diffAnswers(base: AnswerMap, next: AnswerMap): Record<string, Record<string, AnswerValue>> {
  const out: Record<string, Record<string, AnswerValue>> = {};
  for (const [instrument, items] of Object.entries(next)) {
    const before = base[instrument] ?? {};
    for (const [item, value] of Object.entries(items)) {
      if (!sameValue(before[item], value)) (out[instrument] ??= {})[item] = value;
    }
  }
  return out;
}

/** `base` with the items of `patch` laid over it (a new object; neither input changes). */
export function mergeAnswers(base: AnswerMap, patch: AnswerMap): Record<string, Record<string, AnswerValue>> {
  const out: Record<string, Record<string, AnswerValue>> = {};
  for (const [instrument, items] of Object.entries(base)) out[instrument] = { ...items };
  for (const [instrument, items] of Object.entries(patch)) out[instrument] = { ...(out[instrument] ?? {}), ...items };
  return out;
}

/** True when the map holds no item at all. */
export function isEmptyAnswers(answers: AnswerMap): boolean {
  return Object.values(answers).every((items) => Object.keys(items).length === 0);
}
