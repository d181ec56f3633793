/**
 * A ProfileStore held in memory: for tests, for pages where no persistent store can open, and
 * as the reference the other stores are checked against (test/unit/store/conformance.ts).
 * Values are copied in and out, so a caller mutating what it passed or got back never changes
 * what is stored, exactly as with IndexedDB's structured clone.
 */
import { InsituError } from './errors.js';
import { SCHEMA_VERSION } from './idb-schema.js';
import type { DecisionRecord, InsituEvent, OutboxEntry, ProfileStore, StateKey, StoreStatus, StoredData } from './types.js';

/** A deep copy, as a persistent store would make it. Hermes (React Native) lacks structuredClone. */
export function copyOf<T>(value: T): T {
  try {
    if (typeof structuredClone === 'function') return structuredClone(value);
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
  } catch (error) {
    throw new InsituError('invalid_argument', `value cannot be stored: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** Oldest first; equal timestamps in key order, as an IndexedDB index on ts orders them. */
export function byTsThenKey<T extends { ts: number }>(key: (value: T) => string): (a: T, b: T) => number {
  return (a, b) => a.ts - b.ts || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
}

/** `limit` as every store reads it: absent means all, anything not positive means none. */
export function takeLimit<T>(values: T[], limit: number | undefined): T[] {
  if (limit === undefined) return values;
  return limit > 0 ? values.slice(0, Math.floor(limit)) : [];
}

const eventOrder = byTsThenKey<InsituEvent>((e) => e.id);
const decisionOrder = byTsThenKey<DecisionRecord>((d) => d.decisionId);

export function createMemoryStore(): ProfileStore {
  const events = new Map<string, InsituEvent>();
  const decisions = new Map<string, DecisionRecord>();
  const state = new Map<StateKey, unknown>();
  const outbox = new Map<string, OutboxEntry>();
  const status: StoreStatus = Object.freeze({ mode: 'memory', health: 'ok' });
  let closed = false;

  function ensureOpen(): void {
    if (closed) throw new InsituError('storage_unavailable', 'the memory store was closed');
  }

  /** Copy every value before storing any, so a batch with one bad value stores nothing. */
  function putAll<T>(target: Map<string, T>, values: T[], key: (value: T) => string): void {
    ensureOpen();
    const copies = values.map((value) => copyOf(value));
    for (const copy of copies) target.set(key(copy), copy);
  }

  function sortedEvents(): InsituEvent[] {
    return [...events.values()].sort(eventOrder);
  }
  function sortedDecisions(): DecisionRecord[] {
    return [...decisions.values()].sort(decisionOrder);
  }

  return {
    get status() {
      return status;
    },
    async putEvents(list) {
      putAll(events, list, (e) => e.id);
    },
    async getEvents(query = {}) {
      ensureOpen();
      const since = query.sinceTs;
      const matching = sortedEvents().filter((e) => since === undefined || e.ts >= since);
      return copyOf(takeLimit(matching, query.limit));
    },
    async countEvents() {
      ensureOpen();
      return events.size;
    },
    async deleteEvents(ids) {
      ensureOpen();
      for (const id of ids) events.delete(id);
    },
    async putDecisions(records) {
      putAll(decisions, records, (d) => d.decisionId);
    },
    async getDecisions(query = {}) {
      ensureOpen();
      return copyOf(takeLimit(sortedDecisions(), query.limit));
    },
    async countDecisions() {
      ensureOpen();
      return decisions.size;
    },
    async deleteDecisions(ids) {
      ensureOpen();
      for (const id of ids) decisions.delete(id);
    },
    async getState<T>(key: StateKey) {
      ensureOpen();
      return copyOf(state.get(key)) as T | undefined;
    },
    async putState(key, value) {
      ensureOpen();
      state.set(key, copyOf(value));
    },
    async putOutbox(entries) {
      putAll(outbox, entries, (e) => e.id);
    },
    async getOutbox() {
      ensureOpen();
      return copyOf([...outbox.values()]);
    },
    async deleteOutbox(ids) {
      ensureOpen();
      for (const id of ids) outbox.delete(id);
    },
    async exportAll(): Promise<StoredData> {
      ensureOpen();
      return copyOf({
        schemaVersion: SCHEMA_VERSION,
        events: sortedEvents(),
        decisions: sortedDecisions(),
        outbox: [...outbox.values()],
        state: Object.fromEntries(state) as StoredData['state'],
      });
    },
    async erase() {
      events.clear();
      decisions.clear();
      state.clear();
      outbox.clear();
    },
    async close() {
      closed = true;
    },
  };
}
