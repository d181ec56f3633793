/**
 * The IndexedDB schema and its migrations. Each version has one explicit migration that takes the
 * database from the version before it; opening runs every migration past the stored version, in
 * order, inside the one upgrade transaction, so a failed step leaves the old version untouched.
 * Migrations keep every record an older version wrote (v3 moves the events into chunks).
 *
 * To change the schema: add the store to `InsituSchema`, write migration N+1, bump SCHEMA_VERSION,
 * and extend test/unit/store/idb-migration.test.ts with a database built by version N.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import { plainJsonBody } from './idb-blob-codec.js';
import { chunkHeader, chunkKey, pieces, type EventChunk } from './idb-event-chunks.js';
import type { DecisionRecord, InsituEvent, OutboxEntry, StateKey } from './types.js';

export const DEFAULT_DB_NAME = 'insitu';

/** The version the code writes; also the `schemaVersion` of every export (the shape of StoredData). */
export const SCHEMA_VERSION = 3;

export interface SchemaRecord {
  version: number;
  /** The version this database was upgraded from (0: created fresh). */
  upgradedFrom: number;
}

export interface InsituSchema extends DBSchema {
  /**
   * Since v3 (replacing v1's `events`, one record per event with a `ts` index). The bounded raw
   * event log, up to CHUNK_EVENTS events per record, encoded as one Blob (worker/idb-event-chunks.ts).
   */
  eventChunks: { key: string; value: EventChunk };
  /**
   * Since v1. Records keyed by StateKey: profile snapshot, model, bandit, ledger... Since v3 a
   * large value is stored as an EncodedBody (worker/idb-blob-codec.ts), a small one as itself.
   */
  state: { key: StateKey; value: unknown };
  /** Since v1. Reports waiting for delivery. */
  outbox: { key: string; value: OutboxEntry };
  /** Since v2. The decision log, for explain(), rewards and off-policy evaluation. */
  decisions: { key: string; value: DecisionRecord; indexes: { ts: number } };
  /** Since v2. Facts about the database itself (the `schema` record). */
  meta: { key: string; value: SchemaRecord };
}

export type InsituStoreName = StoreNames<InsituSchema>;
export type UpgradeTransaction = IDBPTransaction<InsituSchema, InsituStoreName[], 'versionchange'>;
export type InsituTransaction<Mode extends IDBTransactionMode> = IDBPTransaction<InsituSchema, InsituStoreName[], Mode>;
type Migration = (db: IDBPDatabase<InsituSchema>, tx: UpgradeTransaction) => void;

/** `MIGRATIONS[n]` takes a database at version n - 1 to version n. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  1: (db) => {
    // `events` is gone since v3 (moved into `eventChunks`), so the typed schema no longer names it.
    (db as unknown as IDBPDatabase).createObjectStore('events', { keyPath: 'id' }).createIndex('ts', 'ts');
    db.createObjectStore('state');
    db.createObjectStore('outbox', { keyPath: 'id' });
  },
  2: (db) => {
    db.createObjectStore('decisions', { keyPath: 'decisionId' }).createIndex('ts', 'ts');
    db.createObjectStore('meta');
  },
  3: (db, tx) => {
    const chunks = db.createObjectStore('eventChunks');
    // v1's store, typed by hand: the schema above no longer has it.
    const untyped = db as unknown as IDBPDatabase;
    const events = (tx as unknown as IDBPTransaction<unknown, string[], 'versionchange'>).objectStore('events');
    // Inside the upgrade transaction: the read's callback runs while it is still active, and a
    // failure aborts it, leaving version 2 and its events as they were. The chunks are plain
    // JSON Blobs (compressing is asynchronous and would let the transaction commit under us);
    // the next rewrite of a chunk compresses it.
    events
      .index('ts')
      .getAll()
      .then((stored: InsituEvent[]) => {
        pieces(stored).forEach((piece, i) => {
          const record: EventChunk = { seq: i + 1, ...chunkHeader(piece.events), ...plainJsonBody(JSON.stringify(piece.events)) };
          chunks.put(record, chunkKey(i + 1, 'v2')).catch(() => undefined);
        });
        untyped.deleteObjectStore('events');
      })
      .catch(() => {
        try {
          tx.abort();
        } catch {
          // Already aborting: the open request reports the failure either way.
        }
      });
  },
};

/** Run from `upgradeneeded`: every migration after `oldVersion`, then record what was done. */
export function upgradeSchema(db: IDBPDatabase<InsituSchema>, oldVersion: number, newVersion: number, tx: UpgradeTransaction): void {
  for (let version = oldVersion + 1; version <= newVersion; version++) {
    const migrate = MIGRATIONS[version];
    if (!migrate) throw new Error(`no migration to IndexedDB schema version ${version}`);
    migrate(db, tx);
  }
  const record: SchemaRecord = { version: newVersion, upgradedFrom: oldVersion };
  // A failure here aborts the upgrade, and opening reports it; the request's own promise is moot.
  tx.objectStore('meta').put(record, 'schema').catch(() => undefined);
}

/** Every store, for whole-database transactions (export). */
export const ALL_STORES: readonly InsituStoreName[] = ['eventChunks', 'state', 'outbox', 'decisions', 'meta'];
