/**
 * Builds the demo bookshop's data from goodbooks-10k (CC BY-SA 4.0) in ../shared/data:
 *   demo/site/data/books.json     the catalog (insitu CatalogItem fields plus what the shop displays)
 *   demo/site/data/priors.json    catalog priors in the engine's format, from public aggregate counts
 *   demo/site/data/shelves.json   the shelves (tags) the shop lists, with labels and counts
 *   demo/site/data/ATTRIBUTION.md source, license and what was changed
 *
 *   npx tsx demo/scripts/make-catalog.ts
 *
 * The output is committed (a CC BY-SA subset with attribution), so the demo runs where the data set
 * is absent; this script then says so and exits 0.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { AUTHOR_SHELVES, BOOK_SHELVES, SENSITIVE_SHELVES } from './book-genres.js';
import { parseCsv } from './csv.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SOURCE = resolve(ROOT, '../shared/data/goodbooks-10k-meta');
const OUT = join(ROOT, 'demo/site/data');

/** A shop a person can browse in a few minutes, and enough books per shelf to show a shift. */
export const CATALOG_SIZE = 300;
/** Shelves per book: enough for the model to find overlap, few enough to read on a card. */
export const MAX_SHELVES = 8;
/** Neighbours per book in the priors: the engine reads the best first, a short list is enough. */
export const MAX_NEIGHBOURS = 8;
/** Languages the shop's (English) catalog keeps; '' is how books.csv leaves many English titles. */
const ENGLISH = new Set(['eng', 'en-US', 'en-GB', 'en-CA', '']);
/** Companions, omnibus editions and abridged duplicates of books already in the shop. */
const SKIPPED_BOOK_IDS = new Set([189, 219, 220, 257]);

export interface Book {
  id: string;
  title: string;
  series?: string;
  authors: string;
  year?: number;
  tags: string[];
  text: string;
  sensitive?: string;
  rating: number;
  ratings: number;
}

interface SourceRow {
  bookId: number;
  authors: string[];
  year: number | undefined;
  title: string;
  originalTitle: string;
  language: string;
  averageRating: number;
  ratingsCount: number;
}

function rowsFrom(csv: string): SourceRow[] {
  const [header, ...lines] = parseCsv(csv);
  if (!header) throw new Error('books.csv is empty');
  const column = (name: string) => {
    const index = header.indexOf(name);
    if (index < 0) throw new Error(`books.csv has no column ${name}`);
    return index;
  };
  const c = {
    id: column('book_id'),
    authors: column('authors'),
    year: column('original_publication_year'),
    title: column('title'),
    original: column('original_title'),
    language: column('language_code'),
    rating: column('average_rating'),
    count: column('ratings_count'),
  };
  return lines
    .filter((line) => line.length >= header.length)
    .map((line) => {
      const year = Number.parseFloat(line[c.year] ?? '');
      return {
        bookId: Number(line[c.id]),
        authors: (line[c.authors] ?? '').split(',').map((a) => a.trim()).filter(Boolean),
        year: Number.isFinite(year) ? Math.trunc(year) : undefined,
        title: (line[c.title] ?? '').trim(),
        originalTitle: (line[c.original] ?? '').trim(),
        language: (line[c.language] ?? '').trim(),
        averageRating: Number(line[c.rating]),
        ratingsCount: Number(line[c.count]),
      };
    });
}

/**
 * "Catching Fire (The Hunger Games, #2)" → title "Catching Fire", series "The Hunger Games #2";
 * "The Firm (Penguin Readers, Level 5)" → "The Firm" (an edition note, not part of the title).
 */
