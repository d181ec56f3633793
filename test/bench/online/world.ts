/**
 * The simulator's ground truth, fitted on MovieLens-100K: the probability that a user engages with
 * a movie is a logistic function of how well the movie's genres match the user's taste (the genre
 * mix of what they rated) and of the movie's popularity, plus a fixed per-(user, movie) effect
 * that no feature explains. Coefficients come from a logistic regression of "rated or not" on
 * all ratings and an equal number of unrated pairs, with the intercept corrected for that sampling.
 */
import { createSeededRandom } from '../../../worker/seeded-random.js';
import type { RandomSource } from '../../../worker/types.js';
import type { MovieLens } from '../quality/movielens.js';

/** Spread of the per-(user, item) logit effect: taste a genre profile cannot capture. */
export const IDIOSYNCRATIC_LOGIT_SD = 0.5;
/** Newton steps for the three-coefficient logistic fit; it converges in about six. */
const NEWTON_STEPS = 25;

export interface World {
  genres: string[];
  /** Per item: unit-length genre vector (length genres.length) and standardized log popularity. */
  itemGenres: Float64Array[];
  itemPopularity: Float64Array;
  /** Raw rating counts (the popularity anchor ranks by these). */
  itemCounts: Float64Array;
  /** Per user: unit-length taste over genres. */
  tastes: Float64Array[];
  coefficients: { intercept: number; taste: number; popularity: number };
  /** Click probability of `item` for a user with `taste`; `user` keys the fixed idiosyncratic effect. */
  clickProbability(taste: Float64Array, user: number, item: number): number;
}

export function fitWorld(data: MovieLens, seed: number): World {
  const genres = [...new Set(data.movies.flatMap((m) => m.genres))].sort();
  const genreIndex = new Map(genres.map((g, i) => [g, i]));
  const itemGenres = data.movies.map((movie) => {
    const v = new Float64Array(genres.length);
    for (const g of movie.genres) v[genreIndex.get(g)!] = 1;
    return normalize(v);
  });
  const itemCounts = new Float64Array(data.movies.length);
  for (const r of data.ratings) itemCounts[r.item]! += 1;
  const logCounts = Float64Array.from(itemCounts, (c) => Math.log1p(c));
  const m = mean(logCounts);
  const sd = Math.sqrt(mean(logCounts.map((v) => (v - m) ** 2)));
  const itemPopularity = logCounts.map((v) => (v - m) / sd);
  const tastes = Array.from({ length: data.users }, () => new Float64Array(genres.length));
  for (const r of data.ratings) add(tastes[r.user]!, itemGenres[r.item]!);
  tastes.forEach(normalize);

  const random = createSeededRandom(seed);
  const rated = new Set(data.ratings.map((r) => r.user * data.movies.length + r.item));
  const rows: Array<[number, number, number]> = []; // [taste match, popularity, label]
  for (const r of data.ratings) rows.push([dot(tastes[r.user]!, itemGenres[r.item]!), itemPopularity[r.item]!, 1]);
  while (rows.length < 2 * data.ratings.length) {
    const user = Math.floor(random.next() * data.users);
    const item = Math.floor(random.next() * data.movies.length);
    if (rated.has(user * data.movies.length + item)) continue;
    rows.push([dot(tastes[user]!, itemGenres[item]!), itemPopularity[item]!, 0]);
  }
  const [b0, b1, b2] = logisticFit(rows);
  // Case-control correction: the fit saw one unrated pair per rating; the world has many more.
  const unrated = data.users * data.movies.length - data.ratings.length;
  const intercept = b0 + Math.log(data.ratings.length / unrated);
  const coefficients = { intercept, taste: b1, popularity: b2 };

  return {
    genres,
    itemGenres,
    itemPopularity,
    itemCounts,
    tastes,
    coefficients,
    clickProbability(taste, user, item) {
      const logit =
        intercept + b1 * dot(taste, itemGenres[item]!) + b2 * itemPopularity[item]! + IDIOSYNCRATIC_LOGIT_SD * hashNormal(seed, user, item);
      return 1 / (1 + Math.exp(-logit));
    },
  };
}

/** Newton–Raphson for logistic regression on [x1, x2] with an intercept. */
function logisticFit(rows: Array<[number, number, number]>): [number, number, number] {
  let w = [0, 0, 0];
  for (let step = 0; step < NEWTON_STEPS; step++) {
    const gradient = [0, 0, 0];
    const hessian = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    for (const [x1, x2, y] of rows) {
      const x = [1, x1, x2];
      const p = 1 / (1 + Math.exp(-(w[0]! + w[1]! * x1 + w[2]! * x2)));
      for (let a = 0; a < 3; a++) {
        gradient[a]! += (y - p) * x[a]!;
        for (let b = 0; b < 3; b++) hessian[a * 3 + b]! += p * (1 - p) * x[a]! * x[b]!;
      }
    }
    w = w.map((v, i) => v + solve3(hessian, gradient)[i]!);
  }
  return w as [number, number, number];
}

/** Cramer's rule for the 3×3 Newton system. */
function solve3(m: number[], v: number[]): number[] {
  const det = (a: number[]) => a[0]! * (a[4]! * a[8]! - a[5]! * a[7]!) - a[1]! * (a[3]! * a[8]! - a[5]! * a[6]!) + a[2]! * (a[3]! * a[7]! - a[4]! * a[6]!);
  const d = det(m);
  return [0, 1, 2].map((col) => det(m.map((x, k) => (k % 3 === col ? v[Math.floor(k / 3)]! : x))) / d);
}

/** A fixed standard normal per (seed, user, item), so every policy faces the same world. */
function hashNormal(seed: number, user: number, item: number): number {
  const random: RandomSource = createSeededRandom((seed * 0x9e3779b1) ^ (user * 0x85ebca6b) ^ (item * 0xc2b2ae35));
  const u = 1 - random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function add(into: Float64Array, v: Float64Array): void {
  for (let i = 0; i < v.length; i++) into[i]! += v[i]!;
}

function normalize(v: Float64Array): Float64Array {
  const norm = Math.sqrt(dot(v, v));
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s / values.length;
}
