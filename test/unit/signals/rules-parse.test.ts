import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import {
  MAX_CAP_IMPRESSIONS,
  MAX_ELIGIBILITY_RULES,
  MAX_IDS_IN_FILTER,
  MAX_PLACEMENTS,
  MAX_RULES_JSON_LENGTH,
  MAX_RULES_VALUES,
  MAX_WITHIN_DAYS,
  parseRules,
} from '../../../worker/rules/index.js';
import { EXAMPLE_RULES as EXAMPLE } from './helpers.js';

function errorOf(input: unknown): InsituError {
  try {
    parseRules(input);
  } catch (error) {
    expect(error).toBeInstanceOf(InsituError);
    expect((error as InsituError).code).toBe('invalid_rules');
    return error as InsituError;
  }
  throw new Error('parseRules accepted the input');
}

const pathOf = (input: unknown): unknown => errorOf(input).detail?.path;

/** The example with one placement's rules replaced. */
const withHero = (hero: Record<string, unknown>) => ({ version: 1, placements: { hero } });

describe('parseRules: the format', () => {
  it('parses the example into normalised, frozen, JSON-serialisable rules', () => {
    const rules = parseRules(EXAMPLE);
    const hero = rules.placements.hero!;
    expect(hero.eligibility).toEqual([
      { id: 'hero.eligibility[0]', mode: 'exclude', filter: { kind: 'history', history: 'seen', withinDays: 7 } },
      { id: 'hero.eligibility[1]', mode: 'only', filter: { kind: 'tag', tag: 'welcome' }, when: { stage: ['new'] } },
      { id: 'hero.eligibility[2]', mode: 'exclude', filter: { kind: 'fieldExists', field: 'sensitive', exists: true } },
    ]);
    expect(hero.pins).toEqual([{ id: 'hero.pin[0]', item: 'welcome-offer', when: { stage: ['new'] } }]);
    expect(hero.caps).toEqual([{ id: 'hero.caps[0]', maxImpressions: 3, withinDays: 1 }]);
    expect(hero.fallback).toBe('bestseller');
    expect(Object.isFrozen(rules)).toBe(true);
    expect(Object.isFrozen(hero.eligibility[0]!.filter)).toBe(true);
    expect(JSON.parse(JSON.stringify(rules))).toEqual(rules);
  });

  it('accepts JSON text as well as a parsed value, with the same result', () => {
    expect(parseRules(JSON.stringify(EXAMPLE))).toEqual(parseRules(EXAMPLE));
  });

  it('parses every condition and filter kind, and names', () => {
    const rules = parseRules(
      withHero({
        eligibility: [
          { only: { anyTag: ['a', 'b'] }, when: { engagement: { atLeast: 0.5 }, sessions: { atMost: 3 } }, name: 'Members shelf (engaged)' },
          { exclude: { ids: ['x', 'y'] }, when: { hour: { from: 22, to: 6 }, weekday: [0, 6] } },
          { exclude: { field: 'sensitive', equals: 'health' }, when: { stage: ['new', 'lapsing'] } },
          { exclude: 'converted' },
          { only: 'clicked', withinDays: 0.5 },
        ],
      }),
    );
    const [a, b, c, d, e] = rules.placements.hero!.eligibility;
    expect(a).toMatchObject({ id: 'Members shelf (engaged)', filter: { kind: 'anyTag', tags: ['a', 'b'] }, when: { engagement: { atLeast: 0.5 }, sessions: { atMost: 3 } } });
    expect(b).toMatchObject({ filter: { kind: 'ids', ids: ['x', 'y'] }, when: { hour: { from: 22, to: 6 }, weekday: [0, 6] } });
    expect(c).toMatchObject({ filter: { kind: 'fieldEquals', field: 'sensitive', equals: 'health' }, when: { stage: ['new', 'lapsing'] } });
    expect(d!.filter).toEqual({ kind: 'history', history: 'converted' });
    expect(e!.filter).toEqual({ kind: 'history', history: 'clicked', withinDays: 0.5 });
  });

  it('an empty placement or no placements at all is valid', () => {
    expect(parseRules({ version: 1, placements: { side: {} } }).placements.side).toEqual({ eligibility: [], pins: [], caps: [] });
    expect(parseRules({ version: 1, placements: {} }).placements).toEqual({});
  });
});

