import { describe, expect, it } from 'vitest';
import { InsituError } from '../../../worker/errors.js';
import { KV_MIGRATIONS, migrateKvSchema, readSchemaVersion, SCHEMA_KEY } from '../../../worker/kv-schema.js';
import { createKvIo, fromMmkv, type MmkvLike } from '../../../worker/kv-storage.js';
import {
  createKvStore,
  DECISIONS_PER_CHUNK,
  EVENTS_PER_CHUNK,
  KV_DEFAULT_PREFIX,
  KV_SCHEMA_VERSION,
  MAX_STATE_BYTES,
  MAX_STORED_DECISIONS,
  MAX_STORED_EVENTS,
  MAX_STORED_OUTBOX,
} from '../../../worker/kv-store.js';
import type { DecisionRecord, InsituEvent, OutboxEntry, ProfileStore } from '../../../worker/types.js';
import { crashAfterWrites, createFakeAsyncStorage, type FakeAsyncStorage } from './fake-async-storage.js';

const T0 = 1_700_000_000_000;

function events(count: number, from = 0, tsOf: (i: number) => number = (i) => T0 + i * 1_000): InsituEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return { id: `e${i}`, type: 'view', ts: tsOf(i), itemId: `item-${i % 7}` };
  });
}

function decision(i: number, extra: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decisionId: `d${i}`,
    placement: 'hero',
    itemId: 'a',
    propensity: 0.5,
    exploring: false,
    policy: 'personalized',
    reasons: [],
    ts: T0 + i,
    candidates: ['a', 'b'],
    scores: [1, 0],
    probabilities: [0.5, 0.5],
    ...extra,
  };
}

function outboxEntry(i: number): OutboxEntry {
  return { id: `r${i}`, createdAt: T0 + i, attempts: 0, nextAttemptAt: T0, body: { n: i } };
}

const ids = (list: Array<{ id: string }>) => list.map((e) => e.id);
const insituKeys = (storage: FakeAsyncStorage) => [...storage.data.keys()].filter((k) => k.startsWith(KV_DEFAULT_PREFIX));

async function rejection(promise: Promise<unknown>): Promise<InsituError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InsituError);
  return error as InsituError;
}

