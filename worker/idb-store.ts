/**
 * The ProfileStore on IndexedDB (through idb), for the worker. Every method settles: a failure
 * rejects with an InsituError (codes in worker/idb-errors.ts), a hang rejects with
 * `storage_timeout`. A lost connection is dropped and the next call opens a new one; `status`
 * says what went wrong until a call succeeds again.
 */
import { InsituError } from './errors.js';
import { toStorageError } from './idb-errors.js';
import { decodeJson, isEncodedBody, plainJsonBody } from './idb-blob-codec.js';
import { deleteDatabase, openConnection, withDeadline, type InsituDatabase } from './idb-connection.js';
import { countOf, IdbEventLog } from './idb-event-log.js';
import { ALL_STORES, DEFAULT_DB_NAME, SCHEMA_VERSION, type InsituStoreName, type InsituTransaction } from './idb-schema.js';
import type { ProfileStore, StateKey, StoreStatus, StoredData } from './types.js';

/**
 * How long opening may take before the SDK carries on from memory. A healthy open takes a few ms;
 * Firefox private windows (before 115) and some Safari builds never answer at all. The first
 * decision must not wait on that, and the consent gate retries with backoff.
 */
export const OPEN_TIMEOUT_MS = 3_000;

/**
 * How long one transaction may take. 1000 writes in one transaction take ~45 ms and an export of
 * a full log well under a second; ten seconds means the backend is wedged, not slow.
 */
export const OPERATION_TIMEOUT_MS = 10_000;

/**
 * State values whose JSON is at least this long are stored as a Blob of that JSON (see
 * worker/idb-blob-codec.ts for why): the model, signals, profile snapshot and reporter (0.5–50 KB
 * each, rewritten on every flush) go there; small records like the device id stay plain. In
 * Chromium a put costs ~450 B of LevelDB log plus about twice the value's size, a Blob put ~830 B
 * whatever its size, so from about 0.5 KB a Blob is the smaller write. Not compressed: the live
 * Blobs are ~0.1 MB, and a synchronous write keeps putState as quick as it was.
 */
export const STATE_BLOB_MIN_CHARS = 512;

export interface IdbStoreOptions {
  /** Database name; default 'insitu'. */
  name?: string;
  /** Default: `globalThis.indexedDB`. Tests pass fake-indexeddb's, or a fault-injecting one. */
  factory?: IDBFactory;
  openTimeoutMs?: number;
  operationTimeoutMs?: number;
}

type Tx<Mode extends IDBTransactionMode> = InsituTransaction<Mode>;

const noop = (): void => undefined;

/** Failures only a successful put clears: reads and deletes keep working through a full disk. */
const WRITE_FAILURES: ReadonlySet<string> = new Set(['storage_quota', 'storage_aborted']);

/** Open (and migrate) the database; rejects with `storage_*` when it cannot be used. */
export async function openIdbStore(options: IdbStoreOptions = {}): Promise<ProfileStore> {
  const factory = options.factory ?? globalIndexedDB();
  const store = new IdbProfileStore(
    factory,
    options.name ?? DEFAULT_DB_NAME,
    options.openTimeoutMs ?? OPEN_TIMEOUT_MS,
    options.operationTimeoutMs ?? OPERATION_TIMEOUT_MS,
  );
  await store.connect();
  return store;
}

/** A state value as stored: itself when small, else its JSON as a Blob. */
function encodeState(value: unknown): unknown {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    // Not JSON (a cycle, say): structured clone decides, and refuses with DataCloneError if it must.
  }
  return text !== undefined && text.length >= STATE_BLOB_MIN_CHARS ? plainJsonBody(text) : value;
}

function globalIndexedDB(): IDBFactory {
  try {
    // Reading it throws SecurityError in sandboxed frames and with storage blocked by the user.
    const factory = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
    if (factory) return factory;
  } catch (error) {
    throw toStorageError(error, 'storage_unavailable');
  }
  throw new InsituError('storage_unavailable', 'IndexedDB is not available here');
}

class IdbProfileStore implements ProfileStore {
  private db: InsituDatabase | undefined;
  private opening: Promise<InsituDatabase> | undefined;
  private closed = false;
  private current: StoreStatus = { mode: 'indexeddb', health: 'ok' };
  /** Set by the first successful open; a later reopen (after a lost connection) does not change it. */
  private createdOnFirstOpen: boolean | undefined;
  private readonly events = new IdbEventLog((names, mode, work) => this.run(names, mode, work));

