/**
 * Catalog priors built from the reports alone, in the engine's Priors format: item popularity from
 * the item oracle, and item–item neighbours from the pair oracle (co-engagement normalised like a
 * cosine: co(a, b) / √(pop(a)·pop(b))). Noise is kept out where it can be: a pair is a neighbour
 * only when its estimate clears the oracle's noise floor by a margin that grows with the number
 * of pairs tested (see EXPECTED_FALSE_LINKS).
 */
import type { Priors } from '../../worker/types.js';
import { itemKey, pairKeyFromItemKeys, sketchEstimator, type SketchTally } from '../../worker/report/sketch.js';

/** Neighbours kept per item: what the engine's scorer reads; the tail adds noise, not signal. */
export const MAX_NEIGHBOURS = 20;

/**
 * Items considered for neighbour pairs (the most popular by estimate): pairs are queried
 * candidates²/2 times, so this bounds the work (2000 items ≈ 2M pair queries).
 */
export const MAX_NEIGHBOUR_CANDIDATES = 2000;

/**
 * Row lookups the pair queries may take (about a second of one core): with a 1024-row sketch
 * that is the ~440 most popular items, the part of the catalog whose co-engagement rises
 * above the noise at all.
 */
export const PAIR_QUERY_BUDGET = 1e8;

/**
 * Expected number of false entries (items nobody engaged with, pairs nobody engaged with together,
 * whose noise alone clears the bar). Thousands are tested, so the bar grows with their number: an
 * estimate must clear z·noiseSd with z = √(2·ln(tests / EXPECTED_FALSE_LINKS)), and the Gaussian
 * tail bound P(Z > z) ≤ e^(−z²/2) keeps the expected false entries below this.
 */
export const EXPECTED_FALSE_LINKS = 1;

/** The bar never drops below this many standard deviations, however few the tests. */
export const NEIGHBOUR_MIN_Z = 3;

/** A frequency oracle, whatever its mechanism: estimated reports containing a key, and its noise. */
export interface FrequencyOracle {
  estimate(key: number): number;
  noiseSd: number;
  /** Work per `estimate` call (row lookups). */
  queryCost: number;
}

/** Sum of the per-setting sketch estimators (each unbiased for its own reports). */
export function combinedOracle(tallies: Iterable<SketchTally>): FrequencyOracle {
  const estimators = [...tallies].map(sketchEstimator);
  return {
    estimate: (key) => estimators.reduce((sum, e) => sum + e.estimate(key), 0),
    noiseSd: Math.sqrt(estimators.reduce((sum, e) => sum + e.noiseSd ** 2, 0)),
    queryCost: Math.max(1, estimators.reduce((sum, e) => sum + e.queryCost, 0)),
  };
}

/** An exact oracle over counted keys (the no-noise limit, ε = ∞). */
export function exactOracle(counts: ReadonlyMap<number, number>): FrequencyOracle {
  return { estimate: (key) => counts.get(key) ?? 0, noiseSd: 0, queryCost: 1 };
}

export function buildPriors(catalogIds: readonly string[], items: FrequencyOracle, pairs: FrequencyOracle): Priors {
  const ids = [...new Set(catalogIds.filter((id) => typeof id === 'string'))];
  const keys = ids.map(itemKey);
  // An item is popular only when it clears the noise by the same multiple-testing margin as pairs:
  // with no signal, priors stay empty rather than ranking noise.
  const itemBar = significanceZ(ids.length) * items.noiseSd;
  const estimates = keys.map((key) => {
    const estimate = items.estimate(key);
    return estimate > itemBar ? estimate : 0;
  });
  const max = Math.max(0, ...estimates);

  const popularity: Record<string, number> = Object.create(null) as Record<string, number>;
  ids.forEach((id, i) => {
    const estimate = estimates[i] as number;
    if (estimate > 0 && max > 0) popularity[id] = estimate / max;
  });

  const order = ids
    .map((_, i) => i)
    .filter((i) => (estimates[i] as number) > 0)
    .sort((a, b) => (estimates[b] as number) - (estimates[a] as number) || a - b)
    .slice(0, Math.min(MAX_NEIGHBOUR_CANDIDATES, Math.floor(Math.sqrt((2 * PAIR_QUERY_BUDGET) / pairs.queryCost))));
  const threshold = significanceZ((order.length * (order.length - 1)) / 2) * pairs.noiseSd;
  const lists = new Map<number, Array<[number, number]>>();
  for (let x = 0; x < order.length; x++) {
    const a = order[x] as number;
    for (let y = x + 1; y < order.length; y++) {
      const b = order[y] as number;
      const co = pairs.estimate(pairKeyFromItemKeys(keys[a] as number, keys[b] as number));
      if (!(co > threshold) || co <= 0) continue;
      const weight = co / Math.sqrt(Math.max(1, estimates[a] as number) * Math.max(1, estimates[b] as number));
      push(lists, a, b, weight);
      push(lists, b, a, weight);
    }
  }
  const neighbours: Record<string, Array<[string, number]>> = Object.create(null) as Record<string, Array<[string, number]>>;
  for (const [a, list] of lists) {
    neighbours[ids[a] as string] = list.sort((p, q) => q[1] - p[1] || p[0] - q[0]).map(([b, w]) => [ids[b] as string, round(w)]);
  }
  return { version: 1, popularity: plain(popularity), neighbours: plain(neighbours) };
}

/** The margin, in noise standard deviations, for `tests` simultaneous tests (see EXPECTED_FALSE_LINKS). */
export function significanceZ(tests: number): number {
  return Math.max(NEIGHBOUR_MIN_Z, Math.sqrt(2 * Math.log(Math.max(1, tests / EXPECTED_FALSE_LINKS))));
}

/** Keep the best MAX_NEIGHBOURS of an item's list as pairs arrive (a bounded, unsorted pool). */
function push(lists: Map<number, Array<[number, number]>>, from: number, to: number, weight: number): void {
  let list = lists.get(from);
  if (!list) {
    list = [];
    lists.set(from, list);
  }
  if (list.length < MAX_NEIGHBOURS) {
    list.push([to, weight]);
    return;
  }
  let worst = 0;
  for (let i = 1; i < list.length; i++) if ((list[i] as [number, number])[1] < (list[worst] as [number, number])[1]) worst = i;
  if ((list[worst] as [number, number])[1] < weight) list[worst] = [to, weight];
}

const round = (w: number): number => Math.round(w * 1e6) / 1e6;

/** A null-prototype record back to a plain object (keys such as `__proto__` stay own data keys). */
function plain<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record)) Object.defineProperty(out, key, { value: record[key], enumerable: true, writable: true, configurable: true });
  return out;
}
