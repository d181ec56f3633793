/**
 * ProfileStore over a key-value storage (AsyncStorage or MMKV in React Native; see
 * kv-storage.ts). Everything is read once when the store is first used and kept in memory; every
 * change is written through before the call resolves. Calls run one at a time, in order, so a
 * multi-key commit (kv-chunk-log.ts) is never interleaved with another.
 */
import { InsituError } from './errors.js';
import { ChunkLog } from './kv-chunk-log.js';
import { ERASING, KV_SCHEMA_VERSION, SCHEMA_KEY, migrateKvSchema, readSchemaVersion } from './kv-schema.js';
import { KV_TIMEOUT_MS, createKvIo, toStorageError, type KeyValueStorage, type KvIo } from './kv-storage.js';
import { byTsThenKey, takeLimit } from './memory-store.js';
import { MAX_STORED_DECISIONS as RETAINED_DECISIONS, MAX_STORED_EVENTS as RETAINED_EVENTS } from './retention.js';
import type { DecisionRecord, InsituEvent, OutboxEntry, ProfileStore, StateKey, StoreStatus, StoredData } from './types.js';

export { fromMmkv, type KeyValueStorage, type MmkvLike } from './kv-storage.js';
export { KV_SCHEMA_VERSION } from './kv-schema.js';

/** The app's storage is shared with the app's own keys: everything insitu writes sits under this. */
export const KV_DEFAULT_PREFIX = 'insitu:';
/**
 * A backstop past which the oldest events go at write time. Retention (retention.ts) keeps the
 * log at RETAINED_EVENTS and compacts what it drops into the profile first; this bound sits above
 * it so retention, not the store, decides what is dropped, and applies only if retention cannot run.
 */
export const MAX_STORED_EVENTS = 2 * RETAINED_EVENTS;
/** ~500 events of ~150–300 bytes: one key stays under ~150 KB, far below AsyncStorage's 2 MB per value on Android. */
export const EVENTS_PER_CHUNK = 500;
/** The same kind of backstop for the decision log (retention keeps RETAINED_DECISIONS). */
export const MAX_STORED_DECISIONS = 2 * RETAINED_DECISIONS;
/** Decision records are larger (~0.5–2 KB) and rewritten on reward, so their chunks are smaller. */
export const DECISIONS_PER_CHUNK = 100;
/** A backstop only: delivery (report/delivery.ts) keeps the outbox far smaller. */
export const MAX_STORED_OUTBOX = 64;
/** One state value (model weights, bandit) larger than this is refused rather than risking the per-value limit. */
export const MAX_STATE_BYTES = 1_000_000;

const OUTBOX_KEY = 'outbox';
const STATE_PREFIX = 'state.';
/** Every StateKey, checked by the compiler to stay complete. */
const STATE_KEYS = Object.keys({
  profile: true,
  model: true,
  bandit: true,
  ledger: true,
  device: true,
  mutes: true,
  reporter: true,
  sent: true,
  signals: true,
} satisfies Record<StateKey, true>) as StateKey[];

export interface KvStoreOptions {
  /** Namespace for every key (default `insitu:`). Use a prefix no other code writes under: erase() removes it all. */
  prefix?: string;
  /** Deadline for one storage call (default KV_TIMEOUT_MS). */
  timeoutMs?: number;
}

