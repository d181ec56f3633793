// Overview: where the engine runs, what storage holds, consent per purpose with controls, and the
// privacy-budget ledger.
import { fixed, h, replace, when } from '../dom.js';
import { choose, gpcEnabled } from '../consent-choice.js';

const PURPOSES = [
  { purpose: 'personalization', label: 'Personalization', detail: 'Keep a profile in this browser and learn from it. Withdrawing erases everything stored.' },
  { purpose: 'metrics', label: 'Anonymous reports', detail: 'Send noised daily counts home. Withdrawing empties the outbox.' },
  { purpose: 'sensitive', label: 'Sensitive topics', detail: 'Let books on health, religion or sexuality shape picks.' },
];
const VALUE_LABELS = { granted: 'Allowed', denied: 'Not allowed', pending: 'Not asked yet' };
const WORKER_LABELS = {
  starting: 'starting',
  running: 'in a Web Worker',
  restarting: 'restarting its worker',
  inline: 'on the page (no worker could start)',
  failed: 'not running',
};
const STORAGE_LABELS = { indexeddb: 'IndexedDB in this browser', kv: 'key-value store', memory: 'memory only (nothing written)' };
/**
 * insitu's defaults (worker/report/ledger.ts): the client does not expose the ledger's budget, so
 * the panel states the defaults this demo runs with.
 */
const BUDGET_EPSILON = 10;
const BUDGET_WINDOW_DAYS = 30;

