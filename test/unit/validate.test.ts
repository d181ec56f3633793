import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ERROR_CODES, InsituError, type ErrorCode } from '../../worker/errors.js';
import { BUILTIN_EVENT_TYPES, type InsituEvent } from '../../worker/types.js';
import {
  MAX_ID_LENGTH,
  MAX_PROPS_DEPTH,
  MAX_PROPS_KEYS,
  MAX_STRING_LENGTH,
  toEvent,
} from '../../src/validate.js';

const meta = { id: 'evt-1', ts: 1_700_000_000_000, page: '/shop' };

function codeOf(type: unknown, input: unknown): ErrorCode | 'ok' {
  const result = toEvent(type, input, meta);
  return result instanceof InsituError ? result.code : 'ok';
}

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 1 };
  for (let level = 1; level < depth; level++) value = { child: value };
  return value;
}

const prototypeKeysBefore = Object.getOwnPropertyNames(Object.prototype).sort();

afterEach(() => {
  // Every test ends with the prototype as it began: nothing a hostile input did leaked into it.
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeysBefore);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

describe('toEvent: event types', () => {
  it('accepts every built-in type and custom names in [a-z0-9_.-]{1,64}', () => {
    for (const type of [...BUILTIN_EVENT_TYPES, 'add_to_cart', 'video.play-25', 'a', 'x'.repeat(64)]) {
      expect(codeOf(type, undefined)).toBe('ok');
    }
  });

  it.each([['View'], [''], ['x'.repeat(65)], ['has space'], ['émoji'], [42], [null], [undefined], [{}]])(
    'rejects %j as invalid_event_type',
    (type) => {
      expect(codeOf(type, undefined)).toBe('invalid_event_type');
    },
  );
});

describe('toEvent: valid input round trips', () => {
  it('copies every field, adds id, type, ts and page, and shares no object with the input', () => {
    const input = {
      itemId: 'sku-1',
      placement: 'hero',
      decisionId: 'd-9',
      value: 0.5,
      props: { color: 'red', sizes: [1, 2, { eu: 42 }], flags: { sale: true, note: null } },
    };
    const event = toEvent('click', input, meta) as InsituEvent;
    expect(event).not.toBeInstanceOf(InsituError);
    expect(event).toEqual({ id: 'evt-1', type: 'click', ts: meta.ts, page: '/shop', ...input });
    expect(event.props).not.toBe(input.props);
    expect(event.props?.sizes).not.toBe(input.props.sizes);
    expect(event.props?.flags).not.toBe(input.props.flags);
    expect(JSON.parse(JSON.stringify(event))).toEqual(event);
  });

  it('gives an event without input just its id, type, ts and page; leaves page out when absent', () => {
    expect(toEvent('view', undefined, meta)).toEqual({ id: 'evt-1', type: 'view', ts: meta.ts, page: '/shop' });
    expect(toEvent('view', {}, { id: 'e', ts: 1 })).toEqual({ id: 'e', type: 'view', ts: 1 });
  });

  it('bounds the page path stamped by the SDK like any string', () => {
    const event = toEvent('view', undefined, { id: 'e', ts: 1, page: `/${'p'.repeat(5_000)}` }) as InsituEvent;
    expect(event.page).toHaveLength(MAX_STRING_LENGTH);
  });

  it('leaves out properties set to undefined, as JSON does', () => {
    const event = toEvent('view', { itemId: undefined, props: { a: undefined, b: 1 } }, meta) as InsituEvent;
    expect(event).toEqual({ ...meta, type: 'view', props: { b: 1 } });
    expect('itemId' in event).toBe(false);
  });

  it('accepts inputs exactly at every bound', () => {
    const atKeyBound = Object.fromEntries(Array.from({ length: MAX_PROPS_KEYS }, (_, i) => [`k${i}`, i]));
    expect(codeOf('view', { props: atKeyBound })).toBe('ok');
    expect(codeOf('view', { props: { s: 'x'.repeat(MAX_STRING_LENGTH) } })).toBe('ok');
    expect(codeOf('view', { props: nested(MAX_PROPS_DEPTH) })).toBe('ok');
    expect(codeOf('view', { itemId: 'i'.repeat(MAX_ID_LENGTH) })).toBe('ok');
  });

  it('accepts null-prototype objects and copies them into plain objects', () => {
    const props = Object.create(null) as Record<string, unknown>;
    props.a = 1;
    const event = toEvent('view', { props }, meta) as InsituEvent;
    expect(Object.getPrototypeOf(event.props)).toBe(Object.prototype);
    expect(event.props).toEqual({ a: 1 });
  });

  it('keeps a shared (non-cyclic) reference as two copies', () => {
    const shared = { x: 1 };
    const event = toEvent('view', { props: { a: shared, b: shared } }, meta) as InsituEvent;
    expect(event.props).toEqual({ a: { x: 1 }, b: { x: 1 } });
    expect(event.props?.a).not.toBe(event.props?.b);
  });
});

describe('toEvent: each bad input gets its code', () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  const deepCycle: Record<string, unknown> = {};
  deepCycle.child = { back: deepCycle };
  const cyclicArray: unknown[] = [];
  cyclicArray.push(cyclicArray);
  const tooManyKeys = Object.fromEntries(Array.from({ length: MAX_PROPS_KEYS + 1 }, (_, i) => [`k${i}`, i]));
  const tooManyAcrossLevels = {
    a: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`a${i}`, i])),
    b: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`b${i}`, i])),
  };

  const cases: Array<[string, unknown, ErrorCode]> = [
    ['input null', null, 'invalid_props'],
    ['input a string', 'sku-1', 'invalid_props'],
    ['input an array', [1], 'invalid_props'],
    ['input a Date', new Date(), 'invalid_props'],
    ['input a class instance', new (class Input { itemId = 'x'; })(), 'invalid_props'],
    ['unknown top-level key', { item: 'x' }, 'invalid_props'],
    ['itemId a number', { itemId: 7 }, 'invalid_props'],
    ['itemId empty', { itemId: '' }, 'invalid_props'],
    ['itemId too long for an id', { itemId: 'i'.repeat(MAX_ID_LENGTH + 1) }, 'invalid_props'],
    ['placement an object', { placement: {} }, 'invalid_props'],
    ['decisionId null', { decisionId: null }, 'invalid_props'],
    ['value a string', { value: '3' }, 'invalid_props'],
    ['props an array', { props: [1, 2] }, 'invalid_props'],
    ['props a string', { props: 'a=1' }, 'invalid_props'],
    ['a Map in props', { props: { m: new Map() } }, 'invalid_props'],
    ['a Date in props', { props: { d: new Date() } }, 'invalid_props'],
    ['a symbol value', { props: { s: Symbol('s') } }, 'invalid_props'],
    ['a bigint value', { props: { n: 10n } }, 'invalid_props'],
    ['undefined in an array', { props: { a: [1, undefined] } }, 'invalid_props'],
    ['a hole in an array', { props: { a: [1, , 3] } }, 'invalid_props'], // eslint-disable-line no-sparse-arrays
    ['33 keys', { props: tooManyKeys }, 'too_many_keys'],
    ['40 keys over two levels', { props: tooManyAcrossLevels }, 'too_many_keys'],
    ['a string over 1 KB in props', { props: { s: 'x'.repeat(MAX_STRING_LENGTH + 1) } }, 'string_too_long'],
    ['a string over 1 KB in an array', { props: { a: ['x'.repeat(MAX_STRING_LENGTH + 1)] } }, 'string_too_long'],
    ['a key over 1 KB', { props: { ['k'.repeat(MAX_STRING_LENGTH + 1)]: 1 } }, 'string_too_long'],
    ['an itemId over 1 KB', { itemId: 'i'.repeat(MAX_STRING_LENGTH + 1) }, 'string_too_long'],
    ['nesting of 4', { props: nested(MAX_PROPS_DEPTH + 1) }, 'too_deep'],
    ['arrays nested 4 deep', { props: { a: [[[1]]] } }, 'too_deep'],
    ['a function in props', { props: { f: () => 1 } }, 'function_value'],
    ['a function nested', { props: { a: { b: [() => 1] } } }, 'function_value'],
    ['a class in props', { props: { c: class {} } }, 'function_value'],
    ['a cycle to props itself', { props: cyclic }, 'cyclic_value'],
    ['a cycle two levels down', { props: deepCycle }, 'cyclic_value'],
    ['an array containing itself', { props: { a: cyclicArray } }, 'cyclic_value'],
    ['__proto__ at the top (JSON.parse)', JSON.parse('{"__proto__": {"polluted": 1}}'), 'forbidden_key'],
    ['__proto__ in props (JSON.parse)', JSON.parse('{"props": {"__proto__": {"polluted": 1}}}'), 'forbidden_key'],
    ['__proto__ nested (JSON.parse)', JSON.parse('{"props": {"a": [{"__proto__": {"polluted": 1}}]}}'), 'forbidden_key'],
    ['constructor key', { props: { constructor: { prototype: { polluted: 1 } } } }, 'forbidden_key'],
    ['prototype key nested', { props: { a: { prototype: 1 } } }, 'forbidden_key'],
    ['constructor at the top', { constructor: 1 }, 'forbidden_key'],
    ['value NaN', { value: Number.NaN }, 'non_finite_number'],
    ['value Infinity', { value: Number.POSITIVE_INFINITY }, 'non_finite_number'],
    ['-Infinity in props', { props: { a: Number.NEGATIVE_INFINITY } }, 'non_finite_number'],
    ['NaN in an array', { props: { a: [1, Number.NaN] } }, 'non_finite_number'],
  ];

  // A loop rather than it.each: it.each would format the cyclic inputs into the test name.
  for (const [name, input, code] of cases) {
    it(`${name} → ${code}`, () => {
      const result = toEvent('view', input, meta);
      expect(result).toBeInstanceOf(InsituError);
      expect((result as InsituError).code).toBe(code);
    });
  }

  it('rejects an array of length 1e9 by its length, without reading it', () => {
    const huge: unknown[] = [];
    huge.length = 1e9;
    const started = performance.now();
    expect(codeOf('view', { props: { a: huge } })).toBe('too_many_keys');
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('says where the problem is', () => {
    const result = toEvent('view', { props: { a: { b: () => 1 } } }, meta) as InsituError;
    expect(result.detail).toEqual({ path: 'props.a.b' });
    expect(result.message).toContain('props.a.b');
  });
});

