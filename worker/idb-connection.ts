/**
 * Opening and deleting the IndexedDB database with deadlines. idb's openDB/deleteDB always use the
 * global `indexedDB`; these do the same through idb's `wrap` with any IDBFactory, so tests (and a
 * fault-injecting wrapper) can hand one in. Every promise here settles.
 */
import { wrap, type IDBPDatabase } from 'idb';
import { InsituError } from './errors.js';
import { toOpenError } from './idb-errors.js';
import { SCHEMA_VERSION, upgradeSchema, type InsituSchema, type UpgradeTransaction } from './idb-schema.js';

export type InsituDatabase = IDBPDatabase<InsituSchema>;

export interface ConnectionEvents {
  /** Another tab is upgrading or deleting the database; this connection has already closed. */
  onVersionChange(db: InsituDatabase): void;
  /** The browser closed the connection abnormally (storage process gone, disk error). */
  onTerminated(db: InsituDatabase): void;
  /** This open created the database (there was none): it holds nothing to read yet. */
  onCreated?(): void;
}

/** Reject with `onTimeout()` unless `work` settles within `ms`. */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => InsituError): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * Open `name` at SCHEMA_VERSION, running migrations as needed. Rejects with `storage_blocked` when
 * an older connection (another tab) will not let the upgrade run, `storage_timeout` when the
 * request never settles (Firefox private windows before 115, some Safari versions), otherwise
 * `storage_unavailable`. A connection that arrives after we gave up is closed at once, so it
 * cannot block other tabs.
 */
export function openConnection(factory: IDBFactory, name: string, timeoutMs: number, events: ConnectionEvents): Promise<InsituDatabase> {
  return new Promise<InsituDatabase>((resolve, reject) => {
    let settled = false;
    const giveUp = (error: InsituError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    };
    const timer = setTimeout(
      () => giveUp(new InsituError('storage_timeout', `opening IndexedDB "${name}" did not settle within ${timeoutMs} ms`)),
      timeoutMs,
    );

    let request: IDBOpenDBRequest;
    /** Why the upgrade transaction aborted: the open request itself only says AbortError. */
    let upgradeError: DOMException | null = null;
    try {
      request = factory.open(name, SCHEMA_VERSION);
    } catch (error) {
      giveUp(toOpenError(error));
      return;
    }
    request.addEventListener('upgradeneeded', (event) => {
      const tx = request.transaction;
      if (!tx) return;
      // Creating a database on a full disk (or under a tiny quota) fails here, as QuotaExceededError.
      tx.addEventListener('abort', () => (upgradeError = tx.error));
      if (event.oldVersion === 0) events.onCreated?.();
      const upgrade = wrap(tx) as unknown as UpgradeTransaction & { done?: Promise<void> };
      // idb gives every wrapped transaction a `done` promise that rejects on abort; the open
      // request reports the failure, so this one must not surface as an unhandled rejection.
      upgrade.done?.catch(() => undefined);
      try {
        upgradeSchema(wrap(request.result) as unknown as InsituDatabase, event.oldVersion, event.newVersion ?? SCHEMA_VERSION, upgrade);
      } catch {
        // The open request then fails with AbortError, and the old version stays as it was.
        tx.abort();
      }
    });
    request.addEventListener('blocked', () => {
      giveUp(new InsituError('storage_blocked', `opening IndexedDB "${name}" is blocked by a connection in another tab`));
    });
    (wrap(request) as Promise<InsituDatabase | undefined>).then(
      (db) => {
        if (!db) return giveUp(new InsituError('storage_unavailable', `opening IndexedDB "${name}" gave no database`));
        if (settled) {
          db.close();
          return;
        }
        settled = true;
        clearTimeout(timer);
        db.addEventListener('versionchange', () => {
          // Close at once so the other tab's upgrade or deleteDatabase is not blocked by us.
          db.close();
          events.onVersionChange(db);
        });
        db.addEventListener('close', () => events.onTerminated(db));
        resolve(db);
      },
      (error: unknown) => giveUp(toOpenError(upgradeError ?? error)),
    );
  });
}

/** Delete the database; waits for other connections to close, up to `timeoutMs`. */
export function deleteDatabase(factory: IDBFactory, name: string, timeoutMs: number): Promise<void> {
  let blocked = false;
  let request: IDBOpenDBRequest;
  try {
    request = factory.deleteDatabase(name);
  } catch (error) {
    return Promise.reject(toOpenError(error));
  }
  // Blocked is not failure yet: the other connections were asked to close and usually do.
  request.addEventListener('blocked', () => (blocked = true));
  const deleted = (wrap(request) as Promise<unknown>).then(
    () => undefined,
    (error: unknown) => Promise.reject(toOpenError(error)),
  );
  return withDeadline(deleted, timeoutMs, () =>
    blocked
      ? new InsituError('storage_blocked', `deleting IndexedDB "${name}" is blocked by a connection in another tab`)
      : new InsituError('storage_timeout', `deleting IndexedDB "${name}" did not settle within ${timeoutMs} ms`),
  );
}
