// Storage: what is on this device right now, browsable by kind. Read from exportData(), the same
// data the Export button downloads.
import { clockTime, h, replace } from '../dom.js';

/** Rows shown per list before "show all": a long history should not freeze the panel. */
const PAGE_ROWS = 50;
/** JSON longer than this is cut in the view (Export has all of it). */
const MAX_JSON_CHARS = 20_000;

const KINDS = [
  { id: 'events', label: 'Events', read: (snap) => snap.events },
  { id: 'memory', label: 'In memory', read: (snap) => snap.memory.events },
  { id: 'profile', label: 'Profile', read: (snap) => pick(snap.state, ['profile', 'signals', 'mutes']) ?? (snap.signals ? { signals: snap.signals } : undefined) },
  { id: 'model', label: 'Model', read: (snap) => snap.state.model },
  { id: 'decisions', label: 'Decisions', read: (snap) => snap.decisions },
  { id: 'outbox', label: 'Outbox', read: (snap) => snap.outbox },
  { id: 'other', label: 'Other', read: (snap) => pick(snap.state, ['device', 'reporter', 'ledger', 'bandit', 'sent']) },
];

export function createStorage(ctx) {
  let current = 'events';
  let showAll = false;
  let snapshot;
  const chips = new Map();
  const view = h('div', { class: 'storage__view', id: 'audit-storage-view' });
  const nav = h(
    'div',
    { class: 'chips', role: 'group', 'aria-label': 'What to show' },
    KINDS.map((kind) => {
      const count = h('span', { class: 'chip__count' });
      const chip = h('button', { type: 'button', class: 'chip', 'aria-pressed': String(kind.id === current), 'data-storage-kind': kind.id, onclick: () => show(kind.id) }, kind.label, ' ', count);
      chips.set(kind.id, { chip, count });
      return chip;
    }),
  );
  const summary = h('p', { class: 'muted', id: 'audit-storage-summary' });
  const element = h('div', {}, summary, nav, view);

  function show(id) {
    current = id;
    showAll = false;
    for (const [kind, { chip }] of chips) chip.setAttribute('aria-pressed', String(kind === id));
    render();
  }

  function render() {
    if (!snapshot) return;
    const kind = KINDS.find((k) => k.id === current);
    const value = kind.read(snapshot);
    if (value === undefined || (Array.isArray(value) && value.length === 0)) {
      replace(view, h('p', { class: 'empty', 'data-storage-empty': current, text: `Nothing here: no ${kind.label.toLowerCase()} on this device.` }));
      return;
    }
    if (current === 'events' || current === 'memory') replace(view, eventTable(value), more(value));
    else if (current === 'decisions') replace(view, decisionTable(value), more(value));
    else replace(view, json(value));
  }

  function more(list) {
    if (showAll || list.length <= PAGE_ROWS) return null;
    return h('button', { type: 'button', class: 'button button--small', text: `Show all ${list.length}`, onclick: () => ((showAll = true), render()) });
  }

  function rows(list) {
    const newestFirst = [...list].reverse();
    return showAll ? newestFirst : newestFirst.slice(0, PAGE_ROWS);
  }

  function eventTable(events) {
    return table(
      ['When', 'Type', 'Book', 'Page'],
      rows(events).map((event) => [clockTime(event.ts), event.type, event.itemId ? ctx.titleOf(event.itemId) : '—', event.page ?? '']),
      'Events, newest first',
    );
  }

  function decisionTable(decisions) {
    return table(
      ['When', 'Placement', 'Shown', 'Policy'],
      rows(decisions).map((d) => [clockTime(d.ts), d.placement, ctx.titleOf(d.itemId), d.policy]),
      'Decisions, newest first',
    );
  }

  function update(next) {
    snapshot = next;
    const total = KINDS.map((kind) => {
      const value = kind.read(next);
      const count = Array.isArray(value) ? value.length : value === undefined ? 0 : Object.keys(value).length;
      chips.get(kind.id).count.textContent = String(count);
      return count;
    });
    // Without a store (personalization not granted), what exportData() lists is held in memory only.
    const stored = ctx.client.status.storage?.mode === 'indexeddb' || ctx.client.status.storage?.mode === 'kv';
    summary.textContent = stored
      ? `Stored on this device: ${next.events.length} events, ${next.decisions.length} decisions, ${next.outbox.length} reports waiting to be sent.`
      : `Nothing is stored on this device. Held in memory until you leave this page: ${next.memory.events.length} events, ${next.decisions.length} decisions.`;
    summary.dataset.total = String(total.reduce((a, b) => a + b, 0));
    render();
  }

  return { id: 'storage', label: 'Storage', element, update };
}

function pick(object, keys) {
  const picked = Object.fromEntries(keys.filter((key) => object?.[key] !== undefined).map((key) => [key, object[key]]));
  return Object.keys(picked).length ? picked : undefined;
}

/** Pretty JSON; `maxChars: Infinity` shows all of it (what was sent home is never cut). */
export function json(value, { maxChars = MAX_JSON_CHARS } = {}) {
  const text = JSON.stringify(value, null, 2) ?? String(value);
  const cut = text.length > maxChars;
  return [h('pre', { class: 'json', tabindex: '0', text: cut ? `${text.slice(0, maxChars)}\n…` : text }), cut ? h('p', { class: 'muted', text: `Showing the first ${maxChars.toLocaleString()} characters of ${text.length.toLocaleString()}; Export has all of it.` }) : null];
}

export function table(headings, bodyRows, caption) {
  return h(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    h(
      'table',
      { class: 'table' },
      h('caption', { class: 'visually-hidden', text: caption }),
      h('thead', {}, h('tr', {}, headings.map((heading) => h('th', { scope: 'col', text: heading })))),
      h('tbody', {}, bodyRows.map((cells) => h('tr', {}, cells.map((cell) => h('td', { text: cell }))))),
    ),
  );
}
