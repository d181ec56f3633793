import type { EventType, InsituEvent } from '../../../worker/types.js';

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
