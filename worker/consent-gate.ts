/**
 * The consent gate between the engine and storage. While `personalization` is pending everything
 * stays in memory and nothing is written; a grant opens the persistent store and flushes memory
 * into it; a denial erases the store and memory. A failing store degrades to memory (status says
 * so) and is retried with backoff: nothing accepted is dropped while memory has room.
 */
import { InsituError } from './errors.js';
import { createMemoryOutbox, type Outbox } from './report/outbox.js';
import type {
  Clock,
  ConsentValue,
  DecisionRecord,
  InsituEvent,
  ProfileStore,
  Scheduler,
  StateKey,
  StoreStatus,
  StoredData,
} from './types.js';

/** The state records read back when a store opens. */
const STATE_KEYS: readonly StateKey[] = ['profile', 'model', 'bandit', 'ledger', 'device', 'mutes', 'reporter', 'sent', 'signals'];

/** Events held in memory while pending or while storage is down; the oldest go first past this. Same as the stored bound: memory never holds more than storage would keep. */
export const MAX_UNSAVED_EVENTS = 5_000;
/** Decisions held likewise; the oldest go first past this. The stored log keeps no more (retention's MAX_STORED_DECISIONS). */
export const MAX_UNSAVED_DECISIONS = 1_000;
/**
 * Coalesce writes (1000 writes in one transaction cost ~45 ms, one per transaction ~0.25 ms
 * each), and make them when the engine is idle: IndexedDB serializes what is put on the worker's
 * own thread, and a decision asked for during a write waits behind it (that was the tail of
 * decide()). A write waits until nothing has changed for this long...
 */
export const WRITE_DELAY_MS = 50;
/** ...and at most this long after the first unwritten change, so a page busy without pause still has it stored within the unload stash's window (src/unload-stash.ts). */
export const MAX_WRITE_DELAY_MS = 500;
/** Back-off between attempts after a failed write or open. */
export const RETRY_DELAYS_MS = [1_000, 5_000, 30_000, 120_000] as const;
/**
 * Decisions per write transaction. A decision record carries every candidate with its score and
 * probability, and IndexedDB serializes what is put on the worker's own thread: a burst's worth
 * in one transaction blocked the worker for milliseconds, and a decision asked for meanwhile
 * waited (it was the tail of decide()). Between chunks, waiting calls are answered.
 */
export const DECISION_WRITE_CHUNK = 8;
/** Run retention every this many written events, so the log stays bounded without a pass per write. */
export const RETENTION_EVERY_EVENTS = 500;

export interface ConsentGateOptions {
  openStore?: () => Promise<ProfileStore>;
  scheduler: Scheduler;
  clock: Clock;
  /** Compact and trim the stored log (worker/retention.ts). */
  retain?: (store: ProfileStore, now: number) => Promise<void>;
  onError?: (error: InsituError) => void;
  /**
   * A store that failed to open at first opened on a retry and holds a profile. The engine must
   * restore it (and merge what this session learned) exactly as after a grant.
   */
  onLateLoad?: (profile: LoadedProfile) => void;
}

export interface LoadedProfile {
  state: Partial<Record<StateKey, unknown>>;
  storedEvents: number;
  /** Opening created the store (a first visit): `state` is empty because nothing was stored, not because it was not read. */
  created?: true;
}

/** The state records `keys` of `store`, together where the store can read them so. */
export async function readStates(store: ProfileStore, keys: readonly StateKey[]): Promise<LoadedProfile['state']> {
  const values = store.getStates ? await store.getStates(keys) : await Promise.all(keys.map((key) => store.getState(key)));
  const state: LoadedProfile['state'] = {};
  keys.forEach((key, i) => {
    if (values[i] !== undefined) state[key] = values[i];
  });
  return state;
}

