// The collector's side: what the site's reference collector (mounted on this origin) has received
// and what it releases — estimates with 95% intervals, only for cohorts of at least k devices.
import { clockTime, fixed, h, replace } from '../dom.js';
import { table } from './storage.js';

/** Requests listed from the collector's log (it keeps the last 200). */
const LISTED_REQUESTS = 20;

export function createCollectorDashboard(ctx) {
  const body = h('div', { class: 'collector', id: 'audit-collector' }, h('p', { class: 'muted', text: 'Loading…' }));
  const reload = h('button', { type: 'button', class: 'button button--small', text: 'Refresh', onclick: () => load() });
  const element = h(
    'div',
    {},
    h('p', { class: 'muted', text: 'This is the site’s side: the reference collector that receives the anonymous reports. It only ever sees noised counts, and publishes a figure only once enough devices stand behind it.' }),
    h('div', { class: 'toolbar' }, reload),
    body,
  );

  async function load() {
    try {
      const [estimates, requests] = await Promise.all([getJson('/collector/estimates'), getJson('/collector/requests')]);
      render(estimates, requests);
    } catch (error) {
      replace(body, h('p', { class: 'empty', text: `The collector did not answer: ${error?.message ?? error}` }));
    }
  }

  function render(estimates, requests) {
    const placements = Object.entries(estimates.placements ?? {});
    const posts = requests.requests.filter((r) => r.method === 'POST');
    replace(
      body,
      h(
        'dl',
        { class: 'facts' },
        h('dt', { text: 'Reports counted' }),
        h('dd', { 'data-collector-reports': String(estimates.reports), text: String(estimates.reports) }),
        h('dt', { text: 'Release threshold' }),
        h('dd', { text: `k = ${estimates.k} devices per cohort` }),
        h('dt', { text: 'Confidence' }),
        h('dd', { text: `${Math.round(estimates.confidence * 100)}% intervals` }),
        h('dt', { text: 'Requests received' }),
        h('dd', { text: String(requests.received) }),
      ),
      h('h3', { class: 'audit__heading', text: 'Estimates' }),
      placements.length ? placements.map(([name, placement]) => placementView(name, placement)) : h('p', { class: 'empty', text: 'No placement reported yet.' }),
      h('h3', { class: 'audit__heading', text: 'Engine health' }),
      released(estimates.health, (health) =>
        table(['Figure', 'Estimate (95% interval)'], [['Decisions', interval(health.decisions)], ['Deadline fallbacks', interval(health.deadlineFallbacks)], ...Object.entries(health.storageMode ?? {}).map(([mode, value]) => [`Storage: ${mode}`, interval(value)])], 'Engine health'),
      ),
      h('h3', { class: 'audit__heading', text: 'Reports received (the collector’s log)' }),
      posts.length
        ? table(
            ['Received', 'Status', 'Outcome', 'Idempotency-Key'],
            posts.slice(-LISTED_REQUESTS).reverse().map((r) => [clockTime(Date.parse(r.receivedAt)), String(r.status), r.outcome, r.idempotencyKey ?? '—']),
            'Reports the collector received',
          )
        : h('p', { class: 'empty', 'data-collector-empty': '', text: 'The collector has received no report.' }),
    );
  }

  function placementView(name, placement) {
    const groups = Object.entries(placement.groups);
    return h(
      'section',
      { class: 'placement' },
      h('h4', { class: 'decision__subheading', text: `Placement “${name}”` }),
      table(
        ['Group', 'Devices', 'Click-through (95% interval)', 'Conversion'],
        groups.map(([group, value]) =>
          'suppressed' in value ? [group, '—', `withheld: ${value.suppressed}`, '—'] : [group, String(value.devices), interval(value.ctr), interval(value.conversionRate)],
        ),
        `Placement ${name}`,
      ),
      h('p', { class: 'placement__lift', text: 'suppressed' in placement.lift ? `Lift of personalized over holdout: withheld (${placement.lift.suppressed}).` : `Lift (click-through difference): ${interval(placement.lift.ctrDifference)}` }),
    );
  }

  return { id: 'collector', label: 'Collector', element, update() {}, shown: () => load() };
}

function released(value, render) {
  return value && 'suppressed' in value ? h('p', { class: 'muted', text: `Withheld: ${value.suppressed}.` }) : render(value);
}

function interval(value) {
  if (!value) return '—';
  const bound = (x) => (x === null || !Number.isFinite(x) ? '∞' : fixed(x, 3));
  return `${fixed(value.estimate, 3)} (${bound(value.low)} to ${bound(value.high)})`;
}

async function getJson(url) {
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}
