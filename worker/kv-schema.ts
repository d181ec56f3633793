/**
 * The key-value store's layout version and the steps between versions. The version key is
 * written after each step, so a crash mid-migration re-runs only the unfinished step; every step
 * must therefore be safe to run twice.
 */
import { InsituError } from './errors.js';
import type { KvIo } from './kv-storage.js';

/**
 * Layout 1 (keys under the store's prefix):
 *   schema                 "1" ("erasing" while an erase is under way)
 *   events, decisions      chunk indexes {seq, chunks, retired} (kv-chunk-log.ts)
 *   events.<n>, decisions.<n>   JSON arrays of records
 *   outbox                 JSON array of OutboxEntry
 *   state.<key>            JSON of one StateKey's value
 */
export const KV_SCHEMA_VERSION = 1;
export const SCHEMA_KEY = 'schema';

/** `migrations[n]` turns layout n into layout n + 1. Layout 0 is "nothing stored yet". */
export type KvMigrations = Readonly<Record<number, (io: KvIo) => Promise<void>>>;

export const KV_MIGRATIONS: KvMigrations = {
  0: async () => undefined,
};

/**
 * Written to the schema key before an erase removes anything, and removed last: a store that
 * opens to find it finishes the erase first, so a crash never leaves half a profile behind.
 */
export const ERASING = 'erasing';

/** The stored layout version: 0 when absent or damaged; ERASING when an erase was interrupted. */
export async function readSchemaVersion(io: KvIo): Promise<number | typeof ERASING> {
  const raw = await io.get(SCHEMA_KEY);
  if (raw === null) return 0;
  if (raw === ERASING) return ERASING;
  const version = Number(raw);
  return Number.isSafeInteger(version) && version >= 0 ? version : 0;
}

/** Bring the stored layout from `from` up to `to`, one step at a time. */
export async function migrateKvSchema(io: KvIo, from: number, to: number = KV_SCHEMA_VERSION, migrations: KvMigrations = KV_MIGRATIONS): Promise<void> {
  for (let version = from; version < to; version++) {
    const step = migrations[version];
    if (!step) throw new InsituError('storage_unavailable', `no migration from key-value layout ${version} to ${version + 1}`);
    await step(io);
    await io.set(SCHEMA_KEY, String(version + 1));
  }
}
