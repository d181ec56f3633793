// The audit panel: a button fixed in a corner opens a dialog that shows everything insitu knows
// and sends. Each tab is a module with update(snapshot); the panel refreshes the snapshot while open.
import { h, replace, s } from '../dom.js';
import { createOverview } from './overview.js';
import { createActivity } from './activity.js';
import { createStorage } from './storage.js';
import { createInterests } from './interests.js';
import { createDecisions } from './decisions.js';
import { createNetwork } from './network.js';
import { createCollectorDashboard } from './collector.js';
import { createActions } from './actions.js';

/** While open, the panel re-reads the device's data this often (exportData reads IndexedDB). */
const REFRESH_INTERVAL_MS = 2000;
/** Events arrive in bursts (impressions); refresh once the burst is over. */
const EVENT_REFRESH_DELAY_MS = 400;

export function mountAuditPanel(client, catalog) {
  let timer;
  let pendingRefresh;
  let refreshing;
  let lastSnapshot;

  const ctx = {
    client,
    catalog,
    refresh: () => refresh(),
    titleOf: (itemId) => catalog.byId.get(itemId)?.title ?? itemId,
  };
  const activity = createActivity(ctx);
  const sections = [createOverview(ctx), activity, createStorage(ctx), createInterests(ctx), createDecisions(ctx), createNetwork(ctx), createCollectorDashboard(ctx)];
  const actions = createActions(ctx);

  const badge = h('span', { class: 'audit-toggle__badge', 'aria-hidden': 'true', text: '0' });
  const toggle = h(
    'button',
    { type: 'button', class: 'audit-toggle', 'aria-haspopup': 'dialog', 'aria-controls': 'audit', id: 'audit-toggle' },
    shieldIcon(),
    h('span', { class: 'audit-toggle__label', text: 'What this site knows' }),
    badge,
  );

  const tabs = sections.map((section, index) =>
    h('button', {
      type: 'button',
      role: 'tab',
      id: `audit-tab-${section.id}`,
      class: 'audit__tab',
      'aria-controls': `audit-panel-${section.id}`,
      'aria-selected': index === 0 ? 'true' : 'false',
      tabindex: index === 0 ? '0' : '-1',
      'data-audit-tab': section.id,
      text: section.label,
      onclick: () => select(index),
    }),
  );
  const tabList = h('div', { role: 'tablist', class: 'audit__tabs', 'aria-label': 'Audit sections', onkeydown: onTabKey }, tabs);
  const panels = sections.map((section, index) =>
    h(
      'section',
      {
        role: 'tabpanel',
        id: `audit-panel-${section.id}`,
        class: 'audit__panel',
        'aria-labelledby': `audit-tab-${section.id}`,
        hidden: index !== 0,
        tabindex: '0',
      },
      section.element,
    ),
  );

  const status = h('p', { class: 'audit__status', role: 'status', 'aria-live': 'polite' });
  const dialog = h(
    'dialog',
    { class: 'audit', id: 'audit', 'aria-labelledby': 'audit-title', 'aria-describedby': 'audit-subtitle' },
    h(
      'header',
      { class: 'audit__header' },
      h('div', {}, h('h2', { id: 'audit-title', class: 'audit__title', text: 'What this site knows about you' }), h('p', { id: 'audit-subtitle', class: 'audit__subtitle', text: 'Everything insitu keeps on this device, every decision it made, and every byte it sent.' })),
      h('button', { type: 'button', class: 'audit__close', 'aria-label': 'Close', onclick: () => dialog.close(), text: '×' }),
    ),
    tabList,
    h('div', { class: 'audit__body' }, panels),
    h('footer', { class: 'audit__footer' }, actions.element, status),
  );

  function select(index, focus = false) {
    tabs.forEach((tab, i) => {
      tab.setAttribute('aria-selected', String(i === index));
      tab.tabIndex = i === index ? 0 : -1;
      panels[i].hidden = i !== index;
    });
    if (focus) tabs[index].focus();
    sections[index].shown?.();
  }

  function onTabKey(event) {
    const current = tabs.indexOf(document.activeElement);
    if (current < 0) return;
    const moves = { ArrowRight: current + 1, ArrowLeft: current - 1, Home: 0, End: tabs.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    select((moves[event.key] + tabs.length) % tabs.length, true);
  }

  async function refresh() {
    if (refreshing) return refreshing;
    refreshing = (async () => {
      try {
        const snapshot = await client.exportData();
        lastSnapshot = snapshot;
        for (const section of sections) section.update(snapshot);
        actions.update(snapshot);
        dialog.dataset.refreshed = String(Date.now());
      } catch (error) {
        replace(status, `Could not read the device's data: ${error?.message ?? error}`);
      } finally {
        refreshing = undefined;
      }
    })();
    return refreshing;
  }

  function refreshSoon() {
    if (!dialog.open || pendingRefresh) return;
    pendingRefresh = setTimeout(() => {
      pendingRefresh = undefined;
      void refresh();
    }, EVENT_REFRESH_DELAY_MS);
  }

  let captured = 0;
  client.on('event', (payload) => {
    captured += 1;
    badge.textContent = String(captured);
    activity.onEvent(payload);
    refreshSoon();
  });
  client.on('decision', (decision) => {
    activity.onDecision(decision);
    refreshSoon();
  });
  client.on('status', () => refreshSoon());

  function open(tabId) {
    const index = sections.findIndex((section) => section.id === tabId);
    if (index >= 0) select(index);
    if (!dialog.open) {
      dialog.showModal();
      timer = setInterval(() => void refresh(), REFRESH_INTERVAL_MS);
    }
    void refresh();
  }
  toggle.addEventListener('click', () => open());
  dialog.addEventListener('close', () => {
    clearInterval(timer);
    toggle.focus();
  });
  ctx.say = (message) => replace(status, message);
  ctx.snapshot = () => lastSnapshot;

  document.body.append(toggle, dialog);
  return { open, refresh };
}

function shieldIcon() {
  return s(
    'svg',
    { viewBox: '0 0 24 24', class: 'audit-toggle__icon', 'aria-hidden': 'true' },
    s('path', { d: 'M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Zm0 5a3 3 0 1 1 0 6 3 3 0 0 1 0-6Zm0 13c-2.1-.9-3.8-2.6-4.6-4.6.9-1.3 2.7-2.2 4.6-2.2s3.7.9 4.6 2.2c-.8 2-2.5 3.7-4.6 4.6Z' }),
  );
}
