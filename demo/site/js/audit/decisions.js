// Decisions: every choice insitu made on this device, with the alternatives it weighed, their
// scores and probabilities, the exact propensity, whether it was exploring, the policy, and why.
import { fixed, h, percent, replace, when } from '../dom.js';
import { table } from './storage.js';

/** Decisions listed (newest first); all of them are in Storage and Export. */
const LISTED_DECISIONS = 40;
/** Alternatives shown per decision: the top of the list is what mattered. */
const LISTED_ALTERNATIVES = 8;

const POLICY_WORDS = {
  personalized: 'personalized',
  holdout: 'holdout (this device is in the comparison group: no personalization)',
  fallback: 'fallback (no decision in time: the site’s default)',
  default: 'default (not personalized)',
  pinned: 'pinned by the site',
};

export function createDecisions(ctx) {
  const list = h('div', { class: 'decisions', id: 'audit-decisions' });
  const element = h('div', {}, h('p', { class: 'muted', text: 'Open a decision to see what else was considered and why this one was shown.' }), list);
  const rendered = new Map();
  const open = new Set();

  function update(snapshot) {
    const decisions = [...snapshot.decisions].sort((a, b) => b.ts - a.ts).slice(0, LISTED_DECISIONS);
    if (!decisions.length) {
      rendered.clear();
      replace(list, h('p', { class: 'empty', text: 'No decision has been made on this device.' }));
      return;
    }
    // Keep open entries (and their fetched explanations) across refreshes.
    const items = decisions.map((record) => {
      const key = `${record.decisionId}:${record.reward ?? ''}`;
      let item = rendered.get(key);
      if (!item) {
        item = decisionItem(ctx, record, open);
        rendered.set(key, item);
      }
      return item;
    });
    for (const key of rendered.keys()) if (!items.includes(rendered.get(key))) rendered.delete(key);
    replace(list, items);
  }

  return { id: 'decisions', label: 'Decisions', element, update };
}

function decisionItem(ctx, record, open) {
  const drivers = h('div', { class: 'decision__drivers' });
  const details = h(
    'details',
    { class: 'decision', 'data-decision-id': record.decisionId, 'data-policy': record.policy, open: open.has(record.decisionId) },
    h(
      'summary',
      { class: 'decision__summary' },
      h('span', { class: 'decision__placement', text: record.placement }),
      h('span', { class: 'decision__item', text: ctx.titleOf(record.itemId) }),
      h('span', { class: `pill pill--${record.policy}`, text: record.policy }),
      record.exploring ? h('span', { class: 'pill pill--exploring', text: 'exploring' }) : null,
      h('span', { class: 'decision__when', text: when(record.ts) }),
    ),
    h(
      'dl',
      { class: 'facts facts--compact' },
      h('dt', { text: 'Policy' }),
      h('dd', { text: POLICY_WORDS[record.policy] ?? record.policy }),
      h('dt', { text: 'Propensity' }),
      h('dd', { text: `${fixed(record.propensity, 4)}: the exact chance (${percent(record.propensity)}) this policy had of showing it` }),
      h('dt', { text: 'Exploring' }),
      h('dd', { text: record.exploring ? 'yes: tried something less certain, to keep learning' : 'no: the best-scoring choice' }),
      record.reward !== undefined ? [h('dt', { text: 'Outcome' }), h('dd', { text: `rewarded ${fixed(record.reward, 2)}` })] : null,
    ),
    h('h4', { class: 'decision__subheading', text: 'Why' }),
    h('ul', { class: 'decision__reasons' }, (record.reasons.length ? record.reasons : ['No reason was given.']).map((reason) => h('li', { text: reason }))),
    h('h4', { class: 'decision__subheading', text: `Alternatives (${record.candidates?.length ?? 0} considered)` }),
    alternatives(ctx, record),
    drivers,
  );
  details.addEventListener('toggle', async () => {
    if (!details.open) return void open.delete(record.decisionId);
    open.add(record.decisionId);
    if (drivers.dataset.loaded) return;
    drivers.dataset.loaded = 'true';
    const explanation = await ctx.client.explain(record.decisionId).catch(() => undefined);
    if (!explanation?.drivers?.length) return;
    replace(
      drivers,
      h('h4', { class: 'decision__subheading', text: 'What drove the score' }),
      table(
        ['Driver', 'Kind', 'Weight'],
        explanation.drivers.map((d) => [d.kind === 'neighbour' ? ctx.titleOf(d.label) : d.label, d.kind, fixed(d.weight, 3)]),
        'Score drivers',
      ),
    );
  });
  return details;
}

function alternatives(ctx, record) {
  const candidates = record.candidates ?? [];
  if (!candidates.length) return h('p', { class: 'muted', text: 'Not recorded.' });
  const rows = candidates
    .map((itemId, i) => ({ itemId, score: record.scores?.[i], probability: record.probabilities?.[i] }))
    .sort((a, b) => (b.probability ?? 0) - (a.probability ?? 0) || (b.score ?? 0) - (a.score ?? 0));
  const shown = rows.slice(0, LISTED_ALTERNATIVES);
  // An exploring pick may rank low: it is always listed, at its place.
  const chosen = rows.findIndex((row) => row.itemId === record.itemId);
  if (chosen >= LISTED_ALTERNATIVES) shown.push({ ...rows[chosen], rank: chosen + 1 });
  return table(
    ['Book', 'Score', 'Probability'],
    shown.map((row) => [
      `${row.itemId === record.itemId ? '✓ shown: ' : ''}${row.rank ? `#${row.rank} ` : ''}${ctx.titleOf(row.itemId)}`,
      row.score === undefined ? '—' : fixed(row.score, 3),
      row.probability === undefined ? '—' : percent(row.probability),
    ]),
    'Alternatives, most likely first',
  );
}
