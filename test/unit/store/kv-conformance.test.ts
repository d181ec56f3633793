/** The shared ProfileStore suite for the key-value store, over an AsyncStorage-shaped fake and over MMKV's synchronous shape. */
import { it, expect } from 'vitest';
import { createKvStore, fromMmkv, type KeyValueStorage } from '../../../worker/kv-store.js';
import type { ProfileStore } from '../../../worker/types.js';
import { describeProfileStoreConformance } from './conformance.js';
import { createFakeAsyncStorage } from './fake-async-storage.js';

const storages = new WeakMap<ProfileStore, KeyValueStorage>();
function openOn(storage: KeyValueStorage): ProfileStore {
  const store = createKvStore(storage);
  storages.set(store, storage);
  return store;
}

describeProfileStoreConformance(
  'key-value (AsyncStorage)',
  async () => openOn(createFakeAsyncStorage()),
  async (previous) => openOn(storages.get(previous)!),
);

describeProfileStoreConformance(
  'key-value (AsyncStorage without getAllKeys)',
  async () => openOn(createFakeAsyncStorage(undefined, { listKeys: false })),
  async (previous) => openOn(storages.get(previous)!),
);

function memoryMmkv() {
  const values = new Map<string, string>();
  return fromMmkv({
    getString: (key) => values.get(key),
    set: (key, value) => void values.set(key, value),
    remove: (key) => values.delete(key),
    getAllKeys: () => [...values.keys()],
  });
}

describeProfileStoreConformance(
  'key-value (MMKV)',
  async () => openOn(memoryMmkv()),
  async (previous) => openOn(storages.get(previous)!),
);

it('the key-value store says which backend it is', () => {
  expect(createKvStore(createFakeAsyncStorage()).status).toEqual({ mode: 'kv', health: 'ok' });
});
