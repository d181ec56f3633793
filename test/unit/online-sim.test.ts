/** The online simulator's machinery: the ridge core of the linear anchors and the simulation loop. */
import { describe, expect, it } from 'vitest';
import { FREQUENCY_CAP_SHOWS } from '../../worker/decide/caps.js';
import { linUcbPolicy, withCaps, type OnlinePolicy } from '../bench/online/policies.js';
import { DAILY_ROUND_MS, ROUND_MS } from '../bench/online/settings.js';
import { Ridge } from '../bench/online/ridge.js';
import { simulate, type SimulationSettings } from '../bench/online/simulate.js';
import type { World } from '../bench/online/world.js';
import { invertSpd } from '../bench/quality/spd-inverse.js';
import { createSeededRandom } from '../../worker/seeded-random.js';

describe('Ridge', () => {
  it('keeps θ = (λI + XᵀX)⁻¹ Xᵀy through Sherman–Morrison updates', () => {
    const random = createSeededRandom(4);
    const d = 4;
    const model = new Ridge(d, 2);
    const gram = new Float64Array(d * d);
    for (let i = 0; i < d; i++) gram[i * d + i] = 2;
    const xty = new Float64Array(d);
    for (let n = 0; n < 30; n++) {
      const x = Float64Array.from({ length: d }, () => random.next() - 0.5);
      const y = random.next();
      model.update(x, y);
      for (let i = 0; i < d; i++) {
        xty[i]! += y * x[i]!;
        for (let j = 0; j < d; j++) gram[i * d + j]! += x[i]! * x[j]!;
      }
    }
    const inverse = invertSpd(gram, d);
    for (let i = 0; i < d; i++) {
      let theta = 0;
      for (let j = 0; j < d; j++) theta += inverse[i * d + j]! * xty[j]!;
      expect(model.theta[i]).toBeCloseTo(theta, 10);
      for (let j = 0; j < d; j++) expect(model.inverse[i * d + j]).toBeCloseTo(inverse[i * d + j]!, 10);
    }
  });

  it('samples around θ with the posterior spread', () => {
    const model = new Ridge(2, 4); // A⁻¹ = I/4: standard deviation 0.5 per axis at scale 1
    const random = createSeededRandom(8);
    const out = new Float64Array(2);
    let sumSquares = 0;
    const draws = 4_000;
    for (let n = 0; n < draws; n++) sumSquares += model.sample(1, random, out)[0]! ** 2;
    expect(Math.sqrt(sumSquares / draws)).toBeGreaterThan(0.47);
    expect(Math.sqrt(sumSquares / draws)).toBeLessThan(0.53);
  });
});

/** Four users, twenty items; user u likes items whose index is ≡ u (mod 4). */
function toyWorld(): World {
  const items = 20;
  const probabilities = (user: number) => Float64Array.from({ length: items }, (_, i) => (i % 4 === user % 4 ? 0.6 : 0.05));
  return {
    users: 4,
    items,
    itemVectors: Array.from({ length: items }, (_, i) => Float64Array.from([0, 1, 2, 3], (k) => (i % 4 === k ? 1 : 0))),
    itemBias: new Float64Array(items),
    userVectors: Array.from({ length: 4 }, (_, u) => Float64Array.from([0, 1, 2, 3], (k) => (k === u ? 1 : -1))),
    intercept: 0,
    itemCounts: new Float64Array(items),
    clickProbabilities: probabilities,
  };
}

const settings: SimulationSettings = { users: 4, rounds: 200, candidates: 5, poolSize: 12, driftAt: 100, churnEvery: 20, churnShare: 0.25, delay: 7, seed: 3, consumeOnClick: false };

