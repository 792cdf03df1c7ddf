import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asq } from "../../instruments/asq";
import { gad7 } from "../../instruments/gad7";
import { instruments } from "../../instruments/index";
import { phq9 } from "../../instruments/phq9";
import { psc17Teacher } from "../../instruments/psc17-teacher";
import { srssIe } from "../../instruments/srss-ie";
import { who5 } from "../../instruments/who5";
import type { Condition, Evidence, ScoreResult, TierPolicy } from "../../scoring/index";
import { assignTier, defaultPolicy, parsePolicy, policies, PolicyError, scoreInstrument, tierRank } from "../../scoring/index";
import { anObservation, answers, withTotal } from "./builders";

const QUESTIONABLE = { kind: "questionable", reasons: [{ code: "too-fast", evidence: "0.8 s per item" }] } as const;

/** Evidence for one student: `evidenceWith({phq9: 22})` scores real answers with those totals. */
function evidenceWith(totals: { phq9?: number; gad7?: number; who5?: number; asq?: ScoreResult } = {}, over: Partial<Evidence> = {}): Evidence {
  const selfReport: Record<string, ScoreResult> = {
    phq9: scoreInstrument(phq9, withTotal(phq9, totals.phq9 ?? 0, 3)),
    gad7: scoreInstrument(gad7, withTotal(gad7, totals.gad7 ?? 0, 3)),
    who5: scoreInstrument(who5, withTotal(who5, totals.who5 ?? 20, 5)),
    asq: totals.asq ?? scoreInstrument(asq, answers.asq("no", "no", "no", "no")),
  };
  return { selfReport, validity: { kind: "valid" }, observations: [], keyPopulation: [], deteriorated: [], ...over };
}

const tierOf = (evidence: Evidence, policy: TierPolicy = defaultPolicy) => assignTier(evidence, policy);
const rules = (evidence: Evidence, policy: TierPolicy = defaultPolicy) => tierOf(evidence, policy).reasons.map((r) => r.rule);

