/**
 * Turns what the page hands to `track()` into an event the engine can store, or says why not.
 *
 * The input is treated as hostile: it may be a Proxy whose traps throw, carry getters that answer
 * differently on each read, hold cycles, or smuggle `__proto__` as an own key (`JSON.parse` makes
 * one). So every value is read exactly once, the copy is built key by key into fresh objects
 * (never `Object.assign` or spread of the input), and any throw from the input becomes
 * `invalid_props`. The returned event shares no object with the input.
 *
 * Choices the issue leaves open, made here:
 * - Only own enumerable string keys are read (what JSON and spread read); symbol-keyed and
 *   non-enumerable properties are ignored, not copied.
 * - A property whose value is `undefined` is left out, as `JSON.stringify` does; an `undefined`
 *   array element (or a hole) is `invalid_props`, since JSON would silently turn it into `null`.
 * - Functions are `function_value`. Symbols and bigints are not code, just values JSON cannot
 *   carry, so they are `invalid_props`. Dates, Maps, class instances and other non-plain objects
 *   are `invalid_props` too.
 * - The key bound counts keys across all levels of `props` (array elements included), so one
 *   event's props are bounded as a whole: at most MAX_PROPS_KEYS × MAX_STRING_LENGTH of text.
 * - Any string over MAX_STRING_LENGTH is `string_too_long`, ids included; ids must also be at most
 *   MAX_ID_LENGTH long (and not empty), else `invalid_props`.
 */
import { InsituError, type ErrorCode } from '../worker/errors.js';
import type { EventProps, InsituEvent, JsonValue } from '../worker/types.js';

/** Custom event names: short, lowercase, safe in a URL, a file name and a metric label. */
export const EVENT_TYPE_PATTERN = /^[a-z0-9_.-]{1,64}$/;
/** Keys in one event's props, counted over every level: an event is a signal, not a document. */
export const MAX_PROPS_KEYS = 32;
/**
 * 1 KB per string, counted in UTF-16 code units (`string.length`): that is what JS measures in
 * O(1) without encoding, and it bounds the stored size (IndexedDB keeps strings as UTF-16, so
 * 1024 units are at most 2 KB whatever the script). UTF-8 bytes would cost an encode per string.
 */
export const MAX_STRING_LENGTH = 1024;
/** Nesting of props: the props object is level 1, so `{ a: { b: { c: 1 } } }` is the deepest allowed. */
export const MAX_PROPS_DEPTH = 3;
/** itemId, placement and decisionId are references, not content: catalog ids and UUIDs fit easily. */
export const MAX_ID_LENGTH = 256;
/** Keys that reach the prototype chain when assigned: rejected anywhere, so no copy can pollute. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const ID_FIELDS = ['itemId', 'placement', 'decisionId'] as const;
const INPUT_FIELDS: ReadonlySet<string> = new Set([...ID_FIELDS, 'value', 'props']);

/** Thrown inside this module only, caught in toEvent: a rejection with its code and where. */
class Rejection {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly path: string,
  ) {}
}

interface Walk {
  /** Keys (and array elements) seen so far across the whole props tree. */
  keys: number;
  /** Containers on the current path, to tell a cycle from a shared reference. */
  ancestors: object[];
}

export function toEvent(
  type: unknown,
  input: unknown,
  meta: { id: string; ts: number; page?: string },
): InsituEvent | InsituError {
  if (typeof type !== 'string' || !EVENT_TYPE_PATTERN.test(type)) {
    return new InsituError('invalid_event_type', `event type must match ${EVENT_TYPE_PATTERN} (a built-in or a custom name)`, {
      type: typeof type === 'string' ? type.slice(0, 80) : typeof type,
    });
  }
  const event: InsituEvent = { id: meta.id, type, ts: meta.ts };
  // The SDK's own stamp, bounded like any string so a pathological URL cannot bloat storage.
  if (meta.page !== undefined) event.page = meta.page.slice(0, MAX_STRING_LENGTH);
  if (input === undefined) return event;
  try {
    copyInput(input, event);
    return event;
  } catch (caught) {
    if (caught instanceof Rejection) {
      return new InsituError(caught.code, `${caught.message} (at ${caught.path})`, { path: caught.path });
    }
    // A Proxy trap or getter threw: the input is not data we can read.
    return new InsituError('invalid_props', 'input could not be read (a getter or proxy threw)');
  }
}

