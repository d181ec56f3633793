import { describe, expect, it } from 'vitest';
import { applyRules, createItemHistory, parseRules, type RuleInput } from '../../../worker/rules/index.js';
import { createSignalTracker } from '../../../worker/signals/index.js';
import { catalogOf, DAY, ev, EXAMPLE_RULES, MINUTE, signalsWith, T0 } from './helpers.js';

const catalog = catalogOf([
  { id: 'welcome-offer', tags: ['welcome', 'offer'] },
  { id: 'welcome-guide', tags: ['welcome'] },
  { id: 'loan', tags: ['finance'], sensitive: 'finance' },
  { id: 'shoes', tags: ['fashion'], title: 'Shoes' },
  { id: 'hat', tags: ['fashion', 'summer'], title: 'Hat' },
  { id: 'bare' },
  { id: 'bestseller', tags: ['top'] },
]);
const ALL = ['welcome-offer', 'welcome-guide', 'loan', 'shoes', 'hat', 'bare'];
const NOW = T0 + 30 * DAY;

function input(overrides: Partial<RuleInput> = {}): RuleInput {
  return { placement: 'hero', candidates: ALL, catalog, signals: signalsWith(), history: createItemHistory(), now: NOW, ...overrides };
}
const rulesFor = (hero: Record<string, unknown>) => parseRules({ version: 1, placements: { hero } });

describe('applyRules: eligibility', () => {
  it('exclude seen within N days drops items seen inside the window only', () => {
    const history = createItemHistory();
    history.observe([
      ev('view', NOW - 3 * DAY, { itemId: 'shoes' }),
      ev('impression', NOW - 6 * DAY, { itemId: 'hat', placement: 'side' }),
      ev('view', NOW - 10 * DAY, { itemId: 'bare' }),
    ]);
    const out = applyRules(rulesFor({ eligibility: [{ exclude: 'seen', withinDays: 7 }] }), input({ history }));
    expect(out.candidates).toEqual(['welcome-offer', 'welcome-guide', 'loan', 'bare']);
    expect(out.fired).toEqual(['hero.eligibility[0] (exclude items seen in the last 7 days) removed 2 of 6: shoes, hat.']);
  });

  it('exclude clicked and converted (ever) use their own history', () => {
    const history = createItemHistory();
    history.observe([ev('click', NOW - 100 * DAY, { itemId: 'shoes' }), ev('convert', NOW - DAY, { itemId: 'hat' }), ev('view', NOW, { itemId: 'bare' })]);
    expect(applyRules(rulesFor({ eligibility: [{ exclude: 'clicked' }] }), input({ history })).candidates).not.toContain('shoes');
    const converted = applyRules(rulesFor({ eligibility: [{ exclude: 'converted' }] }), input({ history })).candidates;
    expect(converted).toEqual(ALL.filter((id) => id !== 'hat'));
  });

  it('only tag X applies for its stage and is skipped otherwise', () => {
    const rules = rulesFor({ eligibility: [{ only: { tag: 'welcome' }, when: { stage: 'new' } }] });
    const forNew = applyRules(rules, input({ signals: signalsWith({ stage: 'new' }) }));
    expect(forNew.candidates).toEqual(['welcome-offer', 'welcome-guide']);
    expect(forNew.fired[0]).toMatch(/only items tagged "welcome" when stage is new\) removed 4 of 6/);
    const forEngaged = applyRules(rules, input({ signals: signalsWith({ stage: 'engaged' }) }));
    expect(forEngaged).toEqual({ candidates: ALL, fired: [] });
  });

  it('field filters: exclude sensitive items, match a field value, keep unknown items out of `only`', () => {
    const noSensitive = applyRules(rulesFor({ eligibility: [{ exclude: { field: 'sensitive', exists: true } }] }), input());
    expect(noSensitive.candidates).toEqual(ALL.filter((id) => id !== 'loan'));
    const onlyFinance = applyRules(rulesFor({ eligibility: [{ only: { field: 'sensitive', equals: 'finance' } }] }), input({ candidates: [...ALL, 'not-in-catalog'] }));
    expect(onlyFinance.candidates).toEqual(['loan']);
    const untitled = applyRules(rulesFor({ eligibility: [{ only: { field: 'title', exists: false } }] }), input());
    expect(untitled.candidates).toEqual(['welcome-offer', 'welcome-guide', 'loan', 'bare']);
  });

  it('id lists and any-tag lists', () => {
    expect(applyRules(rulesFor({ eligibility: [{ exclude: { ids: ['loan', 'bare', 'elsewhere'] } }] }), input()).candidates).toEqual([
      'welcome-offer',
      'welcome-guide',
      'shoes',
      'hat',
    ]);
    expect(applyRules(rulesFor({ eligibility: [{ only: { anyTag: ['summer', 'finance'] } }] }), input()).candidates).toEqual(['loan', 'hat']);
  });

  it('conditions over engagement, sessions, hour (wrapping midnight) and weekday', () => {
    const rules = rulesFor({
      eligibility: [
        { exclude: { ids: ['loan'] }, when: { engagement: { atLeast: 0.5 } } },
        { exclude: { ids: ['bare'] }, when: { sessions: { atMost: 2 } } },
        { exclude: { ids: ['hat'] }, when: { hour: { from: 22, to: 6 } } },
        { exclude: { ids: ['shoes'] }, when: { weekday: [0, 6] } },
      ],
    });
    const removed = (signals: Parameters<typeof signalsWith>[0]) =>
      ALL.filter((id) => !applyRules(rules, input({ signals: signalsWith(signals) })).candidates.includes(id));
    expect(removed({ engagement: 0.5, sessions: 5, hour: 12, weekday: 3 })).toEqual(['loan']);
    expect(removed({ engagement: 0.49, sessions: 2, hour: 12, weekday: 3 })).toEqual(['bare']);
    expect(removed({ engagement: 0.1, sessions: 9, hour: 23, weekday: 3 })).toEqual(['hat']);
    expect(removed({ engagement: 0.1, sessions: 9, hour: 5, weekday: 3 })).toEqual(['hat']);
    expect(removed({ engagement: 0.1, sessions: 9, hour: 6, weekday: 6 })).toEqual(['shoes']);
  });
});

