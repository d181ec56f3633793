/**
 * What retention keeps of the events it drops: counts, not events. The snapshot lives under the
 * `profile` state key; every dropped event is counted exactly once in `totalCompacted`, once in
 * `types` (or `otherTypeEvents`), and, if it named an item, once in `items` (or
 * `evictedItemEvents`). Maps are used while counting: item ids and custom type names come from
 * the page, and a name like `__proto__` or `constructor` must never index a plain object.
 */
import type { InsituEvent } from './types.js';

/** Items remembered by name. ~50 bytes each, so at most ~100 KB of the 2 MB storage budget; past it the least recently seen are folded into `evictedItemEvents`. */
export const MAX_COMPACTED_ITEMS = 2_000;
/** Event types remembered by name: six built-in plus custom ones; a site with more is sending ids as types. */
export const MAX_COMPACTED_TYPES = 200;

export interface CompactedEvents {
  version: 1;
  totalCompacted: number;
  /** Timestamps of the oldest and newest compacted events (null before any). */
  firstTs: number | null;
  lastTs: number | null;
  types: Array<{ type: string; count: number }>;
  /** Most recently seen first. */
  items: Array<{ itemId: string; count: number; lastTs: number }>;
  otherTypeEvents: number;
  evictedItemEvents: number;
}

export function emptyCompactedEvents(): CompactedEvents {
  return { version: 1, totalCompacted: 0, firstTs: null, lastTs: null, types: [], items: [], otherTypeEvents: 0, evictedItemEvents: 0 };
}

const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isTs = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** The stored snapshot, or undefined when it is missing or not one (tampered, or another version). */
export function readCompactedEvents(value: unknown): CompactedEvents | undefined {
  const v = value as Partial<CompactedEvents> | null | undefined;
  if (!v || typeof v !== 'object' || v.version !== 1) return undefined;
  if (!isCount(v.totalCompacted) || !isCount(v.otherTypeEvents) || !isCount(v.evictedItemEvents)) return undefined;
  if ((v.firstTs !== null && !isTs(v.firstTs)) || (v.lastTs !== null && !isTs(v.lastTs))) return undefined;
  if (!Array.isArray(v.types) || !v.types.every((t) => typeof t?.type === 'string' && isCount(t.count))) return undefined;
  if (!Array.isArray(v.items) || !v.items.every((i) => typeof i?.itemId === 'string' && isCount(i.count) && isTs(i.lastTs))) return undefined;
  return v as CompactedEvents;
}

/** Add `dropped` to `previous`; pure. */
export function compactEvents(previous: CompactedEvents, dropped: readonly InsituEvent[]): CompactedEvents {
  const types = new Map(previous.types.map((t) => [t.type, t.count]));
  const items = new Map(previous.items.map((i) => [i.itemId, { count: i.count, lastTs: i.lastTs }]));
  let { totalCompacted, firstTs, lastTs, otherTypeEvents, evictedItemEvents } = previous;

  for (const event of dropped) {
    totalCompacted++;
    if (isTs(event.ts)) {
      firstTs = firstTs === null ? event.ts : Math.min(firstTs, event.ts);
      lastTs = lastTs === null ? event.ts : Math.max(lastTs, event.ts);
    }
    const typeCount = types.get(event.type);
    if (typeCount !== undefined) types.set(event.type, typeCount + 1);
    else if (types.size < MAX_COMPACTED_TYPES) types.set(event.type, 1);
    else otherTypeEvents++;

    if (typeof event.itemId !== 'string') continue;
    const item = items.get(event.itemId);
    const ts = isTs(event.ts) ? event.ts : 0;
    if (item) {
      item.count++;
      item.lastTs = Math.max(item.lastTs, ts);
    } else {
      items.set(event.itemId, { count: 1, lastTs: ts });
    }
  }

  const ranked = [...items].sort(([, a], [, b]) => b.lastTs - a.lastTs || b.count - a.count);
  for (const [, evicted] of ranked.slice(MAX_COMPACTED_ITEMS)) evictedItemEvents += evicted.count;
  return {
    version: 1,
    totalCompacted,
    firstTs,
    lastTs,
    types: [...types].map(([type, count]) => ({ type, count })).sort((a, b) => b.count - a.count),
    items: ranked.slice(0, MAX_COMPACTED_ITEMS).map(([itemId, { count, lastTs }]) => ({ itemId, count, lastTs })),
    otherTypeEvents,
    evictedItemEvents,
  };
}
