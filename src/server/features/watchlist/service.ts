/**
 * The watch list computed: load the inputs (./load.ts), the change references (./reference.ts), fuse and
 * rank (./compute.ts). Nothing here is kept between calls but a district wave's statistics, keyed by its
 * latest submission; ./kept.ts keeps each school's list until an input changes.
 *
 * Other features (cases, the growth record) call `computeWatchList` for one student with `studentIds`.
 */
import type { TierPolicy } from "../../../../scoring/index";
import { defaultPolicy, policies } from "../../../../scoring/index";
import { decrypt } from "../../crypto/cipher";
import type { DataKeys } from "../../crypto/cipher";
import type { Queryable } from "../../db/database";
import { ApiError } from "../../errors";
import type { Computed } from "./compute";
import { fuseAll, rankComputed, wavePair } from "./compute";
import type { Selection, StoredOverride, StudentInputs } from "./load";
import { loadInputs, loadNameTokens, loadPolicyVersions } from "./load";
import type { ChangeRefs } from "./reference";
import { loadChangeReferences } from "./reference";

export interface WatchListRun {
  /** Every selected student, fused (listed or not), in load order. */
  readonly all: readonly Computed[];
  /** The listed students, ranked. */
  readonly ranked: readonly Computed[];
  readonly policyOf: (schoolId: string) => TierPolicy;
  readonly inputs: readonly StudentInputs[];
  readonly refs: Map<string, ChangeRefs>;
}

/** A policy by version; a version the server does not ship is a damaged set-up (500). */
export function policyByVersion(version: string): TierPolicy {
  const policy = policies.get(version);
  if (!policy) throw new ApiError(500, "unknown_policy", `tier policy ${version} is not installed / 未安装预警规则 ${version}`);
  return policy;
}

/**
 * Computes the watch list of the selected students. `policy` replaces each school's own policy (the
 * policy preview); `cacheOwner` keys the district-statistics cache (pass the Database).
 */
export async function computeWatchList(q: Queryable, cacheOwner: object, sel: Selection, now: Date, policy?: TierPolicy): Promise<WatchListRun> {
  const inputs = await loadInputs(q, sel, now);
  return fuseLoaded(q, cacheOwner, inputs, sel.schoolIds, policy);
}

/** Fuses already-loaded inputs (the preview fuses one load under two policies). */
export async function fuseLoaded(q: Queryable, cacheOwner: object, inputs: readonly StudentInputs[], schoolIds: readonly string[], policy?: TierPolicy): Promise<WatchListRun> {
  const versions = policy ? new Map<string, string>() : await loadPolicyVersions(q, schoolIds);
  const bySchool = new Map<string, TierPolicy>();
  const policyOf = (schoolId: string): TierPolicy => {
    if (policy) return policy;
    let p = bySchool.get(schoolId);
    if (!p) bySchool.set(schoolId, (p = policyByVersion(versions.get(schoolId) ?? defaultPolicy.version)));
    return p;
  };
  const pairs = new Set<string>();
  for (const s of inputs) {
    const pair = wavePair(s);
    if (pair !== null) pairs.add(pair);
  }
  const changeIds = [...new Set(schoolIds.flatMap((id) => policyOf(id).change))];
  const refs = pairs.size === 0 ? new Map<string, ChangeRefs>() : await loadChangeReferences(q, cacheOwner, pairs, changeIds);
  const none: ChangeRefs = {};
  const all = fuseAll(inputs, policyOf, (pair) => (pair === null ? none : (refs.get(pair) ?? none)));
  return { all, ranked: rankComputed(all), policyOf, inputs, refs };
}

/** The written reason of an override, decrypted (context `tier_overrides.reason_enc:<id>`). */
export const overrideReason = (keys: DataKeys, override: Pick<StoredOverride, "id" | "reasonEnc">): string => decrypt(keys, override.reasonEnc, `tier_overrides.reason_enc:${override.id}`);

/** Decrypted names of some students (context `students.name_enc:<id>`). */
export async function namesOf(q: Queryable, keys: DataKeys, studentIds: readonly string[]): Promise<Map<string, string>> {
  const tokens = await loadNameTokens(q, studentIds);
  const out = new Map<string, string>();
  for (const [id, token] of tokens) out.set(id, decrypt(keys, token, `students.name_enc:${id}`));
  return out;
}
