/**
 * The demo catalog builder (demo/scripts/make-catalog.ts): CSV parsing, the books kept, their
 * shelves, and priors built from public aggregates only.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../demo/scripts/csv.js';
import { buildPriors, buildShelves, SAME_AUTHOR_WEIGHT, SAME_SERIES_WEIGHT, type Book } from '../../../demo/scripts/make-catalog.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, and CRLF lines', () => {
    const text = 'id,title,authors\r\n1,"Catching Fire (The Hunger Games, #2)",Suzanne Collins\r\n2,"He said ""hi""","A, B"\n3,"two\nlines",C';
    expect(parseCsv(text)).toEqual([
      ['id', 'title', 'authors'],
      ['1', 'Catching Fire (The Hunger Games, #2)', 'Suzanne Collins'],
      ['2', 'He said "hi"', 'A, B'],
      ['3', 'two\nlines', 'C'],
    ]);
  });
});

const book = (id: string, over: Partial<Book>): Book => ({ id, title: id, authors: 'A', tags: [], text: id, rating: 4, ratings: 1000, ...over });

describe('buildPriors', () => {
  const books = [
    book('b1', { series: 'Saga #1', authors: 'Ann', ratings: 1_000_000 }),
    book('b2', { series: 'Saga #2', authors: 'Ann', ratings: 10_000 }),
    book('b3', { authors: 'Ann', ratings: 100 }),
    book('b4', { authors: 'Bob', ratings: 1 }),
  ];
  const priors = buildPriors(books);

  it('scales popularity by the log of ratings counts, the most read book at 1', () => {
    expect(priors.popularity.b1).toBe(1);
    expect(priors.popularity.b2).toBeCloseTo(Math.log1p(10_000) / Math.log1p(1_000_000), 4);
    expect(priors.popularity.b4).toBeLessThan(priors.popularity.b3!);
  });

  it('links books of one series first, then of one author, and nothing else', () => {
    expect(priors.neighbours.b1).toEqual([
      ['b2', SAME_SERIES_WEIGHT],
      ['b3', SAME_AUTHOR_WEIGHT],
    ]);
    expect(priors.neighbours.b3).toEqual([
      ['b1', SAME_AUTHOR_WEIGHT],
      ['b2', SAME_AUTHOR_WEIGHT],
    ]);
    expect(priors.neighbours.b4).toBeUndefined();
  });
});

describe('buildShelves', () => {
  it('lists genres before series, most stocked first, with series read as their names', () => {
    const shelves = buildShelves([
      book('b1', { tags: ['fantasy', 'young-adult', 'harry-potter'], series: 'Harry Potter #1' }),
      book('b2', { tags: ['fantasy', 'harry-potter'], series: 'Harry Potter #2' }),
      book('b3', { tags: ['young-adult', 'childrens'] }),
      book('b4', { tags: ['fantasy'] }),
    ]);
    expect(shelves.map((s) => [s.tag, s.count, s.kind])).toEqual([
      ['fantasy', 3, 'genre'],
      ['young-adult', 2, 'genre'],
      ['childrens', 1, 'genre'],
      ['harry-potter', 2, 'series'],
    ]);
    expect(shelves.find((s) => s.tag === 'harry-potter')?.label).toBe('Harry Potter');
    expect(shelves.find((s) => s.tag === 'childrens')?.label).toBe("Children's");
  });
});

describe('the committed demo data', () => {
  const books: Book[] = JSON.parse(readFileSync(join(ROOT, 'demo/site/data/books.json'), 'utf8'));
  const priors = JSON.parse(readFileSync(join(ROOT, 'demo/site/data/priors.json'), 'utf8'));

  it('holds 300 books with unique ids, clean lowercase shelves, and no cover URLs', () => {
    expect(books).toHaveLength(300);
    expect(new Set(books.map((b) => b.id)).size).toBe(300);
    for (const b of books) {
      expect(b.tags.length).toBeGreaterThan(0);
      for (const tag of b.tags) expect(tag).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(b.tags).not.toContain('to-read');
      expect(b.tags).not.toContain('favorites');
      expect(JSON.stringify(b)).not.toMatch(/https?:/);
    }
  });

  it('has priors in the engine format for catalog ids only', () => {
    const ids = new Set(books.map((b) => b.id));
    expect(priors.version).toBe(1);
    expect(Object.keys(priors.popularity).every((id) => ids.has(id))).toBe(true);
    for (const [id, list] of Object.entries(priors.neighbours as Record<string, Array<[string, number]>>)) {
      expect(ids.has(id)).toBe(true);
      for (const [other, weight] of list) {
        expect(ids.has(other)).toBe(true);
        expect(weight).toBeGreaterThan(0);
        expect(weight).toBeLessThanOrEqual(1);
      }
    }
  });
});
