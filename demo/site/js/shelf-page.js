// A shelf (list page by tag): every book on it, most read first, and one pick for you at the top.
import { startInsitu, engineStarted } from './insitu-esm.js';
import { loadCatalog, booksOnShelf, bookUrl, shelfLabel } from './catalog.js';
import { mountChrome } from './chrome.js';
import { bookCard, byline, reasonList, shelfLinks } from './cards.js';
import { cover } from './cover.js';
import { h, replace } from './dom.js';

const client = startInsitu();
const catalog = await loadCatalog();
mountChrome(client, catalog);

const tag = new URLSearchParams(location.search).get('tag') ?? '';
const books = booksOnShelf(catalog, tag);
const label = shelfLabel(catalog, tag);
document.title = `${label} — Quire`;
document.getElementById('shelf-title').textContent = label;
document.getElementById('crumb').textContent = label;
document.getElementById('shelf-count').textContent = books.length ? `${books.length} books, most read first` : 'No book on this shelf.';
const grid = document.getElementById('shelf-books');
replace(grid, books.map((book) => bookCard(book, { placement: `shelf:${tag}` })));
replace(document.getElementById('shelf-links'), shelfLinks(catalog, { except: tag }));
for (const link of document.querySelectorAll('.site-nav a')) {
  if (new URL(link.href).searchParams.get('tag') === tag) link.setAttribute('aria-current', 'page');
}
document.body.dataset.shelf = tag;

async function renderTopPick() {
  if (books.length < 2) return;
  const decision = await client.decide('shelf-top', { candidates: books.map((book) => book.id), fallback: books[0].id });
  const book = catalog.byId.get(decision.itemId);
  replace(
    document.getElementById('top-pick-body'),
    h(
      'article',
      { class: 'top-pick__card', 'data-insitu-item': book.id, 'data-insitu-decision': decision.decisionId, 'data-insitu-placement': 'shelf-top' },
      h('a', { href: bookUrl(book), tabindex: '-1', 'aria-hidden': 'true' }, cover(book, 'sm')),
      h('div', {}, h('h3', { class: 'top-pick__title' }, h('a', { href: bookUrl(book), text: book.title })), h('p', { class: 'muted', text: byline(book) }), reasonList(decision)),
    ),
  );
  document.getElementById('top-pick').hidden = false;
}

await engineStarted(client);
await renderTopPick();
document.body.dataset.picks = String(Date.now());
document.addEventListener('quire:consent', () => void renderTopPick());
