/**
 * Issue 8, stored state read back: whatever sits in the profile store under each state key (a
 * tampered record, one from an older version, a prototype-pollution payload) and whatever
 * malformed events it holds, createEngine + ready never throws, the engine works, a record its
 * part refuses is listed in errors() and replaced by a clean one, and Object.prototype is untouched.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../worker/errors.js';
import { createEngine, createMemoryStore, createPersonalizer } from '../../../worker/index.js';
import { createReporter } from '../../../worker/report/index.js';
import { applyRetention, MAX_EVENT_AGE_MS } from '../../../worker/retention.js';
import { createSeededRandom } from '../../../worker/seeded-random.js';
import type { CatalogItem, ConsentState, InsituEvent, StateKey } from '../../../worker/types.js';
import { PROTOTYPE_ATTACKS, prototypesClean } from './arbitraries.js';

const GRANTED: ConsentState = { personalization: 'granted', metrics: 'granted', sensitive: 'denied' };
const CATALOG: CatalogItem[] = ['a', 'b', 'c'].map((id) => ({ id, title: id, tags: [`t-${id}`] }));
const KEYS: StateKey[] = ['model', 'reporter', 'ledger', 'signals', 'sent', 'device', 'profile', 'mutes', 'bandit'];
const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);
const clock = { now: () => Date.UTC(2025, 0, 1, 10) };

let tried = 0;
afterAll(() => console.info(`tampered stored states tried: ${tried}`));

/** JSON as storage could hold it: random values, prototype attacks, and near-misses of real records. */
const storedValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_ATTACKS).map((json) => JSON.parse(json) as unknown) },
  { weight: 1, arbitrary: fc.record({ version: fc.oneof(fc.integer({ min: -1, max: 5 }), fc.jsonValue()), entries: fc.jsonValue(), periods: fc.jsonValue(), weights: fc.jsonValue() }, { requiredKeys: [] }) },
);

/** Whether a fresh part refuses the value, i.e. whether the engine must say so. */
function refusedBy(key: StateKey, value: unknown): boolean {
  const random = createSeededRandom(1);
  try {
    if (key === 'model') createPersonalizer({ catalog: CATALOG, random, clock, consent: () => GRANTED, inHoldout: false }).importState(value);
    else if (key === 'reporter') createReporter({ random, clock, config: { catalog: CATALOG } }).importState(value);
    else if (key === 'ledger') createReporter({ random, clock, config: { catalog: CATALOG } }).importLedger(value);
    else return false;
    return false;
  } catch {
    return true;
  }
}

describe('tampered stored state', () => {
  it('under any state key: the engine starts, works, lists what it refused, and replaces a refused model', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(KEYS, { minLength: 1 }), fc.array(storedValue, { minLength: KEYS.length, maxLength: KEYS.length }), async (keys, values) => {
        tried++;
        const store = createMemoryStore();
        for (const [i, key] of keys.entries()) await store.putState(key, values[i]);
        const engine = createEngine({ catalog: CATALOG, consent: GRANTED, clock, seed: 3, openStore: async () => store });
        await engine.ready;
        const errors = engine.errors();
        expect(errors.every((e) => KNOWN_CODES.has(e.code))).toBe(true);
        const refused = keys.filter((key, i) => refusedBy(key, values[i]));
        expect(errors.length).toBeGreaterThanOrEqual(refused.length);

        const decision = engine.decide({ placement: 'home', candidates: ['a', 'b', 'c'] });
        expect(['a', 'b', 'c']).toContain(decision.itemId);
        engine.track([{ id: `e-${tried}`, type: 'click', itemId: decision.itemId, decisionId: decision.decisionId, ts: clock.now() }]);
        await engine.flush();
        const exported = await engine.exportData();
        expect(() => JSON.parse(JSON.stringify(exported))).not.toThrow();
        // A refused model is not left in storage to be refused again: a clean one took its place.
        expect(refusedBy('model', exported.state.model)).toBe(false);
        expect(exported.events.map((e) => e.id)).toContain(`e-${tried}`);
        expect(prototypesClean()).toBe(true);
        await engine.close();
      }),
      { numRuns: 150 },
    );
  });

  it('malformed events in the store (from an older version, or edited): the engine starts and retention copes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ id: fc.string({ minLength: 1, maxLength: 20 }), ts: fc.oneof(fc.integer(), fc.double()), type: fc.jsonValue(), itemId: fc.jsonValue(), props: fc.jsonValue(), value: fc.jsonValue() }, { requiredKeys: ['id', 'ts'] }), { maxLength: 30 }),
        async (events) => {
          tried++;
          const store = createMemoryStore();
          await store.putEvents(events as unknown as InsituEvent[]);
          const engine = createEngine({ catalog: CATALOG, consent: GRANTED, clock, seed: 4, openStore: async () => store });
          await engine.ready;
          expect(engine.decide({ placement: 'home', candidates: ['a', 'b'] }).itemId).toMatch(/^[ab]$/);
          await engine.flush();
          const exported = await engine.exportData();
          expect(() => JSON.parse(JSON.stringify(exported))).not.toThrow();
          // Retention compacts stored events into the profile snapshot: it must survive them too.
          await expect(applyRetention(store, clock.now() + MAX_EVENT_AGE_MS)).resolves.toBeUndefined();
          expect(engine.errors().every((e) => KNOWN_CODES.has(e.code))).toBe(true);
          expect(prototypesClean()).toBe(true);
          await engine.close();
        },
      ),
      { numRuns: 100 },
    );
  });
});
