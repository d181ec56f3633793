/**
 * The key-value port against AsyncStorage's own published types (a type-only import: nothing of
 * React Native is loaded). `npm run typecheck` fails if the port and the package drift apart.
 */
import type AsyncStorageDefault from '@react-native-async-storage/async-storage';
import type { AsyncStorage } from '@react-native-async-storage/async-storage';
import { describe, expectTypeOf, it } from 'vitest';
import { createKvStore, fromMmkv, type KeyValueStorage, type MmkvLike } from '../../../worker/kv-store.js';
import type { ProfileStore } from '../../../worker/types.js';

describe('KeyValueStorage', () => {
  it("accepts AsyncStorage's default export and its interface as they are", () => {
    expectTypeOf<typeof AsyncStorageDefault>().toExtend<KeyValueStorage>();
    expectTypeOf<AsyncStorage>().toExtend<KeyValueStorage>();
    expectTypeOf(createKvStore).toBeCallableWith(null as unknown as typeof AsyncStorageDefault);
    // The same check as an assignment, so tsc itself (not only vitest's typecheck mode) enforces it.
    const port: (storage: typeof AsyncStorageDefault) => ProfileStore = (storage) => createKvStore(storage);
    expectTypeOf(port).returns.toEqualTypeOf<ProfileStore>();
  });

  it('accepts a synchronous storage and rejects one without removeItem', () => {
    expectTypeOf<{ getItem(k: string): string | null; setItem(k: string, v: string): void; removeItem(k: string): void }>().toExtend<KeyValueStorage>();
    expectTypeOf<{ getItem(k: string): string | null; setItem(k: string, v: string): void }>().not.toExtend<KeyValueStorage>();
    // @ts-expect-error a storage that cannot remove keys cannot erase a profile
    const missing: KeyValueStorage = { getItem: () => null, setItem: () => undefined };
    void missing;
  });

  it("accepts react-native-mmkv's MMKV shape (v3 `delete`, v4 `remove`) through fromMmkv", () => {
    // react-native-mmkv is not installed here; these are the method signatures from its MMKV.d.ts.
    interface MmkvV3 {
      set(key: string, value: boolean | string | number | ArrayBuffer): void;
      getString(key: string): string | undefined;
      delete(key: string): void;
      getAllKeys(): string[];
    }
    interface MmkvV4 {
      set(key: string, value: boolean | string | number | ArrayBuffer): void;
      getString(key: string): string | undefined;
      remove(key: string): boolean;
      getAllKeys(): string[];
    }
    expectTypeOf<MmkvV3>().toExtend<MmkvLike>();
    expectTypeOf<MmkvV4>().toExtend<MmkvLike>();
    expectTypeOf(fromMmkv).returns.toEqualTypeOf<KeyValueStorage>();
  });
});
