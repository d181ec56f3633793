/**
 * A fault-injecting IDBFactory over fake-indexeddb, for the failures real browsers produce but
 * not on demand (Safari and Firefox private modes, a crashed storage process, a full disk).
 * Objects handed out are fake-indexeddb's own, with a few methods patched per instance, so idb's
 * `instanceof` checks and proxies work on them unchanged. Needs `fake-indexeddb/auto` loaded.
 */
import { IDBFactory as FakeIDBFactory, IDBOpenDBRequest as FakeOpenDBRequest, forceCloseDatabase } from 'fake-indexeddb';

export interface IdbFaults {
  /** `open()` throws at once (Firefox private windows before v115 threw InvalidStateError). */
  openThrows?: boolean;
  /** `open()` returns a request that never fires (seen in Safari private mode and Firefox). */
  openHangs?: boolean;
  /** Any write transaction that puts a value aborts with QuotaExceededError, as a full disk does. */
  quotaOnPut?: boolean;
  /** A write transaction aborts once its Nth put has succeeded: a batch cut off half way. */
  abortAfterPuts?: number;
  /** Transactions never report completion: a wedged backend. */
  hangTransactions?: boolean;
  /** Creating or upgrading the database aborts with QuotaExceededError (a full disk on first visit). */
  quotaOnUpgrade?: boolean;
}

/** Safari's wording when its storage process has gone (WebKit bug 197050). */
export const CONNECTION_LOST_MESSAGE = 'Connection to Indexed Database server lost. Refresh the page to try again';

interface FakeTransactionInternals {
  _state: string;
  _abort(errorName: string | null): void;
}

export class FaultyIDBFactory implements IDBFactory {
  faults: IdbFaults = {};
  /** Calls to `open()`, to see a store reconnect. */
  opens = 0;
  private readonly connections = new Set<IDBDatabase>();
  private readonly lost = new WeakSet<IDBDatabase>();

  constructor(readonly inner: IDBFactory = new FakeIDBFactory()) {}

  open(name: string, version?: number): IDBOpenDBRequest {
    this.opens++;
    if (this.faults.openThrows) throw new DOMException('A mutation operation was attempted on a database that did not allow mutations.', 'InvalidStateError');
    if (this.faults.openHangs) return new FakeOpenDBRequest();
    const request = this.inner.open(name, version);
    // Registered before idb's own listener, so the connection is patched before anyone uses it.
    request.addEventListener('success', () => this.instrument(request.result));
    if (this.faults.quotaOnUpgrade) {
      // After every upgradeneeded listener has run (as the browser fails at commit), abort as a full disk does.
      request.addEventListener('upgradeneeded', () =>
        queueMicrotask(() => {
          const internals = request.transaction as unknown as FakeTransactionInternals;
          internals._state = 'active';
          internals._abort('QuotaExceededError');
        }),
      );
    }
    return request;
  }

  deleteDatabase(name: string): IDBOpenDBRequest {
    return this.inner.deleteDatabase(name);
  }
  cmp(first: unknown, second: unknown): number {
    return this.inner.cmp(first, second);
  }
  databases(): Promise<IDBDatabaseInfo[]> {
    return this.inner.databases();
  }

  /** Safari's failure: every open connection now throws UnknownError; new connections work. */
  loseConnections(): void {
    for (const db of this.connections) this.lost.add(db);
  }
  /** The connections close without telling anyone; the next transaction() throws InvalidStateError. */
  closeConnectionsSilently(): void {
    for (const db of this.connections) db.close();
  }
  /** The browser closes the connections abnormally and fires `close` (DevTools clearing storage, say). */
  forceCloseConnections(): void {
    for (const db of this.connections) forceCloseDatabase(db as never);
  }

  /**
   * An old tab: a connection at `version` that ignores `versionchange`, so it blocks upgrades and
   * deletion until released.
   */
  async holdOldConnection(name: string, version: number, upgrade?: (db: IDBDatabase) => void): Promise<() => void> {
    const request = this.inner.open(name, version);
    request.onupgradeneeded = () => upgrade?.(request.result);
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return () => db.close();
  }

  private instrument(db: IDBDatabase): void {
    this.connections.add(db);
    db.addEventListener('close', () => this.connections.delete(db));
    const realTransaction = db.transaction.bind(db);
    const patched = (names: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions): IDBTransaction => {
      if (this.lost.has(db)) throw new DOMException(CONNECTION_LOST_MESSAGE, 'UnknownError');
      const tx = realTransaction(names, mode, options);
      if (this.faults.hangTransactions) silenceCompletion(tx);
      if (mode === 'readwrite') this.instrumentWrites(tx);
      return tx;
    };
    db.transaction = patched as IDBDatabase['transaction'];
  }

  private instrumentWrites(tx: IDBTransaction): void {
    const realObjectStore = tx.objectStore.bind(tx);
    const patchedStores = new WeakSet<IDBObjectStore>();
    let puts = 0;
    tx.objectStore = (name: string): IDBObjectStore => {
      const store = realObjectStore(name);
      if (patchedStores.has(store)) return store;
      patchedStores.add(store);
      const realPut = store.put.bind(store);
      store.put = (value: unknown, key?: IDBValidKey): IDBRequest<IDBValidKey> => {
        const request = realPut(value, key);
        puts++;
        if (this.faults.quotaOnPut) {
          // What a browser does when the disk is full: the transaction aborts with this error.
          const internals = tx as unknown as FakeTransactionInternals;
          internals._state = 'active';
          internals._abort('QuotaExceededError');
        } else if (this.faults.abortAfterPuts === puts) {
          request.addEventListener('success', () => tx.abort());
        }
        return request;
      };
      return store;
    };
  }
}

/** Keep idb from ever hearing that the transaction finished. */
function silenceCompletion(tx: IDBTransaction): void {
  const realAdd = tx.addEventListener.bind(tx);
  tx.addEventListener = ((type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions) => {
    if (type === 'complete' || type === 'abort' || type === 'error') return;
    realAdd(type, listener, options);
  }) as IDBTransaction['addEventListener'];
}