describe('toEvent: hostile inputs', () => {
  it('turns a Proxy that throws on every trap into invalid_props, never a throw', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('get');
        },
        ownKeys: () => {
          throw new Error('ownKeys');
        },
        getPrototypeOf: () => {
          throw new Error('getPrototypeOf');
        },
      },
    );
    expect(codeOf('view', hostile)).toBe('invalid_props');
    expect(codeOf('view', { props: hostile })).toBe('invalid_props');
    expect(codeOf('view', { props: { a: hostile } })).toBe('invalid_props');
  });

  it('turns a revoked Proxy and a throwing getter into invalid_props', () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(codeOf('view', proxy)).toBe('invalid_props');
    expect(codeOf('view', { props: [proxy] })).toBe('invalid_props');
    const throwing = {
      get itemId(): string {
        throw new Error('boom');
      },
    };
    expect(codeOf('view', throwing)).toBe('invalid_props');
  });

  it('reads each getter once, so a value cannot change between check and copy', () => {
    let itemReads = 0;
    let propReads = 0;
    const input = {
      get itemId(): unknown {
        itemReads++;
        return itemReads === 1 ? 'ok' : { evil: true };
      },
      props: {
        get size(): unknown {
          propReads++;
          return propReads === 1 ? 3 : () => 'evil';
        },
      },
    };
    const event = toEvent('view', input, meta) as InsituEvent;
    expect(event.itemId).toBe('ok');
    expect(event.props).toEqual({ size: 3 });
    expect(itemReads).toBe(1);
    expect(propReads).toBe(1);
    // The copy holds data, not the getter.
    expect(Object.getOwnPropertyDescriptor(event.props, 'size')?.get).toBeUndefined();
  });

  it('ignores symbol-keyed and non-enumerable properties', () => {
    const props: Record<string | symbol, unknown> = { a: 1, [Symbol('s')]: 2 };
    Object.defineProperty(props, 'hidden', { value: () => 1, enumerable: false });
    expect(toEvent('view', { props }, meta)).toEqual({ ...meta, type: 'view', props: { a: 1 } });
  });

  it('leaves Object.prototype clean after __proto__ and constructor attacks', () => {
    const attacks = [
      '{"__proto__": {"polluted": "yes"}}',
      '{"props": {"__proto__": {"polluted": "yes"}}}',
      '{"props": {"a": {"__proto__": {"polluted": "yes"}}}}',
      '{"props": {"constructor": {"prototype": {"polluted": "yes"}}}}',
    ];
    for (const attack of attacks) {
      const result = toEvent('view', JSON.parse(attack), meta);
      expect(result).toBeInstanceOf(InsituError);
      expect((result as InsituError).code).toBe('forbidden_key');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

/** An independent statement of what a valid event is: what toEvent promises to return. */
function isValidEvent(event: InsituEvent): boolean {
  let keys = 0;
  function valid(value: unknown, depth: number): boolean {
    if (value === null || typeof value === 'boolean') return true;
    if (typeof value === 'string') return value.length <= MAX_STRING_LENGTH;
    if (typeof value === 'number') return Number.isFinite(value);
    if (typeof value !== 'object' || depth > MAX_PROPS_DEPTH) return false;
    const proto = Object.getPrototypeOf(value);
    if (Array.isArray(value)) {
      if (proto !== Array.prototype) return false;
      keys += value.length;
      return value.every((item) => valid(item, depth + 1));
    }
    if (proto !== Object.prototype) return false;
    const entries = Object.entries(value);
    keys += entries.length;
    return entries.every(([key, item]) => !['__proto__', 'constructor', 'prototype'].includes(key) && key.length <= MAX_STRING_LENGTH && valid(item, depth + 1));
  }
  const ids = [event.itemId, event.placement, event.decisionId].filter((id) => id !== undefined);
  return (
    /^[a-z0-9_.-]{1,64}$/.test(event.type) &&
    ids.every((id) => typeof id === 'string' && id.length >= 1 && id.length <= MAX_ID_LENGTH) &&
    (event.value === undefined || Number.isFinite(event.value)) &&
    (event.props === undefined || (valid(event.props, 1) && !Array.isArray(event.props))) &&
    keys <= MAX_PROPS_KEYS
  );
}

describe('toEvent: properties', () => {
  const anything = fc.anything({
    withBigInt: true,
    withBoxedValues: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withNullPrototype: true,
    withObjectString: true,
    withSparseArray: true,
    withTypedArray: true,
    withUnicodeString: true,
    maxDepth: 5,
  });
  const protoKeys = fc.constantFrom('__proto__', 'constructor', 'prototype', 'a', 'itemId');
  // Mostly well-formed, so the valid branch is exercised too.
  const plausible = fc.record(
    {
      itemId: fc.string({ minLength: 1, maxLength: 20 }),
      value: fc.double({ noNaN: true, noDefaultInfinity: true }),
      props: fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), protoKeys), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
    },
    { requiredKeys: [] },
  );
  const inputs = fc.oneof(
    plausible,
    anything,
    fc.record(
      {
        itemId: fc.oneof(fc.string(), anything),
        placement: fc.string({ maxLength: 300 }),
        decisionId: fc.uuid(),
        value: fc.oneof(fc.double(), anything),
        props: fc.oneof(anything, fc.dictionary(fc.oneof(fc.string(), protoKeys), anything)),
      },
      { requiredKeys: [] },
    ),
    fc.dictionary(fc.oneof(protoKeys, fc.string()), anything).map((o) => JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'bigint' ? 0 : v))) as unknown),
  );

  it('never throws and returns a valid event or an InsituError with a known code', () => {
    const seen = { valid: 0, rejected: 0 };
    fc.assert(
      fc.property(fc.oneof({ arbitrary: fc.constantFrom(...BUILTIN_EVENT_TYPES), weight: 3 }, fc.string(), anything), inputs, (type, input) => {
        const result = toEvent(type, input, meta);
        if (result instanceof InsituError) {
          seen.rejected++;
          expect(ERROR_CODES).toContain(result.code);
        } else {
          seen.valid++;
          expect(isValidEvent(result)).toBe(true);
          // Valid events are fixed points: validating the copy gives the same event.
          const { id, type: again, ts, page, ...rest } = result;
          expect(toEvent(again, rest, { id, ts, ...(page === undefined ? {} : { page }) })).toEqual(result);
        }
      }),
      { numRuns: 2_000 },
    );
    // The generators reach both outcomes, so neither branch above is vacuous.
    expect(seen.valid).toBeGreaterThan(50);
    expect(seen.rejected).toBeGreaterThan(50);
  });
});