export class ConsentGate {
  private consent: ConsentValue = 'pending';
  private store: ProfileStore | undefined;
  private storeStatus: StoreStatus = { mode: 'memory', health: 'ok' };
  private unsavedEvents: InsituEvent[] = [];
  private unsavedDecisions = new Map<string, DecisionRecord>();
  /** Decisions taken back after they may have been handed to the store: deleted after the next write's puts. */
  private withdrawnDecisions = new Set<string>();
  private unsavedState = new Map<StateKey, unknown>();
  private droppedEvents = 0;
  private readonly memoryOutbox = createMemoryOutbox();
  private writtenSinceRetention = 0;
  private storedEventCount = 0;
  private cancelWrite: (() => void) | undefined;
  /** When the scheduled idle write is due; undefined when none is, or the next write is a retry's. */
  private writeDue: number | undefined;
  /** When the first change not yet written was made. */
  private unwrittenSince: number | undefined;
  private writing: Promise<void> | undefined;
  private attempt = 0;
  /** Bumped by every consent change so a slow open or write from an older state is ignored. */
  private generation = 0;

  constructor(private readonly options: ConsentGateOptions) {}

  get status(): StoreStatus {
    return this.storeStatus;
  }
  get pendingEvents(): number {
    return this.unsavedEvents.length;
  }
  get storedEvents(): number {
    return this.storedEventCount;
  }
  get dropped(): number {
    return this.droppedEvents;
  }
  /** Events accepted and not yet written (pending consent, storage down, or just not flushed yet). */
  get unsaved(): readonly InsituEvent[] {
    return this.unsavedEvents;
  }

  /**
   * Apply a new `personalization` value. Resolves with the stored profile when a grant opened a
   * store that already held one (the engine restores from it), otherwise undefined.
   */
  async setPersonalization(value: ConsentValue): Promise<LoadedProfile | undefined> {
    if (value === this.consent && value !== 'granted') return undefined;
    if (value === this.consent && this.store) return undefined;
    this.consent = value;
    const generation = ++this.generation;
    this.cancelScheduledWrite();
    if (value === 'denied') {
      await this.eraseEverything();
      return undefined;
    }
    if (value === 'pending') {
      // Withdrawal to pending keeps what is stored but stops writing; memory keeps working.
      await this.closeStore();
      return undefined;
    }
    return this.openAndLoad(generation);
  }

  addEvents(events: InsituEvent[]): void {
    if (this.consent === 'denied' || events.length === 0) return;
    for (const event of events) this.unsavedEvents.push(event);
    const over = this.unsavedEvents.length - MAX_UNSAVED_EVENTS;
    if (over > 0) {
      this.unsavedEvents.splice(0, over);
      this.droppedEvents += over;
    }
    this.scheduleWrite(WRITE_DELAY_MS);
  }

  putDecision(record: DecisionRecord): void {
    if (this.consent === 'denied') return;
    this.unsavedDecisions.set(record.decisionId, record);
    // Bounded while nothing can be written (pending consent, memory mode, storage down): a page
    // that keeps deciding must not grow the worker's memory without end.
    if (this.unsavedDecisions.size > MAX_UNSAVED_DECISIONS) this.unsavedDecisions.delete(this.unsavedDecisions.keys().next().value!);
    this.scheduleWrite(WRITE_DELAY_MS);
  }

  /** Take a decision out of the log, whether it is still waiting or already stored. */
  dropDecision(decisionId: string): void {
    this.unsavedDecisions.delete(decisionId);
    if (!this.store) return;
    this.withdrawnDecisions.add(decisionId);
    this.scheduleWrite(WRITE_DELAY_MS);
  }

  putState(key: StateKey, value: unknown): void {
    if (this.consent === 'denied') return;
    this.unsavedState.set(key, value);
    this.scheduleWrite(WRITE_DELAY_MS);
  }

  /** Write everything unsaved now (no-op while pending or with storage down). */
  async flush(): Promise<void> {
    this.cancelScheduledWrite();
    while (this.writing) await this.writing;
    if (!this.store || this.consent !== 'granted') return;
    this.writing = this.writeUnsaved().finally(() => (this.writing = undefined));
    await this.writing;
  }

  /**
   * The report outbox: the store's while it is open, else memory (metrics may be granted while
   * personalization is not; the reports still need a place to wait for delivery).
   */
  outbox(): Outbox {
    return this.store && this.consent === 'granted' ? this.store : this.memoryOutbox;
  }

