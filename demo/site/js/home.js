// The home page: a personalized hero and a personalized shelf, chosen on the device. Each pick is
// one decide() call, logged with its propensity; the shelf is a slate built one pick at a time.
import { startInsitu, engineStarted } from './insitu-esm.js';
import { loadCatalog, byPopularity, bookUrl } from './catalog.js';
import { mountChrome } from './chrome.js';
import { bookCard, byline, ratingLine, reasonList, shelfLinks, tagChips } from './cards.js';
import { cover } from './cover.js';
import { h, replace } from './dom.js';

/** Books on the "Picked for you" shelf. */
const SHELF_SIZE = 8;

const client = startInsitu();
const catalog = await loadCatalog();
const panel = mountChrome(client, catalog);
replace(document.getElementById('shelf-links'), shelfLinks(catalog, { limit: 12 }));

let rendering;
async function renderPicks() {
  // A consent change while rendering: finish, then render once more with the new state.
  if (rendering) return rendering.then(renderPicks);
  rendering = (async () => {
    const popular = byPopularity(catalog).map((book) => book.id);
    const hero = await client.decide('home-hero', { candidates: popular, fallback: popular[0] });
    renderHero(hero);
    const picks = [];
    let remaining = popular.filter((id) => id !== hero.itemId);
    for (let i = 0; i < SHELF_SIZE; i++) {
      const pick = await client.decide('home-shelf', { candidates: remaining, fallback: remaining[0] });
      picks.push(pick);
      remaining = remaining.filter((id) => id !== pick.itemId);
    }
    const shelf = document.getElementById('shelf');
    replace(shelf, picks.map((pick) => bookCard(catalog.byId.get(pick.itemId), { decision: pick, reason: pick.reasons[0], placement: 'home-shelf' })));
    shelf.removeAttribute('aria-busy');
    document.body.dataset.picks = String(Date.now());
  })().finally(() => (rendering = undefined));
  return rendering;
}

function renderHero(decision) {
  const book = catalog.byId.get(decision.itemId);
  const section = document.getElementById('hero');
  section.dataset.insituItem = book.id;
  section.dataset.insituDecision = decision.decisionId;
  section.dataset.policy = decision.policy;
  replace(
    section,
    h('div', { class: 'hero__cover' }, h('a', { href: bookUrl(book), tabindex: '-1', 'aria-hidden': 'true' }, cover(book, 'lg'))),
    h(
      'div',
      { class: 'hero__text' },
      h('p', { class: 'eyebrow', text: decision.policy === 'personalized' ? 'Picked for you' : 'Featured' }),
      h('h2', { class: 'hero__title', id: 'hero-title' }, h('a', { href: bookUrl(book), text: book.title })),
      h('p', { class: 'hero__byline', text: byline(book) }),
      h('p', { class: 'hero__rating', text: ratingLine(book) }),
      h('ul', { class: 'tag-list', 'aria-label': 'Shelves' }, tagChips(catalog, book, 4)),
      h('div', { class: 'hero__why' }, h('h3', { class: 'hero__why-title', text: 'Why this book' }), reasonList(decision)),
      h(
        'div',
        { class: 'hero__actions' },
        h('a', { class: 'button button--primary', href: bookUrl(book), text: 'Read more' }),
        h('button', { type: 'button', class: 'button', text: 'How was this chosen?', onclick: () => panel.open('decisions') }),
      ),
    ),
  );
  section.removeAttribute('aria-busy');
}

await engineStarted(client);
await renderPicks();
document.addEventListener('quire:consent', () => void renderPicks());
