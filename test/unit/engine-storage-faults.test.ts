/**
 * Issue 8, storage faults through the engine (the store alone is tested in store/idb-faults): for
 * each way IndexedDB fails, the engine keeps accepting events and deciding from memory, nothing
 * is thrown, `status()` and `errors()` say what went wrong, and once storage is back the events
 * are written exactly once each. A profile that opens late (a slow or retried open) is restored
 * and merged, never overwritten by the session that started without it.
 */
import 'fake-indexeddb/auto';
import { describe, expect, it, vi } from 'vitest';
import { RETRY_DELAYS_MS } from '../../worker/consent-gate.js';
import { composeEngine } from '../../worker/engine.js';
import { openIdbStore } from '../../worker/idb-store.js';
import { applyRetention } from '../../worker/retention.js';
import type { ConsentState, InsituEvent, StoreStatus } from '../../worker/types.js';
import { FaultyIDBFactory } from '../support/faulty-idb.js';
import { manualTime, type ManualTime } from '../support/manual-scheduler.js';
import { recordingParts } from '../support/recording-personalizer.js';

const GRANTED: ConsentState = { personalization: 'granted', metrics: 'denied', sensitive: 'denied' };
const PENDING: ConsentState = { personalization: 'pending', metrics: 'denied', sensitive: 'denied' };
/** Store deadlines short enough that a hang costs the test little, long enough for a healthy fake-indexeddb call on a busy machine. */
const QUICK = { openTimeoutMs: 500, operationTimeoutMs: 500 };

function engineOver(factory: FaultyIDBFactory, time: ManualTime, consent: ConsentState = GRANTED) {
  const parts = recordingParts({ retain: applyRetention });
  const engine = composeEngine({ consent, clock: time, scheduler: time, seed: 7, openStore: () => openIdbStore({ factory, ...QUICK }) }, parts);
  return { engine, personalizer: parts.last };
}

