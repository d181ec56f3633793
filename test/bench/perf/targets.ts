/**
 * The performance targets of ../shared/design.md, keyed by the figure they judge. Every target is a
 * ceiling. They are set for the build machine unthrottled; the 4× throttled pass is shown against
 * the same ceilings for information.
 */
import { TARGETS } from '../../support/bundle-sizes.js';

export interface Target {
  /** Key in bench-results/perf.json. */
  key: string;
  label: string;
  unit: 'B' | 'µs' | 'ms' | 'count' | 'events/s';
  /** The figure passes when it is at most this. */
  max?: number;
}

/** The rows of the table, in order; those with `max` carry a target. */
export const ROWS: Target[] = [
  { key: 'loaderGzipBytes', label: 'loader (script tag), gzip', unit: 'B', max: TARGETS.loaderGzipBytes },
  { key: 'mainThreadGzipBytes', label: 'script tag: loader + runtime, gzip', unit: 'B' },
  { key: 'firstDecisionWorkerGzipBytes', label: 'first-decision worker code, gzip', unit: 'B', max: TARGETS.firstDecisionWorkerGzipBytes },
  { key: 'tfjsChunkGzipBytes', label: 'lazy tfjs chunk, gzip', unit: 'B', max: TARGETS.tfjsChunkGzipBytes },
  { key: 'workerLazyPartsGzipBytes', label: 'lazy reporting, rules, retention, gzip', unit: 'B' },
  { key: 'trackMedianUs', label: 'track() per call, median', unit: 'µs', max: 2 },
  { key: 'trackP99Us', label: 'track() per call, p99 of batches', unit: 'µs' },
  { key: 'decideP50Ms', label: 'decide() 50 candidates, p50', unit: 'ms', max: 0.5 },
  { key: 'decideP99Ms', label: 'decide() 50 candidates, p99', unit: 'ms', max: 2 },
  { key: 'decide500P50Ms', label: 'decide() 500 candidates, p50', unit: 'ms' },
  { key: 'decide500P99Ms', label: 'decide() 500 candidates, p99', unit: 'ms' },
  { key: 'coldStartMedianMs', label: 'cold start to 1st decision, fresh', unit: 'ms', max: 50 },
  { key: 'coldStartReturningMedianMs', label: 'cold start, returning (10k events)', unit: 'ms', max: 50 },
  { key: 'longTasks', label: 'long tasks from insitu (session)', unit: 'count', max: 0 },
  { key: 'ingestEventsPerSec', label: 'ingest into IndexedDB', unit: 'events/s' },
  { key: 'ingestEventsPerSecFirst10k', label: '  first 10k events of 100k', unit: 'events/s' },
  { key: 'ingestEventsPerSecLast10k', label: '  last 10k events of 100k', unit: 'events/s' },
  { key: 'storageBytesAfter100k', label: 'storage after 100k events', unit: 'B', max: 2 * 1024 * 1024 },
  { key: 'storageDiskLogBytesAfter100k', label: '  of which LevelDB write-ahead log', unit: 'B' },
  { key: 'storageDiskTableBytesAfter100k', label: '  of which LevelDB tables', unit: 'B' },
  { key: 'exportJsonBytesAfter100k', label: 'exportData() JSON after 100k', unit: 'B', max: 2 * 1024 * 1024 },
];

export const THROTTLED_SUFFIX = 'Throttled4x';

export type Verdict = 'pass' | 'miss' | '';

export function verdict(target: Target, value: number | string | undefined): Verdict {
  if (target.max === undefined || typeof value !== 'number' || !Number.isFinite(value)) return '';
  return value <= target.max ? 'pass' : 'miss';
}
