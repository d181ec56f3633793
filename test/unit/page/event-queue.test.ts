import { describe, expect, it } from 'vitest';
import { BATCH_DELAY_MS, MAX_BATCH_EVENTS, MAX_QUEUED_EVENTS, createEventQueue } from '../../../src/event-queue.js';
import type { InsituEvent } from '../../../worker/types.js';

const event = (i: number): InsituEvent => ({ id: `e${i}`, type: 'view', ts: i, itemId: `item-${i}` });

function manualTimers() {
  const tasks: Array<() => void> = [];
  return { setTimer: (task: () => void) => tasks.push(task), runAll: () => tasks.splice(0).forEach((t) => t()), pending: () => tasks.length };
}

describe('event queue', () => {
  it('holds events while paused and sends them in order once resumed', async () => {
    const sent: InsituEvent[][] = [];
    const queue = createEventQueue({ send: async (batch) => void sent.push(batch) });
    for (let i = 0; i < 3; i++) queue.push(event(i));
    expect(queue.size).toBe(3);
    expect(sent).toEqual([]);
    queue.resume();
    await queue.flush();
    expect(sent.flat().map((e) => e.id)).toEqual(['e0', 'e1', 'e2']);
    expect(queue.size).toBe(0);
  });

  it('sends a full batch at once and a partial one when its timer fires', async () => {
    const timers = manualTimers();
    const sent: InsituEvent[][] = [];
    const queue = createEventQueue({ send: async (batch) => void sent.push(batch), setTimer: timers.setTimer });
    queue.resume();
    for (let i = 0; i < MAX_BATCH_EVENTS; i++) queue.push(event(i));
    await queue.flush();
    expect(sent.map((b) => b.length)).toEqual([MAX_BATCH_EVENTS]);
    queue.push(event(1000));
    expect(timers.pending()).toBe(1);
    await Promise.resolve();
    expect(sent).toHaveLength(1);
    timers.runAll();
    await queue.flush();
    expect(sent.map((b) => b.length)).toEqual([MAX_BATCH_EVENTS, 1]);
    expect(BATCH_DELAY_MS).toBeLessThanOrEqual(50);
  });

  it('snapshot() still holds a batch that waits behind a send in progress (what a page leaving then must stash)', async () => {
    const timers = manualTimers();
    let release: () => void = () => undefined;
    const sent: string[] = [];
    const queue = createEventQueue({
      send: (batch) => {
        sent.push(...batch.map((e) => e.id));
        return new Promise<void>((resolve) => (release = resolve));
      },
      setTimer: timers.setTimer,
    });
    queue.resume();
    for (let i = 0; i < MAX_BATCH_EVENTS + 3; i++) queue.push(event(i));
    await Promise.resolve();
    expect(sent).toHaveLength(MAX_BATCH_EVENTS);
    // The partial batch's timer fires while the full batch is still with the engine.
    timers.runAll();
    expect(queue.size).toBe(0);
    expect(queue.snapshot().map((e) => e.id)).toEqual(['e50', 'e51', 'e52']);
    release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(sent.slice(MAX_BATCH_EVENTS)).toEqual(['e50', 'e51', 'e52']);
    expect(queue.snapshot()).toEqual([]);
    release();
    await queue.flush();
  });

  it('puts a failed batch back at the head, keeping order, and sends it on the next flush', async () => {
    let failing = true;
    const sent: string[] = [];
    const queue = createEventQueue({
      send: async (batch) => {
        if (failing) throw new Error('worker gone');
        sent.push(...batch.map((e) => e.id));
      },
    });
    queue.resume();
    queue.push(event(1));
    queue.push(event(2));
    await queue.flush();
    expect(queue.size).toBe(2);
    queue.push(event(3));
    failing = false;
    await queue.flush();
    expect(sent).toEqual(['e1', 'e2', 'e3']);
  });

  it('drops the oldest past its bound and counts them', () => {
    const queue = createEventQueue({ send: async () => undefined });
    for (let i = 0; i < MAX_QUEUED_EVENTS + 10; i++) queue.push(event(i));
    expect(queue.size).toBe(MAX_QUEUED_EVENTS);
    expect(queue.dropped).toBe(10);
  });
});
