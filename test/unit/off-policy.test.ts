import { describe, expect, it } from 'vitest';
import { InsituError } from '../../worker/errors.js';
import {
  Z_95,
  doublyRobustEstimate,
  ipsEstimate,
  loggingPolicy,
  snipsEstimate,
  type TargetPolicy,
} from '../../worker/off-policy.js';
import { createSeededRandom } from '../../worker/seeded-random.js';
import type { DecisionRecord } from '../../worker/types.js';

function record(id: string, probabilities: number[], chosen: number, reward: number | undefined, candidates = ['a', 'b']): DecisionRecord {
  const itemId = candidates[chosen] as string;
  return {
    decisionId: id,
    placement: 'home',
    itemId,
    propensity: probabilities[chosen] as number,
    exploring: false,
    policy: 'personalized',
    reasons: [],
    ts: 0,
    candidates,
    scores: candidates.map(() => 0),
    probabilities,
    ...(reward === undefined ? {} : { reward }),
  };
}

/** Four decisions over candidates a, b; the target policy shows a with 0.8. */
const log = [
  record('d1', [0.5, 0.5], 0, 1), // w = 0.8/0.5 = 1.6
  record('d2', [0.25, 0.75], 1, 0), // w = 0.2/0.75 = 4/15
  record('d3', [0.25, 0.75], 0, 1), // w = 0.8/0.25 = 3.2
  record('d4', [0.5, 0.5], 1, 1), // w = 0.2/0.5 = 0.4
];
const preferA: TargetPolicy = () => [0.8, 0.2];

describe('inverse propensity scoring', () => {
  it('is the mean of weight × reward, with the normal interval from the sample variance', () => {
    const estimate = ipsEstimate(log, preferA);
    // w·r = 1.6, 0, 3.2, 0.4 → mean 1.3; squared deviations 0.09 + 1.69 + 3.61 + 0.81 = 6.2.
    expect(estimate.value).toBeCloseTo(1.3, 12);
    const stdError = Math.sqrt(6.2 / 3 / 4);
    expect(estimate.stdError).toBeCloseTo(stdError, 12);
    expect(estimate.lo).toBeCloseTo(1.3 - Z_95 * stdError, 12);
    expect(estimate.hi).toBeCloseTo(1.3 + Z_95 * stdError, 12);
    expect(estimate.n).toBe(4);
    // Σw = 82/15, Σw² = 2.56 + 16/225 + 10.24 + 0.16.
    const sumSquares = 2.56 + 16 / 225 + 10.24 + 0.16;
    expect(estimate.effectiveSampleSize).toBeCloseTo((82 / 15) ** 2 / sumSquares, 12);
  });

  it('on its own log (on-policy) equals the mean reward and its plain interval', () => {
    const estimate = ipsEstimate(log, loggingPolicy);
    expect(estimate.value).toBeCloseTo(0.75, 12);
    // Rewards 1, 0, 1, 1: sample variance 0.25.
    expect(estimate.stdError).toBeCloseTo(Math.sqrt(0.25 / 4), 12);
    expect(estimate.effectiveSampleSize).toBeCloseTo(4, 12);
  });

  it('counts a missing reward as zero, or skips it when asked', () => {
    const pending = [...log, record('d5', [0.5, 0.5], 0, undefined)];
    expect(ipsEstimate(pending, preferA).value).toBeCloseTo(5.2 / 5, 12);
    expect(ipsEstimate(pending, preferA, { missingReward: 'skip' }).value).toBeCloseTo(1.3, 12);
  });
});

describe('self-normalized IPS', () => {
  it('is Σw·r / Σw with a delta-method interval', () => {
    const estimate = snipsEstimate(log, preferA);
    const value = 5.2 / (82 / 15); // = 39/41
    expect(estimate.value).toBeCloseTo(39 / 41, 12);
    const weights = [1.6, 4 / 15, 3.2, 0.4];
    const rewards = [1, 0, 1, 1];
    const meanWeight = 82 / 15 / 4;
    const contributions = weights.map((w, i) => (w * ((rewards[i] as number) - value)) / meanWeight);
    const mean = contributions.reduce((s, c) => s + c, 0) / 4;
    const variance = contributions.reduce((s, c) => s + (c - mean) ** 2, 0) / 3;
    expect(estimate.stdError).toBeCloseTo(Math.sqrt(variance / 4), 12);
  });

  it('equals the mean reward on-policy', () => {
    expect(snipsEstimate(log, loggingPolicy).value).toBeCloseTo(0.75, 12);
  });
});

