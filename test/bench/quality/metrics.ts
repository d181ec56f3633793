/**
 * Full-catalog leave-last-out metrics: the held-out item is ranked against every item the user
 * has not seen in training. HR@10: is it in the top ten; NDCG@10: 1/log2(rank + 2) when it is.
 */
import { percentile } from '../../../worker/off-policy.js';
import type { RandomSource } from '../../../worker/types.js';
import type { Split } from './movielens.js';

export const CUTOFF = 10;
/** Bootstrap resamples for the paired interval: percentiles settle to about ±0.1 SE. */
export const PAIRED_BOOTSTRAP_RESAMPLES = 2_000;

/** Fills `scores` (one per catalog item, zeroed before the call) for a user; higher is better. */
export type Scorer = (user: number, scores: Float64Array) => void | Promise<void>;

export interface UserMetrics {
  hit: Float64Array;
  ndcg: Float64Array;
}

/**
 * 0-based rank of `target` among unseen items. Ties are broken uniformly at random so a model
 * that cannot tell items apart gets the expected, not the best, position.
 */
export function rankOfTarget(scores: Float64Array, seen: Uint8Array, target: number, random: RandomSource): number {
  const targetScore = scores[target] as number;
  let greater = 0;
  let equal = 0;
  for (let i = 0; i < scores.length; i++) {
    if (seen[i] || i === target) continue;
    const s = scores[i] as number;
    if (s > targetScore) greater++;
    else if (s === targetScore) equal++;
  }
  return greater + Math.floor(random.next() * (equal + 1));
}

export async function evaluate(split: Split, scorer: Scorer, random: RandomSource): Promise<UserMetrics> {
  const hit = new Float64Array(split.users.length);
  const ndcg = new Float64Array(split.users.length);
  const scores = new Float64Array(split.items);
  const seen = new Uint8Array(split.items);
  for (const user of split.users.keys()) {
    const { train, test } = split.users[user]!;
    scores.fill(0);
    await scorer(user, scores);
    seen.fill(0);
    for (const item of train) seen[item] = 1;
    const rank = rankOfTarget(scores, seen, test, random);
    if (rank < CUTOFF) {
      hit[user] = 1;
      ndcg[user] = 1 / Math.log2(rank + 2);
    }
  }
  return { hit, ndcg };
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return values.length ? sum / values.length : 0;
}

/**
 * Paired bootstrap over users of mean(a − b): both models were scored on the same users and the
 * same held-out items, so resampling users keeps each user's pair together.
 */
export function pairedBootstrap(a: ArrayLike<number>, b: ArrayLike<number>, random: RandomSource, resamples = PAIRED_BOOTSTRAP_RESAMPLES) {
  const n = a.length;
  const diff = Float64Array.from({ length: n }, (_, i) => (a[i] as number) - (b[i] as number));
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += diff[Math.floor(random.next() * n)] as number;
    means[r] = sum / n;
  }
  means.sort();
  return { mean: mean(diff), lo: percentile(means, 0.025), hi: percentile(means, 0.975) };
}
