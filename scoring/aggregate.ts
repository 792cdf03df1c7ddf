/**
 * Step 5 of the pipeline: district aggregates for the analytics dashboards and CSV exports.
 *
 * Counts become rates with Wilson intervals, schools are placed on a funnel plot around the district
 * rate, WHO-5 means get Student-t intervals, and every table an analyst can publish goes through
 * `suppressSmallCells` first.
 *
 * Argument errors (a count above its denominator, a negative or fractional count, a ragged table) are
 * programming errors of the caller, not data problems: they throw a `RangeError` whose message names
 * the argument. Data that simply has nothing in it (n = 0, fewer than two values) is a normal result,
 * returned as `null` or a tagged `{kind: "empty" | "insufficient"}`, never `NaN`.
 */
import { gammaln, mean, sampleStandardDeviation, sampleVariance } from "simple-statistics";

// ---------------------------------------------------------------------------------------------
// Argument checks
// ---------------------------------------------------------------------------------------------

function assertCount(value: number, name: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative integer, got ${String(value)}`);
  }
}

function assertCountPair(x: number, n: number): void {
  assertCount(x, "x");
  assertCount(n, "n");
  if (x > n) throw new RangeError(`x (${x}) must not exceed n (${n})`);
}

function assertFiniteValues(values: readonly number[], name: string): void {
  values.forEach((v, i) => {
    if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}] must be a finite number, got ${String(v)}`);
  });
}

function assertLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new RangeError(`level must be strictly between 0 and 1, got ${String(level)}`);
}

// ---------------------------------------------------------------------------------------------
// Proportions
// ---------------------------------------------------------------------------------------------

/** A two-sided interval for a proportion, both ends in [0, 1]. */
export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

/**
 * Wilson score interval for a binomial proportion x / n.
 *
 * Source: Wilson EB (1927) "Probable inference, the law of succession, and statistical inference",
 * J Am Stat Assoc 22:209-212. centre = (x + z²/2) / (n + z²);
 * half-width = z / (n + z²) · √(x(n − x)/n + z²/4). Unlike the Wald interval it stays inside [0, 1]
 * and is not degenerate at x = 0 or x = n, which matters for small schools and rare tiers.
 *
 * @param x number of students with the attribute (integer, 0 ≤ x ≤ n)
 * @param n number of students (integer ≥ 0)
 * @param z standard normal quantile; 1.96 for a 95 % interval
 * @returns the interval, or `null` when n = 0 (no information: not an interval of [0, 1], not NaN)
 * @throws RangeError when x or n is negative or fractional, x > n, or z is not a positive finite number
 */
export function wilsonInterval(x: number, n: number, z = 1.96): Interval | null {
  assertCountPair(x, n);
  if (!(Number.isFinite(z) && z > 0)) throw new RangeError(`z must be a positive finite number, got ${String(z)}`);
  if (n === 0) return null;
  const z2 = z * z;
  const centre = (x + z2 / 2) / (n + z2);
  const half = (z / (n + z2)) * Math.sqrt((x * (n - x)) / n + z2 / 4);
  // At x = 0 (x = n) the lower (upper) end is 0 (1) exactly; rounding may leave a 1e-17 residue.
  return {
    lower: x === 0 ? 0 : Math.max(0, centre - half),
    upper: x === n ? 1 : Math.min(1, centre + half),
  };
}

/** A proportion with its 95 % Wilson interval, or the tagged empty result for n = 0. */
export type RateEstimate =
  | { readonly kind: "rate"; readonly x: number; readonly n: number; readonly rate: number; readonly lower: number; readonly upper: number }
  | { readonly kind: "empty"; readonly x: 0; readonly n: 0 };

/**
 * x / n with its 95 % Wilson score interval (Wilson 1927, see {@link wilsonInterval}).
 *
 * @returns `{kind: "rate", x, n, rate, lower, upper}`, or `{kind: "empty", x: 0, n: 0}` when n = 0
 * @throws RangeError as {@link wilsonInterval}
 */
export function rate(x: number, n: number): RateEstimate {
  const interval = wilsonInterval(x, n);
  if (interval === null) return { kind: "empty", x: 0, n: 0 };
  return { kind: "rate", x, n, rate: x / n, lower: interval.lower, upper: interval.upper };
}

// ---------------------------------------------------------------------------------------------
// Funnel plots
// ---------------------------------------------------------------------------------------------

/** Control limits of a funnel plot for one school size, all in [0, 1]. */
export interface FunnelLimits {
  readonly n: number;
  readonly districtRate: number;
  readonly lower95: number;
  readonly upper95: number;
  readonly lower998: number;
  readonly upper998: number;
}

