/**
 * A first visit: opening IndexedDB created the database, so the engine reads nothing back (a
 * returning visitor's store is read as before), and the catalog's rows compile from the engine's
 * start, not only after the first decision.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { composeEngine } from '../../../worker/engine.js';
import { openIdbStore } from '../../../worker/idb-store.js';
import { createMemoryStore } from '../../../worker/memory-store.js';
import type { ConsentState, ProfileStore, StateKey } from '../../../worker/types.js';
import { manualTime } from '../../support/manual-scheduler.js';
import { recordingParts } from '../../support/recording-personalizer.js';

const GRANTED: ConsentState = { personalization: 'granted', metrics: 'pending', sensitive: 'pending' };

/** A memory store standing in for IndexedDB that says whether opening created it, and counts its reads. */
function storeThat(created: boolean, inner: ProfileStore = createMemoryStore()) {
  const reads: StateKey[] = [];
  let counts = 0;
  const store: ProfileStore = new Proxy(inner, {
    get(target, key: keyof ProfileStore | 'created') {
      if (key === 'created') return created;
      if (key === 'status') return { mode: 'indexeddb', health: 'ok' };
      if (key === 'getState') return async (k: StateKey) => (reads.push(k), target.getState(k));
      if (key === 'countEvents') return async () => (counts++, target.countEvents());
      const value = target[key];
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, reads, get counts() { return counts; } };
}

describe('IndexedDB store: created', () => {
  it('is true when the first open created the database, false when it opened an existing one', async () => {
    const factory = new IDBFactory();
    const first = await openIdbStore({ factory, name: 'first-visit' });
    expect(first.created).toBe(true);
    await first.putState('device', { deviceId: 'd1' });
    await first.close();
    const again = await openIdbStore({ factory, name: 'first-visit' });
    expect(again.created).toBe(false);
    expect(await again.getState('device')).toEqual({ deviceId: 'd1' });
    await again.close();
  });
});

describe('engine on a first visit', () => {
  it('reads no state from a store its open created, and still records the device id', async () => {
    const time = manualTime();
    const fresh = storeThat(true);
    const engine = composeEngine({ openStore: async () => fresh.store, clock: time, scheduler: time, consent: GRANTED }, recordingParts());
    await engine.ready;
    expect(fresh.reads).toEqual([]);
    expect(fresh.counts).toBe(0);
    expect(engine.status()).toMatchObject({ storedEvents: 0, storage: { mode: 'indexeddb', health: 'ok' } });
    engine.decide({ placement: 'home', candidates: ['a', 'b'] });
    await engine.flush();
    expect(await fresh.store.getDecisions()).toHaveLength(1);
    expect(await fresh.store.getState('device')).toMatchObject({ deviceId: expect.any(String) });
  });

  it('keeps what was learned while consent was pending when the grant creates the store', async () => {
    const time = manualTime();
    const fresh = storeThat(true);
    const engine = composeEngine({ openStore: async () => fresh.store, clock: time, scheduler: time }, recordingParts());
    await engine.ready;
    engine.track([1, 2, 3].map((i) => ({ id: `e${i}`, type: 'view' as const, ts: time.now() + i, itemId: `item-${i}` })));
    await engine.setConsent(GRANTED);
    await engine.flush();
    expect(fresh.reads).toEqual([]);
    expect(await fresh.store.countEvents()).toBe(3);
    expect(await fresh.store.getState('model')).toEqual({ seen: ['e1', 'e2', 'e3'] });
  });

  it('reads a store that existed before as it always did', async () => {
    const time = manualTime();
    const existing = storeThat(false);
    const engine = composeEngine({ openStore: async () => existing.store, clock: time, scheduler: time, consent: GRANTED }, recordingParts());
    await engine.ready;
    expect(existing.reads.length).toBeGreaterThan(0);
    expect(existing.counts).toBe(1);
  });

  it('compiles catalog rows from its start, in idle steps, before any decision', async () => {
    const time = manualTime();
    const parts = recordingParts();
    let steps = 0;
    const counting = {
      ...parts,
      createPersonalizer: (options: Parameters<typeof parts.createPersonalizer>[0]) => {
        const personalizer = parts.createPersonalizer(options);
        return { ...personalizer, compileAhead: () => ++steps >= 3 };
      },
    };
    const idle: Array<() => void> = [];
    const scheduler = { ...time, defer: time.defer, whenIdle: (task: () => void) => (idle.push(task), () => undefined) };
    const engine = composeEngine({ clock: time, scheduler }, counting);
    await engine.ready;
    while (idle.length) idle.shift()!();
    expect(steps).toBe(3);
  });
});
