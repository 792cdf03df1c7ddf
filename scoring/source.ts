/**
 * Literals of instrument and policy data in the JavaScript source scoring compiles (plan.ts readers,
 * response.ts battery scorers, compile-policy.ts tier policies): the data reaches that source only
 * through here, as number literals and `JSON.stringify`d strings, never as names or code.
 */
/** The value as a literal of generated source (-0 kept, as the data's comparisons would see it). */
export function literal(v: number | string): string {
  if (typeof v === "number") return Object.is(v, -0) ? "-0" : String(v);
  return JSON.stringify(v);
}
