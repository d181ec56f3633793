/**
 * The Node side of the bench page (pages/bench.js): serves it beside dist/, opens it in Chromium,
 * optionally with the CPU throttled through CDP, and calls its measurements with typed arguments.
 */
import { resolve } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { TestServer } from '../../browser/support/server.js';

export const BENCH_MOUNTS = { '/bench/': resolve(import.meta.dirname, 'pages') };
const BENCH_URL = '/bench/bench.html';

/**
 * Cross-origin isolation lifts the page's timer resolution from 100 µs to 5 µs, which a
 * microsecond-scale figure like track() needs. The worker script is served with the same headers:
 * Chromium requires it of a dedicated worker owned by an isolated page.
 */
const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

export function serveIsolated(server: TestServer): void {
  for (const prefix of ['/bench/', '/dist/']) server.headers.set(prefix, ISOLATION_HEADERS);
}

export interface ColdStart {
  ms: number;
  policy: string;
  storedEvents: number;
  worker: string;
}

export interface Samples {
  samples: number[];
  fallbacks: number;
}

export interface SessionResult {
  total: number;
  attributed: number;
  longestMs: number;
  sources: string[];
}

/** What pages/bench.js puts on `window.bench`. */
export interface BenchApi {
  wipe(): Promise<void>;
  coldStart(options: { personalization?: string; fresh: boolean }): Promise<ColdStart>;
  floorColdStart(): Promise<{ ms: number }>;
  open(options: { personalization?: string; fresh?: boolean }): Promise<{ worker: string }>;
  trackCost(options: { calls: number; batch: number }): Promise<number[]>;
  trackFloor(options: { calls: number; batch: number }): Promise<number[]>;
  decideCost(options: { count: number; size: number }): Promise<Samples>;
  decideFloor(options: { count: number; size: number }): Promise<Samples>;
  /** `windows`: the rate over each successive 10k events. */
  ingest(options: { events: number }): Promise<{ eventsPerSec: number; windows: number[]; storedEvents: number }>;
  ingestFloor(options: { events: number }): Promise<{ eventsPerSec: number }>;
  storageUsage(): Promise<number>;
  exportBytes(): Promise<{ bytes: number; events: number }>;
  session(options: { events: number; decisions: number; useSdk: boolean }): Promise<SessionResult>;
}

type Argument<K extends keyof BenchApi> = Parameters<BenchApi[K]>[0];
type Answer<K extends keyof BenchApi> = Awaited<ReturnType<BenchApi[K]>>;

export interface BenchPage {
  page: Page;
  call<K extends keyof BenchApi>(name: K, argument?: Argument<K>): Promise<Answer<K>>;
  close(): Promise<void>;
}

/** A new tab on the bench page; `cpuThrottle` > 1 slows the page's main thread (not its workers: Chromium refuses that). */
export async function openBenchPage(context: BrowserContext, origin: string, cpuThrottle = 1): Promise<BenchPage> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(origin + BENCH_URL);
  await page.waitForFunction(() => (window as unknown as { benchReady?: boolean }).benchReady === true);
  if (cpuThrottle > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: cpuThrottle });
  }
  return {
    page,
    async call<K extends keyof BenchApi>(name: K, argument?: Argument<K>): Promise<Answer<K>> {
      try {
        return (await page.evaluate(
          ([method, arg]) => (window as unknown as { bench: Record<string, (a: unknown) => Promise<unknown>> }).bench[method]!(arg),
          [name, argument] as const,
        )) as Answer<K>;
      } catch (error) {
        throw new Error(`bench.${name} failed: ${String(error)}${errors.length ? `\npage errors: ${errors.join('\n')}` : ''}`);
      }
    },
    close: () => page.close(),
  };
}

/** Open a page, run one measurement series on it, close it. */
export async function onFreshPage<T>(context: BrowserContext, origin: string, cpuThrottle: number, task: (bench: BenchPage) => Promise<T>): Promise<T> {
  const bench = await openBenchPage(context, origin, cpuThrottle);
  try {
    return await task(bench);
  } finally {
    await bench.close();
  }
}
