// Activity: a live log of what the page hands to insitu, as it happens (client.on('event') and
// client.on('decision')), newest first.
import { clockTime, h, replace } from '../dom.js';

/** The log keeps the most recent entries; older ones are in Storage. */
const MAX_LOG_ENTRIES = 200;

const EVENT_WORDS = {
  view: 'Viewed',
  impression: 'Saw',
  click: 'Clicked',
  dwell: 'Stayed on',
  scroll: 'Scrolled',
  convert: 'Added to basket',
};

export function createActivity(ctx) {
  const log = h('ol', { class: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', id: 'audit-event-log' });
  const empty = h('p', { class: 'empty', text: 'Nothing captured on this page yet. Scroll, open a book, or click a cover.' });
  const element = h(
    'div',
    {},
    h('p', { class: 'muted', text: 'What this page handed to insitu since it loaded. Events stay on this device; while personalization is not allowed they are kept in memory only and dropped when you leave.' }),
    empty,
    log,
  );

  function add(entry) {
    empty.hidden = true;
    log.prepend(entry);
    while (log.children.length > MAX_LOG_ENTRIES) log.lastElementChild.remove();
  }

  function onEvent({ type, input }) {
    const item = input.itemId ? ctx.titleOf(input.itemId) : '';
    const detail = [
      input.placement ? `in ${input.placement}` : '',
      type === 'dwell' && Number.isFinite(input.value) ? `${Math.round(input.value / 1000)} s` : '',
      type === 'scroll' && Number.isFinite(input.value) ? `${Math.round(input.value * 100)}% down` : '',
    ].filter(Boolean);
    add(
      h(
        'li',
        { class: 'log__entry', 'data-event-type': type },
        h('time', { class: 'log__time', datetime: new Date().toISOString(), text: clockTime(Date.now()) }),
        h('span', { class: `pill pill--${type}`, text: type }),
        h('span', { class: 'log__text', text: [EVENT_WORDS[type] ?? type, item || (type === 'view' ? 'this page' : ''), ...detail].filter(Boolean).join(' ') }),
      ),
    );
  }

  function onDecision(decision) {
    add(
      h(
        'li',
        { class: 'log__entry log__entry--decision' },
        h('time', { class: 'log__time', datetime: new Date().toISOString(), text: clockTime(Date.now()) }),
        h('span', { class: 'pill pill--decision', text: 'decision' }),
        h('span', { class: 'log__text', text: `${decision.placement}: showed ${ctx.titleOf(decision.itemId)} (${decision.policy}${decision.exploring ? ', exploring' : ''})` }),
      ),
    );
  }

  return { id: 'activity', label: 'Events', element, update() {}, onEvent, onDecision, clear: () => replace(log) };
}
