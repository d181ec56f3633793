/**
 * What a fault test watches in the page: unhandled rejections and uncaught errors (the SDK must
 * never throw into the host page) and, when asked, every Worker the page creates, so a test can
 * kill the SDK's worker the way a browser would (the client hands out no handle on purpose).
 */
import type { Page } from 'playwright-core';
import type { InsituClient, ClientStatus } from '../../../src/types.js';

export interface PageGuards {
  unhandled: string[];
  uncaught: string[];
  workers: Worker[];
  /** Every worker state the client reported through its `status` event, in order. */
  workerStates: string[];
  /** `persisted` of every pageshow: true is a return from the back/forward cache. */
  pageshows: boolean[];
}

export type GuardedWindow = Window & {
  insitu: InsituClient;
  insituLoaded: Promise<boolean>;
  cspViolations: string[];
  /** Codes of the errors the SDK handled itself (its onError), from test/browser/pages/app.js. */
  insituErrors: string[];
  guards: PageGuards;
};

/** Install before any page script runs (page.addInitScript). */
export async function installGuards(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const guards = { unhandled: [] as string[], uncaught: [] as string[], workers: [] as Worker[], workerStates: [] as string[], pageshows: [] as boolean[] };
    window.addEventListener('pageshow', (event) => guards.pageshows.push(event.persisted));
    (window as unknown as { guards: typeof guards }).guards = guards;
    window.addEventListener('unhandledrejection', (event) => guards.unhandled.push(String((event.reason as Error)?.message ?? event.reason)));
    window.addEventListener('error', (event) => guards.uncaught.push(String(event.message)));
    const NativeWorker = window.Worker;
    if (!NativeWorker) return;
    // A subclass, so `instanceof Worker` and every method still behave as the real thing.
    class RecordedWorker extends NativeWorker {
      constructor(url: string | URL, options?: WorkerOptions) {
        super(url, options);
        guards.workers.push(this);
      }
    }
    Object.defineProperty(window, 'Worker', { value: RecordedWorker, configurable: true, writable: true });
  });
}

/** The guards, read back from the page (Worker objects come back as counts). */
export async function readGuards(page: Page): Promise<{ unhandled: string[]; uncaught: string[]; workers: number; workerStates: string[]; pageshows: boolean[] }> {
  return page.evaluate(() => {
    const { guards } = window as unknown as GuardedWindow;
    return { unhandled: guards.unhandled, uncaught: guards.uncaught, workers: guards.workers.length, workerStates: guards.workerStates, pageshows: guards.pageshows };
  });
}

/** Record the client's worker states from now on (call after `insitu` exists). */
export async function recordWorkerStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const { insitu, guards } = window as unknown as GuardedWindow;
    guards.workerStates.push(insitu.status.worker);
    insitu.on('status', (status: ClientStatus) => {
      if (guards.workerStates.at(-1) !== status.worker) guards.workerStates.push(status.worker);
    });
  });
}
