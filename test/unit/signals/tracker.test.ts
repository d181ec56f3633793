import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import {
  CONVERTING_WINDOW_DAYS,
  createSignalTracker,
  DWELL_SATURATION_MS,
  ENGAGED_MIN_ENGAGEMENT,
  FREQUENCY_SATURATION_SESSIONS,
  LAPSE_AFTER_DAYS,
  MAX_DAY_BUCKETS,
  MAX_DWELL_PER_EVENT_MS,
  MAX_SESSIONS_KEPT,
  RECENCY_HALF_LIFE_DAYS,
  SESSION_GAP_MS,
  W_DWELL,
  W_FREQUENCY,
  W_SCROLL,
  type SignalState,
} from '../../../worker/signals/index.js';
import { DAY, ev, MINUTE, T0, visit } from './helpers.js';

const frequencyOf = (sessions: number) => Math.min(1, Math.log1p(sessions) / Math.log1p(FREQUENCY_SATURATION_SESSIONS));

describe('signal tracker on scripted sequences', () => {
  it('a device with no events is new, with zero engagement', () => {
    const signals = createSignalTracker().current(T0);
    expect(signals).toMatchObject({ stage: 'new', engagement: 0, sessions: 0, eventsLast30d: 0 });
    expect(signals.lastSeenTs).toBeUndefined();
    expect(signals.daysSinceLastVisit).toBeUndefined();
    expect(signals.explanation[0]).toMatch(/no visit/);
  });

  it('a first visit is new, scored by the documented formula', () => {
    const tracker = createSignalTracker();
    tracker.observe(visit(T0, 3, { dwellMs: 60_000, scroll: 0.5 }));
    const now = T0 + 5 * MINUTE;
    const signals = tracker.current(now);
    const expected = (W_FREQUENCY * frequencyOf(1) + W_DWELL * (60_000 / DWELL_SATURATION_MS) + W_SCROLL * 0.5) / (W_FREQUENCY + W_DWELL + W_SCROLL);
    const recency = 0.5 ** ((now - (T0 + 2 * MINUTE)) / DAY / RECENCY_HALF_LIFE_DAYS);
    expect(signals.engagement).toBeCloseTo(recency * expected, 10);
    expect(signals).toMatchObject({ stage: 'new', sessions: 1, eventsLast30d: 5, lastSeenTs: T0 + 2 * MINUTE, daysSinceLastVisit: 0 });
    expect(signals.explanation[0]).toMatch(/first visit/);
    expect(signals.explanation[1]).toMatch(/^Engagement 0\.\d\d: recency/);
  });

  it('a deep first visit (many views, long dwell, full scroll) scores higher and is exploring, not yet engaged', () => {
    const shallow = createSignalTracker();
    shallow.observe(visit(T0, 2, { dwellMs: 20_000, scroll: 0.2 }));
    const deep = createSignalTracker();
    // Forty minutes with no pause of 30: one session however long it runs.
    deep.observe(visit(T0, 12, { dwellMs: 10 * MINUTE, scroll: 1 }));
    deep.observe([ev('view', T0 + 40 * MINUTE)]);
    const now = T0 + 41 * MINUTE;
    const d = deep.current(now);
    expect(d.sessions).toBe(1);
    expect(d.engagement).toBeGreaterThan(shallow.current(now).engagement);
    expect(d.engagement).toBeGreaterThanOrEqual(ENGAGED_MIN_ENGAGEMENT);
    expect(d.stage).toBe('exploring');
    expect(d.explanation[0]).toMatch(/engaged needs 2 visits/);
  });

  it('splits sessions at a 30-minute gap', () => {
    const tracker = createSignalTracker();
    tracker.observe([ev('view', T0), ev('view', T0 + SESSION_GAP_MS - 1)]);
    expect(tracker.current(T0 + SESSION_GAP_MS).sessions).toBe(1);
    tracker.observe([ev('view', T0 + 2 * SESSION_GAP_MS - 1)]);
    expect(tracker.current(T0 + 2 * SESSION_GAP_MS).sessions).toBe(2);
    const state = tracker.exportState() as SignalState;
    expect(state.sessions.map((s) => s.gapBeforeMs)).toEqual([null, SESSION_GAP_MS]);
  });

  it('repeat visits with attention over a week are engaged', () => {
    const tracker = createSignalTracker();
    for (let day = 0; day < 6; day++) tracker.observe(visit(T0 + day * DAY, 3, { dwellMs: 2 * MINUTE, scroll: 0.8 }));
    const signals = tracker.current(T0 + 5 * DAY + 10 * MINUTE);
    expect(signals.sessions).toBe(6);
    expect(signals.stage).toBe('engaged');
    expect(signals.engagement).toBeGreaterThanOrEqual(ENGAGED_MIN_ENGAGEMENT);
    expect(signals.explanation[0]).toMatch(/^Stage engaged: engagement 0\.\d\d is at least 0\.50 over 6 visits/);
  });

  it('repeat visits with little attention are exploring', () => {
    const tracker = createSignalTracker();
    tracker.observe([ev('view', T0, { itemId: 'a' }), ev('dwell', T0, { value: 3_000 }), ev('scroll', T0, { value: 0.1 })]);
    tracker.observe([ev('view', T0 + 3 * DAY, { itemId: 'b' }), ev('dwell', T0 + 3 * DAY, { value: 3_000 })]);
    const signals = tracker.current(T0 + 3 * DAY + MINUTE);
    expect(signals.engagement).toBeLessThan(ENGAGED_MIN_ENGAGEMENT);
    expect(signals.stage).toBe('exploring');
  });

  it('a return after 30 days: lapsing while away and in the first visit back, then back to the usual rule', () => {
    const tracker = createSignalTracker();
    for (let day = 0; day < 4; day++) tracker.observe(visit(T0 + day * DAY, 4, { dwellMs: 2 * MINUTE, scroll: 0.9 }));
    const lastSeen = T0 + 3 * DAY + 3 * MINUTE;
    const before = tracker.current(lastSeen + MINUTE);
    expect(before.stage).toBe('engaged');

    const away = tracker.current(lastSeen + 30 * DAY);
    expect(away.stage).toBe('lapsing');
    expect(away.daysSinceLastVisit).toBe(30);
    expect(away.eventsLast30d).toBe(0);
    expect(away.engagement).toBeLessThan(before.engagement * 0.5 ** (30 / RECENCY_HALF_LIFE_DAYS) + 1e-12);
    expect(away.explanation[0]).toMatch(/no visit for 30 days/);

    const back = lastSeen + 30 * DAY;
    tracker.observe(visit(back, 1));
    const returned = tracker.current(back + MINUTE);
    expect(returned).toMatchObject({ stage: 'lapsing', sessions: 5, eventsLast30d: 1, daysSinceLastVisit: 0 });
    expect(returned.explanation[0]).toMatch(/first visit back after 30 days/);
    // Fresh again, but one visit in the window: less engaged than before the break.
    expect(returned.engagement).toBeLessThan(before.engagement);

    tracker.observe(visit(back + DAY, 2));
    expect(tracker.current(back + DAY + 2 * MINUTE).stage).not.toBe('lapsing');
  });

  it('a single short visit long ago is still new, not lapsing (it never got past new)', () => {
    const tracker = createSignalTracker();
    tracker.observe(visit(T0, 1));
    expect(tracker.current(T0 + (LAPSE_AFTER_DAYS + 5) * DAY).stage).toBe('new');
  });

  it('a conversion makes the stage converting for the window, then the usual rule applies', () => {
    const tracker = createSignalTracker();
    tracker.observe(visit(T0, 2));
    tracker.observe(visit(T0 + DAY, 3));
    tracker.observe([ev('convert', T0 + DAY + 5 * MINUTE, { itemId: 'item-1', value: 20 })]);
    const converted = tracker.current(T0 + DAY + 6 * MINUTE);
    expect(converted.stage).toBe('converting');
    expect(converted.explanation[0]).toMatch(/converted today/);
    expect(tracker.current(T0 + DAY + (CONVERTING_WINDOW_DAYS - 1) * DAY).stage).toBe('converting');
    expect(tracker.current(T0 + DAY + (CONVERTING_WINDOW_DAYS + 1) * DAY).stage).toBe('exploring');
  });

  it('an intent event (click towards checkout) counts as converting; the list is configurable', () => {
    const standard = createSignalTracker();
    standard.observe([ev('view', T0), ev('add_to_cart', T0 + MINUTE, { itemId: 'x' })]);
    expect(standard.current(T0 + 2 * MINUTE).stage).toBe('converting');
    const custom = createSignalTracker({ intentEventTypes: ['subscribe_click'] });
    custom.observe([ev('view', T0), ev('add_to_cart', T0 + MINUTE), ev('subscribe_click', T0 + 2 * MINUTE)]);
    expect(custom.current(T0 + 3 * MINUTE).stage).toBe('converting');
    const none = createSignalTracker({ intentEventTypes: [] });
    none.observe([ev('view', T0), ev('add_to_cart', T0 + MINUTE)]);
    expect(none.current(T0 + 2 * MINUTE).stage).toBe('new');
  });

  it('engagement decays with time away and grows with frequency', () => {
    const tracker = createSignalTracker();
    tracker.observe(visit(T0, 2, { dwellMs: MINUTE, scroll: 0.5 }));
    const scores = [0, 1, 7, 14, 28].map((d) => tracker.current(T0 + MINUTE + d * DAY).engagement);
    for (let i = 1; i < scores.length; i++) expect(scores[i]).toBeLessThan(scores[i - 1]!);
    expect(scores[2]! / scores[0]!).toBeCloseTo(0.5, 10);
    tracker.observe(visit(T0 + DAY, 2, { dwellMs: MINUTE, scroll: 0.5 }));
    expect(tracker.current(T0 + DAY + MINUTE).engagement).toBeGreaterThan(scores[0]!);
  });

  it('a site that measures neither dwell nor scroll is scored on recency and frequency alone', () => {
    const tracker = createSignalTracker();
    for (let day = 0; day < 3; day++) tracker.observe(visit(T0 + day * DAY, 1));
    expect(tracker.current(T0 + 2 * DAY).engagement).toBeCloseTo(frequencyOf(3), 10);
  });

  it('caps one dwell event so a tab left open is not attention', () => {
    const tracker = createSignalTracker();
    tracker.observe([ev('view', T0), ev('dwell', T0, { value: 10 * 60 * MINUTE }), ev('dwell', T0, { value: -5 })]);
    const state = tracker.exportState() as SignalState;
    expect(state.sessions[0]!.dwellMs).toBe(MAX_DWELL_PER_EVENT_MS);
  });

  it('gives the same signals whatever the batching and order of events', () => {
    const events = [...visit(T0, 3, { dwellMs: MINUTE }), ...visit(T0 + 2 * DAY, 4, { scroll: 0.7 }), ev('convert', T0 + 2 * DAY + 4 * MINUTE)];
    const inOrder = createSignalTracker();
    inOrder.observe(events);
    const shuffled = createSignalTracker();
    shuffled.observe([...events].reverse());
    const batched = createSignalTracker();
    for (const e of events) batched.observe([e]);
    const now = T0 + 2 * DAY + 10 * MINUTE;
    expect(shuffled.current(now)).toEqual(inOrder.current(now));
    expect(batched.exportState()).toEqual(inOrder.exportState());
  });

  it('a late event joins the session it belongs to, and one older than every kept session only counts in totals', () => {
    const tracker = createSignalTracker();
    tracker.observe(visit(T0 + DAY, 2));
    tracker.observe(visit(T0 + 2 * DAY, 2));
    tracker.observe([ev('view', T0 + DAY + 10 * MINUTE)]);
    tracker.observe([ev('view', T0 - 5 * DAY)]);
    const state = tracker.exportState() as SignalState;
    expect(state.sessions.map((s) => s.views)).toEqual([3, 2]);
    expect(state.totals).toMatchObject({ sessions: 2, views: 6, events: 6 });
    expect(state.firstSeenTs).toBe(T0 - 5 * DAY);
  });
});

