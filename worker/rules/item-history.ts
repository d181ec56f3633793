/**
 * What rules need to know about each item on this device: when it was last seen, clicked and
 * converted, and its recent impressions per placement (for frequency caps). Bounded: the least
 * recently touched items are forgotten first, so a rule about "seen in the last 7 days" is exact
 * for the MAX_HISTORY_ITEMS items the person touched most recently.
 */
import { InsituError } from '../errors.js';
import type { InsituEvent } from '../types.js';
import type { HistoryKind } from './rule-types.js';

/** Items remembered. A person touches far fewer items in a cap or recency window than this. */
export const MAX_HISTORY_ITEMS = 300;
/** Placements remembered per item: an item rarely appears in more than a few slots. */
export const MAX_PLACEMENTS_PER_ITEM = 4;
/**
 * Impression times kept per item and placement. A cap of N impressions needs the last N times,
 * so this is also the largest cap a rule may declare (MAX_CAP_IMPRESSIONS in parse.ts).
 */
export const MAX_IMPRESSIONS_KEPT = 10;
/** Item and placement ids, as validated on the page (src/validate.ts MAX_ID_LENGTH). */
const MAX_ID_LENGTH = 256;

export const ITEM_HISTORY_VERSION = 1;

export interface PlacementImpressions {
  /** Impressions ever counted here (not bounded by the window). */
  count: number;
  /** The most recent impression times, oldest first, at most MAX_IMPRESSIONS_KEPT. */
  recent: number[];
}

export interface ItemRecord {
  lastSeen?: number;
  lastClicked?: number;
  lastConverted?: number;
  impressions: Record<string, PlacementImpressions>;
  /** Latest event of any kind for the item: the eviction order. */
  lastActivity: number;
}

export interface ItemHistoryState {
  version: typeof ITEM_HISTORY_VERSION;
  items: Array<[string, ItemRecord]>;
}

export interface ItemHistory {
  /** `view`, `impression`, `click` and `convert` with an itemId count as seen; the rest as named. */
  observe(events: readonly InsituEvent[]): void;
  lastTs(itemId: string, kind: HistoryKind): number | undefined;
  /** Impressions of the item in this placement at or after `sinceTs` (exact up to MAX_IMPRESSIONS_KEPT). */
  impressionsSince(itemId: string, placement: string, sinceTs: number): number;
  /** A copy of the record, for explain() and the audit panel. */
  get(itemId: string): ItemRecord | undefined;
  readonly size: number;
  exportState(): ItemHistoryState;
  /** Bad state throws InsituError('invalid_argument') and leaves an empty history. */
  importState(state: unknown): void;
  reset(): void;
}

const SEEN_TYPES: ReadonlySet<string> = new Set(['view', 'impression', 'click', 'convert']);

export function createItemHistory(): ItemHistory {
  let items = new Map<string, ItemRecord>();

  const touch = (itemId: string, ts: number): ItemRecord => {
    let record = items.get(itemId);
    if (!record) {
      record = { impressions: {}, lastActivity: ts };
      items.set(itemId, record);
    }
    record.lastActivity = Math.max(record.lastActivity, ts);
    return record;
  };

  const observeOne = (event: InsituEvent): void => {
    const { itemId, ts, type } = event;
    if (typeof itemId !== 'string' || !Number.isFinite(ts)) return;
    if (!SEEN_TYPES.has(type)) return;
    const record = touch(itemId, ts);
    record.lastSeen = later(record.lastSeen, ts);
    if (type === 'click') record.lastClicked = later(record.lastClicked, ts);
    if (type === 'convert') record.lastConverted = later(record.lastConverted, ts);
    if (type === 'impression' && typeof event.placement === 'string') addImpression(record, event.placement, ts);
  };

  return {
    observe(events) {
      for (const event of events) observeOne(event);
      evictBeyond(items, MAX_HISTORY_ITEMS);
    },
    lastTs(itemId, kind) {
      const record = items.get(itemId);
      if (!record) return undefined;
      return kind === 'seen' ? record.lastSeen : kind === 'clicked' ? record.lastClicked : record.lastConverted;
    },
    impressionsSince(itemId, placement, sinceTs) {
      const impressions = items.get(itemId)?.impressions;
      if (!impressions || !Object.hasOwn(impressions, placement)) return 0;
      return impressions[placement]!.recent.filter((ts) => ts >= sinceTs).length;
    },
    get(itemId) {
      const record = items.get(itemId);
      return record ? (JSON.parse(JSON.stringify(record)) as ItemRecord) : undefined;
    },
    get size() {
      return items.size;
    },
    exportState: () => JSON.parse(JSON.stringify({ version: ITEM_HISTORY_VERSION, items: [...items] })) as ItemHistoryState,
    importState(value) {
      items = new Map();
      items = parseItemHistoryState(value);
    },
    reset() {
      items = new Map();
    },
  };
}

