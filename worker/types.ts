/**
 * The domain types every part of insitu shares: events, consent, catalog, priors, decisions,
 * and the ports through which the platform reaches the engine. The engine imports no platform
 * global; a worker, React Native and Node tests each hand it a different set of ports.
 */

// ---------------------------------------------------------------------------------------------
// Events

export const BUILTIN_EVENT_TYPES = ['view', 'impression', 'click', 'dwell', 'scroll', 'convert'] as const;
export type BuiltinEventType = (typeof BUILTIN_EVENT_TYPES)[number];
/** A built-in type or a custom name matching `[a-z0-9_.-]{1,64}`. */
export type EventType = BuiltinEventType | (string & {});

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type EventProps = Record<string, JsonValue>;

/** What the page passes to `track()` besides the type. */
export interface TrackInput {
  itemId?: string;
  placement?: string;
  decisionId?: string;
  /** For `dwell`: milliseconds; for `scroll`: depth 0..1; for `convert`: a reward value. */
  value?: number;
  props?: EventProps;
}

/** An event as stored on the device: validated, with an id and a device timestamp. */
export interface InsituEvent extends TrackInput {
  id: string;
  type: EventType;
  /** Milliseconds since the epoch, from the device clock. */
  ts: number;
  /** Page path (no query, no fragment) the event came from, when captured in a page. */
  page?: string;
}

// ---------------------------------------------------------------------------------------------
// Consent

export const PURPOSES = ['personalization', 'metrics', 'sensitive'] as const;
export type Purpose = (typeof PURPOSES)[number];
export type ConsentValue = 'granted' | 'denied' | 'pending';
export type ConsentState = Record<Purpose, ConsentValue>;

export const PENDING_CONSENT: ConsentState = Object.freeze({
  personalization: 'pending',
  metrics: 'pending',
  sensitive: 'pending',
}) as ConsentState;

// ---------------------------------------------------------------------------------------------
// Catalog and priors

export interface CatalogItem {
  id: string;
  title?: string;
  tags?: string[];
  text?: string;
  embedding?: number[];
  /** A sensitive category (health, finance, ...). Such items need the `sensitive` purpose. */
  sensitive?: string;
}

/**
 * Catalog-level knowledge a site ships: aggregates only, never a user's data.
 * `popularity[id]` is a non-negative weight; `neighbours[id]` lists `[otherId, weight]`, best first.
 */
export interface Priors {
  version: 1;
  popularity: Record<string, number>;
  neighbours: Record<string, Array<[string, number]>>;
}

// ---------------------------------------------------------------------------------------------
// Decisions

/** `pinned`: a site rule chose the item (logged apart so evaluation of the learned policy stays unbiased). */
export type DecisionPolicy = 'personalized' | 'holdout' | 'fallback' | 'default' | 'pinned';

export interface DecideRequest {
  placement: string;
  candidates: string[];
  /** Extra numeric context features (hour, device class, ...). Never sent home. */
  context?: Record<string, number>;
}

export interface RankedItem {
  itemId: string;
  score: number;
}

export interface Decision {
  decisionId: string;
  placement: string;
  itemId: string;
  /** Exact probability that the policy which chose would choose this item, given these candidates. */
  propensity: number;
  exploring: boolean;
  policy: DecisionPolicy;
  /** Plain-language reasons a person can read. */
  reasons: string[];
  ts: number;
}

/** A decision as logged on the device, with what off-policy evaluation needs. */
export interface DecisionRecord extends Decision {
  candidates: string[];
  scores: number[];
  /** Probability of each candidate under the policy, in `candidates` order; sums to 1. */
  probabilities: number[];
  reward?: number;
  rewardedAt?: number;
}

// ---------------------------------------------------------------------------------------------
// Ports: how the platform reaches the engine

export interface Clock {
  now(): number;
}

/** A seeded source of uniform numbers in [0, 1). */
export interface RandomSource {
  next(): number;
}

/** Where the engine runs deferred work (writes, training). Timers belong to the platform. */
export interface Scheduler {
  /** Run `task` soon, off the caller's stack; returns a cancel function. */
  defer(task: () => void, delayMs?: number): () => void;
  /**
   * Run `task` when the thread has nothing more urgent to do (messages, storage answers, timers
   * come first); returns a cancel function. Optional: without it, `defer` is used.
   */
  whenIdle?(task: () => void): () => void;
}

export type StorageMode = 'indexeddb' | 'kv' | 'memory';
export type StorageHealth = 'ok' | 'degraded' | 'unavailable';

export interface StoreStatus {
  mode: StorageMode;
  health: StorageHealth;
  /** Why the store is degraded or unavailable, as an error code, when it is. */
  reason?: string;
}

/** Keys of the small state records the engine keeps beside the event log. */
export type StateKey = 'profile' | 'model' | 'bandit' | 'ledger' | 'device' | 'mutes' | 'reporter' | 'sent' | 'signals';

/** Everything stored, as a person can read it (the shape of `exportData()`). */
export interface StoredData {
  schemaVersion: number;
  events: InsituEvent[];
  decisions: DecisionRecord[];
  outbox: OutboxEntry[];
  state: Partial<Record<StateKey, unknown>>;
}

export interface OutboxEntry {
  id: string;
  createdAt: number;
  attempts: number;
  nextAttemptAt: number;
  body: unknown;
}

/**
 * The storage port. IndexedDB (worker/idb-store.ts), a key-value store for React Native
 * (worker/kv-store.ts) and memory (worker/memory-store.ts) implement it and pass one conformance
 * suite. Every method settles: a failing backend rejects with an InsituError, never hangs.
 */
export interface ProfileStore {
  readonly status: StoreStatus;
  /**
   * True when opening this store created it: a first visit, with nothing stored to read back.
   * Optional: a store that cannot tell leaves it undefined and is read as usual.
   */
  readonly created?: boolean;
  /** Idempotent by event id: writing an id twice keeps one copy. */
  putEvents(events: InsituEvent[]): Promise<void>;
  /** Events in timestamp order, oldest first. */
  getEvents(query?: { sinceTs?: number; limit?: number }): Promise<InsituEvent[]>;
  countEvents(): Promise<number>;
  /** Delete the given event ids (used by retention after compaction). */
  deleteEvents(ids: string[]): Promise<void>;
  putDecisions(records: DecisionRecord[]): Promise<void>;
  /** Decisions oldest first (equal timestamps in id order). */
  getDecisions(query?: { limit?: number }): Promise<DecisionRecord[]>;
  countDecisions(): Promise<number>;
  deleteDecisions(ids: string[]): Promise<void>;
  getState<T>(key: StateKey): Promise<T | undefined>;
  /**
   * Several state records at once, in the order of `keys` (undefined where absent). Optional: a
   * backend that can read them together (IndexedDB: one transaction) has it; otherwise callers
   * read them one by one.
   */
  getStates?(keys: readonly StateKey[]): Promise<unknown[]>;
  putState(key: StateKey, value: unknown): Promise<void>;
  putOutbox(entries: OutboxEntry[]): Promise<void>;
  getOutbox(): Promise<OutboxEntry[]>;
  deleteOutbox(ids: string[]): Promise<void>;
  exportAll(): Promise<StoredData>;
  /** Erase everything this store holds (the database is deleted where the backend allows). */
  erase(): Promise<void>;
  close(): Promise<void>;
}
