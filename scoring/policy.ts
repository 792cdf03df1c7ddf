/**
 * The tier policy: versioned data that says which evidence puts a student in which warning tier
 * (红/橙/黄 预警). Districts choose or write a policy; every stored tier records the version that made it.
 *
 * A rule is a condition over the evidence tier.ts assembles (score results, critical answers, validity,
 * observations, key-population categories, change since the last wave). Conditions are plain data
 * combined with all / any / not, so a policy is reviewed as a table and tested like any other data.
 */
import { z } from "zod";
import { Localized } from "../instruments/schema";

export const TIERS = ["none", "yellow", "orange", "red"] as const;
export const Tier = z.enum(TIERS);
export type Tier = z.infer<typeof Tier>;

/** Tier order: none < yellow < orange < red. */
export function tierRank(tier: Tier): number {
  return TIERS.indexOf(tier);
}

const BandMatch = z.strictObject({
  instrument: z.string().min(1),
  subscale: z.string().min(1).optional(),
  in: z.array(z.string().min(1)).min(1),
});
export type BandMatch = z.infer<typeof BandMatch>;

const Bound = { gte: z.number().optional(), lte: z.number().optional(), gt: z.number().optional(), lt: z.number().optional() };

export type Condition =
  | { band: BandMatch }
  | { score: { instrument: string; subscale?: string; field?: "total" | "percent"; gte?: number; lte?: number; gt?: number; lt?: number } }
  | { critical: { instrument: string; item?: string } }
  | { flag: { instrument: string; flag: string } }
  | { criticalObservation: true }
  | { informants: { gte: number } }
  | { observers: { gte: number } }
  | { keyPopulation: { gte: number } }
  | { deteriorated: { instrument: string } }
  | { questionable: true }
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    z.strictObject({ band: BandMatch }),
    z.strictObject({
      score: z
        .strictObject({ instrument: z.string().min(1), subscale: z.string().min(1).optional(), field: z.enum(["total", "percent"]).optional(), ...Bound })
        .refine((s) => s.gte !== undefined || s.lte !== undefined || s.gt !== undefined || s.lt !== undefined, "a score condition needs a bound"),
    }),
    z.strictObject({ critical: z.strictObject({ instrument: z.string().min(1), item: z.string().min(1).optional() }) }),
    z.strictObject({ flag: z.strictObject({ instrument: z.string().min(1), flag: z.string().min(1) }) }),
    z.strictObject({ criticalObservation: z.literal(true) }),
    z.strictObject({ informants: z.strictObject({ gte: z.number().int().min(1) }) }),
    z.strictObject({ observers: z.strictObject({ gte: z.number().int().min(1) }) }),
    z.strictObject({ keyPopulation: z.strictObject({ gte: z.number().int().min(1) }) }),
    z.strictObject({ deteriorated: z.strictObject({ instrument: z.string().min(1) }) }),
    z.strictObject({ questionable: z.literal(true) }),
    z.strictObject({ all: z.array(Condition).min(1) }),
    z.strictObject({ any: z.array(Condition).min(1) }),
    z.strictObject({ not: Condition }),
  ]),
);

export const Rule = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]*$/),
  tier: Tier.exclude(["none"]),
  label: Localized,
  when: Condition,
  /** Marks rules whose evidence is an acute risk (ranked first within the tier). */
  acute: z.boolean().default(false),
});
export type Rule = z.infer<typeof Rule>;

export const TierPolicy = z
  .strictObject({
    version: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
    title: Localized,
    /** Where the rationale and sources are written down. */
    rationale: z.string().min(1),
    rules: z.array(Rule).min(1),
    /** When the self-report counts as one informant concerned. */
    selfConcern: Condition,
    /** Teacher-screener bands that count the rating teacher as an informant concerned. */
    screenerConcern: z.array(BandMatch),
    /** Which instruments the reliable change index is computed for. */
    change: z.array(z.string().min(1)),
    /** School days to act, by tier, from the moment a student is flagged: 0 = the same day. */
    dueSchoolDays: z.strictObject({ red: z.number().int().min(0), orange: z.number().int().min(0), yellow: z.number().int().min(0) }),
    validity: z.strictObject({ minSecondsPerItem: z.number().min(0), maxMissingShare: z.number().min(0).max(1) }),
  })
  .superRefine((policy, ctx) => {
    const seen = new Set<string>();
    policy.rules.forEach((rule, i) => {
      if (seen.has(rule.id)) ctx.addIssue({ code: "custom", path: ["rules", i, "id"], message: `duplicate rule id "${rule.id}"` });
      seen.add(rule.id);
    });
  });
export type TierPolicy = z.infer<typeof TierPolicy>;
export type TierPolicyInput = z.input<typeof TierPolicy>;

/** A policy that does not match the schema; `issues` name each bad field by its path. */
export class PolicyError extends Error {
  constructor(readonly issues: readonly { path: string; message: string }[]) {
    super(`tier policy: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`);
    this.name = "PolicyError";
  }
}

/** Validates policy data (from a file, the database or the admin page); throws PolicyError with paths. */
export function parsePolicy(data: unknown): TierPolicy {
  const parsed = TierPolicy.safeParse(data);
  if (parsed.success) return parsed.data;
  throw new PolicyError(parsed.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message })));
}
