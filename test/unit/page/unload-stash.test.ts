import { describe, expect, it } from 'vitest';
import { createUnloadStash, MAX_STASHED_EVENTS, STASH_KEY_PREFIX, UNCONFIRMED_WINDOW_MS, type StashStorage } from '../../../src/unload-stash.js';
import type { InsituEvent } from '../../../worker/types.js';

function memoryStorage(): StashStorage & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get length() {
      return data.size;
    },
    key: (i) => [...data.keys()][i] ?? null,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const view = (id: string, ts = 1_000): InsituEvent => ({ id, type: 'view', ts, itemId: `item-${id}`, page: '/p' });

describe('unload stash', () => {
  it('keeps the queue and recently sent batches, hands them to the next page once, oldest first', () => {
    const storage = memoryStorage();
    let now = 10_000;
    const leaving = createUnloadStash(storage, 'page-a', () => now);
    leaving.noteSent([view('old', 1)]);
    now += UNCONFIRMED_WINDOW_MS + 1;
    leaving.noteSent([view('sent', 3)]);
    leaving.save([view('queued', 2)]);
    const next = createUnloadStash(storage, 'page-b');
    // The batch sent long ago was written already: handing it over again would teach the model twice.
    expect(next.take().map((e) => e.id)).toEqual(['queued', 'sent']);
    expect(next.take()).toEqual([]);
    expect(storage.data.size).toBe(0);
  });

  it('batches the engine confirmed written (noteStored) are not handed over again; later ones still are', () => {
    const storage = memoryStorage();
    const leaving = createUnloadStash(storage, 'page-a', () => 10_000);
    leaving.noteSent([view('first')]);
    const mark = leaving.noteSent([view('second')]);
    leaving.noteSent([view('after-flush')]);
    leaving.noteStored(mark);
    leaving.save([view('queued')]);
    expect(createUnloadStash(storage, 'page-b').take().map((e) => e.id)).toEqual(['after-flush', 'queued']);
  });

  it('a page never takes its own stash back (it is still alive, its engine has those events)', () => {
    const storage = memoryStorage();
    const page = createUnloadStash(storage, 'a');
    page.save([view('mine')]);
    expect(page.take()).toEqual([]);
    expect(createUnloadStash(storage, 'b').take().map((e) => e.id)).toEqual(['mine']);
  });

  it('one key per page: two tabs closing together both keep their events; duplicates by id are merged', () => {
    const storage = memoryStorage();
    createUnloadStash(storage, 'a').save([view('1'), view('2')]);
    createUnloadStash(storage, 'b').save([view('2'), view('3')]);
    expect(createUnloadStash(storage, 'c').take().map((e) => e.id).sort()).toEqual(['1', '2', '3']);
  });

  it('clear() removes this page only; clearAll() every page', () => {
    const storage = memoryStorage();
    const a = createUnloadStash(storage, 'a');
    a.save([view('1')]);
    createUnloadStash(storage, 'b').save([view('2')]);
    storage.setItem('unrelated', 'kept');
    a.clear();
    expect([...storage.data.keys()].sort()).toEqual([`${STASH_KEY_PREFIX}b`, 'unrelated']);
    a.clearAll();
    expect([...storage.data.keys()]).toEqual(['unrelated']);
  });

  it('reads back through validation: tampered entries are dropped, never thrown, Object.prototype untouched', () => {
    const storage = memoryStorage();
    storage.setItem(`${STASH_KEY_PREFIX}x`, JSON.stringify([
      view('good'),
      { id: 'bad-type', type: 'NOT A TYPE', ts: 1 },
      { id: 'proto', type: 'view', ts: 1, props: JSON.parse('{"__proto__":{"polluted":true}}') },
      { id: 'extra', type: 'view', ts: 1, script: '<img onerror=alert(1)>' },
      { id: 42, type: 'view', ts: 1 },
      { id: 'nan', type: 'view', ts: 'soon' },
      null,
      'text',
    ]));
    storage.setItem(`${STASH_KEY_PREFIX}y`, '{not json');
    storage.setItem(`${STASH_KEY_PREFIX}z`, JSON.stringify({ not: 'an array' }));
    const taken = createUnloadStash(storage, 'reader').take();
    expect(taken.map((e) => e.id)).toEqual(['good']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(storage.data.size).toBe(0);
  });

  it(`bounds what it writes and reads at ${MAX_STASHED_EVENTS} events`, () => {
    const storage = memoryStorage();
    const many = Array.from({ length: MAX_STASHED_EVENTS + 10 }, (_, i) => view(`e${i}`, i));
    createUnloadStash(storage, 'a').save(many);
    const taken = createUnloadStash(storage, 'b').take();
    expect(taken).toHaveLength(MAX_STASHED_EVENTS);
    expect(taken.at(-1)!.id).toBe(`e${MAX_STASHED_EVENTS + 9}`);
  });

  it('storage that throws (blocked, full) never throws into the page', () => {
    const throwing: StashStorage = {
      get length(): number {
        throw new DOMException('blocked', 'SecurityError');
      },
      key: () => null,
      getItem: () => null,
      setItem: () => {
        throw new DOMException('full', 'QuotaExceededError');
      },
      removeItem: () => {
        throw new DOMException('blocked', 'SecurityError');
      },
    };
    const stash = createUnloadStash(throwing, 'a');
    expect(() => stash.save([view('1')])).not.toThrow();
    expect(() => stash.clear()).not.toThrow();
    expect(() => stash.clearAll()).not.toThrow();
    expect(stash.take()).toEqual([]);
    expect(() => stash.warm()).not.toThrow();
    expect(createUnloadStash(undefined, 'b').take()).toEqual([]);
  });

  it('warm() touches the storage once and changes nothing in it', () => {
    const storage = memoryStorage();
    storage.data.set('unrelated', 'x');
    let reads = 0;
    const counting: StashStorage = {
      get length() {
        reads++;
        return storage.data.size;
      },
      key: storage.key,
      getItem: storage.getItem,
      setItem: storage.setItem,
      removeItem: storage.removeItem,
    };
    createUnloadStash(counting, 'a').warm();
    expect(reads).toBe(1);
    expect([...storage.data]).toEqual([['unrelated', 'x']]);
  });
});
