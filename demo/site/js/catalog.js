// The shop's catalog (demo/site/data, built by demo/scripts/make-catalog.ts from goodbooks-10k).

let loaded;

/** { books, byId, shelves, shelfByTag } — fetched once per page. */
export function loadCatalog() {
  loaded ??= Promise.all([fetchJson('/data/books.json'), fetchJson('/data/shelves.json')]).then(([books, shelves]) => ({
    books,
    byId: new Map(books.map((book) => [book.id, book])),
    shelves,
    shelfByTag: new Map(shelves.map((shelf) => [shelf.tag, shelf])),
  }));
  return loaded;
}

async function fetchJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

/** How a shelf reads in the shop ("Young adult"), from shelves.json when known. */
export function shelfLabel(catalog, tag) {
  return catalog.shelfByTag.get(tag)?.label ?? tag.replace(/-/g, ' ');
}

/** Genre shelves first (what a reader browses by), most stocked first. */
export function genreShelves(catalog, limit = Infinity) {
  return catalog.shelves.filter((shelf) => shelf.kind === 'genre').slice(0, limit);
}

export function bookUrl(book) {
  return `/book.html?id=${encodeURIComponent(book.id)}`;
}

export function shelfUrl(tag) {
  return `/shelf.html?tag=${encodeURIComponent(tag)}`;
}

/** Books on a shelf, most read first. */
export function booksOnShelf(catalog, tag) {
  return catalog.books.filter((book) => book.tags.includes(tag)).sort((a, b) => b.ratings - a.ratings);
}

/** The catalog's books, most read first. */
export function byPopularity(catalog) {
  return [...catalog.books].sort((a, b) => b.ratings - a.ratings);
}

export function yearText(book) {
  if (book.year === undefined) return '';
  return book.year < 0 ? `c. ${-book.year} BC` : String(book.year);
}

/**
 * Books like this one, for "Readers also liked": the same series first, then the same author,
 * then the most shared genre shelves; ties go to the more read book.
 */
export function similarBooks(catalog, book, limit) {
  const series = book.series?.replace(/\s*#.*$/, '');
  const genres = new Set(book.tags.filter((tag) => catalog.shelfByTag.get(tag)?.kind === 'genre'));
  return catalog.books
    .filter((other) => other.id !== book.id)
    .map((other) => ({
      other,
      score: (series && other.series?.replace(/\s*#.*$/, '') === series ? 100 : 0) + (other.authors === book.authors ? 10 : 0) + other.tags.filter((tag) => genres.has(tag)).length,
    }))
    .filter(({ score }) => score > 0)
    .sort((a, b) => b.score - a.score || b.other.ratings - a.other.ratings)
    .slice(0, limit)
    .map(({ other }) => other);
}