  constructor(
    private readonly factory: IDBFactory,
    private readonly name: string,
    private readonly openTimeoutMs: number,
    private readonly operationTimeoutMs: number,
  ) {}

  get status(): StoreStatus {
    return this.current;
  }

  /** Whether this store's first connection created the database (a first visit: nothing stored yet). */
  get created(): boolean {
    return this.createdOnFirstOpen === true;
  }

  /** The open connection, opening one if there is none (first call, or after it was lost). */
  connect(): Promise<InsituDatabase> {
    if (this.closed) return Promise.reject(new InsituError('storage_unavailable', 'the store was closed'));
    if (this.db) return Promise.resolve(this.db);
    let created = false;
    this.opening ??= openConnection(this.factory, this.name, this.openTimeoutMs, {
      onVersionChange: (db) => this.drop(db, 'storage_connection_lost'),
      onTerminated: (db) => this.drop(db, 'storage_connection_lost'),
      onCreated: () => (created = true),
    })
      .then((db) => {
        this.db = db;
        this.createdOnFirstOpen ??= created;
        return db;
      })
      .catch((error: unknown) => {
        const insituError = toStorageError(error, 'storage_unavailable');
        this.current = { mode: 'indexeddb', health: 'unavailable', reason: insituError.code };
        throw insituError;
      })
      .finally(() => (this.opening = undefined));
    return this.opening;
  }

  /** One transaction: the batch is stored whole or not at all; idempotent by id. */
  async putEvents(events: Parameters<ProfileStore['putEvents']>[0]) {
    if (events.length === 0) return;
    await this.events.put(events);
    this.markHealthy();
  }

  getEvents(query: Parameters<ProfileStore['getEvents']>[0] = {}) {
    return this.events.get(query);
  }

  countEvents() {
    return this.events.count();
  }

  async deleteEvents(ids: string[]) {
    await this.events.delete(ids);
  }

  async putDecisions(records: Parameters<ProfileStore['putDecisions']>[0]) {
    if (records.length === 0) return;
    await this.run(['decisions'], 'readwrite', async (tx) => {
      const store = tx.objectStore('decisions');
      for (const record of records) store.put(record).catch(noop);
    });
    this.markHealthy();
  }

  async getDecisions(query: { limit?: number } = {}) {
    const limit = countOf(query.limit);
    if (limit === 0) return [];
    return this.run(['decisions'], 'readonly', (tx) => tx.objectStore('decisions').index('ts').getAll(null, limit));
  }

  countDecisions() {
    return this.run(['decisions'], 'readonly', (tx) => tx.objectStore('decisions').count());
  }

  async deleteDecisions(ids: string[]) {
    await this.deleteKeys('decisions', ids);
  }

  async getState<T>(key: StateKey): Promise<T | undefined> {
    const stored = await this.run(['state'], 'readonly', (tx) => tx.objectStore('state').get(key));
    return (isEncodedBody(stored) ? await decodeJson(stored) : stored) as T | undefined;
  }

  /** One transaction for all of them (a returning visitor's start reads nine: ~3 ms less than nine transactions in Chromium). */
  async getStates(keys: readonly StateKey[]): Promise<unknown[]> {
    const stored = await this.run(['state'], 'readonly', (tx) => {
      const state = tx.objectStore('state');
      return Promise.all(keys.map((key) => state.get(key)));
    });
    return Promise.all(stored.map((value) => (isEncodedBody(value) ? decodeJson(value) : value)));
  }

  async putState(key: StateKey, value: unknown) {
    const stored = encodeState(value);
    await this.run(['state'], 'readwrite', async (tx) => {
      tx.objectStore('state').put(stored, key).catch(noop);
    });
    this.markHealthy();
  }

  async putOutbox(entries: Parameters<ProfileStore['putOutbox']>[0]) {
    if (entries.length === 0) return;
    await this.run(['outbox'], 'readwrite', async (tx) => {
      const store = tx.objectStore('outbox');
      for (const entry of entries) store.put(entry).catch(noop);
    });
    this.markHealthy();
  }

  getOutbox() {
    return this.run(['outbox'], 'readonly', (tx) => tx.objectStore('outbox').getAll());
  }

  async deleteOutbox(ids: string[]) {
    await this.deleteKeys('outbox', ids);
  }

