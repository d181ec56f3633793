/**
 * The React Native client in Node: the real engine composition (worker/engine.ts), the real kv
 * store over an AsyncStorage-shaped fake, a fake AppState, and a small click-count personalizer
 * standing in for worker/decide (see fake-personalizer.ts).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { composeEngine } from '../../../worker/engine.js';
import type { EngineOptions } from '../../../worker/engine-types.js';
import { InsituError } from '../../../worker/errors.js';
import { createKvStore } from '../../../worker/kv-store.js';
import { applyRetention } from '../../../worker/retention.js';
import { createReporting } from '../../../worker/reporting.js';
import type { ConsentState } from '../../../worker/types.js';
import { createNativeClient, type EngineFactory } from '../../../src/react-native/native-client.js';
import type { NativeInsituOptions } from '../../../src/react-native/native-options.js';
import type { InsituClient } from '../../../src/types.js';
import { createFakeAsyncStorage, type FakeAsyncStorage } from '../store/fake-async-storage.js';
import { createFakeAppState } from './fake-app-state.js';
import { createClickCountPersonalizer } from './fake-personalizer.js';

const GRANTED: ConsentState = { personalization: 'granted', metrics: 'denied', sensitive: 'denied' };
const catalog = [{ id: 'a' }, { id: 'b' }, { id: 'c' }];

const engineOptions: EngineOptions[] = [];
const makeEngine: EngineFactory = (options) => {
  engineOptions.push(options);
  return composeEngine(options, { createPersonalizer: createClickCountPersonalizer, isInHoldout: () => false, retain: applyRetention, reporting: { createReporting } });
};

const clients: InsituClient[] = [];
function client(storage: FakeAsyncStorage, extra: Partial<NativeInsituOptions> = {}, factory: EngineFactory = makeEngine): InsituClient {
  const created = createNativeClient({ storage, catalog, consent: { kind: 'explicit', initial: GRANTED }, ...extra }, factory);
  clients.push(created);
  return created;
}

/** Let every queued promise callback run (timers are not involved). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const storedEvents = (storage: FakeAsyncStorage) => createKvStore(createFakeAsyncStorage(storage.data)).getEvents();

afterEach(async () => {
  vi.useRealTimers();
  for (const c of clients.splice(0)) await c.destroy().catch(() => undefined);
  engineOptions.length = 0;
});

describe('React Native client', () => {
  it('validates track() input and returns the error instead of throwing', async () => {
    const c = client(createFakeAsyncStorage());
    expect(c.track('Not A Type')).toMatchObject({ code: 'invalid_event_type' });
    expect(c.track('click', { itemId: 'a', props: { nested: { deep: { deeper: { deepest: 1 } } } } })).toBeInstanceOf(InsituError);
    expect(c.track('click', { itemId: 'a' })).toBeUndefined();
    await c.ready;
    const exported = await c.exportData();
    expect(exported.events.map((e) => [e.type, e.itemId])).toEqual([['click', 'a']]);
  });

  it('runs the engine inline over the key-value store, and decides from what it learned', async () => {
    const storage = createFakeAsyncStorage();
    const c = client(storage);
    await c.ready;
    expect(c.status).toMatchObject({ worker: 'inline', storage: { mode: 'kv', health: 'ok' }, globalPrivacyControl: 'absent' });
    c.track('click', { itemId: 'c' });
    // decide() hands queued events to the engine first: the tap just before counts.
    const decision = await c.decide('home', { candidates: ['a', 'b', 'c'], timeoutMs: 1_000 });
    expect(decision).toMatchObject({ itemId: 'c', policy: 'personalized', placement: 'home' });
    expect(decision).not.toHaveProperty('candidates');
    expect(await c.explain(decision.decisionId)).toMatchObject({ itemId: 'c' });
    await c.flush();
    expect((await storedEvents(storage)).map((e) => e.itemId)).toEqual(['c']);
    expect([...storage.data.keys()].every((k) => k.startsWith('insitu:'))).toBe(true);
  });

  it('writes queued events when the app goes to the background or becomes inactive, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const storage = createFakeAsyncStorage();
    const appState = createFakeAppState();
    const c = client(storage, { appState });
    await settle();
    c.track('click', { itemId: 'a' });
    c.track('view', { itemId: 'b' });
    await settle();
    appState.change('active');
    await settle();
    expect(await storedEvents(storage)).toEqual([]);

    appState.change('background');
    await settle();
    expect((await storedEvents(storage)).map((e) => e.itemId)).toEqual(['a', 'b']);

    c.track('click', { itemId: 'c' });
    appState.change('inactive');
    await settle();
    expect((await storedEvents(storage)).map((e) => e.itemId)).toEqual(['a', 'b', 'c']);
    // The model state went with them, so a kill right now loses nothing learned.
    expect(JSON.parse(storage.data.get('insitu:state.model')!)).toEqual({ clicks: { a: 1, c: 1 } });

    vi.useRealTimers();
    await c.destroy();
    expect(appState.listeners()).toBe(0);
  });

  it('picks up where it left off after a restart', async () => {
    const storage = createFakeAsyncStorage();
    const first = client(storage);
    await first.ready;
    first.track('click', { itemId: 'b' });
    first.track('click', { itemId: 'b', props: { n: 2 } });
    await first.destroy();

    const second = client(storage);
    const decision = await second.decide('home', { candidates: ['a', 'b', 'c'], timeoutMs: 1_000 });
    expect(decision.itemId).toBe('b');
    expect((await second.exportData()).events).toHaveLength(2);
  });

  it('answers with the fallback by the deadline while storage is slow, and logs it as a fallback', async () => {
    const storage = createFakeAsyncStorage();
    let release!: () => void;
    const slow = new Promise<void>((resolve) => (release = resolve));
    storage.fault = (op) => (op === 'getItem' ? slow : undefined);
    const c = client(storage);
    const started = Date.now();
    const decision = await c.decide('home', { candidates: ['a', 'b'], fallback: 'b', timeoutMs: 40 });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(decision).toMatchObject({ itemId: 'b', policy: 'fallback', propensity: 1 });
    expect(c.status.worker).toBe('starting');

    release();
    storage.fault = undefined;
    await c.ready;
    const logged = (await c.exportData()).decisions;
    expect(logged).toEqual([expect.objectContaining({ decisionId: decision.decisionId, policy: 'fallback', candidates: ['a', 'b'], probabilities: [0, 1] })]);
  });

  it('erases everything it stored when personalization is denied', async () => {
    const storage = createFakeAsyncStorage(new Map([['app:settings', '{}']]));
    const c = client(storage);
    await c.ready;
    c.track('click', { itemId: 'a' });
    await c.flush();
    expect([...storage.data.keys()].some((k) => k.startsWith('insitu:events'))).toBe(true);
    const heard: ConsentState[] = [];
    c.consent.subscribe((state) => heard.push(state));
    await c.consent.set({ personalization: 'denied' });
    expect([...storage.data.keys()]).toEqual(['app:settings']);
    expect(heard.at(-1)?.personalization).toBe('denied');
    expect(c.track('click', { itemId: 'a' })).toBeUndefined();
    expect((await c.exportData()).memory.events).toEqual([]);
  });

  it('writes nothing while consent is pending', async () => {
    const storage = createFakeAsyncStorage();
    const c = client(storage, { consent: { kind: 'explicit' } });
    await c.ready;
    c.track('click', { itemId: 'a' });
    await c.flush();
    expect(storage.data.size).toBe(0);
    expect((await c.exportData()).memory.events.map((e) => e.itemId)).toEqual(['a']);
    await c.consent.set({ personalization: 'granted' });
    await c.flush();
    expect((await storedEvents(storage)).map((e) => e.itemId)).toEqual(['a']);
  });

  it('stays usable when the engine cannot start: fallback decisions, errors through onError', async () => {
    const errors: InsituError[] = [];
    const c = client(createFakeAsyncStorage(), { onError: (e) => errors.push(e) }, () => {
      throw new InsituError('worker_unavailable', 'no engine here');
    });
    await c.ready;
    expect(errors.map((e) => e.code)).toContain('worker_unavailable');
    const decision = await c.decide('home', { candidates: ['a', 'b'] });
    expect(decision).toMatchObject({ itemId: 'a', policy: 'fallback' });
    await expect(c.exportData()).rejects.toMatchObject({ code: 'worker_unavailable' });
    await expect(c.decide('home', { candidates: [] })).rejects.toMatchObject({ code: 'no_candidates' });
  });

  it('hands the engine its platform: the kv store under the chosen prefix, timers, a seed', async () => {
    const storage = createFakeAsyncStorage();
    const c = client(storage, { storagePrefix: 'app.insitu/' });
    await c.ready;
    c.track('view', { itemId: 'a' });
    await c.flush();
    expect([...storage.data.keys()].every((k) => k.startsWith('app.insitu/'))).toBe(true);
    const [options] = engineOptions;
    expect(options!.scheduler).toBeDefined();
    expect(Number.isInteger(options!.seed)).toBe(true);
    expect(options!.transport).toBeUndefined();
  });

  it('fetches a catalog from an absolute URL and refuses a relative one', async () => {
    const requested: string[] = [];
    const fakeFetch = (async (url: string) => {
      requested.push(url);
      return new Response(JSON.stringify([{ id: 'x' }, { id: 'y' }]));
    }) as typeof fetch;
    const c = client(createFakeAsyncStorage(), { catalog: 'https://example.test/catalog.json', fetch: fakeFetch });
    await c.ready;
    expect(requested).toEqual(['https://example.test/catalog.json']);
    expect(engineOptions[0]!.catalog).toEqual([{ id: 'x' }, { id: 'y' }]);

    const errors: InsituError[] = [];
    const relative = client(createFakeAsyncStorage(), { catalog: '/catalog.json', fetch: fakeFetch, onError: (e) => errors.push(e) });
    await relative.ready;
    expect(errors.map((e) => e.code)).toContain('invalid_catalog');
    expect(requested).toHaveLength(1);
  });
});
