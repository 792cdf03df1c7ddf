/**
 * Synthetic answers for the demo district: pure functions of a seeded random source, so a demo
 * database is the same on every machine. This is not clinical data. Each student has one latent
 * "distress" level (standard normal) that drives every symptom item, so scales agree with each other
 * the way real ones roughly do; the constants were tuned by simulation so that, over grades 4-12,
 * about one student in six reaches PHQ-9 ≥ 10 and a few percent screen ASQ-positive, the order of
 * magnitude reported for Chinese adolescents. Validity problems (too fast, straight-lining, a missed
 * attention item) are planted in a few percent of responses so every path of the watch list shows.
 */
import type { Instrument } from "../../../instruments/schema";
import type { Answers, PageTiming } from "../../../scoring/index";

/** A seeded random source: numbers in [0, 1). */
export type Random = () => number;

/** mulberry32: a small, fast, seeded generator (public domain); good enough for demo data. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal draw (Box-Muller). */
export function normal(random: Random): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export const pick = <T>(random: Random, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

/** How a synthetic student answers. */
export interface Respondent {
  /** Latent distress, standard normal; higher is worse. */
  readonly distress: number;
  readonly style: "careful" | "too-fast" | "straight-line" | "inattentive";
}

export function aRespondent(random: Random): Respondent {
  const r = random();
  const style = r < 0.02 ? "too-fast" : r < 0.03 ? "straight-line" : r < 0.045 ? "inattentive" : "careful";
  return { distress: normal(random), style };
}

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/** A 0-3 symptom rating driven by distress; cut points give a right-skewed total as in school samples. */
function symptom(random: Random, distress: number, shift = 0): number {
  const y = 0.65 * distress + 0.75 * normal(random) - shift;
  return y < 0.1 ? 0 : y < 1.0 ? 1 : y < 1.7 ? 2 : 3;
}

function numericValues(inst: Instrument, itemOptions: readonly { value: number | string }[] | undefined): number[] {
  return (itemOptions ?? inst.options ?? []).map((o) => o.value).filter((v): v is number => typeof v === "number");
}

/** The answers one respondent gives to one self-report instrument. */
export function answerInstrument(inst: Instrument, who: Respondent, random: Random): Answers {
  const out: Record<string, number | string | string[] | null> = {};
  const straight = who.style === "straight-line";
  for (const item of inst.items) {
    if (item.type === "text" || item.type === "number") continue;
    const values = numericValues(inst, item.options);
    if (inst.id === "asq") {
      // ASQ questions 1-4: "yes" grows steeply with distress; question 5 only after a yes.
      if (item.id === "q5") {
        const anyYes = ["q1", "q2", "q3", "q4"].some((q) => out[q] === "yes" || out[q] === "refused");
        if (anyYes) out.q5 = random() < 0.12 ? "yes" : "no";
        continue;
      }
      const p = who.distress > 2.2 ? 0.4 : who.distress > 1.6 ? 0.12 : 0.004;
      out[item.id] = random() < p ? "yes" : random() < 0.005 ? "refused" : "no";
      continue;
    }
    if (item.type === "multi") {
      const opts = (item.options ?? inst.options ?? []).map((o) => String(o.value));
      out[item.id] = opts.filter(() => random() < 0.15).slice(0, 2);
      continue;
    }
    if (item.attention) {
      out[item.id] = who.style === "inattentive" ? (values.find((v) => v !== item.attention?.expected) ?? 0) : item.attention.expected;
      continue;
    }
    if (values.length === 0) {
      out[item.id] = pick(random, (item.options ?? inst.options ?? []).map((o) => o.value)) as string;
      continue;
    }
    if (straight) {
      out[item.id] = values[0] as number;
      continue;
    }
    if (inst.direction === "symptom" && item.scored) {
      const lo = Math.min(...values);
      const hi = Math.max(...values);
      // Thoughts of death or self-harm (PHQ-9 item 9) are much rarer than the other symptoms.
      const shift = item.critical ? 1.2 : 0;
      out[item.id] = clamp(lo + symptom(random, who.distress, shift) * ((hi - lo) / 3), lo, hi);
    } else if (inst.direction === "wellbeing") {
      // WHO-5 options run 5 (all of the time) to 0 (at no time); distress lowers well-being.
      const y = 3.1 - 1.0 * who.distress + 0.9 * normal(random);
      out[item.id] = clamp(Math.round(y), Math.min(...values), Math.max(...values));
    } else {
      // Unscored items (PHQ-9 difficulty, habits): around the middle, a little worse with distress.
      const mid = (values.length - 1) / 2 + 0.4 * who.distress + normal(random);
      out[item.id] = values[clamp(Math.round(mid), 0, values.length - 1)] as number;
    }
  }
  return out;
}

/** Per-page timings of one response, starting at `start` (ms since the epoch). */
export function pageTimings(battery: readonly Instrument[], who: Respondent, start: number, random: Random): PageTiming[] {
  let t = start;
  return battery.map((inst) => {
    const perItem = who.style === "too-fast" ? 0.8 + random() * 0.6 : 4 + random() * 6;
    const ms = Math.round(inst.items.length * perItem * 1000);
    const page = { instrument: inst.id, startedAt: t, endedAt: t + ms };
    t += ms + 1000;
    return page;
  });
}
