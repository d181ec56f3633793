import type { Scheduler } from './types.js';

/** The Prioritized Task Scheduling API, where the platform has it (Chromium, in pages and workers). */
interface TaskScheduler {
  postTask(task: () => void, options: { priority: 'background'; signal: AbortSignal }): Promise<void>;
}

function defer(task: () => void, delayMs = 0): () => void {
  const handle = setTimeout(task, delayMs);
  return () => clearTimeout(handle);
}

/** The Scheduler port over the platform's timers (worker, main thread, React Native, Node). */
export const timerScheduler: Scheduler = {
  defer,
  whenIdle(task) {
    const tasks = (globalThis as { scheduler?: Partial<TaskScheduler> }).scheduler;
    if (typeof tasks?.postTask !== 'function' || typeof AbortController === 'undefined') return defer(task);
    const controller = new AbortController();
    // Background priority: a storage answer or a message that arrives meanwhile runs first.
    tasks.postTask(task, { priority: 'background', signal: controller.signal }).catch(() => undefined);
    return () => controller.abort();
  },
};