function splitSeries(title: string): { title: string; series?: string } {
  const clean = (text: string) => text.replace(/\s+/g, ' ').trim();
  const series = /^(.*?)\s*\(([^()]*?),?\s*#\s*([\d.\-–]+)\)\s*$/.exec(title);
  if (series) return { title: clean(series[1]!), series: `${clean(series[2]!)} #${series[3]}` };
  const note = /^(.+?)\s*\([^()]*\)\s*$/.exec(title);
  return { title: clean(note ? note[1]! : title) };
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

function seriesShelf(series: string | undefined): string | undefined {
  return series ? slug(series.replace(/\s*#.*$/, '')) : undefined;
}

function shelvesFor(row: SourceRow, series: string | undefined, vocabulary: Set<string>, sharedSeries: Set<string>): string[] {
  const author = row.authors[0] ?? '';
  const assigned = BOOK_SHELVES[row.bookId] ?? AUTHOR_SHELVES[author];
  if (!assigned) throw new Error(`no shelves for "${author}" (book ${row.bookId}): add them to book-genres.ts`);
  // No century shelf: a third of the shop shares each one, so it would say little about taste
  // and drown the genres (the year is shown on the book, not learned from).
  const shelves = assigned.split(/\s+/).filter(Boolean);
  // A series becomes a shelf only where Goodreads readers made it one (e.g. harry-potter), and only
  // when the shop stocks more than one of its books (a one-book shelf links nothing).
  const shelf = seriesShelf(series);
  if (shelf && vocabulary.has(shelf) && sharedSeries.has(shelf)) shelves.push(shelf);
  for (const shelf of shelves) {
    if (!vocabulary.has(shelf)) throw new Error(`"${shelf}" (book ${row.bookId}) is not a shelf name in tags.csv`);
  }
  return [...new Set(shelves)].slice(0, MAX_SHELVES);
}

export function buildBooks(rows: SourceRow[], vocabulary: Set<string>): Book[] {
  const chosen = rows
    .filter((row) => ENGLISH.has(row.language) && !SKIPPED_BOOK_IDS.has(row.bookId) && row.title && row.authors.length)
    .sort((a, b) => b.ratingsCount - a.ratingsCount || a.bookId - b.bookId)
    .slice(0, CATALOG_SIZE);
  const seriesCounts = new Map<string, number>();
  for (const row of chosen) {
    const shelf = seriesShelf(splitSeries(row.title).series);
    if (shelf) seriesCounts.set(shelf, (seriesCounts.get(shelf) ?? 0) + 1);
  }
  const sharedSeries = new Set([...seriesCounts].filter(([, n]) => n > 1).map(([shelf]) => shelf));
  return chosen.map((row) => {
    const { title, series } = splitSeries(row.title);
    const tags = shelvesFor(row, series, vocabulary, sharedSeries);
    const author = row.authors[0]!;
    const sensitive = tags.map((tag) => SENSITIVE_SHELVES[tag]).find(Boolean);
    return {
      id: `b${row.bookId}`,
      title,
      ...(series ? { series } : {}),
      authors: author,
      ...(row.year !== undefined ? { year: row.year } : {}),
      tags,
      // Title and author only: the shelves are features of their own, repeating them here would count them twice.
      text: `${title} by ${author}`,
      ...(sensitive ? { sensitive } : {}),
      rating: row.averageRating,
      ratings: row.ratingsCount,
    };
  });
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** Neighbour weight of another book in the same series: readers of one volume read the next. */
export const SAME_SERIES_WEIGHT = 0.8;
/** Neighbour weight of another book by the same author. */
export const SAME_AUTHOR_WEIGHT = 0.5;

/**
 * Priors from public aggregates only: popularity is the log of the book's Goodreads ratings count
 * (scaled to (0, 1]). Neighbours link books of one series or one author, the co-reading the data
 * set's metadata can vouch for; shelf overlap is left to the engine, which learns it from the
 * shelves themselves (neighbours made from the same shelves would count them twice).
 */
export function buildPriors(books: Book[]): { version: 1; popularity: Record<string, number>; neighbours: Record<string, Array<[string, number]>> } {
  const maxLog = Math.log1p(Math.max(...books.map((b) => b.ratings)));
  const popularity: Record<string, number> = {};
  for (const book of books) popularity[book.id] = round(Math.log1p(book.ratings) / maxLog, 4);
  const seriesOf = (book: Book) => book.series?.replace(/\s*#.*$/, '');
  const neighbours: Record<string, Array<[string, number]>> = {};
  for (const book of books) {
    const scored: Array<[string, number]> = [];
    for (const other of books) {
      if (other === book) continue;
      const sameSeries = seriesOf(book) !== undefined && seriesOf(book) === seriesOf(other);
      const weight = sameSeries ? SAME_SERIES_WEIGHT : book.authors === other.authors ? SAME_AUTHOR_WEIGHT : 0;
      if (weight > 0) scored.push([other.id, weight]);
    }
    scored.sort((a, b) => b[1] - a[1] || popularity[b[0]]! - popularity[a[0]]! || a[0].localeCompare(b[0]));
    if (scored.length) neighbours[book.id] = scored.slice(0, MAX_NEIGHBOURS);
  }
  return { version: 1, popularity, neighbours };
}

/** How a shelf name reads in the shop, where capitalizing it is not enough. */
const SHELF_LABELS: Record<string, string> = {
  childrens: "Children's",
  'chick-lit': 'Chick lit',
  'non-fiction': 'Non-fiction',
  'new-adult': 'New adult',
  'graphic-novels': 'Graphic novels',
  'self-help': 'Self-help',
  'true-crime': 'True crime',
};

export interface Shelf {
  tag: string;
  label: string;
  count: number;
  kind: 'genre' | 'series';
}

/** The shelves the shop lists, most stocked first: genres, then series. */
export function buildShelves(books: Book[]): Shelf[] {
  const counts = new Map<string, number>();
  for (const book of books) for (const tag of book.tags) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  // A series shelf reads as the series does ("Robert Langdon"), not as its slug.
  const seriesNames = new Map(books.flatMap((book) => (book.series ? [[seriesShelf(book.series)!, book.series.replace(/\s*#.*$/, '')] as const] : [])));
  const order = { genre: 0, series: 1 };
  return [...counts]
    .map(([tag, count]): Shelf => {
      const kind = seriesNames.has(tag) ? 'series' : 'genre';
      const label = SHELF_LABELS[tag] ?? seriesNames.get(tag) ?? (tag.charAt(0).toUpperCase() + tag.slice(1)).replace(/-/g, ' ');
      return { tag, label, count, kind };
    })
    .sort((a, b) => order[a.kind] - order[b.kind] || b.count - a.count || a.tag.localeCompare(b.tag));
}

const ATTRIBUTION = (count: number) => `# Attribution

\`books.json\` and \`priors.json\` are derived from **goodbooks-10k** by Zygmunt Zając
(https://github.com/zygmuntz/goodbooks-10k, commit 6dd165b, files \`books.csv\` and \`tags.csv\`),
licensed under the Creative Commons Attribution-ShareAlike 4.0 International License
(https://creativecommons.org/licenses/by-sa/4.0/). goodbooks-10k was compiled from Goodreads data.

These files are licensed under **CC BY-SA 4.0** as well.

What was changed, by \`demo/scripts/make-catalog.ts\`:
- Kept the ${count} English-language books with the most ratings (a few companion and omnibus
  editions left out), with title, first author, original publication year, average rating and
  ratings count. Series were split out of titles. Cover image URLs were dropped.
- Shelves (tags): the copy used has no \`book_tags.csv\`, so shelves were assigned by the insitu
  project, per author and for a few single books (\`demo/scripts/book-genres.ts\`), choosing only
  names from the data set's shelf vocabulary (\`tags.csv\`).
  They are not Goodreads users' shelf counts.
- Priors: popularity is the log of each book's ratings count, scaled to (0, 1]; neighbours are
  books of the same series or author.
`;

async function main(): Promise<void> {
  const booksCsv = join(SOURCE, 'books.csv');
  const tagsCsv = join(SOURCE, 'tags.csv');
  if (!existsSync(booksCsv) || !existsSync(tagsCsv)) {
    console.log(`goodbooks-10k-meta not found at ${SOURCE}: keeping the committed demo/site/data.`);
    return;
  }
  const [booksText, tagsText] = await Promise.all([readFile(booksCsv, 'utf8'), readFile(tagsCsv, 'utf8')]);
  const vocabulary = new Set(parseCsv(tagsText).slice(1).map((line) => (line[1] ?? '').trim()));
  const books = buildBooks(rowsFrom(booksText), vocabulary);
  const priors = buildPriors(books);
  await mkdir(OUT, { recursive: true });
  // One book a line: small, and a regenerated catalog diffs by book.
  await writeFile(join(OUT, 'books.json'), `[\n${books.map((book) => JSON.stringify(book)).join(',\n')}\n]\n`);
  await writeFile(join(OUT, 'priors.json'), `${JSON.stringify(priors)}\n`);
  await writeFile(join(OUT, 'shelves.json'), `${JSON.stringify(buildShelves(books), null, 1)}\n`);
  await writeFile(join(OUT, 'ATTRIBUTION.md'), ATTRIBUTION(books.length));
  const shelves = new Map<string, number>();
  for (const book of books) for (const tag of book.tags) shelves.set(tag, (shelves.get(tag) ?? 0) + 1);
  const top = [...shelves].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([tag, n]) => `${tag} ${n}`);
  console.log(`${books.length} books, ${shelves.size} shelves (${top.join(', ')}), ${books.filter((b) => b.sensitive).length} sensitive; written to ${OUT}`);
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
