// The book page, on the script-tag install: the page talks to insitu through the stub queue
// (window.insitu.track / decide / flush), exactly as a site without a build step would; the audit
// panel uses the client the loader exposes once it has started (window.insitu.client).
import { loadCatalog, shelfLabel, shelfUrl, similarBooks, yearText } from './catalog.js';
import { mountChrome } from './chrome.js';
import { bookCard, byline, ratingLine, tagChips } from './cards.js';
import { cover } from './cover.js';
import { h, replace } from './dom.js';

/** Books in "Readers also liked", picked on the device among this many similar ones. */
const ALSO_LIKED = 4;
const ALSO_LIKED_CANDIDATES = 12;
/** Deadline for each pick; past it the neighbour list's own order is shown. */
const DECIDE_TIMEOUT_MS = 300;
/** How long the panel waits for the runtime that insitu.js imports. */
const RUNTIME_WAIT_MS = 15_000;

const insitu = window.insitu;
const catalog = await loadCatalog();
const id = new URLSearchParams(location.search).get('id') ?? '';
const book = catalog.byId.get(id);

if (!book) {
  document.getElementById('book-title').textContent = 'This book is not in the shop.';
  document.getElementById('book').removeAttribute('aria-busy');
} else {
  renderBook(book);
  // The page view (a view of this book, thanks to <meta name="insitu:item">) is what
  // personalization learns from: flush so it is with the engine before the visitor moves on.
  insitu.flush().finally(() => (document.body.dataset.viewRecorded = 'true'));
  document.getElementById('add-to-basket').addEventListener('click', () => {
    insitu.track('convert', { itemId: book.id, value: 1 });
    document.getElementById('basket-note').textContent = 'Added. (This demo shop has no checkout: nothing is bought.)';
  });
  void renderAlsoLiked(book);
}

scriptTagClient().then((client) => mountChrome(client, catalog));

function renderBook(book) {
  document.title = `${book.title} — Quire`;
  document.body.dataset.bookId = book.id;
  replace(document.getElementById('book-cover'), cover(book, 'lg'));
  document.getElementById('book-title').textContent = book.title;
  document.getElementById('book-byline').textContent = byline(book);
  document.getElementById('book-meta').textContent = ratingLine(book);
  replace(document.getElementById('book-tags'), tagChips(catalog, book));
  const facts = [
    ['First published', yearText(book) || 'unknown'],
    ['Series', book.series ?? '—'],
    ['Average rating', `${book.rating.toFixed(2)} of 5`],
    ['Ratings', book.ratings.toLocaleString('en')],
  ];
  replace(document.getElementById('book-facts'), facts.map(([term, value]) => [h('div', {}, h('dt', { text: term }), h('dd', { text: value }))]));
  const main = book.tags.find((tag) => catalog.shelfByTag.get(tag)?.kind === 'genre');
  if (main) replace(document.getElementById('crumb-shelf'), h('a', { href: shelfUrl(main), text: shelfLabel(catalog, main) }), h('span', { 'aria-hidden': 'true', text: ' › ' }), book.title);
  const article = document.getElementById('book');
  article.dataset.insituItem = book.id;
  article.removeAttribute('aria-busy');
}

async function renderAlsoLiked(book) {
  let candidates = similarBooks(catalog, book, ALSO_LIKED_CANDIDATES).map((similar) => similar.id);
  const picks = [];
  while (picks.length < ALSO_LIKED && candidates.length) {
    const decision = await insitu.decide('book-also', { candidates, fallback: candidates[0], timeoutMs: DECIDE_TIMEOUT_MS });
    picks.push(decision);
    candidates = candidates.filter((candidate) => candidate !== decision.itemId);
  }
  replace(
    document.getElementById('also'),
    picks.map((decision) => bookCard(catalog.byId.get(decision.itemId), { decision, placement: 'book-also' })),
  );
  document.body.dataset.picks = String(Date.now());
}

/**
 * The client behind the stub, once insitu.js has imported its runtime (which sets
 * window.insitu.client). The script-tag API has no "ready" callback, so this polls.
 */
function scriptTagClient() {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (window.insitu.client) return resolve(window.insitu.client);
      if (Date.now() - started > RUNTIME_WAIT_MS) return reject(new Error('the insitu runtime did not start'));
      setTimeout(check, 50);
    };
    check();
  });
}
