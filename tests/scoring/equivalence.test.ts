/**
 * The compiled scoring path (scoring/plan.ts and the steps built on it) against the straightforward
 * reference implementation in ./reference, which walks the instrument and policy data directly. Any
 * response, observation set, previous wave and policy must give the same results, down to the key order
 * of the printed JSON. Most generated answers are well formed, so they take the compiled readers
 * (plan.ts `compileReader`); the others fall back to the general read.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { batteryFor } from "../../instruments/batteries";
import { instruments } from "../../instruments/index";
import type { Instrument } from "../../instruments/schema";
import { defineInstrument } from "../../instruments/schema";
import type { Answers, FuseContext, ObservationEvidence, PageTiming, ScoreResult, TierPolicy, WaveResult } from "../../scoring/index";
import { assignTier, checkValidity, concernItems, criticalItems, fuseStudent, missingItems, policies, scoreBattery, scoreInstrument, scoreResponse, summarizeObservation } from "../../scoring/index";
import { planOf } from "../../scoring/plan";
import * as reference from "./reference/index";

const all = [...instruments.values()];
const secondary = batteryFor(8, "spring")!.selfReport.map((id) => instruments.get(id as never)!);
const primary = batteryFor(5, "autumn")!.selfReport.map((id) => instruments.get(id as never)!);
const byId = (id: string) => instruments.get(id as never)!;

/** Same value, and the same JSON text (key order included). */
function same<T>(fast: T, slow: T): void {
  expect(fast).toEqual(slow);
  expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
}

/**
 * Mostly valid answers, sometimes blank, out of range, of the wrong type, unknown or out of order; one in
 * four responses answers every numeric item at its lowest or highest option (straight-lining).
 */
function answersFor(inst: Instrument): fc.Arbitrary<Answers> {
  return fc.constantFrom("any", "any", "any", "lowest", "highest").chain((mode) => answersIn(inst, mode));
}

function answersIn(inst: Instrument, mode: "any" | "lowest" | "highest"): fc.Arbitrary<Answers> {
  const entries = inst.items.map((item) => {
    const listed = (item.options ?? inst.options ?? []).map((o) => o.value);
    const numbers = listed.filter((v): v is number => typeof v === "number");
    const options = mode === "any" || item.type !== "single" || numbers.length === 0 ? listed : [mode === "lowest" ? Math.min(...numbers) : Math.max(...numbers)];
    const valid: fc.Arbitrary<unknown> =
      item.type === "multi"
        ? fc.subarray(options, { minLength: 1 })
        : item.type === "text"
          ? fc.string({ maxLength: 5 })
          : item.type === "number"
            ? fc.integer({ min: item.min ?? 0, max: item.max ?? 0 })
            : fc.constantFrom(...options);
    const odd = fc.oneof(fc.constant(null), fc.constant(""), fc.constant([]), fc.integer({ min: -2, max: 7 }), fc.constantFrom("1", "yes", "maybe"), fc.constant([1]), fc.double(), fc.boolean(), fc.constant("长".repeat(10_001)));
    const value = fc.oneof({ arbitrary: valid, weight: 12 }, { arbitrary: odd, weight: 1 });
    return fc.option(value, { nil: undefined, freq: 8 }).map((v) => [item.id, v] as const);
  });
  return fc
    .record({
      entries: fc.tuple(...entries),
      extra: fc.option(fc.constantFrom("zz", "__proto__", "q99", "0"), { nil: undefined, freq: 10 }),
      shuffle: fc.option(fc.integer(), { nil: undefined, freq: 6 }),
    })
    .map(({ entries: list, extra, shuffle }) => {
      const present = list.filter(([, v]) => v !== undefined);
      if (shuffle !== undefined) present.sort((a, b) => (((a[0].length * 31 + shuffle) % 7) - ((b[0].length * 31 + shuffle) % 7)));
      const out: Record<string, unknown> = {};
      for (const [id, v] of present) out[id] = v;
      if (extra !== undefined) Object.defineProperty(out, extra, { value: 1, enumerable: true, writable: true, configurable: true });
      return out as Answers;
    });
}

