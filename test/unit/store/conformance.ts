/**
 * The one suite every ProfileStore passes (memory, IndexedDB, the React Native key-value store),
 * in Node and, for IndexedDB, also inside Chromium (test/in-browser/idb-conformance.test.ts).
 * It pins the port's semantics where worker/types.ts leaves them open:
 * - put* overwrite by key (last write wins); a batch is stored whole or not at all;
 * - getEvents/getDecisions are oldest first, equal timestamps in key order; `sinceTs` is
 *   inclusive; `limit` takes the oldest; a limit of 0 returns nothing;
 * - values go in and come out as copies; every value here is plain JSON, so a JSON-backed
 *   store passes too;
 * - after erase() the store is empty and still usable; after close() calls settle.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { readStates } from '../../../worker/consent-gate.js';
import { InsituError } from '../../../worker/errors.js';
import type { Outbox } from '../../../worker/report/delivery.js';
import type { DecisionRecord, InsituEvent, OutboxEntry, ProfileStore } from '../../../worker/types.js';

/** Open the same backing storage as `previous` again (called after `previous.close()`). */
export type ReopenStore = (previous: ProfileStore) => Promise<ProfileStore>;

/** A call that has not settled by then is taken to hang. */
const SETTLE_WITHIN_MS = 2_000;

export function event(id: string, ts: number, extra: Partial<InsituEvent> = {}): InsituEvent {
  return { id, type: 'view', ts, ...extra };
}

export function decision(decisionId: string, ts: number): DecisionRecord {
  return {
    decisionId,
    ts,
    placement: 'home',
    itemId: 'a',
    propensity: 0.5,
    exploring: false,
    policy: 'personalized',
    reasons: ['you read about "tea" ☕'],
    candidates: ['a', 'b'],
    scores: [0.7, 0.3],
    probabilities: [0.5, 0.5],
  };
}

export function outboxEntry(id: string, createdAt: number, attempts = 0): OutboxEntry {
  return { id, createdAt, attempts, nextAttemptAt: createdAt, body: { resourceMetrics: [{ n: attempts }] } };
}

/** An event whose props cannot be serialized by any backend: reading them throws. */
function unstorableEvent(id: string): InsituEvent {
  const props = {};
  Object.defineProperty(props, 'boom', { enumerable: true, get: () => { throw new Error('unserializable'); } });
  return { id, type: 'view', ts: 1, props } as InsituEvent;
}

function settles(promise: Promise<unknown>): Promise<'resolved' | 'rejected' | 'hung'> {
  return Promise.race([
    promise.then(() => 'resolved' as const, () => 'rejected' as const),
    new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), SETTLE_WITHIN_MS)),
  ]);
}

const ids = (list: Array<{ id: string }>): string[] => list.map((e) => e.id);

