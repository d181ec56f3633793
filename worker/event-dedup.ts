import type { InsituEvent } from './types.js';

/**
 * The same event fired twice within this window (same type, item, placement, value and props) is kept
 * once: double-bound click handlers and React strict-mode double effects are common in host pages.
 */
export const DUPLICATE_WINDOW_MS = 1_000;

/** Ids remembered to drop re-sent batches (a page retries a batch whose acknowledgement was lost). */
export const MAX_REMEMBERED_IDS = 10_000;

export interface EventDedup {
  /** The events that are neither a resend (same id) nor a repeat within the window. */
  filter(events: InsituEvent[]): InsituEvent[];
  clear(): void;
}

export function createEventDedup(): EventDedup {
  const lastSeen = new Map<string, number>();
  const ids = new Set<string>();

  function shapeKey(event: InsituEvent): string {
    return `${event.type}\u0000${event.itemId ?? ''}\u0000${event.placement ?? ''}\u0000${event.value ?? ''}\u0000${event.props ? JSON.stringify(event.props) : ''}`;
  }

  function rememberId(id: string): void {
    ids.add(id);
    if (ids.size > MAX_REMEMBERED_IDS) {
      // Sets iterate in insertion order: the first entry is the oldest.
      const oldest = ids.values().next().value;
      if (oldest !== undefined) ids.delete(oldest);
    }
  }

  return {
    filter(events) {
      const kept: InsituEvent[] = [];
      for (const event of events) {
        if (ids.has(event.id)) continue;
        rememberId(event.id);
        const key = shapeKey(event);
        const previous = lastSeen.get(key);
        if (previous !== undefined && Math.abs(event.ts - previous) < DUPLICATE_WINDOW_MS) continue;
        lastSeen.set(key, event.ts);
        kept.push(event);
      }
      if (lastSeen.size > MAX_REMEMBERED_IDS) {
        const newest = events.reduce((max, e) => Math.max(max, e.ts), 0);
        for (const [key, ts] of lastSeen) if (newest - ts >= DUPLICATE_WINDOW_MS) lastSeen.delete(key);
      }
      return kept;
    },
    clear() {
      lastSeen.clear();
      ids.clear();
    },
  };
}