describe('kv store: events', () => {
  it('keeps events in timestamp order, filters by sinceTs and limit, and survives a reopen', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    const shuffled = events(30).sort((a, b) => (a.id.length * 31 + Number(a.id.slice(1)) * 7) % 13 - (b.id.length * 31 + Number(b.id.slice(1)) * 7) % 13);
    await store.putEvents(shuffled.slice(0, 12));
    await store.putEvents(shuffled.slice(12));
    const all = await store.getEvents();
    expect(ids(all)).toEqual(ids(events(30)));
    expect(ids(await store.getEvents({ sinceTs: T0 + 25_000 }))).toEqual(['e25', 'e26', 'e27', 'e28', 'e29']);
    expect(ids(await store.getEvents({ sinceTs: T0 + 10_000, limit: 3 }))).toEqual(['e10', 'e11', 'e12']);
    expect(await store.countEvents()).toBe(30);
    await store.close();

    const reopened = createKvStore(storage);
    expect(await reopened.getEvents()).toEqual(all);
  });

  it('keeps one copy per event id (last write wins), within a batch, across batches and across a reopen', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    const batch = events(10);
    await store.putEvents([...batch, ...batch.slice(0, 4)]);
    await store.putEvents(batch.slice(5));
    expect(await store.countEvents()).toBe(10);
    const writesBefore = storage.writes;
    await store.putEvents(batch);
    expect(storage.writes).toBe(writesBefore);
    await createKvStore(storage).putEvents(batch.slice(2, 8));
    expect(await createKvStore(storage).countEvents()).toBe(10);
    await store.putEvents([{ ...batch[4]!, type: 'click' }]);
    const reread = await createKvStore(storage).getEvents();
    expect(reread).toHaveLength(10);
    expect(reread[4]!.type).toBe('click');
  });

  it(`stores events in chunks of ${EVENTS_PER_CHUNK} under its prefix, and nothing else`, async () => {
    const storage = createFakeAsyncStorage(new Map([['app:theme', 'dark']]));
    const store = createKvStore(storage);
    await store.putEvents(events(EVENTS_PER_CHUNK * 2 + 37));
    const chunks = insituKeys(storage).filter((k) => /^insitu:events\.\d+$/.test(k));
    expect(chunks).toHaveLength(3);
    const sizes = chunks.map((k) => (JSON.parse(storage.data.get(k)!) as unknown[]).length).sort((a, b) => a - b);
    expect(sizes).toEqual([37, EVENTS_PER_CHUNK, EVENTS_PER_CHUNK]);
    expect(storage.data.get('app:theme')).toBe('dark');
    expect([...storage.data.keys()].filter((k) => !k.startsWith(KV_DEFAULT_PREFIX))).toEqual(['app:theme']);
  });

  it('appends into the last chunk while it has room, one batch at a time', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    for (let batch = 0; batch < 12; batch++) await store.putEvents(events(50, batch * 50));
    const chunks = insituKeys(storage).filter((k) => k.startsWith('insitu:events.'));
    // 600 events: one full chunk and one of 100; the replaced tail chunks were removed.
    expect(chunks).toHaveLength(2);
    expect(await createKvStore(storage).countEvents()).toBe(600);
  });

  it(`keeps at most ${MAX_STORED_EVENTS} events, dropping the oldest, with a bounded number of keys`, async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    const total = MAX_STORED_EVENTS + 750;
    for (let from = 0; from < total; from += 1_000) await store.putEvents(events(Math.min(1_000, total - from), from));
    expect(await store.countEvents()).toBe(MAX_STORED_EVENTS);
    const kept = await createKvStore(storage).getEvents();
    expect(kept[0]!.id).toBe(`e${total - MAX_STORED_EVENTS}`);
    expect(kept.at(-1)!.id).toBe(`e${total - 1}`);
    const chunkKeys = insituKeys(storage).filter((k) => k.startsWith('insitu:events.'));
    expect(chunkKeys.length).toBeLessThanOrEqual(Math.ceil(MAX_STORED_EVENTS / EVENTS_PER_CHUNK) + 1);
    const bytes = insituKeys(storage).reduce((sum, k) => sum + k.length + storage.data.get(k)!.length, 0);
    // The design's storage budget after 100k events is 2 MB; these events are small, real ones ~300 B.
    expect(bytes).toBeLessThan(2 * 1024 * 1024);
  });

  it('drops the oldest even when an old event arrives late', async () => {
    const store = createKvStore(createFakeAsyncStorage());
    await store.putEvents(events(MAX_STORED_EVENTS, 1));
    await store.putEvents([{ id: 'late', type: 'view', ts: T0 - 1 }]);
    const kept = await store.getEvents({ limit: 1 });
    expect(kept[0]!.id).toBe('e1');
    expect(await store.countEvents()).toBe(MAX_STORED_EVENTS);
  });

  it('deletes events by id, packing the rewritten chunks', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    await store.putEvents(events(1_200));
    const doomed = events(1_200).filter((_, i) => i % 3 === 0 || i < 400).map((e) => e.id);
    await store.deleteEvents([...doomed, 'not-there']);
    const left = await createKvStore(storage).getEvents();
    expect(left).toHaveLength(1_200 - new Set(doomed).size);
    expect(left.some((e) => doomed.includes(e.id))).toBe(false);
    const chunkKeys = insituKeys(storage).filter((k) => k.startsWith('insitu:events.'));
    expect(chunkKeys.length).toBe(Math.ceil(left.length / EVENTS_PER_CHUNK));
  });

  it('hands out copies: changing a returned or passed event does not change the store', async () => {
    const store = createKvStore(createFakeAsyncStorage());
    const input = events(1);
    await store.putEvents(input);
    input[0]!.itemId = 'changed';
    const [read] = await store.getEvents();
    read!.type = 'click';
    expect(await store.getEvents()).toEqual([{ ...events(1)[0] }]);
  });

  it('refuses a malformed event without touching storage or health', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    await store.putEvents(events(2));
    const error = await rejection(store.putEvents([{ id: 'x', type: 'view', ts: Number.NaN }]));
    expect(error.code).toBe('invalid_argument');
    expect(store.status).toEqual({ mode: 'kv', health: 'ok' });
    expect(await store.countEvents()).toBe(2);
  });
});