export function describeProfileStoreConformance(name: string, makeStore: () => Promise<ProfileStore>, reopen?: ReopenStore): void {
  describe(`ProfileStore conformance: ${name}`, () => {
    const open: ProfileStore[] = [];
    async function fresh(): Promise<ProfileStore> {
      const store = await makeStore();
      open.push(store);
      return store;
    }
    afterEach(async () => {
      for (const store of open.splice(0)) await store.close().catch(() => undefined);
    });

    it('starts empty, healthy, and serves as the report outbox', async () => {
      const store = await fresh();
      const outbox: Outbox = store;
      expect(store.status.health).toBe('ok');
      expect(await store.countEvents()).toBe(0);
      expect(await outbox.getOutbox()).toEqual([]);
      const exported = await store.exportAll();
      expect(exported).toMatchObject({ events: [], decisions: [], outbox: [], state: {} });
    });

    it('putEvents is idempotent by id, last write wins', async () => {
      const store = await fresh();
      await store.putEvents([event('a', 1), event('b', 2)]);
      await store.putEvents([event('b', 2), event('c', 3)]);
      await store.putEvents([event('a', 1, { type: 'click', itemId: 'x' })]);
      expect(await store.countEvents()).toBe(3);
      const events = await store.getEvents();
      expect(ids(events)).toEqual(['a', 'b', 'c']);
      expect(events[0]).toEqual(event('a', 1, { type: 'click', itemId: 'x' }));
    });

    it('returns events oldest first, equal timestamps in id order', async () => {
      const store = await fresh();
      await store.putEvents([event('m', 20), event('z', 10), event('b', 20), event('a', 30), event('y', 10)]);
      expect(ids(await store.getEvents())).toEqual(['y', 'z', 'b', 'm', 'a']);
    });

    it('filters by sinceTs (inclusive) and takes the oldest `limit`', async () => {
      const store = await fresh();
      await store.putEvents([1, 2, 3, 4, 5].map((ts) => event(`e${ts}`, ts * 100)));
      expect(ids(await store.getEvents({ sinceTs: 300 }))).toEqual(['e3', 'e4', 'e5']);
      expect(ids(await store.getEvents({ limit: 2 }))).toEqual(['e1', 'e2']);
      expect(ids(await store.getEvents({ sinceTs: 250, limit: 2 }))).toEqual(['e3', 'e4']);
      expect(await store.getEvents({ limit: 0 })).toEqual([]);
      expect(await store.getEvents({ sinceTs: 600 })).toEqual([]);
      expect(await store.getEvents({ limit: Infinity })).toHaveLength(5);
      expect(ids(await store.getEvents({ limit: 1.5 }))).toEqual(['e1']);
      // A nonsensical query settles: nothing, or an InsituError, never a throw or a hang.
      const odd = store.getEvents({ sinceTs: Number.NaN });
      expect(await settles(odd)).not.toBe('hung');
      await odd.then((list) => expect(list).toEqual([]), (e: unknown) => expect(e).toBeInstanceOf(InsituError));
    });

    it('deleteEvents removes exactly the given ids; unknown ids and [] are fine', async () => {
      const store = await fresh();
      await store.putEvents([event('a', 1), event('b', 2), event('c', 3)]);
      await store.deleteEvents(['b', 'nope']);
      await store.deleteEvents([]);
      expect(ids(await store.getEvents())).toEqual(['a', 'c']);
      expect(await store.countEvents()).toBe(2);
    });

    it('stores one batch of 2000 events whole', async () => {
      const store = await fresh();
      const batch = Array.from({ length: 2000 }, (_, i) => event(`e${String(i).padStart(5, '0')}`, 1_000 + i));
      await store.putEvents(batch);
      expect(await store.countEvents()).toBe(2000);
      expect(ids(await store.getEvents({ limit: 3 }))).toEqual(['e00000', 'e00001', 'e00002']);
    });

    it('keeps what was stored apart from the caller’s objects', async () => {
      const store = await fresh();
      const original = event('a', 1, { props: { tags: ['x'], nested: { n: 1 } } });
      await store.putEvents([original]);
      original.props!.tags = ['mutated'];
      const [read] = await store.getEvents();
      (read!.props!.nested as { n: number }).n = 99;
      expect(await store.getEvents()).toEqual([event('a', 1, { props: { tags: ['x'], nested: { n: 1 } } })]);
    });

    it('logs decisions by id, oldest first, bounded by limit, deletable', async () => {
      const store = await fresh();
      await store.putDecisions([decision('d2', 20), decision('d1', 10), decision('d3', 30)]);
      await store.putDecisions([{ ...decision('d2', 20), reward: 1, rewardedAt: 25 }]);
      const all = await store.getDecisions();
      expect(all.map((d) => d.decisionId)).toEqual(['d1', 'd2', 'd3']);
      expect(all[1]).toEqual({ ...decision('d2', 20), reward: 1, rewardedAt: 25 });
      expect((await store.getDecisions({ limit: 2 })).map((d) => d.decisionId)).toEqual(['d1', 'd2']);
      expect(await store.countDecisions()).toBe(3);
      await store.deleteDecisions(['d1', 'nope']);
      expect((await store.getDecisions()).map((d) => d.decisionId)).toEqual(['d2', 'd3']);
      expect(await store.countDecisions()).toBe(2);
    });

    it('round-trips state records and overwrites them', async () => {
      const store = await fresh();
      const model = { weights: [0.25, -1.5, 3e-9], meta: { trainedAt: 123, name: 'ünïcode ✓' }, flags: [true, null] };
      await store.putState('model', model);
      await store.putState('device', { deviceId: 'd-1' });
      await store.putState('device', { deviceId: 'd-2' });
      expect(await store.getState('model')).toEqual(model);
      expect(await store.getState('device')).toEqual({ deviceId: 'd-2' });
      expect(await store.getState('bandit')).toBeUndefined();
    });

    it('reads several state records at once (getStates where it has one) as it reads each, large and absent ones included', async () => {
      const store = await fresh();
      const model = { weights: Array.from({ length: 2_000 }, (_, i) => i / 7), name: 'large enough to be stored as a Blob' };
      await store.putState('model', model);
      await store.putState('device', { deviceId: 'd-1' });
      const read = await readStates(store, ['model', 'device', 'bandit']);
      expect(read).toEqual({ model, device: { deviceId: 'd-1' } });
      expect('bandit' in read).toBe(false);
      expect(read.model).toEqual(await store.getState('model'));
    });

    it('keeps the report outbox: put, update attempts, delete', async () => {
      const store = await fresh();
      await store.putOutbox([outboxEntry('r1', 10), outboxEntry('r2', 20)]);
      await store.putOutbox([outboxEntry('r1', 10, 3)]);
      const byId = (list: OutboxEntry[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
      expect(byId(await store.getOutbox())).toEqual([outboxEntry('r1', 10, 3), outboxEntry('r2', 20)]);
      await store.deleteOutbox(['r2']);
      expect(await store.getOutbox()).toEqual([outboxEntry('r1', 10, 3)]);
    });

    it('exports everything as readable JSON with the schema version', async () => {
      const store = await fresh();
      await store.putEvents([event('b', 2), event('a', 1, { itemId: 'i', props: { q: 'x' } })]);
      await store.putDecisions([decision('d1', 5)]);
      await store.putOutbox([outboxEntry('r1', 7)]);
      await store.putState('profile', { totalCompacted: 0 });
      const exported = await store.exportAll();
      expect(Number.isInteger(exported.schemaVersion) && exported.schemaVersion > 0).toBe(true);
      expect(exported.events).toEqual([event('a', 1, { itemId: 'i', props: { q: 'x' } }), event('b', 2)]);
      expect(exported.decisions).toEqual([decision('d1', 5)]);
      expect(exported.outbox).toEqual([outboxEntry('r1', 7)]);
      expect(exported.state).toEqual({ profile: { totalCompacted: 0 } });
      expect(JSON.parse(JSON.stringify(exported))).toEqual(exported);
    });

    it('erase leaves nothing, and the store is still usable', async () => {
      const store = await fresh();
      await store.putEvents([event('a', 1)]);
      await store.putDecisions([decision('d1', 1)]);
      await store.putOutbox([outboxEntry('r1', 1)]);
      await store.putState('model', { w: [1] });
      await store.erase();
      expect(await store.exportAll()).toMatchObject({ events: [], decisions: [], outbox: [], state: {} });
      await store.putEvents([event('b', 2)]);
      expect(ids(await store.getEvents())).toEqual(['b']);
      if (reopen) {
        await store.erase();
        await store.close();
        const again = await reopen(store);
        open.push(again);
        expect(await again.exportAll()).toMatchObject({ events: [], decisions: [], outbox: [], state: {} });
      }
    });

    it('a failed write rejects with an InsituError and leaves earlier data intact', async () => {
      const store = await fresh();
      await store.putEvents([event('a', 1), event('b', 2)]);
      await store.putState('device', { deviceId: 'd-1' });
      const failure = await store.putEvents([event('c', 3), unstorableEvent('d'), event('e', 5)]).then(() => undefined, (e: unknown) => e);
      expect(failure).toBeInstanceOf(InsituError);
      expect(ids(await store.getEvents())).toEqual(['a', 'b']);
      expect(await store.getState('device')).toEqual({ deviceId: 'd-1' });
      await store.putEvents([event('c', 3)]);
      expect(await store.countEvents()).toBe(3);
    });

    it('every call settles after close()', async () => {
      const store = await fresh();
      await store.putEvents([event('a', 1)]);
      await store.close();
      const calls: Array<Promise<unknown>> = [
        store.putEvents([event('b', 2)]),
        store.getEvents(),
        store.countEvents(),
        store.getState('model'),
        store.getOutbox(),
        store.exportAll(),
      ];
      for (const call of calls) {
        const outcome = await settles(call);
        expect(outcome).not.toBe('hung');
        if (outcome === 'rejected') await call.catch((e: unknown) => expect(e).toBeInstanceOf(InsituError));
      }
    });

    if (reopen) {
      it('keeps everything across close and reopen', async () => {
        const store = await fresh();
        await store.putEvents([event('a', 1), event('b', 2, { itemId: 'x' })]);
        await store.putDecisions([decision('d1', 3)]);
        await store.putOutbox([outboxEntry('r1', 4)]);
        await store.putState('ledger', { spent: 0.5 });
        const before = await store.exportAll();
        await store.close();
        const again = await reopen(store);
        open.push(again);
        expect(await again.exportAll()).toEqual(before);
        expect(await again.countEvents()).toBe(2);
      });
    }
  });
}
