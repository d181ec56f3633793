import { describe, expect, it } from 'vitest';
import { createEventQueue, flushOnPageHide } from '../../../src/event-queue.js';
import type { InsituEvent } from '../../../worker/types.js';

/** Just what flushOnPageHide touches: window and document as event targets. */
function fakeWindow() {
  const document = Object.assign(new EventTarget(), { visibilityState: 'visible' as DocumentVisibilityState });
  return Object.assign(new EventTarget(), { document }) as unknown as Window & { document: typeof document };
}

const event = (id: string): InsituEvent => ({ id, type: 'view', ts: 1 });

describe('leaving the page', () => {
  it('onLeave sees every queued event: it runs before the flush hands them to send', async () => {
    const sent: string[] = [];
    const queue = createEventQueue({ send: async (batch) => void sent.push(...batch.map((e) => e.id)), setTimer: () => undefined });
    queue.resume();
    queue.push(event('a'));
    queue.push(event('b'));
    const win = fakeWindow();
    let seen: string[] = [];
    flushOnPageHide(win, queue, { onLeave: () => (seen = queue.snapshot().map((e) => e.id)) });
    win.dispatchEvent(new Event('pagehide'));
    expect(seen).toEqual(['a', 'b']);
    await queue.flush();
    expect(sent).toEqual(['a', 'b']);
  });

  it('hidden counts as leaving; visible again and a back/forward cache return count as returning', () => {
    const queue = createEventQueue({ send: async () => undefined, setTimer: () => undefined });
    const win = fakeWindow();
    const calls: string[] = [];
    const stop = flushOnPageHide(win, queue, { onLeave: () => calls.push('leave'), onReturn: () => calls.push('return') });
    win.document.visibilityState = 'hidden';
    win.document.dispatchEvent(new Event('visibilitychange'));
    win.document.visibilityState = 'visible';
    win.document.dispatchEvent(new Event('visibilitychange'));
    win.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: false }));
    win.dispatchEvent(Object.assign(new Event('pageshow'), { persisted: true }));
    stop();
    win.dispatchEvent(new Event('pagehide'));
    expect(calls).toEqual(['leave', 'return', 'return']);
  });
});