describe("the default policy (default-v1)", () => {
  it("puts a student with ASQ question 5 'yes' in red, as acute", () => {
    const result = tierOf(evidenceWith({ asq: scoreInstrument(asq, answers.asq("yes", "no", "no", "no", "yes")) }));
    expect(result).toMatchObject({ tier: "red", acute: true, policyVersion: "default-v1" });
    expect(result.reasons[0]).toMatchObject({ rule: "asq-acute", tier: "red" });
  });

  it("puts a non-acute ASQ positive in red, not acute", () => {
    expect(tierOf(evidenceWith({ asq: scoreInstrument(asq, answers.asq("no", "refused", "no", "no", "no")) }))).toMatchObject({ tier: "red", acute: false });
  });

  it("puts a student who said yes to ASQ question 1 but has not answered question 5 in red", () => {
    const partial = scoreInstrument(asq, answers.asq("yes", "no", "no", "no"));
    expect(partial.kind).toBe("incomplete");
    expect(rules(evidenceWith({ asq: partial }))).toContain("asq-positive");
    expect(tierOf(evidenceWith({ asq: partial })).tier).toBe("red");
  });

  it.each([
    [4, "none"],
    [9, "none"],
    [10, "yellow"],
    [14, "yellow"],
    [15, "orange"],
    [19, "orange"],
    [20, "red"],
    [27, "red"],
  ])("puts a PHQ-9 total of %i in %s", (total, tier) => {
    // withTotal fills items 1-8 first, so item 9 stays 0 up to a total of 24
    expect(tierOf(evidenceWith({ phq9: total })).tier).toBe(tier);
  });

  it.each([
    [9, "none"],
    [10, "yellow"],
    [14, "yellow"],
    [15, "orange"],
  ])("puts a GAD-7 total of %i in %s", (total, tier) => {
    expect(tierOf(evidenceWith({ gad7: total })).tier).toBe(tier);
  });

  it("puts PHQ-9 item 9 above 0 with a negative ASQ in orange, even with a minimal total", () => {
    const selfReport = { ...evidenceWith().selfReport, phq9: scoreInstrument(phq9, answers.phq9([0, 0, 0, 0, 0, 0, 0, 0, 1])) };
    const result = tierOf({ ...evidenceWith(), selfReport });
    expect(result.tier).toBe("orange");
    expect(result.reasons.map((r) => r.rule)).toEqual(["phq9-item9"]);
  });

  it("never lets a questionable response silence a critical answer", () => {
    const selfReport = { ...evidenceWith().selfReport, phq9: scoreInstrument(phq9, answers.phq9([0, 0, 0, 0, 0, 0, 0, 0, 3])) };
    const result = tierOf({ ...evidenceWith(), selfReport, validity: QUESTIONABLE });
    expect(result.tier).toBe("orange");
    expect(result.reasons.map((r) => r.rule)).toEqual(["phq9-item9", "questionable-response"]);
  });

  it("puts a questionable response with no symptoms in yellow for a re-screen", () => {
    expect(tierOf(evidenceWith({}, { validity: QUESTIONABLE }))).toMatchObject({ tier: "yellow", reasons: [{ rule: "questionable-response" }] });
  });

  it("puts a critical teacher observation in red, as acute", () => {
    const obs = anObservation({ critical: ["signs"], concerns: ["signs"] });
    expect(tierOf(evidenceWith({}, { observations: [obs] }))).toMatchObject({ tier: "red", acute: true });
  });

  it("puts a student rated high on SRSS-IE externalizing in orange", () => {
    const ratings = Object.fromEntries(srssIe.items.map((it) => [it.id, 0]));
    const e7 = srssIe.subscales.find((s) => s.id === "e7")!;
    for (const id of e7.items.slice(0, 3)) ratings[id] = 3;
    const score = scoreInstrument(srssIe, ratings, { level: "secondary" });
    const obs = anObservation({ instrument: "srss-ie", score });
    expect(rules(evidenceWith({}, { observations: [obs] }))).toEqual(["teacher-screener-high", "observer-concern"]);
  });

  it("puts a primary student at or above the PSC-17 teacher cut-off in orange", () => {
    const score = scoreInstrument(psc17Teacher, withTotal(psc17Teacher, 17, 2));
    expect(tierOf({ ...evidenceWith(), selfReport: {}, observations: [anObservation({ instrument: "psc17-teacher", score })] }).tier).toBe("orange");
    const below = scoreInstrument(psc17Teacher, withTotal(psc17Teacher, 16, 2));
    expect(tierOf({ ...evidenceWith(), selfReport: {}, observations: [anObservation({ instrument: "psc17-teacher", score: below })] }).tier).toBe("none");
  });

  it("puts a reliable deterioration into moderate in orange, and not into mild", () => {
    expect(tierOf(evidenceWith({ phq9: 11 }, { deteriorated: ["phq9"] })).reasons.map((r) => r.rule)).toEqual(["reliable-deterioration", "phq9-moderate"]);
    expect(tierOf(evidenceWith({ phq9: 7 }, { deteriorated: ["phq9"] })).tier).toBe("none");
  });

  it("puts a moderate self-report plus a worried peer in orange: two informants agree", () => {
    const peer = anObservation({ role: "peer", concerns: ["concerns"] });
    const result = tierOf(evidenceWith({ phq9: 11 }, { observations: [peer] }));
    expect(result.tier).toBe("orange");
    expect(result.reasons.find((r) => r.rule === "informants-agree")?.evidence).toBe("2 informants concerned: self, peer");
  });

  it("counts one person filing twice as one informant", () => {
    const first = anObservation({ role: "peer", concerns: ["concerns"] });
    const again = { ...first, at: new Date("2026-03-11T08:00:00+08:00") };
    expect(tierOf(evidenceWith({}, { observations: [first, again] })).tier).toBe("yellow");
  });

  it("puts one concerned teacher in yellow and an unconcerned checklist in none", () => {
    expect(tierOf(evidenceWith({}, { observations: [anObservation({ concerns: ["signs"] })] })).tier).toBe("yellow");
    expect(tierOf(evidenceWith({}, { observations: [anObservation()] })).tier).toBe("none");
  });

  it.each([
    [7, "yellow"],
    [8, "none"],
  ])("puts a WHO-5 raw score of %i (28%% is raw 7) in %s", (raw, tier) => {
    expect(tierOf(evidenceWith({ who5: raw })).tier).toBe(tier);
  });

  it.each([
    ["a key-population student with mild depressive symptoms", { phq9: 5 }, ["left-behind"], "yellow"],
    ["a key-population student with WHO-5 at 48%", { who5: 12 }, ["left-behind"], "yellow"],
    ["a key-population student with WHO-5 at 52%", { who5: 13 }, ["left-behind"], "none"],
    ["a key-population student without symptoms", {}, ["economic-hardship"], "none"],
    ["mild symptoms without a key-population category", { phq9: 5, gad7: 5 }, [], "none"],
  ])("puts %s in the expected tier", (_name, totals, keyPopulation, tier) => {
    expect(tierOf(evidenceWith(totals, { keyPopulation })).tier).toBe(tier);
  });

  it("lists every matching rule, red first, with its evidence", () => {
    const result = tierOf(evidenceWith({ phq9: 20, gad7: 16, asq: scoreInstrument(asq, answers.asq("yes", "yes", "no", "no", "no")) }));
    expect(result.reasons.map((r) => [r.rule, r.tier])).toEqual([
      ["asq-positive", "red"],
      ["phq9-severe", "red"],
      ["gad7-severe", "orange"],
    ]);
    expect(result.reasons[1]!.evidence).toBe("phq9 20 (severe)");
  });
});

