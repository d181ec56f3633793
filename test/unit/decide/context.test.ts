/**
 * The request's context is a feature: context keys crossed with the candidates' tags (and
 * embedding dimensions) in the reward model, learned from the outcomes of decisions made in it.
 */
import { describe, expect, it } from 'vitest';
import { harness, twoThemeCatalog } from './helpers.js';

const catalog = twoThemeCatalog(30);
const MOBILE = { device_mobile: 1 };
const DESKTOP = { device_desktop: 1 };

/** This person clicks alpha on a phone and beta at a desk; always, and nothing else. */
const clicks = (context: Record<string, number>, itemId: string) => (context === MOBILE ? itemId.startsWith('a') : itemId.startsWith('b'));

/**
 * 200 decisions: after the first few dozen every choice is clicked, and a decision's click is
 * not contrasted with an invented negative (content-model.ts), so the desktop preference grows
 * from the outcomes alone.
 */
function trained() {
  const h = harness({ catalog, seed: 3 });
  for (let round = 0; round < 200; round++) {
    const context = round % 2 === 0 ? MOBILE : DESKTOP;
    const candidates = [`a${round % 20}`, `b${(round * 7) % 20}`];
    const record = h.personalizer.decide({ placement: 'home', candidates, context });
    h.personalizer.reward(record.decisionId, clicks(context, record.itemId) ? 1 : 0);
    h.clock.t += 60_000;
  }
  return h;
}

describe('context in decisions', () => {
  it('a person whose clicks depend on the device gets device-dependent decisions', () => {
    const h = trained();
    const candidates = ['a29', 'b29'];
    const mobile = h.personalizer.decide({ placement: 'probe', candidates, context: MOBILE });
    const desktop = h.personalizer.decide({ placement: 'probe', candidates, context: DESKTOP });
    // The same two candidates, the opposite favourite: alpha on mobile, beta on desktop.
    expect(mobile.scores[0]!).toBeGreaterThan(mobile.scores[1]!);
    expect(desktop.scores[1]!).toBeGreaterThan(desktop.scores[0]!);
    expect(mobile.probabilities[0]!).toBeGreaterThan(0.9);
    expect(desktop.probabilities[1]!).toBeGreaterThan(0.9);
    // Without context the two themes are even (both were clicked as often).
    const plain = h.personalizer.decide({ placement: 'probe', candidates });
    expect(Math.abs(plain.scores[0]! - plain.scores[1]!)).toBeLessThan(Math.abs(mobile.scores[0]! - mobile.scores[1]!) / 2);
    expect(h.personalizer.explain(mobile.decisionId)!.reasons.join(' ')).toMatch(/similar situation/);
  });

  it('rank() uses the context too', () => {
    const h = trained();
    const candidates = ['a28', 'b28', 'a27', 'b27'];
    const top = (context: Record<string, number>) => h.personalizer.rank({ placement: 'shelf', candidates, context, k: 2 }).map((r) => r.itemId[0]);
    expect(top(MOBILE)).toEqual(['a', 'a']);
    expect(top(DESKTOP)).toEqual(['b', 'b']);
  });

  it('learned context survives export and import', () => {
    const h = trained();
    const copy = harness({ catalog, seed: 3 });
    copy.clock.t = h.clock.t;
    copy.personalizer.importState(h.personalizer.exportState());
    const candidates = ['a29', 'b29'];
    expect(copy.personalizer.rank({ placement: 'p', candidates, context: DESKTOP })).toEqual(h.personalizer.rank({ placement: 'p', candidates, context: DESKTOP }));
  });

  it('a context that is not an object of finite numbers is an invalid_argument', () => {
    const h = harness({ catalog });
    for (const context of [{ hour: Number.NaN }, { device: 'mobile' }, [1, 2]] as unknown as Array<Record<string, number>>) {
      expect(() => h.personalizer.decide({ placement: 'home', candidates: ['a0', 'b0'], context })).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
  });
});
