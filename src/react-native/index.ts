/**
 * insitu/react-native: the same InsituClient as on the web, with the engine running inline on the
 * JS thread and the profile in the app's AsyncStorage or MMKV:
 *
 *   import AsyncStorage from '@react-native-async-storage/async-storage';
 *   import { AppState } from 'react-native';
 *   const insitu = createInsitu({ storage: AsyncStorage, appState: AppState, catalog });
 *
 *   // or MMKV:  createInsitu({ storage: fromMmkv(new MMKV({ id: 'insitu' })), appState: AppState, catalog })
 *
 * The hooks in insitu/react work unchanged over this client. tfjs runs on its cpu backend.
 */
import { createEngine } from '../../worker/index.js';
import type { InsituClient } from '../types.js';
import { createNativeClient } from './native-client.js';
import type { NativeInsituOptions } from './native-options.js';

export function createInsitu(options: NativeInsituOptions): InsituClient {
  return createNativeClient(options, createEngine);
}

export { fromMmkv, type KeyValueStorage, type MmkvLike } from '../../worker/kv-storage.js';
export type { AppStateLike } from './app-state.js';
export type { NativeInsituOptions } from './native-options.js';
export type { InsituClient, DecideOptions, ClientStatus, ConsentController } from '../types.js';
export { InsituError } from '../../worker/errors.js';
