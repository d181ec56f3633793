/**
 * The shared ProfileStore suite, run for the memory store and for the IndexedDB store
 * (fake-indexeddb, a fresh IDBFactory per store so tests cannot see each other's data).
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { expect, it } from 'vitest';
import { createMemoryStore } from '../../../worker/memory-store.js';
import { openIdbStore } from '../../../worker/idb-store.js';
import type { ProfileStore } from '../../../worker/types.js';
import { describeProfileStoreConformance } from './conformance.js';

describeProfileStoreConformance('memory', async () => createMemoryStore());

const factories = new WeakMap<ProfileStore, IDBFactory>();
async function openOn(factory: IDBFactory): Promise<ProfileStore> {
  const store = await openIdbStore({ factory });
  factories.set(store, factory);
  return store;
}

describeProfileStoreConformance(
  'IndexedDB',
  () => openOn(new IDBFactory()),
  (previous) => openOn(factories.get(previous)!),
);

it('the stores say which backend they are', async () => {
  expect(createMemoryStore().status).toEqual({ mode: 'memory', health: 'ok' });
  const store = await openIdbStore({ factory: new IDBFactory() });
  expect(store.status).toEqual({ mode: 'indexeddb', health: 'ok' });
  await store.close();
});