describe('kv store: decisions, state, outbox', () => {
  it('replaces a decision by id (a reward), returns the oldest with limit, and stays bounded', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    await store.putDecisions([decision(1), decision(2), decision(3)]);
    await store.putDecisions([decision(2, { reward: 1, rewardedAt: T0 + 50 })]);
    const all = await createKvStore(storage).getDecisions();
    expect(all.map((d) => d.decisionId)).toEqual(['d1', 'd2', 'd3']);
    expect(all[1]!.reward).toBe(1);
    expect((await store.getDecisions({ limit: 2 })).map((d) => d.decisionId)).toEqual(['d1', 'd2']);
    await store.deleteDecisions(['d1']);
    expect((await store.getDecisions()).map((d) => d.decisionId)).toEqual(['d2', 'd3']);

    await store.putDecisions(Array.from({ length: MAX_STORED_DECISIONS + 40 }, (_, i) => decision(100 + i)));
    const kept = await createKvStore(storage).getDecisions();
    expect(kept).toHaveLength(MAX_STORED_DECISIONS);
    expect(kept[0]!.decisionId).toBe(`d${140}`);
    const chunkKeys = insituKeys(storage).filter((k) => k.startsWith('insitu:decisions.'));
    expect(chunkKeys).toHaveLength(MAX_STORED_DECISIONS / DECISIONS_PER_CHUNK);
  });

  it('stores state per key, removes it with undefined, and refuses an oversized value as storage_quota', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    await store.putState('model', { weights: [1, 2, 3] });
    await store.putState('device', { deviceId: 'd-1' });
    expect(storage.data.get('insitu:state.model')).toBe('{"weights":[1,2,3]}');
    const model = await createKvStore(storage).getState<{ weights: number[] }>('model');
    expect(model).toEqual({ weights: [1, 2, 3] });
    model!.weights.push(4);
    expect(await store.getState('model')).toEqual({ weights: [1, 2, 3] });

    await store.putState('device', undefined);
    expect(await createKvStore(storage).getState('device')).toBeUndefined();
    expect(storage.data.has('insitu:state.device')).toBe(false);

    const error = await rejection(store.putState('bandit', { blob: 'x'.repeat(MAX_STATE_BYTES) }));
    expect(error.code).toBe('storage_quota');
    expect(await store.getState('bandit')).toBeUndefined();
  });

  it('upserts, orders and deletes outbox entries, bounded', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    await store.putOutbox([outboxEntry(3), outboxEntry(1)]);
    await store.putOutbox([{ ...outboxEntry(1), attempts: 2 }]);
    expect(await createKvStore(storage).getOutbox()).toEqual([{ ...outboxEntry(1), attempts: 2 }, outboxEntry(3)]);
    await store.deleteOutbox(['r3']);
    expect(ids(await store.getOutbox())).toEqual(['r1']);
    await store.putOutbox(Array.from({ length: MAX_STORED_OUTBOX + 5 }, (_, i) => outboxEntry(10 + i)));
    const outbox = await createKvStore(storage).getOutbox();
    expect(outbox).toHaveLength(MAX_STORED_OUTBOX);
    expect(outbox[0]!.id).toBe('r15');
  });

  it('exports everything it holds', async () => {
    const store = createKvStore(createFakeAsyncStorage());
    await store.putEvents(events(3));
    await store.putDecisions([decision(1)]);
    await store.putOutbox([outboxEntry(1)]);
    await store.putState('mutes', ['politics']);
    expect(await store.exportAll()).toEqual({
      schemaVersion: KV_SCHEMA_VERSION,
      events: events(3),
      decisions: [decision(1)],
      outbox: [outboxEntry(1)],
      state: { mutes: ['politics'] },
    });
  });
});