function copyInput(input: unknown, event: InsituEvent): void {
  if (!isPlainObject(input)) throw new Rejection('invalid_props', 'input must be a plain object', 'input');
  for (const key of Object.keys(input)) {
    if (FORBIDDEN_KEYS.has(key)) throw new Rejection('forbidden_key', `key "${key}" is not allowed`, key);
    if (!INPUT_FIELDS.has(key)) {
      throw new Rejection('invalid_props', 'unknown field; put custom data in props', key.slice(0, 80));
    }
    const value: unknown = (input as Record<string, unknown>)[key];
    if (value === undefined) continue;
    if (key === 'value') event.value = checkNumber(value, key);
    else if (key === 'props') event.props = copyProps(value);
    else event[key as (typeof ID_FIELDS)[number]] = checkId(value, key);
  }
}

function checkId(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new Rejection('invalid_props', 'must be a string', path);
  checkStringLength(value, path);
  if (value.length === 0 || value.length > MAX_ID_LENGTH) {
    throw new Rejection('invalid_props', `must be 1 to ${MAX_ID_LENGTH} characters`, path);
  }
  return value;
}

function checkNumber(value: unknown, path: string): number {
  if (typeof value !== 'number') throw new Rejection('invalid_props', 'must be a number', path);
  if (!Number.isFinite(value)) throw new Rejection('non_finite_number', 'NaN and Infinity are not allowed', path);
  return value;
}

function checkStringLength(value: string, path: string): void {
  if (value.length > MAX_STRING_LENGTH) {
    throw new Rejection('string_too_long', `string longer than ${MAX_STRING_LENGTH} characters`, path);
  }
}

function copyProps(value: unknown): EventProps {
  if (!isPlainObject(value) || Array.isArray(value)) {
    throw new Rejection('invalid_props', 'props must be a plain object', 'props');
  }
  const walk: Walk = { keys: 0, ancestors: [value] };
  return copyObject(value, 1, 'props', walk);
}

function copyObject(source: object, depth: number, path: string, walk: Walk): { [key: string]: JsonValue } {
  const keys = Object.keys(source);
  countKeys(keys.length, path, walk);
  const copy: { [key: string]: JsonValue } = {};
  for (const key of keys) {
    const at = `${path}.${key.slice(0, 80)}`;
    if (FORBIDDEN_KEYS.has(key)) throw new Rejection('forbidden_key', `key "${key}" is not allowed`, at);
    checkStringLength(key, at);
    const value: unknown = (source as Record<string, unknown>)[key];
    if (value === undefined) continue;
    // Safe: FORBIDDEN_KEYS excludes every key that would reach the prototype on assignment.
    copy[key] = copyValue(value, depth, at, walk);
  }
  return copy;
}

function copyArray(source: readonly unknown[], depth: number, path: string, walk: Walk): JsonValue[] {
  const length = source.length;
  // Checked before reading elements, so `arr.length = 1e9` costs nothing.
  countKeys(length, path, walk);
  const copy: JsonValue[] = [];
  for (let i = 0; i < length; i++) {
    const value: unknown = source[i];
    if (value === undefined) throw new Rejection('invalid_props', 'arrays may not hold undefined or holes', `${path}[${i}]`);
    copy.push(copyValue(value, depth, `${path}[${i}]`, walk));
  }
  return copy;
}

/** `depth` is the level of the container holding `value`. */
function copyValue(value: unknown, depth: number, path: string, walk: Walk): JsonValue {
  switch (typeof value) {
    case 'string':
      checkStringLength(value, path);
      return value;
    case 'number':
      return checkNumber(value, path);
    case 'boolean':
      return value;
    case 'function':
      throw new Rejection('function_value', 'functions are not allowed', path);
    case 'object':
      break;
    default:
      // symbol, bigint: values JSON cannot carry.
      throw new Rejection('invalid_props', `${typeof value} values are not allowed`, path);
  }
  if (value === null) return null;
  if (walk.ancestors.includes(value)) throw new Rejection('cyclic_value', 'the value refers to itself', path);
  if (depth + 1 > MAX_PROPS_DEPTH) throw new Rejection('too_deep', `props nest deeper than ${MAX_PROPS_DEPTH}`, path);
  walk.ancestors.push(value);
  let copy: JsonValue;
  if (Array.isArray(value)) copy = copyArray(value, depth + 1, path, walk);
  else if (isPlainObject(value)) copy = copyObject(value, depth + 1, path, walk);
  else throw new Rejection('invalid_props', 'only plain objects and arrays are allowed', path);
  walk.ancestors.pop();
  return copy;
}

function countKeys(count: number, path: string, walk: Walk): void {
  walk.keys += count;
  if (walk.keys > MAX_PROPS_KEYS) throw new Rejection('too_many_keys', `props hold more than ${MAX_PROPS_KEYS} keys`, path);
}

/**
 * An object literal or `Object.create(null)`, also from another realm (an iframe's
 * Object.prototype has a null prototype too). Class instances, Dates and Maps are not.
 */
function isPlainObject(value: unknown): value is object {
  if (typeof value !== 'object' || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === null;
}
