/**
 * The event log of the IndexedDB store, kept as chunks (worker/idb-event-chunks.ts). A change
 * reads the chunks, plans, encodes the new chunks outside any transaction (compression is
 * asynchronous, and a transaction commits as soon as it waits on anything else), then commits in
 * one readwrite transaction that first checks that every chunk it replaces is still there. If
 * another tab changed them in between, nothing is written and the change is planned again.
 */
import { InsituError } from './errors.js';
import { compressedJsonBody, decodeJson, toJson } from './idb-blob-codec.js';
import {
  chunkHeader,
  chunkKey,
  isEventList,
  mergeChunks,
  planDelete,
  planPut,
  seqOfKey,
  type ChunkPlan,
  type EventChunk,
  type LoadedChunk,
} from './idb-event-chunks.js';
import type { InsituStoreName, InsituTransaction } from './idb-schema.js';
import type { InsituEvent } from './types.js';

/** How often a change is planned again when other tabs keep changing the chunks it replaces. */
const MAX_CONFLICTS = 8;

export type RunTransaction = <Mode extends IDBTransactionMode, T>(
  names: InsituStoreName[],
  mode: Mode,
  work: (tx: InsituTransaction<Mode>) => Promise<T>,
) => Promise<T>;

const noop = (): void => undefined;

function randomTag(): string {
  const words = new Uint32Array(2);
  globalThis.crypto.getRandomValues(words);
  return words[0]!.toString(36) + words[1]!.toString(36);
}

/** `limit` as getAll takes it: undefined for all, 0 for none (getAll reads 0 as "all"). */
export function countOf(limit: number | undefined): number | undefined {
  if (limit === undefined || limit === Infinity) return undefined;
  return limit > 0 ? Math.floor(limit) : 0;
}

export class IdbEventLog {
  /** Decoded events by chunk key. A key always names the same events, so entries never go stale; keys no longer stored are pruned on read. */
  private readonly decoded = new Map<string, InsituEvent[]>();

  constructor(private readonly run: RunTransaction) {}

  async put(events: readonly InsituEvent[]): Promise<void> {
    if (events.length === 0) return;
    await this.change((chunks) => planPut(chunks, events));
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const set = new Set(ids);
    await this.change((chunks) => planDelete(chunks, set));
  }

  /** Oldest first, `sinceTs` inclusive, the oldest `limit`; copies, so callers cannot change the cache. */
  async get(query: { sinceTs?: number; limit?: number } = {}): Promise<InsituEvent[]> {
    const limit = countOf(query.limit);
    if (limit === 0) return [];
    const { sinceTs } = query;
    if (sinceTs !== undefined && typeof sinceTs !== 'number') throw new InsituError('invalid_argument', 'sinceTs must be a number');
    const [keys, records] = await this.readRecords();
    // A chunk that ends before `sinceTs` is not even decoded: retention reads only the newest part.
    const chunks = await this.decode(keys, records, (record) => sinceTs === undefined || record.last >= sinceTs);
    let events = mergeChunks(chunks);
    if (sinceTs !== undefined) events = events.filter((event) => event.ts >= sinceTs);
    return structuredClone(limit === undefined ? events : events.slice(0, limit));
  }

  /** From the headers alone: no chunk is decoded. */
  async count(): Promise<number> {
    const [, records] = await this.readRecords();
    // A tampered header counts as empty rather than making the count NaN.
    return records.reduce((sum, record) => sum + (Number.isSafeInteger(record?.count) ? record.count : 0), 0);
  }

  /** Every event in records read by a caller's transaction (the export's snapshot). */
  async eventsOf(keys: string[], records: EventChunk[]): Promise<InsituEvent[]> {
    return structuredClone(mergeChunks(await this.decode(keys, records, () => true)));
  }

  /** The database was erased: nothing cached may outlive it. */
  forget(): void {
    this.decoded.clear();
  }

  private readRecords(): Promise<[string[], EventChunk[]]> {
    return this.run(['eventChunks'], 'readonly', (tx) => {
      const store = tx.objectStore('eventChunks');
      return Promise.all([store.getAllKeys(), store.getAll()]);
    });
  }

  private async decode(keys: string[], records: EventChunk[], wanted: (record: EventChunk) => boolean): Promise<LoadedChunk[]> {
    const present = new Set(keys);
    for (const key of this.decoded.keys()) if (!present.has(key)) this.decoded.delete(key);
    const chunks: LoadedChunk[] = [];
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const record = records[i]!;
      if (!wanted(record)) continue;
      let events = this.decoded.get(key);
      if (!events) {
        const value = await decodeJson(record);
        if (!isEventList(value)) throw new InsituError('storage_unavailable', `IndexedDB: event chunk ${key} is not a list of events`);
        events = value;
        this.decoded.set(key, events);
      }
      chunks.push({ key, seq: record.seq, events });
    }
    return chunks;
  }

  private async change(plan: (chunks: LoadedChunk[]) => ChunkPlan): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const [keys, records] = await this.readRecords();
      const change = plan(await this.decode(keys, records, () => true));
      if (change.remove.length === 0 && change.add.length === 0) return;
      const encoded = await Promise.all(
        change.add.map(async ({ seq, events }) => {
          const text = toJson(events);
          return { seq, text, header: chunkHeader(events), ...(await compressedJsonBody(text)) };
        }),
      );
      const written = await this.run(['eventChunks'], 'readwrite', async (tx) => {
        const store = tx.objectStore('eventChunks');
        const current = await store.getAllKeys();
        const stored = new Set(current);
        if (change.remove.some((key) => !stored.has(key))) return undefined;
        // Keys sort by seq, so the last one holds the highest.
        let next = current.length ? seqOfKey(current[current.length - 1]!) + 1 : 1;
        const keysWritten: Array<[string, string]> = [];
        for (const chunk of encoded) {
          const seq = chunk.seq ?? next++;
          const key = chunkKey(seq, randomTag());
          const record: EventChunk = { seq, ...chunk.header, encoding: chunk.encoding, body: chunk.body };
          store.put(record, key).catch(noop);
          keysWritten.push([key, chunk.text]);
        }
        for (const key of change.remove) store.delete(key).catch(noop);
        return keysWritten;
      });
      if (written) {
        for (const [key, text] of written) this.decoded.set(key, JSON.parse(text) as InsituEvent[]);
        return;
      }
      if (attempt >= MAX_CONFLICTS) throw new InsituError('storage_aborted', 'IndexedDB: other tabs kept changing the event log under this write');
    }
  }
}