/** A battery response; now and then one instrument's answers are not an object at all. */
const batteryAnswers = (forms: readonly Instrument[]) =>
  fc.tuple(...forms.map((inst) => fc.option(fc.oneof({ arbitrary: answersFor(inst), weight: 30 }, fc.constantFrom(null, [1], 3, "x") as unknown as fc.Arbitrary<Answers>), { nil: undefined, freq: 15 }))).map((list) => {
    const out: Record<string, Answers | undefined> = {};
    forms.forEach((inst, i) => {
      if (list[i] !== undefined) out[inst.id] = list[i];
    });
    return out;
  });

const pagesFor = (forms: readonly Instrument[]): fc.Arbitrary<PageTiming[]> =>
  fc.array(
    fc.record({
      instrument: fc.constantFrom(...forms.map((f) => f.id), "elsewhere"),
      startedAt: fc.integer({ min: 0, max: 1_000_000 }),
      length: fc.integer({ min: -5_000, max: 120_000 }),
    }),
    { maxLength: 7 },
  ).map((pages) => pages.map((p) => ({ instrument: p.instrument, startedAt: p.startedAt, endedAt: p.startedAt + p.length })));

const observation: fc.Arbitrary<ObservationEvidence> = fc
  .record({
    role: fc.constantFrom("homeroom", "subject", "peer", "counselor"),
    id: fc.constantFrom("a", "b", "c"),
    form: fc.constantFrom("teacher-checklist", "peer-concern", "srss-ie", "psc17-teacher"),
    at: fc.integer({ min: 0, max: 10 }),
    critical: fc.subarray(["signs"]),
    concerns: fc.subarray(["signs", "concerns"]),
    keyPopulation: fc.option(fc.subarray(["left-behind-or-single-parent", "economic-hardship", "new-student"]), { nil: undefined }),
    level: fc.constantFrom("primary" as const, "secondary" as const),
    answers: fc.constantFrom(...["srss-ie", "psc17-teacher"]).chain((id) => answersFor(byId(id)).map((a) => [id, a] as const)),
  })
  .map((o) => {
    const scoreOf = o.form === o.answers[0] ? scoreInstrument(byId(o.form), o.answers[1], { level: o.level }) : undefined;
    return {
      informant: { role: o.role, id: o.id },
      instrument: o.form,
      at: new Date(Date.UTC(2026, 2, 1 + o.at)),
      ...(scoreOf && { score: scoreOf }),
      critical: o.critical,
      concerns: o.concerns,
      ...(o.keyPopulation && { keyPopulation: o.keyPopulation }),
    };
  });

const policyList = [...policies.values()];
const changeReference = { phq9: { sd: 4.6, reliability: 0.86 }, gad7: { sd: 4.1, reliability: 0.9 }, who5: { sd: 5.2, reliability: 0.907 } };

