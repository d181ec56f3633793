/** Summaries of timing samples: nearest-rank percentiles, so a p99 is a sample that was measured. */

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** Rounded for the table and the JSON: timing figures carry no more digits than the clock gives. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

export function ratio(figure: number, floor: number): number {
  return floor > 0 ? round(figure / floor, 1) : Number.NaN;
}
