/**
 * The event log as chunks: one IndexedDB record holds up to CHUNK_EVENTS events as one encoded
 * Blob (worker/idb-blob-codec.ts), with a small header that says which timestamps it spans. The
 * planning here is pure: given the chunks as they are and a change, which chunk keys go and which
 * chunks come. worker/idb-event-log.ts reads, plans and commits.
 *
 * Invariants the plans keep: an event id is in at most one chunk; a chunk's events are sorted by
 * (ts, id) and its header's `first`/`last`/`count` describe them. Chunks are never changed in
 * place: a change writes new chunks under new keys and deletes the old keys, so a key names
 * the same events for as long as it exists (what makes the decoded-chunk cache safe).
 */
import type { InsituEvent } from './types.js';
import type { BodyEncoding } from './idb-blob-codec.js';

/**
 * Events per chunk. Equal to RETENTION_EVERY_EVENTS in consent-gate.ts, so a retention pass
 * usually drops whole chunks (a key deletion) instead of rewriting one; 5000 stored events are
 * ten chunks, and one compressed chunk is 4–5 KB.
 */
export const CHUNK_EVENTS = 500;

/**
 * Chunks smaller than CHUNK_EVENTS allowed before a write folds them into full ones. Pages flush
 * a few events at a time; without folding, each flush would leave a tiny chunk behind.
 */
export const SMALL_CHUNKS_BEFORE_FOLD = 8;

/** The stored record. */
export interface EventChunk {
  /** Write order: where two chunks hold the same id (only after a crash between tabs), the higher seq wins. */
  seq: number;
  first: number;
  last: number;
  count: number;
  encoding: BodyEncoding;
  body: Blob;
}

/** A stored chunk with its events decoded. */
export interface LoadedChunk {
  key: string;
  seq: number;
  events: InsituEvent[];
}

/** What a change does: delete these keys, write these chunks (seq undefined: a new, highest seq). */
export interface ChunkPlan {
  remove: string[];
  add: Array<{ seq?: number; events: InsituEvent[] }>;
}

const SEQ_DIGITS = 10;

/** Keys sort by seq; the random tag makes a key unique even after the database is deleted and seq restarts. */
export function chunkKey(seq: number, tag: string): string {
  return `${seq.toString(36).padStart(SEQ_DIGITS, '0')}.${tag}`;
}

export function seqOfKey(key: string): number {
  const seq = parseInt(key.slice(0, SEQ_DIGITS), 36);
  return Number.isSafeInteger(seq) ? seq : 0;
}

export function byTsThenId(a: InsituEvent, b: InsituEvent): number {
  return a.ts - b.ts || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Split events (sorted here) into chunk-sized pieces. */
export function pieces(events: InsituEvent[], seq?: number): ChunkPlan['add'] {
  const sorted = [...events].sort(byTsThenId);
  const add: ChunkPlan['add'] = [];
  for (let start = 0; start < sorted.length; start += CHUNK_EVENTS) {
    add.push({ ...(seq !== undefined ? { seq } : {}), events: sorted.slice(start, start + CHUNK_EVENTS) });
  }
  return add;
}

/** Every stored event once (the newest copy of an id), in (ts, id) order. */
export function mergeChunks(chunks: readonly LoadedChunk[]): InsituEvent[] {
  const byId = new Map<string, InsituEvent>();
  for (const chunk of [...chunks].sort((a, b) => a.seq - b.seq)) for (const event of chunk.events) byId.set(event.id, event);
  return [...byId.values()].sort(byTsThenId);
}

/**
 * Store `events` (last write wins by id): a chunk holding one of their ids is rewritten without
 * it; small chunks are folded in with the new events once there are SMALL_CHUNKS_BEFORE_FOLD.
 */
export function planPut(chunks: readonly LoadedChunk[], events: readonly InsituEvent[]): ChunkPlan {
  const incoming = new Map<string, InsituEvent>();
  for (const event of events) incoming.set(event.id, event);
  const plan: ChunkPlan = { remove: [], add: [] };
  const kept: LoadedChunk[] = [];
  for (const chunk of chunks) {
    if (!chunk.events.some((event) => incoming.has(event.id))) {
      kept.push(chunk);
      continue;
    }
    plan.remove.push(chunk.key);
    const rest = chunk.events.filter((event) => !incoming.has(event.id));
    if (rest.length) kept.push({ key: '', seq: chunk.seq, events: rest });
  }
  const small = kept.filter((chunk) => chunk.events.length < CHUNK_EVENTS);
  const fold = small.length >= SMALL_CHUNKS_BEFORE_FOLD ? new Set(small) : new Set<LoadedChunk>();
  const folded: InsituEvent[] = [];
  for (const chunk of kept) {
    if (fold.has(chunk)) {
      if (chunk.key) plan.remove.push(chunk.key);
      folded.push(...chunk.events);
    } else if (!chunk.key) {
      plan.add.push(...pieces(chunk.events, chunk.seq));
    }
  }
  plan.add.push(...pieces([...folded, ...incoming.values()]));
  return plan;
}

/** Delete `ids`: each chunk holding one is rewritten without them (or dropped when nothing is left). */
export function planDelete(chunks: readonly LoadedChunk[], ids: ReadonlySet<string>): ChunkPlan {
  const plan: ChunkPlan = { remove: [], add: [] };
  for (const chunk of chunks) {
    if (!chunk.events.some((event) => ids.has(event.id))) continue;
    plan.remove.push(chunk.key);
    const rest = chunk.events.filter((event) => !ids.has(event.id));
    if (rest.length) plan.add.push(...pieces(rest, chunk.seq));
  }
  return plan;
}

/** The header of a chunk of (sorted) events. */
export function chunkHeader(events: readonly InsituEvent[]): Pick<EventChunk, 'first' | 'last' | 'count'> {
  return { first: events[0]?.ts ?? 0, last: events.at(-1)?.ts ?? 0, count: events.length };
}

/** Records read back are checked: storage is outside the engine's trust boundary. */
export function isEventList(value: unknown): value is InsituEvent[] {
  return Array.isArray(value) && value.every((e) => typeof e === 'object' && e !== null && typeof (e as InsituEvent).id === 'string' && typeof (e as InsituEvent).ts === 'number');
}
