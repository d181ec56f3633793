/**
 * A log of records kept in a key-value storage as chunks of at most `chunkSize` records, plus
 * one index key that lists the chunks. The index is the commit point:
 *
 *   1. every changed chunk is written under a NEW key (copy on write, never in place);
 *   2. the index is written, naming the new chunk keys and the replaced ones ("retired");
 *   3. the retired keys are removed.
 *
 * A crash before 2 leaves the old index, which names only old, untouched chunks: the write is
 * lost whole, never half applied. A crash after 2 leaves the new log plus dead keys, which the
 * next open removes (retired keys from the index; strays found through getAllKeys). A reader
 * trusts only chunks the index names.
 */
import type { KvIo } from './kv-storage.js';

interface ChunkIndex {
  /** Next chunk number: chunk keys are never reused while their index entry may still be read. */
  seq: number;
  chunks: string[];
  /** Keys replaced by the last commit, removed after it (again on open, should a crash interrupt). */
  retired: string[];
}

export interface ChunkLogOptions<T> {
  /** Key of the index, e.g. `events`; chunks live under `${name}.${seq}`. */
  name: string;
  chunkSize: number;
  idOf(record: T): string;
  /** Records read back are checked: storage is outside the engine's trust boundary. */
  isRecord(value: unknown): value is T;
}

export interface ChunkLogChange<T> {
  /** Records to add; a record whose id is present replaces it when `replace`, else is ignored. */
  upsert?: readonly T[];
  replace?: boolean;
  remove?: ReadonlySet<string>;
}

export class ChunkLog<T> {
  private index: ChunkIndex = { seq: 0, chunks: [], retired: [] };
  private contents = new Map<string, T[]>();
  private byId = new Map<string, T>();

  constructor(
    private readonly io: KvIo,
    private readonly options: ChunkLogOptions<T>,
  ) {}

  get size(): number {
    return this.byId.size;
  }
  has(id: string): boolean {
    return this.byId.has(id);
  }
  get(id: string): T | undefined {
    return this.byId.get(id);
  }
  /** Records in the order they were first written. */
  records(): T[] {
    return [...this.byId.values()];
  }
  /** Every key this log owns right now, including retired ones not yet removed. */
  keys(): string[] {
    return [this.options.name, ...this.index.chunks, ...this.index.retired];
  }
  ownsKey(key: string): boolean {
    return key === this.options.name || key.startsWith(`${this.options.name}.`);
  }

  /** The keys a stored log occupies, read from its index alone (for erasing a log that cannot be loaded). */
  static async storedKeys(io: KvIo, name: string): Promise<string[]> {
    const index = parseIndex(await io.get(name));
    return [...index.chunks, ...index.retired, name];
  }

  async load(): Promise<void> {
    const raw = await this.io.get(this.options.name);
    this.index = parseIndex(raw);
    this.contents.clear();
    for (const key of this.index.chunks) {
      const chunk = parseChunk(await this.io.get(key), this.options.isRecord);
      this.contents.set(key, chunk);
    }
    this.rebuild();
    // Left by a crash after a commit; if removing fails now, the next open tries again.
    for (const key of this.index.retired) await this.io.remove(key).catch(() => undefined);
  }

