/**
 * bench/scoring: the whole scoring pipeline (score → validity → tier → fuse) over one full secondary
 * battery per response, against two baselines measured in the same run:
 *  - a bare loop that only sums the same items of the same response objects (target: the pipeline within
 *    10× of it);
 *  - survey-core computing the same totals with expressions (calculatedValues) on one reused Model of the
 *    battery's survey, each response set with `model.data = …` (target: the pipeline ≥ 1,000× faster). Only
 *    the questions the expressions read are set: the whole response makes SurveyJS 10-20% slower still.
 *
 * Before timing, both baselines are checked to compute exactly the pipeline's totals.
 *
 * Each run is timed by the wall clock and by the process's CPU time (all its threads, garbage collection
 * included). The machine this runs on is often shared and its speed drifts by tens of percent within a
 * minute, so the three are timed in interleaved rounds and each ratio is the median of the rounds' own
 * ratios, from CPU time and from wall time.
 */
import { Model } from "survey-core";
import { batteryFor } from "../instruments/batteries";
import { getInstrument, instruments } from "../instruments/index";
import type { Instrument } from "../instruments/schema";
import { batteryToSurvey, questionRefs } from "../instruments/to-survey";
import type { Answers, FuseContext, ObservationEvidence, PageTiming, ScoreOptions, ScoreResult } from "../scoring/index";
import { defaultPolicy, fuseStudent, scoreBattery, scoreResponse } from "../scoring/index";
import { seededRandom } from "../src/server/demo/answers";

const RESPONSES = 1_000_000;
/** Distinct generated responses, reused in turn (1,000,000 distinct objects would measure the GC). */
const POOL = 50_000;
/** survey-core takes about a millisecond per response: this many distinct responses, three times. */
const SURVEY_RESPONSES = 3_000;

const battery = batteryFor(8, "spring")!;
const forms: Instrument[] = battery.selfReport.map((id) => getInstrument(id)!);
const summed = forms.filter((f) => f.scoring.method === "sum");

const random = seededRandom(20260302);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

interface Response {
  readonly studentId: string;
  readonly answers: Record<string, Answers>;
  readonly pages: PageTiming[];
  readonly observations: ObservationEvidence[];
  readonly keyPopulation: string[];
}

function generate(i: number): Response {
  const level = random();
  const answers: Record<string, Answers> = {};
  for (const inst of forms) {
    const given: Record<string, number | string | null> = {};
    for (const item of inst.items) {
      if (item.type !== "single" || item.optional) continue;
      const values = (item.options ?? inst.options ?? []).map((o) => o.value);
      if (item.attention) given[item.id] = random() < 0.97 ? item.attention.expected : pick(values);
      else if (inst.id === "asq") given[item.id] = random() < 0.03 ? "yes" : "no";
      else given[item.id] = values[Math.min(values.length - 1, Math.floor(random() * values.length * (0.4 + level)))]!;
    }
    if (inst.id === "asq" && given.q1 === "no" && given.q2 === "no" && given.q3 === "no" && given.q4 === "no") delete given.q5;
    answers[inst.id] = given;
  }
  const start = Date.UTC(2026, 2, 2, 1, 0, 0) + i * 1000;
  const pages = forms.map((f, p) => ({ instrument: f.id, startedAt: start + p * 40_000, endedAt: start + (p + 1) * 40_000 - Math.floor(random() * 30_000) }));
  const observations: ObservationEvidence[] =
    random() < 0.05 ? [{ informant: { role: "peer", id: `p${i % 40}` }, instrument: "peer-concern", at: new Date(start), critical: [], concerns: ["concerns"] }] : [];
  return { studentId: `s${i}`, answers, pages, observations, keyPopulation: random() < 0.1 ? ["left-behind-or-single-parent"] : [] };
}

const pool = Array.from({ length: POOL }, (_, i) => generate(i));
const previous: Record<string, ScoreResult>[] = pool.slice(0, 1000).map((r) => scoreBattery(forms, r.answers));
const ctx: FuseContext = { policy: defaultPolicy, instruments, changeReference: { phq9: { sd: 4.6, reliability: 0.86 }, gad7: { sd: 4.1, reliability: 0.9 }, who5: { sd: 5.2, reliability: 0.907 } } };
const submittedAt = new Date(Date.UTC(2026, 2, 2, 2, 0, 0));
const secondary: ScoreOptions = { level: "secondary" };

/**
 * Everything the server does for one submitted battery: scores (totals, bands, critical items), validity
 * flags, tier with reasons, and the fused watch-list entry.
 */
function runPipeline(n: number): number {
  let check = 0;
  for (let i = 0; i < n; i++) {
    const r = pool[i % POOL]!;
    const { scores, validity } = scoreResponse(forms, r.answers, r.pages, ctx.policy.validity, secondary);
    const entry = fuseStudent(
      {
        studentId: r.studentId,
        current: { scores, validity, submittedAt },
        previous: i % 4 === 0 ? { scores: previous[i % previous.length]!, validity: null, submittedAt, tier: "none" } : null,
        observations: r.observations,
        keyPopulation: r.keyPopulation,
        openCase: null,
      },
      ctx,
    );
    check += entry.reasons.length + (entry.tier === "red" ? 1 : 0);
  }
  return check;
}

/** The scored items of the summed instruments (PHQ-9, GAD-7, WHO-5), as the pipeline adds them up. */
const summedItems = summed.map((inst) => ({ id: inst.id, items: inst.items.filter((it) => it.scored).map((it) => it.id) }));
function runBareLoop(n: number): number {
  let check = 0;
  for (let i = 0; i < n; i++) {
    const r = pool[i % POOL]!;
    for (const { id, items } of summedItems) {
      const given = r.answers[id]!;
      let total = 0;
      for (const item of items) total += given[item] as number;
      check += total;
    }
  }
  return check;
}