describe('applyRules: caps, fallback, pins', () => {
  it('a frequency cap drops items shown too often in this placement within the window', () => {
    const history = createItemHistory();
    const shown = (itemId: string, placement: string, ago: number) => ev('impression', NOW - ago, { itemId, placement });
    history.observe([
      shown('shoes', 'hero', 3 * MINUTE), shown('shoes', 'hero', 2 * MINUTE), shown('shoes', 'hero', MINUTE),
      // Two in this window plus one older: under the cap.
      shown('hat', 'hero', 2 * DAY), shown('hat', 'hero', 2 * MINUTE), shown('hat', 'hero', MINUTE),
      // Three, but in another placement.
      shown('bare', 'side', 3 * MINUTE), shown('bare', 'side', 2 * MINUTE), shown('bare', 'side', MINUTE),
    ]);
    const out = applyRules(rulesFor({ caps: [{ maxImpressions: 3, withinDays: 1, name: 'three a day' }] }), input({ history }));
    expect(out.candidates).toEqual(ALL.filter((id) => id !== 'shoes'));
    expect(out.fired).toEqual(['three a day (at most 3 impressions per item in 1 day) removed 1 of 6: shoes.']);
  });

  it('a rule that empties the candidates yields the fallback, and says so', () => {
    const rules = rulesFor({ eligibility: [{ only: { tag: 'nothing-has-this' } }], fallback: 'bestseller' });
    const out = applyRules(rules, input());
    expect(out.candidates).toEqual([]);
    expect(out.fallback).toBe('bestseller');
    expect(out.pinned).toBeUndefined();
    expect(out.fired).toHaveLength(2);
    expect(out.fired[1]).toBe('No candidate left for hero: fallback "bestseller".');
  });

  it('with no fallback declared, an emptied placement returns no candidates and no fallback', () => {
    const out = applyRules(rulesFor({ eligibility: [{ exclude: { ids: ALL } }] }), input());
    expect(out.candidates).toEqual([]);
    expect(out.fallback).toBeUndefined();
    expect(out.fired.at(-1)).toMatch(/no fallback declared/);
  });

  it('pins the first pin whose condition holds and whose item survived the rules', () => {
    const rules = rulesFor({
      eligibility: [{ exclude: { ids: ['hat'] } }],
      pin: [
        { item: 'hat', name: 'summer hat' },
        { item: 'welcome-offer', when: { stage: 'new' }, name: 'welcome for new visitors' },
        { item: 'shoes' },
      ],
    });
    const forNew = applyRules(rules, input({ signals: signalsWith({ stage: 'new' }) }));
    expect(forNew.pinned).toEqual({ itemId: 'welcome-offer', rule: 'welcome for new visitors' });
    expect(forNew.fired.at(-1)).toBe('welcome for new visitors pinned "welcome-offer" when stage is new.');
    expect(forNew.candidates).toContain('welcome-offer');
    const forOthers = applyRules(rules, input({ signals: signalsWith({ stage: 'engaged' }) }));
    expect(forOthers.pinned).toEqual({ itemId: 'shoes', rule: 'hero.pin[2]' });
    // A pin never brings in an item the page did not offer.
    expect(applyRules(rules, input({ candidates: ['bare'] })).pinned).toBeUndefined();
  });

  it('a capped pinned item is not pinned again', () => {
    const history = createItemHistory();
    history.observe([1, 2, 3].map((m) => ev('impression', NOW - m * MINUTE, { itemId: 'welcome-offer', placement: 'hero' })));
    const rules = rulesFor({ pin: [{ item: 'welcome-offer' }], caps: [{ maxImpressions: 3, withinDays: 1 }] });
    expect(applyRules(rules, input({ history })).pinned).toBeUndefined();
  });

  it('a placement without rules passes candidates through; prototype names are just unknown placements', () => {
    const rules = parseRules(EXAMPLE_RULES);
    expect(applyRules(rules, input({ placement: 'footer' }))).toEqual({ candidates: ALL, fired: [] });
    expect(applyRules(rules, input({ placement: 'constructor' }))).toEqual({ candidates: ALL, fired: [] });
    expect(applyRules(rules, input({ placement: '__proto__' }))).toEqual({ candidates: ALL, fired: [] });
  });

  it('does not modify the input candidates', () => {
    const candidates = [...ALL];
    applyRules(rulesFor({ eligibility: [{ exclude: { ids: ['loan'] } }] }), input({ candidates }));
    expect(candidates).toEqual(ALL);
  });
});

