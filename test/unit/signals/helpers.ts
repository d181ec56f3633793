import type { DeviceSignals } from '../../../worker/signals/index.js';
import type { CatalogItem, EventType, InsituEvent } from '../../../worker/types.js';

export const MINUTE = 60_000;
export const DAY = 24 * 60 * MINUTE;
/** Monday 2024-01-01 00:00 UTC: a fixed start so weekdays and hours are known. */
export const T0 = Date.UTC(2024, 0, 1);

let counter = 0;
export function ev(type: EventType, ts: number, extra: Partial<InsituEvent> = {}): InsituEvent {
  counter += 1;
  return { id: `e${counter}`, type, ts, ...extra };
}

/** A visit: `views` item views a minute apart from `start`, then optional dwell and scroll. */
export function visit(start: number, views: number, options: { dwellMs?: number; scroll?: number } = {}): InsituEvent[] {
  const events = Array.from({ length: views }, (_, i) => ev('view', start + i * MINUTE, { itemId: `item-${i}` }));
  const end = start + Math.max(0, views - 1) * MINUTE;
  if (options.dwellMs !== undefined) events.push(ev('dwell', end, { value: options.dwellMs }));
  if (options.scroll !== undefined) events.push(ev('scroll', end, { value: options.scroll }));
  return events;
}

/** The example from the issue thread, verbatim. */
export const EXAMPLE_RULES = {
  version: 1,
  placements: {
    hero: {
      eligibility: [
        { exclude: 'seen', withinDays: 7 },
        { only: { tag: 'welcome' }, when: { stage: 'new' } },
        { exclude: { field: 'sensitive', exists: true } },
      ],
      pin: [{ item: 'welcome-offer', when: { stage: 'new' } }],
      caps: [{ maxImpressions: 3, withinDays: 1 }],
      fallback: 'bestseller',
    },
  },
};

/** Signals as a rule sees them, with only the fields a test cares about changed. */
export function signalsWith(partial: Partial<DeviceSignals> = {}): DeviceSignals {
  return { engagement: 0.3, stage: 'exploring', sessions: 3, eventsLast30d: 10, hour: 12, weekday: 3, explanation: [], ...partial };
}

export function catalogOf(items: CatalogItem[]): Map<string, CatalogItem> {
  return new Map(items.map((item) => [item.id, item]));
}
