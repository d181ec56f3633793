/**
 * parseRules: the site's rules JSON → a RuleSet, or InsituError('invalid_rules') naming the path
 * of the first bad field (`placements.hero.eligibility[0].withinDays`).
 *
 * Strict on purpose: rules decide what people are shown, so a typo must fail loudly at load rather
 * than silently match nothing. Unknown keys, wrong types, out-of-range numbers, oversized lists and
 * code-like strings are all rejected. Nothing is ever evaluated: the format has no expressions,
 * and strings are only compared. The input may be JSON text or a parsed value; a parsed value is
 * read as data (plain objects and arrays only; accessors, functions and class instances rejected).
 */
import { InsituError } from '../errors.js';
import { JOURNEY_STAGES, type JourneyStage } from '../signals/signal-types.js';
import { MAX_IMPRESSIONS_KEPT } from './item-history.js';
import {
  EQUATABLE_FIELDS,
  HISTORY_KINDS,
  ITEM_FIELDS,
  RULES_VERSION,
  type CapRule,
  type Condition,
  type EligibilityRule,
  type HistoryKind,
  type ItemField,
  type ItemFilter,
  type NumberRange,
  type PinRule,
  type PlacementRules,
  type RuleSet,
} from './rule-types.js';

/** Rules text a site ships: 64 KB is hundreds of rules, and bounds the parse cost in the worker. */
export const MAX_RULES_JSON_LENGTH = 64 * 1024;
/** Placements with rules; a page has a handful of slots. */
export const MAX_PLACEMENTS = 64;
/** Eligibility rules per placement: each runs over every candidate on every decision. */
export const MAX_ELIGIBILITY_RULES = 32;
export const MAX_PINS = 16;
export const MAX_CAPS = 8;
/** Ids in one `ids` filter: a curated shelf, not a catalog (that belongs in the catalog as a tag). */
export const MAX_IDS_IN_FILTER = 256;
export const MAX_TAGS_IN_FILTER = 64;
/** Ids, tags and placement names, as the page validates ids (src/validate.ts MAX_ID_LENGTH). */
export const MAX_ID_LENGTH = 256;
/** A rule's name is a label for the decision log and the audit panel. */
export const MAX_NAME_LENGTH = 120;
/** A year: past that, history is unlikely to be on the device anyway (retention). */
export const MAX_WITHIN_DAYS = 365;
/** A cap is only exact for as many impressions as the item history keeps. */
export const MAX_CAP_IMPRESSIONS = MAX_IMPRESSIONS_KEPT;
/** Values read from a parsed document: as many as 64 KB of JSON text can hold, so both inputs cost alike. */
export const MAX_RULES_VALUES = MAX_RULES_JSON_LENGTH / 2;
/** Nesting of the rules document: version › placements › placement › list › rule › filter › range. */
export const MAX_RULES_DEPTH = 8;

/**
 * Strings that read as code: arrow functions, template or script syntax, `javascript:` URLs, calls,
 * statement punctuation. None belongs in an id, a tag or a name, and their presence means someone
 * expects the rules to run code, which they never do: better to say so than to compare them.
 */
