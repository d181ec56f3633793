import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import { buildPriors } from '../../../worker/decide/index.js';
import { checksumOf, MAX_STATE_ALTERNATIVES, MAX_STATE_DECISIONS, STATE_VERSION, type PersonalizerState } from '../../../worker/decide/state.js';
import { harness, twoThemeCatalog } from './helpers.js';

const catalog = twoThemeCatalog();
const all = catalog.map((c) => c.id);
const priors = buildPriors([
  ['a0', 'a1', 'b0'],
  ['a1', 'a2'],
  ['b1', 'b2', 'n0'],
]);

function trained() {
  const h = harness({ catalog, priors, seed: 9 });
  h.personalizer.observe(h.events('click', ['a0', 'a1', 'a2']));
  h.personalizer.observe(h.events('impression', ['b3'], { placement: 'home' }));
  h.personalizer.mute('neutral');
  for (let t = 0; t < 5; t++) h.personalizer.decide({ placement: 'home', candidates: ['a3', 'b3', 'n1', 'a4'] });
  return h;
}

describe('personalizer state', () => {
  it('round trips through JSON: same scores, affinities, explanations and next decisions', () => {
    const original = trained();
    const state = JSON.parse(JSON.stringify(original.personalizer.exportState())) as PersonalizerState;
    expect(state.version).toBe(STATE_VERSION);
    const copy = harness({ catalog, priors, seed: 9 });
    copy.clock.t = original.clock.t;
    copy.personalizer.importState(state);
    expect(copy.personalizer.rank({ placement: 'p', candidates: all })).toEqual(original.personalizer.rank({ placement: 'p', candidates: all }));
    expect(copy.personalizer.affinities()).toEqual(original.personalizer.affinities());
    const [someDecision] = state.body.decisions;
    expect(copy.personalizer.explain(someDecision!.record.decisionId)).toEqual(original.personalizer.explain(someDecision!.record.decisionId));
    expect(copy.personalizer.exportState()).toEqual(original.personalizer.exportState());
    // A reward for a decision made before the reload still counts (once).
    expect(copy.personalizer.reward(someDecision!.record.decisionId, 1)).toBe(true);
    expect(copy.personalizer.reward(someDecision!.record.decisionId, 1)).toBe(false);
  });

  it('rejects tampered state with invalid_argument and leaves a clean start', () => {
    const original = trained();
    const fresh = harness({ catalog, priors });
    const cleanRanking = fresh.personalizer.rank({ placement: 'p', candidates: all });
    const tamper: Array<(s: PersonalizerState) => unknown> = [
      (s) => ({ ...s, body: { ...s.body, bias: s.body.bias + 1 } }), // edited without the checksum
      (s) => ({ ...s, version: 99 }),
      (s) => ({ ...s, format: 'other' }),
      (s) => ({ ...s, checksum: undefined }),
      () => 'not state',
      () => null,
    ];
    for (const alter of tamper) {
      const h = trained();
      const state = structuredClone(original.personalizer.exportState()) as PersonalizerState;
      let error: unknown;
      try {
        h.personalizer.importState(alter(state));
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(InsituError);
      expect((error as InsituError).code).toBe('invalid_argument');
      expect(h.personalizer.rank({ placement: 'p', candidates: all })).toEqual(cleanRanking);
      expect(h.personalizer.affinities()).toEqual([]);
    }
  });

  it('rejects well-sealed state that is malformed or over its bounds', () => {
    const original = trained().personalizer.exportState() as PersonalizerState;
    const reseal = (body: unknown) => ({ ...original, body, checksum: checksumOf(body as PersonalizerState['body']) });
    const bad = [
      { ...original.body, bias: Number.POSITIVE_INFINITY },
      { ...original.body, weights: [['tag:alpha', 'heavy']] },
      { ...original.body, seen: [42] },
      { ...original.body, examples: [['a0', 2, 1, 0]] },
      { ...original.body, decisions: Array.from({ length: MAX_STATE_DECISIONS + 1 }, () => original.body.decisions[0]) },
      { ...original.body, decisions: [{ ...original.body.decisions[0], record: { ...original.body.decisions[0]!.record, propensity: 2 } }] },
      { ...original.body, decisions: [{ ...original.body.decisions[0], record: { ...original.body.decisions[0]!.record, scores: [] } }] },
      { ...original.body, profile: undefined },
    ];
    for (const body of bad) {
      const h = harness({ catalog, priors });
      expect(() => h.personalizer.importState(reseal(body))).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
    }
    // The untouched original, resealed, is accepted.
    expect(() => harness({ catalog, priors }).personalizer.importState(reseal(original.body))).not.toThrow();
  });

  it('keeps what was learned across a catalog update (state is keyed by id and tag, not position)', () => {
    const h = trained();
    const before = h.personalizer.affinities();
    const reordered = [...catalog].reverse();
    h.personalizer.setCatalog([...reordered, { id: 'c0', tags: ['gamma'] }]);
    expect(h.personalizer.affinities()).toEqual(before);
    const top = h.personalizer.rank({ placement: 'p', candidates: ['a5', 'b5', 'c0'], k: 1 });
    expect(top[0]!.itemId).toBe('a5');
    expect(() => h.personalizer.setCatalog([{ id: 'x' }, { id: 'x' }])).toThrow(expect.objectContaining({ code: 'invalid_catalog' }));
    expect(() => h.personalizer.setPriors({ version: 3 } as never)).toThrow(expect.objectContaining({ code: 'invalid_priors' }));
  });

  it(`stores each decision with its best ${MAX_STATE_ALTERNATIVES} alternatives (the chosen one always): reward and explain still work after a reload`, () => {
    const h = harness({ catalog, priors, seed: 4 });
    h.personalizer.observe(h.events('click', ['a0', 'a1', 'a2']));
    // Offer the worst-scoring items too, so the chosen one (exploration may pick any) is tested either way.
    const made = Array.from({ length: 12 }, () => h.personalizer.decide({ placement: 'home', candidates: all }));
    const state = JSON.parse(JSON.stringify(h.personalizer.exportState())) as PersonalizerState;
    for (const { record } of state.body.decisions) {
      const original = made.find((d) => d.decisionId === record.decisionId)!;
      expect(record.candidates.length).toBe(MAX_STATE_ALTERNATIVES);
      expect(record.candidates).toContain(original.itemId);
      // The kept ones are in the slate's order, each with its own score and probability.
      const at = record.candidates.map((id) => original.candidates.indexOf(id));
      expect(at).toEqual([...at].sort((x, y) => x - y));
      expect(record.scores).toEqual(at.map((i) => original.scores[i]));
      expect(record.probabilities).toEqual(at.map((i) => original.probabilities[i]));
      // Apart from the chosen one, no dropped candidate scored above a kept one.
      const others = at.filter((i) => original.candidates[i] !== original.itemId).map((i) => original.scores[i]!);
      const dropped = original.scores.filter((_, i) => !at.includes(i));
      expect(Math.max(...dropped)).toBeLessThanOrEqual(Math.min(...others));
    }
    const copy = harness({ catalog, priors, seed: 4 });
    copy.clock.t = h.clock.t;
    copy.personalizer.importState(state);
    const last = made[made.length - 1]!;
    expect(copy.personalizer.explain(last.decisionId)?.alternatives).toHaveLength(MAX_STATE_ALTERNATIVES);
    expect(copy.personalizer.explain(last.decisionId)?.reasons).toEqual(last.reasons);
    expect(copy.personalizer.reward(last.decisionId, 1)).toBe(true);
  });

  it('stays bounded however long it runs', () => {
    const h = harness({ catalog, priors });
    for (let t = 0; t < 600; t++) {
      h.personalizer.observe(h.events(t % 3 ? 'click' : 'impression', [all[t % all.length]!], { placement: 'home' }));
      h.personalizer.decide({ placement: `p${t % 7}`, candidates: all.slice(t % 10, (t % 10) + 8) });
    }
    const size = JSON.stringify(h.personalizer.exportState()).length;
    expect(size).toBeLessThan(200_000);
    const body = (h.personalizer.exportState() as PersonalizerState).body;
    expect(body.decisions.length).toBe(MAX_STATE_DECISIONS);
  });
});
