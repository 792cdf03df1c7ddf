/**
 * bench/scoring: the whole scoring pipeline (score → validity → tier → fuse) over one full secondary
 * battery per response, against two baselines measured in the same run:
 *  - a bare loop that only sums the same items (target: the pipeline within 10× of it);
 *  - survey-core computing the same totals with expressions on one reused Model (target: ≥ 1,000× faster).
 */
import { Model } from "survey-core";
import { batteryFor } from "../instruments/batteries";
import { getInstrument, instruments } from "../instruments/index";
import type { Instrument } from "../instruments/schema";
import { batteryToSurvey, questionRefs } from "../instruments/to-survey";
import type { Answers, FuseContext, ObservationEvidence, PageTiming, ScoreResult } from "../scoring/index";
import { checkValidity, defaultPolicy, fuseStudent, scoreBattery } from "../scoring/index";
import { seededRandom } from "../src/server/demo/answers";

const RESPONSES = 1_000_000;
/** Distinct generated responses, reused in turn (1,000,000 distinct objects would measure the GC). */
const POOL = 50_000;
const SURVEY_RESPONSES = 2_000;

const battery = batteryFor(8, "spring")!;
const forms: Instrument[] = battery.selfReport.map((id) => getInstrument(id)!);
const summed = forms.filter((f) => f.scoring.method === "sum");

const random = seededRandom(20260302);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;

interface Response {
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
  return { answers, pages, observations, keyPopulation: random() < 0.1 ? ["left-behind-or-single-parent"] : [] };
}

const pool = Array.from({ length: POOL }, (_, i) => generate(i));
const previous: Record<string, ScoreResult>[] = pool.slice(0, 1000).map((r) => scoreBattery(forms, r.answers));
const ctx: FuseContext = { policy: defaultPolicy, instruments, changeReference: { phq9: { sd: 4.6, reliability: 0.86 }, gad7: { sd: 4.1, reliability: 0.9 }, who5: { sd: 5.2, reliability: 0.907 } } };
const submittedAt = new Date(Date.UTC(2026, 2, 2, 2, 0, 0));

function runPipeline(n: number): number {
  let check = 0;
  for (let i = 0; i < n; i++) {
    const r = pool[i % POOL]!;
    const scores = scoreBattery(forms, r.answers, { level: "secondary" });
    const validity = checkValidity(forms, r.answers, r.pages, ctx.policy.validity);
    const entry = fuseStudent(
      {
        studentId: `s${i}`,
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

/** The same totals through SurveyJS: one reused Model, one calculated value per instrument. */
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
  const toData = (r: Response) => {
    const data: Record<string, Record<string, unknown> | unknown> = {};
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

function time(fn: () => number): { ms: number; check: number } {
  const start = performance.now();
  const check = fn();
  return { ms: performance.now() - start, check };
}

// Warm up every path, then measure; the best of three runs of each is reported.
runPipeline(20_000);
runBareLoop(20_000);
const best = (fn: () => number) => [time(fn), time(fn), time(fn)].sort((a, b) => a.ms - b.ms)[0]!;
const pipeline = best(() => runPipeline(RESPONSES));
const bare = best(() => runBareLoop(RESPONSES));

const survey = surveyModel();
const datas = pool.slice(0, SURVEY_RESPONSES).map(survey.toData);
// Check that SurveyJS computes the totals we do before timing it.
survey.model.data = datas[0]!;
const ours = scoreBattery(forms, pool[0]!.answers);
for (const inst of summed) {
  const theirs = survey.model.getVariable(`${inst.id}_total`);
  const mine = ours[inst.id]!;
  if (mine.kind !== "scored" || theirs !== mine.total) throw new Error(`SurveyJS total for ${inst.id} is ${theirs}, ours ${JSON.stringify(mine)}`);
}
const surveyRun = best(() => {
  let check = 0;
  for (const data of datas) {
    survey.model.data = data;
    for (const name of survey.names) check += survey.model.getVariable(name) as number;
  }
  return check;
});

const perSecond = (n: number, ms: number) => (n / ms) * 1000;
const pipelineRate = perSecond(RESPONSES, pipeline.ms);
const bareRate = perSecond(RESPONSES, bare.ms);
const surveyRate = perSecond(SURVEY_RESPONSES, surveyRun.ms);
const fmt = (x: number) => Math.round(x).toLocaleString("en-US");
console.log(`scoring: ${fmt(RESPONSES)} secondary batteries (${forms.map((f) => f.id).join(", ")}), ${POOL.toLocaleString("en-US")} distinct responses reused`);
console.log(`  pipeline (score + validity + tier + fuse): ${fmt(pipelineRate)} responses/s (${pipeline.ms.toFixed(0)} ms)`);
console.log(`  bare loop summing the same items:          ${fmt(bareRate)} responses/s (${bare.ms.toFixed(0)} ms)`);
console.log(`  survey-core expressions, one reused Model: ${fmt(surveyRate)} responses/s (${SURVEY_RESPONSES} responses, ${surveyRun.ms.toFixed(0)} ms)`);
console.log(`  ratio pipeline time / bare loop time: ${(bareRate / pipelineRate).toFixed(1)}× (target ≤ 10×)`);
console.log(`  ratio pipeline speed / survey-core speed: ${fmt(pipelineRate / surveyRate)}× (target ≥ 1,000×)`);