describe("the compiled scoring path gives what the reference gives", () => {
  it("reads the spring battery's instruments with compiled readers (the autumn background questions, with lists and numbers, are read the general way)", () => {
    for (const inst of secondary) expect(planOf(inst).compiled, inst.id).toBe(true);
    expect(planOf(byId("background")).compiled).toBe(false);
  });

  it.each(all.map((inst) => [inst.id, inst] as const))("scoreInstrument, criticalItems, concernItems, missingItems and summarizeObservation on %s", (_id, inst) => {
    fc.assert(
      fc.property(answersFor(inst), fc.constantFrom(undefined, "primary" as const, "secondary" as const), (given, level) => {
        const options = level ? { level } : undefined;
        same(scoreInstrument(inst, given, options), reference.scoreInstrument(inst, given, options));
        same(criticalItems(inst, given), reference.criticalItems(inst, given));
        same(concernItems(inst, given), reference.concernItems(inst, given));
        same(missingItems(inst, given), reference.missingItems(inst, given));
        const informant = { role: "homeroom" as const, id: "t-1" };
        const at = new Date(Date.UTC(2026, 2, 5));
        same(summarizeObservation(inst, given, informant, at, options), reference.summarizeObservation(inst, given, informant, at, options));
      }),
      { numRuns: 400 },
    );
  });

  it.each([
    ["secondary", secondary],
    ["primary", primary],
  ] as const)("scoreBattery, checkValidity and scoreResponse on the %s battery", (_name, forms) => {
    fc.assert(
      fc.property(batteryAnswers(forms), pagesFor(forms), fc.constantFrom(...policyList), (answers, pages, policy) => {
        same(scoreBattery(forms, answers, { level: "secondary" }), reference.scoreBattery(forms, answers, { level: "secondary" }));
        same(checkValidity(forms, answers, pages, policy.validity), reference.checkValidity(forms, answers, pages, policy.validity));
        same(scoreResponse(forms, answers, pages, policy.validity, { level: "secondary" }), {
          scores: reference.scoreBattery(forms, answers, { level: "secondary" }),
          validity: reference.checkValidity(forms, answers, pages, policy.validity),
        });
      }),
      { numRuns: 600 },
    );
  });

  it("assignTier and fuseStudent on any response, observations, previous wave and policy", () => {
    const wave = (at: number): fc.Arbitrary<WaveResult> =>
      fc.record({ answers: batteryAnswers(secondary), pages: pagesFor(secondary), tier: fc.constantFrom(undefined, "none", "yellow", "orange", "red") }).map((w) => ({
        scores: reference.scoreBattery(secondary, w.answers, { level: "secondary" }),
        validity: reference.checkValidity(secondary, w.answers, w.pages, policyList[0]!.validity),
        submittedAt: new Date(Date.UTC(2026, 2, at)),
        ...(w.tier && { tier: w.tier }),
      }));
    const student = fc.record({
      current: fc.option(wave(2), { freq: 6 }),
      previous: fc.option(wave(1), { freq: 2 }),
      observations: fc.array(observation, { maxLength: 3 }),
      keyPopulation: fc.subarray(["economic-hardship", "left-behind-or-single-parent"]),
      openCase: fc.option(fc.record({ openedAt: fc.constant(new Date(Date.UTC(2026, 1, 20))), tier: fc.constantFrom("yellow" as const, "orange" as const) }), { freq: 4 }),
      flaggedSince: fc.option(fc.constant(new Date(Date.UTC(2026, 1, 25))), { nil: undefined, freq: 4 }),
      policy: fc.constantFrom(...policyList),
      reference: fc.boolean(),
    });
    fc.assert(
      fc.property(student, (s) => {
        const ctx: FuseContext = { policy: s.policy, instruments, changeReference: s.reference ? changeReference : {} };
        const input = { studentId: "s-1", current: s.current, previous: s.previous, observations: s.observations, keyPopulation: s.keyPopulation, openCase: s.openCase, ...(s.flaggedSince && { flaggedSince: s.flaggedSince }) };
        same(fuseStudent(input, ctx), reference.fuseStudent(input, ctx));
        const evidence = { selfReport: s.current?.scores ?? {}, validity: s.current?.validity ?? null, observations: s.observations, keyPopulation: s.keyPopulation, deteriorated: s.reference ? ["phq9"] : [] };
        same(assignTier(evidence, s.policy), reference.assignTier(evidence, s.policy));
      }),
      { numRuns: 1500 },
    );
  });

  it("reads answers the same way from plain, null-prototype and inheriting objects", () => {
    // Answers are data: own enumerable properties, plus what an object with another prototype inherits.
    // (An own property made non-enumerable with defineProperty is not an answer; JSON cannot make one.)
    const phq9 = byId("phq9");
    const values = { q1: 1, q2: 2, q3: 0, q4: 1, q5: 3, q6: 0, q7: 1, q8: 2, q9: 1 };
    const inherited = Object.assign(Object.create({ q9: 3, q1: 2 }) as Record<string, unknown>, { q2: 2, q3: 0, q4: 1, q5: 3, q6: 0, q7: 1, q8: 2 });
    const cases: unknown[] = [values, Object.assign(Object.create(null) as object, values), inherited, JSON.parse('{"__proto__":1,"q1":1}'), { q9: 1, q1: 2, q5: 0 }];
    for (const given of cases) {
      same(scoreInstrument(phq9, given as Answers), reference.scoreInstrument(phq9, given as Answers));
      same(checkValidity(secondary, { phq9: given as Answers }, [], policyList[0]!.validity), reference.checkValidity(secondary, { phq9: given as Answers }, [], policyList[0]!.validity));
    }
  });

  it("reads answers as the reference does while Object.prototype has an enumerable property (an item id or not)", () => {
    const phq9 = byId("phq9");
    const full = { q1: 1, q2: 0, q3: 2, q4: 3, q5: 0, q6: 1, q7: 2, q8: 0, q9: 0 };
    const { q1: _left, ...withoutQ1 } = full;
    for (const key of ["zz", "q1"]) {
      Object.defineProperty(Object.prototype, key, { value: 2, enumerable: true, configurable: true, writable: true });
      try {
        for (const given of [full, withoutQ1, { ...full, q9: 7 }] as Answers[]) {
          same(scoreInstrument(phq9, given), reference.scoreInstrument(phq9, given));
          same(checkValidity([phq9], { phq9: given }, [], policyList[0]!.validity), reference.checkValidity([phq9], { phq9: given }, [], policyList[0]!.validity));
        }
      } finally {
        delete (Object.prototype as Record<string, unknown>)[key];
      }
    }
  });

  it("reads an item whose id names an Object.prototype member as property access does", () => {
    const options = [0, 1, 2, 3].map((value) => ({ value, label: { "zh-CN": String(value), en: String(value) } }));
    const odd = defineInstrument({
      ...byId("gad7"),
      id: "odd",
      items: ["constructor", "q2", "q3"].map((id) => ({ id, type: "single" as const, text: { "zh-CN": id, en: id } })),
      options,
      subscales: [],
      scoring: { method: "sum", missing: { allowed: 0, beyond: "incomplete" }, bands: [{ id: "all", min: 0, max: 9, label: { "zh-CN": "全部", en: "all" } }] },
    });
    for (const given of [{}, { q2: 1, q3: 2 }, { constructor: 3, q2: 1, q3: 2 }, Object.assign(Object.create(null) as object, { q2: 1 })] as Answers[]) {
      same(scoreInstrument(odd, given), reference.scoreInstrument(odd, given));
      same(checkValidity([odd], { odd: given }, [], policyList[0]!.validity), reference.checkValidity([odd], { odd: given }, [], policyList[0]!.validity));
    }
  });

  it("counts answers with and without point tables alike (gaps, wide ranges, large points, string options)", () => {
    // scoring/plan.ts counts the common answers from point tables (whole-number options in a compact range)
    // or by option index (string options) and works out the others one by one; these instruments put items
    // on both sides of that line: option values with gaps, a range too wide for a table, points too large
    // for one, string options, and items shown only after another answer. The last is read by a compiled reader.
    const opts = (values: readonly (number | string)[]) => values.map((value) => ({ value, label: { "zh-CN": String(value), en: String(value) } }));
    const text = (id: string) => ({ "zh-CN": id, en: id });
    const base = byId("gad7");
    const gappy = defineInstrument({
      ...base,
      id: "gappy",
      direction: "symptom",
      options: opts([0, 2, 5, 9]),
      items: [
        { id: "a", type: "single", text: text("a") },
        { id: "b", type: "single", text: text("b"), reverse: true },
        { id: "c", type: "single", text: text("c"), critical: { anyOf: [9] } },
        { id: "d", type: "single", text: text("d"), scored: false, attention: { expected: 2 } },
        { id: "e", type: "single", text: text("e"), showIf: { items: ["c"], anyIn: [5, 9] } },
        { id: "f", type: "single", text: text("f"), scored: false, optional: true, showIf: { items: ["a"], anyIn: [0] }, critical: { anyOf: [0] } },
        { id: "g", type: "single", text: text("g"), scored: false, options: opts(["x", "y", "z"]), critical: { anyOf: ["z"] } },
        { id: "h", type: "single", text: text("h"), scored: false, options: opts([0, 100]) },
      ],
      subscales: [],
      scoring: { method: "sum", missing: { allowed: 1, beyond: "invalid" }, bands: [{ id: "all", min: 0, max: 36, label: text("all") }] },
    });
    // Points too large for a point table.
    const large = defineInstrument({
      ...base,
      id: "large",
      direction: "wellbeing",
      options: opts([0, 1, 2 ** 31 + 1]),
      items: ["a", "b", "c"].map((id) => ({ id, type: "single" as const, text: text(id) })),
      subscales: [],
      scoring: { method: "sum", missing: { allowed: 0, beyond: "incomplete" } },
    });
    // The same kinds of item with a point table each, and free text (required, and required when shown):
    // read by a compiled reader. With a percentage and more flags than are kept as lists by bit mask.
    const flags = [0, 2, 5, 9, 0, 2, 5, 9, 0].map((value, f) => ({ id: `flag-${f}`, anyItemIn: [value], label: text(`flag ${f}`) }));
    const compiled = defineInstrument({
      ...gappy,
      id: "compiled",
      scoring: { method: "sum", missing: { allowed: 1, beyond: "invalid" }, bands: [{ id: "all", min: 0, max: 36, label: text("all") }], percentFactor: 2, flags },
      items: [
        ...gappy.items.filter((item) => item.id !== "h"),
        { id: "t", type: "text", text: text("t"), scored: false },
        { id: "u", type: "text", text: text("u"), scored: false, showIf: { items: ["a"], anyIn: [9] } },
      ],
    });
    expect(planOf(compiled).compiled).toBe(true);
    // Well-formed answers but for one value in a gap between options (1, 3 and 8: not options).
    for (const gap of [1, 3, 8]) {
      const given = { a: gap, b: 0, c: 0, d: 2, g: "x", t: "ok" };
      expect(scoreInstrument(compiled, given)).toMatchObject({ kind: "invalid", problems: [{ code: "out-of-range", item: "a" }] });
      same(scoreInstrument(compiled, given), reference.scoreInstrument(compiled, given));
    }
    // Options 0-3, one item reverse-keyed: points on a line (no point table), critical answers a range.
    const reversed = defineInstrument({
      ...base,
      id: "reversed",
      direction: "wellbeing",
      options: opts([0, 1, 2, 3]),
      items: [
        { id: "a", type: "single", text: text("a") },
        { id: "b", type: "single", text: text("b"), reverse: true, critical: { anyOf: [0, 1] } },
        { id: "c", type: "single", text: text("c"), critical: { anyOf: [3] } },
      ],
      subscales: [],
      scoring: { method: "sum", missing: { allowed: 0, beyond: "incomplete" }, bands: [{ id: "all", min: 0, max: 9, label: text("all") }] },
    });
    expect(planOf(reversed).compiled).toBe(true);
    const forms = [gappy, large, compiled, reversed];
    fc.assert(
      fc.property(batteryAnswers(forms), pagesFor(forms), (answers, pages) => {
        for (const inst of forms) {
          const given = answers[inst.id];
          if (given !== undefined && typeof given === "object" && given !== null && !Array.isArray(given)) {
            same(scoreInstrument(inst, given), reference.scoreInstrument(inst, given));
            same(missingItems(inst, given), reference.missingItems(inst, given));
          }
        }
        same(scoreResponse(forms, answers, pages, policyList[0]!.validity), {
          scores: reference.scoreBattery(forms, answers),
          validity: reference.checkValidity(forms, answers, pages, policyList[0]!.validity),
        });
      }),
      { numRuns: 1500 },
    );
  });

  it("scores an acute ASQ whose acuity answer is not a critical one as the reference does (its result is never a shared one)", () => {
    // A compiled ASQ reader finds the shared result of a non-acute screen by its positive answers and
    // critical items; with question 5 not critical, an acute screen has the same of both as a non-acute one.
    const asq = byId("asq");
    const acuity = asq.scoring.method === "asq" ? asq.scoring.acuity : "";
    const quiet = defineInstrument({ ...asq, id: "asq-quiet", items: asq.items.map((item) => (item.id === acuity ? { ...item, critical: undefined } : item)) });
    expect(planOf(quiet).compiled).toBe(true);
    for (const q5 of ["no", "yes", "refused", "no", "yes"]) {
      const given = { q1: "yes", q2: "no", q3: "no", q4: "no", [acuity]: q5 };
      same(scoreInstrument(quiet, given), reference.scoreInstrument(quiet, given));
      same(scoreResponse([quiet], { "asq-quiet": given }, [], policyList[0]!.validity).scores, reference.scoreBattery([quiet], { "asq-quiet": given }));
    }
  });

  it("scores batteries that share a first instrument, list one twice or come as new lists each time, as the reference does", () => {
    const [phq9, gad7, who5, asq] = ["phq9", "gad7", "who5", "asq"].map(byId) as [Instrument, Instrument, Instrument, Instrument];
    // Another instrument under PHQ-9's id: the speed check counts a page's answers on the first instrument with its id.
    const otherPhq9 = defineInstrument({ ...gad7, id: "phq9" });
    const batteries = [[phq9, gad7], [phq9, who5, asq], [phq9, gad7, phq9], [asq], [], [phq9, gad7], [phq9, gad7, otherPhq9], [otherPhq9, phq9]];
    fc.assert(
      fc.property(fc.constantFrom(...batteries.keys()), batteryAnswers([phq9, gad7, who5, asq]), fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 5 }), (b, answers, lengths) => {
        const forms = [...batteries[b]!];
        const params = policyList[0]!.validity;
        // One page per instrument in the battery's order (the usual case), as many as there are lengths.
        const pages = lengths.slice(0, forms.length).map((length, i) => ({ instrument: forms[i]!.id, startedAt: 0, endedAt: length }));
        same(scoreResponse(forms, answers, pages, params), { scores: reference.scoreBattery(forms, answers), validity: reference.checkValidity(forms, answers, pages, params) });
      }),
      { numRuns: 300 },
    );
  });

  it("fuses with each context's own instrument map, whichever map came before, as the reference does", () => {
    // Severity and change take each result's instrument from the context's map. fuse.ts remembers what it
    // found in the last map; these maps give other instruments (or none) for the same ids, in any order.
    const [phq9, gad7] = ["phq9", "gad7"].map(byId) as [Instrument, Instrument];
    const maps: ReadonlyMap<string, Instrument>[] = [
      instruments,
      new Map([...instruments, ["phq9", defineInstrument({ ...gad7, id: "phq9" })]]),
      new Map([...instruments].filter(([id]) => id !== "who5")),
      new Map([...instruments, ["who5", phq9]]),
    ];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...maps.keys()), { minLength: 2, maxLength: 6 }), batteryAnswers(secondary), batteryAnswers(secondary), (order, now, before) => {
        const wave = (answers: Record<string, Answers | undefined>, day: number): WaveResult => ({
          scores: scoreBattery(secondary, answers, { level: "secondary" }),
          validity: null,
          submittedAt: new Date(Date.UTC(2026, 2, day)),
        });
        const input = { studentId: "s-1", current: wave(now, 2), previous: wave(before, 1), observations: [], keyPopulation: [], openCase: null };
        for (const m of order) {
          const ctx: FuseContext = { policy: policyList[0]!, instruments: maps[m]!, changeReference };
          same(fuseStudent(input, ctx), reference.fuseStudent(input, ctx));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("works out the change of repeated pairs of totals, under references that come and go, as the reference does", () => {
    // compile-policy.ts remembers changes by pair of totals for the last few references; these waves repeat
    // pairs (small totals), change references among more than it keeps, and give WHO-5 percentages that
    // are missing on one side or both, or are not the total's.
    const references = [0.86, 0.9, 0.7, 0.5, 0.86, 0.95].map((reliability, i) => ({ phq9: { sd: 4.6 + (i % 3), reliability }, gad7: { sd: 4.1, reliability }, who5: { sd: 5.2, reliability } }));
    const result = (instrument: string, total: number, percent: number | undefined): ScoreResult => ({
      kind: "scored",
      instrument,
      total,
      band: "minimal",
      critical: [],
      ...(percent !== undefined && { percent }),
    });
    const total = fc.oneof({ arbitrary: fc.integer({ min: 0, max: 8 }), weight: 8 }, fc.constantFrom(63, 64, 2.5, -1, -0));
    const percent = fc.oneof({ arbitrary: fc.constant("total" as const), weight: 4 }, { arbitrary: fc.constant(undefined), weight: 3 }, fc.constantFrom(0, 100, -0, 40.5));
    // The change step also remembers each id's direction in the last map: PHQ-9's id for a well-being scale, no GAD-7.
    const maps: ReadonlyMap<string, Instrument>[] = [instruments, new Map([...instruments, ["phq9", byId("who5")]]), new Map([...instruments].filter(([id]) => id !== "gad7"))];
    const waves = fc.record({
      before: fc.tuple(total, total, total, percent),
      after: fc.tuple(total, total, total, percent),
      reference: fc.nat(references.length - 1),
      map: fc.oneof({ arbitrary: fc.constant(0), weight: 4 }, fc.nat(maps.length - 1)),
    });
    const scoresOf = ([phq9, gad7, who5, p]: [number, number, number, number | "total" | undefined]) => ({
      phq9: result("phq9", phq9, undefined),
      gad7: result("gad7", gad7, undefined),
      who5: result("who5", who5, p === "total" ? Math.min(100, Math.max(0, who5 * 4)) : p),
    });
    fc.assert(
      fc.property(fc.array(waves, { minLength: 10, maxLength: 40 }), (list) => {
        for (const w of list) {
          const input = {
            studentId: "s-1",
            current: { scores: scoresOf(w.after), validity: null, submittedAt: new Date(Date.UTC(2026, 2, 2)) },
            previous: { scores: scoresOf(w.before), validity: null, submittedAt: new Date(Date.UTC(2026, 2, 1)) },
            observations: [],
            keyPopulation: [],
            openCase: null,
          };
          const ctx: FuseContext = { policy: policyList[0]!, instruments: maps[w.map]!, changeReference: references[w.reference]! };
          same(fuseStudent(input, ctx), reference.fuseStudent(input, ctx));
        }
      }),
      { numRuns: 200 },
    );
  });

  it("gives the same tier for hand-made score results (any band, missing fields, every policy)", () => {
    const anyResult: fc.Arbitrary<ScoreResult> = fc.oneof(
      fc.record({
        kind: fc.constant("scored" as const),
        instrument: fc.constantFrom("phq9", "gad7", "who5", "asq", "srss-ie"),
        total: fc.integer({ min: 0, max: 30 }),
        band: fc.option(fc.constantFrom("minimal", "mild", "moderate", "moderately-severe", "severe", "acute-positive", "non-acute-positive", "high"), { nil: undefined }),
        percent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
        subscales: fc.option(fc.dictionary(fc.constantFrom("e7", "i5", "i6"), fc.record({ total: fc.nat(20), band: fc.constantFrom("low", "moderate", "high") })), { nil: undefined }),
        critical: fc.subarray(["q1", "q5", "q9"]),
        flags: fc.option(fc.subarray(["item-low"]), { nil: undefined }),
      }).map((r) => JSON.parse(JSON.stringify(r)) as ScoreResult),
      fc.record({ kind: fc.constant("incomplete" as const), instrument: fc.constant("asq"), missing: fc.constant(["q5"]), critical: fc.subarray(["q1", "q2"]) }),
    );
    const selfReport = fc.dictionary(fc.constantFrom("phq9", "gad7", "who5", "asq"), anyResult);
    fc.assert(
      fc.property(selfReport, fc.array(observation, { maxLength: 2 }), fc.constantFrom(...policyList), fc.subarray(["phq9", "gad7"]), (self, observations, policy: TierPolicy, deteriorated) => {
        const evidence = { selfReport: self, validity: null, observations, keyPopulation: [], deteriorated };
        same(assignTier(evidence, policy), reference.assignTier(evidence, policy));
      }),
      { numRuns: 1000 },
    );
  });
});
