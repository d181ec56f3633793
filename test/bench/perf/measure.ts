/**
 * The measurement series, each beside its floor, run on fresh tabs of one Chromium profile. A plan
 * says how much of each to run: the full bench (run.ts), its throttled pass, and the quick CI
 * check (test/browser/perf-quick.test.ts) use the same code with different sizes.
 */
import type { BrowserContext } from 'playwright-core';
import { onFreshPage, type BenchPage } from './bench-page.js';
import { median, percentile, ratio, round } from './stats.js';

export interface Plan {
  /** Tabs measuring track(), each with `trackCalls` calls timed in batches of `trackBatch`. */
  trackRuns: number;
  trackCalls: number;
  trackBatch: number;
  /** Array pushes are ~100× cheaper: larger batches keep each sample well above the 5 µs clock. */
  trackFloorBatch: number;
  decideRuns: number;
  /** Sampled decides per run at 50 candidates, and at 500 (0 skips the 500 pair). */
  decides50: number;
  decides500: number;
  coldStarts: number;
  /** The scripted session for long tasks (0 events skips it). */
  sessionEvents: number;
  sessionDecisions: number;
  /** Events for the ingest figure (0: the full bench takes it from the storage fill). */
  ingestEvents: number;
  /** Events for the storage figure, measured by run.ts in a profile of its own. */
  storageEvents: number;
}

export type Figures = Record<string, number | string>;

interface Context {
  context: BrowserContext;
  origin: string;
  /** Where prepareReturningProfile() stored a returning visitor's profile, when it did. */
  returningOrigin?: string;
  cpuThrottle: number;
  log: (line: string) => void;
}

const onPage = <T>(c: Context, task: (bench: BenchPage) => Promise<T>) => onFreshPage(c.context, c.origin, c.cpuThrottle, task);

/** A figure, its floor and their ratio under the naming run.ts documents. */
function withFloor(figures: Figures, key: string, value: number, floor: number, digits = 3): void {
  figures[key] = round(value, digits);
  figures[`${key}Floor`] = round(floor, digits);
  figures[`${key}Ratio`] = ratio(value, floor);
}

async function repeat<T>(runs: number, task: (run: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let run = 0; run < runs; run++) results.push(await task(run));
  return results;
}

export async function measureTrack(c: Context, plan: Plan, figures: Figures): Promise<void> {
  const samples = (
    await repeat(plan.trackRuns, (run) =>
      onPage(c, async (bench) => {
        await bench.call('open', { fresh: run === 0 });
        return bench.call('trackCost', { calls: plan.trackCalls, batch: plan.trackBatch });
      }),
    )
  ).flat();
  const floor = (
    await repeat(plan.trackRuns, () => onPage(c, (bench) => bench.call('trackFloor', { calls: plan.trackCalls * 10, batch: plan.trackFloorBatch })))
  ).flat();
  withFloor(figures, 'trackMedianUs', median(samples), median(floor), 4);
  withFloor(figures, 'trackP99Us', percentile(samples, 99), percentile(floor, 99), 4);
  c.log(`track: ${samples.length} batches of ${plan.trackBatch}`);
}

export async function measureDecide(c: Context, plan: Plan, figures: Figures): Promise<void> {
  const sizes = plan.decides500 > 0 ? ([[50, plan.decides50, 'decide'], [500, plan.decides500, 'decide500']] as const) : ([[50, plan.decides50, 'decide']] as const);
  const runs = await repeat(plan.decideRuns, () =>
    onPage(c, async (bench) => {
      await bench.call('open', {});
      const bySize = [];
      for (const [size, count] of sizes) bySize.push(await bench.call('decideCost', { count, size }));
      return bySize;
    }),
  );
  const floors = await repeat(plan.decideRuns, () =>
    onPage(c, async (bench) => {
      const bySize = [];
      for (const [size, count] of sizes) bySize.push(await bench.call('decideFloor', { count, size }));
      return bySize;
    }),
  );
  let fallbacks = 0;
  sizes.forEach(([, , key], index) => {
    const samples = runs.flatMap((run) => run[index]!.samples);
    const floor = floors.flatMap((run) => run[index]!.samples);
    fallbacks += runs.reduce((sum, run) => sum + run[index]!.fallbacks, 0);
    withFloor(figures, `${key}P50Ms`, median(samples), median(floor));
    withFloor(figures, `${key}P99Ms`, percentile(samples, 99), percentile(floor, 99));
    c.log(`${key}: ${samples.length} decides`);
  });
  figures.decideFallbacks = fallbacks;
}

/**
 * A returning visitor's profile: `events` tracked and stored on `origin`, a second origin of the
 * same server (`localhost` beside `127.0.0.1`), so the fresh cold starts' wipes leave it alone and
 * both passes start from the same stored profile. Returns how many events the store kept.
 */
export async function prepareReturningProfile(context: BrowserContext, origin: string, events: number, log: (line: string) => void): Promise<number> {
  const stored = await onFreshPage(context, origin, 1, async (bench) => {
    await bench.call('open', { fresh: true });
    return (await bench.call('ingest', { events })).storedEvents;
  });
  log(`returning profile: ${events} events tracked, ${stored} stored after retention`);
  return stored;
}

