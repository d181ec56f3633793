import { describe, expect, it } from 'vitest';
import { FREQUENCY_CAP_SHOWS, FREQUENCY_CAP_WINDOW_MS } from '../../../worker/decide/caps.js';
import { harness, twoThemeCatalog } from './helpers.js';

const catalog = twoThemeCatalog();
const candidates = ['a0', 'a1', 'b0', 'b1'];

describe('frequency caps', () => {
  it(`an item shown ${FREQUENCY_CAP_SHOWS} times in a placement without a click gets probability 0 there`, () => {
    const h = harness({ catalog });
    const shows = new Map<string, number>();
    for (let t = 0; t < 4 * FREQUENCY_CAP_SHOWS; t++) {
      const record = h.personalizer.decide({ placement: 'home', candidates });
      candidates.forEach((id, a) => {
        if ((shows.get(id) ?? 0) >= FREQUENCY_CAP_SHOWS) expect(record.probabilities[a]).toBe(0);
      });
      expect((shows.get(record.itemId) ?? 0) < FREQUENCY_CAP_SHOWS).toBe(true);
      shows.set(record.itemId, (shows.get(record.itemId) ?? 0) + 1);
      h.clock.t += 1_000;
    }
    // Every candidate was shown exactly the cap: caps spread the shows.
    expect([...shows.values()]).toEqual(candidates.map(() => FREQUENCY_CAP_SHOWS));
  });

  it('when every candidate is capped, all become eligible again (the placement never goes blank)', () => {
    const h = harness({ catalog });
    for (let t = 0; t < 4 * FREQUENCY_CAP_SHOWS; t++) h.personalizer.decide({ placement: 'home', candidates });
    const record = h.personalizer.decide({ placement: 'home', candidates });
    expect(record.probabilities.every((p) => p > 0)).toBe(true);
    expect(record.reasons.join(' ')).not.toMatch(/left out/);
  });

  it('caps are per placement, lifted by a click, and expire with the window', () => {
    const h = harness({ catalog });
    const only = ['a0', 'b0'];
    const seen: string[] = [];
    for (let t = 0; t < FREQUENCY_CAP_SHOWS; t++) {
      // With one candidate capped the other is certain; find which gets capped first.
      const record = h.personalizer.decide({ placement: 'home', candidates: ['a0'] });
      seen.push(record.itemId);
    }
    const capped = h.personalizer.decide({ placement: 'home', candidates: only });
    expect(capped.probabilities).toEqual([0, 1]);
    expect(capped.reasons.join(' ')).toMatch(/1 other item was left out/);
    // Another placement is not affected.
    expect(h.personalizer.decide({ placement: 'sidebar', candidates: only }).probabilities[0]).toBeGreaterThan(0);
    // A click on a0 lifts its cap.
    h.personalizer.observe(h.events('click', ['a0']));
    expect(h.personalizer.decide({ placement: 'home', candidates: only }).probabilities[0]).toBeGreaterThan(0);
    // Cap it again, then let the window pass.
    for (let t = 0; t < FREQUENCY_CAP_SHOWS; t++) h.personalizer.decide({ placement: 'home', candidates: ['a0'] });
    expect(h.personalizer.decide({ placement: 'home', candidates: only }).probabilities[0]).toBe(0);
    h.clock.t += FREQUENCY_CAP_WINDOW_MS;
    expect(h.personalizer.decide({ placement: 'home', candidates: only }).probabilities[0]).toBeGreaterThan(0);
    expect(seen).toEqual(['a0', 'a0', 'a0']);
  });

  it('a positive reward lifts the cap of the rewarded item in that placement', () => {
    const h = harness({ catalog });
    let last;
    for (let t = 0; t < FREQUENCY_CAP_SHOWS; t++) last = h.personalizer.decide({ placement: 'home', candidates: ['a0'] });
    expect(h.personalizer.decide({ placement: 'home', candidates: ['a0', 'b0'] }).probabilities[0]).toBe(0);
    expect(h.personalizer.reward(last!.decisionId, 1)).toBe(true);
    expect(h.personalizer.decide({ placement: 'home', candidates: ['a0', 'b0'] }).probabilities[0]).toBeGreaterThan(0);
  });

  it('holdout devices are capped too (the arms differ only in personalization)', () => {
    const h = harness({ catalog, inHoldout: true, priors: { version: 1, popularity: { a0: 10, b0: 1 }, neighbours: {} } });
    const picks = Array.from({ length: FREQUENCY_CAP_SHOWS + 1 }, () => h.personalizer.decide({ placement: 'home', candidates: ['a0', 'b0'] }).itemId);
    expect(picks).toEqual([...Array.from({ length: FREQUENCY_CAP_SHOWS }, () => 'a0'), 'b0']);
  });
});
