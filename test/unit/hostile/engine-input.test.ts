/**
 * Issue 8, hostile input, property-based: whatever a page (or a script on it) passes to track()
 * and decide() of the real client (inline engine, memory store), and whatever catalog, priors or
 * events reach createEngine, the host page sees no crash: calls return or reject with an
 * InsituError whose code is documented, Object.prototype is untouched, the engine keeps working,
 * and what it holds stays bounded. (toEvent alone is covered by validate.test.ts.)
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/client.js';
import type { InsituClient } from '../../../src/types.js';
import { MAX_PROPS_KEYS, MAX_STRING_LENGTH, toEvent } from '../../../src/validate.js';
import { MAX_UNSAVED_EVENTS } from '../../../worker/consent-gate.js';
import { MAX_RECENT_DECISIONS } from '../../../worker/engine.js';
import { ERROR_CODES, InsituError } from '../../../worker/errors.js';
import { createEngine, createMemoryStore } from '../../../worker/index.js';
import { createWorkerService } from '../../../worker/worker-service.js';
import type { CatalogItem, ConsentState, InsituEvent } from '../../../worker/types.js';
import { hostile, prototypesClean, revokedProxy, throwingProxy } from './arbitraries.js';

const KNOWN_CODES: ReadonlySet<string> = new Set(ERROR_CODES);
const GRANTED: ConsentState = { personalization: 'granted', metrics: 'denied', sensitive: 'denied' };
const CATALOG: CatalogItem[] = ['a', 'b', 'c'].map((id) => ({ id, title: id, tags: ['t'] }));

/** Tally of what the suite tried, printed for the closing note. */
const tried = { track: 0, decide: 0, catalog: 0, priors: 0, engineTrack: 0, bounded: 0 };
afterAll(() => console.info(`hostile inputs tried: ${JSON.stringify(tried)}`));

/** The real page client with the inline engine over a memory store (no window, no worker). */
function inlineClient(consent: Partial<ConsentState> = GRANTED): InsituClient {
  const store = createMemoryStore();
  return createClient(
    { catalog: CATALOG, consent: { kind: 'explicit', initial: consent }, autoCapture: false },
    {
      loadInline: async () => ({ createWorkerService: () => createWorkerService({ openStore: async () => store }) }),
      defaultWorkerUrl: () => undefined,
    },
  );
}

function expectKnownError(error: unknown): void {
  expect(error).toBeInstanceOf(InsituError);
  expect(KNOWN_CODES.has((error as InsituError).code)).toBe(true);
}

function shapeKey(event: InsituEvent): string {
  return JSON.stringify([event.type, event.itemId ?? '', event.placement ?? '', event.value ?? '', event.props ?? null]);
}

describe('track() on the page client', () => {
  it('returns undefined or a documented InsituError for anything, stores only what it accepted', async () => {
    const client = inlineClient();
    await client.ready;
    const accepted: InsituEvent[] = [];
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom('view', 'click', 'convert', 'my.custom-event'), hostile), fc.oneof(hostile, fc.record({ itemId: hostile, props: hostile, value: hostile }, { requiredKeys: [] })), (type, input) => {
        tried.track++;
        let result: unknown;
        expect(() => (result = client.track(type as string, input as never))).not.toThrow();
        // The client reads a missing or null input as {} (track('view') is the common call).
        const reference = toEvent(type, input ?? {}, { id: 'x', ts: 0 });
        if (result === undefined) {
          expect(reference).not.toBeInstanceOf(InsituError);
          accepted.push(reference as InsituEvent);
        } else {
          expectKnownError(result);
          expect((result as InsituError).code).toBe((reference as InsituError).code);
        }
      }),
      { numRuns: 1_500 },
    );
    const exported = await client.exportData();
    const stored = [...exported.events, ...exported.memory.events];
    // The engine keeps one copy of a repeat within a second: between the distinct shapes and all accepted.
    expect(stored.length).toBeLessThanOrEqual(accepted.length);
    expect(stored.length).toBeGreaterThanOrEqual(new Set(accepted.map(shapeKey)).size > 0 ? Math.min(accepted.length, 1) : 0);
    expect(new Set(stored.map(shapeKey)).size).toBe(new Set(accepted.map(shapeKey)).size);
    expect(() => JSON.parse(JSON.stringify(exported))).not.toThrow();
    expect(prototypesClean()).toBe(true);
    await client.destroy();
  });
});

