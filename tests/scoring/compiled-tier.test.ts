/**
 * The compiled tier evaluation (scoring/compile-policy.ts) against tier.ts's general evaluator. The compiled
 * code evaluates every plain score record; a record with another prototype is evaluated the general way and
 * reads the same results, so the same evidence given both ways must give the same tier result and the same
 * watch-list entry (informants, disagreement, everything), down to the key order of the printed JSON.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { instruments } from "../../instruments/index";
import type { Evidence, FuseContext, ObservationEvidence, ScoreResult, TierPolicy, ValidityResult } from "../../scoring/index";
import { assignTier, fuseStudent, parsePolicy, policies, scoreInstrument } from "../../scoring/index";
import { compileTierPolicy } from "../../scoring/compile-policy";
import { defaultPolicyData } from "../../scoring/policies/default-v1";

const byId = (id: string) => instruments.get(id as never)!;

/** A policy with what the shipped ones do not use: flags, subscale and total scores, all of several leaves, not, nesting, observers ≥ 2. */
const wider = parsePolicy({
  ...defaultPolicyData,
  version: "wider-test-v1",
  rules: [
    ...defaultPolicyData.rules,
    { id: "who5-item-low", tier: "yellow", label: { "zh-CN": "x", en: "x" }, when: { flag: { instrument: "who5", flag: "item-low" } } },
    { id: "phq9-worse", tier: "orange", label: { "zh-CN": "x", en: "x" }, when: { all: [{ deteriorated: { instrument: "phq9" } }, { score: { instrument: "phq9", gte: 10 } }, { keyPopulation: { gte: 1 } }] } },
    { id: "srss-e7-total", tier: "orange", label: { "zh-CN": "x", en: "x" }, when: { score: { instrument: "srss-ie", subscale: "e7", gt: 8 } } },
    {
      id: "nested",
      tier: "red",
      acute: true,
      label: { "zh-CN": "x", en: "x" },
      when: {
        any: [
          { all: [{ criticalObservation: true }, { not: { questionable: true } }] },
          { all: [{ observers: { gte: 2 } }, { score: { instrument: "phq9", gte: 3, lt: 20 } }, { deteriorated: { instrument: "gad7" } }] },
          { all: [{ keyPopulation: { gte: 2 } }, { informants: { gte: 1 } }, { critical: { instrument: "asq" } }] },
        ],
      },
    },
  ],
});
const policyList = [...policies.values(), wider];

const answerValues = (id: string) => {
  const inst = byId(id);
  return fc.tuple(...inst.items.map((item) => fc.constantFrom(undefined, ...(item.options ?? inst.options ?? []).map((o) => o.value))));
};

/** A real result of the instrument: scored in every band, now and then incomplete or invalid. */
const realResult = (id: string, level: "primary" | "secondary"): fc.Arbitrary<ScoreResult> =>
  fc.tuple(answerValues(id), fc.boolean()).map(([values, complete]) => {
    const inst = byId(id);
    const given: Record<string, unknown> = {};
    inst.items.forEach((item, i) => {
      const value = values[i] ?? (complete && item.type === "single" ? (item.options ?? inst.options ?? [])[0]?.value : undefined);
      if (value !== undefined) given[item.id] = value;
    });
    return scoreInstrument(inst, given as never, { level });
  });

/** A hand-made result: any band, missing fields, totals and percentages of any size. */
const madeResult: fc.Arbitrary<ScoreResult> = fc
  .record({
    kind: fc.constantFrom("scored" as const, "scored" as const, "incomplete" as const),
    instrument: fc.constantFrom("phq9", "gad7", "who5", "asq", "srss-ie"),
    total: fc.integer({ min: -2, max: 300 }),
    band: fc.option(fc.constantFrom("minimal", "mild", "moderate", "moderately-severe", "severe", "acute-positive", "non-acute-positive", "negative", "high"), { nil: undefined }),
    percent: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
    subscales: fc.option(fc.dictionary(fc.constantFrom("e7", "i5", "i6"), fc.record({ total: fc.nat(20), band: fc.constantFrom("low", "moderate", "high") })), { nil: undefined }),
    critical: fc.subarray(["q1", "q5", "q9"]),
    flags: fc.option(fc.subarray(["item-low"]), { nil: undefined }),
    missing: fc.constant(["q5"]),
  })
  .map((r) => JSON.parse(JSON.stringify(r.kind === "scored" ? { ...r, missing: undefined } : r)) as ScoreResult);

const selfReport: fc.Arbitrary<Record<string, ScoreResult>> = fc
  .record(
    {
      phq9: fc.oneof(realResult("phq9", "secondary"), madeResult),
      gad7: fc.oneof(realResult("gad7", "secondary"), madeResult),
      who5: fc.oneof(realResult("who5", "secondary"), madeResult),
      asq: fc.oneof(realResult("asq", "secondary"), madeResult),
      "srss-ie": fc.oneof(realResult("srss-ie", "secondary"), madeResult),
      other: madeResult,
    },
    { requiredKeys: [] },
  )
  .chain((record) => fc.shuffledSubarray(Object.keys(record), { minLength: Object.keys(record).length }).map((keys) => Object.fromEntries(keys.map((k) => [k, record[k as keyof typeof record]!]))));

