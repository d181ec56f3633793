/**
 * Size budgets per entry point, on what `npm run build` put in dist/ (`npm test` builds first).
 * A failure names the entry, its gzip size, the bytes over, and the files that make it up.
 * tfjs must stay off the first-decision path: never in the worker's static import closure, nor on
 * the main thread, only in a chunk the worker loads with import() when it trains.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BUDGETS, carriesTfjs, DIST, lazyChunks, lazyChunksByKind, measureBundles, staticClosure, type BundleSizes } from '../support/bundle-sizes.js';

/** Which surface each budget covers: the entry whose closure it measures. */
const ENTRY_OF: Record<keyof typeof BUDGETS, string> = {
  loaderGzipBytes: 'insitu.js (script-tag loader) and its static imports',
  firstDecisionWorkerGzipBytes: 'insitu-worker.js and its static imports',
  tfjsChunkGzipBytes: 'the chunks that bring tfjs, which insitu-worker.js reaches only through import()',
};

const FILES_OF: Record<keyof typeof BUDGETS, () => string[]> = {
  loaderGzipBytes: () => staticClosure('insitu.js'),
  firstDecisionWorkerGzipBytes: () => staticClosure('insitu-worker.js'),
  tfjsChunkGzipBytes: () => lazyChunksByKind('insitu-worker.js').tfjs,
};

let sizes: BundleSizes;
beforeAll(() => {
  sizes = measureBundles();
});

describe('size budgets (gzip bytes, dist/)', () => {
  for (const key of Object.keys(BUDGETS) as Array<keyof typeof BUDGETS>) {
    it(`${key} stays within ${BUDGETS[key]} bytes`, () => {
      const bytes = sizes[key];
      const over = bytes - BUDGETS[key];
      const files = FILES_OF[key]()
        .map((file) => `${file} ${sizes.files[file] ?? 0} B`)
        .join(', ');
      expect(over, `${ENTRY_OF[key]}: ${bytes} B gzip is ${over} B over the ${BUDGETS[key]} B budget (${files})`).toBeLessThanOrEqual(0);
    });
  }
});

describe('tfjs stays off the first-decision path', () => {
  it("is in none of the worker's statically imported files", () => {
    const eager = staticClosure('insitu-worker.js');
    expect(eager.length).toBeGreaterThan(0);
    expect(eager.filter(carriesTfjs), 'tfjs found in the worker code loaded before the first decision').toEqual([]);
  });

  it('is in none of the main-thread entries', () => {
    const entries = ['insitu.js', 'insitu-runtime.js', 'insitu.esm.js'].filter((entry) => existsSync(join(DIST, entry)));
    const mainThread = [...new Set(entries.flatMap((entry) => staticClosure(entry)))];
    expect(mainThread.filter(carriesTfjs), 'tfjs found in code the page loads').toEqual([]);
  });

  it('is shipped, in a chunk the worker loads lazily', () => {
    const lazy = lazyChunks('insitu-worker.js');
    expect(lazy.filter(carriesTfjs), `no lazily loaded chunk of insitu-worker.js carries tfjs (lazy chunks: ${lazy.join(', ') || 'none'})`).not.toEqual([]);
  });
});