describe("another policy version", () => {
  it("uses the Chinese cut-off of 7 under cn-cutoff-7-v1 and not under default-v1", () => {
    const cn = policies.get("cn-cutoff-7-v1")!;
    expect(tierOf(evidenceWith({ phq9: 7 }), cn)).toMatchObject({ tier: "yellow", policyVersion: "cn-cutoff-7-v1", reasons: [{ rule: "phq9-cn-7" }] });
    expect(tierOf(evidenceWith({ phq9: 6 }), cn).tier).toBe("none");
    expect(tierOf(evidenceWith({ phq9: 7 })).tier).toBe("none");
  });
});

describe("policy data", () => {
  it.each([...policies.values()].map((p) => [p.version, p] as const))("%s names only bands and subscales the instruments have", (_v, policy) => {
    const seen: { instrument: string; subscale?: string; band: string }[] = [];
    const walk = (c: Condition): void => {
      if ("band" in c) c.band.in.forEach((band) => seen.push({ instrument: c.band.instrument, band, ...(c.band.subscale && { subscale: c.band.subscale }) }));
      if ("all" in c) c.all.forEach(walk);
      if ("any" in c) c.any.forEach(walk);
      if ("not" in c) walk(c.not);
    };
    policy.rules.forEach((r) => walk(r.when));
    walk(policy.selfConcern);
    policy.screenerConcern.forEach((m) => m.in.forEach((band) => seen.push({ instrument: m.instrument, band, ...(m.subscale && { subscale: m.subscale }) })));
    expect(seen.length).toBeGreaterThan(10);
    for (const ref of seen) {
      const inst = instruments.get(ref.instrument as never);
      expect(inst, ref.instrument).toBeDefined();
      const bands = ref.subscale
        ? inst!.subscales.find((s) => s.id === ref.subscale)?.bands
        : inst!.scoring.method === "sum" || inst!.scoring.method === "asq"
          ? inst!.scoring.bands
          : undefined;
      expect(bands?.map((b) => b.id), `${ref.instrument} ${ref.subscale ?? ""}`).toContain(ref.band);
    }
  });

  it("rejects a malformed policy with the path of each bad field", () => {
    const bad = { ...defaultPolicy, rules: [{ ...defaultPolicy.rules[0], tier: "purple" }, { ...defaultPolicy.rules[1], when: { band: { instrument: "phq9" } } }] };
    try {
      parsePolicy(bad);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect((err as PolicyError).issues.map((i) => i.path)).toEqual(expect.arrayContaining(["rules.0.tier", expect.stringMatching(/^rules\.1\.when/)]));
    }
  });

  it("rejects duplicate rule ids", () => {
    expect(() => parsePolicy({ ...defaultPolicy, rules: [defaultPolicy.rules[0], defaultPolicy.rules[0]] })).toThrow(/rules\.1\.id: duplicate rule id/);
  });
});

describe("invariants", () => {
  const anyEvidence = fc.record({
    phq9: fc.integer({ min: 0, max: 27 }),
    gad7: fc.integer({ min: 0, max: 21 }),
    who5: fc.integer({ min: 0, max: 25 }),
    q9: fc.constantFrom(0, 1, 2, 3),
    asq: fc.constantFrom<[string, string, string, string, string?]>(["no", "no", "no", "no"], ["yes", "no", "no", "no", "no"], ["no", "no", "refused", "no", "yes"]),
    keyPopulation: fc.subarray(["left-behind", "economic-hardship"]),
    peer: fc.boolean(),
  });
  type Generated = typeof anyEvidence extends fc.Arbitrary<infer T> ? T : never;
  const build = (e: Generated): Evidence => {
    const base = evidenceWith({ gad7: e.gad7, who5: e.who5, asq: scoreInstrument(asq, answers.asq(...e.asq)) }, { keyPopulation: e.keyPopulation, observations: e.peer ? [anObservation({ role: "peer", concerns: ["concerns"] })] : [] });
    const phq = { ...withTotal(phq9, Math.min(e.phq9, 24), 3), q9: e.q9 };
    return { ...base, selfReport: { ...base.selfReport, phq9: scoreInstrument(phq9, phq) } };
  };

  it("a questionable response never lowers a tier", () => {
    fc.assert(
      fc.property(anyEvidence, (e) => {
        const evidence = build(e);
        return tierRank(tierOf({ ...evidence, validity: QUESTIONABLE }).tier) >= tierRank(tierOf(evidence).tier);
      }),
    );
  });

  it("any critical self-report answer puts the student in orange or red", () => {
    fc.assert(
      fc.property(anyEvidence, (e) => {
        const evidence = build(e);
        const critical = Object.values(evidence.selfReport).some((r) => r.critical.length > 0);
        return !critical || tierRank(tierOf(evidence).tier) >= tierRank("orange");
      }),
    );
  });
});