describe('kv store: erase and close', () => {
  async function filled(storage: FakeAsyncStorage): Promise<ProfileStore> {
    const store = createKvStore(storage);
    await store.putEvents(events(EVENTS_PER_CHUNK + 10));
    await store.putDecisions([decision(1)]);
    await store.putOutbox([outboxEntry(1)]);
    await store.putState('model', { w: 1 });
    return store;
  }

  it("removes every key under its prefix and none of the app's, and stays usable", async () => {
    for (const listKeys of [true, false]) {
      const storage = createFakeAsyncStorage(new Map([['app:token', 't']]), { listKeys });
      const store = await filled(storage);
      await store.erase();
      expect([...storage.data.keys()]).toEqual(['app:token']);
      expect(await store.countEvents()).toBe(0);
      await store.putEvents(events(1));
      expect(await createKvStore(storage).countEvents()).toBe(1);
    }
  });

  it('erases what an earlier session stored from a store never used before', async () => {
    const storage = createFakeAsyncStorage();
    await (await filled(storage)).close();
    await createKvStore(storage).erase();
    expect(storage.data.size).toBe(0);
  });

  it('finishes an erase that a crash interrupted, on the next open', async () => {
    const storage = createFakeAsyncStorage(undefined, { listKeys: false });
    await (await filled(storage)).close();
    const store = createKvStore(storage);
    crashAfterWrites(storage, 3);
    await rejection(store.erase());
    storage.fault = undefined;
    expect(storage.data.get(`${KV_DEFAULT_PREFIX}${SCHEMA_KEY}`)).toBe('erasing');
    const reopened = createKvStore(storage);
    expect(await reopened.exportAll()).toEqual({ schemaVersion: KV_SCHEMA_VERSION, events: [], decisions: [], outbox: [], state: {} });
    expect(insituKeys(storage)).toEqual([`${KV_DEFAULT_PREFIX}${SCHEMA_KEY}`]);
  });

  it('rejects every call after close, and close waits for calls in flight', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    const write = store.putEvents(events(5));
    await store.close();
    await write;
    expect(await createKvStore(storage).countEvents()).toBe(5);
    expect((await rejection(store.countEvents())).code).toBe('storage_unavailable');
    expect((await rejection(store.erase())).code).toBe('storage_unavailable');
  });
});

