/**
 * The quick performance check in CI: 2k track() calls, 100 decides, three cold starts and a 2k-event
 * ingest in Chromium, held to the committed baseline (test/bench/perf/baseline.json). It fails only
 * on a gross regression (past 3× the baseline, confirmed by a second run), since CI machines are
 * noisy; `npm run bench` is the full measurement. Re-measure the baseline after a deliberate
 * change with `npx tsx test/bench/perf/run.ts --baseline`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchPersistent, type Browser } from './support/chromium.js';
import { startTestServer, type TestServer } from './support/server.js';
import { BENCH_MOUNTS, serveIsolated } from '../bench/perf/bench-page.js';
import { bestOf, measureQuick, QUICK_FIGURES, readBaseline, regressions, REGRESSION_FACTOR } from '../bench/perf/quick.js';

let server: TestServer;
let browser: Browser;

beforeAll(async () => {
  server = await startTestServer({ mounts: BENCH_MOUNTS });
  serveIsolated(server);
  browser = await launchPersistent();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('quick performance check', () => {
  it(`stays within ${REGRESSION_FACTOR}× the committed baseline`, { timeout: 120_000 }, async () => {
    const baseline = readBaseline();
    let figures = await measureQuick(browser.context, server.origin);
    if (regressions(figures, baseline).length > 0) figures = bestOf(figures, await measureQuick(browser.context, server.origin));

    const lines = QUICK_FIGURES.map(({ key }) => `${key}: ${figures[key]} (baseline ${baseline[key]}, floor ${figures[`${key}Floor`] ?? 'in the ratio'})`);
    console.log(`quick perf (${baseline.measuredWith}):\n  ${lines.join('\n  ')}`);

    expect(figures.decideFallbacks, 'decides that fell back to the default instead of reaching the engine').toBe(0);
    expect(figures.coldStartFallbacks, 'cold starts that fell back to the default').toBe(0);
    const failed = regressions(figures, baseline).map((r) => `${r.key}: ${r.value} is ${r.factor.toFixed(1)}× worse than the baseline ${r.baseline}`);
    expect(failed, 'gross regressions past the baseline').toEqual([]);
  });
});
