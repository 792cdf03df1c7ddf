/**
 * An alternative tier policy for districts that follow the Chinese validation studies whose PHQ-9 and
 * GAD-7 cut-off is 7 rather than 10 (PHQ-9: Wang W et al. 2014, Gen Hosp Psychiatry, Shanghai general
 * population; GAD-7: Ip H et al. 2022, BMC Psychiatry, Hong Kong 15-24). It is default-v1 with the two
 * "moderate" yellow rules replaced by totals ≥ 7. Rationale: docs/tier-policy.md.
 */
import type { TierPolicyInput } from "../policy";
import { parsePolicy } from "../policy";
import { defaultPolicyData } from "./default-v1";

const cutOff7 = (instrument: "phq9" | "gad7", name: string) =>
  ({
    id: `${instrument}-cn-7`,
    tier: "yellow",
    label: { "zh-CN": `${name}总分 ≥ 7（中国人群验证研究的界值）`, en: `${name} total 7 or above (Chinese validation cut-off)` },
    when: { score: { instrument, gte: 7 } },
  }) satisfies TierPolicyInput["rules"][number];

const replaced: Record<string, TierPolicyInput["rules"][number]> = {
  "phq9-moderate": cutOff7("phq9", "PHQ-9 "),
  "gad7-moderate": cutOff7("gad7", "GAD-7 "),
};

export const cnCutoff7PolicyData = {
  ...defaultPolicyData,
  version: "cn-cutoff-7-v1",
  title: { "zh-CN": "中国人群界值（PHQ-9 / GAD-7 ≥ 7）预警规则 v1", en: "Chinese cut-off (PHQ-9 / GAD-7 ≥ 7) tier policy v1" },
  rules: defaultPolicyData.rules.map((rule) => replaced[rule.id] ?? rule),
} satisfies TierPolicyInput;

/** Policy cn-cutoff-7-v1. */
export const cnCutoff7Policy = parsePolicy(cnCutoff7PolicyData);
