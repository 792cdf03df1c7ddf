/**
 * The reference SD and reliability per instrument for the reliable change index between a student's
 * previous and current wave (scoring/change.ts changeReference): the district's previous wave (all
 * schools of the same school year and season) with its SD and Cronbach's alpha of the item scores when
 * it had n ≥ 100 respondents; otherwise the instrument's published alpha with the current wave's SD.
 *
 * A district wave's statistics read every response of the wave, so they are cached per database, keyed
 * by the wave, its number of submissions and latest submission time (one count per wave and request;
 * a new submission changes the key, so the cache never serves stale numbers), and the instrument.
 */
import { sampleStandardDeviation } from "simple-statistics";
import { getInstrument } from "../../../../instruments/index";
import type { Instrument } from "../../../../instruments/schema";
import { numericOptions } from "../../../../instruments/schema";
import { changeReference, cronbachAlpha } from "../../../../scoring/index";
import type { Queryable } from "../../db/database";

/** SD and reliability by instrument, as scoring/fuse.ts FuseContext.changeReference wants them. */
export type ChangeRefs = Readonly<Record<string, { readonly sd: number; readonly reliability: number } | undefined>>;

interface WaveStats {
  readonly n: number;
  readonly sd: number;
  readonly alpha: number | null;
}

const caches = new WeakMap<object, Map<string, WaveStats>>();

const [yearOf, seasonOf] = [(key: string) => key.split("|")[0]!, (key: string) => key.split("|")[1]!];

/** Item scores (after reverse keys) of one response, or null when a scored item is blank (complete cases only). */
export function itemScores(inst: Instrument, answers: Readonly<Record<string, unknown>> | null | undefined): number[] | null {
  if (!answers) return null;
  const out: number[] = [];
  for (const item of inst.items) {
    if (!item.scored) continue;
    const v = answers[item.id];
    if (typeof v !== "number") return null;
    if (!item.reverse) {
      out.push(v);
      continue;
    }
    const values = numericOptions(inst, item);
    out.push(Math.max(...values) + Math.min(...values) - v);
  }
  return out;
}

/** How many responses were submitted in a district wave, and the latest submission: the cache key of its statistics. */
async function waveHead(q: Queryable, waveKey: string): Promise<string> {
  const { rows } = await q.query<{ n: number; latest: Date | null }>(
    `SELECT count(*)::int AS n, max(r.submitted_at) AS latest
       FROM waves w JOIN responses r ON r.wave_id = w.id AND r.status = 'submitted'
      WHERE w.school_year = $1 AND w.season = $2`,
    [yearOf(waveKey), seasonOf(waveKey)],
  );
  const { n, latest } = rows[0] ?? { n: 0, latest: null };
  return `${waveKey}|${n}|${latest?.toISOString() ?? ""}`;
}

/** The district wave's n, SD of the total and alpha of the item scores for one instrument (cached under the wave's head). */
async function districtStats(q: Queryable, owner: object, waveKey: string, head: string, inst: Instrument): Promise<WaveStats> {
  const key = `${head}|${inst.id}`;
  let cache = caches.get(owner);
  if (!cache) caches.set(owner, (cache = new Map()));
  const hit = cache.get(key);
  if (hit) return hit;
  const { rows } = await q.query<{ total: number; answers: Record<string, unknown> | null }>(
    `SELECT (res.scores->$3->>'total')::float8 AS total, r.answers->$3 AS answers
       FROM waves w JOIN responses r ON r.wave_id = w.id AND r.status = 'submitted' JOIN results res ON res.response_id = r.id
      WHERE w.school_year = $1 AND w.season = $2 AND res.scores->$3->>'kind' = 'scored'`,
    [yearOf(waveKey), seasonOf(waveKey), inst.id],
  );
  const totals = rows.map((r) => r.total);
  const matrix = rows.map((r) => itemScores(inst, r.answers)).filter((x): x is number[] => x !== null);
  const alpha = cronbachAlpha(matrix);
  const stats: WaveStats = { n: totals.length, sd: totals.length >= 2 ? sampleStandardDeviation(totals) : 0, alpha: alpha.kind === "alpha" ? alpha.alpha : null };
  cache.set(key, stats);
  return stats;
}

/** The SD of the total in a district wave (no cache: one aggregate query). */
async function waveSd(q: Queryable, waveKey: string, instrumentId: string): Promise<number> {
  const { rows } = await q.query<{ sd: number | null }>(
    `SELECT stddev_samp((res.scores->$3->>'total')::float8)::float8 AS sd
       FROM waves w JOIN responses r ON r.wave_id = w.id AND r.status = 'submitted' JOIN results res ON res.response_id = r.id
      WHERE w.school_year = $1 AND w.season = $2 AND res.scores->$3->>'kind' = 'scored'`,
    [yearOf(waveKey), seasonOf(waveKey), instrumentId],
  );
  return rows[0]?.sd ?? 0;
}

/**
 * The change references for each (previous wave, current wave) pair, for `instrumentIds`; an instrument
 * without a usable reference is left out (no RCI is reported for it). `owner` keys the cache (the database).
 * The current wave's SD (a scan of the whole district wave, and one that changes with every submission)
 * is only read when the district's previous wave gives no reference of its own.
 */
export async function loadChangeReferences(q: Queryable, owner: object, pairs: ReadonlySet<string>, instrumentIds: readonly string[]): Promise<Map<string, ChangeRefs>> {
  const out = new Map<string, ChangeRefs>();
  const heads = new Map<string, string>();
  for (const pair of pairs) {
    const [previous, current] = pair.split(">") as [string, string];
    let head = heads.get(previous);
    if (head === undefined) heads.set(previous, (head = await waveHead(q, previous)));
    const refs: Record<string, { sd: number; reliability: number }> = {};
    for (const id of instrumentIds) {
      const inst = getInstrument(id);
      if (!inst) continue;
      const district = await districtStats(q, owner, previous, head, inst);
      const input = {
        ...(district.alpha !== null && { district: { n: district.n, sd: district.sd, alpha: district.alpha } }),
        ...(inst.reliability && { published: { alpha: inst.reliability.alpha } }),
      };
      // changeReference takes the current wave's SD only when the district's reference is not usable.
      let ref = changeReference({ ...input, waveSd: 0 });
      if (ref.kind !== "reference" || ref.basis !== "district") ref = changeReference({ ...input, waveSd: await waveSd(q, current, id) });
      if (ref.kind === "reference") refs[id] = { sd: ref.sd, reliability: ref.reliability };
    }
    out.set(pair, refs);
  }
  return out;
}
