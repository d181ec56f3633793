import type { ConsentState, CatalogItem, Priors } from '../../worker/types.js';
import type { KeyValueStorage } from '../../worker/kv-storage.js';
import type { InsituOptions } from '../types.js';
import type { AppStateLike } from './app-state.js';

/**
 * createInsitu's options on React Native: the web options without what needs a browser (worker,
 * auto-capture, GPC, a TCF CMP), plus the app's storage and AppState.
 */
export interface NativeInsituOptions
  extends Omit<InsituOptions, 'workerUrl' | 'inlineServiceUrl' | 'autoCapture' | 'consent' | 'globalPrivacyControl' | 'catalog' | 'priors'> {
  /** The app's AsyncStorage, or an MMKV instance wrapped with `fromMmkv` (worker/kv-storage.ts). */
  storage: KeyValueStorage;
  /** Namespace for insitu's keys in that storage (default `insitu:`); erase() removes everything under it. */
  storagePrefix?: string;
  /** React Native's `AppState`: queued events and state are written when the app leaves the foreground. */
  appState?: AppStateLike;
  /** The app asks for consent itself; there is no CMP to read on a device. */
  consent?: { kind: 'explicit'; initial?: Partial<ConsentState> };
  /** Items, or an absolute https URL to fetch them from. */
  catalog?: CatalogItem[] | string;
  priors?: Priors | string;
  /** Used for a catalog or priors URL and to send reports; default the global fetch. */
  fetch?: typeof fetch;
}
