/**
 * Catalog priors: item popularity and item–item neighbours, aggregates only (never one user's
 * data). `buildPriors` is the noise-free stand-in for priors built from aggregate reports: it
 * takes per-user item sequences and returns them in the engine's `Priors` format.
 * `indexPriors` turns shipped priors into typed arrays over the catalog for scoring.
 */
import { InsituError } from '../errors.js';
import type { Priors } from '../types.js';
import type { CatalogIndex } from './catalog.js';

/** Neighbours kept per item by default: enough for full-catalog ranking, small enough to ship. */
export const DEFAULT_MAX_NEIGHBOURS = 50;
/** Most neighbours a shipped list may hold; longer lists are cut (they are best first). */
export const MAX_PRIOR_NEIGHBOURS = 500;
/**
 * Shrinkage of co-occurrence similarity: sim · c/(c + SHRINK). A pair seen together by one user
 * keeps a third of its weight, so rare items do not get confident neighbours. (On MovieLens-100K
 * leave-last-out, 1–2 beat 5 and 20: test/bench/quality/insitu-quick.ts.)
 */
export const NEIGHBOUR_SHRINK = 2;
/**
 * Most recent items of each history that form pairs. Pair counting is quadratic in history
 * length; a few very long histories would otherwise dominate both the cost and the counts.
 */
export const MAX_HISTORY_FOR_PAIRS = 300;
/**
 * Pairs of items engaged with close together in time count more: sessions have themes and taste
 * drifts. A pair `d` positions apart counts 1/(1 + d/PAIR_DISTANCE_SCALE). On MovieLens-100K
 * leave-last-out, 5 lifted HR@10 from 0.11 (every pair equal) to 0.21; 3–10 are all close.
 */
export const PAIR_DISTANCE_SCALE = 5;
/** Weights are rounded to this many decimals: the file ships to every device. */
const WEIGHT_DECIMALS = 1e6;

export interface BuildPriorsOptions {
  maxNeighbours?: number;
}

/** Tuning knobs beyond the public options (the quality benchmark explores them). */
export interface PriorsTuning extends BuildPriorsOptions {
  shrink?: number;
  pairDistanceScale?: number;
  maxHistory?: number;
}

export function buildPriors(histories: string[][], options: PriorsTuning = {}): Priors {
  if (!Array.isArray(histories) || histories.some((h) => !Array.isArray(h) || h.some((id) => typeof id !== 'string'))) {
    throw new InsituError('invalid_argument', 'histories must be arrays of item ids');
  }
  const maxNeighbours = options.maxNeighbours ?? DEFAULT_MAX_NEIGHBOURS;
  if (!Number.isInteger(maxNeighbours) || maxNeighbours < 0 || maxNeighbours > MAX_PRIOR_NEIGHBOURS) {
    throw new InsituError('invalid_argument', `maxNeighbours must be an integer in [0, ${MAX_PRIOR_NEIGHBOURS}]`);
  }
  const shrink = options.shrink ?? NEIGHBOUR_SHRINK;
  const distanceScale = options.pairDistanceScale ?? PAIR_DISTANCE_SCALE;
  const maxHistory = options.maxHistory ?? MAX_HISTORY_FOR_PAIRS;

  const ids: string[] = [];
  const idIndex = new Map<string, number>();
  const users: number[][] = histories.map((history) => {
    // One user counts an item once, at its first engagement.
    const seen = new Set<number>();
    const sequence: number[] = [];
    for (const id of history) {
      let index = idIndex.get(id);
      if (index === undefined) {
        index = ids.length;
        idIndex.set(id, index);
        ids.push(id);
      }
      if (!seen.has(index)) {
        seen.add(index);
        sequence.push(index);
      }
    }
    return sequence;
  });

  const count = new Float64Array(ids.length);
  for (const sequence of users) for (const index of sequence) count[index]! += 1;

  // Where each item occurs: (user, position) pairs, so each item's row of co-occurrences is summed
  // into one dense scratch row (linear memory, no per-pair map entries).
  const recent = users.map((full) => (full.length > maxHistory ? full.slice(full.length - maxHistory) : full));
  const occurrenceCount = new Int32Array(ids.length + 1);
  for (const sequence of recent) for (const index of sequence) occurrenceCount[index + 1]! += 1;
  for (let i = 0; i < ids.length; i++) occurrenceCount[i + 1]! += occurrenceCount[i]!;
  const fill = occurrenceCount.slice(0, ids.length);
  const occurrenceUser = new Int32Array(occurrenceCount[ids.length]!);
  const occurrencePosition = new Int32Array(occurrenceCount[ids.length]!);
  recent.forEach((sequence, user) =>
    sequence.forEach((index, position) => {
      const at = fill[index]!++;
      occurrenceUser[at] = user;
      occurrencePosition[at] = position;
    }),
  );

  const weighted = new Float64Array(ids.length);
  const together = new Float64Array(ids.length);
  const touched: number[] = [];
  const popularity: Record<string, number> = {};
  const neighbours: Record<string, Array<[string, number]>> = {};
  ids.forEach((id, a) => {
    popularity[id] = count[a]!;
    if (maxNeighbours === 0) return;
    for (let k = occurrenceCount[a]!; k < occurrenceCount[a + 1]!; k++) {
      const sequence = recent[occurrenceUser[k]!]!;
      const p = occurrencePosition[k]!;
      for (let q = 0; q < sequence.length; q++) {
        if (q === p) continue;
        const b = sequence[q]!;
        if (together[b] === 0) touched.push(b);
        together[b]! += 1;
        weighted[b]! += distanceScale > 0 ? 1 / (1 + Math.abs(q - p) / distanceScale) : 1;
      }
    }
    const scored: Array<[number, number]> = [];
    for (const b of touched) {
      const users = together[b]!;
      const cosine = weighted[b]! / Math.sqrt(count[a]! * count[b]!);
      const similarity = cosine * (users / (users + shrink));
      if (similarity > 0) scored.push([b, similarity]);
      together[b] = 0;
      weighted[b] = 0;
    }
    touched.length = 0;
    // Best first; equal weights in id order so the file is the same on every run.
    scored.sort((x, y) => y[1] - x[1] || (ids[x[0]]! < ids[y[0]]! ? -1 : 1));
    const list = scored.slice(0, maxNeighbours).map(([b, w]): [string, number] => [ids[b]!, Math.round(w * WEIGHT_DECIMALS) / WEIGHT_DECIMALS]);
    if (list.length) neighbours[id] = list;
  });
  return { version: 1, popularity, neighbours };
}