describe('signal state', () => {
  it('stays bounded however long the device is used', () => {
    const tracker = createSignalTracker();
    for (let i = 0; i < 400; i++) tracker.observe(visit(T0 + i * 6 * 60 * MINUTE, 3, { dwellMs: MINUTE, scroll: 0.4 }));
    const state = tracker.exportState() as SignalState;
    expect(state.sessions.length).toBe(MAX_SESSIONS_KEPT);
    expect(state.days.length).toBeLessThanOrEqual(MAX_DAY_BUCKETS);
    expect(state.totals.sessions).toBe(400);
    expect(state.totals.events).toBe(400 * 5);
    expect(JSON.stringify(state).length).toBeLessThan(16_000);
    const now = T0 + 399 * 6 * 60 * MINUTE + 3 * MINUTE;
    // Four visits a day for the 30-day window, five events each.
    expect(tracker.current(now).eventsLast30d).toBe(30 * 4 * 5);
  });

  it('round-trips through JSON, and rejects tampered state leaving a clean start', () => {
    const tracker = createSignalTracker();
    tracker.observe(visit(T0, 4, { dwellMs: MINUTE, scroll: 0.6 }));
    tracker.observe(visit(T0 + DAY, 2));
    const now = T0 + DAY + 5 * MINUTE;
    const restored = createSignalTracker();
    restored.importState(JSON.parse(JSON.stringify(tracker.exportState())));
    expect(restored.current(now)).toEqual(tracker.current(now));

    const good = tracker.exportState() as SignalState;
    const bad: unknown[] = [
      null,
      'state',
      { ...good, version: 2 },
      { ...good, totals: { ...good.totals, events: -1 } },
      { ...good, sessions: [{ ...good.sessions[0]!, maxScroll: 3 }] },
      { ...good, sessions: [good.sessions[1], good.sessions[0]] },
      { ...good, sessions: Array.from({ length: MAX_SESSIONS_KEPT + 1 }, () => good.sessions[0]) },
      { ...good, days: [[1, 2, 3]] },
      { ...good, lastSeenTs: 'yesterday' },
      { ...good, lastSeenTs: null },
    ];
    for (const value of bad) {
      const target = createSignalTracker();
      target.importState(JSON.parse(JSON.stringify(good)));
      let caught: unknown;
      try {
        target.importState(value);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InsituError);
      expect((caught as InsituError).code).toBe('invalid_argument');
      expect(target.current(now)).toMatchObject({ sessions: 0, stage: 'new', engagement: 0 });
    }
  });

  it('reset forgets everything', () => {
    const tracker = createSignalTracker();
    tracker.observe(visit(T0, 3));
    tracker.reset();
    expect(tracker.current(T0)).toMatchObject({ sessions: 0, eventsLast30d: 0, engagement: 0 });
  });

  it('for any event sequence: engagement in [0, 1], a valid stage, bounded state that round-trips', () => {
    const eventArb = fc.record({
      type: fc.constantFrom('view', 'impression', 'click', 'dwell', 'scroll', 'convert', 'add_to_cart', 'custom.thing'),
      offset: fc.integer({ min: 0, max: 90 * DAY }),
      value: fc.option(fc.double({ min: -1e9, max: 1e9, noNaN: true }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 120 }), fc.integer({ min: 0, max: 120 * DAY }), (raw, nowOffset) => {
        const tracker = createSignalTracker();
        tracker.observe(raw.map((r) => ev(r.type, T0 + r.offset, r.value === undefined ? {} : { value: r.value })));
        const now = T0 + nowOffset;
        const signals = tracker.current(now, -60);
        expect(signals.engagement).toBeGreaterThanOrEqual(0);
        expect(signals.engagement).toBeLessThanOrEqual(1);
        expect(['new', 'exploring', 'engaged', 'converting', 'lapsing']).toContain(signals.stage);
        const restored = createSignalTracker();
        restored.importState(JSON.parse(JSON.stringify(tracker.exportState())));
        expect(restored.current(now, -60)).toEqual(signals);
      }),
      { numRuns: 150 },
    );
  });
});