/** Cumulative binomial probabilities F(r) = P(R ≤ r), r = 0..n, for R ~ Binomial(n, p), 0 < p < 1. */
function binomialCdf(n: number, p: number): Float64Array {
  const cdf = new Float64Array(n + 1);
  const logN = gammaln(n + 1);
  const logP = Math.log(p);
  const logQ = Math.log1p(-p);
  let total = 0;
  for (let r = 0; r <= n; r++) {
    // The coefficient and the powers each overflow long before their product does: work in logs.
    total += Math.exp(logN - gammaln(r + 1) - gammaln(n - r + 1) + r * logP + (n - r) * logQ);
    cdf[r] = Math.min(1, total);
  }
  return cdf;
}

/**
 * The interpolated binomial quantile of Spiegelhalter (2005, appendix): r_p is the smallest r
 * with F(r) ≥ p, α = (F(r_p) − p) / (F(r_p) − F(r_p − 1)), and the limit is (r_p − α) / n. This is
 * the p-quantile of the continuous distribution whose distribution function joins F linearly between
 * integers, so the limits form a smooth funnel instead of a staircase.
 */
function interpolatedBinomialLimit(cdf: Float64Array, n: number, p: number): number {
  let rp = n;
  for (let r = 0; r <= n; r++) {
    if ((cdf[r] ?? 1) >= p) {
      rp = r;
      break;
    }
  }
  const at = cdf[rp] ?? 1;
  const below = rp === 0 ? 0 : (cdf[rp - 1] ?? 0);
  const alpha = (at - p) / (at - below);
  return Math.min(1, Math.max(0, (rp - alpha) / n));
}

/**
 * Funnel-plot control limits for a school of n students around the district rate, at 95 % and 99.8 %
 * (the two-sided levels whose normal approximations are z = 1.96 and z = 3.09).
 *
 * Source: Spiegelhalter DJ (2005) "Funnel plots for comparing institutional performance", Stat Med
 * 24:1185-1202. These are the exact binomial limits of its appendix (quantiles p = 0.025, 0.975,
 * 0.001, 0.999 of Binomial(n, districtRate), interpolated as in {@link interpolatedBinomialLimit}),
 * not the normal approximation θ ± z√(θ(1 − θ)/n), which is poor for small schools and rare tiers.
 * Limits are clamped to [0, 1]. When the district rate is exactly 0 or 1 every school must have that
 * rate, so all four limits equal it.
 *
 * Known property (Manktelow & Seaton 2012, PLoS One 7:e45723): with a discrete outcome the chance that
 * an in-control school falls outside an interpolated limit is only approximately the nominal 2.5 % or
 * 0.1 % per side; for very small n it can be noticeably larger.
 *
 * @param districtRate the target proportion θ, 0 ≤ θ ≤ 1 (usually the pooled district rate)
 * @param n school size (integer ≥ 0)
 * @returns the limits, or `null` when n = 0
 * @throws RangeError when θ is outside [0, 1] or n is negative or fractional
 */
export function funnelLimits(districtRate: number, n: number): FunnelLimits | null {
  if (!(districtRate >= 0 && districtRate <= 1)) {
    throw new RangeError(`districtRate must be in [0, 1], got ${String(districtRate)}`);
  }
  assertCount(n, "n");
  if (n === 0) return null;
  if (districtRate === 0 || districtRate === 1) {
    return { n, districtRate, lower95: districtRate, upper95: districtRate, lower998: districtRate, upper998: districtRate };
  }
  const cdf = binomialCdf(n, districtRate);
  return {
    n,
    districtRate,
    lower95: interpolatedBinomialLimit(cdf, n, 0.025),
    upper95: interpolatedBinomialLimit(cdf, n, 0.975),
    lower998: interpolatedBinomialLimit(cdf, n, 0.001),
    upper998: interpolatedBinomialLimit(cdf, n, 0.999),
  };
}

/** Where a school's rate lies on the funnel plot. */
export type FunnelPosition = "above998" | "above95" | "within" | "below95" | "below998";

/** One school's count for {@link classifySchools}. */
export interface SchoolCount {
  readonly id: string;
  readonly x: number;
  readonly n: number;
}

/** One school's place on the funnel, or `empty` for a school with no respondents. */
export type SchoolFunnelResult =
  | {
      readonly kind: "classified";
      readonly id: string;
      readonly x: number;
      readonly n: number;
      readonly rate: number;
      readonly limits: FunnelLimits;
      readonly position: FunnelPosition;
    }
  | { readonly kind: "empty"; readonly id: string };

/** The district's pooled rate and every school's funnel position, in input order. */
export interface DistrictFunnel {
  readonly x: number;
  readonly n: number;
  /** Pooled rate Σx / Σn, or `null` when no school has respondents. */
  readonly districtRate: number | null;
  readonly schools: readonly SchoolFunnelResult[];
}

