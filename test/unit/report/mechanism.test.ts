import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clipIntegersL1,
  clipRealsL1,
  debiasKrrCounts,
  geometricNoise,
  geometricVariance,
  krrProbabilities,
  laplaceNoise,
  randomizedResponse,
} from '../../../worker/report/mechanism.js';
import { createSeededRandom } from '../../../worker/report/seeded-random.js';
import { mean, sd } from './helpers.js';

describe('k-ary randomized response', () => {
  it('keeps the truth with p and sends each other category with q, so p/q = e^ε', () => {
    const random = createSeededRandom(7);
    const k = 4;
    const epsilon = 1;
    const runs = 40_000;
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < runs; i++) counts[randomizedResponse(2, k, epsilon, random)]! += 1;
    const { p, q } = krrProbabilities(k, epsilon);
    expect(p / q).toBeCloseTo(Math.E, 10);
    expect(counts[2]! / runs).toBeCloseTo(p, 2);
    for (const other of [0, 1, 3]) expect(counts[other]! / runs).toBeCloseTo(q, 2);
  });

  it('debiased counts are unbiased over many seeded runs', () => {
    const truth = [1000, 600, 300, 100];
    const epsilon = 1;
    const estimates: number[][] = [[], [], [], []];
    for (let seed = 1; seed <= 200; seed++) {
      const random = createSeededRandom(seed);
      const reported = [0, 0, 0, 0];
      truth.forEach((n, category) => {
        for (let i = 0; i < n; i++) reported[randomizedResponse(category, 4, epsilon, random)]! += 1;
      });
      debiasKrrCounts(reported, epsilon).forEach((e, c) => estimates[c]!.push(e));
    }
    truth.forEach((n, c) => {
      const runs = estimates[c]!;
      // The mean of 200 unbiased estimates lies within 4 standard errors of the truth.
      expect(Math.abs(mean(runs) - n)).toBeLessThan((4 * sd(runs)) / Math.sqrt(runs.length));
      // And the noise is real: a single run is off by tens of devices.
      expect(sd(runs)).toBeGreaterThan(20);
    });
  });
});

describe('additive noise', () => {
  it('two-sided geometric noise is integer, zero-mean, with variance 2α/(1−α)²', () => {
    const random = createSeededRandom(3);
    const draws = Array.from({ length: 50_000 }, () => geometricNoise(0.5, 2, random));
    expect(draws.every(Number.isInteger)).toBe(true);
    const variance = geometricVariance(0.5, 2);
    expect(Math.abs(mean(draws))).toBeLessThan(4 * Math.sqrt(variance / draws.length));
    expect(sd(draws) ** 2 / variance).toBeGreaterThan(0.95);
    expect(sd(draws) ** 2 / variance).toBeLessThan(1.05);
  });

  it('geometric noise has the e^(−ε/Δ) ratio between neighbouring values', () => {
    const random = createSeededRandom(11);
    const counts = new Map<number, number>();
    for (let i = 0; i < 200_000; i++) {
      const z = geometricNoise(1, 1, random);
      counts.set(z, (counts.get(z) ?? 0) + 1);
    }
    expect(counts.get(1)! / counts.get(0)!).toBeCloseTo(Math.exp(-1), 1);
    expect(counts.get(-1)! / counts.get(0)!).toBeCloseTo(Math.exp(-1), 1);
  });

  it('Laplace noise is zero-mean with variance 2(Δ/ε)²', () => {
    const random = createSeededRandom(5);
    const draws = Array.from({ length: 50_000 }, () => laplaceNoise(2, 1, random));
    expect(Math.abs(mean(draws))).toBeLessThan(4 * Math.sqrt(0.5 / draws.length));
    expect(sd(draws) ** 2).toBeGreaterThan(0.5 * 0.95);
    expect(sd(draws) ** 2).toBeLessThan(0.5 * 1.05);
  });
});

describe('clipping bounds a device contribution', () => {
  it('integers: never above the bound, never above the input, unchanged when within the bound', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 1000 }), { maxLength: 40 }), fc.integer({ min: 1, max: 50 }), (values, bound) => {
        const clipped = clipIntegersL1(values, bound);
        expect(clipped.every((v, i) => Number.isInteger(v) && v >= 0 && v <= values[i]!)).toBe(true);
        const total = values.reduce((s, v) => s + v, 0);
        expect(clipped.reduce((s, v) => s + v, 0)).toBe(Math.min(total, bound));
        if (total <= bound) expect(clipped).toEqual(values);
      }),
    );
  });

  it('reals: scaled to the bound, and garbage (NaN, negative, infinite) counts as zero', () => {
    expect(clipRealsL1([3, 1], 2)).toEqual([1.5, 0.5]);
    expect(clipRealsL1([Number.NaN, -4, Number.POSITIVE_INFINITY, 1], 5)).toEqual([0, 0, 0, 1]);
    expect(clipIntegersL1([Number.NaN, -4, 2.7], 5)).toEqual([0, 0, 2]);
  });
});