export function createOverview(ctx) {
  const facts = h('dl', { class: 'facts' });
  const consentList = h('div', { class: 'consent-controls' });
  const ledger = h('div', { class: 'ledger' });
  const element = h(
    'div',
    {},
    h('h3', { class: 'audit__heading', text: 'Right now' }),
    facts,
    h('h3', { class: 'audit__heading', text: 'Your consent' }),
    consentList,
    h('h3', { class: 'audit__heading', text: 'Privacy budget' }),
    ledger,
  );

  const radios = new Map();
  for (const { purpose, label, detail } of PURPOSES) {
    const locked = purpose === 'metrics' && gpcEnabled();
    const name = `audit-consent-${purpose}`;
    const options = ['granted', 'denied'].map((value) => {
      const id = `${name}-${value}`;
      const input = h('input', {
        type: 'radio',
        name,
        id,
        value,
        disabled: locked,
        onchange: async () => {
          ctx.say(`${label}: ${VALUE_LABELS[value].toLowerCase()}…`);
          await choose(ctx.client, { [purpose]: value });
          ctx.say(`${label}: ${VALUE_LABELS[value].toLowerCase()}.`);
          await ctx.refresh();
        },
      });
      radios.set(`${purpose}:${value}`, input);
      return h('span', { class: 'segmented__option' }, input, h('label', { for: id, text: value === 'granted' ? 'Allow' : 'Don’t allow' }));
    });
    const state = h('span', { class: 'consent-control__state', 'data-consent-state': purpose });
    consentList.append(
      h(
        'fieldset',
        { class: 'consent-control' },
        h('legend', {}, h('span', { text: label }), state),
        h('p', { class: 'consent-control__detail', text: locked ? 'Locked off: your browser sends Global Privacy Control, and this site respects it.' : detail }),
        h('div', { class: 'segmented' }, options),
      ),
    );
  }

  function update(snapshot) {
    const status = ctx.client.status;
    const consent = snapshot.consent;
    const stored = snapshot.events.length;
    const inMemory = snapshot.memory.events.length;
    replace(
      facts,
      fact('Engine', `runs ${WORKER_LABELS[status.worker] ?? status.worker}`),
      fact('Storage', STORAGE_LABELS[status.storage?.mode] ?? 'not open'),
      fact('Events', `${stored} stored, ${inMemory} only in memory`),
      fact('Decisions', `${snapshot.decisions.length} logged on this device`),
      fact('Sent home', snapshot.sent.length ? `${snapshot.sent.length} request${snapshot.sent.length === 1 ? '' : 's'}` : 'nothing'),
      ...journeyFacts(snapshot.signals),
      fact('Global Privacy Control', { absent: 'not sent by this browser', respected: 'on, respected: no reports', overridden: 'on, overridden by this site' }[status.globalPrivacyControl] ?? 'unknown'),
    );
    for (const { purpose } of PURPOSES) {
      const value = consent[purpose];
      consentList.querySelector(`[data-consent-state="${purpose}"]`).textContent = VALUE_LABELS[value] ?? value;
      for (const option of ['granted', 'denied']) radios.get(`${purpose}:${option}`).checked = value === option;
    }
    renderLedger(snapshot.state.ledger);
  }

  function renderLedger(state) {
    const entries = Array.isArray(state?.entries) ? state.entries : [];
    const refusals = Array.isArray(state?.refusals) ? state.refusals : [];
    const windowStart = Date.now() - BUDGET_WINDOW_DAYS * 86_400_000;
    const spent = entries.filter((entry) => entry.periodEnd >= windowStart).reduce((sum, entry) => sum + entry.epsilon, 0);
    const share = Math.min(1, spent / BUDGET_EPSILON);
    replace(
      ledger,
      h('p', { class: 'ledger__summary', text: `ε ${fixed(spent, 2)} spent of ${BUDGET_EPSILON} allowed in any ${BUDGET_WINDOW_DAYS} days.` }),
      h('div', { class: 'meter', role: 'meter', 'aria-label': 'Privacy budget spent', 'aria-valuemin': '0', 'aria-valuemax': String(BUDGET_EPSILON), 'aria-valuenow': fixed(spent, 2) }, bar(share)),
      h('p', {
        class: 'muted',
        text: 'ε (epsilon) measures how much a report can reveal about you: each daily report spends some, and past the budget nothing is sent.',
      }),
      entries.length || refusals.length
        ? h(
            'table',
            { class: 'table' },
            h('caption', { class: 'visually-hidden', text: 'Ledger entries' }),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col', text: 'Period' }), h('th', { scope: 'col', text: 'ε' }), h('th', { scope: 'col', text: 'Outcome' }))),
            h(
              'tbody',
              {},
              entries.map((entry) => h('tr', {}, h('td', { text: period(entry) }), h('td', { text: fixed(entry.epsilon, 2) }), h('td', { text: `report built ${when(entry.recordedAt)}` }))),
              refusals.map((refusal) => h('tr', {}, h('td', { text: period(refusal) }), h('td', { text: '0' }), h('td', { text: refusalText(refusal) }))),
            ),
          )
        : h('p', { class: 'empty', text: 'No report has been built on this device yet.' }),
    );
  }

  return { id: 'overview', label: 'Overview', element, update };
}

/** Widths go through the CSSOM, which a CSP without 'unsafe-inline' styles allows (style attributes it does not). */
/** Signals computed on this device from its own events (never sent as such): stage and engagement, with why. */
function journeyFacts(signals) {
  if (!signals || typeof signals.stage !== 'string') return [];
  const why = Array.isArray(signals.explanation) ? signals.explanation.join(' ') : '';
  return [
    fact('Journey stage', `${signals.stage}${why ? ` — ${why}` : ''}`),
    fact('Engagement', `${Math.round((Number(signals.engagement) || 0) * 100)} / 100, from ${signals.sessions ?? 0} visit${signals.sessions === 1 ? '' : 's'}`),
  ];
}

function bar(share) {
  const fill = h('span', { class: 'meter__fill' });
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  return fill;
}

function fact(term, description) {
  return [h('dt', { text: term }), h('dd', { text: description })];
}

function period(entry) {
  const start = new Date(entry.periodStart);
  const end = new Date(entry.periodEnd);
  return `${start.toLocaleDateString()} – ${end.toLocaleDateString()}`;
}

function refusalText(refusal) {
  if (refusal.reason === 'budget_exhausted') return 'not sent: budget spent';
  if (refusal.reason === 'consent_denied') return 'discarded: reports not allowed';
  return 'discarded: reports not asked yet';
}
