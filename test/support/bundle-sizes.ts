/**
 * Gzip sizes of what each surface ships, read from dist/ after `npm run build`. The worker's
 * first-decision code is its entry plus every chunk it imports statically; chunks reached only
 * through `import()` (tfjs) load later and are counted apart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export const DIST = resolve(import.meta.dirname, '../../dist');

/** Targets from ../shared/design.md, in gzip bytes: what the benchmark reports each size against. */
export const TARGETS = {
  loaderGzipBytes: 5 * 1024,
  firstDecisionWorkerGzipBytes: 15 * 1024,
  tfjsChunkGzipBytes: 90 * 1024,
} as const;

/**
 * What CI enforces. Equal to the target where the build meets it. The worker's first-decision
 * code misses its 15 KB target (36 KB: the whole engine, reporter and rules included, loads
 * before the first decision); until it is split, CI holds it to a ceiling 10% above today's size
 * so it cannot grow unnoticed.
 */
export const BUDGETS = {
  loaderGzipBytes: TARGETS.loaderGzipBytes,
  firstDecisionWorkerGzipBytes: 40 * 1024,
  tfjsChunkGzipBytes: TARGETS.tfjsChunkGzipBytes,
} as const;

export function gzipBytes(file: string): number {
  return gzipSync(readFileSync(file), { level: 9 }).length;
}

const STATIC_IMPORT = /(?:^|[;\n}])\s*import\s*(?:[\w*{}\s,$]+from\s*)?["']([^"']+)["']/g;
// Vite writes chunk imports with backticks as often as with quotes.
const DYNAMIC_IMPORT = /\bimport\(\s*["'`]([^"'`]+)["'`]\s*\)/g;

function specifiers(code: string, pattern: RegExp): string[] {
  return [...code.matchAll(pattern)].map((m) => m[1]!).filter((s) => s.startsWith('.'));
}

/** An entry and its static import closure, as paths relative to dist/. */
export function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'), STATIC_IMPORT)) visit(resolve(dirname(file), spec));
  };
  visit(resolve(DIST, entry));
  return [...seen].map((f) => relative(DIST, f));
}

/** Files reached only through dynamic import from the entry's closure. */
export function lazyChunks(entry: string): string[] {
  const eager = new Set(staticClosure(entry));
  const lazy = new Set<string>();
  for (const file of eager) {
    for (const spec of specifiers(readFileSync(join(DIST, file), 'utf8'), DYNAMIC_IMPORT)) {
      for (const reached of staticClosure(relative(DIST, resolve(DIST, dirname(file), spec)))) if (!eager.has(reached)) lazy.add(reached);
    }
  }
  return [...lazy];
}

export interface BundleSizes {
  loaderGzipBytes: number;
  /** Everything the script tag puts on the main thread before the first decision. */
  mainThreadGzipBytes: number;
  firstDecisionWorkerGzipBytes: number;
  tfjsChunkGzipBytes: number;
  files: Record<string, number>;
}

export function measureBundles(): BundleSizes {
  if (!existsSync(join(DIST, 'insitu.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
  const files: Record<string, number> = {};
  const sum = (list: string[]) => list.reduce((total, file) => total + (files[file] ??= gzipBytes(join(DIST, file))), 0);
  const loader = sum(staticClosure('insitu.js'));
  // The loader imports the runtime after the page renders: that is what the main thread runs in all.
  const mainThread = loader + sum(staticClosure('insitu-runtime.js'));
  const workerEager = sum(staticClosure('insitu-worker.js'));
  const tfjs = sum(lazyChunks('insitu-worker.js'));
  return { loaderGzipBytes: loader, mainThreadGzipBytes: mainThread, firstDecisionWorkerGzipBytes: workerEager, tfjsChunkGzipBytes: tfjs, files };
}
