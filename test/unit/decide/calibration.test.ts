/**
 * Second-order parts of the model: the neighbour weight is calibrated on decision outcomes (a
 * neighbour-lifted item ignored lowers it, clicked raises it) and survives a reload; forgetting
 * keeps the embedding taste while it widens its uncertainty.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, DEFAULT_HALF_LIFE_DAYS, EMBEDDING_PRIOR_PRECISION, NEIGHBOUR_PRIOR_WEIGHT } from '../../../worker/decide/content-model.js';
import type { PersonalizerState } from '../../../worker/decide/state.js';
import type { Personalizer } from '../../../worker/engine-types.js';
import type { CatalogItem, Priors } from '../../../worker/types.js';
import { harness, twoThemeCatalog } from './helpers.js';

const catalog = twoThemeCatalog(10);
/** a0 goes with every other alpha item. */
const priors: Priors = { version: 1, popularity: {}, neighbours: { a0: Array.from({ length: 9 }, (_, i): [string, number] => [`a${i + 1}`, 0.5]) } };
const shelf = ['a1', 'a2', 'a3', 'b1', 'b2', 'b3'];
const stateOf = (personalizer: Personalizer) => (personalizer.exportState() as PersonalizerState).body;

function neighbourWeightAfter(outcome: number, decisions: number): { weight: number; chosenAlpha: number } {
  const h = harness({ catalog, priors });
  h.personalizer.observe(h.events('click', ['a0']));
  let chosenAlpha = 0;
  for (let n = 0; n < decisions; n++) {
    h.clock.t += 60_000;
    const record = h.personalizer.decide({ placement: 'shelf', candidates: shelf });
    if (record.itemId.startsWith('a')) chosenAlpha++;
    // Only outcomes of the items the neighbours lifted carry evidence about their weight.
    h.personalizer.reward(record.decisionId, record.itemId.startsWith('a') ? outcome : 0);
  }
  const weight = stateOf(h.personalizer).neighbourWeight![0];
  // The calibrated weight is part of the stored state and comes back with it.
  const reloaded = harness({ catalog, priors });
  reloaded.personalizer.importState(h.personalizer.exportState());
  expect(stateOf(reloaded.personalizer).neighbourWeight).toEqual(stateOf(h.personalizer).neighbourWeight);
  return { weight, chosenAlpha };
}

describe('neighbour weight calibration', () => {
  it('ignored showings of neighbour-lifted items lower the weight; clicks on them raise it', () => {
    const ignored = neighbourWeightAfter(0, 30);
    const clicked = neighbourWeightAfter(1, 30);
    expect(ignored.chosenAlpha).toBeGreaterThan(0);
    expect(ignored.weight).toBeLessThan(NEIGHBOUR_PRIOR_WEIGHT);
    expect(ignored.weight).toBeGreaterThanOrEqual(0);
    expect(clicked.weight).toBeGreaterThan(NEIGHBOUR_PRIOR_WEIGHT);
  });

  it('an ignored impression that settles on its own calibrates like reward(0)', () => {
    const h = harness({ catalog, priors });
    h.personalizer.observe(h.events('click', ['a0']));
    const record = h.personalizer.decide({ placement: 'shelf', candidates: ['a1'] });
    expect(stateOf(h.personalizer).neighbourWeight![0]).toBe(NEIGHBOUR_PRIOR_WEIGHT);
    // No click within the settle window: the next decision settles it as a negative.
    h.clock.t += DAY_MS;
    h.personalizer.decide({ placement: 'shelf', candidates: ['b1'] });
    expect(stateOf(h.personalizer).neighbourWeight![0]).toBeLessThan(NEIGHBOUR_PRIOR_WEIGHT);
    expect(h.personalizer.reward(record.decisionId, 0)).toBe(true);
  });
});

describe('forgetting keeps the embedding taste', () => {
  it('after a half-life the learned embedding direction still orders items, with a wider precision', () => {
    const items: CatalogItem[] = Array.from({ length: 12 }, (_, i) => ({ id: `e${i}`, title: `Item ${i}`, tags: ['all'], embedding: i % 2 ? [0, 1] : [1, 0] }));
    const h = harness({ catalog: items });
    for (let n = 0; n < 8; n++) {
      h.clock.t += 60_000;
      const record = h.personalizer.decide({ placement: 'p', candidates: ['e0', 'e1', 'e2', 'e3'] });
      h.personalizer.reward(record.decisionId, record.itemId === 'e0' || record.itemId === 'e2' ? 1 : 0);
    }
    // Two items never shown: they differ only in their embedding (and their unlearned id).
    const gap = () => {
      const scores = new Map(h.personalizer.rank({ placement: 'p', candidates: ['e10', 'e11'] }).map((r) => [r.itemId, r.score]));
      return scores.get('e10')! - scores.get('e11')!;
    };
    const learned = gap();
    const precisionBefore = stateOf(h.personalizer).precision[0]!;
    expect(learned).toBeGreaterThan(0);
    h.clock.t += DEFAULT_HALF_LIFE_DAYS * DAY_MS;
    expect(gap()).toBeCloseTo(learned, 3);
    const precisionAfter = stateOf(h.personalizer).precision[0]!;
    expect(precisionAfter - EMBEDDING_PRIOR_PRECISION).toBeCloseTo((precisionBefore - EMBEDDING_PRIOR_PRECISION) / 2, 3);
  });
});
