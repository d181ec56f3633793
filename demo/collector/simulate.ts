/**
 * Priors from simulated reports, in memory: every history goes through the device-side mechanism
 * (clipping to M items and M consecutive pairs per report, padding-and-sampling, hashed k-RR at the
 * items' and pairs' share of the report's ε, the privacy-budget ledger) and the collector-side
 * aggregation, exactly as in production, with no HTTP in between. For the quality benchmark's rows
 * "insitu with priors from reports at ε ∞, 8, 2, 1".
 *
 * How a history becomes reports: it is cut into consecutive chunks of M items (one report period
 * each), and the device reports its most recent chunks, as many as its budget allows in one window
 * (floor(PRIVACY_BUDGET_EPSILON / ε)), as if its whole history fell within one 30-day window — the
 * conservative reading. At ε = ∞ there is no noise and no budget: every chunk is counted exactly.
 */
import type { Priors } from '../../worker/types.js';
import { PRIVACY_BUDGET_EPSILON } from '../../worker/report/ledger.js';
import { activeParts, clipItems, CONTRIBUTION_BOUNDS, splitEpsilon } from '../../worker/report/privatize.js';
import type { EpsilonSplit } from '../../worker/report/report-types.js';
import { createSeededRandom } from '../../worker/report/seeded-random.js';
import { addAnswer, emptyTally, encodeKey, itemKey, pairKeyFromItemKeys, sampleKey, sketchWidth, SKETCH_ROWS } from '../../worker/report/sketch.js';
import { buildPriors, combinedOracle, exactOracle } from './priors.js';

export interface SimulationOptions {
  /** Relative weights of the report parts (default: the device's DEFAULT_EPSILON_SPLIT, all parts active). */
  split?: Partial<EpsilonSplit>;
  budgetEpsilon?: number;
  sketchRows?: number;
}

export function simulatePriorsFromHistories(
  histories: string[][],
  catalogIds: string[],
  epsilon: number,
  seed: number,
  options: SimulationOptions = {},
): Priors {
  const catalog = new Set(catalogIds);
  const exact = epsilon === Number.POSITIVE_INFINITY;
  if (!exact && !(Number.isFinite(epsilon) && epsilon > 0)) throw new RangeError('epsilon must be positive (or Infinity)');
  const random = createSeededRandom(seed);
  // The split of a device with placements and a catalog: every part with a positive weight is active.
  const shares = exact ? undefined : splitEpsilon(epsilon, activeParts({ placements: ['p'], hasCatalog: true }, options.split), options.split);
  if (shares && !(shares.items > 0 && shares.pairs > 0)) throw new RangeError('the split must give items and pairs a positive share');
  const reportsPerDevice = exact ? Number.POSITIVE_INFINITY : Math.floor((options.budgetEpsilon ?? PRIVACY_BUDGET_EPSILON) / epsilon + 1e-9);
  const rows = options.sketchRows ?? SKETCH_ROWS;
  const M = CONTRIBUTION_BOUNDS.items;

  const exactItems = new Map<number, number>();
  const exactPairs = new Map<number, number>();
  const itemTally = shares && emptyTally({ rows, width: sketchWidth(shares.items), padding: CONTRIBUTION_BOUNDS.items, epsilon: shares.items });
  const pairTally = shares && emptyTally({ rows, width: sketchWidth(shares.pairs), padding: CONTRIBUTION_BOUNDS.pairs, epsilon: shares.pairs });

  for (const history of histories) {
    const items = history.filter((id) => catalog.has(id));
    // Periods of M items, counted back from the most recent, so that only the oldest may be short.
    const chunks: string[][] = [];
    for (let end = items.length; end > 0; end -= M) chunks.unshift(items.slice(Math.max(0, end - M), end));
    for (const chunk of chunks.slice(Math.max(0, chunks.length - reportsPerDevice))) {
      const clipped = clipItems(chunk);
      const itemKeys = clipped.items.map(itemKey);
      const pairKeys = clipped.pairs.map(([a, b]) => pairKeyFromItemKeys(itemKey(a), itemKey(b)));
      if (!itemTally || !pairTally || !shares) {
        for (const key of itemKeys) exactItems.set(key, (exactItems.get(key) ?? 0) + 1);
        for (const key of pairKeys) exactPairs.set(key, (exactPairs.get(key) ?? 0) + 1);
        continue;
      }
      addAnswer(itemTally, encodeKey(sampleKey(itemKeys, itemTally.padding, random), itemTally, random));
      addAnswer(pairTally, encodeKey(sampleKey(pairKeys, pairTally.padding, random), pairTally, random));
    }
  }
  if (!itemTally || !pairTally) return buildPriors(catalogIds, exactOracle(exactItems), exactOracle(exactPairs));
  return buildPriors(catalogIds, combinedOracle([itemTally]), combinedOracle([pairTally]));
}
