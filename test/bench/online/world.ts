/**
 * The simulator's ground truth, fitted on MovieLens-100K: a logistic matrix factorization of
 * "this user rated this movie" (every rating a positive, unrated pairs sampled as negatives each
 * epoch), with the intercept corrected for that sampling so probabilities sit at the data's real
 * rate. A user's click probability for an item is σ(bias + item bias + userᵀ·item).
 * The item vectors are also what the catalog ships as `embedding`: every policy sees the same
 * item features, and none sees the user vector.
 */
import { createSeededRandom } from '../../../worker/seeded-random.js';
import type { MovieLens } from '../quality/movielens.js';

/** Latent dimensions: enough for genre-and-era structure, few enough for a bandit to learn on a device. */
export const FACTORS = 8;
/** SGD settings for the fit; 30 epochs bring the sampled log-loss to a plateau. */
const EPOCHS = 30;
const LEARNING_RATE = 0.05;
const L2 = 0.01;
const INIT_SD = 0.1;

export interface World {
  users: number;
  items: number;
  itemVectors: Float64Array[];
  itemBias: Float64Array;
  userVectors: Float64Array[];
  intercept: number;
  /** All-time rating counts: what the popularity anchor ranks by. */
  itemCounts: Float64Array;
  /** Click probability of every item for the user whose taste is `user`'s (cached). */
  clickProbabilities(user: number): Float64Array;
}

export function fitWorld(data: MovieLens, seed: number): World {
  const random = createSeededRandom(seed);
  const gaussian = () => INIT_SD * Math.sqrt(-2 * Math.log(1 - random.next())) * Math.cos(2 * Math.PI * random.next());
  const users = data.users;
  const items = data.movies.length;
  const userVectors = Array.from({ length: users }, () => Float64Array.from({ length: FACTORS }, gaussian));
  const itemVectors = Array.from({ length: items }, () => Float64Array.from({ length: FACTORS }, gaussian));
  const itemBias = new Float64Array(items);
  let bias = 0;
  const rated = new Set(data.ratings.map((r) => r.user * items + r.item));
  const itemCounts = new Float64Array(items);
  for (const r of data.ratings) itemCounts[r.item]! += 1;

  const step = (user: number, item: number, label: number) => {
    const u = userVectors[user]!;
    const v = itemVectors[item]!;
    const p = 1 / (1 + Math.exp(-(bias + itemBias[item]! + dot(u, v))));
    const g = label - p;
    bias += LEARNING_RATE * g;
    itemBias[item]! += LEARNING_RATE * (g - L2 * itemBias[item]!);
    for (let f = 0; f < FACTORS; f++) {
      const uf = u[f]!;
      u[f] = uf + LEARNING_RATE * (g * v[f]! - L2 * uf);
      v[f] = v[f]! + LEARNING_RATE * (g * uf - L2 * v[f]!);
    }
  };
  const order = data.ratings.map((_, i) => i);
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const index of order) {
      const r = data.ratings[index]!;
      step(r.user, r.item, 1);
      // One unrated pair per rating, fresh each epoch.
      for (;;) {
        const user = Math.floor(random.next() * users);
        const item = Math.floor(random.next() * items);
        if (rated.has(user * items + item)) continue;
        step(user, item, 0);
        break;
      }
    }
  }
  // Case-control correction: the fit saw one unrated pair per rating; the world has many more.
  const intercept = bias + Math.log(data.ratings.length / (users * items - data.ratings.length));

  const cache = new Map<number, Float64Array>();
  return {
    users,
    items,
    itemVectors,
    itemBias,
    userVectors,
    intercept,
    itemCounts,
    clickProbabilities(user) {
      let p = cache.get(user);
      if (!p) {
        const u = userVectors[user]!;
        p = Float64Array.from(itemVectors, (v, item) => 1 / (1 + Math.exp(-(intercept + itemBias[item]! + dot(u, v)))));
        cache.set(user, p);
      }
      return p;
    },
  };
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}
