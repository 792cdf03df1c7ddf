/**
 * The reference implementation of the scoring steps: the first, straightforward version of scoring/score.ts,
 * validity.ts, tier.ts and fuse.ts, which walks the instrument and policy data directly on every call. It is
 * kept only as the oracle of tests/scoring/equivalence.test.ts, which checks that the compiled path in
 * scoring/ gives exactly the same results.
 */
export { concernItems, criticalItems, missingItems, scoreBattery, scoreInstrument } from "./score";
export { checkValidity } from "./validity";
export { assignTier } from "./tier";
export { fuseStudent, summarizeObservation } from "./fuse";