/**
 * Places every school on a funnel plot around the pooled district rate Σx / Σn (Spiegelhalter 2005,
 * limits from {@link funnelLimits}). A school is `above998` when its rate is strictly above the 99.8 %
 * upper limit, else `above95` when strictly above the 95 % upper limit; `below998` / `below95`
 * likewise below the lower limits; otherwise `within` (a rate exactly on a limit is within, as a point
 * drawn on the line is). Schools with n = 0 are `empty`; they add nothing to the pooled rate.
 *
 * @throws RangeError when a school's x or n is negative or fractional, or x > n
 */
export function classifySchools(schools: readonly SchoolCount[]): DistrictFunnel {
  schools.forEach((s) => {
    try {
      assertCountPair(s.x, s.n);
    } catch (error) {
      throw new RangeError(`school ${s.id}: ${(error as Error).message}`, { cause: error });
    }
  });
  const x = schools.reduce((sum, s) => sum + s.x, 0);
  const n = schools.reduce((sum, s) => sum + s.n, 0);
  const districtRate = n === 0 ? null : x / n;
  return {
    x,
    n,
    districtRate,
    schools: schools.map((s): SchoolFunnelResult => {
      const limits = districtRate === null ? null : funnelLimits(districtRate, s.n);
      if (limits === null) return { kind: "empty", id: s.id };
      const schoolRate = s.x / s.n;
      return { kind: "classified", id: s.id, x: s.x, n: s.n, rate: schoolRate, limits, position: funnelPosition(schoolRate, limits) };
    }),
  };
}

function funnelPosition(value: number, limits: FunnelLimits): FunnelPosition {
  if (value > limits.upper998) return "above998";
  if (value > limits.upper95) return "above95";
  if (value < limits.lower998) return "below998";
  if (value < limits.lower95) return "below95";
  return "within";
}

// ---------------------------------------------------------------------------------------------
// Student's t (simple-statistics has a t statistic but no t distribution or quantile)
// ---------------------------------------------------------------------------------------------

/**
 * Continued fraction for the incomplete beta function, modified Lentz method
 * (Press et al., Numerical Recipes, 3rd ed., §6.4 "betacf").
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < 1e-15) break;
  }
  return h;
}

/**
 * Regularized incomplete beta I_x(a, b), given both x and y = 1 − x so that neither end loses digits
 * to cancellation (Numerical Recipes §6.4).
 */
function regularizedBeta(x: number, y: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  const logFront = gammaln(a + b) - gammaln(a) - gammaln(b) + a * Math.log(x) + b * Math.log(y);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(logFront) * betaContinuedFraction(a, b, x)) / a;
  return 1 - (Math.exp(logFront) * betaContinuedFraction(b, a, y)) / b;
}

/** P(T > t) for t ≥ 0, T ~ Student t with df degrees of freedom: ½ I_{df/(df+t²)}(df/2, ½). */
function studentTUpperTail(t: number, df: number): number {
  const t2 = t * t;
  return 0.5 * regularizedBeta(df / (df + t2), t2 / (df + t2), df / 2, 0.5);
}

/**
 * Quantile of Student's t distribution: the t with P(T ≤ t) = p for df degrees of freedom (df may be
 * fractional, as Welch's df is).
 *
 * Source: the t distribution function written as a regularized incomplete beta function,
 * P(T > t) = ½ I_{df/(df+t²)}(df/2, ½) for t ≥ 0 (Abramowitz & Stegun ch. 26), evaluated by the
 * continued fraction of Numerical Recipes §6.4 and inverted by bisection to full double precision.
 * Checked against printed tables: t(0.975, 9) = 2.2622, t(0.975, 29) = 2.0452, and t → 1.95996 as
 * df grows. simple-statistics has no t distribution, and its `probit` is accurate only to about two
 * decimals (probit(0.975) = 1.9572, not 1.9600), so it is not used for the large-df limit either.
 *
 * @param p probability, 0 < p < 1
 * @param df degrees of freedom, a finite number > 0
 * @throws RangeError when p or df is out of range
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p must be strictly between 0 and 1, got ${String(p)}`);
  if (!(Number.isFinite(df) && df > 0)) throw new RangeError(`df must be a positive finite number, got ${String(df)}`);
  if (p === 0.5) return 0;
  const tail = p > 0.5 ? 1 - p : p;
  let lo = 0;
  let hi = 1;
  while (studentTUpperTail(hi, df) > tail) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTUpperTail(mid, df) > tail) lo = mid;
    else hi = mid;
  }
  const t = (lo + hi) / 2;
  return p > 0.5 ? t : -t;
}

// ---------------------------------------------------------------------------------------------
// Means
// ---------------------------------------------------------------------------------------------

/** A mean with its Student-t interval, or a tagged result when there are fewer than two values. */
export type MeanEstimate =
  | {
      readonly kind: "mean";
      readonly n: number;
      readonly mean: number;
      /** Sample standard deviation (n − 1 denominator). */
      readonly sd: number;
      readonly df: number;
      readonly lower: number;
      readonly upper: number;
    }
  | { readonly kind: "empty"; readonly n: 0 }
  | { readonly kind: "insufficient"; readonly n: 1; readonly mean: number };

