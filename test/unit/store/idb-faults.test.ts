/**
 * IndexedDB failing in each way browsers fail: each maps to its error code, `status` says so,
 * every call settles, and the store recovers where recovery is possible.
 */
import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { InsituError, type ErrorCode } from '../../../worker/errors.js';
import { toStorageError } from '../../../worker/idb-errors.js';
import { CHUNK_EVENTS } from '../../../worker/idb-event-chunks.js';
import { SCHEMA_VERSION } from '../../../worker/idb-schema.js';
import { OPEN_TIMEOUT_MS, openIdbStore } from '../../../worker/idb-store.js';
import type { ProfileStore } from '../../../worker/types.js';
import { CONNECTION_LOST_MESSAGE, FaultyIDBFactory } from '../../support/faulty-idb.js';
import { decision, event, outboxEntry } from './conformance.js';

/** Short deadlines so a hang is proved quickly; long enough that a healthy open or write on a loaded CI machine never trips them. */
const QUICK = { openTimeoutMs: 1_000, operationTimeoutMs: 300 };

async function codeOf(promise: Promise<unknown>): Promise<ErrorCode | 'resolved'> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    expect(error).toBeInstanceOf(InsituError);
    return (error as InsituError).code;
  }
}

/** Every method of the port, each called once. */
function everyCall(store: ProfileStore): Array<[string, Promise<unknown>]> {
  return [
    ['putEvents', store.putEvents([event('x1', 1)])],
    ['getEvents', store.getEvents({ sinceTs: 0, limit: 5 })],
    ['countEvents', store.countEvents()],
    ['deleteEvents', store.deleteEvents(['x1'])],
    ['putDecisions', store.putDecisions([decision('dx', 1)])],
    ['getDecisions', store.getDecisions({ limit: 5 })],
    ['deleteDecisions', store.deleteDecisions(['dx'])],
    ['getState', store.getState('model')],
    ['putState', store.putState('model', { w: [1] })],
    ['putOutbox', store.putOutbox([outboxEntry('rx', 1)])],
    ['getOutbox', store.getOutbox()],
    ['deleteOutbox', store.deleteOutbox(['rx'])],
    ['exportAll', store.exportAll()],
  ];
}

const stores: ProfileStore[] = [];
async function openOn(factory: IDBFactory, options: Partial<typeof QUICK> = {}): Promise<ProfileStore> {
  const store = await openIdbStore({ factory, ...options });
  stores.push(store);
  return store;
}
afterEach(async () => {
  vi.unstubAllGlobals();
  for (const store of stores.splice(0)) await store.close().catch(() => undefined);
});