/** The same totals through SurveyJS: the battery's survey with one calculated value per summed instrument. */
function surveyModel(): { model: Model; toData: (r: Response) => Record<string, unknown>; names: string[] } {
  const refsOf = new Map(summed.map((inst) => [inst.id, questionRefs(inst)]));
  const variable = (inst: Instrument, itemId: string) => {
    const ref = refsOf.get(inst.id)!.get(itemId)!;
    return ref.row ? `{${ref.name}.${ref.row}}` : `{${ref.name}}`;
  };
  const calculatedValues = summed.map((inst) => ({
    name: `${inst.id}_total`,
    expression: inst.items.filter((it) => it.scored).map((it) => variable(inst, it.id)).join(" + "),
  }));
  const model = new Model({ ...batteryToSurvey(battery), calculatedValues });
  // The summed instruments' answers, as SurveyJS stores them (matrix questions hold {row: column}).
  const toData = (r: Response) => {
    const data: Record<string, unknown> = {};
    for (const inst of summed) {
      for (const [itemId, ref] of refsOf.get(inst.id)!) {
        const value = r.answers[inst.id]![itemId];
        if (value === undefined) continue;
        if (ref.row) data[ref.name] = { ...((data[ref.name] as object) ?? {}), [ref.row]: value };
        else data[ref.name] = value;
      }
    }
    return data;
  };
  return { model, toData, names: calculatedValues.map((c) => c.name) };
}

interface Timing {
  /** Wall-clock milliseconds. */
  readonly ms: number;
  /** Milliseconds of CPU time of the process (user + system, every thread). */
  readonly cpuMs: number;
  readonly check: number;
}

function time(fn: () => number): Timing {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const check = fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { ms, cpuMs: (used.user + used.system) / 1000, check };
}

// The baselines compute what the pipeline computes: the bare loop's sums and SurveyJS's calculated values
// are the pipeline's totals for every response they are timed on.
const survey = surveyModel();
const datas = pool.slice(0, SURVEY_RESPONSES).map(survey.toData);
pool.forEach((r, i) => {
  const ours = scoreBattery(forms, r.answers, secondary);
  for (const { id, items } of summedItems) {
    const mine = ours[id]!;
    const bare = items.reduce((sum, item) => sum + (r.answers[id]![item] as number), 0);
    if (mine.kind !== "scored" || mine.total !== bare) throw new Error(`bare loop sum for ${id} is ${bare}, pipeline ${JSON.stringify(mine)}`);
    if (i < SURVEY_RESPONSES) {
      survey.model.data = datas[i]!;
      const theirs = survey.model.getVariable(`${id}_total`);
      if (theirs !== mine.total) throw new Error(`SurveyJS total for ${id} is ${theirs}, pipeline ${mine.total}`);
    }
  }
});

// Warm up every path, then measure in interleaved rounds: a round times the pipeline, the bare loop and
// survey-core one after the other, so a change in the machine's speed moves all three of a round alike.
// The ratios are worked out per round; the medians are reported.
const ROUNDS = 5;
runPipeline(20_000);
runBareLoop(20_000);
const runSurvey = () => {
  let check = 0;
  for (const data of datas) {
    survey.model.data = data;
    for (const name of survey.names) check += survey.model.getVariable(name) as number;
  }
  return check;
};
const rounds = Array.from({ length: ROUNDS }, () => ({ pipeline: time(() => runPipeline(RESPONSES)), bare: time(() => runBareLoop(RESPONSES)), survey: time(runSurvey) }));

const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
type Kind = "pipeline" | "bare" | "survey";
const per: Record<Kind, number> = { pipeline: RESPONSES, bare: RESPONSES, survey: SURVEY_RESPONSES };
/** Median wall-clock and CPU milliseconds of one kind of run. */
const typical = (kind: Kind): Timing => ({ ms: median(rounds.map((r) => r[kind].ms)), cpuMs: median(rounds.map((r) => r[kind].cpuMs)), check: rounds[0]![kind].check });
const line = (name: string, kind: Kind) => {
  const t = typical(kind);
  return `  ${name} ${fmt((per[kind] / t.ms) * 1000)} responses/s (${fmt(per[kind])} in ${t.ms.toFixed(0)} ms wall, ${t.cpuMs.toFixed(0)} ms CPU; medians of ${ROUNDS} rounds)`;
};
/** The median over the rounds of the time per response of `a` over that of `b`, and the rounds' own ratios. */
const ratio = (a: Kind, b: Kind, key: "ms" | "cpuMs") => {
  const each = rounds.map((r) => r[a][key] / per[a] / (r[b][key] / per[b]));
  return { median: median(each), each };
};
console.log(`scoring: ${fmt(RESPONSES)} secondary batteries (${forms.map((f) => f.id).join(", ")}), ${fmt(POOL)} distinct responses reused`);
console.log(line("pipeline (score + validity + tier + fuse):", "pipeline"));
console.log(line("bare loop summing the same items:         ", "bare"));
console.log(line("survey-core expressions, one reused Model:", "survey"));
const both = (a: Kind, b: Kind, digits: number) => {
  const [cpu, wall] = [ratio(a, b, "cpuMs"), ratio(a, b, "ms")];
  return `${cpu.median.toFixed(digits)}× by CPU time, ${wall.median.toFixed(digits)}× by wall time (rounds by CPU time: ${cpu.each.map((x) => x.toFixed(digits)).join(", ")})`;
};
console.log(`  ratio pipeline time / bare loop time: ${both("pipeline", "bare", 1)}; target ≤ 10×`);
console.log(`  ratio pipeline speed / survey-core speed: ${both("survey", "pipeline", 0)}; target ≥ 1,000×`);
