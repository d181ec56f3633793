/** The quality benchmark's own arithmetic: the inverse behind EASE, the ranking metric, the paired interval. */
import { describe, expect, it } from 'vitest';
import { easeScorer, gramMatrix, itemKnnScorer } from '../bench/quality/anchors.js';
import { evaluate, pairedBootstrap, rankOfTarget } from '../bench/quality/metrics.js';
import { leaveLastOut, type MovieLens, type Split } from '../bench/quality/movielens.js';
import { invertSpd } from '../bench/quality/spd-inverse.js';
import { createSeededRandom } from '../../worker/seeded-random.js';

function product(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) out[i * n + j]! += a[i * n + k]! * b[k * n + j]!;
  return out;
}

describe('invertSpd', () => {
  it('inverts a 2×2 by hand: [[4, 2], [2, 3]]⁻¹ = [[3, −2], [−2, 4]] / 8', () => {
    const inverse = invertSpd(Float64Array.from([4, 2, 2, 3]), 2);
    [3 / 8, -2 / 8, -2 / 8, 4 / 8].forEach((v, i) => expect(inverse[i]).toBeCloseTo(v, 14));
  });

  it('gives G·G⁻¹ = I for random SPD matrices', () => {
    const random = createSeededRandom(1);
    for (const n of [1, 3, 17, 60]) {
      const a = Float64Array.from({ length: n * n }, () => random.next() - 0.5);
      const at = Float64Array.from({ length: n * n }, (_, k) => a[(k % n) * n + Math.floor(k / n)]!);
      const g = product(a, at, n);
      for (let i = 0; i < n; i++) g[i * n + i]! += 0.5;
      const identity = product(g, invertSpd(g, n), n);
      identity.forEach((v, k) => expect(v).toBeCloseTo(k % (n + 1) === 0 ? 1 : 0, 10));
    }
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() => invertSpd(Float64Array.from([1, 2, 2, 1]), 2)).toThrow(/positive definite/);
  });
});

describe('rankOfTarget', () => {
  it('counts unseen items scored above the target, skipping seen ones', () => {
    const scores = Float64Array.from([5, 4, 3, 2, 1]);
    const seen = Uint8Array.from([1, 0, 0, 0, 0]);
    expect(rankOfTarget(scores, seen, 3, createSeededRandom(1))).toBe(2); // items 1 and 2 above, item 0 seen
  });

  it('puts the target at a uniformly random place among ties', () => {
    const scores = new Float64Array(10); // all tied: the expected rank is 4.5
    const seen = new Uint8Array(10);
    const random = createSeededRandom(2);
    let sum = 0;
    const draws = 4_000;
    for (let d = 0; d < draws; d++) sum += rankOfTarget(scores, seen, 0, random);
    expect(sum / draws).toBeGreaterThan(4.3);
    expect(sum / draws).toBeLessThan(4.7);
  });
});

describe('evaluate', () => {
  const split: Split = {
    seed: 1,
    items: 12,
    users: [
      { train: Int32Array.from([0, 1]), trainTs: Float64Array.from([1, 2]), test: 2, testTs: 3 },
      { train: Int32Array.from([0]), trainTs: Float64Array.from([1]), test: 11, testTs: 2 },
    ],
  };

  it('scores HR@10 and NDCG@10 from the rank among unseen items', async () => {
    // Higher index scores lower: user 0 ranks item 2 first of the unseen; user 1 ranks item 11 last (rank 10).
    const metrics = await evaluate(split, (_user, scores) => scores.forEach((_, i) => (scores[i] = -i)), createSeededRandom(1));
    expect(Array.from(metrics.hit)).toEqual([1, 0]);
    expect(metrics.ndcg[0]).toBeCloseTo(1, 14);
    expect(metrics.ndcg[1]).toBe(0);
  });

  it('EASE and ItemKNN recommend the item that co-occurs with the history', async () => {
    // Items 0 and 1 always appear together; user 2 has seen only 0 and holds out 1.
    const pairs: Split = {
      seed: 1,
      items: 30,
      users: [
        ...Array.from({ length: 6 }, (_, u) => ({ train: Int32Array.from([0, 1, 2 + u]), trainTs: new Float64Array(3), test: 20 + u, testTs: 0 })),
        { train: Int32Array.from([0]), trainTs: new Float64Array(1), test: 1, testTs: 0 },
      ],
    };
    const gram = gramMatrix(pairs);
    for (const scorer of [easeScorer(pairs, gram, 1), itemKnnScorer(pairs, gram, 5)]) {
      const metrics = await evaluate(pairs, scorer, createSeededRandom(1));
      expect(metrics.ndcg[6]).toBeCloseTo(1, 14);
    }
  });
});

describe('pairedBootstrap', () => {
  it('is centred on the mean difference and excludes zero for a consistent gain', () => {
    const a = Float64Array.from({ length: 400 }, (_, i) => (i % 4 === 0 ? 1 : 0)); // 0.25
    const b = Float64Array.from({ length: 400 }, (_, i) => (i % 10 === 0 ? 1 : 0)); // 0.10
    const interval = pairedBootstrap(a, b, createSeededRandom(3), 1_000);
    expect(interval.mean).toBeCloseTo(0.15, 12);
    expect(interval.lo).toBeGreaterThan(0.08);
    expect(interval.hi).toBeLessThan(0.22);
  });
});

describe('leaveLastOut', () => {
  // One user: items 0 and 1 earlier, items 2..5 all rated in the last second.
  const data: MovieLens = {
    users: 1,
    movies: Array.from({ length: 6 }, (_, i) => ({ id: String(i + 1), title: `m${i}`, genres: [] })),
    ratings: [5, 4, 3, 2, 1, 0].map((item) => ({ user: 0, item, ts: item < 2 ? 100 + item : 200 })),
  };

  it('holds out one of the tied last ratings, the same one for the same seed', () => {
    const first = leaveLastOut(data, 7).users[0]!;
    expect(first.test).toBeGreaterThanOrEqual(2);
    expect(Array.from(first.train.slice(0, 2))).toEqual([0, 1]);
    expect(leaveLastOut(data, 7).users[0]!.test).toBe(first.test);
    const heldOut = new Set(Array.from({ length: 40 }, (_, seed) => leaveLastOut(data, seed).users[0]!.test));
    expect([...heldOut].sort()).toEqual([2, 3, 4, 5]);
  });
});