describe('decide() on the page client', () => {
  const options = fc.oneof(
    hostile,
    fc.record(
      {
        candidates: fc.oneof(hostile, fc.array(fc.oneof(fc.constantFrom('a', 'b', 'c', 'zz'), fc.string(), hostile), { maxLength: 8 })),
        context: fc.oneof(hostile, fc.dictionary(fc.string(), fc.oneof(fc.double(), hostile), { maxKeys: 4 })),
        timeoutMs: fc.oneof(fc.double(), fc.integer({ min: 0, max: 200 }), hostile),
        fallback: fc.oneof(fc.string(), hostile),
      },
      { requiredKeys: [] },
    ),
  );

  it('resolves with one of the candidates or rejects with a documented code; never throws, never hangs', async () => {
    const client = inlineClient();
    await client.ready;
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom('hero', 'home'), hostile), options, async (placement, decideOptions) => {
        tried.decide++;
        let settled: { decision?: import('../../../worker/types.js').Decision; error?: unknown };
        try {
          settled = { decision: await client.decide(placement as string, decideOptions as never) };
        } catch (error) {
          settled = { error };
        }
        if (settled.error !== undefined) expectKnownError(settled.error);
        else {
          const candidates = (decideOptions as { candidates: string[] }).candidates;
          const fallback = (decideOptions as { fallback?: string }).fallback;
          expect([...candidates, fallback]).toContain(settled.decision!.itemId);
          expect(settled.decision!.propensity).toBeGreaterThan(0);
          expect(settled.decision!.propensity).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 400 },
    );
    // Still working afterwards.
    const decision = await client.decide('hero', { candidates: ['a', 'b'], timeoutMs: 1_000 });
    expect(['a', 'b']).toContain(decision.itemId);
    expect(prototypesClean()).toBe(true);
    await client.destroy();
  });
});

describe('catalog, priors and events handed to the engine', () => {
  const catalogs = fc.oneof(
    hostile,
    fc.array(fc.oneof(hostile, fc.record({ id: fc.oneof(fc.string(), hostile), title: hostile, tags: fc.oneof(hostile, fc.array(fc.oneof(fc.string(), hostile))), embedding: fc.oneof(hostile, fc.array(fc.double())), sensitive: hostile, text: hostile }, { requiredKeys: [] })), { maxLength: 6 }),
  );
  const priors = fc.oneof(
    hostile,
    fc.record({ version: fc.oneof(fc.constant(1), hostile), popularity: fc.oneof(hostile, fc.dictionary(fc.string(), fc.oneof(fc.double(), hostile))), neighbours: fc.oneof(hostile, fc.dictionary(fc.string(), fc.oneof(hostile, fc.array(fc.tuple(fc.string(), fc.double()))))) }, { requiredKeys: [] }),
  );

  function expectWorking(engine: ReturnType<typeof createEngine>): void {
    const record = engine.decide({ placement: 'hero', candidates: ['a', 'b', 'c'] });
    expect(['a', 'b', 'c']).toContain(record.itemId);
    expect(record.probabilities.reduce((s, p) => s + p, 0)).toBeCloseTo(1, 6);
    expect(() => engine.track([{ id: `e-${Math.random()}`, type: 'view', itemId: 'a', ts: Date.now() }])).not.toThrow();
  }

  it('a garbage catalog or priors is refused with invalid_catalog / invalid_priors, or ignored; the engine works either way', () => {
    fc.assert(
      fc.property(catalogs, priors, (catalog, prior) => {
        tried.catalog++;
        tried.priors++;
        let engine: ReturnType<typeof createEngine> | undefined;
        try {
          engine = createEngine({ catalog: catalog as CatalogItem[], priors: prior as never, consent: GRANTED });
        } catch (error) {
          expectKnownError(error);
          expect(['invalid_catalog', 'invalid_priors']).toContain((error as InsituError).code);
          return;
        }
        expectWorking(engine);
        for (const [set, value] of [
          [(v: unknown) => engine!.setCatalog(v as CatalogItem[]), catalog],
          [(v: unknown) => engine!.setPriors(v as never), prior],
        ] as const) {
          try {
            set(value);
          } catch (error) {
            expectKnownError(error);
          }
        }
        expectWorking(engine);
      }),
      { numRuns: 600 },
    );
    expect(prototypesClean()).toBe(true);
  });

  it('events that skipped the page validation (the headless API) never break the engine', async () => {
    const engine = createEngine({ catalog: CATALOG, consent: GRANTED, openStore: async () => createMemoryStore() });
    await engine.ready;
    fc.assert(
      fc.property(fc.oneof(hostile, fc.array(fc.oneof(hostile, fc.record({ id: hostile, type: hostile, ts: hostile, itemId: hostile, props: hostile }, { requiredKeys: [] })), { maxLength: 5 })), (events) => {
        tried.engineTrack++;
        try {
          engine.track(events as InsituEvent[]);
        } catch (error) {
          expectKnownError(error);
        }
      }),
      { numRuns: 1_000 },
    );
    expectWorking(engine);
    await engine.flush();
    const exported = await engine.exportData();
    expect(() => JSON.parse(JSON.stringify(exported))).not.toThrow();
    expect(engine.errors().every((e) => KNOWN_CODES.has(e.code))).toBe(true);
    expect(prototypesClean()).toBe(true);
  });
});

