// Interests: the affinities insitu has learned, as a chart (bar = now, faint bar = before the
// latest change, arrow = trend), with a control to mute any shelf.
import { fixed, h, replace, s } from '../dom.js';
import { shelfLabel } from '../catalog.js';

/** Tags in the chart: the ones that shape picks; the rest are in Storage. */
const CHART_TAGS = 10;
const ROW_HEIGHT = 30;
/** The chart is drawn at its container's width so its text stays readable on a phone. */
const DEFAULT_WIDTH = 460;
const MIN_WIDTH = 280;
const VALUE_WIDTH = 72;
/** Below this a trend is noise, shown as steady. */
const STEADY_TREND = 0.005;

export function createInterests(ctx) {
  const chart = h('figure', { class: 'chart', id: 'audit-affinity-chart' });
  const muteList = h('ul', { class: 'tag-actions' });
  const muted = new Set();
  const shelfInput = h('input', { id: 'audit-mute-input', list: 'audit-shelves', autocomplete: 'off', placeholder: 'e.g. romance' });
  const datalist = h('datalist', { id: 'audit-shelves' }, ctx.catalog.shelves.map((shelf) => h('option', { value: shelf.tag, label: shelf.label })));
  const form = h(
    'form',
    { class: 'inline-form', onsubmit: (event) => (event.preventDefault(), void setMuted(shelfInput.value.trim().toLowerCase(), true)) },
    h('label', { for: 'audit-mute-input', text: 'Mute a shelf' }),
    shelfInput,
    datalist,
    h('button', { type: 'submit', class: 'button button--small', text: 'Mute' }),
  );
  const element = h(
    'div',
    {},
    h('p', { class: 'muted', text: 'What insitu has learned you like, from what you did on this site. Muting a shelf stops it from shaping your picks.' }),
    chart,
    h('h3', { class: 'audit__heading', text: 'Shelves' }),
    muteList,
    form,
  );

  async function setMuted(tag, mute) {
    if (!tag) return;
    if (mute) await ctx.client.mute(tag);
    else await ctx.client.unmute(tag);
    if (mute) muted.add(tag);
    else muted.delete(tag);
    shelfInput.value = '';
    ctx.say(mute ? `Muted “${shelfLabel(ctx.catalog, tag)}”: it no longer shapes your picks.` : `“${shelfLabel(ctx.catalog, tag)}” shapes your picks again.`);
    await ctx.refresh();
  }

  let last;
  function update(snapshot) {
    last = snapshot;
    const storedMutes = snapshot.state.mutes;
    if (Array.isArray(storedMutes)) for (const tag of storedMutes) if (typeof tag === 'string') muted.add(tag);
    const affinities = [...snapshot.affinities].filter((a) => !muted.has(a.tag)).sort((a, b) => b.weight - a.weight).slice(0, CHART_TAGS);
    renderChart(affinities);
    replace(
      muteList,
      affinities.map((a) => h('li', {}, h('span', { text: shelfLabel(ctx.catalog, a.tag) }), h('button', { type: 'button', class: 'button button--small', 'data-mute': a.tag, text: 'Mute', 'aria-label': `Mute ${shelfLabel(ctx.catalog, a.tag)}`, onclick: () => setMuted(a.tag, true) }))),
      [...muted].map((tag) => h('li', { class: 'tag-actions__muted' }, h('span', { text: `${shelfLabel(ctx.catalog, tag)} (muted)` }), h('button', { type: 'button', class: 'button button--small', 'data-unmute': tag, text: 'Unmute', 'aria-label': `Unmute ${shelfLabel(ctx.catalog, tag)}`, onclick: () => setMuted(tag, false) }))),
    );
  }

  function renderChart(affinities) {
    if (!affinities.length) {
      replace(chart, h('p', { class: 'empty', 'data-affinities-empty': '', text: 'No interests learned yet: insitu knows nothing about your taste.' }));
      return;
    }
    const max = Math.max(...affinities.map((a) => Math.max(a.weight, a.weight - a.trend)), 1e-9);
    const width = Math.max(MIN_WIDTH, chart.clientWidth ? chart.clientWidth - 26 : DEFAULT_WIDTH);
    const LABEL_WIDTH = Math.round(Math.min(150, width * 0.36));
    const BAR_WIDTH = width - LABEL_WIDTH - VALUE_WIDTH;
    const height = affinities.length * ROW_HEIGHT;
    const scale = (value) => (Math.max(0, value) / max) * BAR_WIDTH;
    const svg = s(
      'svg',
      { viewBox: `0 0 ${width} ${height}`, class: 'chart__svg', role: 'img', 'aria-labelledby': 'audit-chart-title audit-chart-desc' },
      s('title', { id: 'audit-chart-title', text: 'Your top interests' }),
      s('desc', { id: 'audit-chart-desc', text: affinities.map((a) => `${shelfLabel(ctx.catalog, a.tag)} ${fixed(a.weight, 2)}, ${trendWords(a.trend)}`).join('; ') }),
      affinities.map((a, i) => {
        const y = i * ROW_HEIGHT;
        const before = a.weight - a.trend;
        return s(
          'g',
          { class: 'chart__row', 'data-tag': a.tag },
          s('text', { x: LABEL_WIDTH - 10, y: y + ROW_HEIGHT / 2 + 5, class: 'chart__label', 'text-anchor': 'end' }, fitted(shelfLabel(ctx.catalog, a.tag), LABEL_WIDTH - 12)),
          s('rect', { x: LABEL_WIDTH, y: y + 6, width: BAR_WIDTH, height: ROW_HEIGHT - 12, rx: 3, class: 'chart__track' }),
          s('rect', { x: LABEL_WIDTH, y: y + 6, width: scale(before), height: ROW_HEIGHT - 12, rx: 3, class: 'chart__before' }),
          s('rect', { x: LABEL_WIDTH, y: y + 9, width: scale(a.weight), height: ROW_HEIGHT - 18, rx: 2, class: 'chart__now' }),
          s('text', { x: LABEL_WIDTH + BAR_WIDTH + 8, y: y + ROW_HEIGHT / 2 + 5, class: `chart__value chart__value--${trendClass(a.trend)}`, text: `${trendArrow(a.trend)} ${fixed(a.weight, 2)}` }),
        );
      }),
    );
    replace(
      chart,
      svg,
      h('figcaption', { class: 'chart__legend' }, h('span', { class: 'legend legend--now', text: 'now' }), h('span', { class: 'legend legend--before', text: 'before the latest change' }), h('span', { text: '▲ growing · ▼ fading' })),
    );
  }

  // Drawn at the container's width, which is 0 while the tab is hidden: redraw when shown.
  return { id: 'interests', label: 'Interests', element, update, shown: () => last && update(last) };
}

function trendClass(trend) {
  return trend > STEADY_TREND ? 'up' : trend < -STEADY_TREND ? 'down' : 'steady';
}
function trendArrow(trend) {
  return { up: '▲', down: '▼', steady: '•' }[trendClass(trend)];
}
function trendWords(trend) {
  return { up: `growing by ${fixed(trend, 2)}`, down: `fading by ${fixed(-trend, 2)}`, steady: 'steady' }[trendClass(trend)];
}

/** Average width of a 13px bold label character, for cutting long labels to their column. */
const LABEL_CHAR_PX = 7.6;

/** The label, cut with an ellipsis to fit `width` px; the full label stays in a <title> (tooltip, screen readers). */
function fitted(label, width) {
  const max = Math.max(4, Math.floor(width / LABEL_CHAR_PX));
  if (label.length <= max) return label;
  return [`${label.slice(0, max - 1).trimEnd()}…`, s('title', { text: label })];
}
