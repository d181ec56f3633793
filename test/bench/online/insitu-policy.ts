/**
 * insitu in the online simulator, through the public engine API only: one engine per simulated
 * device, `decide()` each round, `reward()` when the feedback arrives, a simulated clock of one
 * round a minute (or, for the insitu-daily row, a day). Priors are built from every MovieLens user's history, as a site would ship them;
 * the catalog carries the ground truth's item vectors as `embedding`, the same features the
 * linear anchors get.
 */
import { buildPriors, createEngine } from '../../../worker/index.js';
import type { CatalogItem, Priors } from '../../../worker/types.js';
import type { MovieLens } from '../quality/movielens.js';
import type { OnlinePolicy, PolicyFactory } from './policies.js';
import { ROUND_MS, SIM_PLACEMENT, START_MS } from './settings.js';

export function insituPolicyFactory(data: MovieLens, catalog: CatalogItem[], roundMs = ROUND_MS): PolicyFactory {
  const ids = data.movies.map((m) => m.id);
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  const byUser: number[][] = Array.from({ length: data.users }, () => []);
  for (const r of [...data.ratings].sort((a, b) => a.ts - b.ts)) byUser[r.user]!.push(r.item);
  const priors: Priors = buildPriors(byUser.map((items) => items.map((i) => ids[i]!)));
  return async (user) => {
    let now = START_MS;
    // No holdout arm: the benchmark measures the personalized policy on every device.
    const engine = createEngine({ catalog, priors, seed: user + 1, clock: { now: () => now }, holdoutFraction: 0 });
    await engine.ready;
    const decisions = new Map<number, string>();
    const policy: OnlinePolicy = {
      choose(candidates, round) {
        now = START_MS + round * roundMs;
        const record = engine.decide({ placement: SIM_PLACEMENT, candidates: candidates.map((i) => ids[i]!) });
        decisions.set(round, record.decisionId);
        return indexOf.get(record.itemId) ?? -1;
      },
      learn(round, _item, reward) {
        const decisionId = decisions.get(round);
        decisions.delete(round);
        if (decisionId !== undefined) engine.reward(decisionId, reward);
      },
    };
    return policy;
  };
}