  /** One read transaction over every store, so the export is a consistent snapshot. */
  exportAll(): Promise<StoredData> {
    const read = this.run([...ALL_STORES], 'readonly', (tx) =>
      Promise.all([
        tx.objectStore('eventChunks').getAllKeys(),
        tx.objectStore('eventChunks').getAll(),
        tx.objectStore('decisions').index('ts').getAll(),
        tx.objectStore('outbox').getAll(),
        tx.objectStore('state').getAllKeys(),
        tx.objectStore('state').getAll(),
      ]),
    );
    // Blobs are read after the transaction: it would commit while we wait on them.
    return read.then(async ([chunkKeys, chunks, decisions, outbox, stateKeys, stateValues]) => {
      const events = await this.events.eventsOf(chunkKeys, chunks);
      const state: StoredData['state'] = {};
      for (const [i, key] of stateKeys.entries()) {
        const stored = stateValues[i];
        const value = isEncodedBody(stored) ? await decodeJson(stored) : stored;
        // defineProperty: a tampered database with a '__proto__' key must not reach the prototype.
        Object.defineProperty(state, key, { value, enumerable: true, writable: true, configurable: true });
      }
      return { schemaVersion: SCHEMA_VERSION, events, decisions, outbox, state };
    });
  }

  /** Close our connection and delete the database; the next call (if any) starts a fresh one. */
  async erase() {
    await this.opening?.catch(noop);
    this.db?.close();
    this.db = undefined;
    this.events.forget();
    try {
      await deleteDatabase(this.factory, this.name, this.operationTimeoutMs);
      this.current = { mode: 'indexeddb', health: 'ok' };
    } catch (error) {
      const insituError = toStorageError(error, 'storage_unavailable');
      this.current = { mode: 'indexeddb', health: 'degraded', reason: insituError.code };
      throw insituError;
    }
  }

  async close() {
    this.closed = true;
    await this.opening?.catch(noop);
    this.db?.close();
    this.db = undefined;
  }

  // -------------------------------------------------------------------------------------------

  private async deleteKeys(name: 'decisions' | 'outbox', ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.run([name], 'readwrite', async (tx) => {
      const store = tx.objectStore(name);
      for (const id of ids) store.delete(id).catch(noop);
    });
  }

  /**
   * One transaction: `work` issues requests; the result counts only once the transaction has
   * committed (a write is not durable before `complete`, and quota errors surface only there).
   */
  private async run<Mode extends IDBTransactionMode, T>(names: InsituStoreName[], mode: Mode, work: (tx: Tx<Mode>) => Promise<T>): Promise<T> {
    let db: InsituDatabase | undefined;
    try {
      db = await this.connect();
      const connection = db;
      const result = await withDeadline(this.transact(connection, names, mode, work), this.operationTimeoutMs, () => {
        // A wedged connection is not reused: the next call opens a new one.
        this.drop(connection, 'storage_timeout');
        return new InsituError('storage_timeout', `IndexedDB did not finish within ${this.operationTimeoutMs} ms`);
      });
      if (this.current.health !== 'ok' && !WRITE_FAILURES.has(this.current.reason ?? '')) this.markHealthy();
      return result;
    } catch (error) {
      const insituError = toStorageError(error, 'storage_aborted');
      if (insituError.code === 'storage_connection_lost' && db) this.drop(db, insituError.code);
      // Values the caller passed that cannot be stored say nothing about the store's health.
      else if (insituError.code !== 'invalid_argument' && db) {
        this.current = { mode: 'indexeddb', health: 'degraded', reason: insituError.code };
      }
      throw insituError;
    }
  }

  private async transact<Mode extends IDBTransactionMode, T>(
    db: InsituDatabase,
    names: InsituStoreName[],
    mode: Mode,
    work: (tx: Tx<Mode>) => Promise<T>,
  ): Promise<T> {
    const tx = db.transaction(names, mode) as Tx<Mode>;
    const done = tx.done;
    done.catch(noop);
    try {
      const result = await work(tx);
      await done;
      return result;
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // Already finished or already aborting.
      }
      await done.catch(noop);
      // The transaction's own error (quota at commit, say) says more than a request's AbortError.
      throw tx.error ?? error;
    }
  }

  private markHealthy(): void {
    if (this.current.health !== 'ok') this.current = { mode: 'indexeddb', health: 'ok' };
  }

  /** Forget a connection that is closed, lost or wedged; the next call opens a new one. */
  private drop(db: InsituDatabase, reason: InsituError['code']): void {
    if (this.db !== db) return;
    this.db = undefined;
    try {
      db.close();
    } catch {
      // Closing a connection the browser already dropped can throw in old Safari.
    }
    this.current = { mode: 'indexeddb', health: 'degraded', reason };
  }
}
