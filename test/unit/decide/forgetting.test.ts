/**
 * Forgetting follows the engine's clock, not the number of events: what was learned weighs half
 * after one half-life (`halfLifeDays`, default DEFAULT_HALF_LIFE_DAYS), however many or few
 * events came in between.
 */
import { describe, expect, it } from 'vitest';
import { DAY_MS, DEFAULT_HALF_LIFE_DAYS } from '../../../worker/decide/content-model.js';
import { createEngine } from '../../../worker/index.js';
import type { InsituEvent } from '../../../worker/types.js';
import { twoThemeCatalog } from './helpers.js';

const catalog = twoThemeCatalog(20);
const unseenAlpha = ['a15', 'a16', 'a17'];
const unseenBeta = ['b15', 'b16', 'b17'];
const GRANTED = { personalization: 'granted', metrics: 'denied', sensitive: 'denied' } as const;

async function engineWithAlphaClicks(halfLifeDays?: number) {
  const clock = { t: 1_700_000_000_000, now: () => clock.t };
  const engine = createEngine({ catalog, seed: 7, clock, holdoutFraction: 0, consent: GRANTED, ...(halfLifeDays !== undefined ? { halfLifeDays } : {}) });
  await engine.ready;
  const clicks: InsituEvent[] = Array.from({ length: 8 }, (_, i) => ({ id: `c${i}`, type: 'click', itemId: `a${i}`, ts: (clock.t += 1_000) }));
  engine.track(clicks);
  /** How far alpha leads beta in the ranking (the bias and popularity cancel out). */
  const lead = () => {
    const scores = new Map(engine.rank({ placement: 'shelf', candidates: [...unseenAlpha, ...unseenBeta] }).map((r) => [r.itemId, r.score]));
    const mean = (ids: string[]) => ids.reduce((s, id) => s + scores.get(id)!, 0) / ids.length;
    return mean(unseenAlpha) - mean(unseenBeta);
  };
  return { engine, clock, lead };
}

describe('forgetting follows time', () => {
  it('what was learned weighs half after one half-life of the engine clock', async () => {
    const { clock, lead } = await engineWithAlphaClicks();
    const learned = lead();
    expect(learned).toBeGreaterThan(0.1);
    // A minute, or a day, changes little; one half-life halves the lead.
    clock.t += 60_000;
    expect(lead()).toBeCloseTo(learned, 3);
    clock.t += DEFAULT_HALF_LIFE_DAYS * DAY_MS - 60_000;
    expect(lead() / learned).toBeCloseTo(0.5, 6);
    clock.t += DEFAULT_HALF_LIFE_DAYS * DAY_MS;
    expect(lead() / learned).toBeCloseTo(0.25, 6);
  });

  it('many events in a short time forget nothing that time would not', async () => {
    const { engine, clock, lead } = await engineWithAlphaClicks();
    const learned = lead();
    // 300 views of neutral items within ten minutes: by event count that would be several half-lives.
    engine.track(Array.from({ length: 300 }, (_, i): InsituEvent => ({ id: `v${i}`, type: 'view', itemId: `n${i % 4}`, ts: (clock.t += 2_000) })));
    expect(lead() / learned).toBeGreaterThan(0.95);
  });

  it('the half-life is configurable (halfLifeDays), and rejected when not a positive number of days', async () => {
    const { clock, lead } = await engineWithAlphaClicks(7);
    const learned = lead();
    clock.t += 7 * DAY_MS;
    // Within the deferred decay step (MIN_DECAY_STEP, 5e-5): scoring does not apply a smaller one.
    expect(lead() / learned).toBeCloseTo(0.5, 4);
    expect(() => createEngine({ catalog, halfLifeDays: 0 })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    expect(() => createEngine({ catalog, halfLifeDays: Number.NaN })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });
});