  /** A state record as stored now (another tab may have written it since this one loaded); undefined without an open store. */
  async storedState(key: StateKey): Promise<unknown> {
    if (!this.store || this.consent !== 'granted') return undefined;
    return this.store.getState(key);
  }

  /** Everything stored plus what is only in memory, for exportData(). */
  async exportAll(): Promise<{ stored: StoredData | undefined; memory: InsituEvent[] }> {
    let stored: StoredData | undefined;
    if (this.store) {
      try {
        stored = await this.store.exportAll();
      } catch (error) {
        this.report(error);
      }
    }
    return { stored, memory: [...this.unsavedEvents] };
  }

  /** forget(): erase storage and memory; consent stays as it is. */
  async forget(): Promise<void> {
    const keepConsent = this.consent;
    await this.eraseEverything();
    this.consent = keepConsent;
    if (keepConsent === 'granted') await this.openAndLoad(++this.generation);
  }

  async close(): Promise<void> {
    await this.flush().catch((error) => this.report(error));
    await this.closeStore();
  }

  // -------------------------------------------------------------------------------------------

  private async openAndLoad(generation: number): Promise<LoadedProfile | undefined> {
    if (!this.options.openStore) {
      this.storeStatus = { mode: 'memory', health: 'ok' };
      return undefined;
    }
    let store: ProfileStore;
    try {
      store = await this.options.openStore();
    } catch (error) {
      if (generation !== this.generation) return undefined;
      this.storeStatus = { mode: 'memory', health: 'unavailable', reason: codeOf(error, 'storage_unavailable') };
      this.report(error);
      this.scheduleReopen(generation);
      return undefined;
    }
    if (generation !== this.generation) {
      await store.close().catch(() => undefined);
      return undefined;
    }
    this.store = store;
    this.storeStatus = store.status;
    this.attempt = 0;
    if (store.created) {
      // Opening created the database: a first visit has nothing stored to read back.
      this.storedEventCount = 0;
      this.scheduleWrite(0);
      return { state: {}, storedEvents: 0, created: true };
    }
    try {
      // Only the small state records and a count: reading the whole event log here would make a
      // returning visitor's first decision wait on thousands of events it does not need.
      const [storedEvents, state] = await Promise.all([store.countEvents(), readStates(store, STATE_KEYS)]);
      this.storedEventCount = storedEvents;
      // State this session computed without the stored profile must not overwrite it: the engine
      // restores the stored state, merges this session's events into it, and puts the result.
      for (const key of Object.keys(state)) this.unsavedState.delete(key as StateKey);
      this.scheduleWrite(0);
      return { state, storedEvents };
    } catch (error) {
      this.report(error);
      this.storeStatus = { ...store.status, health: 'degraded', reason: codeOf(error, 'storage_unavailable') };
      this.scheduleWrite(0);
      return undefined;
    }
  }

  private scheduleReopen(generation: number): void {
    const delay = RETRY_DELAYS_MS[Math.min(this.attempt, RETRY_DELAYS_MS.length - 1)]!;
    if (this.attempt >= RETRY_DELAYS_MS.length) return;
    this.attempt++;
    this.options.scheduler.defer(() => {
      if (generation !== this.generation || this.store) return;
      void this.openAndLoad(generation).then((loaded) => {
        if (loaded && generation === this.generation) this.options.onLateLoad?.(loaded);
      });
    }, delay);
  }

  private scheduleWrite(delayMs: number): void {
    if (this.consent !== 'granted' || !this.store) return;
    // A failed write's back-off owns the next attempt.
    if (this.cancelWrite && this.writeDue === undefined) return;
    const now = this.options.clock.now();
    this.unwrittenSince ??= now;
    const due = Math.min(now + delayMs, this.unwrittenSince + MAX_WRITE_DELAY_MS);
    if (due === this.writeDue) return;
    this.cancelScheduledWrite();
    this.writeDue = due;
    this.cancelWrite = this.options.scheduler.defer(() => {
      this.cancelWrite = undefined;
      this.writeDue = undefined;
      void this.flush().catch((error) => this.report(error));
    }, due - now);
  }