export const CODE_LIKE_PATTERNS: readonly RegExp[] = [
  /=>/,
  /\$\{/,
  /`/,
  /<\s*\/?\s*script/i,
  /javascript\s*:/i,
  /\bfunction\b/,
  /[A-Za-z_$][\w$]*\(/,
  /[;{}]/,
];
/** Keys that reach the prototype chain: never a placement name. */
const FORBIDDEN_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

class RuleError {
  constructor(
    readonly path: string,
    readonly message: string,
  ) {}
}

function fail(path: string, message: string): never {
  throw new RuleError(path, message);
}

export function parseRules(json: unknown): RuleSet {
  try {
    const value = typeof json === 'string' ? parseText(json) : json;
    return parseDocument(readData(value, '', 0, { values: 0 }));
  } catch (error) {
    if (error instanceof RuleError) {
      const where = error.path || '(root)';
      throw new InsituError('invalid_rules', `invalid rules at ${where}: ${error.message}`, { path: where });
    }
    // A hostile input (a Proxy whose traps throw) must still end as a rules error.
    throw new InsituError('invalid_rules', `invalid rules: ${error instanceof Error ? error.message : String(error)}`, { path: '(root)' });
  }
}

function parseText(text: string): unknown {
  if (text.length > MAX_RULES_JSON_LENGTH) fail('', `longer than ${MAX_RULES_JSON_LENGTH} characters`);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    return fail('', `not JSON (${error instanceof Error ? error.message : 'syntax error'})`);
  }
}

/** A copy of the input made of plain data only, read once, so later checks see stable values. */
type Data = string | number | boolean | null | Data[] | { [key: string]: Data };

function readData(value: unknown, path: string, depth: number, read: { values: number }): Data {
  if (depth > MAX_RULES_DEPTH) fail(path, `nested deeper than ${MAX_RULES_DEPTH} levels`);
  read.values += 1;
  if (read.values > MAX_RULES_VALUES) fail(path, `more than ${MAX_RULES_VALUES} values in the rules`);
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : fail(path, 'not a finite number');
  if (typeof value === 'function') fail(path, 'a function: rules are data, never code');
  if (typeof value !== 'object') fail(path, `a ${typeof value}, not JSON data`);
  if (Array.isArray(value)) {
    const length = value.length;
    if (length > MAX_IDS_IN_FILTER) fail(path, `a list longer than ${MAX_IDS_IN_FILTER}`);
    return Array.from({ length }, (_, i) => readData(ownValue(value, String(i), `${path}[${i}]`), `${path}[${i}]`, depth + 1, read));
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) fail(path, 'not a plain object');
  const keys = Object.keys(value);
  if (keys.length > MAX_PLACEMENTS) fail(path, `more than ${MAX_PLACEMENTS} keys`);
  const copy: { [key: string]: Data } = Object.create(null) as { [key: string]: Data };
  for (const key of keys) {
    const at = join(path, key);
    copy[key] = readData(ownValue(value, key, at), at, depth + 1, read);
  }
  return copy;
}

function ownValue(target: object, key: string, path: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(target, key);
  if (!descriptor) fail(path, 'missing (a hole in a list?)');
  if (!('value' in descriptor)) fail(path, 'an accessor property, not data');
  return descriptor.value;
}

// ---------------------------------------------------------------------------------------------
// The document

function parseDocument(doc: Data): RuleSet {
  const o = object(doc, '', ['version', 'placements'], ['version', 'placements']);
  if (o.version !== RULES_VERSION) fail('version', `must be ${RULES_VERSION}`);
  const placements = object(o.placements, 'placements', null, []);
  const names = Object.keys(placements);
  if (names.length > MAX_PLACEMENTS) fail('placements', `more than ${MAX_PLACEMENTS} placements`);
  const parsed: Record<string, PlacementRules> = {};
  for (const name of names) {
    const path = join('placements', name);
    if (FORBIDDEN_NAMES.has(name)) fail(path, 'a reserved name');
    identifier(name, path);
    parsed[name] = parsePlacement(placements[name]!, path, name);
  }
  return deepFreeze({ version: RULES_VERSION, placements: parsed });
}

function parsePlacement(value: Data, path: string, placement: string): PlacementRules {
  const o = object(value, path, ['eligibility', 'pin', 'caps', 'fallback'], []);
  const rules: PlacementRules = {
    eligibility: list(o.eligibility, join(path, 'eligibility'), MAX_ELIGIBILITY_RULES).map((r, i) =>
      parseEligibility(r, `${path}.eligibility[${i}]`, `${placement}.eligibility[${i}]`),
    ),
    pins: list(o.pin, join(path, 'pin'), MAX_PINS).map((r, i) => parsePin(r, `${path}.pin[${i}]`, `${placement}.pin[${i}]`)),
    caps: list(o.caps, join(path, 'caps'), MAX_CAPS).map((r, i) => parseCap(r, `${path}.caps[${i}]`, `${placement}.caps[${i}]`)),
  };
  if (o.fallback !== undefined) rules.fallback = identifier(o.fallback, join(path, 'fallback'));
  return rules;
}

function parseEligibility(value: Data, path: string, defaultId: string): EligibilityRule {
  const o = object(value, path, ['exclude', 'only', 'withinDays', 'when', 'name'], []);
  const hasExclude = o.exclude !== undefined;
  if (hasExclude === (o.only !== undefined)) fail(path, 'needs exactly one of "exclude" or "only"');
  const mode = hasExclude ? 'exclude' : 'only';
  const filter = parseFilter(o[mode]!, join(path, mode));
  if (o.withinDays !== undefined) {
    if (filter.kind !== 'history') fail(join(path, 'withinDays'), 'only applies to "seen", "clicked" or "converted"');
    filter.withinDays = withinDays(o.withinDays, join(path, 'withinDays'));
  }
  return { id: ruleId(o.name, path, defaultId), mode, filter, ...whenOf(o.when, path) };
}

function parseFilter(value: Data, path: string): ItemFilter {
  if (typeof value === 'string') {
    if (!(HISTORY_KINDS as readonly string[]).includes(value)) fail(path, `must be one of ${HISTORY_KINDS.join(', ')}, or a filter object`);
    return { kind: 'history', history: value as HistoryKind };
  }
  const o = object(value, path, ['tag', 'anyTag', 'ids', 'field', 'exists', 'equals'], []);
  if (o.field !== undefined) {
    object(value, path, ['field', 'exists', 'equals'], ['field']);
    const field = oneOf(o.field, join(path, 'field'), ITEM_FIELDS) as ItemField;
    if ((o.exists === undefined) === (o.equals === undefined)) fail(path, 'a field filter needs exactly one of "exists" or "equals"');
    if (o.exists !== undefined) {
      if (typeof o.exists !== 'boolean') fail(join(path, 'exists'), 'must be true or false');
      return { kind: 'fieldExists', field, exists: o.exists };
    }
    if (!EQUATABLE_FIELDS.includes(field)) fail(join(path, 'equals'), `only for ${EQUATABLE_FIELDS.join(', ')}`);
    return { kind: 'fieldEquals', field, equals: identifier(o.equals, join(path, 'equals')) };
  }
  object(value, path, ['tag', 'anyTag', 'ids'], []);
  const kinds = ['tag', 'anyTag', 'ids'].filter((k) => o[k] !== undefined);
  if (kinds.length !== 1) fail(path, 'needs exactly one of "tag", "anyTag", "ids" or "field"');
  if (o.tag !== undefined) return { kind: 'tag', tag: identifier(o.tag, join(path, 'tag')) };
  if (o.anyTag !== undefined) return { kind: 'anyTag', tags: identifiers(o.anyTag, join(path, 'anyTag'), MAX_TAGS_IN_FILTER) };
  return { kind: 'ids', ids: identifiers(o.ids!, join(path, 'ids'), MAX_IDS_IN_FILTER) };
}

function parsePin(value: Data, path: string, defaultId: string): PinRule {
  const o = object(value, path, ['item', 'when', 'name'], ['item']);
  return { id: ruleId(o.name, path, defaultId), item: identifier(o.item, join(path, 'item')), ...whenOf(o.when, path) };
}

function parseCap(value: Data, path: string, defaultId: string): CapRule {
  const o = object(value, path, ['maxImpressions', 'withinDays', 'name'], ['maxImpressions', 'withinDays']);
  const max = o.maxImpressions;
  if (!Number.isInteger(max) || (max as number) < 1 || (max as number) > MAX_CAP_IMPRESSIONS) {
    fail(join(path, 'maxImpressions'), `must be an integer from 1 to ${MAX_CAP_IMPRESSIONS}`);
  }
  return { id: ruleId(o.name, path, defaultId), maxImpressions: max as number, withinDays: withinDays(o.withinDays!, join(path, 'withinDays')) };
}

// ---------------------------------------------------------------------------------------------
// Conditions over the device's signals

function whenOf(value: Data | undefined, path: string): { when?: Condition } {
  return value === undefined ? {} : { when: parseCondition(value, join(path, 'when')) };
}

function parseCondition(value: Data, path: string): Condition {
  const o = object(value, path, ['stage', 'engagement', 'sessions', 'hour', 'weekday'], []);
  if (Object.keys(o).length === 0) fail(path, 'names no condition (leave "when" out to always apply)');
  const condition: Condition = {};
  if (o.stage !== undefined) {
    const stages = typeof o.stage === 'string' ? [o.stage] : list(o.stage, join(path, 'stage'), JOURNEY_STAGES.length);
    if (stages.length === 0) fail(join(path, 'stage'), 'an empty list matches nothing');
    condition.stage = stages.map((s, i) => oneOf(s, Array.isArray(o.stage) ? `${path}.stage[${i}]` : join(path, 'stage'), JOURNEY_STAGES) as JourneyStage);
  }
  if (o.engagement !== undefined) condition.engagement = range(o.engagement, join(path, 'engagement'), 0, 1, false);
  if (o.sessions !== undefined) condition.sessions = range(o.sessions, join(path, 'sessions'), 0, Number.MAX_SAFE_INTEGER, true);
  if (o.hour !== undefined) {
    const h = object(o.hour, join(path, 'hour'), ['from', 'to'], ['from', 'to']);
    const from = integerIn(h.from, join(join(path, 'hour'), 'from'), 0, 23);
    const to = integerIn(h.to, join(join(path, 'hour'), 'to'), 0, 24);
    if (from === to % 24) fail(join(path, 'hour'), '"from" and "to" are the same hour: an empty or full day is not a range');
    condition.hour = { from, to };
  }
  if (o.weekday !== undefined) {
    const days = list(o.weekday, join(path, 'weekday'), 7);
    if (days.length === 0) fail(join(path, 'weekday'), 'an empty list matches nothing');
    condition.weekday = days.map((d, i) => integerIn(d, `${path}.weekday[${i}]`, 0, 6));
  }
  return condition;
}

function range(value: Data, path: string, min: number, max: number, integer: boolean): NumberRange {
  const o = object(value, path, ['atLeast', 'atMost'], []);
  if (o.atLeast === undefined && o.atMost === undefined) fail(path, 'needs "atLeast", "atMost" or both');
  const bound = (v: Data | undefined, at: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || (integer && !Number.isInteger(v)) || v < min || v > max) {
      fail(at, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max === Number.MAX_SAFE_INTEGER ? 'any' : max}`);
    }
    return v;
  };
  const atLeast = bound(o.atLeast, join(path, 'atLeast'));
  const atMost = bound(o.atMost, join(path, 'atMost'));
  if (atLeast !== undefined && atMost !== undefined && atLeast > atMost) fail(path, '"atLeast" is above "atMost": matches nothing');
  return { ...(atLeast !== undefined ? { atLeast } : {}), ...(atMost !== undefined ? { atMost } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Small readers

function object(value: Data | undefined, path: string, allowed: string[] | null, required: string[]): { [key: string]: Data } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object');
  if (allowed) {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) fail(join(path, key), `unknown key (allowed: ${allowed.join(', ')})`);
    }
  }
  for (const key of required) if (value[key] === undefined) fail(join(path, key), 'required');
  return value;
}