describe('kv store: a crash between two writes', () => {
  type Scenario = { name: string; before: (s: ProfileStore) => Promise<void>; change: (s: ProfileStore) => Promise<void> };
  const scenarios: Scenario[] = [
    {
      name: 'an append that fills the tail chunk and opens two more',
      before: (s) => s.putEvents(events(700)),
      change: (s) => s.putEvents(events(900, 700)),
    },
    {
      name: 'a delete across chunks',
      before: (s) => s.putEvents(events(1_400)),
      change: (s) => s.deleteEvents(events(1_400).filter((_, i) => i % 2 === 0 || i > 1_000).map((e) => e.id)),
    },
    {
      name: 'an append past the bound (append and trim in one commit)',
      before: (s) => s.putEvents(events(MAX_STORED_EVENTS - 100)),
      change: (s) => s.putEvents(events(600, MAX_STORED_EVENTS)),
    },
    {
      name: 'a decision update and new decisions',
      before: (s) => s.putDecisions(Array.from({ length: 150 }, (_, i) => decision(i))),
      change: (s) => s.putDecisions([decision(3, { reward: 1 }), ...Array.from({ length: 120 }, (_, i) => decision(200 + i))]),
    },
  ];

  for (const scenario of scenarios) {
    for (const listKeys of [true, false]) {
      it(`leaves the old or the new log, never a mix: ${scenario.name}${listKeys ? '' : ' (no getAllKeys)'}`, async () => {
        const base = createFakeAsyncStorage(undefined, { listKeys });
        await scenario.before(createKvStore(base));
        const snapshot = async (s: ProfileStore) => {
          const { events: e, decisions: d } = await s.exportAll();
          return JSON.stringify([e, d]);
        };
        const oldState = await snapshot(createKvStore(createFakeAsyncStorage(base.data)));
        const probe = createFakeAsyncStorage(base.data, { listKeys });
        const probeStore = createKvStore(probe);
        await probeStore.countEvents();
        probe.writes = 0;
        await scenario.change(probeStore);
        const writes = probe.writes;
        const newState = await snapshot(createKvStore(createFakeAsyncStorage(probe.data)));
        expect(newState).not.toBe(oldState);
        expect(writes).toBeGreaterThan(2);

        const outcomes = new Set<string>();
        for (let allowed = 0; allowed < writes; allowed++) {
          const crashed = createFakeAsyncStorage(base.data, { listKeys });
          const store = createKvStore(crashed);
          await store.countEvents();
          crashAfterWrites(crashed, allowed);
          await scenario.change(store).catch(() => undefined);
          crashed.fault = undefined;
          const after = createFakeAsyncStorage(crashed.data, { listKeys });
          const state = await snapshot(createKvStore(after));
          expect([oldState, newState]).toContain(state);
          outcomes.add(state === oldState ? 'old' : 'new');
          if (listKeys) {
            // Reopening removed what the crash left behind: the keys are exactly a clean run's keys.
            const clean = createFakeAsyncStorage(state === oldState ? base.data : probe.data);
            await createKvStore(clean).countEvents();
            expect(insituKeys(after).length).toBe(insituKeys(clean).length);
          }
        }
        expect(outcomes).toEqual(new Set(['old', 'new']));
      });
    }
  }
});

describe('kv store: failures settle as InsituErrors', () => {
  it('maps a full disk to storage_quota and other failures to storage_unavailable, then recovers', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage);
    await store.putEvents(events(3));
    storage.fault = (op) => (op === 'setItem' ? new Error('database or disk is full (code 13 SQLITE_FULL)') : undefined);
    expect((await rejection(store.putEvents(events(2, 3)))).code).toBe('storage_quota');
    expect(store.status).toEqual({ mode: 'kv', health: 'degraded', reason: 'storage_quota' });

    storage.fault = (op) => (op === 'getItem' ? new Error('Native module is null') : undefined);
    expect((await rejection(store.countEvents())).code).toBe('storage_unavailable');
    expect(store.status.reason).toBe('storage_unavailable');

    storage.fault = undefined;
    await store.putEvents(events(2, 3));
    expect(await store.countEvents()).toBe(5);
    expect(store.status).toEqual({ mode: 'kv', health: 'ok' });
  });

  it('turns a synchronous throw into a rejection', async () => {
    const store = createKvStore({
      getItem: () => {
        throw new TypeError('cannot read properties of null');
      },
      setItem: () => undefined,
      removeItem: () => undefined,
    });
    expect((await rejection(store.getEvents())).code).toBe('storage_unavailable');
  });

  it('rejects with storage_timeout when the storage never answers, and later calls still run', async () => {
    const storage = createFakeAsyncStorage();
    const store = createKvStore(storage, { timeoutMs: 30 });
    storage.fault = (op) => (op === 'setItem' ? 'hang' : undefined);
    expect((await rejection(store.putEvents(events(1)))).code).toBe('storage_timeout');
    expect((await rejection(store.putState('model', 1))).code).toBe('storage_timeout');
    storage.fault = undefined;
    await store.putEvents(events(1));
    expect(await store.countEvents()).toBe(1);
  });

  it('drops records it cannot read back instead of failing', async () => {
    const storage = createFakeAsyncStorage();
    await createKvStore(storage).putEvents(events(4));
    const chunkKey = insituKeys(storage).find((k) => k.startsWith('insitu:events.'))!;
    const stored = JSON.parse(storage.data.get(chunkKey)!) as unknown[];
    storage.data.set(chunkKey, JSON.stringify([...stored.slice(0, 2), { id: 7 }, 'junk', null]));
    storage.data.set('insitu:state.model', '{not json');
    const store = createKvStore(storage);
    expect(ids(await store.getEvents())).toEqual(['e0', 'e1']);
    expect(await store.getState('model')).toBeUndefined();
  });
});