  private cancelScheduledWrite(): void {
    this.cancelWrite?.();
    this.cancelWrite = undefined;
    this.writeDue = undefined;
  }

  private async writeUnsaved(): Promise<void> {
    const store = this.store;
    if (!store) return;
    const generation = this.generation;
    const events = this.unsavedEvents.slice();
    const decisions = [...this.unsavedDecisions.values()];
    const states = [...this.unsavedState.entries()];
    this.unwrittenSince = undefined;
    try {
      if (events.length) await store.putEvents(events);
      if (generation !== this.generation) return;
      // Remove exactly what was written: more may have arrived while the write was in flight.
      this.unsavedEvents.splice(0, events.length);
      this.storedEventCount += events.length;
      this.writtenSinceRetention += events.length;
      for (let from = 0; from < decisions.length; from += DECISION_WRITE_CHUNK) {
        const chunk = decisions.slice(from, from + DECISION_WRITE_CHUNK);
        await store.putDecisions(chunk);
        for (const d of chunk) if (this.unsavedDecisions.get(d.decisionId) === d) this.unsavedDecisions.delete(d.decisionId);
      }
      // After the puts: a decision withdrawn while its write was in flight is gone once this ends.
      const withdrawn = [...this.withdrawnDecisions];
      if (withdrawn.length) {
        await store.deleteDecisions(withdrawn);
        for (const id of withdrawn) this.withdrawnDecisions.delete(id);
      }
      for (const [key, value] of states) {
        await store.putState(key, value);
        if (this.unsavedState.get(key) === value) this.unsavedState.delete(key);
      }
      this.storeStatus = store.status;
      this.attempt = 0;
      if (this.options.retain && this.writtenSinceRetention >= RETENTION_EVERY_EVENTS) {
        this.writtenSinceRetention = 0;
        await this.options.retain(store, this.options.clock.now());
        this.storedEventCount = await store.countEvents();
      }
    } catch (error) {
      this.storeStatus = { ...store.status, health: 'degraded', reason: codeOf(error, 'storage_aborted') };
      this.report(error);
      const delay = RETRY_DELAYS_MS[Math.min(this.attempt++, RETRY_DELAYS_MS.length - 1)]!;
      this.cancelWrite = this.options.scheduler.defer(() => {
        this.cancelWrite = undefined;
        void this.flush().catch((e) => this.report(e));
      }, delay);
    }
  }

  private async eraseEverything(): Promise<void> {
    this.generation++;
    this.cancelScheduledWrite();
    this.unwrittenSince = undefined;
    this.unsavedEvents = [];
    this.unsavedDecisions.clear();
    this.withdrawnDecisions.clear();
    this.unsavedState.clear();
    this.storedEventCount = 0;
    this.writtenSinceRetention = 0;
    while (this.writing) await this.writing.catch(() => undefined);
    const open = this.store;
    this.store = undefined;
    try {
      // Erase what an earlier session stored even if this one never opened the store.
      const store = open ?? (this.options.openStore ? await this.options.openStore() : undefined);
      await store?.erase();
      this.storeStatus = { mode: 'memory', health: 'ok' };
    } catch (error) {
      this.storeStatus = { mode: 'memory', health: 'unavailable', reason: codeOf(error, 'storage_unavailable') };
      this.report(error);
    }
  }

  private async closeStore(): Promise<void> {
    const store = this.store;
    this.store = undefined;
    this.storeStatus = { mode: 'memory', health: 'ok' };
    await store?.close().catch((error) => this.report(error));
  }

  private report(error: unknown): void {
    const insituError = error instanceof InsituError ? error : new InsituError('storage_unavailable', String((error as Error)?.message ?? error));
    this.options.onError?.(insituError);
  }
}

function codeOf(error: unknown, fallback: InsituError['code']): string {
  return error instanceof InsituError ? error.code : fallback;
}