describe('values fast-check cannot carry', () => {
  it('a revoked Proxy anywhere: a documented error, never a throw into the page', async () => {
    const client = inlineClient();
    await client.ready;
    expectKnownError(client.track('view', revokedProxy() as never));
    expectKnownError(client.track(revokedProxy() as never));
    await client.decide('hero', revokedProxy() as never).then(() => expect.unreachable(), expectKnownError);
    await client.decide('hero', { candidates: revokedProxy() as never }).then(() => expect.unreachable(), expectKnownError);
    for (const catalog of [revokedProxy(), [revokedProxy()], throwingProxy()]) {
      expect(() => createEngine({ catalog: catalog as never })).toThrowError(InsituError);
    }
    const engine = createEngine({ catalog: CATALOG, consent: GRANTED });
    expect(() => engine.track([revokedProxy(), throwingProxy()] as never)).not.toThrow();
    expect(engine.errors().map((e) => e.code)).toContain('invalid_props');
    expect(prototypesClean()).toBe(true);
    await client.destroy();
  });
});

describe('bounded', () => {
  it(`after 20,000 hostile calls the engine holds at most ${MAX_UNSAVED_EVENTS} unsaved events and ${MAX_RECENT_DECISIONS} recent decisions`, { timeout: 60_000 }, async () => {
    // Pending consent: everything stays in memory, the worst case for growth.
    const client = inlineClient({ personalization: 'pending' });
    await client.ready;
    const values = fc.sample(fc.tuple(fc.constantFrom('view', 'click', 'dwell'), fc.record({ itemId: fc.string({ maxLength: 40 }), props: fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 200 }), { maxKeys: 6 }) })), 20_000);
    for (const [i, [type, input]] of values.entries()) {
      tried.bounded++;
      client.track(type, { ...input, props: { ...input.props, n: i } });
      if (i % 20 === 0) await client.decide('hero', { candidates: ['a', 'b', 'c'], timeoutMs: 1_000 });
    }
    await client.flush();
    const exported = await client.exportData();
    expect(exported.memory.events.length).toBeLessThanOrEqual(MAX_UNSAVED_EVENTS);
    expect(exported.decisions.length).toBeLessThanOrEqual(MAX_RECENT_DECISIONS);
    const bytes = JSON.stringify(exported).length;
    // Each kept event is bounded by validation: MAX_PROPS_KEYS strings of MAX_STRING_LENGTH at most.
    expect(bytes).toBeLessThan(MAX_UNSAVED_EVENTS * (MAX_PROPS_KEYS * MAX_STRING_LENGTH + 1_024) + 5_000_000);
    console.info(`bounded: 20000 hostile tracks, ${values.length / 20} decisions → export ${(bytes / 1e6).toFixed(2)} MB, ${exported.memory.events.length} events in memory`);
    await client.destroy();
  });
});