interface Loaded {
  events: ChunkLog<InsituEvent>;
  decisions: ChunkLog<DecisionRecord>;
  outbox: OutboxEntry[];
  /** Serialized values: getState parses a fresh copy, so callers cannot mutate what is stored. */
  state: Map<StateKey, string>;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isEvent = (value: unknown): value is InsituEvent =>
  isObject(value) && typeof value.id === 'string' && typeof value.type === 'string' && typeof value.ts === 'number' && Number.isFinite(value.ts);
const isDecision = (value: unknown): value is DecisionRecord =>
  isObject(value) && typeof value.decisionId === 'string' && typeof value.ts === 'number' && Array.isArray(value.candidates);
const isOutboxEntry = (value: unknown): value is OutboxEntry =>
  isObject(value) && typeof value.id === 'string' && typeof value.createdAt === 'number' && typeof value.attempts === 'number';

const eventOrder = byTsThenKey<InsituEvent>((e) => e.id);
const decisionOrder = byTsThenKey<DecisionRecord>((d) => d.decisionId);
/** Stored records are only ever JSON: compare them as such to skip rewriting an unchanged one. */
const sameJson = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

export function createKvStore(storage: KeyValueStorage, options: KvStoreOptions = {}): ProfileStore {
  const io = createKvIo(storage, options.prefix ?? KV_DEFAULT_PREFIX, options.timeoutMs ?? KV_TIMEOUT_MS);
  let status: StoreStatus = { mode: 'kv', health: 'ok' };
  let loaded: Promise<Loaded> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let closed = false;

  /** Runs `task` after every earlier call has settled; a failure drops the memory copy so the next call reads storage again. */
  function exclusive<T>(operation: string, task: (data: Loaded) => Promise<T> | T): Promise<T> {
    const run = async (): Promise<T> => {
      if (closed) throw new InsituError('storage_unavailable', `${operation}: the store is closed`);
      try {
        const data = await (loaded ??= open());
        const result = await task(data);
        status = { mode: 'kv', health: 'ok' };
        return result;
      } catch (error) {
        const failure = toStorageError(error, operation);
        if (failure.code.startsWith('storage_')) {
          loaded = undefined;
          status = { mode: 'kv', health: 'degraded', reason: failure.code };
        }
        throw failure;
      }
    };
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  }

  async function open(): Promise<Loaded> {
    const version = await readSchemaVersion(io);
    // ERASING: an erase was cut short; finish it. A newer layout (the app was downgraded) cannot
    // be read by this code; the profile is a cache the device rebuilds, so start clean rather than misread it.
    const startClean = version === ERASING || version > KV_SCHEMA_VERSION;
    if (startClean) await removeEverything(io);
    await migrateKvSchema(io, startClean ? 0 : (version as number));
    const events = new ChunkLog<InsituEvent>(io, { name: 'events', chunkSize: EVENTS_PER_CHUNK, idOf: (e) => e.id, isRecord: isEvent });
    const decisions = new ChunkLog<DecisionRecord>(io, { name: 'decisions', chunkSize: DECISIONS_PER_CHUNK, idOf: (d) => d.decisionId, isRecord: isDecision });
    await events.load();
    await decisions.load();
    const outbox = parseList(await io.get(OUTBOX_KEY), isOutboxEntry);
    const state = new Map<StateKey, string>();
    for (const key of STATE_KEYS) {
      const raw = await io.get(STATE_PREFIX + key);
      if (raw !== null && parses(raw)) state.set(key, raw);
    }
    await removeStrays(io, [events, decisions]);
    return { events, decisions, outbox, state };
  }

  const store: ProfileStore = {
    get status() {
      return status;
    },

    /** Last write wins by id; re-sending an unchanged event writes nothing. One commit per call. */
    putEvents: (events) =>
      exclusive('putEvents', async ({ events: log }) => {
        const incoming = new Map<string, InsituEvent>();
        for (const event of events) {
          if (!isEvent(event)) throw new InsituError('invalid_argument', 'an event needs a string id, a type and a finite ts');
          incoming.set(event.id, jsonCopy(event));
        }
        for (const [id, event] of incoming) if (sameJson(log.get(id), event)) incoming.delete(id);
        const added = [...incoming.keys()].filter((id) => !log.has(id)).length;
        const over = log.size + added - MAX_STORED_EVENTS;
        const remove = over > 0 ? oldestIds([...log.records().filter((e) => !incoming.has(e.id)), ...incoming.values()], over, eventOrder, (e) => e.id) : undefined;
        await log.apply({ upsert: [...incoming.values()], replace: true, ...(remove ? { remove } : {}) });
      }),

    getEvents: (query = {}) =>
      exclusive('getEvents', ({ events }) => {
        const since = query.sinceTs;
        const list = events.records().sort(eventOrder).filter((e) => since === undefined || e.ts >= since);
        return jsonCopy(takeLimit(list, query.limit));
      }),

    countEvents: () => exclusive('countEvents', ({ events }) => events.size),

    deleteEvents: (ids) => exclusive('deleteEvents', ({ events }) => events.apply({ remove: new Set(ids) })),

    putDecisions: (records) =>
      exclusive('putDecisions', async ({ decisions: log }) => {
        const incoming = new Map<string, DecisionRecord>();
        for (const record of records) {
          if (!isDecision(record)) throw new InsituError('invalid_argument', 'a decision record needs a decisionId, a ts and candidates');
          incoming.set(record.decisionId, jsonCopy(record));
        }
        for (const [id, record] of incoming) if (sameJson(log.get(id), record)) incoming.delete(id);
        const kept = log.records().filter((d) => !incoming.has(d.decisionId));
        const over = kept.length + incoming.size - MAX_STORED_DECISIONS;
        const remove = over > 0 ? oldestIds([...kept, ...incoming.values()], over, decisionOrder, (d) => d.decisionId) : undefined;
        await log.apply({ upsert: [...incoming.values()], replace: true, ...(remove ? { remove } : {}) });
      }),

    getDecisions: (query = {}) => exclusive('getDecisions', ({ decisions }) => jsonCopy(takeLimit(decisions.records().sort(decisionOrder), query.limit))),

    countDecisions: () => exclusive('countDecisions', ({ decisions }) => decisions.size),

    deleteDecisions: (ids) => exclusive('deleteDecisions', ({ decisions }) => decisions.apply({ remove: new Set(ids) })),

    getState: <T>(key: StateKey) =>
      exclusive('getState', ({ state }) => {
        const raw = state.get(key);
        return raw === undefined ? undefined : (JSON.parse(raw) as T);
      }),

    putState: (key, value) =>
      exclusive('putState', async ({ state }) => {
        if (!STATE_KEYS.includes(key)) throw new InsituError('invalid_argument', `unknown state key ${String(key)}`);
        if (value === undefined) {
          await io.remove(STATE_PREFIX + key);
          state.delete(key);
          return;
        }
        const raw = toJson(value);
        if (raw.length > MAX_STATE_BYTES) throw new InsituError('storage_quota', `state ${key} is ${raw.length} bytes; the limit is ${MAX_STATE_BYTES}`);
        await io.set(STATE_PREFIX + key, raw);
        state.set(key, raw);
      }),

    putOutbox: (entries) =>
      exclusive('putOutbox', async (data) => {
        const merged = new Map(data.outbox.map((e) => [e.id, e]));
        for (const entry of entries) {
          if (!isOutboxEntry(entry)) throw new InsituError('invalid_argument', 'an outbox entry needs an id, createdAt and attempts');
          merged.set(entry.id, jsonCopy(entry));
        }
        const next = [...merged.values()].sort((a, b) => a.createdAt - b.createdAt).slice(-MAX_STORED_OUTBOX);
        await io.set(OUTBOX_KEY, JSON.stringify(next));
        data.outbox = next;
      }),

    getOutbox: () => exclusive('getOutbox', ({ outbox }) => jsonCopy(outbox)),

    deleteOutbox: (ids) =>
      exclusive('deleteOutbox', async (data) => {
        const drop = new Set(ids);
        if (!data.outbox.some((e) => drop.has(e.id))) return;
        const next = data.outbox.filter((e) => !drop.has(e.id));
        await io.set(OUTBOX_KEY, JSON.stringify(next));
        data.outbox = next;
      }),

    exportAll: () =>
      exclusive('exportAll', (data): StoredData => {
        const state: StoredData['state'] = {};
        for (const [key, raw] of data.state) state[key] = JSON.parse(raw) as unknown;
        return {
          schemaVersion: KV_SCHEMA_VERSION,
          events: jsonCopy(data.events.records().sort(eventOrder)),
          decisions: jsonCopy(data.decisions.records().sort(decisionOrder)),
          outbox: jsonCopy(data.outbox),
          state,
        };
      }),

    erase() {
      const run = async (): Promise<void> => {
        if (closed) throw new InsituError('storage_unavailable', 'erase: the store is closed');
        loaded = undefined;
        try {
          await removeEverything(io);
          status = { mode: 'kv', health: 'ok' };
        } catch (error) {
          const failure = toStorageError(error, 'erase');
          status = { mode: 'kv', health: 'degraded', reason: failure.code };
          throw failure;
        }
      };
      const result = queue.then(run, run);
      queue = result.catch(() => undefined);
      return result;
    },

    close() {
      const result = queue.then(() => {
        closed = true;
        loaded = undefined;
      });
      queue = result;
      return result;
    },
  };
  return store;
}

/**
 * Marks the erase first and unmarks it last (see ERASING), so an interrupted erase is finished
 * on the next open. Works from the stored indexes, not memory: erase must succeed even when
 * what is stored cannot be loaded.
 */
async function removeEverything(io: KvIo): Promise<void> {
  await io.set(SCHEMA_KEY, ERASING);
  const chunkKeys = [...(await ChunkLog.storedKeys(io, 'events')), ...(await ChunkLog.storedKeys(io, 'decisions'))];
  const fixed = [OUTBOX_KEY, ...STATE_KEYS.map((k) => STATE_PREFIX + k)];
  const listed = (await io.keys()) ?? [];
  for (const key of new Set([...chunkKeys, ...fixed, ...listed])) if (key !== SCHEMA_KEY) await io.remove(key);
  await io.remove(SCHEMA_KEY);
}

/** Chunks written by a commit that never reached its index (a crash), found when keys can be listed. */
async function removeStrays(io: KvIo, logs: ReadonlyArray<ChunkLog<unknown>>): Promise<void> {
  const listed = await io.keys().catch(() => undefined);
  if (!listed) return;
  const live = new Set(logs.flatMap((log) => log.keys()));
  for (const key of listed) {
    if (!live.has(key) && logs.some((log) => log.ownsKey(key))) await io.remove(key).catch(() => undefined);
  }
}

function parseList<T>(raw: string | null, isRecord: (value: unknown) => value is T): T[] {
  if (raw === null) return [];
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value.filter(isRecord) : [];
  } catch {
    return [];
  }
}

function parses(raw: string): boolean {
  try {
    JSON.parse(raw);
    return true;
  } catch {
    return false;
  }
}

/**
 * What this store holds is what JSON can carry, so values are copied through JSON on the way in
 * (memory then matches what a reopen reads back) and on the way out (callers get their own copy).
 */
function jsonCopy<T>(value: T): T {
  return JSON.parse(toJson(value)) as T;
}

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw new InsituError('invalid_argument', `value cannot be stored: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** The `count` ids that come first in `order`: what a bound drops. */
function oldestIds<T>(records: T[], count: number, order: (a: T, b: T) => number, idOf: (record: T) => string): Set<string> {
  return new Set(records.sort(order).slice(0, count).map(idOf));
}
