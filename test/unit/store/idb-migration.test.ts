/**
 * Upgrading a database written by schema v1 (built here with raw IndexedDB calls, as the v1 code
 * wrote it, not with our migrations) keeps its data and adds the v2 stores.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
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

async function storeNames(factory: IDBFactory, name: string): Promise<{ version: number; stores: string[]; indexes: string[]; schema: unknown }> {
  const db = await request(factory.open(name));
  const stores = [...db.objectStoreNames].sort();
  const tx = db.transaction(['decisions', 'meta'], 'readonly');
  const indexes = [...tx.objectStore('decisions').indexNames];
  const schema = await request(tx.objectStore('meta').get('schema'));
  db.close();
  return { version: db.version, stores, indexes, schema };
}

describe('IndexedDB schema migrations', () => {
  it('has one migration per version up to SCHEMA_VERSION', () => {
    expect(SCHEMA_VERSION).toBe(2);
    for (let version = 1; version <= SCHEMA_VERSION; version++) expect(typeof MIGRATIONS[version]).toBe('function');
  });

  it('upgrades a v1 database: data kept, decisions and meta added', async () => {
    const factory = new IDBFactory();
    await createV1Database(factory, 'insitu');
    const store = await openIdbStore({ factory });
    const exported = await store.exportAll();
    expect(exported.schemaVersion).toBe(2);
    expect(exported.events).toEqual([v1Events[1], v1Events[0]]);
    expect(exported.state).toEqual({ device: { deviceId: 'd-old' }, model: { weights: [0.5, 0.25] } });
    expect(exported.outbox).toEqual([outboxEntry('r1', 50)]);
    expect(exported.decisions).toEqual([]);
    // The new store works in the upgraded database.
    await store.putDecisions([decision('d1', 300)]);
    expect((await store.getDecisions()).map((d) => d.decisionId)).toEqual(['d1']);
    await store.close();

    expect(await storeNames(factory, 'insitu')).toEqual({
      version: 2,
      stores: ['decisions', 'events', 'meta', 'outbox', 'state'],
      indexes: ['ts'],
      schema: { version: 2, upgradedFrom: 1 },
    });
  });

  it('creates a fresh database at the current version', async () => {
    const factory = new IDBFactory();
    const store = await openIdbStore({ factory, name: 'fresh' });
    await store.close();
    expect(await storeNames(factory, 'fresh')).toMatchObject({ version: 2, schema: { version: 2, upgradedFrom: 0 } });
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
