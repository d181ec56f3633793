// Book cards and shelf links, shared by the pages. Auto-capture sees `data-insitu-item` elements:
// impressions when a card is on screen, clicks when it is opened.
import { h } from './dom.js';
import { cover } from './cover.js';
import { bookUrl, genreShelves, shelfLabel, shelfUrl, yearText } from './catalog.js';

/** One card in a row or grid. `decision` (optional) ties a click to the decision that showed it. */
export function bookCard(book, { decision, reason, placement } = {}) {
  return h(
    'li',
    { class: 'book-row__item' },
    h(
      'article',
      {
        class: 'card',
        'data-insitu-item': book.id,
        ...(placement ? { 'data-insitu-placement': placement } : {}),
        ...(decision ? { 'data-insitu-decision': decision.decisionId, 'data-policy': decision.policy } : {}),
      },
      h(
        'a',
        { class: 'card__link', href: bookUrl(book) },
        cover(book, 'md'),
        h('span', { class: 'card__title', text: book.title }),
        h('span', { class: 'card__author', text: book.authors }),
      ),
      // Cut to three lines on the card; the whole reason is in the tooltip and in the audit panel.
      reason ? h('p', { class: 'card__why', title: reason, text: reason }) : null,
    ),
  );
}

/** "by Suzanne Collins · 2008" */
export function byline(book) {
  return [`by ${book.authors}`, yearText(book)].filter(Boolean).join(' · ');
}

/** "★ 4.34 · 4.8M ratings on Goodreads" */
export function ratingLine(book) {
  const count = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 }).format(book.ratings);
  return `★ ${book.rating.toFixed(2)} · ${count} ratings on Goodreads`;
}

export function tagChips(catalog, book, limit = Infinity) {
  return book.tags
    .filter((tag) => catalog.shelfByTag.get(tag)?.kind === 'genre')
    .slice(0, limit)
    .map((tag) => h('li', {}, h('a', { class: 'tag', href: shelfUrl(tag), text: shelfLabel(catalog, tag) })));
}

export function shelfLinks(catalog, { except, limit = 24 } = {}) {
  return genreShelves(catalog)
    .filter((shelf) => shelf.tag !== except)
    .slice(0, limit)
    .map((shelf) => h('li', {}, h('a', { class: 'shelf-link', href: shelfUrl(shelf.tag) }, h('span', { text: shelf.label }), h('span', { class: 'shelf-link__count', text: String(shelf.count) }))));
}

/** The reasons insitu gave, as a short list a person reads. */
export function reasonList(decision) {
  const reasons = decision.reasons?.length ? decision.reasons : ['No reason was given.'];
  return h('ul', { class: 'reasons' }, reasons.map((reason) => h('li', { text: reason })));
}