export async function measureColdStart(c: Context, plan: Plan, figures: Figures): Promise<void> {
  const fresh = await repeat(plan.coldStarts, () => onPage(c, (bench) => bench.call('coldStart', { fresh: true })));
  const floor = await repeat(plan.coldStarts, () => onPage(c, (bench) => bench.call('floorColdStart')));
  const floorMedian = median(floor.map((r) => r.ms));
  withFloor(figures, 'coldStartMedianMs', median(fresh.map((r) => r.ms)), floorMedian, 1);
  let fallbacks = fresh.filter((r) => r.policy === 'fallback').length;
  figures.coldStartWorker = [...new Set(fresh.map((r) => r.worker))].join(',');
  if (c.returningOrigin) {
    const returningContext = { ...c, origin: c.returningOrigin };
    const returning = await repeat(plan.coldStarts, () => onPage(returningContext, (bench) => bench.call('coldStart', { fresh: false })));
    withFloor(figures, 'coldStartReturningMedianMs', median(returning.map((r) => r.ms)), floorMedian, 1);
    figures.coldStartReturningStoredEvents = median(returning.map((r) => r.storedEvents));
    fallbacks += returning.filter((r) => r.policy === 'fallback').length;
  }
  figures.coldStartFallbacks = fallbacks;
  c.log(`cold start: ${plan.coldStarts} fresh${c.returningOrigin ? `, ${plan.coldStarts} returning` : ''}`);
}

export async function measureLongTasks(c: Context, plan: Plan, figures: Figures): Promise<void> {
  const options = { events: plan.sessionEvents, decisions: plan.sessionDecisions };
  const sdk = await onPage(c, async (bench) => {
    await bench.call('wipe');
    return bench.call('session', { ...options, useSdk: true });
  });
  const floor = await onPage(c, (bench) => bench.call('session', { ...options, useSdk: false }));
  figures.longTasks = sdk.attributed;
  figures.longTasksFloor = floor.total;
  figures.longTasksTotal = sdk.total;
  figures.longTaskLongestMs = round(sdk.longestMs, 1);
  figures.longTaskScripts = sdk.sources.join(' ');
  c.log(`long tasks: session of ${plan.sessionEvents} events and ${plan.sessionDecisions} decisions`);
}

export async function measureIngest(c: Context, plan: Plan, figures: Figures): Promise<void> {
  const sdk = await onPage(c, async (bench) => {
    await bench.call('open', { fresh: true });
    return bench.call('ingest', { events: plan.ingestEvents });
  });
  const floor = await onPage(c, (bench) => bench.call('ingestFloor', { events: plan.ingestEvents }));
  withFloor(figures, 'ingestEventsPerSec', sdk.eventsPerSec, floor.eventsPerSec, 0);
  c.log(`ingest: ${plan.ingestEvents} events`);
}

/** How long retention may still be compacting after the last flush before the size is read. */
const STORAGE_SETTLE_MS = 3_000;
/** The raw IndexedDB floor for the ingest figure: enough transactions for a steady rate. */
const INGEST_FLOOR_EVENTS = 10_000;

/**
 * Storage after `storageEvents` events, and the ingest rate over them. Run it in a profile of its
 * own: IndexedDB reclaims deleted databases lazily, so an origin that held earlier runs' data
 * reports a meaningless usage delta.
 */
export async function measureStorage(context: BrowserContext, origin: string, plan: Plan, log: (line: string) => void): Promise<Figures> {
  const c: Context = { context, origin, cpuThrottle: 1, log };
  const figures: Figures = {};
  const result = await onPage(c, async (bench) => {
    const before = await bench.call('storageUsage');
    await bench.call('open', {});
    const ingest = await bench.call('ingest', { events: plan.storageEvents });
    await bench.page.waitForTimeout(STORAGE_SETTLE_MS);
    const exported = await bench.call('exportBytes');
    const after = await bench.call('storageUsage');
    const floor = await bench.call('ingestFloor', { events: INGEST_FLOOR_EVENTS });
    return { usage: after - before, exported, ingest, floor };
  });
  figures.storageBytesAfter100k = result.usage;
  figures.exportJsonBytesAfter100k = result.exported.bytes;
  figures.storedEventsAfter100k = result.exported.events;
  withFloor(figures, 'ingestEventsPerSec', result.ingest.eventsPerSec, result.floor.eventsPerSec, 0);
  // The first 10k events fill the store; by the last, retention has deleted ~90k: the drift is its cost.
  figures.ingestEventsPerSecFirst10k = round(result.ingest.windows[0] ?? Number.NaN, 0);
  figures.ingestEventsPerSecLast10k = round(result.ingest.windows.at(-1) ?? Number.NaN, 0);
  log(`storage and ingest: ${plan.storageEvents} events`);
  return figures;
}

export interface Origins {
  /** Where the fresh-profile measurements run (they wipe its storage). */
  fresh: string;
  /** The returning visitor's origin (prepareReturningProfile), when the plan measures it. */
  returning?: string;
}

/** Every timing series of a plan, at one CPU throttle. */
export async function measureTimings(context: BrowserContext, origins: Origins, plan: Plan, cpuThrottle: number, log: (line: string) => void): Promise<Figures> {
  const c: Context = { context, origin: origins.fresh, cpuThrottle, log, ...(origins.returning ? { returningOrigin: origins.returning } : {}) };
  const figures: Figures = {};
  await measureTrack(c, plan, figures);
  await measureDecide(c, plan, figures);
  await measureColdStart(c, plan, figures);
  if (plan.sessionEvents > 0) await measureLongTasks(c, plan, figures);
  if (plan.ingestEvents > 0) await measureIngest(c, plan, figures);
  return figures;
}