function list(value: Data | undefined, path: string, max: number): Data[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(path, 'must be a list');
  if (value.length > max) fail(path, `more than ${max} entries`);
  return value;
}

function identifier(value: Data | undefined, path: string): string {
  if (typeof value !== 'string' || value.length === 0) fail(path, 'must be a non-empty string');
  if (value.length > MAX_ID_LENGTH) fail(path, `longer than ${MAX_ID_LENGTH} characters`);
  return plainText(value, path);
}

function identifiers(value: Data, path: string, max: number): string[] {
  const values = list(value, path, max);
  if (values.length === 0) fail(path, 'an empty list');
  return values.map((v, i) => identifier(v, `${path}[${i}]`));
}

function ruleId(name: Data | undefined, path: string, defaultId: string): string {
  if (name === undefined) return defaultId;
  if (typeof name !== 'string' || name.trim().length === 0) fail(join(path, 'name'), 'must be a non-empty string');
  if (name.length > MAX_NAME_LENGTH) fail(join(path, 'name'), `longer than ${MAX_NAME_LENGTH} characters`);
  return plainText(name, join(path, 'name'));
}

function plainText(value: string, path: string): string {
  if (CONTROL_CHARACTERS.test(value)) fail(path, 'contains control characters');
  if (CODE_LIKE_PATTERNS.some((p) => p.test(value))) fail(path, 'looks like code; rules are data and never run code');
  return value;
}

function oneOf(value: Data, path: string, options: readonly string[]): string {
  if (typeof value !== 'string' || !options.includes(value)) fail(path, `must be one of ${options.join(', ')}`);
  return value;
}

function integerIn(value: Data | undefined, path: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) fail(path, `must be an integer from ${min} to ${max}`);
  return value as number;
}

function withinDays(value: Data, path: string): number {
  if (typeof value !== 'number' || !(value > 0) || value > MAX_WITHIN_DAYS) fail(path, `must be a number of days above 0, at most ${MAX_WITHIN_DAYS}`);
  return value;
}

/** `a.b`, or `a["odd name"]` when the key is not a plain word, so the path stays readable. */
function join(path: string, key: string): string {
  const part = /^[A-Za-z_][\w-]*$/.test(key) ? key : JSON.stringify(key).slice(0, MAX_NAME_LENGTH);
  if (!path) return part;
  return part.startsWith('"') ? `${path}[${part}]` : `${path}.${part}`;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
