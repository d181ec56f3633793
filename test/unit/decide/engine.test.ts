import { describe, expect, it } from 'vitest';
import { composeEngine } from '../../../worker/engine.js';
import { createPersonalizer, isInHoldout } from '../../../worker/decide/index.js';
import { createReporting } from '../../../worker/reporting.js';
import type { InsituEvent } from '../../../worker/types.js';
import { twoThemeCatalog } from './helpers.js';

/** The personalizer inside the real engine composition (memory only, no store). */
describe('decide inside the engine', () => {
  it('learns from tracked events, trains with tfjs in the background, and keeps deciding with exact propensities', async () => {
    const catalog = twoThemeCatalog(20);
    const clock = { t: 1_700_000_000_000, now: () => clock.t };
    const engine = composeEngine(
      { catalog, seed: 42, clock, holdoutFraction: 0, consent: { personalization: 'granted', metrics: 'denied', sensitive: 'denied' } },
      { createPersonalizer, isInHoldout, reporting: { createReporting } },
    );
    await engine.ready;
    const events: InsituEvent[] = Array.from({ length: 24 }, (_, i) => ({ id: `e${i}`, type: 'click', itemId: `a${i % 12}`, ts: (clock.t += 1_000) }));
    engine.track(events);
    // The engine trains after enough events; wait for the background refit to land.
    for (let wait = 0; wait < 200 && engine.status().model !== 'tfjs'; wait++) await new Promise((r) => setTimeout(r, 25));
    expect(engine.status().model).toBe('tfjs');
    expect(engine.errors()).toEqual([]);
    const top = engine.rank({ placement: 'home', candidates: ['a15', 'b15', 'a16', 'b16'], k: 2 }).map((r) => r.itemId);
    expect(new Set(top)).toEqual(new Set(['a15', 'a16']));
    const record = engine.decide({ placement: 'home', candidates: ['a15', 'b15', 'n1'] });
    expect(record.policy).toBe('personalized');
    expect(record.probabilities.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 12);
    expect(engine.reward(record.decisionId, 1)).toBe(true);
    expect(engine.explain(record.decisionId)?.itemId).toBe(record.itemId);
    const exported = await engine.exportData();
    expect(exported.affinities[0]).toMatchObject({ tag: 'alpha' });
    await engine.close();
  });
});
