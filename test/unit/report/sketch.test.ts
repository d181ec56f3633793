import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';
import {
  addAnswer,
  emptyTally,
  encodeKey,
  itemKey,
  pairKey,
  sampleKey,
  sketchBucket,
  sketchEstimator,
  sketchWidth,
} from '../../../worker/report/sketch.js';
import { mean, sd } from './helpers.js';

describe('hashed frequency oracle for items', () => {
  it('hashes are fixed (device and collector must agree) and pairs are order-free', () => {
    // Golden values (FNV-1a 32 then murmur3 fmix32, computed independently): changing the hash
    // silently breaks every deployed collector.
    expect([itemKey(''), itemKey('a'), itemKey('movie-1')]).toEqual([2872998923, 444641715, 1703235687]);
    expect(pairKey('a', 'b')).toBe(pairKey('b', 'a'));
    expect(pairKey('a', 'b')).not.toBe(pairKey('a', 'c'));
    expect(sketchBucket(itemKey('a'), 3, 7)).toBeLessThan(7);
  });

  it('width follows e^ε + 1 within its bounds', () => {
    expect(sketchWidth(0.01)).toBe(2);
    expect(sketchWidth(1)).toBe(4);
    expect(sketchWidth(50)).toBe(1024);
  });

  it('estimates of how many devices hold an item are unbiased (padding-and-sampling, ε = 1)', () => {
    const items = Array.from({ length: 40 }, (_, i) => `item-${i}`);
    // 3000 devices, each with a set of 1–4 items drawn with a Zipf-like skew.
    const setup = createSeededRandom(99);
    const sets = Array.from({ length: 3000 }, () => {
      const size = 1 + Math.floor(setup.next() * 4);
      const set = new Set<string>();
      while (set.size < size) set.add(items[Math.floor(items.length * setup.next() ** 2)]!);
      return [...set];
    });
    const truth = new Map<string, number>();
    for (const set of sets) for (const id of set) truth.set(id, (truth.get(id) ?? 0) + 1);

    const epsilon = 1;
    const padding = 4;
    const tracked = ['item-0', 'item-5', 'item-30'];
    const runs: Record<string, number[]> = Object.fromEntries(tracked.map((id) => [id, []]));
    const noiseSds: number[] = [];
    for (let seed = 1; seed <= 60; seed++) {
      const random = createSeededRandom(seed);
      const tally = emptyTally({ rows: 1024, width: sketchWidth(epsilon), padding, epsilon });
      for (const set of sets) addAnswer(tally, encodeKey(sampleKey(set.map(itemKey), padding, random), tally, random));
      const estimator = sketchEstimator(tally);
      noiseSds.push(estimator.noiseSd);
      for (const id of tracked) runs[id]!.push(estimator.estimate(itemKey(id)));
    }
    for (const id of tracked) {
      const estimates = runs[id]!;
      expect(Math.abs(mean(estimates) - (truth.get(id) ?? 0))).toBeLessThan((4 * sd(estimates)) / Math.sqrt(estimates.length));
    }
    // The stated noise floor matches the spread actually seen for a rare item (within 25%).
    expect(sd(runs['item-30']!) / mean(noiseSds)).toBeGreaterThan(0.75);
    expect(sd(runs['item-30']!) / mean(noiseSds)).toBeLessThan(1.25);
  });
});