describe('the example rules over a real journey', () => {
  it('a first visit is pinned the welcome offer; later, seen items and the cap take over, then the fallback', () => {
    const rules = parseRules(EXAMPLE_RULES);
    const tracker = createSignalTracker();
    const history = createItemHistory();
    const candidates = ['welcome-offer', 'welcome-guide', 'loan', 'shoes'];
    const step = (events: ReturnType<typeof ev>[], now: number) => {
      tracker.observe(events);
      history.observe(events);
      return applyRules(rules, { placement: 'hero', candidates, catalog, signals: tracker.current(now), history, now });
    };

    const first = step([ev('view', T0, { itemId: 'shoes' })], T0 + MINUTE);
    expect(first.candidates).toEqual(['welcome-offer', 'welcome-guide']);
    expect(first.pinned).toEqual({ itemId: 'welcome-offer', rule: 'hero.pin[0]' });

    // Shown on the welcome slot: now seen, so excluded for a week; the guide is left, unpinned.
    const second = step([ev('impression', T0 + 2 * MINUTE, { itemId: 'welcome-offer', placement: 'hero' })], T0 + 3 * MINUTE);
    expect(second.candidates).toEqual(['welcome-guide']);
    expect(second.pinned).toBeUndefined();

    // A week later and a second visit: no longer new, the welcome-only rule no longer applies.
    const later = T0 + 8 * DAY;
    const third = step([ev('view', later, { itemId: 'welcome-guide' })], later + MINUTE);
    expect(third.candidates).toEqual(['welcome-offer', 'shoes']);

    // Everything seen, sensitive or excluded: the fallback.
    const fourth = step([ev('view', later + 2 * MINUTE, { itemId: 'welcome-offer' }), ev('view', later + 3 * MINUTE, { itemId: 'shoes' })], later + 4 * MINUTE);
    expect(fourth).toMatchObject({ candidates: [], fallback: 'bestseller' });
  });
});
