import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  embeddingCosineSimilarity,
  intraListDiversity,
  rerankForDiversity,
  shareOutsideTopAffinities,
  tagJaccardSimilarity,
} from '../../../worker/diversity.js';
import { InsituError } from '../../../worker/errors.js';
import type { RankedItem } from '../../../worker/types.js';
import { catalogOf } from './helpers.js';

/** Six action films score highest; a drama, a comedy and a documentary trail. */
const catalog = catalogOf([
  { id: 'a1', tags: ['action', 'thriller'] },
  { id: 'a2', tags: ['action', 'thriller'] },
  { id: 'a3', tags: ['action'] },
  { id: 'a4', tags: ['action', 'thriller'] },
  { id: 'a5', tags: ['action'] },
  { id: 'a6', tags: ['action', 'war'] },
  { id: 'd1', tags: ['drama'] },
  { id: 'c1', tags: ['comedy'] },
  { id: 'x1', tags: ['documentary', 'war'] },
]);
const ranked: RankedItem[] = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6', 'd1', 'c1', 'x1'].map((itemId, i) => ({ itemId, score: 10 - i * 0.5 }));
const similarity = tagJaccardSimilarity(catalog);
const ids = (items: RankedItem[]) => items.map((r) => r.itemId);

describe('rerankForDiversity (maximal marginal relevance)', () => {
  it('lambda 0 keeps the ranked order and the original scores', () => {
    const out = rerankForDiversity(ranked, similarity, { k: 5, lambda: 0 });
    expect(out).toEqual(ranked.slice(0, 5));
    expect(out[0]).not.toBe(ranked[0]);
  });

  it('higher lambda raises intra-list diversity, at a cost in relevance', () => {
    const k = 5;
    // MMR is greedy, so diversity is not monotone in lambda in general; on this catalog it is up to 0.5.
    const runs = [0, 0.2, 0.4, 0.5].map((lambda) => rerankForDiversity(ranked, similarity, { k, lambda }));
    const ild = runs.map((r) => intraListDiversity(ids(r), similarity));
    const relevance = runs.map((r) => r.reduce((sum, item) => sum + item.score, 0));
    for (let i = 1; i < runs.length; i++) {
      expect(ild[i]).toBeGreaterThanOrEqual(ild[i - 1]!);
      expect(relevance[i]).toBeLessThanOrEqual(relevance[i - 1]!);
    }
    expect(ild.at(-1)!).toBeGreaterThan(ild[0]! + 0.3);
    // The best item always comes first, and the other genres make the diverse shelf.
    expect(runs.at(-1)![0]!.itemId).toBe('a1');
    expect(ids(runs.at(-1)!)).toEqual(expect.arrayContaining(['d1', 'c1', 'x1']));
    const mostDiverse = rerankForDiversity(ranked, similarity, { k, lambda: 1 });
    expect(intraListDiversity(ids(mostDiverse), similarity)).toBeGreaterThan(ild[0]! + 0.3);
  });

  it('respects k: never longer than k or than the input, each item once', () => {
    expect(rerankForDiversity(ranked, similarity, { k: 0, lambda: 0.5 })).toEqual([]);
    const all = rerankForDiversity(ranked, similarity, { k: 50, lambda: 0.5 });
    expect(all).toHaveLength(ranked.length);
    expect(new Set(ids(all)).size).toBe(ranked.length);
    for (const k of [1, 3, 7]) expect(rerankForDiversity(ranked, similarity, { k, lambda: 0.7 })).toHaveLength(k);
  });

  it('is deterministic: ties go to the earlier item', () => {
    const flat = ranked.map((r) => ({ ...r, score: 1 }));
    expect(ids(rerankForDiversity(flat, similarity, { k: 4, lambda: 0 }))).toEqual(['a1', 'a2', 'a3', 'a4']);
    const once = rerankForDiversity(ranked, similarity, { k: 6, lambda: 0.5 });
    for (let i = 0; i < 5; i++) expect(rerankForDiversity(ranked, similarity, { k: 6, lambda: 0.5 })).toEqual(once);
  });

  it('normalises scores first: any positive scaling or shift of the scores gives the same shelf', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: -100, max: 100 }), { minLength: ranked.length, maxLength: ranked.length }),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (scores, scale, shift, lambda) => {
          const items = ranked.map((r, i) => ({ itemId: r.itemId, score: scores[i]! }));
          const moved = items.map((r) => ({ ...r, score: r.score * scale + shift }));
          const a = ids(rerankForDiversity(items, similarity, { k: 5, lambda }));
          const b = ids(rerankForDiversity(moved, similarity, { k: 5, lambda }));
          expect(b).toEqual(a);
        },
      ),
      // Fixed seed: rounding in the normalisation could only matter at a near-exact tie of MMR values.
      { numRuns: 300, seed: 0x5eed },
    );
  });

  it('treats non-finite scores as least relevant and clamps odd similarities', () => {
    const items: RankedItem[] = [
      { itemId: 'a1', score: Number.NaN },
      { itemId: 'a2', score: 3 },
      { itemId: 'd1', score: 1 },
    ];
    expect(ids(rerankForDiversity(items, similarity, { k: 3, lambda: 0 }))).toEqual(['a2', 'd1', 'a1']);
    const wild = () => Number.NaN;
    expect(ids(rerankForDiversity(ranked, wild, { k: 3, lambda: 0.5 }))).toEqual(['a1', 'a2', 'a3']);
  });

  it('rejects a bad k or lambda', () => {
    for (const options of [{ k: -1, lambda: 0 }, { k: 1.5, lambda: 0 }, { k: 2, lambda: 1.2 }, { k: 2, lambda: Number.NaN }]) {
      expect(() => rerankForDiversity(ranked, similarity, options)).toThrow(InsituError);
    }
  });
});

