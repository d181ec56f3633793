/**
 * An in-memory storage with AsyncStorage's method shapes (every method returns a promise), and a
 * hook to make any call fail, throw or never answer: how the kv store is tested without a device.
 */
import type { KeyValueStorage } from '../../../worker/kv-storage.js';

export type StorageOperation = 'getItem' | 'setItem' | 'removeItem' | 'getAllKeys';
/** An Error rejects the call, 'hang' never settles it, a promise holds it until the promise settles. */
export type Fault = Error | 'hang' | Promise<unknown> | undefined;

export interface FakeAsyncStorage extends KeyValueStorage {
  readonly data: Map<string, string>;
  /** Called before each operation: see Fault. */
  fault: ((operation: StorageOperation, key: string | undefined) => Fault) | undefined;
  writes: number;
  getAllKeys(): Promise<string[]>;
}

export function createFakeAsyncStorage(initial?: Map<string, string>, options: { listKeys?: boolean } = {}): FakeAsyncStorage {
  const data = new Map(initial);
  const storage: FakeAsyncStorage = {
    data,
    fault: undefined,
    writes: 0,
    async getItem(key) {
      await gate('getItem', key);
      return data.get(key) ?? null;
    },
    async setItem(key, value) {
      await gate('setItem', key);
      storage.writes++;
      data.set(key, value);
    },
    async removeItem(key) {
      await gate('removeItem', key);
      storage.writes++;
      data.delete(key);
    },
    async getAllKeys() {
      await gate('getAllKeys', undefined);
      return [...data.keys()];
    },
  };
  async function gate(operation: StorageOperation, key: string | undefined): Promise<void> {
    const fault = storage.fault?.(operation, key);
    if (fault === 'hang') await new Promise(() => undefined);
    if (fault instanceof Promise) await fault;
    else if (fault) throw fault;
  }
  if (options.listKeys === false) {
    // Some storages cannot list keys: the store must stay correct without getAllKeys.
    const unlisted = {
      data,
      getItem: storage.getItem,
      setItem: storage.setItem,
      removeItem: storage.removeItem,
      get fault() {
        return storage.fault;
      },
      set fault(value) {
        storage.fault = value;
      },
      get writes() {
        return storage.writes;
      },
      set writes(value) {
        storage.writes = value;
      },
    };
    return unlisted as unknown as FakeAsyncStorage;
  }
  return storage;
}

/** A storage that "crashes" (every call fails from then on) after `allowedWrites` more writes. */
export function crashAfterWrites(storage: FakeAsyncStorage, allowedWrites: number): void {
  let left = allowedWrites;
  storage.fault = (operation) => {
    if (operation !== 'setItem' && operation !== 'removeItem') return left < 0 ? new Error('process killed') : undefined;
    if (left-- <= 0) {
      left = -1;
      return new Error('process killed');
    }
    return undefined;
  };
}
