/**
 * Hostile values for the property-based suite: everything fast-check can make (null-prototype
 * objects, sparse arrays, typed arrays, Maps, boxed values, BigInt, huge and odd numbers) plus the
 * shapes attackers reach for first: `__proto__` / `constructor` keys made by JSON.parse (own
 * properties, as a network or storage payload would carry them), throwing getters and Proxies,
 * revoked Proxies, cycles, functions and symbols.
 */
import fc from 'fast-check';

/**
 * A Proxy whose traps throw for every property name. Symbol lookups answer normally, because
 * fast-check itself probes generated values with a symbol (its clone hook); a fully revoked Proxy
 * breaks fast-check, so that one is tested on its own, outside the properties.
 */
export function throwingProxy(): object {
  const refuse = (what: string) => () => {
    throw new Error(`trap: ${what}`);
  };
  return new Proxy({}, {
    get: (target, key) => (typeof key === 'symbol' ? Reflect.get(target, key) : refuse('get')()),
    has: (target, key) => (typeof key === 'symbol' ? Reflect.has(target, key) : refuse('has')()),
    ownKeys: refuse('ownKeys'),
    getOwnPropertyDescriptor: refuse('descriptor'),
    getPrototypeOf: refuse('prototype'),
  });
}

export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

function cyclic(): object {
  const a: Record<string, unknown> = { name: 'a' };
  a.self = a;
  return a;
}

function throwingGetter(): object {
  return Object.defineProperty({}, 'itemId', {
    enumerable: true,
    get() {
      throw new Error('getter');
    },
  });
}

/** Payloads that try to reach Object.prototype, as JSON from the network or from storage. */
export const PROTOTYPE_ATTACKS: readonly string[] = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"props":{"__proto__":{"polluted":"yes"}}}',
  '[{"__proto__":{"polluted":"yes"},"id":"x"}]',
  '{"id":"__proto__","tags":["__proto__"],"title":"__proto__"}',
];

export const nasty = fc.constantFrom<() => unknown>(
  throwingProxy,
  cyclic,
  throwingGetter,
  () => () => 'function',
  () => Symbol('s'),
  () => 10n ** 30n,
  () => Number.NaN,
  () => Number.POSITIVE_INFINITY,
  () => -0,
  () => 'x'.repeat(100_000),
  () => Array.from({ length: 10_000 }, (_, i) => i),
  () => new Array(1e9),
  ...PROTOTYPE_ATTACKS.map((json) => () => JSON.parse(json) as unknown),
).map((make) => make());

export const hostile: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withDate: true, withMap: true, withSet: true, withNullPrototype: true, withObjectString: true, withSparseArray: true, withTypedArray: true }) },
  { weight: 1, arbitrary: nasty },
  { weight: 1, arbitrary: fc.jsonValue() },
);

/** Object.prototype and Array.prototype as they were; a test asserts nothing was added. */
export function prototypesClean(): boolean {
  const probe = {} as Record<string, unknown>;
  return probe.polluted === undefined && ([] as unknown as Record<string, unknown>).polluted === undefined && Object.keys(Object.prototype).length === 0;
}
