/**
 * The online anchors. Each simulated user gets fresh instances (a device learns alone); the
 * linear ones share one feature map over items: the catalog's item embedding, the item's bias and
 * a constant (what a site can ship; the user's vector stays unknown).
 */
import { FrequencyCaps } from '../../../worker/decide/caps.js';
import type { RandomSource } from '../../../worker/types.js';
import { Ridge } from './ridge.js';
import { SIM_PLACEMENT, START_MS } from './settings.js';
import type { World } from './world.js';

export interface OnlinePolicy {
  /** The chosen item, one of `candidates`. */
  choose(candidates: readonly number[], round: number): number;
  /** Feedback for the item chosen at `round` (it may arrive rounds later). */
  learn(round: number, item: number, reward: number): void;
}

export type PolicyFactory = (user: number, random: RandomSource) => OnlinePolicy | Promise<OnlinePolicy>;

/** Ridge prior strength: one pseudo-observation of zero reward per dimension. */
export const RIDGE_LAMBDA = 1;
/** ε-greedy's exploration share: the textbook 10%. */
export const EPSILON = 0.1;
/**
 * LinUCB's confidence multiplier and LinTS's posterior scale. Rewards are clicks at a few percent,
 * so the noise scale is far below 1. Swept on the stationary scenario (50 devices): LinUCB regret
 * 13.9, 13.8, 12.8, 12.9, 15.6 for α = 0.05, 0.1, 0.2, 0.5, 1; LinTS 16.0, 15.9, 18.3, 34.7, 68.3
 * for the same scales. Each anchor runs at its best.
 */
export const LINUCB_ALPHA = 0.2;
export const LINTS_SCALE = 0.1;

export function itemFeatures(world: World): Float64Array[] {
  return world.itemVectors.map((vector, item) => Float64Array.from([...vector, world.itemBias[item]!, 1]));
}

export function randomPolicy(random: RandomSource): OnlinePolicy {
  return { choose: (candidates) => candidates[Math.floor(random.next() * candidates.length)]!, learn() {} };
}

/** The most popular candidate, by all-time rating counts: the non-personalized default. */
export function popularityPolicy(world: World): OnlinePolicy {
  return { choose: (candidates) => argmax(candidates, (item) => world.itemCounts[item]!), learn() {} };
}

export function epsilonGreedyPolicy(features: Float64Array[], random: RandomSource): OnlinePolicy {
  const model = new Ridge(features[0]!.length, RIDGE_LAMBDA);
  return {
    choose(candidates) {
      if (random.next() < EPSILON) return candidates[Math.floor(random.next() * candidates.length)]!;
      return argmax(candidates, (item) => model.predict(features[item]!));
    },
    learn: (_round, item, reward) => model.update(features[item]!, reward),
  };
}

export function linUcbPolicy(features: Float64Array[]): OnlinePolicy {
  const model = new Ridge(features[0]!.length, RIDGE_LAMBDA);
  return {
    choose: (candidates) => argmax(candidates, (item) => model.predict(features[item]!) + LINUCB_ALPHA * Math.sqrt(model.variance(features[item]!))),
    learn: (_round, item, reward) => model.update(features[item]!, reward),
  };
}

export function linTsPolicy(features: Float64Array[], random: RandomSource): OnlinePolicy {
  const model = new Ridge(features[0]!.length, RIDGE_LAMBDA);
  const theta = new Float64Array(model.dimensions);
  return {
    choose(candidates) {
      model.sample(LINTS_SCALE, random, theta);
      return argmax(candidates, (item) => {
        const x = features[item]!;
        let s = 0;
        for (let i = 0; i < x.length; i++) s += theta[i]! * x[i]!;
        return s;
      });
    },
    learn: (_round, item, reward) => model.update(features[item]!, reward),
  };
}

/**
 * The engine's frequency caps as a site rule around any policy: each round the policy chooses
 * only among the candidates the caps leave eligible (the engine's own FrequencyCaps: the same
 * thresholds, the same "never blank" rule, a click lifts the item's caps), with a simulated clock
 * of `roundMs` per round. Regret is still measured against the best of all candidates, so every
 * policy pays what the caps cost.
 */
export function withCaps(policy: OnlinePolicy, roundMs: number): OnlinePolicy {
  const caps = new FrequencyCaps();
  return {
    choose(candidates, round) {
      const now = START_MS + round * roundMs;
      const { eligible } = caps.eligibility(SIM_PLACEMENT, candidates.map(String), now);
      const chosen = policy.choose(
        candidates.filter((_, a) => eligible[a]),
        round,
      );
      caps.record(SIM_PLACEMENT, String(chosen), now);
      return chosen;
    },
    learn(round, item, reward) {
      if (reward > 0) caps.clear(String(item), SIM_PLACEMENT);
      policy.learn(round, item, reward);
    },
  };
}

function argmax(candidates: readonly number[], score: (item: number) => number): number {
  let best = candidates[0]!;
  let bestScore = -Infinity;
  for (const item of candidates) {
    const s = score(item);
    if (s > bestScore) {
      bestScore = s;
      best = item;
    }
  }
  return best;
}
