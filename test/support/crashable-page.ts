/**
 * Pages of one device that can crash, for engine tests on a shared profile (Node standing in for
 * a browser's page loads over one IndexedDB).
 *
 * A crashed page's worker is gone: none of its timers fire, it sends nothing more, and it never
 * touches its IndexedDB again. What it had already handed to IndexedDB settles (commits or
 * aborts) before the next page opens the database, and a request that had already left may still
 * reach the collector. Stopping only a page's timers is not that: its engine's promise chains (a
 * write in flight, a delivery round) would go on and could store the older state they hold after
 * the next page loaded and stored a newer one, which no crashed page can do.
 *
 * Every storage call of every page, and every real request, goes through one `InFlight`; the
 * manual clock waits for it to be idle between tasks (ManualTimeOptions.settle). The clock then
 * moves only while nothing real is pending, so a run goes the same on a loaded machine as on an
 * idle one.
 */
import type { Transport } from '../../worker/engine-types.js';
import type { ProfileStore, Scheduler } from '../../worker/types.js';
import { settle, type ManualTime } from './manual-scheduler.js';

export interface InFlight {
  /** Count `work` as in flight until it settles. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Resolves once nothing is in flight after the microtasks and real timers of the moment have run. */
  idle(): Promise<void>;
}

export function createInFlight(): InFlight {
  let count = 0;
  return {
    track(work) {
      count++;
      return work.finally(() => count--);
    },
    async idle() {
      do await settle(1);
      while (count > 0);
    },
  };
}

export interface CrashablePage {
  /** The page's timers: they die with it. */
  scheduler: Scheduler;
  /** Open the page's store through `open`; every call on it is tracked, and none runs after the crash. */
  openStore(open: () => Promise<ProfileStore>): Promise<ProfileStore>;
  /** The page's way out: nothing leaves after the crash. */
  transport(inner: Transport): Transport;
  /** Die without a goodbye. Resolves once what the page had already handed to storage has settled. */
  crash(): Promise<void>;
}

/** A dead page's code never runs again: whatever it asks for never answers. */
const never = (): Promise<never> => new Promise<never>(() => undefined);

export function crashablePage(time: ManualTime, inFlight: InFlight): CrashablePage {
  const timers = time.scope();
  const handed = new Set<Promise<unknown>>();
  let dead = false;

  function call<T>(work: () => Promise<T>): Promise<T> {
    if (dead) return never();
    const tracked = inFlight.track(work());
    handed.add(tracked);
    const forget = () => handed.delete(tracked);
    tracked.then(forget, forget);
    return tracked;
  }

  function guarded(store: ProfileStore): ProfileStore {
    return new Proxy(store, {
      get(target, key) {
        const value: unknown = Reflect.get(target, key, target);
        return typeof value === 'function' ? (...args: unknown[]) => call(() => (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) : value;
      },
    });
  }

  return {
    scheduler: { defer: (task, delayMs) => timers.defer(task, delayMs) },
    openStore: async (open) => guarded(await call(open)),
    transport: (inner) => ({ send: (url, body, options) => (dead ? never() : inner.send(url, body, options)) }),
    async crash() {
      dead = true;
      timers.kill();
      await Promise.allSettled([...handed]);
    },
  };
}
