import { describe, expect, it } from 'vitest';
import { buildPriors } from '../../../worker/decide/index.js';
import { indexPriors, NEIGHBOUR_SHRINK, PAIR_DISTANCE_SCALE, validatePriors } from '../../../worker/decide/priors.js';
import { indexCatalog } from '../../../worker/decide/catalog.js';
import { InsituError } from '../../../worker/errors.js';

describe('buildPriors', () => {
  // Three users: a→b→c, a→b (b repeated), b→c.
  const histories = [
    ['a', 'b', 'c'],
    ['a', 'b', 'b'],
    ['b', 'c'],
  ];

  it('counts popularity once per user', () => {
    const priors = buildPriors(histories);
    expect(priors.version).toBe(1);
    expect(priors.popularity).toEqual({ a: 2, b: 3, c: 2 });
  });

  it('gives the hand-computed co-occurrence similarities, best first, ties in id order', () => {
    // Worked by hand from the documented formula: a pair d positions apart counts
    // 1/(1 + d/PAIR_DISTANCE_SCALE); sim = weighted / √(n_a·n_b) · users/(users + SHRINK).
    expect(PAIR_DISTANCE_SCALE).toBe(5);
    expect(NEIGHBOUR_SHRINK).toBe(2);
    const adjacent = 1 / (1 + 1 / 5); // 5/6
    const twoApart = 1 / (1 + 2 / 5); // 5/7
    const ab = ((2 * adjacent) / Math.sqrt(2 * 3)) * (2 / 4); // a,b together for 2 users
    const bc = ((2 * adjacent) / Math.sqrt(3 * 2)) * (2 / 4);
    const ac = (twoApart / Math.sqrt(2 * 2)) * (1 / 3); // only user 1, two apart
    const priors = buildPriors(histories);
    const round = (x: number) => Math.round(x * 1e6) / 1e6;
    expect(priors.neighbours.a).toEqual([
      ['b', round(ab)],
      ['c', round(ac)],
    ]);
    // b's two neighbours tie exactly: id order decides.
    expect(priors.neighbours.b).toEqual([
      ['a', round(ab)],
      ['c', round(bc)],
    ]);
    expect(priors.neighbours.c).toEqual([
      ['b', round(bc)],
      ['a', round(ac)],
    ]);
    expect(ab).toBeCloseTo(0.340207, 6);
    expect(ac).toBeCloseTo(0.119048, 6);
  });

  it('bounds the neighbours per item', () => {
    expect(buildPriors(histories, { maxNeighbours: 1 }).neighbours.a).toHaveLength(1);
    expect(buildPriors(histories, { maxNeighbours: 0 }).neighbours).toEqual({});
    expect(() => buildPriors(histories, { maxNeighbours: -1 })).toThrow(InsituError);
    expect(() => buildPriors([['a', 3 as unknown as string]])).toThrow(InsituError);
  });

  it('is deterministic and its output passes validation', () => {
    const many = Array.from({ length: 50 }, (_, u) => Array.from({ length: 10 }, (_, k) => `i${(u * 3 + k * k) % 40}`));
    const first = buildPriors(many);
    expect(buildPriors(many)).toEqual(first);
    expect(validatePriors(JSON.parse(JSON.stringify(first)))).toEqual(first);
  });

  it('indexes over a catalog: popularity log-scaled to [0, 1], forward and reverse neighbour lists agree', () => {
    const catalog = indexCatalog([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'x' }]);
    const index = indexPriors(buildPriors(histories), catalog);
    expect(index.popularityScore[1]).toBe(1);
    expect(index.popularityScore[0]).toBeCloseTo(Math.log(3) / Math.log(4), 6);
    expect(index.popularityScore[3]).toBe(0);
    const forward = new Set<string>();
    for (let j = 0; j < 4; j++) for (let k = index.offsets[j]!; k < index.offsets[j + 1]!; k++) forward.add(`${j}>${index.targets[k]}`);
    const reverse = new Set<string>();
    for (let i = 0; i < 4; i++) for (let k = index.reverseOffsets[i]!; k < index.reverseOffsets[i + 1]!; k++) reverse.add(`${index.reverseSources[k]}>${i}`);
    expect(reverse).toEqual(forward);
    expect(forward.size).toBe(6);
  });

  it('rejects malformed priors with invalid_priors', () => {
    for (const bad of [null, { version: 2, popularity: {}, neighbours: {} }, { version: 1, popularity: { a: -1 }, neighbours: {} }, { version: 1, popularity: {}, neighbours: { a: [['b']] } }]) {
      expect(() => validatePriors(bad)).toThrow(expect.objectContaining({ code: 'invalid_priors' }));
    }
  });
});
