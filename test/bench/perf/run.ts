/**
 * `npm run bench`: the built SDK in headless Chromium, every figure beside the floor the browser
 * itself allows, measured in the same run, then the timing figures again with the main thread
 * throttled 4× through CDP. Prints a table with the targets of ../shared/design.md and writes
 * bench-results/perf.json, a flat object of named figures.
 *
 *   npm run bench                      the full bench (~3–4 minutes with the build)
 *   tsx test/bench/perf/run.ts --baseline   re-measure the quick CI check's baseline.json
 *
 * Keys: each figure `x` has `xFloor` and `xRatio` (x / floor) where it has a floor; the throttled
 * pass repeats the timing keys with the suffix `Throttled4x`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { chromiumPath, launchPersistent } from '../../browser/support/chromium.js';
import { startTestServer } from '../../browser/support/server.js';
import { DIST, measureBundles } from '../../support/bundle-sizes.js';
import { BENCH_MOUNTS, serveIsolated } from './bench-page.js';
import { measureStorage, measureTimings, prepareReturningProfile, type Figures, type Origins } from './measure.js';
import { FULL_PLAN, THROTTLED_PLAN } from './plans.js';
import { indexedDbDiskBytes } from './profile-disk.js';
import { measureQuick, writeBaseline } from './quick.js';
import { THROTTLED_SUFFIX } from './targets.js';
import { markdownTable, misses, textTable } from './table.js';

const RESULTS_DIR = resolve(import.meta.dirname, '../../../bench-results');
/** The stand-in for a mid-range phone: Chrome DevTools' own "4× slowdown" preset. */
const CPU_THROTTLE = 4;
/** The returning visitor of the issue: 10k events tracked before the cold starts (retention keeps at most 5k of them). */
const RETURNING_EVENTS = 10_000;

const log = (line: string) => console.error(`  · ${line}`);

async function main(): Promise<void> {
  if (!existsSync(join(DIST, 'insitu.js')) || !existsSync(join(DIST, 'insitu.esm.js'))) {
    console.error('dist/ is missing or incomplete: run `npm run build` first (`npm run bench` does).');
    process.exit(1);
  }
  const started = performance.now();
  const server = await startTestServer({ mounts: BENCH_MOUNTS });
  serveIsolated(server);
  const browser = await launchPersistent();
  try {
    // The user agent is reduced (150.0.0.0); the binary tells the full version.
    const chromium = /Chromium ([\d.]+)/.exec(execFileSync(chromiumPath(), ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1] ?? 'unknown';

    if (process.argv.includes('--baseline')) {
      const baseline = writeBaseline(await measureQuick(browser.context, server.origin, log), `Chromium ${chromium}, quick plan, ${new Date().toISOString().slice(0, 10)}, load average ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`);
      console.log(JSON.stringify(baseline, null, 2));
      return;
    }

    const sizes = measureBundles();
    const figures: Figures = {
      loaderGzipBytes: sizes.loaderGzipBytes,
      mainThreadGzipBytes: sizes.mainThreadGzipBytes,
      firstDecisionWorkerGzipBytes: sizes.firstDecisionWorkerGzipBytes,
      tfjsChunkGzipBytes: sizes.tfjsChunkGzipBytes,
      workerLazyPartsGzipBytes: sizes.workerLazyPartsGzipBytes,
    };
    const load = loadavg()[0]!;
    figures.loadAverage1mAtStart = Math.round(load * 10) / 10;
    console.error(`Measuring in Chromium ${chromium} (load average ${load.toFixed(1)} on ${availableParallelism()} cores)`);
    if (load > availableParallelism()) console.error('  ! the machine is busy: timing figures will read high; rerun when it is idle');
    const origins: Origins = { fresh: server.origin, returning: server.origin.replace('127.0.0.1', 'localhost') };
    figures.coldStartReturningTrackedEvents = RETURNING_EVENTS;
    figures.coldStartReturningStoredEventsAtSetup = await prepareReturningProfile(browser.context, origins.returning!, RETURNING_EVENTS, log);
    Object.assign(figures, await measureTimings(browser.context, origins, FULL_PLAN, 1, log));
    console.error(`Again with the CPU throttled ${CPU_THROTTLE}×`);
    const throttled = await measureTimings(browser.context, origins, THROTTLED_PLAN, CPU_THROTTLE, log);
    for (const [key, value] of Object.entries(throttled)) figures[key + THROTTLED_SUFFIX] = value;
    const storageBrowser = await launchPersistent();
    try {
      Object.assign(figures, await measureStorage(storageBrowser.context, server.origin, FULL_PLAN, log));
      const disk = indexedDbDiskBytes(storageBrowser.userDataDir, server.origin);
      if (disk) {
        figures.storageDiskLogBytesAfter100k = disk.logBytes;
        figures.storageDiskTableBytesAfter100k = disk.tableBytes;
      }
    } finally {
      await storageBrowser.close();
    }
    figures.chromiumVersion = chromium;
    figures.cpuCores = availableParallelism();
    figures.loadAverage1mAtEnd = Math.round(loadavg()[0]! * 10) / 10;
    figures.measuredAt = new Date().toISOString();
    figures.runtimeSeconds = Math.round((performance.now() - started) / 1000);

    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, 'perf.json'), JSON.stringify(figures, null, 2) + '\n');
    writeFileSync(join(RESULTS_DIR, 'perf.md'), markdownTable(figures) + '\n');

    console.log('\n' + textTable(figures) + '\n');
    const missed = misses(figures);
    console.log(missed.length ? `Missed targets:\n  ${missed.join('\n  ')}` : 'Every target met.');
    console.log(`Long tasks: ${figures.longTasks} attributed to insitu of ${figures.longTasksTotal} during the session (floor session: ${figures.longTasksFloor}).`);
    console.log(`Wrote bench-results/perf.json and perf.md (${figures.runtimeSeconds} s).`);
  } finally {
    await browser.close();
    await server.close();
  }
}

await main();
