import type { Scheduler } from './types.js';

/** The Scheduler port over the platform's timers (worker, main thread, React Native, Node). */
export const timerScheduler: Scheduler = {
  defer(task, delayMs = 0) {
    const handle = setTimeout(task, delayMs);
    return () => clearTimeout(handle);
  },
};
