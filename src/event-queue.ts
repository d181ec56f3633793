/**
 * The main thread's only job for events: keep them in an array and hand them to the engine in
 * batches. `push()` is an array push and, at most once per batch, a timer: it must cost about a
 * microsecond. A batch goes when it is full or when the short timer fires; `pagehide` and
 * `visibilitychange` to hidden flush at once (the last chance on mobile, where `unload` never fires).
 */
import type { InsituEvent } from '../worker/types.js';

/** Events per message to the worker: one structured clone of ~50 small objects costs well under a millisecond. */
export const MAX_BATCH_EVENTS = 50;
/** How long a partial batch waits: short enough that a decision right after a click has seen it. */
export const BATCH_DELAY_MS = 25;
/** Events kept while the engine is not reachable (starting, restarting); the oldest go first. */
export const MAX_QUEUED_EVENTS = 5_000;

export interface EventQueue {
  push(event: InsituEvent): void;
  /** Hand everything queued to `send` now; resolves once `send` accepted it. */
  flush(): Promise<void>;
  readonly size: number;
  /**
   * The events not yet handed to `send`, oldest first (a copy): the queued ones and the batches
   * waiting behind a `send` still in progress.
   */
  snapshot(): InsituEvent[];
  /** Events dropped because the queue was full. */
  readonly dropped: number;
  /** Hold batches until `resume()` (the engine is not running yet). */
  pause(): void;
  resume(): void;
}

export interface EventQueueOptions {
  /** Deliver a batch; a rejection puts the batch back at the head of the queue. */
  send(batch: InsituEvent[]): Promise<void>;
  setTimer?: (task: () => void, ms: number) => unknown;
}

export function createEventQueue(options: EventQueueOptions): EventQueue {
  const setTimer = options.setTimer ?? ((task, ms) => setTimeout(task, ms));
  let queued: InsituEvent[] = [];
  let timerSet = false;
  let paused = true;
  let dropped = 0;
  let sending: Promise<void> = Promise.resolve();
  /**
   * Batches taken from `queued` but not handed to `send` yet: they wait for the batch before them
   * (a page left at that moment must still stash them; see snapshot()).
   */
  let waiting: InsituEvent[][] = [];

  function sendAll(): Promise<void> {
    if (paused || queued.length === 0) return sending;
    const batches: InsituEvent[][] = [];
    for (let i = 0; i < queued.length; i += MAX_BATCH_EVENTS) batches.push(queued.slice(i, i + MAX_BATCH_EVENTS));
    queued = [];
    waiting = waiting.concat(batches);
    sending = sending.then(async () => {
      for (let i = 0; i < batches.length; i++) {
        waiting = waiting.filter((batch) => batch !== batches[i]);
        try {
          await options.send(batches[i]!);
        } catch {
          // The engine is down: keep the rest for the restarted one, in order.
          const rest = new Set(batches.slice(i + 1));
          waiting = waiting.filter((batch) => !rest.has(batch));
          queued = batches.slice(i).flat().concat(queued);
          trim();
          return;
        }
      }
    });
    return sending;
  }

  function trim(): void {
    const over = queued.length - MAX_QUEUED_EVENTS;
    if (over > 0) {
      queued.splice(0, over);
      dropped += over;
    }
  }

  return {
    push(event) {
      queued.push(event);
      if (queued.length > MAX_QUEUED_EVENTS) trim();
      if (paused) return;
      if (queued.length >= MAX_BATCH_EVENTS) {
        void sendAll();
      } else if (!timerSet) {
        timerSet = true;
        setTimer(() => {
          timerSet = false;
          void sendAll();
        }, BATCH_DELAY_MS);
      }
    },
    async flush() {
      await sendAll();
      await sending;
    },
    get size() {
      return queued.length;
    },
    snapshot() {
      return waiting.flat().concat(queued);
    },
    get dropped() {
      return dropped;
    },
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      void sendAll();
    },
  };
}

export interface PageLifeHooks {
  /**
   * The page is being left or hidden: runs synchronously just before the flush, while the queue
   * still holds what is waiting (the flush hands batches to `send` only on a later microtask).
   */
  onLeave?(): void;
  /** The page is visible again (back from hidden, or from the back/forward cache). */
  onReturn?(): void;
}

/** Flush on the page's last reliable moments. Returns a function that removes the listeners. */
export function flushOnPageHide(target: Window, queue: EventQueue, hooks: PageLifeHooks = {}): () => void {
  const leave = () => {
    hooks.onLeave?.();
    void queue.flush();
  };
  const onVisibility = () => {
    if (target.document.visibilityState === 'hidden') leave();
    else hooks.onReturn?.();
  };
  const onShow = (event: PageTransitionEvent) => {
    if (event.persisted) hooks.onReturn?.();
  };
  target.addEventListener('pagehide', leave);
  target.addEventListener('pageshow', onShow);
  target.document.addEventListener('visibilitychange', onVisibility);
  return () => {
    target.removeEventListener('pagehide', leave);
    target.removeEventListener('pageshow', onShow);
    target.document.removeEventListener('visibilitychange', onVisibility);
  };
}
