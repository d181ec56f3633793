/**
 * The shared ProfileStore suite against Chromium's own IndexedDB (on disk, in a persistent
 * profile), running in the page. Each store gets its own database, so tests cannot see each
 * other's data; reopen opens the same one.
 */
import { afterAll, expect, it } from 'vitest';
import { openIdbStore } from '../../worker/idb-store.js';
import type { ProfileStore } from '../../worker/types.js';
import { describeProfileStoreConformance } from '../unit/store/conformance.js';

const names = new WeakMap<ProfileStore, string>();
const created: string[] = [];

async function openNamed(name: string): Promise<ProfileStore> {
  const store = await openIdbStore({ name });
  names.set(store, name);
  return store;
}

function freshName(): string {
  const name = `insitu-conformance-${crypto.randomUUID()}`;
  created.push(name);
  return name;
}

describeProfileStoreConformance(
  'IndexedDB in Chromium',
  () => openNamed(freshName()),
  (previous) => openNamed(names.get(previous)!),
);

it('is the browser’s own IndexedDB, and says so', async () => {
  expect(navigator.userAgent).toMatch(/Chrome\//);
  const name = freshName();
  const store = await openNamed(name);
  expect(store.status).toEqual({ mode: 'indexeddb', health: 'ok' });
  expect((await indexedDB.databases()).map((db) => db.name)).toContain(name);
  await store.close();
});

afterAll(async () => {
  for (const name of created) {
    await new Promise<void>((done) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = () => done();
    });
  }
});
