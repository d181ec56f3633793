import { describe, expect, it } from 'vitest';
import type { CatalogItem } from '../../../worker/types.js';
import { decideScores, harness } from './helpers.js';

/** News items, and health items marked sensitive; h-news is sensitive but shares the news tag. */
const catalog: CatalogItem[] = [
  ...Array.from({ length: 6 }, (_, i) => ({ id: `news${i}`, title: `News ${i}`, tags: ['news'] })),
  ...Array.from({ length: 6 }, (_, i) => ({ id: `health${i}`, title: `Health ${i}`, tags: ['health'], sensitive: 'health' })),
  { id: 'h-news', title: 'Health news', tags: ['news'], sensitive: 'health' },
  { id: 'sport0', title: 'Sport', tags: ['sport'] },
];
const priors = {
  version: 1 as const,
  popularity: { 'h-news': 5, news3: 5, sport0: 5, health4: 5 },
  neighbours: { health0: [['health4', 0.9]] as Array<[string, number]>, news0: [['h-news', 0.9]] as Array<[string, number]> },
};
const candidates = ['news3', 'h-news', 'sport0', 'health4'];

describe('sensitive items', () => {
  it('without the sensitive purpose, events on sensitive items teach nothing', () => {
    const h = harness({ catalog, priors });
    const before = h.personalizer.exportState();
    h.personalizer.observe(h.events('click', ['health0', 'health1', 'health2', 'health3']));
    h.personalizer.observe(h.events('convert', ['health0']));
    expect(h.personalizer.affinities()).toEqual([]);
    // Nothing learned at all: the stored state is what it was.
    expect(h.personalizer.exportState()).toEqual(before);
  });

  it('learned affinity never lifts a sensitive item: its score stays at popularity, and its probability does not grow', () => {
    const fresh = harness({ catalog, priors });
    const learned = harness({ catalog, priors });
    learned.personalizer.observe(learned.events('click', ['news0', 'news1', 'news2']));
    // An id outside the catalog scores the model's bias alone: the baseline learned affinity adds to.
    const freshScores = decideScores(fresh, [...candidates, 'not-in-catalog']);
    const learnedScores = decideScores(learned, [...candidates, 'not-in-catalog']);
    const lift = (scores: Record<string, number>, id: string) => scores[id]! - scores['not-in-catalog']!;
    // news3 rose with the learned news affinity; h-news (news tag, neighbour of news0) did not move.
    expect(lift(learnedScores, 'news3')).toBeGreaterThan(lift(freshScores, 'news3') + 0.05);
    expect(lift(learnedScores, 'h-news')).toBeCloseTo(lift(freshScores, 'h-news'), 10);
    const pFresh = fresh.personalizer.decide({ placement: 'home', candidates });
    const pLearned = learned.personalizer.decide({ placement: 'home', candidates });
    expect(pLearned.probabilities[1]).toBeLessThanOrEqual(pFresh.probabilities[1]!);
    // It can still be shown (exploration, popularity), never as the learned best guess.
    expect(pLearned.probabilities[1]).toBeGreaterThan(0);
    const ranked = learned.personalizer.rank({ placement: 'home', candidates });
    expect(ranked[0]!.itemId).toBe('news3');
  });

  it('a sensitive item chosen without consent says it was chosen on popularity alone', () => {
    const h = harness({ catalog, priors });
    const record = h.personalizer.decide({ placement: 'home', candidates: ['health4'] });
    expect(record.reasons.join(' ')).toMatch(/popularity alone: items about health are never matched to your activity without your consent/);
  });

  it('with the sensitive purpose granted, sensitive items teach and are chosen on learned affinity', () => {
    const h = harness({ catalog, priors, consent: { sensitive: 'granted' } });
    h.personalizer.observe(h.events('click', ['health0', 'health1', 'health2']));
    expect(h.personalizer.affinities()[0]).toMatchObject({ tag: 'health' });
    expect(h.personalizer.rank({ placement: 'home', candidates, k: 1 })[0]!.itemId).toBe('health4');
  });

  it('consent is read on every call: withdrawing it takes learned lift off sensitive items at once', () => {
    const h = harness({ catalog, priors, consent: { sensitive: 'granted' } });
    h.personalizer.observe(h.events('click', ['health0', 'health1', 'health2']));
    expect(h.personalizer.rank({ placement: 'home', candidates, k: 1 })[0]!.itemId).toBe('health4');
    h.consent.sensitive = 'denied';
    const scores = decideScores(h, [...candidates, 'not-in-catalog']);
    const fresh = decideScores(harness({ catalog, priors }), [...candidates, 'not-in-catalog']);
    // health4 is back to bias + popularity: the same lift over the bias as with nothing learned.
    expect(scores.health4! - scores['not-in-catalog']!).toBeCloseTo(fresh.health4! - fresh['not-in-catalog']!, 10);
    h.personalizer.observe(h.events('click', ['health5']));
    expect(h.personalizer.rank({ placement: 'home', candidates, k: 1 })[0]!.itemId).not.toBe('health4');
  });
});
