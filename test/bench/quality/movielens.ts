/**
 * MovieLens-100K for the quality benchmark: ratings as implicit positives, a leave-last-out split
 * per user with a seeded tie-break, and the movies as an insitu catalog (genres as tags, title as
 * text). Read from shared/data, never copied into the project (GroupLens terms: research use only).
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSeededRandom } from '../../../worker/seeded-random.js';
import type { CatalogItem } from '../../../worker/types.js';

export const MOVIELENS_DIR = resolve(import.meta.dirname, '../../../../shared/data/movielens-100k');
const FILES = ['u.data', 'u.item', 'u.genre'] as const;

export interface Rating {
  /** 0-based user and item indices (the files' ids minus one). */
  user: number;
  item: number;
  /** Seconds since the epoch. */
  ts: number;
}

export interface Movie {
  /** The MovieLens id as a string: the catalog id. */
  id: string;
  title: string;
  genres: string[];
}

export interface MovieLens {
  users: number;
  movies: Movie[];
  ratings: Rating[];
}

/** One user's leave-last-out split: the training events in time order and the held-out item. */
export interface UserSplit {
  train: Int32Array;
  /** Seconds, aligned with `train`. */
  trainTs: Float64Array;
  test: number;
  testTs: number;
}

export interface Split {
  seed: number;
  users: UserSplit[];
  items: number;
}

export function missingMovieLensFiles(): string[] {
  return FILES.filter((file) => !existsSync(resolve(MOVIELENS_DIR, file)));
}

export function loadMovieLens(): MovieLens {
  // u.item and u.genre are Latin-1 (accented titles such as "Misérables").
  const genreNames = readFileSync(resolve(MOVIELENS_DIR, 'u.genre'), 'latin1')
    .split('\n')
    .filter((line) => line.includes('|'))
    .map((line) => line.split('|')[0] as string);
  const movies: Movie[] = readFileSync(resolve(MOVIELENS_DIR, 'u.item'), 'latin1')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const fields = line.split('|');
      const flags = fields.slice(5);
      return {
        id: fields[0] as string,
        title: fields[1] as string,
        // "unknown" marks a movie without a genre: it is no taste signal.
        genres: genreNames.filter((name, g) => flags[g] === '1' && name !== 'unknown'),
      };
    });
  movies.forEach((movie, index) => {
    if (Number(movie.id) !== index + 1) throw new Error(`u.item: ids are not 1..n at line ${index + 1}`);
  });
  let users = 0;
  const ratings: Rating[] = readFileSync(resolve(MOVIELENS_DIR, 'u.data'), 'latin1')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [user, item, , ts] = line.split('\t').map(Number) as [number, number, number, number];
      users = Math.max(users, user);
      return { user: user - 1, item: item - 1, ts };
    });
  return { users, movies, ratings };
}

/**
 * Per user: order by time, break equal timestamps with a seeded random key (415 of 943 users end
 * on a tie; without a fixed rule the held-out item, and the scores, move a lot), hold out the last.
 */
export function leaveLastOut(data: MovieLens, seed: number): Split {
  const random = createSeededRandom(seed);
  const byUser: Array<Array<{ item: number; ts: number; key: number }>> = Array.from({ length: data.users }, () => []);
  for (const rating of data.ratings) byUser[rating.user]?.push({ item: rating.item, ts: rating.ts, key: random.next() });
  const users = byUser.map((events) => {
    events.sort((a, b) => a.ts - b.ts || a.key - b.key);
    const last = events[events.length - 1];
    if (!last || events.length < 2) throw new Error('every MovieLens-100K user has at least 20 ratings');
    const train = events.slice(0, -1);
    return {
      train: Int32Array.from(train, (e) => e.item),
      trainTs: Float64Array.from(train, (e) => e.ts),
      test: last.item,
      testTs: last.ts,
    };
  });
  return { seed, users, items: data.movies.length };
}

/** The movies as an insitu catalog. */
export function movieCatalog(data: MovieLens): CatalogItem[] {
  return data.movies.map((movie) => ({ id: movie.id, title: movie.title, tags: movie.genres, text: movie.title }));
}