describe('simulate', () => {
  const world = toyWorld();
  const users = [0, 1, 2, 3];

  it('an oracle has zero regret; the same run twice gives the same numbers', async () => {
    const oracle = (user: number): OnlinePolicy => ({
      choose: (candidates) => candidates.reduce((best, i) => (world.clickProbabilities(user)[i]! > world.clickProbabilities(user)[best]! ? i : best)),
      learn() {},
    });
    const result = await simulate(world, 'stationary', users, oracle, settings);
    expect(result.regretByRound.every((r) => Math.abs(r) < 1e-12)).toBe(true);
    const again = await simulate(world, 'stationary', users, oracle, settings);
    expect(again.clicksByRound).toEqual(result.clicksByRound);
  });

  it('a learner beats picking the first candidate', async () => {
    const features = world.itemVectors.map((v) => Float64Array.from([...v, 1]));
    const first = (): OnlinePolicy => ({ choose: (candidates) => candidates[0]!, learn() {} });
    const sum = (values: Float64Array) => values.reduce((a, b) => a + b, 0);
    const naive = await simulate(world, 'stationary', users, first, settings);
    const learned = await simulate(world, 'stationary', users, () => linUcbPolicy(features), settings);
    expect(sum(learned.regretByRound)).toBeLessThan(sum(naive.regretByRound) / 2);
  });

  it('with consumption, a clicked item is never offered again to that user', async () => {
    const offered: number[][] = [];
    const clicked = new Set<number>();
    let lastChoice = -1;
    const watcher = (): OnlinePolicy => ({
      choose: (candidates) => {
        offered.push([...candidates]);
        for (const item of candidates) expect(clicked.has(item)).toBe(false);
        return (lastChoice = candidates[0]!);
      },
      learn: (_round, item, reward) => {
        expect(item).toBe(lastChoice);
        if (reward) clicked.add(item);
      },
    });
    await simulate(world, 'stationary', [0], watcher, { ...settings, consumeOnClick: true });
    expect(clicked.size).toBeGreaterThan(5);
    expect(offered.length).toBe(settings.rounds);
  });

  it('delivers feedback exactly `delay` rounds late in the delayed scenario', async () => {
    const lags: number[] = [];
    let now = 0;
    const recorder = (): OnlinePolicy => ({
      choose: (candidates, round) => ((now = round), candidates[0]!),
      learn: (round) => lags.push(now + 1 - round),
    });
    await simulate(world, 'delayed', [0], recorder, settings);
    // Feedback for round r arrives before the decision at r + delay, i.e. after decision r + delay − 1.
    expect(new Set(lags)).toEqual(new Set([settings.delay]));
    expect(lags.length).toBe(settings.rounds - settings.delay);
  });
});

describe('withCaps: the engine\'s frequency caps around an anchor', () => {
  /** Always picks the first candidate it is offered; records what it was offered. */
  function stubborn() {
    const offered: number[][] = [];
    const policy: OnlinePolicy = { choose: (candidates) => (offered.push([...candidates]), candidates[0]!), learn() {} };
    return { policy, offered };
  }

  it('rests an item after FREQUENCY_CAP_SHOWS ignored showings within a day, never blanks the placement, and a click lifts the cap', () => {
    const { policy, offered } = stubborn();
    const capped = withCaps(policy, ROUND_MS);
    for (let round = 0; round < FREQUENCY_CAP_SHOWS; round++) {
      expect(capped.choose([7, 8], round)).toBe(7);
      capped.learn(round, 7, 0);
    }
    // Item 7 rests: only 8 is offered to the policy.
    expect(capped.choose([7, 8], FREQUENCY_CAP_SHOWS)).toBe(8);
    expect(offered.at(-1)).toEqual([8]);
    // Everything resting: everything is eligible again.
    capped.learn(FREQUENCY_CAP_SHOWS, 8, 0);
    expect(capped.choose([7], FREQUENCY_CAP_SHOWS + 1)).toBe(7);
    // A click on 7 lifts its cap at once.
    capped.learn(FREQUENCY_CAP_SHOWS + 1, 7, 1);
    expect(capped.choose([7, 8], FREQUENCY_CAP_SHOWS + 2)).toBe(7);
  });

  it('at one decision a day the caps never bind', () => {
    const { policy, offered } = stubborn();
    const capped = withCaps(policy, DAILY_ROUND_MS);
    for (let round = 0; round < 10; round++) {
      capped.choose([7, 8], round);
      capped.learn(round, 7, 0);
    }
    expect(offered.every((c) => c.length === 2)).toBe(true);
  });
});