describe('parseRules: errors name the path of the bad field', () => {
  it.each(([
    ['wrong version', { ...EXAMPLE, version: 2 }, 'version'],
    ['missing placements', { version: 1 }, 'placements'],
    ['unknown top-level key', { ...EXAMPLE, extra: true }, 'extra'],
    ['unknown rule key', withHero({ eligibility: [{ exclude: 'seen', withinDay: 7 }] }), 'placements.hero.eligibility[0].withinDay'],
    ['withinDays as a string', withHero({ eligibility: [{ exclude: 'seen', withinDays: '7' }] }), 'placements.hero.eligibility[0].withinDays'],
    ['withinDays past the bound', withHero({ eligibility: [{ exclude: 'seen', withinDays: MAX_WITHIN_DAYS + 1 }] }), 'placements.hero.eligibility[0].withinDays'],
    ['withinDays on a tag filter', withHero({ eligibility: [{ exclude: { tag: 'a' }, withinDays: 3 }] }), 'placements.hero.eligibility[0].withinDays'],
    ['unknown history word', withHero({ eligibility: [{ exclude: 'bought' }] }), 'placements.hero.eligibility[0].exclude'],
    ['exclude and only together', withHero({ eligibility: [{ exclude: 'seen', only: 'clicked' }] }), 'placements.hero.eligibility[0]'],
    ['two filter kinds in one', withHero({ eligibility: [{ exclude: { tag: 'a', ids: ['b'] } }] }), 'placements.hero.eligibility[0].exclude'],
    ['exists on a tag filter', withHero({ eligibility: [{ exclude: { tag: 'a', exists: true } }] }), 'placements.hero.eligibility[0].exclude.exists'],
    ['unknown field', withHero({ eligibility: [{ exclude: { field: 'price', exists: true } }] }), 'placements.hero.eligibility[0].exclude.field'],
    ['equals on free text', withHero({ eligibility: [{ exclude: { field: 'text', equals: 'x' } }] }), 'placements.hero.eligibility[0].exclude.equals'],
    ['unknown stage', withHero({ pin: [{ item: 'a', when: { stage: 'loyal' } }] }), 'placements.hero.pin[0].when.stage'],
    ['unknown stage in a list', withHero({ pin: [{ item: 'a', when: { stage: ['new', 'vip'] } }] }), 'placements.hero.pin[0].when.stage[1]'],
    ['engagement above 1', withHero({ pin: [{ item: 'a', when: { engagement: { atLeast: 2 } } }] }), 'placements.hero.pin[0].when.engagement.atLeast'],
    ['empty range', withHero({ pin: [{ item: 'a', when: { engagement: { atLeast: 0.8, atMost: 0.2 } } }] }), 'placements.hero.pin[0].when.engagement'],
    ['fractional sessions', withHero({ pin: [{ item: 'a', when: { sessions: { atLeast: 1.5 } } }] }), 'placements.hero.pin[0].when.sessions.atLeast'],
    ['hour out of range', withHero({ pin: [{ item: 'a', when: { hour: { from: 9, to: 25 } } }] }), 'placements.hero.pin[0].when.hour.to'],
    ['hour range of nothing', withHero({ pin: [{ item: 'a', when: { hour: { from: 0, to: 24 } } }] }), 'placements.hero.pin[0].when.hour'],
    ['weekday 7', withHero({ pin: [{ item: 'a', when: { weekday: [1, 7] } }] }), 'placements.hero.pin[0].when.weekday[1]'],
    ['empty when', withHero({ pin: [{ item: 'a', when: {} }] }), 'placements.hero.pin[0].when'],
    ['pin without item', withHero({ pin: [{ when: { stage: 'new' } }] }), 'placements.hero.pin[0].item'],
    ['cap above the history bound', withHero({ caps: [{ maxImpressions: MAX_CAP_IMPRESSIONS + 1, withinDays: 1 }] }), 'placements.hero.caps[0].maxImpressions'],
    ['cap without window', withHero({ caps: [{ maxImpressions: 2 }] }), 'placements.hero.caps[0].withinDays'],
    ['fallback as a number', withHero({ fallback: 42 }), 'placements.hero.fallback'],
    ['eligibility not a list', withHero({ eligibility: { exclude: 'seen' } }), 'placements.hero.eligibility'],
    ['empty ids list', withHero({ eligibility: [{ only: { ids: [] } }] }), 'placements.hero.eligibility[0].only.ids'],
    ['odd placement name is quoted', { version: 1, placements: { 'home page': { pin: [{}] } } }, 'placements["home page"].pin[0].item'],
  ] as Array<[string, unknown, string]>).map(([label, input, path]) => [label, path, input] as const))('%s → %s', (_label, path, input) => {
    expect(pathOf(input)).toBe(path);
    expect(errorOf(input).message).toContain(`at ${path}:`);
  });

  it('rejects code-like strings wherever a string goes', () => {
    const code = ['x => x', '${document.cookie}', 'alert(1)', 'javascript:alert', '<script>', 'function x', 'a; b', '`x`'];
    for (const s of code) {
      expect(pathOf(withHero({ fallback: s }))).toBe('placements.hero.fallback');
      expect(pathOf(withHero({ eligibility: [{ only: { tag: s } }] }))).toBe('placements.hero.eligibility[0].only.tag');
      expect(pathOf(withHero({ pin: [{ item: 'a', name: s }] }))).toBe('placements.hero.pin[0].name');
      expect(errorOf(withHero({ fallback: s })).message).toMatch(/looks like code/);
    }
    // Ordinary punctuation in names and ids stays allowed.
    expect(() => parseRules(withHero({ fallback: 'sku-12:blue/xl', pin: [{ item: 'a', name: 'Welcome (new visitors), 10% off' }] }))).not.toThrow();
  });

  it('rejects control characters and over-long strings', () => {
    expect(pathOf(withHero({ fallback: 'a\u0000b' }))).toBe('placements.hero.fallback');
    expect(pathOf(withHero({ fallback: 'x'.repeat(257) }))).toBe('placements.hero.fallback');
  });

  it('rejects oversized lists and documents at named bounds', () => {
    const rule = { exclude: 'seen' };
    expect(() => parseRules(withHero({ eligibility: Array(MAX_ELIGIBILITY_RULES).fill(rule) }))).not.toThrow();
    expect(pathOf(withHero({ eligibility: Array(MAX_ELIGIBILITY_RULES + 1).fill(rule) }))).toBe('placements.hero.eligibility');
    const ids = Array.from({ length: MAX_IDS_IN_FILTER + 1 }, (_, i) => `i${i}`);
    expect(pathOf(withHero({ eligibility: [{ only: { ids } }] }))).toBe('placements.hero.eligibility[0].only.ids');
    const many = Object.fromEntries(Array.from({ length: MAX_PLACEMENTS + 1 }, (_, i) => [`p${i}`, {}]));
    expect(pathOf({ version: 1, placements: many })).toBe('placements');
    expect(errorOf(' '.repeat(MAX_RULES_JSON_LENGTH + 1)).message).toMatch(/longer than/);
    expect(errorOf('{"version": 1,').message).toMatch(/not JSON/);
    // A parsed document is bounded like text: wide lists nested deep cannot make the parse explode.
    const wide = (depth: number): unknown => (depth === 0 ? 'x' : Array.from({ length: MAX_IDS_IN_FILTER }, () => wide(depth - 1)));
    const huge = { version: 1, placements: { hero: { eligibility: wide(2) } } };
    expect(errorOf(huge).message).toContain(`more than ${MAX_RULES_VALUES} values`);
  });

  it('rejects values that are not data: functions, accessors, class instances, throwing proxies', () => {
    expect(pathOf(withHero({ fallback: () => 'x' }))).toBe('placements.hero.fallback');
    const getter = { version: 1, placements: {} };
    Object.defineProperty(getter, 'placements', { get: () => ({}), enumerable: true });
    expect(pathOf(getter)).toBe('placements');
    expect(pathOf(withHero({ caps: new Map() }))).toBe('placements.hero.caps');
    expect(pathOf(withHero({ fallback: Number.NaN }))).toBe('placements.hero.fallback');
    const hostile = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
    expect(errorOf(hostile).message).toMatch(/trap/);
    expect(pathOf(null)).toBe('(root)');
  });

  it('refuses prototype-reaching placement names, even from JSON text', () => {
    expect(pathOf('{"version":1,"placements":{"__proto__":{}}}')).toBe('placements.__proto__');
    expect(pathOf({ version: 1, placements: { constructor: {} } })).toBe('placements.constructor');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('never throws anything but invalid_rules on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => {
        try {
          parseRules(value);
        } catch (error) {
          expect(error).toBeInstanceOf(InsituError);
          expect((error as InsituError).code).toBe('invalid_rules');
        }
      }),
      { numRuns: 300 },
    );
  });
});