/** Priors over the catalog's dense index, as the scorer reads them. */
export interface PriorIndex {
  /** Raw popularity weight per item (0 when unknown). */
  popularity: Float64Array;
  /** log(1 + popularity) scaled to [0, 1] by the most popular item. */
  popularityScore: Float32Array;
  /** Forward CSR: the neighbours of item j are targets/weights[offsets[j] .. offsets[j+1]). */
  offsets: Int32Array;
  targets: Int32Array;
  weights: Float32Array;
  /** Reverse CSR: the items that list i among their neighbours (to explain a score). */
  reverseOffsets: Int32Array;
  reverseSources: Int32Array;
  reverseWeights: Float32Array;
}

export function validatePriors(priors: unknown): Priors {
  const fail = (why: string): never => {
    throw new InsituError('invalid_priors', `priors: ${why}`);
  };
  if (typeof priors !== 'object' || priors === null) fail('not an object');
  const { version, popularity, neighbours } = priors as Record<string, unknown>;
  if (version !== 1) fail('version must be 1');
  if (typeof popularity !== 'object' || popularity === null || Array.isArray(popularity)) fail('popularity must be an object');
  if (typeof neighbours !== 'object' || neighbours === null || Array.isArray(neighbours)) fail('neighbours must be an object');
  for (const [id, weight] of Object.entries(popularity as object)) {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) fail(`popularity of ${JSON.stringify(id)} must be a non-negative number`);
  }
  for (const [id, list] of Object.entries(neighbours as object)) {
    if (!Array.isArray(list)) fail(`neighbours of ${JSON.stringify(id)} must be an array`);
    for (const pair of list as unknown[]) {
      if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'number' || !Number.isFinite(pair[1])) {
        fail(`neighbours of ${JSON.stringify(id)} must be [id, weight] pairs`);
      }
    }
  }
  return priors as Priors;
}

export function indexPriors(priors: Priors | undefined, catalog: CatalogIndex): PriorIndex {
  const n = catalog.items.length;
  const popularity = new Float64Array(n);
  const forward: Array<Array<[number, number]>> = [];
  if (priors) {
    for (const [id, weight] of Object.entries(priors.popularity)) {
      const index = catalog.indexOf.get(id);
      if (index !== undefined) popularity[index] = weight;
    }
    for (const [id, list] of Object.entries(priors.neighbours)) {
      const index = catalog.indexOf.get(id);
      if (index === undefined) continue;
      const kept: Array<[number, number]> = [];
      for (const [other, weight] of list.slice(0, MAX_PRIOR_NEIGHBOURS)) {
        const target = catalog.indexOf.get(other);
        // Negative or self links carry no usable evidence of shared taste.
        if (target !== undefined && target !== index && weight > 0) kept.push([target, weight]);
      }
      forward[index] = kept;
    }
  }
  let maxLog = 0;
  for (let i = 0; i < n; i++) maxLog = Math.max(maxLog, Math.log1p(popularity[i]!));
  const popularityScore = new Float32Array(n);
  if (maxLog > 0) for (let i = 0; i < n; i++) popularityScore[i] = Math.log1p(popularity[i]!) / maxLog;

  const offsets = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) offsets[j + 1] = offsets[j]! + (forward[j]?.length ?? 0);
  const targets = new Int32Array(offsets[n]!);
  const weights = new Float32Array(offsets[n]!);
  const reverseCount = new Int32Array(n + 1);
  for (let j = 0; j < n; j++) {
    (forward[j] ?? []).forEach(([target, weight], k) => {
      targets[offsets[j]! + k] = target;
      weights[offsets[j]! + k] = weight;
      reverseCount[target + 1]! += 1;
    });
  }
  const reverseOffsets = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) reverseOffsets[i + 1] = reverseOffsets[i]! + reverseCount[i + 1]!;
  const fill = reverseOffsets.slice(0, n);
  const reverseSources = new Int32Array(targets.length);
  const reverseWeights = new Float32Array(targets.length);
  for (let j = 0; j < n; j++) {
    for (let k = offsets[j]!; k < offsets[j + 1]!; k++) {
      const at = fill[targets[k]!]!++;
      reverseSources[at] = j;
      reverseWeights[at] = weights[k]!;
    }
  }
  return { popularity, popularityScore, offsets, targets, weights, reverseOffsets, reverseSources, reverseWeights };
}
