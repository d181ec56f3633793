/**
 * Upgrading a database written by an older schema (built here with raw IndexedDB calls, as that
 * version's code wrote it, not with our migrations) keeps its data: v2 added the decision log and
 * meta, v3 moved the events (one record each) into chunk records.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { CHUNK_EVENTS } from '../../../worker/idb-event-chunks.js';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../worker/idb-schema.js';
import { openIdbStore } from '../../../worker/idb-store.js';
import { decision, event, outboxEntry } from './conformance.js';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

const v1Events = [event('e2', 200, { type: 'click', itemId: 'tea' }), event('e1', 100, { itemId: 'tea', page: '/shop' })];

async function createV1Database(factory: IDBFactory, name: string): Promise<void> {
  const open = factory.open(name, 1);
  open.onupgradeneeded = () => {
    const db = open.result;
    db.createObjectStore('events', { keyPath: 'id' }).createIndex('ts', 'ts');
    db.createObjectStore('state');
    db.createObjectStore('outbox', { keyPath: 'id' });
  };
  const db = await request(open);
  const tx = db.transaction(['events', 'state', 'outbox'], 'readwrite');
  for (const e of v1Events) tx.objectStore('events').put(e);
  tx.objectStore('state').put({ deviceId: 'd-old' }, 'device');
  tx.objectStore('state').put({ weights: [0.5, 0.25] }, 'model');
  tx.objectStore('outbox').put(outboxEntry('r1', 50));
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

/** A v2 database as the v2 code left it: one record per event, the decision log, the schema record. */
async function createV2Database(factory: IDBFactory, name: string, events: ReturnType<typeof event>[]): Promise<void> {
  const open = factory.open(name, 2);
  open.onupgradeneeded = () => {
    const db = open.result;
    db.createObjectStore('events', { keyPath: 'id' }).createIndex('ts', 'ts');
    db.createObjectStore('state');
    db.createObjectStore('outbox', { keyPath: 'id' });
    db.createObjectStore('decisions', { keyPath: 'decisionId' }).createIndex('ts', 'ts');
    db.createObjectStore('meta');
  };
  const db = await request(open);
  const tx = db.transaction(['events', 'state', 'decisions', 'meta'], 'readwrite');
  for (const e of events) tx.objectStore('events').put(e);
  tx.objectStore('state').put({ totalCompacted: 12, items: [{ itemId: 'tea', count: 3 }] }, 'profile');
  tx.objectStore('decisions').put(decision('d1', 5));
  tx.objectStore('meta').put({ version: 2, upgradedFrom: 1 }, 'schema');
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

async function storeNames(factory: IDBFactory, name: string): Promise<{ version: number; stores: string[]; indexes: string[]; schema: unknown }> {
  const db = await request(factory.open(name));
  const stores = [...db.objectStoreNames].sort();
  const tx = db.transaction(['decisions', 'meta'], 'readonly');
  const indexes = [...tx.objectStore('decisions').indexNames];
  const schema = await request(tx.objectStore('meta').get('schema'));
  db.close();
  return { version: db.version, stores, indexes, schema };
}

/** What storeNames() reads from a database upgraded to v3 from `from`. */
function upgradedToV3(from: number) {
  return { version: 3, stores: ['decisions', 'eventChunks', 'meta', 'outbox', 'state'], indexes: ['ts'], schema: { version: 3, upgradedFrom: from } };
}

describe('IndexedDB schema migrations', () => {
  it('has one migration per version up to SCHEMA_VERSION', () => {
    expect(SCHEMA_VERSION).toBe(3);
    for (let version = 1; version <= SCHEMA_VERSION; version++) expect(typeof MIGRATIONS[version]).toBe('function');
  });

  it('upgrades a v1 database: data kept, decisions, meta and event chunks added', async () => {
    const factory = new IDBFactory();
    await createV1Database(factory, 'insitu');
    const store = await openIdbStore({ factory });
    const exported = await store.exportAll();
    expect(exported.schemaVersion).toBe(3);
    expect(exported.events).toEqual([v1Events[1], v1Events[0]]);
    expect(exported.state).toEqual({ device: { deviceId: 'd-old' }, model: { weights: [0.5, 0.25] } });
    expect(exported.outbox).toEqual([outboxEntry('r1', 50)]);
    expect(exported.decisions).toEqual([]);
    // The new store works in the upgraded database.
    await store.putDecisions([decision('d1', 300)]);
    expect((await store.getDecisions()).map((d) => d.decisionId)).toEqual(['d1']);
    await store.close();

    expect(await storeNames(factory, 'insitu')).toEqual(upgradedToV3(1));
  });

  it('upgrades a v2 database: every event kept, in the same order, in chunk records', async () => {
    const factory = new IDBFactory();
    // More than two chunks' worth, written out of order, with equal timestamps broken by id.
    const events = Array.from({ length: 2 * CHUNK_EVENTS + 7 }, (_, i) =>
      event(`e${String((i * 7919) % 10_000).padStart(5, '0')}`, 1_000 + Math.floor(((i * 31) % 1_200) / 2), i % 3 ? {} : { type: 'click', itemId: `i${i}`, props: { q: 'ünï' } }),
    );
    await createV2Database(factory, 'insitu', events);
    const expected = [...events].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));

    const store = await openIdbStore({ factory });
    const exported = await store.exportAll();
    expect(exported.events).toEqual(expected);
    expect(await store.countEvents()).toBe(events.length);
    expect(exported.state).toEqual({ profile: { totalCompacted: 12, items: [{ itemId: 'tea', count: 3 }] } });
    expect(exported.decisions).toEqual([decision('d1', 5)]);
    expect(await store.getEvents({ sinceTs: expected[600]!.ts, limit: 5 })).toEqual(expected.filter((e) => e.ts >= expected[600]!.ts).slice(0, 5));
    // The migrated log takes new events and deletions like any other.
    await store.putEvents([event('late', 0), { ...expected[1]!, type: 'convert' }]);
    await store.deleteEvents([expected[0]!.id]);
    expect((await store.getEvents({ limit: 2 })).map((e) => [e.id, e.type])).toEqual([['late', 'view'], [expected[1]!.id, 'convert']]);
    expect(await store.countEvents()).toBe(events.length);
    await store.close();

    expect(await storeNames(factory, 'insitu')).toEqual(upgradedToV3(2));
  });

  it('creates a fresh database at the current version', async () => {
    const factory = new IDBFactory();
    const store = await openIdbStore({ factory, name: 'fresh' });
    await store.close();
    expect(await storeNames(factory, 'fresh')).toMatchObject({ version: 3, schema: { version: 3, upgradedFrom: 0 } });
  });

  it('a database from a newer version is refused as unavailable, untouched', async () => {
    const factory = new IDBFactory();
    const db = await request(factory.open('insitu', SCHEMA_VERSION + 1));
    db.close();
    await expect(openIdbStore({ factory })).rejects.toMatchObject({ code: 'storage_unavailable' });
    const again = await request(factory.open('insitu'));
    expect(again.version).toBe(SCHEMA_VERSION + 1);
    again.close();
  });
});
