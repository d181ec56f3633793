import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import {
  createItemHistory,
  MAX_HISTORY_ITEMS,
  MAX_IMPRESSIONS_KEPT,
  MAX_PLACEMENTS_PER_ITEM,
  type ItemHistoryState,
} from '../../../worker/rules/index.js';
import { DAY, ev, MINUTE, T0 } from './helpers.js';

describe('item history', () => {
  it('records last seen, clicked and converted; a click or convert also counts as seen', () => {
    const history = createItemHistory();
    history.observe([
      ev('view', T0, { itemId: 'a' }),
      ev('click', T0 + MINUTE, { itemId: 'a' }),
      ev('convert', T0 + 2 * MINUTE, { itemId: 'b' }),
      ev('dwell', T0 + 3 * MINUTE, { itemId: 'c', value: 1000 }),
      ev('view', T0 + 4 * MINUTE),
    ]);
    expect(history.lastTs('a', 'seen')).toBe(T0 + MINUTE);
    expect(history.lastTs('a', 'clicked')).toBe(T0 + MINUTE);
    expect(history.lastTs('a', 'converted')).toBeUndefined();
    expect(history.lastTs('b', 'seen')).toBe(T0 + 2 * MINUTE);
    expect(history.lastTs('b', 'converted')).toBe(T0 + 2 * MINUTE);
    expect(history.get('c')).toBeUndefined();
    expect(history.size).toBe(2);
  });

  it('keeps the latest time whatever the arrival order', () => {
    const history = createItemHistory();
    history.observe([ev('view', T0 + DAY, { itemId: 'a' })]);
    history.observe([ev('view', T0, { itemId: 'a' })]);
    expect(history.lastTs('a', 'seen')).toBe(T0 + DAY);
  });

  it('counts impressions per placement, keeping the most recent times', () => {
    const history = createItemHistory();
    const times = Array.from({ length: MAX_IMPRESSIONS_KEPT + 5 }, (_, i) => T0 + i * MINUTE);
    history.observe(times.map((ts) => ev('impression', ts, { itemId: 'a', placement: 'hero' })));
    history.observe([ev('impression', T0, { itemId: 'a', placement: 'side' })]);
    expect(history.impressionsSince('a', 'hero', T0)).toBe(MAX_IMPRESSIONS_KEPT);
    expect(history.impressionsSince('a', 'hero', T0 + 13 * MINUTE)).toBe(2);
    expect(history.impressionsSince('a', 'side', T0)).toBe(1);
    expect(history.impressionsSince('a', 'footer', T0)).toBe(0);
    expect(history.get('a')!.impressions.hero!.count).toBe(MAX_IMPRESSIONS_KEPT + 5);
  });

  it('keeps at most a few placements per item, dropping the stalest', () => {
    const history = createItemHistory();
    const placements = Array.from({ length: MAX_PLACEMENTS_PER_ITEM + 1 }, (_, i) => `p${i}`);
    history.observe(placements.map((placement, i) => ev('impression', T0 + i * MINUTE, { itemId: 'a', placement })));
    expect(Object.keys(history.get('a')!.impressions)).toEqual(placements.slice(1));
  });

  it('forgets the least recently touched items beyond its bound', () => {
    const history = createItemHistory();
    const ids = Array.from({ length: MAX_HISTORY_ITEMS + 20 }, (_, i) => `item-${i}`);
    history.observe(ids.map((itemId, i) => ev('view', T0 + i * MINUTE, { itemId })));
    // Touch an old one again: it is kept.
    history.observe([ev('click', T0 + 10 * DAY, { itemId: 'item-0' })]);
    history.observe([ev('view', T0 + 11 * DAY, { itemId: 'fresh' })]);
    expect(history.size).toBe(MAX_HISTORY_ITEMS);
    expect(history.get('item-0')).toBeDefined();
    expect(history.get('fresh')).toBeDefined();
    expect(history.get('item-1')).toBeUndefined();
    expect(history.get(`item-${MAX_HISTORY_ITEMS + 19}`)).toBeDefined();
    expect(JSON.stringify(history.exportState()).length).toBeLessThan(64 * 1024);
  });

  it('treats a placement named __proto__ as an ordinary key', () => {
    const history = createItemHistory();
    history.observe([ev('impression', T0, { itemId: 'a', placement: '__proto__' })]);
    expect(history.impressionsSince('a', '__proto__', T0)).toBe(1);
    expect(history.impressionsSince('a', 'toString', T0)).toBe(0);
    const restored = createItemHistory();
    restored.importState(JSON.parse(JSON.stringify(history.exportState())));
    expect(restored.impressionsSince('a', '__proto__', T0)).toBe(1);
    expect(Object.getPrototypeOf(restored.get('a')!.impressions)).toBe(Object.prototype);
  });

  it('round-trips its state and rejects tampering, leaving it empty', () => {
    const history = createItemHistory();
    history.observe([ev('view', T0, { itemId: 'a' }), ev('impression', T0, { itemId: 'a', placement: 'hero' })]);
    const state = history.exportState();
    const restored = createItemHistory();
    restored.importState(JSON.parse(JSON.stringify(state)));
    expect(restored.exportState()).toEqual(state);

    const record = state.items[0]![1];
    const bad: unknown[] = [
      undefined,
      { version: 2, items: [] },
      { version: 1, items: 'a' },
      { version: 1, items: [['a', { ...record, lastSeen: -1 }]] },
      { version: 1, items: [['a', record], ['a', record]] },
      { version: 1, items: [['a', { ...record, impressions: { hero: { count: 0, recent: [T0] } } }]] },
      { version: 1, items: [['a', { ...record, impressions: { hero: { count: 2, recent: [T0 + 1, T0] } } }]] },
      { version: 1, items: [['', record]] },
      { version: 1, items: Array.from({ length: MAX_HISTORY_ITEMS + 1 }, (_, i) => [`i${i}`, record]) } satisfies ItemHistoryState,
    ];
    for (const value of bad) {
      const target = createItemHistory();
      target.importState(JSON.parse(JSON.stringify(state)));
      expect(() => target.importState(value)).toThrow(InsituError);
      expect(target.size).toBe(0);
    }
  });
});
