/**
 * The quick bench that CI runs (test/browser/perf-quick.test.ts) and the committed baseline it is
 * held to. CI machines are noisy and shared, so only a gross regression fails: a cost past
 * REGRESSION_FACTOR × its baseline, or a throughput below baseline / REGRESSION_FACTOR.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { measureTimings, type Figures } from './measure.js';
import { QUICK_PLAN } from './plans.js';

export const BASELINE_FILE = resolve(import.meta.dirname, 'baseline.json');

/** Noise on a shared 2-core runner stays well inside 3×; a real regression (a sync write, a lost batch) does not. */
export const REGRESSION_FACTOR = 3;

/**
 * The figures the quick check holds to the baseline; `higherIsBetter` marks throughputs. Ingest is
 * held as its ratio to the floor measured in the same run (the same events put straight into
 * IndexedDB): IndexedDB's own speed swings 3–4× with the machine's load, the ratio does not.
 */
export const QUICK_FIGURES = [
  { key: 'trackMedianUs', higherIsBetter: false },
  { key: 'decideP50Ms', higherIsBetter: false },
  { key: 'decideP99Ms', higherIsBetter: false },
  { key: 'coldStartMedianMs', higherIsBetter: false },
  { key: 'ingestEventsPerSecRatio', higherIsBetter: true },
] as const;

export type QuickKey = (typeof QUICK_FIGURES)[number]['key'];
export type Baseline = Record<QuickKey, number> & { measuredWith: string };

export function measureQuick(context: BrowserContext, origin: string, log: (line: string) => void = () => {}): Promise<Figures> {
  return measureTimings(context, { fresh: origin }, QUICK_PLAN, 1, log);
}

export function readBaseline(): Baseline {
  return JSON.parse(readFileSync(BASELINE_FILE, 'utf8')) as Baseline;
}

export function writeBaseline(figures: Figures, measuredWith: string): Baseline {
  const baseline = { measuredWith } as Baseline;
  for (const { key } of QUICK_FIGURES) {
    const value = figures[key];
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`quick bench produced no ${key}`);
    baseline[key] = value;
  }
  writeFileSync(BASELINE_FILE, JSON.stringify(baseline, null, 2) + '\n');
  return baseline;
}

export interface Regression {
  key: QuickKey;
  value: number;
  baseline: number;
  /** How many times worse than the baseline. */
  factor: number;
}

export function regressions(figures: Figures, baseline: Baseline): Regression[] {
  return QUICK_FIGURES.flatMap(({ key, higherIsBetter }) => {
    const value = figures[key];
    const base = baseline[key];
    if (typeof value !== 'number') return [{ key, value: Number.NaN, baseline: base, factor: Number.POSITIVE_INFINITY }];
    const factor = higherIsBetter ? base / value : value / base;
    return factor > REGRESSION_FACTOR ? [{ key, value, baseline: base, factor }] : [];
  });
}

/** The better of two quick runs per figure: a regression must show twice to fail. */
export function bestOf(a: Figures, b: Figures): Figures {
  const best: Figures = { ...a };
  for (const { key, higherIsBetter } of QUICK_FIGURES) {
    const x = a[key];
    const y = b[key];
    if (typeof x === 'number' && typeof y === 'number') best[key] = higherIsBetter ? Math.max(x, y) : Math.min(x, y);
    else if (typeof y === 'number') best[key] = y;
  }
  return best;
}