/**
 * Mean with a Student-t confidence interval: mean ± t((1 + level)/2, n − 1) · sd / √n. Used for the
 * WHO-5 percentage score (0-100) per school or grade; the interval is not clamped to the scale.
 *
 * Source: Student (1908) "The probable error of a mean", Biometrika 6:1-25; quantile from
 * {@link studentTQuantile}. For n ≥ 30 it differs little from the normal interval but stays exact
 * for small classes.
 *
 * @param values finite numbers
 * @param level confidence level, 0 < level < 1 (default 0.95)
 * @returns `kind: "mean"` for n ≥ 2, `kind: "insufficient"` (mean only) for n = 1, `kind: "empty"` for n = 0
 * @throws RangeError on a non-finite value or a level outside (0, 1)
 */
export function meanWithInterval(values: readonly number[], level = 0.95): MeanEstimate {
  assertFiniteValues(values, "values");
  const first = values[0];
  if (first === undefined) return meanFromSummary({ n: 0, mean: 0, sd: 0 }, level);
  if (values.length === 1) return meanFromSummary({ n: 1, mean: first, sd: 0 }, level);
  return meanFromSummary({ n: values.length, mean: mean(values as number[]), sd: sampleStandardDeviation(values as number[]) }, level);
}

/**
 * {@link meanWithInterval} from a group's count, mean and sample SD (as a database computes them with
 * count, avg and stddev_samp), so the values themselves need not travel: the same formula.
 *
 * @throws RangeError on a negative or fractional n, a non-finite mean or SD, or a level outside (0, 1)
 */
export function meanFromSummary(summary: GroupSummary, level = 0.95): MeanEstimate {
  const { n, mean: m, sd } = summary;
  assertCount(n, "n");
  assertFiniteValues([m, sd], "summary");
  assertLevel(level);
  if (n === 0) return { kind: "empty", n: 0 };
  if (n === 1) return { kind: "insufficient", n: 1, mean: m };
  const df = n - 1;
  const half = studentTQuantile((1 + level) / 2, df) * (sd / Math.sqrt(n));
  return { kind: "mean", n, mean: m, sd, df, lower: m - half, upper: m + half };
}

/** Summary of one group in {@link meanDifference}. */
export interface GroupSummary {
  readonly n: number;
  readonly mean: number;
  readonly sd: number;
}

/** Difference of two means with a Welch interval, or `insufficient` when a group has fewer than two values. */
export type MeanDifference =
  | {
      readonly kind: "difference";
      /** mean(a) − mean(b) */
      readonly difference: number;
      readonly se: number;
      /** Welch-Satterthwaite degrees of freedom (fractional). */
      readonly df: number;
      readonly lower: number;
      readonly upper: number;
      readonly a: GroupSummary;
      readonly b: GroupSummary;
    }
  | { readonly kind: "insufficient"; readonly na: number; readonly nb: number };

/**
 * Difference of means mean(a) − mean(b) with a Welch confidence interval, for "influencing factors"
 * reported as differences in mean WHO-5 between groups (e.g. students with and without a factor).
 *
 * Source: Welch BL (1947) "The generalization of 'Student's' problem when several different population
 * variances are involved", Biometrika 34:28-35; Satterthwaite FE (1946) Biometrics Bull 2:110-114.
 * se = √(s_a²/n_a + s_b²/n_b); df = se⁴ / ((s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1)).
 * When both groups have zero variance the interval is the single point `difference`, and df is
 * reported as n_a + n_b − 2 (the Welch formula is 0/0 there).
 *
 * @param level confidence level, 0 < level < 1 (default 0.95)
 * @returns `kind: "difference"`, or `kind: "insufficient"` when either group has fewer than two values
 * @throws RangeError on a non-finite value or a level outside (0, 1)
 */
export function meanDifference(a: readonly number[], b: readonly number[], level = 0.95): MeanDifference {
  assertFiniteValues(a, "a");
  assertFiniteValues(b, "b");
  const summary = (xs: readonly number[]): GroupSummary =>
    xs.length < 2 ? { n: xs.length, mean: xs[0] ?? 0, sd: 0 } : { n: xs.length, mean: mean(xs as number[]), sd: Math.sqrt(sampleVariance(xs as number[])) };
  return meanDifferenceFromSummaries(summary(a), summary(b), level);
}

/**
 * {@link meanDifference} from two groups' count, mean and sample SD: the same Welch interval.
 *
 * @throws RangeError on a negative or fractional n, a non-finite mean or SD, or a level outside (0, 1)
 */
