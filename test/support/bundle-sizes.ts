/**
 * Gzip sizes of what each surface ships, read from dist/ after `npm run build`. The worker's
 * first-decision code is its entry plus every chunk it imports statically; chunks reached only
 * through `import()` load later and are counted apart: tfjs (when the model first trains) and the
 * worker's other lazy parts (reporting, site rules, retention, the fetch transport).
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
 * code misses its 15 KB target: with reporting, the rules code and retention loaded by import()
 * after the first decision it was 25 KB (comlink, the engine and consent gate, the personalizer,
 * the IndexedDB store, the behavioural signals). Storage schema v3 (chunked events, Blob codec)
 * and the context block, time-based forgetting and second-order embedding updates brought it to
 * 28.1 KB, and it is 28.6 KB now; CI holds it to a ceiling (31 KB) ~8% above that so it cannot grow
 * unnoticed. Splitting the worker into an entry that opens the store and an engine chunk it
 * imports at once was measured and dropped: both halves are needed for the first decision (29.9 KB
 * together), and the cold start did not improve (the worker's thread, busy parsing the engine,
 * could not finish the store's open any sooner).
 */
export const BUDGETS = {
  loaderGzipBytes: TARGETS.loaderGzipBytes,
  firstDecisionWorkerGzipBytes: Math.round(31 * 1024),
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

/** Each chunk the entry's closure imports dynamically, with the files that import loads (beyond the closure). */
export function lazyParts(entry: string): Array<{ target: string; files: string[] }> {
  const eager = new Set(staticClosure(entry));
  const parts = new Map<string, string[]>();
  for (const file of eager) {
    for (const spec of specifiers(readFileSync(join(DIST, file), 'utf8'), DYNAMIC_IMPORT)) {
      const target = relative(DIST, resolve(DIST, dirname(file), spec));
      if (!parts.has(target)) parts.set(target, staticClosure(target).filter((reached) => !eager.has(reached)));
    }
  }
  return [...parts].map(([target, files]) => ({ target, files }));
}

/** Files reached only through dynamic import from the entry's closure. */
export function lazyChunks(entry: string): string[] {
  return [...new Set(lazyParts(entry).flatMap((part) => part.files))];
}

/** Strings only tfjs-core carries (its backend registry error and its URL flag name), which minifiers keep. */
const TFJS_MARKERS = ['not found in registry', 'tfjsflags'];

export function carriesTfjs(file: string): boolean {
  const code = readFileSync(join(DIST, file), 'utf8');
  return TFJS_MARKERS.some((marker) => code.includes(marker));
}

/** The files of the entry's lazy parts that bring tfjs, and those of the others. */
export function lazyChunksByKind(entry: string): { tfjs: string[]; other: string[] } {
  const parts = lazyParts(entry);
  const tfjs = new Set(parts.filter((part) => part.files.some(carriesTfjs)).flatMap((part) => part.files));
  const other = new Set(parts.flatMap((part) => part.files).filter((file) => !tfjs.has(file)));
  return { tfjs: [...tfjs], other: [...other] };
}

export interface BundleSizes {
  loaderGzipBytes: number;
  /** Everything the script tag puts on the main thread before the first decision. */
  mainThreadGzipBytes: number;
  firstDecisionWorkerGzipBytes: number;
  tfjsChunkGzipBytes: number;
  /** The worker's other lazily loaded chunks: reporting, site rules, retention, fetch transport. */
  workerLazyPartsGzipBytes: number;
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
  const lazy = lazyChunksByKind('insitu-worker.js');
  return {
    loaderGzipBytes: loader,
    mainThreadGzipBytes: mainThread,
    firstDecisionWorkerGzipBytes: workerEager,
    tfjsChunkGzipBytes: sum(lazy.tfjs),
    workerLazyPartsGzipBytes: sum(lazy.other),
    files,
  };
}