let serial = 0;
function events(prefix: string, count: number, time: ManualTime): InsituEvent[] {
  // Distinct items: the engine's 1 s de-duplication must not be what removes anything here.
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}-${i}-${serial++}`, type: 'view', itemId: `${prefix}-item-${i}`, ts: time.now() + i }));
}

/** What the store holds, read through a separate connection (as another tab would). */
async function storedIds(factory: FaultyIDBFactory): Promise<string[]> {
  const reader = await openIdbStore({ factory: factory.inner });
  try {
    return (await reader.getEvents()).map((e) => e.id).sort();
  } finally {
    await reader.close();
  }
}

interface Fault {
  name: string;
  /** Break storage; called before the engine starts when `atOpen`, else once it runs. */
  inject(factory: FaultyIDBFactory): Promise<void> | void;
  heal(factory: FaultyIDBFactory): void;
  atOpen: boolean;
  status: StoreStatus;
}

let releaseOldTab: (() => void) | undefined;
const FAULTS: Fault[] = [
  { name: 'open() throws', atOpen: true, inject: (f) => void (f.faults.openThrows = true), heal: (f) => void (f.faults.openThrows = false), status: { mode: 'memory', health: 'unavailable', reason: 'storage_unavailable' } },
  { name: 'open() never settles', atOpen: true, inject: (f) => void (f.faults.openHangs = true), heal: (f) => void (f.faults.openHangs = false), status: { mode: 'memory', health: 'unavailable', reason: 'storage_timeout' } },
  {
    name: 'open() blocked by an old tab',
    atOpen: true,
    inject: async (f) => {
      // The version-1 schema (worker/idb-schema.ts), held open by a tab that ignores versionchange.
      releaseOldTab = await f.holdOldConnection('insitu', 1, (db) => {
        db.createObjectStore('events', { keyPath: 'id' }).createIndex('ts', 'ts');
        db.createObjectStore('state');
        db.createObjectStore('outbox', { keyPath: 'id' });
      });
    },
    heal: () => releaseOldTab?.(),
    status: { mode: 'memory', health: 'unavailable', reason: 'storage_blocked' },
  },
  { name: 'QuotaExceededError creating the database', atOpen: true, inject: (f) => void (f.faults.quotaOnUpgrade = true), heal: (f) => void (f.faults.quotaOnUpgrade = false), status: { mode: 'memory', health: 'unavailable', reason: 'storage_quota' } },
  { name: 'QuotaExceededError on write', atOpen: false, inject: (f) => void (f.faults.quotaOnPut = true), heal: (f) => void (f.faults.quotaOnPut = false), status: { mode: 'indexeddb', health: 'degraded', reason: 'storage_quota' } },
  { name: 'a transaction aborted mid-batch', atOpen: false, inject: (f) => void (f.faults.abortAfterPuts = 1), heal: (f) => void (f.faults.abortAfterPuts = undefined), status: { mode: 'indexeddb', health: 'degraded', reason: 'storage_aborted' } },
  { name: 'the connection to the storage process lost', atOpen: false, inject: (f) => f.loseConnections(), heal: () => undefined, status: { mode: 'indexeddb', health: 'degraded', reason: 'storage_connection_lost' } },
  { name: 'transactions that never finish', atOpen: false, inject: (f) => void (f.faults.hangTransactions = true), heal: (f) => void (f.faults.hangTransactions = false), status: { mode: 'indexeddb', health: 'degraded', reason: 'storage_timeout' } },
];

describe('the engine over failing IndexedDB', () => {
  for (const fault of FAULTS) {
    it(`${fault.name}: keeps working from memory, says ${fault.status.reason}, then writes every event exactly once`, async () => {
      const time = manualTime();
      const factory = new FaultyIDBFactory();
      if (fault.atOpen) await fault.inject(factory);
      const { engine } = engineOver(factory, time);
      await engine.ready;
      const before = events('before', 5, time);
      engine.track(before);
      await engine.flush();
      if (!fault.atOpen) await fault.inject(factory);

      const during = events('during', 20, time);
      engine.track(during);
      expect(engine.decide({ placement: 'hero', candidates: ['a', 'b'] }).itemId).toBe('a');
      await engine.flush();
      // A failed write is retried later; what failed must be visible now.
      expect(engine.status().storage).toEqual(fault.status);
      expect(engine.errors().map((e) => e.code)).toContain(fault.status.reason);
      const held = await engine.exportData();
      const inMemory = held.memory.events.map((e) => e.id);
      for (const event of during) expect(inMemory).toContain(event.id);

      fault.heal(factory);
      // The first retry comes after RETRY_DELAYS_MS[0]; nothing else is needed to recover.
      await time.advance(RETRY_DELAYS_MS[0] + 100);
      // The retried open or write runs on fake-indexeddb's real timers: give it a few seconds on a busy machine.
      await vi.waitFor(() => expect(engine.status().storage).toEqual({ mode: 'indexeddb', health: 'ok' }), { timeout: 3_000 });
      await engine.flush();
      expect(engine.status().pendingEvents).toBe(0);
      const expected = [...(fault.atOpen ? before : []), ...during].map((e) => e.id).sort();
      if (!fault.atOpen) expected.push(...before.map((e) => e.id));
      expect(await storedIds(factory)).toEqual(expected.sort());
      await engine.close();
    });
  }
});

describe('a stored profile that opens late', () => {
  async function storedSession(factory: FaultyIDBFactory, time: ManualTime): Promise<string[]> {
    const { engine, personalizer } = engineOver(factory, time);
    await engine.ready;
    engine.track(events('first', 3, time));
    await engine.close();
    return [...personalizer().seen];
  }

  it('an open that timed out and succeeded on retry restores the stored model and merges this session into it', async () => {
    const time = manualTime();
    const factory = new FaultyIDBFactory();
    const firstSession = await storedSession(factory, time);
    expect(firstSession).toHaveLength(3);

    factory.faults.openHangs = true;
    const { engine, personalizer } = engineOver(factory, time);
    await engine.ready;
    expect(engine.status().storage.reason).toBe('storage_timeout');
    const second = events('second', 2, time);
    engine.track(second);
    // Long enough for the engine's deferred state write to queue this session's model.
    await time.advance(500);
    factory.faults.openHangs = false;
    await time.advance(RETRY_DELAYS_MS[0] + 100);
    await vi.waitFor(() => expect(engine.status().storage).toEqual({ mode: 'indexeddb', health: 'ok' }), { timeout: 3_000 });
    await engine.flush();
    const merged = [...firstSession, ...second.map((e) => e.id)].sort();
    expect([...personalizer().seen].sort()).toEqual(merged);
    const exported = await engine.exportData();
    expect(([...(exported.state.model as { seen: string[] }).seen]).sort()).toEqual(merged);
    await engine.close();
  });

  it('a grant after events tracked while pending keeps the stored model and adds the pending events to it', async () => {
    const time = manualTime();
    const factory = new FaultyIDBFactory();
    const firstSession = await storedSession(factory, time);

    const { engine, personalizer } = engineOver(factory, time, PENDING);
    await engine.ready;
    const pending = events('pending', 2, time);
    engine.track(pending);
    // The deferred model write runs while pending: it can only wait in memory.
    await time.advance(2_000);
    await engine.setConsent(GRANTED);
    await engine.flush();
    const merged = [...firstSession, ...pending.map((e) => e.id)].sort();
    expect([...personalizer().seen].sort()).toEqual(merged);
    const exported = await engine.exportData();
    expect(([...(exported.state.model as { seen: string[] }).seen]).sort()).toEqual(merged);
    expect(await storedIds(factory)).toEqual(merged);
    await engine.close();
  });
});