const observation: fc.Arbitrary<ObservationEvidence> = fc
  .record({
    role: fc.constantFrom("homeroom", "subject", "peer", "counselor"),
    id: fc.constantFrom("a", "b", "c"),
    form: fc.constantFrom("teacher-checklist", "peer-concern", "srss-ie", "psc17-teacher", "phq9"),
    score: fc.option(fc.oneof(realResult("srss-ie", "secondary"), realResult("srss-ie", "primary"), realResult("psc17-teacher", "primary"), madeResult), { nil: undefined }),
    at: fc.integer({ min: 0, max: 10 }),
    critical: fc.subarray(["signs"]),
    concerns: fc.subarray(["signs", "concerns"]),
    keyPopulation: fc.option(fc.subarray(["left-behind-or-single-parent", "economic-hardship"]), { nil: undefined }),
  })
  .map((o) => ({
    informant: { role: o.role, id: o.id },
    instrument: o.form,
    at: new Date(Date.UTC(2026, 2, 1 + o.at)),
    ...(o.score && { score: o.score }),
    critical: o.critical,
    concerns: o.concerns,
    ...(o.keyPopulation && { keyPopulation: o.keyPopulation }),
  }));

const validity: fc.Arbitrary<ValidityResult | null> = fc.oneof(
  fc.constant(null),
  fc.constant({ kind: "valid" as const }),
  fc.array(fc.record({ code: fc.constantFrom("too-fast" as const, "attention-failed" as const), evidence: fc.constantFrom("1.2 s per item", "factors.attention: answered 2") }), { minLength: 1, maxLength: 3 }).map((reasons) => ({ kind: "questionable" as const, reasons })),
);

const evidence = fc.record({
  selfReport,
  validity,
  observations: fc.oneof(fc.constant([]), fc.array(observation, { maxLength: 3 })),
  keyPopulation: fc.subarray(["economic-hardship", "left-behind-or-single-parent", "new-student"]),
  deteriorated: fc.subarray(["phq9", "gad7", "who5"]),
  nullPrototype: fc.boolean(),
});

/** The record as the general evaluator reads it: the same own properties on an object with another prototype. */
const generalRecord = (record: Record<string, ScoreResult>) => Object.assign(Object.create({}) as Record<string, ScoreResult>, record);
/** The record as the compiled evaluation reads it: a plain object, or one without a prototype. */
const compiledRecord = (record: Record<string, ScoreResult>, nullPrototype: boolean) => (nullPrototype ? Object.assign(Object.create(null) as Record<string, ScoreResult>, record) : record);

/** Same value, and the same JSON text (key order included). */
function same<T>(compiled: T, general: T): void {
  expect(compiled).toEqual(general);
  expect(JSON.stringify(compiled)).toBe(JSON.stringify(general));
}

describe("the compiled tier evaluation gives what the general evaluator gives", () => {
  it("compiles every shipped policy", () => {
    for (const policy of policyList) expect(compileTierPolicy(policy), policy.version).not.toBeNull();
  });

  it("leaves a policy naming an instrument after an Object.prototype member to the general evaluator", () => {
    const odd = parsePolicy({
      ...defaultPolicyData,
      version: "odd-test-v1",
      rules: [{ id: "odd", tier: "yellow", label: { "zh-CN": "x", en: "x" }, when: { band: { instrument: "constructor", in: ["high"] } } }],
    });
    expect(compileTierPolicy(odd)).toBeNull();
    const scored: ScoreResult = { kind: "scored", instrument: "constructor", total: 9, band: "high", critical: [] };
    const evidence: Evidence = { selfReport: { constructor: scored }, validity: null, observations: [], keyPopulation: [], deteriorated: [] };
    expect(assignTier(evidence, odd)).toMatchObject({ tier: "yellow", reasons: [{ rule: "odd", evidence: "constructor 9 (high)" }] });
    expect(assignTier({ ...evidence, selfReport: {} }, odd).tier).toBe("none");
  });

  it.each(policyList.map((policy) => [policy.version, policy] as const))("assignTier and fuseStudent under %s", (_version, policy: TierPolicy) => {
    const ctx: FuseContext = { policy, instruments, changeReference: {} };
    fc.assert(
      fc.property(evidence, (e) => {
        const given = (record: Record<string, ScoreResult>): Evidence => ({ selfReport: record, validity: e.validity, observations: e.observations, keyPopulation: e.keyPopulation, deteriorated: e.deteriorated });
        same(assignTier(given(compiledRecord(e.selfReport, e.nullPrototype)), policy), assignTier(given(generalRecord(e.selfReport)), policy));
        const student = (record: Record<string, ScoreResult>) => ({
          studentId: "s-1",
          current: { scores: record, validity: e.validity, submittedAt: new Date(Date.UTC(2026, 2, 2)) },
          previous: null,
          observations: e.observations,
          keyPopulation: e.keyPopulation,
          openCase: null,
        });
        same(fuseStudent(student(compiledRecord(e.selfReport, e.nullPrototype)), ctx), fuseStudent(student(generalRecord(e.selfReport)), ctx));
      }),
      { numRuns: 1500 },
    );
  });
});
