/**
 * The chunk plans of the IndexedDB event log (pure): ids stay unique, chunks stay sorted and
 * bounded, small chunks are folded, and deletions drop or rewrite exactly the chunks involved.
 */
import { describe, expect, it } from 'vitest';
import { CHUNK_EVENTS, SMALL_CHUNKS_BEFORE_FOLD, mergeChunks, planDelete, planPut, type LoadedChunk } from '../../../worker/idb-event-chunks.js';
import type { InsituEvent } from '../../../worker/types.js';
import { event } from './conformance.js';

function chunk(key: string, seq: number, events: InsituEvent[]): LoadedChunk {
  return { key, seq, events };
}

const range = (from: number, count: number, prefix = 'e'): InsituEvent[] => Array.from({ length: count }, (_, i) => event(`${prefix}${from + i}`, from + i));

describe('planPut', () => {
  it('adds new events as one new chunk and leaves the stored chunks alone', () => {
    const stored = [chunk('k1', 1, range(0, CHUNK_EVENTS))];
    expect(planPut(stored, [event('n1', 9_000), event('n0', 8_000)])).toEqual({ remove: [], add: [{ events: [event('n0', 8_000), event('n1', 9_000)] }] });
  });

  it('splits a large batch into sorted pieces of CHUNK_EVENTS', () => {
    const batch = range(0, 2 * CHUNK_EVENTS + 1).reverse();
    const plan = planPut([], batch);
    expect(plan.add.map((piece) => piece.events.length)).toEqual([CHUNK_EVENTS, CHUNK_EVENTS, 1]);
    expect(plan.add.flatMap((piece) => piece.events)).toEqual([...batch].reverse());
  });

  it('last write wins: a stored copy of an id is removed from its chunk, which keeps its seq', () => {
    const stored = [chunk('k1', 1, [event('a', 1), event('b', 2)]), chunk('k2', 2, [event('c', 3)])];
    const plan = planPut(stored, [event('b', 2, { type: 'click' }), event('b', 2, { type: 'convert' })]);
    expect(plan.remove).toEqual(['k1']);
    expect(plan.add).toEqual([{ seq: 1, events: [event('a', 1)] }, { events: [event('b', 2, { type: 'convert' })] }]);
  });

  it(`folds the small chunks into the new one once there are ${SMALL_CHUNKS_BEFORE_FOLD}`, () => {
    const full = chunk('full', 1, range(0, CHUNK_EVENTS));
    const small = Array.from({ length: SMALL_CHUNKS_BEFORE_FOLD - 1 }, (_, i) => chunk(`s${i}`, i + 2, range(1_000 + i * 10, 3)));
    expect(planPut([full, ...small], [event('new', 5_000)]).remove).toEqual([]);
    const many = [...small, chunk('last', 99, range(2_000, 3))];
    const plan = planPut([full, ...many], [event('new', 5_000)]);
    expect(plan.remove.sort()).toEqual(many.map((c) => c.key).sort());
    expect(plan.add).toHaveLength(1);
    expect(plan.add[0]!.events).toEqual([...many.flatMap((c) => c.events), event('new', 5_000)]);
  });
});

describe('planDelete', () => {
  it('drops chunks left empty, rewrites partly deleted ones, ignores unknown ids', () => {
    const stored = [chunk('k1', 1, range(0, 3)), chunk('k2', 2, range(3, 3)), chunk('k3', 3, range(6, 2))];
    const plan = planDelete(stored, new Set(['e0', 'e1', 'e2', 'e4', 'nope']));
    expect(plan).toEqual({ remove: ['k1', 'k2'], add: [{ seq: 2, events: [event('e3', 3), event('e5', 5)] }] });
    expect(planDelete(stored, new Set(['nope']))).toEqual({ remove: [], add: [] });
  });
});

describe('mergeChunks', () => {
  it('orders by ts then id across chunks, and keeps the copy from the highest seq', () => {
    const merged = mergeChunks([chunk('b', 2, [event('x', 5, { type: 'click' }), event('m', 7)]), chunk('a', 1, [event('x', 5), event('b', 5), event('z', 1)])]);
    expect(merged).toEqual([event('z', 1), event('b', 5), event('x', 5, { type: 'click' }), event('m', 7)]);
  });
});
