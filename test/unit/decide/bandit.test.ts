import { describe, expect, it } from 'vitest';
import { popularityPolicy, sampleIndex, squareCbPolicy } from '../../../worker/decide/bandit.js';
import { buildPriors } from '../../../worker/decide/index.js';
import { createSeededRandom } from '../../../worker/seeded-random.js';
import { harness, twoThemeCatalog } from './helpers.js';

const catalog = twoThemeCatalog();
const priors = buildPriors([
  ['a0', 'a1', 'a2', 'b0'],
  ['a0', 'a1', 'n0'],
  ['b0', 'b1', 'a0'],
  ['a0', 'b2'],
]);
const candidates = ['a0', 'a1', 'a5', 'b0', 'b1', 'n0'];

/** Pearson's χ² of observed counts against expected counts. */
function chiSquare(observed: number[], expected: number[]): number {
  return observed.reduce((s, o, a) => s + (o - expected[a]!) ** 2 / expected[a]!, 0);
}

describe('SquareCB', () => {
  it('gives every eligible candidate 1/(K + γ·gap) and the greedy one the rest; ineligible ones get 0', () => {
    const predicted = Float64Array.from([0.1, 0.3, 0.2, 0.05]);
    const { probabilities, greedy } = squareCbPolicy(predicted, Uint8Array.from([1, 1, 1, 0]), 100);
    expect(greedy).toBe(1);
    expect(probabilities[0]).toBeCloseTo(1 / (3 + 100 * 0.2), 12);
    expect(probabilities[2]).toBeCloseTo(1 / (3 + 100 * 0.1), 12);
    expect(probabilities[3]).toBe(0);
    expect(probabilities[1]).toBeCloseTo(1 - 1 / 23 - 1 / 13, 12);
  });

  it('is uniform when nothing separates the candidates', () => {
    const { probabilities } = squareCbPolicy(new Float64Array(4).fill(0.2), new Uint8Array(4).fill(1), 1000);
    for (const p of probabilities) expect(p).toBeCloseTo(0.25, 12);
  });

  it('the popularity default splits ties uniformly', () => {
    expect(Array.from(popularityPolicy(Float64Array.from([1, 3, 3, 2]), Uint8Array.from([1, 1, 1, 1])).probabilities)).toEqual([0, 0.5, 0.5, 0]);
    expect(Array.from(popularityPolicy(Float64Array.from([1, 3, 3, 2]), Uint8Array.from([1, 0, 1, 1])).probabilities)).toEqual([0, 0, 1, 0]);
  });

  it('sampling with exact probabilities matches their frequencies (χ², 20k draws)', () => {
    const probabilities = squareCbPolicy(Float64Array.from([0.05, 0.3, 0.25, 0.1, 0.28]), new Uint8Array(5).fill(1), 40).probabilities;
    const random = createSeededRandom(11);
    const counts = new Array<number>(5).fill(0);
    const draws = 20_000;
    for (let t = 0; t < draws; t++) counts[sampleIndex(probabilities, random.next())]!++;
    // df = 4: the 99.9% point of χ² is 18.47.
    expect(chiSquare(counts, Array.from(probabilities, (p) => p * draws))).toBeLessThan(18.47);
  });
});

describe('decide()', () => {
  it('is deterministic by seed: the same seed and inputs give the same decisions', () => {
    const run = (seed: number) => {
      const h = harness({ catalog, priors, seed });
      const out: string[] = [];
      for (let t = 0; t < 40; t++) {
        const record = h.personalizer.decide({ placement: 'home', candidates });
        out.push(`${record.decisionId}:${record.itemId}:${record.propensity}`);
        if (t % 3 === 0) h.personalizer.reward(record.decisionId, 1);
        h.personalizer.observe(h.events('view', [candidates[t % candidates.length]!]));
        h.clock.t += 60_000;
      }
      return out;
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it('logs probabilities that sum to 1, a propensity equal to the chosen one, and policy "personalized"', () => {
    const h = harness({ catalog, priors });
    h.personalizer.observe(h.events('click', ['a2', 'a3']));
    for (let t = 0; t < 50; t++) {
      const record = h.personalizer.decide({ placement: `p${t % 5}`, candidates });
      expect(record.policy).toBe('personalized');
      expect(record.probabilities).toHaveLength(candidates.length);
      expect(record.probabilities.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
      expect(record.propensity).toBe(record.probabilities[candidates.indexOf(record.itemId)]);
      expect(record.scores).toHaveLength(candidates.length);
      const best = Math.max(...record.scores.filter((_, a) => record.probabilities[a]! > 0));
      expect(record.exploring).toBe(record.scores[candidates.indexOf(record.itemId)]! < best);
      expect(record.reasons.length).toBeGreaterThan(0);
      if (record.exploring) expect(record.reasons[0]).toMatch(/^Shown to explore/);
    }
  });

  it('chooses with exactly the logged probabilities: χ² of 20k decisions against their own logged probabilities', () => {
    const h = harness({ catalog, priors, seed: 3 });
    h.personalizer.observe(h.events('click', ['a2', 'b3']));
    const observed = new Array<number>(candidates.length).fill(0);
    const expected = new Array<number>(candidates.length).fill(0);
    for (let t = 0; t < 20_000; t++) {
      // A day apart, so frequency caps never change who is eligible.
      h.clock.t += 25 * 60 * 60 * 1000;
      const record = h.personalizer.decide({ placement: 'home', candidates });
      observed[candidates.indexOf(record.itemId)]!++;
      record.probabilities.forEach((p, a) => (expected[a]! += p));
    }
    // Cells expected under 5 times are pooled (the χ² approximation needs it); df = cells − 1.
    const small = expected.map((e, a) => (e < 5 ? a : -1)).filter((a) => a >= 0);
    const pooled = (v: number[]) => [...v.filter((_, a) => !small.includes(a)), ...(small.length ? [small.reduce((s, a) => s + v[a]!, 0)] : [])];
    const o = pooled(observed);
    const e = pooled(expected);
    expect(o.length).toBeGreaterThanOrEqual(4);
    expect(e.reduce((s, x) => s + x, 0)).toBeCloseTo(20_000, 6);
    // 99.9% points of χ² for df = 3, 4, 5.
    const critical = [0, 0, 0, 16.27, 18.47, 20.52][o.length - 1]!;
    expect(chiSquare(o, e)).toBeLessThan(critical);
  });

  it('explores less as it gains experience', () => {
    const h = harness({ catalog, priors });
    const first = h.personalizer.decide({ placement: 'home', candidates });
    let last = first;
    for (let t = 0; t < 300; t++) {
      h.clock.t += 25 * 60 * 60 * 1000;
      last = h.personalizer.decide({ placement: 'home', candidates });
    }
    const greedyMass = (r: typeof first) => Math.max(...r.probabilities);
    expect(greedyMass(last)).toBeGreaterThan(greedyMass(first));
  });

  it('throws no_candidates for an empty list and invalid_argument for repeated ids', () => {
    const h = harness({ catalog, priors });
    expect(() => h.personalizer.decide({ placement: 'home', candidates: [] })).toThrow(expect.objectContaining({ code: 'no_candidates' }));
    expect(() => h.personalizer.decide({ placement: 'home', candidates: ['a0', 'a0'] })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('decides among items missing from the catalog too (scored by the prior alone)', () => {
    const h = harness({ catalog, priors });
    const record = h.personalizer.decide({ placement: 'home', candidates: ['zz1', 'zz2'] });
    expect(record.probabilities).toEqual([0.5, 0.5]);
  });
});
