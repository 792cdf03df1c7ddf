/**
 * The default tier policy, version default-v1. Rationale and sources: docs/tier-policy.md.
 *
 * Band ids are those of the instrument data (instruments/phq9.ts …); a policy that names a band an
 * instrument lacks is caught by tests/scoring/policy.test.ts.
 */
import type { Condition, TierPolicyInput } from "../policy";
import { parsePolicy } from "../policy";

const ASQ_POSITIVE = ["non-acute-positive", "acute-positive"];
const PHQ9_MODERATE_OR_WORSE = ["moderate", "moderately-severe", "severe"];
const GAD7_MODERATE_OR_WORSE = ["moderate", "severe"];

const band = (instrument: string, values: string[], subscale?: string): Condition => ({ band: { instrument, in: values, ...(subscale && { subscale }) } });

export const defaultPolicyData = {
  version: "default-v1",
  title: { "zh-CN": "默认预警规则 v1", en: "Default tier policy v1" },
  rationale: "docs/tier-policy.md",
  rules: [
    // Red: act today.
    {
      id: "asq-acute",
      tier: "red",
      acute: true,
      label: { "zh-CN": "自杀风险筛查（ASQ）急性阳性：需立即进行全面安全评估", en: "ASQ acute positive: urgent full safety evaluation" },
      when: band("asq", ["acute-positive"]),
    },
    {
      id: "asq-positive",
      tier: "red",
      label: { "zh-CN": "自杀风险筛查（ASQ）阳性：当天进行安全评估", en: "ASQ positive: brief suicide safety assessment today" },
      when: { any: [band("asq", ["non-acute-positive"]), { all: [{ critical: { instrument: "asq" } }, { not: band("asq", ASQ_POSITIVE) }] }] },
    },
    {
      id: "phq9-severe",
      tier: "red",
      label: { "zh-CN": "抑郁症状（PHQ-9）重度", en: "PHQ-9 severe depressive symptoms" },
      when: band("phq9", ["severe"]),
    },
    {
      id: "critical-observation",
      tier: "red",
      acute: true,
      label: { "zh-CN": "教师或心理委员报告自伤或谈及死亡", en: "A teacher or peer monitor reported self-harm or talk of death" },
      when: { criticalObservation: true },
    },
    // Orange: interview (约谈) within 3 school days.
    {
      id: "phq9-moderately-severe",
      tier: "orange",
      label: { "zh-CN": "抑郁症状（PHQ-9）中重度", en: "PHQ-9 moderately severe depressive symptoms" },
      when: band("phq9", ["moderately-severe"]),
    },
    {
      id: "gad7-severe",
      tier: "orange",
      label: { "zh-CN": "焦虑症状（GAD-7）重度", en: "GAD-7 severe anxiety symptoms" },
      when: band("gad7", ["severe"]),
    },
    {
      id: "phq9-item9",
      tier: "orange",
      label: { "zh-CN": "PHQ-9 第 9 题（死亡或伤害自己的念头）不为“完全不会”", en: "PHQ-9 item 9 (thoughts of death or self-harm) above 'not at all'" },
      when: { all: [{ critical: { instrument: "phq9", item: "q9" } }, { not: band("asq", ASQ_POSITIVE) }] },
    },
    {
      id: "teacher-screener-high",
      tier: "orange",
      label: { "zh-CN": "教师筛查量表处于高风险范围", en: "A teacher screener in its high-risk band" },
      when: {
        any: [
          band("srss-ie", ["high"], "e7"),
          band("srss-ie", ["high"], "i5"),
          band("srss-ie", ["high"], "i6"),
          band("psc17-teacher", ["at-risk"]),
        ],
      },
    },
    {
      id: "reliable-deterioration",
      tier: "orange",
      label: { "zh-CN": "与上次筛查相比明显恶化（可靠变化），且达到中度及以上", en: "Reliable deterioration since the last wave into moderate or worse" },
      when: {
        any: [
          { all: [{ deteriorated: { instrument: "phq9" } }, band("phq9", PHQ9_MODERATE_OR_WORSE)] },
          { all: [{ deteriorated: { instrument: "gad7" } }, band("gad7", GAD7_MODERATE_OR_WORSE)] },
        ],
      },
    },
    {
      id: "informants-agree",
      tier: "orange",
      label: { "zh-CN": "两方及以上（学生本人、教师、心理委员）表达担忧", en: "Two or more informants concerned" },
      when: { informants: { gte: 2 } },
    },
    // Yellow: a check-in within 2 weeks.
    {
      id: "phq9-moderate",
      tier: "yellow",
      label: { "zh-CN": "抑郁症状（PHQ-9）中度", en: "PHQ-9 moderate depressive symptoms" },
      when: band("phq9", ["moderate"]),
    },
    {
      id: "gad7-moderate",
      tier: "yellow",
      label: { "zh-CN": "焦虑症状（GAD-7）中度", en: "GAD-7 moderate anxiety symptoms" },
      when: band("gad7", ["moderate"]),
    },
    {
      id: "who5-likely-depression",
      tier: "yellow",
      label: { "zh-CN": "幸福感（WHO-5）百分制得分 ≤ 28", en: "WHO-5 percentage score 28 or below" },
      when: { score: { instrument: "who5", field: "percent", lte: 28 } },
    },
    {
      id: "key-population-mild",
      tier: "yellow",
      label: { "zh-CN": "重点关注学生，且有轻度症状或幸福感偏低", en: "A key-population category together with mild symptoms" },
      when: {
        all: [
          { keyPopulation: { gte: 1 } },
          { any: [band("phq9", ["mild"]), band("gad7", ["mild"]), { score: { instrument: "who5", field: "percent", lt: 50 } }] },
        ],
      },
    },
    {
      id: "observer-concern",
      tier: "yellow",
      label: { "zh-CN": "教师或心理委员表达担忧", en: "A teacher or peer monitor concerned" },
      when: { observers: { gte: 1 } },
    },
    {
      id: "questionable-response",
      tier: "yellow",
      label: { "zh-CN": "作答质量存疑，需要复测", en: "Questionable response: re-screen" },
      when: { questionable: true },
    },
  ],
  selfConcern: {
    any: [
      band("phq9", PHQ9_MODERATE_OR_WORSE),
      band("gad7", GAD7_MODERATE_OR_WORSE),
      { score: { instrument: "who5", field: "percent", lte: 28 } },
      band("asq", ASQ_POSITIVE),
      { critical: { instrument: "asq" } },
      { critical: { instrument: "phq9", item: "q9" } },
    ],
  },
  screenerConcern: [
    { instrument: "srss-ie", subscale: "e7", in: ["moderate", "high"] },
    { instrument: "srss-ie", subscale: "i5", in: ["moderate", "high"] },
    { instrument: "srss-ie", subscale: "i6", in: ["moderate", "high"] },
    { instrument: "psc17-teacher", in: ["at-risk"] },
  ],
  change: ["phq9", "gad7", "who5"],
  dueSchoolDays: { red: 0, orange: 3, yellow: 10 },
  validity: { minSecondsPerItem: 2, maxMissingShare: 0.2 },
} satisfies TierPolicyInput;

/** The default tier policy (default-v1). */
export const defaultPolicy = parsePolicy(defaultPolicyData);
