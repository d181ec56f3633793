/**
 * Item feature rows are compiled on first use: building a personalizer over a large catalog
 * compiles none, a decision compiles its candidates' rows only, and the first learning step
 * (which contrasts with the average item) compiles the rest. The rows are the same whatever the
 * order they are compiled in, so scores do not depend on which items were asked about first.
 */
import { describe, expect, it } from 'vitest';
import { compileCatalog } from '../../../worker/decide/compile.js';
import { indexCatalog } from '../../../worker/decide/catalog.js';
import { buildFeatureSpace, itemRow, type FeatureSpace } from '../../../worker/decide/features.js';
import type { CatalogItem } from '../../../worker/types.js';
import { harness } from './helpers.js';

const TOPICS = ['fantasy', 'history', 'travel', 'poetry', 'crime', 'cooking', 'science', 'romance'];
const catalog = (): CatalogItem[] =>
  Array.from({ length: 600 }, (_, i) => ({
    id: `item-${i}`,
    title: `Item ${i} of the ${TOPICS[i % TOPICS.length]} shelf`,
    text: i % 3 === 0 ? 'a longer description with some words repeated words' : undefined,
    tags: [TOPICS[i % TOPICS.length]!, TOPICS[(i * 5 + 1) % TOPICS.length]!],
    embedding: [Math.sin(i), Math.cos(i), (i % 7) / 7],
  }));

const compiledRows = (space: FeatureSpace) => space.rows.reduce((n, row) => (row ? n + 1 : n), 0);

describe('lazily compiled item features', () => {
  it('compiles no row up front, the candidates rows for a decision, and every row at the first learning step', () => {
    const items = catalog();
    const h = harness({ catalog: items });
    const { space } = compileCatalog(items);
    expect(compiledRows(space)).toBe(0);

    const candidates = items.slice(100, 150).map((item) => item.id);
    h.personalizer.decide({ placement: 'home', candidates });
    expect(compiledRows(space)).toBe(candidates.length);
    expect(space.rows.slice(100, 150).every(Boolean)).toBe(true);

    h.personalizer.observe(h.events('click', ['item-3']));
    expect(compiledRows(space)).toBe(items.length);
  });

  it('compileAhead compiles the rest in steps of the count asked, then answers true at once', () => {
    const items = catalog();
    const h = harness({ catalog: items });
    const { space } = compileCatalog(items);
    h.personalizer.decide({ placement: 'home', candidates: items.slice(0, 50).map((item) => item.id) });
    expect(h.personalizer.compileAhead(100)).toBe(false);
    expect(compiledRows(space)).toBe(150);
    let steps = 1;
    while (!h.personalizer.compileAhead(100)) steps++;
    expect(compiledRows(space)).toBe(items.length);
    expect(steps).toBe(5);
    expect(h.personalizer.compileAhead(100)).toBe(true);
  });

  it('gives the same rows in any compile order', () => {
    const items = catalog();
    const forward = buildFeatureSpace(indexCatalog(items));
    const backward = buildFeatureSpace(indexCatalog(items));
    for (let i = items.length - 1; i >= 0; i--) itemRow(backward, i);
    items.forEach((_, i) => {
      const a = itemRow(forward, i);
      const b = itemRow(backward, i);
      expect(Array.from(a.indices)).toEqual(Array.from(b.indices));
      expect(Array.from(a.values)).toEqual(Array.from(b.values));
      expect(a.indices.every((f, k) => k === 0 || f > a.indices[k - 1]!)).toBe(true);
    });
  });
});