describe('kv store: schema', () => {
  it('writes its layout version on first use', async () => {
    const storage = createFakeAsyncStorage();
    await createKvStore(storage).countEvents();
    expect(storage.data.get(`${KV_DEFAULT_PREFIX}${SCHEMA_KEY}`)).toBe(String(KV_SCHEMA_VERSION));
  });

  it('starts clean over a layout from a newer SDK rather than misreading it', async () => {
    const storage = createFakeAsyncStorage();
    await createKvStore(storage).putEvents(events(3));
    storage.data.set(`${KV_DEFAULT_PREFIX}${SCHEMA_KEY}`, String(KV_SCHEMA_VERSION + 1));
    storage.data.set(`${KV_DEFAULT_PREFIX}future-layout`, '{}');
    const store = createKvStore(storage);
    expect(await store.countEvents()).toBe(0);
    expect(insituKeys(storage)).toEqual([`${KV_DEFAULT_PREFIX}${SCHEMA_KEY}`]);
    expect(storage.data.get(`${KV_DEFAULT_PREFIX}${SCHEMA_KEY}`)).toBe(String(KV_SCHEMA_VERSION));
  });

  it('runs migrations in order, recording each step, and resumes after a crash mid-way', async () => {
    const storage = createFakeAsyncStorage();
    const io = createKvIo(storage, 'm:', 1_000);
    const ran: number[] = [];
    let failOnce = true;
    const migrations = {
      0: async () => void ran.push(0),
      1: async () => {
        ran.push(1);
        if (failOnce) {
          failOnce = false;
          throw new Error('killed');
        }
        await io.set('renamed', 'yes');
      },
      2: async () => void ran.push(2),
    };
    await expect(migrateKvSchema(io, 0, 3, migrations)).rejects.toThrow('killed');
    expect(await readSchemaVersion(io)).toBe(1);
    await migrateKvSchema(io, await readSchemaVersion(io) as number, 3, migrations);
    expect(ran).toEqual([0, 1, 1, 2]);
    expect(await readSchemaVersion(io)).toBe(3);
    expect(storage.data.get('m:renamed')).toBe('yes');
    await expect(migrateKvSchema(io, 3, 5, migrations)).rejects.toMatchObject({ code: 'storage_unavailable' });
  });

  it('has a migration for every step up to the current layout', () => {
    for (let v = 0; v < KV_SCHEMA_VERSION; v++) expect(KV_MIGRATIONS[v]).toBeTypeOf('function');
  });
});

describe('fromMmkv', () => {
  function fakeMmkv(kind: 'delete' | 'remove'): MmkvLike & { values: Map<string, string> } {
    const values = new Map<string, string>();
    const base = {
      values,
      getString: (key: string) => values.get(key),
      set: (key: string, value: string) => void values.set(key, value),
      getAllKeys: () => [...values.keys()],
    };
    return kind === 'delete' ? { ...base, delete: (key: string) => void values.delete(key) } : { ...base, remove: (key: string) => values.delete(key) };
  }

  for (const kind of ['delete', 'remove'] as const) {
    it(`runs the store over a synchronous MMKV (${kind === 'delete' ? 'v2/v3' : 'v4'} API)`, async () => {
      const mmkv = fakeMmkv(kind);
      const store = createKvStore(fromMmkv(mmkv), { prefix: 'p/' });
      await store.putEvents(events(EVENTS_PER_CHUNK + 1));
      await store.putState('model', { w: 2 });
      expect(await createKvStore(fromMmkv(mmkv), { prefix: 'p/' }).countEvents()).toBe(EVENTS_PER_CHUNK + 1);
      await store.erase();
      expect(mmkv.values.size).toBe(0);
    });
  }
});
