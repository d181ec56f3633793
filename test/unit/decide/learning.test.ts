import { describe, expect, it } from 'vitest';
import { DAY_MS, DEFAULT_HALF_LIFE_DAYS } from '../../../worker/decide/content-model.js';
import { IMPRESSION_SETTLE_MS } from '../../../worker/decide/learner.js';
import { sealState, type PersonalizerState, type PersonalizerStateBody } from '../../../worker/decide/state.js';
import { buildPriors } from '../../../worker/decide/index.js';
import { decideScores, harness, meanScore, scoreOf, twoThemeCatalog } from './helpers.js';

const catalog = twoThemeCatalog();
const all = catalog.map((c) => c.id);
const alpha = all.filter((id) => id.startsWith('a'));
const beta = all.filter((id) => id.startsWith('b'));

describe('learning from own events', () => {
  it('a new user without priors sees every item equal; clicks on one tag move the ranking toward it', () => {
    const h = harness({ catalog });
    const before = h.personalizer.rank({ placement: 'p', candidates: all });
    expect(new Set(before.map((r) => r.score)).size).toBe(1);
    h.personalizer.observe(h.events('click', ['a0', 'a1', 'a2', 'a3']));
    const unseenAlpha = alpha.slice(4);
    const top = h.personalizer.rank({ placement: 'p', candidates: all, k: unseenAlpha.length }).map((r) => r.itemId);
    expect(new Set(top)).toEqual(new Set(unseenAlpha));
    expect(h.personalizer.affinities()[0]).toMatchObject({ tag: 'alpha' });
    expect(h.personalizer.affinities()[0]!.weight).toBeGreaterThan(0);
  });

  it('starts from popularity and moves toward the neighbours of what the user engaged with', () => {
    const histories = Array.from({ length: 30 }, (_, u) => (u % 2 ? ['b0', 'b1', 'b2', 'b3'] : ['a0', 'a1', 'a2']));
    histories.push(...Array.from({ length: 20 }, () => ['n0']));
    const priors = buildPriors(histories);
    const h = harness({ catalog, priors });
    expect(h.personalizer.rank({ placement: 'p', candidates: all, k: 1 })[0]!.itemId).toBe('n0');
    h.personalizer.observe(h.events('view', ['b0']));
    const top = h.personalizer.rank({ placement: 'p', candidates: all, k: 3 }).map((r) => r.itemId);
    expect(new Set(top)).toEqual(new Set(['b1', 'b2', 'b3']));
    // The item itself, now seen, is ranked after unseen ones.
    const order = h.personalizer.rank({ placement: 'p', candidates: all }).map((r) => r.itemId);
    expect(order.indexOf('b0')).toBe(order.length - 1);
    // The reason names the item that drove the choice.
    const record = h.personalizer.decide({ placement: 'p', candidates: ['b2', 'n1'] });
    if (record.itemId === 'b2') expect(record.reasons.join(' ')).toMatch(/Because you engaged with “Beta story 0”/);
    expect(h.personalizer.explain(record.decisionId)!.drivers.some((d) => d.kind === 'neighbour' || d.kind === 'popularity')).toBe(true);
  });

  it('forgets with time: after a switch of taste two half-lives later, the new tag overtakes the old one sooner and the trends say so', () => {
    const wide = twoThemeCatalog(30);
    const h = harness({ catalog: wide });
    const clickedAlpha = Array.from({ length: 10 }, (_, i) => `a${i}`);
    const clickedBeta = Array.from({ length: 10 }, (_, i) => `b${i}`);
    const unseen = [...Array.from({ length: 10 }, (_, i) => `a${20 + i}`), ...Array.from({ length: 10 }, (_, i) => `b${20 + i}`)];
    const unseenAlpha = unseen.filter((id) => id.startsWith('a'));
    const unseenBeta = unseen.filter((id) => id.startsWith('b'));
    for (let round = 0; round < 4; round++) h.personalizer.observe(h.events('click', clickedAlpha));
    expect(meanScore(h.personalizer, unseenAlpha, unseen)).toBeGreaterThan(meanScore(h.personalizer, unseenBeta, unseen));
    h.clock.t += 2 * DEFAULT_HALF_LIFE_DAYS * DAY_MS;
    let rounds = 0;
    while (meanScore(h.personalizer, unseenBeta, unseen) <= meanScore(h.personalizer, unseenAlpha, unseen) && rounds < 10) {
      h.personalizer.observe(h.events('click', clickedBeta));
      rounds++;
    }
    // Without forgetting, it would take as many beta clicks as there were alpha clicks (4 rounds) to tie;
    // two half-lives later the alpha clicks weigh a quarter.
    expect(rounds).toBeLessThan(4);
    const affinity = Object.fromEntries(h.personalizer.affinities().map((a) => [a.tag, a]));
    expect(affinity.beta!.weight).toBeGreaterThan(affinity.alpha!.weight);
    expect(affinity.beta!.trend).toBeGreaterThan(0);
    expect(affinity.alpha!.trend).toBeLessThan(0);
  });

  it('an impression without a click becomes a negative once its window passes; a click in time prevents it', () => {
    const h = harness({ catalog });
    const candidates = ['a0', 'a1', 'a2'];
    h.personalizer.observe(h.events('impression', ['a0', 'a1'], { placement: 'home' }));
    h.personalizer.observe(h.events('click', ['a1']));
    const before = decideScores(h, candidates);
    // Identical alpha items until the impression settles.
    expect(before.a0).toBeCloseTo(before.a2!, 6);
    h.clock.t += IMPRESSION_SETTLE_MS;
    h.personalizer.observe(h.events('scroll', ['b0']));
    const after = decideScores(h, candidates);
    expect(after.a0).toBeLessThan(after.a2!);
    // a1 was clicked in time: one positive, no negative.
    const { body } = h.personalizer.exportState() as { body: { examples: Array<[string, number]> } };
    expect(body.examples.filter(([id]) => id === 'a1').map(([, label]) => label)).toEqual([1]);
    expect(body.examples.filter(([id]) => id === 'a0').map(([, label]) => label)).toEqual([0]);
  });

  it('reward() credits a decision once: true the first time, false when repeated or unknown', () => {
    const h = harness({ catalog });
    const record = h.personalizer.decide({ placement: 'home', candidates: ['a0', 'b0'] });
    const other = record.itemId === 'a0' ? 'b0' : 'a0';
    expect(h.personalizer.reward(record.decisionId, 1)).toBe(true);
    expect(h.personalizer.reward(record.decisionId, 1)).toBe(false);
    expect(h.personalizer.reward('nope', 1)).toBe(false);
    const scores = decideScores(h, ['a0', 'b0']);
    expect(scores[record.itemId]).toBeGreaterThan(scores[other]!);
    expect(() => h.personalizer.reward(record.decisionId, Number.NaN)).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('a click the user came to is contrasted with the average item; a decision\'s click is its outcome and is not', () => {
    const body = (h: ReturnType<typeof harness>) => (h.personalizer.exportState() as PersonalizerState).body;
    const implicit = harness({ catalog });
    implicit.personalizer.observe(implicit.events('click', ['a0']));
    const rewarded = harness({ catalog });
    rewarded.personalizer.reward(rewarded.personalizer.decide({ placement: 'home', candidates: ['a0'] }).decisionId, 1);
    // Auto-capture: the click event on a decided item carries its decision and arrives before the reward.
    const captured = harness({ catalog });
    const shown = captured.personalizer.decide({ placement: 'home', candidates: ['a0'] });
    captured.personalizer.observe(captured.events('click', ['a0'], { decisionId: shown.decisionId }));
    expect(captured.personalizer.reward(shown.decisionId, 1)).toBe(true);
    expect(body(implicit).examples.map((e) => e[5])).toEqual([true]);
    expect(body(rewarded).examples.map((e) => e[5])).toEqual([false]);
    expect(body(captured).examples.map((e) => e[5])).toEqual([false]);
    // The contrast is a negative step on the average item: it pulls the click rate down, the outcome alone does not.
    expect(body(rewarded).bias).toBeGreaterThan(body(implicit).bias);
    expect(body(captured).bias).toBeCloseTo(body(rewarded).bias, 9);
    // State saved before the flag existed contrasted every positive, and loads so.
    const old = body(rewarded);
    const legacy = { ...old, examples: old.examples.map(([id, label, weight, seq, ts]) => [id, label, weight, seq, ts]) as PersonalizerStateBody['examples'] };
    const reloaded = harness({ catalog });
    reloaded.personalizer.importState(sealState(legacy));
    expect(body(reloaded).examples.map((e) => e[5])).toEqual([true]);
  });

  it('a decision nobody clicks becomes a negative for the shown item', () => {
    const h = harness({ catalog });
    const record = h.personalizer.decide({ placement: 'home', candidates: ['a0', 'b0'] });
    const other = record.itemId === 'a0' ? 'b0' : 'a0';
    h.clock.t += IMPRESSION_SETTLE_MS;
    const after = decideScores(h, ['a0', 'b0']);
    expect(after[record.itemId]).toBeLessThan(after[other]!);
  });

  it('mute(tag): the tag contributes nothing, its items sink, and unmute restores them', () => {
    const h = harness({ catalog });
    h.personalizer.observe(h.events('click', ['a0', 'a1', 'a2']));
    const candidates = ['a5', 'b5', 'n0'];
    expect(h.personalizer.rank({ placement: 'p', candidates })[0]!.itemId).toBe('a5');
    h.personalizer.mute('alpha');
    const muted = h.personalizer.rank({ placement: 'p', candidates });
    expect(muted[muted.length - 1]!.itemId).toBe('a5');
    expect(h.personalizer.affinities().some((a) => a.tag === 'alpha')).toBe(false);
    // Learning while muted does not touch the muted tag.
    h.personalizer.observe(h.events('click', ['a6']));
    h.personalizer.unmute('alpha');
    expect(h.personalizer.rank({ placement: 'p', candidates })[0]!.itemId).toBe('a5');
    expect(() => h.personalizer.mute('')).toThrow(expect.objectContaining({ code: 'invalid_argument' }));
  });

  it('explain() lists the alternatives best first with their probabilities, and the reasons given', () => {
    const h = harness({ catalog });
    h.personalizer.observe(h.events('click', ['a0', 'a1', 'a2']));
    const record = h.personalizer.decide({ placement: 'home', candidates: ['b1', 'a5', 'n0'] });
    const explanation = h.personalizer.explain(record.decisionId)!;
    expect(explanation.alternatives.map((a) => a.itemId)[0]).toBe('a5');
    expect(explanation.alternatives.reduce((s, a) => s + a.probability, 0)).toBeCloseTo(1, 12);
    expect(explanation.reasons).toEqual(record.reasons);
    if (record.itemId === 'a5') {
      expect(record.reasons.join(' ')).toMatch(/Matches your interest in alpha/);
      expect(explanation.drivers.find((d) => d.kind === 'tag')).toMatchObject({ label: 'alpha' });
    }
    expect(h.personalizer.explain('unknown')).toBeUndefined();
  });

  it('reset() forgets everything learned', () => {
    const h = harness({ catalog });
    h.personalizer.observe(h.events('click', ['a0', 'a1']));
    h.personalizer.mute('beta');
    h.personalizer.reset();
    expect(h.personalizer.affinities()).toEqual([]);
    expect(new Set(h.personalizer.rank({ placement: 'p', candidates: all }).map((r) => r.score)).size).toBe(1);
  });
});
