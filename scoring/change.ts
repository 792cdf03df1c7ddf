/**
 * Wave-to-wave change for one student: is a score change larger than measurement error, has a WHO-5
 * score moved by a meaningful amount, and did the warning tier go up or down?
 *
 * Argument errors (a reliability of 1 or more, a non-positive SD, a WHO-5 percentage outside 0-100)
 * are programming errors of the caller and throw a `RangeError` naming the argument; a reference that
 * cannot be chosen for lack of data is a normal result, `{kind: "unavailable"}`.
 */
import type { Tier } from "./policy";
import { tierRank } from "./policy";

/** Which way a higher score points: "symptom" (PHQ-9, GAD-7: higher is worse) or "wellbeing" (WHO-5: higher is better). */
export type ScoreDirection = "symptom" | "wellbeing";

/** Input of {@link reliableChangeIndex}. */
export interface ReliableChangeInput {
  /** Score at the earlier wave (x1). */
  readonly before: number;
  /** Score at the later wave (x2). */
  readonly after: number;
  /** Standard deviation of the reference group (s1), > 0; see {@link changeReference}. */
  readonly sd: number;
  /** Reliability of the scale (r, e.g. Cronbach's alpha), 0 ≤ r < 1. */
  readonly reliability: number;
  readonly direction: ScoreDirection;
}

/** Result of {@link reliableChangeIndex}. */
export interface ReliableChange {
  readonly rci: number;
  /** |RCI| > 1.96: the change is unlikely (p < .05) to be measurement error alone. */
  readonly reliable: boolean;
  readonly direction: "improved" | "deteriorated" | "no-reliable-change";
}

/** Jacobson & Truax (1991): a change is reliable when |RCI| exceeds the two-sided 5 % normal quantile. */
const RCI_CRITICAL = 1.96;

/**
 * Jacobson-Truax reliable change index for one student between two waves:
 * RCI = (x2 − x1) / S_diff, with S_E = s1 · √(1 − r) and S_diff = √(2 · S_E²) = s1 · √2 · √(1 − r).
 * The change is reliable when |RCI| > 1.96. For a "symptom" scale a reliable fall is "improved"; for a
 * "wellbeing" scale a reliable rise is.
 *
 * Source: Jacobson NS, Truax P (1991) "Clinical significance: a statistical approach to defining
 * meaningful change in psychotherapy research", J Consult Clin Psychol 59:12-19 (equations for S_E,
 * S_diff and RC).
 *
 * @throws RangeError when a score is not finite, sd ≤ 0, or reliability is outside [0, 1)
 */
export function reliableChangeIndex(input: ReliableChangeInput): ReliableChange {
  const { before, after, sd, reliability, direction } = input;
  if (!Number.isFinite(before)) throw new RangeError(`before must be a finite number, got ${String(before)}`);
  if (!Number.isFinite(after)) throw new RangeError(`after must be a finite number, got ${String(after)}`);
  if (!(Number.isFinite(sd) && sd > 0)) throw new RangeError(`sd must be a positive finite number, got ${String(sd)}`);
  if (!(reliability >= 0 && reliability < 1)) {
    throw new RangeError(`reliability must be in [0, 1), got ${String(reliability)}`);
  }
  const sDiff = sd * Math.SQRT2 * Math.sqrt(1 - reliability);
  const rci = (after - before) / sDiff;
  const reliable = Math.abs(rci) > RCI_CRITICAL;
  if (!reliable) return { rci, reliable, direction: "no-reliable-change" };
  const better = direction === "symptom" ? rci < 0 : rci > 0;
  return { rci, reliable, direction: better ? "improved" : "deteriorated" };
}

/** Input of {@link changeReference}. */
export interface ChangeReferenceInput {
  /** The district's previous wave for this instrument: respondents, SD of the total, Cronbach's alpha. */
  readonly district?: { readonly n: number; readonly sd: number; readonly alpha: number };
  /** Cronbach's alpha published for the Chinese version of the instrument. */
  readonly published?: { readonly alpha: number };
  /** SD of the total in the current wave. */
  readonly waveSd: number;
}

/** The s1 and r to use in {@link reliableChangeIndex}, and where they came from. */
export type ChangeReference =
  | { readonly kind: "reference"; readonly sd: number; readonly reliability: number; readonly basis: "district" | "published" }
  | { readonly kind: "unavailable"; readonly reason: string };

/** District samples smaller than this give too unstable an alpha and SD; fall back to the published alpha. */
export const MIN_DISTRICT_N = 100;

const usableAlpha = (alpha: number): boolean => alpha > 0 && alpha < 1;
const usableSd = (sd: number): boolean => Number.isFinite(sd) && sd > 0;

/**
 * Chooses the reference SD (s1) and reliability (r) for the reliable change index. Jacobson & Truax
 * (1991) take s1 from a reference population and r from test-retest or internal consistency; here:
 *
 * - the district's previous wave (its SD and its own Cronbach's alpha) when it had n ≥ 100 respondents
 *   and gives a usable alpha (0 < α < 1) and SD (> 0);
 * - otherwise the published alpha of the Chinese version with the current wave's own SD;
 * - otherwise `{kind: "unavailable"}` with the reason, and no RCI should be reported.
 *
 * An alpha ≤ 0 or ≥ 1 cannot be used (S_E would be undefined or zero), so such a district alpha falls
 * back to the published one. The threshold of 100 is this project's choice, not from the source.
 */
