/** The tier policies XinQing ships, by version. A district picks one per wave; stored tiers keep the version. */
import type { TierPolicy } from "../policy";
import { cnCutoff7Policy } from "./cn-cutoff-7-v1";
import { defaultPolicy } from "./default-v1";

export const policies: ReadonlyMap<string, TierPolicy> = new Map([defaultPolicy, cnCutoff7Policy].map((p) => [p.version, p]));