describe('intra-list diversity and similarities', () => {
  it('is 0 for look-alikes, 1 for nothing in common, the pairwise mean otherwise', () => {
    expect(intraListDiversity(['a1', 'a2', 'a4'], similarity)).toBe(0);
    expect(intraListDiversity(['a3', 'd1', 'c1'], similarity)).toBe(1);
    // Pairs: (a1, a3) share 1 of 2 tags, (a1, d1) and (a3, d1) nothing.
    expect(intraListDiversity(['a1', 'a3', 'd1'], similarity)).toBeCloseTo((0.5 + 1 + 1) / 3, 12);
    expect(intraListDiversity(['a1'], similarity)).toBe(0);
    expect(intraListDiversity([], similarity)).toBe(0);
  });

  it('tag Jaccard: symmetric, 1 for itself, 0 for unknown or untagged items', () => {
    expect(similarity('a1', 'a1')).toBe(1);
    expect(similarity('a1', 'a3')).toBe(0.5);
    expect(similarity('a6', 'x1')).toBeCloseTo(1 / 3, 12);
    expect(similarity('x1', 'a6')).toBe(similarity('a6', 'x1'));
    expect(similarity('a1', 'missing')).toBe(0);
    expect(tagJaccardSimilarity(catalogOf([{ id: 'p' }, { id: 'q' }]))('p', 'q')).toBe(0);
  });

  it('embedding cosine: clipped at 0, falling back when an embedding is missing', () => {
    const vectors = catalogOf([
      { id: 'u', embedding: [1, 0], tags: ['t'] },
      { id: 'v', embedding: [1, 1] },
      { id: 'w', embedding: [-1, 0] },
      { id: 'z', tags: ['t'] },
    ]);
    const cosine = embeddingCosineSimilarity(vectors, tagJaccardSimilarity(vectors));
    expect(cosine('u', 'v')).toBeCloseTo(Math.SQRT1_2, 12);
    expect(cosine('u', 'w')).toBe(0);
    expect(cosine('u', 'z')).toBe(1);
    expect(embeddingCosineSimilarity(vectors)('u', 'z')).toBe(0);
  });

  it('share outside the top affinities measures the filter bubble', () => {
    expect(shareOutsideTopAffinities(['a1', 'a2', 'd1', 'c1'], catalog, ['action'])).toBe(0.5);
    expect(shareOutsideTopAffinities(['a1', 'a2'], catalog, ['action'])).toBe(0);
    expect(shareOutsideTopAffinities([], catalog, ['action'])).toBe(0);
    const diverse = ids(rerankForDiversity(ranked, similarity, { k: 5, lambda: 0.8 }));
    const plain = ids(rerankForDiversity(ranked, similarity, { k: 5, lambda: 0 }));
    expect(shareOutsideTopAffinities(diverse, catalog, ['action'])).toBeGreaterThan(shareOutsideTopAffinities(plain, catalog, ['action']));
  });
});
