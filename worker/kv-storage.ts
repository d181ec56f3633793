/**
 * The key-value port the React Native store writes through, and the edge where a platform's
 * failures become InsituErrors. It fits both storages React Native apps already use:
 *
 * - AsyncStorage (`@react-native-async-storage/async-storage`, v1–v3): pass the default export
 *   as is; `getItem`/`setItem`/`removeItem`/`getAllKeys` return promises.
 *       createInsitu({ storage: AsyncStorage })
 * - MMKV (`react-native-mmkv`): synchronous `getString`/`set`/`delete` (v4: `remove`), so wrap it:
 *       createInsitu({ storage: fromMmkv(new MMKV({ id: 'insitu' })) })
 *
 * Either way one key holds at most one chunk of events (see kv-chunk-log.ts), well under
 * AsyncStorage's 2 MB per-value limit on Android.
 */
import { InsituError } from './errors.js';

export interface KeyValueStorage {
  getItem(key: string): Promise<string | null> | string | null;
  setItem(key: string, value: string): Promise<void> | void;
  removeItem(key: string): Promise<void> | void;
  /** Optional: lets the store find keys a crash left behind, and erase everything under its prefix. */
  getAllKeys?(): Promise<readonly string[]> | readonly string[];
}

/** The part of react-native-mmkv's MMKV instance the adapter uses (v2/v3 name `delete`, v4 `remove`). */
export interface MmkvLike {
  getString(key: string): string | undefined;
  set(key: string, value: string): void;
  delete?(key: string): void;
  remove?(key: string): boolean | void;
  getAllKeys(): string[];
}

/** An MMKV instance as a KeyValueStorage. MMKV is synchronous; the store awaits either kind. */
export function fromMmkv(mmkv: MmkvLike): KeyValueStorage {
  return {
    getItem: (key) => mmkv.getString(key) ?? null,
    setItem: (key, value) => mmkv.set(key, value),
    removeItem: (key) => {
      if (mmkv.remove) mmkv.remove(key);
      else if (mmkv.delete) mmkv.delete(key);
      else throw new InsituError('storage_unavailable', 'this MMKV instance has neither remove() nor delete()');
    },
    getAllKeys: () => mmkv.getAllKeys(),
  };
}

/**
 * A storage call that has not answered in this long is stuck (a native module that never
 * initialised, a locked database); a healthy AsyncStorage answers in milliseconds, a busy
 * Android device in a few hundred.
 */
export const KV_TIMEOUT_MS = 10_000;

/** Messages from SQLite (AsyncStorage), MMKV and browser shims when the device is out of space. */
const QUOTA_MESSAGE = /quota|full|no space|disk|SQLITE_FULL|ENOSPC/i;

export function toStorageError(error: unknown, operation: string): InsituError {
  if (error instanceof InsituError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = QUOTA_MESSAGE.test(message) || (error as { name?: unknown })?.name === 'QuotaExceededError' ? 'storage_quota' : 'storage_unavailable';
  return new InsituError(code, `key-value storage ${operation} failed: ${message}`, { operation });
}

/**
 * Calls the platform and always settles: synchronous throws, rejections and silence past the
 * deadline all become InsituErrors.
 */
export function settle<T>(operation: string, call: () => Promise<T> | T, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new InsituError('storage_timeout', `key-value storage ${operation} did not answer within ${timeoutMs} ms`, { operation })),
      timeoutMs,
    );
    const done = () => clearTimeout(timer);
    try {
      Promise.resolve(call()).then(
        (value) => (done(), resolve(value)),
        (error: unknown) => (done(), reject(toStorageError(error, operation))),
      );
    } catch (error) {
      done();
      reject(toStorageError(error, operation));
    }
  });
}

/** The storage seen through the store's prefix, with every call settled. Keys here are unprefixed. */
export interface KvIo {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  remove(key: string): Promise<void>;
  /** Every key under the prefix, or undefined when the storage cannot list keys. */
  keys(): Promise<string[] | undefined>;
}

export function createKvIo(storage: KeyValueStorage, prefix: string, timeoutMs: number): KvIo {
  return {
    get: (key) => settle(`getItem(${key})`, () => storage.getItem(prefix + key), timeoutMs),
    set: (key, value) => settle(`setItem(${key})`, () => storage.setItem(prefix + key, value), timeoutMs),
    remove: (key) => settle(`removeItem(${key})`, () => storage.removeItem(prefix + key), timeoutMs),
    async keys() {
      if (!storage.getAllKeys) return undefined;
      const all = await settle('getAllKeys', () => storage.getAllKeys!(), timeoutMs);
      return all.filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
    },
  };
}