function addImpression(record: ItemRecord, placement: string, ts: number): void {
  const impressions = record.impressions;
  if (!Object.hasOwn(impressions, placement)) {
    // Define, never assign: a placement named `__proto__` must stay an ordinary key.
    Object.defineProperty(impressions, placement, { value: { count: 0, recent: [] }, enumerable: true, writable: true, configurable: true });
  }
  const slot = impressions[placement]!;
  slot.count += 1;
  slot.recent.push(ts);
  slot.recent.sort((a, b) => a - b);
  if (slot.recent.length > MAX_IMPRESSIONS_KEPT) slot.recent.shift();
  const placements = Object.keys(impressions);
  if (placements.length > MAX_PLACEMENTS_PER_ITEM) {
    const stalest = placements.reduce((a, b) => (lastOf(impressions[a]!) <= lastOf(impressions[b]!) ? a : b));
    delete impressions[stalest];
  }
}

/** Forget the least recently touched items (ties: the one inserted first). */
function evictBeyond(items: Map<string, ItemRecord>, limit: number): void {
  if (items.size <= limit) return;
  const byActivity = [...items].sort((a, b) => a[1].lastActivity - b[1].lastActivity);
  for (const [id] of byActivity.slice(0, items.size - limit)) items.delete(id);
}

const later = (a: number | undefined, b: number): number => (a === undefined ? b : Math.max(a, b));
const lastOf = (slot: PlacementImpressions): number => slot.recent[slot.recent.length - 1] ?? -Infinity;

// ---------------------------------------------------------------------------------------------
// Stored state is untrusted: checked field by field and rebuilt, or rejected whole.

function parseItemHistoryState(value: unknown): Map<string, ItemRecord> {
  if (!isRecord(value) || value.version !== ITEM_HISTORY_VERSION) reject('not a version 1 item history');
  if (!Array.isArray(value.items) || value.items.length > MAX_HISTORY_ITEMS) reject('items is not a bounded list');
  const items = new Map<string, ItemRecord>();
  for (const [i, entry] of value.items.entries()) {
    if (!Array.isArray(entry) || entry.length !== 2 || !isId(entry[0])) reject(`items[${i}] is not an [id, record] pair`);
    if (items.has(entry[0])) reject(`items[${i}] repeats an id`);
    items.set(entry[0], parseRecord(entry[1], `items[${i}]`));
  }
  return items;
}

function parseRecord(value: unknown, path: string): ItemRecord {
  if (!isRecord(value)) reject(`${path} is not an object`);
  if (!isTime(value.lastActivity)) reject(`${path}.lastActivity is not a timestamp`);
  const record: ItemRecord = { impressions: {}, lastActivity: value.lastActivity };
  for (const key of ['lastSeen', 'lastClicked', 'lastConverted'] as const) {
    const ts = value[key];
    if (ts === undefined) continue;
    if (!isTime(ts)) reject(`${path}.${key} is not a timestamp`);
    record[key] = ts;
  }
  const impressions = value.impressions;
  if (!isRecord(impressions)) reject(`${path}.impressions is not an object`);
  const placements = Object.keys(impressions);
  if (placements.length > MAX_PLACEMENTS_PER_ITEM) reject(`${path}.impressions has too many placements`);
  for (const placement of placements) {
    const slot = impressions[placement];
    const where = `${path}.impressions`;
    if (!isId(placement) || !isRecord(slot)) reject(`${where} has an invalid placement`);
    const { count, recent } = slot;
    if (!Array.isArray(recent) || recent.length > MAX_IMPRESSIONS_KEPT || !recent.every(isTime)) reject(`${where} has invalid times`);
    if (!Number.isSafeInteger(count) || (count as number) < recent.length) reject(`${where} has an invalid count`);
    const times = [...(recent as number[])];
    if (times.some((ts, i) => i > 0 && ts < times[i - 1]!)) reject(`${where} times are out of order`);
    Object.defineProperty(record.impressions, placement, {
      value: { count: count as number, recent: times },
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return record;
}

function reject(why: string): never {
  throw new InsituError('invalid_argument', `item history rejected: ${why}`);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isId = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH;