describe('opening', () => {
  it('waits at most OPEN_TIMEOUT_MS by default, a few seconds', () => {
    expect(OPEN_TIMEOUT_MS).toBeGreaterThanOrEqual(1_000);
    expect(OPEN_TIMEOUT_MS).toBeLessThanOrEqual(5_000);
  });

  it('IndexedDB missing → storage_unavailable', async () => {
    vi.stubGlobal('indexedDB', undefined);
    expect(await codeOf(openIdbStore())).toBe('storage_unavailable');
  });

  it('open() throwing → storage_unavailable', async () => {
    const factory = new FaultyIDBFactory();
    factory.faults.openThrows = true;
    expect(await codeOf(openIdbStore({ factory }))).toBe('storage_unavailable');
  });

  it('open() never settling → storage_timeout after the deadline', async () => {
    const factory = new FaultyIDBFactory();
    factory.faults.openHangs = true;
    const started = performance.now();
    expect(await codeOf(openIdbStore({ factory, openTimeoutMs: 80 }))).toBe('storage_timeout');
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(70);
    expect(waited).toBeLessThan(1_000);
  });

  it('blocked by an old tab → storage_blocked; the late connection is closed, so it blocks nobody', async () => {
    const factory = new FaultyIDBFactory();
    const release = await factory.holdOldConnection('insitu', 1, (db) => db.createObjectStore('events', { keyPath: 'id' }));
    expect(await codeOf(openIdbStore({ factory }))).toBe('storage_blocked');
    release();
    // Our abandoned open now completes and must close at once: a delete is then never blocked.
    await new Promise((resolve) => setTimeout(resolve, 20));
    let blocked = false;
    await new Promise<void>((resolve, reject) => {
      const request = factory.inner.deleteDatabase('insitu');
      request.onblocked = () => (blocked = true);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    expect(blocked).toBe(false);
    const store = await openOn(factory);
    expect(await store.countEvents()).toBe(0);
  });
});

describe('operations', () => {
  it('QuotaExceededError on put → storage_quota, status degraded, earlier data intact, recovers', async () => {
    const factory = new FaultyIDBFactory();
    const store = await openOn(factory);
    await store.putEvents([event('a', 1)]);
    factory.faults.quotaOnPut = true;
    expect(await codeOf(store.putEvents([event('b', 2), event('c', 3)]))).toBe('storage_quota');
    expect(await codeOf(store.putState('model', { w: 1 }))).toBe('storage_quota');
    expect(store.status).toEqual({ mode: 'indexeddb', health: 'degraded', reason: 'storage_quota' });
    expect((await store.getEvents()).map((e) => e.id)).toEqual(['a']);
    factory.faults.quotaOnPut = false;
    await store.putEvents([event('b', 2)]);
    expect(store.status).toEqual({ mode: 'indexeddb', health: 'ok' });
    expect(await store.countEvents()).toBe(2);
  });

  it('a transaction aborted mid-batch → storage_aborted, and none of the batch is stored', async () => {
    const factory = new FaultyIDBFactory();
    const store = await openOn(factory);
    await store.putEvents([event('a', 1)]);
    // The batch spans four chunk records (one put each); the transaction dies after the second.
    factory.faults.abortAfterPuts = 2;
    const batch = Array.from({ length: 4 * CHUNK_EVENTS }, (_, i) => event(`b${i}`, 10 + i));
    expect(await codeOf(store.putEvents(batch))).toBe('storage_aborted');
    expect(store.status.reason).toBe('storage_aborted');
    expect(await store.countEvents()).toBe(1);
    factory.faults.abortAfterPuts = undefined;
    await store.putEvents(batch);
    expect(await store.countEvents()).toBe(4 * CHUNK_EVENTS + 1);
  });

  it('"Connection to Indexed Database server lost" → storage_connection_lost, then reopens on the next call', async () => {
    const factory = new FaultyIDBFactory();
    const store = await openOn(factory);
    await store.putEvents([event('a', 1)]);
    factory.loseConnections();
    expect(await codeOf(store.putEvents([event('b', 2)]))).toBe('storage_connection_lost');
    expect(store.status).toEqual({ mode: 'indexeddb', health: 'degraded', reason: 'storage_connection_lost' });
    expect(factory.opens).toBe(1);
    await store.putEvents([event('b', 2)]);
    expect(factory.opens).toBe(2);
    expect(store.status.health).toBe('ok');
    expect((await store.getEvents()).map((e) => e.id)).toEqual(['a', 'b']);
  });

  it('InvalidStateError on a closed connection → storage_connection_lost, then reopens', async () => {
    const factory = new FaultyIDBFactory();
    const store = await openOn(factory);
    await store.putState('device', { deviceId: 'd-1' });
    factory.closeConnectionsSilently();
    expect(await codeOf(store.getState('device'))).toBe('storage_connection_lost');
    expect(await store.getState('device')).toEqual({ deviceId: 'd-1' });
    expect(factory.opens).toBe(2);
  });

  it('a connection the browser closes (close event) is replaced on the next call', async () => {
    const factory = new FaultyIDBFactory();
    const store = await openOn(factory);
    await store.putEvents([event('a', 1)]);
    factory.forceCloseConnections();
    expect(store.status).toEqual({ mode: 'indexeddb', health: 'degraded', reason: 'storage_connection_lost' });
    expect(await store.countEvents()).toBe(1);
    expect(store.status.health).toBe('ok');
    expect(factory.opens).toBe(2);
  });

  it('another tab deleting the database is not blocked by us; we continue on a fresh database', async () => {
    const factory = new FaultyIDBFactory();
    const store = await openOn(factory);
    await store.putEvents([event('a', 1)]);
    let blocked = false;
    await new Promise<void>((resolve, reject) => {
      const request = factory.inner.deleteDatabase('insitu');
      request.onblocked = () => (blocked = true);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
    expect(blocked).toBe(false);
    expect(store.status.reason).toBe('storage_connection_lost');
    expect(await store.countEvents()).toBe(0);
    await store.putEvents([event('b', 2)]);
    expect(await store.countEvents()).toBe(1);
  });

  it('a transaction that never finishes → storage_timeout; the next call uses a new connection', async () => {
    const factory = new FaultyIDBFactory();
    const store = await openOn(factory, QUICK);
    await store.putEvents([event('a', 1)]);
    factory.faults.hangTransactions = true;
    expect(await codeOf(store.countEvents())).toBe('storage_timeout');
    expect(store.status).toEqual({ mode: 'indexeddb', health: 'degraded', reason: 'storage_timeout' });
    factory.faults.hangTransactions = false;
    expect(await store.countEvents()).toBe(1);
    expect(factory.opens).toBe(2);
  });

  it('erase() blocked by an old connection → storage_blocked within the deadline', async () => {
    const factory = new FaultyIDBFactory();
    const store = await openOn(factory, QUICK);
    const release = await factory.holdOldConnection('insitu', SCHEMA_VERSION);
    expect(await codeOf(store.erase())).toBe('storage_blocked');
    release();
  });
});

describe('every call settles', () => {
  const faults: Array<[string, (factory: FaultyIDBFactory) => void, ErrorCode[]]> = [
    ['hung transactions', (f) => (f.faults.hangTransactions = true), ['storage_timeout']],
    ['lost connection, reopen hanging', (f) => (f.loseConnections(), (f.faults.openHangs = true)), ['storage_connection_lost', 'storage_timeout']],
    ['closed connection, reopen throwing', (f) => (f.closeConnectionsSilently(), (f.faults.openThrows = true)), ['storage_connection_lost', 'storage_unavailable']],
    ['quota', (f) => (f.faults.quotaOnPut = true), ['storage_quota']],
  ];
  for (const [name, inject, allowed] of faults) {
    it(`under ${name}: each method resolves or rejects with ${allowed.join(' / ')}`, async () => {
      const factory = new FaultyIDBFactory();
      const store = await openOn(factory, QUICK);
      await store.putEvents([event('a', 1)]);
      inject(factory);
      const outcomes = await Promise.all(everyCall(store).map(async ([method, call]) => [method, await codeOf(call)] as const));
      for (const [method, outcome] of outcomes) {
        expect([...allowed, 'resolved'], method).toContain(outcome);
      }
      expect(outcomes.some(([, outcome]) => outcome !== 'resolved')).toBe(true);
      expect(store.status.health).not.toBe('ok');
    });
  }
});

describe('toStorageError', () => {
  const cases: Array<[string, string, ErrorCode]> = [
    ['QuotaExceededError', 'The quota has been exceeded.', 'storage_quota'],
    ['NS_ERROR_DOM_QUOTA_REACHED', 'Persistent storage maximum size reached', 'storage_quota'],
    ['UnknownError', CONNECTION_LOST_MESSAGE, 'storage_connection_lost'],
    ['InvalidStateError', 'The database connection is closing.', 'storage_connection_lost'],
    ['AbortError', 'The transaction was aborted.', 'storage_aborted'],
    ['DataCloneError', 'could not be cloned', 'invalid_argument'],
    ['VersionError', 'The requested version is less than the existing version.', 'storage_unavailable'],
    ['constructor', 'hostile name', 'storage_aborted'],
  ];
  for (const [name, message, code] of cases) {
    it(`${name} → ${code}`, () => {
      expect(toStorageError(new DOMException(message, name), 'storage_aborted').code).toBe(code);
    });
  }
});
