/**
 * Site rules, signals and diversity through the engine: pins and emptied placements are logged
 * under their own policies with propensity 1, signals appear in exportData, shelves diversify.
 */
import { describe, expect, it } from 'vitest';
import { composeEngine } from '../../../worker/engine.js';
import type { CatalogItem, InsituEvent } from '../../../worker/types.js';
import { recordingParts } from '../../support/recording-personalizer.js';

const now = 1_700_000_000_000;
const clock = { now: () => now };
const catalog: CatalogItem[] = [
  { id: 'welcome', tags: ['offer'] },
  { id: 'dune', tags: ['sf', 'classic'] },
  { id: 'foundation', tags: ['sf', 'classic'] },
  { id: 'emma', tags: ['romance', 'classic'] },
  { id: 'persuasion', tags: ['romance'] },
];
const rules = {
  version: 1,
  placements: {
    hero: { pin: [{ item: 'welcome', when: { stage: ['new'] } }] },
    shelf: { eligibility: [{ exclude: 'seen', withinDays: 7 }], fallback: 'welcome' },
  },
};

describe('engine with site rules', () => {
  it('a pin for new visitors is logged as policy pinned with propensity 1, and explained', async () => {
    const engine = composeEngine({ catalog, rules, clock, timezoneOffset: () => 0 }, recordingParts());
    await engine.ready;
    const decision = engine.decide({ placement: 'hero', candidates: ['dune', 'welcome'] });
    expect(decision).toMatchObject({ itemId: 'welcome', policy: 'pinned', propensity: 1, exploring: false });
    expect(decision.probabilities).toEqual([0, 1]);
    expect(engine.explain(decision.decisionId)?.reasons.join(' ')).toMatch(/site rule/);
  });

  it('rules that leave no candidate fall back to the declared default, logged as fallback', async () => {
    const engine = composeEngine({ catalog, rules, clock, timezoneOffset: () => 0 }, recordingParts());
    await engine.ready;
    const seen: InsituEvent[] = ['dune', 'emma'].map((itemId, i) => ({ id: `v${i}`, type: 'view', itemId, ts: now - 1_000 * (i + 1) }));
    engine.track(seen);
    const decision = engine.decide({ placement: 'shelf', candidates: ['dune', 'emma'] });
    expect(decision).toMatchObject({ itemId: 'welcome', policy: 'fallback', propensity: 1 });
    const open = engine.decide({ placement: 'shelf', candidates: ['dune', 'foundation'] });
    expect(open).toMatchObject({ itemId: 'foundation', policy: 'personalized' });
    expect(open.reasons.join(' ')).toMatch(/removed 1 of 2/);
  });

  it('refuses invalid rules with invalid_rules and keeps deciding without them', async () => {
    const engine = composeEngine({ catalog, rules: { version: 1, placements: { hero: { pin: 'all' } } }, clock }, recordingParts());
    await engine.ready;
    expect(engine.errors().map((e) => e.code)).toContain('invalid_rules');
    expect(engine.decide({ placement: 'hero', candidates: ['dune'] }).policy).toBe('personalized');
    expect(() => engine.setRules({ version: 2 })).toThrow(expect.objectContaining({ code: 'invalid_rules' }));
  });

  it('exports signals computed on the device, and diversifies a shelf when asked', async () => {
    const engine = composeEngine({ catalog, clock, diversity: 0.7, timezoneOffset: () => 0 }, recordingParts());
    await engine.ready;
    engine.track([{ id: 'a', type: 'view', itemId: 'dune', ts: now - 5_000 }]);
    const exported = await engine.exportData();
    expect(exported.signals).toMatchObject({ stage: 'new', sessions: 1 });
    // The test personalizer ranks in the given order: relevance alone would put both sf titles first.
    const shelf = engine.rank({ placement: 'shelf', candidates: ['dune', 'foundation', 'emma', 'persuasion'], k: 2 });
    expect(shelf.map((r) => r.itemId)[0]).toBe('dune');
    expect(shelf.map((r) => r.itemId)).not.toContain('foundation');
    const plain = composeEngine({ catalog, clock }, recordingParts());
    await plain.ready;
    expect(plain.rank({ placement: 'shelf', candidates: ['dune', 'foundation', 'emma', 'persuasion'], k: 2 }).map((r) => r.itemId)).toEqual(['dune', 'foundation']);
  });
});
