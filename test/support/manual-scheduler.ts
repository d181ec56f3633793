/**
 * A Scheduler and Clock the test moves by hand: deferred engine work (writes, retries, report
 * checks) runs only when the test advances time, so a retry "30 s later" takes no real time.
 * Between tasks it yields to real timers briefly, so fake-indexeddb (which settles on real
 * timers) and the stores' own deadlines get to run.
 */
import type { Clock, Scheduler } from '../../worker/types.js';

interface Task {
  at: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

export interface ManualTime extends Scheduler, Clock {
  /** Run every task due within `ms` from now, in time order, then set the clock to the end. */
  advance(ms: number): Promise<void>;
  /** Move the clock without running anything; overdue tasks run (once each) at the next advance. */
  jump(ms: number): void;
  /** A scheduler of its own on this clock, whose waiting tasks all die with `kill()`: a crashed page. */
  scope(): Scheduler & { kill(): void };
  /** Tasks waiting (not cancelled). */
  readonly waiting: number;
}

/** Let real timers and microtasks run (fake-indexeddb completes requests on setImmediate/setTimeout). */
export function settle(ms = 2): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface ManualTimeOptions {
  /**
   * What to wait for between tasks instead of a short real pause: e.g. until no storage or network
   * call is in flight (test/support/crashable-page.ts), so how far the clock has moved when an
   * answer arrives does not depend on how fast the machine is.
   */
  settle?: () => Promise<void>;
}

export function manualTime(start = Date.UTC(2025, 0, 1, 10), options: ManualTimeOptions = {}): ManualTime {
  const pause = options.settle ?? (() => settle());
  let now = start;
  let seq = 0;
  const tasks: Task[] = [];
  const defer = (run: () => void, delayMs = 0): Task => {
    const task: Task = { at: now + Math.max(0, delayMs), seq: seq++, run, cancelled: false };
    tasks.push(task);
    return task;
  };
  return {
    now: () => now,
    defer(run, delayMs) {
      const task = defer(run, delayMs);
      return () => {
        task.cancelled = true;
      };
    },
    jump(ms) {
      now += ms;
    },
    scope() {
      const mine = new Set<Task>();
      let dead = false;
      return {
        defer(run, delayMs) {
          if (dead) return () => undefined;
          const task = defer(run, delayMs);
          mine.add(task);
          return () => {
            task.cancelled = true;
          };
        },
        kill() {
          dead = true;
          for (const task of mine) task.cancelled = true;
        },
      };
    },
    async advance(ms) {
      const until = now + ms;
      for (;;) {
        await pause();
        const due = tasks.filter((t) => !t.cancelled && t.at <= until).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
        if (!due) break;
        tasks.splice(tasks.indexOf(due), 1);
        now = Math.max(now, due.at);
        due.run();
      }
      now = until;
      await pause();
    },
    get waiting() {
      return tasks.filter((t) => !t.cancelled).length;
    },
  };
}