export function meanDifferenceFromSummaries(a: GroupSummary, b: GroupSummary, level = 0.95): MeanDifference {
  assertCount(a.n, "a.n");
  assertCount(b.n, "b.n");
  assertFiniteValues([a.mean, a.sd, b.mean, b.sd], "summaries");
  assertLevel(level);
  if (a.n < 2 || b.n < 2) return { kind: "insufficient", na: a.n, nb: b.n };
  const va = (a.sd * a.sd) / a.n;
  const vb = (b.sd * b.sd) / b.n;
  const se = Math.sqrt(va + vb);
  const difference = a.mean - b.mean;
  const df = se === 0 ? a.n + b.n - 2 : (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const half = se === 0 ? 0 : studentTQuantile((1 + level) / 2, df) * se;
  return { kind: "difference", difference, se, df, lower: difference - half, upper: difference + half, a: { ...a }, b: { ...b } };
}

// ---------------------------------------------------------------------------------------------
// Small-cell suppression
// ---------------------------------------------------------------------------------------------

/** A table as it may be published: suppressed entries are `null`, every other number is unchanged. */
export interface PublishableTable {
  readonly cells: readonly (readonly (number | null)[])[];
  readonly rowTotals: readonly (number | null)[];
  readonly columnTotals: readonly (number | null)[];
  readonly grandTotal: number | null;
}

/**
 * The table extended with its margins: entry (i, j) for i < rows, j < cols is a cell, (i, cols) the
 * total of row i, (rows, j) the total of column j, (rows, cols) the grand total. Signing the margins
 * −1 (and the grand total +1) turns every additivity constraint into "this line of the extended table
 * sums to zero", so an unknown perturbation of the suppressed entries is a set of cycles in the
 * bipartite graph of extended rows and columns whose edges are the suppressed entries.
 */
interface Extended {
  readonly rows: number;
  readonly cols: number;
  readonly value: readonly (readonly number[])[];
  readonly suppressed: boolean[][];
}

/**
 * Sign of an entry in the extended table: a +1 step on the cycle raises a cell or the grand total and
 * lowers a row or column total.
 */
function sign(ext: Extended, i: number, j: number): 1 | -1 {
  const margin = (i === ext.rows) !== (j === ext.cols);
  return margin ? -1 : 1;
}

function entry(ext: Extended, i: number, j: number): number {
  return ext.value[i]?.[j] ?? 0;
}

function isSuppressed(ext: Extended, i: number, j: number): boolean {
  return ext.suppressed[i]?.[j] ?? false;
}

/**
 * Can the real value of entry (i, j) move by `direction` (±1) as one step of a cycle? A step down is
 * possible only from a value ≥ 1: counts are never negative.
 */
function stepAllowed(ext: Extended, i: number, j: number, direction: 1 | -1): boolean {
  return direction === 1 || entry(ext, i, j) >= 1;
}

/** Binary min-heap of (key, node), ordered by key then node number, so pops are deterministic. */
class MinQueue {
  private readonly items: { key: number; node: number }[] = [];

  private less(a: number, b: number): boolean {
    const x = this.items[a];
    const y = this.items[b];
    if (!x || !y) return false;
    return x.key < y.key || (x.key === y.key && x.node < y.node);
  }

  private swap(a: number, b: number): void {
    const x = this.items[a];
    const y = this.items[b];
    if (!x || !y) return;
    this.items[a] = y;
    this.items[b] = x;
  }

  push(key: number, node: number): void {
    this.items.push({ key, node });
    for (let c = this.items.length - 1; c > 0; ) {
      const parent = (c - 1) >> 1;
      if (!this.less(c, parent)) break;
      this.swap(c, parent);
      c = parent;
    }
  }

  pop(): { key: number; node: number } | undefined {
    const top = this.items[0];
    const last = this.items.pop();
    if (top === undefined || last === undefined || this.items.length === 0) return top;
    this.items[0] = last;
    for (let p = 0; ; ) {
      const l = 2 * p + 1;
      const r = l + 1;
      let m = p;
      if (l < this.items.length && this.less(l, m)) m = l;
      if (r < this.items.length && this.less(r, m)) m = r;
      if (m === p) break;
      this.swap(p, m);
      p = m;
    }
    return top;
  }
}

/**
 * Walks the arcs out of node `u` of the cycle graph in index order, calling `visit(v, i, j)` with each
 * arc's head v and the entry (i, j) it goes through; stops at the first arc for which `visit` returns
 * true, and returns whether it stopped. Left out are arcs into a node marked in `settled`, arcs
 * through entry (ei, ej) and, with `through = "suppressed"`, arcs through published entries.
 *
 * The graph's nodes are the extended rows 0..rows, then the extended columns rows+1 .. rows+1+cols. A
 * row→column arc through entry (i, j) adds +1 to it in the signed extended table; a column→row arc adds
 * −1; an arc exists when the real value may move that way. Entry (ei, ej) is the one whose cycle is
 * being closed: it is already the cycle's first step, so no path back may use it again.
 *
 * Both searches ({@link suppressedPathExists} and {@link cheapestPath}) take their arcs from here, so
 * what an arc is is written once. Arcs are walked in place (columns, or rows, in index order, which
 * Dijkstra's tie-break relies on) rather than listed: a district table by school and grade has
 * hundreds of rows and the searches run for every suppressed entry. Each search passes one `visit`
 * closure made before its loop, so nothing is allocated per node or per arc. The cheap tests come
 * first (a settled head, then a published entry when only suppressed ones are wanted) so that the
 * value lookup of the step check and the call of `visit` are made only for arcs a search can use:
 * walking every arc to `visit` and testing there measured about 1.3× slower than the two
 * hand-written loops this replaces.
 */
function forEachArc(
  ext: Extended,
  u: number,
  ei: number,
  ej: number,
  through: "any" | "suppressed",
  settled: Uint8Array,
  visit: (v: number, i: number, j: number) => boolean,
): boolean {
  const R = ext.rows + 1;
  const suppressedOnly = through === "suppressed";
  if (u < R) {
    for (let j = 0; j <= ext.cols; j++) {
      if (settled[R + j] === 1 || (u === ei && j === ej) || (suppressedOnly && !isSuppressed(ext, u, j))) continue;
      if (stepAllowed(ext, u, j, sign(ext, u, j)) && visit(R + j, u, j)) return true;
    }
  } else {
    const j = u - R;
    for (let i = 0; i <= ext.rows; i++) {
      if (settled[i] === 1 || (i === ei && j === ej) || (suppressedOnly && !isSuppressed(ext, i, j))) continue;
      if (stepAllowed(ext, i, j, -sign(ext, i, j) as 1 | -1) && visit(i, i, j)) return true;
    }
  }
  return false;
}

/**
 * Cheapest path from `from` to `to` in the cycle graph ({@link forEachArc}), not through entry (ei, ej):
 * suppressed entries cost 0, published ones their cost. Dijkstra with a heap ordered by distance then
 * node number, so the answer is deterministic. Returns the published entries the path would need
 * suppressed and its cost.
 */
function cheapestPath(
  ext: Extended,
  from: number,
  to: number,
  ei: number,
  ej: number,
  cost: (i: number, j: number) => number,
): { cost: number; entries: [number, number][] } | null {
  const R = ext.rows + 1;
  const nodes = R + ext.cols + 1;
  const dist = new Float64Array(nodes).fill(Infinity);
  // The arc each node was last reached by: the node it came from and the entry it went through.
  const prevNode = new Int32Array(nodes).fill(-1);
  const prevI = new Int32Array(nodes);
  const prevJ = new Int32Array(nodes);
  const done = new Uint8Array(nodes);
  const queue = new MinQueue();
  dist[from] = 0;
  queue.push(0, from);
  // The node being expanded and its distance, read by `relax` (one closure for the whole search; it
  // returns false so that every arc is walked). Arcs into settled (`done`) nodes are skipped by
  // forEachArc: with costs ≥ 0 they could not lower a settled distance, so the result is the same.
  let u = from;
  let du = 0;
  const relax = (v: number, i: number, j: number): boolean => {
    const d = du + (isSuppressed(ext, i, j) ? 0 : cost(i, j));
    if (d < dist[v]!) {
      dist[v] = d;
      prevNode[v] = u;
      prevI[v] = i;
      prevJ[v] = j;
      queue.push(d, v);
    }
    return false;
  };
  for (;;) {
    const next = queue.pop();
    if (next === undefined) return null;
    u = next.node;
    du = dist[u]!;
    if (done[u] === 1 || next.key > du) continue;
    if (u === to) break;
    done[u] = 1;
    forEachArc(ext, u, ei, ej, "any", done, relax);
  }
  const entries: [number, number][] = [];
  for (let v = to; v !== from; ) {
    const p = prevNode[v]!;
    if (p < 0) break;
    if (!isSuppressed(ext, prevI[v]!, prevJ[v]!)) entries.push([prevI[v]!, prevJ[v]!]);
    v = p;
  }
  return { cost: dist[to]!, entries: entries.reverse() };
}

/**
 * Whether suppressed entry (i, j) already lies on a feasible cycle of suppressed entries (its value
 * cannot be determined): a path of suppressed entries closes the cycle in one of the two directions.
 * Only whether a path exists matters, so a depth-first search stops at the first one.
 */
function isProtected(ext: Extended, i: number, j: number): boolean {
  return cycleEnds(ext, i, j).some(([from, to]) => suppressedPathExists(ext, from, to, i, j));
}

/**
 * For each direction the real value of entry (i, j) may move in (up, or down when it is ≥ 1), the two
 * ends of the path that closes a cycle through the entry. Moving it by `direction` is a +1 (row→column)
 * signed step when direction = sign, so the rest of the cycle is a path back from the column to the
 * row, or the other way round.
 */
function cycleEnds(ext: Extended, i: number, j: number): [from: number, to: number][] {
  const col = ext.rows + 1 + j;
  const s = sign(ext, i, j);
  const ends: [number, number][] = [];
  for (const direction of [1, -1] as const) if (stepAllowed(ext, i, j, direction)) ends.push(direction * s === 1 ? [col, i] : [i, col]);
  return ends;
}

/**
 * Whether a path of suppressed entries leads from `from` to `to` in the cycle graph ({@link forEachArc}),
 * not through entry (ei, ej).
 */
function suppressedPathExists(ext: Extended, from: number, to: number, ei: number, ej: number): boolean {
  const seen = new Uint8Array(ext.rows + 1 + ext.cols + 1);
  const stack = [from];
  seen[from] = 1;
  // True stops the walk: `to` is reached.
  const step = (v: number): boolean => {
    if (v === to) return true;
    seen[v] = 1;
    stack.push(v);
    return false;
  };
  while (stack.length > 0) if (forEachArc(ext, stack.pop()!, ei, ej, "suppressed", seen, step)) return true;
  return false;
}

/**
 * The cheapest set of published entries whose suppression puts suppressed entry (i, j) on a feasible
 * cycle, i.e. makes its value undeterminable. Tries both directions (the entry's real value going up,
 * or going down when it is ≥ 1).
 */
function protectingEntries(ext: Extended, i: number, j: number, cost: (i: number, j: number) => number): [number, number][] | null {
  const options = cycleEnds(ext, i, j).flatMap(([from, to]) => cheapestPath(ext, from, to, i, j, cost) ?? []);
  options.sort((a, b) => a.cost - b.cost || a.entries.length - b.entries.length);
  return options[0]?.entries ?? null;
}

function checkTable(table: readonly (readonly number[])[], k: number): number {
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${String(k)}`);
  const cols = table[0]?.length ?? 0;
  if (table.length === 0 || cols === 0) throw new RangeError("table must have at least one row and one column");
  table.forEach((row, i) => {
    if (row.length !== cols) throw new RangeError(`table row ${i} has ${row.length} cells, row 0 has ${cols}`);
    row.forEach((v, j) => {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`table[${i}][${j}] must be a non-negative integer, got ${String(v)}`);
    });
  });
  return cols;
}

/**
 * Makes a count table publishable under the district's small-cell rule with threshold k: the result
 * is the input with some cells and totals replaced by `null`, such that
 *
 * 1. **primary suppression**: no published cell or total is below k (0 included);
 * 2. **complement rule**: no published cell c in a row with total T has 0 < T − c < k, because the
 *    rate c / T would reveal that a group of fewer than k students is not in that category;
 * 3. **suppressed sums**: in every row or column whose total is published, the suppressed cells add
 *    up to k or more, since the total minus the published cells reveals that sum. This is rule 2
 *    generalised, and it covers the complement-0 case: a cell equal to its row total (all other
 *    cells 0 and suppressed) is suppressed too, else the zeros would be revealed. In a one-column
 *    table the cell *is* the row total and nothing is added. The same applies to the row of column
 *    totals and the column of row totals against the grand total;
 * 4. **complementary (secondary) suppression**: no suppressed cell or total can be recovered exactly
 *    from the published cells and totals, knowing that counts are non-negative integers. Two
 *    suppressed cells per row and column is not enough (two suppression cycles joined by one cell
 *    leave that cell determined); instead every suppressed entry must lie on a cycle of suppressed
 *    entries in the bipartite row/column graph of the table *extended with its margins*, along which
 *    the table can be shifted by ±1 without any count going negative. Such a shift gives a second
 *    table that matches everything published and differs in that entry. (The converse also holds:
 *    any second table decomposes into such cycles, so this check is exact.)
 *
 * Totals below k are suppressed as primary (rule 1). A suppressed row total needs a partner among the
 * other row totals or the grand total (else grand total − other row totals gives it back); the same
 * cycle search chooses it. Secondary suppression is greedy and deterministic: for each unprotected
 * entry in row-major order of the extended table, the cheapest completing cycle is found by Dijkstra,
 * where a published cell costs its value (smallest values first: least information lost), a
 * published total costs its value plus the grand total (so totals are suppressed only when no
 * cycle through cells alone exists), and ties are broken by a fixed order of rows and columns. For
 * rule 3 the smallest published cell of the line is added. The result is not guaranteed minimal (optimal cell
 * suppression is NP-hard) but always satisfies 1-4, since suppressing everything would.
 *
 * Protection here means "at least two values are feasible", not a protection interval of any width.
 * The reason a cell was suppressed is deliberately not returned: "secondary" would tell a reader the
 * hidden count is at least k.
 *
 * Source: the district privacy rule; cell-suppression method after Cox LH (1980) "Suppression
 * methodology and statistical disclosure control", J Am Stat Assoc 75, and the network-flow view of
 * complementary suppression (Kelly JP, Golden BL, Assad AA (1992), Networks 22).
 *
 * @param table counts, rows × columns, non-negative integers, at least 1 × 1, rectangular
 * @param k threshold, a positive integer (default 10)
 * @throws RangeError on a ragged or empty table, a negative or fractional count, or a bad k
 */
export function suppressSmallCells(table: readonly (readonly number[])[], k = 10): PublishableTable {
  const cols = checkTable(table, k);
  const rows = table.length;
  const rowTotals = table.map((row) => row.reduce((s, v) => s + v, 0));
  const columnTotals = Array.from({ length: cols }, (_, j) => table.reduce((s, row) => s + (row[j] ?? 0), 0));
  const grandTotal = rowTotals.reduce((s, v) => s + v, 0);
  const value: number[][] = [
    ...table.map((row, i) => [...row, rowTotals[i] ?? 0]),
    [...columnTotals, grandTotal],
  ];
  const ext: Extended = { rows, cols, value, suppressed: value.map((row) => row.map((v) => v < k)) };

  // Rule 2, the complement rule, on each row (a school or grade) as the group.
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const complement = entry(ext, i, cols) - entry(ext, i, j);
      if (complement > 0 && complement < k) setSuppressed(ext, i, j);
    }
  }

  const marginPenalty = grandTotal + 1;
  const cost = (i: number, j: number): number => entry(ext, i, j) + (i === rows || j === cols ? marginPenalty : 0);
  const protectedEntries = new Set<string>();
  for (let changed = true; changed; ) {
    changed = enforceLineSums(ext, k);
    for (let i = 0; i <= rows; i++) {
      for (let j = 0; j <= cols; j++) {
        if (!isSuppressed(ext, i, j) || protectedEntries.has(`${i},${j}`)) continue;
        // Protection only grows as entries are added, so an entry found protected stays so.
        if (isProtected(ext, i, j)) {
          protectedEntries.add(`${i},${j}`);
          continue;
        }
        const extra = protectingEntries(ext, i, j, cost);
        // A cycle through the margins (cell, its row total, the grand total, its column total) always
        // exists once published entries may be used, so `extra` is never null; the fallback keeps the
        // guarantee even so.
        for (const [a, b] of extra ?? allEntries(ext)) setSuppressed(ext, a, b);
        protectedEntries.add(`${i},${j}`);
        changed = true;
      }
    }
  }

  const published = (i: number, j: number): number | null => (isSuppressed(ext, i, j) ? null : entry(ext, i, j));
  return {
    cells: table.map((row, i) => row.map((_, j) => published(i, j))),
    rowTotals: rowTotals.map((_, i) => published(i, cols)),
    columnTotals: columnTotals.map((_, j) => published(rows, j)),
    grandTotal: published(rows, cols),
  };
}

function setSuppressed(ext: Extended, i: number, j: number): void {
  const row = ext.suppressed[i];
  if (row) row[j] = true;
}

function allEntries(ext: Extended): [number, number][] {
  const all: [number, number][] = [];
  for (let i = 0; i <= ext.rows; i++) for (let j = 0; j <= ext.cols; j++) all.push([i, j]);
  return all;
}

/**
 * Rule 3: in each line (extended row or column) whose total is published, the suppressed members
 * must add up to at least k; while they do not, suppress the smallest published member (first in
 * order on ties). Returns whether anything was added.
 */
function enforceLineSums(ext: Extended, k: number): boolean {
  const lines: { anchor: [number, number]; members: [number, number][] }[] = [];
  for (let i = 0; i <= ext.rows; i++) {
    lines.push({ anchor: [i, ext.cols], members: Array.from({ length: ext.cols }, (_, j): [number, number] => [i, j]) });
  }
  for (let j = 0; j <= ext.cols; j++) {
    lines.push({ anchor: [ext.rows, j], members: Array.from({ length: ext.rows }, (_, i): [number, number] => [i, j]) });
  }
  let changedAny = false;
  for (let changed = true; changed; ) {
    changed = false;
    for (const { anchor, members } of lines) {
      if (isSuppressed(ext, anchor[0], anchor[1])) continue;
      const hidden = members.filter(([i, j]) => isSuppressed(ext, i, j));
      if (hidden.length === 0) continue;
      const hiddenSum = hidden.reduce((s, [i, j]) => s + entry(ext, i, j), 0);
      if (hiddenSum >= k) continue;
      let best: [number, number] | null = null;
      for (const [i, j] of members) {
        if (!isSuppressed(ext, i, j) && (best === null || entry(ext, i, j) < entry(ext, best[0], best[1]))) best = [i, j];
      }
      // A published total ≥ k with every member hidden would make hiddenSum ≥ k, so best exists.
      if (best) {
        setSuppressed(ext, best[0], best[1]);
        changed = true;
        changedAny = true;
      }
    }
  }
  return changedAny;
}
