/**
 * What the engine takes from a caller that may not have validated it: the headless API
 * (`insitu/engine` in Node, React Native, benchmarks) gets whatever its caller passes. The page
 * client validates events fully (src/validate.ts); here the engine only makes sure nothing
 * malformed can break it or reach storage: a catalog or priors that is not plain JSON data is
 * refused with its code, and a malformed event is left out (and counted) rather than thrown on.
 */
import { InsituError } from './errors.js';
import type { InsituEvent } from './types.js';

/** The same names the page accepts (src/validate.ts EVENT_TYPE_PATTERN). */
const EVENT_TYPE = /^[a-z0-9_.-]{1,64}$/;
/** Ids as the page bounds them (src/validate.ts MAX_ID_LENGTH). */
const MAX_ID_LENGTH = 256;

/**
 * A copy of `value` as plain JSON data, or an InsituError with `code`. Proxies that throw, cycles,
 * BigInt and getters that throw all end here as a clear refusal instead of an exception from
 * deep inside the model; what survives is data the worker could also have received.
 */
/**
 * One copy per catalog or priors object: many engines built over the same catalog (a benchmark's
 * thousand users, every tab's worker) share it, and the personalizer's compiled form, which is
 * cached by the catalog's identity, is built once. Like the personalizer, this treats a catalog
 * or priors object as fixed once passed in: pass a new object to change it.
 */
const copies = new WeakMap<object, unknown>();

export function plainData<T>(value: T, code: 'invalid_catalog' | 'invalid_priors'): T {
  if (value === undefined) return value;
  if (typeof value === 'object' && value !== null && copies.has(value)) return copies.get(value) as T;
  try {
    const copy = JSON.parse(JSON.stringify(value)) as T;
    if (typeof value === 'object' && value !== null) copies.set(value, copy);
    return copy;
  } catch (error) {
    throw new InsituError(code, `${code === 'invalid_catalog' ? 'catalog' : 'priors'} must be plain JSON data (${(error as Error)?.message ?? 'unreadable'})`);
  }
}

/** A catalog as plain data: an array (its items are checked by the personalizer). */
export function catalogData<T>(value: T): T {
  const data = plainData(value, 'invalid_catalog');
  if (data !== undefined && !Array.isArray(data)) throw new InsituError('invalid_catalog', 'catalog must be an array of items');
  return data;
}

/** Priors as plain data: an object (its fields are checked by the personalizer). */
export function priorsData<T>(value: T): T {
  const data = plainData(value, 'invalid_priors');
  if (data !== undefined && (typeof data !== 'object' || data === null || Array.isArray(data))) throw new InsituError('invalid_priors', 'priors must be an object');
  return data;
}

/** Events in one call: the page sends batches of 50; more than this is not a batch but an attack. */
export const MAX_TRACK_BATCH = 10_000;

const optionalId = (value: unknown): boolean => value === undefined || (typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH);

/**
 * One event, copied, or undefined when it is not the shape an event has. Each field is read once
 * (a getter cannot answer differently to the check and to the copy); only `props` is deep-copied.
 */
function wellFormed(value: unknown): InsituEvent | undefined {
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const { id, type, ts, itemId, placement, decisionId, value: amount, props, page } = value as Record<string, unknown>;
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) return undefined;
    if (typeof type !== 'string' || !EVENT_TYPE.test(type)) return undefined;
    if (typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
    if (!optionalId(itemId) || !optionalId(placement) || !optionalId(decisionId)) return undefined;
    if (amount !== undefined && (typeof amount !== 'number' || !Number.isFinite(amount))) return undefined;
    if (props !== undefined && (typeof props !== 'object' || props === null || Array.isArray(props))) return undefined;
    if (page !== undefined && typeof page !== 'string') return undefined;
    const event: InsituEvent = { id, type, ts };
    if (itemId !== undefined) event.itemId = itemId as string;
    if (placement !== undefined) event.placement = placement as string;
    if (decisionId !== undefined) event.decisionId = decisionId as string;
    if (amount !== undefined) event.value = amount;
    if (props !== undefined) event.props = JSON.parse(JSON.stringify(props)) as InsituEvent['props'];
    if (page !== undefined) event.page = page;
    return event;
  } catch {
    return undefined;
  }
}

/** The well-formed events of a batch, and how many were left out. Throws only when `events` is not an array. */
export function wellFormedEvents(events: unknown): { events: InsituEvent[]; rejected: number } {
  if (!Array.isArray(events)) throw new InsituError('invalid_argument', 'track() takes an array of events');
  if (events.length > MAX_TRACK_BATCH) throw new InsituError('invalid_argument', `track() takes at most ${MAX_TRACK_BATCH} events at once`);
  const kept: InsituEvent[] = [];
  let length = 0;
  try {
    length = events.length;
  } catch {
    return { events: kept, rejected: 0 };
  }
  for (let i = 0; i < length; i++) {
    const event = wellFormed(events[i]);
    if (event) kept.push(event);
  }
  return { events: kept, rejected: length - kept.length };
}
