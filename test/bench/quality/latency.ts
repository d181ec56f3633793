/**
 * Per-decision latency in the engine (issue item 4): `decide()` over 50 and 500 candidates on the
 * MovieLens catalog with priors, after a short history, timed call by call. This is the engine
 * alone, in Node; the page-to-worker round trip adds the comlink hop on top.
 */
import { buildPriors, createEngine } from '../../../worker/index.js';
import { percentile } from '../../../worker/off-policy.js';
import { createSeededRandom } from '../../../worker/seeded-random.js';
import type { CatalogItem, InsituEvent } from '../../../worker/types.js';
import type { Split } from './movielens.js';

export const LATENCY_CANDIDATES = [50, 500];
/** Timed decisions per size: enough for a stable 99th percentile (20 calls above it). */
const TIMED_DECISIONS = 2_000;
/** Untimed decisions first, so the JIT has compiled the scoring path. */
const WARMUP_DECISIONS = 200;
/** History the device has before the timed decisions. */
const HISTORY_EVENTS = 50;

export interface LatencyResult {
  candidates: number;
  p50Ms: number;
  p99Ms: number;
}

export async function measureDecideLatency(split: Split, catalog: CatalogItem[]): Promise<LatencyResult[]> {
  const ids = catalog.map((item) => item.id);
  const priors = buildPriors(split.users.map(({ train }) => Array.from(train, (item) => ids[item]!)));
  const random = createSeededRandom(split.seed);
  let now = 1_574_553_600_000;
  const engine = createEngine({ catalog, priors, seed: split.seed, clock: { now: () => now }, holdoutFraction: 0 });
  await engine.ready;
  const user = split.users[0]!;
  const history: InsituEvent[] = Array.from(user.train.slice(0, HISTORY_EVENTS), (item, t) => ({ id: `l${t}`, type: 'view', ts: now - (HISTORY_EVENTS - t) * 60_000, itemId: ids[item]! }));
  engine.track(history);
  const results: LatencyResult[] = [];
  for (const size of LATENCY_CANDIDATES) {
    const timings = new Float64Array(TIMED_DECISIONS);
    for (let n = -WARMUP_DECISIONS; n < TIMED_DECISIONS; n++) {
      const candidates = sample(ids, size, random);
      now += 1_000;
      const start = performance.now();
      const record = engine.decide({ placement: 'latency', candidates });
      const elapsed = performance.now() - start;
      engine.reward(record.decisionId, random.next() < 0.05 ? 1 : 0);
      if (n >= 0) timings[n] = elapsed;
    }
    timings.sort();
    results.push({ candidates: size, p50Ms: percentile(timings, 0.5), p99Ms: percentile(timings, 0.99) });
  }
  await engine.close();
  return results;
}

function sample(ids: readonly string[], k: number, random: { next(): number }): string[] {
  const chosen = new Set<string>();
  while (chosen.size < k) chosen.add(ids[Math.floor(random.next() * ids.length)]!);
  return [...chosen];
}