describe('doubly robust', () => {
  const model = (r: DecisionRecord, index: number) => (r.candidates[index] === 'a' ? 0.6 : 0.3);

  it('adds the weighted residual to the model value', () => {
    // Model value under the target: 0.8·0.6 + 0.2·0.3 = 0.54 for every decision.
    // Terms: 0.54 + 1.6·0.4, 0.54 − (4/15)·0.3, 0.54 + 3.2·0.4, 0.54 + 0.4·0.7 = 1.18, 0.46, 1.82, 0.82.
    const estimate = doublyRobustEstimate(log, preferA, model);
    expect(estimate.value).toBeCloseTo(1.07, 12);
    const terms = [1.18, 0.46, 1.82, 0.82];
    const variance = terms.reduce((s, t) => s + (t - 1.07) ** 2, 0) / 3;
    expect(estimate.stdError).toBeCloseTo(Math.sqrt(variance / 4), 12);
  });

  it('with a zero reward model is IPS', () => {
    const dr = doublyRobustEstimate(log, preferA, () => 0);
    const ips = ipsEstimate(log, preferA);
    expect(dr.value).toBeCloseTo(ips.value, 12);
    expect(dr.stdError).toBeCloseTo(ips.stdError, 12);
  });

  it('on-policy has unit weights: mean reward plus the model\'s centred error', () => {
    // Model value under the logging policy: 0.45 for [0.5, 0.5], 0.375 for [0.25, 0.75].
    // Terms: 0.45 + 0.4, 0.375 − 0.3, 0.375 + 0.4, 0.45 + 0.7 = 0.85, 0.075, 0.775, 1.15.
    expect(doublyRobustEstimate(log, loggingPolicy, model).value).toBeCloseTo(2.85 / 4, 12);
  });

  it('with the true reward model has a smaller interval than IPS', () => {
    const simulated = simulatedLog(createSeededRandom(5), 5_000);
    const truth = (_r: DecisionRecord, index: number) => CLICK_RATES[index] as number;
    const dr = doublyRobustEstimate(simulated, alwaysFirst, truth);
    const ips = ipsEstimate(simulated, alwaysFirst);
    // Per-decision variance: IPS 9·0.3/3 − 0.09 = 0.81; DR (1/3)·9·0.3·0.7 = 0.63; SE ratio √(0.63/0.81) ≈ 0.88.
    expect(dr.stdError / ips.stdError).toBeGreaterThan(0.84);
    expect(dr.stdError / ips.stdError).toBeLessThan(0.92);
    expect(dr.lo).toBeLessThanOrEqual(0.3);
    expect(dr.hi).toBeGreaterThanOrEqual(0.3);
  });
});

describe('bootstrap interval', () => {
  it('is reproducible from its seed and brackets the estimate', () => {
    const a = ipsEstimate(log, preferA, { interval: 'bootstrap', random: createSeededRandom(7), resamples: 500 });
    const b = ipsEstimate(log, preferA, { interval: 'bootstrap', random: createSeededRandom(7), resamples: 500 });
    expect(a).toEqual(b);
    expect(a.interval).toBe('bootstrap');
    expect(a.lo).toBeLessThanOrEqual(a.value);
    expect(a.hi).toBeGreaterThanOrEqual(a.value);
    // Resampling four terms can reach neither below 0 nor above the largest term.
    expect(a.lo).toBeGreaterThanOrEqual(0);
    expect(a.hi).toBeLessThanOrEqual(3.2);
  });

  it('agrees with the normal interval on a large log', () => {
    const log = simulatedLog(createSeededRandom(3), 5_000);
    const normal = ipsEstimate(log, alwaysFirst);
    const boot = ipsEstimate(log, alwaysFirst, { interval: 'bootstrap', random: createSeededRandom(4), resamples: 400 });
    expect(boot.stdError / normal.stdError).toBeGreaterThan(0.85);
    expect(boot.stdError / normal.stdError).toBeLessThan(1.15);
  });

  it('needs a random source', () => {
    expect(() => ipsEstimate(log, preferA, { interval: 'bootstrap' })).toThrow(InsituError);
  });
});

/** Three candidates with click rates 0.3, 0.1, 0.05, logged by a uniform policy. */
const CLICK_RATES = [0.3, 0.1, 0.05];
const alwaysFirst: TargetPolicy = () => [1, 0, 0];

function simulatedLog(random: { next(): number }, n: number): DecisionRecord[] {
  const candidates = ['x', 'y', 'z'];
  const uniform = [1 / 3, 1 / 3, 1 / 3];
  const out: DecisionRecord[] = [];
  for (let i = 0; i < n; i++) {
    const chosen = Math.floor(random.next() * 3);
    const reward = random.next() < (CLICK_RATES[chosen] as number) ? 1 : 0;
    out.push(record(`s${i}`, uniform, chosen, reward, candidates));
  }
  return out;
}

describe('coverage on simulated logs', () => {
  it('the 95% intervals of IPS, SNIPS and DR cover the true value about 95% of the time', () => {
    const random = createSeededRandom(11);
    const repetitions = 300;
    const covered = { ips: 0, snips: 0, dr: 0 };
    const halfRight = () => 0.15; // a deliberately wrong reward model: DR must still be unbiased
    for (let r = 0; r < repetitions; r++) {
      const log = simulatedLog(random, 1_000);
      const estimates = {
        ips: ipsEstimate(log, alwaysFirst),
        snips: snipsEstimate(log, alwaysFirst),
        dr: doublyRobustEstimate(log, alwaysFirst, halfRight),
      };
      for (const [name, e] of Object.entries(estimates)) {
        if (e.lo <= 0.3 && 0.3 <= e.hi) covered[name as keyof typeof covered]++;
      }
    }
    for (const count of Object.values(covered)) {
      // 95% of 300 is 285 with a binomial SD of about 3.8.
      expect(count / repetitions).toBeGreaterThan(0.9);
      expect(count / repetitions).toBeLessThan(0.99);
    }
  });
});

describe('invalid logs', () => {
  it('rejects a zero propensity, a chosen item outside the candidates, and a target that is not a distribution', () => {
    const zero = { ...record('z', [0.5, 0.5], 0, 1), propensity: 0 };
    expect(() => ipsEstimate([zero], preferA)).toThrow(/propensity/);
    const stray = { ...record('s', [0.5, 0.5], 0, 1), itemId: 'c' };
    expect(() => ipsEstimate([stray], preferA)).toThrow(/candidates/);
    expect(() => ipsEstimate(log, () => [0.5, 0.6])).toThrow(/sum to 1/);
    expect(() => ipsEstimate(log, () => [1])).toThrow(/probabilities for 2/);
    expect(() => ipsEstimate([], preferA)).toThrow(InsituError);
  });
});
