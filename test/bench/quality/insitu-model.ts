/**
 * insitu on the benchmark, through exactly the public engine API (`insitu/engine`): one engine per
 * user, fed only that user's training events, with priors built from the training split the way
 * a site would ship them (catalog-level aggregates: popularity and item neighbours), ranking
 * every unseen item.
 */
import { buildPriors, createEngine } from '../../../worker/index.js';
import type { CatalogItem, InsituEvent, Priors } from '../../../worker/types.js';
import type { Engine } from '../../../worker/engine-types.js';
import { CUTOFF, type Scorer } from './metrics.js';
import type { MovieLens, Split } from './movielens.js';

export const BENCH_PLACEMENT = 'bench';
/**
 * Every rating is an implicit positive, as for the anchors (which see no rating values either): a
 * rated movie is a movie the user watched, a `view`.
 */
export const BENCH_EVENT_TYPE = 'view';

export interface InsituBench {
  priors: Priors;
  /** Scores for one user; `historyLimit` keeps only the last n training events. */
  scorer(historyLimit?: number): Scorer;
}

export interface InsituBenchOptions {
  /** Priors to ship instead of buildPriors over the training split (e.g. built from noised reports). */
  priors?: Priors;
  /** Diversity weight for the shelf (0: pure relevance, the default). */
  diversity?: number;
  /** Sees each user's top-10 shelf, the user's index and engine (diversity and filter-bubble figures). */
  onShelf?: (itemIds: string[], user: number, engine: Engine) => void;
}

export function createInsituBench(data: MovieLens, split: Split, catalog: CatalogItem[], options: InsituBenchOptions = {}): InsituBench {
  const ids = data.movies.map((m) => m.id);
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const histories = split.users.map(({ train }) => Array.from(train, (item) => ids[item] as string));
  const priors = options.priors ?? buildPriors(histories);
  return {
    priors,
    scorer: (historyLimit) => async (user, scores) => {
      const { train, trainTs } = split.users[user]!;
      // The engine's clock stands at the user's last training event: the moment the next item is
      // recommended (forgetting follows this clock, and the data set's events are from 1997–98).
      const now = (trainTs[train.length - 1] ?? 0) * 1000;
      // No holdout arm: a held-out device ranks by the non-personalized default, and the
      // benchmark measures the personalized ranking on every user.
      const engine = createEngine({ catalog, priors, seed: split.seed * 1_000_003 + user, clock: { now: () => now }, holdoutFraction: 0, ...(options.diversity ? { diversity: options.diversity } : {}) });
      await engine.ready;
      const start = historyLimit === undefined ? 0 : Math.max(0, train.length - historyLimit);
      const events: InsituEvent[] = [];
      for (let t = start; t < train.length; t++) {
        events.push({ id: `u${user}-e${t}`, type: BENCH_EVENT_TYPE, ts: (trainTs[t] as number) * 1000, itemId: ids[train[t] as number] as string });
      }
      engine.track(events);
      const seen = new Set(train);
      const candidates = ids.filter((_, i) => !seen.has(i));
      const ranked = engine.rank({ placement: BENCH_PLACEMENT, candidates, k: CUTOFF });
      options.onShelf?.(ranked.map((entry) => entry.itemId), user, engine);
      // Only the order of the top ten matters to HR@10 and NDCG@10; everything else ties below.
      scores.fill(-Infinity);
      ranked.forEach((entry, position) => {
        const index = indexOf.get(entry.itemId);
        if (index !== undefined) scores[index] = CUTOFF - position;
      });
      await engine.close();
    },
  };
}
