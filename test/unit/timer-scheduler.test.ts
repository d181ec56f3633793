/** The platform scheduler: idle work goes to the Prioritized Task Scheduling API at background priority where there is one, else to a timer. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { timerScheduler } from '../../worker/timer-scheduler.js';

const original = (globalThis as { scheduler?: unknown }).scheduler;
afterEach(() => {
  (globalThis as { scheduler?: unknown }).scheduler = original;
  vi.useRealTimers();
});

describe('timerScheduler.whenIdle', () => {
  it('posts a background task, which cancelling aborts', async () => {
    const posted: Array<{ priority: string; signal: AbortSignal }> = [];
    (globalThis as { scheduler?: unknown }).scheduler = {
      postTask: (task: () => void, options: { priority: string; signal: AbortSignal }) => {
        posted.push(options);
        return Promise.resolve().then(() => (options.signal.aborted ? Promise.reject(options.signal.reason) : task()));
      },
    };
    const ran: string[] = [];
    timerScheduler.whenIdle!(() => ran.push('kept'));
    const cancel = timerScheduler.whenIdle!(() => ran.push('cancelled'));
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(posted.map((p) => p.priority)).toEqual(['background', 'background']);
    expect(posted[1]!.signal.aborted).toBe(true);
    expect(ran).toEqual(['kept']);
  });

  it('falls back to a timer where the platform has no task scheduler', () => {
    vi.useFakeTimers();
    (globalThis as { scheduler?: unknown }).scheduler = undefined;
    const ran: string[] = [];
    timerScheduler.whenIdle!(() => ran.push('first'));
    const cancel = timerScheduler.whenIdle!(() => ran.push('cancelled'));
    cancel();
    vi.runAllTimers();
    expect(ran).toEqual(['first']);
  });
});
