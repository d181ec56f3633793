/**
 * How the IndexedDB store lays out what it keeps (the reason for schema v3, see README
 * "Storage"): events many to a record as compressed Blobs, large state values as compressed
 * Blobs, small ones as they are; and two stores on one database (two tabs) changing the same
 * chunks concurrently lose nothing and store nothing twice.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { isEncodedBody } from '../../../worker/idb-blob-codec.js';
import { CHUNK_EVENTS, type EventChunk } from '../../../worker/idb-event-chunks.js';
import { STATE_BLOB_MIN_CHARS, openIdbStore } from '../../../worker/idb-store.js';
import { event } from './conformance.js';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function rawRecords(factory: IDBFactory, storeName: string): Promise<unknown[]> {
  const db = await request(factory.open('insitu'));
  const records = await request(db.transaction(storeName, 'readonly').objectStore(storeName).getAll());
  db.close();
  return records;
}

describe('IndexedDB layout', () => {
  it('keeps events CHUNK_EVENTS to a record, compressed, with headers that describe them', async () => {
    const factory = new IDBFactory();
    const store = await openIdbStore({ factory });
    const events = Array.from({ length: 2 * CHUNK_EVENTS + 10 }, (_, i) => event(`e${String(i).padStart(5, '0')}`, 1_000 + i, { itemId: `item-${i % 40}`, page: '/shop' }));
    await store.putEvents(events);
    await store.close();
    const chunks = (await rawRecords(factory, 'eventChunks')) as EventChunk[];
    expect(chunks.map((c) => [c.count, c.first, c.last])).toEqual([
      [CHUNK_EVENTS, 1_000, 1_000 + CHUNK_EVENTS - 1],
      [CHUNK_EVENTS, 1_000 + CHUNK_EVENTS, 1_000 + 2 * CHUNK_EVENTS - 1],
      [10, 1_000 + 2 * CHUNK_EVENTS, 1_000 + 2 * CHUNK_EVENTS + 9],
    ]);
    expect(chunks.every((c) => c.encoding === 'deflate' && c.body instanceof Blob)).toBe(true);
    const json = Buffer.byteLength(JSON.stringify(events.slice(0, CHUNK_EVENTS)));
    expect(chunks[0]!.body.size).toBeLessThan(json / 4);
  });

  it(`stores state of ${STATE_BLOB_MIN_CHARS}+ JSON characters as a Blob and reads it back equal`, async () => {
    const factory = new IDBFactory();
    const store = await openIdbStore({ factory });
    const model = { weights: Array.from({ length: 400 }, (_, i) => [`tag:${i % 30}`, i / 7]), note: 'ünïcode ✓' };
    await store.putState('model', model);
    await store.putState('device', { deviceId: 'd-1' });
    expect(await store.getState('model')).toEqual(model);
    expect((await store.exportAll()).state).toEqual({ model, device: { deviceId: 'd-1' } });
    await store.close();
    const [device, stored] = await rawRecords(factory, 'state');
    expect(device).toEqual({ deviceId: 'd-1' });
    expect(isEncodedBody(stored)).toBe(true);
  });

  it('a state value JSON cannot hold goes through structured clone, which refuses what it cannot hold either', async () => {
    const store = await openIdbStore({ factory: new IDBFactory() });
    const big = { pad: 'x'.repeat(STATE_BLOB_MIN_CHARS), n: 10n };
    await store.putState('signals', big);
    expect(await store.getState('signals')).toEqual(big);
    await store.putState('model', { w: 1 });
    await expect(store.putState('model', { w: () => 2 })).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await store.getState('model')).toEqual({ w: 1 });
    expect(store.status.health).toBe('ok');
    await store.close();
  });

  it('two stores on one database writing and deleting at once: every event once, none lost', async () => {
    const factory = new IDBFactory();
    const [left, right] = await Promise.all([openIdbStore({ factory }), openIdbStore({ factory })]);
    const written = (tab: string) => Array.from({ length: 40 }, (_, i) => Array.from({ length: 7 }, (_, j) => event(`${tab}-${i}-${j}`, i * 10 + j)));
    const doomed = written('left')[0]!.map((e) => e.id);
    await Promise.all([
      (async () => {
        for (const batch of written('left')) await left.putEvents(batch);
      })(),
      (async () => {
        for (const batch of written('right')) await right.putEvents(batch);
        await right.deleteEvents(doomed);
      })(),
    ]);
    // The right tab deletes the left tab's first batch, written long before, once its own 40 are in.
    const expected = [...written('left').flat(), ...written('right').flat()].filter((e) => !doomed.includes(e.id));
    const stored = await left.getEvents();
    expect(new Set(stored.map((e) => e.id)).size).toBe(stored.length);
    expect(stored.map((e) => e.id).sort()).toEqual(expected.map((e) => e.id).sort());
    expect(await right.countEvents()).toBe(expected.length);
    await Promise.all([left.close(), right.close()]);
  });
});