  /** Apply a change as one commit. Memory follows storage only once the index is written. */
  async apply(change: ChunkLogChange<T>): Promise<void> {
    const { idOf, chunkSize } = this.options;
    const remove = change.remove ?? new Set<string>();
    const incoming = new Map<string, T>();
    for (const record of change.upsert ?? []) {
      const id = idOf(record);
      if (remove.has(id) || (!change.replace && this.byId.has(id))) continue;
      incoming.set(id, record);
    }
    if (incoming.size === 0 && ![...remove].some((id) => this.byId.has(id))) return;

    // Each chunk is kept as is, or rebuilt (new key) when a record in it is removed or replaced.
    type Planned = { key: string } | { records: T[] };
    const plan: Planned[] = [];
    const retired: string[] = [];
    for (const key of this.index.chunks) {
      const records = this.contents.get(key) ?? [];
      let changed = false;
      const next: T[] = [];
      for (const record of records) {
        const id = idOf(record);
        if (remove.has(id)) {
          changed = true;
        } else if (incoming.has(id)) {
          next.push(incoming.get(id)!);
          incoming.delete(id);
          changed = true;
        } else {
          next.push(record);
        }
      }
      if (!changed) plan.push({ key });
      else {
        retired.push(key);
        if (next.length) plan.push({ records: next });
      }
    }
    // New records go into the last chunk while it has room, then into fresh chunks.
    if (incoming.size) {
      const last = plan.at(-1);
      const tail = last ? ('key' in last ? (this.contents.get(last.key) ?? []) : last.records) : [];
      if (last && tail.length < chunkSize) {
        if ('key' in last) retired.push(last.key);
        plan[plan.length - 1] = { records: [...tail, ...incoming.values()] };
      } else {
        plan.push({ records: [...incoming.values()] });
      }
    }
    const chunks = mergeSmallNeighbours(plan, chunkSize);

    const nextIndex: ChunkIndex = { seq: this.index.seq, chunks: [], retired };
    const written = new Map<string, T[]>();
    for (const part of chunks) {
      if ('key' in part) {
        nextIndex.chunks.push(part.key);
        continue;
      }
      for (let start = 0; start < part.records.length; start += chunkSize) {
        const key = `${this.options.name}.${nextIndex.seq++}`;
        const records = part.records.slice(start, start + chunkSize);
        await this.io.set(key, JSON.stringify(records));
        written.set(key, records);
        nextIndex.chunks.push(key);
      }
    }
    await this.io.set(this.options.name, JSON.stringify(nextIndex));

    this.index = nextIndex;
    for (const key of retired) this.contents.delete(key);
    for (const [key, records] of written) this.contents.set(key, records);
    this.rebuild();
    // Best effort: a key left here is listed as retired and removed on the next open.
    for (const key of retired) await this.io.remove(key).catch(() => undefined);
  }

  private rebuild(): void {
    this.byId.clear();
    for (const key of this.index.chunks) {
      for (const record of this.contents.get(key) ?? []) {
        const id = this.options.idOf(record);
        if (!this.byId.has(id)) this.byId.set(id, record);
      }
    }
  }
}

/** Consecutive rebuilt chunks are packed together, so deletions do not leave a trail of tiny keys. */
function mergeSmallNeighbours<T>(plan: Array<{ key: string } | { records: T[] }>, chunkSize: number): Array<{ key: string } | { records: T[] }> {
  const merged: Array<{ key: string } | { records: T[] }> = [];
  for (const part of plan) {
    const previous = merged.at(-1);
    if (previous && 'records' in previous && 'records' in part && previous.records.length + part.records.length <= chunkSize) {
      previous.records = [...previous.records, ...part.records];
    } else {
      merged.push('records' in part ? { records: [...part.records] } : part);
    }
  }
  return merged;
}

function parseIndex(raw: string | null): ChunkIndex {
  if (raw === null) return { seq: 0, chunks: [], retired: [] };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { seq: 0, chunks: [], retired: [] };
  }
  const index = value as Partial<ChunkIndex>;
  const strings = (list: unknown): string[] => (Array.isArray(list) ? list.filter((k): k is string => typeof k === 'string') : []);
  const chunks = strings(index.chunks);
  const retired = strings(index.retired);
  // A new chunk key must never name a live chunk, even if a damaged index understates `seq`.
  const highest = [...chunks, ...retired].reduce((max, key) => {
    const n = Number(key.slice(key.lastIndexOf('.') + 1));
    return Number.isSafeInteger(n) ? Math.max(max, n) : max;
  }, -1);
  const seq = typeof index.seq === 'number' && Number.isSafeInteger(index.seq) && index.seq >= 0 ? index.seq : 0;
  return { seq: Math.max(seq, highest + 1), chunks, retired };
}

function parseChunk<T>(raw: string | null, isRecord: (value: unknown) => value is T): T[] {
  if (raw === null) return [];
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value) ? value.filter(isRecord) : [];
  } catch {
    return [];
  }
}