export function changeReference(input: ChangeReferenceInput): ChangeReference {
  const { district, published, waveSd } = input;
  if (district && district.n >= MIN_DISTRICT_N && usableAlpha(district.alpha) && usableSd(district.sd)) {
    return { kind: "reference", sd: district.sd, reliability: district.alpha, basis: "district" };
  }
  if (published && usableAlpha(published.alpha) && usableSd(waveSd)) {
    return { kind: "reference", sd: waveSd, reliability: published.alpha, basis: "published" };
  }
  const reasons: string[] = [];
  if (!district) reasons.push("no district wave");
  else if (district.n < MIN_DISTRICT_N) reasons.push(`district wave has ${district.n} respondents (fewer than ${MIN_DISTRICT_N})`);
  else reasons.push("district alpha or SD not usable");
  if (!published) reasons.push("no published alpha");
  else if (!usableAlpha(published.alpha)) reasons.push("published alpha not in (0, 1)");
  else reasons.push("current wave SD not positive");
  return { kind: "unavailable", reason: reasons.join("; ") };
}

/** Result of {@link cronbachAlpha}. */
export type AlphaResult =
  | { readonly kind: "alpha"; readonly alpha: number; readonly respondents: number; readonly items: number }
  | { readonly kind: "not-computable"; readonly reason: "too-few-respondents" | "too-few-items" | "zero-total-variance" };

/**
 * Cronbach's alpha of a scale from complete item responses:
 * α = k / (k − 1) · (1 − Σ s_i² / s_T²), with k items, s_i² the variance of item i and s_T² the
 * variance of the total (sample variances, n − 1 denominator; the ratio is the same with n).
 * Pass complete cases only: respondents with a missing item must be left out by the caller.
 *
 * Source: Cronbach LJ (1951) "Coefficient alpha and the internal structure of tests",
 * Psychometrika 16:297-334.
 *
 * @param itemScores rows = respondents, columns = items
 * @returns the alpha (which can be negative for incoherent items), or why it cannot be computed:
 *   fewer than 2 respondents, fewer than 2 items, or all totals equal
 * @throws RangeError on a ragged matrix or a non-finite score
 */
export function cronbachAlpha(itemScores: readonly (readonly number[])[]): AlphaResult {
  const items = itemScores[0]?.length ?? 0;
  itemScores.forEach((row, r) => {
    if (row.length !== items) throw new RangeError(`itemScores row ${r} has ${row.length} items, row 0 has ${items}`);
    row.forEach((v, c) => {
      if (!Number.isFinite(v)) throw new RangeError(`itemScores[${r}][${c}] must be a finite number, got ${String(v)}`);
    });
  });
  const n = itemScores.length;
  if (n < 2) return { kind: "not-computable", reason: "too-few-respondents" };
  if (items < 2) return { kind: "not-computable", reason: "too-few-items" };
  const variance = (xs: readonly number[]): number => {
    const m = xs.reduce((s, v) => s + v, 0) / xs.length;
    return xs.reduce((s, v) => s + (v - m) ** 2, 0) / (xs.length - 1);
  };
  const itemVariances = Array.from({ length: items }, (_, c) => variance(itemScores.map((row) => row[c] ?? 0)));
  const totalVariance = variance(itemScores.map((row) => row.reduce((s, v) => s + v, 0)));
  if (totalVariance === 0) return { kind: "not-computable", reason: "zero-total-variance" };
  const sumItemVariances = itemVariances.reduce((s, v) => s + v, 0);
  return { kind: "alpha", alpha: (items / (items - 1)) * (1 - sumItemVariances / totalVariance), respondents: n, items };
}

/** Result of {@link who5PercentChange}. */
export interface Who5Change {
  /** after − before, in percentage points. */
  readonly difference: number;
  /** |difference| ≥ 10 percentage points. */
  readonly significant: boolean;
  readonly direction: "improved" | "worsened" | "no-significant-change";
}

/** WHO-5 guide (1998): a difference of 10 % is significant. */
const WHO5_SIGNIFICANT_CHANGE = 10;

function checkPercent(name: string, v: number): void {
  if (!(v >= 0 && v <= 100)) throw new RangeError(`${name} must be a WHO-5 percentage in [0, 100], got ${String(v)}`);
}

/**
 * Change of a WHO-5 percentage score (raw 0-25 × 4, so 0-100) between two waves. A change of 10
 * percentage points or more is significant; higher is better, so a rise is "improved".
 *
 * Source: WHO Collaborating Centre in Mental Health, Frederiksborg General Hospital (1998),
 * "WHO (Five) Well-Being Index (1998 version)": "a 10 % difference indicates a significant change".
 *
 * @throws RangeError when a percentage is outside 0-100 or not finite
 */
export function who5PercentChange(beforePercent: number, afterPercent: number): Who5Change {
  checkPercent("beforePercent", beforePercent);
  checkPercent("afterPercent", afterPercent);
  const difference = afterPercent - beforePercent;
  const significant = Math.abs(difference) >= WHO5_SIGNIFICANT_CHANGE;
  return {
    difference,
    significant,
    direction: !significant ? "no-significant-change" : difference > 0 ? "improved" : "worsened",
  };
}

/** How a student's tier moved between waves: "up" is towards red (more concern). */
export type TierMovement = "up" | "down" | "same" | "new";

/**
 * Movement of a student's warning tier between waves, over the order none < yellow < orange < red
 * (the project's tier scale, `tierRank` in policy.ts). "new" when there is no previous tier
 * (`null` or `undefined`: the student was not screened, or is new to the school).
 */
export function tierMovement(before: Tier | null | undefined, after: Tier): TierMovement {
  if (before === null || before === undefined) return "new";
  const delta = tierRank(after) - tierRank(before);
  return delta > 0 ? "up" : delta < 0 ? "down" : "same";
}
