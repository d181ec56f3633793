/**
 * The reference models insitu is measured against, all scored on the same split:
 * - random and popularity (no personal data);
 * - own-content: only this user's history and the items' genres and title words, as insitu has;
 * - ItemKNN and EASE: given every user's raw training data, what a server that collects
 *   everything could do (the upper bound insitu aims at without collecting anything).
 */
import type { RandomSource } from '../../../worker/types.js';
import type { Scorer } from './metrics.js';
import type { MovieLens, Split } from './movielens.js';
import { invertSpd } from './spd-inverse.js';

/**
 * EASE's L2 penalty. The EASE paper uses 500 on ML-20M and Netflix; on a validation split of this
 * data (tune.ts: each user's second-to-last event) HR@10 is 0.162, 0.168, 0.173, 0.155, 0.143 for
 * λ = 50, 100, 200, 500, 1000: a smaller catalog and fewer users want less shrinkage.
 */
export const EASE_LAMBDA = 200;
/**
 * ItemKNN keeps each item's strongest neighbours only. On the validation split (tune.ts) HR@10 is
 * 0.134, 0.142, 0.130, 0.125, 0.124 with 5, 10, 20, 100 and all neighbours: with 943 users most
 * co-occurrences beyond the first few are noise that dilutes the score.
 */
export const ITEMKNN_NEIGHBOURS = 10;

export function randomScorer(random: RandomSource): Scorer {
  return (_user, scores) => {
    for (let i = 0; i < scores.length; i++) scores[i] = random.next();
  };
}

/** How many training histories contain each item. */
export function itemCounts(split: Split): Float64Array {
  const counts = new Float64Array(split.items);
  for (const { train } of split.users) for (const item of train) counts[item]! += 1;
  return counts;
}

export function popularityScorer(split: Split): Scorer {
  const counts = itemCounts(split);
  return (_user, scores) => scores.set(counts);
}

/**
 * Content similarity to the user's own history: items as unit vectors of genres plus
 * idf-weighted title words (the release year left out), the user as the sum of their items,
 * cosine against every item. No other user's data enters, except the idf of title words.
 */
export function ownContentScorer(data: MovieLens, split: Split): Scorer {
  const vectors = contentVectors(data);
  const dimensions = vectors.reduce((max, v) => Math.max(max, ...v.keys()), 0) + 1;
  const profile = new Float64Array(dimensions);
  return (user, scores) => {
    profile.fill(0);
    for (const item of split.users[user]!.train) for (const [f, w] of vectors[item]!) profile[f]! += w;
    for (let i = 0; i < scores.length; i++) {
      let dot = 0;
      for (const [f, w] of vectors[i]!) dot += w * (profile[f] as number);
      scores[i] = dot; // item vectors are unit length, and the profile norm is the same for every item
    }
  };
}

const YEAR = /\(\d{4}\)\s*$/;
const WORD = /[a-z0-9']+/g;
/** Title words so common they say nothing about taste. */
const STOP_WORDS = new Set(['the', 'a', 'an', 'of', 'and', 'in', 'to', 'la', 'le', 'de', 'les']);

function contentVectors(data: MovieLens): Array<Map<number, number>> {
  const features = new Map<string, number>();
  const featureOf = (name: string) => {
    let index = features.get(name);
    if (index === undefined) features.set(name, (index = features.size));
    return index;
  };
  const words = data.movies.map((m) => [...new Set(m.title.replace(YEAR, '').toLowerCase().match(WORD) ?? [])].filter((w) => !STOP_WORDS.has(w)));
  const documentFrequency = new Map<string, number>();
  for (const list of words) for (const w of list) documentFrequency.set(w, (documentFrequency.get(w) ?? 0) + 1);
  return data.movies.map((movie, i) => {
    const vector = new Map<number, number>();
    for (const genre of movie.genres) vector.set(featureOf(`genre:${genre}`), 1);
    for (const w of words[i]!) vector.set(featureOf(`word:${w}`), Math.log(data.movies.length / (documentFrequency.get(w) ?? 1)) / 4);
    const norm = Math.sqrt([...vector.values()].reduce((s, v) => s + v * v, 0)) || 1;
    for (const [f, v] of vector) vector.set(f, v / norm);
    return vector;
  });
}

/** XᵀX of the binary user × item training matrix: co-occurrence counts, counts on the diagonal. */
export function gramMatrix(split: Split): Float64Array {
  const n = split.items;
  const gram = new Float64Array(n * n);
  for (const { train } of split.users) {
    for (const a of train) {
      const row = a * n;
      for (const b of train) gram[row + b]! += 1;
    }
  }
  return gram;
}

/** Item-based kNN: cosine on co-occurrence, top neighbours per item, summed over the user's items. */
export function itemKnnScorer(split: Split, gram: Float64Array, neighbours = ITEMKNN_NEIGHBOURS): Scorer {
  const n = split.items;
  const similarity = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const cj = gram[j * n + j] as number;
    if (cj === 0) continue;
    for (let i = 0; i < n; i++) {
      const ci = gram[i * n + i] as number;
      row[i] = i === j || ci === 0 ? 0 : (gram[j * n + i] as number) / Math.sqrt(ci * cj);
    }
    const threshold = kthLargest(row, neighbours);
    for (let i = 0; i < n; i++) if ((row[i] as number) >= threshold && (row[i] as number) > 0) similarity[j * n + i] = row[i] as number;
  }
  return sumOfRows(split, similarity, n);
}

/**
 * EASE (Steck 2019): B = I − P·diag(1/diag(P)) with P = (XᵀX + λI)⁻¹, zero diagonal;
 * a user's scores are their history row times B.
 */
export function easeScorer(split: Split, gram: Float64Array, lambda = EASE_LAMBDA): Scorer {
  const n = split.items;
  const g = Float64Array.from(gram);
  for (let i = 0; i < n; i++) g[i * n + i]! += lambda;
  const p = invertSpd(g, n);
  const weights = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    for (let i = 0; i < n; i++) {
      if (i !== j) weights[j * n + i] = -(p[j * n + i] as number) / (p[i * n + i] as number);
    }
  }
  return sumOfRows(split, weights, n);
}

/** scores = Σ over the user's training items j of row j of `matrix`. */
function sumOfRows(split: Split, matrix: Float64Array, n: number): Scorer {
  return (user, scores) => {
    for (const j of split.users[user]!.train) {
      const row = j * n;
      for (let i = 0; i < n; i++) scores[i]! += matrix[row + i] as number;
    }
  };
}

function kthLargest(values: Float64Array, k: number): number {
  if (k >= values.length) return -Infinity;
  const sorted = Float64Array.from(values).sort();
  return sorted[sorted.length - k] as number;
}
