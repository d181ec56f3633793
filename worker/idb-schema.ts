/**
 * The IndexedDB schema and its migrations. Each version has one explicit migration that takes the
 * database from the version before it; opening runs every migration past the stored version, in
 * order, inside the one upgrade transaction, so a failed step leaves the old version untouched.
 * Migrations only add: data written by an older version is kept.
 *
 * To change the schema: add the store to `InsituSchema`, write migration N+1, bump SCHEMA_VERSION,
 * and extend test/unit/store/idb-migration.test.ts with a database built by version N.
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { DecisionRecord, InsituEvent, OutboxEntry, StateKey } from './types.js';

export const DEFAULT_DB_NAME = 'insitu';

/** The version the code writes; also the `schemaVersion` of every export (the shape of StoredData). */
export const SCHEMA_VERSION = 2;

export interface SchemaRecord {
  version: number;
  /** The version this database was upgraded from (0: created fresh). */
  upgradedFrom: number;
}

export interface InsituSchema extends DBSchema {
  /** Since v1. The bounded raw event log; `ts` orders it (retention drops the oldest). */
  events: { key: string; value: InsituEvent; indexes: { ts: number } };
  /** Since v1. Small records keyed by StateKey: profile snapshot, model, bandit, ledger... */
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
type Migration = (db: IDBPDatabase<InsituSchema>, tx: UpgradeTransaction) => void;

/** `MIGRATIONS[n]` takes a database at version n - 1 to version n. */
export const MIGRATIONS: Readonly<Record<number, Migration>> = {
  1: (db) => {
    db.createObjectStore('events', { keyPath: 'id' }).createIndex('ts', 'ts');
    db.createObjectStore('state');
    db.createObjectStore('outbox', { keyPath: 'id' });
  },
  2: (db) => {
    db.createObjectStore('decisions', { keyPath: 'decisionId' }).createIndex('ts', 'ts');
    db.createObjectStore('meta');
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
export const ALL_STORES: readonly InsituStoreName[] = ['events', 'state', 'outbox', 'decisions', 'meta'];
